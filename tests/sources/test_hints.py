"""Source errors name the setting that reads the file: `dateFormat`, `decimalSeparator` (sensitive columns too),
and `encoding` with `delimiter` at once (issue 22, points 1-3)."""

from __future__ import annotations

import pytest

from tests.support.source_repo import PROPERTIES, errors, repo, rows

KEPT = "  handKept: [full_name, salary, active]\n"


def test_a_day_above_12_proves_dd_mm_yyyy(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n" + KEPT,
        {"p.csv": b"employee_id,start_date\nE1,31/12/2020\nE2,01/02/2021\n"},
    )
    assert errors(tmp_path) == [
        "data/p.csv:2: start_date: row 2: expected a date in YYYY-MM-DD, got '31/12/2020'; the values read "
        "as DD/MM/YYYY: set `dateFormat: DD/MM/YYYY` under `items:`",
        "data/p.csv:3: start_date: row 3: expected a date in YYYY-MM-DD, got '01/02/2021'",
    ]
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  dateFormat: DD/MM/YYYY\n" + KEPT,
        {"p.csv": b"employee_id,start_date\nE1,31/12/2020\nE2,01/02/2021\n"},
    )
    assert [r["start_date"] for r in rows(tmp_path)] == ["2020-12-31", "2021-02-01"]


def test_a_month_above_12_proves_mm_dd_yyyy_even_under_another_format(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  dateFormat: DD/MM/YYYY\n" + KEPT,
        {"p.csv": b"employee_id,start_date\nE1,12/31/2020\n"},
    )
    assert errors(tmp_path) == [
        "data/p.csv:2: start_date: row 2: expected a date in DD/MM/YYYY, got '12/31/2020'; the values read "
        "as MM/DD/YYYY: set `dateFormat: MM/DD/YYYY` under `items:`"
    ]


def test_days_all_up_to_12_name_both_formats(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n" + KEPT,
        {"p.csv": b"employee_id,start_date\nE1,01/02/2020\n"},
    )
    assert errors(tmp_path) == [
        "data/p.csv:2: start_date: row 2: expected a date in YYYY-MM-DD, got '01/02/2020'; the values read "
        "as DD/MM/YYYY or MM/DD/YYYY (no day above 12 tells which): set `dateFormat: DD/MM/YYYY` or "
        "`dateFormat: MM/DD/YYYY` under `items:`"
    ]


def test_a_date_no_format_reads_gets_no_hint(tmp_path):
    repo(tmp_path, "  source: ../data/p.csv\n" + KEPT, {"p.csv": b"employee_id,start_date\nE1,soon\n"})
    assert errors(tmp_path) == ["data/p.csv:2: start_date: row 2: expected a date in YYYY-MM-DD, got 'soon'"]


def test_a_sensitive_decimal_comma_gets_the_hint_without_its_value(tmp_path):
    sensitive = PROPERTIES.replace("type: number}", "type: number, sensitive: true}")
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  handKept: [full_name, start_date, active]\n",
        {"p.csv": b"employee_id;salary\nE1;4321,75\n"},
        sensitive,
    )
    (message,) = errors(tmp_path)
    assert message == (
        "data/p.csv:2: salary: row 2: expected a number, got a value not shown (sensitive); it looks like a "
        "formatted number: set `items.decimalSeparator` (and `items.thousandsSeparator`), "
        "e.g. `decimalSeparator: ','` with `thousandsSeparator: '.'` for 1.234,50"
    )
    assert "4321" not in message


@pytest.mark.parametrize(
    ("data", "advice"),
    [
        (
            "employee_id;full_name\nE1;Zoë Müller\n",
            "; and the header has 1 `;` and no `,`: set `delimiter: ';'`",
        ),
        ("employee_id,full_name\nE1,Zoë Müller\n", ""),
        (
            "employee_id\tfull_name\nE1\tZoë Müller\n",
            '; and the header has 1 `\\t` and no `,`: set `delimiter: "\\t"`',
        ),
    ],
)
def test_a_cp1252_file_names_its_encoding_and_its_delimiter_at_once(tmp_path, data, advice):
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": data.encode("cp1252")})
    assert errors(tmp_path) == [
        "data/p.csv:2: items.encoding: byte 0xeb at line 2 is not valid UTF-8; it decodes as cp1252: set "
        "`encoding: cp1252`" + advice
    ]
