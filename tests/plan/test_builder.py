"""build_plan on hand-built values: first plan, convergence, modes, classes, safety, targets, context."""

from __future__ import annotations

import pytest

from orgsync.errors import ConfigError
from orgsync.plan.builder import build_plan
from orgsync.plan.model import KNOWN_AFTER_APPLY, Action, ChangeClass
from tests.support.plan_factories import (
    dataset,
    frame,
    links,
    live,
    live_dataset,
    live_people,
    people_rows,
    project,
    table,
)

COLS = ["id", "name", "salary", "manager"]


def _tables(rows, link_rows=()):
    return {
        "People": table("People", COLS, rows),
        "Reports": table("Reports", ["from_id", "to_id"], list(link_rows), key=("from_id", "to_id")),
    }


def test_first_plan_on_an_empty_tenant_creates_everything_links_known_after_apply():
    proj = project(links(), dataset())  # links declared first: still planned after the dataset
    plan = build_plan(proj, _tables(people_rows(3), [("E000", "E001")]), live())
    assert [(r.address, r.action, r.change_class) for r in plan.resources] == [
        ("dataset.People", Action.CREATE, ChangeClass.ADDITIVE),
        ("links.Reports", Action.CREATE, ChangeClass.ADDITIVE),
    ]
    people, reports = plan.resources
    assert people.dataset_id is None and people.items.counts == {"create": 3, "update": 0, "delete": 0}
    assert {c.field: c.after for c in people.config_changes}["autoId"] == "id"
    assert [p.key for p in people.property_changes] == COLS
    ends = {c.field: c.after for c in reports.config_changes}
    assert ends["fromDatasetId"] == KNOWN_AFTER_APPLY and ends["toDatasetId"] == KNOWN_AFTER_APPLY
    assert reports.depends_on == ["dataset.People"]
    assert plan.has_changes and not plan.blocked


def test_a_plan_against_a_tenant_equal_to_the_source_is_empty():
    rows = people_rows(20)
    state = live(live_dataset(), items={"DS-1": live_people(rows)})
    plan = build_plan(project(dataset(mode="mirror")), {"People": table("People", COLS, rows)}, state)
    (people,) = plan.resources
    assert people.action == Action.NOOP and people.change_class == ChangeClass.NONE
    assert people.items.is_empty and not plan.has_changes
    assert people.fingerprint.cache_key == "ck-DS-1" and people.fingerprint.last_transaction_id == "tx-DS-1"


def test_updates_touch_only_owned_columns_a_column_kept_by_hand_is_not_reverted():
    live_rows = [(f"E{i:03d}", f"Person {i}", "100", "boss") for i in range(20)]
    source = table(
        "People", ["id", "name"], [(f"E{i:03d}", "Renamed" if i == 0 else f"Person {i}") for i in range(20)]
    )
    plan = build_plan(
        project(dataset()), {"People": source}, live(live_dataset(), items={"DS-1": live_people(live_rows)})
    )
    items = plan.resources[0].items
    assert items.columns == ["name"]
    assert items.updates.to_dicts() == [{"id": "E000", "name": "Renamed", "name__before": "Person 0"}]
    assert plan.resources[0].change_class == ChangeClass.UPDATE


def test_mirror_deletes_above_threshold_block_and_force_allows():
    live_rows = people_rows(20)
    state = live(live_dataset(), items={"DS-1": live_people(live_rows)})
    tables = {"People": table("People", COLS, live_rows[:17])}
    plan = build_plan(project(dataset(mode="mirror")), tables, state)
    (people,) = plan.resources
    assert people.change_class == ChangeClass.DESTRUCTIVE
    assert sorted(people.items.deletes.get_column("_id").to_list()) == ["uid-E017", "uid-E018", "uid-E019"]
    assert people.blocked == [
        "dataset.People: 3 item deletes are 15 % of 20 existing items, above maxDeletePercent 10 %"
    ]
    assert plan.blocked
    forced = build_plan(project(dataset(mode="mirror")), tables, state, force=True)
    assert forced.resources[0].blocked and not forced.blocked and forced.forced
    relaxed = build_plan(project(dataset(mode="mirror", safety={"maxDeletePercent": 20})), tables, state)
    assert not relaxed.blocked
    upsert = build_plan(project(dataset(mode="upsert")), tables, state)
    assert upsert.resources[0].items.deletes.height == 0 and not upsert.has_changes


