"""The fast path of canonical_expr: values already canonical pass untouched, every result equals the full conversion."""

from __future__ import annotations

import math
import random
import re
from decimal import Decimal

import polars as pl
import pytest

from orgsync.sources.canonical import (
    _MAX_EXACT_FLOAT as MAX_EXACT,
)
from orgsync.sources.canonical import (
    _already_canonical,
    _number,
    _number_rare,
    _stripped,
    canonical_expr,
    canonical_series,
    canonical_value,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", "0"),
        ("-0", "0"),
        ("+0", "0"),
        ("00", "0"),
        ("-0.0", "0"),
        ("007", "7"),
        ("-007", "-7"),
        ("1.50", "1.5"),
        ("1.0", "1"),
        ("5.", "5"),
        (".5", "0.5"),
        ("-.5", "-0.5"),
        ("0.5", "0.5"),
        ("-0.5", "-0.5"),
        ("1e3", "1000"),
        ("1E3", "1000"),
        ("-1.5e2", "-150"),
        ("1e-3", "0.001"),
        (" 5 ", "5"),
        ("\t-12.5\n", "-12.5"),
        ("+5", "5"),
        ("0.0001", "0.0001"),
        ("0.00012", "0.00012"),
        ("0.000123", "0.000123"),
        ("0.001", "0.001"),
        ("123456789012345", "123456789012345"),
        ("1234567890123456", "1234567890123456"),
        ("-12345678901234", "-12345678901234"),
        ("9007199254740993", "9007199254740993"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("-000123456789012345678901234567890.000", "-123456789012345678901234567890"),
        ("0.1234567890123", "0.1234567890123"),
        ("1234567.8901234", "1234567.8901234"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("1_000", None),
        ("\u0661\u0662", None),
        ("0x10", None),
        ("1" + "0" * 400, None),
        ("-", None),
        (".", None),
    ],
)
def test_number_edge_cases(raw, expected):
    assert canonical_value(raw, "number") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", "true"),
        ("false", "false"),
        (" true ", "true"),
        ("True", "true"),
        ("FALSE", "false"),
        ("truth", None),
    ],
)
def test_boolean_edge_cases(raw, expected):
    assert canonical_value(raw, "boolean") == expected


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("2024-02-29", "YYYY-MM-DD", "2024-02-29"),
        ("2023-02-29", "YYYY-MM-DD", None),
        ("2024-13-01", "YYYY-MM-DD", None),
        ("0999-12-31", "YYYY-MM-DD", "0999-12-31"),
        ("2024-1-05", "YYYY-MM-DD", "2024-01-05"),
        ("+2024-01-05", "YYYY-MM-DD", None),
        ("2024-01-05", "DD/MM/YYYY", None),
        ("\u0662024-01-05", "YYYY-MM-DD", None),
    ],
)
def test_date_edge_cases(raw, fmt, expected):
    assert canonical_value(raw, "date", fmt) == expected


def test_keep_invalid_applies_to_converted_rows_only():
    frame = pl.DataFrame(
        {"n": ["65000", " 1.50 ", "x ", None, "-0"], "b": ["true", " Yes", "maybe", None, "false"]}
    )
    out = frame.select(
        canonical_expr("n", "number", keep_invalid=True), canonical_expr("b", "boolean", keep_invalid=True)
    )
    assert out.to_dict(as_series=False) == {
        "n": ["65000", "1.5", "x", None, "0"],
        "b": ["true", "true", "maybe", None, "false"],
    }


def test_canonical_values_take_the_fast_path_and_others_do_not():
    numbers = pl.Series(
        ["65000", "0.5", "-12.25", "0", "65000.0", "-0", "007", "1e3", " 5", "+5", "1.50", "1234567890123456"]
    )
    flags = pl.select(_already_canonical(pl.lit(numbers), "number", "YYYY-MM-DD")).to_series().to_list()
    assert flags == [True] * 4 + [False] * 8
    # Days every year has need no date parse; February 29 is converted (to be checked against its year).
    dates = pl.Series(
        [
            "2024-01-28",
            "0000-12-01",
            "2024-01-31",
            "2023-04-30",
            "2024-12-31",
            "2024-02-29",
            "2024-04-31",
            "2024-02-30",
            "2024-1-31",
            "31/01/2024",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
        ]
    )
    flags = pl.select(_already_canonical(pl.lit(dates), "date", "YYYY-MM-DD")).to_series().to_list()
    assert flags == [True] * 5 + [False] * 8
    booleans = pl.Series(["true", "false", "TRUE", "yes"])
    assert pl.select(_already_canonical(pl.lit(booleans), "boolean", "YYYY-MM-DD")).to_series().to_list() == [
        True,
        True,
        False,
        False,
    ]


def _number_corpus(count: int) -> list[str]:
    """Decimal texts around the fast path's edges: signs, leading/trailing zeros, 1-20 digits, tiny fractions."""
    rng = random.Random(20240131)
    out = []
    for _ in range(count):
        whole = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 18)))
        frac = "".join(rng.choice("0000123456789") for _ in range(rng.randint(0, 16)))
        sign = rng.choice(["", "", "-", "+"])
        text = sign + (whole or "0") + ("." + frac if frac or rng.random() < 0.1 else "")
        text = text.lstrip("0") if rng.random() < 0.5 and not sign else text
        if rng.random() < 0.1:
            text += f"e{rng.randint(-12, 25)}"
        out.append(f" {text}\t" if rng.random() < 0.05 else text)
    return out


