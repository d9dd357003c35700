"""The steps of the orgsync GitHub Action (`action.yml`): plan on a pull request, apply on merge, drift on a schedule.

It runs the installed `orgsync` command line (so the exit codes are the CLI's), then comments, opens issues and
writes the job outputs and summary. Inputs come from the environment the composite step sets; nothing from the
pull request is interpolated into a shell.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgsync import escape
from orgsync.errors import ExitCode, GitHubError, OrgsyncError
from orgsync.github import drift, runrecord
from orgsync.github.api import GitHubApi
from orgsync.github.base import base_ref, ensure_commit
from orgsync.github.comments import BOT_LOGIN, StickyKey, fits, overflow_line, upsert
from orgsync.github.draft_pr import draft_pull
from orgsync.github.fragments import fragments
from orgsync.notify import NOTIFY_VAR

COMMANDS = ("plan", "apply", "drift", "sync", "draft-pull")
SUMMARY_LIMIT = 1_000_000  # GitHub's step summary holds 1 MiB per step


@dataclass(frozen=True)
class Run:
    """One finished `orgsync` command: exit code and what it printed."""

    code: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], Run]


@dataclass(frozen=True)
class Inputs:
    """The Action's inputs and the workflow context it needs, read from the environment."""

    command: str
    directory: str
    tenant: str
    comment: bool
    allow_destructive: bool
    show_values: bool
    github_token: str
    api_url: str
    repository: str
    event_name: str
    event: Mapping[str, Any]
    sha: str
    run_url: str
    output_file: Path | None
    summary_file: Path | None
    temp_dir: Path
    author: str
    notify_url: str = ""  # ORGSYNC_NOTIFY_URL, a secret of the workflow (github/sync.py notifies)
    draft: str = ""  # draft-pull: the Orgvue draft's name
    ref_name: str = ""  # draft-pull: the branch its pull request goes into
    workspace: Path = Path(".")
    base_ref: str = ""  # the pull request's base revision: plan keeps its protections (manifest.base)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Inputs:
        """Read and check the inputs; a bad one is a GitHubError naming the input."""
        command = env.get("ORGSYNC_COMMAND", "plan").strip()
        if command not in COMMANDS:
            raise GitHubError(f"input `command`: expected one of {', '.join(COMMANDS)}, got {command!r}")
        event: Mapping[str, Any] = {}
        if env.get("GITHUB_EVENT_PATH"):
            try:
                event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise GitHubError(f"GITHUB_EVENT_PATH: cannot read the event ({err})") from None
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repository = env.get("GITHUB_REPOSITORY", "")
        run_url = (
            f"{server}/{repository}/actions/runs/{env['GITHUB_RUN_ID']}" if env.get("GITHUB_RUN_ID") else ""
        )
        return cls(
            command=command,
            directory=env.get("ORGSYNC_WORKING_DIRECTORY", ".").strip() or ".",
            tenant=env.get("ORGVUE_TENANT", ""),
            comment=_flag(env, "ORGSYNC_COMMENT", True),
            allow_destructive=_flag(env, "ORGSYNC_ALLOW_DESTRUCTIVE", False),
            show_values=_flag(env, "ORGSYNC_SHOW_VALUES", False),
            github_token=env.get("GITHUB_TOKEN", ""),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com"),
            repository=repository,
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=event,
            sha=env.get("GITHUB_SHA", ""),
            run_url=run_url,
            output_file=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_file=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
            temp_dir=Path(env.get("RUNNER_TEMP") or "."),
            author=env.get("ORGSYNC_COMMENT_AUTHOR", BOT_LOGIN),
            notify_url=env.get(NOTIFY_VAR, "").strip(),
            draft=env.get("ORGSYNC_DRAFT", "").strip(),
            ref_name=env.get("GITHUB_REF_NAME", ""),
            workspace=Path(env.get("GITHUB_WORKSPACE") or "."),
            base_ref=base_ref(env, event),
        )

    def key(self, kind: str) -> StickyKey:
        return StickyKey(kind, self.directory, self.tenant)

    @property
    def slug(self) -> str:
        """A file/artifact-safe name of the working directory and tenant."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.directory}-{self.tenant}").strip("-.") or "root"

    def api(self) -> GitHubApi:
        if not self.github_token or not self.repository:
            raise GitHubError(
                "no GITHUB_TOKEN or GITHUB_REPOSITORY: cannot comment",
                hint="pass `github-token: ${{ github.token }}`, or `comment: off`",
            )
        return GitHubApi(self.api_url, self.repository, self.github_token)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise GitHubError(f"{name}: expected on/off (or true/false), got {value!r}")


def cli_runner(directory_env: Mapping[str, str] | None = None) -> Runner:
    """Run `python -m orgsync ARGS` with this interpreter; its stderr is passed on to the job log."""

    def run(args: Sequence[str]) -> Run:
        # orgsync never gets ORGSYNC_NOTIFY_URL from here: the Action sends the run's one notification itself
        base = os.environ if directory_env is None else directory_env
        env = {k: v for k, v in base.items() if k != NOTIFY_VAR}
        done = subprocess.run(
            [sys.executable, "-m", "orgsync", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        sys.stderr.write(done.stderr)
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def write_outputs(inputs: Inputs, values: Mapping[str, str]) -> None:
    """Append step outputs in GitHub's `name<<DELIMITER` form (safe for any value)."""
    if inputs.output_file is None:
        return
    with inputs.output_file.open("a", encoding="utf-8") as out:
        for name, value in values.items():
            delimiter = f"ORGSYNC_{secrets.token_hex(8)}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def write_summary(inputs: Inputs, markdown: str, artifact: str = "") -> None:
    if inputs.summary_file is None:
        return
    if len(markdown) > SUMMARY_LIMIT:  # cut where it stays well-formed (an open code block is closed)
        where = f"is the artifact {escape.code(artifact)}" if artifact else "is what `orgsync plan` prints"
        cut = f"**… cut to fit the job summary ({{rest}} characters left out); the whole text {where}.**"
        [markdown] = fragments(markdown, SUMMARY_LIMIT, max_parts=1, overflow=cut)
    with inputs.summary_file.open("a", encoding="utf-8") as out:
        out.write(markdown + "\n")


