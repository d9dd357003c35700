"""The live snapshot: what the tenant holds now, read once per plan, as plain values.

`state.reader` fills these from the API client; `plan` compares them with the manifests and sources.
Item values are in the canonical form of `orgsync.sources.canonical` (polars Utf8, null = empty), so
that both sides of the diff are normalised by the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from orgsync.api.answers import Dataset, DatasetSummary
from orgsync.sources.dictionary import text_hash


@dataclass(frozen=True)
class Fingerprint:
    """What a saved plan checks before writing: any change to either means the plan is stale."""

    dataset_id: str
    cache_key: str | None
    last_transaction_id: str | None

    @classmethod
    def of(cls, dataset: DatasetSummary) -> Fingerprint:
        """The fingerprint of a dataset as the API answered it (a listed one, not retrieved, has none of it)."""
        if not isinstance(dataset, Dataset):
            return cls(dataset.datasetId, None, None)
        items = dataset.items
        return cls(
            dataset.datasetId, _text(dataset.cacheKey), _text(items.lastTransactionId if items else None)
        )


def _text(value: str | int | None) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


@dataclass
class LiveDataset:
    """One dataset or links dataset as GET /datasets/{id} (or, not retrieved, GET /datasets) answered it."""

    dataset_id: str
    name: str
    type: str
    resource: DatasetSummary = field(repr=False)
    # a links dataset's (from, to) dataset ids as the tenant reports them (state.live_link_ends); None where silent
    ends: tuple[str | None, str | None] = (None, None)

    @property
    def is_links(self) -> bool:
        return self.resource.is_links

    @property
    def fields(self) -> dict[str, Any]:
        """The resource as the API sent it, for the field-by-field configuration diff."""
        return self.resource.fields

    @property
    def properties(self) -> list[dict[str, Any]]:
        return list(self.fields.get("properties") or [])

    @property
    def fingerprint(self) -> Fingerprint:
        return Fingerprint.of(self.resource)

    @property
    def drafts(self) -> list[dict[str, Any]]:
        return list(self.resource.drafts or []) if isinstance(self.resource, Dataset) else []


ROW_HASH = "__row_hash"  # per live item: `row_hashes` of its owned columns
LIVE_ROW = "__live_row"  # per live item: its row in `LiveValues` (the export's order)


def row_hashes(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """A 64-bit hash per row of `columns` (canonical Utf8): equal rows hash equal, whichever frame or batch
    they come from, so the live side (hashed while its export is read) and the source can be compared by it.
    Without columns (a source that owns none) every hash is null, so every row is equal to every other."""
    if not columns:
        return pl.repeat(None, frame.height, dtype=pl.UInt64, eager=True).alias(ROW_HASH)
    # Column by column, folded (an odd multiplier, so each step keeps every bit of the hash so far): a
    # `DataFrame.hash_rows` first copies a frame of many chunks (as a source read from disk is) into one, a
    # third of a million rows' memory (issue 24); each column's hash reads its chunks where they are.
    hashed: pl.Series | None = None
    mappings: dict[pl.Categories, pl.Series] = {}
    for column in columns:
        values = text_hash(frame[column], mappings)  # of the text: a dictionary's own hash is of its codes
        hashed = values if hashed is None else (hashed * _FOLD) ^ values
    assert hashed is not None
    return hashed.alias(ROW_HASH)


_FOLD = 0x9E3779B97F4A7C15  # 2^64 / the golden ratio, odd: multiplying by it is a bijection of 64-bit words


def retyped_columns(dataset: LiveDataset | None, types: Mapping[str, str], owned: Sequence[str]) -> list[str]:
    """Owned columns whose property type the manifest changes (`types`, by key) from what `dataset` has: their live
    values are not comparable, so every item holding one is rewritten. The reader and the plan apply this one rule."""
    if dataset is None:
        return []
    live_types = {p.get("key"): p.get("type") for p in dataset.properties}
    return [c for c in owned if c in live_types and c in types and live_types[c] != types[c]]


class LiveValues:
    """The values of a dataset's live items kept aside from the index, canonical Utf8, one row per exported item
    (`LIVE_ROW` numbers them in export order), in consecutive parts.

    Usually only the rows a diff can ask for are kept (`only`): those whose owned values hash differently from the
    source's row of the same key, or whose key the source lacks, found while the export is read. When that cannot
    be known then (a property changes type, so every row holding a value is rewritten), every row is kept: a big
    dataset's parts are then Arrow IPC files of the plan's spool directory, not memory, and a diff reads only the
    parts holding the rows it asks for (`gather`). The files live as long as the plan's spool
    (`commands.pipeline.plan_with`); small datasets (and tests) keep their parts in memory.
    """

    def __init__(
        self, parts: Sequence[pl.DataFrame | Path], heights: Sequence[int], columns: Sequence[str]
    ) -> None:
        self._parts = tuple(parts)
        self._starts = [0]
        for height in heights:
            self._starts.append(self._starts[-1] + height)
        self.columns = tuple(columns)
        self.height = self._starts[-1]
        self._held: pl.DataFrame | None = None  # with `only`: LIVE_ROW + the columns of the rows kept

    @classmethod
    def in_memory(cls, frame: pl.DataFrame) -> LiveValues:
        return cls([frame], [frame.height], frame.columns)

    @classmethod
    def only(cls, held: pl.DataFrame, columns: Sequence[str], height: int) -> LiveValues:
        """Values of `height` rows of which only `held` (LIVE_ROW + `columns`) are kept; `gather` of another
        row is a LookupError, and `whole` too."""
        values = cls([], [], columns)
        values.height = height
        values._held = held.select([LIVE_ROW, *columns]).with_columns(pl.lit(True).alias("__held"))
        return values

    @property
    def complete(self) -> bool:
        """True when every row's values are kept (not only the changed rows')."""
        return self._held is None

    def _part(self, number: int, columns: Sequence[str]) -> pl.DataFrame:
        part = self._parts[number]
        if isinstance(part, Path):
            return pl.read_ipc(part, columns=list(columns))
        return part.select(list(columns))

    def gather(self, rows: pl.Series, columns: Sequence[str]) -> pl.DataFrame:
        """The `columns` of the given rows, in the order given; only the parts holding them are read."""
        columns = list(columns)
        rows = rows.cast(pl.Int64)
        if not columns:
            return pl.DataFrame()
        if not rows.len():
            return pl.DataFrame(schema={c: pl.Utf8 for c in columns})
        if self._held is not None:
            asked = pl.DataFrame({LIVE_ROW: rows.cast(pl.UInt32)}).with_row_index("__at")
            matched = asked.join(self._held, on=LIVE_ROW, how="left").sort("__at")
            if matched["__held"].null_count():
                missing = matched.filter(pl.col("__held").is_null())[LIVE_ROW].head(5).to_list()
                raise LookupError(f"live rows not kept: {missing}")
            return matched.select(columns)
        order = rows.arg_sort()
        ascending = rows.gather(order)
        starts = pl.Series(self._starts, dtype=pl.Int64)
        cuts = starts.search_sorted(ascending, side="right") - 1  # the part of each row
        found = []
        for number in cuts.unique(maintain_order=True):
            local = ascending.filter(cuts == number) - self._starts[number]
            found.append(self._part(number, columns).select(pl.all().gather(local)))
        taken = pl.concat(found).with_columns(
            pl.Series("__at", order)
        )  # taken row i is that of rows[order[i]]
        return taken.sort("__at").drop("__at")

    def whole(self, columns: Sequence[str]) -> pl.DataFrame:
        """Whole columns (every row): for the few cases a diff needs them all, e.g. a retyped property."""
        if self._held is not None:
            raise LookupError("only the changed rows' live values were kept")
        if not self._parts:
            return pl.DataFrame(schema={c: pl.Utf8 for c in columns})
        return pl.concat([self._part(n, columns) for n in range(len(self._parts))], rechunk=False)


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
    def of_frame(
        cls,
        dataset_id: str,
        frame: pl.DataFrame,
        key: Sequence[str] = (),
        owned: Sequence[str] | None = None,
        unmatched: int = 0,
    ) -> LiveItems:
        """Live items given as one frame (key, owned and any other columns), e.g. in tests: the index keeps every
        column, the values (`owned`, by default every column but `_id`) are in memory."""
        owned = [c for c in (frame.columns if owned is None else owned) if c not in key and c != "_id"]
        missing = [pl.lit(None, pl.Utf8).alias(c) for c in [*key, *owned] if c not in frame.columns]
        frame = frame.with_columns(missing) if missing else frame
        hashes = row_hashes(frame, owned)
        index = frame.with_columns(hashes.alias(ROW_HASH)).with_row_index(LIVE_ROW)
        return cls(
            dataset_id, tuple(key), index, LiveValues.in_memory(frame.select(owned)), tuple(owned), unmatched
        )

    def to_frame(self) -> pl.DataFrame:
        """Key, owned values, then the other columns read (tree, `_id`), one row per item with a key, as one
        frame: for small datasets and tests, as it holds everything in memory. Items read against their source
        keep only the changed rows' values (`LiveValues.complete` is false): then this is a LookupError."""
        values = self.values.gather(self.index[LIVE_ROW], self.values.columns)
        rest = [
            c
            for c in self.index.columns
            if c not in (ROW_HASH, LIVE_ROW) and c not in self.key and c not in values.columns
        ]
        order = [*self.hashed, *(c for c in values.columns if c not in self.hashed)]
        pieces = [self.index.select(self.key), values.select(order), self.index.select(rest)]
        return pl.concat([p for p in pieces if p.width], how="horizontal")


@dataclass
class LiveState:
    """The tenant as read for one plan."""

    target: str  # "local" or the endpoint URL, shown first in every output
    tenant: str
    datasets: list[
        LiveDataset
    ]  # every dataset in the tenant (summary listing, full resource for the ones read)
    items: dict[str, LiveItems] = field(
        default_factory=dict
    )  # by dataset_id, only for datasets with items managed

    def find(self, name: str, dataset_id: str | None = None) -> list[LiveDataset]:
        """Datasets with this name (or the one pinned by id)."""
        if dataset_id:
            return [d for d in self.datasets if d.dataset_id == dataset_id]
        return [d for d in self.datasets if d.name == name]
