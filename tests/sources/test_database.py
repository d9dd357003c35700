"""Database sources through ADBC: a real PostgreSQL server started by the tests, and SQLite files.

Covers types mapped to property types, read-only execution, the failures (unreachable, wrong password with
the password never shown, a query error, a missing variable) and a database as one of a query's sources.
"""

from __future__ import annotations

import sqlite3

import pytest

from orgsync.secrets import Secret
from orgsync.sources.database import redacted
from tests.support.postgres_server import PASSWORD, PostgresServer, _free_port
from tests.support.source_repo import errors, load, repo, rows

PROPS = """properties:
  - {key: employee_id, name: Employee ID, type: text}
  - {key: full_name, name: Full Name, type: text}
  - {key: salary, name: Salary, type: number}
  - {key: start_date, name: Start, type: date}
  - {key: active, name: Active, type: boolean}
  - {key: seen, name: Seen, type: text}
  - {key: hired, name: Hired, type: date}
"""
ENV = "ORGSYNC_SECRET_HR_DB"
EXPECTED = [
    {
        "employee_id": "E1",
        "full_name": "Ada",
        "salary": "65000.5",
        "start_date": "2020-01-02",
        "active": "true",
        "seen": "2020-01-02T09:30:00",
        "hired": "2020-01-02",
    },
    {
        "employee_id": "E2",
        "full_name": None,
        "salary": None,
        "start_date": None,
        "active": "false",
        "seen": None,
        "hired": None,
    },
]


def db_repo(tmp_path, sql: str = "SELECT * FROM people ORDER BY employee_id", extra: str = ""):
    return repo(tmp_path, f'  source:\n    sql: "{sql}"\n    connection: {{env: {ENV}}}\n{extra}', {}, PROPS)


@pytest.fixture(scope="module")
def pg(postgres: PostgresServer) -> PostgresServer:
    postgres.psql("""
        DROP TABLE IF EXISTS people;
        CREATE TABLE people (employee_id text PRIMARY KEY, full_name text, salary numeric(12, 2), start_date date,
                             active boolean, seen timestamp, hired timestamp);
        INSERT INTO people VALUES ('E1', 'Ada', 65000.50, '2020-01-02', true, '2020-01-02 09:30', '2020-01-02'),
                                  ('E2', NULL, NULL, NULL, false, NULL, NULL);
        GRANT SELECT ON people TO orgsync;""")
    return postgres


def test_postgres_types_map_to_property_types(tmp_path, pg):
    db_repo(tmp_path)
    assert rows(tmp_path, {ENV: pg.url()}) == EXPECTED


def test_postgres_dates_follow_the_manifest_date_format(tmp_path, pg):
    db_repo(tmp_path, extra="  dateFormat: DD/MM/YYYY\n")
    assert rows(tmp_path, {ENV: pg.url()}) == EXPECTED


def test_postgres_timestamp_with_a_time_into_a_date_property_is_reported(tmp_path, pg):
    db_repo(
        tmp_path,
        "SELECT employee_id, seen AS hired FROM people",
        "  handKept: [full_name, salary, start_date, active, seen]\n",
    )
    assert errors(tmp_path, {ENV: pg.url()}) == [
        "manifests/people.yaml: hired: result row 1: expected a date in YYYY-MM-DD, got '2020-01-02T09:30:00'"
    ]


def test_postgres_runs_the_query_read_only(tmp_path, pg):
    db_repo(tmp_path, "DELETE FROM people RETURNING *")  # refused before the driver sees it (statement.py)
    [message] = errors(tmp_path, {ENV: pg.url()})
    assert (
        "items.source.sql: the query must be one SELECT (or WITH ... SELECT) statement; it starts with 'DELETE'"
        in message
    )
    db_repo(tmp_path, "SELECT 1; DELETE FROM people")
    [message] = errors(tmp_path, {ENV: pg.url()})
    assert "the query must be one statement; it holds a `;` followed by more" in message
    pg.psql("CREATE SEQUENCE IF NOT EXISTS counter; GRANT USAGE ON SEQUENCE counter TO orgsync;")
    db_repo(
        tmp_path, "SELECT nextval('counter') AS employee_id"
    )  # a SELECT that writes: the database refuses it
    [message] = errors(tmp_path, {ENV: pg.url()})
    assert "cannot execute nextval() in a read-only transaction" in message
    db_repo(tmp_path)
    assert len(rows(tmp_path, {ENV: pg.url()})) == 2


def test_postgres_wrong_password_never_shows_it(tmp_path, pg):
    db_repo(tmp_path)
    [message] = errors(tmp_path, {ENV: pg.url(password="not-the-password")})
    assert message.startswith(
        f"manifests/people.yaml:16:5: items.source: cannot connect to the database (connection from {ENV}): "
    )
    assert "password authentication failed" in message
    assert "not-the-password" not in message and PASSWORD not in message


