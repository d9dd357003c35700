"""Declared number formats (`decimalSeparator`, `thousandsSeparator`): strict conversion to plain decimal text.

With a format declared, a number column's value must be written exactly in it (`1.234,50` with `,` decimal
and `.` thousands is 1234.5); anything else, even a plain `1.5` where `.` is not the decimal separator,
is a misfit. Without one, a misfit that looks like a grouped or decimal-comma number is reported with the
setting that reads it.
"""

from __future__ import annotations

import re

import polars as pl

_LOOKS_FORMATTED = re.compile(r"^[+-]?(?:\d{1,3}(?:[.,' ]\d{3})+(?:[.,]\d+)?|\d+,\d+)$")


def declared(decimal: str | None, thousands: str | None) -> bool:
    """True when the source declares a number format other than the plain default."""
    return (decimal or ".") != "." or thousands is not None


def format_pattern(decimal: str, thousands: str | None) -> str:
    """The regex a number written in this format matches (surrounding blanks allowed: canonical form strips them)."""
    d = re.escape(decimal)
    whole = rf"(?:\d+|\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+)" if thousands else r"\d+"
    return rf"^\s*[+-]?{whole}(?:{d}\d+)?\s*$"


def plain_numbers(text: pl.Expr, decimal: str | None, thousands: str | None) -> pl.Expr:
    """`text` (a number column) rewritten to plain `1234.5` form; a value not in the format becomes null.

    The caller reports a non-blank source value whose converted form is null as a misfit, with its text as written.
    """
    decimal = decimal or "."
    plain = text
    if thousands:
        plain = plain.str.replace_all(thousands, "", literal=True)
    if decimal != ".":
        plain = plain.str.replace(decimal, ".", literal=True)
    if thousands is None:
        # Decimal comma alone: a `.` is the one way a value can be misread (`1.5`, or `1.234` meant as 1234);
        # anything else that is not a number fails the number parse anyway. One literal search, not a regex.
        return pl.when(~text.str.contains(".", literal=True)).then(plain)
    return pl.when(text.str.contains(format_pattern(decimal, thousands))).then(plain)


def expected_words(decimal: str | None, thousands: str | None) -> str:
    """How a misfit message names the declared format."""
    words = f"a number with decimal separator {decimal or '.'!r}"
    return words + (f" and thousands separator {thousands!r}" if thousands else "")


def format_hint(value: str) -> str:
    """Advice for a misfit in a column without a declared format, when the value looks formatted."""
    if not _LOOKS_FORMATTED.match(value.strip()):
        return ""
    return (
        "; it looks like a formatted number: set `items.decimalSeparator` (and `items.thousandsSeparator`), "
        "e.g. `decimalSeparator: ','` with `thousandsSeparator: '.'` for 1.234,50"
    )
