"""The run log (orgsync/runlog.py): one whole JSON line per run, created 0600, a symlink refused, the duration
from an injected clock, a failed or blocked command recorded before its error goes on."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from orgsync.apply.report import ApplyReport, CallRecord
from orgsync.errors import ConfigError, ExitCode, SafetyBlockedError
from orgsync.recording import recorded
from orgsync.runlog import RunRecord, append, read, report_trace_ids, status_of


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_run_appends_one_line_created_0600(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "runs.jsonl"
    first = RunRecord(time="t1", command="apply", tenant="ACME", status="applied", exit_code=0, requests=3)
    append(log, first)
    append(log, RunRecord(time="t2", command="plan", tenant="ACME", status="no changes", exit_code=0))
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["requests"] == 3
    assert read(log)[0] == first


def test_a_symlink_planted_at_the_log_path_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep\n")
    (tmp_path / "runs.jsonl").symlink_to(target)
    with pytest.raises(OSError):
        append(tmp_path / "runs.jsonl", RunRecord("t", "plan", "ACME", "no changes", 0))
    assert target.read_text() == "keep\n"


def test_recorded_times_the_run_with_the_injected_clock(tmp_path: Path) -> None:
    clock, log = Clock(), tmp_path / "runs.jsonl"

    def run() -> int:
        clock.now += 2.5
        return 0

    assert recorded("plan", log, run, clock=clock, env={"ORGVUE_TENANT": "ACME"}) == 0
    [record] = read(log)
    assert (record.seconds, record.status, record.tenant, record.exit_code) == (2.5, "no changes", "ACME", 0)


def test_a_failed_or_blocked_command_is_recorded_and_its_error_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"

    def broken() -> int:
        raise ConfigError("orgsync.yaml: bad")

    def blocked() -> int:
        raise SafetyBlockedError("the safety policy blocks this plan")

    with pytest.raises(ConfigError):
        recorded("apply", log, broken, env={})
    with pytest.raises(SafetyBlockedError):
        recorded("apply", log, blocked, env={})
    assert [(r.status, r.exit_code) for r in read(log)] == [("failed", 1), ("blocked", 3)]


def test_a_log_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    warn = io.StringIO()
    assert recorded("plan", tmp_path / "dir", lambda: 2, env={}, stderr=warn) == 2
    assert warn.getvalue().startswith(f"warning: {tmp_path / 'dir'}: the run log line was not written")


def test_only_failed_calls_give_trace_ids() -> None:
    report = ApplyReport(target="t", tenant="ACME", plan_source="fresh", started_at="s")
    report.calls = [
        CallRecord("s0", "put-items", trace_ids=["Root=ok"]),
        CallRecord("s1", "put-items", ok=False, error="boom", trace_ids=["Root=bad1"]),
        CallRecord("s2", "import-items", failed=2, trace_ids=["Root=bad2", "Root=bad1"]),
    ]
    assert report_trace_ids(report) == ("Root=bad1", "Root=bad2")


@pytest.mark.parametrize(
    ("command", "code", "changes", "status"),
    [
        ("apply", ExitCode.OK, True, "applied"),
        ("apply", ExitCode.OK, False, "no changes"),
        ("apply", ExitCode.PARTIAL, True, "partially applied"),
        ("apply", ExitCode.BLOCKED, True, "blocked"),
        ("apply", ExitCode.ERROR, True, "failed"),
        ("plan", ExitCode.CHANGES, True, "changes"),
        ("plan", ExitCode.OK, True, "changes"),
        ("drift", ExitCode.CHANGES, True, "drift"),
        ("drift", ExitCode.OK, False, "no changes"),
    ],
)
def test_status_words(command: str, code: int, changes: bool, status: str) -> None:
    assert status_of(command, code, changes) == status


def test_concurrent_appenders_never_split_a_line(tmp_path: Path) -> None:
    """Two processes appending at once: every line stays whole (one write on an O_APPEND file)."""
    log = tmp_path / "runs.jsonl"
    big = {f"Dataset {i}": {"create": i, "update": 0, "delete": 0} for i in range(200)}
    pids = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                for i in range(50):
                    append(log, RunRecord(f"{n}-{i}", "apply", "ACME", "applied", 0, datasets=big))
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        assert os.waitpid(pid, 0)[1] == 0
    records = read(log)
    assert len(records) == 100 == len(log.read_text().splitlines())
    assert all(r.datasets == big for r in records)
