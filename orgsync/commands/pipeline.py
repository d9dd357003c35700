"""The one pipeline `orgsync plan` and `orgsync apply` run: validate while reading the tenant, then plan.

Plain arguments in; out comes a `Prepared` plan with the open client of its tenant: planned now (`fresh_plan`),
or loaded from a file and proven current (`saved_plan`: the manifests and sources still have its checksum, every
dataset it read still has the fingerprint it recorded, none it would create has appeared; otherwise a
StalePlanError stops apply before any write). The steps (`load_manifests`, `sources_step`, `plan_with`) are
public for tests and benchmarks that drive a client of their own.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from orgsync.api.client import OrgvueClient
from orgsync.api.http import CallListener
from orgsync.api.pin import check_environment_pins
from orgsync.api.protocol import TenantReader
from orgsync.api.target import is_local, open_client
from orgsync.apply.executor import fingerprint_mismatch
from orgsync.errors import ConfigError, StalePlanError
from orgsync.escape import terminal
from orgsync.manifest.base import BaseChoice, floor, load_base
from orgsync.manifest.loader import CONFIG_FILE
from orgsync.manifest.models import Project
from orgsync.plan.based import over_base
from orgsync.plan.builder import build_plan, select_targets
from orgsync.plan.checksum import SOURCE_CHANGE, changed_inputs, checksum_of, input_digests
from orgsync.plan.model import Action, Plan, ResourcePlan
from orgsync.plan.permits import within_manifests
from orgsync.plan.signing import plan_key
from orgsync.sources.readers import read_source, source_digests
from orgsync.sources.table import SourceTable
from orgsync.state.reader import fetch_live, parse_live
from orgsync.state.snapshot import LiveState
from orgsync.validate import Validation, validate_manifests, validate_sources

MAX_CONCURRENT_CHECKS = 4

SourcesStep = Callable[[], Mapping[str, SourceTable]]


@dataclass(frozen=True)
class Prepared:
    """A plan ready to show or apply, with what it was made from and an open client of its tenant (the caller
    closes it)."""

    project: Project
    tables: dict[str, SourceTable]
    plan: Plan
    client: OrgvueClient

    def render_text(self) -> str:
        from orgsync.plan.render.text import render

        return render(self.plan)


async def fresh_plan(
    root: Path,
    targets: Sequence[str] = (),
    force: bool = False,
    env: Mapping[str, str] | None = None,
    *,
    warn: TextIO | None = None,
    on_call: CallListener | None = None,
    max_rps: float | None = None,
    base: BaseChoice | None = None,
) -> Prepared:
    """Validate the repository (refusing on errors) while reading the tenant once, and build the plan.

    The reads go through the client returned, so apply's writes share its `--max-rps` budget; `on_call` is told
    of each API call as it completes (`--verbose`). Validation warnings go to `warn` (stderr by default). With
    `base` (`plan --base`/`--base-ref`) the base's protections are a floor (`manifest.base`), and the plan says
    first what the pull request loosens.
    """
    checked = load_manifests(Path(root), env)
    own = checked.project
    assert own is not None
    floored = floor(own, load_base(Path(root), base, env) if base else None)
    project = floored.project
    checked = replace(checked, project=project)  # the sources are checked with the floor (sensitive) too
    sources = sources_step(checked, warn=warn)
    client = open_client(project, env, max_rps=max_rps, on_call=on_call)
    try:
        tables, _, plan = await plan_with(client, project, sources, targets, force)
    except BaseException:
        await client.aclose()
        raise
    if base:
        plan = over_base(plan, own, tables, targets, floored.loosened)
    return Prepared(project, tables, plan, client)


async def saved_plan(
    root: Path,
    plan_file: Path,
    force: bool = False,
    env: Mapping[str, str] | None = None,
    *,
    on_call: CallListener | None = None,
    max_rps: float | None = None,
) -> Prepared:
    """Load a saved plan and prove it current: same inputs, same live fingerprints, no new duplicates.

    The manifests are loaded and checked once. The inputs are proven the same by the checksum of the manifests
    and of each source file's bytes, without parsing or re-checking any source (the plan was made from exactly
    those, validated); only the sources of datasets whose plan masks sensitive values are read, to put the values
    back. When a source cannot be digested unread (a database, a missing file), every source is read and checked
    once, and those tables serve for both.
    """
    from orgsync.plan.saved import load_saved, restore_sensitive

    checked = load_manifests(Path(root), env)
    project = checked.project
    assert project is not None
    plan = load_saved(plan_file, plan_key(os.environ if env is None else env))
    digests, tables = _saved_inputs(checked, _masked(plan), env)
    if plan.source_checksum != checksum_of(project, digests):
        raise _stale_inputs(plan_file, changed_inputs(plan.input_digests, input_digests(project, digests)))
    moved = [name for name, table in tables.items() if digests.get(name) != table.sha256]
    if moved:  # a source changed between its digest and its read
        raise _stale_inputs(plan_file, [f"the source of {name} changed {SOURCE_CHANGE}" for name in moved])
    plan = restore_sensitive(plan, tables)
    # The file says what to do; the manifests say what may be done (modes, observe, thresholds), as now.
    plan = within_manifests(plan, project, forced=force, source=plan_file)
    client = open_client(project, env, max_rps=max_rps, on_call=on_call)
    try:
        await check_live(client, plan)
    except BaseException:
        await client.aclose()
        raise
    return Prepared(project, tables, plan, client)


def load_manifests(root: Path, env: Mapping[str, str] | None = None) -> Validation:
    """The project with its manifests checked, no source read yet (`validate_sources` finishes the job).

    A manifest error stops here, before the tenant is contacted, with every offline problem (the sources' too).
    """
    checked = validate_manifests(Path(root), env)
    if checked.project is not None:  # the environment's pins first: before any source or tenant is opened
        check_environment_pins(
            checked.project.config.tenant, checked.project.config.endpoint, CONFIG_FILE, env
        )
    if not checked.ok:
        accepted(validate_sources(checked))  # raises, listing the sources' problems as well
    return checked


def accepted(validation: Validation, *, warn: TextIO | None = None) -> tuple[Project, dict[str, SourceTable]]:
    """The project and tables of a complete validation; raises ConfigError when any problem is an error.

    Validation warnings go to `warn` (stderr by default)."""
    if not validation.ok or validation.project is None:
        raise ConfigError(
            validation.errors,
            hint="fix these, then run `orgsync plan` again "
            "(`orgsync validate` checks without contacting the tenant)",
        )
    for problem in validation.warnings:
        print(terminal(f"warning: {problem}"), file=warn or sys.stderr)
    return validation.project, validation.tables


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
    selected = select_targets(project, targets)  # once: the plan is built for this same selection
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
        return tables, live, build_plan(project, wanted, live, targets=selected, force=force)


async def check_live(client: TenantReader, plan: Plan) -> None:
    """Every dataset the plan read is unchanged, and no dataset it creates exists yet (stale otherwise)."""
    gate = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)
    listed = await client.list_datasets()

    async def check(res: ResourcePlan) -> str | None:
        if res.action == Action.CREATE:
            if any(d.name == res.name for d in listed):
                return f"{res.address} is planned as a create but a dataset of that name now exists"
            return None
        if res.fingerprint is None:
            return None
        async with gate:
            live = await client.get_dataset(res.fingerprint.dataset_id)
        return fingerprint_mismatch(res, live)

    problems = [p for p in await asyncio.gather(*(check(r) for r in plan.resources)) if p]
    if problems:
        raise StalePlanError(
            "the saved plan is stale; nothing was written:\n  " + "\n  ".join(problems),
            hint="run `orgsync plan --out FILE` again and review it",
        )


def _masked(plan: Plan) -> set[str]:
    """The datasets whose saved changes mask sensitive values (their sources put the values back)."""
    return {
        res.name
        for res in plan.resources
        if res.items is not None and any(c in res.items.sensitive for c in res.items.columns)
    }


def _saved_inputs(
    checked: Validation, masked: set[str], env: Mapping[str, str] | None
) -> tuple[dict[str, str], dict[str, SourceTable]]:
    """The sha256 of every source, by manifest name, and the tables of the `masked` datasets, each source read
    at most once: from the files' bytes when they can be digested unread (only the masked ones are parsed, without
    re-checking), else from one full validation (a database source, or a source missing or unreadable)."""
    project = checked.project
    assert project is not None
    digests = source_digests(project)
    if digests is None:
        tables = accepted(validate_sources(checked))[1]
        return {n: t.sha256 for n, t in tables.items()}, {n: t for n, t in tables.items() if n in masked}
    return digests, {
        m.name: read_source(m, project, env)
        for m in project.manifests
        if m.name in masked and m.items is not None
    }


def _stale_inputs(plan_file: Path, changed: Sequence[str] = ()) -> StalePlanError:
    """What changed when the plan names it (`plan.checksum.changed_inputs`), else every possible cause."""
    what = (
        "; ".join(changed)
        or "orgsync.yaml, a manifest or a source file changed, or a database or a source that depends on "
        "the date it runs now returns other rows"
    )
    return StalePlanError(
        f"the saved plan {plan_file} is stale: {what} since it was made; nothing was written",
        hint="run `orgsync plan --out FILE` again and review it",
    )
