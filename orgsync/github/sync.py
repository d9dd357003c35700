"""The Action's `command: sync` (a schedule): plan; within the safety policy apply that saved plan, else write
nothing, open or update the approval issue and end with exit 3; then the run's record (github/runrecord.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from orgsync.errors import ExitCode
from orgsync.github import approval
from orgsync.github.action import (
    Inputs,
    Run,
    Runner,
    _allow,
    _bool,
    _root,
    failure_markdown,
    report_markdown,
    write_outputs,
    write_summary,
)
from orgsync.github.runrecord import (
    NOTHING_LEFT,
    WITHIN_AGAIN,
    cli_log,
    cli_record,
    close_approval,
    conclude,
    concluded,
    failed_record,
    work_dir,
)
from orgsync.runlog import FAILED, RunRecord


def run_sync_step(inputs: Inputs, orgsync: Runner) -> int:
    """validate, plan; blocked: the approval issue and exit 3; changes: apply the saved plan; then record."""
    checked = orgsync(["validate", *_root(inputs)])
    if checked.code != 0:
        return _failed(inputs, "orgsync validate", checked, failed_record(inputs, "sync", checked.code))
    plan_file, plan_log = work_dir(inputs) / "sync-plan.bin", cli_log(inputs, "sync-plan")
    plan_file.unlink(missing_ok=True)
    planned = orgsync(
        [
            "plan",
            *_root(inputs),
            "--format",
            "markdown",
            "--detailed-exitcode",
            "--out",
            str(plan_file),
            "--log-runs",
            str(plan_log),
            "--list-limit",
            "0",  # the issue names no item (a feed's rows are not in the repository)
            *_allow(inputs),
        ]
    )
    record = cli_record(plan_log, "sync", inputs, planned.code)
    if planned.code not in (ExitCode.OK, ExitCode.CHANGES, ExitCode.BLOCKED):
        return _failed(inputs, "orgsync plan", planned, record)
    outputs = {
        "has-changes": _bool(planned.code != ExitCode.OK),
        "blocked": _bool(planned.code == ExitCode.BLOCKED),
        "summary": _summary(record),
    }
    if planned.code == ExitCode.BLOCKED:
        write_outputs(inputs, outputs | {"exit-code": str(int(ExitCode.BLOCKED))})
        write_summary(inputs, planned.stdout)
        with concluded(inputs, record), inputs.api() as api:
            opened = approval.open_or_update(
                api,
                approval.key(inputs.directory, inputs.tenant),
                planned.stdout,
                record.blocked_by,
                run_url=inputs.run_url,
                author=inputs.author,
            )
        print(f"orgsync sync: blocked; {opened.action} the approval issue #{opened.number}", file=sys.stderr)
        write_outputs(inputs, conclude(inputs, record, opened.url))
        return int(ExitCode.BLOCKED)
    if planned.code == ExitCode.OK:
        write_outputs(inputs, outputs | {"exit-code": "0"})
        write_summary(inputs, planned.stdout)
        close_approval(inputs, NOTHING_LEFT)
        write_outputs(inputs, conclude(inputs, record))
        return 0
    report_file, apply_log = work_dir(inputs) / "sync-report.json", cli_log(inputs, "sync-apply")
    applied = orgsync(
        [
            "apply",
            *_root(inputs),
            str(plan_file),
            "--auto-approve",
            "--report",
            str(report_file),
            "--log-runs",
            str(apply_log),
        ]
    )
    done = cli_record(apply_log, "sync", inputs, applied.code)
    done = replace(
        done,
        datasets=done.datasets or record.datasets,
        requests=record.requests + done.requests,
        seconds=round(record.seconds + done.seconds, 3),
    )
    write_outputs(
        inputs,
        outputs
        | {
            "exit-code": str(applied.code),
            "report-file": str(report_file) if report_file.exists() else "",
            "artifact-name": f"orgsync-sync-{inputs.slug}",
        },
    )
    write_summary(inputs, planned.stdout + "\n" + report_markdown(report_file, applied))
    if applied.code == ExitCode.OK:
        close_approval(inputs, WITHIN_AGAIN)
    write_outputs(inputs, conclude(inputs, done))
    return applied.code


def _failed(inputs: Inputs, title: str, run: Run, record: RunRecord) -> int:
    write_outputs(
        inputs, {"has-changes": "false", "blocked": "false", "summary": "{}", "exit-code": str(run.code)}
    )
    write_summary(inputs, failure_markdown(title, run))
    write_outputs(
        inputs, conclude(inputs, replace(record, status=FAILED, exit_code=run.code or int(ExitCode.ERROR)))
    )
    return run.code or int(ExitCode.ERROR)


def _summary(record: RunRecord) -> str:
    """Output `summary`: item totals (as the plan's summary names them) and counts per dataset."""
    return json.dumps({"items": record.totals, "per_dataset": record.datasets}, sort_keys=True)
