"""The review computation against a plain-Python oracle on random forests, and on a known reorg."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orgsync.plan.model import ItemChanges
from orgsync.plan.review import climb, hierarchy_of, link_moves, property_counts, review_items
from orgsync.sources.checks import parent_rows
from tests.support.plan_factories import frame

Forest = dict[str, str | None]  # id -> parent id


@st.composite
def forests(draw: st.DrawFn) -> tuple[Forest, Forest]:
    """A forest before and after: some items leave, some arrive, some change parent (acyclic both times), and a
    few point at a parent that is in neither tree (orphans)."""
    n = draw(st.integers(0, 40))
    ids = [f"p{i}" for i in range(n)]
    present_before = [draw(st.booleans()) or i % 3 == 0 for i in range(n)]
    present_after = [draw(st.booleans()) or i % 3 == 1 for i in range(n)]

    def forest(present: list[bool]) -> Forest:
        order = draw(st.permutations([i for i in range(n) if present[i]]))
        tree: Forest = {}
        for at, i in enumerate(order):
            choice = draw(st.integers(-2, at - 1)) if at else draw(st.integers(-2, -1))
            tree[ids[i]] = None if choice == -1 else "ghost" if choice == -2 else ids[order[choice]]
        return tree

    before = forest(present_before)
    after = forest(present_after)
    # keep most parents as they were, so moves are a minority and subtrees move whole
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    for i, item in enumerate(ids):
        if keep[i] and item in before and item in after and _acyclic_with(after, item, before[item]):
            after[item] = before[item]
    return before, after


def _acyclic_with(tree: Forest, item: str, parent: str | None) -> bool:
    seen = {item}
    while parent is not None and parent in tree:
        if parent in seen:
            return False
        seen.add(parent)
        parent = tree[parent]
    return True


def _frame(tree: Forest) -> pl.DataFrame:
    return frame(["id", "parent", "label"], [(i, p, f"Name {i}") for i, p in tree.items()])


def _review(before: Forest, after: Forest, unchanged_too: bool = True):  # type: ignore[no-untyped-def]
    """`hierarchy_of` as the builder calls it: the forest after, and what differs before (changed rows, with or
    without unchanged ones, as the plan's updates hold rows that changed in any column). It is computed twice,
    joining the parents itself and with the parent rows the source's tree check found: both are the same."""
    both = [i for i in after if i in before and (unchanged_too or before[i] != after[i])]
    after_frame = _frame(after)
    frames = (
        after_frame,
        _frame({i: before[i] for i in both}),
        frame(["id"], [(i,) for i in after if i not in before]),
        _frame({i: p for i, p in before.items() if i not in after}),
    )
    joined = hierarchy_of(*frames)
    known = parent_rows(after_frame["id"], after_frame["parent"])[0].cast(pl.Int64)
    given_rows = hierarchy_of(*frames, parent_after=known)
    # a first load (nothing before) is also reviewed without looking the new items up: the same answer
    ways = [given_rows] + ([hierarchy_of(*frames, every_new=True)] if not before else [])
    for way in ways:
        for name in ("moves", "rollups", "spans", "orphans"):
            assert getattr(way, name).equals(getattr(joined, name)), name
        assert (way.layers_before, way.layers_after, way.orphans_before, way.cycles) == (
            joined.layers_before,
            joined.layers_after,
            joined.orphans_before,
            joined.cycles,
        )
    return joined


def _ancestors(tree: Forest, item: str) -> list[str]:
    """`item` and every item above it, bottom up."""
    chain = [item]
    while tree.get(chain[-1]) in tree:
        chain.append(tree[chain[-1]])  # type: ignore[arg-type]
    return chain


@settings(max_examples=150, deadline=None)
@given(forests(), st.booleans())
@example(({}, {"a": None, "b": "a", "c": "b", "d": "a", "e": "x"}), True)  # a first load, an orphan
@example(({}, {}), True)
@example(({}, {"a": None, "b": None, "c": "b", "d": "b", "e": "a"}), True)  # a first load: b (2) before a (1)
def test_review_matches_the_oracle_on_random_forests(
    pair: tuple[Forest, Forest], unchanged_too: bool
) -> None:
    before, after = pair
    h = _review(before, after, unchanged_too)
    moved = {i for i in after if i in before and before[i] != after[i]}
    assert set(h.moves["id"]) == moved and h.moves.height == len(moved)
    top = {i: [a for a in _ancestors(after, i) if a in moved][-1] for i in moved}
    assert dict(zip(h.moves["id"], h.moves["rollup"], strict=True)) == top
    # every moved item is in exactly one rollup, and each rollup counts its whole subtree in the new tree
    roots = {t for t in top.values()}
    assert set(h.rollups["id"]) == roots
    assert sum(h.rollups["moved"]) == len(moved)
    for root, size, count in zip(h.rollups["id"], h.rollups["size"], h.rollups["moved"], strict=True):
        below = [i for i in after if root in _ancestors(after, i)]
        assert size == len(below)
        assert count == sum(1 for i in moved if top[i] == root)
    for row in h.moves.iter_rows(named=True):
        assert (row["old_parent"], row["new_parent"]) == (before[row["id"]], after[row["id"]])
        assert row["label"] == f"Name {row['id']}"
    # spans: every existing manager who gains or loses a report, with the true counts of direct reports
    items = set(before) | set(after)
    changed = [i for i in items if before.get(i, "∅") != after.get(i, "∅")]
    affected = {p for i in changed for p in (before.get(i), after.get(i)) if p in items}
    assert set(h.spans["id"]) == affected
    for row in h.spans.iter_rows(named=True):
        m = row["id"]
        # direct reports of an item that exists (a report naming a missing manager is an orphan, not a report)
        assert row["before"] == (sum(1 for p in before.values() if p == m) if m in before else 0)
        assert row["after"] == (sum(1 for p in after.values() if p == m) if m in after else 0)
        both = m in before and m in after
        expected = (
            "becomes a manager"
            if both and row["before"] == 0 and row["after"] > 0
            else "no longer a manager"
            if both and row["before"] > 0 and row["after"] == 0
            else ""
        )
        assert row["status"] == expected
    # listed by name; on a first load (nothing before, every span new) widest first
    rows = list(zip(h.spans["after"], h.spans["label"], h.spans["id"], strict=True))
    assert rows == sorted(rows, key=lambda r: (-r[0], r[1], r[2]) if not before else (r[1], r[2]))
    assert h.layers_before == max((len(_ancestors(before, i)) for i in before), default=0)
    assert h.layers_after == max((len(_ancestors(after, i)) for i in after), default=0)
    assert set(h.orphans["id"]) == {i for i, p in after.items() if p is not None and p not in after}
    assert h.orphans_before == sum(1 for p in before.values() if p is not None and p not in before)
    assert h.cycles == 0


def test_a_cycle_is_counted_and_kept_out_of_rollups() -> None:
    before = {"a": None, "b": "a", "c": "a"}
    after = {"a": None, "b": "c", "c": "b"}
    h = _review(before, after)
    assert h.cycles == 2
    assert h.rollups.height == 0 and set(h.moves["id"]) == {"b", "c"}
    assert h.moves["rollup"].to_list() == [None, None]


def test_climb_depths_of_a_long_chain() -> None:
    n = 1000
    parents = pl.Series([None, *range(n - 1)], dtype=pl.Int64)
    up = climb(parents, pl.Series([i == 500 for i in range(n)]))
    assert up.depth.to_list() == list(range(1, n + 1))
    assert up.top.to_list() == [-1] * 500 + [500] * 500


def _items(**frames: pl.DataFrame) -> ItemChanges:
    columns = ["name", "manager", "location", "salary"]
    empty_updates = pl.DataFrame(
        schema={c: pl.Utf8 for c in ["id", *(x for c in columns for x in (c, c + "__before"))]}
    )
    return ItemChanges(
        key=["id"],
        columns=columns,
        sensitive=frozenset({"salary"}),
        creates=frames.get("creates", pl.DataFrame(schema={c: pl.Utf8 for c in ["id", *columns]})),
        updates=frames.get("updates", empty_updates),
        deletes=frames.get("deletes", pl.DataFrame(schema={c: pl.Utf8 for c in ["id", "manager", "name"]})),
        existing=0,
    )


def test_property_counts_keep_fills_apart_and_count_sensitive_cells_only() -> None:
    updates = frame(
        [
            "id",
            "name",
            "name__before",
            "manager",
            "manager__before",
            "location",
            "location__before",
            "salary",
            "salary__before",
        ],
        [
            ("1", "A", "A", "m", "m", "Paris", None, "10", "9"),
            ("2", "B", "B", "m", "m", "Lyon", "Nice", None, "9"),
            ("3", "C", "C", "m", "m", None, "Nice", "1", "1"),
        ],
    )
    counts = {p.key: p for p in property_counts(_items(updates=updates))}
    assert set(counts) == {"location", "salary"}
    assert (counts["location"].changed, counts["location"].filled, counts["location"].cleared) == (1, 1, 1)
    assert (counts["salary"].changed, counts["salary"].filled, counts["salary"].cleared) == (2, 0, 0)
    assert counts["salary"].sensitive


def test_review_items_rebuilds_both_trees_from_the_plan_frames() -> None:
    """Source after the plan: boss <- mira <- (al, bo); new manager carl; `old` is deleted; `kept` is live only."""
    source = frame(
        ["id", "name", "manager", "location", "salary"],
        [
            ("boss", "Boss", None, None, "1"),
            ("alice", "Alice Oldboss", "boss", None, "1"),
            ("carl", "Carl Newboss", "boss", None, "1"),
            ("mira", "Mira Moved", "carl", None, "1"),
            ("al", "Al", "mira", None, "1"),
            ("bo", "Bo", "mira", None, "1"),
            ("new", "Nina New", "alice", None, "1"),
        ],
    )
    updates = frame(
        [
            "id",
            "name",
            "name__before",
            "manager",
            "manager__before",
            "location",
            "location__before",
            "salary",
            "salary__before",
        ],
        [("mira", "Mira Moved", "Mira Moved", "carl", "alice", None, None, "1", "1")],
    )
    creates = frame(
        ["id", "name", "manager", "location", "salary"], [("new", "Nina New", "alice", None, "1")]
    )
    deletes = frame(["id", "manager", "name"], [("old", "alice", "Otto Old")])
    live_keys = frame(["id"], [(i,) for i in ("boss", "alice", "carl", "mira", "al", "bo", "old", "kept")])
    review = review_items(
        _items(updates=updates, creates=creates, deletes=deletes),
        source,
        live_keys,
        label="name",
        tree=("id", "manager"),
    )
    h = review.hierarchy
    assert h is not None and review.label == "name"
    assert h.rollups.rows() == [
        ("mira", "Mira Moved", "alice", "Alice Oldboss", "carl", "Carl Newboss", 3, 1)
    ]
    assert sorted(h.spans.select("id", "before", "after", "status").rows()) == [
        ("alice", 2, 1, ""),
        ("carl", 0, 1, "becomes a manager"),
    ]
    assert (h.layers_before, h.layers_after) == (4, 4)
    assert h.orphans.height == 0


def test_a_sensitive_tree_or_label_stays_out_of_the_review() -> None:
    items = _items()
    source = frame(["id", "name", "manager", "salary"], [("a", "A", None, "1")])
    review = review_items(items, source, frame(["id"], []), label="salary", tree=("id", "salary"))
    assert review.label is None and review.hierarchy is None


def test_a_link_that_changes_its_to_end_is_a_move_of_its_from_item() -> None:
    """Ann's one link moves from P1 to P2; Bob gains a second link (no move); Cy's only link goes (no move)."""
    ends = ["from_id", "to_id"]
    items = ItemChanges(
        key=ends,
        columns=[],
        sensitive=frozenset(),
        creates=frame(ends, [("ann", "P2"), ("bob", "P3")]),
        updates=pl.DataFrame(schema={c: pl.Utf8 for c in ends}),
        deletes=frame(ends, [("ann", "P1"), ("cy", "P1")]),
        existing=3,
    )
    h = link_moves(items)
    assert h is not None
    assert h.moves.select("id", "old_parent", "new_parent", "rollup").rows() == [("ann", "P1", "P2", "ann")]
    assert h.rollups.select("id", "size", "moved").rows() == [("ann", 1, 1)]
