"""Read a manifest's source into a `SourceTable`: read the input(s) (files, database, a query over named
sources), rename, check columns and values, normalise.

`load_source` returns the table together with every problem found (validate reports them all);
`read_source` is the strict form that raises `SourceError` when any of them is an error.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.manifest.models import (
    DatasetManifest,
    FileSource,
    ItemsSpec,
    LinksDatasetManifest,
    Project,
    PropertyType,
)
from orgsync.manifest.property_types import property_types
from orgsync.repeats import listed
from orgsync.sources.canonical import boolean_words, canonical_column
from orgsync.sources.clock import clock_note, clock_words, queries
from orgsync.sources.dictionary import as_text, by_distinct, is_dictionary
from orgsync.sources.hints import date_hint
from orgsync.sources.inputs import Input, input_digest, read_input
from orgsync.sources.numbers import declared, expected_words, format_hint, plain_numbers
from orgsync.sources.parse import RawSource
from orgsync.sources.query import ORIGIN, run_query
from orgsync.sources.settings import settings_of
from orgsync.sources.source_errors import MAX_LISTED
from orgsync.sources.statement import clock_reads
from orgsync.sources.table import QueryRows, SourceTable
from orgsync.sources.typed import text_frame

Manifest = DatasetManifest | LinksDatasetManifest
_TYPE_WORDS = {"number": "a number", "date": "a date", "boolean": "a boolean (true/false, yes/no, y/n, 1/0)"}


def load_source(
    manifest: Manifest, project: Project, env: Mapping[str, str] | None = None
) -> tuple[SourceTable | None, list[Problem]]:
    """The manifest's source as a table plus every problem found; the table is None when it cannot be read.

    `env` holds the `ORGSYNC_SECRET_` variables a database source names (default: the process environment).
    """
    items = manifest.items
    assert items is not None
    env = os.environ if env is None else env
    try:
        if items.sources is not None:
            raw, path, display, digest = _queried(manifest, project, env)
        else:
            assert items.source is not None
            read = read_input(manifest, project, items.source, settings_of(items), ("items", "source"), env)
            raw, path, display, digest = read.raw, read.path, read.display, read.sha256
        table, problems = build_table(manifest, raw, path, display)
    except SourceError as err:
        return None, err.problems
    note = clock_note(manifest)
    if note is not None:
        field = next(f for f, sql in queries(manifest) if clock_reads(sql))
        problems.append(Problem(manifest.locate(*field), note, ".".join(field), "warning"))
    if table is not None:
        table.sha256 = digest if digest is not None else _rows_sha256(table.frame)
    return table, problems


def read_source(manifest: Manifest, project: Project, env: Mapping[str, str] | None = None) -> SourceTable:
    """The manifest's source as a `SourceTable`; raises `SourceError` listing every error."""
    table, problems = load_source(manifest, project, env)
    errors = [p for p in problems if p.severity == "error"]
    if errors or table is None:
        raise SourceError(errors)
    return table


def _queried(
    manifest: Manifest, project: Project, env: Mapping[str, str]
) -> tuple[RawSource, Path, str, str | None]:
    """`items.query` over `items.sources`: the output as a raw source, and a checksum over every input."""
    items = manifest.items
    assert items is not None and items.sources is not None and items.query is not None
    where = manifest.locate("items", "query")
    inputs: dict[str, Input] = {}
    for name, entry in items.sources.items():
        field = ("items", "sources", name)
        if isinstance(entry, FileSource) and (entry.decimalSeparator or entry.thousandsSeparator):
            raise SourceError(
                Problem(
                    manifest.locate(*field),
                    "with `query`, number formats apply to the query "
                    "output: set `decimalSeparator` / `thousandsSeparator` under `items:`",
                    ".".join(field),
                )
            )
        inputs[name] = read_input(
            manifest,
            project,
            entry,
            settings_of(items, entry if isinstance(entry, FileSource) else None),
            field,
            env,
        )
    labels = {name: read.labels() for name, read in inputs.items()} if ORIGIN in items.query else {}
    # a query's joins and functions take text: an input's dictionary columns go in as text
    for read in inputs.values():
        read.raw.frame = read.raw.frame.with_columns(pl.col(pl.Categorical).cast(pl.Utf8))
    out, origins = run_query(items.query, {n: i.raw for n, i in inputs.items()}, labels, where)
    digest = hashlib.sha256(items.query.encode())
    for name, read in inputs.items():
        digest.update(f"\0{name}\0{read.sha256 or _rows_sha256(read.raw.frame)}".encode())
    if clock_reads(items.query):  # the output can differ for the same inputs: the checksum covers it too
        digest.update(f"\0output\0{_rows_sha256(out)}".encode())
    rows = pl.int_range(1, out.height + 1, eager=True, dtype=pl.Int64)
    raw = RawSource(
        out,
        rows,
        "query output row",
        query=QueryRows(where, origins),
        at=(where.line, where.column or 1) if where.line is not None else None,
    )
    return raw, manifest.manifest_path or project.root, str(where.file), digest.hexdigest()


