"""What a saved plan may do, re-derived from the manifests apply reads: a plan file is input, never authority.

A plan file can be edited between `plan --out` and `apply FILE` (it is an artifact, a file on a runner, a PR's
attachment). So apply takes from it only what to do, and decides again from the manifests whether that is
allowed: each resource is a declared dataset of the plan's tenant; item deletes only where `mode: mirror`;
creates not where `mode: update`; updates not where `mode: insert`; nothing on a `manage: observe` dataset;
property removals only with `deleteOmittedProperties: true`. The change classes and the safety verdicts are
computed again (the file's `blocked`, `forced` and classes are ignored).
"""

from __future__ import annotations

from typing import Any

from orgsync.errors import PlanFileError
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.plan.config_diff import field_class
from orgsync.plan.model import Action, ChangeClass, Plan, PropertyChange, ResourcePlan
from orgsync.plan.safety import block_reasons, effective_policy

Manifest = DatasetManifest | LinksDatasetManifest


def within_manifests(plan: Plan, project: Project, *, forced: bool, source: object) -> Plan:
    """`plan` with its classes and safety verdicts re-derived from `project` (`forced`: --allow-destructive
    on this run, never the file's); `PlanFileError` listing every change the manifests do not allow."""
    problems: list[str] = []
    if plan.tenant != project.config.tenant:
        problems.append(f"the plan is for tenant {plan.tenant}, orgsync.yaml names {project.config.tenant}")
    resources = []
    for res in plan.resources:
        manifest = project.by_name(res.name)
        if manifest is None or manifest.address != res.address or manifest.kind != res.kind:
            problems.append(f"{res.address}: no manifest declares it")
            continue
        problems += [f"{res.address}: {p}" for p in _exceeds(res, manifest)]
        resources.append(_rederived(res, project, manifest))
    if problems:
        raise PlanFileError(
            f"the saved plan {source} does more than the manifests allow; nothing was written:\n  "
            + "\n  ".join(problems),
            hint="make the plan again with `orgsync plan --out FILE` (a plan file is not trusted: "
            "set ORGSYNC_PLAN_KEY in CI to sign it)",
        )
    return plan.model_copy(update={"resources": resources, "forced": forced})


def _exceeds(res: ResourcePlan, manifest: Manifest) -> list[str]:
    """Why this resource's changes exceed what its manifest allows (empty when they do not)."""
    out: list[str] = []
    changes = _has_changes(res)
    if manifest.manage == "observe" and changes:
        out.append("the manifest says `manage: observe`: apply never writes to it")
    if res.action == Action.DELETE:
        out.append("orgsync never deletes a dataset")
    items = res.items
    if items is not None and not items.is_empty:
        mode = manifest.items.mode if manifest.items is not None else None
        for count, what, allowed in (
            (items.deletes.height, "item deletes", mode == "mirror"),
            (items.creates.height, "item creates", mode in ("insert", "upsert", "mirror")),
            (items.updates.height, "item updates", mode in ("update", "upsert", "mirror")),
        ):
            if count and not allowed:
                held = f"items mode {mode}" if mode else "no items"
                out.append(f"{count} {what}, which its manifest ({held}) does not allow")
    removed = [p.key for p in res.property_changes if p.action == Action.DELETE]
    if removed and not manifest.deleteOmittedProperties:
        out.append(
            f"removes the properties {', '.join(removed)} without `deleteOmittedProperties: true` in its manifest"
        )
    return out


def _has_changes(res: ResourcePlan) -> bool:
    items = res.items
    return res.action != Action.NOOP or bool(
        res.config_changes or res.property_changes or (items is not None and not items.is_empty)
    )


def _rederived(res: ResourcePlan, project: Project, manifest: Manifest) -> ResourcePlan:
    """The resource with its change classes and safety verdict computed here, not read from the file."""
    config = [c.model_copy(update={"change_class": field_class(c.field)}) for c in res.config_changes]
    props = [p.model_copy(update={"change_class": _property_class(p)}) for p in res.property_changes]
    fixed = res.model_copy(
        update={"config_changes": config, "property_changes": props, "observe": False, "blocked": []}
    )
    if res.action == Action.CREATE:  # as the planner: a dataset still to create has nothing to lose
        return fixed
    return fixed.model_copy(update={"blocked": block_reasons(fixed, effective_policy(project, manifest))})


def _property_class(change: PropertyChange) -> ChangeClass:
    if change.action == Action.DELETE:
        return ChangeClass.DESTRUCTIVE
    if change.action == Action.CREATE:
        return ChangeClass.ADDITIVE
    before: dict[str, Any] = change.before or {}
    after: dict[str, Any] = change.after or {}
    if before.get("type") != after.get("type") or (after.get("onDemand") and not before.get("onDemand")):
        return ChangeClass.DESTRUCTIVE
    return ChangeClass.UPDATE