def failure_markdown(title: str, run: Run) -> str:
    """A comment saying a step failed, with orgsync's own message (it never holds a token or sensitive value)."""
    text = run.stderr.strip() or run.stdout.strip() or "(no message)"
    return f"### {title} failed (exit {run.code})\n\n{escape.fence(text)}\n"


def _footer(inputs: Inputs) -> str:
    parts = [f"commit `{inputs.sha[:7]}`"] if inputs.sha else []  # hex from the runner, not from the PR
    if inputs.run_url:
        parts.append(f"[workflow run]({inputs.run_url})")
    return f"\n\n---\n_orgsync · {' · '.join(parts)}_\n" if parts else ""


def _pr_number(inputs: Inputs) -> int | None:
    pr = inputs.event.get("pull_request")
    if isinstance(pr, dict) and isinstance(pr.get("number"), int):
        return int(pr["number"])
    return None


def _root(inputs: Inputs) -> list[str]:
    return ["-C", inputs.directory]


def _allow(inputs: Inputs) -> list[str]:
    return ["--allow-destructive"] if inputs.allow_destructive else []


def _base(inputs: Inputs) -> list[str]:
    if not inputs.base_ref:
        return []
    ensure_commit(Path(inputs.directory), inputs.base_ref)
    return ["--base-ref", inputs.base_ref]


