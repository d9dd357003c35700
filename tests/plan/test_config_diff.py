"""Configuration and property diffs: each field and property change with its class."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orgsync.manifest.models import PropertySpec
from orgsync.plan.config_diff import diff_config, diff_properties
from orgsync.plan.model import Action, ChangeClass
from tests.support.plan_factories import PROPS, dataset, links, live_dataset


def test_same_configuration_with_reordered_tags_is_no_change():
    manifest = dataset(tags=["b", "a"])
    assert diff_config(manifest, live_dataset(tags=["a", "b", "a"]).fields) == []


def test_changed_fields_before_after_and_tree_key_change_is_destructive():
    manifest = dataset(labelId="id", tags=["hr"], treeId="id", treeParentId="manager")
    changes = {c.field: c for c in diff_config(manifest, live_dataset().fields)}
    assert set(changes) == {"labelId", "tags", "treeId", "treeParentId"}
    assert (changes["labelId"].before, changes["labelId"].after) == ("name", "id")
    assert changes["labelId"].change_class == ChangeClass.UPDATE
    assert (changes["tags"].before, changes["tags"].after) == ([], ["hr"])
    assert changes["treeParentId"].change_class == ChangeClass.DESTRUCTIVE


def test_links_compare_only_name_and_tags():
    resource = live_dataset("Reports", links=True, tags=["x"]).fields
    assert [(c.field, c.after) for c in diff_config(links(tags=["y"]), resource)] == [("tags", ["y"])]


def _specs(props):
    return [PropertySpec.model_validate(p) for p in props]


def test_properties_added_renamed_and_type_changed():
    live_props = [
        {"key": "id", "name": "ID", "type": "text"},
        {"key": "name", "name": "Full name", "type": "text"},
        {"key": "salary", "name": "Salary", "type": "text"},
        {"key": "extra", "name": "E", "type": "text"},
    ]
    changes = {p.key: p for p in diff_properties(_specs(PROPS), live_props, delete_omitted=False)}
    assert set(changes) == {"name", "salary", "manager"}
    assert (changes["name"].action, changes["name"].change_class) == (Action.UPDATE, ChangeClass.UPDATE)
    assert changes["name"].before["name"] == "Full name" and changes["name"].after["name"] == "Name"
    assert (changes["salary"].action, changes["salary"].change_class) == (
        Action.UPDATE,
        ChangeClass.DESTRUCTIVE,
    )
    assert (changes["manager"].action, changes["manager"].change_class) == (
        Action.CREATE,
        ChangeClass.ADDITIVE,
    )
    assert "sensitive" not in changes["manager"].after


def test_omitted_properties_are_removed_only_with_delete_omitted_and_link_core_keys_never():
    live_props = [
        *[{k: v for k, v in p.items() if k != "sensitive"} for p in PROPS],
        {"key": "extra", "name": "E", "type": "text"},
    ]
    assert diff_properties(_specs(PROPS), live_props, delete_omitted=False) == []
    removed = diff_properties(_specs(PROPS), live_props, delete_omitted=True)
    assert [(p.key, p.action, p.change_class) for p in removed] == [
        ("extra", Action.DELETE, ChangeClass.DESTRUCTIVE)
    ]
    core = [{"key": k, "name": k, "type": "string"} for k in ("from_id", "to_id", "link_id", "allocation")]
    assert diff_properties([], core, delete_omitted=True, links=True) == []


BONUS = {"key": "bonus", "name": "Bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"}


def test_an_on_demand_property_as_orgvue_keeps_it_is_no_change():
    assert diff_properties(_specs([BONUS]), [dict(BONUS)], delete_omitted=False) == []


def test_a_changed_formula_is_an_update_before_to_after():
    [change] = diff_properties(
        _specs([{**BONUS, "formula": "salary * 0.2"}]), [dict(BONUS)], delete_omitted=False
    )
    assert (change.key, change.action, change.change_class) == ("bonus", Action.UPDATE, ChangeClass.UPDATE)
    assert change.before == BONUS and change.after == {**BONUS, "formula": "salary * 0.2"}


def test_making_a_property_on_demand_is_destructive_and_stopping_is_an_update():
    plain = {"key": "bonus", "name": "Bonus", "type": "number"}
    [on] = diff_properties(_specs([BONUS]), [plain], delete_omitted=False)
    assert (on.before, on.after, on.change_class) == (plain, BONUS, ChangeClass.DESTRUCTIVE)
    # a formula Orgvue still holds on a property that is no longer on-demand is not compared
    [off] = diff_properties(_specs([plain]), [dict(BONUS)], delete_omitted=False)
    assert (off.before, off.after, off.change_class) == (BONUS, plain, ChangeClass.UPDATE)
    assert (
        diff_properties(_specs([plain]), [{**plain, "onDemand": False, "formula": "x"}], delete_omitted=False)
        == []
    )


KEYS = frozenset({"id", "name"})  # the autoId and labelId of the factories' People


def test_a_key_property_that_is_not_required_on_the_tenant_is_planned_required():
    """The key properties must be isRequired: true (D/Dataset-operations/create-dataset/): a tenant that says otherwise
    gets an update, even though the manifest does not mention isRequired."""
    live_props = [
        {"key": "id", "name": "ID", "type": "text", "isRequired": False},
        {"key": "name", "name": "Name", "type": "text"},
    ]
    changes = diff_properties(_specs(PROPS[:2]), live_props, delete_omitted=False, keys=KEYS)
    assert [(c.key, c.action, c.before["isRequired"], c.after["isRequired"]) for c in changes] == [
        ("id", Action.UPDATE, False, True),
        ("name", Action.UPDATE, False, True),
    ]
    assert all(c.change_class == ChangeClass.UPDATE for c in changes)
    required = [{**p, "isRequired": True} for p in live_props]
    assert diff_properties(_specs(PROPS[:2]), required, delete_omitted=False, keys=KEYS) == []


def test_a_declared_is_required_is_compared_and_an_undeclared_one_left_alone():
    live_props = [
        {"key": "salary", "name": "Salary", "type": "number", "isRequired": True},
        {"key": "manager", "name": "Manager", "type": "text", "isRequired": True},
    ]
    specs = _specs(
        [
            {"key": "salary", "name": "Salary", "type": "number", "isRequired": False},
            {"key": "manager", "name": "Manager", "type": "text"},
        ]
    )  # manager: not declared, not a key
    [change] = diff_properties(specs, live_props, delete_omitted=False, keys=KEYS)
    assert (change.key, change.before, change.after) == (
        "salary",
        {"key": "salary", "name": "Salary", "type": "number", "isRequired": True},
        {"key": "salary", "name": "Salary", "type": "number", "isRequired": False},
    )


def test_a_manifest_cannot_make_a_key_property_optional():
    props = [{**PROPS[0], "isRequired": False}, *PROPS[1:]]
    with pytest.raises(ValidationError, match="'id' is the dataset's autoId.*isRequired: true"):
        dataset(props=props)
