"""A repository with one manifest per documented form of `items.source` / `items.sources` (CSV, gzip TSV, JSON,
JSONL, Parquet, xlsx, listed and globbed files, a database, a query over all of them)."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import polars as pl
import xlsxwriter

PROPS = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: grade, name: Grade, type: text}
"""
CSV = b"employee_id,grade\nE1,G1\nE2,G2\n"


def manifest(name: str, items: str) -> str:
    return (
        f"kind: Dataset\nname: {name}\ntype: PEOPLE\nautoId: employee_id\nlabelId: employee_id\n{PROPS}"
        f"items:\n{items}"
    )


def every_source_form(root: Path) -> dict[str, str]:
    """A repository with one manifest per documented form of `items.source` / `items.sources`."""
    data = root / "data"
    (root / "manifests").mkdir(parents=True)
    data.mkdir()
    (root / "orgsync.yaml").write_text("tenant: T\nendpoint: local\n")
    (data / "p.csv").write_bytes(CSV)
    (data / "p.tsv.gz").write_bytes(gzip.compress(CSV.replace(b",", b"\t")))
    (data / "p.json").write_text(json.dumps([{"employee_id": "E1", "grade": "G1"}]))
    (data / "p.jsonl").write_text('{"employee_id": "E1", "grade": "G1"}\n')
    pl.read_csv(CSV).write_parquet(data / "p.parquet")
    book = xlsxwriter.Workbook(data / "p.xlsx")
    sheet = book.add_worksheet()
    for row, line in enumerate(CSV.decode().splitlines()):
        sheet.write_row(row, 0, line.split(","))
    book.close()
    (data / "part1.csv").write_bytes(CSV)
    (data / "part2.csv").write_bytes(b"employee_id,grade\nE3,G3\n")
    (data / "grades.csv").write_bytes("code;band\nG1;Bänd 1\n".encode("cp1252"))
    with sqlite3.connect(data / "hr.db") as db:
        db.execute("CREATE TABLE p (employee_id TEXT, grade TEXT)")
        db.execute("INSERT INTO p VALUES ('E1', 'G1')")
    db.close()
    database = "{sql: 'SELECT employee_id, grade FROM p', connection: {env: ORGSYNC_SECRET_HR}}"
    forms = {
        "Csv": "  source: ../data/p.csv\n",
        "TsvGz": "  source: ../data/p.tsv.gz\n",
        "Json": "  source: ../data/p.json\n",
        "Jsonl": "  source: ../data/p.jsonl\n",
        "Parquet": "  source: ../data/p.parquet\n",
        "Xlsx": "  source: ../data/p.xlsx\n  sheet: 1\n",
        "Listed": "  source: [../data/part1.csv, ../data/part2.csv]\n",
        "Globbed": "  source: ../data/part*.csv\n",
        "Database": f"  source: {database}\n",
        "Query": (
            "  sources:\n"
            "    people: ../data/p.csv\n"
            "    grades: {path: ../data/grades.csv, delimiter: ';', encoding: cp1252}\n"
            f"    db: {database}\n"
            '  query: "SELECT p.employee_id, g.band AS grade FROM people p JOIN grades g ON p.grade = g.code '
            "UNION ALL SELECT employee_id || 'x', grade FROM db\"\n"
        ),
    }
    for name, items in forms.items():
        (root / "manifests" / f"{name.lower()}.yaml").write_text(manifest(name, items))
    return {"ORGSYNC_SECRET_HR": f"sqlite:///{data / 'hr.db'}"}
