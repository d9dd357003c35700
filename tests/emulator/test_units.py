"""Unit tests of the emulator's pure parts: value typing, filters, payload chunking, persistence rows."""

from __future__ import annotations

import gzip

import orjson
import polars as pl
import pytest

from orgsync.emulator import payload
from orgsync.emulator.errors import ApiError
from orgsync.emulator.query import filter_expr, projection_keys
from orgsync.emulator.values import ImportTokens, text_expr, type_column


def test_type_column_number_tokens_and_invalid() -> None:
    tokens = ImportTokens(clear_token="X", noop_token="N")
    col = type_column([1, "2.5", "", None, "X", "N", "abc", {"a": 1}, "nan"], "number", tokens)
    assert col.values.to_list() == [1.0, 2.5, None, None, None, None, None, None, None]
    assert col.noop.to_list() == [False, False, False, False, False, True, False, False, False]
    assert col.invalid.to_list() == [False, False, False, False, False, False, True, True, True]


def test_type_column_dates_and_booleans() -> None:
    dates = type_column(
        ["31/12/2020", "2020-12-31", "x"], "date", ImportTokens.from_query("DD/MM/YYYY", None, None)
    )
    assert dates.values.to_list() == ["2020-12-31", "2020-12-31", "x"]
    assert not dates.invalid.any()
    flags = type_column([True, "false", "1", "maybe"], "boolean", ImportTokens())
    assert flags.values.to_list() == [True, False, True, None]
    assert flags.invalid.to_list() == [False, False, False, True]


def test_text_expr_numbers_like_json() -> None:
    frame = pl.DataFrame({"n": [65000.0, 0.5, -0.0, None, 1e20]})
    assert frame.select(text_expr("n", "number")).to_series().to_list() == [
        "65000",
        "0.5",
        "0",
        None,
        "1e+20",
    ]


def test_filter_type_mismatch_and_unknown_field() -> None:
    frame = pl.DataFrame({"s": ["a", "b"], "n": [1.0, 2.0]})
    types = {"s": "text", "n": "number"}
    assert frame.filter(filter_expr({"n": {"$in": [2, "1"]}}, types).fill_null(False))["s"].to_list() == ["b"]
    assert frame.filter(filter_expr({"zz": {"$exists": False}}, types).fill_null(False)).height == 2
    assert frame.filter(filter_expr({"s": {"$regex": "^a"}}, types).fill_null(False))["s"].to_list() == ["a"]
    with pytest.raises(ApiError) as err:
        filter_expr({"n": {"$gt": [1]}}, types)
    assert err.value.extra["jsonBody"] == "$.filter.n.$gt"


def test_projection_keys() -> None:
    assert projection_keys({"b": 1, "a": 2, "c": 0}, ["a", "b", "c"]) == ["b", "a"]
    assert projection_keys({"c": 0}, ["a", "b", "c"]) == ["a", "b"]
    assert projection_keys(None, ["a"]) is None


def test_payload_chunks_json_gzip_and_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(payload, "CHUNK", 2)
    actions = [{"_action": "create", "k": i} for i in range(5)]
    chunks = list(payload.iter_actions(gzip.compress(orjson.dumps(actions))))
    assert [len(c) for c in chunks] == [2, 2, 1] and sum(chunks, []) == actions
    csv = list(payload.iter_actions("\ufeff_action;k\ncreate;1\n".replace(";", "\t").encode("utf-8-sig")))
    assert csv == [[{"_action": "create", "k": "1"}]]
    assert list(payload.iter_actions(b" [ ] ")) == []
    for bad in (b"[1 2]", b"{}", b"[1,]"):
        with pytest.raises(ApiError):
            list(payload.iter_actions(bad, "json"))
