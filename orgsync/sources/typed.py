"""Typed columns (Excel, Parquet, database, query output) -> the source text the canonical step reads.

Dates are written in the manifest's `dateFormat` (so the one canonical parse applies), a timestamp at
midnight in a date property as its date (another time stays a timestamp, so it is reported, not cut),
booleans as true/false, numbers as polars writes them; Excel date serial numbers in a date column become dates.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from orgsync.manifest.models import PropertyType
from orgsync.sources.canonical import DATE_FORMATS
from orgsync.sources.source_errors import source_error

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 in Excel's (1900-leap-year) numbering
_ISO_TIME = "%Y-%m-%dT%H:%M:%S"


def text_frame(
    frame: pl.DataFrame,
    types: dict[str, PropertyType],
    date_format: str,
    shown: str,
    *,
    serial_dates: bool = False,
) -> pl.DataFrame:
    """`frame` with every column as Utf8 source text; raises `SourceError` for a nested column."""
    fmt = DATE_FORMATS[date_format][0]
    exprs = []
    for name, dtype in frame.schema.items():
        exprs.append(
            _text(pl.col(name), dtype, types.get(name, "text"), fmt, serial_dates, name, shown).alias(name)
        )
    return frame.select(exprs) if exprs else frame


def _text(
    col: pl.Expr, dtype: pl.DataType, kind: PropertyType, fmt: str, serial_dates: bool, name: str, shown: str
) -> pl.Expr:
    """One column as text (see the module doc)."""
    if dtype in (pl.Utf8, pl.Categorical):  # a dictionary column is text already (`sources.dictionary`)
        return col
    if dtype == pl.Date:
        return col.dt.strftime(fmt if kind == "date" else "%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        stamp = col.dt.strftime(_ISO_TIME)
        if kind != "date":
            return stamp
        return pl.when(col.dt.time() == dt.time(0)).then(col.dt.strftime(fmt)).otherwise(stamp)
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(col.not_()).then(pl.lit("false"))
    if dtype.is_numeric() or dtype == pl.Null:
        if serial_dates and kind == "date" and dtype.is_numeric():
            days = col.cast(pl.Float64)
            as_date = (pl.lit(_EXCEL_EPOCH) + pl.duration(days=days.cast(pl.Int64))).dt.strftime(fmt)
            return pl.when(days == days.floor()).then(as_date).otherwise(days.cast(pl.Utf8))
        return col.cast(pl.Utf8)
    if isinstance(dtype, pl.Decimal) or dtype == pl.Time or isinstance(dtype, pl.Duration | pl.Enum):
        return col.cast(pl.Utf8)
    raise source_error(
        shown,
        None,
        f"column {name!r} holds {dtype} values; expected plain values (text, "
        "number, date, timestamp, boolean)",
        name,
    )
