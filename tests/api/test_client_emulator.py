"""OrgvueClient end to end against the emulator, in-process (ASGI) and over a real socket."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest

from orgsync.api import endpoints as ep
from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.api.retry import RetryPolicy
from orgsync.emulator.app import create_app
from orgsync.errors import AuthError, JobFailedError, NotFoundError

TOKEN = "tok-E2E-5c4b3a2918"
T = "ACME"
PROPS = [
    {"key": "emp", "name": "Employee", "type": "text", "isRequired": True},
    {"key": "name", "name": "Name", "type": "text", "isRequired": True},
    {"key": "salary", "name": "Salary", "type": "number"},
    {"key": "start", "name": "Start", "type": "date"},
    {"key": "active", "name": "Active", "type": "boolean"},
    {"key": "pos", "name": "Position", "type": "text"},
    {"key": "fte", "name": "FTE", "type": "number"},
    {"key": "double", "name": "Double", "type": "number", "onDemand": True, "formula": "salary * 2"},
]
PEOPLE = {"name": "People", "type": "PEOPLE", "autoId": "emp", "labelId": "name", "properties": PROPS}
POSITIONS = {
    "name": "Positions",
    "type": "POSITIONS",
    "autoId": "pid",
    "labelId": "pid",
    "properties": [{"key": "pid", "name": "Position", "type": "text", "isRequired": True}],
}
FAST = JobPolling(first=0.005, factor=1.5, cap=0.05, timeout=30.0)


class SleepRecorder:
    """Stands in for asyncio.sleep between retries: records the wait, optionally runs a hook."""

    def __init__(self, hook=None) -> None:
        self.waits: list[float] = []
        self.hook = hook

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.hook:
            await self.hook()
        await asyncio.sleep(0)


@dataclass
class Emu:
    """One emulator (token-protected) and how to reach it."""

    base_url: str
    transport: httpx.AsyncBaseTransport | None
    kind: str

    def client(self, token: str = TOKEN, **kwargs) -> OrgvueClient:
        kwargs.setdefault("retry", RetryPolicy(attempts=4, base=0.001, cap=0.004))
        kwargs.setdefault("polling", FAST)
        return OrgvueClient(self.base_url, T, token, transport=self.transport, **kwargs)

    def admin(self) -> httpx.AsyncClient:
        # the admin API takes the emulator's token too (--token protects it as well)
        return httpx.AsyncClient(
            base_url=self.base_url, transport=self.transport, headers={"Authorization": f"Bearer {TOKEN}"}
        )


@pytest.fixture(
    params=[
        "asgi",
        "asgi-links",
        pytest.param("socket", marks=pytest.mark.socket),
        pytest.param("socket-links", marks=pytest.mark.socket),
    ]
)
def emu(request, emulator_factory) -> Emu:
    """Each test in-process and over a socket, with temporary files answered both ways the pages allow
    (D/recipes/import-integration-async/: two URLs, no field names): flat getUrl/putUrl and `_links` by type."""
    links = request.param.endswith("-links")
    if request.param.startswith("asgi"):
        app = create_app(token=TOKEN, temp_file_links=links)
        return Emu("http://emulator", httpx.ASGITransport(app=app), request.param)
    return Emu(emulator_factory(token=TOKEN, temp_file_links=links).base_url, None, request.param)


@pytest.mark.anyio
async def test_every_method_round_trips(emu):
    async with emu.client() as c, emu.admin() as admin:
        did = (await c.create_dataset(PEOPLE)).datasetId
        pid = (await c.create_dataset(POSITIONS)).datasetId
        assert sorted(d.name for d in await c.list_datasets()) == ["People", "Positions"]
        assert [p.key for p in (await c.get_dataset(did)).properties] == [p["key"] for p in PROPS]
        assert (await c.update_dataset(did, {"tags": ["hr"]}))["tags"] == ["hr"]

        first = [
            {
                "_action": "createOrUpdate",
                "emp": "E1",
                "name": "Ana",
                "salary": 65000,
                "start": "2024-01-02",
                "active": True,
                "pos": "P1",
                "fte": 1,
            }
        ]
        sync = await c.put_items(did, first, params={"autoId": True, "dateFormat": "YYYY-MM-DD"})
        assert [r["_status"] for r in sync] == ["success"]
        bulk = [
            {"_action": "createOrUpdate", "emp": f"E{i}", "name": f"N{i}", "salary": i} for i in range(2, 102)
        ]
        imported = await c.import_items(did, bulk, params={"autoId": True})
        assert len(imported) == 100 and {r["_status"] for r in imported} == {"success"}

        csv = (await c.export_csv(did, projection=["emp", "salary", "active"])).decode()
        lines = csv.splitlines()
        assert lines[0] == "emp,salary,active" and len(lines) == 102
        assert "E1,65000,true" in lines and "E7,7," in lines
        assert len(await c.list_items(did)) == 101
        found = await c.query_items(did, {"emp": "E1"}, ["emp", "name"])
        assert [{k: v for k, v in i.items() if k != "_id"} for i in found] == [{"emp": "E1", "name": "Ana"}]

        done = await c.run_ondemand(did, ["double"])
        assert done["jobStatus"] == "completed"
        assert (await c.query_items(did, {"emp": "E1"}, ["double"]))[0]["double"] == 130000

        lid = (
            await c.create_links({"name": "PeopleToPositions", "fromDatasetId": did, "toDatasetId": pid})
        ).datasetId
        assert (await c.update_links(lid, {"tags": ["org"]}))["tags"] == ["org"]
        await c.put_items(pid, [{"_action": "createOrUpdate", "pid": "P1"}], params={"autoId": True})
        linked = await c.put_items(
            lid, [{"_action": "createOrUpdate", "from_id": "E1", "to_id": "P1", "allocation": 1}], links=True
        )
        assert [r["_status"] for r in linked] == ["success"]
        populated = await c.populate_links(
            lid, {"sourceDatasetId": did, "targetDatasetAutoId": "pos", "allocationId": "fte"}
        )
        assert populated["jobStatus"] == "completed"

        seeded = await admin.post(
            f"/_emulator/tenants/{T}/drafts", json={"datasetId": did, "name": "Q3 plan"}
        )
        draft_id = seeded.json()["draftId"]
        assert [d["draftId"] for d in await c.query_drafts({"name": "Q3 plan"})] == [draft_id]
        assert (await c.get_draft(draft_id))["name"] == "Q3 plan"
        with pytest.raises(NotFoundError):
            await c.get_draft("00000000-0000-0000-0000-000000000000")
        log = (await admin.get("/_emulator/requests")).json()

        item = (await c.query_items(did, {"emp": "E1"}, ["_id"]))[0]["_id"]
        layered = await admin.post(
            f"/_emulator/tenants/{T}/drafts",
            json={
                "datasetId": did,
                "name": "Layers",
                "layers": {
                    "default": [{"_action": "update", "_id": item, "salary": 1}],
                    "extra": [{"_action": "update", "_id": item, "salary": 2}],
                },
            },
        )
        draft = await c.get_draft(layered.json()["draftId"])
        layers = ep.draft_layers(draft)  # from its draft:actions link: both layers, in order
        assert [x["layerKey"] for x in layers] == ["default", "extra"]
        assert await c.draft_actions(layers, draft) == [{"_action": "update", "_id": item, "salary": 2}]
        answer = await c.clear_drafts(layers[1:], {"_id": {"$in": [item]}})
        assert answer == [{"status": "success", "draftId": draft["draftId"], "layerKey": "extra"}]
        assert await c.draft_actions(layers, draft) == [{"_action": "update", "_id": item, "salary": 1}]

    # D/guide/your_first_call/: every API request, a GET too, carries Content-Type: application/json; charset=UTF-8
    api_calls = [e for e in log if e["path"].startswith("/api/v1/")]
    assert {e["method"] for e in api_calls} == {"GET", "POST", "PUT", "PATCH"}
    assert [e for e in api_calls if e["contentType"] != "application/json; charset=UTF-8"] == []
    # presigned storage (files, results, job polls: D/working/async/) never gets the token
    storage = [e for e in log if e["path"].startswith(("/_files/", "/_storage/"))]
    assert {e["path"].split("/")[1] for e in storage} == {"_files", "_storage"}
    assert [e for e in storage if e["authorization"]] == []
    assert all(e["authorization"] for e in api_calls)
    assert c.stats.requests == len(c.log) and c.stats.bytes_sent > 0 and c.stats.bytes_received > 0
    assert {(r.method, r.path) for r in c.log} >= {
        ("GET", f"/api/v1/{T}/datasets"),
        ("POST", f"/api/v1/{T}/datasets"),
    }
    assert TOKEN not in f"{c!r} {c.log} {c.stats}"


@pytest.mark.anyio
async def test_injected_429_with_retry_after_and_503_are_retried(emu):
    sleeps = SleepRecorder()
    async with emu.client(sleep=sleeps) as c, emu.admin() as admin:
        await admin.post(
            "/_emulator/faults",
            json={"path": "/datasets$", "method": "GET", "status": 429, "count": 1, "retryAfter": 2},
        )
        await admin.post(
            "/_emulator/faults", json={"path": "/datasets$", "method": "GET", "status": 503, "count": 1}
        )
        assert await c.list_datasets() == []
    assert [r.status for r in c.log] == [429, 503, 200]
    assert sleeps.waits[0] == 2.0  # Retry-After honoured (recorded, not slept)
    assert c.stats.retries == 2


@pytest.mark.anyio
async def test_a_failed_job_raises_job_failed_with_its_errors(emu):
    async with emu.client() as c, emu.admin() as admin:
        did = (await c.create_dataset(PEOPLE)).datasetId
        await admin.post("/_emulator/faults", json={"path": "/export$", "job": "fail"})
        with pytest.raises(JobFailedError) as info:
            await c.export_csv(did)
    assert info.value.errors and "failed" in str(info.value)


@pytest.mark.anyio
async def test_wrong_token_is_an_auth_error_without_any_token(emu):
    wrong = "tok-WRONG-0011223344"
    async with emu.client(token=wrong) as c:
        with pytest.raises(AuthError) as info:
            await c.list_datasets()
    err = info.value
    assert err.status == 401 and "ORGVUE_TOKEN" in str(err)
    for text in (str(err), repr(err), str(err.errors), repr(c), str(c.log)):
        assert wrong not in text and TOKEN not in text
    assert len(c.log) == 1  # a 401 is not retried


class LoseAnswers(httpx.AsyncBaseTransport):
    """Forwards to the emulator, then drops the answer of matching requests (the request did take effect)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, method: str, path: str, times: int) -> None:
        self.inner, self.method, self.path, self.times = inner, method, path, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.times and request.method == self.method and request.url.path == self.path:
            self.times -= 1
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


