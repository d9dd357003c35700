"""The planner reads the sources while the live read runs, and a source error cancels that read."""

from __future__ import annotations

import asyncio
import gzip
import threading

import httpx
import pytest

from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.commands.pipeline import load_manifests, plan_with, sources_step
from orgsync.errors import ConfigError
from orgsync.validate import validate_project
from tests.support.staff_repo import STAFF_PROPS, Repo, staff_rows

BASE = "https://orgvue.example"
API = "/api/v1/ACME"
STAFF = {"datasetId": "D1", "name": "Staff", "type": "PEOPLE", "properties": [dict(p) for p in STAFF_PROPS]}


def staff_csv() -> bytes:
    lines = ["id,name,grade,salary,note,_id"] + [
        f"{r['id']},{r['name']},{r['grade']},{r['salary']},,X{i}" for i, r in enumerate(staff_rows())
    ]
    return ("\n".join(lines) + "\n").encode()


class Tenant:
    """A scripted tenant holding Staff only; `exported` is set once the export's file is served."""

    def __init__(self, hold_export: bool = False) -> None:
        self.exported = threading.Event()
        self.hold_export = hold_export
        self.seen: list[tuple[str, str]] = []

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.seen.append((request.method, path))
        if path == f"{API}/datasets":
            return httpx.Response(200, json=[STAFF])
        if path == f"{API}/datasets/D1":
            return httpx.Response(200, json=STAFF)
        if path == f"{API}/datasets/D1/export":
            if self.hold_export:
                await asyncio.Event().wait()  # never answers: only cancelling ends it
            return httpx.Response(
                200,
                json={
                    "jobStatus": "completed",
                    "_links": {
                        "self": {"url": f"{BASE}{API}/jobs/J"},
                        "result": {"url": f"{BASE}/_files/E?sig=1"},
                    },
                },
            )
        if path == "/_files/E":
            self.exported.set()
            return httpx.Response(200, content=gzip.compress(staff_csv()))
        return httpx.Response(404, json={"errors": []})

    def client(self) -> OrgvueClient:
        return OrgvueClient(
            BASE,
            "ACME",
            "t",
            transport=httpx.MockTransport(self.handle),
            polling=JobPolling(first=0.001, cap=0.001),
        )


def plan(repo: Repo, tenant: Tenant, wrap=None):
    checked = load_manifests(repo.root, env={})
    sources = sources_step(checked)
    step = wrap(sources) if wrap else sources

    async def main():
        async with tenant.client() as client:
            return await plan_with(client, checked.project, step)

    return asyncio.run(main())


def test_the_export_is_fetched_while_the_sources_are_read(tmp_path):
    repo = Repo(tmp_path, endpoint=BASE).write()
    tenant = Tenant()
    overlapped = []

    def wrap(sources):
        def step():
            # The sources step does not finish until the export has been served: sequential code would hang here.
            overlapped.append(tenant.exported.wait(timeout=30))
            return sources()

        return step

    tables, live, result = plan(repo, tenant, wrap)
    assert overlapped == [True]
    assert set(tables) == {"Staff", "Teams", "Membership"}
    # the values were spooled for the plan (and removed with it); the index stays: key, hash, row
    assert live.items["D1"].index.columns == ["id", "__row_hash", "__live_row"]
    assert live.items["D1"].values.columns == ("name", "grade", "salary", "note", "_id")
    staff = next(r for r in result.resources if r.name == "Staff")
    assert staff.items.counts == {"create": 0, "update": 0, "delete": 0}


def test_a_source_error_cancels_the_live_read_and_raises_what_validate_reports(tmp_path):
    repo = Repo(tmp_path, endpoint=BASE)
    repo.staff[1]["id"] = "S00"
    repo.write()
    tenant = Tenant(hold_export=True)
    with pytest.raises(ConfigError) as info:
        plan(repo, tenant)
    expected = validate_project(repo.root, env={}).errors
    assert expected and info.value.problems == expected
    assert ("POST", f"{API}/datasets/D1/export") in tenant.seen  # it had started, and was cancelled
    assert all(
        method in ("GET", "POST") and (method == "GET" or path.endswith("/export"))
        for method, path in tenant.seen
    )  # reads only


def test_a_manifest_error_stops_before_any_source_or_tenant_and_lists_source_errors_too(tmp_path):
    repo = Repo(tmp_path, endpoint=BASE, staff_extra={"labelId": "nope"})
    repo.staff[1]["id"] = "S00"
    repo.write()
    with pytest.raises(ConfigError) as info:
        load_manifests(repo.root, env={})
    expected = validate_project(repo.root, env={}).errors
    assert info.value.problems == expected
    assert {str(p.location.file).split("/")[-1] for p in expected} >= {"staff.yaml", "staff.csv"}
