"""stop_on_signals: first signal stops, second (or the grace timer) aborts, previous handlers come back."""

from __future__ import annotations

import asyncio
import os
import signal

from orgsync.apply.interrupt import stop_on_signals


class Target:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def stop(self, reason: str) -> None:
        self.calls.append(("stop", reason))

    def abort(self, reason: str) -> None:
        self.calls.append(("abort", reason))


async def _until(target: Target, count: int) -> None:
    """Until the target has been told `count` things; the bound only turns a hang into a failure."""
    for _ in range(6000):
        if len(target.calls) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the target was told {target.calls}, not {count} things")


def test_first_signal_stops_second_aborts_and_previous_handlers_return(capsys):
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    target = Target()

    async def main() -> None:
        with stop_on_signals(target, grace=3600):
            os.kill(os.getpid(), signal.SIGTERM)
            await _until(target, 1)
            os.kill(os.getpid(), signal.SIGINT)
            await _until(target, 2)

    asyncio.run(main())
    assert target.calls == [
        ("stop", "interrupted by SIGTERM"),
        ("abort", "aborted by a second signal (SIGINT)"),
    ]
    assert {s: signal.getsignal(s) for s in before} == before
    assert capsys.readouterr().err.splitlines() == [
        "Stopping (SIGTERM): starting nothing new, waiting up to 3600 s for the calls in flight; send it again to "
        "abort them.",
        "Aborting (SIGINT): cancelling the calls in flight.",
    ]


def test_the_grace_period_aborts_the_calls_in_flight():
    target = Target()

    async def main() -> None:
        with stop_on_signals(target, grace=0.05):
            os.kill(os.getpid(), signal.SIGINT)
            await _until(target, 2)

    asyncio.run(main())
    assert target.calls == [
        ("stop", "interrupted by SIGINT"),
        ("abort", "calls in flight cancelled after the 0.05 s grace period"),
    ]
