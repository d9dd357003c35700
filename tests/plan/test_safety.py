"""Safety: layered thresholds, the small-dataset floor, destructive schema changes."""

from __future__ import annotations

from dataclasses import replace

from orgsync.manifest.models import SafetyPolicy
from orgsync.plan.model import Action, ChangeClass, ItemChanges, PropertyChange, ResourcePlan
from orgsync.plan.safety import block_reasons, effective_policy
from tests.support.plan_factories import dataset, frame, project


def _resource(deletes=0, updates=0, existing=100, props=()):
    items = ItemChanges(
        key=["id"],
        columns=["v"],
        sensitive=frozenset(),
        creates=frame(["id", "v"], []),
        updates=frame(["id", "v", "v__before"], [(str(i), "a", "b") for i in range(updates)]),
        deletes=frame(["id"], [(str(i),) for i in range(deletes)]),
        existing=existing,
    )
    return ResourcePlan(
        address="dataset.People",
        kind="Dataset",
        name="People",
        action=Action.UPDATE,
        change_class=ChangeClass.UPDATE,
        items=items,
        property_changes=list(props),
    )


def test_policy_layers_default_project_and_manifest():
    proj = project(dataset(), safety={"maxDeletePercent": 5, "maxUpdatePercent": 20})
    assert effective_policy(proj, proj.manifests[0]) == SafetyPolicy(maxDeletePercent=5, maxUpdatePercent=20)
    manifest = dataset(safety={"maxDeletePercent": 30})
    assert effective_policy(proj, manifest) == SafetyPolicy(maxDeletePercent=30, maxUpdatePercent=20)


def test_deletes_and_updates_block_only_above_their_percentages():
    policy = SafetyPolicy()
    assert block_reasons(_resource(deletes=10, updates=50), policy) == []
    assert block_reasons(_resource(deletes=11, updates=51), policy) == [
        "dataset.People: 11 item deletes are 11 % of 100 existing items, above maxDeletePercent 10 %",
        "dataset.People: 51 item updates that overwrite values are 51 % of 100 existing items, above maxUpdatePercent 50 %",
    ]


def test_datasets_below_the_floor_are_never_blocked_by_percentages():
    assert block_reasons(_resource(deletes=9, existing=9), SafetyPolicy()) == []
    assert len(block_reasons(_resource(deletes=9, existing=10), SafetyPolicy())) == 1
    assert block_reasons(_resource(deletes=1, existing=2), SafetyPolicy(minExistingItems=0)) != []


def test_property_removal_and_type_change_block():
    props = [
        PropertyChange(
            key="old", action=Action.DELETE, before={"key": "old"}, change_class=ChangeClass.DESTRUCTIVE
        ),
        PropertyChange(
            key="pay",
            action=Action.UPDATE,
            before={"type": "text"},
            after={"type": "number"},
            change_class=ChangeClass.DESTRUCTIVE,
        ),
        PropertyChange(
            key="n",
            action=Action.UPDATE,
            before={"name": "a"},
            after={"name": "b"},
            change_class=ChangeClass.UPDATE,
        ),
    ]
    assert block_reasons(_resource(props=props, existing=0), SafetyPolicy()) == [
        "dataset.People: destructive change, property old removed (deleteOmittedProperties: true)",
        "dataset.People: destructive change, property pay type text -> number",
    ]


def test_turning_a_property_on_demand_blocks_and_says_so():
    # Same type, now on-demand: the formula overwrites every stored value. The reason said "type text -> text".
    change = PropertyChange(
        key="band",
        action=Action.UPDATE,
        before={"key": "band", "type": "text"},
        after={"key": "band", "type": "text", "onDemand": True, "formula": "x"},
        change_class=ChangeClass.DESTRUCTIVE,
    )
    assert block_reasons(_resource(props=[change], existing=0), SafetyPolicy()) == [
        "dataset.People: destructive change, property band becomes on-demand (its formula overwrites stored values)",
    ]


def test_updates_that_only_fill_empty_cells_do_not_count_against_max_update_percent():
    policy = SafetyPolicy()
    fills = ItemChanges(
        key=["id"],
        columns=["v", "w"],
        sensitive=frozenset(),
        creates=frame(["id", "v", "w"], []),
        updates=frame(
            ["id", "v", "v__before", "w", "w__before"],
            [(str(i), "new", None, "same", "same") for i in range(80)]
            + [(str(i), None, "old", "x", "x") for i in range(80, 86)],
        ),
        deletes=frame(["id"], []),
        existing=100,
    )
    res = ResourcePlan(
        address="dataset.People",
        kind="Dataset",
        name="People",
        action=Action.UPDATE,
        change_class=ChangeClass.UPDATE,
        items=fills,
    )
    assert block_reasons(res, policy) == []  # 80 fills + 6 clears: only the 6 clears overwrite a value
    more = frame(
        ["id", "v", "v__before", "w", "w__before"], [(str(i), "a", "b", None, None) for i in range(86, 131)]
    )
    res = res.model_copy(update={"items": replace(fills, updates=fills.updates.vstack(more))})
    assert block_reasons(res, policy) == [
        "dataset.People: 51 item updates that overwrite values are 51 % of 100 existing items, "
        "above maxUpdatePercent 50 %"
    ]