def run_plan_step(inputs: Inputs, orgsync: Runner) -> int:
    """validate + plan (markdown, saved), the sticky comment, outputs, summary; exits as the plan means."""
    plan_dir = inputs.temp_dir / f"orgsync-{inputs.slug}"
    plan_dir.mkdir(parents=True, exist_ok=True)
    plan_file = plan_dir / "plan.bin"
    checked = orgsync(["validate", *_root(inputs)])
    if checked.code != 0:
        return _failed(inputs, "orgsync validate", checked)
    planned = orgsync(
        [
            "plan",
            *_root(inputs),
            "--format",
            "markdown",
            "--detailed-exitcode",
            "--out",
            str(plan_file),
            *_allow(inputs),
            *_values(inputs),
            *_base(inputs),
        ]
    )
    if planned.code not in (ExitCode.OK, ExitCode.CHANGES, ExitCode.BLOCKED):
        return _failed(inputs, "orgsync plan", planned)
    if planned.code == ExitCode.BLOCKED:  # a blocked plan is not saved: ask for its JSON once more
        as_json = orgsync(["plan", *_root(inputs), "--format", "json", *_allow(inputs), *_base(inputs)])
    else:
        as_json = orgsync(["show", str(plan_file), "--format", "json"])
    try:
        summary = json.loads(as_json.stdout).get("summary", {})
    except ValueError:
        summary = {}
    report = html_report(inputs, orgsync, plan_file, blocked=planned.code == ExitCode.BLOCKED)
    markdown = planned.stdout + (_report_line(inputs) if report is not None else "")
    write_outputs(
        inputs,
        {
            "has-changes": _bool(planned.code != ExitCode.OK),
            "blocked": _bool(planned.code == 3),
            "summary": json.dumps(summary, sort_keys=True),
            "exit-code": str(planned.code),
            "plan-file": str(plan_file) if plan_file.exists() else "",
            "artifact-name": f"orgsync-plan-{inputs.slug}",
            "html-report": str(report) if report is not None else "",
            "report-artifact-name": f"orgsync-report-{inputs.slug}",
        },
    )
    _publish(inputs, "plan", markdown)
    return int(ExitCode.BLOCKED) if planned.code == ExitCode.BLOCKED else 0


def _values(inputs: Inputs) -> list[str]:
    return ["--show-values"] if inputs.show_values else []


def html_report(inputs: Inputs, orgsync: Runner, plan_file: Path, *, blocked: bool) -> Path | None:
    """The plan's HTML report beside the saved plan (from it, or planned again when blocked: not saved)."""
    if blocked or not plan_file.exists():
        args = ["plan", *_root(inputs), "--format", "html", *_allow(inputs), *_base(inputs), *_values(inputs)]
    else:
        args = ["show", str(plan_file), "--format", "html", *_values(inputs)]
    made = orgsync(args)
    if made.code not in (ExitCode.OK, ExitCode.CHANGES, ExitCode.BLOCKED) or not made.stdout:
        return None
    report = plan_file.parent / "plan-report.html"
    report.write_text(made.stdout, encoding="utf-8")
    return report


def _report_line(inputs: Inputs) -> str:
    """Where the HTML report is (the footer links the run; the slug is the runner's, made file-safe)."""
    return (
        f"\nThe full report (every move, span and change, searchable): the `orgsync-report-{inputs.slug}` "
        "artifact of this workflow run.\n"
    )


def run_apply_step(inputs: Inputs, orgsync: Runner) -> int:
    """A fresh plan applied under the same safety policy, the report commented on the merged PR."""
    report_file = inputs.temp_dir / f"orgsync-{inputs.slug}" / "apply-report.json"
    report_file.parent.mkdir(parents=True, exist_ok=True)
    log = runrecord.cli_log(inputs, "apply")
    applied = orgsync(
        ["apply", *_root(inputs), "--auto-approve", "--report", str(report_file), "--log-runs", str(log)]
        + _allow(inputs)
    )
    closed = (
        runrecord.close_approval(inputs, runrecord.APPROVED)
        if applied.code == 0 and inputs.allow_destructive
        else None
    )
    record = runrecord.cli_record(log, "apply", inputs, applied.code)
    write_outputs(inputs, runrecord.conclude(inputs, record, closed.url if closed else ""))
    markdown = report_markdown(report_file, applied)
    write_outputs(
        inputs,
        {
            "exit-code": str(applied.code),
            "report-file": str(report_file) if report_file.exists() else "",
            "artifact-name": f"orgsync-apply-{inputs.slug}",
        },
    )
    overflow = _keep_whole(inputs, "apply", markdown)
    if inputs.comment:
        number = merged_pr(inputs)
        if number is not None:
            with inputs.api() as api:
                body = markdown + _footer(inputs)
                upsert(api, number, inputs.key("apply"), body, author=inputs.author, overflow=overflow)
    return applied.code


