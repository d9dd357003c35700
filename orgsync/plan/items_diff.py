"""Row-level diff of a source table against the live items: one columnar hash join on the key (polars).

Both sides arrive in canonical Utf8 form, so values are compared exactly as they are. Only the owned
columns (those the source carries) are compared: a property kept by hand in Orgvue is never reverted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from orgsync.manifest.models import ItemsMode
from orgsync.plan.model import RETYPED, ItemChanges

BEFORE = ItemChanges.BEFORE_SUFFIX
LIVE_ID = "_id"


@dataclass(frozen=True)
class LiveSide:
    """The live items prepared for the join, and what could not take part in it."""

    frame: pl.DataFrame
    unmatched: int  # live items without a key value
    duplicates: int  # live items whose key another live item already has (the first one is compared)


def prepare_live(live: pl.DataFrame | None, key: Sequence[str], columns: Sequence[str], *,
                 unmatched_before: int = 0) -> LiveSide:
    """Live items with every key and owned column present as Utf8; rows without a key are set aside.

    `unmatched_before` counts keyless items the reader already left out of `live`.
    """
    if live is None:
        empty = pl.DataFrame(schema={c: pl.Utf8 for c in [*key, *columns]})
        return LiveSide(empty, unmatched_before, 0)
    missing = [pl.lit(None, dtype=pl.Utf8).alias(c) for c in [*key, *columns] if c not in live.columns]
    frame = live.with_columns(missing) if missing else live
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    unmatched = frame.height - frame.select(keyed.sum()).item()
    if unmatched:
        frame = frame.filter(keyed)
    keys = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
    duplicates = 0
    if frame.height and frame.select(keys.n_unique()).item() < frame.height:
        deduped = frame.unique(subset=list(key), keep="first", maintain_order=True)
        duplicates = frame.height - deduped.height
        frame = deduped
    return LiveSide(frame, unmatched + unmatched_before, duplicates)


def mark_retyped(live: LiveSide, columns: Sequence[str]) -> LiveSide:
    """Live values of columns whose type the plan changes, replaced by the RETYPED marker.

    How the service converts stored values to a new type is its own (a number 1 may become the text
    "1.0"), so no live value is trusted: every item holding one is rewritten with the source value, and the
    next plan after apply is empty whatever the conversion did.
    """
    if not columns:
        return live
    marked = [pl.when(pl.col(c).is_not_null()).then(pl.lit(RETYPED)).alias(c) for c in columns]
    return LiveSide(live.frame.with_columns(marked), live.unmatched, live.duplicates)


def diff_items(source: pl.DataFrame, live: LiveSide, *, key: Sequence[str], columns: Sequence[str],
               mode: ItemsMode, sensitive: frozenset[str] = frozenset(),
               delete_extra: Sequence[str] = ()) -> ItemChanges:
    """Creates, updates and deletes that bring the live items to the source, as `mode` allows.

    `insert` plans creates only, `update` updates only, `upsert` both, `mirror` also deletes live items
    absent from the source. `delete_extra` names live columns kept beside the key in `deletes` (`_id`,
    the tree parent) so apply can address and order them.
    """
    key, columns = list(key), list(columns)
    src = source.select([*key, *columns])
    pairs = _pairs(src, live.frame, key, columns)
    if mode != "update":
        created = src.filter(~_taken(src.height, pairs[_SRC_ROW]))
    else:
        created = pl.DataFrame(schema={c: pl.Utf8 for c in [*key, *columns]})
    extra = [c for c in dict.fromkeys(delete_extra) if c in live.frame.columns and c not in key]
    if mode == "mirror":
        deleted = live.frame.filter(~_taken(live.frame.height, pairs[_LIVE_ROW])).select([*key, *extra])
    else:
        deleted = pl.DataFrame(schema={c: pl.Utf8 for c in key})
    updated = _updates(src, live.frame, pairs, key, columns) if mode != "insert" else _empty_updates(key, columns)
    base = live.frame.height + live.unmatched + live.duplicates
    return ItemChanges(key=key, columns=columns, sensitive=frozenset(sensitive), creates=created,
                       updates=updated, deletes=deleted, existing=base)


def _pairs(src: pl.DataFrame, live: pl.DataFrame, key: list[str], columns: list[str]) -> pl.DataFrame:
    """One row per key on both sides, in source order: its row on each side and a hash of each side's owned
    columns (when there are any). The one join on the key that creates, updates and deletes all come from.
    """
    def side(frame: pl.DataFrame, row: str) -> pl.DataFrame:
        out = frame.select(key).with_row_index(row)
        return out.with_columns(frame.select(columns).hash_rows().alias(_HASH)) if columns and frame.height else out

    left, right = side(src, _SRC_ROW), side(live, _LIVE_ROW)
    if _HASH in left.columns and _HASH not in right.columns:
        right = right.with_columns(pl.lit(None, pl.UInt64).alias(_HASH))
    return left.join(right, on=key, how="inner", suffix=BEFORE, maintain_order="left")


def _taken(height: int, rows: pl.Series) -> pl.Series:
    """A mask of `height` rows, true at `rows`."""
    mask = pl.repeat(False, height, dtype=pl.Boolean, eager=True)
    return mask.scatter(rows, True) if rows.len() else mask


def _updates(src: pl.DataFrame, live: pl.DataFrame, pairs: pl.DataFrame, key: list[str],
             columns: list[str]) -> pl.DataFrame:
    """Rows of both sides whose owned columns differ (null-safe), as key + (after, before) pairs.

    The row hashes find the candidate rows without gathering every cell of a million rows; the candidates
    are then compared cell by cell, so a reported change is always real.
    """
    if not columns or not pairs.height:
        return _empty_updates(key, columns)
    candidates = pairs.filter(pl.col(_HASH) != pl.col(_HASH + BEFORE))
    after = src.select([*key, *columns])[candidates[_SRC_ROW]]
    before = live.select([pl.col(c).alias(c + BEFORE) for c in columns])[candidates[_LIVE_ROW]]
    joined = pl.concat([after, before], how="horizontal")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(c + BEFORE)) for c in columns])
    return joined.filter(differs).select(update_columns(key, columns))


_HASH = "__row_hash"
_SRC_ROW = "__source_row"
_LIVE_ROW = "__live_row"


def update_columns(key: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Column order of an `updates` frame: the key, then each owned column followed by its before value."""
    return [*key, *(name for c in columns for name in (c, c + BEFORE))]


def _empty_updates(key: list[str], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Utf8 for c in update_columns(key, columns)})


def overwriting_updates(items: ItemChanges) -> int:
    """Update rows that change at least one cell already holding a value (not only filling empty ones)."""
    if not items.updates.height or not items.columns:
        return 0
    overwrites = [pl.col(c).ne_missing(pl.col(c + BEFORE)) & pl.col(c + BEFORE).is_not_null() for c in items.columns]
    return int(items.updates.select(pl.any_horizontal(overwrites).sum()).item())
