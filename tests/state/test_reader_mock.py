"""read_live against a scripted API: matching by name/pin, ambiguity, bulk export, canonical parsing."""

from __future__ import annotations

import asyncio
import gzip
import tempfile
from pathlib import Path

import httpx
import orjson
import polars as pl
import pytest

from orgsync.api.bounded import AnswerTooLarge
from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.errors import ConfigError
from orgsync.limits import ResourceLimits
from orgsync.manifest.models import DatasetManifest, ItemsSpec, Project, ProjectConfig, PropertySpec
from orgsync.sources.table import SourceTable
from orgsync.state.reader import RawExport, fetch_live, parse_items, parse_live, read_live

BASE = "https://orgvue.example"
API = "/api/v1/ACME"


def manifest(name: str, dataset_id: str | None = None, items: bool = True) -> DatasetManifest:
    return DatasetManifest(
        kind="Dataset",
        name=name,
        type="PEOPLE",
        autoId="id",
        labelId="name",
        datasetId=dataset_id,
        properties=[
            PropertySpec(key="id", name="Id", type="number"),
            PropertySpec(key="name", name="Name", type="text"),
            PropertySpec(key="salary", name="Salary", type="number", sensitive=True),
            PropertySpec(key="start", name="Start", type="date"),
        ],
        items=ItemsSpec(source="people.csv") if items else None,
    )


def table(name: str = "People") -> SourceTable:
    return SourceTable(
        name=name,
        path=Path("people.csv"),
        frame=pl.DataFrame(),
        key=["id"],
        owned=["name", "salary", "start"],
        types={"id": "number", "name": "text", "salary": "number", "start": "date"},
        sha256="x",
    )


def project(*manifests: DatasetManifest) -> Project:
    return Project(
        root=Path("."),
        config_file=Path("orgsync.yaml"),
        config=ProjectConfig(tenant="ACME"),
        manifests=list(manifests),
    )


PROPS = [{"key": k} for k in ("id", "name", "salary", "start")]


def api(listed: list[dict], resources: dict[str, dict], csv: dict[str, bytes]):
    """A handler serving list, get, async CSV export (gzip) and result download."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        p = request.url.path
        if p == f"{API}/datasets":
            return httpx.Response(200, json=listed)
        for ds_id, resource in resources.items():
            if p == f"{API}/datasets/{ds_id}":
                return httpx.Response(200, json=resource)
            if p == f"{API}/datasets/{ds_id}/export":
                return httpx.Response(
                    200,
                    json={
                        "jobStatus": "completed",
                        "_links": {
                            "self": {"url": f"{BASE}{API}/jobs/{ds_id}"},
                            "result": {"url": f"{BASE}/_files/{ds_id}?sig=1"},
                        },
                    },
                )
            if p == f"/_files/{ds_id}":
                return httpx.Response(200, content=gzip.compress(csv[ds_id]))
        return httpx.Response(404, json={"errors": []})

    return handle, seen


def read(handler, proj, tables, limits: ResourceLimits | None = None) -> object:
    async def main():
        async with OrgvueClient(
            BASE,
            "ACME",
            "t",
            transport=httpx.MockTransport(handler),
            polling=JobPolling(first=0.001, cap=0.001),
            limits=limits,
        ) as client:
            return await read_live(client, proj, tables, "Target: test · tenant ACME")

    return asyncio.run(main())


def test_reads_managed_items_canonical_and_counts_unmatched():
    listed = [
        {"datasetId": "D1", "name": "People", "type": "PEOPLE"},
        {"datasetId": "D9", "name": "Unmanaged", "type": "OTHER"},
    ]
    resource = {
        "datasetId": "D1",
        "name": "People",
        "type": "PEOPLE",
        "properties": PROPS,
        "items": {"lastTransactionId": "T7"},
        "cacheKey": "C1",
    }
    csv = b"id,name,salary,start,_id\n1, Ana ,65000.0,2024-01-02,A\n2,,0.50,2024-13-40,B\n,Ghost,1,,G\n"
    handler, seen = api(listed, {"D1": resource}, {"D1": csv})
    live = read(handler, project(manifest("People")), {"People": table()})
    assert live.target == "Target: test · tenant ACME" and live.tenant == "ACME"
    assert [d.dataset_id for d in live.datasets] == ["D1", "D9"]
    assert live.datasets[0].fingerprint.last_transaction_id == "T7"
    assert live.datasets[1].fields == listed[1]  # unmanaged: summary only, never retrieved
    items = live.items["D1"]
    assert items.unmatched == 1
    assert items.to_frame().to_dicts() == [
        {"id": "1", "name": "Ana", "salary": "65000", "start": "2024-01-02", "_id": "A"},
        {"id": "2", "name": None, "salary": "0.5", "start": "2024-13-40", "_id": "B"},  # misfit kept as text
    ]
    export = next(r for r in seen if r.url.path.endswith("/export"))
    assert list(orjson.loads(export.content)["query"]["output"]["projection"]) == [
        "id",
        "name",
        "salary",
        "start",
        "_id",
    ]
    assert not any(r.url.path == f"{API}/datasets/D9" for r in seen)


def test_an_export_that_unpacks_past_the_download_limit_stops_the_read_and_leaves_no_file(
    monkeypatch, tmp_path
):
    """The export is kept packed as it arrives; the download limit bounds what it unpacks to as it is read, so
    a bomb from the service ends the read with the limit's message, and its spool directory is removed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where read_live makes its spool directory
    listed = [{"datasetId": "D1", "name": "People", "type": "PEOPLE"}]
    resource = {"datasetId": "D1", "name": "People", "type": "PEOPLE", "properties": PROPS}
    csv = b"id,name,salary,start,_id\n" + b"1,Ana,1,2024-01-02,A\n" * 100_000
    handler, _ = api(listed, {"D1": resource}, {"D1": csv})
    packed = len(gzip.compress(csv))
    with pytest.raises(AnswerTooLarge, match=f"unpacked file is larger than {len(csv) - 1} bytes"):
        read(
            handler,
            project(manifest("People")),
            {"People": table()},
            ResourceLimits(download_bytes=len(csv) - 1),
        )
    assert packed < len(csv) // 10 and list(tmp_path.iterdir()) == []
    live = read(
        handler, project(manifest("People")), {"People": table()}, ResourceLimits(download_bytes=len(csv))
    )
    assert live.items["D1"].to_frame().height == 100_000


