"""Write row edits into a CSV/TSV source file in its own dialect, touching only the bytes of the edited records.

The file is split into records (a quoted field may hold line breaks) that keep their own terminators; an updated
record is re-joined from its fields with only the edited cells rewritten (every other field keeps its exact
text and quoting), a deleted record is dropped, a created one is appended in the header's column order. Values
are written in the file's dialect: encoding and byte order mark, delimiter, quote, decimal and thousands
separators, the manifest's `dateFormat`, boolean words as the edited cell spelled them, the file's line ending.
Pure: bytes in, bytes out.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from orgsync.manifest.models import PropertyType
from orgsync.sources.canonical import DATE_FORMATS, FALSE_WORDS, TRUE_WORDS, canonical_series

EditKind = Literal["update", "create", "delete"]
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class CsvDialect:
    """How a delimited source file is written (the manifest's file settings, resolved)."""

    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    decimal: str = "."
    thousands: str | None = None
    date_format: str = "YYYY-MM-DD"


@dataclass(frozen=True)
class RowEdit:
    """One item's edit: `values` maps property keys to canonical text (None clears the cell)."""

    kind: EditKind
    key: str
    values: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Written:
    """The file's new bytes; the keys of edits whose row is not in the file; (key, property) of edited
    properties the file has no column for (nothing is written for those)."""

    data: bytes
    missing: tuple[str, ...] = ()
    unowned: tuple[tuple[str, str], ...] = ()


class WriteBackError(ValueError):
    """The file cannot be edited in its dialect (not decodable, no key column, a value the encoding lacks)."""


def write_back(
    data: bytes,
    dialect: CsvDialect,
    renames: Mapping[str, str],
    key: str,
    types: Mapping[str, PropertyType],
    edits: Sequence[RowEdit],
) -> Written:
    """`data` (the file's bytes) with `edits` made; `renames` maps file columns to property keys (`columns:`)."""
    bom, codec, body = _split_bom(data, dialect.encoding)
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError) as err:
        raise WriteBackError(f"the file cannot be decoded as {dialect.encoding}: {err}") from None
    records = split_records(text, dialect.quote)
    if not records:
        raise WriteBackError("the file is empty; expected a header row")
    header = _fields(records[0], dialect)
    columns = [renames.get(name.strip(), name.strip()) for name in header]
    index = {prop: i for i, prop in enumerate(columns)}
    if key not in index:
        raise WriteBackError(f"the file has no column for the key property {key!r}")
    newline = _terminator(records[0]) or "\n"
    quote_all = _quoted_everywhere(records, dialect)
    rows = _row_index(records, dialect, index[key], types.get(key, "text"))
    sample = (
        _fields(records[1], dialect) if len(records) > 1 else []
    )  # a new row spells values like the first
    out: list[str | None] = list(records)
    missing: list[str] = []
    unowned: list[tuple[str, str]] = []
    created: list[str] = []
    held = _held_values(out, rows, edits, index, types, dialect)
    for edit in edits:
        extra = [(edit.key, p) for p in edit.values if p not in index]
        unowned.extend(extra)
        if edit.kind == "create":
            created.append(_new_record(edit, columns, types, dialect, quote_all, sample))
            continue
        at = rows.get(edit.key)
        if at is None or out[at] is None:
            missing.append(edit.key)
            continue
        if edit.kind == "delete":
            out[at] = None
            continue
        out[at] = _updated(out[at] or "", edit, index, types, dialect, held)
    _keep_last_terminator(out, records)
    kept = [r for r in out if r is not None]
    if created:
        if kept and not _terminator(kept[-1]):
            kept[-1] += newline
            kept.extend(r + newline for r in created[:-1])
            kept.append(created[-1])
        else:
            kept.extend(r + newline for r in created)
    try:
        encoded = "".join(kept).encode(codec)
    except UnicodeEncodeError as err:
        raise WriteBackError(
            f"a new value has a character {dialect.encoding} cannot write ({err.object[err.start : err.end]!r})"
        ) from None
    return Written(bom + encoded, tuple(missing), tuple(unowned))


def _split_bom(data: bytes, encoding: str) -> tuple[bytes, str, bytes]:
    """(byte order mark, codec of the rest, the rest): the mark is kept as it was, never re-made."""
    name = codecs.lookup(encoding).name
    for bom, codec in _BOMS:
        if data.startswith(bom) and (name.startswith(codec[:6]) or name == "utf-8-sig"):
            return bom, codec, data[len(bom) :]
    if name == "utf-16":
        return b"", "utf-16-le", data
    return b"", "utf-8" if name == "utf-8-sig" else name, data


