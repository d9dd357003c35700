"""One tenant's request budget, shared by every worker of a client: the documented limits, not per worker.

Orgvue allows a tenant 100 requests a second, 50 in flight and 500,000 a day (D/rate-limit-quota/). Every
request takes a slot (at most `in_flight` at once) and a place in the rate window before it is sent; `--max-rps`
can only lower the rate. A 42901 pauses every worker for the retry delay; a 42902 closes the budget, so no
worker sends anything more.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from orgsync.api.quota import MAX_IN_FLIGHT, MAX_RPS
from orgsync.api.ratelimit import SlidingWindow, TokenBucket
from orgsync.errors import QuotaExceededError

# The window counts a request for a little longer than a second: a request that waited on the way out can
# arrive at the service next to a later one, and the service counts arrivals.
WINDOW_SECONDS = 1.05


def clamp_rps(max_rps: float | None) -> float | None:
    """`--max-rps` as used: None (the tenant's 100) or at most 100."""
    return None if max_rps is None else min(float(max_rps), float(MAX_RPS))


class TenantBudget:
    """The in-flight slots, the rate window (and `--max-rps` bucket) and the quota state of one tenant."""

    def __init__(
        self,
        max_rps: float | None = None,
        *,
        rps: int = MAX_RPS,
        in_flight: int = MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`sleep` waits out a 42901 pause (the client's injectable sleep); `clock` paces the window and bucket."""
        self.rps = rps
        self.max_in_flight = in_flight
        self.max_rps = clamp_rps(max_rps)
        self._clock = clock
        self._sleep = sleep
        self._window = SlidingWindow(rps, WINDOW_SECONDS, clock=clock)
        self._bucket = TokenBucket(self.max_rps, clock=clock) if self.max_rps else None
        self._slots = asyncio.Semaphore(in_flight)
        self._not_before = 0.0
        self._pauser: asyncio.Task[object] | None = None  # the worker that was told 42901 waits on its own
        self.in_flight = 0
        self.peak_in_flight = 0
        self.waiting = 0  # requests waiting for a slot (tests and progress)
        self.exhausted: QuotaExceededError | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one in-flight slot while a request is sent and answered; raises once the quota is used up."""
        self._check_quota()
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            pause = self._not_before - self._clock()
            if pause > 0 and asyncio.current_task() is not self._pauser:
                await self._sleep(pause)
            await self._window.acquire()
            if self._bucket is not None:
                await self._bucket.acquire()
            self._check_quota()
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1
        finally:
            self._slots.release()

    def throttled(self, seconds: float) -> None:
        """The service said 42901 to the current task, which waits `seconds` itself: the others wait as long."""
        self._not_before = max(self._not_before, self._clock() + seconds)
        self._pauser = asyncio.current_task()

    def quota_exceeded(self, err: QuotaExceededError) -> None:
        """The service said 42902: every later request fails at once with this error, unsent."""
        if self.exhausted is None:
            self.exhausted = err

    def _check_quota(self) -> None:
        if self.exhausted is not None:
            raise QuotaExceededError(
                self.exhausted.message,
                status=self.exhausted.status,
                errors=self.exhausted.errors,
                hint=self.exhausted.hint,
                trace_id=self.exhausted.trace_id,
            )
