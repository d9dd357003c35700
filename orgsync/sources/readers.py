"""Read a manifest's source file into a `SourceTable`: locate (confined), parse, rename, check, normalise.

`load_source` returns the table together with every problem found (validate reports them all);
`read_source` is the strict form that raises `SourceError` when any of them is an error.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, PropertyType
from orgsync.manifest.paths import EscapesRoot, HiddenPath, confine, refuse_hidden, shown
from orgsync.sources.canonical import canonical_frame
from orgsync.sources.parse import MAX_LISTED, RawSource, detect_format, parse_source
from orgsync.sources.table import SourceTable

Manifest = DatasetManifest | LinksDatasetManifest
LINK_TYPES: dict[str, PropertyType] = {"from_id": "text", "to_id": "text", "link_id": "text", "allocation": "number"}
_TYPE_WORDS = {"number": "a number", "date": "a date", "boolean": "a boolean (true/false, yes/no, y/n, 1/0)"}


def source_path(manifest: Manifest, project: Project) -> Path:
    """The manifest's source file, resolved and confined to the repository (raises `SourceError`)."""
    assert manifest.items is not None
    base = (manifest.manifest_path or project.root / "manifest.yaml").parent
    path = base / manifest.items.source
    try:
        resolved = confine(path, project.root)
        refuse_hidden(path, project.root)
    except HiddenPath as err:
        raise SourceError(Problem(manifest.locate("items", "source"), f"source {manifest.items.source!r} is refused: "
                                  f"{err}; sources are data files, never .git/ or dot-files (.env, .npmrc, ...)",
                                  "items.source")) from None
    except EscapesRoot:
        raise SourceError(Problem(manifest.locate("items", "source"), f"source {manifest.items.source!r} is outside the repository; "
                                                   "expected a path inside it (symlinks included)",
                                  "items.source")) from None
    if not resolved.is_file():
        raise SourceError(Problem(manifest.locate("items", "source"), f"source file {shown(path, project.root)} does not exist "
                                                   "(paths are relative to the manifest file)", "items.source"))
    return resolved


def property_types(manifest: Manifest) -> dict[str, PropertyType]:
    """Column -> type for every column the manifest's source may carry."""
    types = dict(LINK_TYPES) if isinstance(manifest, LinksDatasetManifest) else {}
    types.update({p.key: p.type for p in manifest.properties})
    return types


def load_source(manifest: Manifest, project: Project) -> tuple[SourceTable | None, list[Problem]]:
    """The manifest's source as a table plus every problem found; the table is None when it cannot be read."""
    try:
        path = source_path(manifest, project)
        fmt, gzipped = detect_format(path, manifest.items.format)
    except SourceError as err:
        return None, err.problems
    except ValueError as err:
        return None, [Problem(manifest.locate("items", "source"), str(err), "items.source")]
    display = shown(path, project.root)
    data = path.read_bytes()
    try:
        raw = parse_source(data, fmt, gzipped, display)
    except SourceError as err:
        return None, err.problems
    table, problems = build_table(manifest, raw, path, display)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table, problems


def read_source(manifest: Manifest, project: Project) -> SourceTable:
    """The manifest's source as a `SourceTable`; raises `SourceError` listing every error."""
    table, problems = load_source(manifest, project)
    errors = [p for p in problems if p.severity == "error"]
    if errors or table is None:
        raise SourceError(errors)
    return table


