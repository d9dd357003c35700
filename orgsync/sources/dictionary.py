"""Source columns of few distinct values held dictionary-encoded (polars Categorical): chosen from a sample.

A text cell in polars costs a 16-byte view, plus its bytes when longer than 12; a Categorical cell costs a 4-byte
code, each distinct value being kept once. HR data repeats most of its columns (departments, titles, locations,
grades, dates, booleans), so a two-million-row source held this way takes about half the memory (issue 24).
A dictionary column holds the same text values: it compares equal to text, lists as `str`, writes as JSON
strings; only polars' `str` functions need it as text (`as_text`); its canonical form is computed once per
distinct value (`by_distinct`), and its hash once per value of its mapping (`text_hash`), not per row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl

SAMPLE_ROWS = 10_000  # rows of a file's head looked at to choose its dictionary columns
# A column is held as a dictionary when its sample holds at most one distinct value in ten rows: past about
# one in three a dictionary costs more than views (4 bytes a row plus each distinct value kept with its hash).
_MAX_DISTINCT_SHARE = 0.1


def dictionary_columns(sample: pl.DataFrame) -> list[str]:
    """The text columns of `sample` (a file's first rows, read as text) to read as dictionaries: those whose
    distinct values are few. None in a sample of fewer than a hundred rows (nothing to save)."""
    if sample.height < 100:
        return []
    limit = sample.height * _MAX_DISTINCT_SHARE
    return [
        name
        for name, dtype in sample.schema.items()
        if dtype == pl.String and sample[name].n_unique() <= limit
    ]


def is_dictionary(values: pl.Series) -> bool:
    """True when `values` is a dictionary (Categorical) column."""
    return values.dtype == pl.Categorical


def as_text(values: pl.Series) -> pl.Series:
    """`values` as a plain text column (a dictionary one decoded; any other returned as it is)."""
    return values.cast(pl.String) if is_dictionary(values) else values


def text_hash(values: pl.Series, mappings: dict[pl.Categories, pl.Series]) -> pl.Series:
    """`as_text(values).hash(seed=0)`, without decoding a dictionary: each text of its mapping is hashed once
    (kept in `mappings`, which the caller shares between the columns of one step) and looked up by code."""
    dtype = values.dtype
    if not isinstance(dtype, pl.Categorical):
        return values.hash(seed=0)
    categories = dtype.categories
    hashed = mappings.get(categories)
    if hashed is None:  # every code a column holds has its text in the mapping before the column exists
        hashed = mappings[categories] = categories.to_series().hash(seed=0)
    return hashed.gather(values.to_physical()).fill_null(_null_hash()).alias(values.name)


@cache
def _null_hash() -> int:
    """What `hash` gives an empty text cell (asked once, on first use: importing runs no polars work)."""
    return int(pl.Series([None], dtype=pl.String).hash(seed=0)[0])


def by_distinct(values: pl.Series, convert: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """A dictionary column with `convert` (text in, text out, row for row) applied to each distinct value once,
    still a dictionary; `values` itself when no value changes."""
    distinct = values.unique().drop_nulls().cast(pl.String)
    converted = convert(distinct)
    if not distinct.ne_missing(converted).any():
        return values
    return values.replace_strict(distinct, converted, default=None, return_dtype=pl.Categorical).alias(
        values.name
    )


def estimated_size(frame: pl.DataFrame) -> int:
    """`frame.estimated_size()` with its dictionary columns counted by their text, as other text columns are
    (polars counts a dictionary's 4-byte codes only): their bytes in the first `SAMPLE_ROWS` rows, scaled."""
    size = int(frame.estimated_size())
    held = [name for name, dtype in frame.schema.items() if dtype == pl.Categorical]
    if not held or not frame.height:
        return size
    head = frame.head(SAMPLE_ROWS).select(pl.col(held).cast(pl.String))
    return size + int(head.estimated_size() * frame.height / head.height)
