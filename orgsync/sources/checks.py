"""Checks on the data of source tables: keys, hierarchy and link references (vectorised with polars)."""

from __future__ import annotations

import polars as pl

from orgsync.errors import Location, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.manifest.paths import shown
from orgsync.sources.parse import MAX_LISTED
from orgsync.sources.table import SourceTable

_IDX = "__index"
HIDDEN = "a value not shown (sensitive)"


def _sensitive(project: Project, name: str) -> frozenset[str]:
    """Keys of the named manifest's sensitive properties: their values never appear in a message."""
    manifest = project.by_name(name)
    return frozenset(p.key for p in manifest.properties if p.sensitive) if manifest is not None else frozenset()


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
            problems += check_link_ends(manifest, table, project, tables)
    return problems


def _at(table: SourceTable, project: Project, index: int, message: str, field: str | None) -> Problem:
    row = table.row_number(index)
    return Problem(Location(shown(table.path, project.root), row), f"row {row}: {message}", field)


def _listed(table: SourceTable, project: Project, hits: pl.DataFrame, field: str, what, more: str) -> list[Problem]:
    """A problem per hit row (first MAX_LISTED), then one that counts the rest."""
    problems = [_at(table, project, int(row[_IDX]), what(row), field) for row in hits.head(MAX_LISTED).iter_rows(named=True)]
    if hits.height > MAX_LISTED:
        problems.append(Problem(Location(shown(table.path, project.root)),
                                f"... and {hits.height - MAX_LISTED} more {more}", field))
    return problems


def check_keys(table: SourceTable, project: Project) -> list[Problem]:
    """Empty key values, and every row whose key is also on another row."""
    frame = table.frame.with_row_index(_IDX)
    hidden = _sensitive(project, table.name)
    label = " + ".join(table.key)
    empty = frame.filter(pl.any_horizontal(pl.col(c).is_null() for c in table.key))
    problems = _listed(table, project, empty, label, lambda r: f"{label} is empty; every item needs a key",
                       "rows with an empty key")
    keyed = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in table.key))
    first = pl.col(_IDX).min().over(table.key)
    dupes = keyed.filter(pl.len().over(table.key) > 1).with_columns(first.alias("__first"))
    dupes = dupes.filter(pl.col(_IDX) != pl.col("__first")).sort(_IDX)

    def message(row: dict) -> str:
        value = " + ".join(_shown(row[c], c, hidden) for c in table.key)
        return f"{label} {value} is a duplicate of row {table.row_number(row['__first'])}; expected each key once"

    return problems + _listed(table, project, dupes, label, message, "duplicate keys")


def check_tree(manifest: DatasetManifest, table: SourceTable, project: Project) -> list[Problem]:
    """Parents that name no item, and cycles in the hierarchy."""
    tree, parent = manifest.treeId, manifest.treeParentId
    if not tree or not parent or parent not in table.frame.columns or tree not in table.frame.columns:
        return []
    frame = table.frame.with_row_index(_IDX)
    hidden = _sensitive(project, manifest.name)
    ids = frame.select(pl.col(tree).drop_nulls().unique())
    orphans = frame.filter(pl.col(parent).is_not_null()).join(ids, left_on=parent, right_on=tree, how="anti").sort(_IDX)
    problems = _listed(table, project, orphans, parent,
                       lambda r: f"{parent} {_shown(r[parent], parent, hidden)} names no item ({tree} values in "
                                 "this source)",
                       "parents that name no item")
    return problems + _cycles(frame, tree, parent, table, project, bool(hidden & {tree, parent}))


def _cycles(frame: pl.DataFrame, tree: str, parent: str, table: SourceTable, project: Project,
            by_row: bool = False) -> list[Problem]:
    """One problem per cycle of parent links, reported at its first row; by row numbers when a key is sensitive."""
    edges = frame.filter(pl.col(tree).is_not_null() & pl.col(parent).is_not_null())
    up = dict(zip(edges[tree].to_list(), edges[parent].to_list(), strict=True))
    index = dict(zip(edges[tree].to_list(), edges[_IDX].to_list(), strict=True))
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = known to reach a root
    problems = []
    for start in up:
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in up and node not in state:
            state[node] = 1
            walk.append(node)
            node = up[node]
        if node is not None and state.get(node) == 1:  # the walk closed on itself
            cycle = walk[walk.index(node):]
            first = min(cycle, key=index.__getitem__)
            nodes = [*cycle[cycle.index(first):], *cycle[:cycle.index(first)], first]
            if by_row:
                path = "rows " + " -> ".join(str(table.row_number(index[n])) for n in nodes) + " (values sensitive)"
            else:
                path = " -> ".join(nodes)
            problems.append(_at(table, project, index[first], f"cycle in the hierarchy: {path}", parent))
        for visited in walk:
            state[visited] = 2
    return problems


def check_link_ends(manifest: LinksDatasetManifest, table: SourceTable, project: Project,
                    tables: dict[str, SourceTable]) -> list[Problem]:
    """from_id / to_id values missing from the linked dataset's source (when that dataset is managed here)."""
    problems: list[Problem] = []
    frame = table.frame.with_row_index(_IDX)
    for column, name in (("from_id", manifest.from_), ("to_id", manifest.to)):
        end = project.by_name(name)
        target = tables.get(name)
        if not isinstance(end, DatasetManifest) or target is None or end.autoId not in target.frame.columns:
            continue
        ids = target.frame.select(pl.col(end.autoId).drop_nulls().unique())
        missing = frame.filter(pl.col(column).is_not_null()).join(ids, left_on=column, right_on=end.autoId,
                                                                   how="anti").sort(_IDX)
        where = f"{name!r} ({shown(target.path, project.root)})"
        hidden = _sensitive(project, manifest.name) | (
            frozenset({column}) if end.autoId in _sensitive(project, name) else frozenset())
        problems += _listed(table, project, missing, column,
                            lambda r, c=column, w=where, h=hidden: f"{c} {_shown(r[c], c, h)} is not an item of {w}",
                            f"{column} values not in {name!r}")
    return problems
