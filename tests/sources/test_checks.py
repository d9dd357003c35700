"""The vectorised hierarchy checks agree with a plain dict walk on random graphs, chains and self-loops."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

from orgsync.manifest.models import DatasetManifest, ItemsSpec, Project, ProjectConfig, PropertySpec
from orgsync.sources.checks import MAX_PATH, check_tree, cycle_rows, parent_rows
from orgsync.sources.source_errors import MAX_LISTED
from orgsync.sources.table import SourceTable


def oracle(ids: list[str | None], parents: list[str | None]) -> list[tuple[int, int]]:
    """(first position, length) of every cycle, by following each parent link in a dict (the old algorithm)."""
    up = {i: p for i, p in zip(ids, parents, strict=True) if i is not None and p is not None}
    position = {i: n for n, i in enumerate(ids) if i is not None}
    state: dict[str, int] = {}
    found = []
    for start in up:
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in up and node not in state:
            state[node] = 1
            walk.append(node)
            node = up[node]
        if node is not None and state.get(node) == 1:
            cycle = walk[walk.index(node) :]
            found.append((min(position[c] for c in cycle), len(cycle)))
        for visited in walk:
            state[visited] = 2
    return sorted(found)


def vectorised(ids: list[str | None], parents: list[str | None]) -> list[tuple[int, int]]:
    target, node = parent_rows(pl.Series(ids, dtype=pl.Utf8), pl.Series(parents, dtype=pl.Utf8))
    up = [
        t if n and t is not None else len(ids) for t, n in zip(target.to_list(), node.to_list(), strict=True)
    ]
    return [(s, n) for s, n in cycle_rows(pl.Series(up, dtype=pl.UInt32)).iter_rows()]


def random_graph(rng: random.Random, n: int) -> tuple[list[str], list[str | None]]:
    """n nodes; each parent is null, a dangling name, itself, or a random node (so cycles of all lengths occur)."""
    ids = [f"N{i}" for i in range(n)]
    rng.shuffle(ids)
    parents: list[str | None] = []
    for i in ids:
        roll = rng.random()
        parents.append(
            None if roll < 0.1 else "missing" if roll < 0.15 else i if roll < 0.18 else rng.choice(ids)
        )
    return ids, parents


@pytest.mark.parametrize("seed", range(40))
def test_cycles_agree_with_the_dict_walk_on_random_graphs(seed):
    rng = random.Random(seed)
    ids, parents = random_graph(rng, rng.choice([1, 2, 3, 7, 50, 300]))
    assert vectorised(ids, parents) == oracle(ids, parents)


@pytest.mark.parametrize("length", [1, 2, 3, 31, 32, 33, 1000, 4097])
def test_a_long_chain_closed_into_one_cycle_is_one_cycle(length):
    ids = [f"N{i}" for i in range(length)]
    parents: list[str | None] = [*ids[1:], ids[0]]
    assert vectorised(ids, parents) == oracle(ids, parents) == [(0, length)]


@pytest.mark.parametrize("length", [1, 2, 1000, 5000])
def test_a_long_chain_to_a_root_has_no_cycle(length):
    ids = [f"N{i}" for i in range(length)]
    parents: list[str | None] = [*ids[1:], None]
    assert vectorised(ids, parents) == oracle(ids, parents) == []


def test_a_long_tail_into_a_small_cycle_reports_only_the_cycle():
    ids = [f"N{i}" for i in range(3000)]
    parents: list[str | None] = [*ids[1:], ids[2990]]  # N0 -> ... -> N2999 -> N2990
    assert vectorised(ids, parents) == oracle(ids, parents) == [(2990, 10)]


def test_self_loops_are_cycles_of_one():
    ids = ["A", "B", "C"]
    parents: list[str | None] = ["A", "A", "C"]
    assert vectorised(ids, parents) == oracle(ids, parents) == [(0, 1), (2, 1)]


def test_no_edges_no_cycles():
    assert vectorised([], []) == []


def _tree_problems(ids: list[str], parents: list[str | None]) -> list[str]:
    props = [
        PropertySpec(key="id", name="id", type="text"),
        PropertySpec(key="boss", name="boss", type="text"),
    ]
    manifest = DatasetManifest(
        kind="Dataset",
        name="P",
        type="PEOPLE",
        autoId="id",
        labelId="id",
        treeId="id",
        treeParentId="boss",
        properties=props,
        items=ItemsSpec(source="p.csv"),
    )
    frame = pl.DataFrame({"id": ids, "boss": parents}, schema={"id": pl.Utf8, "boss": pl.Utf8})
    table = SourceTable(
        name="P",
        path=Path("/r/p.csv"),
        frame=frame,
        key=["id"],
        owned=["boss"],
        types={"id": "text", "boss": "text"},
        sha256="",
    )
    project = Project(
        root=Path("/r"),
        config_file=Path("/r/orgsync.yaml"),
        config=ProjectConfig(tenant="T"),
        manifests=[manifest],
    )
    return [str(p) for p in check_tree(manifest, table, project)]


def test_cycle_messages_start_at_the_first_row_and_list_in_file_order():
    problems = _tree_problems(["X", "E4", "E5", "E3", "S"], ["E3", "E5", "E3", "E4", "S"])
    assert problems == [
        "p.csv:3: boss: row 3: cycle in the hierarchy: E4 -> E5 -> E3 -> E4",
        "p.csv:6: boss: row 6: cycle in the hierarchy: S -> S",
    ]


def test_a_huge_cycle_names_its_first_nodes_and_counts_the_rest():
    ids = [f"N{i}" for i in range(MAX_PATH + 5)]
    (problem,) = _tree_problems(ids, [*ids[1:], ids[0]])
    named = " -> ".join(ids[:MAX_PATH])
    assert problem == f"p.csv:2: boss: row 2: cycle in the hierarchy: {named} -> ... (5 more) -> N0"


def test_many_cycles_list_the_first_ones_and_count_the_rest():
    ids = [f"N{i}" for i in range(MAX_LISTED + 3)]
    problems = _tree_problems(ids, ids)
    assert len(problems) == MAX_LISTED + 1
    assert problems[0] == "p.csv:2: boss: row 2: cycle in the hierarchy: N0 -> N0"
    assert problems[-1] == "p.csv: boss: ... and 3 more cycles in the hierarchy"


@pytest.mark.parametrize("seed", range(20))
def test_duplicate_and_empty_ids_behave_like_the_dict_walk(seed):
    """A repeated id counts once, as its last row (where the cycle is reported); a row without an id is no node."""
    rng = random.Random(1000 + seed)
    names, parents = random_graph(rng, rng.choice([5, 40, 200]))
    ids: list[str | None] = [
        None if rng.random() < 0.05 else rng.choice(names) if rng.random() < 0.2 else i for i in names
    ]
    assert vectorised(ids, parents) == oracle(ids, parents)


def test_dangling_parents_are_listed_in_file_order():
    problems = _tree_problems(["A", "B", "C", "D"], [None, "Z", "A", "Y"])
    assert problems == [
        "p.csv:3: boss: row 3: boss 'Z' names no item (id values in this source)",
        "p.csv:5: boss: row 5: boss 'Y' names no item (id values in this source)",
    ]
