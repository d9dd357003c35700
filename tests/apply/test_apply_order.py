"""order_plan: steps, phases, dependencies and hierarchy waves, without any I/O."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsync.apply.order import OrderError, Phase, StepKind, order_plan
from orgsync.plan.model import Action, ChangeClass, FieldChange
from tests.support.apply_factories import dataset_manifest, items, links_manifest, plan, project, resource


def _ids(steps):
    return [s.id for s in steps]


def _full_example():
    people = resource(
        "People",
        action=Action.CREATE,
        item_changes=items(["id"], ["name"], creates=[("p1", "Ann")], deletes=[("p9",)]),
    )
    positions = resource(
        "Positions",
        item_changes=items(["id"], ["title"], updates=[("x1", "CEO", "Boss")], deletes=[("x9",)]),
        removed_properties=["old"],
    )
    links = resource(
        "P2P",
        links=True,
        action=Action.CREATE,
        depends_on=["dataset.People", "dataset.Positions"],
        item_changes=items(
            ["from_id", "to_id"], ["allocation"], creates=[("p1", "x1", "1")], deletes=[("p9", "x9")]
        ),
    )
    proj = project(
        dataset_manifest("People"),
        dataset_manifest("Positions"),
        links_manifest("P2P", "People", "Positions"),
    )
    return plan(people, positions, links), proj


def test_steps_follow_the_documented_global_order():
    p, proj = _full_example()
    assert _ids(order_plan(p, proj)) == [
        "dataset.People:create-dataset",
        "links.P2P:create-dataset",
        "links.P2P:delete-items",
        "dataset.People:upsert-items",
        "dataset.Positions:upsert-items",
        "links.P2P:upsert-items",
        "dataset.People:delete-items",
        "dataset.Positions:delete-items",
        "dataset.Positions:remove-properties",
    ]


def test_dependencies_link_each_step_to_what_it_needs():
    p, proj = _full_example()
    after = {s.id: set(s.after) for s in order_plan(p, proj)}
    assert after["dataset.People:create-dataset"] == set()
    assert after["links.P2P:create-dataset"] == {"dataset.People:create-dataset"}
    assert after["links.P2P:delete-items"] == {"links.P2P:create-dataset"}
    assert after["dataset.People:upsert-items"] == {"dataset.People:create-dataset", "links.P2P:delete-items"}
    assert after["dataset.Positions:upsert-items"] == {"links.P2P:delete-items"}
    assert after["links.P2P:upsert-items"] == {
        "links.P2P:create-dataset",
        "links.P2P:delete-items",
        "dataset.People:upsert-items",
        "dataset.Positions:upsert-items",
    }
    assert after["dataset.People:delete-items"] == {
        "dataset.People:create-dataset",
        "dataset.People:upsert-items",
        "links.P2P:delete-items",
        "links.P2P:upsert-items",
    }
    assert after["dataset.Positions:remove-properties"] == {
        "dataset.Positions:upsert-items",
        "dataset.Positions:delete-items",
    }


def test_every_dependency_runs_earlier_in_the_sequence():
    p, proj = _full_example()
    seen: set[str] = set()
    for step in order_plan(p, proj):
        assert set(step.after) <= seen, step.id
        seen.add(step.id)


def test_unchanged_resources_make_no_steps_and_config_update_is_phase_one():
    changed = resource(
        "A",
        action=Action.UPDATE,
        config_changes=[FieldChange(field="tags", before=[], after=["hr"], change_class=ChangeClass.UPDATE)],
    )
    idle = resource("B", item_changes=items(["id"], ["n"]))
    steps = order_plan(plan(changed, idle), project(dataset_manifest("A"), dataset_manifest("B")))
    assert [(s.id, s.phase) for s in steps] == [("dataset.A:update-dataset", Phase.DATASET_CONFIG)]


def test_property_removal_alone_is_not_a_config_update():
    res = resource("A", action=Action.UPDATE, removed_properties=["gone"])
    assert _ids(order_plan(plan(res), project(dataset_manifest("A")))) == ["dataset.A:remove-properties"]


def test_independent_datasets_have_no_dependency_between_them():
    a = resource("A", item_changes=items(["id"], ["n"], creates=[("1", "x")]))
    b = resource("B", item_changes=items(["id"], ["n"], creates=[("2", "y")]))
    steps = order_plan(plan(a, b), project(dataset_manifest("A"), dataset_manifest("B")))
    assert [(s.id, s.after) for s in steps] == [
        ("dataset.A:upsert-items", ()),
        ("dataset.B:upsert-items", ()),
    ]


def test_hierarchy_creates_go_parents_first_level_by_level():
    # c3 under c2 under c1 (a root); u1 is an existing item moved under the new c2.
    ch = items(
        ["id"],
        ["name", "parent"],
        creates=[("c3", "C3", "c2"), ("c1", "C1", None), ("c2", "C2", "c1"), ("c4", "C4", "old")],
        updates=[("u1", "U1", "U1", "c2", "old"), ("u2", "U2b", "U2", "old", "old")],
    )
    res = resource("Org", item_changes=ch)
    (step,) = order_plan(plan(res), project(dataset_manifest("Org", tree=("id", "parent"))))
    waves = [
        (w.creates.to_frame().get_column("id").to_list(), w.updates.to_frame().get_column("id").to_list())
        for w in step.waves
    ]
    assert waves == [(["c1", "c4"], ["u2"]), (["c2"], []), (["c3"], ["u1"])]
    assert step.waves[0].creates.to_frame().columns == ["id", "name", "parent"]
    assert step.item_count == 6


def test_flat_dataset_keeps_one_wave_in_plan_order():
    ch = items(["id"], ["name"], creates=[("b", "B"), ("a", "A")], updates=[("c", "C", "c0")])
    (step,) = order_plan(plan(resource("Flat", item_changes=ch)), project(dataset_manifest("Flat")))
    assert len(step.waves) == 1
    assert step.waves[0].creates.to_frame().get_column("id").to_list() == ["b", "a"]


def test_hierarchy_deletes_go_children_first_when_tree_columns_are_known():
    ch = items(
        ["id"],
        ["name"],
        delete_columns=["id", "parent"],
        deletes=[("root", None), ("leaf", "mid"), ("mid", "root"), ("other", "kept")],
    )
    (step,) = order_plan(
        plan(resource("Org", item_changes=ch)), project(dataset_manifest("Org", tree=("id", "parent")))
    )
    assert [w.deletes.to_frame().get_column("id").to_list() for w in step.waves] == [
        ["leaf"],
        ["mid"],
        ["root", "other"],
    ]


def test_hierarchy_deletes_go_children_first_when_the_tree_id_is_not_the_key():
    # keys run against the tree: the key order alone would delete the root first
    ch = items(
        ["id"],
        ["name"],
        delete_columns=["id", "_id", "code", "parent"],
        deletes=[("a", "i1", "PC-1", None), ("b", "i2", "PC-2", "PC-1"), ("c", "i3", "PC-3", "PC-2")],
    )
    manifest = dataset_manifest(
        "Org", tree=("code", "parent"), properties=[{"key": "code", "name": "Code", "type": "text"}]
    )
    (step,) = order_plan(plan(resource("Org", item_changes=ch)), project(manifest))
    assert [w.deletes.to_frame().get_column("id").to_list() for w in step.waves] == [["c"], ["b"], ["a"]]
    assert step.waves[0].deletes.to_frame().columns == ["id", "_id", "code", "parent"]


def test_deletes_without_tree_columns_are_one_wave():
    ch = items(["id"], ["name"], deletes=[("a",), ("b",)])
    (step,) = order_plan(
        plan(resource("Org", item_changes=ch)), project(dataset_manifest("Org", tree=("id", "parent")))
    )
    assert [w.deletes.to_frame().get_column("id").to_list() for w in step.waves] == [["a", "b"]]


def test_a_hierarchy_cycle_is_refused_before_any_write():
    ch = items(["id"], ["parent"], creates=[("a", "b"), ("b", "a"), ("r", None)])
    with pytest.raises(OrderError, match=r"hierarchy cycle \(2 items, e.g. a, b\)"):
        order_plan(
            plan(resource("Org", item_changes=ch)), project(dataset_manifest("Org", tree=("id", "parent")))
        )


def test_ondemand_runs_last_and_only_when_something_changed():
    proj = project(dataset_manifest("A", on_demand=["score"]), dataset_manifest("B", on_demand=["score"]))
    a = resource("A", item_changes=items(["id"], ["n"], creates=[("1", "x")]))
    b = resource("B", item_changes=items(["id"], ["n"]))
    steps = order_plan(plan(a, b), proj)
    assert [(s.id, s.after) for s in steps] == [
        ("dataset.A:upsert-items", ()),
        ("dataset.A:run-ondemand", ("dataset.A:upsert-items",)),
    ]
    assert steps[-1].kind == StepKind.RUN_ONDEMAND and steps[-1].phase == Phase.FOLLOW_UPS


def test_populate_follows_the_source_dataset_writes():
    proj = project(
        dataset_manifest("People"),
        dataset_manifest("Positions"),
        links_manifest("P2P", "People", "Positions", populate_from="People"),
    )
    people = resource("People", item_changes=items(["id"], ["pos"], updates=[("p1", "x2", "x1")]))
    links = resource("P2P", links=True, depends_on=["dataset.People", "dataset.Positions"])
    steps = order_plan(plan(people, resource("Positions"), links), proj)
    assert [(s.id, s.after) for s in steps] == [
        ("dataset.People:upsert-items", ()),
        ("links.P2P:populate-links", ("dataset.People:upsert-items",)),
    ]


def test_populate_is_skipped_when_nothing_it_reads_changed():
    proj = project(
        dataset_manifest("People"),
        dataset_manifest("Positions"),
        links_manifest("P2P", "People", "Positions", populate_from="People"),
    )
    links = resource("P2P", links=True, depends_on=["dataset.People", "dataset.Positions"])
    assert order_plan(plan(resource("People"), resource("Positions"), links), proj) == []


def test_populate_reads_a_source_dataset_that_is_neither_end():
    # sourceDataset names a third dataset: a change there alone makes populate due, and populate waits for it
    proj = project(
        dataset_manifest("People"),
        dataset_manifest("Positions"),
        dataset_manifest("Moves"),
        links_manifest("P2P", "People", "Positions", populate_from="Moves"),
    )
    moves = resource("Moves", item_changes=items(["id"], ["pos"], updates=[("m1", "x2", "x1")]))
    links = resource("P2P", links=True, depends_on=["dataset.People", "dataset.Positions"])
    steps = order_plan(plan(resource("People"), resource("Positions"), moves, links), proj)
    assert [(s.id, s.after) for s in steps] == [
        ("dataset.Moves:upsert-items", ()),
        ("links.P2P:populate-links", ("dataset.Moves:upsert-items",)),
    ]


def test_ondemand_is_recalculated_when_only_a_links_dataset_on_it_changed():
    # a formula may read the links (e.g. a count of assignments): their change alone recalculates, after them
    proj = project(
        dataset_manifest("People", on_demand=["score"]),
        dataset_manifest("Positions"),
        links_manifest("P2P", "People", "Positions"),
    )
    links = resource(
        "P2P",
        links=True,
        depends_on=["dataset.People", "dataset.Positions"],
        item_changes=items(
            ["from_id", "to_id"], ["allocation"], creates=[("p1", "x1", "1")], deletes=[("p9", "x9")]
        ),
    )
    steps = order_plan(plan(resource("People"), resource("Positions"), links), proj)
    assert [(s.id, set(s.after)) for s in steps] == [
        ("links.P2P:delete-items", set()),
        ("links.P2P:upsert-items", {"links.P2P:delete-items"}),
        ("dataset.People:run-ondemand", {"links.P2P:delete-items", "links.P2P:upsert-items"}),
    ]


def test_the_step_table_has_one_row_per_kind_in_phase_order():
    from orgsync.apply.order import STEP_RULES

    assert [r.kind for r in STEP_RULES] == list(StepKind)
    assert [r.on_dataset for r in STEP_RULES] == sorted(r.on_dataset for r in STEP_RULES)
    # links datasets differ only here: their config comes after the datasets, their item deletes first of all
    assert [(r.kind, r.on_links) for r in STEP_RULES if r.on_links != r.on_dataset] == [
        (StepKind.CREATE_DATASET, Phase.LINKS_CONFIG),
        (StepKind.UPDATE_DATASET, Phase.LINKS_CONFIG),
        (StepKind.UPSERT_ITEMS, Phase.LINKS_ITEM_UPSERTS),
        (StepKind.DELETE_ITEMS, Phase.LINKS_ITEM_DELETES),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefghij"), st.one_of(st.none(), st.sampled_from("abcdefghijk"))),
        max_size=25,
    )
)
def test_levels_match_a_plain_walk_up_the_parents(rows: list[tuple[str, str | None]]) -> None:
    """A row's level is the number of parents above it among the rows (a parent id on several rows is the first
    of them), found by pointer jumping; a row on or under a cycle is refused with the count and the first ids."""
    from orgsync.apply.order import _levels

    first: dict[str, int] = {}
    for at, (item, _) in enumerate(rows):
        first.setdefault(item, at)

    def level(at: int) -> int | None:
        seen, depth = {at}, 0
        while (parent := rows[at][1]) is not None and parent in first:
            at = first[parent]
            if at in seen:
                return None
            seen.add(at)
            depth += 1
        return depth

    expected = [level(at) for at in range(len(rows))]
    pairs = pl.DataFrame(rows, schema={"id": pl.Utf8, "parent": pl.Utf8}, orient="row")
    stuck = [rows[at][0] for at, lv in enumerate(expected) if lv is None]
    if stuck:
        with pytest.raises(OrderError, match=rf"\({len(stuck)} items, e\.g\. {', '.join(stuck[:5])}\)"):
            _levels(pairs, what="create")
    else:
        assert _levels(pairs, what="create").to_list() == expected
