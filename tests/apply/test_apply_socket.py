"""End to end over a real socket: a SIGKILLed apply recovers, parallelism and --max-rps hold, modes converge."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import polars as pl
import pytest
from rich.console import Console

from orgsync.api.ratelimit import TokenBucket
from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.errors import ExitCode
from tests.support.repo import make_repo
from tests.support.waiting import wait_until

pytestmark = pytest.mark.socket

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"
T = "/api/v1/ACME"


def _apply(root: Path, **options) -> int:
    return run_apply(
        ApplyOptions(root=root, auto_approve=True, **options), console=Console(file=io.StringIO())
    )


def _plan_changes(root: Path) -> bool:
    from orgsync.commands.plan import PlanOptions, run_plan

    code = run_plan(
        PlanOptions(
            root=root,
            fmt="json",
            out=None,
            targets=[],
            detailed_exitcode=True,
            allow_destructive=False,
            show_all=False,
            show_values=False,
        )
    )
    return code == ExitCode.CHANGES


def _items(base_url: str, name: str) -> list[dict]:
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as c:
        [dataset] = [d for d in c.get(f"{T}/datasets").json() if d["name"] == name]
        return c.get(f"{T}/datasets/{dataset['datasetId']}/items").json()


def _log(base_url: str) -> list[dict]:
    return httpx.get(f"{base_url}/_emulator/requests").json()


def _fault(base_url: str, body: dict) -> int:
    response = httpx.post(f"{base_url}/_emulator/faults", json=body)
    response.raise_for_status()
    return int(response.json()["id"])


def _held(base_url: str, fault_id: int) -> int:
    """How many requests the hold fault `fault_id` keeps waiting now."""
    return next(f["held"] for f in httpx.get(f"{base_url}/_emulator/faults").json() if f["id"] == fault_id)


def _item_puts(base_url: str) -> list[int]:
    """Statuses of the item PUTs the emulator has answered, in order."""
    return [e["status"] for e in _log(base_url) if e["method"] == "PUT" and e["path"].endswith("/items")]


def _second_item_put_in_flight(base_url: str, proc: subprocess.Popen) -> None:
    """Hold every item PUT: let the first (People) through, and return once the second (Positions) is held, so
    a signal sent now lands with exactly one item PUT done and the next in flight."""
    hold = _fault(base_url, {"path": r"/items$", "method": "PUT", "hold": True})
    wait_until(lambda: _held(base_url, hold) == 1 or proc.poll() is not None, "the first item PUT")
    assert proc.poll() is None, "apply finished before it could be stopped"
    httpx.post(f"{base_url}/_emulator/faults/{hold}/release", json={"count": 1}).raise_for_status()
    wait_until(lambda: _item_puts(base_url) == [200] and _held(base_url, hold) == 1, "the second item PUT")


def _release_and_settle(base_url: str) -> None:
    """Clear the faults (held requests go on) and wait until the emulator has handled every request."""
    httpx.delete(f"{base_url}/_emulator/faults").raise_for_status()
    wait_until(lambda: httpx.get(f"{base_url}/_emulator/inflight").json()["requests"] == 0, "requests to end")


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv("ORGVUE_TOKEN", "t")


def test_a_killed_apply_is_finished_by_the_next_plan_and_apply(tmp_path, emulator_factory, token_env):
    server = emulator_factory(db_path=tmp_path / "tenant.db")
    root = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    env = {**os.environ, "ORGVUE_TOKEN": "t"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orgsync", "apply", "--auto-approve", "--parallelism", "1", "-C", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _second_item_put_in_flight(server.base_url, proc)
        proc.send_signal(signal.SIGKILL)  # mid-way: one item PUT done, the next one in flight
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    _release_and_settle(server.base_url)  # the cut-off PUT is handled (or dropped) before anything reads

    assert _plan_changes(root)  # what the killed run did not finish
    assert _apply(root) == ExitCode.OK
    assert not _plan_changes(root)
    for name, source, key in (
        ("People", "people.csv", "Employee Number"),
        ("Positions", "positions.csv", "position_id"),
    ):
        live = _items(server.base_url, name)
        keys = [i[key if name == "Positions" else "employee_id"] for i in live]
        expected = pl.read_csv(root / "data" / source, infer_schema=False).get_column(key).to_list()
        assert sorted(keys) == sorted(expected)  # nothing lost, nothing duplicated
    links = _items(server.base_url, "People to Positions")
    assert len(links) == len({(i["from_id"], i["to_id"]) for i in links}) == 286


class RecordingBucket(TokenBucket):
    """The client's token bucket, keeping the time (on its own clock) at which it handed out each token."""

    granted: list[float] = []

    async def acquire(self) -> None:
        await super().acquire()
        RecordingBucket.granted.append(self._clock())


