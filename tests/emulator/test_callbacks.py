"""Async request callbacks (`{"method": "GET", "urlTemplate"}`), received over a real socket by a small HTTP server on loopback."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson
import pytest

from orgsync.emulator.app import create_app
from tests.support.emulator_api import Api, Receiver

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(api: Api) -> str:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana"}])
    return did


async def export(api: Api, did: str, callback: Any) -> httpx.Response:
    return await api.c.post(f"{api.base}/datasets/{did}/export", json={"callback": callback})


async def callback_log(api: Api, count: int) -> list[dict[str, Any]]:
    """The admin callback log once it holds `count` entries (it is written just after the call returns)."""
    for _ in range(3000):
        entries = (await api.c.get("/_emulator/callbacks")).json()
        if len(entries) >= count:
            return entries
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} callback(s) were logged")


TEMPLATE = "?status={{jobStatus}}&traceId={{traceId}}&tenantId={{tenantId}}"


def hook(url: str) -> dict[str, str]:
    return {"method": "GET", "urlTemplate": url}


async def test_get_callback_after_a_completed_export(api: Api, people: str, receiver: Receiver) -> None:
    r = await export(api, people, hook(f"{receiver.url}/hook" + TEMPLATE))
    assert r.status_code == 202, r.text
    done = await api.wait(r.json())
    got = await asyncio.to_thread(receiver.next)
    trace = quote(done["X-Amzn-Trace-Id"], safe="")
    # D/working/async/: jobStatus and traceId on every async operation; {{tenantId}} is shown only for the import
    # and the draft apply (D/items/drafts/), so an export leaves it as written
    assert (got.method, got.path, got.body) == (
        "GET",
        f"/hook?status=completed&traceId={trace}&tenantId={{{{tenantId}}}}",
        b"",
    )
    [entry] = await callback_log(api, 1)
    job_id = urlsplit(done["_links"]["self"]["url"]).path.rsplit("/", 1)[1]
    assert {k: entry[k] for k in ("jobId", "tenantId", "jobStatus", "method", "url", "status")} == {
        "jobId": job_id,
        "tenantId": api.tenant,
        "jobStatus": "completed",
        "method": "GET",
        "url": f"{receiver.url}{got.path}",
        "status": 204,
    }


async def test_callback_trace_id_is_the_one_of_the_request_that_started_the_job(
    api: Api, people: str, receiver: Receiver
) -> None:
    r = await export(api, people, hook(f"{receiver.url}/t?id={{{{traceId}}}}"))
    assert r.status_code == 202, r.text
    started = r.headers["X-Amzn-Trace-Id"]
    assert r.json()["X-Amzn-Trace-Id"] == started
    got = await asyncio.to_thread(receiver.next)
    assert got.path == "/t?id=" + quote(started, safe="")


async def test_callback_after_a_failed_job(api: Api, people: str, receiver: Receiver) -> None:
    assert (
        await api.c.post("/_emulator/faults", json={"path": "/export$", "job": "fail"})
    ).status_code == 201
    r = await export(api, people, hook(f"{receiver.url}/failed?status={{{{jobStatus}}}}"))
    done = await api.wait(r.json())
    assert done["jobStatus"] == "failed"
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path, got.body) == ("GET", "/failed?status=failed", b"")
    [entry] = await callback_log(api, 1)
    assert (entry["jobStatus"], entry["status"]) == ("failed", 204)


async def test_an_unreachable_callback_never_fails_the_job(api: Api, people: str) -> None:
    closed = Receiver()
    url = f"{closed.url}/gone"
    closed.close()  # nothing listens on this port any more
    r = await export(api, people, hook(url))
    done = await api.wait(r.json())
    assert done["jobStatus"] == "completed"
    [entry] = await callback_log(api, 1)
    assert entry["url"] == url and "status" not in entry and entry["error"].startswith("ConnectError")


@pytest.mark.parametrize(
    "callback,where",
    [
        (hook("http://example.com/hook"), "$.callback.urlTemplate"),
        (hook("http://10.0.0.1:8080/hook"), "$.callback.urlTemplate"),
        (hook("http://127.0.0.2/hook"), "$.callback.urlTemplate"),
        (hook("/relative"), "$.callback.urlTemplate"),
        (hook("ftp://127.0.0.1/x"), "$.callback.urlTemplate"),
        ({"method": "GET"}, "$.callback.urlTemplate"),
        (
            {"method": "GET", "url": "http://127.0.0.1/x"},
            "$.callback.urlTemplate",
        ),  # the first edition's field
        ({"method": "POST", "urlTemplate": "http://127.0.0.1/x"}, "$.callback.method"),
        ({"method": "DELETE", "urlTemplate": "http://127.0.0.1/x"}, "$.callback.method"),
        ("http://127.0.0.1/x", "$.callback"),
    ],
)
async def test_bad_or_remote_callbacks_are_refused_at_request_time(
    api: Api, people: str, callback: Any, where: str
) -> None:
    r = await export(api, people, callback)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["jsonBody"] == where
    assert api.c.app.state.emulator.jobs == {}  # type: ignore[attr-defined]  # refused before any job exists


@pytest.mark.parametrize("url", ["http://localhost:1/x", "http://[::1]:1/x", "http://127.0.0.1:1/x"])
async def test_loopback_hosts_are_accepted(api: Api, people: str, url: str) -> None:
    r = await export(api, people, hook(url))
    assert r.status_code == 202, r.text
    await api.wait(r.json())


async def test_callbacks_on_the_other_async_operations(api: Api, people: str, receiver: Receiver) -> None:
    get_url = await api.upload(orjson.dumps([{"_action": "update", "emp": "1", "name": "Ann"}]))
    r = await api.start_import(people, get_url, callback=hook(f"{receiver.url}/imp?s={{{{jobStatus}}}}"))
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path) == ("GET", "/imp?s=completed")
    draft = (
        await api.c.post(
            f"/_emulator/tenants/{api.tenant}/drafts",
            json={
                "datasetId": people,
                "name": "D",
                "layers": {"default": [{"_action": "update", "emp": "1", "name": "Bo"}]},
            },
        )
    ).json()
    layers = [{"draftId": draft["draftId"], "layerKey": "default"}]
    r = await api.c.post(
        f"{api.base}/drafts/actions",
        json={"layers": layers, "callback": hook(f"{receiver.url}/act?t={{{{tenantId}}}}")},
    )
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    # {{tenantId}} is filled in only where D/items/drafts/ shows it (import, draft apply): not for drafts/actions
    assert (got.method, got.path) == ("GET", "/act?t={{tenantId}}")
    r = await api.c.post(
        f"{api.base}/datasets/{people}/drafts/apply",
        json={"layers": layers, "callback": {"urlTemplate": f"{receiver.url}/apply?t={{{{tenantId}}}}"}},
    )
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path) == ("GET", f"/apply?t={api.tenant}")  # GET is the default method


async def test_remote_callbacks_need_the_explicit_allow_option() -> None:
    # 127.0.0.2 is a loopback address on Linux but not one of the three accepted names: it stands in for "elsewhere"
    elsewhere = Receiver("127.0.0.2")
    try:
        for allow, status in ((False, 400), (True, 202)):
            app = create_app(allow_remote_callbacks=allow)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://emulator"
            ) as c:
                api = Api(c)
                did = await api.create_people()
                r = await export(api, did, hook(f"{elsewhere.url}/far"))
                assert r.status_code == status, r.text
        got = await asyncio.to_thread(elsewhere.next)
        assert got.path == "/far"
    finally:
        elsewhere.close()
