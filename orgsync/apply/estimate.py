"""How many requests an apply will make (from the plan's steps and batches), and how many workers it may use.

Printed by plan and apply so a user can see a run fits the tenant's daily quota (500,000 requests,
D/rate-limit-quota/). It is an estimate: item bytes are guessed from the plan's frames before encoding, and
an async job's polls are counted as `POLLS_PER_JOB`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orgsync.api.quota import DAILY_QUOTA, MAX_IN_FLIGHT, MAX_RPS
from orgsync.apply.batching import BatchLimits, choose_mode, links_max_actions
from orgsync.apply.batching import Mode as BatchMode
from orgsync.apply.order import Step, StepKind
from orgsync.plan.model import Action

POLLS_PER_JOB = 3  # a small job is seen done at its 2nd or 3rd poll (JobPolling: 0.2 s, then 0.32 s, ...)
ASYNC_BATCH = 4 + POLLS_PER_JOB  # generate file, upload, import, polls, download the result
_CONFIG_CALLS = {
    StepKind.CREATE_DATASET: 1,
    StepKind.UPDATE_DATASET: 1,
    StepKind.REMOVE_PROPERTIES: 2,
    StepKind.RUN_ONDEMAND: 1 + POLLS_PER_JOB,
    StepKind.POPULATE_LINKS: 1 + POLLS_PER_JOB,
}
_ACTION_OVERHEAD = 24  # `{"_action":"update",` and the commas of one action


@dataclass(frozen=True)
class RequestEstimate:
    """Requests an apply of these steps will make: total, and how many item batches go sync / async."""

    requests: int
    sync_batches: int
    async_batches: int

    def line(self, already: int = 0) -> str:
        """`Requests: apply will make about 12 (...)`, with the reads already made when `already`."""
        made = f"{already:,} made to read the tenant; " if already else ""
        batches = (
            f": {self.sync_batches} sync item request(s), {self.async_batches} async import(s)"
            if self.sync_batches or self.async_batches
            else ""
        )
        return (
            f"Requests: {made}apply will make about {self.requests:,}{batches} "
            f"(Orgvue allows {DAILY_QUOTA:,} a day per tenant)."
        )


def estimate_requests(steps: list[Step], limits: BatchLimits | None = None) -> RequestEstimate:
    """The requests the executor will send for `steps` (retries not counted)."""
    limits = limits or BatchLimits()
    total = sync = asynchronous = 0
    checked: set[str] = set()
    for step in steps:
        res = step.resource
        if res.fingerprint is not None and res.action != Action.CREATE and res.address not in checked:
            checked.add(res.address)
            total += 1  # the fingerprint re-check before the first write
        if step.writes_items:
            s, a = _batches(step, limits)
            sync, asynchronous = sync + s, asynchronous + a
            total += s + a * ASYNC_BATCH
        else:
            total += _CONFIG_CALLS.get(step.kind, 1)
    return RequestEstimate(total, sync, asynchronous)


def _batches(step: Step, limits: BatchLimits) -> tuple[int, int]:
    """(sync, async) batches of one item step, by count and by guessed bytes, as batching.py would cut them."""
    count = step.item_count
    if not count:
        return 0, 0
    mode = choose_mode(count, limits)
    props = len(step.resource.items.columns) + len(step.resource.items.key) if step.resource.items else 0
    if mode == BatchMode.SYNC:
        max_actions, max_bytes = limits.sync_max_actions, limits.sync_max_bytes
    else:
        max_actions, max_bytes = limits.async_max_actions, limits.async_max_bytes
    if step.is_links:
        max_actions = min(max_actions, links_max_actions(props))
    batches = max(math.ceil(count / max_actions), math.ceil(_bytes(step) / max_bytes), 1)
    return (batches, 0) if mode == BatchMode.SYNC else (0, batches)


def _bytes(step: Step) -> int:
    """A guess at the JSON size of the step's actions: the frames' size plus the names each action repeats."""
    size = 0
    for wave in step.waves:
        for rows in (wave.creates, wave.updates, wave.deletes):
            if rows is not None and rows.height:
                names = sum(len(c) + 6 for c in rows.columns)
                size += rows.estimated_size() + rows.height * (names + _ACTION_OVERHEAD)
    return size


def clamp_parallelism(parallelism: int) -> tuple[int, str | None]:
    """`--parallelism` as used (at most the tenant's 50 in flight) and the notice to print when it was lowered."""
    if parallelism <= MAX_IN_FLIGHT:
        return parallelism, None
    return MAX_IN_FLIGHT, (
        f"--parallelism {parallelism} lowered to {MAX_IN_FLIGHT}: Orgvue allows at most "
        f"{MAX_IN_FLIGHT} requests in flight per tenant."
    )


def clamp_rps_notice(max_rps: float | None) -> str | None:
    """The notice to print when `--max-rps` is above the tenant's 100 requests a second (it is lowered)."""
    if max_rps is None or max_rps <= MAX_RPS:
        return None
    return f"--max-rps {max_rps:g} lowered to {MAX_RPS}: Orgvue allows at most {MAX_RPS} requests a second per tenant."
