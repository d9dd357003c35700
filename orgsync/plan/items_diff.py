"""Row-level diff of a source table against the live items: one columnar hash join on the key (polars).

Both sides arrive in canonical Utf8 form, so values are compared exactly as they are. Only the owned
columns (those the source carries) are compared: a property kept by hand in Orgvue is never reverted.
The live side is an index (key, `_id`, tree columns, a hash of the owned values) with the values kept aside
(`state.snapshot.LiveValues`): rows whose hashes differ are the candidates, and only their live values are
read, then compared cell by cell, so a reported change is always real.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from orgsync.manifest.models import ItemsMode
from orgsync.plan.model import RETYPED, ItemChanges
from orgsync.state.snapshot import LIVE_ROW, ROW_HASH, LiveItems, LiveValues, row_hashes

BEFORE = ItemChanges.BEFORE_SUFFIX
LIVE_ID = "_id"
_FORCED = "__forced"  # a live row rewritten whatever its hash says (it holds a value of a retyped column)


@dataclass(frozen=True)
class LiveSide:
    """The live items prepared for the join, and what could not take part in it.

    `index` has the key, the other index columns, `ROW_HASH` over `columns` and `LIVE_ROW` (where `values`
    holds the row); `retyped` columns have their live values shown as RETYPED, and rows holding one are forced.
    """

    index: pl.DataFrame
    values: LiveValues
    columns: tuple[str, ...]
    unmatched: int  # live items without a key value
    duplicates: int  # live items whose key another live item already has (the first one is compared)
    retyped: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        return self.index.height


def prepare_live(
    live: LiveItems | None, key: Sequence[str], columns: Sequence[str], *, unmatched_before: int = 0
) -> LiveSide:
    """The live index with every key column present and hashed over `columns`; rows without a key, and all but
    the first of a repeated key, are set aside.

    `unmatched_before` counts keyless items the reader already left out of `live`. When `live` was hashed over
    other columns than `columns` the hashes are computed again from its values (reading them whole).
    """
    key, columns = list(key), list(columns)
    if live is None:
        empty = pl.DataFrame(schema={**{c: pl.Utf8 for c in key}, ROW_HASH: pl.UInt64, LIVE_ROW: pl.UInt32})
        values = LiveValues.in_memory(pl.DataFrame(schema={c: pl.Utf8 for c in columns}))
        return LiveSide(empty, values, tuple(columns), unmatched_before, 0)
    index, values = live.index, live.values
    missing = [pl.lit(None, dtype=pl.Utf8).alias(c) for c in key if c not in index.columns]
    index = index.with_columns(missing) if missing else index
    if tuple(columns) != live.hashed:
        values, hashes = _rehashed(values, index, columns)
        index = index.with_columns(hashes)
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    unmatched = index.height - index.select(keyed.sum()).item()
    if unmatched:
        index = index.filter(keyed)
    keys = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
    duplicates = 0
    # distinct 64-bit hashes prove the keys distinct (a set of integers, not of a million texts); a repeated
    # hash (a duplicate, or a collision) goes on to the exact count
    distinct = not index.height or row_hashes(index, key).n_unique() == index.height
    if not distinct and index.select(keys.n_unique()).item() < index.height:
        deduped = index.unique(subset=key, keep="first", maintain_order=True)
        duplicates = index.height - deduped.height
        index = deduped
    return LiveSide(index, values, tuple(columns), unmatched + live.unmatched + unmatched_before, duplicates)


def _rehashed(values: LiveValues, index: pl.DataFrame, columns: list[str]) -> tuple[LiveValues, pl.Series]:
    """For live items hashed over other columns than `columns` (items built by hand, as in tests): the index rows'
    values with every one of `columns` (from the values, else the index, else null), in memory, and their hash
    per index row."""
    rows = index[LIVE_ROW]
    have = values.gather(rows, values.columns)
    extra = [
        index[c] if c in index.columns else pl.repeat(None, index.height, dtype=pl.Utf8, eager=True).alias(c)
        for c in columns
        if c not in have.columns
    ]
    frame = (
        pl.concat([f for f in (have, pl.DataFrame(extra)) if f.width], how="horizontal") if extra else have
    )
    held = frame.with_columns(rows) if frame.width else pl.DataFrame({LIVE_ROW: rows})
    return LiveValues.only(held, frame.columns, values.height), row_hashes(held, columns)


def mark_retyped(live: LiveSide, columns: Sequence[str]) -> LiveSide:
    """Live values of columns whose type the plan changes, shown as the RETYPED marker.

    How the service converts stored values to a new type is its own (a number 1 may become the text
    "1.0"), so no live value is trusted: every item holding one is rewritten with the source value, and the
    next plan after apply is empty whatever the conversion did.
    """
    if not columns:
        return live
    held = live.values.whole(list(columns)).select(
        pl.any_horizontal(pl.col(c).is_not_null() for c in columns)
    )
    forced = held.to_series().gather(live.index[LIVE_ROW]).alias(_FORCED)
    return LiveSide(
        live.index.with_columns(forced),
        live.values,
        live.columns,
        live.unmatched,
        live.duplicates,
        tuple(columns),
    )


def diff_items(
    source: pl.DataFrame,
    live: LiveSide,
    *,
    key: Sequence[str],
    columns: Sequence[str],
    mode: ItemsMode,
    sensitive: frozenset[str] = frozenset(),
    delete_extra: Sequence[str] = (),
    source_hashes: pl.Series | None = None,
) -> ItemChanges:
    """Creates, updates and deletes that bring the live items to the source, as `mode` allows.

    `insert` plans creates only, `update` updates only, `upsert` both, `mirror` also deletes live items
    absent from the source. `delete_extra` names live index columns kept beside the key in `deletes` (`_id`,
    the tree parent) so apply can address and order them. `source_hashes`, when given, are
    `row_hashes(source, columns)` computed already (the live read needed them): not computed again.
    """
    key, columns = list(key), list(columns)
    if tuple(columns) != live.columns:
        raise ValueError(f"the live side is hashed over {list(live.columns)}, not {columns}")
    src = source.select([*key, *columns])
    if source_hashes is None or source_hashes.len() != src.height:
        source_hashes = row_hashes(src, columns)
    pairs = _pairs(src, live, key, source_hashes)
    if mode != "update" and not pairs.height:  # nothing live matches (a first load): every row, not a copy
        created = src
    elif mode != "update":
        created = src.filter(~_taken(src.height, pairs[_SRC_ROW]))
    else:
        created = pl.DataFrame(schema={c: pl.Utf8 for c in [*key, *columns]})
    if mode == "mirror":
        deleted = _deletes(live, pairs, key, delete_extra)
    else:
        deleted = pl.DataFrame(schema={c: pl.Utf8 for c in key})
    updated = _updates(src, live, pairs, key, columns) if mode != "insert" else _empty_updates(key, columns)
    base = live.height + live.unmatched + live.duplicates
    return ItemChanges(
        key=key,
        columns=columns,
        sensitive=frozenset(sensitive),
        creates=created,
        updates=updated,
        deletes=deleted,
        existing=base,
    )


def _deletes(
    live: LiveSide, pairs: pl.DataFrame, key: list[str], delete_extra: Sequence[str]
) -> pl.DataFrame:
    """Live items whose key the source lacks: the key, then each of `delete_extra` the live side has (from the
    index, else read from the values for these rows only), in live order."""
    kept = pl.DataFrame({LIVE_ROW: pairs[LIVE_ROW]})
    gone = live.index.join(kept, on=LIVE_ROW, how="anti", maintain_order="left")
    extra = [
        c
        for c in dict.fromkeys(delete_extra)
        if c not in key and (c in live.index.columns or c in live.values.columns)
    ]
    aside = [c for c in extra if c not in live.index.columns]
    indexed = gone.select([*key, *(c for c in extra if c in live.index.columns)])
    if not aside:
        return indexed.select([*key, *extra])
    taken = live.values.gather(gone[LIVE_ROW], aside)
    return pl.concat([indexed, taken], how="horizontal").select([*key, *extra])


def _pairs(src: pl.DataFrame, live: LiveSide, key: list[str], hashes: pl.Series) -> pl.DataFrame:
    """One row per key on both sides, in no particular order: its source row (`_SRC_ROW`), its live row
    (`LIVE_ROW`) and each side's hash of the owned columns. The one join on the key that creates, updates and
    deletes all come from; none of them needs the pairs in order (the few update candidates are sorted back
    to source order), and the key itself is not kept: a million rows are neither sorted nor copied again.

    The join is on the keys' 64-bit hashes (integers: a fraction of a join on text, in time and memory), and
    every pair it makes is then checked on the key text itself; equal keys always hash equal, so no pair is
    missed, and a pair two different keys made by sharing a hash sends the whole join back to the text.
    """
    forced = [_FORCED] if _FORCED in live.index.columns else []
    columns = [_SRC_ROW, ROW_HASH, ROW_HASH + BEFORE, LIVE_ROW, *forced]
    left = pl.DataFrame(
        {
            _SRC_ROW: pl.int_range(0, src.height, eager=True, dtype=pl.UInt32),
            _KEY_HASH: row_hashes(src, key),
            ROW_HASH: hashes,
        }
    )
    right = live.index.select(ROW_HASH, LIVE_ROW, *forced).with_columns(
        row_hashes(live.index, key).alias(_KEY_HASH),
        pl.int_range(0, live.index.height, dtype=pl.UInt32).alias(_AT),
    )
    joined = left.lazy().join(right.lazy(), on=_KEY_HASH, how="inner", suffix=BEFORE)
    pairs = joined.select(*columns, _AT).collect()
    same = pl.all_horizontal(
        src[k].gather(pairs[_SRC_ROW]).eq_missing(live.index[k].gather(pairs[_AT])) for k in key
    )
    if pairs.select(same.all()).item():
        return pairs.drop(_AT)
    left = src.select(key).with_row_index(_SRC_ROW).with_columns(hashes.alias(ROW_HASH))
    right = live.index.select([*key, ROW_HASH, LIVE_ROW, *forced])
    joined = left.lazy().join(right.lazy(), on=key, how="inner", suffix=BEFORE)
    return joined.select(*columns).collect()


_KEY_HASH, _AT = "__key_hash", "__live_at"  # a row's key hash; a live row's place in the index


def _taken(height: int, rows: pl.Series) -> pl.Series:
    """A mask of `height` rows, true at `rows`."""
    mask = pl.repeat(False, height, dtype=pl.Boolean, eager=True)
    return mask.scatter(rows, True) if rows.len() else mask


def _updates(
    src: pl.DataFrame, live: LiveSide, pairs: pl.DataFrame, key: list[str], columns: list[str]
) -> pl.DataFrame:
    """Rows of both sides whose owned columns differ (null-safe), as key + (after, before) pairs.

    The row hashes find the candidate rows without reading every live value of a million rows; the
    candidates' live values are then read and compared cell by cell, so a reported change is always real.
    """
    if not columns or not pairs.height:
        return _empty_updates(key, columns)
    differs_by_hash = pl.col(ROW_HASH).ne_missing(pl.col(ROW_HASH + BEFORE))
    forced = pl.col(_FORCED) if _FORCED in pairs.columns else pl.lit(False)
    candidates = pairs.filter(differs_by_hash | forced).sort(_SRC_ROW)  # in source order
    after = src.select([*key, *columns])[candidates[_SRC_ROW]]
    after = after.with_columns(pl.col(columns).cast(pl.Utf8))  # a source's dictionary columns as text
    values = live.values.gather(candidates[LIVE_ROW], columns)
    marked = [
        pl.when(pl.col(c).is_not_null()).then(pl.lit(RETYPED)).otherwise(pl.col(c)).alias(c)
        for c in live.retyped
        if c in columns
    ]
    values = values.with_columns(marked) if marked else values
    before = values.select([pl.col(c).alias(c + BEFORE) for c in columns])
    joined = pl.concat([after, before], how="horizontal")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(c + BEFORE)) for c in columns])
    return joined.filter(differs).select(update_columns(key, columns))


_SRC_ROW = "__source_row"


def update_columns(key: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Column order of an `updates` frame: the key, then each owned column followed by its before value."""
    return [*key, *(name for c in columns for name in (c, c + BEFORE))]


def _empty_updates(key: list[str], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Utf8 for c in update_columns(key, columns)})


def overwriting_updates(items: ItemChanges) -> int:
    """Update rows that change at least one cell already holding a value (not only filling empty ones)."""
    if not items.updates.height or not items.columns:
        return 0
    overwrites = [
        pl.col(c).ne_missing(pl.col(c + BEFORE)) & pl.col(c + BEFORE).is_not_null() for c in items.columns
    ]
    return int(items.updates.select(pl.any_horizontal(overwrites).sum()).item())
