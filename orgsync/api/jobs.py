"""Polling an asynchronous job ticket until it completes, fails or runs out of time."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from orgsync.api import endpoints as ep
from orgsync.api.answers import JobTicket, checked
from orgsync.api.http import HttpCore, describe_error
from orgsync.errors import ApiError, JobFailedError, PollExpiredError, PresignedUrlRefused

_TRACE = re.compile(r"[A-Za-z0-9=;:.\-]{1,200}")


@dataclass(frozen=True)
class JobPolling:
    """Poll intervals grow from `first` by `factor` up to `cap` seconds; `timeout` bounds the whole wait.

    The cap is low because a finished job is only seen at the next poll: with 5 s, a 1M-row export done at
    3.2 s was seen at 5.3 s (measured by benchmarks.bench_plan); a poll is one small GET.
    """

    first: float = 0.2
    factor: float = 1.6
    cap: float = 2.0
    timeout: float = 1800.0

    def intervals(self) -> Iterator[float]:
        """Endless sequence of poll intervals."""
        wait = self.first
        while True:
            yield wait
            wait = min(self.cap, wait * self.factor)


async def wait_job(
    core: HttpCore, ticket: dict[str, Any], polling: JobPolling, timeout: float | None = None
) -> dict[str, Any]:
    """Follow the ticket's `_links.self.url` until `completed` (returned) or `failed` (JobFailedError)."""
    checked(JobTicket, ticket, "the job ticket")
    url = core.link(ticket, ep.LINK_SELF)
    if not url:
        raise ApiError(
            "the job ticket has no _links.self.url to poll", hint="report this answer to Orgvue support"
        )
    limit = polling.timeout if timeout is None else timeout
    deadline = time.monotonic() + limit
    intervals = polling.intervals()
    while True:
        status = ticket.get(ep.F_JOB_STATUS)
        if status == ep.JOB_COMPLETED:
            return ticket
        if status == ep.JOB_FAILED:
            raise _failed(core, url, ticket)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise JobFailedError(
                f"job {core.redact(_short(url))} did not finish within {limit:g} s (last status: {status})",
                hint="it may still be running in Orgvue; re-run plan once it has finished",
            )
        await asyncio.sleep(min(next(intervals), remaining))
        try:
            answer = await core.send_json("GET", url, retry_safe=True)
        except PresignedUrlRefused as refused:
            raise _poll_expired(core, url, ticket, refused, limit - (deadline - time.monotonic())) from None
        ticket = checked(JobTicket, answer, f"GET {_short(url)}")


def _poll_expired(
    core: HttpCore, url: str, ticket: dict[str, Any], refused: PresignedUrlRefused, waited: float
) -> PollExpiredError:
    """The job outlived its presigned status URL (D/working/async/: a presigned location; D/working/security/:
    presigned URLs "expire after a short period … you must repeat your request"): its end cannot be seen."""
    trace = _trace(ticket)
    traced = f" (trace id {trace})" if trace else ""
    return PollExpiredError(
        core.redact(
            f"job {_short(url)} was still {ticket.get(ep.F_JOB_STATUS)} after {waited:.0f} s when its status URL "
            f"stopped working ({refused.status} from the storage host: presigned URLs expire){traced}"
        ),
        status=refused.status,
        trace_id=trace,
        hint="repeat the request that started the job",
    )


def _trace(ticket: dict[str, Any]) -> str | None:
    raw = ticket.get(ep.TRACE_HEADER)
    return raw if isinstance(raw, str) and _TRACE.fullmatch(raw) else None


def _failed(core: HttpCore, url: str, ticket: dict[str, Any]) -> JobFailedError:
    """The failed job's errors, with the jobTicket's X-Amzn-Trace-Id (the request that started it)."""
    errors = [e for e in ticket.get(ep.F_ERRORS) or [] if isinstance(e, dict)]
    detail = "; ".join(describe_error(e) for e in errors[:5])  # never a message: it may quote item values
    trace = _trace(ticket)
    traced = f" (trace id {trace})" if trace else ""
    return JobFailedError(
        core.redact(f"job {_short(url)} failed" + (f": {detail}" if detail else "") + traced),
        errors=errors,
        trace_id=trace,
    )


def _short(url: str) -> str:
    """The job URL's path only (no host, no presigned query)."""
    return urlsplit(url).path
