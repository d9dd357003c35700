"""Links items and populate; items GET and query (filters, projections); sync and async export."""

from __future__ import annotations

import gzip

import orjson
import pytest

from tests.support.emulator_api import Api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def linked(api: Api) -> tuple[str, str, str]:
    people = await api.create_people()
    roles = await api.create_people("Roles")
    await api.seed(people, [{"emp": "p1", "dept": "r1"}, {"emp": "p2", "dept": "r2"}, {"emp": "p3"}])
    await api.seed(roles, [{"emp": "r1"}, {"emp": "r2"}])
    r = await api.c.post(
        f"{api.base}/links",
        json={
            "name": "L",
            "fromDatasetId": people,
            "toDatasetId": roles,
            "additionalProperties": [{"key": "note", "type": "text"}],
        },
    )
    return people, roles, r.json()["datasetId"]


async def test_links_items_identified_by_ends(api: Api, linked: tuple[str, str, str]) -> None:
    _, _, lid = linked
    r = await api.put(
        lid,
        [
            {"_action": "create", "from_id": "p1", "to_id": "r1", "allocation": 0.5},
            {"_action": "createOrReplace", "from_id": "p2", "to_id": "r2"},
        ],
        links=True,
    )
    assert r.status_code == 200, r.text
    assert [i["link_id"] for i in r.json()] == ['["p1","r1"]', '["p2","r2"]']
    items = {i["link_id"]: i for i in await api.items(lid)}
    assert items['["p1","r1"]']["allocation"] == 0.5 and items['["p2","r2"]']["allocation"] == 1
    r = await api.put(
        lid,
        [
            {"_action": "update", "from_id": "p1", "to_id": "r1", "note": "n"},
            {"_action": "delete", "from_id": "p2", "to_id": "r2"},
        ],
        links=True,
    )
    assert [i["_status"] for i in r.json()] == ["success", "success"]
    assert [(i["link_id"], i["note"]) for i in await api.items(lid)] == [('["p1","r1"]', "n")]


async def test_links_ends_must_exist(api: Api, linked: tuple[str, str, str]) -> None:
    _, _, lid = linked
    r = await api.put(lid, [{"_action": "create", "from_id": "p1", "to_id": "nope"}], links=True)
    assert r.status_code == 400
    assert r.json()["errors"][0]["items"][0]["_failures"][0]["reason"] == "LinkedItemNotFound"
    r = await api.put(
        lid, [{"_action": "create", "from_id": "p1"}], links=True, onActionValidationFailure="skipAction"
    )
    assert r.json()[0]["_failures"][0]["reason"] == "MissingIdentifier"


async def test_a_link_skipped_for_a_missing_end_is_not_implicitly_deleted(
    api: Api, linked: tuple[str, str, str]
) -> None:
    _, roles, lid = linked
    await api.put(
        lid,
        [
            {"_action": "create", "from_id": "p1", "to_id": "r1"},
            {"_action": "create", "from_id": "p2", "to_id": "r2"},
        ],
        links=True,
    )
    await api.put(roles, [{"_action": "delete", "emp": "r1"}], autoId="true")
    r = await api.put(
        lid,
        [
            {"_action": "update", "from_id": "p1", "to_id": "r1", "note": "x"},
            {"_action": "noop", "from_id": "p2", "to_id": "r2"},
        ],
        links=True,
        implicitDelete="true",
        onActionValidationFailure="skipAction",
    )
    assert [(i["link_id"], i["_status"]) for i in r.json()] == [
        ('["p1","r1"]', "skipped"),
        ('["p2","r2"]', "success"),
    ]
    assert sorted(i["link_id"] for i in await api.items(lid)) == ['["p1","r1"]', '["p2","r2"]']


async def test_links_dataset_refuses_plain_items_endpoint(api: Api, linked: tuple[str, str, str]) -> None:
    _, _, lid = linked
    r = await api.put(lid, [{"_action": "create", "from_id": "p1", "to_id": "r1"}])
    assert r.status_code == 422


async def test_populate_links_from_source(api: Api, linked: tuple[str, str, str]) -> None:
    people, _, lid = linked
    await api.put(lid, [{"_action": "create", "from_id": "p3", "to_id": "r1"}], links=True)
    r = await api.c.post(
        f"{api.base}/links/{lid}/populate", json={"sourceDatasetId": people, "targetDatasetAutoId": "dept"}
    )
    assert r.status_code == 202 and r.json()["jobStatus"] == "created"
    result = orjson.loads(await api.result(r.json()))
    assert [i["link_id"] for i in result] == ['["p1","r1"]', '["p2","r2"]']
    assert sorted(i["link_id"] for i in await api.items(lid)) == ['["p1","r1"]', '["p2","r2"]']
    r = await api.c.post(
        f"{api.base}/links/{lid}/populate", json={"sourceDatasetId": people, "targetDatasetAutoId": "nope"}
    )
    assert r.status_code == 400


@pytest.fixture
async def staff(api: Api) -> str:
    did = await api.create_people()
    await api.seed(
        did,
        [
            {
                "emp": "1",
                "name": "Ana",
                "salary": 65000,
                "dept": "Eng",
                "active": True,
                "start": "2020-01-02",
            },
            {"emp": "2", "name": "Bob", "salary": 0.5, "dept": "Ops", "active": False},
            {"emp": "3", "name": "Caz", "salary": 40000, "dept": "Eng"},
        ],
    )
    return did


