"""Declared-but-missing properties (warning, `handKept`), missing key / hierarchy columns (one error), and
sources made of several files (a list or a glob)."""

from __future__ import annotations

from orgsync.manifest.loader import load_project
from orgsync.sources.checks import check_tables
from orgsync.sources.readers import load_source
from tests.support.source_repo import errors, repo, rows, warnings

TREE = "treeId: employee_id\ntreeParentId: manager_id\n"
TREE_PROPS = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: full_name, name: Full Name, type: text}
  - {key: manager_id, name: Manager, type: text}
  - {key: location, name: Location, type: text}
"""


def test_a_declared_property_missing_from_the_source_is_a_warning_by_name(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n",
        {"p.csv": b"employee_id,full_name,manager_id\nE1,Ada,\n"},
        TREE_PROPS,
        TREE,
    )
    assert warnings(tmp_path) == [
        "manifests/people.yaml:12:5: location: People: the source has no column "
        "`location`; that property is not managed from this source (list it under "
        "`items.handKept` if that is intended)"
    ]


def test_hand_kept_silences_it_and_must_name_a_property(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  handKept: [location]\n",
        {"p.csv": b"employee_id,full_name,manager_id\nE1,Ada,\n"},
        TREE_PROPS,
        TREE,
    )
    assert warnings(tmp_path) == [] and errors(tmp_path) == []
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  handKept: [location, locaton]\n",
        properties=TREE_PROPS,
        head=TREE,
    )
    assert errors(tmp_path) == [
        "manifests/people.yaml:15:13: items.handKept: `items.handKept` lists 'locaton', "
        "which is not a property of 'People'; expected declared property keys"
    ]


def test_a_missing_tree_parent_is_one_error(tmp_path):
    data = b"employee_id,full_name,location\n" + b"".join(b"E%d,N,L\n" % i for i in range(30))
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": data}, TREE_PROPS, TREE)
    assert errors(tmp_path) == [
        "data/p.csv:1: manager_id: hierarchy column 'manager_id' is missing; expected it "
        "in the header (or mapped to it with `items.columns`); its columns are: "
        "employee_id, full_name, location"
    ]


def test_a_missing_key_is_one_error_not_one_per_row(tmp_path):
    data = b"full_name,manager_id,location\n" + b"N,,L\n" * 30
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": data}, TREE_PROPS, TREE)
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert table is None
    assert [str(p) for p in problems if p.severity == "error"] == [
        "data/p.csv:1: employee_id: key column 'employee_id' is missing; expected it in the header (or mapped to "
        "it with `items.columns`); its columns are: full_name, manager_id, location"
    ]


FILES = {
    "a/p1.csv": b"employee_id,full_name\nE1,Ada\nE2,Grace\n",
    "a/p2.csv": b"full_name,employee_id\nLinus,E3\n",
}
ITEMS_HAND = "  handKept: [salary, start_date, active]\n"


def test_a_glob_concatenates_files_in_name_order(tmp_path):
    repo(tmp_path, "  source: ../data/a/*.csv\n" + ITEMS_HAND, FILES)
    assert [r["employee_id"] for r in rows(tmp_path)] == ["E1", "E2", "E3"]


def test_a_list_of_files_and_per_file_rows_in_messages(tmp_path):
    files = {
        **FILES,
        "a/p2.csv": b"employee_id,full_name,salary\nE3,Linus,x\n",
        "a/p1.csv": b"employee_id,full_name,salary\nE1,Ada,1\n",
    }
    repo(
        tmp_path, "  source: [../data/a/p1.csv, ../data/a/p2.csv]\n  handKept: [start_date, active]\n", files
    )
    assert errors(tmp_path) == ["data/a/p2.csv:2: salary: row 2: expected a number, got 'x'"]


def test_a_duplicate_key_across_files_names_both_file_rows(tmp_path):
    files = {
        "a/p1.csv": b"employee_id,full_name\nE1,Ada\nE2,Grace\n",
        "a/p2.csv": b"employee_id,full_name\nE2,Bob\n",
    }
    repo(tmp_path, "  source: ../data/a/*.csv\n" + ITEMS_HAND, files)
    project = load_project(tmp_path, env={})
    table, _ = load_source(project.manifests[0], project)
    assert table is not None
    assert [str(p) for p in check_tables(project, {"People": table})] == [
        "data/a/p2.csv:2: employee_id: row 2: employee_id 'E2' is a duplicate of data/a/p1.csv:3; expected each key once"
    ]


def test_files_with_different_columns_are_refused(tmp_path):
    files = {"a/p1.csv": b"employee_id,full_name\nE1,Ada\n", "a/p2.csv": b"employee_id,salary\nE3,1\n"}
    repo(tmp_path, "  source: ../data/a/*.csv\n" + ITEMS_HAND, files)
    assert errors(tmp_path) == [
        "data/a/p2.csv:1: items.source: the columns differ from data/a/p1.csv's; missing: "
        "full_name; extra: salary; expected the same columns in every file of the source"
    ]


def test_a_glob_matching_nothing_or_escaping_is_refused(tmp_path):
    repo(tmp_path, "  source: ../data/none/*.csv\n", FILES)
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:11: items.source: source pattern '../data/none/*.csv' "
        "matches no file (paths are relative to the manifest file)"
    ]
    (tmp_path.parent / "outside.csv").write_bytes(b"employee_id\nE9\n")
    repo(tmp_path, "  source: ../../*.csv\n")
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:11: items.source: source '../../*.csv' is outside the "
        "repository; expected a path inside it (symlinks included)"
    ]


def test_validate_reports_the_missing_property_as_a_warning_and_passes(tmp_path):
    from orgsync.validate import validate_project
    from orgsync.validate_render import render_text

    repo(
        tmp_path,
        "  source: ../data/p.csv\n",
        {"p.csv": b"employee_id,full_name,manager_id\nE1,Ada,\n"},
        TREE_PROPS,
        TREE,
    )
    validation = validate_project(tmp_path, env={})
    assert validation.ok
    assert render_text(validation).splitlines() == [
        "manifests/people.yaml",
        "  manifests/people.yaml:12:5: warning: location: People: the source has no column `location`; that "
        "property is not managed from this source (list it under `items.handKept` if that is intended)",
        "OK: 1 manifest, 1 source, 1 row, 1 warning",
    ]


def test_every_file_of_a_list_or_query_input_refuses_dot_files(tmp_path):
    files = {**FILES, ".env": b"employee_id\nSECRET\n"}
    repo(tmp_path, "  source: [../data/a/p1.csv, ../data/.env]\n" + ITEMS_HAND, files)
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:11: items.source: source '../data/.env' is refused: "
        "'.env' is a hidden file or folder; sources are data files, never .git/ or "
        "dot-files (.env, .npmrc, ...)"
    ]
    repo(
        tmp_path, "  sources: {s: {path: ../data/.env, format: csv}}\n  query: SELECT * FROM s\n" + ITEMS_HAND
    )
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:16: items.sources.s: source '../data/.env' is refused: "
        "'.env' is a hidden file or folder; sources are data files, never .git/ or "
        "dot-files (.env, .npmrc, ...)"
    ]
