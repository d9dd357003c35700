"""Canonical values: one textual form per type, exactly the rules of docs/architecture.md."""

from __future__ import annotations

import polars as pl
import pytest

from orgsync.sources.canonical import canonical_expr, canonical_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("65000", "65000"),
        ("65000.0", "65000"),
        (" 65000.00 ", "65000"),
        (65000, "65000"),
        (65000.0, "65000"),
        ("6.5e4", "65000"),
        ("0.50", "0.5"),
        (".5", "0.5"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("+5", "5"),
        ("007", "7"),
        ("-12.50", "-12.5"),
        ("0.1", "0.1"),
        ("1e-7", "0.0000001"),
        ("1e20", "100000000000000000000"),
        ("12345678901234567890", "12345678901234567890"),
        ("", None),
        ("   ", None),
        (None, None),
        ("abc", None),
        ("1,000", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_number(raw, expected):
    assert canonical_value(raw, "number") == expected


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2024-01-05", "YYYY-MM-DD", "2024-01-05"),
        ("2024-1-5", "YYYY-MM-DD", "2024-01-05"),
        ("05/01/2024", "DD/MM/YYYY", "2024-01-05"),
        ("05/01/2024", "MM/DD/YYYY", "2024-05-01"),
        (" 2024-01-05 ", "YYYY-MM-DD", "2024-01-05"),
        ("24-01-05", "YYYY-MM-DD", None),
        ("2024-02-30", "YYYY-MM-DD", None),
        ("31/02/2024", "DD/MM/YYYY", None),
        ("2024-01-05", "DD/MM/YYYY", None),
        ("2024-01-05T10:00", "YYYY-MM-DD", None),
    ],
)
def test_date(raw, fmt, expected):
    assert canonical_value(raw, "date", fmt) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", "true"),
        ("TRUE", "true"),
        ("Yes", "true"),
        ("y", "true"),
        ("1", "true"),
        (True, "true"),
        ("false", "false"),
        ("No", "false"),
        ("N", "false"),
        ("0", "false"),
        (False, "false"),
        ("maybe", None),
        ("", None),
    ],
)
def test_boolean(raw, expected):
    assert canonical_value(raw, "boolean") == expected


def test_text_strips_and_empties_to_null():
    assert canonical_value("  Ada Lovelace \t", "text") == "Ada Lovelace"
    assert canonical_value("   ", "text") is None


def test_keep_invalid_keeps_stripped_text_for_live_values():
    frame = pl.DataFrame({"d": [" not a date ", "2024-01-05"]})
    assert frame.select(canonical_expr("d", "date", keep_invalid=True))["d"].to_list() == [
        "not a date",
        "2024-01-05",
    ]
