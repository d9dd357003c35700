"""Checks on the data of source tables: keys, hierarchy and link references (vectorised with polars)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import polars as pl

from orgsync.errors import Location, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.manifest.paths import shown
from orgsync.sources.source_errors import MAX_LISTED
from orgsync.sources.table import SourceTable

_IDX = "__index"
MAX_PATH = 50  # nodes of a cycle named in its message; a longer one says how many more
HIDDEN = "a value not shown (sensitive)"


def _sensitive(project: Project, name: str) -> frozenset[str]:
    """Keys of the named manifest's sensitive properties: their values never appear in a message."""
    manifest = project.by_name(name)
    return (
        frozenset(p.key for p in manifest.properties if p.sensitive) if manifest is not None else frozenset()
    )


def _shown(value: object, column: str, hidden: frozenset[str]) -> str:
    return HIDDEN if column in hidden else repr(value)


def check_tables(project: Project, tables: dict[str, SourceTable]) -> list[Problem]:
    """Every data problem across the loaded tables (keyed by manifest name)."""
    problems: list[Problem] = []
    for manifest in project.manifests:
        table = tables.get(manifest.name)
        if table is None:
            continue
        problems += check_keys(table, project)
        if isinstance(manifest, DatasetManifest):
            problems += check_tree(manifest, table, project)
        else:
            problems += check_link_row_ids(manifest, table, project, tables)
    return problems


def _at(table: SourceTable, project: Project, index: int, message: str, field: str | None) -> Problem:
    where, label = table.located(index, shown(table.path, project.root))
    return Problem(where, f"{label}: {message}", field)


def _whole(table: SourceTable, project: Project) -> Location:
    """Where a problem of the whole table is reported: its file, or the query that made it."""
    return table.query.at if table.query is not None else Location(shown(table.path, project.root))


def _listed(
    table: SourceTable,
    project: Project,
    hits: pl.DataFrame,
    field: str,
    what: Callable[[dict[str, Any]], str],
    more: str,
) -> list[Problem]:
    """A problem per hit row (first MAX_LISTED), then one that counts the rest."""
    problems = [
        _at(table, project, int(row[_IDX]), what(row), field)
        for row in hits.head(MAX_LISTED).iter_rows(named=True)
    ]
    if hits.height > MAX_LISTED:
        problems.append(
            Problem(
                _whole(table, project),
                f"... and {hits.height - MAX_LISTED} more {more}",
                field,
            )
        )
    return problems


def _not_an_item(column: str, where: str, hidden: frozenset[str]) -> Callable[[dict[str, Any]], str]:
    """The message for a row whose `column` names no item of the dataset `where` (a `hidden` value masked)."""
    return lambda row: f"{column} {_shown(row[column], column, hidden)} is not an item of {where}"


def check_keys(table: SourceTable, project: Project) -> list[Problem]:
    """Empty key values, and every row whose key is also on another row (only the key columns are read)."""
    frame = table.frame.select(table.key).with_row_index(_IDX)
    hidden = _sensitive(project, table.name)
    label = " + ".join(table.key)
    empty = frame.filter(pl.any_horizontal(pl.col(c).is_null() for c in table.key))
    problems = _listed(
        table,
        project,
        empty,
        label,
        lambda r: f"{label} is empty; every item needs a key",
        "rows with an empty key",
    )
    keyed = (
        frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in table.key)) if empty.height else frame
    )
    # the usual case: distinct 64-bit hashes of the keys prove them distinct (a set of integers, not of a
    # million texts); a repeated hash (a duplicate, or a collision) goes on to the exact windows below
    if keyed.select(table.key).hash_rows(seed=0).n_unique() == keyed.height:
        return problems
    first = pl.col(_IDX).min().over(table.key)
    dupes = keyed.filter(pl.len().over(table.key) > 1).with_columns(first.alias("__first"))
    dupes = dupes.filter(pl.col(_IDX) != pl.col("__first")).sort(_IDX)

    def message(row: dict[str, Any]) -> str:
        value = " + ".join(_shown(row[c], c, hidden) for c in table.key)
        return f"{label} {value} is a duplicate of {table.place(row['__first'])}; expected each key once"

    return problems + _listed(table, project, dupes, label, message, "duplicate keys")


