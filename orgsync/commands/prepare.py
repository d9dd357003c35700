"""Get the plan to apply: made fresh now, or loaded from a file and proven still current.

A saved plan is applied only when the manifests and sources still have its checksum and every dataset it
read still has the fingerprint it recorded (and none it would create has appeared); otherwise a
StalePlanError stops apply before any write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orgsync.api.calllog import call_printer
from orgsync.api.client import OrgvueClient
from orgsync.api.http import CallListener
from orgsync.api.protocol import TenantReader
from orgsync.api.target import open_client
from orgsync.apply.executor import fingerprint_mismatch
from orgsync.commands.plan import load_manifests, load_validated, plan_with, sources_step
from orgsync.errors import StalePlanError
from orgsync.manifest.models import Project
from orgsync.plan.checksum import checksum_of
from orgsync.plan.model import Action, Plan, ResourcePlan
from orgsync.sources.readers import read_source, source_digests
from orgsync.sources.table import SourceTable

if TYPE_CHECKING:
    from orgsync.commands.apply import ApplyOptions

MAX_CONCURRENT_CHECKS = 4


@dataclass
class Prepared:
    """A plan ready to apply, with what it was made from and an open client of its tenant."""

    project: Project
    tables: dict[str, SourceTable]
    plan: Plan
    client: OrgvueClient
    render_text: Callable[[], str]


async def prepare_fresh(opts: ApplyOptions) -> Prepared:
    """Read the sources and the tenant side by side, and plan now (the executor re-checks each dataset later).

    The reads go through the client apply then writes with, so `--max-rps` holds for them too.
    """
    checked = load_manifests(opts.root)
    project = checked.project
    assert project is not None
    sources = sources_step(checked)
    client = open_client(project, max_rps=opts.max_rps, on_call=_on_call(opts))
    try:
        tables, _, plan = await plan_with(client, project, sources, opts.targets, opts.allow_destructive)
    except BaseException:
        await client.aclose()
        raise
    return Prepared(project, tables, plan, client, lambda: _render(plan))


async def prepare_saved(opts: ApplyOptions) -> Prepared:
    """Load a saved plan and prove it current: same inputs, same live fingerprints, no new duplicates.

    The inputs are proven the same by the checksum of the manifests and of each source file's bytes, without
    parsing or re-checking any source (the plan was made from exactly those, validated). Only the sources of
    datasets whose plan masks sensitive values are read, to put the values back.
    """
    from orgsync.plan.saved import load_saved, restore_sensitive

    assert opts.plan_file is not None
    checked = load_manifests(opts.root)
    project = checked.project
    assert project is not None
    plan = load_saved(opts.plan_file)
    digests = source_digests(project)
    if digests is None:  # a database source, or a source missing or unreadable: full validation reads it
        project, tables = load_validated(opts.root)
        digests = {name: table.sha256 for name, table in tables.items()}
    if plan.source_checksum != checksum_of(project, digests):
        raise _stale_inputs(opts)
    tables = _sensitive_sources(project, plan)
    if any(digests.get(name) != table.sha256 for name, table in tables.items()):
        raise _stale_inputs(opts)  # a source changed between its digest and its read
    plan = restore_sensitive(plan, tables)
    if opts.allow_destructive:
        plan = plan.model_copy(update={"forced": True})
    client = open_client(project, max_rps=opts.max_rps, on_call=_on_call(opts))
    try:
        await check_live(client, plan)
    except BaseException:
        await client.aclose()
        raise
    return Prepared(project, tables, plan, client, lambda: _render(plan))


def _stale_inputs(opts: ApplyOptions) -> StalePlanError:
    return StalePlanError(
        f"the saved plan {opts.plan_file} is stale: orgsync.yaml, a manifest or a source file "
        "changed since it was made, or a database or a source that depends on the date it runs now "
        "returns other rows; nothing was written",
        hint="run `orgsync plan --out FILE` again and review it",
    )


def _sensitive_sources(project: Project, plan: Plan) -> dict[str, SourceTable]:
    """The source tables of the datasets whose saved changes mask sensitive values (read without re-checking)."""
    names = {
        res.name
        for res in plan.resources
        if res.items is not None and any(c in res.items.sensitive for c in res.items.columns)
    }
    return {
        m.name: read_source(m, project) for m in project.manifests if m.name in names and m.items is not None
    }


async def check_live(client: TenantReader, plan: Plan) -> None:
    """Every dataset the plan read is unchanged, and no dataset it creates exists yet (stale otherwise)."""
    gate = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)
    listed = await client.list_datasets()

    async def check(res: ResourcePlan) -> str | None:
        if res.action == Action.CREATE:
            if any(d.get("name") == res.name for d in listed):
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


def _on_call(opts: ApplyOptions) -> CallListener | None:
    """`--verbose`: each API call's line on stderr (the plan and summary go to stdout)."""
    return call_printer() if opts.verbose else None


def _render(plan: Plan) -> str:
    from orgsync.plan.render.text import render

    return render(plan)
