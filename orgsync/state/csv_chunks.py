"""An exported CSV file (gzip as received, unpacked as it is read, or plain) read as frames of whole records, a
few MiB at a time, so that a dataset of millions of items is never parsed (or held as bytes) in one piece.

A chunk ends at a line break outside quotes: RFC 4180 writes a quote inside a field as two, so a line break
ends a record exactly when an even number of quote characters comes before it. The parity is counted once per
segment between line breaks, so finding the cut is linear in the chunk; a record longer than a chunk makes the
chunk grow until it ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from orgsync.api.files import Unpacked, open_download
from orgsync.errors import UnexpectedAnswerError

CHUNK_BYTES = 16 << 20  # ~50,000 rows of 30 columns: a chunk's frames stay a small share of the whole
MAX_RECORD_BYTES = 256 << 20  # one exported item longer than this is refused, not gathered in memory
WIDE_CHUNK_BYTES = 32 << 20  # the most a chunk of a wide export (CHUNK_BYTES per 30 columns) may grow to
_BOM = b"\xef\xbb\xbf"
_QUOTE = b'"'


def header(path: Path, limit: int | None = None) -> list[str]:
    """The column names of the CSV file at `path` (gzip or plain, unpacked to at most `limit` bytes; none when
    it is empty or blank)."""
    with open_download(path, limit) as handle:
        first = _header_line(handle)
    if not first.strip():
        return []
    return _parsed(first, n_rows=0).columns


def _header_line(handle: Unpacked) -> bytes:
    """The first line (BOM removed), read under the record limit: a file without a line break is not gathered."""
    first = handle.readline(MAX_RECORD_BYTES + 1)
    if len(first) > MAX_RECORD_BYTES:
        raise _too_long()
    return first.removeprefix(_BOM)


def _parsed(block: bytes, **options: Any) -> pl.DataFrame:
    """`block` read by polars as Utf8 CSV; unreadable CSV is the tenant's answer gone wrong, not a traceback.
    The message names polars' error kind only: its text may quote the values of a row."""
    try:
        return pl.read_csv(block, infer_schema=False, **options)
    except pl.exceptions.PolarsError as err:
        raise UnexpectedAnswerError(
            f"an export file of the tenant is not readable CSV (polars: {type(err).__name__})",
            hint="export the dataset again; if it persists, report it with the dataset id",
        ) from None


def _too_long() -> UnexpectedAnswerError:
    return UnexpectedAnswerError(
        f"an export file of the tenant holds a record longer than {MAX_RECORD_BYTES >> 20} "
        "MiB (or a quote that never closes); it is not read further"
    )


def frames(
    path: Path, columns: Sequence[str], *, chunk_bytes: int | None = None, limit: int | None = None
) -> Iterator[pl.DataFrame]:
    """The records of the CSV file at `path` (gzip, unpacked as it is read, or plain; at most `limit` bytes
    unpacked) as Utf8 frames of the named `columns` (those of the header, in the order given), one frame per
    chunk of about `chunk_bytes` (default: `CHUNK_BYTES` per 30 columns, at most `WIDE_CHUNK_BYTES`, read at
    each call); an empty field is null."""
    names = header(path, limit)
    if chunk_bytes is None:  # a wide export gets bigger chunks: each chunk costs a few steps per column
        chunk_bytes = min(WIDE_CHUNK_BYTES, CHUNK_BYTES * max(1, len(names) // 30))
    wanted = [c for c in columns if c in names]
    if not wanted:
        return
    positions = [names.index(c) for c in wanted]
    for block in _records(path, chunk_bytes, limit):
        # Each block is parsed under the file's own header line: polars takes the field count from a block's
        # first line, so a block that began with a blank line or a short row would fail (or shift) without it.
        yield _parsed(block, columns=positions).select(wanted)


def _records(path: Path, chunk_bytes: int, limit: int | None) -> Iterator[bytes]:
    """The bytes after the header line, cut into blocks that each end at a record boundary, each block
    preceded by the header line (BOM removed)."""
    with open_download(path, limit) as handle:
        head = _header_line(handle)
        rest = b""
        while True:
            block = handle.read(chunk_bytes)
            data = rest + block if rest else block
            if not block:
                if data.strip():
                    yield head + data
                return
            cut = _last_record_end(data)
            if not cut and len(data) > MAX_RECORD_BYTES:
                raise _too_long()
            rest = data[cut:]
            if cut:
                yield b"".join((head, memoryview(data)[:cut]))  # one copy, not two


def _last_record_end(data: bytes) -> int:
    """The offset just after the last line break of `data` that lies outside quotes (0: none does)."""
    quotes_before = data.count(_QUOTE)
    end = len(data)
    while (at := data.rfind(b"\n", 0, end)) >= 0:
        quotes_before -= data.count(_QUOTE, at, end)  # quotes in the segment from this break to the last one
        if quotes_before % 2 == 0:
            return at + 1
        end = at
    return 0
