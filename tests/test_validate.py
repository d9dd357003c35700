"""`orgsync validate`: the example passes; each broken repository fails with its file:line message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgsync.validate import validate_project
from tests.support.cli import orgsync

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "repos"
EXAMPLES = HERE.parent / "examples"


@pytest.mark.parametrize(
    "example", sorted(p.parent for p in EXAMPLES.glob("*/orgsync.yaml")), ids=lambda p: p.name
)
def test_examples_validate_cleanly(example):
    code, out, err = orgsync("validate", "--root", str(example))
    assert code == 0, out + err
    assert out.startswith("OK: 3 manifests, 3 sources, ")


def test_acme_example_tables():
    validation = validate_project(EXAMPLES / "acme", env={})
    assert validation.problems == []
    people = validation.tables["People"]
    assert people.frame.height >= 250 and people.key == ["employee_id"]
    assert people.frame.filter(people.frame["manager_id"].is_null()).height == 1  # one root: the CEO
    assert {"salary", "hire_date", "full_time", "manager_id"} <= set(people.owned)
    assert validation.tables["People to Positions"].key == ["from_id", "to_id"]


BROKEN = {
    "bad_schema": [
        "manifests/people.yaml:12:39: error: properties[3].type: expected one of text, number, date, "
        "boolean, got 'numeric'",
        "manifests/people.yaml:5:1: error: lableId: unknown field; did you mean 'labelId'?",
    ],
    "bad_yaml": ["manifests/people.yaml:5:9: error: invalid YAML: expected ',' or '}', but got ':'"],
    "bad_template": ["orgsync.yaml:1:9: error: tenant: undefined variable env.ORGSYNC_VAR_FIXTURE_UNSET"],
    "bad_escape": [
        "manifests/people.yaml:16:11: error: items.source: source '../../../../../../../../etc/passwd.csv' "
        "is outside the repository"
    ],
    "bad_keys": [
        "data/people.csv:5: error: employee_id: row 5: employee_id 'E2' is a duplicate of row 3",
        "data/people.csv:6: error: employee_id: row 6: employee_id is empty",
    ],
    "bad_values": [
        "data/people.csv:1: error: shoe_size: column 'shoe_size' is not a property of 'People'",
        "data/people.csv:2: error: salary: row 2: expected a number, got a value not shown (sensitive)",
        "data/people.csv:2: error: start_date: row 2: expected a date in YYYY-MM-DD, got '2020-13-01'",
        "data/people.csv:2: error: active: row 2: expected a boolean (true/false, yes/no, y/n, 1/0), "
        "got 'perhaps'",
    ],
    "bad_tree": [
        "data/people.csv:3: error: manager_id: row 3: manager_id 'E9' names no item",
        "data/people.csv:4: error: manager_id: row 4: cycle in the hierarchy: E3 -> E4 -> E5 -> E3",
    ],
    "bad_links": [
        "data/links.csv:3: error: from_id: row 3: from_id 'E7' is not an item of 'People'",
        "data/links.csv:4: error: to_id: row 4: to_id 'P8' is not an item of 'Positions'",
        "data/links.csv:4: error: allocation: row 4: expected a number, got 'half'",
    ],
    "bad_names": [
        "manifests/people.yaml:2:7: error: name: dataset 'People' is already declared at "
        "manifests/more.yaml:1:1",
        "manifests/more.yaml:11:5: error: to: no dataset named 'Peeple' is defined; did you mean 'People'?",
    ],
    "bad_ragged": [
        "data/people.csv:3: error: row 3 has 5 fields; expected 6 like the header",
        "data/people.csv:4: error: row 4 has 7 fields; expected 6 like the header",
    ],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_repository_fails_with_file_line_messages(name):
    code, out, err = orgsync("validate", "--root", str(FIXTURES / name))
    assert code == 1
    lines = [line.strip() for line in (out + err).splitlines()]
    for expected in BROKEN[name]:
        assert any(line.startswith(expected) for line in lines), f"{expected!r} not in:\n{(out + err)}"
    assert "Traceback" not in (out + err)


def test_good_fixture_and_json_output():
    assert orgsync("validate", "--root", str(FIXTURES / "good"))[0] == 0
    code, out, err = orgsync("validate", "--root", str(FIXTURES / "bad_tree"), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["errors"] == 2
    assert report["problems"][0] == {
        "file": "data/people.csv",
        "line": 3,
        "column": None,
        "severity": "error",
        "field": "manager_id",
        "message": "row 3: manager_id 'E9' names no item (employee_id values in this source)",
    }


def test_problems_are_grouped_by_file_with_a_header_each(tmp_path):
    code, out, err = orgsync("validate", "--root", str(FIXTURES / "bad_names"))
    lines = (out + err).splitlines()
    assert lines[0] == "manifests/more.yaml" and lines[2] == "manifests/people.yaml"
    assert lines[-1] == "2 error(s), 0 warning(s)"


def test_source_and_manifest_problems_are_all_reported_in_one_run(tmp_path):
    root = tmp_path
    (root / "manifests").mkdir()
    (root / "orgsync.yaml").write_text("tenant: T\n")
    (root / "a.csv").write_text("id,n\nx,1\nx,zz\n")
    (root / "manifests" / "a.yaml").write_text(
        "kind: Dataset\nname: A\ntype: T\nautoId: id\nlabelId: label\n"
        "properties: [{key: id, name: I, type: text}, {key: n, name: N, type: number}]\n"
        "items: {source: ../a.csv}\n---\nkind: LinksDataset\nname: L\nfrom: A\nto: Elsewhere\n"
    )
    validation = validate_project(root, env={})
    assert [(str(p), p.severity) for p in validation.problems] == [
        (
            "manifests/a.yaml:5:10: labelId: 'label' is not a declared property; expected one of id, n",
            "error",
        ),
        (
            "manifests/a.yaml:12:5: to: dataset 'Elsewhere' is not defined in this repository; plan will require it "
            "to exist in the tenant",
            "warning",
        ),
        ("a.csv:3: n: row 3: expected a number, got 'zz'", "error"),
        ("a.csv:3: id: row 3: id 'x' is a duplicate of row 2; expected each key once", "error"),
    ]
    assert not validation.ok and validation.tables["A"].frame.height == 2


def test_warnings_alone_exit_zero(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: T\n")
    (tmp_path / "manifests" / "l.yaml").write_text(
        "kind: LinksDataset\nname: L\nfrom: Cost Centres\nto: Teams\n"
    )
    code, out, err = orgsync("validate", "--root", str(tmp_path))
    assert code == 0
    assert "warning: from: dataset 'Cost Centres' is not defined in this repository" in (out + err)


def test_many_duplicates_are_listed_up_to_a_limit_then_counted(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: T\n")
    (tmp_path / "a.csv").write_text("id\n" + "same\n" * 26)
    (tmp_path / "manifests" / "a.yaml").write_text(
        "kind: Dataset\nname: A\ntype: T\nautoId: id\nlabelId: id\nproperties: [{key: id, name: I, type: text}]\n"
        "items: {source: ../a.csv}\n"
    )
    found = [str(p) for p in validate_project(tmp_path, env={}).problems]
    assert len(found) == 21
    assert found[0] == "a.csv:3: id: row 3: id 'same' is a duplicate of row 2; expected each key once"
    assert found[19].startswith("a.csv:22: id: row 22:")
    assert found[20] == "a.csv: id: ... and 5 more duplicate keys"
