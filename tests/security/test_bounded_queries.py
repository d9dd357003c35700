"""SQL a pull request writes (issue 23, items 13, 15 and 18): a query that expands (`LPAD(id, 400000000)`, a
3-billion-row series) ends in a clear error, never an abort; a database query is one SELECT (no ATTACH,
PRAGMA, VACUUM INTO... before the driver sees it); a query that reads the clock is named in the plan, and
`apply` of a saved plan reads it again and refuses the plan when its rows differ."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest

from orgsync.sources import query
from orgsync.sources.statement import clock_reads, refusal
from tests.support.cli import orgsync
from tests.support.postgres_server import PostgresServer
from tests.support.source_repo import ID_NAME_PROPS, repo

ENV = "ORGSYNC_SECRET_HR_DB"
TEN = b"employee_id,full_name\n" + b"".join(f"E{i},N{i}\n".encode() for i in range(10))
NARROW = "narrow the query, or raise the limit in the CI environment"


def validate(root: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    code, out, err = orgsync("validate", "--root", str(root), env=env)
    assert "Traceback" not in out + err
    return code, [line.strip() for line in out.splitlines() if line.startswith("  ")]


def db_repo(root: Path, sql: str) -> Path:
    return repo(root, f'  source:\n    sql: "{sql}"\n    connection: {{env: {ENV}}}\n', {}, ID_NAME_PROPS)


def sqlite_db(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS people (employee_id TEXT, full_name TEXT)")
        db.execute("DELETE FROM people")
        db.execute("INSERT INTO people VALUES ('E1', 'Ada'), ('E2', 'Bo')")
    return f"sqlite:///{path}"


# -- 13. expanding queries ---------------------------------------------------------------------------


def test_lpad_of_400_million_over_10_rows_is_stopped_by_the_query_memory_limit_not_an_abort(tmp_path):
    items = (
        "  sources: {p: ../data/p.csv}\n"
        "  query: SELECT LPAD(employee_id, 400000000) AS employee_id, full_name FROM p\n"
    )
    root = repo(tmp_path, items, {"p.csv": TEN}, ID_NAME_PROPS)
    assert validate(root, {"ORGSYNC_LIMIT_QUERY_BYTES": "1GiB"}) == (
        1,
        [
            "manifests/people.yaml:11:10: error: items.query: the query needs more than 1073741824 bytes of "
            "memory (the limit ORGSYNC_LIMIT_QUERY_BYTES=1073741824) and was stopped; a function like "
            f"LPAD/REPEAT with a huge length or a join that multiplies rows does this: {NARROW}"
        ],
    )


def test_a_query_within_the_limits_still_runs_apart_and_its_output_rows_are_bounded(tmp_path):
    items = "  sources: {p: ../data/p.csv}\n  query: SELECT LPAD(employee_id, 4) AS employee_id, full_name FROM p\n"
    root = repo(tmp_path, items, {"p.csv": TEN}, ID_NAME_PROPS)
    assert validate(root, {"ORGSYNC_LIMIT_QUERY_BYTES": "2GiB"})[0] == 0  # the child starts in ~0.3 GB
    assert validate(root, {"ORGSYNC_LIMIT_SOURCE_ROWS": "9"})[1] == [
        "manifests/people.yaml:11:10: error: items.query: the query returns 10 rows, more than the limit of 9 "
        f"(ORGSYNC_LIMIT_SOURCE_ROWS=9); {NARROW}"
    ]
    (root / "manifests" / "people.yaml").write_text(
        (root / "manifests" / "people.yaml").read_text().replace("LPAD(employee_id, 4)", "nope")
    )
    assert validate(root, {})[1] == [
        'manifests/people.yaml:11:10: error: items.query: SQL error: unable to find column "nope"; valid '
        'columns: ["employee_id", "full_name"]'
    ]


SERIES = (
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s LIMIT 3000000000) "
    "SELECT 'E' || n AS employee_id, 'x' AS full_name FROM s"
)


def test_a_3_billion_row_sqlite_series_is_read_batch_by_batch_and_stopped_at_the_row_limit(tmp_path):
    root = db_repo(tmp_path, SERIES)
    env = {ENV: sqlite_db(tmp_path / "hr.db"), "ORGSYNC_LIMIT_SOURCE_ROWS": "5000"}
    assert validate(root, env) == (
        1,
        [
            "manifests/people.yaml:11:5: error: items.source.sql: the query returns more than 5000 rows (the "
            f"limit ORGSYNC_LIMIT_SOURCE_ROWS=5000); reading stopped there; {NARROW}"
        ],
    )
    env = {ENV: sqlite_db(tmp_path / "hr.db"), "ORGSYNC_LIMIT_SOURCE_BYTES": "64KiB"}
    [line] = validate(root, env)[1]
    assert line.startswith(
        "manifests/people.yaml:11:5: error: items.source.sql: the query returns more than 65536 "
    )
    assert (
        line.endswith(f"rows; reading stopped there; {NARROW}")
        and "(the limit ORGSYNC_LIMIT_SOURCE_BYTES=65536)" in line
    )


def test_a_postgres_generate_series_of_3_billion_is_stopped_at_the_row_limit(
    tmp_path, postgres: PostgresServer
):
    root = db_repo(tmp_path, "SELECT 'E' || generate_series(1, 3000000000) AS employee_id, 'x' AS full_name")
    assert validate(root, {ENV: postgres.url(), "ORGSYNC_LIMIT_SOURCE_ROWS": "20000"}) == (
        1,
        [
            "manifests/people.yaml:11:5: error: items.source.sql: the query returns more than 20000 rows (the "
            f"limit ORGSYNC_LIMIT_SOURCE_ROWS=20000); reading stopped there; {NARROW}"
        ],
    )


# -- 15. one SELECT, checked before the driver --------------------------------------------------------


@pytest.mark.parametrize(
    "sql, why",
    [
        ("ATTACH DATABASE '{out}' AS x", "it starts with 'ATTACH'"),
        ("PRAGMA writable_schema = ON", "it starts with 'PRAGMA'"),
        ("VACUUM INTO '{out}'", "it starts with 'VACUUM'"),
        ("SELECT * FROM people; ATTACH DATABASE '{out}' AS x", "it holds a `;` followed by more"),
        ("/* SELECT */ ATTACH DATABASE '{out}' AS x", "it starts with 'ATTACH'"),
    ],
)
def test_sqlite_attach_pragma_and_vacuum_into_never_reach_the_driver(tmp_path, sql, why):
    out = tmp_path / "elsewhere" / "pwned.db"
    out.parent.mkdir()
    root = db_repo(tmp_path, sql.format(out=out))
    code, lines = validate(root, {ENV: sqlite_db(tmp_path / "hr.db")})
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("manifests/people.yaml:11:5: error: items.source.sql: the query must be one ")
    assert lines[0].endswith(why)
    assert not out.exists()


def test_postgres_queries_that_write_or_read_server_files_are_refused_before_the_driver(tmp_path, postgres):
    for sql, message in [
        (
            "COPY people TO '/tmp/x'",
            "the query must be one SELECT (or WITH ... SELECT) statement; it starts with 'COPY'",
        ),
        (
            "SELECT pg_read_file('/etc/passwd') AS employee_id",
            "the query uses pg_read_file, which is refused (it reads or writes server files, reaches other "
            "servers, sleeps or changes settings)",
        ),
        (
            "SELECT * INTO copied FROM people",
            "the query uses INTO, which is refused (a source query only reads: statements that write, attach "
            'files or change settings never run); if it is a column name, quote it (\\"name\\")',
        ),
    ]:
        root = db_repo(tmp_path, sql)
        assert validate(root, {ENV: postgres.url()})[1] == [
            f"manifests/people.yaml:11:5: error: items.source.sql: {message}".replace('\\"', '"')
        ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT ';' AS a, 'ATTACH' AS b -- ; DROP TABLE x",
        'WITH t AS (SELECT 1 AS "update") SELECT * FROM t;',
        "SELECT $$;ATTACH$$ AS a /* nested /* ; */ comment */",
        "(SELECT 1)",
        "SELECT E'it\\'s; DROP' AS a",
    ],
)
def test_quotes_and_comments_are_lexed_so_a_plain_select_passes(sql):
    assert refusal(sql) is None


@pytest.mark.parametrize(
    "sql, why",
    [
        ("SELECT \"pg_read_file\"('/etc/passwd')", "pg_read_file"),
        ("SELECT U&\"\\0070g_read_file\"('x')", "unicode-escaped"),
        ("SELECT 'unterminated", "not closed"),
        ("SELECT 1; SELECT 2", "followed by more"),
        ("", "it starts with nothing"),
        ("WITH d AS (DELETE FROM people RETURNING *) SELECT * FROM d", "DELETE"),
    ],
)
def test_quoted_function_names_escapes_and_second_statements_are_refused(sql, why):
    found = refusal(sql)
    assert found is not None and why in found


# -- 18. queries that read the clock -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sql, words",
    [
        ("SELECT * FROM p WHERE hired < now()", ["now"]),
        ("SELECT current_date AS d, CURRENT_TIMESTAMP AS t", ["current_date", "current_timestamp"]),
        ("SELECT date('now') AS d", ["'now'"]),
        ("SELECT 'now'::timestamp", ["'now'"]),
        ("SELECT 'now' AS \"now\" -- now()", ["'now'"]),
        ("SELECT hired FROM p", []),
    ],
)
def test_clock_reads_are_found_outside_comments_and_quoted_names(sql, words):
    assert clock_reads(sql) == words


def clock_repo(root: Path) -> Path:
    items = (
        "  sources: {p: ../data/p.csv}\n"
        "  query: SELECT employee_id, full_name FROM p WHERE CURRENT_DATE > DATE('2000-01-01')\n"
    )
    return repo(root, items, {"p.csv": TEN}, ID_NAME_PROPS)


NOTE = (
    "this source depends on the date it runs: its query reads the clock (current_date), so the plan can change "
    "with no change to the repository; `apply` of a saved plan reads it again and refuses the plan if its "
    "rows differ"
)


def test_the_plan_says_a_source_depends_on_the_date_it_runs(tmp_path):
    root = clock_repo(tmp_path)
    assert validate(root, {}) == (0, [f"manifests/people.yaml:11:10: warning: items.query: {NOTE}"])
    code, out, err = orgsync("plan", "-C", str(root), "--format", "json")
    assert code == 0 and NOTE in out


def test_apply_of_a_saved_plan_refuses_it_when_the_clock_changed_the_rows(tmp_path, monkeypatch):
    root = clock_repo(tmp_path)
    saved = tmp_path / "plan.json"
    assert orgsync("plan", "-C", str(root), "--out", str(saved))[0] == 0
    real = query._collect_apart

    def next_day(sql: str, tables, where):  # the same files, the query run a day later: one row fewer
        return real(sql, tables, where).filter(pl.col("employee_id") != "E3")

    monkeypatch.setattr(query, "_collect_apart", next_day)
    code, out, err = orgsync("apply", "-C", str(root), str(saved), "--auto-approve")
    assert (code, out) == (1, "")
    assert err == f"warning: manifests/people.yaml:11:10: items.query: {NOTE}\n" + (
        f"Error: the saved plan {saved} is stale: the source of People changed (its files, or the rows its "
        "database or date-dependent query returns) since it was made; nothing was written\n"
        "  hint: run `orgsync plan --out FILE` again and review it\n"
    )
    monkeypatch.setattr(query, "_collect_apart", real)  # the same day: the saved plan is still current
    code, out, err = orgsync("apply", "-C", str(root), str(saved), "--auto-approve")
    assert code == 0, err
