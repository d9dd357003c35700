"""`orgsync plan`: run the pipeline (`commands.pipeline.fresh_plan`), render the plan, save it, exit.

Exit codes: 0 no changes (or changes without --detailed-exitcode), 2 changes with --detailed-exitcode,
3 blocked by the safety policy, 1 errors (raised as `OrgsyncError`, printed by the CLI without a traceback).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from orgsync.api.calllog import call_printer
from orgsync.api.http import CallListener, CallRecord
from orgsync.commands.pipeline import Prepared, fresh_plan
from orgsync.errors import ConfigError, ExitCode
from orgsync.manifest.base import BaseChoice
from orgsync.plan.feed import without_feed
from orgsync.plan.model import Plan
from orgsync.plan.render import render
from orgsync.plan.saved import save
from orgsync.plan.signing import plan_key
from orgsync.recording import note_plan, recorded
from orgsync.sources.feed import feed_datasets


@dataclass
class PlanOptions:
    """The options of `orgsync plan`, exactly as the CLI passes them."""

    root: Path = Path(".")
    fmt: str = "text"
    out: Path | None = None
    targets: list[str] = field(default_factory=list)
    detailed_exitcode: bool = False
    allow_destructive: bool = False
    show_all: bool = False
    show_values: bool = False
    list_limit: int = 20  # rows per reviewer's list (plan.render.people.DEFAULT_LIST_LIMIT)
    verbose: bool = False  # one stderr line per API call (calllog.format_call)
    skip_feed: bool = False  # leave out the item changes of datasets fed from outside git (drift)
    log_runs: Path | None = None  # append the run's record (runlog.py)
    notify: bool = False  # POST the run's record to ORGSYNC_NOTIFY_URL (notify.py)
    base: BaseChoice = field(default_factory=BaseChoice)  # --base DIR / --base-ref REF (manifest.base)


class counting:  # noqa: N801 - used as a function
    """A call listener that counts the calls (the plan's reads) and passes each on to `inner`."""

    def __init__(self, inner: CallListener | None) -> None:
        self.inner = inner
        self.count = 0

    def __call__(self, record: CallRecord) -> None:
        self.count += 1
        if self.inner is not None:
            self.inner(record)


def use_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    env = os.environ if env is None else env
    return stream.isatty() and not env.get("NO_COLOR")


def exit_code(plan: Plan, detailed: bool) -> ExitCode:
    if plan.blocked:
        return ExitCode.BLOCKED
    return ExitCode.CHANGES if detailed and plan.has_changes else ExitCode.OK


async def _plan(
    opts: PlanOptions, env: Mapping[str, str] | None, warn: TextIO, on_call: CallListener
) -> Prepared:
    """The plan made fresh; its client is closed (plan only reads)."""
    prepared = await fresh_plan(
        opts.root, opts.targets, opts.allow_destructive, env, warn=warn, on_call=on_call, base=opts.base
    )
    await prepared.client.aclose()
    return prepared


def run_plan(
    opts: PlanOptions,
    env: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`orgsync plan`: print the plan, save it with --out (not when blocked), return the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    command = "drift" if opts.skip_feed else "plan"
    return recorded(
        command,
        opts.log_runs,
        lambda: _run(opts, env, stdout, stderr),
        notify=opts.notify,
        env=env,
        stderr=stderr,
    )


def _run(opts: PlanOptions, env: Mapping[str, str] | None, stdout: TextIO, stderr: TextIO) -> int:
    if opts.skip_feed and opts.out is not None:
        raise ConfigError(
            "--skip-feed cannot be combined with --out: a plan without the feed must never be applied",
            hint="use --skip-feed for drift reports; save plans without it",
        )
    on_call = call_printer(stderr) if opts.verbose else None
    reads = counting(on_call)
    prepared = asyncio.run(_plan(opts, env, stderr, reads))
    plan = prepared.plan
    if opts.skip_feed:
        plan = without_feed(plan, feed_datasets(prepared.project))
    note_plan(plan, reads.count)
    stdout.write(
        render(
            plan,
            opts.fmt,
            show_all=opts.show_all,
            show_values=opts.show_values,
            color=opts.fmt == "text" and use_color(stdout, env),
            list_limit=opts.list_limit,
        )
    )
    stdout.flush()
    if plan.has_changes:  # so a user can see the apply fits the tenant's daily quota
        from orgsync.apply.estimate import estimate_requests
        from orgsync.apply.order import order_plan

        print(estimate_requests(order_plan(plan, prepared.project)).line(reads.count), file=stderr)
    if opts.out is not None:
        if plan.blocked:
            print(f"The plan was not saved to {opts.out}: it is blocked by the safety policy.", file=stderr)
        else:
            save(plan, opts.out, plan_key(os.environ if env is None else env))
            at = "" if Path(opts.root) == Path(".") else f" -C {opts.root}"  # the file stays relative to here
            print(
                f"Saved the plan to {opts.out}; run `orgsync{at} apply {opts.out}` to carry it out.",
                file=stderr,
            )
    return int(exit_code(plan, opts.detailed_exitcode))
