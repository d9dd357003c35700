"""Request bodies for dataset and links dataset writes, from the manifest and the planned changes.

Pure. Creates send the whole manifest; updates send only the changed fields and the added or changed
properties (a merge-update); property removal is a separate, last call with `deleteOmittedProperties`
and the list of live properties to keep.
"""

from __future__ import annotations

from typing import Any

from orgsync.api import endpoints as ep
from orgsync.manifest.models import LINK_CORE_KEYS, DatasetManifest, LinksDatasetManifest, PropertySpec
from orgsync.plan.config_diff import property_config, required_keys
from orgsync.plan.model import Action, PropertyChange, ResourcePlan

_LINKS_FIELDS = ("name", "tags")  # what PATCH /links accepts besides additionalProperties
_KEPT_FIELDS = (
    "key",
    "name",
    "type",
    "isRequired",
    "onDemand",
    "formula",
)  # of a live property, when the rest are removed


def _prop(p: PropertySpec, keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The property as the planner compared it (onDemand and formula only for on-demand properties; isRequired
    true for the key properties, which Orgvue requires, D/Dataset-operations/create-dataset/)."""
    return property_config(p, p.key in keys)


def _changed_prop(spec: PropertySpec, change: PropertyChange, keys: frozenset[str]) -> dict[str, Any]:
    """A PATCH merges by key, so a property that stops being on-demand must say `onDemand: false`."""
    body = _prop(spec, keys)
    if (change.before or {}).get("onDemand") and not spec.onDemand:
        body["onDemand"] = False
    return body


def create_dataset_body(m: DatasetManifest) -> dict[str, Any]:
    """POST /datasets: the whole manifest."""
    body: dict[str, Any] = {
        "name": m.name,
        "type": m.type,
        "autoId": m.autoId,
        "labelId": m.labelId,
        "tags": list(m.tags),
        "properties": [_prop(p, m.required_keys) for p in m.properties],
    }
    if m.treeId:
        body["treeId"] = m.treeId
    if m.treeParentId:
        body["treeParentId"] = m.treeParentId
    return body


def create_links_body(m: LinksDatasetManifest, from_id: str, to_id: str) -> dict[str, Any]:
    """POST /links: name, both ends by id, the additional properties."""
    return {
        "name": m.name,
        ep.F_FROM_DATASET_ID: from_id,
        ep.F_TO_DATASET_ID: to_id,
        "tags": list(m.tags),
        "additionalProperties": [_prop(p) for p in m.properties if p.key not in LINK_CORE_KEYS],
    }


def update_body(res: ResourcePlan, m: DatasetManifest | LinksDatasetManifest | None) -> dict[str, Any]:
    """PATCH: changed configuration fields and added/changed properties, nothing else."""
    links = res.kind == "LinksDataset"
    body: dict[str, Any] = {}
    for change in res.config_changes:
        if not links or change.field in _LINKS_FIELDS:
            body[change.field] = change.after
    specs = {p.key: p for p in m.properties} if m else {}
    keys = required_keys(m) if m else frozenset()
    props = [
        _changed_prop(specs[pc.key], pc, keys) if pc.key in specs else dict(pc.after or {"key": pc.key})
        for pc in res.property_changes
        if pc.action in (Action.CREATE, Action.UPDATE)
    ]
    if props:
        body["additionalProperties" if links else "properties"] = props
    return body


def keep_properties_body(res: ResourcePlan, live_properties: list[dict[str, Any]]) -> dict[str, Any]:
    """PATCH ?deleteOmittedProperties=true: the live properties minus exactly those the plan removes.

    Built from the live list (not the manifest) so nothing beyond what the plan showed can disappear.
    """
    removed = {pc.key for pc in res.property_changes if pc.action == Action.DELETE}
    keep = [{k: p[k] for k in _KEPT_FIELDS if k in p} for p in live_properties if p.get("key") not in removed]
    if res.kind == "LinksDataset":
        return {"additionalProperties": [p for p in keep if p.get("key") not in LINK_CORE_KEYS]}
    return {"properties": keep}
