"""`items.query` over `items.sources`: joins, provenance, SQL errors, the checksum, and no file or network access."""

from __future__ import annotations

import pytest

from orgsync.errors import Location, SourceError
from orgsync.manifest.loader import load_project
from orgsync.sources import query
from orgsync.sources.checks import check_tables
from orgsync.sources.parse import RawSource
from tests.support.source_repo import (
    GRADES,
    JOIN,
    QUERY_PROPS,
    WORKERS,
    errors,
    load,
    make,
    repo,
    rows,
)


def test_the_issue_example_joins_two_sources_with_their_own_settings(tmp_path):
    make(tmp_path, JOIN)
    assert rows(tmp_path) == [
        {"employee_id": "E1", "full_name": "Ada Lovelace", "grade": "Bänd 1"},
        {"employee_id": "E3", "full_name": "Grace Hopper", "grade": "Bänd 2"},
    ]


def test_a_misfit_is_reported_at_the_input_row_kept_by___source_else_at_the_query(tmp_path):
    make(tmp_path, "SELECT emp_id AS employee_id, pay AS salary, __source FROM workers ORDER BY emp_id", "")
    assert errors(tmp_path) == ["data/workers.csv:4: salary: query output row 3: expected a number, got 'x'"]
    make(tmp_path, "SELECT emp_id AS employee_id, pay AS salary FROM workers ORDER BY emp_id", "")
    assert errors(tmp_path) == [
        "manifests/people.yaml:15:10: salary: query output row 3: expected a number, got 'x'"
    ]


def keys(root) -> list[str]:
    """The errors of the key checks (validate runs them on the loaded tables)."""
    table, _ = load(root)
    assert table is not None
    return [str(p) for p in check_tables(load_project(root, env={}), {table.name: table})]


def test_a_duplicate_key_names_the_input_rows_kept_by___source_else_the_query(tmp_path):
    make(tmp_path, "SELECT emp_id AS employee_id, __source FROM workers", "")
    (tmp_path / "data" / "workers.csv").write_bytes(WORKERS + b"E2,Alan,T,G2,Active,3\n")
    assert keys(tmp_path) == [
        "data/workers.csv:5: employee_id: query output row 4: employee_id 'E2' is a duplicate of "
        "data/workers.csv:3; expected each key once"
    ]
    make(tmp_path, "SELECT emp_id AS employee_id FROM workers", "")
    (tmp_path / "data" / "workers.csv").write_bytes(WORKERS + b"E2,Alan,T,G2,Active,3\n")
    assert keys(tmp_path) == [
        "manifests/people.yaml:15:10: employee_id: query output row 4: employee_id 'E2' is a duplicate of "
        "query output row 2; expected each key once"
    ]


def test_a_row_the_query_made_up_names_the_query(tmp_path):
    sql = (
        "SELECT * FROM (SELECT emp_id AS employee_id, pay AS salary, __source FROM workers WHERE pay <> 'x' "
        "UNION ALL SELECT 'E9' AS employee_id, 'y' AS salary, NULL AS __source) ORDER BY employee_id"
    )
    make(tmp_path, sql, "")
    assert errors(tmp_path) == [
        "manifests/people.yaml:15:10: salary: query output row 3 (made by the query, from no input row): "
        "expected a number, got 'y'"
    ]


def test_a_sql_error_is_shown_at_the_query(tmp_path):
    make(tmp_path, "SELECT nope FROM workers")
    assert errors(tmp_path) == [
        'manifests/people.yaml:15:10: items.query: SQL error: unable to find column "nope"; '
        'valid columns: ["emp_id", "first", "last", "grade_code", "status", "pay"]'
    ]


def test_the_checksum_covers_the_query_and_every_input(tmp_path):
    make(tmp_path, JOIN)
    first = load(tmp_path)[0].sha256
    (tmp_path / "data" / "grades.csv").write_bytes(GRADES + b"G3;B3\n")
    second = load(tmp_path)[0].sha256
    make(tmp_path, JOIN.replace("ORDER BY employee_id", "ORDER BY full_name"))
    third = load(tmp_path)[0].sha256
    assert len({first, second, third}) == 3


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM READ_CSV('/etc/passwd')",
        "SELECT * FROM \\\"read_csv\\\"('/etc/passwd')",
        "SELECT * FROM read_csv/**/('/etc/passwd')",
        "SELECT * FROM workers w JOIN read_parquet('http://example.invalid/x.parquet') x ON true",
        "SELECT * FROM scan_ndjson('/etc/passwd')",
        "WITH x AS (SELECT * FROM read_ipc('/etc/passwd')) SELECT * FROM x",
    ],
)
def test_file_and_network_table_functions_are_refused_before_anything_is_read(tmp_path, sql):
    make(tmp_path, sql)
    [message] = errors(tmp_path)
    assert "file and network functions (read_*, scan_*) and escaped names are not allowed" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW TABLES",
        "CREATE TABLE t AS SELECT * FROM workers",
        "DROP TABLE workers",
        "EXPLAIN SELECT * FROM workers",
    ],
)
def test_only_a_select_is_run(tmp_path, sql):
    make(tmp_path, sql)
    [message] = errors(tmp_path)
    assert "the query must be one SELECT (or WITH ... SELECT) statement" in message


def test_the_plan_check_refuses_a_file_scan_even_past_the_text_check(tmp_path, monkeypatch):
    """Defence in depth: with the text check switched off, the plan still may scan only the named frames."""
    monkeypatch.setattr(query, "check_query", lambda sql, where, field="items.query": None)
    data = tmp_path / "secret.csv"
    data.write_text("secret\nvalue\n")
    frame = RawSource(__import__("polars").DataFrame({"a": ["1"]}), __import__("polars").Series([2]), "row")
    with pytest.raises(SourceError) as err:
        query.run_query(f"SELECT * FROM read_csv('{data}')", {"w": frame}, {}, Location("m.yaml", 3))
    assert [str(p) for p in err.value.problems] == [
        "m.yaml:3: items.query: the query reads something other than the named sources; expected it to use "
        "only `items.sources`"
    ]


def test_source_and_sources_are_exclusive_and_query_goes_with_sources(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/workers.csv\n  sources: {workers: ../data/workers.csv}\n  query: SELECT 1\n",
        {"workers.csv": WORKERS},
        QUERY_PROPS,
    )
    from orgsync.errors import ConfigError
    from orgsync.manifest.loader import load_project

    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env={})
    assert "expected exactly one of `source` (one input) or `sources` with `query`" in str(
        err.value.problems[0]
    )


def test_entry_number_formats_are_refused_with_query(tmp_path):
    repo(
        tmp_path,
        "  sources:\n    workers: {path: ../data/workers.csv, decimalSeparator: ','}\n"
        "  query: SELECT emp_id AS employee_id FROM workers\n",
        {"workers.csv": WORKERS},
        QUERY_PROPS,
    )
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:14: items.sources.workers: with `query`, number formats "
        "apply to the query output: set `decimalSeparator` / `thousandsSeparator` under "
        "`items:`"
    ]


def test_names_that_merely_contain_read_are_fine():
    query.check_query("SELECT spread_x, thread_id, w.unread_count FROM w", Location("m.yaml", 1))
    with pytest.raises(SourceError):
        query.check_query("SELECT * FROM w, Read_Json('x')", Location("m.yaml", 1))
