"""Configuration diff of one dataset or links dataset: fields (name, type, labelId, tags, tree keys) and
properties merged by key, each change with its class.

Fields are compared with deepdiff (tags ignoring order, absent = null); properties by key on name, type and,
for on-demand properties, `onDemand` and `formula`, and `isRequired` where declared or a key property
(`sensitive` is orgsync's own and never sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deepdiff import DeepDiff

from orgsync.manifest.models import LINK_CORE_KEYS, DatasetManifest, LinksDatasetManifest, PropertySpec
from orgsync.plan.model import Action, ChangeClass, FieldChange, PropertyChange

# A change to these re-keys or re-shapes existing items: destructive.
DESTRUCTIVE_FIELDS = frozenset({"autoId", "treeId", "treeParentId"})


def desired_config(manifest: DatasetManifest | LinksDatasetManifest) -> dict[str, Any]:
    """The configuration fields the manifest declares, normalised for comparison."""
    if isinstance(manifest, LinksDatasetManifest):
        return {"name": manifest.name, "tags": _tags(manifest.tags)}
    return {
        "name": manifest.name,
        "type": manifest.type,
        "autoId": manifest.autoId,
        "labelId": manifest.labelId,
        "tags": _tags(manifest.tags),
        "treeId": manifest.treeId,
        "treeParentId": manifest.treeParentId,
    }


def live_config(resource: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The same fields of a live resource (absent keys as null, tags as a sorted set)."""
    out = {f: resource.get(f) for f in fields}
    if "tags" in out:
        out["tags"] = _tags(out["tags"])
    return out


def _tags(tags: Iterable[str] | None) -> list[str]:
    return sorted(set(tags or ()))


def diff_config(
    manifest: DatasetManifest | LinksDatasetManifest, resource: dict[str, Any]
) -> list[FieldChange]:
    """Fields whose live value differs from the manifest, in declaration order, before -> after."""
    after = desired_config(manifest)
    before = live_config(resource, after.keys())
    changed = set(DeepDiff(before, after, ignore_order=True).affected_root_keys)
    return [
        FieldChange(field=f, before=before[f], after=after[f], change_class=field_class(f))
        for f in after
        if f in changed
    ]


def created_config(
    manifest: DatasetManifest | LinksDatasetManifest, extra: dict[str, Any] | None = None
) -> list[FieldChange]:
    """Every field of a resource to create, as null -> value (additive), plus `extra` (e.g. link ends)."""
    fields = {**{k: v for k, v in desired_config(manifest).items() if v not in (None, [])}, **(extra or {})}
    return [
        FieldChange(field=f, before=None, after=v, change_class=ChangeClass.ADDITIVE)
        for f, v in fields.items()
    ]


def field_class(field: str) -> ChangeClass:
    return ChangeClass.DESTRUCTIVE if field in DESTRUCTIVE_FIELDS else ChangeClass.UPDATE


def required_keys(manifest: DatasetManifest | LinksDatasetManifest) -> frozenset[str]:
    """The properties that must be `isRequired: true` (a dataset's key properties; none for a links dataset)."""
    return manifest.required_keys if isinstance(manifest, DatasetManifest) else frozenset()


def property_config(spec: PropertySpec, key: bool = False) -> dict[str, Any]:
    """What Orgvue keeps of a declared property: key, name, type, onDemand + formula when on-demand, and
    `isRequired` when declared or when the property is a key one (`key`: then it defaults to true)."""
    out: dict[str, Any] = {"key": spec.key, "name": spec.name, "type": spec.type}
    if spec.onDemand:
        out.update(onDemand=True, formula=spec.formula)
    required = spec.isRequired if spec.isRequired is not None else (True if key else None)
    if required is not None:
        out["isRequired"] = required
    return out


def live_property(current: dict[str, Any]) -> dict[str, Any]:
    """The same fields of a live property (a formula left behind on a property no longer on-demand is ignored)."""
    out = {"key": current.get("key"), "name": current.get("name"), "type": current.get("type")}
    if current.get("onDemand"):
        out.update(onDemand=True, formula=current.get("formula"))
    return out


def _property_class(before: dict[str, Any], after: dict[str, Any]) -> ChangeClass:
    """A type change may break existing values, and turning a property on-demand overwrites them: destructive."""
    if before["type"] != after["type"] or (after.get("onDemand") and not before.get("onDemand")):
        return ChangeClass.DESTRUCTIVE
    return ChangeClass.UPDATE


def diff_properties(
    specs: list[PropertySpec],
    live_props: list[dict[str, Any]],
    *,
    delete_omitted: bool,
    links: bool = False,
    keys: frozenset[str] = frozenset(),
) -> list[PropertyChange]:
    """Properties merged by key: added, renamed, retyped, formula changed, and removed when `delete_omitted`.

    A type change is destructive (existing values may no longer fit); so is a removal. The core keys of a
    links dataset (from_id, to_id, link_id, allocation) cannot be changed and are never compared. `isRequired`
    is compared when the manifest declares it, and for the `keys` properties (which must be true).
    """
    ignored = set(LINK_CORE_KEYS) if links else set()
    live = {p["key"]: p for p in live_props if isinstance(p.get("key"), str) and p["key"] not in ignored}
    changes: list[PropertyChange] = []
    for spec in specs:
        if spec.key in ignored:
            continue
        after = property_config(spec, spec.key in keys)
        current = live.get(spec.key)
        if current is None:
            changes.append(
                PropertyChange(
                    key=spec.key, action=Action.CREATE, after=after, change_class=ChangeClass.ADDITIVE
                )
            )
            continue
        before = live_property(current)
        if "isRequired" in after:  # absent on the live property = false
            before["isRequired"] = bool(current.get("isRequired", False))
        if before != after:
            changes.append(
                PropertyChange(
                    key=spec.key,
                    action=Action.UPDATE,
                    before=before,
                    after=after,
                    change_class=_property_class(before, after),
                )
            )
    if delete_omitted:
        declared = {s.key for s in specs}
        for key, current in live.items():
            if key not in declared:
                changes.append(
                    PropertyChange(
                        key=key,
                        action=Action.DELETE,
                        before=live_property(current),
                        change_class=ChangeClass.DESTRUCTIVE,
                    )
                )
    return changes


def created_properties(
    specs: list[PropertySpec], *, links: bool = False, keys: frozenset[str] = frozenset()
) -> list[PropertyChange]:
    """Every declared property of a resource to create (additive)."""
    return diff_properties(specs, [], delete_omitted=False, links=links, keys=keys)