def run_drift_step(inputs: Inputs, orgsync: Runner) -> int:
    """A plan with --detailed-exitcode; the drift issue opens/updates on changes and closes when clean."""
    log = runrecord.cli_log(inputs, "drift")
    planned = orgsync(
        [
            "plan",
            *_root(inputs),
            "--format",
            "markdown",
            "--detailed-exitcode",
            "--skip-feed",
            "--log-runs",
            str(log),
            "--list-limit",
            "0",  # the drift issue names no item
        ]
    )
    if planned.code not in (ExitCode.OK, ExitCode.CHANGES, ExitCode.BLOCKED):
        write_outputs(inputs, {"exit-code": str(planned.code), "drift": "false"})
        write_summary(inputs, failure_markdown("orgsync drift check", planned))
        write_outputs(
            inputs, runrecord.conclude(inputs, runrecord.cli_record(log, "drift", inputs, planned.code))
        )
        return planned.code
    drifted = planned.code != ExitCode.OK
    write_outputs(
        inputs,
        {
            "exit-code": str(planned.code),
            "drift": _bool(drifted),
            "has-changes": _bool(drifted),
            "blocked": _bool(planned.code == ExitCode.BLOCKED),
        },
    )
    write_summary(inputs, planned.stdout)
    record = dataclasses.replace(runrecord.cli_record(log, "drift", inputs, planned.code), exit_code=0)
    with runrecord.concluded(inputs, record):  # notified even when the issue call fails
        with inputs.api() as api:
            result = drift.sync_issue(
                api,
                inputs.key("drift"),
                drifted,
                planned.stdout,
                run_url=inputs.run_url,
                author=inputs.author,
            )
    print(
        f"orgsync drift: {result.action}" + (f" issue #{result.number}" if result.number else ""),
        file=sys.stderr,
    )
    write_outputs(inputs, runrecord.conclude(inputs, record, result.url))
    return 0


def report_markdown(report_file: Path, run: Run) -> str:
    """The apply report for a PR comment: outcome and steps, never an item key or value."""
    if not report_file.exists():
        return failure_markdown("orgsync apply", run)
    report = json.loads(report_file.read_text(encoding="utf-8"))
    outcome = {0: "Apply complete", 3: "Blocked by the safety policy", 4: "Partially applied"}.get(
        run.code, "Failed"
    )
    lines = [
        f"### orgsync apply: {outcome} (exit {run.code})",
        "",
        f"**{escape.markdown(str(report.get('target', '')))}**",
        "",
        "| step | items applied | status |",
        "|---|---:|---|",
    ]
    for step in report.get("steps", []):
        count = f"{step.get('applied', 0)}/{step.get('planned', 0)}" if step.get("planned") else ""
        step_id, status = escape.code(str(step.get("id", ""))), escape.markdown(str(step.get("status", "")))
        lines.append(f"| {step_id} | {escape.markdown(count)} | {status} |")
    failures = len(report.get("failures", []))
    if failures:
        lines += ["", f"{failures} item(s) not applied: see the `apply-report.json` artifact."]
    if run.code != 0 and run.stderr.strip():
        lines += ["", escape.fence(run.stderr.strip())]
    return "\n".join(lines) + "\n"