def check_tree(manifest: DatasetManifest, table: SourceTable, project: Project) -> list[Problem]:
    """Parents that name no item, and cycles in the hierarchy (columnar: one hash join, then pointer jumping)."""
    tree, parent = manifest.treeId, manifest.treeParentId
    if not tree or not parent or parent not in table.frame.columns or tree not in table.frame.columns:
        return []
    ids, parents = table.frame[tree], table.frame[parent]
    hidden = _sensitive(project, manifest.name)
    target, node = table.tree_rows(tree, parent, parent_rows)
    orphans = pl.DataFrame({parent: parents, _IDX: pl.int_range(0, ids.len(), eager=True, dtype=pl.UInt32)})
    orphans = orphans.filter(parents.is_not_null() & target.is_null())
    problems = _listed(
        table,
        project,
        orphans,
        parent,
        lambda r: (
            f"{parent} {_shown(r[parent], parent, hidden)} names no item ({tree} values in this source)"
        ),
        "parents that name no item",
    )
    up = pl.DataFrame({"t": target, "node": node}).select(
        pl.when(pl.col("node")).then(pl.col("t")).fill_null(ids.len()).cast(pl.UInt32)
    )[:, 0]
    return problems + _cycles(up, ids, table, project, parent, bool(hidden & {tree, parent}))


def parent_rows(
    ids: pl.Series, parents: pl.Series, keep: Literal["first", "last"] = "last"
) -> tuple[pl.Series, pl.Series]:
    """Per row: the row whose id its parent names (u32; null when it has none or names no id), and whether the
    row is a node of the hierarchy (its id is set and no later row has the same id, as a dict would keep; with
    `keep="first"`, no earlier row: apply's order of creation).

    Ids are joined by their 64-bit hash (an integer join, several times cheaper than one on text) and every
    match is then checked against the text, so a hash collision can only fall back to the text join.
    """
    rows = pl.int_range(0, ids.len(), eager=True, dtype=pl.UInt32)
    frame = pl.DataFrame({"id": ids, "parent": parents, "row": rows})
    keyed = frame.filter(pl.col("id").is_not_null())
    hashed = keyed.select(pl.col("id").hash().alias("h"), "row")
    if hashed["h"].n_unique() == hashed.height:  # ids distinct (and no collision): every id row is a node
        wanted = frame.select(pl.col("parent").hash().alias("h")).with_row_index("at")
        # lazy, unordered, then sorted back: about 3x faster than an eager order-keeping join on a million u64
        # keys (each hash is on one row at most, so every row of `wanted` comes out exactly once)
        found = (wanted.lazy().join(hashed.lazy(), on="h", how="left").sort("at").collect())["row"]
        named = ids.gather(found)  # a null index gives null
        target = pl.DataFrame({"f": found, "same": named == parents}).select(
            pl.when(pl.col("same")).then(pl.col("f"))
        )[:, 0]
        return target, ids.is_not_null()
    node = ids.is_not_null() & (ids.is_first_distinct() if keep == "first" else ids.is_last_distinct())
    nodes = frame.filter(node).select("id", "row")
    target = frame.select("parent").join(
        nodes, left_on="parent", right_on="id", how="left", maintain_order="left"
    )["row"]
    return target, node


