"""No Python warning reaches a user: every documented source form goes through `plan` and `apply` in a process
run with `-W error` (a warning would be an exception there, so a traceback and a failed exit), and stderr
holds only orgsync's own lines (issue 22, point 6)."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import sys
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


def run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "orgsync", *args, "-C", str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", **env},
        check=False,
    )


def test_plan_and_apply_of_every_documented_source_form_print_no_warning(tmp_path):
    env = every_source_form(tmp_path)
    plan = run(tmp_path, env, "plan")
    assert (plan.returncode, plan.stderr.splitlines()[:-1]) == (0, []), plan.stderr
    assert re.fullmatch(r"Requests: 1 made to read the tenant; .*", plan.stderr.splitlines()[-1])
    assert "Plan: 10 datasets to create" in plan.stdout
    apply = run(tmp_path, env, "apply", "--auto-approve")
    assert apply.returncode == 0, apply.stderr
    assert "Warning" not in apply.stderr and "Traceback" not in apply.stderr, apply.stderr
    again = run(tmp_path, env, "plan")
    assert (again.returncode, "Warning" in again.stderr) == (0, False), again.stderr
    assert "No changes" in again.stdout


def test_the_cli_silences_warnings_unless_asked_for_them():
    code = "import warnings, orgsync.cli as c; c.quiet_warnings(); warnings.warn('boo'); print('ran')"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (quiet.stdout, quiet.stderr) == ("ran\n", "")
    loud = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert loud.returncode == 1 and "UserWarning: boo" in loud.stderr