def test_parallelism_and_the_request_rate_are_honoured(tmp_path, emulator_server, token_env, monkeypatch):
    root = make_repo(tmp_path / "acme", example="acme", endpoint=emulator_server.base_url)
    monkeypatch.setattr(
        "orgsync.api.budget.TokenBucket", RecordingBucket
    )  # the tenant budget holds the bucket
    monkeypatch.setattr(RecordingBucket, "granted", [])
    hold = _fault(emulator_server.base_url, {"path": r"/items$", "method": "PUT", "hold": True})
    httpx.delete(f"{emulator_server.base_url}/_emulator/requests")
    with ThreadPoolExecutor(1) as pool:
        applied = pool.submit(_apply, root, parallelism=2, max_rps=5)
        try:  # People's and Positions' item PUTs are in flight side by side: both are held at once
            wait_until(
                lambda: _held(emulator_server.base_url, hold) == 2 or applied.done(), "two item PUTs at once"
            )
            assert not applied.done(), applied.result()
        finally:
            httpx.delete(f"{emulator_server.base_url}/_emulator/faults").raise_for_status()
        assert applied.result() == ExitCode.OK
    log = _log(emulator_server.base_url)
    writes = [
        e for e in log if e["method"] in ("PUT", "POST") and not e["path"].endswith(("/export", "/query"))
    ]
    assert _max_overlap(writes) == 2  # never more than --parallelism
    # Token bucket of 5/s, burst 1: on the bucket's own clock, token n is handed out no earlier than t0 + n/5,
    # and every request the emulator saw took one (so no request went round the limit).
    granted = RecordingBucket.granted
    assert len(granted) == len(log)
    for n, at in enumerate(granted):
        assert at - granted[0] >= n / 5 - 1e-9, f"token {n} was handed out early"
    assert not _plan_changes(root)


def _max_overlap(entries: list[dict]) -> int:
    events = sorted(
        [(e["time"], 1) for e in entries] + [(e["time"] + e["durationMs"] / 1000, -1) for e in entries],
        key=lambda x: (x[0], x[1]),
    )
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("mode", ["insert", "update", "upsert", "mirror"])
def test_every_items_mode_converges(tmp_path, emulator_server, token_env, mode):
    root = make_repo(tmp_path / "acme", example="acme", endpoint=emulator_server.base_url)
    assert _apply(root) == ExitCode.OK
    manifest = root / "manifests" / "positions.yaml"
    manifest.write_text(manifest.read_text().replace("mode: mirror", f"mode: {mode}"))
    path = root / "data" / "positions.csv"
    frame = pl.read_csv(path, infer_schema=False)
    new = frame.tail(1).with_columns(pl.lit("P9999").alias("position_id"))
    changed = frame.filter(pl.col("position_id") != "P0299").with_columns(
        pl.when(pl.col("position_id") == "P0002")
        .then(pl.lit("Finance Director"))
        .otherwise(pl.col("title"))
        .alias("title")
    )
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
    assert (
        len(_items(emulator_server.base_url, "People to Positions")) == 285
    )  # links are mirrored in every case


