"""`orgsync apply`: get a plan (fresh, or saved and proven current), confirm it, execute it, report.

Exit codes: 0 all applied (or nothing to do); 1 error before anything was written (bad input, stale plan,
refused confirmation); 3 blocked by the safety policy; 4 partially applied (the summary lists what was and
was not applied; a new plan shows exactly what remains). SIGTERM or SIGINT while the steps run stops the
run gracefully (see interrupt.py): the summary and report are still written, and the code is 4, or 1 when
nothing was written yet.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from orgsync.api.calllog import call_printer
from orgsync.apply.batching import BatchLimits
from orgsync.apply.estimate import clamp_parallelism, clamp_rps_notice, estimate_requests
from orgsync.apply.executor import ExecOptions, Executor
from orgsync.apply.interrupt import stop_on_signals
from orgsync.apply.lock import apply_lock
from orgsync.apply.order import order_plan
from orgsync.apply.progress import RichProgress
from orgsync.apply.report import ApplyReport, StepStatus, check_report_path
from orgsync.commands.pipeline import Prepared, fresh_plan, saved_plan
from orgsync.errors import ConfigError, ConfirmationRefused, ExitCode, ReportWriteError, SafetyBlockedError
from orgsync.escape import terminal_lines
from orgsync.notify import NOTIFY_VAR
from orgsync.recording import note_plan, note_report, note_requests, recorded


@dataclass
class ApplyOptions:
    """Exactly what `orgsync apply` passes (see orgsync/cli.py)."""

    root: Path = Path(".")
    plan_file: Path | None = None
    auto_approve: bool = False
    allow_destructive: bool = False
    targets: list[str] = field(default_factory=list)
    parallelism: int = 4
    max_rps: float | None = None
    report: Path | None = None
    verbose: bool = False  # one stderr line per API call (calllog.format_call)
    log_runs: Path | None = None  # append the run's record (runlog.py)
    notify: bool = True  # POST the run's record to ORGSYNC_NOTIFY_URL when it is set (notify.py)


def run_apply(
    opts: ApplyOptions,
    *,
    limits: BatchLimits | None = None,
    console: Console | None = None,
    stdin_is_tty: bool | None = None,
) -> int:
    """Carry out the plan; returns the exit code. `limits` lets tests and benchmarks pick batch thresholds."""
    out = console or Console(stderr=False, highlight=False)
    if opts.plan_file and opts.targets:
        raise ConfigError(
            "--target cannot be combined with a saved plan: the plan already holds only what it "
            "was made for; nothing was written",
            hint="make the plan with `orgsync plan --target NAME --out FILE` instead",
        )
    if opts.report:
        check_report_path(opts.report)
    interactive = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
    if not opts.auto_approve and not interactive:
        raise ConfirmationRefused(
            "refusing to apply: no terminal to confirm on and --auto-approve not given; nothing was written",
            hint="review `orgsync plan`, then run `orgsync apply --auto-approve` (CI)",
        )
    with apply_lock(opts.root):  # before the plan is read: two applies must not both plan the same create
        run = lambda: asyncio.run(_apply(opts, limits or BatchLimits(), out))  # noqa: E731
        return recorded("apply", opts.log_runs, run, notify=opts.notify and bool(os.environ.get(NOTIFY_VAR)))


async def _apply(opts: ApplyOptions, limits: BatchLimits, out: Console) -> int:
    prepared = await _prepare(opts)
    async with prepared.client as client:
        _say(out, prepared.client.target_label)
        plan = prepared.plan
        note_plan(plan, client.stats.requests)
        if plan.blocked and not opts.allow_destructive:
            reasons = [f"{r.address}: {b}" for r in plan.resources for b in r.blocked]
            raise SafetyBlockedError(
                "the safety policy blocks this plan; nothing was written:\n  " + "\n  ".join(reasons),
                hint="rerun with --allow-destructive once these changes are intended",
            )
        if not plan.has_changes:
            _say(out, "No changes. The tenant matches the manifests and sources.")
            return int(ExitCode.OK)
        # The plan is printed in CI too (as Terraform does), so the log shows what was about to change; its
        # Target line was printed above, first, whatever happens next.
        _say(out, without_target(prepared.render_text(), client.target_label))
        steps = order_plan(plan, prepared.project)
        estimate = estimate_requests(steps, limits)
        _say(out, estimate.line(client.stats.requests))
        parallelism, lowered = clamp_parallelism(opts.parallelism)
        for notice in (lowered, clamp_rps_notice(opts.max_rps)):
            if notice:
                _say(out, notice)
        if not opts.auto_approve:
            _confirm(out)
        report = ApplyReport(
            target=plan.target,
            tenant=plan.tenant,
            plan_source=str(opts.plan_file) if opts.plan_file else "fresh",
            started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            estimated_requests=estimate.requests,
        )
        options = ExecOptions(parallelism=parallelism, limits=limits)
        try:
            with RichProgress(out) as progress:
                executor = Executor(client, steps, report, options, progress)
                with stop_on_signals(executor):
                    await executor.run()
        finally:
            note_requests(client.stats.requests)
            note_report(report)
            _finish(report, opts, out)
        return int(report.exit_code)


async def _prepare(opts: ApplyOptions) -> Prepared:
    """The plan to apply: the saved one proven current, or one made now (the executor re-checks each dataset
    later). `--verbose`: each API call's line on stderr (the plan and summary go to stdout)."""
    on_call = call_printer() if opts.verbose else None
    if opts.plan_file:
        return await saved_plan(
            opts.root, opts.plan_file, opts.allow_destructive, on_call=on_call, max_rps=opts.max_rps
        )
    return await fresh_plan(
        opts.root, opts.targets, opts.allow_destructive, on_call=on_call, max_rps=opts.max_rps
    )


