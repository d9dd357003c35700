"""Auth, fault injection, the request log, restart with --db, and the OpenAPI description."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.emulator_api import Api

pytestmark = pytest.mark.anyio


async def test_token_required_when_set(emulator_factory: Any) -> None:
    server = emulator_factory(token="s3cret")
    async with httpx.AsyncClient(base_url=server.base_url) as c:
        r = await c.get("/api/v1/ACME/datasets")
        assert r.status_code == 401 and r.json()["errors"][0]["code"] == "40101"  # AuthorizationHeaderEmpty
        wrong = await c.get("/api/v1/ACME/datasets", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "40102"  # ApiTokenInvalid
        basic = await c.get("/api/v1/ACME/datasets", headers={"Authorization": "Basic s3cret"})
        assert (
            basic.status_code == 401 and basic.json()["errors"][0]["code"] == "40103"
        )  # BearerTokenNotFound
        api = Api(httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": "Bearer s3cret"}))
        async with api.c:
            did = await api.create_people()
            url = await api.upload(
                orjson.dumps([{"_action": "create", "emp": "1"}])
            )  # presigned: no token needed
            assert (await c.get(url)).status_code == 200
            r = await api.start_import(did, url)
            await api.result(r.json())


async def test_status_fault_for_next_n_calls_with_retry_after(api: Api) -> None:
    await api.c.delete("/_emulator/requests")
    r = await api.c.post(
        "/_emulator/faults",
        json={"path": "/datasets$", "method": "GET", "status": 429, "count": 2, "retryAfter": 3},
    )
    assert r.status_code == 201
    first = await api.c.get(f"{api.base}/datasets")
    assert (
        first.status_code == 429
        and first.headers["Retry-After"] == "3"
        and first.json()["errors"][0]["name"] == "TooManyRequests"
    )
    assert (await api.c.get(f"{api.base}/datasets")).status_code == 429
    assert (await api.c.get(f"{api.base}/datasets")).status_code == 200
    log = (await api.c.get("/_emulator/requests")).json()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", f"{api.base}/datasets", s) for s in (429, 429, 200)
    ]


async def rate_run(api: Api, seed: int) -> list[int]:
    await api.c.delete("/_emulator/faults")
    await api.c.post("/_emulator/faults", json={"path": "datasets", "status": 503, "rate": 0.5, "seed": seed})
    return [(await api.c.get(f"{api.base}/datasets")).status_code for _ in range(20)]


async def test_rate_faults_are_reproducible_with_a_seed(api: Api) -> None:
    one, two = await rate_run(api, 7), await rate_run(api, 7)
    assert one == two and set(one) == {200, 503}
    assert await rate_run(api, 8) != one


async def test_latency_fault_is_logged(api: Api) -> None:
    await api.c.post("/_emulator/faults", json={"path": "datasets", "latencyMs": 30})
    await api.c.delete("/_emulator/requests")
    assert (await api.c.get(f"{api.base}/datasets")).status_code == 200
    assert (await api.c.get("/_emulator/faults")).json()[0]["latencyMs"] == 30


async def _held(api: Api, count: int) -> dict[str, Any]:
    """The hold fault once it holds `count` requests (each poll lets the held ones reach the fault first)."""
    for _ in range(5000):
        [fault] = (await api.c.get("/_emulator/faults")).json()
        if fault["held"] == count:
            return fault
        await asyncio.sleep(0.01)
    raise AssertionError(f"the hold fault never held {count} request(s)")


async def test_a_hold_fault_keeps_requests_in_flight_until_each_is_released(api: Api) -> None:
    did = await api.create_people()
    r = await api.c.post("/_emulator/faults", json={"path": "/items$", "method": "PUT", "hold": True})
    fault_id = r.json()["id"]
    assert (r.json()["hold"], r.json()["held"]) == (True, 0)
    await api.c.delete("/_emulator/requests")
    first = asyncio.create_task(api.put(did, [{"_action": "create", "emp": "1"}], autoId="true"))
    await _held(api, 1)
    second = asyncio.create_task(api.put(did, [{"_action": "create", "emp": "2"}], autoId="true"))
    await _held(api, 2)
    assert (await api.c.get(f"{api.base}/datasets/{did}/items")).json() == []  # neither was handled yet
    assert not first.done() and not second.done()
    r = await api.c.post(
        f"/_emulator/faults/{fault_id}/release", json={"count": 1}
    )  # the longest-held goes on
    assert r.status_code == 200 and r.json()["held"] == 1
    assert (await first).status_code == 200
    assert [i["emp"] for i in await api.items(did)] == ["1"] and not second.done()
    await api.c.delete("/_emulator/faults")  # clearing releases the rest
    assert (await second).status_code == 200
    assert sorted(i["emp"] for i in await api.items(did)) == ["1", "2"]
    log = (await api.c.get("/_emulator/requests")).json()
    assert [e["status"] for e in log if e["method"] == "PUT"] == [200, 200]


async def test_hold_fault_mistakes_are_refused(api: Api) -> None:
    for body in (
        {"hold": 1},
        {"hold": True, "status": 503},
        {"hold": True, "count": 2},
        {"hold": True, "job": "fail"},
    ):
        r = await api.c.post("/_emulator/faults", json=body)
        assert r.status_code == 400 and r.json()["errors"][0]["jsonBody"] == "$.hold", body
    assert (await api.c.post("/_emulator/faults/99/release")).status_code == 404
    fault_id = (await api.c.post("/_emulator/faults", json={"hold": True, "path": "/nothing$"})).json()["id"]
    assert (await api.c.post(f"/_emulator/faults/{fault_id}/release", json={"count": 0})).status_code == 400
    assert (await api.c.post(f"/_emulator/faults/{fault_id}/release")).json()["held"] == 0


async def test_job_fail_and_hang_faults(api: Api) -> None:
    did = await api.create_people()
    await api.c.post("/_emulator/faults", json={"path": "/export$", "job": "fail", "count": 1})
    r = await api.c.post(f"{api.base}/datasets/{did}/export", json={})
    done = await api.wait(r.json())
    assert done["jobStatus"] == "failed" and done["errors"][0]["code"] == "50001"
    r = await api.c.post(f"{api.base}/datasets/{did}/export", json={})
    assert (await api.wait(r.json()))["jobStatus"] == "completed"
    await api.c.post("/_emulator/faults", json={"path": "/export$", "job": "hang"})
    r = await api.c.post(f"{api.base}/datasets/{did}/export", json={})
    assert (await api.wait(r.json(), ("running",)))["jobStatus"] == "running"
    assert (await api.c.get(r.json()["_links"]["self"]["url"])).json()["jobStatus"] == "running"
    await api.c.delete("/_emulator/faults")
    assert (await api.wait(r.json()))["jobStatus"] == "failed"


async def test_bad_fault_and_reset(api: Api) -> None:
    assert (await api.c.post("/_emulator/faults", json={"status": 200})).status_code == 400
    assert (await api.c.post("/_emulator/faults", json={"path": "(", "status": 500})).status_code == 400
    await api.create_people()
    assert (await api.c.post(f"/_emulator/tenants/{api.tenant}/reset")).status_code == 200
    assert (await api.c.get(f"{api.base}/datasets")).json() == []


async def test_state_survives_a_restart_with_db(tmp_path: Path, emulator_factory: Any) -> None:
    db = tmp_path / "state.db"
    first = emulator_factory(db_path=db)
    async with httpx.AsyncClient(base_url=first.base_url) as c:
        api = Api(c)
        did = await api.create_people()
        await api.seed(
            did, [{"emp": "1", "name": "Ana", "salary": 1}, {"emp": "2", "name": "Bob"}, {"emp": "3"}]
        )
        await api.put(
            did,
            [{"_action": "update", "emp": "1", "salary": 2}, {"_action": "delete", "emp": "3"}],
            autoId="true",
        )
        await api.c.post(
            f"/_emulator/tenants/{api.tenant}/drafts",
            json={"datasetId": did, "name": "D", "layers": {"default": []}},
        )
        await api.c.post(f"/_emulator/tenants/{api.tenant}/access", json={"properties": ["salary"]})
        url = await api.upload(b"kept")
        r = await api.c.post(f"{api.base}/datasets/{did}/export", params={"exportFormat": "csv"}, json={})
        job_url = (await api.wait(r.json()))["_links"]["self"]["url"]
        items, dataset = await api.items(did), await api.dataset(did)
    first.stop()
    second = emulator_factory(db_path=db)
    async with httpx.AsyncClient(base_url=second.base_url) as c:
        api = Api(c)
        assert await api.items(did) == items
        again = await api.dataset(did)
        assert again["items"] == dataset["items"] and again["cacheKey"] == dataset["cacheKey"]
        assert len(again["drafts"]) == 1
        assert (
            await c.get(url.replace(first.base_url, second.base_url))
        ).status_code == 403  # new process, new signing key
        # a job's status URL is presigned storage too (D/working/async/): signed by the old process, refused now
        old_poll = await c.get(job_url.replace(first.base_url, second.base_url))
        assert old_poll.status_code == 403 and b"SignatureDoesNotMatch" in old_poll.content
        r = await api.put(did, [{"_action": "update", "emp": "2", "salary": 9}], autoId="true")
        assert r.status_code == 400  # access rules survived too


async def test_a_restart_with_db_and_the_same_seed_hands_out_new_ids(
    tmp_path: Path, emulator_factory: Any
) -> None:
    db = tmp_path / "state.db"
    first = emulator_factory(db_path=db, seed=7)
    async with httpx.AsyncClient(base_url=first.base_url) as c:
        kept = await Api(c).create_people()
    first.stop()
    second = emulator_factory(db_path=db, seed=7)
    async with httpx.AsyncClient(base_url=second.base_url) as c:
        api = Api(c)
        added = await api.create_people()
        listed = (await c.get(f"{api.base}/datasets")).json()
    assert added != kept
    assert sorted(d["datasetId"] for d in listed) == sorted([kept, added])


def test_openapi_describes_every_documented_operation(emulator_app: Any) -> None:
    spec = emulator_app.openapi()
    ops = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    base = "/api/v1/{tenantId}"
    expected = {
        ("GET", "/datasets"),
        ("POST", "/datasets"),
        ("GET", "/datasets/{datasetId}"),
        ("PATCH", "/datasets/{datasetId}"),
        ("POST", "/datasets/{datasetId}/export"),
        ("GET", "/datasets/{datasetId}/export"),
        ("GET", "/datasets/{datasetId}/items"),
        ("POST", "/datasets/{datasetId}/items/query"),
        ("PUT", "/datasets/{datasetId}/items"),
        ("PUT", "/datasets/{datasetId}/items/import"),
        ("POST", "/datasets/{datasetId}/drafts/apply"),
        ("POST", "/datasets/{datasetId}/ondemand"),
        ("POST", "/links"),
        ("PATCH", "/links/{linksDatasetId}"),
        ("POST", "/links/{linksDatasetId}/populate"),
        ("PUT", "/links/{linksDatasetId}/items"),
        ("PUT", "/links/{linksDatasetId}/items/import"),
        ("POST", "/drafts/query"),
        ("GET", "/drafts/{draftId}"),
        ("POST", "/drafts/actions"),
        ("POST", "/drafts/clear"),
        ("POST", "/files/generate"),
        # the export again with its format in the path (D/errors/examples/), async and sync
        ("POST", "/datasets/{datasetId}/export/{exportFormat}"),
        ("GET", "/datasets/{datasetId}/export/{exportFormat}"),
    }
    assert {(m, base + p) for m, p in expected} == ops
    assert (
        len(expected) == 22 + 2
    )  # 23, the job poll, is presigned storage outside the API (D/working/async/)


def test_gzip_responses_when_asked(emulator_app: Any) -> None:
    import asyncio

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=emulator_app), base_url="http://e"
        ) as c:
            api = Api(c)
            did = await api.create_people()
            await api.seed(did, [{"emp": str(i), "name": "x" * 50} for i in range(100)])
            return await c.get(f"{api.base}/datasets/{did}/items", headers={"Accept-Encoding": "gzip"})

    r = asyncio.run(run())
    assert r.headers["content-encoding"] == "gzip" and len(r.json()) == 100
