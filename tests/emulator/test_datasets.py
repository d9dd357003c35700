"""Datasets and links datasets: create, list, retrieve, PATCH merge rules, cacheKey and transaction ids."""

from __future__ import annotations

import pytest

from tests.support.emulator_api import PEOPLE_PROPS, Api

pytestmark = pytest.mark.anyio


async def test_create_list_retrieve(api: Api) -> None:
    did = await api.create_people()
    listed = (await api.c.get(f"{api.base}/datasets")).json()
    assert [(d["datasetId"], d["name"], d["type"], d["isPermissionedView"]) for d in listed] == [
        (did, "People", "PEOPLE", False)
    ]
    assert listed[0]["_links"]["dataset:retrieve"]["url"].endswith(f"/api/v1/ACME/datasets/{did}")
    ds = await api.dataset(did)
    assert ds["autoId"] == "emp" and ds["labelId"] == "name"
    assert [p["key"] for p in ds["properties"]] == [p["key"] for p in PEOPLE_PROPS]
    assert ds["items"]["lastTransactionId"] is None
    assert set(ds["_links"]) >= {"self", "dataset:export:csv", "dataset:export:jsonRows"}


async def test_rendered_property_form_is_accepted(api: Api) -> None:
    body = {
        "name": "Positions",
        "type": "POSITIONS",
        "autoId": "position_id",
        "labelId": "position_id",
        "properties": [
            {
                "0": {"key": "position_id", "name": "Position ID", "type": "text", "isRequired": True},
                "1": {"key": "salary", "type": "number"},
            }
        ],
    }
    r = await api.c.post(f"{api.base}/datasets", json=body)
    assert r.status_code == 201
    assert [(p["key"], p["name"]) for p in r.json()["properties"]] == [
        ("position_id", "Position ID"),
        ("salary", "salary"),
    ]


async def test_patch_merges_properties_by_key_and_null_removes_optional(api: Api) -> None:
    r = await api.c.post(
        f"{api.base}/datasets",
        json={
            "name": "P",
            "type": "PEOPLE",
            "autoId": "emp",
            "labelId": "name",
            "treeId": "emp",
            "tags": ["hr"],
            "properties": PEOPLE_PROPS,
        },
    )
    did = r.json()["datasetId"]
    before = r.json()["cacheKey"]
    r = await api.c.patch(
        f"{api.base}/datasets/{did}",
        json={
            "treeId": None,
            "tags": None,
            "properties": [{"key": "salary", "name": "Base salary"}, {"key": "grade", "type": "number"}],
        },
    )
    assert r.status_code == 200, r.text
    ds = r.json()
    assert "treeId" not in ds and "tags" not in ds
    props = {p["key"]: p for p in ds["properties"]}
    assert props["salary"] == {"key": "salary", "name": "Base salary", "type": "number", "isRequired": False}
    assert list(props)[-1] == "grade" and len(props) == 7
    assert ds["cacheKey"] != before
    same = await api.c.patch(f"{api.base}/datasets/{did}", json={"name": "P"})
    assert same.json()["cacheKey"] == ds["cacheKey"]


async def test_delete_omitted_properties_removes_them_and_their_values(api: Api) -> None:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana", "salary": 10, "dept": "X"}])
    keep = [{"key": k} for k in ("emp", "name")]
    r = await api.c.patch(
        f"{api.base}/datasets/{did}", params={"deleteOmittedProperties": "true"}, json={"properties": keep}
    )
    assert [p["key"] for p in r.json()["properties"]] == ["emp", "name"]
    items = await api.items(did)
    assert {k for k in items[0] if not k.startswith("_")} == {"emp", "name"}
    # a re-added property starts empty: the old values are gone
    await api.c.patch(
        f"{api.base}/datasets/{did}", json={"properties": [{"key": "salary", "type": "number"}]}
    )
    assert (await api.items(did))[0]["salary"] is None


async def test_last_transaction_id_changes_on_each_committed_write_only(api: Api) -> None:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1"}])
    first = (await api.dataset(did))["items"]
    r = await api.put(did, [{"_action": "update", "emp": "1", "name": "Ana"}], autoId="true")
    assert r.status_code == 200
    second = (await api.dataset(did))["items"]
    assert first["lastTransactionId"] and second["lastTransactionId"] != first["lastTransactionId"]
    failed = await api.put(did, [{"_action": "update", "emp": "404"}], autoId="true")
    assert failed.status_code == 400
    assert (await api.dataset(did))["items"] == second


