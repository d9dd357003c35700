"""`orgsync draft list|pull|clear`: Orgvue's modelling loop closed through the repository.

list: the drafts of the managed datasets; pull: a draft's edits (`POST /drafts/actions`) written into the source
files (or a change file); clear: once apply made them live, the edits the tenant now holds are cleared from the
draft (`/drafts/clear` with a filter), the others listed and left.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from orgsync.api import endpoints as ep
from orgsync.api.answers import Dataset
from orgsync.api.client import OrgvueClient
from orgsync.api.target import open_client
from orgsync.commands.pipeline import accepted, load_manifests
from orgsync.errors import ConfirmationRefused, DraftError
from orgsync.escape import terminal
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.manifest.paths import shown
from orgsync.sources.canonical import canonical_frame
from orgsync.sources.draft_edits import (
    ID,
    Finding,
    LiveRows,
    action_value,
    draft_edits,
    live_rows,
)
from orgsync.sources.draft_writer import change_file, slug, target_of, write_sources
from orgsync.state.live_link_ends import live_link_ends
from orgsync.state.matching import match_manifest
from orgsync.state.snapshot import LiveDataset
from orgsync.validate import validate_project, validate_sources

Manifest = DatasetManifest | LinksDatasetManifest
MAX_LISTED = 50


@dataclass
class DraftOptions:
    """What `orgsync draft …` passes (see orgsync/cli.py)."""

    root: Path = Path(".")
    name: str | None = None
    dataset: str | None = None
    fmt: str = "text"
    include_sensitive: bool = False
    all: bool = False
    yes: bool = False
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Found:
    """A draft of a managed dataset: the draft object, its layers and the manifest of its dataset."""

    draft: dict[str, Any]
    layers: list[dict[str, str]]
    manifest: Manifest
    dataset_id: str

    @property
    def name(self) -> str:
        return str(self.draft.get(ep.F_NAME, ""))


@dataclass
class PullResult:
    """What `draft pull` did, as `--format json` prints it (keys and property names, never a value)."""

    draft: str
    dataset: str
    counts: dict[str, int]
    written: list[str] = field(default_factory=list)
    change_file: str | None = None
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "draft": self.draft,
            "slug": slug(self.draft),
            "dataset": self.dataset,
            "edits": self.counts,
            "written": self.written,
            "changeFile": self.change_file,
            "changeFileReason": self.reason,
            "notPulled": [
                {"key": f.key, "property": f.property, "reason": f.reason, "detail": f.detail}
                for f in self.findings
            ],
        }


# --- list -------------------------------------------------------------------------------------------------


def run_draft_list(opts: DraftOptions, *, stdout: TextIO | None = None) -> int:
    """`orgsync draft list [--dataset NAME]`: name, dataset, created by, number of edits."""
    out = stdout or sys.stdout
    project = _project(opts.root, opts.env)
    label, rows = asyncio.run(_list(project, opts))
    if opts.fmt == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return 0
    out.write(terminal(label) + "\n")
    if not rows:
        out.write("No drafts on the managed datasets.\n")
        return 0
    table = [_HEADINGS, *({k: terminal(str(r[k])) for k in _HEADINGS} for r in rows)]
    widths = [max(len(r[k]) for r in table) for k in _HEADINGS]
    for row in table:
        out.write("  ".join(row[k].ljust(w) for k, w in zip(_HEADINGS, widths, strict=True)).rstrip() + "\n")
    return 0


_HEADINGS = {"name": "DRAFT", "dataset": "DATASET", "createdBy": "CREATED BY", "edits": "EDITS"}


async def _list(project: Project, opts: DraftOptions) -> tuple[str, list[dict[str, Any]]]:
    async with open_client(project, opts.env) as client:
        managed = await _managed(client, project)
        if opts.dataset and not any(m.name == opts.dataset for m, _ in managed):
            raise DraftError(
                f"no managed dataset called {opts.dataset!r} in the tenant; managed: "
                + (", ".join(repr(m.name) for m, _ in managed) or "none")
            )
        rows: list[dict[str, Any]] = []
        for manifest, resource in managed:
            if opts.dataset and manifest.name != opts.dataset:
                continue
            for entry in resource.drafts or []:
                draft = await client.get_draft(str(entry.get(ep.F_DRAFT_ID)))
                actions = await client.draft_actions(ep.draft_layers(draft), draft)
                rows.append(
                    {
                        "name": str(draft.get(ep.F_NAME, entry.get(ep.F_NAME, ""))),
                        "dataset": manifest.name,
                        "createdBy": str(draft.get(ep.F_CREATED_BY, "")),
                        "edits": len(actions),
                    }
                )
        return client.target_label, rows


# --- pull -------------------------------------------------------------------------------------------------


def run_draft_pull(opts: DraftOptions, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`orgsync draft pull NAME`: the draft's edits into the source files, or a change file."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    project, tables = accepted(validate_sources(load_manifests(opts.root, opts.env)), warn=err)
    result = asyncio.run(_pull(project, tables, opts, err))
    if opts.fmt == "json":
        out.write(json.dumps(result.as_json(), indent=2) + "\n")
    else:
        out.write(_pull_text(result))
    if result.findings:
        err.write("".join(terminal(line) + "\n" for line in _findings_text(result.findings).split("\n")))
    if result.written or result.change_file:
        _check_after(opts, err)
    return 0


def _check_after(opts: DraftOptions, err: TextIO) -> None:
    """What the pulled repository now fails offline (a deleted person's assignment, say), to fix before plan."""
    problems = validate_project(opts.root, opts.env).errors
    if problems:
        err.write(
            terminal(f"The pulled repository has {len(problems)} problem(s) to fix before `orgsync plan`:")
            + "\n"
            + "\n".join(terminal(f"  {p}") for p in problems[:MAX_LISTED])
            + "\n"
        )


async def _pull(project: Project, tables: Mapping[str, Any], opts: DraftOptions, err: TextIO) -> PullResult:
    assert opts.name is not None
    async with open_client(project, opts.env) as client:
        err.write(terminal(client.target_label) + "\n")
        found = await find_draft(client, project, opts.name, opts.dataset)
        manifest = found.manifest
        if not isinstance(manifest, DatasetManifest) or manifest.items is None:
            raise DraftError(
                f"draft {found.name!r} is on {manifest.name!r}, which has no items source orgsync can write "
                "back (a links dataset, or a manifest without `items`)",
                hint="apply this draft in Orgvue instead",
            )
        table = tables[manifest.name]
        actions = await client.draft_actions(found.layers, found.draft)
        live = await _live(client, found.dataset_id, manifest, table.owned)
    edits = draft_edits(actions, manifest, table, live)
    if edits.conflicts:
        raise DraftError(
            f"draft {found.name!r} conflicts with the source of {manifest.name!r}; nothing was written:\n  "
            + "\n  ".join(
                terminal(f"{c.key} · {c.property}: {c.detail}") for c in edits.conflicts[:MAX_LISTED]
            )
            + _more(edits.conflicts),
            hint="the source changed after the draft was made: `orgsync apply` it (or revert it), then pull again",
        )
    result = PullResult(found.name, manifest.name, edits.counts(), findings=edits.findings)
    if not edits.edits:
        return result
    target = target_of(manifest, project, table, edits)
    if target.reason is None:
        written = write_sources(manifest, project, target)
        result.written = [shown(p, project.root) for p in written]
        return result
    path = change_file(project, found.name, edits.changes, include_sensitive=opts.include_sensitive)
    if opts.include_sensitive and any(c.sensitive for c in edits.changes):
        err.write(
            terminal(
                f"warning: {shown(path, project.root)} holds sensitive values (--include-sensitive): "
                "keep it out of the repository and delete it once used"
            )
            + "\n"
        )
    result.change_file, result.reason = shown(path, project.root), target.reason
    return result


def _pull_text(result: PullResult) -> str:
    counts = result.counts
    head = (
        f"Draft {result.draft!r} on {result.dataset!r}: {counts['update']} item(s) updated, "
        f"{counts['create']} created, {counts['delete']} deleted."
    )
    lines = [head]
    if result.written:
        lines.append("Written: " + ", ".join(result.written))
        lines.append(
            "Next: review the diff and `orgsync plan`, commit, apply; then `orgsync draft clear "
            f"{result.draft!r}`."
        )
    elif result.change_file:
        lines.append(
            f"The source cannot be written back ({result.reason}): the edits are in {result.change_file}."
        )
        lines.append(
            "Next: make these changes in the system the source comes from, re-sync, `orgsync plan`, apply; "
            f"then `orgsync draft clear {result.draft!r}` and delete the change file."
        )
    elif not any(counts.values()):
        lines.append("Nothing to pull: the source already holds every edit it can take.")
    return "".join(terminal(line) + "\n" for line in lines)


def _findings_text(findings: Sequence[Finding]) -> str:
    lines = [f"{len(findings)} edit(s) of the draft are not in the source (they stay in the draft):"]
    lines += [f"  {f.key} · {f.property or '(item)'}: {f.detail}" for f in findings[:MAX_LISTED]]
    lines.append(
        _more(findings).strip() or "  make them in Orgvue (or add the property to the source), then clear"
    )
    return "\n".join(lines)


def _more(items: Sequence[object]) -> str:
    return f"\n  … and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""


# --- clear ------------------------------------------------------------------------------------------------


def run_draft_clear(
    opts: DraftOptions, *, stdout: TextIO | None = None, stdin_is_tty: bool | None = None
) -> int:
    """`orgsync draft clear NAME [--all]`: clear the edits the tenant now holds; list and leave the others."""
    out = stdout or sys.stdout
    project = _project(opts.root, opts.env)
    if opts.all and not opts.yes:
        interactive = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
        if not interactive:
            raise ConfirmationRefused(
                "refusing to clear every edit of the draft: no terminal to confirm on and --yes not given; "
                "nothing was cleared",
                hint="run `orgsync draft clear NAME --all --yes`",
            )
    out.write(asyncio.run(_clear(project, opts, out)))
    return 0


async def _clear(project: Project, opts: DraftOptions, out: TextIO) -> str:
    assert opts.name is not None
    async with open_client(project, opts.env) as client:
        out.write(terminal(client.target_label) + "\n")
        found = await find_draft(client, project, opts.name, opts.dataset)
        actions = await client.draft_actions(found.layers, found.draft)
        if opts.all:
            if not opts.yes:
                out.write(
                    terminal(
                        f"Clear all {len(actions)} edit(s) of draft {found.name!r}? Only 'yes' is accepted: "
                    )
                )
                out.flush()
                try:
                    answer = input().strip()
                except EOFError:
                    answer = ""
                if answer != "yes":
                    raise ConfirmationRefused("draft clear cancelled; nothing was cleared")
            await _cleared(client, found, None)
            return terminal(f"Cleared every edit ({len(actions)}) of draft {found.name!r}.") + "\n"
        manifest = found.manifest
        owned = sorted({k for a in actions for k in a if not str(k).startswith("_")} & _declared(manifest))
        live = await _live(client, found.dataset_id, manifest, owned)
        held, pending = held_actions(actions, manifest, live)
        if held:
            await _cleared(client, found, _filter(held, manifest))
    lines = [f"Draft {found.name!r}: cleared {len(held)} edit(s) the tenant now holds."]
    if pending:
        lines.append(f"{len(pending)} edit(s) are not live yet and stay in the draft:")
        lines += [f"  {f.key} · {f.property or '(item)'}: {f.detail}" for f in pending[:MAX_LISTED]]
        lines.append(_more(pending).strip())
    return "\n".join(terminal(line) for line in lines if line) + "\n"


async def _cleared(client: OrgvueClient, found: Found, filt: dict[str, Any] | None) -> None:
    answers = await client.clear_drafts(found.layers, filt)
    failed = [a for a in answers if a.get("status") != "success"]
    if failed:
        raise DraftError(
            f"Orgvue did not clear {len(failed)} layer(s) of draft {found.name!r} "
            f"({', '.join(str(a.get(ep.F_LAYER_KEY)) for a in failed)})",
            hint="run `orgsync draft clear` again; if it persists, clear the draft in Orgvue",
        )


def held_actions(
    actions: Sequence[Mapping[str, Any]], manifest: Manifest, live: LiveRows
) -> tuple[list[Mapping[str, Any]], list[Finding]]:
    """The actions whose effect the tenant holds (to clear), and a finding per edit that is not live yet."""
    types = {p.key: p.type for p in manifest.properties}
    sensitive = {p.key for p in manifest.properties if p.sensitive}
    key_prop = manifest.key_columns[0]
    held: list[Mapping[str, Any]] = []
    pending: list[Finding] = []
    for action in actions:
        kind = str(action.get("_action", "update"))
        item = action.get(ID)
        key = live.key_of.get(str(item)) if item is not None else None
        if key is None:
            fits, key = action_value(action.get(key_prop), types.get(key_prop, "text"))
        shown_key = key or str(item or "?")
        if kind == "delete":
            if key is None or key not in live.values:
                held.append(action)
            else:
                pending.append(Finding(shown_key, "", "not-in-source", "not deleted in the tenant yet"))
            continue
        if key is None or key not in live.values:
            pending.append(Finding(shown_key, "", "not-in-source", "not in the tenant yet"))
            continue
        row = live.values[key]
        waiting = []
        for prop, raw in action.items():
            if str(prop).startswith("_") or prop == key_prop:
                continue
            fits, value = action_value(raw, types.get(prop, "text"))
            if prop not in row or row[prop] != value:
                waiting.append(prop)
        if waiting:
            pending += [
                Finding(
                    shown_key,
                    p,
                    "not-in-source",
                    "the tenant does not hold the draft's value yet"
                    + (" (sensitive)" if p in sensitive else ""),
                )
                for p in waiting
            ]
        else:
            held.append(action)
    return held, pending


def _filter(held: Sequence[Mapping[str, Any]], manifest: Manifest) -> dict[str, Any]:
    """A filter over the draft's actions matching exactly `held`: by `_id`, else (a create) by its key."""
    ids = sorted({str(a[ID]) for a in held if a.get(ID) is not None})
    key_prop = manifest.key_columns[0]
    keys = [a[key_prop] for a in held if a.get(ID) is None and a.get(key_prop) is not None]
    parts = ([{ID: {"$in": ids}}] if ids else []) + ([{key_prop: {"$in": keys}}] if keys else [])
    return parts[0] if len(parts) == 1 else {"$or": parts}


# --- shared -----------------------------------------------------------------------------------------------


def _project(root: Path, env: Mapping[str, str] | None) -> Project:
    checked = load_manifests(root, env)
    assert checked.project is not None
    return checked.project


def _declared(manifest: Manifest) -> set[str]:
    return {p.key for p in manifest.properties if not p.onDemand}


async def _managed(client: OrgvueClient, project: Project) -> list[tuple[Manifest, Dataset]]:
    """Each manifest whose dataset exists, with its retrieved resource (which lists its drafts)."""
    listed = await client.list_datasets()
    datasets = [
        LiveDataset(d.datasetId, d.name or "", d.type or "", d, live_link_ends(d.fields)) for d in listed
    ]
    out = []
    for manifest in project.manifests:
        match = match_manifest(manifest, datasets, project.config.tenant)
        if match.dataset is not None:
            out.append((manifest, await client.get_dataset(match.dataset.dataset_id, match.dataset.resource)))
    return out


async def find_draft(client: OrgvueClient, project: Project, name: str, dataset: str | None) -> Found:
    """The draft called `name` on a managed dataset (`dataset`: that manifest's), or a DraftError saying why not."""
    managed = await _managed(client, project)
    hits = [
        (manifest, resource, entry)
        for manifest, resource in managed
        for entry in resource.drafts or []
        if entry.get(ep.F_NAME) == name and (dataset is None or manifest.name == dataset)
    ]
    if len(hits) > 1:
        raise DraftError(
            f"{len(hits)} drafts are called {name!r} (on {', '.join(repr(m.name) for m, _, _ in hits)})",
            hint="name the dataset with `--dataset NAME`",
        )
    if hits:
        manifest, resource, entry = hits[0]
        draft = await client.get_draft(str(entry.get(ep.F_DRAFT_ID)))
        return Found(draft, ep.draft_layers(draft), manifest, resource.datasetId)
    known = await client.query_drafts(projection=[ep.F_DRAFT_ID, ep.F_NAME])
    if any(d.get(ep.F_NAME) == name for d in known):
        managed_names = ", ".join(repr(m.name) for m, _ in managed) or "none"
        scope = f" {dataset!r}" if dataset else ""
        raise DraftError(
            f"draft {name!r} is not on a{scope or ''} dataset this repository manages (managed: {managed_names})",
            hint="add a manifest for its dataset (`orgsync import`), or pull a draft of a managed dataset",
        )
    names = sorted({str(d.get(ep.F_NAME)) for d in known})
    raise DraftError(
        f"no draft called {name!r}; the tenant's drafts: {', '.join(repr(n) for n in names[:MAX_LISTED]) or 'none'}",
        hint="`orgsync draft list` shows the drafts of the managed datasets",
    )


async def _live(client: OrgvueClient, dataset_id: str, manifest: Manifest, props: Sequence[str]) -> LiveRows:
    """The live items' key, `_id` and `props`, canonical (one export)."""
    key = manifest.key_columns[0]
    columns = [key, *[p for p in props if p != key and p in _declared(manifest)], ID]
    data = await client.export_csv(dataset_id, projection=columns)
    frame = (
        pl.read_csv(io.BytesIO(data), infer_schema=False)
        if data.strip()
        else pl.DataFrame({c: [] for c in columns}, schema={c: pl.Utf8 for c in columns})
    )
    types = {p.key: p.type for p in manifest.properties if p.key in frame.columns}
    return live_rows(canonical_frame(frame, types, keep_invalid=True), key)
