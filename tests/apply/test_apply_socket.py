"""End to end over a real socket: a SIGKILLed apply recovers, parallelism and --max-rps hold, modes converge."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl
import pytest
from rich.console import Console

from orgsync.apply.command import ApplyOptions, run_apply
from orgsync.errors import ExitCode

pytestmark = pytest.mark.socket

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
T = "/api/v1/ACME"


def _repo(tmp_path: Path, base_url: str) -> Path:
    root = tmp_path / "acme"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(".orgsync"))
    config = root / "orgsync.yaml"
    config.write_text(config.read_text().replace("endpoint: local", f"endpoint: {base_url}"))
    return root


def _apply(root: Path, **options) -> int:
    return run_apply(ApplyOptions(root=root, auto_approve=True, **options), console=Console(file=io.StringIO()))


def _plan_changes(root: Path) -> bool:
    from orgsync.plan.command import PlanOptions, run_plan

    code = run_plan(PlanOptions(root=root, fmt="json", out=None, targets=[], detailed_exitcode=True,
                                allow_destructive=False, show_all=False, show_values=False))
    return code == ExitCode.CHANGES


def _items(base_url: str, name: str) -> list[dict]:
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as c:
        [dataset] = [d for d in c.get(f"{T}/datasets").json() if d["name"] == name]
        return c.get(f"{T}/datasets/{dataset['datasetId']}/items").json()


def _log(base_url: str) -> list[dict]:
    return httpx.get(f"{base_url}/_emulator/requests").json()


def _fault(base_url: str, body: dict) -> None:
    httpx.post(f"{base_url}/_emulator/faults", json=body).raise_for_status()


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv("ORGVUE_TOKEN", "t")


def test_a_killed_apply_is_finished_by_the_next_plan_and_apply(tmp_path, emulator_factory, token_env):
    server = emulator_factory(db_path=tmp_path / "tenant.db")
    root = _repo(tmp_path, server.base_url)
    _fault(server.base_url, {"path": r"/items$", "method": "PUT", "latencyMs": 700})
    env = {**os.environ, "ORGVUE_TOKEN": "t"}
    proc = subprocess.Popen([sys.executable, "-m", "orgsync", "apply", "--auto-approve", "--parallelism", "1",
                             "-C", str(root)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(e["method"] == "PUT" and e["status"] == 200 for e in _log(server.base_url)):
            assert proc.poll() is None, "apply finished before it could be killed"
            assert time.monotonic() < deadline, "apply never wrote items"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # mid-way: one item PUT done, the next one in flight
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    httpx.delete(f"{server.base_url}/_emulator/faults").raise_for_status()

    assert _plan_changes(root)  # what the killed run did not finish
    assert _apply(root) == ExitCode.OK
    assert not _plan_changes(root)
    for name, source, key in (("People", "people.csv", "Employee Number"), ("Positions", "positions.csv", "position_id")):
        live = _items(server.base_url, name)
        keys = [i[key if name == "Positions" else "employee_id"] for i in live]
        expected = pl.read_csv(root / "data" / source, infer_schema=False).get_column(key).to_list()
        assert sorted(keys) == sorted(expected)  # nothing lost, nothing duplicated
    links = _items(server.base_url, "People to Positions")
    assert len(links) == len({(i["from_id"], i["to_id"]) for i in links}) == 286


def test_parallelism_and_the_request_rate_are_honoured(tmp_path, emulator_server, token_env):
    root = _repo(tmp_path, emulator_server.base_url)
    _fault(emulator_server.base_url, {"path": r"/(items|datasets|links)$", "method": "PUT", "latencyMs": 300})
    _fault(emulator_server.base_url, {"path": r"/(datasets|links)$", "method": "POST", "latencyMs": 300})
    httpx.delete(f"{emulator_server.base_url}/_emulator/requests")
    assert _apply(root, parallelism=2, max_rps=5) == ExitCode.OK
    log = [e for e in _log(emulator_server.base_url) if e["path"].startswith(T)]
    writes = [e for e in log if e["method"] in ("PUT", "POST") and not e["path"].endswith(("/export", "/query"))]
    assert _max_overlap(writes) == 2  # People and Positions side by side, never more than --parallelism
    starts = sorted(e["time"] for e in log)
    for n, started in enumerate(starts):  # token bucket of 5/s, burst 1: request n no earlier than t0 + n/5
        assert started >= starts[0] + n / 5 - 0.05, f"request {n} came too early"
    assert not _plan_changes(root)


def _max_overlap(entries: list[dict]) -> int:
    events = sorted([(e["time"], 1) for e in entries] + [(e["time"] + e["durationMs"] / 1000, -1) for e in entries],
                    key=lambda x: (x[0], x[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("mode", ["insert", "update", "upsert", "mirror"])
def test_every_items_mode_converges(tmp_path, emulator_server, token_env, mode):
    root = _repo(tmp_path, emulator_server.base_url)
    assert _apply(root) == ExitCode.OK
    manifest = root / "manifests" / "positions.yaml"
    manifest.write_text(manifest.read_text().replace("mode: mirror", f"mode: {mode}"))
    path = root / "data" / "positions.csv"
    frame = pl.read_csv(path, infer_schema=False)
    new = frame.tail(1).with_columns(pl.lit("P9999").alias("position_id"))
    changed = frame.filter(pl.col("position_id") != "P0299").with_columns(
        pl.when(pl.col("position_id") == "P0002").then(pl.lit("Finance Director")).otherwise(pl.col("title"))
        .alias("title"))
    pl.concat([changed, new]).write_csv(path)
    links = root / "data" / "assignments.csv"
    pl.read_csv(links, infer_schema=False).filter(pl.col("to_id") != "P0299").write_csv(links)
    assert _plan_changes(root)
    assert _apply(root, allow_destructive=True) == ExitCode.OK
    assert not _plan_changes(root)
    titles = {i["position_id"]: i["title"] for i in _items(emulator_server.base_url, "Positions")}
    assert ("P9999" in titles) == (mode in ("insert", "upsert", "mirror"))
    assert (titles["P0002"] == "Finance Director") == (mode in ("update", "upsert", "mirror"))
    assert ("P0299" in titles) == (mode != "mirror")
    assert len(_items(emulator_server.base_url, "People to Positions")) == 285  # links are mirrored in every case
