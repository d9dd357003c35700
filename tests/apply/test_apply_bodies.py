"""Request bodies of dataset and links writes."""

from __future__ import annotations

from orgsync.apply.bodies import create_dataset_body, create_links_body, keep_properties_body, update_body
from orgsync.plan.model import Action, ChangeClass, FieldChange, PropertyChange
from tests.support.apply_factories import dataset_manifest, links_manifest, resource


def test_create_sends_the_whole_manifest():
    m = dataset_manifest(
        "Org", tree=("id", "parent"), properties=[{"key": "n", "name": "Name", "type": "text"}]
    )
    assert create_dataset_body(m) == {
        "name": "Org",
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "id",
        "tags": [],
        "treeId": "id",
        "treeParentId": "parent",
        # the key properties (autoId, labelId, treeId, treeParentId) must be isRequired: true (D/Dataset-operations/create-dataset/)
        "properties": [
            {"key": "id", "name": "id", "type": "text", "isRequired": True},
            {"key": "n", "name": "Name", "type": "text"},
            {"key": "parent", "name": "parent", "type": "text", "isRequired": True},
        ],
    }


def test_create_links_names_both_ends_by_id_and_leaves_core_properties_out():
    m = links_manifest("P2P", "People", "Positions")
    assert create_links_body(m, "ID-A", "ID-B") == {
        "name": "P2P",
        "fromDatasetId": "ID-A",
        "toDatasetId": "ID-B",
        "tags": [],
        "additionalProperties": [],
    }


def test_update_sends_only_changed_fields_and_added_properties():
    m = dataset_manifest(
        "A",
        properties=[
            {"key": "n", "name": "Name", "type": "text"},
            {"key": "s", "name": "Score", "type": "number"},
        ],
    )
    res = resource(
        "A",
        action=Action.UPDATE,
        config_changes=[FieldChange(field="tags", before=[], after=["hr"], change_class=ChangeClass.UPDATE)],
    )
    res = res.model_copy(
        update={
            "property_changes": [
                PropertyChange(
                    key="s", action=Action.CREATE, after={"key": "s"}, change_class=ChangeClass.ADDITIVE
                ),
                PropertyChange(
                    key="old",
                    action=Action.DELETE,
                    before={"key": "old"},
                    change_class=ChangeClass.DESTRUCTIVE,
                ),
            ]
        }
    )
    assert update_body(res, m) == {
        "tags": ["hr"],
        "properties": [{"key": "s", "name": "Score", "type": "number"}],
    }


def test_property_removal_keeps_every_live_property_but_the_removed_ones():
    res = resource("A", action=Action.UPDATE, removed_properties=["old"])
    live = [
        {"key": "id", "name": "ID", "type": "text", "isRequired": True},
        {"key": "old", "name": "Old", "type": "text"},
        {"key": "n", "name": "N", "type": "number"},
    ]
    assert keep_properties_body(res, live) == {
        "properties": [
            {"key": "id", "name": "ID", "type": "text", "isRequired": True},
            {"key": "n", "name": "N", "type": "number"},
        ]
    }
    links = resource("L", links=True, action=Action.UPDATE, removed_properties=["old"])
    live_links = [{"key": "from_id", "name": "from_id", "type": "string"}, *live[1:]]
    assert keep_properties_body(links, live_links) == {
        "additionalProperties": [{"key": "n", "name": "N", "type": "number"}]
    }


BONUS = {"key": "bonus", "name": "Bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"}


def test_on_demand_properties_carry_their_formula_in_create_update_and_keep_bodies():
    m = dataset_manifest("A", properties=[BONUS, {"key": "n", "name": "Name", "type": "text"}])
    assert create_dataset_body(m)["properties"] == [
        {"key": "id", "name": "id", "type": "text", "isRequired": True},
        BONUS,
        {"key": "n", "name": "Name", "type": "text"},
    ]
    res = resource("A", action=Action.UPDATE)
    res = res.model_copy(
        update={
            "property_changes": [
                PropertyChange(
                    key="bonus",
                    action=Action.UPDATE,
                    before={**BONUS, "formula": "x"},
                    after=BONUS,
                    change_class=ChangeClass.UPDATE,
                )
            ]
        }
    )
    assert update_body(res, m) == {"properties": [BONUS]}
    removal = resource("A", action=Action.UPDATE, removed_properties=["old"])
    live = [BONUS, {"key": "old", "name": "Old", "type": "text"}]
    assert keep_properties_body(removal, live) == {"properties": [BONUS]}


def test_a_property_that_stops_being_on_demand_says_so_in_the_patch():
    m = dataset_manifest("A", properties=[{"key": "bonus", "name": "Bonus", "type": "number"}])
    res = resource("A", action=Action.UPDATE)
    res = res.model_copy(
        update={
            "property_changes": [
                PropertyChange(
                    key="bonus",
                    action=Action.UPDATE,
                    before=BONUS,
                    after={"key": "bonus", "name": "Bonus", "type": "number"},
                    change_class=ChangeClass.UPDATE,
                )
            ]
        }
    )
    assert update_body(res, m) == {
        "properties": [{"key": "bonus", "name": "Bonus", "type": "number", "onDemand": False}]
    }


def test_an_is_required_change_is_sent_explicitly_in_the_patch():
    """A PATCH merges by key, so `isRequired: false` must be sent as such; the key properties are sent true."""
    m = dataset_manifest("A", properties=[{"key": "s", "name": "S", "type": "number", "isRequired": False}])
    res = resource("A", action=Action.UPDATE).model_copy(
        update={
            "property_changes": [
                PropertyChange(
                    key="s",
                    action=Action.UPDATE,
                    before={"key": "s", "name": "S", "type": "number", "isRequired": True},
                    after={"key": "s", "name": "S", "type": "number", "isRequired": False},
                    change_class=ChangeClass.UPDATE,
                ),
                PropertyChange(
                    key="id",
                    action=Action.UPDATE,
                    before={"key": "id", "name": "id", "type": "text", "isRequired": False},
                    after={"key": "id", "name": "id", "type": "text", "isRequired": True},
                    change_class=ChangeClass.UPDATE,
                ),
            ]
        }
    )
    assert update_body(res, m) == {
        "properties": [
            {"key": "s", "name": "S", "type": "number", "isRequired": False},
            {"key": "id", "name": "id", "type": "text", "isRequired": True},
        ]
    }
