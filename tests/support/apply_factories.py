"""Small builders of plans and manifests for the apply unit tests (no I/O)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, ProjectConfig
from orgsync.plan.model import Action, ChangeClass, ItemChanges, Plan, PropertyChange, ResourcePlan
from orgsync.state.snapshot import Fingerprint


def frame(columns: list[str], rows: list[tuple]) -> pl.DataFrame:
    """A Utf8 frame with these columns and rows."""
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    return pl.DataFrame(data, schema={c: pl.Utf8 for c in columns})


def items(
    key: list[str],
    columns: list[str],
    *,
    creates=(),
    updates=(),
    deletes=(),
    delete_columns=None,
    sensitive=frozenset(),
    existing: int = 0,
) -> ItemChanges:
    """ItemChanges from row tuples; updates rows hold key values then (after, before) per column."""
    update_cols = list(key) + [c for col in columns for c in (col, col + ItemChanges.BEFORE_SUFFIX)]
    return ItemChanges(
        key=list(key),
        columns=list(columns),
        sensitive=frozenset(sensitive),
        creates=frame(list(key) + list(columns), list(creates)),
        updates=frame(update_cols, list(updates)),
        deletes=frame(delete_columns or list(key), list(deletes)),
        existing=existing,
    )


def resource(
    name: str,
    *,
    links: bool = False,
    action: Action = Action.NOOP,
    item_changes: ItemChanges | None = None,
    depends_on=(),
    removed_properties=(),
    config_changes=(),
    fingerprint: tuple | None = None,
) -> ResourcePlan:
    kind = "LinksDataset" if links else "Dataset"
    prefix = "links" if links else "dataset"
    return ResourcePlan(
        address=f"{prefix}.{name}",
        kind=kind,
        name=name,
        action=action,
        change_class=ChangeClass.ADDITIVE if action == Action.CREATE else ChangeClass.NONE,
        dataset_id=None if action == Action.CREATE else f"ID-{name}",
        config_changes=list(config_changes),
        property_changes=[
            PropertyChange(
                key=k, action=Action.DELETE, before={"key": k}, change_class=ChangeClass.DESTRUCTIVE
            )
            for k in removed_properties
        ],
        items=item_changes,
        depends_on=list(depends_on),
        fingerprint=Fingerprint(f"ID-{name}", *fingerprint) if fingerprint else None,
    )


def plan(*resources: ResourcePlan, forced: bool = False) -> Plan:
    return Plan(
        orgsync_version="0.1.0",
        target="local",
        tenant="ACME",
        created_at="2026-01-01T00:00:00Z",
        source_checksum="0" * 64,
        resources=list(resources),
        forced=forced,
    )


def dataset_manifest(
    name: str, *, auto_id: str = "id", tree: tuple[str, str] | None = None, on_demand=(), properties=()
) -> DatasetManifest:
    props = [{"key": auto_id, "name": auto_id, "type": "text"}, *properties]
    if tree and tree[1] != auto_id:
        props.append({"key": tree[1], "name": tree[1], "type": "text"})
    return DatasetManifest.model_validate(
        {
            "kind": "Dataset",
            "name": name,
            "type": "PEOPLE",
            "autoId": auto_id,
            "labelId": auto_id,
            "treeId": tree[0] if tree else None,
            "treeParentId": tree[1] if tree else None,
            "properties": props,
            "onDemand": list(on_demand),
        }
    )


def links_manifest(
    name: str, src: str, dst: str, *, populate_from: str | None = None
) -> LinksDatasetManifest:
    body = {"kind": "LinksDataset", "name": name, "from": src, "to": dst}
    if populate_from:
        body["populate"] = {"sourceDataset": populate_from, "targetDatasetAutoId": "pos"}
    return LinksDatasetManifest.model_validate(body)


def project(*manifests) -> Project:
    return Project(
        root=Path("/nowhere"),
        config_file=Path("/nowhere/orgsync.yaml"),
        config=ProjectConfig(tenant="ACME"),
        manifests=list(manifests),
    )
