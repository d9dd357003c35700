"""What an HR reviewer reads in a plan: moves, moved subtrees, spans of control, layers, orphans, property counts.

Pure and columnar (polars): the hierarchy before and after the plan is rebuilt from the source table, the live
keys and the plan's item frames; depths and each item's topmost moved ancestor come from pointer doubling
(log2(depth) gathers), so no Python runs per item. The result is a frozen `Review` the plan holds, so a saved
plan and `orgsync show` render the same review. Sensitive columns never enter it: a sensitive label is left
out, a sensitive tree column means no hierarchy review, and a sensitive property is only counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from orgsync.plan.model import ItemChanges
from orgsync.plan.review_values import (
    COUNT_COLUMNS,
    ID,
    LABEL,
    MOVE_COLUMNS,
    ORPHAN_COLUMNS,
    PARENT,
    ROLLUP_COLUMNS,
    SPAN_COLUMNS,
    Hierarchy,
    PropertyCount,
    Review,
)

BEFORE = ItemChanges.BEFORE_SUFFIX
_NONE = -1  # no moved ancestor


def property_counts(items: ItemChanges) -> tuple[PropertyCount, ...]:
    """Per owned property: overwrites, fills and clears among the updates (one pass over the frame)."""
    frame = items.updates
    if not frame.height or not items.columns:
        return ()
    exprs: list[pl.Expr] = []
    for c in items.columns:
        a, b = pl.col(c), pl.col(c + BEFORE)
        if c in items.sensitive:
            exprs += [a.ne_missing(b).sum().alias(f"{c}\x00changed")]
            continue
        exprs += [
            (a.ne_missing(b) & a.is_not_null() & b.is_not_null()).sum().alias(f"{c}\x00changed"),
            (a.is_not_null() & b.is_null()).sum().alias(f"{c}\x00filled"),
            (a.is_null() & b.is_not_null()).sum().alias(f"{c}\x00cleared"),
        ]
    sums = frame.select(exprs).row(0, named=True)
    counts = [
        PropertyCount(
            c,
            int(sums[f"{c}\x00changed"]),
            int(sums.get(f"{c}\x00filled") or 0),
            int(sums.get(f"{c}\x00cleared") or 0),
            c in items.sensitive,
        )
        for c in items.columns
    ]
    return tuple(p for p in counts if p.total)


def review_items(
    items: ItemChanges,
    source: pl.DataFrame,
    live_keys: pl.DataFrame,
    *,
    label: str | None,
    tree: tuple[str, str] | None,
) -> Review:
    """The review of `items` (planned from `source` against live items with `live_keys`).

    `tree` is (treeId, treeParentId) for a dataset with a hierarchy whose source carries both; `label` the
    labelId column. Live items the plan neither matches nor deletes (modes other than mirror) stay in both
    trees as roots of unknown place, so their children are not taken for orphans.
    """
    shown = label if label is not None and label not in items.sensitive and label in source.columns else None
    hierarchy = None
    if tree is not None and not set(tree) & items.sensitive and set(tree) <= set(source.columns):
        before, after = _trees(items, source, live_keys, tree, shown)
        hierarchy = hierarchy_of(before, after, tree)
    return Review(shown, property_counts(items), hierarchy)


def _trees(
    items: ItemChanges,
    source: pl.DataFrame,
    live_keys: pl.DataFrame,
    tree: tuple[str, str],
    label: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(id, parent, label) of every item before and after the plan."""
    key = list(items.key)
    tid, tparent = tree
    wanted = list(dict.fromkeys([*key, tid, tparent, *([label] if label else [])]))

    def pick(frame: pl.DataFrame, before: bool = False) -> pl.DataFrame:
        def col(c: str | None, alias: str) -> pl.Expr:
            if c is None:
                return pl.lit(None, pl.Utf8).alias(alias)
            name = c + BEFORE if before and c not in key else c
            return (pl.col(name) if name in frame.columns else pl.lit(None, pl.Utf8)).alias(alias)

        return frame.select(col(tid, ID), col(tparent, PARENT), col(label, LABEL))

    src = source.select(wanted)
    keys = live_keys.select(key) if set(key) <= set(live_keys.columns) else src.clear().select(key)
    unchanged = src.join(keys, on=key, how="semi").join(items.updates.select(key), on=key, how="anti")
    kept = pick(unchanged)
    extra: list[pl.DataFrame] = []
    if key == [tid] and keys.height:  # live items the plan leaves alone: known only by their key
        gone = items.deletes.select(key) if set(key) <= set(items.deletes.columns) else keys.clear()
        alone = keys.join(src.select(key), on=key, how="anti").join(gone, on=key, how="anti")
        if alone.height:
            extra.append(
                alone.select(pl.col(tid).alias(ID), pl.lit(None, pl.Utf8).alias(PARENT)).with_columns(
                    pl.lit(None, pl.Utf8).alias(LABEL)
                )
            )
    before = pl.concat([kept, pick(items.updates, before=True), pick(items.deletes), *extra])
    after = pl.concat([kept, pick(items.updates), pick(items.creates), *extra])
    return _unique(before), _unique(after)