def split_records(text: str, quote: str) -> list[str]:
    """The text's records, each with its own terminator (`\\r\\n`, `\\n`, `\\r`, or none at the end of the file);
    a line break inside a quoted field stays in its record."""
    q = re.escape(quote)
    pattern = re.compile(rf"(?:[^{q}\r\n]+|{q}(?:[^{q}]|{q}{q})*{q}|{q})*(?:\r\n|\n|\r|\Z)")
    out = []
    for match in pattern.finditer(text):
        if match.group():
            out.append(match.group())
    return out


def _terminator(record: str) -> str:
    for end in ("\r\n", "\n", "\r"):
        if record.endswith(end):
            return end
    return ""


def _raw_fields(body: str, dialect: CsvDialect) -> list[str]:
    """A record's fields exactly as written (quotes included), split at delimiters outside quotes."""
    fields, start, quoted = [], 0, False
    for i, char in enumerate(body):
        if char == dialect.quote:
            quoted = not quoted
        elif char == dialect.delimiter and not quoted:
            fields.append(body[start:i])
            start = i + 1
    fields.append(body[start:])
    return fields


def _fields(record: str, dialect: CsvDialect) -> list[str]:
    """A record's values (quotes removed), as Python's csv module reads them."""
    body = record[: len(record) - len(_terminator(record))]
    if not body:
        return []
    return next(csv.reader([body], delimiter=dialect.delimiter, quotechar=dialect.quote, strict=False), [])


def _quoted_everywhere(records: list[str], dialect: CsvDialect) -> bool:
    """True when the first data record (or the header) quotes every field: new records then do too."""
    sample = records[1] if len(records) > 1 else records[0]
    body = sample[: len(sample) - len(_terminator(sample))]
    raw = _raw_fields(body, dialect)
    return bool(body) and all(f.startswith(dialect.quote) for f in raw)


def _row_index(records: list[str], dialect: CsvDialect, column: int, kind: PropertyType) -> dict[str, int]:
    """Canonical key -> record number (first occurrence); blank records have no key.

    The key cells are cut out as one column (a record without the quote character is split at its delimiters;
    only the others go through the csv module), then made canonical at once."""
    lines = pl.Series("r", records[1:], dtype=pl.Utf8)
    quoted = lines.str.contains(dialect.quote, literal=True)
    cells = (
        lines.str.strip_chars_end("\r\n")
        .str.split(dialect.delimiter)
        .list.get(column, null_on_oob=True)
        .to_list()
    )
    for at in quoted.arg_true().to_list():
        values = next(csv.reader([records[at + 1]], delimiter=dialect.delimiter, quotechar=dialect.quote), [])
        cells[at] = values[column] if column < len(values) else None
    present = [(number, cell) for number, cell in enumerate(cells, start=1) if cell is not None]
    canonical = _canonical_cells([cell for _, cell in present], kind, dialect)
    rows: dict[str, int] = {}
    for (number, _), key in zip(present, canonical, strict=True):
        if key is not None and key not in rows:
            rows[key] = number
    return rows


def _canonical_cells(cells: list[str], kind: PropertyType, dialect: CsvDialect) -> list[str | None]:
    """Cells' canonical values, read with the file's number and date formats (None: empty or a misfit)."""
    if kind == "text":
        return [c.strip() or None for c in cells]
    text = pl.Series("v", cells, dtype=pl.Utf8)
    if kind == "number":
        text = text.str.strip_chars()
        if dialect.thousands:
            text = text.str.replace_all(dialect.thousands, "", literal=True)
        if dialect.decimal != ".":
            text = text.str.replace_all(dialect.decimal, ".", literal=True)
    return canonical_series(text, kind, dialect.date_format).to_list()


