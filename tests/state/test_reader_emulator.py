"""read_live on a seeded emulator tenant, through the `local` target (in-process, state in .orgsync/)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orgsync.api.target import open_client
from orgsync.manifest.models import (
    DatasetManifest,
    ItemsSpec,
    LinksDatasetManifest,
    Project,
    ProjectConfig,
    PropertySpec,
)
from orgsync.sources.table import SourceTable
from orgsync.state.reader import read_live

PROPS = [
    PropertySpec(key="emp", name="Employee", type="text"),
    PropertySpec(key="name", name="Name", type="text"),
    PropertySpec(key="salary", name="Salary", type="number", sensitive=True),
    PropertySpec(key="start", name="Start", type="date"),
    PropertySpec(key="active", name="Active", type="boolean"),
    PropertySpec(key="dept", name="Department", type="text"),
]


def people_table(name: str = "People") -> SourceTable:
    return SourceTable(
        name=name,
        path=Path("people.csv"),
        frame=pl.DataFrame(),
        key=["emp"],
        owned=["name", "salary", "start", "active"],
        types={"emp": "text", "name": "text", "salary": "number", "start": "date", "active": "boolean"},
        sha256="",
    )


def links_table() -> SourceTable:
    return SourceTable(
        name="Reports",
        path=Path("links.csv"),
        frame=pl.DataFrame(),
        key=["from_id", "to_id"],
        owned=["allocation"],
        types={"from_id": "text", "to_id": "text", "allocation": "number"},
        sha256="",
    )


def make_project(root: Path) -> Project:
    people = DatasetManifest(
        kind="Dataset",
        name="People",
        type="PEOPLE",
        autoId="emp",
        labelId="name",
        properties=PROPS,
        items=ItemsSpec(source="people.csv"),
    )
    empty = DatasetManifest(
        kind="Dataset",
        name="Empty",
        type="PEOPLE",
        autoId="emp",
        labelId="name",
        properties=PROPS,
        items=ItemsSpec(source="people.csv"),
    )
    reports = LinksDatasetManifest(
        kind="LinksDataset",
        name="Reports",
        **{"from": "People"},
        to="People",
        items=ItemsSpec(source="links.csv"),
    )
    missing = DatasetManifest(kind="Dataset", name="NotYetCreated", type="X", autoId="emp", labelId="emp")
    return Project(
        root=root,
        config_file=root / "orgsync.yaml",
        config=ProjectConfig(tenant="ACME"),
        manifests=[people, empty, reports, missing],
    )


async def seed(client) -> dict[str, str]:
    body = {
        "type": "PEOPLE",
        "autoId": "emp",
        "labelId": "name",
        "properties": [
            {**p.model_dump(include={"key", "name", "type"}), "isRequired": p.key in ("emp", "name")}
            for p in PROPS
        ],
    }
    people = (await client.create_dataset({"name": "People", **body})).datasetId
    empty = (await client.create_dataset({"name": "Empty", **body})).datasetId
    await client.create_dataset({"name": "Other", **body})
    rows = [
        {"emp": "E1", "name": " Ana ", "salary": 65000, "start": "2024-01-02", "active": True, "dept": "Eng"},
        {"emp": "E2", "name": "Bo", "salary": 0.5, "active": False},
        {"emp": "E3", "name": "Cy", "salary": 70000.25, "start": "2023-12-31"},
    ]
    await client.put_items(people, [{"_action": "create", **r} for r in rows], params={"autoId": True})
    await client.put_items(people, [{"_action": "create", "name": "Ghost"}])  # no key: unmatched
    links = (
        await client.create_links({"name": "Reports", "fromDatasetId": people, "toDatasetId": people})
    ).datasetId
    await client.put_items(
        links, [{"_action": "create", "from_id": "E2", "to_id": "E1", "allocation": 0.5}], links=True
    )
    return {"People": people, "Empty": empty, "Reports": links}


@pytest.mark.anyio
async def test_read_live_on_a_seeded_local_tenant(tmp_path):
    project = make_project(tmp_path)
    async with open_client(project, env={}) as client:
        ids = await seed(client)
    async with open_client(project, env={}) as client:  # a second run sees the state kept in .orgsync/
        live = await read_live(
            client, project, [people_table(), people_table("Empty"), links_table()], client.target_label
        )

    assert (tmp_path / ".orgsync" / "tenant.db").is_file()
    assert live.target == "Target: local (embedded emulator, .orgsync/tenant.db) · tenant ACME"
    assert sorted(d.name for d in live.datasets) == ["Empty", "Other", "People", "Reports"]
    assert live.find("NotYetCreated") == []
    people = live.items[ids["People"]]
    assert people.unmatched == 1
    rows = sorted(people.to_frame().drop("_id").to_dicts(), key=lambda r: r["emp"])
    assert rows == [
        {"emp": "E1", "name": "Ana", "salary": "65000", "start": "2024-01-02", "active": "true"},
        {"emp": "E2", "name": "Bo", "salary": "0.5", "start": None, "active": "false"},
        {"emp": "E3", "name": "Cy", "salary": "70000.25", "start": "2023-12-31", "active": None},
    ]
    assert people.to_frame()["_id"].null_count() == 0 and people.to_frame().columns[-1] == "_id"
    assert live.items[ids["Empty"]].to_frame().height == 0
    assert live.items[ids["Empty"]].to_frame().columns == ["emp", "name", "salary", "start", "active", "_id"]
    links = live.items[ids["Reports"]]
    assert links.to_frame().drop("_id").to_dicts() == [{"from_id": "E2", "to_id": "E1", "allocation": "0.5"}]
    people_ds = live.find("People")[0]
    assert people_ds.fingerprint.last_transaction_id and people_ds.properties
    # only managed datasets are retrieved and exported; the dept column (not owned) was never asked for
    paths = [(r.method, r.path) for r in client.log]
    assert not any(live.find("Other")[0].dataset_id in p for _, p in paths), paths
    assert (
        sum(1 for m, p in paths if m == "POST" and p.endswith("/export/csv")) == 3
    )  # followed dataset:export:csv
