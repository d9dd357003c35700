"""Source bytes -> a raw table of text columns, one parser per format (csv, tsv, json, jsonl).

CSV/TSV go through polars' native reader (about 1 GB/s), strictly (a row with extra fields fails it); in a
plain file a count of separators then proves every row has the header's field count. Only when it cannot
(quotes, blank lines, a ragged row...) a vectorised pass over the lines finds the ragged rows, and Python's
csv module is used only to confirm candidates in files with quoted newlines. JSON and JSONL: `json_records`.
Every error names the row (header = row 1) or JSON item, never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.limits import limits_from
from orgsync.sources.bounds import header_columns_of
from orgsync.sources.dictionary import SAMPLE_ROWS, dictionary_columns
from orgsync.sources.encoding import not_utf8
from orgsync.sources.gunzip import gunzip_bounded
from orgsync.sources.hints import delimiter_advice
from orgsync.sources.json_records import parse_json_array, parse_jsonl
from orgsync.sources.source_errors import (
    MAX_LISTED as MAX_LISTED,  # re-exported: checks.py imports it from here
)
from orgsync.sources.source_errors import source_error
from orgsync.sources.table import QueryRows

FORMATS = ("csv", "tsv", "json", "jsonl", "xlsx", "parquet")
_ROW = "__row"


@dataclass
class RawSource:
    """A source as read: columns in file order (Utf8 from text files, typed from xlsx, Parquet, databases and
    queries), the row number of each row and the word for it."""

    frame: pl.DataFrame
    rows: pl.Series
    row_word: (
        str  # "row" (csv/tsv/xlsx, header = row 1), "line" (jsonl), "item" (json), "record", "result row"
    )
    files: pl.Series | None = None  # per row, the file it is from, when several files were concatenated
    query: QueryRows | None = None  # a query's output: where its rows come from
    excel: bool = False  # numbers in date columns are Excel date serials
    at: tuple[int, int] | None = (
        None  # (line, column) of the manifest field rows without lines are reported at
    )

    def take_frame(self) -> pl.DataFrame:
        """The columns, handed over: this source keeps an empty frame of the same schema (and its row numbers,
        files and query for messages), so the caller's dropping a column frees it."""
        frame, self.frame = self.frame, self.frame.clear()
        return frame

    @property
    def has_lines(self) -> bool:
        """True when the row numbers are lines (or sheet rows) of the file, so a message can point at one."""
        return self.row_word in ("row", "line")


def detect_format(path: Path, override: str | None = None) -> tuple[str, bool]:
    """(format, gzipped) from the file name (`people.csv.gz` -> csv, True) unless `override` is given."""
    suffixes = [s.lower().lstrip(".") for s in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == "gz"
    if gzipped:
        suffixes = suffixes[:-1]
    fmt = override or (suffixes[-1] if suffixes else "")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {path.name}: expected a name ending in .csv, .tsv, .json, "
            ".jsonl (optionally .gz), .xlsx or .parquet, or set `items.format`"
        )
    if fmt in ("xlsx", "parquet") and gzipped:
        raise ValueError(f"{path.name}: {fmt} files cannot be gzipped; expected the {fmt} file itself")
    return fmt, gzipped


def parse_source(
    data: bytes,
    fmt: str,
    gzipped: bool,
    shown: str,
    *,
    delimiter: str | None = None,
    quote: str | None = None,
) -> RawSource:
    """Decompress and parse UTF-8 `data`; `shown` is the file name used in messages.

    `delimiter` / `quote` override the CSV dialect (`,` or tab by format, and `"`)."""
    if gzipped:
        data = gunzip_bounded(data, shown)  # bounded: size and ratio limits (orgsync.limits)
    _check_encoding_prefix(data, shown)
    if fmt in ("csv", "tsv"):
        sep = delimiter or ("," if fmt == "csv" else "\t")
        header_columns_of(data, sep, shown, limits_from())
        return _parse_delimited(data, sep, quote or '"', shown)
    if fmt == "jsonl":
        return RawSource(*parse_jsonl(data, shown), "line")
    return RawSource(*parse_json_array(data, shown), "item")


def _error(shown: str, line: int | None, message: str, field: str | None = None) -> SourceError:
    return source_error(shown, line, message, field)


