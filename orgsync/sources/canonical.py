"""Canonical values: the one textual form per property type in which source and live values are compared.

Rules (docs/architecture.md, "Canonical values"; documented for users in manifests/README.md):
- text: surrounding whitespace stripped; "" -> null.
- number: decimal text; integral values without a fraction ("65000", "65000.0", "6.5e4" -> "65000"),
  others in shortest round-trip form ("0.50" -> "0.5"), "-0" -> "0", never an exponent.
- date: "YYYY-MM-DD", parsed with the manifest's `dateFormat`.
- boolean: "true" / "false"; accepted (any case): true/false, yes/no, y/n, 1/0.
Values already in canonical form (most live values, and most clean sources) are recognised by one native check
per value and passed through untouched; only the rest go through the full conversion. Everything is a polars
expression (no Python callback, per row or per column), so a frame's columns convert in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping
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

# Canonical number text: "0", or an optional "-", no leading zero before other digits, no trailing fraction zero.
# Up to 15 characters (so at most 15 significant digits, DBL_DIG) a float reads it and writes it back unchanged.
_CANONICAL_NUMBER = r"^(?:0|-?(?:0\.[0-9]*[1-9]|[1-9][0-9]*(?:\.[0-9]*[1-9])?))$"
_CANONICAL_NUMBER_MAX_LEN = 15
# YYYY-MM-DD text with a month 01-12 and a day 01-28 is a valid date and its own canonical form; days 29-31
# (valid or not in their month) are left to the full conversion, so no row needs a date parse to be checked.
_CANONICAL_DATE = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
_INTEGRAL = r"^[+-]?\d+(?:\.0*)?$"  # integral decimal text: normalised exactly, without going through a float
_MAX_EXACT_FLOAT = 2.0**53


Stages = list[list[pl.Expr]]  # expressions run stage after stage, each stage's over all columns at once


def _stripped(text: pl.Series) -> pl.Series:
    """The values as text, whitespace-stripped, with "" as null."""
    return text.to_frame("v").select(_stripped_expr(pl.col("v")))[:, 0].alias(text.name)


def _stripped_expr(text: pl.Expr) -> pl.Expr:
    """`text` as Utf8, whitespace-stripped, with "" as null."""
    text = text.cast(pl.Utf8).str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def _tmp(col: str, name: str) -> str:
    """A scratch column of the conversion of `col` (dropped at the end)."""
    return f"\x00{col}\x00{name}"


def _number(col: str, src: str) -> tuple[Stages, pl.Expr]:
    """Stages turning number text column `src` (stripped) into canonical decimal text, null when not a finite
    number, and the expression of the result.

    Integral values below 2**53 print as Int64, other values of at least 1e-3 as the float's shortest form;
    integral text beyond 2**53 keeps its exact digits; the rest (tiny fractions, huge values written with an
    exponent) is the float's shortest form written out without an exponent. Each branch first nulls the rows it
    does not handle, so its string work costs only for its own rows; every intermediate is a column of its own
    (one expression tree with shared parts would be re-planned, or recomputed, per use).
    """
    t, v, i, sm = pl.col(src), pl.col(_tmp(col, "v")), pl.col(_tmp(col, "i")), pl.col(_tmp(col, "s"))
    parsed = t.cast(pl.Float64, strict=False)
    stages: Stages = [[pl.when(parsed.is_finite()).then(parsed).alias(_tmp(col, "v"))],
                      [(v == v.floor()).alias(_tmp(col, "i")), (v.abs() < _MAX_EXACT_FLOAT).alias(_tmp(col, "s"))]]
    big = pl.when(i & ~sm & t.str.contains(_INTEGRAL)).then(t)
    digits = big.str.extract(r"^[+-]?0*(\d+)", 1)
    stages.append([
        pl.when(i & sm).then(v).cast(pl.Int64).cast(pl.Utf8).alias(_tmp(col, "int")),
        pl.when(~i & (v.abs() >= 1e-3)).then(v).cast(pl.Utf8).alias(_tmp(col, "plain")),
        pl.when(big.str.starts_with("-")).then(pl.lit("-") + digits).otherwise(digits).alias(_tmp(col, "exact")),
        pl.when((~i & (v.abs() < 1e-3)) | (i & ~sm)).then(v).cast(pl.Utf8).alias(_tmp(col, "rare"))])
    more, positional = _positional(col, _tmp(col, "rare"))
    result = pl.coalesce(pl.col(_tmp(col, "int")), pl.col(_tmp(col, "plain")), pl.col(_tmp(col, "exact")), positional)
    return stages + more, result


def _positional(col: str, src: str) -> tuple[Stages, pl.Expr]:
    """Stages writing a float's shortest text ('1e-7', '-2.5e-10', '1e+20', '9007199254740992.0') without an
    exponent or trailing fraction zeros ('0.0000001', '-0.00000000025', '100000000000000000000',
    '9007199254740992'): one regex takes digits and exponent apart, zfill / slice put them back."""
    parts = pl.col(src).str.extract_groups(r"^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$")
    whole = parts.struct.field("2")
    digits, point, width = pl.col(_tmp(col, "d")), pl.col(_tmp(col, "p")), pl.col(_tmp(col, "w"))
    out = pl.col(_tmp(col, "o"))
    stages: Stages = [
        [parts.struct.field("1").alias(_tmp(col, "sign")), (whole + parts.struct.field("3").fill_null("")).alias(
            _tmp(col, "d")), (whole.str.len_chars().cast(pl.Int64) + parts.struct.field("4").fill_null("0")
                              .cast(pl.Int64)).alias(_tmp(col, "p"))],
        [digits.str.len_chars().cast(pl.Int64).alias(_tmp(col, "w"))],
        [pl.when(point <= 0).then(pl.lit("0.") + digits.str.zfill(width - point))
         .when(point >= width).then(digits.str.reverse().str.zfill(point).str.reverse())
         .otherwise(digits.str.slice(0, point) + "." + digits.str.slice(point)).alias(_tmp(col, "o"))]]
    trimmed = pl.when(out.str.contains(".", literal=True)).then(out.str.strip_chars_end("0").str.strip_chars_end("."))
    return stages, pl.col(_tmp(col, "sign")) + trimmed.otherwise(out)


def _date(text: pl.Expr, date_format: str) -> pl.Expr:
    """Date text in `date_format` -> "YYYY-MM-DD", or null when it does not parse."""
    fmt, shape = DATE_FORMATS[date_format]
    shaped = pl.when(text.str.contains(shape)).then(text)
    return shaped.str.to_date(fmt, strict=False).dt.to_string("%Y-%m-%d")


def _boolean(text: pl.Expr) -> pl.Expr:
    """Boolean words (any case) -> "true"/"false", or null when not one of them."""
    words = {w: "true" for w in TRUE_WORDS} | {w: "false" for w in FALSE_WORDS}
    return text.str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Utf8)


def _column_stages(col: str, type: PropertyType, date_format: str, keep_invalid: bool) -> Stages:
    """The stages that leave column `col` in canonical form (its last stage writes `col` itself)."""
    if type not in ("text", "number", "date", "boolean"):
        raise ValueError(f"unknown property type {type!r}")
    text_name, todo_name = _tmp(col, "t"), _tmp(col, "todo")
    text = pl.col(text_name)
    stages: Stages = [[_stripped_expr(pl.col(col)).alias(text_name if type != "text" else col)]]
    if type == "text":
        return stages
    check = _already_canonical(text, type, date_format)
    stages.append([(text if check is None else pl.when(~check).then(text)).alias(todo_name),
                   *([] if check is None else [check.alias(_tmp(col, "ok"))])])
    if type == "number":
        more, converted = _number(col, todo_name)
        stages += more
    elif type == "date":
        converted = _date(pl.col(todo_name), date_format)
    else:
        converted = _boolean(pl.col(todo_name))
    out = converted if check is None else pl.when(pl.col(_tmp(col, "ok"))).then(text).otherwise(converted)
    stages.append([(out.fill_null(text) if keep_invalid else out).alias(col)])
    return stages


def canonical_frame(frame: pl.DataFrame, types: Mapping[str, PropertyType],
                    date_format: DateFormat | str = "YYYY-MM-DD", *, keep_invalid: bool = False) -> pl.DataFrame:
    """`frame` with each column named in `types` in canonical Utf8 form (other columns untouched).

    Native polars only, no Python callback: the columns' conversions run stage by stage, each stage for every
    column at once (in parallel), with scratch columns dropped at the end. A misfit becomes null, or stays as
    its stripped text with `keep_invalid` (live values: a misfit then differs from any valid source value).
    """
    plans = [_column_stages(c, types[c], str(date_format), keep_invalid) for c in frame.columns if c in types]
    longest = max((len(p) for p in plans), default=0)
    aligned = [[*([[]] * (longest - len(p))), *p] for p in plans]  # shorter ones start later
    lazy = frame.lazy()
    for depth in range(longest):
        lazy = lazy.with_columns([e for p in aligned for e in p[depth]])
    return lazy.select(frame.columns).collect()


def canonical_series(values: pl.Series, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD", *,
                     keep_invalid: bool = False) -> pl.Series:
    """`values` in canonical Utf8 form; a misfit becomes null, or its stripped text with `keep_invalid`."""
    frame = canonical_frame(values.to_frame("v"), {"v": type}, date_format, keep_invalid=keep_invalid)
    return frame[:, 0].alias(values.name)


def canonical_expr(col: str, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD", *,
                   keep_invalid: bool = False) -> pl.Expr:
    """Expression giving column `col` in canonical Utf8 form, aliased to `col` (for one-off use and tests:
    frames go through `canonical_frame`, which needs no Python callback at all).

    A value that does not fit its type becomes null, or stays as its stripped text with `keep_invalid`.
    """
    if type not in ("text", "number", "date", "boolean"):
        raise ValueError(f"unknown property type {type!r}")
    if type == "text":
        return _stripped_expr(pl.col(col)).alias(col)
    return pl.col(col).cast(pl.Utf8).map_batches(
        lambda values: canonical_series(values, type, date_format, keep_invalid=keep_invalid),
        return_dtype=pl.Utf8).alias(col)


def _already_canonical(text: pl.Expr, type: PropertyType, date_format: DateFormat | str) -> pl.Expr | None:
    """True where `text` is exactly its own canonical form (false merely means 'convert it'); None: no such check."""
    if type == "number":
        return text.str.contains(_CANONICAL_NUMBER) & (text.str.len_bytes() <= _CANONICAL_NUMBER_MAX_LEN)
    if type == "boolean":
        return text.is_in(["true", "false"])
    if date_format == "YYYY-MM-DD":
        return text.str.contains(_CANONICAL_DATE)
    return None  # dates in another dateFormat are never already canonical


def misfit_expr(col: str, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD") -> pl.Expr:
    """True where `col` holds a non-empty value that does not fit `type` (a validation error in a source)."""
    present = pl.col(col).cast(pl.Utf8).str.strip_chars().str.len_bytes().fill_null(0) > 0
    return (present & canonical_expr(col, type, date_format).is_null()).alias(col)


def canonical_value(value: Any, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD") -> str | None:
    """One value in canonical form (convenience for tests and single values; frames use `canonical_frame`)."""
    frame = pl.DataFrame({"v": [None if value is None else _scalar_text(value)]}, schema={"v": pl.Utf8})
    out = canonical_series(frame["v"], type, date_format).item()
    return None if out is None else str(out)


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