def _held_values(
    records: Sequence[str | None],
    rows: Mapping[str, int],
    edits: Sequence[RowEdit],
    index: Mapping[str, int],
    types: Mapping[str, PropertyType],
    dialect: CsvDialect,
) -> dict[tuple[str, str], str | None]:
    """(key, property) -> the canonical value the file holds in each cell an update edits (one pass per type)."""
    cells: dict[PropertyType, list[tuple[tuple[str, str], str]]] = {}
    for edit in edits:
        at = rows.get(edit.key)
        record = records[at] if at is not None else None
        if edit.kind != "update" or record is None:
            continue
        values = _fields(record, dialect)
        for prop in edit.values:
            column = index.get(prop)
            if column is not None:
                old = values[column] if column < len(values) else ""
                cells.setdefault(types.get(prop, "text"), []).append(((edit.key, prop), old))
    held: dict[tuple[str, str], str | None] = {}
    for kind, pairs in cells.items():
        canonical = _canonical_cells([old for _, old in pairs], kind, dialect)
        held.update(zip((where for where, _ in pairs), canonical, strict=True))
    return held


def _updated(
    record: str,
    edit: RowEdit,
    index: Mapping[str, int],
    types: Mapping[str, PropertyType],
    dialect: CsvDialect,
    held: Mapping[tuple[str, str], str | None],
) -> str:
    """The record with the edited cells rewritten; every other field as it was, byte for byte."""
    end = _terminator(record)
    raw = _raw_fields(record[: len(record) - len(end)], dialect)
    values = _fields(record, dialect)
    for prop, value in edit.values.items():
        at = index.get(prop)
        if at is None:
            continue
        while len(raw) <= at:
            raw.append("")
            values.append("")
        kind = types.get(prop, "text")
        old = values[at] if at < len(values) else ""
        if held.get((edit.key, prop)) == value:
            continue  # already holds it (perhaps written another way): left exactly as it is
        text = format_value(value, kind, dialect, old)
        raw[at] = _quoted(text, dialect, force=raw[at].startswith(dialect.quote))
    return dialect.delimiter.join(raw) + end


def _new_record(
    edit: RowEdit,
    columns: Sequence[str],
    types: Mapping[str, PropertyType],
    dialect: CsvDialect,
    quote_all: bool,
    sample: Sequence[str],
) -> str:
    """A new record in the header's column order; booleans and number grouping spelled as in `sample` (the
    first data record)."""
    cells = []
    for at, prop in enumerate(columns):
        value = edit.values.get(prop)
        like = sample[at] if at < len(sample) else ""
        text = "" if value is None else format_value(value, types.get(prop, "text"), dialect, like)
        cells.append(_quoted(text, dialect, force=quote_all))
    return dialect.delimiter.join(cells)


def _keep_last_terminator(out: list[str | None], records: list[str]) -> None:
    """When the file's last record (which has no terminator) is deleted, the new last one loses its own, so the
    file still ends the way it did."""
    if not records or _terminator(records[-1]) or out[-1] is not None:
        return
    for i in range(len(out) - 1, 0, -1):
        kept = out[i]
        if kept is not None:
            out[i] = kept[: len(kept) - len(_terminator(kept))]
            return


def _quoted(text: str, dialect: CsvDialect, *, force: bool) -> str:
    q = dialect.quote
    needs = any(c in text for c in (dialect.delimiter, q, "\n", "\r")) or text != text.strip()
    if not (needs or (force and text)):
        return text
    return q + text.replace(q, q + q) + q


def format_value(value: str | None, kind: PropertyType, dialect: CsvDialect, old: str) -> str:
    """A canonical value as the file writes it; `old` (the cell's current text) gives the boolean spelling and
    whether numbers are grouped."""
    if value is None:
        return ""
    if kind == "number":
        return _number(value, dialect, old)
    if kind == "date":
        return dt.date.fromisoformat(value).strftime(DATE_FORMATS[dialect.date_format][0])
    if kind == "boolean":
        return _boolean(value == "true", old)
    return value


def _number(value: str, dialect: CsvDialect, old: str) -> str:
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, _, fraction = digits.partition(".")
    grouped = dialect.thousands is not None and (not old.strip() or dialect.thousands in old)
    if grouped and dialect.thousands:
        parts: list[str] = []
        while len(whole) > 3:
            parts.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = dialect.thousands.join([whole, *parts])
    return sign + whole + (dialect.decimal + fraction if fraction else "")


def _boolean(value: bool, old: str) -> str:
    spelled = old.strip()
    lower = spelled.lower()
    for true, false in zip(TRUE_WORDS, FALSE_WORDS, strict=True):
        if lower in (true, false):
            word = true if value else false
            if spelled.isupper() and len(spelled) > 1:
                return word.upper()
            return word.capitalize() if spelled[:1].isupper() else word
    return "true" if value else "false"
