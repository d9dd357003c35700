"""`orgsync plan`: validate while reading the tenant, build the plan, render it, save it, exit.

The reading and planning steps here (`load_manifests`, `sources_step`, `plan_with`) are `orgsync apply`'s too.

Exit codes: 0 no changes (or changes without --detailed-exitcode), 2 changes with --detailed-exitcode,
3 blocked by the safety policy, 1 errors (raised as `OrgsyncError`, printed by the CLI without a traceback).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from orgsync.api.calllog import call_printer
from orgsync.api.client import OrgvueClient
from orgsync.api.http import CallListener, CallRecord
from orgsync.api.target import is_local, open_client
from orgsync.errors import ConfigError, ExitCode
from orgsync.escape import terminal
from orgsync.manifest.models import Project
from orgsync.plan.builder import build_plan, select_targets
from orgsync.plan.model import Plan
from orgsync.plan.render import render
from orgsync.plan.saved import save
from orgsync.sources.table import SourceTable
from orgsync.state.reader import fetch_live, parse_live
from orgsync.state.snapshot import LiveState
from orgsync.validate import Validation, validate_manifests, validate_project, validate_sources


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


def load_validated(
    root: Path, env: Mapping[str, str] | None = None, *, warn: TextIO | None = None
) -> tuple[Project, dict[str, SourceTable]]:
    """The project and its source tables; any validation error stops here, before the tenant is contacted.

    Validation warnings go to `warn` (stderr by default).
    """
    return accepted(validate_project(Path(root), env), warn=warn)


def load_manifests(root: Path, env: Mapping[str, str] | None = None) -> Validation:
    """The project with its manifests checked, no source read yet (`validate_sources` finishes the job).

    A manifest error stops here, before the tenant is contacted, with every offline problem (the sources' too).
    """
    checked = validate_manifests(Path(root), env)
    if not checked.ok:
        accepted(validate_sources(checked))  # raises, listing the sources' problems as well
    return checked


def accepted(validation: Validation, *, warn: TextIO | None = None) -> tuple[Project, dict[str, SourceTable]]:
    """The project and tables of a complete validation; raises ConfigError when any problem is an error."""
    if not validation.ok or validation.project is None:
        raise ConfigError(
            validation.errors,
            hint="fix these, then run `orgsync plan` again "
            "(`orgsync validate` checks without contacting the tenant)",
        )
    for problem in validation.warnings:
        print(terminal(f"warning: {problem}"), file=warn or sys.stderr)
    return validation.project, validation.tables


SourcesStep = Callable[[], Mapping[str, SourceTable]]


def sources_step(checked: Validation, *, warn: TextIO | None = None) -> SourcesStep:
    """The reading and checking of the sources, for `plan_with` to run beside the live read.

    For the `local` target it runs now instead: that tenant lives in this process (no network to wait for),
    and opening it creates `.orgsync/`, which a repository with errors must not get.
    """

    def step() -> Mapping[str, SourceTable]:
        return accepted(validate_sources(checked), warn=warn)[1]

    if checked.project is not None and is_local(checked.project):
        tables = step()
        return lambda: tables
    return step


async def plan_with(
    client: OrgvueClient,
    project: Project,
    sources: SourcesStep,
    targets: Sequence[str] = (),
    force: bool = False,
) -> tuple[dict[str, SourceTable], LiveState, Plan]:
    """Read the tenant once through `client` while `sources` runs (in a thread), then build the plan.

    Only the targeted datasets' items are read. When `sources` raises (errors in the repository), the live
    read is cancelled and its error is raised: nothing has been written. The live items' values are spooled
    while the plan is built and removed with the spool: in the `LiveState` returned, the datasets and each
    items' index stay valid, its `LiveValues` can no longer be read.
    """
    selected = select_targets(project, targets)
    # The exports and the live values go to a private temporary directory (0700) while the plan is built, so a
    # tenant of millions of items is never held whole in memory; it is removed whatever happens.
    with tempfile.TemporaryDirectory(prefix="orgsync-live-") as spool:
        fetch = asyncio.create_task(fetch_live(client, project, selected, client.target_label, Path(spool)))
        try:
            tables = dict(await asyncio.to_thread(sources))
        except BaseException:
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            raise
        wanted = {name: t for name, t in tables.items() if name in selected}
        raw = await fetch
        live = await asyncio.to_thread(parse_live, raw, wanted, Path(spool))
        return tables, live, build_plan(project, wanted, live, targets=targets, force=force)


async def make_plan(
    root: Path,
    targets: Sequence[str] = (),
    force: bool = False,
    env: Mapping[str, str] | None = None,
    *,
    warn: TextIO | None = None,
    on_call: CallListener | None = None,
) -> tuple[Project, dict[str, SourceTable], LiveState, Plan]:
    """Validate the repository (refusing on errors) while reading the tenant once, and build the plan.

    `on_call` is told of each API call as it completes (`--verbose`)."""
    checked = load_manifests(Path(root), env)
    assert checked.project is not None
    sources = sources_step(checked, warn=warn)
    async with open_client(checked.project, env, on_call=on_call) as client:
        tables, live, plan = await plan_with(client, checked.project, sources, targets, force)
    return checked.project, tables, live, plan


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


def run_plan(
    opts: PlanOptions,
    env: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`orgsync plan`: print the plan, save it with --out (not when blocked), return the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    on_call = call_printer(stderr) if opts.verbose else None
    reads = counting(on_call)
    project, _, _, plan = asyncio.run(
        make_plan(opts.root, opts.targets, opts.allow_destructive, env, warn=stderr, on_call=reads)
    )
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

        print(estimate_requests(order_plan(plan, project)).line(reads.count), file=stderr)
    if opts.out is not None:
        if plan.blocked:
            print(f"The plan was not saved to {opts.out}: it is blocked by the safety policy.", file=stderr)
        else:
            save(plan, opts.out)
            at = "" if Path(opts.root) == Path(".") else f" -C {opts.root}"  # the file stays relative to here
            print(
                f"Saved the plan to {opts.out}; run `orgsync{at} apply {opts.out}` to carry it out.",
                file=stderr,
            )
    return int(exit_code(plan, opts.detailed_exitcode))
