"""Each Action run's record: the `orgsync` runs it starts write theirs to a private file (`--log-runs`); the
Action's record adds what only it knows (the run's and the issue's URLs), goes to the run log kept as an
artifact, and is the one notified (the CLI it starts never gets ORGSYNC_NOTIFY_URL, so nothing is notified
twice). Also closing the approval issue, which the sync and an approved apply both do.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from orgsync.errors import ExitCode, GitHubError
from orgsync.github import approval
from orgsync.github.api import GitHubApi
from orgsync.notify import NOTIFY_VAR
from orgsync.recording import finish
from orgsync.runlog import FAILED, RunRecord, now_utc, read


class Context(Protocol):
    """What a record needs of the Action's inputs (`orgsync.github.action.Inputs`)."""

    @property
    def command(self) -> str: ...

    @property
    def directory(self) -> str: ...

    @property
    def tenant(self) -> str: ...

    @property
    def run_url(self) -> str: ...

    @property
    def notify_url(self) -> str: ...

    @property
    def author(self) -> str: ...

    @property
    def temp_dir(self) -> Path: ...

    @property
    def slug(self) -> str: ...

    def api(self) -> GitHubApi: ...


WITHIN_AGAIN = "The scheduled sync is within the safety policy again and applied the feed"
NOTHING_LEFT = "The scheduled sync found the tenant matching the repository: nothing is left to approve"
APPROVED = "An approved apply (`allow-destructive: on`) carried out the changes"


def work_dir(inputs: Context) -> Path:
    path = inputs.temp_dir / f"orgsync-{inputs.slug}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cli_log(inputs: Context, name: str) -> Path:
    """A fresh private file for one `orgsync` run's record (`--log-runs`)."""
    path = work_dir(inputs) / f"cli-{name}.jsonl"
    path.unlink(missing_ok=True)
    return path


def cli_record(path: Path, command: str, inputs: Context, code: int) -> RunRecord:
    """The record the `orgsync` run wrote, named as the Action's command; a failed one if it wrote none."""
    records = read(path) if path.exists() else []
    return replace(records[-1], command=command) if records else failed_record(inputs, command, code)


def failed_record(inputs: Context, command: str, code: int) -> RunRecord:
    return RunRecord(time=now_utc(), command=command, tenant=inputs.tenant, status=FAILED, exit_code=code)


def conclude(inputs: Context, record: RunRecord, issue_url: str = "") -> dict[str, str]:
    """The Action's record: links added, appended to the run log and notified; neither can fail the step
    (each failure is a warning). Returns the step outputs `runs-file` and `runs-artifact` (the artifact the
    log is uploaded as)."""
    record = replace(
        record, directory=inputs.directory, tenant=record.tenant or inputs.tenant, run_url=inputs.run_url
    )
    record = replace(record, issue_url=issue_url) if issue_url else record
    log = work_dir(inputs) / "runs.jsonl"
    finish(
        record, log, notify=bool(inputs.notify_url), env={NOTIFY_VAR: inputs.notify_url}, stderr=sys.stderr
    )
    if not log.exists():
        return {}
    return {"runs-file": str(log), "runs-artifact": f"orgsync-runs-{inputs.command}-{inputs.slug}"}


@contextlib.contextmanager
def concluded(inputs: Context, record: RunRecord) -> Iterator[None]:
    """When the GitHub calls in the block fail, the run is still logged and notified (as failed) before the
    error goes on (the step then fails with its message; the outputs are not needed)."""
    try:
        yield
    except GitHubError:
        conclude(inputs, replace(record, status=FAILED, exit_code=int(ExitCode.ERROR)))
        raise


def close_approval(inputs: Context, why: str) -> approval.ApprovalResult:
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
