"""Typing of item values by property type, done per column with polars so a million rows stay fast.

Rules (from the Items guide): `null` and `""` always clear, as does `clearToken`; `noopToken` leaves the
value unchanged; dates in `dateFormat` are stored as `YYYY-MM-DD`, a date in another format is kept as the
string it was. A number or boolean property given a value that is not one is an invalid action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from orgsync.emulator.errors import bad_query

PROPERTY_TYPES = ("text", "number", "date", "boolean")
STORAGE_DTYPES: dict[str, type[pl.DataType]] = {
    "text": pl.String,
    "string": pl.String,
    "date": pl.String,
    "number": pl.Float64,
    "boolean": pl.Boolean,
}
DATE_FORMATS = {"YYYY-MM-DD": "%Y-%m-%d", "DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y"}
_TRUE = ("true", "1")
_FALSE = ("false", "0")
_MAX_EXACT = 2.0**53


@dataclass(frozen=True)
class ImportTokens:
    """How string cells are read: the date format and the user's clear / no-op tokens."""

    date_format: str = "%Y-%m-%d"
    clear_token: str | None = None
    noop_token: str | None = None

    @classmethod
    def from_query(
        cls, date_format: str | None, clear_token: str | None, noop_token: str | None
    ) -> ImportTokens:
        if date_format is not None and date_format not in DATE_FORMATS:
            raise bad_query(
                "dateFormat", f"dateFormat must be one of {', '.join(DATE_FORMATS)}, got {date_format!r}"
            )
        return cls(DATE_FORMATS[date_format or "YYYY-MM-DD"], clear_token or None, noop_token or None)


@dataclass(frozen=True)
class TypedColumn:
    """One payload column typed for storage: `values` (null = clear), `noop` and `invalid` row masks."""

    values: pl.Series
    noop: pl.Series
    invalid: pl.Series


def storage_dtype(ptype: str) -> type[pl.DataType]:
    return STORAGE_DTYPES.get(ptype, pl.String)


def _as_text(raw: list[Any]) -> tuple[pl.Series, pl.Series]:
    """Raw JSON/CSV cells as strings, plus a mask of cells that are objects or arrays (never valid)."""
    kinds = set(map(type, raw))
    if dict in kinds or list in kinds:
        bad = [isinstance(v, dict | list) for v in raw]
        raw = [None if b else v for v, b in zip(raw, bad, strict=True)]
        return pl.Series(raw, dtype=pl.String, strict=False), pl.Series(bad, dtype=pl.Boolean)
    return pl.Series(raw, dtype=pl.String, strict=False), pl.Series([False] * len(raw), dtype=pl.Boolean)


def type_column(raw: list[Any], ptype: str, tokens: ImportTokens) -> TypedColumn:
    """Type a column of raw cells (absent cells given as None and masked out by the caller)."""
    text, container = _as_text(raw)
    frame = pl.DataFrame({"s": text, "bad": container})
    s = pl.col("s")
    clear = s.is_null() | (s == "")
    if tokens.clear_token is not None:
        clear = clear | (s == tokens.clear_token)
    noop = (s == tokens.noop_token).fill_null(False) if tokens.noop_token is not None else pl.lit(False)
    value, invalid = _typed(s, ptype, tokens)
    out = frame.select(
        pl.when(clear | noop | invalid.fill_null(True)).then(None).otherwise(value).alias("v"),
        noop.alias("noop"),
        (pl.col("bad") | (~clear & ~noop & invalid).fill_null(False)).alias("invalid"),
    )
    return TypedColumn(out["v"].cast(storage_dtype(ptype)), out["noop"], out["invalid"])


def _typed(s: pl.Expr, ptype: str, tokens: ImportTokens) -> tuple[pl.Expr, pl.Expr]:
    if ptype == "number":
        num = s.str.strip_chars().cast(pl.Float64, strict=False)
        return num, num.is_null() | num.is_nan() | num.is_infinite()
    if ptype == "boolean":
        low = s.str.strip_chars().str.to_lowercase()
        value = pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False).otherwise(None)
        return value, value.is_null()
    if ptype == "date":
        parsed = s.str.strip_chars().str.to_date(tokens.date_format, strict=False).dt.strftime("%Y-%m-%d")
        return pl.coalesce(parsed, s), pl.lit(False)
    return s, pl.lit(False)


def number_text(expr: pl.Expr) -> pl.Expr:
    """Numbers as JSON writes them: integral values without a fraction (65000), others as is (0.5)."""
    integral = (expr == expr.floor()) & (expr.abs() < _MAX_EXACT)
    return (
        pl.when(integral)
        .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(expr.cast(pl.String))
    )


def text_expr(key: str, ptype: str) -> pl.Expr:
    """A stored column rendered as export text (CSV/TSV cells and identity keys)."""
    col = pl.col(key)
    if ptype == "number":
        return number_text(col).alias(key)
    if ptype == "boolean":
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")).otherwise(None).alias(key)
    return col.cast(pl.String).alias(key)


def json_expr(key: str, ptype: str, frame: pl.DataFrame) -> pl.Expr:
    """A stored column ready for JSON output: whole-number columns as integers, so 65000 not 65000.0."""
    col = pl.col(key)
    if ptype == "number" and key in frame.columns:
        series = frame[key].drop_nulls()
        if series.len() == 0 or bool(((series == series.floor()) & (series.abs() < _MAX_EXACT)).all()):
            return col.cast(pl.Int64, strict=False).alias(key)
    return col
