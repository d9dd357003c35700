"""Source text encodings: stream any Python codec to UTF-8, and say what a file that is not UTF-8 looks like.

Transcoding reads the file in chunks through an incremental decoder (never the whole file as one string).
charset-normalizer only suggests an encoding in the error message; it never picks one silently.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from charset_normalizer import from_bytes

from orgsync.errors import SourceError
from orgsync.sources.gunzip import gunzip_bounded
from orgsync.sources.hints import delimiter_advice
from orgsync.sources.source_errors import source_error

CHUNK = 8 << 20  # bytes decoded at a time
_UTF8 = {"utf-8", "utf-8-sig"}
_HINT_WINDOW = 64 * 1024
_COMMON = ("cp1252", "utf-16", "iso8859-1", "iso8859-15", "cp1250")  # most common HR export encodings first


def codec_name(encoding: str | None) -> str:
    """The normalised codec name of `encoding` (None: utf-8); raises ValueError for an unknown codec."""
    if encoding is None:
        return "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r}; expected a Python codec name such as utf-8, "
            "utf-8-sig, cp1252, latin-1 or utf-16"
        ) from None


def is_utf8(encoding: str | None) -> bool:
    return codec_name(encoding) in _UTF8


class _Hashing:
    """A raw file read through, hashing every byte (the stale-plan checksum is of the file as stored)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.digest = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def transcode_file(path: Path, gzipped: bool, encoding: str, shown: str) -> tuple[bytes, str]:
    """(the file's text as UTF-8 bytes, sha256 of the stored bytes), decoded chunk by chunk from `encoding`.

    A `.gz` file is first decompressed within the limits of `gunzip_bounded` (a bomb stops there).
    """
    if gzipped:
        stored = path.read_bytes()
        digest = hashlib.sha256(stored).hexdigest()
        data = gunzip_bounded(stored, shown)
        del stored
        chunks = (data[start : start + CHUNK] for start in range(0, len(data), CHUNK))
        return _transcoded(chunks, encoding, shown, lambda at: data.count(b"\n", 0, at) + 1), digest
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        out = _transcoded(
            iter(lambda: hashing.read(CHUNK), b""), encoding, shown, lambda at: _line_at(path, at)
        )
        return out, hashing.digest.hexdigest()


def _transcoded(chunks: Iterator[bytes], encoding: str, shown: str, line_at: Callable[[int], int]) -> bytes:
    """`chunks` decoded from `encoding` and encoded as UTF-8, joined once at the end.

    Each chunk goes through an incremental decoder (a character split across chunks is kept); line numbers
    are counted only for an error (`line_at(byte offset)`).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    parts: list[bytes] = []
    offset = 0  # bytes of input before the current chunk
    for chunk in _with_end(chunks):
        try:
            parts.append(decoder.decode(chunk, final=not chunk).encode("utf-8"))
        except UnicodeDecodeError as err:
            line = line_at(offset + err.start)
            raise source_error(
                shown,
                line,
                f"byte 0x{chunk[err.start]:02x} at line {line} is not valid "
                f"{encoding}; expected text in `encoding: {encoding}` (check the setting, "
                "or re-export the file)",
            ) from None
        offset += len(chunk)
    out = b"".join(parts)
    del parts
    if out.startswith(codecs.BOM_UTF8):  # a BOM kept by the codec (utf-16 decodes its own; utf-8-sig too)
        out = out[3:]
    return out


def _with_end(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks`, then one empty chunk (the decoder's final call)."""
    yield from chunks
    yield b""


def _line_at(path: Path, position: int) -> int:
    """The 1-based line of byte `position` of the file: read again, only for an error."""
    with path.open("rb") as handle:
        return handle.read(position).count(b"\n") + 1


def not_utf8(data: bytes, shown: str, sep: str | None = None) -> SourceError:
    """The error for a file that is not UTF-8: the first bad byte and line, and the encoding it looks like;
    for a delimited file (`sep`), also the delimiter its header seems to use, so both settings come at once."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        hint = guess_encoding(data[max(0, err.start - _HINT_WINDOW) : err.start + _HINT_WINDOW])
        advice = (
            f"it decodes as {hint}: set `encoding: {hint}`"
            if hint
            else "set `encoding:` to the file's encoding (e.g. cp1252), or re-export it as UTF-8"
        )
        if sep is not None:
            header = data[:_HINT_WINDOW].split(b"\n", 1)[0]
            also = delimiter_advice(sep, header.decode(hint or "latin-1", errors="replace"))
            advice += f"; and {also}" if also else ""
        return source_error(
            shown,
            line,
            f"byte 0x{data[err.start]:02x} at line {line} is not valid UTF-8; {advice}",
            "items.encoding",
        )
    return source_error(shown, None, "the file could not be decoded as UTF-8")


def guess_encoding(sample: bytes) -> str | None:
    """charset-normalizer's best guess for `sample` as a codec name (cp1252, utf-16...), or None.

    Single-byte code pages often tie (the same bytes are plausible cp1250 and cp1252): among the least
    messy decodings and the code pages each could equally be, the most common export encoding wins.
    """
    matches = list(from_bytes(sample))
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    tied = [
        m for m in matches if m.chaos <= best.chaos
    ]  # coherence (a language guess) is noise on a few lines
    names = [codec_name(name) for m in tied for name in [m.encoding, *m.could_be_from_charset]]
    name = next((n for n in _COMMON if n in names), names[0])
    return None if name in _UTF8 else name
