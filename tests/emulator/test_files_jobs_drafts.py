"""Temporary files, async imports and job tickets, drafts, on-demand recalculation."""

from __future__ import annotations

import gzip

import orjson
import pytest

from tests.support.emulator_api import Api

pytestmark = pytest.mark.anyio


async def test_temporary_file_presigned_and_expiring(api: Api) -> None:
    r = await api.c.post(f"{api.base}/files/generate", json={"targetType": "csv", "targetEncoding": "gzip"})
    urls = r.json()
    assert set(urls) == {"getUrl", "putUrl", "expiresAt"} and urls["getUrl"].startswith(
        str(api.c.base_url).rstrip("/") + "/_files/"
    )
    assert (await api.c.get(urls["getUrl"])).status_code == 404  # nothing written yet
    assert (await api.c.put(urls["putUrl"], content=b"abc")).status_code == 200
    assert (await api.c.get(urls["getUrl"])).content == b"abc"
    assert (await api.c.put(urls["getUrl"], content=b"x")).status_code == 403
    assert (await api.c.get(urls["getUrl"].replace("sig=", "sig=0"))).status_code == 403
    await api.c.post("/_emulator/clock", json={"advanceSeconds": 15 * 60})
    expired = await api.c.get(urls["getUrl"])
    assert expired.status_code == 403 and expired.json()["errors"][0]["name"] == "RequestExpired"
    r = await api.c.post(f"{api.base}/files/generate", json={"targetType": "xml"})
    assert r.status_code == 400


async def test_async_import_json_gzip_and_result(api: Api) -> None:
    did = await api.create_people()
    actions = [{"_action": "create", "emp": str(i), "salary": i} for i in range(50)] + [
        {"_action": "update", "emp": "nope"}
    ]
    url = await api.upload(gzip.compress(orjson.dumps(actions)))
    r = await api.start_import(did, url, params={"autoId": "true", "onActionValidationFailure": "skipAction"})
    assert r.status_code == 202
    ticket = r.json()
    assert ticket["jobStatus"] == "created" and "result" not in ticket["_links"]
    assert ticket["_links"]["self"]["url"].startswith(  # presigned storage, not the API (D/working/async/)
        str(api.c.base_url).rstrip("/") + "/_storage/jobs/"
    )
    result = orjson.loads(await api.result(ticket))
    assert [i["_status"] for i in result] == ["success"] * 50 + ["skipped"]
    assert len(await api.items(did)) == 50


async def test_async_import_csv(api: Api) -> None:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Old", "dept": "D"}])
    csv = b"_action,emp,name,salary,dept\r\nupdate,1,Ana,10,\r\ncreate,2,Bob,0.5,X\r\n"
    url = await api.upload(csv, "csv")
    r = await api.start_import(did, url)
    result = orjson.loads(await api.result(r.json()))
    assert [i["_status"] for i in result] == ["success", "success"]
    assert await api.by_emp(did) == {
        "1": {"emp": "1", "name": "Ana", "salary": 10, "start": None, "active": None, "dept": None},
        "2": {"emp": "2", "name": "Bob", "salary": 0.5, "start": None, "active": None, "dept": "X"},
    }


async def test_failed_import_job_applies_nothing(api: Api) -> None:
    did = await api.create_people()
    url = await api.upload(
        orjson.dumps([{"_action": "create", "emp": "1"}, {"_action": "update", "emp": "2"}])
    )
    r = await api.start_import(did, url)
    done = await api.wait(r.json())
    assert done["jobStatus"] == "failed" and done["errors"][0]["name"] == "TransactionFailed"
    assert await api.items(did) == []
    url = await api.upload(b"[{oops")
    r = await api.start_import(did, url, params={})
    assert (await api.wait(r.json()))["errors"][0]["name"] == "InvalidPayload"


async def test_import_body_and_unknown_job(api: Api) -> None:
    did = await api.create_people()
    assert (await api.c.put(f"{api.base}/datasets/{did}/items/import", json={})).status_code == 400
    r = await api.c.get("/_storage/jobs/99020AB5-EFEC-BED1-FDC5-3DDF9ED9A59B?expires=1&sig=x")
    assert r.status_code == 404 and b"NoSuchKey" in r.content


async def test_import_result_to_result_location(api: Api) -> None:
    did = await api.create_people()
    url = await api.upload(orjson.dumps([{"_action": "create", "emp": "1"}]))
    out = (
        await api.c.post(
            f"{api.base}/files/generate", json={"targetType": "json", "targetEncoding": "identity"}
        )
    ).json()
    r = await api.start_import(did, url, resultLocation={"method": "PUT", "url": out["putUrl"]})
    await api.result(r.json())
    assert orjson.loads((await api.c.get(out["getUrl"])).content)[0]["_status"] == "success"


@pytest.fixture
async def drafted(api: Api) -> tuple[str, dict, dict]:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana"}, {"emp": "2", "name": "Bob", "dept": "UK"}])
    ids = {i["emp"]: i["_id"] for i in await api.items(did)}
    layers = {
        "default": [
            {"_action": "update", "_id": ids["1"], "name": "Ann", "dept": "UK"},
            {"_action": "delete", "_id": ids["2"], "dept": "US"},
        ],
        "extra": [{"_action": "update", "_id": ids["1"], "salary": 5}],
    }
    r = await api.c.post(
        f"/_emulator/tenants/{api.tenant}/drafts",
        json={
            "datasetId": did,
            "name": "Finance Scenario",
            "description": "d",
            "createdBy": "ana@example.com",
            "layers": layers,
        },
    )
    assert r.status_code == 201, r.text
    return did, r.json(), ids