def test_owned_columns_missing_live_are_null_and_not_projected():
    resource = {
        "datasetId": "D1",
        "name": "People",
        "type": "PEOPLE",
        "properties": [{"key": "id"}, {"key": "name"}],
    }
    handler, seen = api([resource], {"D1": resource}, {"D1": b"id,name,_id\n7,Bo,X\n"})
    live = read(handler, project(manifest("People")), [table()])
    assert live.items["D1"].to_frame().to_dicts() == [
        {"id": "7", "name": "Bo", "salary": None, "start": None, "_id": "X"}
    ]
    export = next(r for r in seen if r.url.path.endswith("/export"))
    assert list(orjson.loads(export.content)["query"]["output"]["projection"]) == ["id", "name", "_id"]


@pytest.mark.parametrize("csv", [b"", b"id,name,salary,start,_id\n"])
def test_an_export_without_rows_gives_an_empty_typed_frame(csv):
    resource = {"datasetId": "D1", "name": "People", "type": "PEOPLE", "properties": PROPS}
    handler, _ = api([resource], {"D1": resource}, {"D1": csv})
    frame = read(handler, project(manifest("People")), {"People": table()}).items["D1"].to_frame()
    assert frame.height == 0
    assert frame.schema == pl.Schema({c: pl.Utf8 for c in ["id", "name", "salary", "start", "_id"]})


def test_two_datasets_of_one_name_without_a_pin_is_a_clear_error():
    listed = [{"datasetId": "D1", "name": "People"}, {"datasetId": "D2", "name": "People"}]
    handler, _ = api(listed, {}, {})
    with pytest.raises(ConfigError) as info:
        read(handler, project(manifest("People")), {})
    assert "2 datasets named 'People' (D1, D2)" in str(info.value) and "datasetId" in str(info.value)


def test_a_pin_selects_one_of_two_and_an_unknown_pin_is_an_error():
    listed = [{"datasetId": "D1", "name": "People"}, {"datasetId": "D2", "name": "People"}]
    resource = {"datasetId": "D2", "name": "People", "type": "PEOPLE", "properties": PROPS}
    handler, _ = api(listed, {"D2": resource}, {})
    live = read(handler, project(manifest("People", "D2", items=False)), {})
    assert live.find("People", "D2")[0].properties == PROPS and live.items == {}
    with pytest.raises(ConfigError, match="datasetId D3 is not in tenant"):
        read(handler, project(manifest("People", "D3")), {})


def _parsed(tmp_path: Path, data: bytes, t: SourceTable, spool: bool = False) -> pl.DataFrame:
    (tmp_path / "export.csv").write_bytes(data)
    items = parse_items(RawExport("P", "D1", tmp_path / "export.csv"), t, tmp_path if spool else None)
    return items.to_frame()


def test_parse_export_strips_a_bom_and_keeps_leading_zero_text_keys(tmp_path):
    t = SourceTable(
        name="P",
        path=Path("p.csv"),
        frame=pl.DataFrame(),
        key=["code"],
        owned=["active"],
        types={"code": "text", "active": "boolean"},
        sha256="",
    )
    frame = _parsed(tmp_path, b"\xef\xbb\xbfcode,active,_id\n007,TRUE,A\n", t)
    assert frame.to_dicts() == [{"code": "007", "active": "true", "_id": "A"}]


