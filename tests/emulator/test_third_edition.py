"""The emulator against the third edition of ENDPOINTS.md ("What changed in the third edition"): one test per row.

Each docstring names the page of Orgvue's public documentation (`D/…` = https://orgvue.eu-west-1.concentra.io/app/
docs/1.0.0/…) the fact comes from, or says *inferred* where the pages are silent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from orgsync.emulator.app import create_app
from tests.support.emulator_api import Api, links_between

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(api: Api) -> str:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana", "salary": 10, "dept": "Eng"}])
    return did


async def export_csv(api: Api, did: str, output: dict[str, Any] | None) -> list[str]:
    body = {"query": {"output": output}} if output is not None else {}
    r = await api.c.post(
        f"{api.base}/datasets/{did}/export",
        params={"exportFormat": "csv", "includeBOM": "false", "lineEndings": "unix"},
        json=body,
    )
    assert r.status_code == 202, r.text
    return (await api.result(r.json())).decode().splitlines()[0].split(",")


async def test_export_projection_add_is_the_default_and_replace_limits_and_orders(
    api: Api, people: str
) -> None:
    """D/egress/column-manipulation/: `add` is the default for export output queries and includes every property
    (0 removes one); `replace` includes only the projected properties; the numbers set the column order."""
    every = ["emp", "name", "salary", "start", "active", "dept"]
    assert await export_csv(api, people, None) == every
    assert await export_csv(api, people, {"projection": {"dept": 1, "emp": 1}}) == ["dept", "emp"] + [
        "name",
        "salary",
        "start",
        "active",
    ]
    assert await export_csv(api, people, {"projection": {"salary": 0}}) == [k for k in every if k != "salary"]
    replace = {"projection": {"dept": 2, "emp": 1, "_id": 3}, "projectionMode": "replace"}
    assert await export_csv(api, people, replace) == ["emp", "dept", "_id"]
    bad = await api.c.post(
        f"{api.base}/datasets/{people}/export",
        json={"query": {"output": {"projection": {"emp": 1}, "projectionMode": "keep"}}},
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["jsonBody"] == "$.query.output.projectionMode"


async def test_the_request_log_records_each_requests_content_type(api: Api) -> None:
    """D/guide/your_first_call/: a GET carries the Authorization and Content-Type headers; the request log keeps
    the Content-Type each request came with (None: none), so a test can assert that a client always sends it."""
    await api.c.delete("/_emulator/requests")
    await api.c.get(f"{api.base}/datasets", headers={"Content-Type": "application/json; charset=UTF-8"})
    await api.c.get(f"{api.base}/datasets")
    log = (await api.c.get("/_emulator/requests")).json()
    assert [e["contentType"] for e in log] == ["application/json; charset=UTF-8", None]
    assert [e["status"] for e in log] == [200, 200]  # the pages do not say a GET without one is refused


async def test_cache_key_changes_on_item_writes_too(api: Api, people: str) -> None:
    """D/egress/export-api/: "Any time that a dataset is updated, or the security rules change, the cache key will
    also be updated": an item write moves it; a write that changes no value (a noop) does not update the dataset."""
    before = (await api.dataset(people))["cacheKey"]
    assert (
        await api.put(people, [{"_action": "update", "emp": "1", "salary": 11}], autoId="true")
    ).status_code == 200
    after = (await api.dataset(people))["cacheKey"]
    assert after != before
    assert (await api.put(people, [{"_action": "noop", "emp": "1"}], autoId="true")).status_code == 200
    assert (await api.dataset(people))["cacheKey"] == after


