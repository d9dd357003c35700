"""Hand-built Project / SourceTable / LiveState values for the planner's unit tests (no I/O)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from orgsync.api.answers import Dataset
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, ProjectConfig
from orgsync.sources.table import SourceTable
from orgsync.state.live_link_ends import live_link_ends
from orgsync.state.snapshot import LiveDataset, LiveItems, LiveState

PROPS = [
    {"key": "id", "name": "ID", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
    {"key": "manager", "name": "Manager", "type": "text"},
]


def frame(columns: list[str], rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        {c: [r[i] for r in rows] for i, c in enumerate(columns)}, schema={c: pl.Utf8 for c in columns}
    )


def dataset(
    name: str = "People", *, mode: str = "upsert", props=None, with_items: bool = True, **extra
) -> DatasetManifest:
    body = {
        "kind": "Dataset",
        "name": name,
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "name",
        "properties": props if props is not None else PROPS,
        **extra,
    }
    if with_items:
        body["items"] = {"source": f"{name}.csv", "mode": mode}
    return DatasetManifest.model_validate(body)


def links(
    name: str = "Reports",
    src: str = "People",
    dst: str = "People",
    *,
    mode: str = "upsert",
    props=(),
    **extra,
) -> LinksDatasetManifest:
    return LinksDatasetManifest.model_validate(
        {
            "kind": "LinksDataset",
            "name": name,
            "from": src,
            "to": dst,
            "properties": list(props),
            "items": {"source": f"{name}.csv", "mode": mode},
            **extra,
        }
    )


def project(*manifests, safety=None) -> Project:
    config = {"tenant": "ACME"} | ({"safety": safety} if safety else {})
    return Project(
        root=Path("/nowhere"),
        config_file=Path("/nowhere/orgsync.yaml"),
        config=ProjectConfig.model_validate(config),
        manifests=list(manifests),
    )


def table(
    name: str, columns: list[str], rows: list[tuple], *, key=("id",), sha: str = "a" * 64
) -> SourceTable:
    key = list(key)
    owned = [c for c in columns if c not in key]
    return SourceTable(
        name=name,
        path=Path(f"/nowhere/{name}.csv"),
        frame=frame(columns, rows),
        key=key,
        owned=owned,
        types={c: "text" for c in columns},
        sha256=sha,
    )


def live_dataset(
    name: str = "People", dataset_id: str = "DS-1", *, props=None, links: bool = False, drafts=(), **fields
) -> LiveDataset:
    resource = {
        "datasetId": dataset_id,
        "name": name,
        "type": "LINKS" if links else "PEOPLE",
        "cacheKey": f"ck-{dataset_id}",
        "items": {"lastTransactionId": f"tx-{dataset_id}"},
        "properties": [
            {k: v for k, v in p.items() if k != "sensitive"} for p in (props if props is not None else PROPS)
        ],
        "drafts": list(drafts),
    }
    if not links:
        resource |= {"autoId": "id", "labelId": "name"}
    resource |= fields
    keys = {resource.get(f) for f in ("autoId", "labelId", "treeId", "treeParentId")} if not links else set()
    # the tenant holds its key properties as isRequired: true (Orgvue refuses a dataset whose keys are not)
    resource["properties"] = [
        p | {"isRequired": True} if p.get("key") in keys and "isRequired" not in p else p
        for p in resource["properties"]
    ]
    return LiveDataset(
        dataset_id=dataset_id,
        name=name,
        type=resource["type"],
        resource=Dataset.model_validate(resource),
        ends=live_link_ends(resource),
    )


def live(*datasets: LiveDataset, items: dict[str, pl.DataFrame] | None = None, unmatched=None) -> LiveState:
    unmatched = unmatched or {}
    return LiveState(
        target="Target: local (embedded emulator) · tenant ACME",
        tenant="ACME",
        datasets=list(datasets),
        items={i: LiveItems.of_frame(i, f, unmatched=unmatched.get(i, 0)) for i, f in (items or {}).items()},
    )


def people_rows(n: int, *, salary: str = "100") -> list[tuple]:
    return [(f"E{i:03d}", f"Person {i}", salary, None) for i in range(n)]


def live_people(rows: list[tuple]) -> pl.DataFrame:
    """Live items as the reader gives them: key, owned columns and `_id`."""
    return frame(["id", "name", "salary", "manager", "_id"], [(*r, f"uid-{r[0]}") for r in rows])


SECRET_BEFORE = "987654"
SECRET_AFTER = "123457"
SECRET_NEW = "555333"


def sample_plan():
    """People (mirror): 1 create, 2 updates (one sensitive), 3 deletes of 20 (blocked); Reports: new links."""
    live_rows = people_rows(20, salary=SECRET_BEFORE)
    state = live(
        live_dataset(drafts=[{"name": "Reorg"}]),
        live_dataset("Legacy", "DS-9"),
        items={"DS-1": live_people(live_rows)},
    )
    rows = [
        (r[0], "New|name <b>" if i == 0 else r[1], SECRET_AFTER if i == 1 else r[2], r[3])
        for i, r in enumerate(live_rows[:17])
    ] + [("E100", "Newbie", SECRET_NEW, None)]
    tables = {
        "People": table("People", ["id", "name", "salary", "manager"], rows),
        "Reports": table("Reports", ["from_id", "to_id"], [("E000", "E001")], key=("from_id", "to_id")),
    }
    from orgsync.plan.builder import build_plan

    return build_plan(project(dataset(mode="mirror", tags=["hr"]), links()), tables, state)