def merged_pr(inputs: Inputs) -> int | None:
    """The pull request this push merged, if GitHub knows one."""
    if not inputs.sha:
        return None
    with inputs.api() as api:
        pulls = api.pulls_of_commit(inputs.sha)
    merged = [p for p in pulls if p.get("merged_at")]
    exact = [p for p in merged if p.get("merge_commit_sha") == inputs.sha]
    chosen = exact or merged
    return int(chosen[0]["number"]) if chosen else None


def _keep_whole(inputs: Inputs, kind: str, markdown: str) -> str:
    """The job summary; a text too long for the comments is also saved whole (output `comment-file`, uploaded
    as the `…-comment` artifact). Returns the line a cut comment ends with, naming that artifact."""
    artifact = f"orgsync-{kind}-{inputs.slug}-comment"
    overflow = overflow_line(artifact) + _footer(inputs).rstrip("\n")  # the footer stays on a cut comment
    whole = fits(markdown + _footer(inputs), inputs.key(kind), overflow=overflow)
    if not whole:
        path = inputs.temp_dir / f"orgsync-{inputs.slug}" / f"{kind}-comment.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
        write_outputs(inputs, {"comment-file": str(path), "comment-artifact": artifact})
    write_summary(inputs, markdown, "" if whole else artifact)
    return overflow


def _publish(inputs: Inputs, kind: str, markdown: str) -> None:
    """The job summary and the sticky comment on the pull request (cut at `MAX_PARTS` comments)."""
    overflow = _keep_whole(inputs, kind, markdown)
    number = _pr_number(inputs)
    if not inputs.comment or number is None:
        return
    with inputs.api() as api:
        body = markdown + _footer(inputs)
        result = upsert(api, number, inputs.key(kind), body, author=inputs.author, overflow=overflow)
    done = "created" if result.created and not (result.updated or result.unchanged) else "updated"
    print(f"orgsync: {done} the {kind} comment on #{number}", file=sys.stderr)


def _failed(inputs: Inputs, title: str, run: Run) -> int:
    markdown = failure_markdown(title, run)
    write_outputs(
        inputs,
        {
            "has-changes": "false",
            "blocked": "false",
            "summary": "{}",
            "exit-code": str(run.code),
            "plan-file": "",
            "artifact-name": f"orgsync-plan-{inputs.slug}",
        },
    )
    _publish(inputs, "plan", markdown)
    return run.code or int(ExitCode.ERROR)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _draft_pull_step(inputs: Inputs, orgsync: Runner) -> int:
    """An Orgvue draft as a pull request (orgsync.github.draft_pr); its outputs and summary written here."""
    outcome = draft_pull(inputs, orgsync)
    write_outputs(inputs, outcome.outputs)
    failed = outcome.failed
    if failed is not None:
        write_summary(
            inputs, failure_markdown("orgsync draft pull", Run(failed.code, failed.stdout, failed.stderr))
        )
    elif outcome.summary:
        write_summary(inputs, outcome.summary)
    return outcome.code


STEPS: dict[str, Callable[[Inputs, Runner], int]] = {
    "plan": run_plan_step,
    "apply": run_apply_step,
    "drift": run_drift_step,
    "draft-pull": _draft_pull_step,
}  # `sync` is github/sync.py's (it builds on this module): orgsync.github.entry runs every step


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    orgsync: Runner | None = None,
    steps: Mapping[str, Callable[[Inputs, Runner], int]] = STEPS,
) -> int:
    """Run the step named by ORGSYNC_COMMAND (`orgsync.github.entry` passes every step); errors are one clear
    message."""
    env = os.environ if env is None else env
    try:
        inputs = Inputs.from_env(env)
        if inputs.command not in steps:
            raise GitHubError(f"input `command`: {inputs.command} runs from `python -m orgsync.github.entry`")
        return steps[inputs.command](inputs, orgsync or cli_runner())
    except OrgsyncError as err:
        print(f"Error: {err}", file=sys.stderr)
        return int(err.exit_code)


if __name__ == "__main__":
    sys.exit(main())
