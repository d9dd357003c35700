"""Dataset export in the five documented formats, written column-wise (polars) so a million rows is fast."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import polars as pl

from orgsync.emulator.errors import bad_body, bad_query
from orgsync.emulator.model import Dataset
from orgsync.emulator.query import filter_expr, projection_keys
from orgsync.emulator.values import json_expr, text_expr

FORMATS = ("jsonRows", "jsonColumns", "jsonObjects", "csv", "tsv")
CONTENT_TYPES = {
    "csv": "text/csv; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
}
SYSTEM_TYPES = {"_id": "text", "_modifiedAt": "text"}
ITEM_TYPES = {
    **SYSTEM_TYPES,
    "_access": "text",
}  # items GET/query add the computed `_access` column; exports do not


def check_format(fmt: str | None) -> str:
    fmt = fmt or "jsonRows"
    if fmt not in FORMATS:
        raise bad_query("exportFormat", f"exportFormat must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def content_type(fmt: str) -> str:
    return CONTENT_TYPES.get(fmt, "application/json; charset=UTF-8")


PROJECTION_MODES = ("add", "replace")  # D/egress/column-manipulation/; `add` is the export default


def select(
    ds: Dataset,
    frame: pl.DataFrame,
    filt: Any,
    projection: Any,
    path: str = "$.query.output",
    mode: Any = None,
) -> tuple[pl.DataFrame, list[str]]:
    """Filter rows and choose columns by the projection and its `projectionMode` (see `export_keys`)."""
    types = {**SYSTEM_TYPES, **ds.types()}
    if filt is not None:
        frame = frame.filter(filter_expr(filt, types, f"{path}.filter").fill_null(False))
    keys = export_keys(projection, ds.keys(), mode, path)
    keys = [k for k in keys if k in types]
    return frame, keys


def export_keys(projection: Any, keys: list[str], mode: Any, path: str = "$.query.output") -> list[str]:
    """The columns of an async export (D/egress/column-manipulation/).

    `add` (the default): every property, in dataset order, less those projected 0; `replace`: only the
    properties projected non-zero. In both, the non-zero numbers order the columns they name (ascending, ties
    in the projection's order); in `add` mode those come first, then the other properties (our choice: the
    page does not say where unnumbered columns go).
    """
    mode = "add" if mode is None else mode
    if mode not in PROJECTION_MODES:
        raise bad_body("projectionMode must be add or replace", f"{path}.projectionMode")
    if projection is None:
        return list(keys)
    projection_keys(projection, keys, path=f"{path}.projection")  # the shape check
    ranked = sorted(
        ((float(v), i, k) for i, (k, v) in enumerate(projection.items()) if v), key=lambda r: (r[0], r[1])
    )
    chosen = [k for _, _, k in ranked]
    if mode == "replace":
        return chosen
    dropped = {k for k, v in projection.items() if not v} | set(chosen)
    return chosen + [k for k in keys if k not in dropped]


def render(
    ds: Dataset, frame: pl.DataFrame, keys: list[str], fmt: str, *, bom: bool = True, unix: bool = False
) -> bytes:
    """Serialise the selected items; BOM and line endings apply to CSV/TSV only."""
    types = {**ITEM_TYPES, **ds.types()}
    if fmt in ("csv", "tsv"):
        text = frame.select([text_expr(k, types[k]) for k in keys]).write_csv(
            separator="," if fmt == "csv" else "\t", line_terminator="\n" if unix else "\r\n", null_value=""
        )
        return ("\ufeff" if bom else "").encode() + text.encode()
    out = frame.select([json_expr(k, types[k], frame) for k in keys])
    mixed = [k for k in keys if out.schema[k] == pl.Float64]
    headers = [_header(ds, k) for k in keys]
    if fmt == "jsonObjects":
        if not mixed:
            return out.write_json().encode()
        return orjson.dumps([_ints(row, mixed) for row in out.iter_rows(named=True)])
    columns = {k: _int_list(out[k].to_list()) if k in mixed else out[k].to_list() for k in keys}
    if fmt == "jsonColumns":
        return orjson.dumps({"headers": headers, "columns": [columns[k] for k in keys]})
    return orjson.dumps(
        {"headers": headers, "rows": [list(r) for r in zip(*(columns[k] for k in keys), strict=True)]}
    )


def _whole(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v


def _ints(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """Whole numbers in a column that also holds fractions are still written as integers (65000)."""
    for k in keys:
        row[k] = _whole(row[k])
    return row


def _int_list(values: list[Any]) -> list[Any]:
    return [_whole(v) for v in values]


def _header(ds: Dataset, key: str) -> dict[str, Any]:
    for prop in ds.properties:
        if prop["key"] == key:
            return {"key": key, "name": prop.get("name", key), "type": prop["type"]}
    return {"key": key, "name": key, "type": "text"}


def maybe_gzip(data: bytes, encoding: str | None) -> bytes:
    if encoding not in (None, "identity", "gzip"):
        raise bad_query("encoding", f"encoding must be gzip or identity, got {encoding!r}")
    return gzip.compress(data, compresslevel=1) if encoding == "gzip" else data
