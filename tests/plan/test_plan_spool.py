"""plan_with spools the exports and live values to a private temporary directory (orgsync-live-*, mode 0700) that
exists while the plan is built and is gone afterwards, whether the plan succeeds or fails."""

from __future__ import annotations

import asyncio
import gzip
import stat
import tempfile
from pathlib import Path

import httpx
import pytest

from orgsync.api.client import OrgvueClient
from orgsync.api.jobs import JobPolling
from orgsync.api.retry import RetryPolicy
from orgsync.commands import pipeline as plan_command
from orgsync.commands.pipeline import load_manifests, plan_with, sources_step
from orgsync.errors import ApiError, ConfigError, OrgsyncError
from orgsync.state import reader
from tests.support.staff_repo import STAFF_PROPS, Repo, staff_rows

BASE = "https://orgvue.example"
API = "/api/v1/ACME"
STAFF = {"datasetId": "D1", "name": "Staff", "type": "PEOPLE", "properties": [dict(p) for p in STAFF_PROPS]}


def staff_csv() -> bytes:
    lines = ["id,name,grade,salary,note,_id"] + [
        f"{r['id']},{r['name']},G2,{r['salary']},,X{i}" for i, r in enumerate(staff_rows())
    ]
    return ("\n".join(lines) + "\n").encode()


class Tenant:
    """A scripted tenant holding Staff; `fail` breaks the export: "corrupt" serves a gzip cut short (after part
    of the file is unpacked into the spool), "gone" answers the result download with 404."""

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"{API}/datasets":
            return httpx.Response(200, json=[STAFF])
        if path == f"{API}/datasets/D1":
            return httpx.Response(200, json=STAFF)
        if path == f"{API}/datasets/D1/export":
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
            if self.fail == "gone":
                return httpx.Response(404, json={"errors": []})
            if self.fail == "corrupt":  # ~4 MiB unpacked: more than a 1 MiB chunk is written before the cut
                body = gzip.compress(
                    staff_csv() + b"".join(b"Z%d,z,G,1,,Y%d\n" % (i, i) for i in range(200_000))
                )
                return httpx.Response(200, content=body[: len(body) // 2])
            return httpx.Response(200, content=gzip.compress(staff_csv()))
        return httpx.Response(404, json={"errors": []})

    def client(self) -> OrgvueClient:
        return OrgvueClient(
            BASE,
            "ACME",
            "t",
            transport=httpx.MockTransport(self.handle),
            polling=JobPolling(first=0.001, cap=0.001),
            retry=RetryPolicy(attempts=2, base=0.001, cap=0.001),
        )


@pytest.fixture
def temp(tmp_path, monkeypatch) -> Path:
    """tempfile's directory, private to the test, so what a plan leaves there can be seen."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", 0)  # spool even this small tenant's values
    return where


def run_plan(repo: Repo, tenant: Tenant):
    checked = load_manifests(repo.root, env={})

    async def main():
        async with tenant.client() as client:
            return await plan_with(client, checked.project, sources_step(checked))

    return asyncio.run(main())


def spools(temp: Path) -> list[Path]:
    return sorted(temp.glob("orgsync-live-*"))


def test_the_spool_is_private_while_planning_and_gone_after(tmp_path, temp, monkeypatch):
    seen: dict[str, object] = {}
    real_parse, real_build = plan_command.parse_live, plan_command.build_plan

    def parse_live(raw, tables, spool=None):
        (found,) = spools(temp)
        seen["spool"], seen["arg"] = found, spool
        seen["mode"] = stat.S_IMODE(found.stat().st_mode)
        seen["exports"] = sorted(p.name for p in found.iterdir())
        return real_parse(raw, tables, spool)

    def build_plan(*args, **kwargs):
        seen["values"] = sorted(p.name for p in spools(temp)[0].iterdir())
        return real_build(*args, **kwargs)

    monkeypatch.setattr(plan_command, "parse_live", parse_live)
    monkeypatch.setattr(plan_command, "build_plan", build_plan)
    repo = Repo(tmp_path / "repo", endpoint=BASE)
    repo.root.mkdir()
    repo.write()
    _, live, result = run_plan(repo, Tenant())
    assert seen["arg"] == seen["spool"] and seen["mode"] == 0o700
    assert seen["exports"] == ["export-0.csv"]
    # the source was read first, so only the rows that differ from it kept their values (in memory): the export
    # file is gone once read, and no Arrow file was needed
    assert seen["values"] == []
    staff = next(r for r in result.resources if r.name == "Staff")
    assert staff.items.counts == {"create": 0, "update": 20, "delete": 0}  # the grade differs on every row
    assert spools(temp) == [] and not Path(str(seen["spool"])).exists()


def test_a_source_error_leaves_no_spool(tmp_path, temp):
    repo = Repo(tmp_path / "repo", endpoint=BASE)
    repo.root.mkdir()
    repo.staff[1]["id"] = "S00"  # a duplicate key
    repo.write()
    with pytest.raises(ConfigError):
        run_plan(repo, Tenant())
    assert spools(temp) == []


@pytest.mark.parametrize(("fail", "error"), [("corrupt", ApiError), ("gone", OrgsyncError)])
def test_the_api_failing_mid_export_leaves_no_spool(tmp_path, temp, monkeypatch, fail, error):
    written: list[int] = []
    real = plan_command.fetch_live

    async def fetch_live(*args):
        try:
            return await real(*args)
        finally:  # what the failed export left in the spool, before plan_with cleans up
            written.extend(p.stat().st_size for s in spools(temp) for p in s.iterdir())

    monkeypatch.setattr(plan_command, "fetch_live", fetch_live)
    repo = Repo(tmp_path / "repo", endpoint=BASE)
    repo.root.mkdir()
    repo.write()
    with pytest.raises(error) as info:
        run_plan(repo, Tenant(fail))
    if fail == "corrupt":
        assert "not readable gzip" in str(info.value)
        assert written and written[0] > 0  # part of the export had reached the spool
    assert spools(temp) == []


def test_a_failure_while_building_the_plan_leaves_no_spool(tmp_path, temp, monkeypatch):
    def build_plan(*args, **kwargs):
        assert len(spools(temp)) == 1
        raise RuntimeError("boom")

    monkeypatch.setattr(plan_command, "build_plan", build_plan)
    repo = Repo(tmp_path / "repo", endpoint=BASE)
    repo.root.mkdir()
    repo.write()
    with pytest.raises(RuntimeError, match="boom"):
        run_plan(repo, Tenant())
    assert spools(temp) == []
