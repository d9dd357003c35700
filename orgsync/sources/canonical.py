"""Canonical values: the one textual form per property type in which source and live values are compared.

Rules (docs/architecture.md, "Canonical values"; documented for users in manifests/README.md):
- text: surrounding whitespace stripped; "" -> null.
- number: decimal text; integral values without a fraction ("65000", "65000.0", "6.5e4" -> "65000"),
  others in shortest round-trip form ("0.50" -> "0.5"), "-0" -> "0", never an exponent.
- date: "YYYY-MM-DD", parsed with the manifest's `dateFormat`.
- boolean: "true" / "false"; accepted (any case): true/false, yes/no, y/n, 1/0, and the manifest's
  `trueValues` / `falseValues` (`boolean_words`: a declared word takes precedence over a default one).
Values already in canonical form (most live values, and most clean sources) are recognised by one native check
per column and passed through untouched; only the rest go through the full conversion, so a million rows
normalise in a fraction of a second. No step calls Python per value (the rare numbers written with an exponent
are expanded by regex and zfill too); per column, one callback picks which rows need converting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from orgsync.manifest.models import DateFormat, PropertyType

TRUE_WORDS = ("true", "yes", "y", "1")
FALSE_WORDS = ("false", "no", "n", "0")
BooleanWords = Mapping[str, str]  # lower-case word -> "true" / "false"
DEFAULT_BOOLEANS: BooleanWords = {w: "true" for w in TRUE_WORDS} | {w: "false" for w in FALSE_WORDS}


def boolean_words(true_values: Sequence[str] = (), false_values: Sequence[str] = ()) -> BooleanWords:
    """The words a boolean column accepts: the defaults, then the declared ones (any case, blanks stripped),
    which win over a default of the other side (`falseValues: ["1"]` reads "1" as false)."""
    declared = {w.strip().lower(): "true" for w in true_values} | {
        w.strip().lower(): "false" for w in false_values
    }
    return {**DEFAULT_BOOLEANS, **declared}


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
# YYYY-MM-DD text of a day that every year has (01-28 of any month, 29-30 of any month but February, 31 of the
# months of 31 days) is a valid date and its own canonical form; only February 29 (valid in leap years only) is
# left to the full conversion, so no row needs a date parse to be checked.
_CANONICAL_DATE = (
    r"^[0-9]{4}-(?:"
    r"(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31"
    r")$"
)
_INTEGRAL = r"^[+-]?\d+(?:\.0*)?$"  # integral decimal text: normalised exactly, without going through a float
_MAX_EXACT_FLOAT = 2.0**53
_PADDED = r"^\s|\s$"  # a value starting or ending with whitespace (Unicode's, as `str.strip_chars` strips)
_SAMPLE_ROWS = 1000  # rows looked at to decide whether checking each row for canonical form pays


def _stripped(text: pl.Series) -> pl.Series:
    """The values as text, whitespace-stripped, with "" as null."""
    text = text.cast(pl.Utf8).str.strip_chars()
    return text.set(text == "", None) if text.null_count() < text.len() else text


def _positional(shortest: pl.Series) -> pl.Series:
    """A float's shortest text ('1e-7', '-2.5e-10', '1e+20', '9007199254740992.0') without an exponent or
    trailing fraction zeros ('0.0000001', '-0.00000000025', '100000000000000000000', '9007199254740992').

    Native string work, no Python per value: one regex takes sign, digits and exponent apart, zfill / slice put
    them back; each step is materialised, so no part is computed twice.
    """
    parts = (
        shortest.to_frame("s")
        .select(pl.col("s").str.extract_groups(r"^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$"))
        .unnest("s")
    )
    frame = parts.select(
        sign=pl.col("1"),
        digits=pl.col("2") + pl.col("3").fill_null(""),
        point=pl.col("2").str.len_chars().cast(pl.Int64) + pl.col("4").fill_null("0").cast(pl.Int64),
    )
    frame = frame.with_columns(width=pl.col("digits").str.len_chars().cast(pl.Int64))
    digits, point, width = pl.col("digits"), pl.col("point"), pl.col("width")
    frame = frame.with_columns(
        out=pl.when(point <= 0)
        .then(pl.lit("0.") + digits.str.zfill(width - point))
        .when(point >= width)
        .then(digits.str.reverse().str.zfill(point).str.reverse())
        .otherwise(digits.str.slice(0, point) + "." + digits.str.slice(point))
    )
    out = pl.col("out")
    trimmed = pl.when(out.str.contains(".", literal=True)).then(
        out.str.strip_chars_end("0").str.strip_chars_end(".")
    )
    return frame.select(pl.col("sign") + trimmed.otherwise(out))[:, 0]


def _number(text: pl.Series) -> pl.Series:
    """Number text -> canonical decimal text, or null when it is not a finite number.

    Integral values below 2**53 print as Int64, other values of at least 1e-3 as the float's shortest form; the
    few left (huge integers, tiny fractions, which a float may print with an exponent) go through `_number_rare`.
    """
    value = text.cast(pl.Float64, strict=False)
    value = value.set(~value.is_finite().fill_null(True), None)
    integral = (value == value.floor()).fill_null(False)
    as_int = integral & (value.abs() < _MAX_EXACT_FLOAT).fill_null(False)
    plain = ~integral & (value.abs() >= 1e-3).fill_null(False)
    frame = pl.DataFrame({"v": value, "as_int": as_int, "plain": plain})
    out = frame.select(
        pl.when("as_int")
        .then(pl.col("v").cast(pl.Int64, strict=False).cast(pl.Utf8))
        .when("plain")
        .then(pl.col("v").cast(pl.Utf8))
    )[:, 0]
    rare = value.is_not_null() & ~as_int & ~plain
    if rare.any():
        rows = rare.arg_true()
        out.scatter(rows, _number_rare(text.gather(rows)))
    return out


def _number_rare(text: pl.Series) -> pl.Series:
    """`_number` for any values, written for the rare ones: integral beyond 2**53 and fractions below 1e-3.

    Steps are materialised one by one (a polars expression tree would recompute shared parts per
    branch), and the rare branches first null the rows they do not handle.
    """
    frame = pl.DataFrame({"t": text}).with_columns(v=pl.col("t").cast(pl.Float64, strict=False))
    frame = frame.with_columns(v=pl.when(pl.col("v").is_finite()).then(pl.col("v")))
    frame = frame.with_columns(i=pl.col("v") == pl.col("v").floor(), s=pl.col("v").abs() < _MAX_EXACT_FLOAT)
    integral, small, value = pl.col("i"), pl.col("s"), pl.col("v")
    # Integral beyond 2**53 and written as decimal digits: normalise the digits exactly, not via a float.
    big = pl.when(integral & ~small).then(pl.col("t"))
    big = pl.when(big.str.contains(_INTEGRAL)).then(big)
    digits = big.str.extract(r"^[+-]?0*(\d+)", 1)
    exact = pl.when(big.str.starts_with("-")).then(pl.lit("-") + digits).otherwise(digits)
    # Tiny fractions and huge values may print with an exponent: only those few go through Python.
    rare = pl.when((~integral & (value.abs() < 1e-3)) | (integral & ~small)).then(value.cast(pl.Utf8))
    frame = frame.with_columns(r=rare)
    positional = _positional(frame["r"])
    as_int = pl.when(integral & small).then(value).cast(pl.Int64).cast(pl.Utf8)
    plain = pl.when(~integral).then(value).cast(pl.Utf8)
    return frame.with_columns(p=positional).select(pl.coalesce(as_int, exact, pl.col("p"), plain))[:, 0]


def _date(text: pl.Series, date_format: str) -> pl.Series:
    """Date text in `date_format` -> "YYYY-MM-DD", or null when it does not parse."""
    fmt, shape = DATE_FORMATS[date_format]
    shaped = text.set(~text.str.contains(shape).fill_null(False), None)
    return shaped.str.to_date(fmt, strict=False).dt.to_string("%Y-%m-%d")


def _boolean(text: pl.Series, words: BooleanWords) -> pl.Series:
    """Boolean words (any case) -> "true"/"false", or null when not one of them."""
    lower = text.str.to_lowercase()
    return lower.replace_strict(dict(words), default=None, return_dtype=pl.Utf8)


def canonical_series(
    values: pl.Series,
    type: PropertyType,
    date_format: DateFormat | str = "YYYY-MM-DD",
    *,
    keep_invalid: bool = False,
    booleans: BooleanWords = DEFAULT_BOOLEANS,
) -> pl.Series:
    """`values` in canonical Utf8 form; a misfit becomes null, or its stripped text with `keep_invalid`."""
    text = _stripped(values)
    if type == "text":
        out = text
    elif type == "number":
        out = _number(text)
    elif type == "date":
        out = _date(text, date_format)
    elif type == "boolean":
        out = _boolean(text, booleans)
    else:
        raise ValueError(f"unknown property type {type!r}")
    if keep_invalid and type != "text":
        out = out.fill_null(text)
    return out.alias(values.name)


def canonical_expr(
    col: str, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD", *, keep_invalid: bool = False
) -> pl.Expr:
    """Expression giving column `col` in canonical Utf8 form, aliased to `col`.

    A value that does not fit its type becomes null, or stays as its stripped text with `keep_invalid`
    (live values: a misfit then differs from any valid source value and is planned as an update).
    """
    if type not in ("text", "number", "date", "boolean"):
        raise ValueError(f"unknown property type {type!r}")
    text = pl.col(col).cast(pl.Utf8)
    if type == "text":
        return text.map_batches(_text_column, return_dtype=pl.Utf8).alias(col)
    return text.map_batches(
        lambda values: _canonical_column(values, type, date_format, keep_invalid), return_dtype=pl.Utf8
    ).alias(col)


def canonical_frame(
    frame: pl.DataFrame,
    types: Mapping[str, PropertyType],
    date_format: DateFormat | str = "YYYY-MM-DD",
    *,
    keep_invalid: bool = False,
    booleans: BooleanWords = DEFAULT_BOOLEANS,
) -> pl.DataFrame:
    """`frame` with each column named in `types` in canonical Utf8 form (other columns untouched).

    Column by column on this thread (each step native and itself parallel): the same as `canonical_expr` in
    one `with_columns`, without polars' threads queueing for the GIL to run a Python step per column, which
    on a 200-column chunk costs more than the work."""
    unknown = [kind for kind in types.values() if kind not in ("text", "number", "date", "boolean")]
    if unknown:
        raise ValueError(f"unknown property type {unknown[0]!r}")
    converted = [
        canonical_column(frame[name], types[name], date_format, keep_invalid=keep_invalid, booleans=booleans)
        for name in frame.columns
        if name in types
    ]
    return frame.with_columns(converted) if converted else frame


def canonical_column(
    values: pl.Series,
    type: PropertyType,
    date_format: DateFormat | str = "YYYY-MM-DD",
    *,
    keep_invalid: bool = False,
    booleans: BooleanWords = DEFAULT_BOOLEANS,
) -> pl.Series:
    """One column of `canonical_frame`: the same values, so a caller can convert a table column by column and
    let each source column go as soon as its canonical one exists (a million-row source then never holds every
    raw column beside its converted copy)."""
    if type not in ("text", "number", "date", "boolean"):
        raise ValueError(f"unknown property type {type!r}")
    text = values.cast(pl.Utf8)
    out = (
        _text_column(text)
        if type == "text"
        else _canonical_column(text, type, date_format, keep_invalid, booleans)
    )
    return out.alias(values.name)


def _text_column(values: pl.Series) -> pl.Series:
    """Text stripped, "" as null; a column already in that form (the usual case) is returned as it is, sharing
    its buffers, so a million-row source is not copied column by column."""
    # asked without a stripped copy of the column (two million values' worth of memory, issue 24)
    if not values.str.contains(_PADDED).any() and not (values.str.len_bytes() == 0).any():
        return values
    stripped = values.str.strip_chars()
    return stripped.set(stripped == "", None)


def _canonical_column(
    values: pl.Series,
    type: PropertyType,
    date_format: DateFormat | str,
    keep_invalid: bool,
    booleans: BooleanWords = DEFAULT_BOOLEANS,
) -> pl.Series:
    """`canonical_series` of `values`, computed only for the rows not already in canonical form.

    A column whose first rows are mostly not canonical (e.g. every number written "65000.0") is converted
    whole: checking each row first would only add to its cost.
    """
    check = _already_canonical(pl.col("v"), type, date_format)
    sample = values.head(_SAMPLE_ROWS).drop_nulls()
    if check is None or (sample.len() and _mask(sample, check).arg_true().len() < sample.len() / 2):
        return canonical_series(values, type, date_format, keep_invalid=keep_invalid, booleans=booleans)
    todo = ~_mask(values, check).fill_null(True)
    if not todo.any():
        return values
    rows = todo.arg_true()
    out = values.clone()
    converted = canonical_series(
        values.gather(rows), type, date_format, keep_invalid=keep_invalid, booleans=booleans
    )
    out.scatter(rows, converted)
    return out


def _mask(values: pl.Series, check: pl.Expr) -> pl.Series:
    """`check` (an expression on column "v") evaluated over `values`."""
    return values.to_frame("v").select(check).to_series()


def _already_canonical(text: pl.Expr, type: PropertyType, date_format: DateFormat | str) -> pl.Expr | None:
    """True where `text` is exactly its own canonical form (false merely means 'convert it'); None: no such check."""
    if type == "number":
        return text.str.contains(_CANONICAL_NUMBER) & (text.str.len_bytes() <= _CANONICAL_NUMBER_MAX_LEN)
    if type == "boolean":
        return text.is_in(["true", "false"])
    if date_format == "YYYY-MM-DD":
        return text.str.contains(_CANONICAL_DATE)
    return None  # dates in another dateFormat are never already canonical


def canonical_value(
    value: Any, type: PropertyType, date_format: DateFormat | str = "YYYY-MM-DD"
) -> str | None:
    """One value in canonical form (convenience for tests and single values; frames use `canonical_expr`)."""
    frame = pl.DataFrame({"v": [None if value is None else _scalar_text(value)]}, schema={"v": pl.Utf8})
    value = frame.select(canonical_expr("v", type, date_format)).item()
    return None if value is None else str(value)


def _scalar_text(value: Any) -> str:
    """A JSON scalar as source text: booleans as true/false, numbers as Python writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
