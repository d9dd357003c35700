"""Canonical values: the one textual form per property type in which source and live values are compared.

Rules (docs/architecture.md, "Canonical values"; documented for users in manifests/README.md):
- text: surrounding whitespace stripped; "" -> null.
- number: decimal text; integral values without a fraction ("65000", "65000.0", "6.5e4" -> "65000"),
  others in shortest round-trip form ("0.50" -> "0.5"), "-0" -> "0", never an exponent.
- date: "YYYY-MM-DD", parsed with the manifest's `dateFormat`.
- boolean: "true" / "false"; accepted (any case): true/false, yes/no, y/n, 1/0.
Everything is a polars expression so a million rows normalise in a fraction of a second.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl

from orgsync.manifest.models import DateFormat, PropertyType

TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")

# strptime format and a shape check per dateFormat (polars' %Y alone would accept a year "24").
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "YYYY-MM-DD": ("%Y-%m-%d", r"^\d{4}-\d{1,2}-\d{1,2}$"),
    "DD/MM/YYYY": ("%d/%m/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$"),
    "MM/DD/YYYY": ("%m/%d/%Y", r"^\d{1,2}/\d{1,2}/\d{4}$"),
}

_INTEGRAL = r"^[+-]?\d+(?:\.0*)?$"  # integral decimal text: normalised exactly, without going through a float
_MAX_EXACT_FLOAT = 2.0**53


def _stripped(col: str) -> pl.Expr:
    """The column as text, whitespace-stripped, with "" as null."""
    text = pl.col(col).cast(pl.Utf8).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _positional(text: str) -> str:
    """Shortest round-trip float text ('1e-07') written without an exponent ('0.0000001')."""
    out = format(Decimal(text), "f")
    return out.rstrip("0").rstrip(".") if "." in out else out


def _number(text: pl.Expr) -> pl.Expr:
    """Number text -> canonical decimal text, or null when it is not a finite number."""
    integral = text.str.contains(_INTEGRAL)
    digits = text.str.extract(r"^[+-]?0*(\d+)", 1)
    negative = text.str.starts_with("-") & (digits != "0")
    exact = pl.when(negative).then(pl.lit("-") + digits).otherwise(digits)

    value = text.cast(pl.Float64, strict=False)
    value = pl.when(value.is_finite()).then(value).otherwise(None)
    small_integral = (value == value.round(0)) & (value.abs() < _MAX_EXACT_FLOAT)
    as_int = value.cast(pl.Int64, strict=False).cast(pl.Utf8)
    as_float = value.cast(pl.Utf8)
    # Exponent forms are rare (|x| < 1e-4 or >= 1e16); only they go through Python.
    no_exponent = (
        pl.when(as_float.str.contains("e")).then(as_float).otherwise(None)
        .map_elements(_positional, return_dtype=pl.Utf8, skip_nulls=True)
    )
    floated = (
        pl.when(small_integral).then(as_int)
        .when(as_float.str.contains("e")).then(no_exponent)
        .otherwise(as_float)
    )
    return pl.when(integral).then(exact).otherwise(floated)


def _date(text: pl.Expr, date_format: str) -> pl.Expr:
    """Date text in `date_format` -> "YYYY-MM-DD", or null when it does not parse."""
    fmt, shape = DATE_FORMATS[date_format]
    parsed = text.str.to_date(fmt, strict=False).dt.to_string("%Y-%m-%d")
    return pl.when(text.str.contains(shape)).then(parsed).otherwise(None)


def _boolean(text: pl.Expr) -> pl.Expr:
    """Boolean words (any case) -> "true"/"false", or null when not one of them."""
    lower = text.str.to_lowercase()
    return (
        pl.when(lower.is_in(TRUE_WORDS)).then(pl.lit("true"))
        .when(lower.is_in(FALSE_WORDS)).then(pl.lit("false"))
        .otherwise(None)
    )


def canonical_expr(col: str, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD", *,
                   keep_invalid: bool = False) -> pl.Expr:
    """Expression giving column `col` in canonical Utf8 form, aliased to `col`.

    A value that does not fit its type becomes null, or stays as its stripped text with `keep_invalid`
    (live values: a misfit then differs from any valid source value and is planned as an update).
    """
    text = _stripped(col)
    if type == "text":
        out = text
    elif type == "number":
        out = _number(text)
    elif type == "date":
        out = _date(text, date_format)
    elif type == "boolean":
        out = _boolean(text)
    else:
        raise ValueError(f"unknown property type {type!r}")
    if keep_invalid and type != "text":
        out = pl.coalesce(out, text)
    return out.alias(col)


def misfit_expr(col: str, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD") -> pl.Expr:
    """True where `col` holds a non-empty value that does not fit `type` (a validation error in a source)."""
    if type == "text":
        return pl.lit(False).alias(col)
    return (_stripped(col).is_not_null() & canonical_expr(col, type, date_format).is_null()).alias(col)


def canonical_value(value: Any, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD") -> str | None:
    """One value in canonical form (convenience for tests and single values; frames use `canonical_expr`)."""
    frame = pl.DataFrame({"v": [None if value is None else _scalar_text(value)]}, schema={"v": pl.Utf8})
    return frame.select(canonical_expr("v", type, date_format)).item()


def _scalar_text(value: Any) -> str:
    """A JSON scalar as source text: booleans as true/false, numbers as Python writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_wire(value: str | None, type: PropertyType) -> Any:
    """A canonical value as the API wants it in an item body (dates go with dateFormat=YYYY-MM-DD)."""
    if value is None:
        return None
    if type == "number":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(value)
    if type == "boolean":
        return value == "true"
    return value
