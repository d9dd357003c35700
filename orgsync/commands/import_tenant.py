"""`orgsync import DIR`: write manifests (and, if asked, item files) from what a live tenant already holds.

Adoption must be zero-risk: it only reads the tenant, writes schema only unless `--with-items`, never writes a
sensitive column unless `--include-sensitive`, never overwrites a file unless `--force`, and in an existing
repository adds manifests only for datasets no manifest manages. Every file is composed before the first
one is written, so a failure leaves nothing half-written. The result is validated before the command ends.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from orgsync.api.answers import Dataset, DatasetSummary
from orgsync.api.target import open_client
from orgsync.atomic import write_atomic
from orgsync.errors import ConfigError, ExitCode, Location, Problem
from orgsync.escape import terminal, terminal_lines
from orgsync.manifest.dump import (
    DumpOptions,
    ImportedFile,
    LiveResource,
    config_file,
    dataset_file,
    select,
    slugify,
)
from orgsync.manifest.loader import CONFIG_FILE, load_project
from orgsync.manifest.models import LINK_CORE_KEYS, Project, ProjectConfig
from orgsync.manifest.property_types import LINK_TYPES
from orgsync.sources.canonical import canonical_expr
from orgsync.state.live_link_ends import live_link_ends

MANIFEST_DIR = "manifests"
DATA_DIR = "data"
LIVE_DATE_FORMAT = "YYYY-MM-DD"


@dataclass(frozen=True)
class ImportOptions:
    """The options of `orgsync import`, exactly as the CLI passes them."""

    directory: Path
    tenant: str | None = None
    endpoint: str | None = None
    datasets: tuple[str, ...] = ()  # names or globs; links datasets come along when both ends are selected
    with_items: bool = False
    include_sensitive: bool = False
    sensitive: tuple[str, ...] = ()
    force: bool = False


@dataclass(frozen=True)
class TenantRead:
    """What import read: every listed dataset, the retrieved resources of the selected ones, their exports."""

    listed: list[DatasetSummary]
    resources: dict[str, Dataset]  # datasetId -> GET /datasets/{id}
    exports: dict[str, bytes] = field(default_factory=dict)  # datasetId -> CSV bytes (with --with-items)


def run_import(
    opts: ImportOptions,
    env: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Read the tenant, write the repository, validate it; 0 when it validates, 1 otherwise."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    directory = Path(opts.directory)
    project, existing = _project(opts, directory, env)
    stamp = (now or (lambda: datetime.now(UTC)))().strftime("%Y-%m-%dT%H:%M:%SZ")
    manifests = existing.manifests if existing else []
    managed_names = {m.name for m in manifests}
    managed_ids = {m.datasetId for m in manifests if m.datasetId}

    async def read() -> tuple[TenantRead, list[_Planned], list[str]]:
        async with open_client(project, env) as client:
            listed = await client.list_datasets()
            chosen = _chosen(listed, opts.datasets, managed_names, managed_ids)
            ids = [d.datasetId for d in chosen]
            resources = dict(
                zip(ids, await asyncio.gather(*(client.get_dataset(i) for i in ids)), strict=True)
            )
            links_ok = _links_with_ends(listed, resources, chosen, managed_names)
            resources = {i: r for i, r in resources.items() if not r.is_links or i in links_ok}
            planned, warnings = _compose(project, listed, resources, opts, stamp, directory)
            wanted = [p for p in planned if opts.with_items and p.file.item_columns]
            got = await asyncio.gather(
                *(
                    client.export_csv(
                        p.dataset_id, projection=list(p.file.item_columns), resource=resources[p.dataset_id]
                    )
                    for p in wanted
                )
            )
            exports = {p.dataset_id: data for p, data in zip(wanted, got, strict=True)}
            return TenantRead(listed, resources, exports), planned, warnings

    tenant, planned, warnings = asyncio.run(read())
    writes: dict[Path, bytes] = {}
    skipped = [
        f"{m.name}: managed by {m.origin.file}"
        for m in manifests
        if any(d.name == m.name or d.datasetId == m.datasetId for d in tenant.listed)
    ]
    if existing is None:
        writes[directory / CONFIG_FILE] = config_file(
            project.config.tenant, project.config.endpoint, _header(project, stamp)
        ).encode()
    for entry in planned:
        writes[directory / entry.file.path] = entry.file.text.encode()
        if opts.with_items and entry.items_path is not None and entry.dataset_id in tenant.exports:
            data, note = items_csv(
                tenant.exports[entry.dataset_id], entry.file.item_columns, entry.types, entry.key
            )
            writes[directory / entry.items_path] = data
            if note:
                warnings.append(f"{entry.file.dataset}: {note}")
    for path in list(writes):
        if path.exists() and not opts.force:
            skipped.append(f"{_shown(path, directory)}: it exists (--force overwrites it)")
            del writes[path]
    for path, data in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, mode=0o644)
    _report(out, err, directory, writes, skipped, planned, warnings, opts)
    return _validated(directory, env, err)


@dataclass(frozen=True)
class _Planned:
    dataset_id: str
    file: ImportedFile
    items_path: str | None
    types: dict[str, str]
    key: tuple[str, ...]


def _project(
    opts: ImportOptions, directory: Path, env: Mapping[str, str] | None
) -> tuple[Project, Project | None]:
    """The project to read the tenant through, and the existing repository's project when there is one."""
    if (directory / CONFIG_FILE).is_file():
        existing = load_project(directory, env)
        for flag, given, actual in (
            ("--tenant", opts.tenant, existing.config.tenant),
            ("--endpoint", opts.endpoint, existing.config.endpoint),
        ):
            if given is not None and given.rstrip("/") != actual:
                raise ConfigError(
                    Problem(
                        Location(str(directory / CONFIG_FILE)),
                        f"{flag} {given} differs from the repository's {actual!r}",
                    ),
                    hint=f"leave out {flag} to import from the repository's tenant, or import into "
                    "another folder",
                )
        return existing, existing
    if not opts.tenant or not opts.endpoint:
        raise ConfigError(
            Problem(
                Location("command line"),
                f"{directory} has no {CONFIG_FILE}; expected --tenant "
                "and --endpoint naming the tenant to import",
            ),
            hint="e.g. orgsync import DIR --tenant ACME --endpoint https://orgvue.eu-west-1.concentra.io",
        )
    try:
        config = ProjectConfig(tenant=opts.tenant, endpoint=opts.endpoint, manifests=MANIFEST_DIR)
    except ValueError as err:
        raise ConfigError(Problem(Location("command line"), _first_error(err))) from None
    return Project(root=directory, config_file=directory / CONFIG_FILE, config=config, manifests=[]), None


