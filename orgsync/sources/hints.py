"""Advice in source errors that names the setting which reads a file or column: `delimiter`, `dateFormat`."""

from __future__ import annotations

import polars as pl

from orgsync.sources.canonical import DATE_FORMATS, canonical_series

OTHER_DELIMITERS = (";", "\t", "|", ",", ":")  # what a header that looks mis-split is checked for


def delimiter_advice(sep: str, header: str) -> str:
    """'the header has 4 `;` and no `,`: set `delimiter: ';'`' when `header` (the first line, not split) holds
    another likely delimiter and no `sep`; "" otherwise."""
    if sep in header:
        return ""
    count, other = max((header.count(other), other) for other in OTHER_DELIMITERS if other != sep)
    if not count:
        return ""
    yaml = '"\\t"' if other == "\t" else f"'{other}'"
    return f"the header has {count} `{_named(other)}` and no `{_named(sep)}`: set `delimiter: {yaml}`"


def _named(sep: str) -> str:
    return "\\t" if sep == "\t" else sep


def date_hint(misfits: pl.Series, current: str) -> str:
    """Advice naming the `dateFormat` that reads a date column's misfit values (text), guessed from their
    shape: the one format that reads the most of them, or both of DD/MM and MM/DD when no value has a day
    above 12 to tell them apart; "" when no other format reads any of them."""
    values = misfits.cast(pl.Utf8).str.strip_chars()
    counts = {
        name: len(values) - canonical_series(values, "date", name).null_count()
        for name in DATE_FORMATS
        if name != current
    }
    best = max(counts.values(), default=0)
    if best == 0:
        return ""
    fits = [name for name, count in counts.items() if count == best]
    if len(fits) == 1:
        return f"; the values read as {fits[0]}: set `dateFormat: {fits[0]}` under `items:`"
    return (
        f"; the values read as {' or '.join(fits)} (no day above 12 tells which): set "
        + " or ".join(f"`dateFormat: {name}`" for name in fits)
        + " under `items:`"
    )
