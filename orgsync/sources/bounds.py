"""Refuse a hostile source file before it is parsed: header width, JSON keys, xlsx sheet area, Parquet metadata.

Each check reads only what it needs (a header line, a sheet's cell references, a file's footer) and refuses
at the first value over a limit of `orgsync.limits`, whose defaults fit a 2M-row tenant and which only the
environment can raise (`ORGSYNC_LIMIT_<NAME>`).
"""

from __future__ import annotations

import html
import itertools
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from orgsync.errors import SourceError
from orgsync.limits import ResourceLimits
from orgsync.sources.source_errors import source_error

_CHUNK = 1 << 20
SPARSE_FLOOR = 10_000_000  # JSON cells below which sparsity is not checked (160 MB of empty cells at most)
RAISE = "raise it in the CI environment if the file is genuine"


def over(shown: str, what: str, limits: ResourceLimits, name: str, line: int | None = None) -> SourceError:
    """The one message every refusal here gives: the file, what it holds, the limit and how to raise it."""
    return source_error(
        shown,
        line,
        f"{what}, more than the limit of {getattr(limits, name)} ({limits.describe(name)}); {RAISE}",
    )


def header_columns(path: Path, sep: str, shown: str, limits: ResourceLimits) -> None:
    """Refuse a delimited file whose first line has more than `source_columns` fields, reading only that line."""
    fields, seps = 1, sep.encode()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            end = block.find(b"\n")
            fields += (block if end < 0 else block[:end]).count(seps)
            if fields > limits.source_columns:
                break
            if end >= 0:
                return
    if fields > limits.source_columns:
        raise over(shown, f"the header has at least {fields} columns", limits, "source_columns", 1)


def header_columns_of(data: bytes, sep: str, shown: str, limits: ResourceLimits) -> None:
    """`header_columns` for bytes already in memory."""
    end = data.find(b"\n")
    fields = data.count(sep.encode(), 0, len(data) if end < 0 else end) + 1
    if fields > limits.source_columns:
        raise over(shown, f"the header has {fields} columns", limits, "source_columns", 1)


class KeyBound:
    """Counts the distinct keys of JSON records, refusing at the first one past `source_columns`, and the
    cells (records × keys) past `source_cells`: a distinct key per record makes a square table."""

    def __init__(self, shown: str, limits: ResourceLimits) -> None:
        self.shown, self.limits = shown, limits
        self.keys: dict[str, None] = {}
        self.records = 0
        self.values = 0  # key: value pairs present

    def add(self, records: Sequence[object], numbers: Sequence[int], word: str) -> dict[str, None]:
        """Count a chunk of parsed records (their item or line `numbers`); raises at the first excess. Returns
        the chunk's keys in first-seen order (what building its columns needs)."""
        prior = dict(self.keys)  # at most the limit: a chunk that passes it is walked again from here
        objects = (
            records if all(type(r) is dict for r in records) else [r for r in records if type(r) is dict]
        )
        chunk: dict[str, None] = dict.fromkeys(itertools.chain.from_iterable(objects))  # type: ignore[arg-type]
        self.keys.update(chunk)
        self.records += len(records)
        self.values += sum(map(len, objects))  # type: ignore[arg-type]
        if len(self.keys) > self.limits.source_columns:
            self._first_over(prior, records, numbers, word)
        cells = self.records * len(self.keys)
        if cells > self.limits.source_cells:
            raise over(
                self.shown,
                f"{self.records} records × {len(self.keys)} keys make {cells} cells",
                self.limits,
                "source_cells",
            )
        if cells > SPARSE_FLOOR and cells > self.limits.json_sparsity * self.values:
            raise over(
                self.shown,
                f"{self.records} records × {len(self.keys)} keys make {cells} cells for {self.values} values "
                f"present (most keys appear in few records), {cells // max(self.values, 1)} cells per value",
                self.limits,
                "json_sparsity",
            )
        return chunk

    def _first_over(
        self, known: dict[str, None], records: Sequence[object], numbers: Sequence[int], word: str
    ) -> None:
        """Walk the chunk key by key from the keys `known` before it, naming the record that passed the limit."""
        for record, number in zip(records, numbers, strict=False):
            if type(record) is not dict:
                continue
            for key in record:
                if key not in known:
                    known[key] = None
                    if len(known) > self.limits.source_columns:
                        raise over(
                            self.shown,
                            f"{word} {number} brings the count of distinct keys (columns) to {len(known)}",
                            self.limits,
                            "source_columns",
                            number if word == "line" else None,
                        )


# -- xlsx ------------------------------------------------------------------------------------------

_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"([0-9]{1,7})\"")
_CELL = re.compile(rb"<(?:\w+:)?c\b")
RATIO_FLOOR = 64 * 1024 * 1024  # a sheet's XML below this size is not checked for its compression ratio


