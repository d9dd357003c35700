"""The shared token bucket holds the request rate across concurrent workers."""

from __future__ import annotations

import asyncio

from orgsync.api.ratelimit import TokenBucket


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_is_held_across_concurrent_workers():
    clock = FakeClock()

    async def main() -> list[float]:
        bucket = TokenBucket(rate=4.0, burst=1.0, clock=clock, sleep=clock.sleep)
        times: list[float] = []

        async def worker() -> None:
            for _ in range(3):
                await bucket.acquire()
                times.append(clock.now)

        await asyncio.gather(*(worker() for _ in range(3)))
        return times

    times = asyncio.run(main())
    assert len(times) == 9
    # the first token is free, each next one costs 1/rate = 0.25 s
    assert times == [i * 0.25 for i in range(9)]


def test_burst_lets_the_first_requests_through_at_once():
    clock = FakeClock()

    async def main() -> None:
        bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock, sleep=clock.sleep)
        for _ in range(4):
            await bucket.acquire()

    asyncio.run(main())
    assert clock.now == 0.5  # three from the burst, the fourth waits one interval