def _first_error(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"--{first['loc'][0]}: {first['msg'].removeprefix('Value error, ')}"
    return str(err)


def _chosen(
    listed: Sequence[DatasetSummary], patterns: Sequence[str], managed_names: set[str], managed_ids: set[str]
) -> list[DatasetSummary]:
    """Listed datasets to import: selected by the globs (links: all, filtered by their ends later), unmanaged."""
    plain = [d for d in listed if not d.is_links]
    names = set(select([str(d.name) for d in plain], patterns))
    if patterns and not names:
        raise ConfigError(
            Problem(
                Location("command line"),
                f"--dataset {', '.join(patterns)}: no dataset of the "
                f"tenant matches; it has {', '.join(sorted(str(d.name) for d in plain))}",
            )
        )
    return [
        d
        for d in listed
        if (d.is_links or d.name in names) and d.name not in managed_names and d.datasetId not in managed_ids
    ]


def _links_with_ends(
    listed: Sequence[DatasetSummary],
    resources: Mapping[str, Dataset],
    chosen: Sequence[DatasetSummary],
    managed_names: set[str],
) -> set[str]:
    """Links datasets whose two ends are both selected (or already managed by the repository)."""
    names = {d.datasetId: str(d.name) for d in listed}
    selected = {str(d.name) for d in chosen if not d.is_links} | managed_names
    keep: set[str] = set()
    for dataset_id, resource in resources.items():
        if not resource.is_links:
            continue
        if all(names.get(e or "") in selected for e in live_link_ends(resource.fields)):
            keep.add(dataset_id)
    return keep


def _ends(resource: Dataset) -> dict[str, str | None]:
    """A links dataset's ends by the fields `dump` names them with."""
    source, target = live_link_ends(resource.fields)
    return {"fromDatasetId": source, "toDatasetId": target}


def _header(project: Project, stamp: str) -> str:
    target = project.config.endpoint
    return (
        f"Imported by `orgsync import` from tenant {project.config.tenant} at {target} on {stamp}.\n"
        "Check the properties marked `# guessed: check`, then commit."
    )


def _compose(
    project: Project,
    listed: Sequence[DatasetSummary],
    resources: Mapping[str, Dataset],
    opts: ImportOptions,
    stamp: str,
    directory: Path,
) -> tuple[list[_Planned], list[str]]:
    """Every manifest to write (datasets first, then links datasets) and the warnings about them."""
    names_by_id = {d.datasetId: str(d.name) for d in listed}
    counts: dict[str, int] = {}
    for d in listed:
        counts[str(d.name)] = counts.get(str(d.name), 0) + 1
    pins = frozenset(i for i, r in resources.items() if counts.get(str(r.name), 0) > 1)
    dump = DumpOptions(
        header=_header(project, stamp),
        sensitive_keys=frozenset(opts.sensitive),
        with_items=opts.with_items,
        include_sensitive=opts.include_sensitive,
        pin_ids=pins,
    )
    # A new file never takes the name of one that exists (unless --force): people.yaml stays, people-2.yaml is new.
    existing = [*(directory / MANIFEST_DIR).glob("*.y*ml"), *(directory / DATA_DIR).glob("*.csv")]
    taken = set() if opts.force else {p.stem for p in existing}
    warnings: list[str] = []
    planned: list[_Planned] = []
    ordered = sorted(resources.items(), key=lambda kv: kv[1].is_links)
    for dataset_id, resource in ordered:
        name = str(resource.name)
        if dataset_id in pins:
            warnings.append(
                f"{name}: the tenant has {counts[name]} datasets of this name; each manifest is pinned "
                "with `datasetId:`: rename them in Orgvue, or keep the pins"
            )
        slug = slugify(name, taken)
        taken.add(slug)
        links = resource.is_links
        items_path = f"{DATA_DIR}/{slug}.csv" if opts.with_items else None
        try:
            file = dataset_file(
                LiveResource(resource.datasetId, name, links, resource.fields),
                f"{MANIFEST_DIR}/{slug}.yaml",
                names_by_id,
                _ends(resource) if links else {},
                dump,
                f"../{items_path}" if items_path else None,
            )
        except ValueError as err:
            warnings.append(f"{name}: not imported: {err}")
            continue
        warnings += [f"{name}: {w}" for w in file.warnings]
        for draft in resource.drafts or []:
            label = draft.get("name") or draft.get("draftId") if isinstance(draft, dict) else draft
            warnings.append(f"{name}: has the draft {label!r}; orgsync neither reads nor changes drafts")
        types = {p.key: str(p.type) for p in resource.properties}
        key = ("from_id", "to_id") if links else (str(resource.fields.get("autoId")),)
        planned.append(_Planned(dataset_id, file, items_path, types, key))
    return planned, warnings


def items_csv(
    data: bytes, columns: Sequence[str], types: Mapping[str, str], key: Sequence[str]
) -> tuple[bytes, str | None]:
    """An export as a source file: the `columns` in canonical form, items without a key left out (and counted)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.strip():
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    else:
        frame = pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    frame = frame.select(
        [pl.col(c) if c in frame.columns else pl.lit(None, pl.Utf8).alias(c) for c in columns]
    )
    frame = frame.with_columns(
        [
            canonical_expr(c, _manifest_type(types.get(c, "text"), c), LIVE_DATE_FORMAT, keep_invalid=True)
            for c in columns
        ]
    )
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    missing = frame.height - int(frame.select(keyed.sum()).item() or 0)
    frame = frame.filter(keyed)
    duplicated = frame.height - frame.unique(subset=list(key)).height
    notes = []
    if missing:
        notes.append(
            f"{missing} item(s) have no {'/'.join(key)} and were left out of the items file "
            "(orgsync matches items by key)"
        )
    if duplicated:
        notes.append(
            f"{duplicated} item(s) share a key with another item: the items file will not validate "
            "until the tenant's duplicates are resolved"
        )
    return frame.write_csv().encode(), "; ".join(notes) or None


def _manifest_type(live_type: str, column: str) -> Any:
    if column in LINK_CORE_KEYS:
        return LINK_TYPES.get(column, "text")  # allocation is a number, the ends and link_id text
    if live_type not in ("text", "number", "date", "boolean"):
        return "text"
    return live_type


def _shown(path: Path, directory: Path) -> str:
    try:
        return str(path.relative_to(directory))
    except ValueError:
        return str(path)


def _report(
    out: TextIO,
    err: TextIO,
    directory: Path,
    writes: Mapping[Path, bytes],
    skipped: Sequence[str],
    planned: Sequence[_Planned],
    warnings: Sequence[str],
    opts: ImportOptions,
) -> None:
    for path in writes:
        print(terminal(f"wrote {_shown(path, directory)}"), file=out)
    for what in skipped:
        print(terminal(f"skipped {what}"), file=out)
    for entry in planned:
        if entry.file.sensitive:
            marks = ", ".join(
                k + (" (guessed: check)" if k in entry.file.guessed else "") for k in entry.file.sensitive
            )
            print(terminal(f"{entry.file.dataset}: marked sensitive: {marks}"), file=out)
    if opts.include_sensitive and opts.with_items:
        print(
            "warning: --include-sensitive wrote sensitive columns into data/: that is HR data in Git; make sure "
            "the repository may hold it",
            file=err,
        )
    for warning in warnings:
        print(terminal(f"warning: {warning}"), file=err)
    if not planned:
        print("Nothing to import: every selected dataset is already managed by a manifest here.", file=out)


def _validated(directory: Path, env: Mapping[str, str] | None, err: TextIO) -> int:
    """Validate what was written; the import is only done when the repository validates."""
    from orgsync.validate import validate_project

    checked = validate_project(directory, env)
    if checked.ok:
        print(
            f"The repository validates. Next: `orgsync plan -C {directory}` should show no changes.", file=err
        )
        return int(ExitCode.OK)
    for problem in checked.errors:
        print(terminal_lines(f"error: {problem}"), file=err)
    print(
        "The imported repository does not validate: fix the problems above before `orgsync plan`.", file=err
    )
    return int(ExitCode.ERROR)