def _cycles(
    up: pl.Series, ids: pl.Series, table: SourceTable, project: Project, parent: str, by_row: bool = False
) -> list[Problem]:
    """One problem per cycle of parent links, reported at its first row in the file, in file order; by row
    numbers when a key is sensitive.

    Only the listed cycles (at most MAX_LISTED, each path cut to MAX_PATH nodes) are walked for their messages.
    """
    found = cycle_rows(up)
    problems = []

    def name(row: int) -> str:  # a sensitive tree key is named by its row, never by its value
        return str(table.row_number(row)) if by_row else str(ids[row])

    for start, length in found.head(MAX_LISTED).iter_rows():
        path, node = [], start
        for _ in range(min(length, MAX_PATH)):
            path.append(name(node))
            node = int(up[node])
        more = [f"... ({length - MAX_PATH} more)"] if length > MAX_PATH else []
        path += [*more, name(start)]
        text = f"rows {' -> '.join(path)} (values sensitive)" if by_row else " -> ".join(path)
        problems.append(_at(table, project, start, f"cycle in the hierarchy: {text}", parent))
    if found.height > MAX_LISTED:
        problems.append(
            Problem(
                _whole(table, project),
                f"... and {found.height - MAX_LISTED} more cycles in the hierarchy",
                parent,
            )
        )
    return problems


def cycle_rows(up: pl.Series) -> pl.DataFrame:
    """The cycles of the parent pointers `up` (u32; row i -> row up[i], len(up) meaning no parent): each cycle's
    first row and length, as columns `start` (ascending) and `length`.

    Pointer jumping: after k rounds `jump` is the 2**k-th ancestor, with len(up) an absorbing root; once
    2**k >= len(up), the rows still pointing somewhere are those on or leading into a cycle, and the rows they
    point to are exactly the cycle rows. A second doubling takes the least row around each cycle, which names
    it. Native gathers only: O(n log n), and O(n log depth) for a forest (the usual case), which stops early.
    """
    n = up.len()
    empty = pl.DataFrame(schema={"start": pl.UInt32, "length": pl.UInt32})
    if n == 0:
        return empty
    step = pl.concat([up.cast(pl.UInt32), pl.Series([n], dtype=pl.UInt32)])
    jump, rounds = step, n.bit_length()
    for _ in range(rounds):
        jump = jump.gather(jump)
        if jump.head(n).eq(n).all():
            return empty
    ends = jump.head(n)
    on_cycle = ends.filter(ends != n).unique()
    label = pl.int_range(0, n + 1, eager=True, dtype=pl.UInt32)
    for _ in range(rounds):
        label = pl.DataFrame({"a": label, "b": label.gather(step)}).select(pl.min_horizontal("a", "b"))[:, 0]
        step = step.gather(step)
    cycles = pl.DataFrame({"start": label.gather(on_cycle)})
    return cycles.group_by("start").len("length").with_columns(pl.col("length").cast(pl.UInt32)).sort("start")


def check_link_row_ids(
    manifest: LinksDatasetManifest, table: SourceTable, project: Project, tables: dict[str, SourceTable]
) -> list[Problem]:
    """from_id / to_id values missing from the linked dataset's source (when that dataset is managed here)."""
    problems: list[Problem] = []
    frame = table.frame.with_row_index(_IDX)
    for column, name in (("from_id", manifest.from_), ("to_id", manifest.to)):
        end = project.by_name(name)
        target = tables.get(name)
        if not isinstance(end, DatasetManifest) or target is None or end.autoId not in target.frame.columns:
            continue
        ids = target.frame.select(pl.col(end.autoId).drop_nulls().unique())
        missing = (
            frame.filter(pl.col(column).is_not_null())
            .join(ids, left_on=column, right_on=end.autoId, how="anti")
            .sort(_IDX)
        )
        where = f"{name!r} ({shown(target.path, project.root)})"
        hidden = _sensitive(project, manifest.name) | (
            frozenset({column}) if end.autoId in _sensitive(project, name) else frozenset()
        )
        problems += _listed(
            table,
            project,
            missing,
            column,
            _not_an_item(column, where, hidden),
            f"{column} values not in {name!r}",
        )
    return problems