async def test_draft_query_and_retrieve(api: Api, drafted: tuple[str, dict, dict]) -> None:
    did, draft, _ = drafted
    r = await api.c.post(
        f"{api.base}/drafts/query",
        json={"filter": {"name": "Finance Scenario"}, "projection": {"draftId": 1, "name": 1}},
    )
    assert r.json() == [{"draftId": draft["draftId"], "name": "Finance Scenario"}]
    r = await api.c.post(
        f"{api.base}/drafts/query", json={"filter": {"createdBy": {"$ne": "ana@example.com"}}}
    )
    assert r.json() == []
    assert (await api.c.post(f"{api.base}/drafts/query", json={"filter": {"salary": 1}})).status_code == 400
    got = (await api.c.get(f"{api.base}/drafts/{draft['draftId']}")).json()
    assert (
        got["description"] == "d"
        and got["_links"]["draft:actions"]["jsonBody"]["layers"][0]["draftId"] == draft["draftId"]
    )
    assert (await api.c.get(f"{api.base}/drafts/99020AB5-EFEC-BED1-FDC5-3DDF9ED9A59B")).status_code == 404
    assert (await api.dataset(did))["drafts"][0]["draftId"] == draft["draftId"]


async def test_draft_actions_fold_schemes(api: Api, drafted: tuple[str, dict, dict]) -> None:
    _, draft, ids = drafted
    layers = [
        {"draftId": draft["draftId"], "layerKey": "default"},
        {"draftId": draft["draftId"], "layerKey": "extra"},
    ]
    r = await api.c.post(f"{api.base}/drafts/actions", json={"layers": layers, "foldScheme": "ordered"})
    assert len(orjson.loads(await api.result(r.json()))) == 3
    r = await api.c.post(f"{api.base}/drafts/actions", json={"layers": layers})
    folded = orjson.loads(await api.result(r.json()))
    assert folded[0] == {"_action": "update", "_id": ids["1"], "name": "Ann", "dept": "UK", "salary": 5}
    bad = await api.c.post(
        f"{api.base}/drafts/actions", json={"layers": [{"draftId": draft["draftId"], "layerKey": "nope"}]}
    )
    assert bad.status_code == 400


async def test_draft_apply_and_clear(api: Api, drafted: tuple[str, dict, dict]) -> None:
    did, draft, _ = drafted
    r = await api.c.post(
        f"{api.base}/drafts/clear",
        json={
            "layers": [{"draftId": draft["draftId"], "layerKey": "default"}],
            "filter": {"dept": {"$in": ["US"]}},
        },
    )
    assert r.json() == [{"status": "success", "draftId": draft["draftId"], "layerKey": "default"}]
    r = await api.c.post(
        f"{api.base}/datasets/{did}/drafts/apply",
        json={"layers": [{"draftId": draft["draftId"], "layerKey": "default"}]},
    )
    result = orjson.loads(await api.result(r.json()))
    assert [i["_status"] for i in result] == ["success"]
    assert (await api.by_emp(did))["1"]["name"] == "Ann" and "2" in await api.by_emp(did)
    r = await api.c.post(
        f"{api.base}/drafts/clear", json={"layers": [{"draftId": draft["draftId"], "layerKey": "extra"}]}
    )
    got = await api.c.post(
        f"{api.base}/drafts/actions", json={"layers": [{"draftId": draft["draftId"], "layerKey": "extra"}]}
    )
    assert orjson.loads(await api.result(got.json())) == []


async def test_on_demand_recalculation(api: Api) -> None:
    props = [
        {"key": "emp", "type": "text", "isRequired": True},
        {"key": "name", "type": "text", "isRequired": True},
        {"key": "salary", "type": "number"},
        {"key": "bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"},
    ]
    did = await api.create_people("OD", props)
    await api.seed(did, [{"emp": "1", "salary": 1000}])
    before = (await api.dataset(did))["items"]["lastTransactionId"]
    r = await api.c.post(f"{api.base}/datasets/{did}/ondemand", json={"executeOnDemand": ["bonus"]})
    await api.result(r.json())
    assert (await api.items(did))[0]["bonus"] == 100
    after = (await api.dataset(did))["items"]["lastTransactionId"]
    assert after != before
    r = await api.c.post(f"{api.base}/datasets/{did}/ondemand", json={"executeOnDemand": ["bonus"]})
    assert orjson.loads(await api.result(r.json()))["changed"] == 0
    assert (await api.dataset(did))["items"]["lastTransactionId"] == after  # nothing recalculated differently
    for bad in ({"executeOnDemand": []}, {"executeOnDemand": ["salary"]}, {}):
        assert (await api.c.post(f"{api.base}/datasets/{did}/ondemand", json=bad)).status_code == 400


async def test_draft_clear_filters_on_the_actions_own_id_and_action(
    api: Api, drafted: tuple[str, dict, dict]
) -> None:
    _, draft, ids = drafted
    assert (
        "datasetId" not in draft
    )  # the reference's draft object: its dataset is known from the dataset resource
    layer = [{"draftId": draft["draftId"], "layerKey": "default"}]
    r = await api.c.post(
        f"{api.base}/drafts/clear", json={"layers": layer, "filter": {"_id": {"$in": [ids["2"]]}}}
    )
    assert r.json()[0]["status"] == "success"
    left = orjson.loads(
        await api.result((await api.c.post(f"{api.base}/drafts/actions", json={"layers": layer})).json())
    )
    assert [a["_id"] for a in left] == [ids["1"]]
    await api.c.post(f"{api.base}/drafts/clear", json={"layers": layer, "filter": {"_action": "update"}})
    left = orjson.loads(
        await api.result((await api.c.post(f"{api.base}/drafts/actions", json={"layers": layer})).json())
    )
    assert left == []
