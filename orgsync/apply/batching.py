"""Split a step's encoded actions into synchronous PUT batches or asynchronous import files.

Pure: sizes in, index ranges out. The rules and why:

- A step with at most `SYNC_MAX_ACTIONS` actions goes through the synchronous PUT (one round trip, no
  job to poll); larger ones through the asynchronous import (temporary file, gzip upload, job, result),
  whose fixed cost of ~5 requests plus polling is repaid by gzip (item JSON compresses ~8-10x) and by
  not holding a request open for minutes. The threshold was measured with `benchmarks/bench_apply.py
  --threshold` against the emulator: see `SYNC_MAX_ACTIONS` below for the figures.
- A synchronous batch also stays under `SYNC_MAX_BYTES`, so no request body meets a gateway limit.
- An import file stays under the documented guidance: 200 MB of uncompressed JSON (we keep a margin),
  and for links at most 25,000 actions for up to 100 properties, proportionally fewer for more.
- Dataset import files hold at most `ASYNC_MAX_ACTIONS`: a failed job then redoes at most that much,
  and memory stays bounded while a million-row first load is encoded file by file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Measured (benchmarks/bench_apply.py --threshold, emulator in-process, 2 cores): sync PUT and async
# import cost the same at ~2,000 actions of 10 properties; below, the import's extra round trips
# dominate, above, the sync body (uncompressed) does. See docs in the module docstring.
SYNC_MAX_ACTIONS = 2_000
SYNC_MAX_BYTES = 4 * 1024 * 1024
ASYNC_MAX_BYTES = 180 * 1000 * 1000  # documented guidance: 200 MB uncompressed JSON
ASYNC_MAX_ACTIONS = 100_000
LINKS_MAX_ACTIONS = 25_000  # documented, for up to LINKS_PROPERTY_BASE properties
LINKS_PROPERTY_BASE = 100


class Mode(StrEnum):
    SYNC = "sync"
    ASYNC = "async"


@dataclass(frozen=True)
class Batch:
    """Actions `start:stop` of a step, sent as one request (sync) or one import file (async)."""

    mode: Mode
    start: int
    stop: int
    bytes: int  # JSON array size, uncompressed

    @property
    def count(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class Limits:
    """The thresholds; tests and the benchmark pass their own."""

    sync_max_actions: int = SYNC_MAX_ACTIONS
    sync_max_bytes: int = SYNC_MAX_BYTES
    async_max_bytes: int = ASYNC_MAX_BYTES
    async_max_actions: int = ASYNC_MAX_ACTIONS


def links_max_actions(property_count: int) -> int:
    """Documented links batch size: 25,000 actions for ≤ 100 properties, proportionally fewer for more."""
    if property_count <= LINKS_PROPERTY_BASE:
        return LINKS_MAX_ACTIONS
    return max(1, LINKS_MAX_ACTIONS * LINKS_PROPERTY_BASE // property_count)


def choose_mode(count: int, limits: Limits = Limits()) -> Mode:
    """Sync PUT for small changes, async import for large ones."""
    return Mode.SYNC if count <= limits.sync_max_actions else Mode.ASYNC


def make_batches(sizes: Sequence[int], *, links: bool = False, property_count: int = 0,
                 limits: Limits = Limits()) -> list[Batch]:
    """Consecutive batches covering every action once, in order, each within the limits of its mode."""
    mode = choose_mode(len(sizes), limits)
    if mode == Mode.SYNC:
        max_actions, max_bytes = limits.sync_max_actions, limits.sync_max_bytes
    else:
        max_actions, max_bytes = limits.async_max_actions, limits.async_max_bytes
    if links:
        max_actions = min(max_actions, links_max_actions(property_count))
    return _split(sizes, mode, max_actions, max_bytes)


def _split(sizes: Sequence[int], mode: Mode, max_actions: int, max_bytes: int) -> list[Batch]:
    """Greedy split; a JSON array of n actions is 2 + sum(sizes) + (n - 1) bytes."""
    batches: list[Batch] = []
    start, total = 0, 2
    for i, size in enumerate(sizes):
        extra = size + (1 if i > start else 0)
        if i > start and (i - start >= max_actions or total + extra > max_bytes):
            batches.append(Batch(mode, start, i, total))
            start, total, extra = i, 2, size
        total += extra
    if len(sizes) > start:
        batches.append(Batch(mode, start, len(sizes), total))
    return batches


def join(bodies: Sequence[str], batch: Batch) -> bytes:
    """The JSON array body of one batch, UTF-8."""
    return ("[" + ",".join(bodies[batch.start:batch.stop]) + "]").encode()
