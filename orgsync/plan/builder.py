"""Build a `Plan` from the manifests, their source tables and the live tenant. Pure: no I/O.

Steps per resource: match it to a live dataset (by name, or the pinned datasetId), diff configuration and
properties, diff items (as the mode allows), classify, apply the safety policy, add the context a reviewer
needs (drafts, unmatched live items). Resources come out in apply order: datasets, then links datasets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from orgsync import __version__
from orgsync.errors import ConfigError, Location, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.plan.checksum import input_digests, source_checksum
from orgsync.plan.config_diff import (
    created_config,
    created_properties,
    diff_config,
    diff_properties,
    required_keys,
)
from orgsync.plan.items_diff import LIVE_ID, diff_items, mark_retyped, prepare_live
from orgsync.plan.link_ends_check import EndsCheck, check_link_ends
from orgsync.plan.model import (
    RETYPED,
    Action,
    ChangeClass,
    FieldChange,
    ItemChanges,
    Plan,
    PropertyChange,
    ResourcePlan,
)
from orgsync.plan.review import link_moves, review_items
from orgsync.plan.review_values import Review
from orgsync.plan.safety import block_reasons, effective_policy
from orgsync.sources.checks import parent_rows
from orgsync.sources.clock import clock_note
from orgsync.sources.table import SourceTable
from orgsync.state.matching import match_manifest
from orgsync.state.snapshot import LiveDataset, LiveState, retyped_columns, row_hashes

Manifest = DatasetManifest | LinksDatasetManifest
_RANK = {ChangeClass.NONE: 0, ChangeClass.ADDITIVE: 1, ChangeClass.UPDATE: 2, ChangeClass.DESTRUCTIVE: 3}


class Selection(frozenset[str]):
    """The names of the manifests to plan, as `select_targets` chose them (the targets and their dependencies)."""


def build_plan(
    project: Project,
    tables: Mapping[str, SourceTable],
    live: LiveState,
    *,
    targets: Sequence[str] | Selection = (),
    force: bool = False,
) -> Plan:
    """The plan that brings the tenant to the manifests and sources (only `targets` and their dependencies).

    `targets` is the names given on the command line, or the `Selection` already made of them (the pipeline
    reads the tenant for it first, so the targets are not selected twice)."""
    selected = targets if isinstance(targets, Selection) else select_targets(project, targets)
    matched = {m.name: match_live(m, live) for m in project.manifests}
    ends = _check_ends(project, selected, live, matched)
    resources: dict[str, ResourcePlan] = {}
    for manifest in _apply_order(m for m in project.manifests if m.name in selected):
        res = _resource(
            project, manifest, tables.get(manifest.name), live, matched, resources, ends.get(manifest.name)
        )
        resources[manifest.name] = res
    managed = {d.dataset_id for d in matched.values() if d is not None}
    unmanaged = sorted(f"{d.name} ({d.type})" for d in live.datasets if d.dataset_id not in managed)
    return Plan(
        orgsync_version=__version__,
        target=live.target,
        tenant=live.tenant,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source_checksum=source_checksum(project, tables),
        input_digests=input_digests(project, {name: t.sha256 for name, t in tables.items()}),
        resources=[r for r in resources.values() if not r.observe],
        drift=[r for r in resources.values() if r.observe],
        unmanaged_datasets=unmanaged,
        forced=force,
    )


def select_targets(project: Project, targets: Sequence[str]) -> Selection:
    """Names of the manifests to plan: all, or the targets plus the datasets they depend on."""
    names = [m.name for m in project.manifests]
    if not targets:
        return Selection(names)
    unknown = [t for t in targets if project.by_name(t) is None]
    if unknown:
        raise ConfigError(
            Problem(
                Location("command line"),
                f"--target {', '.join(unknown)}: no manifest declares this name; expected one of "
                f"{', '.join(names) or '(none)'}",
            )
        )
    selected: set[str] = set()
    for name in targets:
        selected.add(name)
        selected.update(n for n in _dependencies(project.by_name(name)) if project.by_name(n) is not None)
    return Selection(selected)


def _dependencies(manifest: Manifest | None) -> list[str]:
    if not isinstance(manifest, LinksDatasetManifest):
        return []
    extra = [manifest.populate.sourceDataset] if manifest.populate else []
    return [manifest.from_, manifest.to, *extra]


def _apply_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    items = list(manifests)
    return [m for m in items if isinstance(m, DatasetManifest)] + [
        m for m in items if isinstance(m, LinksDatasetManifest)
    ]


def match_live(manifest: Manifest, live: LiveState) -> LiveDataset | None:
    """The live dataset this manifest manages, None when it does not exist yet; ambiguity is an error."""
    found = match_manifest(manifest, live.datasets, live.tenant)
    if found.problem is not None:
        raise ConfigError(found.problem, hint=found.hint)
    dataset = found.dataset
    if dataset is not None and dataset.is_links != isinstance(manifest, LinksDatasetManifest):
        kind = "a links dataset" if dataset.is_links else f"a dataset of type {dataset.type}"
        raise ConfigError(
            Problem(
                manifest.origin,
                f"{dataset.name!r} is {kind} in the tenant, but the manifest declares kind {manifest.kind}",
                "kind",
            ),
            hint="rename the manifest or fix its kind",
        )
    return dataset


def _check_ends(
    project: Project, selected: Selection, live: LiveState, matched: Mapping[str, LiveDataset | None]
) -> dict[str, EndsCheck]:
    """The ends of every selected links dataset; any end that is missing or moved stops the plan (all listed)."""
    checks = {
        m.name: check_link_ends(m, matched[m.name], live, matched)
        for m in project.manifests
        if isinstance(m, LinksDatasetManifest) and m.name in selected
    }
    problems = [p for c in checks.values() for p in c.problems]
    for m in project.links:
        if m.name not in selected or m.manage == "observe":
            continue
        for field, end in (("from", m.from_), ("to", m.to)):
            declared = project.by_name(end)
            if declared is not None and declared.manage == "observe" and matched.get(end) is None:
                problems.append(
                    Problem(
                        m.locate(field),
                        f"{end!r} is observe-only (`manage: observe`) and not in "
                        f"tenant {live.tenant}, so orgsync never creates it and this links dataset "
                        "has no end to link",
                        field,
                    )
                )
    if problems:
        raise ConfigError(problems)
    return checks


def _resource(
    project: Project,
    manifest: Manifest,
    table: SourceTable | None,
    live: LiveState,
    matched: Mapping[str, LiveDataset | None],
    planned: Mapping[str, ResourcePlan],
    ends: EndsCheck | None,
) -> ResourcePlan:
    links = isinstance(manifest, LinksDatasetManifest)
    current = matched[manifest.name]
    if current is None:
        config = created_config(manifest, ends.ends if ends else None)
        props = created_properties(manifest.properties, links=links, keys=required_keys(manifest))
    else:
        config = diff_config(manifest, current.fields)
        props = diff_properties(
            manifest.properties,
            current.properties,
            delete_omitted=manifest.deleteOmittedProperties,
            links=links,
            keys=required_keys(manifest),
        )
    items, warnings, review = _items(manifest, table, live, current)
    warnings += ends.warnings if ends else []
    warnings += [note] if (note := clock_note(manifest)) else []
    if current is None:
        action = Action.CREATE
    elif config or props or (items and not items.is_empty):
        action = Action.UPDATE
    else:
        action = Action.NOOP
    if current is not None and action != Action.NOOP and current.drafts:
        names = ", ".join(str(d.get("name") or d.get("draftId")) for d in current.drafts)
        warnings.append(
            f"{len(current.drafts)} draft(s) are layered on this dataset's items ({names}); "
            "they may conflict with these changes"
        )
    res = ResourcePlan(
        address=manifest.address,
        kind=manifest.kind,
        name=manifest.name,
        action=action,
        change_class=_class_of(config, props, items),
        dataset_id=current.dataset_id if current else None,
        fingerprint=current.fingerprint if current else None,
        config_changes=config,
        property_changes=props,
        items=items,
        depends_on=list(dict.fromkeys(planned[n].address for n in _dependencies(manifest) if n in planned)),
        warnings=warnings,
        renamed_from=current.name if current is not None and current.name != manifest.name else None,
        review=review,
    )
    if manifest.manage == "observe":
        return _observed(res, current is None, live.tenant)
    if current is None:
        return res
    # the safety policy reads the finished resource; blocking reasons go into a copy (plans are frozen)
    blocked = block_reasons(res, effective_policy(project, manifest))
    return res.model_copy(update={"blocked": blocked}) if blocked else res


def _observed(res: ResourcePlan, missing: bool, tenant: str) -> ResourcePlan:
    """An observe-only resource: its differences are drift; the safety policy ignores them; nothing is created."""
    if missing:
        return res.model_copy(
            update={
                "action": Action.NOOP,
                "change_class": ChangeClass.NONE,
                "config_changes": [],
                "property_changes": [],
                "items": None,
                "blocked": [],
                "observe": True,
                "warnings": [
                    f"not in tenant {tenant}: observe-only datasets are never created (set `manage: managed` "
                    "to let apply create it)"
                ],
            }
        )
    return res.model_copy(update={"blocked": [], "observe": True})


def _items(
    manifest: Manifest, table: SourceTable | None, live: LiveState, current: LiveDataset | None
) -> tuple[ItemChanges | None, list[str], Review | None]:
    """The item changes of one resource, the warnings about items that could not be compared, and their review."""
    if manifest.items is None or table is None:
        return None, [], None
    live_items = live.items.get(current.dataset_id) if current else None
    side = prepare_live(live_items, table.key, table.owned)
    retyped = retyped_columns(current, {p.key: p.type for p in manifest.properties}, table.owned)
    side = mark_retyped(side, retyped)
    unmatched = side.unmatched
    sensitive = frozenset(p.key for p in manifest.properties if p.sensitive)
    tree = _tree_columns(manifest)
    label = (
        manifest.labelId
        if isinstance(manifest, DatasetManifest) and manifest.labelId not in sensitive
        else None
    )
    extra = [LIVE_ID, *(c for c in (*tree, label) if c is not None and c not in sensitive)]
    mode = "mirror" if manifest.manage == "observe" else manifest.items.mode  # drift: every difference
    items = diff_items(
        table.frame,
        side,
        key=table.key,
        columns=table.owned,
        mode=mode,
        sensitive=sensitive,
        delete_extra=extra,
        source_hashes=table.hashed(table.owned, row_hashes),
    )
    warnings: list[str] = []
    if items.deletes.height and sensitive.intersection(tree):
        warnings.append(
            f"{' and '.join(sorted(sensitive.intersection(tree)))} (tree) is sensitive, so the plan does "
            "not keep its values and the item deletes are not ordered children first"
        )
    if retyped:
        verb = "changes" if len(retyped) == 1 else "change"
        warnings.append(
            f"{', '.join(retyped)} {verb} type, so every item holding a value is rewritten with the "
            f"source value (Orgvue converts stored values its own way); before shows {RETYPED}"
        )
    key_name = " + ".join(table.key)
    if unmatched:
        warnings.append(
            f"{unmatched} live item(s) have no {key_name} and cannot be matched to the source; "
            "they are left as they are"
        )
    if side.duplicates:
        warnings.append(
            f"{side.duplicates} live item(s) repeat the {key_name} of another live item; only the "
            "first of each is compared"
        )
    if current is None and manifest.items.mode == "update":
        warnings.append("items mode `update` on a dataset to create: no items will be written")
    pair = (tree[0], tree[-1]) if tree else None
    known = (
        table.tree_rows(*pair, parent_rows)[0]
        if pair and set(pair) <= set(table.frame.columns) and not sensitive & set(pair)
        else None
    )  # found once by the source's tree check
    review = review_items(
        items,
        table.frame,
        side.index,
        label=label,
        tree=pair,
        creates_complete=mode != "update",
        parents=known,
    )
    if isinstance(manifest, LinksDatasetManifest) and not sensitive & {"from_id", "to_id"}:
        review = Review(review.label, review.properties, link_moves(items))
    return items, warnings, review


def _tree_columns(manifest: Manifest) -> list[str]:
    """treeId and treeParentId of a dataset with a hierarchy: deletes carry them so apply removes children first."""
    if isinstance(manifest, DatasetManifest) and manifest.treeId and manifest.treeParentId:
        return list(dict.fromkeys((manifest.treeId, manifest.treeParentId)))
    return []


def _class_of(
    config: Sequence[FieldChange], props: Sequence[PropertyChange], items: ItemChanges | None
) -> ChangeClass:
    """The highest class among a resource's changes."""
    classes = [c.change_class for c in config] + [p.change_class for p in props]
    if items is not None:
        counts = items.counts
        classes += [
            cls
            for n, cls in (
                (counts["create"], ChangeClass.ADDITIVE),
                (counts["update"], ChangeClass.UPDATE),
                (counts["delete"], ChangeClass.DESTRUCTIVE),
            )
            if n
        ]
    return max(classes, key=_RANK.__getitem__, default=ChangeClass.NONE)
