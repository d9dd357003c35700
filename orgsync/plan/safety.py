"""The safety policy: which planned changes block a plan unless the run is forced (--allow-destructive).

Thresholds are layered: built-in default -> `safety` in orgsync.yaml -> `safety` in the manifest.
Item deletes above `maxDeletePercent` or updates above `maxUpdatePercent` of the existing items block,
except on datasets with fewer than `minExistingItems` items. An update counts only when it overwrites or
clears a value: filling empty cells (a new property's first values) loses nothing, and blocking it would
teach users to force every run. Destructive schema changes (property removal,
property type change, a property turned on-demand, autoId or tree key change) always block: they rewrite or
drop values of every item.
"""

from __future__ import annotations

from typing import Any

from orgsync.manifest.base import layered_policy
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, SafetyPolicy
from orgsync.plan.items_diff import overwriting_updates
from orgsync.plan.model import Action, ChangeClass, ResourcePlan

UNBLOCK_HINT = (
    "review the changes; if they are intended, rerun with --allow-destructive, or raise the threshold in "
    "`safety:` of orgsync.yaml or of the manifest (maxDeletePercent, maxUpdatePercent, minExistingItems)"
)


def effective_policy(project: Project, manifest: DatasetManifest | LinksDatasetManifest) -> SafetyPolicy:
    """The project policy with the manifest's set fields laid over it (`manifest.base.layered_policy`)."""
    return layered_policy(project, manifest)


def block_reasons(resource: ResourcePlan, policy: SafetyPolicy) -> list[str]:
    """Why this resource's changes exceed the policy (empty when they do not)."""
    reasons = [_schema_reason(resource, change) for change in _destructive_schema(resource)]
    items = resource.items
    if items is None or items.existing < max(policy.minExistingItems, 1):
        return reasons
    for count, limit, what, knob in (
        (items.deletes.height, policy.maxDeletePercent, "item deletes", "maxDeletePercent"),
        (
            overwriting_updates(items),
            policy.maxUpdatePercent,
            "item updates that overwrite values",
            "maxUpdatePercent",
        ),
    ):
        share = 100.0 * count / items.existing
        if share > limit:
            reasons.append(
                f"{resource.address}: {count} {what} are {_pct(share)} of {items.existing} existing "
                f"items, above {knob} {_pct(limit)}"
            )
    return reasons


def _destructive_schema(resource: ResourcePlan) -> list[str]:
    out = [
        f"configuration {c.field}: {c.before!r} -> {c.after!r}"
        for c in resource.config_changes
        if c.change_class == ChangeClass.DESTRUCTIVE
    ]
    for p in resource.property_changes:
        if p.change_class != ChangeClass.DESTRUCTIVE:
            continue
        if p.action == Action.DELETE:
            out.append(f"property {p.key} removed (deleteOmittedProperties: true)")
        else:
            out.append(_property_reason(p.key, p.before or {}, p.after or {}))
    return out


def _property_reason(key: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """What makes a property update destructive: its type, or becoming on-demand (see config_diff)."""
    if before.get("type") != after.get("type"):
        return f"property {key} type {before.get('type')} -> {after.get('type')}"
    return f"property {key} becomes on-demand (its formula overwrites stored values)"


def _schema_reason(resource: ResourcePlan, change: str) -> str:
    return f"{resource.address}: destructive change, {change}"


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + " %"
