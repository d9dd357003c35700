"""Deletes of a dataset with a hierarchy carry its tree columns (read from the live items), so apply can
remove children before their parents even when the tree id is not the item key."""

from __future__ import annotations

import orjson

from orgsync.plan.builder import build_plan
from orgsync.plan.render import json as json_render
from orgsync.plan.saved import load_saved, save
from tests.support.plan_factories import dataset, frame, live, live_dataset, project, table

ORG_PROPS = [
    {"key": "id", "name": "ID", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "code", "name": "Code", "type": "text"},
    {"key": "parent", "name": "Parent", "type": "text"},
]
LIVE_COLUMNS = ["id", "name", "code", "parent", "_id"]
LIVE_ROWS = [
    ("U1", "Root", "PC-1", None, "i1"),
    ("U2", "Mid", "PC-2", "PC-1", "i2"),
    ("U3", "Leaf", "PC-3", "PC-2", "i3"),
    ("U4", "Kept", "PC-4", "PC-1", "i4"),
]


def _org(props=ORG_PROPS, **extra):
    return dataset(
        "Org",
        mode="mirror",
        props=props,
        treeId="code",
        treeParentId="parent",
        safety={"maxDeletePercent": 100},
        **extra,
    )


def _plan(manifest, source, live_rows=LIVE_ROWS):
    state = live(
        live_dataset("Org", "DS-1", props=manifest.model_dump()["properties"]),
        items={"DS-1": frame(LIVE_COLUMNS, live_rows)},
    )
    return build_plan(project(manifest), {"Org": source}, state)


def test_deletes_carry_the_tree_id_and_parent_beside_the_key_and_id():
    plan = _plan(_org(), table("Org", ["id", "name", "code", "parent"], [LIVE_ROWS[0][:4], LIVE_ROWS[3][:4]]))
    deletes = plan.resources[0].items.deletes
    assert deletes.to_dicts() == [
        {"id": "U2", "_id": "i2", "code": "PC-2", "parent": "PC-1", "name": "Mid"},
        {"id": "U3", "_id": "i3", "code": "PC-3", "parent": "PC-2", "name": "Leaf"},
    ]


def test_tree_columns_the_source_does_not_own_still_come_from_the_live_items():
    plan = _plan(_org(), table("Org", ["id", "name"], [("U1", "Root"), ("U4", "Kept")]))
    items = plan.resources[0].items
    assert items.columns == ["name"]  # never compared or written
    assert items.deletes.columns == ["id", "_id", "code", "parent", "name"]  # name: the label, for people
    assert items.deletes.get_column("code").to_list() == ["PC-2", "PC-3"]


def test_a_dataset_without_a_hierarchy_deletes_by_key_and_id_only():
    manifest = dataset("Org", mode="mirror", props=ORG_PROPS, safety={"maxDeletePercent": 100})
    plan = _plan(manifest, table("Org", ["id", "name", "code", "parent"], [LIVE_ROWS[0][:4]]))
    assert plan.resources[0].items.deletes.columns == ["id", "_id", "name"]


def test_a_sensitive_tree_column_is_never_carried_and_the_plan_says_the_deletes_are_unordered():
    props = [dict(p, sensitive=True) if p["key"] == "parent" else p for p in ORG_PROPS]
    plan = _plan(_org(props), table("Org", ["id", "name"], [("U1", "Root")]))
    res = plan.resources[0]
    assert res.items.deletes.columns == ["id", "_id", "code", "name"]
    assert (
        "parent (tree) is sensitive, so the plan does not keep its values and the item deletes are not ordered "
        "children first"
    ) in res.warnings


def test_the_saved_plan_keeps_the_tree_columns_of_deletes_and_bots_see_only_keys(tmp_path):
    plan = _plan(_org(), table("Org", ["id", "name"], [("U1", "Root"), ("U4", "Kept")]))
    path = tmp_path / "plan.json"
    save(plan, path)
    saved = orjson.loads(path.read_bytes())["resources"][0]["items"]["deletes"]
    assert saved == {
        "id": ["U2", "U3"],
        "_id": ["i2", "i3"],
        "code": ["PC-2", "PC-3"],
        "parent": ["PC-1", "PC-2"],
        "name": ["Mid", "Leaf"],  # the label, so a reviewer reads who goes
    }
    back = load_saved(path).resources[0].items.deletes
    assert back.to_dicts() == plan.resources[0].items.deletes.to_dicts()
    bots = orjson.loads(json_render.render(plan))["resources"][0]["items"]["deletes"]
    assert bots == [{"key": {"id": "U2"}}, {"key": {"id": "U3"}}]