def reference_number(raw: str) -> str | None:
    """The number rule written plainly in Python (Decimal), one value at a time: the oracle of the expression."""
    text = raw.strip()
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text, re.ASCII):
        return None
    value = float(text)
    if not math.isfinite(value):
        return None
    if value == math.floor(value) and abs(value) >= MAX_EXACT and re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        digits = text.lstrip("+-").split(".")[0].lstrip("0") or "0"
        return ("-" if text.startswith("-") else "") + digits
    out = format(Decimal(repr(value)), "f")
    out = out.rstrip("0").rstrip(".") if "." in out else out
    return "0" if out == "-0" else out


@pytest.mark.parametrize("keep_invalid", [False, True])
def test_number_expression_agrees_with_the_python_reference(keep_invalid):
    corpus = [
        *_number_corpus(30_000),
        *(str(x) for x in range(-1000, 1000)),
        "1e-7",
        "-2.5e-10",
        "1e20",
        "1.5e300",
        "5e-324",
        "9007199254740993.5",
        "1.2345e+20",
        "0.000015",
        "1e16",
        "-1e16",
        "123e-20",
    ]
    values = pl.Series("v", corpus, dtype=pl.Utf8)
    out = pl.DataFrame({"v": values}).select(canonical_expr("v", "number", keep_invalid=keep_invalid))["v"]
    expected = [reference_number(v) for v in corpus]
    if keep_invalid:
        expected = [
            e if e is not None else (v.strip() or None) for e, v in zip(expected, corpus, strict=True)
        ]
    assert out.to_list() == expected


@pytest.mark.parametrize("keep_invalid", [False, True])
def test_fast_path_agrees_with_full_conversion_on_numbers(keep_invalid):
    values = pl.Series("v", _number_corpus(30_000) + [str(x) for x in range(-1000, 1000)], dtype=pl.Utf8)
    fast = pl.DataFrame({"v": values}).select(canonical_expr("v", "number", keep_invalid=keep_invalid))["v"]
    full = canonical_series(values, "number", keep_invalid=keep_invalid)
    assert fast.to_list() == full.to_list()


def test_common_branches_agree_with_the_one_pass_conversion():
    """`_number` (Int64 / float branches, the rest via `_number_rare`) equals `_number_rare` on every value."""
    values = _stripped(pl.Series("v", _number_corpus(30_000) + ["inf", "nan", "abc", "1e400", "-1e-400"]))
    assert _number(values).to_list() == _number_rare(values).to_list()


def test_fast_path_agrees_with_full_conversion_on_dates():
    days = pl.date_range(pl.date(1, 1, 1), pl.date(9999, 12, 31), "97d", eager=True).dt.to_string("%Y-%m-%d")
    invalid = [
        f"{y:04d}-{m:02d}-{d:02d}"
        for y in (1900, 2000, 2023, 2024)
        for m in (0, 2, 4, 13)
        for d in (0, 29, 30, 31, 32)
    ]
    values = pl.Series("v", [*days.to_list(), *invalid], dtype=pl.Utf8)
    fast = pl.DataFrame({"v": values}).select(canonical_expr("v", "date"))["v"]
    assert fast.to_list() == canonical_series(values, "date").to_list()


@pytest.mark.parametrize("first", ["65000.0", "65000"])
def test_columns_converted_whole_or_row_by_row_give_the_same_values(first):
    """A column starting with non-canonical values is converted whole, one starting canonical row by row."""
    values = pl.Series(
        "v", [first] * 1500 + ["0.50", "7", " 8 ", None, "x", "1e3", "2.5"] * 200, dtype=pl.Utf8
    )
    frame = pl.DataFrame({"v": values})
    out = frame.select(canonical_expr("v", "number", keep_invalid=True))["v"]
    assert frame["v"].equals(values)  # converted rows are written into a copy, never into the input frame
    assert out.head(1500).to_list() == ["65000"] * 1500
    assert out.tail(1400).to_list() == ["0.5", "7", "8", None, "x", "1000", "2.5"] * 200


def test_dates_in_another_format_are_all_converted_even_after_leading_nulls():
    values = pl.Series("d", [None] * 1200 + ["05/01/2024", "31/02/2024", " 1/2/2024 "], dtype=pl.Utf8)
    out = pl.DataFrame({"d": values}).select(canonical_expr("d", "date", "DD/MM/YYYY"))["d"]
    assert out.to_list() == [None] * 1200 + ["2024-01-05", None, "2024-02-01"]


def test_every_date_the_fast_path_passes_is_its_own_full_conversion():
    # every month 00-13 and day 00-32 of a leap year, a common year, and the century years either way
    dates = pl.Series(
        [f"{y}-{m:02d}-{d:02d}" for y in (2023, 2024, 1900, 2000) for m in range(14) for d in range(33)]
    )
    fast = pl.select(_already_canonical(pl.lit(dates), "date", "YYYY-MM-DD")).to_series()
    full = canonical_series(dates, "date")
    assert full.filter(fast).to_list() == dates.filter(fast).to_list()
    # and it passes every valid day but February 29, so only those rows are parsed
    slow = dates.filter(~fast & full.is_not_null()).to_list()
    assert slow == ["2024-02-29", "2000-02-29"]
