"""Readers: every format, gzip, encodings, ragged rows, renames, confinement, and the table they build."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from orgsync.errors import SourceError
from orgsync.manifest.loader import load_project
from orgsync.sources.readers import load_source, read_source
from tests.support.repo import make_repo

MANIFEST = """kind: Dataset
name: People
type: PEOPLE
autoId: employee_id
labelId: full_name
properties:
  - {{key: employee_id, name: Employee ID, type: text}}
  - {{key: full_name, name: Full Name, type: text}}
  - {{key: salary, name: Salary, type: number, sensitive: true}}
  - {{key: start_date, name: Start, type: date}}
items:
  source: {source}
{extra}"""

CSV = "employee_id,full_name,salary,start_date\nE1, Ada ,65000.0,2020-01-02\nE2,Grace,,2021-03-04\n"
EXPECTED = [
    {"employee_id": "E1", "full_name": "Ada", "salary": "65000", "start_date": "2020-01-02"},
    {"employee_id": "E2", "full_name": "Grace", "salary": None, "start_date": "2021-03-04"},
]


def people_source(root: Path, name: str, data: bytes, extra: str = "", source: str | None = None) -> Path:
    """A People repository reading data/<name> (`data`); returns that file's path."""
    manifest = MANIFEST.format(source=source or f"../data/{name}", extra=extra)
    return make_repo(root, manifests={"people.yaml": manifest}, data={name: data}) / "data" / name


def read(root: Path):
    project = load_project(root, env={})
    return read_source(project.manifests[0], project)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("people.csv", CSV.encode()),
        ("people.csv", b"\xef\xbb\xbf" + CSV.encode()),
        ("people.csv", CSV.replace("\n", "\r\n").encode()),
        ("people.tsv", CSV.replace(",", "\t").encode()),
        ("people.csv.gz", gzip.compress(CSV.encode())),
        (
            "people.json",
            b'[{"employee_id": "E1", "full_name": " Ada ", "salary": 65000.0, "start_date": "2020-01-02"},'
            b' {"employee_id": "E2", "full_name": "Grace", "salary": null, "start_date": "2021-03-04"}]',
        ),
        (
            "people.jsonl",
            b'{"employee_id": "E1", "full_name": "Ada", "salary": 65000, "start_date": "2020-01-02"}\n\n'
            b'{"employee_id": "E2", "full_name": "Grace", "start_date": "2021-03-04"}\n',
        ),
        (
            "people.jsonl.gz",
            gzip.compress(
                b'\xef\xbb\xbf{"employee_id": "E1", "full_name": "Ada", "salary": "65000",'
                b' "start_date": "2020-01-02"}\n{"employee_id": "E2", "full_name": "Grace",'
                b' "start_date": "2021-03-04"}'
            ),
        ),
    ],
)
def test_each_format_reads_to_the_same_canonical_table(tmp_path, name, data):
    path = people_source(tmp_path, name, data)
    table = read(tmp_path)
    assert table.frame.to_dicts() == EXPECTED
    assert table.key == ["employee_id"]
    assert table.owned == ["full_name", "salary", "start_date"]
    assert table.types == {
        "employee_id": "text",
        "full_name": "text",
        "salary": "number",
        "start_date": "date",
    }
    assert table.sha256 == hashlib.sha256(data).hexdigest()
    assert table.path == path.resolve()


def test_only_columns_present_are_owned(tmp_path):
    people_source(tmp_path, "people.csv", b"employee_id,salary\nE1,1\n")
    table = read(tmp_path)
    assert table.owned == ["salary"] and table.frame.columns == ["employee_id", "salary"]


def test_columns_rename_and_date_format(tmp_path):
    people_source(
        tmp_path,
        "people.csv",
        b"Employee Number,start_date\nE1,31/12/2020\n",
        extra='  columns: {"Employee Number": employee_id}\n  dateFormat: DD/MM/YYYY\n',
    )
    assert read(tmp_path).frame.to_dicts() == [{"employee_id": "E1", "start_date": "2020-12-31"}]


