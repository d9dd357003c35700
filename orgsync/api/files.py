"""Secure temporary files: ask for one, upload gzip bytes to its presigned PUT URL, download results."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast
from urllib.parse import urlsplit

import httpx
import orjson
from isal import igzip, isal_zlib

from orgsync.api import endpoints as ep
from orgsync.api.bounded import AnswerTooLarge, spool
from orgsync.api.http import HttpCore, trace_id_of
from orgsync.errors import ApiError, UnexpectedAnswerError

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class TemporaryFile:
    """A presigned location: write with PUT `put_url`, read with GET `get_url` (no Authorization).

    `style` says how the answer named them: `flat` (`getUrl`/`putUrl`) or `links` (`_links` objects by `type`)."""

    get_url: str
    put_url: str
    expires_at: str | None = None
    style: str = "flat"


async def create_temporary(core: HttpCore, target_type: str = "json", gzipped: bool = True) -> TemporaryFile:
    """Ask the service for a temporary secure file (creating a spare one is harmless: retry-safe)."""
    response = await core.send(
        "POST", ep.TEMPORARY_FILE, retry_safe=True, json=ep.temporary_file_body(target_type, gzipped)
    )
    return temporary_from_answer(core, response)


def temporary_from_answer(core: HttpCore, response: httpx.Response) -> TemporaryFile:
    """The read and write URLs of a temporary-file answer, under the assumed field names (endpoints.py).

    When they are missing or not URLs, the error lists the field names the answer did have (never a value:
    they are presigned URLs), so a renamed field is plain to see."""
    try:
        answer = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        answer = None
    fields = list(answer) if isinstance(answer, dict) else []
    wanted = (ep.F_TEMP_GET_URL, ep.F_TEMP_PUT_URL)
    urls = [answer.get(name) if isinstance(answer, dict) else None for name in wanted]
    style = "flat"
    if not any(isinstance(u, str) for u in urls) and isinstance(answer, dict):
        linked = _typed_links(answer.get(ep.F_LINKS))
        if linked:
            urls, style = [linked.get(ep.LINK_TYPE_DOWNLOAD), linked.get(ep.LINK_TYPE_UPLOAD)], "links"
    if all(isinstance(u, str) and u.startswith(("https://", "http://", "/")) for u in urls):
        expires = answer.get(ep.F_TEMP_EXPIRES) if isinstance(answer, dict) else None
        return TemporaryFile(
            core.resolve(str(urls[0])),
            core.resolve(str(urls[1])),
            expires if isinstance(expires, str) else None,
            style,
        )
    if style == "links":
        wanted = (f"a {ep.LINK_TYPE_DOWNLOAD} link", f"an {ep.LINK_TYPE_UPLOAD} link")
    bad = [name for name, u in zip(wanted, urls, strict=True) if not isinstance(u, str)]
    got = ", ".join(_safe_name(f) for f in fields[:20]) or (
        "no fields" if isinstance(answer, dict) else "not a JSON object"
    )
    trace = trace_id_of(response)
    what = f"lacks {' and '.join(bad)}" if bad else f"has {' and '.join(wanted)} that are not URLs"
    raise UnexpectedAnswerError(
        f"POST {urlsplit(str(response.request.url)).path}: the temporary-file answer {what} "
        f"(it has: {got})" + (f" (trace id {trace})" if trace else ""),
        status=response.status_code,
        trace_id=trace,
        hint=f"the service names the read/write URLs differently from what orgsync accepts "
        f"({ep.F_TEMP_GET_URL}/{ep.F_TEMP_PUT_URL}, or {ep.F_LINKS} objects of type {ep.LINK_TYPE_DOWNLOAD}/"
        f"{ep.LINK_TYPE_UPLOAD}): correct F_TEMP_GET_URL / F_TEMP_PUT_URL in {ep.__name__}, and report it "
        "(`orgsync doctor --record FILE` records the answer's shape)",
    )


def _typed_links(links: object) -> dict[str, object]:
    """`_links` objects (a mapping of them, or a list) by their `type`: `{"downloadLink": url, ...}`."""
    values = links.values() if isinstance(links, dict) else links if isinstance(links, list) else []
    found: dict[str, object] = {}
    for link in values:
        if isinstance(link, dict) and isinstance(link.get(ep.F_LINK_TYPE), str):
            found.setdefault(link[ep.F_LINK_TYPE], link.get(ep.F_URL))
    return found


def _safe_name(name: str) -> str:
    """A field name as a message may show it: printable and short, else elided."""
    return (
        name
        if name.isprintable() and len(name) <= 40
        else name[:37].encode("ascii", "replace").decode() + "..."
    )


# ISA-L's deflate at its level 2 (python-isal): an eighth of zlib's level-5 CPU, for about 40 % more bytes on
# import JSON (2M rows: 216.5 MB sent, not ~155 MB; issue 24): the CI machine's CPU is the scarcer. Any gzip
# reader takes it.
GZIP_LEVEL = 2


# isal's stubs declare `error` as an instance of Exception; it is the class of a corrupt deflate stream
_INFLATE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    cast("type[Exception]", isal_zlib.error),
)


def gzip_reader(stream: IO[bytes]) -> IO[bytes]:
    """`stream` gunzipped as it is read (ISA-L); a corrupt one raises one of `_INFLATE_ERRORS`."""
    return cast("IO[bytes]", igzip.IGzipFile(fileobj=stream))  # type: ignore[no-untyped-call]


def gzip_writer(dest: IO[bytes]) -> IO[bytes]:
    """A gzip stream into `dest` at `GZIP_LEVEL`, with no timestamp (the same actions, the same bytes)."""
    writer = igzip.IGzipFile(fileobj=dest, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)  # type: ignore[no-untyped-call]
    return cast("IO[bytes]", writer)


def gzip_bytes(data: bytes) -> bytes:
    """Gzip at a level that favours speed (`GZIP_LEVEL`)."""
    return igzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


async def upload(
    core: HttpCore, file: TemporaryFile, data: bytes, content_type: str = "application/gzip"
) -> None:
    """PUT the bytes to the presigned URL (the same bytes to the same place: retry-safe)."""
    await core.send(
        "PUT", file.put_url, retry_safe=True, content=data, headers={"Content-Type": content_type}
    )


async def download(core: HttpCore, url: str) -> bytes:
    """GET a result or file URL into memory (small answers: import results); see `download_to`."""
    buffer = io.BytesIO()
    await download_to(core, url, buffer)
    return buffer.getvalue()


async def download_to(core: HttpCore, url: str, dest: IO[bytes]) -> int:
    """GET a result or file URL into `dest`, returning the bytes written: the answer is streamed to a temporary
    file under the download limit, and gzip content (not just gzip transfer) is unpacked chunk by chunk into
    `dest` under the same limit, so neither a huge nor a bomb-like export is ever held in memory."""
    with spool() as sink:
        await core.send("GET", url, retry_safe=True, sink=sink)
        sink.seek(0)
        return unpack_to(sink, dest, core.limits.download_bytes)


@dataclass(frozen=True)
class Download:
    """A result file written to disk as the service sent it (gzip or plain CSV), read with `open_download`:
    `size` bytes on disk, which may unpack to at most `limit` bytes."""

    path: Path
    size: int
    limit: int


async def download_file(core: HttpCore, url: str, path: Path) -> Download:
    """GET a result or file URL into the file `path`, as sent (at most the download limit on disk): it is not
    unpacked here, but as it is read (`open_download`), under the same limit, so a big export is not written
    twice, packed and then unpacked (issue 24)."""
    with path.open("w+b") as dest:  # a retried GET starts the file again (HttpCore truncates its sink)
        await core.send("GET", url, retry_safe=True, sink=dest)
        size = dest.tell()
    return Download(path, size, core.limits.download_bytes)


_CHUNK = 1 << 20


class Unpacked:
    """A downloaded stream read from its start, gunzipped when it is gzip (ISA-L), at most `limit` bytes (None:
    no bound): reading past the limit raises AnswerTooLarge, a corrupt gzip stream ApiError, as it is read."""

    def __init__(self, stream: IO[bytes], limit: int | None) -> None:
        stream.seek(0)  # the gzip test must see the first bytes too, not those at the caller's position
        self.gzipped = stream.read(2) == GZIP_MAGIC
        stream.seek(0)
        # ISA-L's inflate (python-isal): a third of zlib's CPU on a million-row export (issue 24), same checks
        self._stream = gzip_reader(stream) if self.gzipped else stream
        self._what = "unpacked file" if self.gzipped else "file"
        self._limit = limit
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (-1: the rest), as `IO.read`."""
        size = self._bounded(size)
        return self._counted(lambda: self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        """One line of at most `size` bytes (-1: unbounded), as `IO.readline`."""
        size = self._bounded(size)
        return self._counted(lambda: self._stream.readline(size))

    def _bounded(self, size: int) -> int:
        """`size`, lowered so that one read never holds more than one byte past the limit."""
        if self._limit is None:
            return size
        left = self._limit - self.read_bytes + 1
        return left if size < 0 else min(size, left)

    def _counted(self, read: Callable[[], bytes]) -> bytes:
        try:
            data = read()
        except _INFLATE_ERRORS as err:
            raise ApiError(f"a downloaded file is not readable gzip ({err})") from None
        self.read_bytes += len(data)
        if self._limit is not None and self.read_bytes > self._limit:
            raise _too_large(self._what, self._limit)
        return data

    def close(self) -> None:
        """Close the gzip reader (the stream under it stays its owner's)."""
        if self.gzipped:
            self._stream.close()


@contextmanager
def open_download(path: Path, limit: int | None) -> Iterator[Unpacked]:
    """The file at `path` (a `Download`, or a plain CSV file) read unpacked, at most `limit` bytes."""
    with path.open("rb") as stream:
        unpacked = Unpacked(stream, limit)
        try:
            yield unpacked
        finally:
            unpacked.close()


def unpack_to(stream: IO[bytes], dest: IO[bytes], limit: int) -> int:
    """Copy `stream` (from its start) into `dest`, gunzipped when it is a gzip stream, in 1 MiB chunks, at most
    `limit` bytes written; the bytes written."""
    source = Unpacked(stream, limit)
    try:
        while chunk := source.read(_CHUNK):
            dest.write(chunk)
    finally:
        source.close()
    return source.read_bytes


def _too_large(what: str, limit: int) -> AnswerTooLarge:
    return AnswerTooLarge(
        f"a downloaded {what} is larger than {limit} bytes (the limit "
        "ORGSYNC_LIMIT_DOWNLOAD_BYTES); raise it in the environment if the tenant is that big"
    )
