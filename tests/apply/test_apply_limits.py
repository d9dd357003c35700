"""Apply within the documented limits (D/rate-limit-quota/, D/items/general-usage/): the emulator enforces them."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import orjson
import polars as pl
import pytest
from rich.console import Console

from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.errors import ExitCode
from tests.support.apply_tenant import Traced
from tests.support.repo import make_repo

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
MIB4 = 4 * 1024 * 1024


def test_wide_rows_never_make_a_sync_put_over_4_mib_and_one_huge_row_goes_by_import(tenant):
    path = tenant.root / "data" / "people.csv"
    frame = pl.read_csv(path, infer_schema=False)
    wide = [
        ("L" * 60_000) if i else ("H" * 5_000_000) for i in range(frame.height)
    ]  # ~22 MB, one row of 5 MB
    frame.with_columns(pl.Series("location", wide)).write_csv(path)
    assert tenant.apply() == ExitCode.OK
    puts = [(p, b) for m, p, b in tenant.transport.sent if m == "PUT" and p.endswith("/items")]
    assert len(puts) >= 6 and all(
        len(body) <= MIB4 for _, body in puts
    )  # the emulator refuses > 6 MB: none was
    imports = [b for m, p, b in tenant.transport.sent if m == "PUT" and "/_files/" in p]
    assert [len(orjson.loads(b)) for b in imports] == [1]  # the 5 MB row alone
    assert not tenant.plan().has_changes


def test_a_quota_exceeded_stops_the_run_at_once_without_retries_and_exits_4(tenant, tmp_path):
    tenant.admin(
        "POST",
        "/_emulator/faults",
        {
            "path": "/items$",
            "method": "PUT",
            "status": 429,
            "code": "42902",
            "name": "QuotaExceeded",
            "count": 1,
        },
    )
    report_path = tmp_path / "report.json"
    code = tenant.apply(parallelism=1, report=report_path)
    out = tenant.outputs[-1]
    assert code == ExitCode.PARTIAL  # the datasets were created before the quota ran out
    item_puts = [p for m, p, _ in tenant.transport.sent if m == "PUT" and p.endswith("/items")]
    assert len(item_puts) == 1  # refused once, never retried, nothing sent after it
    report = orjson.loads(report_path.read_bytes())
    assert report["stopped"].startswith(
        "stopped: the tenant's daily request quota is used up (42902 QuotaExceeded"
    )
    assert "it resets daily" in report["stopped"]
    assert report["exit_code"] == 4
    statuses = {s["id"]: s["status"] for s in report["steps"]}
    assert [v for k, v in statuses.items() if k.endswith(":create-dataset")] == ["done"] * 3
    assert "pending" in statuses.values()
    assert "Apply stopped: the tenant's daily request quota is used up" in out
    assert "run `orgsync plan` and apply again tomorrow" in out


def test_parallelism_above_50_is_lowered_and_the_request_count_is_printed(tenant):
    assert tenant.apply(parallelism=60, max_rps=250) == ExitCode.OK
    out = tenant.outputs[-1]
    assert "--parallelism 60 lowered to 50: Orgvue allows at most 50 requests in flight per tenant." in out
    assert "--max-rps 250 lowered to 100: Orgvue allows at most 100 requests a second per tenant." in out
    line = next(x for x in out.splitlines() if x.startswith("Requests: "))
    assert line.endswith("(Orgvue allows 500,000 a day per tenant).")
    assert "3 sync item request(s), 0 async import(s)" in line


@pytest.mark.socket
def test_apply_over_a_socket_with_the_real_limits_and_60_workers_is_never_throttled(
    tmp_path, emulator_server, monkeypatch
):
    monkeypatch.setenv("ORGVUE_TOKEN", "t")
    root = make_repo(tmp_path / "acme", example="acme", endpoint=emulator_server.base_url)
    limits = httpx.get(f"{emulator_server.base_url}/_emulator/limits").json()
    assert limits["limits"] == {
        "rps": 100,
        "inFlight": 50,
        "dailyQuota": 500_000,
        "syncPutMaxBytes": 6_000_000,
    }
    code = run_apply(
        ApplyOptions(root=root, auto_approve=True, parallelism=60), console=Console(file=io.StringIO())
    )
    assert code == ExitCode.OK
    usage = httpx.get(f"{emulator_server.base_url}/_emulator/limits").json()["tenants"]["ACME"]
    assert usage["throttled"] == 0 and usage["quotaRefused"] == 0
    assert 1 <= usage["peakInFlight"] <= 50


def test_the_report_and_the_verbose_lines_carry_each_answers_trace_id(tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: Traced(tenant.transport))
    report_path = tmp_path / "report.json"
    assert tenant.apply(report=report_path, verbose=True) == ExitCode.OK
    report = orjson.loads(report_path.read_bytes())
    assert report["calls"] and all(c["trace_ids"] for c in report["calls"])
    assert all(t.startswith("Root=1-00000000-") for c in report["calls"] for t in c["trace_ids"])
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(" trace Root=1-00000000-" in line for line in lines)
