"""The emulator against the second edition of ENDPOINTS.md: one test per documented fact.

Each docstring names the page of Orgvue's public documentation (`D/…` = https://orgvue.eu-west-1.concentra.io/app/
docs/1.0.0/…) or the reference rendering the fact comes from. Every test runs in-process and over a real socket.
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from tests.support.emulator_api import PEOPLE_PROPS, Api, Receiver, links_between

pytestmark = pytest.mark.anyio

NOT_A_UUID = "not-a-uuid"
TEMPLATE = "?status={{jobStatus}}&traceId={{traceId}}&tenantId={{tenantId}}"


@pytest.fixture
async def people(api: Api) -> str:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana", "salary": 10}, {"emp": "2", "name": "Bo", "salary": 20}])
    return did


async def generate(api: Api, target_type: str = "json", encoding: str = "identity") -> dict[str, Any]:
    r = await api.c.post(
        f"{api.base}/files/generate", json={"targetType": target_type, "targetEncoding": encoding}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


# --- temporary files ---------------------------------------------------------------------------------------


async def test_files_generate_gives_a_read_url_and_a_write_url(api: Api) -> None:
    """D/recipes/import-integration-async/: `POST /files/generate` returns 2 URLs, a GET URL to read from the location
    and a PUT URL to write to it (field names getUrl/putUrl are assumed, ENDPOINTS.md row 22)."""
    urls = await generate(api)
    assert (await api.c.put(urls["putUrl"], content=b"[]")).status_code == 200
    read = await api.c.get(urls["getUrl"])
    assert (read.status_code, read.content) == (200, b"[]")
    assert (await api.c.put(urls["getUrl"], content=b"x")).status_code == 403  # the read URL cannot write


@pytest.mark.parametrize(
    "body,missing",
    [
        ({"targetEncoding": "identity"}, "$.targetType"),
        ({"targetType": "csv"}, "$.targetEncoding"),
        ({"targetType": "xml", "targetEncoding": "identity"}, "$.targetType"),
        ({"targetType": "json", "targetEncoding": "zip"}, "$.targetEncoding"),
    ],
)
async def test_files_generate_needs_target_type_and_encoding(
    api: Api, body: dict[str, str], missing: str
) -> None:
    """D/recipes/import-integration-async/: the payload is `{"targetType": "json"|"csv", "targetEncoding": "identity"}`
    (ENDPOINTS.md row 22: both required; tsv and gzip from openapi-reference.txt)."""
    r = await api.c.post(f"{api.base}/files/generate", json=body)
    assert r.status_code == 400 and r.json()["errors"][0]["jsonBody"] == missing


async def test_there_is_no_resources_temporary(api: Api) -> None:
    """ENDPOINTS.md, what changed: the real service has no `POST /resources/temporary` (first-edition guess)."""
    r = await api.c.post(
        f"{api.base}/resources/temporary", json={"targetType": "json", "targetEncoding": "identity"}
    )
    assert r.status_code == 404


async def test_temporary_files_are_gone_after_15_minutes(api: Api) -> None:
    """D/working/security/: secure temporary files are removed automatically after 15 minutes (tested with the admin
    clock, not by waiting)."""
    urls = await generate(api)
    await api.c.put(urls["putUrl"], content=b"[1]")
    await api.c.post("/_emulator/clock", json={"advanceSeconds": 15 * 60 - 1})
    assert (await api.c.get(urls["getUrl"])).content == b"[1]"
    await api.c.post("/_emulator/clock", json={"advanceSeconds": 1})
    gone = await api.c.get(urls["getUrl"])
    assert gone.status_code == 403 and gone.json()["errors"][0]["name"] == "RequestExpired"
    assert (await api.c.put(urls["putUrl"], content=b"[2]")).status_code == 403


async def test_an_expired_file_cannot_be_imported(api: Api, people: str) -> None:
    """D/working/security/ (15 minutes) with D/recipes/import-integration-async/ (upload, then import): a file older than
    15 minutes can no longer be read, so its import job fails and nothing is written."""
    url = await api.upload(orjson.dumps([{"_action": "create", "emp": "9", "name": "Late"}]))
    await api.c.post("/_emulator/clock", json={"advanceSeconds": 15 * 60})
    r = await api.start_import(people, url)
    assert r.status_code == 202, r.text
    done = await api.wait(r.json())
    assert done["jobStatus"] == "failed" and done["errors"][0]["name"] == "RequestExpired"
    assert "9" not in await api.by_emp(people)


async def test_presigned_urls_need_no_authorization(emulator_factory: Any) -> None:
    """ENDPOINTS.md, temporary files (assumed): the bytes are written with a plain PUT and read with a GET, both without
    the Authorization header, while every API call needs the bearer token (D/guide/)."""
    server = emulator_factory(token="t0k")
    async with (
        httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": "Bearer t0k"}) as authed,
        httpx.AsyncClient(base_url=server.base_url) as anonymous,
    ):
        urls = (
            await authed.post(
                "/api/v1/ACME/files/generate", json={"targetType": "json", "targetEncoding": "gzip"}
            )
        ).json()
        assert (await anonymous.put(urls["putUrl"], content=gzip.compress(b"[]"))).status_code == 200
        assert gzip.decompress((await anonymous.get(urls["getUrl"])).content) == b"[]"
        assert (await anonymous.post("/api/v1/ACME/files/generate", json={})).status_code == 401


# --- async import ------------------------------------------------------------------------------------------


async def test_async_import_is_a_put_with_import_location(api: Api, people: str) -> None:
    """D/items/drafts/: `PUT …/datasets/{datasetId}/items/import` with `{"importLocation": {"method": "GET", "url"}}`;
    D/working/async/: the answer is 202 Accepted with a jobTicket in the `created` state."""
    url = await api.upload(orjson.dumps([{"_action": "update", "emp": "1", "name": "Ann"}]))
    r = await api.c.put(
        f"{api.base}/datasets/{people}/items/import",
        params={"autoId": "true"},
        json={"importLocation": {"method": "GET", "url": url}},
    )
    assert r.status_code == 202 and r.json()["jobStatus"] == "created"
    result = orjson.loads(await api.result(r.json()))
    assert [i["_status"] for i in result] == ["success"]
    assert (await api.by_emp(people))["1"]["name"] == "Ann"


async def test_async_import_is_not_a_post(api: Api, people: str) -> None:
    """ENDPOINTS.md, what changed: the async import is PUT, not POST (D/items/drafts/)."""
    url = await api.upload(b"[]")
    r = await api.c.post(
        f"{api.base}/datasets/{people}/items/import", json={"importLocation": {"method": "GET", "url": url}}
    )
    assert r.status_code == 405


@pytest.mark.parametrize(
    "body,where",
    [
        ({}, "$.importLocation"),
        ({"location": {"url": "URL"}}, "$.importLocation"),  # the first edition's body
        ({"importLocation": {"url": "URL"}}, "$.importLocation.method"),
        ({"importLocation": {"method": "PUT", "url": "URL"}}, "$.importLocation.method"),
        ({"importLocation": {"method": "GET"}}, "$.importLocation.url"),
        (
            {
                "importLocation": {"method": "GET", "url": "URL"},
                "resultLocation": {"method": "GET", "url": "URL"},
            },
            "$.resultLocation.method",
        ),
    ],
)
async def test_import_location_is_required_and_shaped_as_documented(
    api: Api, people: str, body: dict[str, Any], where: str
) -> None:
    """D/items/drafts/: `importLocation` `{method: "GET", url}`, `resultLocation` `{method: "PUT", url}`; openapi-reference.txt:
    the import location is `required`. A bad body is refused before any job exists."""
    url = await api.upload(b"[]")
    raw = orjson.dumps(body).replace(b'"URL"', orjson.dumps(url))
    r = await api.c.put(
        f"{api.base}/datasets/{people}/items/import",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["errors"][0]["jsonBody"] == where
    assert api.c.app.state.emulator.jobs == {}  # type: ignore[attr-defined]


async def test_result_location_receives_the_import_result(api: Api, people: str) -> None:
    """D/items/drafts/ and openapi-reference.txt: `resultLocation {method: "PUT", url}` diverts the result to a location
    of your choice (here: another temporary file's write URL)."""
    url = await api.upload(orjson.dumps([{"_action": "update", "emp": "2", "name": "Bob"}]))
    out = await generate(api)
    r = await api.start_import(people, url, resultLocation={"method": "PUT", "url": out["putUrl"]})
    await api.result(r.json())
    delivered = orjson.loads((await api.c.get(out["getUrl"])).content)
    assert [(i["_action"], i["_status"]) for i in delivered] == [("update", "success")]


async def test_links_async_import_is_a_put_too(api: Api, people: str) -> None:
    """ENDPOINTS.md row 17 (assumed by analogy with row 10): `PUT /links/{linksDatasetId}/items/import`, same body."""
    _, lid = await links_between(api, people)
    url = await api.upload(
        orjson.dumps([{"_action": "create", "from_id": "2", "to_id": "P1", "allocation": 0.5}])
    )
    r = await api.start_import(lid, url, links=True)
    assert r.status_code == 202, r.text
    result = orjson.loads(await api.result(r.json()))
    assert [i["_status"] for i in result] == ["success"]
    assert {i["link_id"] for i in await api.items(lid)} == {'["1","P1"]', '["2","P1"]'}


# --- callbacks ---------------------------------------------------------------------------------------------


async def test_callback_url_template_is_filled_in(api: Api, people: str, receiver: Receiver) -> None:
    """D/items/drafts/: `callback {"method": "GET", "urlTemplate": "…?status={{jobStatus}}&traceId={{traceId}}&tenantId={{tenantId}}"}`;
    openapi-reference.txt: the callback is sent when the jobTicket is completed or failed."""
    url = await api.upload(orjson.dumps([{"_action": "update", "emp": "1", "name": "Ann"}]))
    r = await api.start_import(
        people, url, callback={"method": "GET", "urlTemplate": f"{receiver.url}/done" + TEMPLATE}
    )
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    trace = quote(r.json()["X-Amzn-Trace-Id"], safe="")
    assert (got.method, got.path, got.body) == (
        "GET",
        f"/done?status=completed&traceId={trace}&tenantId={api.tenant}",
        b"",
    )


async def test_every_async_endpoint_fills_in_the_callback(api: Api, people: str, receiver: Receiver) -> None:
    """D/working/async/: for all asynchronous operations the callback template gets jobStatus and traceId ({{tenantId}}
    only where D/items/drafts/ shows it); ENDPOINTS.md: the same callback shape applies to every async endpoint (5, 10, 11, 12, 15, 17, 20)."""
    _, lid = await links_between(api, people)
    props = [{"key": "bonus", "type": "number", "onDemand": True, "formula": "salary * 0.1"}]
    assert (await api.c.patch(f"{api.base}/datasets/{people}", json={"properties": props})).status_code == 200
    draft = (
        await api.c.post(
            f"/_emulator/tenants/{api.tenant}/drafts",
            json={
                "datasetId": people,
                "name": "D",
                "layers": {"default": [{"_action": "update", "emp": "1", "name": "Di"}]},
            },
        )
    ).json()
    layers = [{"draftId": draft["draftId"], "layerKey": "default"}]
    file_url = await api.upload(b"[]")

    def hook(name: str) -> dict[str, str]:
        return {"method": "GET", "urlTemplate": f"{receiver.url}/{name}" + TEMPLATE}

    calls = {
        "export": api.c.post(f"{api.base}/datasets/{people}/export", json={"callback": hook("export")}),
        "import": api.c.put(
            f"{api.base}/datasets/{people}/items/import",
            params={"autoId": "true"},
            json={"importLocation": {"method": "GET", "url": file_url}, "callback": hook("import")},
        ),
        "linksImport": api.c.put(
            f"{api.base}/links/{lid}/items/import",
            json={"importLocation": {"method": "GET", "url": file_url}, "callback": hook("linksImport")},
        ),
        "ondemand": api.c.post(
            f"{api.base}/datasets/{people}/ondemand",
            json={"executeOnDemand": ["bonus"], "callback": hook("ondemand")},
        ),
        "populate": api.c.post(
            f"{api.base}/links/{lid}/populate",
            json={"sourceDatasetId": people, "targetDatasetAutoId": "dept", "callback": hook("populate")},
        ),
        "draftActions": api.c.post(
            f"{api.base}/drafts/actions", json={"layers": layers, "callback": hook("draftActions")}
        ),
        "draftApply": api.c.post(
            f"{api.base}/datasets/{people}/drafts/apply",
            json={"layers": layers, "callback": hook("draftApply")},
        ),
    }
    traces = {}
    for name, call in calls.items():
        r = await call
        assert r.status_code == 202, (name, r.text)
        traces[name] = quote(r.json()["X-Amzn-Trace-Id"], safe="")
        await api.wait(r.json())
    got = {}
    for _ in calls:
        hit = await asyncio.to_thread(receiver.next)
        got[hit.path.split("?")[0].strip("/")] = hit.path
    # third edition: {{tenantId}} only where D/items/drafts/ shows it (the imports and the draft apply)
    shown = {"import", "linksImport", "draftApply"}
    assert got == {
        name: f"/{name}?status=completed&traceId={traces[name]}&tenantId="
        + (api.tenant if name in shown else "{{tenantId}}")
        for name in calls
    }


async def test_a_failed_job_calls_back_with_its_status(api: Api, people: str, receiver: Receiver) -> None:
    """openapi-reference.txt: the callback request is sent when the jobTicket is 'completed' or 'failed'."""
    url = await api.upload(orjson.dumps([{"_action": "update", "emp": "nobody"}]))
    r = await api.start_import(
        people, url, callback={"method": "GET", "urlTemplate": f"{receiver.url}/x?s={{{{jobStatus}}}}"}
    )
    assert (await api.wait(r.json()))["jobStatus"] == "failed"
    assert (await asyncio.to_thread(receiver.next)).path == "/x?s=failed"


# --- jobs ----------------------------------------------------------------------------------------------------


async def test_every_async_call_answers_202_with_a_created_job_ticket(api: Api, people: str) -> None:
    """D/working/async/: all asynchronous calls receive a jobTicket; the initial response is 202 Accepted and
    `jobStatus` starts `created`."""
    file_url = await api.upload(b"[]")
    answers = [
        await api.c.post(f"{api.base}/datasets/{people}/export"),
        await api.c.post(f"{api.base}/datasets/{people}/export/csv"),
        await api.start_import(people, file_url),
    ]
    for r in answers:
        assert r.status_code == 202 and r.json()["jobStatus"] == "created", r.text
        assert r.json()["_links"]["self"]["type"] == "jobTicket"


async def test_a_completed_job_links_its_result(api: Api, people: str) -> None:
    """D/working/async/: poll `_links.self.url` until `completed`; the data is at `_links.result.url`."""
    r = await api.c.post(f"{api.base}/datasets/{people}/export", params={"exportFormat": "jsonObjects"})
    assert "result" not in r.json()["_links"]
    done = await api.wait(r.json())
    assert done["jobStatus"] == "completed"
    rows = orjson.loads((await api.c.get(done["_links"]["result"]["url"])).content)
    assert sorted(row["emp"] for row in rows) == ["1", "2"]


# --- tracking ------------------------------------------------------------------------------------------------


async def test_every_direct_answer_has_a_trace_id_header(api: Api, people: str) -> None:
    """D/working/tracking/: the tracking id is in the headers of all responses received directly from the API,
    successful or not, in the `Root=1-…` form."""
    answers = [
        await api.c.get(f"{api.base}/datasets"),
        await api.c.get(f"{api.base}/datasets/{people}"),
        await api.c.get(f"{api.base}/datasets/{NOT_A_UUID}"),
        await api.c.get(f"{api.base}/datasets/99020AB5-EFEC-BED1-FDC5-3DDF9ED9A59B"),
        await api.put(people, [{"_action": "update", "emp": "nobody"}], autoId="true"),
        await api.c.post(f"{api.base}/datasets/{people}/export"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 400, 404, 400, 202]
    traces = [r.headers["X-Amzn-Trace-Id"] for r in answers]
    assert all(t.startswith("Root=1-") and len(t) == len("Root=1-") + 8 + 1 + 24 for t in traces), traces
    assert len(set(traces)) == len(traces)


async def test_a_job_ticket_carries_the_trace_id_of_the_request_that_started_it(
    api: Api, people: str
) -> None:
    """D/working/tracking/: jobTickets also carry the tracking id in `$.X-Amzn-Trace-Id`, so the originating request can
    be traced while polling."""
    r = await api.c.post(f"{api.base}/datasets/{people}/export")
    started = r.headers["X-Amzn-Trace-Id"]
    assert r.json()["X-Amzn-Trace-Id"] == started
    done = await api.wait(r.json())
    assert done["X-Amzn-Trace-Id"] == started


# --- errors ----------------------------------------------------------------------------------------------------


async def test_error_codes_are_strings(api: Api) -> None:
    """D/errors/examples/: `"code": "40303"`, `"code": "400603"`; the body always holds an `errors` array."""
    r = await api.c.get(f"{api.base}/datasets/{NOT_A_UUID}")
    errors = r.json()["errors"]
    assert isinstance(errors, list) and all(isinstance(e["code"], str) for e in errors)


async def test_a_non_uuid_id_is_400603(api: Api) -> None:
    """D/errors/examples/: `PathParameterMustBeUUIDString` 400603, "Path parameter {datasetId} must be a UUID string.",
    `pathParameter: "{datasetId}"`; ENDPOINTS.md: dataset, links dataset and draft ids are UUIDs."""
    for path, param in (
        (f"/datasets/{NOT_A_UUID}", "{datasetId}"),
        (f"/datasets/{NOT_A_UUID}/items", "{datasetId}"),
        (f"/links/{NOT_A_UUID}/items", "{linksDatasetId}"),
        (f"/drafts/{NOT_A_UUID}", "{draftId}"),
    ):
        method = "PUT" if path.endswith("/items") and path.startswith("/links") else "GET"
        r = await api.c.request(method, api.base + path, json=[] if method == "PUT" else None)
        assert r.status_code == 400, r.text
        assert r.json()["errors"] == [
            {
                "code": "400603",
                "name": "PathParameterMustBeUUIDString",
                "message": f"Path parameter {param} must be a UUID string.",
                "pathParameter": param,
            }
        ]


async def test_a_non_json_content_type_is_415001(api: Api, people: str) -> None:
    """D/errors/examples/: `ContentTypeIsNotImplemented` 415001 when the Content-Type header is not application/json."""
    r = await api.c.put(
        f"{api.base}/datasets/{people}/items", content=b"[]", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 415
    assert [(e["code"], e["name"]) for e in r.json()["errors"]] == [("415001", "ContentTypeIsNotImplemented")]
    ok = await api.c.put(
        f"{api.base}/datasets/{people}/items",
        content=b"[]",
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert ok.status_code == 200


async def test_the_documented_two_errors_come_in_one_answer(api: Api) -> None:
    """D/errors/examples/: calling `/datasets/{datasetId}/export/jsonRows` with a non-UUID id and a non-JSON Content-Type
    reports both errors (400603 and 415001) in one `errors` array."""
    r = await api.c.post(
        f"{api.base}/datasets/{NOT_A_UUID}/export/jsonRows",
        content=b"{}",
        headers={"Content-Type": "text/plain"},
    )
    assert [e["code"] for e in r.json()["errors"]] == ["400603", "415001"]
    assert r.json()["errors"][0]["pathParameter"] == "{datasetId}"


async def test_a_repeated_query_parameter_is_400020(api: Api, people: str) -> None:
    """openapi-reference.txt (error example) and ENDPOINTS.md: `400020 FieldMustNotBeMultivalued` when a single-valued query
    parameter is given twice; `autoId=true&autoId=false` must not fall back to `_id` mode."""
    r = await api.c.put(
        f"{api.base}/datasets/{people}/items?autoId=true&autoId=false",
        json=[{"_action": "update", "emp": "1", "name": "X"}],
    )
    assert r.status_code == 400
    assert r.json()["errors"] == [
        {
            "code": "400020",
            "name": "FieldMustNotBeMultivalued",
            "message": "You cannot specify this field multiple times.",
            "queryParameter": "autoId",
        }
    ]
    assert (await api.by_emp(people))["1"]["name"] == "Ana"  # nothing written


async def test_authentication_errors_have_their_documented_codes(emulator_factory: Any) -> None:
    """D/errors/list/: 40101 AuthorizationHeaderEmpty, 40102 ApiTokenInvalid, 40103 BearerTokenNotFound (HTTP 401)."""
    server = emulator_factory(token="t0k")
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        seen = []
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token t0k"}):
            r = await c.get("/api/v1/ACME/datasets", headers=headers)
            seen.append((r.status_code, r.json()["errors"][0]["code"], r.json()["errors"][0]["name"]))
        assert seen == [
            (401, "40101", "AuthorizationHeaderEmpty"),
            (401, "40102", "ApiTokenInvalid"),
            (401, "40103", "BearerTokenNotFound"),
        ]
        assert (
            await c.get("/api/v1/ACME/datasets", headers={"Authorization": "Bearer t0k"})
        ).status_code == 200


# --- dataset create ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,key", [("autoId", "emp"), ("labelId", "name"), ("treeId", "emp"), ("treeParentId", "boss")]
)
async def test_create_refuses_a_key_property_that_is_not_required(api: Api, role: str, key: str) -> None:
    """D/Dataset-operations/create-dataset/: in all datasets autoId and labelId must have isRequired set to true;
    hierarchical datasets (treeId and treeParentId given) must also have treeId and treeParentId set to true."""
    props = [{**p, "isRequired": True} if p["key"] in ("emp", "name") else p for p in PEOPLE_PROPS]
    props.append({"key": "boss", "type": "text", "isRequired": True})
    props = [{**p, "isRequired": False} if p["key"] == key else p for p in props]
    body = {
        "name": "Tree",
        "type": "PEOPLE",
        "autoId": "emp",
        "labelId": "name",
        "treeId": "emp",
        "treeParentId": "boss",
        "properties": props,
    }
    r = await api.c.post(f"{api.base}/datasets", json=body)
    assert r.status_code == 400, r.text
    index = [p["key"] for p in props].index(key)
    assert (
        r.json()["errors"][0]["jsonBody"] == f"$.properties[{index}].isRequired"
        and role in r.json()["errors"][0]["message"]
    )
    assert (await api.c.get(f"{api.base}/datasets")).json() == []


async def test_create_with_required_keys_and_default_names(api: Api) -> None:
    """D/Dataset-operations/create-dataset/: each property needs key and type; a missing name defaults to the key; the
    answer carries the same detail as the dataset metadata, with `isRequired` on each property."""
    body = {
        "name": "Flat",
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "id",
        "properties": [{"key": "id", "type": "text", "isRequired": True}, {"key": "email", "type": "text"}],
    }
    r = await api.c.post(f"{api.base}/datasets", json=body)
    assert r.status_code == 201, r.text
    assert [(p["key"], p["name"], p["isRequired"]) for p in r.json()["properties"]] == [
        ("id", "id", True),
        ("email", "email", False),
    ]
    assert "treeId" not in r.json()  # no tree keys: a flat dataset
    missing_type = await api.c.post(
        f"{api.base}/datasets",
        json={**body, "name": "Bad", "properties": [{"key": "id", "isRequired": True}]},
    )
    assert (
        missing_type.status_code == 400
        and missing_type.json()["errors"][0]["jsonBody"] == "$.properties[0].type"
    )


async def test_a_links_dataset_has_its_four_required_core_properties(api: Api, people: str) -> None:
    """D/Dataset-operations/create-links-dataset/: an empty links dataset is created with from_id, to_id, link_id and
    allocation, each `isRequired: true`, and `autoId: link_id`."""
    _, lid = await links_between(api, people)
    ds = await api.dataset(lid)
    assert ds["type"] == "LINKS" and ds["autoId"] == "link_id"
    assert [(p["key"], p["isRequired"]) for p in ds["properties"]] == [
        ("from_id", True),
        ("to_id", True),
        ("link_id", True),
        ("allocation", True),
    ]


# --- linking relationships -------------------------------------------------------------------------------------


async def test_linking_relationships_carry_the_documented_roles(api: Api, people: str) -> None:
    """D/egress/linking/: a source dataset points to a "link" and a "target", a linking dataset to a "source" and a
    "target", a target dataset to a "source" and a "link"."""
    positions, lid = await links_between(api, people)

    async def roles(did: str) -> dict[str, str]:
        [entry] = (await api.dataset(did))["linkingRelationships"]
        assert entry["datasetId"] == lid
        return {role: entry[role]["datasetId"] for role in ("source", "link", "target") if role in entry}

    assert await roles(people) == {"link": lid, "target": positions}
    assert await roles(lid) == {"source": people, "target": positions}
    assert await roles(positions) == {"source": people, "link": lid}


# --- export ----------------------------------------------------------------------------------------------------


async def test_export_with_the_format_in_the_path(api: Api, people: str) -> None:
    """D/errors/examples/: the export is also reached as `/datasets/{datasetId}/export/{format}` (e.g. `/export/jsonRows`)."""
    r = await api.c.post(f"{api.base}/datasets/{people}/export/jsonRows", json={})
    assert r.status_code == 202, r.text
    out = orjson.loads(await api.result(r.json()))
    assert [h["key"] for h in out["headers"]][:2] == ["emp", "name"] and sorted(
        row[0] for row in out["rows"]
    ) == ["1", "2"]
    clash = await api.c.post(f"{api.base}/datasets/{people}/export/jsonRows", params={"exportFormat": "csv"})
    assert clash.status_code == 400 and clash.json()["errors"][0]["queryParameter"] == "exportFormat"


async def test_the_retrieved_dataset_export_links_are_followable(api: Api, people: str) -> None:
    """ENDPOINTS.md row 3 (D/api/): a retrieved dataset's `_links` hold `dataset:export:jsonRows|jsonColumns|jsonObjects|csv|tsv`;
    following each with its method yields that format."""
    links = (await api.dataset(people))["_links"]
    assert {k for k in links if k.startswith("dataset:export:")} == {
        f"dataset:export:{f}" for f in ("jsonRows", "jsonColumns", "jsonObjects", "csv", "tsv")
    }
    for fmt in ("csv", "tsv", "jsonObjects"):
        link = links[f"dataset:export:{fmt}"]
        r = await api.c.request(link["method"], link["url"], json={})
        assert r.status_code == 202, (fmt, r.text)
        data = (await api.result(r.json())).decode("utf-8-sig")
        if fmt == "jsonObjects":
            assert sorted(row["emp"] for row in orjson.loads(data)) == ["1", "2"]
        else:
            rows = list(csv.reader(io.StringIO(data), delimiter="," if fmt == "csv" else "\t"))
            assert rows[0][:2] == ["emp", "name"] and sorted(r[0] for r in rows[1:]) == ["1", "2"]


async def test_the_listed_dataset_links_are_followable(api: Api, people: str) -> None:
    """D/api/ (List datasets): each listed dataset has `_links` `dataset:retrieve` (GET) and `dataset:export` (POST)."""
    [listed] = (await api.c.get(f"{api.base}/datasets")).json()
    retrieve, export = listed["_links"]["dataset:retrieve"], listed["_links"]["dataset:export"]
    assert (retrieve["method"], export["method"]) == ("GET", "POST")
    assert (await api.c.request(retrieve["method"], retrieve["url"])).json()["datasetId"] == people
    r = await api.c.request(export["method"], export["url"], json={})
    assert r.status_code == 202 and (await api.wait(r.json()))["jobStatus"] == "completed"


async def test_csv_exports_default_to_a_bom_and_windows_line_endings(api: Api, people: str) -> None:
    """D/egress/export-api/: `includeBOM` defaults to true and `lineEndings` to windows."""
    r = await api.c.post(f"{api.base}/datasets/{people}/export/csv")
    data = await api.result(r.json())
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


# --- items -----------------------------------------------------------------------------------------------------


async def test_the_empty_string_clears_a_value(api: Api, people: str) -> None:
    """openapi-reference.txt (clearToken): null and the empty string are the default clear tokens, always applied."""
    r = await api.put(
        people,
        [{"_action": "update", "emp": "1", "name": ""}, {"_action": "update", "emp": "2", "salary": None}],
        autoId="true",
    )
    assert r.status_code == 200, r.text
    after = await api.by_emp(people)
    assert (after["1"]["name"], after["2"]["salary"]) == (None, None)
