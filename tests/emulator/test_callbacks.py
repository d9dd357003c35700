"""Async request callbacks, received over a real socket by a small HTTP server on loopback."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from orgsync.emulator.app import create_app
from tests.emulator.conftest import Api

pytestmark = pytest.mark.anyio


@dataclass
class Received:
    method: str
    path: str
    body: bytes


class Receiver:
    """A threaded http.server on `host` that queues every request it gets and answers 204."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        got: queue.Queue[Received] = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def _take(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                got.put(Received(self.command, self.path, self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_PUT = _take

            def log_message(self, *args: Any) -> None:
                pass

        self.got = got
        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self) -> Received:
        return self.got.get(timeout=30)  # a bound on waiting, not a timing assertion

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


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


async def test_get_callback_after_a_completed_export(api: Api, people: str, receiver: Receiver) -> None:
    r = await export(api, people, {"method": "GET", "url": f"{receiver.url}/hook?job=1"})
    assert r.status_code == 202, r.text
    done = await api.wait(r.json())
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path, got.body) == ("GET", "/hook?job=1", b"")
    [entry] = await callback_log(api, 1)
    job_id = done["_links"]["self"]["url"].rsplit("/", 1)[1]
    assert {k: entry[k] for k in ("jobId", "tenantId", "jobStatus", "method", "url", "status")} == {
        "jobId": job_id, "tenantId": api.tenant, "jobStatus": "completed", "method": "GET", "url": f"{receiver.url}/hook?job=1", "status": 204}


async def test_post_callback_carries_the_final_job_ticket(api: Api, people: str, receiver: Receiver) -> None:
    r = await export(api, people, {"method": "POST", "url": f"{receiver.url}/hook"})
    done = await api.wait(r.json())
    got = await asyncio.to_thread(receiver.next)
    assert got.method == "POST"
    ticket = orjson.loads(got.body)
    assert ticket["jobStatus"] == "completed"
    assert ticket["_links"]["self"]["url"] == done["_links"]["self"]["url"]
    result = await api.c.get(ticket["_links"]["result"]["url"])  # the link in the callback downloads the export
    assert result.status_code == 200 and b"Ana" in result.content


async def test_callback_after_a_failed_job(api: Api, people: str, receiver: Receiver) -> None:
    assert (await api.c.post("/_emulator/faults", json={"path": "/export$", "job": "fail"})).status_code == 201
    r = await export(api, people, {"method": "POST", "url": f"{receiver.url}/failed"})
    done = await api.wait(r.json())
    assert done["jobStatus"] == "failed"
    got = await asyncio.to_thread(receiver.next)
    ticket = orjson.loads(got.body)
    assert (got.path, ticket["jobStatus"], ticket["errors"][0]["name"]) == ("/failed", "failed", "InternalServerError")
    assert "result" not in ticket["_links"]
    [entry] = await callback_log(api, 1)
    assert (entry["jobStatus"], entry["status"]) == ("failed", 204)


async def test_an_unreachable_callback_never_fails_the_job(api: Api, people: str) -> None:
    closed = Receiver()
    url = f"{closed.url}/gone"
    closed.close()  # nothing listens on this port any more
    r = await export(api, people, {"method": "GET", "url": url})
    done = await api.wait(r.json())
    assert done["jobStatus"] == "completed"
    [entry] = await callback_log(api, 1)
    assert entry["url"] == url and "status" not in entry and entry["error"].startswith("ConnectError")


@pytest.mark.parametrize("callback,where", [
    ({"method": "GET", "url": "http://example.com/hook"}, "$.callback.url"),
    ({"method": "GET", "url": "http://10.0.0.1:8080/hook"}, "$.callback.url"),
    ({"method": "GET", "url": "http://127.0.0.2/hook"}, "$.callback.url"),
    ({"method": "GET", "url": "/relative"}, "$.callback.url"),
    ({"method": "GET", "url": "ftp://127.0.0.1/x"}, "$.callback.url"),
    ({"method": "GET"}, "$.callback.url"),
    ({"method": "DELETE", "url": "http://127.0.0.1/x"}, "$.callback.method"),
    ("http://127.0.0.1/x", "$.callback"),
])
async def test_bad_or_remote_callbacks_are_refused_at_request_time(api: Api, people: str, callback: Any, where: str) -> None:
    r = await export(api, people, callback)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["jsonBody"] == where
    assert api.c.app.state.emulator.jobs == {}  # type: ignore[attr-defined]  # refused before any job exists


@pytest.mark.parametrize("url", ["http://localhost:1/x", "http://[::1]:1/x", "http://127.0.0.1:1/x"])
async def test_loopback_hosts_are_accepted(api: Api, people: str, url: str) -> None:
    r = await export(api, people, {"method": "GET", "url": url})
    assert r.status_code == 202, r.text
    await api.wait(r.json())


async def test_callbacks_on_the_other_async_operations(api: Api, people: str, receiver: Receiver) -> None:
    hook = {"method": "POST", "url": f"{receiver.url}/imp"}
    get_url = await api.upload(orjson.dumps([{"_action": "update", "emp": "1", "name": "Ann"}]))
    r = await api.c.post(f"{api.base}/datasets/{people}/items/import", params={"autoId": "true"},
                         json={"location": {"url": get_url}, "callback": hook})
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    assert (got.path, orjson.loads(got.body)["jobStatus"]) == ("/imp", "completed")
    draft = (await api.c.post(f"/_emulator/tenants/{api.tenant}/drafts", json={
        "datasetId": people, "name": "D", "layers": {"default": [{"_action": "update", "emp": "1", "name": "Bo"}]}})).json()
    layers = [{"draftId": draft["draftId"], "layerKey": "default"}]
    r = await api.c.post(f"{api.base}/drafts/actions", json={"layers": layers, "callback": {"method": "PUT", "url": f"{receiver.url}/act"}})
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path) == ("PUT", "/act")
    r = await api.c.post(f"{api.base}/datasets/{people}/drafts/apply", json={"layers": layers, "callback": {"url": f"{receiver.url}/apply"}})
    assert r.status_code == 202, r.text
    got = await asyncio.to_thread(receiver.next)
    assert (got.method, got.path) == ("GET", "/apply")  # GET is the default method


async def test_remote_callbacks_need_the_explicit_allow_option() -> None:
    # 127.0.0.2 is a loopback address on Linux but not one of the three accepted names: it stands in for "elsewhere"
    elsewhere = Receiver("127.0.0.2")
    try:
        for allow, status in ((False, 400), (True, 202)):
            app = create_app(allow_remote_callbacks=allow)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
                api = Api(c)
                did = await api.create_people()
                r = await export(api, did, {"method": "GET", "url": f"{elsewhere.url}/far"})
                assert r.status_code == status, r.text
        got = await asyncio.to_thread(elsewhere.next)
        assert got.path == "/far"
    finally:
        elsewhere.close()
