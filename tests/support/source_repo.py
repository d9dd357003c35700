"""A People repository for source tests (orgsync.yaml, one People manifest, data files), and its read-back."""

from __future__ import annotations

from pathlib import Path

from orgsync.errors import Problem
from orgsync.manifest.loader import load_project
from orgsync.sources.readers import load_source
from orgsync.sources.table import SourceTable
from tests.support.repo import make_repo

PROPERTIES = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: full_name, name: Full Name, type: text}
  - {key: salary, name: Salary, type: number}
  - {key: start_date, name: Start, type: date}
  - {key: active, name: Active, type: boolean}
"""


def repo(
    root: Path,
    items: str,
    files: dict[str, bytes] | None = None,
    properties: str = PROPERTIES,
    head: str = "",
) -> Path:
    """`root` as a repository whose People manifest has `items:` block `items` (indented by the caller)."""
    manifest = (
        f"kind: Dataset\nname: People\ntype: PEOPLE\nautoId: employee_id\nlabelId: full_name\n{head}{properties}"
        f"items:\n{items}"
    )
    root = make_repo(
        root, config="tenant: T\nendpoint: local\n", manifests={"people.yaml": manifest}, data=files
    )
    (root / "data").mkdir(exist_ok=True)
    return root


def load(root: Path, env: dict[str, str] | None = None) -> tuple[SourceTable | None, list[Problem]]:
    project = load_project(root, env={})
    return load_source(project.manifests[0], project, env or {})


def rows(root: Path, env: dict[str, str] | None = None) -> list[dict[str, str | None]]:
    """The table's canonical rows; fails on any error."""
    table, problems = load(root, env)
    errors = [str(p) for p in problems if p.severity == "error"]
    assert table is not None and not errors, errors
    return table.frame.to_dicts()


def errors(root: Path, env: dict[str, str] | None = None) -> list[str]:
    table, problems = load(root, env)
    return [str(p) for p in problems if p.severity == "error"]


def warnings(root: Path, env: dict[str, str] | None = None) -> list[str]:
    table, problems = load(root, env)
    return [str(p) for p in problems if p.severity == "warning"]


# -- a People repository over two sources joined by `items.query` ---------------------------------------

WORKERS = (
    b"emp_id,first,last,grade_code,status,pay\nE1,Ada,Lovelace,G1,Active,1\nE2,Alan,Turing,G2,Left,2\n"
    b"E3,Grace,Hopper,G2,Active,x\n"
)
GRADES = "grade_code;band\nG1;Bänd 1\nG2;Bänd 2\n".encode("cp1252")
QUERY_PROPS = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: full_name, name: Full Name, type: text}
  - {key: grade, name: Grade, type: text}
  - {key: salary, name: Salary, type: number}
"""
JOIN = (
    "SELECT w.emp_id AS employee_id, w.first || ' ' || w.last AS full_name, g.band AS grade "
    "FROM workers w JOIN grades g USING (grade_code) WHERE w.status = 'Active' ORDER BY employee_id"
)
SOURCES = (
    "  sources:\n    workers: ../data/workers.csv\n"
    "    grades: {path: ../data/grades.csv, delimiter: ';', encoding: cp1252}\n"
)


def make(tmp_path, sql: str, extra: str = "  handKept: [salary]\n"):
    return repo(
        tmp_path,
        SOURCES + f'  query: "{sql}"\n' + extra,
        {"workers.csv": WORKERS, "grades.csv": GRADES},
        QUERY_PROPS,
    )


# -- a People repository with an id and a name only ---------------------------------------------------------

ID_NAME_PROPS = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: full_name, name: Full Name, type: text}
"""
