"""Stop an apply gracefully on SIGTERM (a CI cancel) or SIGINT (Ctrl-C); a second signal aborts at once.

The first signal asks the executor to start nothing new and lets the calls in flight finish (an uploaded
import is awaited), bounded by a grace period after which they are cancelled. The handlers exist only while
the steps run (asyncio `add_signal_handler`); the previous Python handlers are put back afterwards.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACE_SECONDS = (
    20.0  # CI systems send SIGKILL some seconds after SIGTERM (GitLab 30 s, GitHub ~7.5 s per step)
)


class Stoppable(Protocol):
    def stop(self, reason: str) -> None: ...
    def abort(self, reason: str) -> None: ...


@contextmanager
def stop_on_signals(target: Stoppable, grace: float = GRACE_SECONDS) -> Iterator[None]:
    """While inside, SIGTERM/SIGINT stop `target`; the grace timer or a second signal aborts it."""
    loop = asyncio.get_running_loop()
    state: dict[str, object] = {}

    def on_signal(sig: signal.Signals) -> None:
        if "first" not in state:
            state["first"] = sig.name
            target.stop(f"interrupted by {sig.name}")
            # Said at once (the summary comes when the calls in flight are done), so a CI log shows why it waits.
            print(
                f"Stopping ({sig.name}): starting nothing new, waiting up to {grace:g} s for the calls in flight; "
                "send it again to abort them.",
                file=sys.stderr,
                flush=True,
            )
            state["timer"] = loop.call_later(
                grace, target.abort, f"calls in flight cancelled after the {grace:g} s grace period"
            )
        else:
            print(f"Aborting ({sig.name}): cancelling the calls in flight.", file=sys.stderr, flush=True)
            target.abort(f"aborted by a second signal ({sig.name})")

    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    installed = []
    try:
        for sig in SIGNALS:
            try:
                loop.add_signal_handler(sig, on_signal, sig)
            except (RuntimeError, ValueError):  # not the main thread (an embedding app): keep its handling
                continue
            installed.append(sig)
        yield
    finally:
        timer = state.get("timer")
        if isinstance(timer, asyncio.TimerHandle):
            timer.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous[sig])  # remove_signal_handler would leave SIG_DFL/default_int_handler