async def test_a_write_that_changes_no_value_is_not_a_transaction(api: Api) -> None:
    did = await api.create_people()
    await api.seed(
        did,
        [{"emp": "1", "name": "Ana", "salary": 10}, {"emp": "2", "name": "Bob"}, {"emp": "3", "name": "Caz"}],
    )
    before, items = (await api.dataset(did))["items"], await api.items(did)
    r = await api.put(
        did,
        [
            {"_action": "update", "emp": "1", "name": "Ana", "salary": "10"},
            {"_action": "noop", "emp": "2"},
            {"_action": "replace", "emp": "3", "name": "Caz"},
        ],
        autoId="true",
    )
    assert [i["_status"] for i in r.json()] == ["success"] * 3
    assert (await api.dataset(did))["items"] == before
    assert await api.items(did) == items
    await api.put(
        did,
        [{"_action": "update", "emp": "1", "name": "Ann"}, {"_action": "update", "emp": "2", "name": "Bob"}],
        autoId="true",
    )
    after = {i["emp"]: i["_modifiedAt"] for i in await api.items(did)}
    assert (await api.dataset(did))["items"]["lastTransactionId"] != before["lastTransactionId"]
    assert after["2"] == items[1]["_modifiedAt"] and after["1"] >= items[0]["_modifiedAt"]


async def test_patch_null_removes_an_optional_property_field(api: Api) -> None:
    props = [*PEOPLE_PROPS, {"key": "bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"}]
    did = await api.create_people("P", props)
    r = await api.c.patch(
        f"{api.base}/datasets/{did}",
        json={"properties": [{"key": "bonus", "onDemand": None, "formula": None}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["properties"][-1] == {
        "key": "bonus",
        "name": "bonus",
        "type": "number",
        "isRequired": False,
    }
    r = await api.c.patch(f"{api.base}/datasets/{did}", json={"properties": [{"key": "bonus", "type": None}]})
    assert r.status_code == 400 and r.json()["errors"][0]["jsonBody"] == "$.properties[0].type"


@pytest.mark.parametrize(
    "body,where",
    [
        ({"type": "PEOPLE", "autoId": "emp", "labelId": "emp", "properties": []}, "$.name"),
        (
            {
                "name": "x",
                "type": "PEOPLE",
                "autoId": "emp",
                "labelId": "emp",
                "properties": [{"key": "emp", "type": "money"}],
            },
            "$.properties[0].type",
        ),
        (
            {"name": "x", "type": "PEOPLE", "autoId": "emp", "labelId": "emp", "properties": "nope"},
            "$.properties",
        ),
        ([1, 2], "$"),
    ],
)
async def test_bad_create_bodies_are_400_with_a_json_path(api: Api, body: object, where: str) -> None:
    r = await api.c.post(f"{api.base}/datasets", json=body)
    assert r.status_code == 400
    assert r.json()["errors"][0]["jsonBody"] == where


async def test_malformed_json_invalid_tenant_unknown_dataset(api: Api) -> None:
    r = await api.c.post(
        f"{api.base}/datasets", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["name"] == "InvalidJsonBody"
    r = await api.c.get("/api/v1/acme/datasets")
    assert r.status_code == 400 and r.json()["errors"][0]["pathParameter"] == "{tenantId}"
    r = await api.c.get(f"{api.base}/datasets/99020AB5-EFEC-BED1-FDC5-3DDF9ED9A59B")
    assert r.status_code == 404 and set(r.json()["errors"][0]) >= {"code", "name", "message"}
    r = await api.c.get(f"{api.base}/datasets/not-a-uuid")
    assert r.status_code == 400


async def test_autoid_must_be_a_property(api: Api) -> None:
    r = await api.c.post(
        f"{api.base}/datasets",
        json={
            "name": "x",
            "type": "P",
            "autoId": "nope",
            "labelId": "emp",
            "properties": [{"key": "emp", "type": "text"}],
        },
    )
    assert r.status_code == 422


async def test_links_dataset_core_properties(api: Api) -> None:
    people, roles = await api.create_people(), await api.create_people("Roles")
    r = await api.c.post(
        f"{api.base}/links",
        json={
            "name": "L",
            "fromDatasetId": people,
            "toDatasetId": roles,
            "additionalProperties": [{"key": "note", "type": "text"}],
            "tags": ["a"],
        },
    )
    assert r.status_code == 201, r.text
    links = r.json()
    assert links["type"] == "LINKS" and links["autoId"] == "link_id"
    assert [p["key"] for p in links["properties"]] == ["from_id", "to_id", "link_id", "allocation", "note"]
    lid = links["datasetId"]
    r = await api.c.patch(
        f"{api.base}/links/{lid}", json={"additionalProperties": [{"key": "allocation", "name": "x"}]}
    )
    assert r.status_code == 422
    r = await api.c.patch(
        f"{api.base}/links/{lid}",
        params={"deleteOmittedProperties": "true"},
        json={"additionalProperties": [], "tags": None},
    )
    assert r.status_code == 200
    assert [p["key"] for p in r.json()["properties"]] == ["from_id", "to_id", "link_id", "allocation"]
    assert "tags" not in r.json()
    assert (await api.dataset(people))["linkingRelationships"][0]["datasetId"] == lid
    assert lid in [d["datasetId"] for d in (await api.c.get(f"{api.base}/datasets")).json()]
    r = await api.c.post(
        f"{api.base}/links", json={"name": "L", "fromDatasetId": people, "toDatasetId": "nope"}
    )
    assert r.status_code == 422