async def query(api: Api, did: str, body: dict) -> list[dict]:
    r = await api.c.post(f"{api.base}/datasets/{did}/items/query", json=body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize(
    "filt,emps",
    [
        ({"dept": "Eng"}, ["1", "3"]),
        ({"dept": {"$eq": "Ops"}}, ["2"]),
        ({"dept": {"$ne": "Ops"}}, ["1", "3"]),
        ({"salary": {"$gt": 40000}}, ["1"]),
        ({"salary": {"$gte": 40000}}, ["1", "3"]),
        ({"salary": {"$lt": 40000}}, ["2"]),
        ({"salary": {"$lte": 40000}}, ["2", "3"]),
        ({"name": {"$in": ["Ana", "Caz"]}}, ["1", "3"]),
        ({"name": {"$nin": ["Ana", "Caz"]}}, ["2"]),
        ({"active": {"$exists": True}}, ["1", "2"]),
        ({"active": {"$exists": False}}, ["3"]),
        ({"$and": [{"dept": "Eng"}, {"salary": {"$lt": 50000}}]}, ["3"]),
        ({"$or": [{"dept": "Ops"}, {"salary": {"$gt": 50000}}]}, ["1", "2"]),
        ({"salary": {"$gt": "1"}}, []),
        ({"active": True}, ["1"]),
        ({"start": {"$gte": "2020-01-01"}}, ["1"]),
        ({}, ["1", "2", "3"]),
    ],
)
async def test_query_filters(api: Api, staff: str, filt: dict, emps: list[str]) -> None:
    assert [i["emp"] for i in await query(api, staff, {"filter": filt})] == emps


async def test_query_projection_and_bad_filters(api: Api, staff: str) -> None:
    out = await query(api, staff, {"filter": {"emp": "1"}, "projection": {"salary": 1, "emp": 1}})
    assert len(out) == 1 and list(out[0]) == ["salary", "emp", "_id"] and out[0]["salary"] == 65000
    out = await query(api, staff, {"filter": {"emp": "1"}, "projection": {"salary": 1, "_id": 0}})
    assert out == [{"salary": 65000}]
    for bad in (
        {"filter": {"salary": {"$near": 1}}},
        {"filter": []},
        {"filter": {"$or": {}}},
        {"projection": {"a": "x"}},
    ):
        r = await api.c.post(f"{api.base}/datasets/{staff}/items/query", json=bad)
        assert r.status_code == 400, bad


async def test_items_get_shape(api: Api, staff: str) -> None:
    items = await api.items(staff)
    assert list(items[0]) == [
        "emp",
        "name",
        "salary",
        "start",
        "active",
        "dept",
        "_id",
        "_access",
        "_modifiedAt",
    ]
    assert [i["salary"] for i in items] == [65000, 0.5, 40000]
    assert items[0]["_modifiedAt"].endswith("Z")


async def test_sync_export_formats(api: Api, staff: str) -> None:
    url = f"{api.base}/datasets/{staff}/export"
    rows = (await api.c.get(url)).json()
    assert [h["key"] for h in rows["headers"]] == ["emp", "name", "salary", "start", "active", "dept"]
    assert rows["rows"][0] == ["1", "Ana", 65000, "2020-01-02", True, "Eng"]
    cols = (await api.c.get(url, params={"exportFormat": "jsonColumns"})).json()
    assert cols["columns"][2] == [65000, 0.5, 40000]
    objs = (await api.c.get(url, params={"exportFormat": "jsonObjects"})).json()
    assert objs[1] == {
        "emp": "2",
        "name": "Bob",
        "salary": 0.5,
        "start": None,
        "active": False,
        "dept": "Ops",
    }
    csv = await api.c.get(url, params={"exportFormat": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode() == (
        "\ufeffemp,name,salary,start,active,dept\r\n1,Ana,65000,2020-01-02,true,Eng\r\n"
        "2,Bob,0.5,,false,Ops\r\n3,Caz,40000,,,Eng\r\n"
    )
    tsv = await api.c.get(url, params={"exportFormat": "tsv", "includeBOM": "false", "lineEndings": "unix"})
    assert tsv.content.decode().splitlines()[1] == "1\tAna\t65000\t2020-01-02\ttrue\tEng"
    assert not tsv.content.startswith(b"\xef\xbb\xbf") and b"\r\n" not in tsv.content
    assert (await api.c.get(url, params={"exportFormat": "xml"})).status_code == 400


@pytest.mark.parametrize("fmt", ["jsonRows", "jsonColumns", "jsonObjects", "csv", "tsv"])
async def test_async_export_every_format(api: Api, staff: str, fmt: str) -> None:
    r = await api.c.post(f"{api.base}/datasets/{staff}/export", params={"exportFormat": fmt}, json={})
    assert r.status_code == 202
    sync = (await api.c.get(f"{api.base}/datasets/{staff}/export", params={"exportFormat": fmt})).content
    assert await api.result(r.json()) == sync


async def test_async_export_gzip_filter_projection(api: Api, staff: str) -> None:
    projection = {"salary": 1, "_id": 2, "emp": 3}  # D/egress/column-manipulation/: replace mode, 1..n order
    body = {
        "query": {
            "output": {"filter": {"dept": "Eng"}, "projection": projection, "projectionMode": "replace"}
        }
    }
    r = await api.c.post(
        f"{api.base}/datasets/{staff}/export",
        params={"exportFormat": "csv", "encoding": "gzip", "includeBOM": "false", "lineEndings": "unix"},
        json=body,
    )
    done = await api.wait(r.json())
    assert done["_links"]["result"]["contentType"].startswith("text/csv")
    data = await api.result(r.json())
    text = gzip.decompress(data).decode()
    ids = {i["emp"]: i["_id"] for i in await api.items(staff)}
    assert text == f"salary,_id,emp\n65000,{ids['1']},1\n40000,{ids['3']},3\n"
