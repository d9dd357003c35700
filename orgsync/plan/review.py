"""What an HR reviewer reads in a plan: moves, moved subtrees, spans of control, layers, orphans, property counts.

Pure and columnar (polars): the hierarchy before and after the plan is rebuilt from the source table, the live
keys and the plan's item frames; depths and each item's topmost moved ancestor come from pointer doubling
(log2(depth) gathers), so no Python runs per item. The result is a frozen `Review` the plan holds, so a saved
plan and `orgsync show` render the same review. Sensitive columns never enter it: a sensitive label is left
out, a sensitive tree column means no hierarchy review, and a sensitive property is only counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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
    creates_complete: bool = True,
    parents: pl.Series | None = None,
) -> Review:
    """The review of `items` (planned from `source` against live items with `live_keys`).

    `tree` is (treeId, treeParentId) for a dataset with a hierarchy whose source carries both; `label` the
    labelId column. The tree after the plan is the source's; before, the same but for the updated rows' before
    values, the created rows (absent) and the deleted rows (present). `creates_complete` is false in items mode
    `update`, where source rows absent from the tenant are not created (so not in the tree after). Live items
    the plan neither matches nor deletes are known only by key: a parent among them makes no orphan.
    `parents`, when given, is each source row's parent row (`sources.checks.parent_rows`, as the tree check
    found it): used when the tree after is the source's rows as they are, instead of joining them again.
    """
    shown = label if label is not None and label not in items.sensitive and label in source.columns else None
    hierarchy = None
    if tree is not None and not set(tree) & items.sensitive and set(tree) <= set(source.columns):
        key = list(items.key)
        tid, tparent = tree
        if not creates_complete and set(key) <= set(live_keys.columns):
            source = source.join(live_keys.select(key), on=key, how="semi", maintain_order="left")
            parents = None  # rows of another frame

        def pick(frame: pl.DataFrame, before: bool = False) -> pl.DataFrame:
            def col(c: str | None, alias: str) -> pl.Expr:
                name = None if c is None else c + BEFORE if before and c not in key else c
                if name is None or name not in frame.columns:
                    return pl.lit(None, pl.Utf8).alias(alias)
                return pl.col(name).cast(pl.Utf8).alias(alias)  # a source's dictionary column as text

            return frame.select(col(tid, ID), col(tparent, PARENT), col(shown, LABEL))

        after = pick(source)
        if key != [tid]:  # a tree id that is not the key may repeat or be empty: the first one is the item
            after = after.filter(pl.col(ID).is_not_null()).unique(ID, keep="first", maintain_order=True)
            parents = None
        gone = pick(items.deletes).filter(pl.col(ID).is_not_null())
        ids = live_keys[key[0]] if key == [tid] and key[0] in live_keys.columns else None

        def elsewhere(parents: pl.Series) -> pl.Series:
            """Which of these (few) parents are live items outside the plan."""
            if ids is None or not parents.len():
                return pl.repeat(False, parents.len(), dtype=pl.Boolean, eager=True)
            return parents.is_in(ids.filter(ids.is_in(parents.implode())).implode())

        new = items.creates.select(pl.col(tid).alias(ID)) if tid in items.creates.columns else after.clear()
        was = pick(items.updates, before=True)
        known = parents.cast(pl.Int64) if parents is not None and parents.len() == after.height else None
        first = creates_complete and not live_keys.height  # nothing live: every item after is created
        hierarchy = hierarchy_of(
            after, was, new.select(ID), gone, tree, elsewhere, parent_after=known, every_new=first
        )
    return Review(shown, property_counts(items), hierarchy)


_IX = "__ix"


def _resolve(keys: pl.Series, index: pl.DataFrame) -> pl.Series:
    """The row (`_IX`) of each of `keys` in `index` (id, _IX), null when absent; in the order of `keys`."""
    found = keys.alias(ID).to_frame().join(index, on=ID, how="left", maintain_order="left")
    return found[_IX].cast(pl.Int64)


def _rows_of(keys: pl.Series, ids: pl.Series, index: pl.DataFrame) -> pl.Series:
    """The row of each of `keys` among `ids` (distinct; `index` is them with `_IX`), null when absent.

    Joined by the ids' 64-bit hashes (an integer join, unordered, then sorted back: cheaper than an ordered
    join on text), every match checked against the text; when two ids share a hash, `_resolve` on the text.
    """
    hashed = pl.DataFrame({"h": ids.hash(), _IX: pl.int_range(0, ids.len(), eager=True, dtype=pl.UInt32)})
    hashed = hashed.filter(ids.is_not_null())
    if hashed["h"].n_unique() != hashed.height:
        return _resolve(keys, index)
    wanted = keys.hash().alias("h").to_frame().with_row_index("__at")
    found = wanted.lazy().join(hashed.lazy(), on="h", how="left").sort("__at").collect()[_IX]
    same = (ids.gather(found) == keys).fill_null(False)  # a null row gathers null: not the same
    return found.cast(pl.Int64).zip_with(same, _nulls(keys.len(), pl.Int64))


def _nulls(n: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    return pl.Series([None], dtype=dtype).extend_constant(None, n - 1) if n else pl.Series([], dtype=dtype)


def _at(values: pl.Series, rows: pl.Series) -> pl.Series:
    """`values` at `rows`, null where a row is null."""
    if not rows.len():
        return pl.Series([], dtype=values.dtype)
    return values.gather(rows.fill_null(0)).zip_with(rows.is_not_null(), _nulls(rows.len(), values.dtype))


def hierarchy_of(
    after: pl.DataFrame,
    was: pl.DataFrame,
    new: pl.DataFrame,
    gone: pl.DataFrame,
    tree: tuple[str, str] = ("", ""),
    elsewhere: Callable[[pl.Series], pl.Series] | None = None,
    *,
    parent_after: pl.Series | None = None,
    every_new: bool = False,
) -> Hierarchy:
    """Moves, moved subtrees, spans, layers and orphans of a forest a plan changes.

    `after` is every item after (id, parent, label; ids unique). The forest before is the same but for `was`
    (id, parent, label before, of items in both; unchanged ones may be among them), `new` (ids of items only
    after) and `gone` (id, parent, label of items only before). One join maps the parents after to rows; the
    rest is a scan for the few ids the change names, small joins and integer gathers, so the cost is that of
    the join, not of the forest before. `elsewhere` says which parents of would-be orphans exist outside.
    `parent_after` is that join's answer when the caller has it (each row of `after`'s parent row, Int64).
    `every_new`: every item after is new (a first load), so `new` need not be looked up.
    """
    na, ng = after.height, gone.height
    ids = pl.concat([after[ID], gone[ID]]) if ng else after[ID]  # not copied when nothing is gone
    labels = pl.concat([after[LABEL], gone[LABEL]]) if ng else after[LABEL]
    universe = ids.alias(ID).to_frame().with_row_index(_IX)
    if parent_after is None:
        parent_after = _rows_of(after[PARENT], after[ID], universe.head(na))  # the one big join
    named_before = pl.concat([after[PARENT].is_not_null(), gone[PARENT].is_not_null()])  # a parent is named
    # every id the small lookups need, found in one scan of the universe
    was = was.filter(pl.col(ID).is_not_null())
    every_new = every_new and not was.height and not ng
    named = [was[ID], was[PARENT], gone[PARENT]] + ([] if every_new else [new[ID]])
    wanted = pl.concat(named).drop_nulls().unique()
    look = universe.filter(pl.col(ID).is_in(wanted.implode()))
    look_after = look.filter(pl.col(_IX) < na)
    was = was.with_columns(_resolve(was[ID], look_after).alias(_IX)).filter(pl.col(_IX).is_not_null())
    if every_new:
        new_rows = pl.int_range(0, na, dtype=pl.Int64, eager=True)
    else:
        new_rows = _resolve(new[ID], look_after).drop_nulls()
    present_before = pl.repeat(True, na + ng, dtype=pl.Boolean, eager=True).scatter(new_rows, False)
    # parents before: the rows' parents after, the gone items'; a row whose parent after is unknown may have a
    # gone one; the changed rows' own; none for new items; and a parent that is new did not exist yet
    parent_before = pl.concat([parent_after, _resolve(gone[PARENT], look)])
    loose = (parent_after.is_null() & after[PARENT].is_not_null()).arg_true()
    if loose.len() and ng:
        at = _resolve(after[PARENT].gather(loose), universe.tail(ng))
        parent_before = parent_before.scatter(loose, at)
    if was.height:
        parent_before = parent_before.scatter(was[_IX], _resolve(was[PARENT], look))
        named_before = named_before.scatter(was[_IX], was[PARENT].is_not_null())
    if new_rows.len():
        parent_before = parent_before.scatter(new_rows, _nulls(new_rows.len(), pl.Int64))
    if new_rows.len():
        to_new = parent_before.is_not_null() & ~_at(present_before, parent_before).fill_null(True)
        parent_before = parent_before.zip_with(~to_new, _nulls(na + ng, pl.Int64))
    # moves: items in both whose parent differs; each rolls up into its topmost moved ancestor after
    moved_mask = was[PARENT].ne_missing(after[PARENT].gather(was[_IX]))
    moved_rows = was[_IX].filter(moved_mask)
    marked = pl.repeat(False, na, dtype=pl.Boolean, eager=True)
    marked = marked.scatter(moved_rows, True) if moved_rows.len() else marked
    up = climb(parent_after, marked)
    before_up = climb(parent_before, None)
    top = up.top.zip_with(~up.cyclic, pl.repeat(_NONE, na, dtype=pl.Int64, eager=True))
    moved_top = top.gather(moved_rows)
    old_rows = parent_before.gather(moved_rows)
    new_parent_rows = parent_after.gather(moved_rows)
    moves = pl.DataFrame(
        {
            ID: ids.gather(moved_rows),
            LABEL: labels.gather(moved_rows),
            "old_parent": was[PARENT].filter(moved_mask),
            "old_parent_label": _at(labels, old_rows),
            "new_parent": after[PARENT].gather(moved_rows),
            "new_parent_label": _at(labels, new_parent_rows),
            "rollup": _at(ids, moved_top.zip_with(moved_top != _NONE, _nulls(moved_top.len(), pl.Int64))),
        },
        schema={c: pl.Utf8 for c in MOVE_COLUMNS},
    )
    under = top != _NONE
    sizes = (
        pl.DataFrame({"__top": top.filter(under), "__moved": marked.filter(under)})
        .group_by("__top")
        .agg(pl.len().cast(pl.Int64).alias("size"), pl.col("__moved").sum().cast(pl.Int64).alias("moved"))
    )
    sizes = sizes.with_columns(ids.gather(sizes["__top"]).alias("rollup")).drop("__top")
    rollups = (
        moves.filter(pl.col(ID) == pl.col("rollup"))
        .join(sizes, on="rollup", how="left", maintain_order="left")
        .select(ROLLUP_COLUMNS)
        .sort(["size", LABEL, ID], descending=[True, False, False], nulls_last=True)
    )
    # spans: managers who gain or lose a direct report (moves, new and gone items)
    gone_rows = pl.int_range(na, na + ng, dtype=pl.Int64, eager=True)
    left = pl.concat([old_rows, parent_before.gather(gone_rows)]).drop_nulls()
    joined = pl.concat([new_parent_rows, parent_after.gather(new_rows)]).drop_nulls()
    spans = _spans(
        left,
        joined,
        parent_before.filter(present_before) if new_rows.len() else parent_before,
        parent_after,
        present_before,
        na,
        ids,
        labels,
    )
    # orphans: a parent named but not in the forest (nor, when asked, elsewhere)
    lost = (parent_after.is_null() & after[PARENT].is_not_null()).arg_true()
    orphans = pl.DataFrame(
        {ID: after[ID].gather(lost), LABEL: after[LABEL].gather(lost), PARENT: after[PARENT].gather(lost)},
        schema={c: pl.Utf8 for c in ORPHAN_COLUMNS},
    )
    lost_rows = (present_before & parent_before.is_null() & named_before).arg_true().cast(pl.Int64)
    lost_before = _parents_before(lost_rows, was, after[PARENT], gone[PARENT])
    if elsewhere is not None:
        orphans = orphans.filter(~elsewhere(orphans[PARENT]))
        lost_before = lost_before.filter(~elsewhere(lost_before))
    return Hierarchy(
        tree_id=tree[0],
        tree_parent=tree[1],
        moves=moves,
        rollups=rollups,
        spans=spans,
        orphans=orphans,
        layers_before=_largest(before_up.depth.filter(present_before)),
        layers_after=_largest(up.depth),
        orphans_before=lost_before.len(),
        cycles=int(up.cyclic.sum()),
    )


def _parents_before(rows: pl.Series, was: pl.DataFrame, after: pl.Series, gone: pl.Series) -> pl.Series:
    """The parent (id) before of each of these (few) rows: a changed row's own, else the row's after or gone."""
    na = after.len()
    plain = pl.concat([_at(after, rows.filter(rows < na)), _at(gone, rows.filter(rows >= na) - na)])
    if not was.height or not rows.len():
        return plain
    ordered = pl.concat([rows.filter(rows < na), rows.filter(rows >= na)])
    changed = (
        ordered.to_frame("__r")
        .with_row_index("__at")
        .join(was.select(pl.col(_IX).cast(pl.Int64).alias("__r"), PARENT), on="__r", how="inner")
    )
    return plain.scatter(changed["__at"], changed[PARENT]) if changed.height else plain


def _largest(values: pl.Series) -> int:
    return int(values.fill_null(0).max() or 0) if values.len() else 0  # type: ignore[arg-type]


def _spans(
    left: pl.Series,
    joined: pl.Series,
    parent_before: pl.Series,
    parent_after: pl.Series,
    present_before: pl.Series,
    na: int,
    ids: pl.Series,
    labels: pl.Series,
) -> pl.DataFrame:
    """Managers (rows) who lose (`left`) or gain (`joined`) a direct report, with their direct reports before
    (`parent_before`: of the items before) and after counted over the whole forests, in integers."""
    managers = pl.concat([left, joined]).unique().sort()
    if not managers.len():
        return pl.DataFrame(schema={c: pl.Int64 if c in COUNT_COLUMNS else pl.Utf8 for c in SPAN_COLUMNS})
    size = present_before.len()
    chosen = pl.repeat(False, size + 1, dtype=pl.Boolean, eager=True).scatter(managers, True)

    def count(parents: pl.Series, name: str) -> pl.DataFrame:
        """Direct reports of the chosen managers among `parents` (rows; a gather, not a hash, per item)."""
        hit = parents.filter(chosen.gather(parents.fill_null(size)))
        return hit.alias("__m").to_frame().group_by("__m").agg(pl.len().cast(pl.Int64).alias(name))

    frame = (
        managers.alias("__m")
        .to_frame()
        .join(count(parent_before, "before"), on="__m", how="left")
        .join(count(parent_after, "after"), on="__m", how="left")
        .join(count(joined, "joined"), on="__m", how="left")
        .join(count(left, "left"), on="__m", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("before", "after", "joined", "left"))
    )
    rows = frame["__m"]
    both = present_before.gather(rows) & (rows < na)
    status = (
        pl.DataFrame({"b": frame["before"], "a": frame["after"], "both": both})
        .select(
            pl.when(pl.col("both") & (pl.col("b") == 0) & (pl.col("a") > 0))
            .then(pl.lit("becomes a manager"))
            .when(pl.col("both") & (pl.col("b") > 0) & (pl.col("a") == 0))
            .then(pl.lit("no longer a manager"))
            .otherwise(pl.lit(""))
        )
        .to_series()
    )
    by, descending = _span_order(first_load=not present_before.any())
    return (
        frame.with_columns(
            ids.gather(rows).alias(ID), labels.gather(rows).alias(LABEL), status.alias("status")
        )
        .select(SPAN_COLUMNS)
        .sort(by, descending=descending, nulls_last=True)
    )


def _span_order(*, first_load: bool) -> tuple[list[str], list[bool]]:
    """Spans by name; on a first load (nothing before, every span "0 → n") widest first, so the manager given
    too many reports by a wrong parent column is the first line a reviewer reads."""
    if first_load:
        return ["after", LABEL, ID], [True, False, False]
    return [LABEL, ID], [False, False]


@dataclass(frozen=True)
class _Climb:
    """Per node of one tree: its depth (nodes from it to its root), its topmost marked ancestor (row number,
    itself included; _NONE when none) and whether it is in or below a cycle."""

    depth: pl.Series
    top: pl.Series
    cyclic: pl.Series


def climb(parent_row: pl.Series, marked: pl.Series | None) -> _Climb:
    """Pointer doubling over a forest given as each node's parent row (null for a root).

    Node `i`'s segment runs from `i` up to, not including, `jump[i]`; merging it with `jump[i]`'s segment
    doubles it, so ceil(log2(n)) + 1 rounds reach every root; a node that has not is in or below a cycle.
    Without `marked`, only depths are climbed (`top` is all _NONE).
    """
    n = parent_row.len()
    jump = parent_row.cast(pl.UInt32).fill_null(n).extend_constant(n, 1)
    depth = pl.repeat(1, n, dtype=pl.UInt32, eager=True).extend_constant(0, 1)
    top = None
    if marked is not None:
        rows = pl.int_range(0, n, dtype=pl.Int64, eager=True)
        top = rows.zip_with(marked.fill_null(False), pl.repeat(_NONE, n, dtype=pl.Int64, eager=True))
        top = top.extend_constant(_NONE, 1)
    for _ in range(math.ceil(math.log2(n + 1)) + 2):
        if bool((jump == n).all()):
            break
        if top is not None:
            above = top.gather(jump)
            top = above.zip_with(above != _NONE, top)
        depth = depth + depth.gather(jump)
        jump = jump.gather(jump)
    cyclic = (jump != n).head(n)
    depths = depth.head(n).cast(pl.Int64)
    if cyclic.any():
        depths = depths.zip_with(~cyclic, pl.repeat(0, n, dtype=pl.Int64, eager=True))
    tops = top.head(n) if top is not None else pl.repeat(_NONE, n, dtype=pl.Int64, eager=True)
    return _Climb(depths, tops, cyclic)


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
    # ranked on the order columns alone, then only the rows shown are taken: the whole frame (a first load's
    # creates are every source row) is neither sorted nor copied
    at = "__first_by_label"
    first = frame.select(order).with_row_index(at).bottom_k(limit, by=order).sort(order, nulls_last=True)
    return frame.select(pl.all().gather(first[at]))


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


def link_moves(items: ItemChanges, ends: tuple[str, str] = ("from_id", "to_id")) -> Hierarchy | None:
    """For a links dataset: a link whose `from` item loses its one link and gains one to another `to` item is
    that item moving (e.g. a person to another position): delete + create paired by the `from` end, when it
    has exactly one of each. Only moves are known here (no tree): no spans, layers or orphans."""
    start, end = ends
    if not {start, end} <= set(items.deletes.columns) or not {start, end} <= set(items.creates.columns):
        return None
    if not items.deletes.height or not items.creates.height:
        return None

    def single(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return (
            frame.group_by(start)
            .agg(pl.len().alias("__n"), pl.col(end).first().alias(name))
            .filter(pl.col("__n") == 1)
            .drop("__n")
        )

    paired = single(items.deletes, "old_parent").join(single(items.creates, "new_parent"), on=start)
    if not paired.height:
        return None
    none = pl.lit(None, pl.Utf8)
    moves = paired.sort(start).select(
        pl.col(start).alias(ID),
        none.alias(LABEL),
        "old_parent",
        none.alias("old_parent_label"),
        "new_parent",
        none.alias("new_parent_label"),
        pl.col(start).alias("rollup"),
    )
    rollups = moves.drop("rollup").with_columns(
        pl.lit(1, pl.Int64).alias("size"), pl.lit(1, pl.Int64).alias("moved")
    )
    empty = {c: pl.Int64 if c in COUNT_COLUMNS else pl.Utf8 for c in SPAN_COLUMNS}
    return Hierarchy(
        tree_id=start,
        tree_parent=end,
        moves=moves,
        rollups=rollups.select(ROLLUP_COLUMNS),
        spans=pl.DataFrame(schema=empty),
        orphans=pl.DataFrame(schema={c: pl.Utf8 for c in ORPHAN_COLUMNS}),
        layers_before=0,
        layers_after=0,
        orphans_before=0,
        cycles=0,
    )