async def test_polls_are_presigned_storage_that_expires_on_the_admin_clock() -> None:
    """D/working/async/: `$._links.self.url` "will point to a presigned url location where your jobTicket status
    updates will arrive"; D/working/security/: presigned URLs "expire after a short period". So the poll URL is
    outside the API base, needs no Authorization (S3 refuses a second credential), and expires (403 from storage)."""
    app = create_app(token="s3cret")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://emulator",
        headers={"Authorization": "Bearer s3cret"},
    ) as c:
        api = Api(c)
        did = await api.create_people()
        r = await c.post(f"{api.base}/datasets/{did}/export", json={})
        assert r.status_code == 202
        url = r.json()["_links"]["self"]["url"]
        assert urlsplit(url).path.startswith("/_storage/jobs/") and "/api/" not in url
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anonymous:
            assert (await anonymous.get(url)).json()["jobStatus"] in ("created", "running", "completed")
            with_token = await anonymous.get(url, headers={"Authorization": "Bearer s3cret"})
            assert with_token.status_code == 400 and b"InvalidArgument" in with_token.content
            assert (await c.post("/_emulator/clock", json={"advanceSeconds": 15 * 60 + 1})).status_code == 200
            expired = await anonymous.get(url)
            assert expired.status_code == 403
            assert (
                expired.headers["content-type"].startswith("application/xml")
                and b"expired" in expired.content
            )
            forged = await anonymous.get(url.replace("sig=", "sig=0"))
            assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
        assert (await c.get(f"{api.base}/jobs/{urlsplit(url).path.rsplit('/', 1)[1]}")).status_code == 404


async def test_an_oversized_sync_body_gets_the_gateways_413(api: Api, people: str) -> None:
    """D/items/general-usage/: a "strict 6 MB size limit"; no status or code is documented. *Inferred*: the
    gateway in front of Orgvue answers 413 with its own body, not Orgvue's `errors` JSON."""
    assert (await api.c.post("/_emulator/limits", json={"syncPutMaxBytes": 100})).status_code == 200
    r = await api.put(people, [{"_action": "update", "emp": "1", "name": "x" * 200}], autoId="true")
    assert r.status_code == 413 and "errors" not in r.json()
    assert (await api.by_emp(people))["1"]["name"] == "Ana"  # nothing applied


async def test_a_links_dataset_resource_does_not_show_its_ends(api: Api, people: str) -> None:
    """D/Dataset-operations/create-links-dataset/: the example answer has no fromDatasetId/toDatasetId and its core
    properties are of type "string"; the ends are read from `linkingRelationships` (D/egress/linking/)."""
    positions, lid = await links_between(api, people)
    created = (await api.c.get(f"{api.base}/datasets/{lid}")).json()
    assert "fromDatasetId" not in created and "toDatasetId" not in created
    assert {p["key"]: p["type"] for p in created["properties"]}["from_id"] == "string"
    [own] = [r for r in created["linkingRelationships"] if r["datasetId"] == lid]
    assert (own["source"]["datasetId"], own["target"]["datasetId"]) == (people, positions)
    r = await api.c.post(
        f"{api.base}/links", json={"name": "Again", "fromDatasetId": people, "toDatasetId": positions}
    )
    assert r.status_code == 201 and not {"fromDatasetId", "toDatasetId"} & set(r.json())


@pytest.mark.parametrize("style", ["flat", "links"])
async def test_temporary_files_in_either_answer_style(style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """D/recipes/import-integration-async/: "This returns 2 URLs: A GET URL – to read … A PUT URL – to write"; no
    page names the fields. The emulator answers flat `getUrl`/`putUrl`, or (ORGSYNC_EMULATOR_TEMP_FILES=links)
    `_links` objects told apart by `type` (`downloadLink`/`uploadLink`, the reference's link types)."""
    monkeypatch.setenv("ORGSYNC_EMULATOR_TEMP_FILES", style)
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
        r = await c.post(
            "/api/v1/ACME/files/generate", json={"targetType": "json", "targetEncoding": "identity"}
        )
        assert r.status_code == 201
        answer = r.json()
        if style == "flat":
            get_url, put_url = answer["getUrl"], answer["putUrl"]
            assert "_links" not in answer
        else:
            assert "getUrl" not in answer and "putUrl" not in answer
            by_type = {link["type"]: link["url"] for link in answer["_links"].values()}
            get_url, put_url = by_type["downloadLink"], by_type["uploadLink"]
        assert (await c.put(put_url, content=orjson.dumps([]))).status_code == 200
        assert (await c.get(get_url)).content == b"[]"