@pytest.mark.parametrize("spool", [False, True], ids=["in memory", "spooled"])
def test_parse_export_reads_windows_line_endings_and_quoted_commas(tmp_path, spool):
    t = SourceTable(
        name="P",
        path=Path("p.csv"),
        frame=pl.DataFrame(),
        key=["code"],
        owned=["title"],
        types={"code": "text", "title": "text"},
        sha256="",
    )
    frame = _parsed(tmp_path, b'code,title,_id\r\nA1,"Head, Sales",X\r\nA2,,Y\r\n', t, spool)
    assert frame.to_dicts() == [
        {"code": "A1", "title": "Head, Sales", "_id": "X"},
        {"code": "A2", "title": None, "_id": "Y"},
    ]
    assert (tmp_path / "export.csv").exists() is not spool  # a spooled export is removed once read


def test_the_export_is_projected_from_the_manifest_and_parsed_for_the_source_columns():
    """fetch_live needs no source: it projects every declared, non-on-demand property; parsing keeps the owned."""
    m = manifest("People")
    m.properties.append(PropertySpec(key="tenure", name="Tenure", type="number", onDemand=True, formula="1"))
    props = [*PROPS, {"key": "tenure"}]
    resource = {"datasetId": "D1", "name": "People", "type": "PEOPLE", "properties": props}
    csv = b"id,name,salary,start,_id\n7,Bo,65000.0,2024-01-02,X\n"
    handler, seen = api([resource], {"D1": resource}, {"D1": csv})
    only_name = SourceTable(
        name="People",
        path=Path("people.csv"),
        frame=pl.DataFrame(),
        key=["id"],
        owned=["name"],
        types={"id": "number", "name": "text"},
        sha256="x",
    )
    live = read(handler, project(m), [only_name])
    export = next(r for r in seen if r.url.path.endswith("/export"))
    assert list(orjson.loads(export.content)["query"]["output"]["projection"]) == [
        "id",
        "name",
        "salary",
        "start",
        "_id",
    ]
    assert live.items["D1"].to_frame().to_dicts() == [{"id": "7", "name": "Bo", "_id": "X"}]


def test_fetch_then_parse_gives_what_read_live_gives(tmp_path):
    resource = {"datasetId": "D1", "name": "People", "type": "PEOPLE", "properties": PROPS}
    handler, _ = api(
        [resource], {"D1": resource}, {"D1": b"id,name,salary,start,_id\n1,Ana,1.50,2024-01-02,A\n"}
    )

    async def main():
        async with OrgvueClient(
            BASE,
            "ACME",
            "t",
            transport=httpx.MockTransport(handler),
            polling=JobPolling(first=0.001, cap=0.001),
        ) as client:
            raw = await fetch_live(client, project(manifest("People")), {"People"}, "T", tmp_path)
        return raw, parse_live(raw, {"People": table()}, tmp_path)

    raw, live = asyncio.run(main())
    assert [(e.manifest, e.dataset_id) for e in raw.exports] == [("People", "D1")]
    assert live.items["D1"].to_frame().to_dicts() == [
        {"id": "1", "name": "Ana", "salary": "1.5", "start": "2024-01-02", "_id": "A"}
    ]
    assert live.datasets == raw.datasets and live.target == "T" and live.tenant == "ACME"


def test_the_tree_columns_are_read_even_when_the_source_does_not_own_them():
    """Deletes are ordered children first by treeId/treeParentId, so the live frame keeps both, canonical."""
    org = manifest("People").model_copy(
        update={
            "treeId": "code",
            "treeParentId": "parent",
            "properties": [
                PropertySpec(key="id", name="Id", type="number"),
                PropertySpec(key="name", name="Name", type="text"),
                PropertySpec(key="code", name="Code", type="number"),
                PropertySpec(key="parent", name="Parent", type="number"),
            ],
        }
    )
    resource = {
        "datasetId": "D1",
        "name": "People",
        "type": "PEOPLE",
        "properties": [{"key": k} for k in ("id", "name", "code", "parent")],
    }
    csv = b"id,name,code,parent,_id\n1,Ana,10.0,,A\n2,Bo,20,10,B\n"
    handler, seen = api([resource], {"D1": resource}, {"D1": csv})
    source = SourceTable(
        name="People",
        path=Path("people.csv"),
        frame=pl.DataFrame(),
        key=["id"],
        owned=["name"],
        types={"id": "number", "name": "text"},
        sha256="x",
    )
    live = read(handler, project(org), {"People": source})
    assert live.items["D1"].to_frame().to_dicts() == [
        {
            "id": "1",
            "name": "Ana",
            "code": "10",
            "parent": None,
            "_id": "A",
        },  # code typed as its property: number
        {"id": "2", "name": "Bo", "code": "20", "parent": "10", "_id": "B"},
    ]
    export = next(r for r in seen if r.url.path.endswith("/export"))
    assert list(orjson.loads(export.content)["query"]["output"]["projection"]) == [
        "id",
        "name",
        "code",
        "parent",
        "_id",
    ]
