"""Excel `.xlsx` (sheet by name or number, header row, date cells and date serials) and Parquet sources."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import xlsxwriter

from tests.support.source_repo import errors, repo, rows

EXPECTED = [
    {
        "employee_id": "E1",
        "full_name": "Ada",
        "salary": "65000.5",
        "start_date": "2020-01-02",
        "active": "true",
    },
    {
        "employee_id": "E2",
        "full_name": "Grace",
        "salary": "70000",
        "start_date": "2021-03-04",
        "active": "false",
    },
]


def workbook(sheets: dict[str, list[list[object]]], date_cells: bool = True) -> bytes:
    """An xlsx file with `sheets` (first row: header); dates are written as real date cells."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, table in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                if isinstance(value, dt.date) and date_cells:
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return out.getvalue()


PEOPLE = [
    ["employee_id", "full_name", "salary", "start_date", "active"],
    ["E1", "Ada", 65000.5, dt.date(2020, 1, 2), True],
    ["E2", "Grace", 70000, dt.date(2021, 3, 4), False],
]


def test_xlsx_first_sheet_with_date_cells(tmp_path):
    repo(tmp_path, "  source: ../data/p.xlsx\n", {"p.xlsx": workbook({"People": PEOPLE})})
    assert rows(tmp_path) == EXPECTED


def test_xlsx_sheet_by_name_and_number_and_header_row(tmp_path):
    other = [["junk"], ["x"]]
    titled = [["Export of 2024-05-01"], [None], *PEOPLE]
    repo(
        tmp_path,
        "  source: ../data/p.xlsx\n  sheet: Staff\n  headerRow: 3\n",
        {"p.xlsx": workbook({"Other": other, "Staff": titled})},
    )
    assert rows(tmp_path) == EXPECTED
    repo(tmp_path, "  source: ../data/p.xlsx\n  sheet: 2\n  headerRow: 3\n")
    assert rows(tmp_path) == EXPECTED


def test_xlsx_date_serial_numbers_in_a_date_column_are_dates(tmp_path):
    serials = [PEOPLE[0], ["E1", "Ada", 65000.5, 43832, True], ["E2", "Grace", 70000, 44259, False]]
    repo(tmp_path, "  source: ../data/p.xlsx\n", {"p.xlsx": workbook({"People": serials})})
    assert rows(tmp_path) == EXPECTED


def test_xlsx_misfits_name_the_sheet_row(tmp_path):
    bad = [*PEOPLE, ["E3", "Linus", "lots", dt.date(2022, 1, 1), True]]
    repo(tmp_path, "  source: ../data/p.xlsx\n", {"p.xlsx": workbook({"People": bad})})
    assert errors(tmp_path) == ["data/p.xlsx:4: salary: row 4: expected a number, got 'lots'"]


def test_xlsx_missing_sheet_is_named(tmp_path):
    repo(tmp_path, "  source: ../data/p.xlsx\n  sheet: Nope\n", {"p.xlsx": workbook({"People": PEOPLE})})
    [message] = errors(tmp_path)
    assert message.startswith("data/p.xlsx: items.sheet: cannot read sheet 'Nope': ") and message.endswith(
        "; expected an existing sheet name or 1-based number in `sheet:`"
    )


def test_not_a_workbook(tmp_path):
    repo(tmp_path, "  source: ../data/p.xlsx\n", {"p.xlsx": b"employee_id\nE1\n"})
    [message] = errors(tmp_path)
    assert message.startswith("data/p.xlsx: cannot be read as an xlsx workbook: ")


def test_parquet_keeps_types(tmp_path):
    frame = pl.DataFrame(
        {
            "employee_id": ["E1", "E2"],
            "full_name": ["Ada", "Grace"],
            "salary": [65000.5, 70000.0],
            "start_date": [dt.date(2020, 1, 2), dt.date(2021, 3, 4)],
            "active": [True, False],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    repo(
        tmp_path, "  source: ../data/p.parquet\n  dateFormat: DD/MM/YYYY\n", {"p.parquet": buffer.getvalue()}
    )
    assert rows(tmp_path) == EXPECTED


def test_parquet_timestamps_into_dates_must_be_midnight(tmp_path):
    frame = pl.DataFrame(
        {
            "employee_id": ["E1", "E2"],
            "start_date": [dt.datetime(2020, 1, 2), dt.datetime(2021, 3, 4, 10, 30)],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    repo(
        tmp_path,
        "  source: ../data/p.parquet\n  handKept: [full_name, salary, active]\n",
        {"p.parquet": buffer.getvalue()},
    )
    assert errors(tmp_path) == [
        "data/p.parquet: start_date: record 2: expected a date in YYYY-MM-DD, got '2021-03-04T10:30:00'"
    ]


def test_damaged_parquet(tmp_path):
    repo(tmp_path, "  source: ../data/p.parquet\n", {"p.parquet": b"PAR1 not really"})
    [message] = errors(tmp_path)
    assert message.startswith("data/p.parquet: cannot be read as Parquet: ")
