"""JSON array and JSONL bytes -> a raw table of text columns, with exact messages for every mistake.

orjson parses (a malformed document or line is named with its line); the parsed objects then become columns
in one of two ways giving the same frame. The fast path builds each column natively (polars converts the
values to text) and only looks again, in Python, at the few texts that could differ from the exact rule
(float exponents, texts that could be a nested value). When it finds a non-object record or a nested
value it gives up, and the exact path walks the records one by one to name each problem.
Text of a value: a string as is, a number as Python writes it, booleans `true`/`false`, null as null.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeGuard

import orjson
import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.limits import limits_from
from orgsync.sources.bounds import KeyBound
from orgsync.sources.encoding import not_utf8
from orgsync.sources.source_errors import MAX_LISTED, source_error

_BOM = b"\xef\xbb\xbf"
CHUNK_LINES = 50_000  # JSONL lines parsed and turned into columns at a time
# Texts polars may write differently from Python (`1e-9` / `1e-09`, `0.00001` / `1e-05`, 16+ digits / `1e+16`),
# or that a nested value turns into (`{...}`, `[...]`): these few are converted again from the parsed value.
_RECHECK = r"^(?:[\[{]|-?(?:[0-9.]+e[-+]?[0-9]+|0\.0000[0-9]*|[0-9]{16,}(?:\.[0-9]*)?)$)"

Records = Sequence[object]


def parse_json_array(data: bytes, shown: str) -> tuple[pl.DataFrame, pl.Series]:
    """A JSON array of flat objects -> (Utf8 frame, item numbers from 1); a leading BOM is skipped."""
    try:
        doc = orjson.loads(memoryview(data)[len(_BOM) :] if data.startswith(_BOM) else data)
    except orjson.JSONDecodeError as err:
        if isinstance(err.__cause__, UnicodeDecodeError) or "utf-8" in str(err).lower():
            raise not_utf8(data, shown) from None
        raise source_error(
            shown, err.lineno, f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    if not isinstance(doc, list):
        raise source_error(shown, 1, f"expected a JSON array of objects, got a JSON {type(doc).__name__}")
    numbers = range(1, len(doc) + 1)
    keys = KeyBound(shown, limits_from()).add(doc, numbers, "item")
    return records_frame(doc, numbers, shown, "item", keys), pl.Series("__row", numbers, dtype=pl.Int64)


def parse_jsonl(data: bytes, shown: str) -> tuple[pl.DataFrame, pl.Series]:
    """One object per line (blank lines skipped) -> (Utf8 frame, line numbers).

    Lines become columns `CHUNK_LINES` at a time, so only one chunk's parsed objects are alive at once (at 1M
    lines: ~1.7 GB peak instead of ~4.3 GB, and faster). Malformed lines are reported before misshapen records,
    each kind the first `MAX_LISTED` in the file, as when the whole file was parsed first.
    """
    lines = data.removeprefix(_BOM).split(b"\n")
    parts: list[pl.DataFrame | int] = []
    numbers: list[int] = []
    malformed: list[Problem] = []
    misshapen: list[Problem] = []
    bound = KeyBound(shown, limits_from())
    for start in range(0, len(lines), CHUNK_LINES):
        records, chunk_numbers = _load_lines(data, lines, start, shown, malformed)
        numbers += chunk_numbers
        keys = bound.add(records, chunk_numbers, "line")
        if malformed or len(misshapen) >= MAX_LISTED:
            continue  # only the messages are still wanted
        try:
            frame = records_frame(records, chunk_numbers, shown, "line", keys)
        except SourceError as err:
            misshapen += err.problems
            continue
        parts.append(frame if frame.width else len(records))
    if malformed or misshapen:
        raise SourceError((malformed or misshapen)[:MAX_LISTED])
    return _stacked(parts), pl.Series("__row", numbers, dtype=pl.Int64)


def _load_lines(
    data: bytes, lines: list[bytes], start: int, shown: str, malformed: list[Problem]
) -> tuple[list[object], list[int]]:
    """The parsed non-blank lines of one chunk and their numbers; appends a problem per malformed line."""
    records: list[object] = []
    numbers: list[int] = []
    loads = orjson.loads
    for number, line in enumerate(lines[start : start + CHUNK_LINES], start=start + 1):
        try:
            records.append(loads(line))
        except orjson.JSONDecodeError as err:
            if not line.strip():
                continue  # blank lines carry nothing; parsing first keeps the common case to one call
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                raise not_utf8(data, shown) from None
            malformed.append(Problem(Location(shown, number), f"line {number} is not valid JSON: {err.msg}"))
            continue
        numbers.append(number)
    return records, numbers


def _stacked(parts: list[pl.DataFrame | int]) -> pl.DataFrame:
    """Chunk frames one under the other (union of columns, first-seen order); an int: that many keyless objects."""
    columns = dict.fromkeys(c for part in parts if isinstance(part, pl.DataFrame) for c in part.columns)
    empty = pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    frames = [part if isinstance(part, pl.DataFrame) else empty.clear(part) for part in parts]
    return pl.concat(frames, how="diagonal") if frames else empty


def records_frame(
    records: Records, numbers: Sequence[int], shown: str, word: str, keys: dict[str, None] | None = None
) -> pl.DataFrame:
    """Parsed records -> Utf8 columns (union of keys, first-seen order); raises naming every bad record.
    `keys`: the records' keys when already counted (`bounds.KeyBound`)."""
    frame = fast_columns(records, keys)
    return frame if frame is not None else exact_columns(records, numbers, shown, word)


