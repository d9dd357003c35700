"""Secure temporary files: ask for one, upload gzip bytes to its presigned PUT URL, download results."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from typing import IO

from orgsync.api import endpoints as ep
from orgsync.api.bounded import AnswerTooLarge, spool
from orgsync.api.http import HttpCore
from orgsync.errors import ApiError

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class TemporaryFile:
    """A presigned location: write with PUT `put_url`, read with GET `get_url` (no Authorization)."""

    get_url: str
    put_url: str
    expires_at: str | None = None


async def create_temporary(core: HttpCore, target_type: str = "json", gzipped: bool = True) -> TemporaryFile:
    """Ask the service for a temporary secure file (creating a spare one is harmless: retry-safe)."""
    answer = await core.send_json("POST", ep.TEMPORARY_FILE, retry_safe=True,
                                  json=ep.temporary_file_body(target_type, gzipped))
    if not isinstance(answer, dict):
        raise ApiError(f"POST {ep.TEMPORARY_FILE}: expected an object with {ep.F_TEMP_GET_URL}/{ep.F_TEMP_PUT_URL}, "
                       f"got {type(answer).__name__}")
    try:
        return TemporaryFile(core.resolve(answer[ep.F_TEMP_GET_URL]), core.resolve(answer[ep.F_TEMP_PUT_URL]),
                             answer.get(ep.F_TEMP_EXPIRES))
    except (KeyError, TypeError):
        raise ApiError(f"POST {ep.TEMPORARY_FILE}: the answer lacks {ep.F_TEMP_GET_URL}/{ep.F_TEMP_PUT_URL}",
                       hint=f"correct the assumed field names in {ep.__name__}") from None


def gzip_bytes(data: bytes) -> bytes:
    """Gzip at a level that favours speed (uploads are large, CPU is shared)."""
    return gzip.compress(data, compresslevel=5)


async def upload(core: HttpCore, file: TemporaryFile, data: bytes, content_type: str = "application/gzip") -> None:
    """PUT the bytes to the presigned URL (the same bytes to the same place: retry-safe)."""
    await core.send("PUT", file.put_url, retry_safe=True, content=data, headers={"Content-Type": content_type})


async def download(core: HttpCore, url: str) -> bytes:
    """GET a result or file URL, streamed to a temporary file under the download limit; gzip content (not just
    gzip transfer) is unpacked under the same limit, so neither a huge nor a bomb-like export fills memory."""
    with spool() as sink:
        await core.send("GET", url, retry_safe=True, sink=sink)
        sink.seek(0)
        return gunzip_if_needed(sink, core.limits.download_bytes)


def gunzip_if_needed(data: bytes | IO[bytes], limit: int | None = None) -> bytes:
    """The bytes, decompressed when they are a gzip stream (exports asked with encoding=gzip), at most `limit`."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    head = stream.read(2)
    stream.seek(0)
    if head != GZIP_MAGIC:
        return stream.read() if limit is None else _capped(stream, limit, "file")
    with gzip.GzipFile(fileobj=stream) as unpacked:
        try:
            return unpacked.read() if limit is None else _capped(unpacked, limit, "unpacked file")
        except (OSError, EOFError) as err:
            raise ApiError(f"a downloaded file is not readable gzip ({err})") from None


def _capped(stream: IO[bytes], limit: int, what: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise AnswerTooLarge(f"a downloaded {what} is larger than {limit} bytes (the limit "
                             "ORGSYNC_LIMIT_DOWNLOAD_BYTES); raise it in the environment if the tenant is that big")
    return data
