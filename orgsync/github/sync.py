"""The Action's `command: sync` (a schedule): plan; within the safety policy apply that saved plan, else write
nothing, open or update the approval issue and end with exit 3. Also each Action run's record: one line in the
run log (kept as an artifact) and the notification to ORGSYNC_NOTIFY_URL.

The `orgsync` runs it starts write their own record to a private file (`--log-runs`); the Action's record adds
what only it knows (the run's and the issue's URLs) and is the one notified: the CLI it starts never gets
ORGSYNC_NOTIFY_URL, so nothing is notified twice.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from orgsync.errors import ExitCode, GitHubError
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
from orgsync.notify import NOTIFY_VAR
from orgsync.runlog import FAILED, RunRecord, finish, now_utc, read

WITHIN_AGAIN = "The scheduled sync is within the safety policy again and applied the feed"
NOTHING_LEFT = "The scheduled sync found the tenant matching the repository: nothing is left to approve"
APPROVED = "An approved apply (`allow-destructive: on`) carried out the changes"


def work_dir(inputs: Inputs) -> Path:
    path = inputs.temp_dir / f"orgsync-{inputs.slug}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cli_log(inputs: Inputs, name: str) -> Path:
    """A fresh private file for one `orgsync` run's record (`--log-runs`)."""
    path = work_dir(inputs) / f"cli-{name}.jsonl"
    path.unlink(missing_ok=True)
    return path


def cli_record(path: Path, command: str, inputs: Inputs, code: int) -> RunRecord:
    """The record the `orgsync` run wrote, named as the Action's command; a failed one if it wrote none."""
    records = read(path) if path.exists() else []
    return replace(records[-1], command=command) if records else failed_record(inputs, command, code)


def failed_record(inputs: Inputs, command: str, code: int) -> RunRecord:
    return RunRecord(time=now_utc(), command=command, tenant=inputs.tenant, status=FAILED, exit_code=code)


def conclude(inputs: Inputs, record: RunRecord, issue_url: str = "") -> None:
    """The Action's record: links added, appended to the run log (output `runs-file`, uploaded as the
    `orgsync-runs-…` artifact) and notified. Neither can fail the step: each failure is a warning."""
    record = replace(
        record, directory=inputs.directory, tenant=record.tenant or inputs.tenant, run_url=inputs.run_url
    )
    record = replace(record, issue_url=issue_url) if issue_url else record
    log = work_dir(inputs) / "runs.jsonl"
    finish(
        record, log, notify=bool(inputs.notify_url), env={NOTIFY_VAR: inputs.notify_url}, stderr=sys.stderr
    )
    if log.exists():
        write_outputs(
            inputs, {"runs-file": str(log), "runs-artifact": f"orgsync-runs-{inputs.command}-{inputs.slug}"}
        )


@contextlib.contextmanager
def concluded(inputs: Inputs, record: RunRecord) -> Iterator[None]:
    """When the GitHub calls in the block fail, the run is still logged and notified (as failed, with the
    message) before the error goes on."""
    try:
        yield
    except GitHubError:
        conclude(inputs, replace(record, status=FAILED, exit_code=int(ExitCode.ERROR)))
        raise


def close_approval(inputs: Inputs, why: str) -> approval.ApprovalResult:
    """Close the approval issue, if one is open; a GitHub failure here is a warning (the tenant is done)."""
    try:
        with inputs.api() as api:
            result = approval.close(
                api,
                approval.key(inputs.directory, inputs.tenant),
                why,
                run_url=inputs.run_url,
                author=inputs.author,
            )
    except GitHubError as err:
        print(f"warning: the approval issue was not closed: {err}", file=sys.stderr)
        return approval.ApprovalResult("none")
    if result.number is not None:
        print(f"orgsync sync: closed the approval issue #{result.number}", file=sys.stderr)
    return result


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
        conclude(inputs, record, opened.url)
        return int(ExitCode.BLOCKED)
    if planned.code == ExitCode.OK:
        write_outputs(inputs, outputs | {"exit-code": "0"})
        write_summary(inputs, planned.stdout)
        close_approval(inputs, NOTHING_LEFT)
        conclude(inputs, record)
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
    conclude(inputs, done)
    return applied.code


def _failed(inputs: Inputs, title: str, run: Run, record: RunRecord) -> int:
    write_outputs(
        inputs, {"has-changes": "false", "blocked": "false", "summary": "{}", "exit-code": str(run.code)}
    )
    write_summary(inputs, failure_markdown(title, run))
    conclude(inputs, replace(record, status=FAILED, exit_code=run.code or int(ExitCode.ERROR)))
    return run.code or int(ExitCode.ERROR)


def _summary(record: RunRecord) -> str:
    """Output `summary`: item totals (as the plan's summary names them) and counts per dataset."""
    return json.dumps({"items": record.totals, "per_dataset": record.datasets}, sort_keys=True)