def build_table(manifest: Manifest, raw: RawSource, path: Path, display: str) -> tuple[SourceTable, list[Problem]]:
    """Rename, check columns and values, and normalise `raw` into the manifest's table."""
    problems: list[Problem] = []
    frame = _renamed(manifest, raw.frame, display, problems)
    types = property_types(manifest)
    key = manifest.key_columns
    computed = {p.key for p in manifest.properties if p.onDemand}
    for column in frame.columns:
        if column not in types:
            problems.append(Problem(Location(display, 1), f"column {column!r} is not a property of "
                                    f"{manifest.name!r}; add it to `properties` or map it with `items.columns`",
                                    column))
        elif column in computed:
            # A warning, not an error: exports often carry the computed column, and it is simply not used.
            problems.append(Problem(Location(display, 1), f"column {column!r} is ignored: it is an on-demand "
                                    "property, computed by Orgvue from its formula; remove it from the source to "
                                    "silence this", column, "warning"))
    for column in key:
        if column not in frame.columns:
            problems.append(Problem(Location(display, 1), f"key column {column!r} is missing; expected it in the "
                                    f"header (or mapped to it with `items.columns`)", column))
            frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(column))
    owned = [c for c in types if c in frame.columns and c not in key and c not in computed]
    date_format = manifest.items.dateFormat
    canonical = canonical_frame(frame.select([*key, *owned]), types, date_format)
    problems += _misfits(frame, canonical, types, manifest, raw, display)
    table = SourceTable(name=manifest.name, path=path, frame=canonical, key=list(key), owned=owned,
                        types={c: types[c] for c in [*key, *owned]}, sha256="", rows=raw.rows)
    return table, problems


def _renamed(manifest: Manifest, frame: pl.DataFrame, display: str, problems: list[Problem]) -> pl.DataFrame:
    """Apply `items.columns` (source column -> property key), reporting mapped columns the file lacks."""
    mapping = manifest.items.columns
    missing = [c for c in mapping if c not in frame.columns]
    for column in missing:
        problems.append(Problem(manifest.locate("items", "columns", column), f"`items.columns` maps {column!r}, which is not a column of "
                                f"{display}; its columns are: {', '.join(frame.columns)}", f"items.columns.{column}"))
    present = {src: dst for src, dst in mapping.items() if src in frame.columns}
    clashes = [dst for src, dst in present.items() if dst in frame.columns and dst not in present]
    for column in clashes:
        problems.append(Problem(manifest.locate("items", "columns"), f"`items.columns` renames a column to {column!r}, but {display} "
                                "already has a column of that name; expected one source column per property",
                                "items.columns"))
    return frame.drop(clashes).rename(present) if present else frame


def _misfits(frame: pl.DataFrame, canonical: pl.DataFrame, types: dict[str, PropertyType], manifest: Manifest,
             raw: RawSource, display: str) -> list[Problem]:
    """One problem per value that does not fit its column's type (the first few per column, then a count).

    A misfit is a non-blank source value whose canonical form is null: read from the one conversion already
    made, and only the few values that became null are looked at again.
    """
    checked = [c for c in canonical.columns if types[c] != "text"]
    if not checked:
        return []
    date_format = manifest.items.dateFormat
    sensitive = {p.key for p in manifest.properties if p.sensitive}
    problems = []
    for column in checked:
        hits = _misfit_rows(frame[column], canonical[column])
        if hits.is_empty():
            continue
        expected = _TYPE_WORDS[types[column]] + (f" in {date_format}" if types[column] == "date" else "")
        for index in hits.head(MAX_LISTED).to_list():
            row = int(raw.rows[index])
            line = row if raw.row_word != "item" else None
            got = "a value not shown (sensitive)" if column in sensitive else repr(frame[column][index])
            problems.append(Problem(Location(display, line), f"{raw.row_word} {row}: expected {expected}, "
                                    f"got {got}", column))
        if hits.len() > MAX_LISTED:
            problems.append(Problem(Location(display), f"... and {hits.len() - MAX_LISTED} more values that are "
                                    f"not {expected}", column))
    return problems


def _misfit_rows(raw: pl.Series, canonical: pl.Series) -> pl.Series:
    """Indices of the values of `raw` that are not blank but whose canonical form is null."""
    rows = (raw.is_not_null() & canonical.is_null()).arg_true()
    if rows.is_empty():
        return rows
    return rows.filter(raw.gather(rows).str.strip_chars().str.len_bytes() > 0)