def test_targets_plan_the_target_and_what_it_depends_on():
    proj = project(dataset("People"), dataset("Roles"), links("Reports", "People", "Roles"))
    tables = {**_tables(people_rows(2)), "Roles": table("Roles", COLS, [])}
    assert [r.name for r in build_plan(proj, tables, live(), targets=["Reports"]).resources] == [
        "People",
        "Roles",
        "Reports",
    ]
    assert [r.name for r in build_plan(proj, tables, live(), targets=["Roles"]).resources] == ["Roles"]
    with pytest.raises(
        ConfigError,
        match="--target Nope: no manifest declares this name; expected one of People, Roles, Reports",
    ):
        build_plan(proj, tables, live(), targets=["Nope"])


def test_links_to_an_existing_dataset_get_its_id():
    proj = project(dataset(), links())
    plan = build_plan(proj, _tables(people_rows(1)), live(live_dataset()))
    ends = {c.field: c.after for c in plan.resources[1].config_changes}
    assert ends["fromDatasetId"] == "DS-1" and ends["toDatasetId"] == "DS-1"


def test_context_drafts_unmanaged_datasets_and_unmatched_live_items():
    state = live(
        live_dataset(drafts=[{"draftId": "D1", "name": "Reorg"}]),
        live_dataset("Legacy", "DS-9"),
        items={"DS-1": live_people([])},
        unmatched={"DS-1": 2},
    )
    plan = build_plan(project(dataset()), {"People": table("People", COLS, people_rows(1))}, state)
    assert plan.unmanaged_datasets == ["Legacy (PEOPLE)"]
    warnings = plan.resources[0].warnings
    assert (
        "2 live item(s) have no id and cannot be matched to the source; they are left as they are" in warnings
    )
    assert any("1 draft(s) are layered on this dataset's items (Reorg)" in w for w in warnings)


def test_configuration_and_property_changes_make_an_update():
    live_props = [{"key": "id", "name": "ID", "type": "text"}, {"key": "old", "name": "Old", "type": "text"}]
    state = live(live_dataset(props=live_props, tags=["x"]))
    plan = build_plan(project(dataset(with_items=False, deleteOmittedProperties=True)), {}, state)
    (people,) = plan.resources
    assert people.action == Action.UPDATE and people.items is None
    assert [(c.field, c.before, c.after) for c in people.config_changes] == [("tags", ["x"], [])]
    assert [(p.key, p.action) for p in people.property_changes] == [
        ("name", Action.CREATE),
        ("salary", Action.CREATE),
        ("manager", Action.CREATE),
        ("old", Action.DELETE),
    ]
    assert people.change_class == ChangeClass.DESTRUCTIVE and plan.blocked


def test_ambiguous_or_missing_live_dataset_is_a_config_error_naming_the_fix():
    twice = live(live_dataset("People", "A"), live_dataset("People", "B"))
    with pytest.raises(ConfigError, match=r"2 datasets named 'People' \(A, B\)") as err:
        build_plan(project(dataset(with_items=False)), {}, twice)
    assert "datasetId" in str(err.value)
    with pytest.raises(ConfigError, match="datasetId ZZ is not in tenant ACME"):
        build_plan(project(dataset(with_items=False, datasetId="ZZ")), {}, twice)
    pinned = build_plan(project(dataset(with_items=False, datasetId="B")), {}, twice)
    assert pinned.resources[0].dataset_id == "B" and pinned.unmanaged_datasets == ["People (PEOPLE)"]


def test_kind_mismatch_with_the_tenant_is_refused():
    with pytest.raises(ConfigError, match="'People' is a links dataset in the tenant"):
        build_plan(project(dataset(with_items=False)), {}, live(live_dataset(links=True)))


def test_checksum_changes_with_sources_and_manifests():
    rows = people_rows(1)
    a = build_plan(project(dataset()), {"People": table("People", COLS, rows, sha="a" * 64)}, live())
    b = build_plan(project(dataset()), {"People": table("People", COLS, rows, sha="b" * 64)}, live())
    c = build_plan(
        project(dataset(tags=["t"])), {"People": table("People", COLS, rows, sha="a" * 64)}, live()
    )
    assert len({a.source_checksum, b.source_checksum, c.source_checksum}) == 3
    assert frame(["x"], []).height == 0