def _stop_mid_way(tmp_path: Path, base_url: str, root: Path, signals: int) -> tuple[int, str, dict]:
    """Run `orgsync apply --report` as a process; once the first item PUT is done and the next is held in
    flight, send SIGTERM `signals` times. Returns the exit code, stdout and the report."""
    report_path = tmp_path / "report.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orgsync",
            "apply",
            "--auto-approve",
            "--parallelism",
            "1",
            "--report",
            str(report_path),
            "-C",
            str(root),
        ],
        env={**os.environ, "ORGVUE_TOKEN": "t"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _second_item_put_in_flight(base_url, proc)
        proc.send_signal(signal.SIGTERM)
        assert (
            proc.stderr is not None
        )  # the notice proves the first signal was handled: a second is not merged
        assert proc.stderr.readline() == (
            "Stopping (SIGTERM): starting nothing new, waiting up to 20 s for the "
            "calls in flight; send it again to abort them.\n"
        )
        if signals == 2:
            proc.send_signal(signal.SIGTERM)  # the Positions PUT is still held: the abort cancels it
        else:
            httpx.delete(
                f"{base_url}/_emulator/faults"
            ).raise_for_status()  # the call in flight may now finish
        stdout, stderr = proc.communicate(timeout=60)
        assert stderr == ("Aborting (SIGTERM): cancelling the calls in flight.\n" if signals == 2 else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _release_and_settle(base_url)
    return proc.returncode, stdout, orjson.loads(report_path.read_bytes())


def _assert_converges(root: Path, base_url: str) -> None:
    """plan shows what the stopped run left; apply finishes it; the tenant then equals the sources exactly."""
    assert _plan_changes(root)
    assert _apply(root) == ExitCode.OK
    assert not _plan_changes(root)
    people = sorted(i["employee_id"] for i in _items(base_url, "People"))
    assert people == sorted(pl.read_csv(root / "data" / "people.csv", infer_schema=False)["Employee Number"])
    positions = sorted(i["position_id"] for i in _items(base_url, "Positions"))
    assert positions == sorted(
        pl.read_csv(root / "data" / "positions.csv", infer_schema=False)["position_id"]
    )
    links = _items(base_url, "People to Positions")
    assert len(links) == len({(i["from_id"], i["to_id"]) for i in links}) == 286


ITEM_STEPS = [
    "dataset.People:upsert-items",
    "dataset.Positions:upsert-items",
    "links.People to Positions:upsert-items",
]


def test_a_sigterm_lets_the_call_in_flight_finish_then_reports_and_exits_4(
    tmp_path, emulator_factory, token_env
):
    server = emulator_factory(db_path=tmp_path / "tenant.db")
    root = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    code, stdout, report = _stop_mid_way(tmp_path, server.base_url, root, signals=1)

    assert code == ExitCode.PARTIAL
    assert report["stopped"] == "interrupted by SIGTERM"
    assert report["exit_code"] == 4
    # The Positions PUT was in flight when the signal landed: it finished, and nothing started after the signal.
    assert _item_puts(server.base_url) == [200, 200]
    steps = {s["id"]: s for s in report["steps"]}
    assert [(steps[i]["status"], steps[i]["applied"]) for i in ITEM_STEPS] == [
        ("done", 286),
        ("done", 300),
        ("pending", 0),
    ]
    assert steps[ITEM_STEPS[2]]["error"] == "not run: interrupted by SIGTERM"
    assert all(s["status"] == "done" for s in report["steps"] if s["kind"] == "create-dataset")
    assert [c["call"] for c in report["calls"] if c["step"] in ITEM_STEPS] == ["put-items"] * 2

    lines = stdout.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("Apply interrupted by SIGTERM")))
    assert lines[start].startswith(
        "Apply interrupted by SIGTERM: some changes were written, others were not. "
        "586 item changes applied, 286 not applied, 5 write calls in "
    )
    assert lines[start + 4 :] == [
        "  ✓ dataset.People:upsert-items 286/286 items [done]",
        "  ✓ dataset.Positions:upsert-items 300/300 items [done]",
        "  - links.People to Positions:upsert-items 0/286 items [pending]: not run: interrupted by SIGTERM",
        "Run `orgsync plan` to see exactly what remains, then apply again.",
    ]
    _assert_converges(root, server.base_url)


def test_a_second_sigterm_cancels_the_call_in_flight_and_still_reports(tmp_path, emulator_factory, token_env):
    server = emulator_factory(db_path=tmp_path / "tenant.db")
    root = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    code, stdout, report = _stop_mid_way(tmp_path, server.base_url, root, signals=2)

    assert code == ExitCode.PARTIAL  # People was written; the Positions PUT was cut off in flight
    steps = {s["id"]: s for s in report["steps"]}
    cut = [c for c in report["calls"] if c["step"] == ITEM_STEPS[1]]
    assert report["stopped"] == "interrupted by SIGTERM; aborted by a second signal (SIGTERM)"
    assert [(steps[i]["status"], steps[i]["applied"], steps[i]["failed"]) for i in ITEM_STEPS] == [
        ("done", 286, 0),
        ("failed", 0, 300),
        ("pending", 0, 0),
    ]
    assert steps[ITEM_STEPS[1]]["error"] == (
        "aborted by a second signal (SIGTERM); the call in flight may or may not have been applied"
    )
    assert [(c["ok"], c["cancelled"], c["error"]) for c in cut] == [
        (False, True, "cancelled in flight: outcome unknown")
    ]
    assert (
        "Apply interrupted by SIGTERM; aborted by a second signal (SIGTERM): some changes were written"
        in stdout
    )
    _assert_converges(root, server.base_url)