def test_postgres_unreachable(tmp_path, pg):
    db_repo(tmp_path)
    [message] = errors(tmp_path, {ENV: pg.url(port=_free_port())})
    assert (
        message.startswith(
            f"manifests/people.yaml:16:5: items.source: cannot connect to the database "
            f"(connection from {ENV}): "
        )
        and "Connection refused" in message
    )
    assert PASSWORD not in message


def test_postgres_query_error(tmp_path, pg):
    db_repo(tmp_path, "SELECT * FROM nope")
    [message] = errors(tmp_path, {ENV: pg.url()})
    assert (
        message.startswith(
            f"manifests/people.yaml:16:5: items.source: the query failed (connection from {ENV}): "
        )
        and 'relation "nope" does not exist' in message
    )


def test_postgres_as_one_of_the_query_sources_and_the_checksum_of_its_rows(tmp_path, pg):
    items = (
        f"  sources:\n    db:\n      sql: SELECT employee_id, salary FROM people\n      connection: {{env: {ENV}}}\n"
        "    names: ../data/names.csv\n"
        "  query: SELECT db.employee_id, n.full_name, db.salary FROM db JOIN names n USING (employee_id)\n"
        "  handKept: [start_date, active, seen, hired]\n"
    )
    repo(tmp_path, items, {"names.csv": b"employee_id,full_name\nE1,Ada L.\n"}, PROPS)
    assert rows(tmp_path, {ENV: pg.url()}) == [
        {"employee_id": "E1", "full_name": "Ada L.", "salary": "65000.5"}
    ]
    before = load(tmp_path, {ENV: pg.url()})[0].sha256
    pg.psql("UPDATE people SET salary = 1 WHERE employee_id = 'E1';")
    try:
        assert load(tmp_path, {ENV: pg.url()})[0].sha256 != before
    finally:
        pg.psql("UPDATE people SET salary = 65000.50 WHERE employee_id = 'E1';")


def test_sqlite_types_and_read_only(tmp_path):
    path = tmp_path / "hr.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE people (employee_id TEXT, full_name TEXT, salary REAL, start_date TEXT, "
            "active INTEGER)"
        )
        db.execute(
            "INSERT INTO people VALUES ('E1', 'Ada', 65000.5, '2020-01-02', 1), ('E2', NULL, NULL, NULL, 0)"
        )
    db_repo(tmp_path, extra="  handKept: [seen, hired]\n")
    env = {ENV: f"sqlite:///{path}"}
    expected = [{k: v for k, v in row.items() if k not in ("seen", "hired")} for row in EXPECTED]
    assert rows(tmp_path, env) == expected
    db_repo(tmp_path, "DELETE FROM people")
    [message] = errors(tmp_path, env)
    assert "it starts with 'DELETE'" in message
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM people").fetchone() == (2,)


def test_a_missing_variable_or_scheme_is_named(tmp_path):
    db_repo(tmp_path)
    assert errors(tmp_path, {}) == [
        f"manifests/people.yaml:16:5: items.source.connection: the environment "
        f"variable {ENV} is not set; expected the connection string in it"
    ]
    assert errors(tmp_path, {ENV: "mysql://u:pw@h/db"}) == [
        f"manifests/people.yaml:16:5: items.source: the connection string does not start with a supported "
        f"scheme; expected postgresql://, sqlite:///, snowflake:// or bigquery:// (connection from {ENV})"
    ]
    assert errors(tmp_path, {ENV: "snowflake://u:pw@acct/db"}) == [
        "manifests/people.yaml:16:5: items.source: a snowflake:// database source needs the `snowflake` extra, "
        'which is not installed: pip install "orgsync[snowflake] @ git+https://github.com/orgsync/orgsync@v0.2.0" '
        f"(the orgsync Action installs the extras the manifests need by itself) (connection from {ENV})"
    ]


def test_the_connection_must_name_an_orgsync_secret_variable(tmp_path):
    from orgsync.errors import ConfigError
    from orgsync.manifest.loader import load_project

    repo(tmp_path, "  source:\n    sql: SELECT 1\n    connection: {env: HOME}\n", {}, PROPS)
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env={})
    assert "ORGSYNC_SECRET_" in str(err.value.problems[0])


def test_redact_cuts_passwords_out_of_driver_messages():
    url = "postgresql://hr:p%40ss@db.example:5432/hr"
    secret = Secret(ENV, url)
    assert redacted(f"could not connect to {url}: timeout", secret) == "could not connect to ***: timeout"
    assert redacted("dsn postgresql://u:hunter2@h/db failed") == "dsn postgresql://u:***@h/db failed"
    assert redacted("password=hunter2 host=h") == "password=*** host=h"
    assert (
        redacted("auth failed for hunter2", Secret(ENV, "postgresql://u:hunter2@h/db"))
        == "auth failed for ***"
    )