def test_blank_lines_are_dropped_and_row_numbers_kept(tmp_path):
    people_source(tmp_path, "people.csv", b"employee_id,salary\nE1,1\n\nE2,x\n\n")
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert table.frame["employee_id"].to_list() == ["E1", "E2"]
    assert [str(p) for p in problems if p.severity == "error"] == [
        "data/people.csv:4: salary: row 4: expected a number, got a value not shown (sensitive)"
    ]


def messages(root: Path) -> list[str]:
    with pytest.raises(SourceError) as err:
        read(root)
    return [str(p) for p in err.value.problems]


def test_ragged_rows_are_named(tmp_path):
    people_source(tmp_path, "people.csv", b"employee_id,full_name\nE1,Ada\nE2\nE3,Alan,extra\n")
    assert messages(tmp_path) == [
        "data/people.csv:3: row 3 has 1 fields; expected 2 like the header (a missing or extra separator, or an unquoted value?)",
        "data/people.csv:4: row 4 has 3 fields; expected 2 like the header (a missing or extra separator, or an unquoted value?)",
    ]


RAGGED = "(a missing or extra separator, or an unquoted value?)"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # one row short and one row long: the separator count of the file adds up, the rows do not
        (b"employee_id,full_name\nE1\nE2,Ada,x\n", [(2, 1), (3, 3)]),
        (b"employee_id,full_name\nE1,Ada,\nE2\n", [(2, 3), (3, 1)]),  # an extra empty field
        (b"employee_id,full_name\r\nE1\r\nE2,Ada,x\r\n", [(2, 1), (3, 3)]),
        (b"employee_id,full_name\n\nE1\nE2,Ada,x\n", [(3, 1), (4, 3)]),  # a blank line is not counted
        (b"employee_id,full_name\n  \nE2,Ada\n", [(2, 1)]),  # a line of spaces is not blank
        (b"employee_id,full_name\nE0,Bo\nE1\nE2,Ada,,", [(3, 1), (4, 4)]),  # the last line, unterminated
    ],
)
def test_ragged_rows_are_found_however_their_fields_add_up(tmp_path, data, expected):
    people_source(tmp_path, "people.csv", data)
    assert messages(tmp_path) == [
        f"data/people.csv:{row}: row {row} has {n} fields; expected 2 like the header {RAGGED}"
        for row, n in expected
    ]


def test_rows_of_empty_fields_are_dropped_like_blank_lines(tmp_path):
    people_source(tmp_path, "people.csv", b"employee_id,full_name\n,\nE1,Ada\n")
    assert read(tmp_path).frame["employee_id"].to_list() == ["E1"]


def test_quoted_separators_and_newlines_are_not_ragged(tmp_path):
    people_source(tmp_path, "people.csv", b'employee_id,full_name\nE1,"Lovelace, Ada"\nE2,"two\nlines"\n')
    assert read(tmp_path).frame["full_name"].to_list() == ["Lovelace, Ada", "two\nlines"]


def test_ragged_row_after_a_quoted_newline_is_found_exactly(tmp_path):
    people_source(tmp_path, "people.csv", b'employee_id,full_name\nE1,"two\nlines"\nE2\n')
    assert messages(tmp_path)[0].startswith("data/people.csv:3: row 3 has 1 fields; expected 2")


def test_undecodable_bytes_name_the_line(tmp_path):
    people_source(tmp_path, "people.csv", "employee_id,full_name\nE1,Ada\nE2,José Müller\n".encode("cp1252"))
    assert messages(tmp_path) == [
        "data/people.csv:3: items.encoding: byte 0xe9 at line 3 is not valid UTF-8; "
        "it decodes as cp1252: set `encoding: cp1252`"
    ]


def test_utf16_is_refused_with_advice(tmp_path):
    people_source(tmp_path, "people.csv", "employee_id\nE1\n".encode("utf-16"))
    assert "UTF-16" in messages(tmp_path)[0]


def test_duplicate_header_is_refused(tmp_path):
    people_source(tmp_path, "people.csv", b"employee_id,salary,salary\nE1,1,2\n")
    assert messages(tmp_path) == [
        "data/people.csv:1: salary: column 'salary' appears twice in the header; expected unique column names"
    ]


