"""A links dataset's ends: resolved from the manifests and the tenant, compared with the live links dataset."""

from __future__ import annotations

import pytest

from orgsync.errors import ConfigError
from orgsync.plan.builder import build_plan
from orgsync.plan.link_ends_check import live_ends_by_field
from orgsync.plan.model import KNOWN_AFTER_APPLY, Action
from tests.support.plan_factories import dataset, links, live, live_dataset, project, table

CORE = [{"key": k, "name": k, "type": "text"} for k in ("from_id", "to_id", "link_id")]


def _links_live(
    from_id: str | None = "DS-1",
    to_id: str | None = "DS-2",
    *,
    fields: bool = True,
    relationships: bool = False,
    **extra,
):
    """The live links dataset LD-1 ("Assignments"), reporting its ends as fields and/or as its own relationship."""
    body: dict = {}
    if fields:
        body |= {"fromDatasetId": from_id, "toDatasetId": to_id}
    if relationships:
        body["linkingRelationships"] = [
            {
                "datasetId": "LD-0",
                "source": {"datasetId": "XX"},
                "target": {"datasetId": "YY"},
            },  # another links'
            {
                "datasetId": "LD-1",
                "type": "LINKS",
                "source": {"datasetId": from_id},
                "target": {"datasetId": to_id},
            },
        ]
    return live_dataset("Assignments", "LD-1", links=True, props=CORE, **body, **extra)


def _tenant(*extra):
    return live(live_dataset("People", "DS-1", props=[]), live_dataset("Positions", "DS-2", props=[]), *extra)


def _plan(manifests, state, **kw):
    return build_plan(project(*manifests), {}, state, **kw)


def _assignments(src="People", dst="Positions"):
    return links("Assignments", src, dst, props=(), items=None)


def test_live_ends_come_from_the_own_relationship_else_from_the_fields():
    assert live_ends_by_field(_links_live(relationships=True, fields=False)) == {
        "fromDatasetId": "DS-1",
        "toDatasetId": "DS-2",
    }
    assert live_ends_by_field(_links_live("A", "B")) == {"fromDatasetId": "A", "toDatasetId": "B"}
    # a deleted end is missing from the relationship but still named by the field
    ds = _links_live(
        "DS-1", "GONE", linkingRelationships=[{"datasetId": "LD-1", "source": {"datasetId": "DS-1"}}]
    )
    assert live_ends_by_field(ds) == {"fromDatasetId": "DS-1", "toDatasetId": "GONE"}
    assert live_ends_by_field(_links_live(fields=False)) == {"fromDatasetId": None, "toDatasetId": None}


def test_unchanged_ends_of_unmanaged_datasets_plan_nothing():
    plan = _plan([_assignments()], _tenant(_links_live(relationships=True, fields=False)))
    (res,) = plan.resources
    assert res.action == Action.NOOP and res.warnings == [] and res.config_changes == []


def test_a_moved_from_end_stops_the_plan_naming_both_sides_and_the_way_out():
    state = _tenant(live_dataset("Contractors", "DS-3", props=[]), _links_live())
    with pytest.raises(ConfigError) as err:
        _plan([dataset("Contractors", with_items=False), _assignments("Contractors")], state)
    (problem,) = err.value.problems
    assert problem.field == "from"
    assert problem.message.startswith(
        "links dataset 'Assignments' (LD-1) in tenant ACME links People (DS-1) → Positions (DS-2), but the manifest "
        "says Contractors → Positions; the API cannot change the datasets of an existing links dataset"
    )
    assert (
        "give this manifest a new `name:`" in problem.message
        and "remove 'Assignments' in Orgvue" in problem.message
    )


def test_forcing_does_not_get_past_a_moved_end():
    state = _tenant(live_dataset("Contractors", "DS-3", props=[]), _links_live())
    with pytest.raises(ConfigError, match="links People \\(DS-1\\) → Positions \\(DS-2\\)"):
        _plan([_assignments("People", "Contractors")], state, force=True)


def test_an_end_to_be_created_by_this_plan_cannot_be_linked_by_an_existing_links_dataset():
    with pytest.raises(ConfigError) as err:
        _plan([dataset("Contractors", with_items=False), _assignments("Contractors")], _tenant(_links_live()))
    assert "links People (DS-1) → Positions (DS-2), but the manifest says Contractors → Positions" in str(
        err.value
    )


def test_an_end_deleted_in_the_tenant_is_named_by_its_id():
    with pytest.raises(
        ConfigError, match=r"links People \(DS-1\) → a dataset that no longer exists \(GONE\)"
    ):
        _plan([_assignments()], _tenant(_links_live("DS-1", "GONE")))


def test_an_end_neither_declared_nor_in_the_tenant_says_what_the_links_dataset_links_now():
    # Positions was renamed to Roles in Orgvue: the links dataset still links it, the manifest's name finds nothing
    state = live(
        live_dataset("People", "DS-1", props=[]), live_dataset("Roles", "DS-2", props=[]), _links_live()
    )
    with pytest.raises(ConfigError) as err:
        _plan([_assignments()], state)
    (problem,) = err.value.problems
    assert problem.field == "to"
    assert problem.message == (
        "to dataset 'Positions' is neither declared by a manifest here nor in tenant ACME; "
        "declare it with a manifest, or correct the name (links dataset LD-1 links "
        "People (DS-1) → Roles (DS-2) now)"
    )


def test_a_new_links_dataset_with_a_missing_or_ambiguous_end_lists_every_problem():
    state = live(live_dataset("People", "A", props=[]), live_dataset("People", "B", props=[]))
    with pytest.raises(ConfigError) as err:
        _plan([_assignments(), links("Other", "People", "Nowhere", items=None)], state)
    assert [(p.field, p.message.split(";")[0]) for p in err.value.problems] == [
        (
            "from",
            "from dataset 'People' is not declared here and tenant ACME has 2 datasets with that name (A, B)",
        ),
        ("to", "to dataset 'Positions' is neither declared by a manifest here nor in tenant ACME"),
        (
            "from",
            "from dataset 'People' is not declared here and tenant ACME has 2 datasets with that name (A, B)",
        ),
        ("to", "to dataset 'Nowhere' is neither declared by a manifest here nor in tenant ACME"),
    ]


def test_a_new_links_dataset_gets_ids_of_the_tenant_or_known_after_apply():
    plan = _plan([dataset("Contractors", with_items=False), _assignments("Contractors")], _tenant())
    ends = {c.field: c.after for c in plan.resources[1].config_changes}
    assert ends["fromDatasetId"] == KNOWN_AFTER_APPLY and ends["toDatasetId"] == "DS-2"


def test_ends_the_tenant_does_not_report_are_a_warning_not_a_guess():
    plan = _plan([_assignments()], _tenant(_links_live(fields=False)))
    assert plan.resources[0].warnings == [
        "the tenant does not report which datasets this links dataset links; orgsync could not check that they "
        "are People → Positions"
    ]


def test_only_the_planned_targets_are_checked():
    state = _tenant(live_dataset("Contractors", "DS-3", props=[]), _links_live())
    manifests = [dataset("Contractors", with_items=False), _assignments("Contractors")]
    plan = build_plan(
        project(*manifests), {"Contractors": table("Contractors", ["id"], [])}, state, targets=["Contractors"]
    )
    assert [r.name for r in plan.resources] == ["Contractors"]