@pytest.mark.anyio
async def test_a_create_whose_answer_is_lost_is_adopted_not_duplicated():
    inner = httpx.ASGITransport(app=create_app(token=TOKEN))
    emu = Emu("http://emulator", LoseAnswers(inner, "POST", f"/api/v1/{T}/datasets", times=1), "asgi")
    async with emu.client() as c, emu.admin() as admin:
        created = await c.create_dataset(PEOPLE)
        listed = await c.list_datasets()
        log = (await admin.get("/_emulator/requests")).json()
    assert [d.name for d in listed] == ["People"] and created.datasetId == listed[0].datasetId
    assert [(r["method"], r["status"]) for r in log if r["path"].endswith("/datasets")][0] == ("POST", 201)
    assert sum(1 for r in log if r["method"] == "POST") == 1  # posted once, then looked up and adopted
    assert [(r.method, r.status) for r in c.log][:3] == [("POST", None), ("GET", 200), ("GET", 200)]


@pytest.mark.anyio
@pytest.mark.socket
async def test_a_create_cut_off_by_a_timeout_over_a_socket_ends_with_one_dataset(emulator_factory):
    emu = Emu(emulator_factory(token=TOKEN).base_url, None, "socket")
    async with emu.admin() as admin:
        # The create is held unanswered, so the client's read timeout always cuts it off.
        hold = (
            await admin.post("/_emulator/faults", json={"path": "/datasets$", "method": "POST", "hold": True})
        ).json()

        async def until(what: str, condition) -> None:
            for _ in range(6000):  # a bound against a hang, not a timing assertion
                if await condition():
                    return
                await asyncio.sleep(0.01)
            raise AssertionError(f"gave up waiting for {what}")

        async def held() -> bool:
            return any(
                f["id"] == hold["id"] and f["held"] == 1
                for f in (await admin.get("/_emulator/faults")).json()
            )

        async def settled() -> bool:
            return (await admin.get("/_emulator/inflight")).json()["requests"] == 0

        async def clear_faults() -> None:  # runs in the client's wait before it retries
            await until("the create to reach the emulator", held)
            await admin.delete("/_emulator/faults")
            await until("the cut-off create to land or die", settled)

        client = emu.client(sleep=SleepRecorder(clear_faults), timeout=httpx.Timeout(5.0, read=0.15))
        async with client as c:
            created = await c.create_dataset(PEOPLE)
            listed = await c.list_datasets()
    assert [d.name for d in listed] == ["People"] and created.datasetId == listed[0].datasetId
    assert [(r.method, r.status) for r in c.log][:2] == [("POST", None), ("GET", 200)]