def test_json_must_be_an_array_of_flat_objects(tmp_path):
    people_source(tmp_path, "people.json", b'{"employee_id": "E1"}')
    assert messages(tmp_path) == ["data/people.json:1: expected a JSON array of objects, got a JSON dict"]
    people_source(tmp_path, "people.json", b'[{"employee_id": "E1", "full_name": {"first": "Ada"}}]')
    assert messages(tmp_path) == [
        "data/people.json: full_name: item 1: nested value; expected a string, number, boolean or null"
    ]


def test_invalid_jsonl_line_is_named(tmp_path):
    people_source(tmp_path, "people.jsonl", b'{"employee_id": "E1"}\n{"employee_id": \n')
    assert messages(tmp_path)[0].startswith("data/people.jsonl:2: line 2 is not valid JSON")


def test_broken_gzip_is_named(tmp_path):
    people_source(tmp_path, "people.csv.gz", b"not gzip at all")
    assert messages(tmp_path)[0].startswith("data/people.csv.gz: not a readable gzip file")


def test_unknown_extension_needs_format(tmp_path):
    people_source(tmp_path, "people.txt", CSV.encode())
    assert "cannot tell the format of people.txt" in messages(tmp_path)[0]
    people_source(tmp_path, "people.txt", CSV.encode(), extra="  format: csv\n")
    assert read(tmp_path).frame.to_dicts() == EXPECTED


def test_path_escaping_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    people_source(repo, "people.csv", CSV.encode(), source="../../secret.csv")
    (tmp_path / "secret.csv").write_text(CSV)
    assert messages(repo) == [
        "manifests/people.yaml:12:11: items.source: source '../../secret.csv' is outside "
        "the repository; expected a path inside it (symlinks included)"
    ]


def test_symlink_out_of_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    people_source(repo, "people.csv", CSV.encode(), source="../data/link.csv")
    (tmp_path / "secret.csv").write_text(CSV)
    (repo / "data" / "link.csv").symlink_to(tmp_path / "secret.csv")
    assert "is outside the repository" in messages(repo)[0]


def test_symlink_inside_the_repository_is_allowed(tmp_path):
    people_source(tmp_path, "people.csv", CSV.encode(), source="../data/link.csv")
    (tmp_path / "data" / "link.csv").symlink_to(tmp_path / "data" / "people.csv")
    assert read(tmp_path).frame.to_dicts() == EXPECTED


def test_missing_source_file(tmp_path):
    people_source(tmp_path, "people.csv", CSV.encode(), source="../data/nope.csv")
    assert messages(tmp_path) == [
        "manifests/people.yaml:12:11: items.source: source file data/nope.csv does not "
        "exist (paths are relative to the manifest file)"
    ]


def test_links_table_types_and_key(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: T\n")
    (tmp_path / "links.csv").write_text("from_id,to_id,allocation,kind\nE1,P1,0.50,primary\n")
    (tmp_path / "manifests" / "l.yaml").write_text(
        "kind: LinksDataset\nname: L\nfrom: A\nto: B\nproperties: [{key: kind, name: Kind, type: text}]\n"
        "items: {source: ../links.csv}\n"
    )
    table = read(tmp_path)
    assert table.key == ["from_id", "to_id"] and table.owned == ["allocation", "kind"]
    assert table.types == {"from_id": "text", "to_id": "text", "allocation": "number", "kind": "text"}
    assert table.frame.to_dicts() == [
        {"from_id": "E1", "to_id": "P1", "allocation": "0.5", "kind": "primary"}
    ]


def test_only_non_blank_values_that_do_not_fit_are_misfits(tmp_path):
    people_source(
        tmp_path,
        "people.csv",
        b'employee_id,start_date\nE1,2020-01-02\nE2,"  "\nE3,\nE4, soon \nE5, 2020-1-2 \n',
    )
    project = load_project(tmp_path, env={})
    table, problems = load_source(project.manifests[0], project)
    assert [str(p) for p in problems if p.severity == "error"] == [
        "data/people.csv:5: start_date: row 5: expected a date in YYYY-MM-DD, got ' soon '"
    ]
    assert table.frame["start_date"].to_list() == ["2020-01-02", None, None, None, "2020-01-02"]