def _check_encoding_prefix(data: bytes, shown: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(
            shown,
            1,
            "the file is not UTF-8; it starts with a UTF-16 byte order mark: set `encoding: utf-16`",
            "items.encoding",
        )


# -- CSV / TSV -------------------------------------------------------------------------------------


def _parse_delimited(data: bytes, sep: str, quote: str, shown: str) -> RawSource:
    if not data or data.isspace():  # not data.strip(): that would copy the whole file
        raise _error(shown, 1, "the file is empty; expected a header row with column names")
    try:  # strict: a row with more fields than the header makes this fail, and is then found below
        dictionaries = _dictionaries(_head(data), sep, quote)
        frame, strict = _read_delimited(data, sep, quote, dictionaries, truncate_ragged_lines=False), True
    except pl.exceptions.PolarsError:
        frame, strict = _read_delimited_or_raise(data, sep, quote, shown), False
    proven = (
        strict
        and data.endswith(b"\n")
        and not any(mark in data for mark in _marks(quote)[1:])
        and _counted(frame, sep, lambda: data.count(sep.encode()), quoted=quote.encode() in data)
    )
    return _checked(frame, sep, quote, shown, proven=proven, data=lambda: data)


def _checked(
    frame: pl.DataFrame, sep: str, quote: str, shown: str, *, proven: bool, data: Callable[[], bytes]
) -> RawSource:
    """The parsed `frame` checked: header and delimiter, blank lines dropped, and, unless the separator count
    `proven` every row's field count, each line looked at in the file's bytes (`data`, read only then)."""
    columns = [c for c in frame.columns if c != _ROW]
    _check_delimiter(sep, columns, shown)
    _check_header(columns, shown)
    # Fully blank lines carry nothing; they are dropped rather than reported.
    blank = (
        frame.select(pl.all_horizontal(pl.col(c).is_null() for c in columns)).to_series() if columns else None
    )
    has_blank = blank is not None and blank.any()
    if has_blank or not proven:
        _check_ragged(data(), sep, quote, len(columns), shown)
    if has_blank and blank is not None:
        frame = frame.filter(~blank)
    return RawSource(frame.select(columns), frame[_ROW].cast(pl.Int64), "row")


def _marks(quote: str) -> tuple[bytes, ...]:
    """Bytes that stop a file from being plain: where they are, lines and parsed rows may not be the same.
    The quote comes first: a file holding quotes (and none of the others) can still be proven (`_counted`)."""
    return (quote.encode(), b"\r", b"\x1f")


def _fields(frame: pl.DataFrame) -> int:
    """The separators a file holds when every line of `frame` (strictly parsed, none with more fields than the
    header) has as many fields as the header: (fields - 1) per line, header included. Far cheaper than looking
    at each line; only for plain files (ending in a line break, without `_marks`), where lines are exactly the
    parsed rows. `frame.width` counts the row index."""
    return (frame.width - 2) * (frame.height + 1)


def _counted(frame: pl.DataFrame, sep: str, count: Callable[[], int], *, quoted: bool) -> bool:
    """True when the file's separators (`count()`, asked only when needed) prove that every record of `frame`
    (strictly parsed: none has more fields than the header) has the header's field count.

    Each separator byte of the file either ends a field or lies inside a quoted value, where it is kept in the
    parsed value (or header name): so the file holds `_fields(frame)` plus the separators inside values exactly
    when no record is short, records being counted as parsed, whatever quoted line breaks they hold. Without
    quotes no value can hold one, and the count alone decides (issue 13); with quotes the values are counted
    (one native pass over the text, far cheaper than looking at every line).

    First, for free: a record with fewer fields than the header leaves at least its last field null, so when
    no value of the last column is null (known without a pass), no record is short, whatever the quotes; the
    file's separators are then never counted (a quarter of a second a million rows)."""
    columns = [c for c in frame.columns if c != _ROW]
    if columns and frame[columns[-1]].null_count() == 0:
        return True
    expected = _fields(frame)
    separators = count()
    if not quoted or separators < expected:
        return separators == expected
    inside = sum(name.count(sep) for name in columns)
    if columns:
        counts = frame.select(
            pl.sum_horizontal(
                pl.col(c).cast(pl.String).str.count_matches(sep, literal=True).sum() for c in columns
            )
        )
        inside += int(counts.item() or 0)
    return separators == expected + inside


@dataclass(frozen=True)
class FileFacts:
    """What one streamed pass over a plain text file tells, so it can be parsed from disk (never held as
    bytes): its sha256, and what proving every row's field count needs (see `_fields`; the separators
    themselves are counted only when that proof needs them, `count_in`)."""

    sha256: str
    size: int
    blank: bool  # empty or only whitespace
    head: bytes  # the first 4 bytes (byte order marks)
    plain: bool  # no quote, carriage return or 0x1f byte, and ends with a line break
    quoted: bool = False  # holds the quote character
    bare: bool = False  # no carriage return or 0x1f byte, and ends with a line break (quotes allowed)


def file_facts(path: Path, quote: str, chunk: int = 1 << 20) -> FileFacts:
    """Read `path` once, a MiB at a time: its checksum and what `parse_delimited_file` needs to know of it."""
    digest = hashlib.sha256()
    size = 0
    blank, quoted, special, head, last = True, False, False, b"", b""
    marks = _marks(quote)[1:]
    for block in _blocks(path, chunk):
        digest.update(block)
        if len(head) < 4:  # the first 4 bytes of the file, whatever the read size
            head = (head + block)[:4]
        size += len(block)
        blank = blank and block.isspace()
        quoted = quoted or quote.encode() in block
        special = special or any(mark in block for mark in marks)
        last = block[-1:]
    bare = not special and last == b"\n"
    return FileFacts(digest.hexdigest(), size, blank, head, bare and not quoted, quoted, bare)


def count_in(path: Path, sep: str, chunk: int = 1 << 20) -> int:
    """The separator bytes in the file at `path`, read a MiB at a time."""
    return sum(block.count(sep.encode()) for block in _blocks(path, chunk))


def _blocks(path: Path, chunk: int) -> Iterator[bytes]:
    """The bytes of the file at `path`, `chunk` bytes at a time."""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            yield block


def parse_delimited_file(path: Path, sep: str, quote: str, shown: str, facts: FileFacts) -> RawSource:
    """`parse_source` of a plain UTF-8 CSV/TSV file, parsed from disk so its bytes are never held beside the
    frame. A file the cheap proof does not cover (quotes, carriage returns, a failed strict read) is checked
    from its bytes, exactly as `parse_source` would."""
    if facts.blank:
        raise _error(shown, 1, "the file is empty; expected a header row with column names")
    _check_encoding_prefix(facts.head, shown)
    try:
        frame = _read_delimited_path(path, sep, quote, _dictionaries(path, sep, quote))
    except pl.exceptions.PolarsError:
        return _parse_delimited(path.read_bytes(), sep, quote, shown)
    return _checked(
        frame,
        sep,
        quote,
        shown,
        proven=facts.bare and _counted(frame, sep, lambda: count_in(path, sep), quoted=facts.quoted),
        data=path.read_bytes,
    )


def _head(data: bytes, size: int = 4 << 20) -> bytes:
    """The whole lines in the first `size` bytes of `data` (none when no line ends there: no sample, so no
    dictionary): what a choice of dictionary columns reads, without polars taking in the whole file for it."""
    return data[: data.rfind(b"\n", 0, size) + 1]


def _dictionaries(source: Path | bytes, sep: str, quote: str) -> list[str]:
    """The columns of a file (at a path, or its bytes) to read as dictionaries (`sources.dictionary`), chosen
    from its head; none when the head does not parse (the whole read then says why)."""
    try:
        sample = pl.read_csv(
            source,
            separator=sep,
            quote_char=quote,
            infer_schema=False,
            n_rows=SAMPLE_ROWS,
            truncate_ragged_lines=True,
            empty_string_is_null=True,
        )
    except pl.exceptions.PolarsError:
        return []
    return dictionary_columns(sample)


def _read_delimited_path(path: Path, sep: str, quote: str, dictionaries: list[str]) -> pl.DataFrame:
    return pl.read_csv(
        path,
        separator=sep,
        quote_char=quote,
        infer_schema=False,
        schema_overrides=dict.fromkeys(dictionaries, pl.Categorical),
        row_index_name=_ROW,
        row_index_offset=2,
        empty_string_is_null=True,
    )


def _read_delimited(
    data: bytes, sep: str, quote: str, dictionaries: list[str] | None = None, *, truncate_ragged_lines: bool
) -> pl.DataFrame:
    return pl.read_csv(
        data,
        separator=sep,
        quote_char=quote,
        infer_schema=False,
        schema_overrides=dict.fromkeys(dictionaries or (), pl.Categorical),
        truncate_ragged_lines=truncate_ragged_lines,
        row_index_name=_ROW,
        row_index_offset=2,
        empty_string_is_null=True,
    )


def _read_delimited_or_raise(data: bytes, sep: str, quote: str, shown: str) -> pl.DataFrame:
    """The lenient read (extra fields cut off, to be reported as ragged rows); unreadable data raises."""
    try:
        return _read_delimited(data, sep, quote, truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as err:
        if "utf-8" in str(err).lower() or "utf8" in str(err).lower():
            raise not_utf8(data, shown, sep) from None
        raise _error(shown, None, f"cannot be parsed as {'CSV' if sep == ',' else 'TSV'}: {err}") from None


def _check_header(columns: list[str], shown: str) -> None:
    problems = []
    for name in columns:
        if "_duplicated_" in name:
            original = name.split("_duplicated_")[0]
            problems.append(
                Problem(
                    Location(shown, 1),
                    f"column {original!r} appears twice in the header; expected unique column names",
                    original,
                )
            )
        elif not name.strip():
            problems.append(Problem(Location(shown, 1), "a header cell is empty; expected a column name"))
    if problems:
        raise SourceError(problems)


def _check_delimiter(sep: str, columns: list[str], shown: str) -> None:
    """One clear error when the header did not split on `sep` but holds another likely delimiter."""
    advice = delimiter_advice(sep, columns[0]) if len(columns) == 1 else ""
    if advice:
        raise _error(shown, 1, advice, "items.delimiter")


def _check_ragged(data: bytes, sep: str, quote: str, ncols: int, shown: str) -> None:
    """Raise for rows whose field count differs from the header's (blank lines excepted)."""
    candidates = _ragged_candidates(data, sep, quote, ncols)
    if not candidates:
        return
    if quote.encode() in data:  # quoted newlines shift line counts: let the csv module decide exactly
        candidates = _ragged_exact(data, sep, quote, ncols)
    if candidates:
        listed = [
            Problem(
                Location(shown, row),
                f"row {row} has {n} fields; expected {ncols} like the header "
                "(a missing or extra separator, or an unquoted value?)",
            )
            for row, n in candidates[:MAX_LISTED]
        ]
        if len(candidates) > MAX_LISTED:
            listed.append(
                Problem(Location(shown), f"... and {len(candidates) - MAX_LISTED} more ragged rows")
            )
        raise SourceError(listed)


def _ragged_candidates(data: bytes, sep: str, quote: str, ncols: int) -> list[tuple[int, int]]:
    """(row, fields) of lines whose separator count is off, counted outside quotes, vectorised."""
    lines = pl.read_csv(
        data,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        new_columns=["line"],
        truncate_ragged_lines=True,
        row_index_name=_ROW,
        row_index_offset=1,
        empty_string_is_null=False,
    )
    text = pl.col("line").str.strip_chars_end("\r")
    if quote.encode() in data:
        q = re.escape(quote)
        text = text.str.replace_all(f"{q}(?:[^{q}]|{q}{q})*{q}", "")
    counted = lines.select(
        pl.col(_ROW),
        (text.str.count_matches(sep, literal=True) + 1).alias("n"),
        text.fill_null("").str.len_bytes().alias("len"),
    )
    bad = counted.filter((pl.col(_ROW) > 1) & (pl.col("len") > 0) & (pl.col("n") != ncols))
    return [(int(r), int(n)) for r, n in bad.select(_ROW, "n").iter_rows()]


def _ragged_exact(data: bytes, sep: str, quote: str, ncols: int) -> list[tuple[int, int]]:
    """(row, fields) of ragged records by the csv module (slow path, only when candidates exist)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=sep, quotechar=quote)
    return [
        (row, len(rec)) for row, rec in enumerate(reader, start=1) if row > 1 and rec and len(rec) != ncols
    ]
