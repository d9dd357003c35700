"""Reading one answer under two bounds: its size, and an overall deadline for the whole request.

httpx's read timeout restarts with every byte, so a server trickling one byte every 2 s never times out;
here the deadline covers connect, send and the whole body, checked at every chunk (on an injectable clock)
and backed by an asyncio timeout. A big answer (an export) is written to a temporary file, not memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from typing import IO

import httpx

from orgsync.errors import ApiError
from orgsync.limits import ResourceLimits

Clock = Callable[[], float]


class AnswerTooLarge(ApiError):
    """An answer passed its size limit; it is not retried (the same request would get the same answer)."""


async def exchange(
    http: httpx.AsyncClient,
    request: httpx.Request,
    limits: ResourceLimits,
    clock: Clock,
    *,
    max_bytes: int,
    sink: IO[bytes] | None = None,
) -> httpx.Response:
    """Send `request` and read its whole (decoded) body within `limits.request_seconds` and `max_bytes`.

    The body lands in `response.content`, or in `sink` when given (then `content` is empty). Passing the
    deadline raises `httpx.ReadTimeout`, so callers treat it like any lost answer (retry when safe).
    """
    deadline = clock() + limits.request_seconds
    try:
        async with asyncio.timeout(limits.request_seconds):
            response = await http.send(request, stream=True)
            try:
                body = await _read(response, request, deadline, clock, max_bytes, sink)
            finally:
                await response.aclose()
    except TimeoutError:
        raise _late(request, limits) from None
    response._content = body  # what httpx's own `aread` sets: the body, read under our bounds
    return response


async def _read(
    response: httpx.Response,
    request: httpx.Request,
    deadline: float,
    clock: Clock,
    max_bytes: int,
    sink: IO[bytes] | None,
) -> bytes:
    received = 0
    chunks: list[bytes] = []
    async for chunk in response.aiter_bytes():
        received += len(chunk)
        if received > max_bytes:
            raise AnswerTooLarge(
                f"{request.method} {request.url.path}: the answer is larger than {max_bytes} bytes "
                "(the limit ORGSYNC_LIMIT_ANSWER_BYTES, or ORGSYNC_LIMIT_DOWNLOAD_BYTES for files); "
                "raise it in the environment if the tenant is that big",
                status=response.status_code,
            )
        if clock() > deadline:
            raise httpx.ReadTimeout(
                "the answer took longer than the overall deadline (ORGSYNC_LIMIT_REQUEST_SECONDS)",
                request=request,
            )
        if sink is not None:
            sink.write(chunk)
        else:
            chunks.append(chunk)
    return b"".join(chunks)


def _late(request: httpx.Request, limits: ResourceLimits) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(
        f"no complete answer within the overall deadline of {limits.request_seconds:g} s "
        "(ORGSYNC_LIMIT_REQUEST_SECONDS)",
        request=request,
    )


def spool() -> IO[bytes]:
    """A temporary file for a big answer (removed when closed)."""
    return tempfile.TemporaryFile(prefix="orgsync-answer-")