def source_digests(project: Project) -> dict[str, str] | None:
    """The sha256 each manifest's source table would carry, by manifest name, from the files' bytes without
    parsing them (what proving a saved plan fresh needs); None when that cannot be known without reading the
    sources: a database source, a query that reads the clock, or a source that cannot be found (full
    validation then reads and says why)."""
    digests: dict[str, str] = {}
    for manifest in project.manifests:
        items = manifest.items
        if items is None:
            continue
        if clock_words(manifest):  # its rows depend on the date: only reading it proves them unchanged
            return None
        try:
            if items.sources is not None:
                assert items.query is not None
                digest = hashlib.sha256(items.query.encode())
                for name, entry in items.sources.items():
                    part = input_digest(manifest, project, entry, ("items", "sources", name))
                    if part is None:
                        return None
                    digest.update(f"\0{name}\0{part}".encode())
                digests[manifest.name] = digest.hexdigest()
                continue
            assert items.source is not None
            one = input_digest(manifest, project, items.source, ("items", "source"))
        except (SourceError, OSError):
            return None
        if one is None:
            return None
        digests[manifest.name] = one
    return digests


def _rows_sha256(frame: pl.DataFrame) -> str:
    """sha256 of rows as CSV text (fetched database rows: what the checksum covers instead of file bytes)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def build_table(
    manifest: Manifest, raw: RawSource, path: Path, display: str
) -> tuple[SourceTable | None, list[Problem]]:
    """Rename, check columns and values, and normalise `raw` into the manifest's table.

    None (with one error) when a key column, or the hierarchy's treeId / treeParentId, is missing: every
    row would otherwise be reported for it.
    """
    items = manifest.items
    assert items is not None
    problems: list[Problem] = []
    types = property_types(manifest)
    frame = text_frame(
        _renamed(manifest, raw.take_frame(), display, problems),
        types,
        items.dateFormat,
        display,
        serial_dates=raw.excel,
    )
    key = manifest.key_columns
    computed = {p.key for p in manifest.properties if p.onDemand}
    header = _place(display, 1 if raw.has_lines else None, raw)
    for column in frame.columns:
        if column not in types:
            problems.append(
                Problem(
                    header,
                    f"column {column!r} is not a property of "
                    f"{manifest.name!r}; add it to `properties` or map it with `items.columns`",
                    column,
                )
            )
        elif column in computed:
            # A warning, not an error: exports often carry the computed column, and it is simply not used.
            problems.append(
                Problem(
                    header,
                    f"column {column!r} is ignored: it is an on-demand "
                    "property, computed by Orgvue from its formula; remove it from the source to "
                    "silence this",
                    column,
                    "warning",
                )
            )
    missing = _missing_required(manifest, frame, header)
    problems += _declared_but_missing(manifest, frame, computed, key)
    if missing:
        return None, problems + missing
    owned = [c for c in types if c in frame.columns and c not in key and c not in computed]
    texts = frame.select([*key, *owned]).get_columns()
    del frame  # the columns not kept (unknown, on-demand) go now; `_converted` lets each kept one go in turn
    canonical, misfits = _converted(texts, types, manifest, raw, display)
    problems += misfits
    table = SourceTable(
        name=manifest.name,
        path=path,
        frame=canonical,
        key=list(key),
        owned=owned,
        types={c: types[c] for c in [*key, *owned]},
        sha256="",
        rows=raw.rows,
        row_files=raw.files,
        query=raw.query,
    )
    return table, problems


def _missing_required(manifest: Manifest, frame: pl.DataFrame, header: Location) -> list[Problem]:
    """One error per missing key column, and per missing treeId / treeParentId of a hierarchy."""
    required = list(manifest.key_columns)
    if isinstance(manifest, DatasetManifest) and manifest.treeId and manifest.treeParentId:
        required += [c for c in (manifest.treeId, manifest.treeParentId) if c not in required]
    problems = []
    for column in required:
        if column not in frame.columns:
            role = "key column" if column in manifest.key_columns else "hierarchy column"
            problems.append(
                Problem(
                    header,
                    f"{role} {column!r} is missing; expected it in the header (or "
                    f"mapped to it with `items.columns`); its columns are: "
                    f"{listed(frame.columns) or 'none'}",
                    column,
                )
            )
    return problems


def _declared_but_missing(
    manifest: Manifest, frame: pl.DataFrame, computed: set[str], key: list[str]
) -> list[Problem]:
    """A warning per declared property the source lacks (unless `items.handKept` lists it)."""
    assert manifest.items is not None
    hand_kept = set(manifest.items.handKept)
    declared = {p.key for p in manifest.properties}
    problems = [
        Problem(
            manifest.locate("items", "handKept"),
            f"`items.handKept` lists {name!r}, which is not a "
            f"property of {manifest.name!r}; expected declared property keys",
            "items.handKept",
        )
        for name in manifest.items.handKept
        if name not in declared
    ]
    for index, prop in enumerate(manifest.properties):
        if prop.key in computed or prop.key in key or prop.key in frame.columns or prop.key in hand_kept:
            continue
        problems.append(
            Problem(
                manifest.locate("properties", index),
                f"{manifest.name}: the source has no column "
                f"`{prop.key}`; that property is not managed from this source (list it under "
                "`items.handKept` if that is intended)",
                prop.key,
                "warning",
            )
        )
    return problems


def _converted(
    texts: list[pl.Series],
    types: dict[str, PropertyType],
    manifest: Manifest,
    raw: RawSource,
    display: str,
) -> tuple[pl.DataFrame, list[Problem]]:
    """The source columns `texts` as a frame in canonical form, and a problem per value not fitting its type.

    Column by column, consuming `texts`: each is taken out of the list, converted and checked, then let go, so
    its text is freed as soon as its canonical form exists (a 1M-row source is never held twice whole). The
    columns and values are those of `canonical_frame` over the whole frame, the messages in the same order.
    """
    items = manifest.items
    assert items is not None
    booleans = boolean_words(items.trueValues, items.falseValues)
    formatted = declared(items.decimalSeparator, items.thousandsSeparator)
    sensitive = {p.key for p in manifest.properties if p.sensitive}
    columns: list[pl.Series] = []
    problems: list[Problem] = []
    references = _references(manifest)
    while texts:
        text = texts.pop(0)
        name = str(text.name)
        kind = types[name]
        if name in references:  # keys and parents are joined and compared as text
            text = as_text(text)

        def canonical(values: pl.Series, kind: PropertyType = kind) -> pl.Series:
            plain = _plain_numbers(values, items) if kind == "number" and formatted else values
            return canonical_column(plain, kind, items.dateFormat, booleans=booleans)

        out = by_distinct(text, canonical) if is_dictionary(text) else canonical(text)
        if kind != "text":
            problems += _misfits(text, out, kind, name in sensitive, items, raw, display)
        del text
        # One chunk per column: a text column already canonical is the reader's own, in as many chunks as it
        # read in parallel, beside converted ones in one; a frame of unaligned columns is copied whole (a third
        # of a million rows' memory, issue 24) by each `select` that follows, so align it here, a column at a time.
        columns.append(out.rechunk())
    return pl.DataFrame(columns), problems


def _references(manifest: Manifest) -> set[str]:
    """The columns that name items (the key, and a hierarchy's treeId and treeParentId): never dictionaries."""
    names = set(manifest.key_columns)
    if isinstance(manifest, DatasetManifest):
        names.update(c for c in (manifest.treeId, manifest.treeParentId) if c)
    return names


def _plain_numbers(text: pl.Series, items: ItemsSpec) -> pl.Series:
    """A number column in the declared `decimalSeparator` / `thousandsSeparator` rewritten to plain form."""
    rewritten = plain_numbers(pl.col(text.name), items.decimalSeparator, items.thousandsSeparator)
    return text.to_frame().select(rewritten.alias(text.name)).to_series()


def _renamed(manifest: Manifest, frame: pl.DataFrame, display: str, problems: list[Problem]) -> pl.DataFrame:
    """Apply `items.columns` (source column -> property key), reporting mapped columns the file lacks."""
    assert manifest.items is not None
    mapping = manifest.items.columns
    missing = [c for c in mapping if c not in frame.columns]
    for column in missing:
        problems.append(
            Problem(
                manifest.locate("items", "columns", column),
                f"`items.columns` maps {column!r}, which is not a column of "
                f"{display}; its columns are: {listed(frame.columns)}",
                f"items.columns.{column}",
            )
        )
    present = {src: dst for src, dst in mapping.items() if src in frame.columns}
    clashes = [dst for src, dst in present.items() if dst in frame.columns and dst not in present]
    for column in clashes:
        problems.append(
            Problem(
                manifest.locate("items", "columns"),
                f"`items.columns` renames a column to {column!r}, but {display} "
                "already has a column of that name; expected one source column per property",
                "items.columns",
            )
        )
    return frame.drop(clashes).rename(present) if present else frame


def _misfits(
    text: pl.Series,
    canonical: pl.Series,
    kind: PropertyType,
    sensitive: bool,
    items: ItemsSpec,
    raw: RawSource,
    display: str,
) -> list[Problem]:
    """One problem per value of a column that does not fit its type (the first few, then a count).

    A misfit is a non-blank source value whose canonical form is null: read from the one conversion already
    made, and only the few values that became null are looked at again.
    """
    column = str(text.name)
    hits = _misfit_rows(text, canonical)
    if hits.is_empty():
        return []
    formatted = declared(items.decimalSeparator, items.thousandsSeparator)
    expected = (
        expected_words(items.decimalSeparator, items.thousandsSeparator)
        if kind == "number" and formatted
        else _expected(kind, items)
    )
    # a date column's hint names the `dateFormat` its values read in, once (it is the same for each row)
    first_hint = date_hint(as_text(text.gather(hits)), items.dateFormat) if kind == "date" else ""
    problems = []
    for index in hits.head(MAX_LISTED).to_list():
        value = text[index]
        got = "a value not shown (sensitive)" if sensitive else repr(value)
        # the number hint shows only the format's name, never the value: a sensitive salary gets it too
        hint = format_hint(value) if kind == "number" and not formatted else first_hint
        first_hint = ""
        where, label = _row_place(raw, index, display)
        problems.append(Problem(where, f"{label}: expected {expected}, got {got}{hint}", column))
    if hits.len() > MAX_LISTED:
        problems.append(
            Problem(
                _place(display, None, raw),
                f"... and {hits.len() - MAX_LISTED} more values that are not {expected}",
                column,
            )
        )
    return problems


def _expected(kind: PropertyType, items: ItemsSpec) -> str:
    """How a misfit message names what a column of type `kind` expects."""
    if kind == "date":
        return f"a date in {items.dateFormat}"
    if kind == "boolean" and (items.trueValues or items.falseValues):
        sides = [(items.trueValues, "true"), (items.falseValues, "false")]
        declared = ", ".join(f"{'/'.join(words)} for {side}" for words, side in sides if words)
        return f"a boolean (true/false, yes/no, y/n, 1/0, {declared})"
    return _TYPE_WORDS[kind]


def _row_place(raw: RawSource, index: int, display: str) -> tuple[Location, str]:
    """Where row `index` of `raw` is, and how a message names it ("row 12", "query output row 3 (from a.csv:7)")."""
    row = int(raw.rows[index])
    if raw.query is not None:
        where, label = raw.query.place(index, row)
        return where or raw.query.at, label
    file = str(raw.files[index]) if raw.files is not None else display
    return _place(file, row if raw.has_lines else None, raw), f"{raw.row_word} {row}"


def _place(file: str, line: int | None, raw: RawSource) -> Location:
    """`file`:`line`, or the manifest position of the field a source without lines comes from (a query)."""
    if line is None and raw.at is not None:
        return Location(file, *raw.at)
    return Location(file, line)


def _misfit_rows(raw: pl.Series, canonical: pl.Series) -> pl.Series:
    """Indices of the values of `raw` that are not blank but whose canonical form is null."""
    rows = (raw.is_not_null() & canonical.is_null()).arg_true()
    if rows.is_empty():
        return rows
    return rows.filter(as_text(raw.gather(rows)).str.strip_chars().str.len_bytes() > 0)