def fast_columns(records: Records, keys: dict[str, None] | None = None) -> pl.DataFrame | None:
    """The columns built natively, or None when a record is not an object or holds a nested value."""
    if not _all_objects(records):
        return None
    if keys is None:
        keys = dict.fromkeys(itertools.chain.from_iterable(records))
    columns = []
    for key in keys:
        values = [record.get(key) for record in records]
        column = _text_column(key, values)
        if column is None:
            return None
        columns.append(column)
    return pl.DataFrame(columns) if columns else pl.DataFrame()


def _all_objects(records: Records) -> TypeGuard[Sequence[dict[str, object]]]:
    """True when every record is a JSON object (parsed JSON objects have string keys)."""
    return all(type(record) is dict for record in records)


def _text_column(key: str, values: list[object]) -> pl.Series | None:
    """`values` as a Utf8 series with exactly `_text`'s result per value; None when one is nested."""
    column = pl.Series(key, values, dtype=pl.Utf8, strict=False)
    rows = column.str.contains(_RECHECK).fill_null(False).arg_true()
    if rows.is_empty():
        return column
    again = [values[row] for row in rows.to_list()]
    if any(isinstance(value, dict | list) for value in again):
        return None
    return column.scatter(rows, pl.Series([_text(value) for value in again], dtype=pl.Utf8))


def exact_columns(records: Records, numbers: Sequence[int], shown: str, word: str) -> pl.DataFrame:
    """The columns built one value at a time, naming every non-object record and nested value."""
    columns: dict[str, list[str | None]] = {}
    problems: list[Problem] = []
    for index, (number, record) in enumerate(zip(numbers, records, strict=True)):
        line = number if word == "line" else None
        if not isinstance(record, dict):
            problems.append(
                Problem(
                    Location(shown, line),
                    f"{word} {number} is a JSON {type(record).__name__}; expected an object of column: value",
                )
            )
            continue
        for key, value in record.items():
            if isinstance(value, dict | list):
                problems.append(
                    Problem(
                        Location(shown, line),
                        f"{word} {number}: nested value; expected a string, number, boolean or null",
                        key,
                    )
                )
                continue
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * index
            column.extend([None] * (index - len(column)))
            column.append(_text(value))
    if problems:
        raise SourceError(problems[:MAX_LISTED])
    for column in columns.values():
        column.extend([None] * (len(records) - len(column)))
    return pl.DataFrame(columns, schema={k: pl.Utf8 for k in columns}, orient="col")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
