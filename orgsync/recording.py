"""Recording one CLI run (`plan`, `apply`): the command tells the active recorder what it learnt; at the end
one line goes to the run log (`--log-runs`) and, when asked, the notification is sent (ORGSYNC_NOTIFY_URL).

A failure to write the log or to notify is a warning on stderr: the exit code still says what happened.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from orgsync.errors import ExitCode, OrgsyncError, SafetyBlockedError
from orgsync.escape import terminal
from orgsync.notify import send
from orgsync.runlog import RunRecord, append, now_utc, plan_counts, report_trace_ids, status_of

if TYPE_CHECKING:
    from orgsync.apply.report import ApplyReport
    from orgsync.plan.model import Plan


@dataclass
class Recorder:
    """What the running command has learnt so far; `recorded` makes the record of it."""

    command: str
    tenant: str = ""
    plan_changes: bool = False
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)
    blocked_by: tuple[str, ...] = ()
    requests: int = 0
    trace_ids: tuple[str, ...] = ()


_ACTIVE: ContextVar[Recorder | None] = ContextVar("orgsync_run_recorder", default=None)


def note_plan(plan: Plan, requests: int | None = None) -> None:
    """Tell the active recorder (if any) the plan's tenant, counts and blocking reasons."""
    rec = _ACTIVE.get()
    if rec is None:
        return
    rec.tenant, rec.plan_changes, rec.datasets = plan.tenant, plan.has_changes, plan_counts(plan)
    rec.blocked_by = tuple(b for r in plan.resources for b in r.blocked) if plan.blocked else ()
    if requests is not None:
        rec.requests = requests


def note_requests(requests: int) -> None:
    rec = _ACTIVE.get()
    if rec is not None:
        rec.requests = requests


def note_report(report: ApplyReport) -> None:
    rec = _ACTIVE.get()
    if rec is not None:
        rec.trace_ids = report_trace_ids(report)


def recorded(
    command: str,
    log_path: Path | None,
    run: Callable[[], int],
    *,
    notify: bool = False,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.monotonic,
    stderr: TextIO | None = None,
) -> int:
    """Run `run` (a command) with a recorder active; append its record to `log_path` and send the notification
    (`notify` and ORGSYNC_NOTIFY_URL set), whatever the outcome. An OrgsyncError is recorded and re-raised."""
    if log_path is None and not notify:
        return run()
    rec, started = Recorder(command), clock()
    token = _ACTIVE.set(rec)
    code = int(ExitCode.ERROR)
    try:
        code = run()
        return code
    except OrgsyncError as err:
        code = int(ExitCode.BLOCKED if isinstance(err, SafetyBlockedError) else err.exit_code)
        raise
    finally:
        _ACTIVE.reset(token)
        record = RunRecord(
            time=now_utc(),
            command=command,
            tenant=rec.tenant or (env if env is not None else os.environ).get("ORGVUE_TENANT", ""),
            status=status_of(command, code, rec.plan_changes),
            exit_code=code,
            datasets=rec.datasets,
            requests=rec.requests,
            trace_ids=rec.trace_ids,
            seconds=round(max(clock() - started, 0.0), 3),
            blocked_by=rec.blocked_by if code == ExitCode.BLOCKED else (),
        )
        finish(record, log_path, notify=notify, env=env, stderr=stderr)


def finish(
    record: RunRecord,
    log_path: Path | None,
    *,
    notify: bool,
    env: Mapping[str, str] | None = None,
    stderr: TextIO | None = None,
) -> None:
    """Append `record` to the log and send its notification; each failure is one warning line, never an error."""
    err = stderr or sys.stderr
    if log_path is not None:
        try:
            append(log_path, record)
        except OSError as problem:
            print(terminal(f"warning: {log_path}: the run log line was not written ({problem})"), file=err)
    if notify:
        send(record, env, warn=err)