def _unique(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.filter(pl.col(ID).is_not_null())
    if frame.select(pl.col(ID).n_unique()).item() < frame.height:
        frame = frame.unique(subset=[ID], keep="first", maintain_order=True)
    return frame


@dataclass(frozen=True)
class _Climb:
    """Per node of one tree: its depth (nodes from it to its root), its topmost marked ancestor (row number,
    itself included; _NONE when none) and whether it is in or below a cycle."""

    depth: pl.Series
    top: pl.Series
    cyclic: pl.Series


def climb(parent_row: pl.Series, marked: pl.Series) -> _Climb:
    """Pointer doubling over a forest given as each node's parent row (null for a root).

    Node `i`'s segment runs from `i` up to, not including, `jump[i]`; merging it with `jump[i]`'s segment
    doubles it, so ceil(log2(n)) + 1 rounds reach every root; a node that has not is in or below a cycle.
    """
    n = parent_row.len()
    sentinel = pl.Series([n], dtype=pl.Int64)
    jump = pl.concat([parent_row.cast(pl.Int64).fill_null(n), sentinel])
    depth = pl.concat([pl.repeat(1, n, dtype=pl.Int64, eager=True), pl.Series([0], dtype=pl.Int64)])
    rows = pl.int_range(0, n, dtype=pl.Int64, eager=True)
    top = pl.concat(
        [
            rows.zip_with(marked.fill_null(False), pl.repeat(_NONE, n, dtype=pl.Int64, eager=True)),
            pl.Series([_NONE], dtype=pl.Int64),
        ]
    )
    for _ in range(math.ceil(math.log2(n + 1)) + 2):
        if bool((jump == n).all()):
            break
        above = top.gather(jump)
        top = above.zip_with(above != _NONE, top)
        depth = depth + depth.gather(jump)
        jump = jump.gather(jump)
    cyclic = (jump != n).head(n)
    return _Climb(
        depth.head(n).zip_with(~cyclic, pl.repeat(0, n, dtype=pl.Int64, eager=True)), top.head(n), cyclic
    )


def _parent_rows(tree: pl.DataFrame) -> pl.Series:
    """Each node's parent as a row number of `tree` (null for a root or a parent not in the tree)."""
    rows = tree.select(pl.col(ID).alias(PARENT)).with_row_index("__p")
    found = tree.select(PARENT).join(rows, on=PARENT, how="left", maintain_order="left")
    return found["__p"].cast(pl.Int64)


def hierarchy_of(before: pl.DataFrame, after: pl.DataFrame, tree: tuple[str, str] = ("", "")) -> Hierarchy:
    """Moves, moved subtrees, spans, layers and orphans between two forests of (id, parent, label)."""
    was = before.select(pl.col(ID), pl.col(PARENT).alias("old_parent"), pl.lit(True).alias("__was"))
    now = after.join(was, on=ID, how="left", maintain_order="left")
    moved = now.select(
        pl.col("__was").fill_null(False) & pl.col(PARENT).ne_missing(pl.col("old_parent"))
    ).to_series()
    up = climb(_parent_rows(after), moved)
    before_up = climb(_parent_rows(before), pl.repeat(False, before.height, dtype=pl.Boolean, eager=True))
    ids = after[ID]
    top = up.top.zip_with(~up.cyclic, pl.repeat(_NONE, up.top.len(), dtype=pl.Int64, eager=True))
    rollup = ids.gather(top.zip_with(top != _NONE, pl.repeat(0, top.len(), dtype=pl.Int64, eager=True)))
    now = now.with_columns(
        moved.alias("__moved"),
        rollup.zip_with(top != _NONE, pl.repeat(None, top.len(), dtype=pl.Utf8, eager=True)).alias("rollup"),
    )
    labels = pl.concat([after.select(ID, LABEL), before.select(ID, LABEL)]).unique(ID, keep="first")
    old_labels = labels.rename({ID: "old_parent", LABEL: "old_parent_label"})
    new_labels = labels.rename({ID: "new_parent", LABEL: "new_parent_label"})
    moves = (
        now.filter(pl.col("__moved"))
        .rename({PARENT: "new_parent"})
        .join(old_labels, on="old_parent", how="left", maintain_order="left")
        .join(new_labels, on="new_parent", how="left", maintain_order="left")
        .select(MOVE_COLUMNS)
    )
    sizes = (
        now.filter(pl.col("rollup").is_not_null())
        .group_by("rollup")
        .agg(pl.len().cast(pl.Int64).alias("size"), pl.col("__moved").sum().cast(pl.Int64).alias("moved"))
    )
    rollups = (
        moves.filter(pl.col(ID) == pl.col("rollup"))
        .join(sizes, on="rollup", how="left", maintain_order="left")
        .select(ROLLUP_COLUMNS)
        .sort(["size", LABEL, ID], descending=[True, False, False], nulls_last=True)
    )
    return Hierarchy(
        tree_id=tree[0],
        tree_parent=tree[1],
        moves=moves,
        rollups=rollups,
        spans=_spans(before, after, labels),
        orphans=_orphans(after),
        layers_before=_largest(before_up.depth),
        layers_after=_largest(up.depth),
        orphans_before=_orphans(before).height,
        cycles=int(up.cyclic.sum()),
    )


def _largest(values: pl.Series) -> int:
    return int(values.fill_null(0).max() or 0) if values.len() else 0  # type: ignore[arg-type]


def _orphans(tree: pl.DataFrame) -> pl.DataFrame:
    return tree.filter(pl.col(PARENT).is_not_null() & ~pl.col(PARENT).is_in(tree[ID].implode())).select(
        ORPHAN_COLUMNS
    )


def _spans(before: pl.DataFrame, after: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Managers (items of either tree) who gain or lose a direct report, with the counts before and after."""
    pairs = before.select(ID, pl.col(PARENT).alias("was")).join(
        after.select(ID, pl.col(PARENT).alias("now")), on=ID, how="full", coalesce=True
    )
    changed = pairs.filter(pl.col("was").ne_missing(pl.col("now")))
    joined = changed.group_by("now").agg(pl.len().cast(pl.Int64).alias("joined")).rename({"now": ID})
    left = changed.group_by("was").agg(pl.len().cast(pl.Int64).alias("left")).rename({"was": ID})
    managers = (
        pl.concat([joined.select(ID), left.select(ID)])
        .filter(pl.col(ID).is_not_null())
        .unique()
        .filter(pl.col(ID).is_in(before[ID].implode()) | pl.col(ID).is_in(after[ID].implode()))
    )
    counts_before = before.group_by(PARENT).agg(pl.len().cast(pl.Int64).alias("before")).rename({PARENT: ID})
    counts_after = after.group_by(PARENT).agg(pl.len().cast(pl.Int64).alias("after")).rename({PARENT: ID})
    both = pl.col(ID).is_in(before[ID].implode()) & pl.col(ID).is_in(after[ID].implode())
    spans = (
        managers.join(labels, on=ID, how="left")
        .join(counts_before, on=ID, how="left")
        .join(counts_after, on=ID, how="left")
        .join(joined, on=ID, how="left")
        .join(left, on=ID, how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("before", "after", "joined", "left"))
        .with_columns(
            pl.when(both & (pl.col("before") == 0) & (pl.col("after") > 0))
            .then(pl.lit("becomes a manager"))
            .when(both & (pl.col("before") > 0) & (pl.col("after") == 0))
            .then(pl.lit("no longer a manager"))
            .otherwise(pl.lit(""))
            .alias("status")
        )
    )
    return spans.select(SPAN_COLUMNS).sort([LABEL, ID], nulls_last=True)


# --- lists for people: sorted by label, the first `limit` ------------------------------------------------


def first_by_label(
    frame: pl.DataFrame, label: str | None, key: Sequence[str], limit: int | None
) -> pl.DataFrame:
    """The first `limit` rows of `frame` in label order (then key), without sorting the whole frame."""
    order = [c for c in ([label] if label else []) + list(key) if c in frame.columns]
    if not order:
        return frame if limit is None else frame.head(limit)
    if limit is None or limit >= frame.height:
        return frame.sort(order, nulls_last=True)
    return frame.bottom_k(limit, by=order).sort(order, nulls_last=True)


# --- the saved form ------------------------------------------------------------------------------------


def to_document(review: Review) -> dict[str, Any]:
    """The review as JSON-ready columns (it holds no sensitive value)."""
    h = review.hierarchy
    return {
        "label": review.label,
        "properties": [
            {
                "key": p.key,
                "changed": p.changed,
                "filled": p.filled,
                "cleared": p.cleared,
                "sensitive": p.sensitive,
            }
            for p in review.properties
        ],
        "hierarchy": None
        if h is None
        else {
            "tree_id": h.tree_id,
            "tree_parent": h.tree_parent,
            "layers_before": h.layers_before,
            "layers_after": h.layers_after,
            "orphans_before": h.orphans_before,
            "cycles": h.cycles,
            **{
                name: getattr(h, name).to_dict(as_series=False)
                for name in ("moves", "rollups", "spans", "orphans")
            },
        },
    }


def from_document(body: dict[str, Any]) -> Review:
    """A `Review` from `to_document`'s form (ValueError/KeyError/TypeError when damaged)."""
    h = body.get("hierarchy")
    hierarchy = None
    if h is not None:
        frames = {
            name: _frame(h[name], columns)
            for name, columns in (
                ("moves", MOVE_COLUMNS),
                ("rollups", ROLLUP_COLUMNS),
                ("spans", SPAN_COLUMNS),
                ("orphans", ORPHAN_COLUMNS),
            )
        }
        hierarchy = Hierarchy(
            tree_id=str(h["tree_id"]),
            tree_parent=str(h["tree_parent"]),
            layers_before=int(h["layers_before"]),
            layers_after=int(h["layers_after"]),
            orphans_before=int(h["orphans_before"]),
            cycles=int(h["cycles"]),
            **frames,
        )
    return Review(
        label=None if body.get("label") is None else str(body["label"]),
        properties=tuple(
            PropertyCount(
                str(p["key"]), int(p["changed"]), int(p["filled"]), int(p["cleared"]), bool(p["sensitive"])
            )
            for p in body["properties"]
        ),
        hierarchy=hierarchy,
    )


def _frame(columns: dict[str, list[Any]], names: Sequence[str]) -> pl.DataFrame:
    if not isinstance(columns, dict) or set(columns) != set(names):
        raise ValueError(f"review: expected the columns {', '.join(names)}")
    schema = {c: pl.Int64 if c in COUNT_COLUMNS else pl.Utf8 for c in names}
    return pl.DataFrame({c: columns[c] for c in names}, schema=schema)