def xlsx_area(path: Path, shown: str, limits: ResourceLimits) -> None:
    """Refuse a workbook one of whose sheets spans more than `xlsx_cells` (rows × columns between its first
    and last cell) or holds more than that many cells: calamine allocates the whole area before reading.
    Every worksheet is read from the zip as a stream (never whole), and the scan stops at the first excess."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # not a zip: the reader says so
    with archive:
        sheets = [
            i
            for i in archive.infolist()
            if PurePosixPath(i.filename).parent.name == "worksheets" and i.filename.endswith(".xml")
        ]
        names = _sheet_names(archive)
        for info in sheets:
            name = names.get(info.filename, PurePosixPath(info.filename).stem)
            _sheet_area(archive, info, name, shown, limits)


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]{1,100})\"[^>]*?\br:id=\"([^\"]{1,50})\"")
_RELATION = re.compile(
    rb"<(?:\w+:)?Relationship\b[^>]*?\bId=\"([^\"]{1,50})\"[^>]*?\bTarget=\"([^\"]{1,200})\""
)


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> the sheet's name as the workbook shows it (e.g. `'People'`), read from the workbook
    and its relations (each at most 1 MiB); parts it cannot name keep their file name."""
    try:
        with archive.open("xl/workbook.xml") as book, archive.open("xl/_rels/workbook.xml.rels") as rels:
            sheets, relations = book.read(_CHUNK), rels.read(_CHUNK)
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return {}
    targets = {
        rid: target.decode("utf-8", "replace").lstrip("/") for rid, target in _RELATION.findall(relations)
    }
    names = {}
    for name, rid in _SHEET.findall(sheets):
        target = targets.get(rid)
        if target is not None:
            part = target if target.startswith("xl/") else f"xl/{target}"
            names[part] = repr(html.unescape(name.decode("utf-8", "replace")))
    return names


def _sheet_area(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, shown: str, limits: ResourceLimits
) -> None:
    limit = limits.xlsx_cells
    low_row = low_col = 1 << 30
    high_row = high_col = cells = read = 0
    buffer = b""
    with archive.open(info) as stream:
        while block := stream.read(_CHUNK):
            read += len(block)
            if read > RATIO_FLOOR and read > limits.gzip_ratio * max(info.compress_size, 1):
                raise over(
                    shown,
                    f"sheet {name} decompresses more than {limits.gzip_ratio}× its compressed size",
                    limits,
                    "gzip_ratio",
                )
            text = buffer + block
            cut = text.rfind(b"<")  # a tag cut by the chunk end is matched with the next chunk
            cut = cut if cut > 0 and len(text) - cut < _CHUNK else len(text)
            part, buffer = text[:cut], text[cut:]
            for m in _REF.finditer(part):
                column, row = _column(m.group(1)), int(m.group(2))
                low_row, high_row = min(low_row, row), max(high_row, row)
                low_col, high_col = min(low_col, column), max(high_col, column)
            for m in _ROW.finditer(part):
                row = int(m.group(1))
                low_row, high_row = min(low_row, row), max(high_row, row)
            cells += len(_CELL.findall(part))
            if high_col and high_row:
                height, width = high_row - low_row + 1, high_col - low_col + 1
                if height * width > limit:
                    raise over(
                        shown,
                        f"sheet {name} spans {height} rows × {width} columns ({height * width} cells)",
                        limits,
                        "xlsx_cells",
                    )
            if cells > limit:
                raise over(shown, f"sheet {name} holds more than {limit} cells", limits, "xlsx_cells")


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


# -- Parquet ---------------------------------------------------------------------------------------


def parquet_metadata(path: Path, shown: str, limits: ResourceLimits) -> None:
    """Refuse a Parquet file whose footer declares more rows, columns or uncompressed bytes than the limits,
    before any page is decoded; then (see `parquet_decoded`) the decoded size of its text columns."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:  # noqa: BLE001 - not Parquet: polars' reader says so
        return
    if meta.num_columns > limits.source_columns:
        raise over(shown, f"the file has {meta.num_columns} columns", limits, "source_columns")
    if meta.num_rows > limits.source_rows:
        raise over(shown, f"the file declares {meta.num_rows} rows", limits, "source_rows")
    if meta.num_rows * meta.num_columns > limits.source_cells:
        raise over(
            shown, f"the file declares {meta.num_rows * meta.num_columns} cells", limits, "source_cells"
        )
    size = sum(
        meta.row_group(g).column(c).total_uncompressed_size
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    )
    if size > limits.source_bytes:
        raise over(shown, f"the file's pages hold {size} bytes uncompressed", limits, "source_bytes")
    parquet_decoded(path, shown, limits)


def _is_text(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _is_text(kind.value_type)
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def parquet_decoded(path: Path, shown: str, limits: ResourceLimits) -> None:
    """Refuse a file whose text columns decode to more than `source_bytes`: a dictionary page with one long
    value repeated by a run-length page is tiny on disk and huge in memory. Only the columns stored with a
    dictionary can do that (a plain page decodes to about its uncompressed size, already bounded); they are
    read dictionary-encoded (indices + distinct values) and each row's value length summed without decoding."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    meta = handle.metadata
    chunks = [
        meta.row_group(g).column(c) for g in range(meta.num_row_groups) for c in range(meta.num_columns)
    ]
    coded = list(dict.fromkeys(chunk.path_in_schema for chunk in chunks if chunk.has_dictionary_page))
    texts = {f.name for f in handle.schema_arrow if _is_text(f.type)}
    coded = [name for name in coded if name in texts]  # numbers decode to their slot; nested: to their pages
    total = meta.num_rows * 16 * meta.num_columns  # every value's slot (views, offsets, numbers): ≤ 16 bytes
    total += sum(chunk.total_uncompressed_size for chunk in chunks if chunk.path_in_schema not in coded)
    if not coded:
        return
    reader = pq.ParquetFile(path, read_dictionary=coded)
    for group in range(reader.num_row_groups):
        table = reader.read_row_group(group, columns=coded)
        for column in table.columns:
            for chunk in column.chunks:
                if isinstance(chunk, pa.DictionaryArray):
                    lengths = pc.binary_length(chunk.dictionary)
                    total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
                else:
                    total += chunk.nbytes
            if total > limits.source_bytes:
                raise over(
                    shown,
                    f"its columns decode to at least {total} bytes",
                    limits,
                    "source_bytes",
                )
        del table
