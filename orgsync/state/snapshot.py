"""The live snapshot: what the tenant holds now, read once per plan, as plain values.

`state.reader` fills these from the API client; `plan` compares them with the manifests and sources.
Item values are in the canonical form of `orgsync.sources.canonical` (polars Utf8, null = empty), so
that both sides of the diff are normalised by the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Fingerprint:
    """What a saved plan checks before writing: any change to either means the plan is stale."""

    dataset_id: str
    cache_key: str | None
    last_transaction_id: str | None


@dataclass
class LiveDataset:
    """One dataset or links dataset as GET /datasets/{id} returns it (`resource` is the raw JSON)."""

    dataset_id: str
    name: str
    type: str
    resource: dict[str, Any] = field(repr=False)
    # a links dataset's (from, to) dataset ids as the tenant reports them (state.link_ends); None where silent
    ends: tuple[str | None, str | None] = (None, None)

    @property
    def is_links(self) -> bool:
        return self.type == "LINKS"

    @property
    def properties(self) -> list[dict[str, Any]]:
        return list(self.resource.get("properties") or [])

    @property
    def fingerprint(self) -> Fingerprint:
        items = self.resource.get("items") or {}
        return Fingerprint(self.dataset_id, self.resource.get("cacheKey"), items.get("lastTransactionId"))

    @property
    def drafts(self) -> list[dict[str, Any]]:
        return list(self.resource.get("drafts") or [])


ROW_HASH = "__row_hash"  # per live item: `row_hashes` of its owned columns
LIVE_ROW = "__live_row"  # per live item: its row in `LiveValues` (the export's order)


def row_hashes(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """A 64-bit hash per row of `columns` (canonical Utf8): equal rows hash equal, whichever frame or batch
    they come from, so the live side (hashed while its export is read) and the source can be compared by it."""
    return frame.select(columns).hash_rows(seed=0).alias(ROW_HASH)


class LiveValues:
    """The owned columns of a dataset's live items, canonical Utf8, one row per exported item (`LIVE_ROW`).

    A big dataset's values stay in Arrow IPC files of the plan's spool directory, not in memory: a diff finds
    the changed rows by their hashes and reads only those (`take`). The files live as long as the plan's
    spool (`commands.plan.plan_with`); small ones (and tests) are held in memory (`in_memory`).
    """

    def __init__(self, lazy: pl.LazyFrame, columns: Sequence[str], height: int) -> None:
        self._lazy = lazy
        self.columns = tuple(columns)
        self.height = height

    @classmethod
    def in_memory(cls, frame: pl.DataFrame) -> LiveValues:
        return cls(frame.lazy(), frame.columns, frame.height)

    @classmethod
    def spooled(cls, parts: Sequence[Path], columns: Sequence[str], height: int) -> LiveValues:
        if not parts:
            return cls.in_memory(pl.DataFrame(schema={c: pl.Utf8 for c in columns}))
        return cls(pl.scan_ipc(list(parts)), columns, height)

    def take(self, rows: pl.Series, columns: Sequence[str]) -> pl.DataFrame:
        """The `columns` of the given rows (distinct `LIVE_ROW` numbers), in the order given; streamed, so only
        the rows taken are ever held."""
        wanted = pl.DataFrame({LIVE_ROW: rows.cast(pl.UInt32)}).with_row_index("__order")
        if not wanted.height:
            return pl.DataFrame(schema={c: pl.Utf8 for c in columns})
        found = (self._lazy.select(list(columns)).with_row_index(LIVE_ROW)
                 .filter(pl.col(LIVE_ROW).is_in(wanted[LIVE_ROW].implode()))
                 .collect(engine="streaming"))
        return wanted.join(found, on=LIVE_ROW, how="left").sort("__order").select(list(columns))

    def whole(self, columns: Sequence[str]) -> pl.DataFrame:
        """Whole columns (every row): for the few cases a diff needs them all, e.g. a retyped property."""
        return self._lazy.select(list(columns)).collect(engine="streaming")


@dataclass
class LiveItems:
    """A dataset's live items: an index in memory, and their values (canonical Utf8) kept aside.

    `index` has the key columns, `ROW_HASH` (of the `hashed` columns, in that order) and `LIVE_ROW`, one row per
    item with a key; `values` holds, for every exported item, the owned columns (`hashed`) and the other columns
    read: for a dataset with a hierarchy its treeId and treeParentId (so deletes can be ordered children first),
    and `_id`. `unmatched` counts live items whose key is empty (neither compared nor deleted, but reported).
    """

    dataset_id: str
    key: tuple[str, ...]
    index: pl.DataFrame
    values: LiveValues
    hashed: tuple[str, ...]
    unmatched: int = 0

    @classmethod
    def of_frame(cls, dataset_id: str, frame: pl.DataFrame, key: Sequence[str] = (),
                 owned: Sequence[str] | None = None, unmatched: int = 0) -> LiveItems:
        """Live items given as one frame (key, owned and any other columns), e.g. in tests: the index keeps every
        column, the values (`owned`, by default every column but `_id`) are in memory."""
        owned = [c for c in (frame.columns if owned is None else owned) if c not in key and c != "_id"]
        missing = [pl.lit(None, pl.Utf8).alias(c) for c in [*key, *owned] if c not in frame.columns]
        frame = frame.with_columns(missing) if missing else frame
        hashes = row_hashes(frame, owned) if owned else pl.repeat(None, frame.height, dtype=pl.UInt64, eager=True)
        index = frame.with_columns(hashes.alias(ROW_HASH)).with_row_index(LIVE_ROW)
        return cls(dataset_id, tuple(key), index, LiveValues.in_memory(frame.select(owned)), tuple(owned), unmatched)

    def to_frame(self) -> pl.DataFrame:
        """Key, owned values, then the other columns read (tree, `_id`), one row per item with a key, as one
        frame: for small datasets and tests, as it holds everything in memory."""
        values = self.values.take(self.index[LIVE_ROW], self.values.columns)
        rest = [c for c in self.index.columns if c not in (ROW_HASH, LIVE_ROW) and c not in self.key
                and c not in values.columns]
        order = [*self.hashed, *(c for c in values.columns if c not in self.hashed)]
        return pl.concat([self.index.select(self.key), values.select(order), self.index.select(rest)],
                         how="horizontal")


@dataclass
class LiveState:
    """The tenant as read for one plan."""

    target: str  # "local" or the endpoint URL, shown first in every output
    tenant: str
    datasets: list[LiveDataset]  # every dataset in the tenant (summary listing, full resource for the ones read)
    items: dict[str, LiveItems] = field(default_factory=dict)  # by dataset_id, only for datasets with items managed

    def find(self, name: str, dataset_id: str | None = None) -> list[LiveDataset]:
        """Datasets with this name (or the one pinned by id)."""
        if dataset_id:
            return [d for d in self.datasets if d.dataset_id == dataset_id]
        return [d for d in self.datasets if d.name == name]
