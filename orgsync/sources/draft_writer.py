"""Where a draft's edits of one dataset go: back into its CSV/TSV source files, or into a change file.

Only the files the manifest declares as its source are written (resolved and confined like any source read),
each atomically; the new bytes of every file are made before any is written, and a file the source reader then
refuses is put back, so a pull never leaves a half-written repository. A source that cannot be edited in place
(a query, a database, xlsx/Parquet/JSON, a gzip file, several files when a new row's file is ambiguous) gets
`changes/<draft-slug>.csv` instead: key, label, property, before, after.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orgsync.atomic import write_atomic
from orgsync.errors import Problem, SourceError
from orgsync.manifest.models import DatabaseSource, DatasetManifest, FileSource, Project
from orgsync.manifest.paths import confine, refuse_hidden, shown
from orgsync.sources.draft_edits import Change, DraftEdits, row_indexes
from orgsync.sources.inputs import resolve_paths
from orgsync.sources.parse import detect_format
from orgsync.sources.readers import read_source
from orgsync.sources.settings import settings_of
from orgsync.sources.table import SourceTable
from orgsync.sources.writeback import CsvDialect, RowEdit, WriteBackError, write_back

CHANGES_DIR = "changes"
MASKED = "(sensitive: pull with --include-sensitive)"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FileWrite:
    """One source file and the edits it takes."""

    path: Path
    edits: tuple[RowEdit, ...]


@dataclass(frozen=True)
class Target:
    """The files to edit in place, or why the source gets a change file (then `files` is empty)."""

    files: tuple[FileWrite, ...] = ()
    reason: str | None = None


def slug(name: str) -> str:
    """A draft name as a file and branch name: lower-case letters, digits and dashes."""
    return _SLUG.sub("-", name.lower()).strip("-")[:60] or "draft"


def target_of(manifest: DatasetManifest, project: Project, table: SourceTable, edits: DraftEdits) -> Target:
    """Where the edits of `manifest`'s source go."""
    items = manifest.items
    assert items is not None
    if items.sources is not None:
        return Target(reason="its items come from a query over named sources")
    spec = items.source
    if isinstance(spec, DatabaseSource):
        return Target(reason="its items come from a database")
    assert spec is not None
    patterns = spec.path if isinstance(spec, FileSource) else spec
    field = ("items", "source")
    paths = resolve_paths(
        manifest,
        project,
        [patterns] if isinstance(patterns, str) else patterns,
        manifest.locate(*field),
        "items.source",
    )
    settings = settings_of(items)
    for path in paths:
        fmt, gzipped = detect_format(path, settings.format)
        if fmt not in ("csv", "tsv") or gzipped:
            return Target(
                reason=f"{shown(path, project.root)} is a {'gzipped ' if gzipped else ''}{fmt} file"
            )
    if len(paths) == 1:
        return Target((FileWrite(paths[0], tuple(edits.edits)),))
    if any(e.kind == "create" for e in edits.edits):
        return Target(reason=f"its rows come from {len(paths)} files, and a new row's file is ambiguous")
    at = row_indexes(table, manifest.autoId, {e.key for e in edits.edits})
    by_file: dict[str, list[RowEdit]] = {}
    for edit in edits.edits:
        by_file.setdefault(table.file_of(at[edit.key]) or "", []).append(edit)
    named = {shown(p, project.root): p for p in paths}
    return Target(tuple(FileWrite(named[name], tuple(e)) for name, e in by_file.items()))


def dialect_of(manifest: DatasetManifest, path: Path) -> CsvDialect:
    items = manifest.items
    assert items is not None
    settings = settings_of(items)
    fmt, _ = detect_format(path, settings.format)
    return CsvDialect(
        encoding=settings.encoding or "utf-8",
        delimiter=settings.delimiter or ("," if fmt == "csv" else "\t"),
        quote=settings.quote or '"',
        decimal=settings.decimalSeparator or ".",
        thousands=settings.thousandsSeparator,
        date_format=items.dateFormat,
    )


def write_sources(manifest: DatasetManifest, project: Project, target: Target) -> list[Path]:
    """Write every file of `target`, then prove the source still reads; on any failure every file is put back."""
    renames = manifest.items.columns if manifest.items else {}
    types = {p.key: p.type for p in manifest.properties}
    planned: list[tuple[Path, bytes, bytes]] = []
    for write in target.files:
        old = write.path.read_bytes()
        where = shown(write.path, project.root)
        try:
            done = write_back(
                old, dialect_of(manifest, write.path), renames, manifest.autoId, types, write.edits
            )
        except WriteBackError as err:
            raise SourceError(
                Problem(manifest.locate("items", "source"), f"{where}: {err}", "items.source")
            ) from None
        if done.missing:
            raise SourceError(
                Problem(
                    manifest.locate("items", "source"),
                    f"{where}: no row for key(s) {', '.join(done.missing[:10])}, which the source table has",
                    "items.source",
                )
            )
        planned.append((write.path, old, done.data))
    written: list[tuple[Path, bytes]] = []
    try:
        for path, old, new in planned:
            if new != old:
                write_atomic(path, new, mode=os.stat(path).st_mode & 0o777)
                written.append((path, old))
        read_source(manifest, project)
    except BaseException:
        for path, old in written:
            write_atomic(path, old, mode=os.stat(path).st_mode & 0o777)
        raise
    return [path for path, _ in written]


def change_file(
    project: Project, draft_name: str, changes: Sequence[Change], *, include_sensitive: bool
) -> Path:
    """Write `changes/<draft-slug>.csv` (UTF-8, one row per edited cell) inside the repository; its path."""
    folder = project.root / CHANGES_DIR
    path = folder / f"{slug(draft_name)}.csv"
    folder.mkdir(exist_ok=True)
    confine(path, project.root)
    refuse_hidden(path, project.root)
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["key", "label", "property", "before", "after"])
    for c in changes:
        hide = c.sensitive and not include_sensitive
        after = "(deleted)" if c.kind == "delete" else (MASKED if hide else c.after or "")
        before = MASKED if hide and c.before is not None else c.before or ""
        out.writerow([c.key, c.label or "", c.property, before, after])
    write_atomic(path, buffer.getvalue().encode("utf-8"), mode=0o644)
    return path