def without_target(rendered: str, target: str) -> str:
    """A rendered plan without its first line when that is the `target` line already printed."""
    first, newline, rest = rendered.partition("\n")
    return rest if newline and first == target else rendered


def _say(out: Console, text: str) -> None:
    """Print as is: names, keys and API messages are not rich markup (a `[/]` in one must not raise), and a CI
    log gets whole lines, as `orgsync plan` prints them, not lines folded at rich's default 80 columns."""
    out.print(terminal_lines(text), markup=False, highlight=False, soft_wrap=True)


def _confirm(out: Console) -> None:
    """Require the word `yes` after the plan was shown."""
    _say(out, "\nDo you want to perform these actions? Only 'yes' will be accepted.")
    try:
        answer = input("  Enter a value: ").strip()
    except EOFError:  # stdin closed (Ctrl-D, or a terminal with nothing to read): no answer is no
        answer = ""
    if answer != "yes":
        raise ConfirmationRefused("apply cancelled; nothing was written")


def _finish(report: ApplyReport, opts: ApplyOptions, out: Console) -> None:
    """Summary on the terminal and the JSON record, whatever happened."""
    code = report.exit_code
    headline = {
        ExitCode.OK: "Apply complete.",
        ExitCode.PARTIAL: "Apply partially applied: some changes were written, others were not.",
        ExitCode.ERROR: "Apply failed: nothing was written.",
    }[code]
    if report.stopped and code != ExitCode.OK:
        headline = f"Apply {report.stopped}: " + headline.split(": ", 1)[1]
    applied = sum(s.applied for s in report.steps)
    # Items of steps that never ran were not applied either (their `failed` stays 0: nothing was tried).
    failed = sum(
        s.failed if s.status not in (StepStatus.PENDING, StepStatus.SKIPPED) else s.planned
        for s in report.steps
    )
    _say(
        out,
        f"{headline} {applied} item changes applied, {failed} not applied, "
        f"{len(report.calls)} write calls in {report.seconds:.2f} s.",
    )
    if code != ExitCode.OK or report.failures:
        for line in report.summary():
            _say(out, line)
        if code == ExitCode.PARTIAL:
            _say(
                out,
                "Run `orgsync plan` to see exactly what remains, then apply again."
                if report.stopped
                else "Run `orgsync plan` to see exactly what remains; fix the causes above and apply again.",
            )
    if opts.report:
        try:
            report.write(opts.report)
        except ReportWriteError as err:
            # The exit code still says what happened to the tenant; losing the record must not hide that.
            print(terminal_lines(f"Error: {err}"), file=sys.stderr)
