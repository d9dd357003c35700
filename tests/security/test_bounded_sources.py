"""Hostile source files refused before the work they would cause (issue 23, items 8-11 and 17): an xlsx
dimension bomb, a Parquet dictionary/RLE bomb, JSON with a distinct key per record, a CSV 300,000 columns wide,
a glob matching a file name that is not UTF-8. Each is run through the CLI and refused with the file and limit."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from tests.support.cli import orgsync
from tests.support.source_repo import ID_NAME_PROPS, repo

RAISE = "raise it in the CI environment if the file is genuine"


def validate(root: Path, **limits: str) -> tuple[int, list[str]]:
    """Exit code and the problem lines of `orgsync validate`, with `ORGSYNC_LIMIT_<NAME>` from `limits`."""
    env = {f"ORGSYNC_LIMIT_{k.upper()}": v for k, v in limits.items()}
    code, out, err = orgsync("validate", "--root", str(root), env=env)
    assert "Traceback" not in out + err
    return code, [line.strip() for line in out.splitlines() if line.startswith("  ")]


def source_repo(root: Path, name: str, data: bytes | None = None) -> Path:
    return repo(root, f"  source: ../data/{name}\n", {name: data} if data is not None else {}, ID_NAME_PROPS)


# -- 8. xlsx dimension bomb --------------------------------------------------------------------------


def xlsx_with(path: Path, last: str) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("People")
    sheet.write_row("A1", ["employee_id", "full_name"])
    sheet.write_row("A2", ["E1", "Ada"])
    sheet.write(last, "x")
    book.close()


def test_a_1_kb_workbook_spanning_the_whole_grid_is_refused_before_calamine_allocates(tmp_path):
    root = source_repo(tmp_path, "p.xlsx")
    xlsx_with(root / "data" / "p.xlsx", "XFD1048576")
    assert (root / "data" / "p.xlsx").stat().st_size < 8000
    assert validate(root) == (
        1,
        [
            "data/p.xlsx: error: sheet 'People' spans 1048576 rows × 16384 columns (17179869184 cells), more "
            f"than the limit of 67108864 (ORGSYNC_LIMIT_XLSX_CELLS=67108864); {RAISE}"
        ],
    )


def test_the_sheet_area_limit_is_the_environments(tmp_path):
    root = source_repo(tmp_path, "p.xlsx")
    xlsx_with(root / "data" / "p.xlsx", "T3")  # 3 rows × 20 columns
    assert validate(root, xlsx_cells="59")[1] == [
        "data/p.xlsx: error: sheet 'People' spans 3 rows × 20 columns (60 cells), more than the limit of 59 "
        f"(ORGSYNC_LIMIT_XLSX_CELLS=59); {RAISE}"
    ]
    assert not any("XLSX_CELLS" in line for line in validate(root, xlsx_cells="60")[1])


def test_cells_without_references_are_counted_and_a_genuine_sheet_passes(tmp_path):
    root = source_repo(tmp_path, "p.xlsx")
    xlsx_with(root / "data" / "p.xlsx", "A3")
    assert validate(root) == (0, [])
    sheet = (
        '<worksheet><sheetData><row><c t="inlineStr"><is><t>a</t></is></c>'
        + "<c/>" * 50
        + "</row></sheetData></worksheet>"
    )
    with zipfile.ZipFile(root / "data" / "q.xlsx", "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    (root / "manifests" / "people.yaml").write_text(
        (root / "manifests" / "people.yaml").read_text().replace("p.xlsx", "q.xlsx")
    )
    assert validate(root, xlsx_cells="50")[1][0] == (
        f"data/q.xlsx: error: sheet sheet1 holds more than 50 cells, more than the limit of 50 "
        f"(ORGSYNC_LIMIT_XLSX_CELLS=50); {RAISE}"
    )


# -- 9. Parquet dictionary / RLE bomb ---------------------------------------------------------------


def parquet_bomb(path: Path, rows: int, value: str) -> None:
    """`rows` rows of one dictionary value: a run-length page of zeros and a one-entry dictionary."""
    column = pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), rows), pa.array([value]))
    pq.write_table(pa.table({"employee_id": column, "full_name": column}), path, compression="zstd")


def test_a_small_parquet_file_declaring_20_million_rows_is_refused_from_its_footer(tmp_path):
    root = source_repo(tmp_path, "p.parquet")
    parquet_bomb(root / "data" / "p.parquet", 20_000_000, "E")
    assert (root / "data" / "p.parquet").stat().st_size < 200_000
    assert validate(root) == (
        1,
        [
            "data/p.parquet: error: the file declares 20000000 rows, more than the limit of 10000000 "
            f"(ORGSYNC_LIMIT_SOURCE_ROWS=10000000); {RAISE}"
        ],
    )


def test_a_long_dictionary_value_repeated_is_refused_by_its_decoded_size(tmp_path):
    root = source_repo(tmp_path, "p.parquet")
    parquet_bomb(root / "data" / "p.parquet", 2000, "E" * 10_000)  # 2 × 20 MB decoded, a few KB on disk
    assert (root / "data" / "p.parquet").stat().st_size < 20_000
    assert validate(root, source_bytes="1MiB")[1] == [
        "data/p.parquet: error: its columns decode to at least 20064000 bytes, more than the limit of "
        f"1048576 (ORGSYNC_LIMIT_SOURCE_BYTES=1048576); {RAISE}"
    ]
    assert validate(root, source_bytes="100MiB")[0] == 1  # passes the bound; the rows are then checked
    assert not any("SOURCE_BYTES" in line for line in validate(root, source_bytes="100MiB")[1])


def test_parquet_columns_and_pages_are_bounded_too(tmp_path):
    root = source_repo(tmp_path, "p.parquet")
    pq.write_table(pa.table({f"c{i}": ["x"] for i in range(30)}), root / "data" / "p.parquet")
    assert validate(root, source_columns="29")[1] == [
        f"data/p.parquet: error: the file has 30 columns, more than the limit of 29 "
        f"(ORGSYNC_LIMIT_SOURCE_COLUMNS=29); {RAISE}"
    ]


# -- 10. JSON with a distinct key per record --------------------------------------------------------


def test_json_with_a_distinct_key_per_record_is_refused_at_the_first_key_over(tmp_path):
    records = [{"employee_id": f"E{i}", f"k{i}": "v"} for i in range(20_000)]
    root = source_repo(tmp_path, "p.json", json.dumps(records).encode())
    assert validate(root) == (
        1,
        [
            "data/p.json: error: item 2000 brings the count of distinct keys (columns) to 2001, more than the "
            f"limit of 2000 (ORGSYNC_LIMIT_SOURCE_COLUMNS=2000); {RAISE}"
        ],
    )


def test_jsonl_keys_and_cells_are_bounded_across_chunks(tmp_path):
    lines = [json.dumps({"employee_id": f"E{i}", f"k{i}": "v"}) for i in range(12)]
    root = source_repo(tmp_path, "p.jsonl", "\n".join(lines).encode())
    assert validate(root, source_columns="10")[1] == [
        "data/p.jsonl:10: error: line 10 brings the count of distinct keys (columns) to 11, more than the "
        f"limit of 10 (ORGSYNC_LIMIT_SOURCE_COLUMNS=10); {RAISE}"
    ]
    assert validate(root, source_cells="100")[1] == [
        "data/p.jsonl: error: 12 records × 13 keys make 156 cells, more than the limit of 100 "
        f"(ORGSYNC_LIMIT_SOURCE_CELLS=100); {RAISE}"
    ]


# -- 11. CSV 300,000 columns wide -------------------------------------------------------------------


def test_a_csv_300000_columns_wide_is_refused_from_its_header_line(tmp_path):
    header = ",".join(["employee_id", *(f"c{i}" for i in range(300_000))])
    root = source_repo(tmp_path, "p.csv", f"{header}\nE1{',x' * 300_000}\n".encode())
    code, out, _ = orgsync("validate", "--root", str(root))
    assert code == 1 and len(out) < 1000
    seen = header[: 1 << 20].count(",") + 1  # the columns of the first MiB read: the header's first block
    assert out.splitlines()[1].strip() == (
        f"data/p.csv:1: error: the header has at least {seen} columns, more than the limit of 2000 "
        f"(ORGSYNC_LIMIT_SOURCE_COLUMNS=2000); {RAISE}"
    )


def test_gzipped_csv_headers_are_bounded_and_many_unknown_columns_give_a_few_messages(tmp_path):
    import gzip

    header = ",".join(["employee_id", "full_name", *(f"c{i}" for i in range(100))])
    root = source_repo(tmp_path, "p.csv.gz", gzip.compress(f"{header}\nE1,A{',x' * 100}\n".encode()))
    assert validate(root, source_columns="50")[1] == [
        "data/p.csv.gz:1: error: the header has 102 columns, more than the limit of 50 "
        f"(ORGSYNC_LIMIT_SOURCE_COLUMNS=50); {RAISE}"
    ]
    code, lines = validate(root)
    assert code == 1 and len(lines) == 21
    assert lines[0] == (
        "data/p.csv.gz:1: error: c0: column 'c0' is not a property of 'People'; add it to `properties` or map "
        "it with `items.columns`"
    )
    assert lines[-1] == (
        "data/p.csv.gz:1: error: ... and 80 more like the above (column … is not a property of …; add it to … "
        "or map it with …)"
    )


# -- 17. a file name that is not UTF-8 --------------------------------------------------------------


def test_a_glob_matching_a_file_name_that_is_not_utf8_is_a_clear_error(tmp_path):
    root = repo(tmp_path, "  source: ../data/*.csv\n", {}, ID_NAME_PROPS)
    with open(os.path.join(os.fsencode(root / "data"), b"b\xff.csv"), "wb") as handle:
        handle.write(b"employee_id,full_name\nE1,Ada\n")
    assert validate(root) == (
        1,
        [
            "manifests/people.yaml:10:11: error: items.source: source '../data/*.csv' matches the file "
            "data/b\\xff.csv, whose name is not UTF-8; expected UTF-8 file names (rename the file)"
        ],
    )


def test_json_whose_keys_each_appear_in_few_records_is_refused_by_its_sparsity(tmp_path):
    keys = [{"employee_id": f"E{i}", f"k{i}": "v"} for i in range(1999)]  # within the 2000 keys
    lines = [json.dumps(r) for r in keys] + ["{}"] * 10_000  # 12,000 records × 2,000 keys: 24M cells
    root = source_repo(tmp_path, "p.jsonl", "\n".join(lines).encode())
    assert validate(root) == (
        1,
        [
            "data/p.jsonl: error: 11999 records × 2000 keys make 23998000 cells for 3998 values present (most "
            "keys appear in few records), 6002 cells per value, more than the limit of 64 "
            f"(ORGSYNC_LIMIT_JSON_SPARSITY=64); {RAISE}"
        ],
    )
