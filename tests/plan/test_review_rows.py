"""The review's parent-to-row mapping by 64-bit hashes equals the plain text join it replaced."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from orgsync.plan.review import _IX, _resolve, _rows_of
from orgsync.plan.review_values import ID

names = st.text(alphabet="ab1é\x00 ", max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.one_of(names, st.none()), max_size=12).map(
        lambda xs: [x for i, x in enumerate(xs) if x is None or x not in xs[:i]]
    ),
    keys=st.lists(st.one_of(names, st.none()), max_size=12),
)
def test_rows_by_hash_equal_rows_by_text(ids: list[str | None], keys: list[str | None]) -> None:
    id_series = pl.Series(ID, ids, dtype=pl.Utf8)
    key_series = pl.Series(ID, keys, dtype=pl.Utf8)
    index = id_series.to_frame().with_row_index(_IX)
    got = _rows_of(key_series, id_series, index)
    assert got.dtype == pl.Int64
    assert got.to_list() == _resolve(key_series, index).to_list()
    expected = [None if k is None or k not in ids else ids.index(k) for k in keys]
    assert got.to_list() == expected
