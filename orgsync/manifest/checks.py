"""Checks across manifests that no single document's schema can express (names, references, keys)."""

from __future__ import annotations

import difflib

from orgsync.errors import Problem
from orgsync.manifest.models import LINK_CORE_KEYS, DatasetManifest, LinksDatasetManifest, Project


def check_manifests(project: Project) -> list[Problem]:
    """Every cross-field and cross-manifest problem of the project."""
    problems = _duplicate_names(project)
    for manifest in project.manifests:
        problems += _duplicate_keys(manifest)
        if isinstance(manifest, DatasetManifest):
            problems += _dataset_keys(manifest)
            problems += _on_demand(manifest)
        else:
            problems += _links(manifest, project)
        problems += _items(manifest)
    return problems


def _duplicate_names(project: Project) -> list[Problem]:
    """Two manifests claiming one dataset name (unless each pins a different datasetId)."""
    first: dict[tuple[str, str | None], DatasetManifest | LinksDatasetManifest] = {}
    problems = []
    for manifest in project.manifests:
        claim = (manifest.name, manifest.datasetId)
        if claim in first:
            problems.append(
                Problem(
                    manifest.locate("name"),
                    f"dataset {manifest.name!r} is already declared at "
                    f"{first[claim].origin}; expected one manifest per dataset (pin `datasetId:` "
                    "on both where the tenant really has two of this name)",
                    "name",
                )
            )
        else:
            first[claim] = manifest
    return problems


def _duplicate_keys(manifest: DatasetManifest | LinksDatasetManifest) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, prop in enumerate(manifest.properties):
        if prop.key in seen:
            problems.append(
                Problem(
                    manifest.locate("properties", index, "key"),
                    f"property key {prop.key!r} is declared twice; expected unique keys",
                    f"properties[{index}].key",
                )
            )
        seen.add(prop.key)
    return problems


def _dataset_keys(manifest: DatasetManifest) -> list[Problem]:
    """autoId, labelId, treeId and treeParentId must name declared properties; the tree needs both ends."""
    keys = {p.key for p in manifest.properties}
    problems = []
    for field in ("autoId", "labelId", "treeId", "treeParentId"):
        value = getattr(manifest, field)
        if value is not None and value not in keys:
            problems.append(
                Problem(
                    manifest.locate(field),
                    f"{value!r} is not a declared property; expected one of "
                    f"{', '.join(sorted(keys)) or '(no properties declared)'}",
                    field,
                )
            )
    if (manifest.treeId is None) != (manifest.treeParentId is None):
        problems.append(
            Problem(
                manifest.origin,
                "a hierarchy needs both `treeId` and `treeParentId`",
                "treeParentId" if manifest.treeId else "treeId",
            )
        )
    sensitive_keys = [p.key for p in manifest.properties if p.sensitive and p.key == manifest.autoId]
    if sensitive_keys:
        problems.append(
            Problem(
                manifest.locate("autoId"),
                "the autoId is marked sensitive, but plans identify items by it, "
                "so its values are still shown",
                "autoId",
                "warning",
            )
        )
    return problems


def _on_demand(manifest: DatasetManifest) -> list[Problem]:
    """The `onDemand:` list names on-demand properties once each; item keys cannot be computed."""
    declared = {p.key: p for p in manifest.properties}
    problems = []
    seen: set[str] = set()
    for index, key in enumerate(manifest.onDemand):
        where, field = manifest.locate("onDemand", index), f"onDemand[{index}]"
        prop = declared.get(key)
        if key in seen:
            problems.append(
                Problem(where, f"{key!r} is listed twice; expected each on-demand property once", field)
            )
        elif prop is None:
            problems.append(
                Problem(
                    where,
                    f"{key!r} is not a declared property; expected an on-demand property "
                    "(declared with `onDemand: true` and a `formula`)",
                    field,
                )
            )
        elif not prop.onDemand:
            problems.append(
                Problem(
                    where,
                    f"{key!r} is listed under `onDemand:` but its property is not on-demand; "
                    "expected `onDemand: true` and a `formula` on that property",
                    field,
                )
            )
        seen.add(key)
    for index, prop in enumerate(manifest.properties):
        if prop.onDemand and manifest.onDemand and prop.key not in seen:
            problems.append(
                Problem(
                    manifest.locate("properties", index, "onDemand"),
                    f"on-demand property "
                    f"{prop.key!r} is not in the `onDemand:` list, so apply will not recalculate it",
                    f"properties[{index}].onDemand",
                    "warning",
                )
            )
    for field in ("autoId", "treeId", "treeParentId"):
        key = getattr(manifest, field)
        if key in declared and declared[key].onDemand:
            problems.append(
                Problem(
                    manifest.locate(field),
                    f"{field} {key!r} is an on-demand property; expected a "
                    "property whose values come from the source (items are keyed by it)",
                    field,
                )
            )
    return problems


def _links(manifest: LinksDatasetManifest, project: Project) -> list[Problem]:
    """Link ends must be datasets; an end not declared here must exist in the tenant (plan checks)."""
    problems = []
    datasets = [m.name for m in project.datasets]
    for field, name in (("from", manifest.from_), ("to", manifest.to)):
        target = project.by_name(name)
        if isinstance(target, LinksDatasetManifest):
            problems.append(
                Problem(manifest.locate(field), f"{name!r} is a LinksDataset; expected a Dataset", field)
            )
        elif target is None:
            guess = difflib.get_close_matches(name, datasets, n=1, cutoff=0.75)
            if guess:
                problems.append(
                    Problem(
                        manifest.locate(field),
                        f"no dataset named {name!r} is defined; did you mean {guess[0]!r}?",
                        field,
                    )
                )
            else:
                problems.append(
                    Problem(
                        manifest.locate(field),
                        f"dataset {name!r} is not defined in this repository; "
                        "plan will require it to exist in the tenant",
                        field,
                        "warning",
                    )
                )
    for index, prop in enumerate(manifest.properties):
        if prop.key in LINK_CORE_KEYS:
            problems.append(
                Problem(
                    manifest.locate("properties", index, "key"),
                    f"{prop.key!r} is a built-in link property; expected only additional properties here",
                    f"properties[{index}].key",
                )
            )
        if prop.onDemand:
            problems.append(
                Problem(
                    manifest.locate("properties", index, "onDemand"),
                    f"{prop.key!r}: on-demand "
                    "properties are supported on a Dataset only; expected no `onDemand` here",
                    f"properties[{index}].onDemand",
                )
            )
    if manifest.populate and manifest.items:
        problems.append(
            Problem(
                manifest.locate("populate"),
                "`items` and `populate` both fill this links dataset; expected one of them",
                "populate",
            )
        )
    return problems


def _items(manifest: DatasetManifest | LinksDatasetManifest) -> list[Problem]:
    """`items.columns` must map onto declared properties."""
    if manifest.items is None:
        return []
    keys = {p.key for p in manifest.properties}
    if isinstance(manifest, LinksDatasetManifest):
        keys |= set(LINK_CORE_KEYS)
    return [
        Problem(
            manifest.locate("items", "columns", source),
            f"maps {source!r} to {target!r}, which is not a declared property",
            f"items.columns.{source}",
        )
        for source, target in manifest.items.columns.items()
        if target not in keys
    ]
