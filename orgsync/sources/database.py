"""Database sources: a read-only SELECT through ADBC (Arrow) into polars.

The connection URL comes from the `ORGSYNC_SECRET_` variable the manifest names (`orgsync.secrets`, the one rule
for secrets: never templated, printed or logged). Drivers by scheme:
postgresql:// (the `postgresql` extra), sqlite:///path (`sqlite`, opened read-only), snowflake:// and
bigquery:// (`snowflake`, `bigquery`); each extra brings pyarrow, which reads the result batch by batch within the
limits (polars alone could take the driver's Arrow stream, but only whole). PostgreSQL runs the query in
a `READ ONLY` transaction (one statement: the driver prepares it); SQLite sets `query_only`. Driver
messages are shown with the URL and any password cut out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import polars as pl

from orgsync.errors import ConfigError, Location, Problem, SourceError
from orgsync.limits import ResourceLimits, limits_from
from orgsync.manifest.models import DatabaseSource
from orgsync.secrets import Secret, resolve_secret
from orgsync.sources.extras import SCHEMES, MissingExtra, load
from orgsync.sources.parse import RawSource
from orgsync.sources.statement import refusal

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s]*)(?P<at>@)", re.I)
_KEYWORD_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)(?P<password>'[^']*'|\"[^\"]*\"|\S+)", re.I)

if TYPE_CHECKING:  # pyarrow comes with the database extras, imported where a result is read
    import pyarrow as pa


def fetch(spec: DatabaseSource, env: Mapping[str, str], where: Location, field: str) -> RawSource:
    """The query's rows as a typed frame (row numbers from 1); raises `SourceError` with a redacted message.

    The SQL is checked before any driver sees it (`statement.refusal`: one SELECT, nothing that writes or
    attaches); the rows are read batch by batch and refused once past the row or byte limit."""
    refused = refusal(spec.sql)
    if refused:
        raise SourceError(Problem(where, refused, f"{field}.sql"))
    limits = limits_from()
    try:
        secret = resolve_secret(spec.connection.env, env)
    except ConfigError as err:
        raise SourceError(Problem(where, err.problems[0].message, f"{field}.connection")) from None
    url = secret.value
    scheme = urlsplit(url).scheme.lower()
    name = spec.connection.env

    def fail(what: str, err: BaseException | None = None) -> SourceError:
        # Every part goes through the redaction: no piece of the value may reach a message (or the PR comment).
        detail = f": {redacted(_first_line(err), secret)}" if err is not None else ""
        return SourceError(
            Problem(where, f"{redacted(what, secret)} (connection from {name}){detail}", field)
        )

    try:
        connection = _connect(scheme, url)
    except SourceError:
        raise
    except (
        MissingExtra
    ) as err:  # our words only (the extra and its fixed scheme), nothing read from the value
        raise SourceError(Problem(where, f"{err} (connection from {name})", field)) from None
    except ImportError as err:
        raise fail(str(err)) from None
    except Exception as err:  # each driver raises its own error classes
        raise fail("cannot connect to the database", err) from None
    try:
        with connection:
            cursor = connection.cursor()
            try:
                _read_only(scheme, cursor)
                cursor.execute(spec.sql)
                table = _bounded_table(cursor.fetch_record_batch(), limits, where, field)
            finally:
                cursor.close()
            connection.rollback()
    except SourceError:
        raise
    except Exception as err:
        raise fail("the query failed", err) from None
    frame = pl.from_arrow(_plain(table))
    assert isinstance(frame, pl.DataFrame)
    return RawSource(frame, pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64), "result row")


def _bounded_table(
    reader: pa.RecordBatchReader, limits: ResourceLimits, where: Location, field: str
) -> pa.Table:
    """The result's batches gathered while they stay within `source_rows`, `source_columns` and `source_bytes`."""
    import pyarrow as pa

    if len(reader.schema) > limits.source_columns:
        raise _over(
            where,
            field,
            f"the query returns {len(reader.schema)} columns, more than the limit of "
            f"{limits.source_columns} ({limits.describe('source_columns')})",
        )
    batches, rows, size = [], 0, 0
    for batch in reader:
        rows += batch.num_rows
        size += batch.nbytes
        if rows > limits.source_rows:
            raise _over(
                where,
                field,
                f"the query returns more than {limits.source_rows} rows (the limit "
                f"{limits.describe('source_rows')}); reading stopped there",
            )
        if size > limits.source_bytes:
            raise _over(
                where,
                field,
                f"the query returns more than {limits.source_bytes} bytes (the limit "
                f"{limits.describe('source_bytes')}) after {rows} rows; reading stopped there",
            )
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=reader.schema)


def _over(where: Location, field: str, message: str) -> SourceError:
    return SourceError(
        Problem(
            where, f"{message}; narrow the query, or raise the limit in the CI environment", f"{field}.sql"
        )
    )


def _plain(table: pa.Table) -> pa.Table:
    """Extension columns (PostgreSQL numeric arrives as `arrow.opaque` over its decimal text) as their storage."""
    import pyarrow as pa

    columns = []
    for column in table.columns:
        if isinstance(column.type, pa.BaseExtensionType):
            column = pa.chunked_array(
                [chunk.storage for chunk in column.chunks], type=column.type.storage_type
            )
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def redacted(text: str, secret: Secret | None = None) -> str:
    """`text` without the secret (`orgsync.secrets`), nor any other URL or keyword password a driver quotes."""
    if secret is not None:
        text = secret.redact(text)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['at']}", text)
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m['head']}***", text)


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(line.strip() for line in text.splitlines()[:3] if line.strip())


def _connect(scheme: str, url: str) -> Any:
    """An ADBC DB-API connection for `url` (autocommit off, so statements run in a transaction); each driver
    is an extra of its own (`MissingExtra`, an ImportError, names it)."""
    if scheme not in SCHEMES:
        # The scheme is not quoted: a value that is no URL (`user:password`) would be shown in part.
        raise ImportError(
            "the connection string does not start with a supported scheme; expected postgresql://, sqlite:///, "
            "snowflake:// or bigquery://"
        )
    extra = SCHEMES[scheme]
    driver: Any = load(extra, f"a {extra}:// database source")  # the extra's fixed name, not the value's text
    if scheme == "sqlite":
        # SQLAlchemy's form: sqlite:///relative/path.db, sqlite:////absolute/path.db
        path = unquote(url.split("://", 1)[1])[1:]
        return driver.connect(f"file:{quote(path)}?mode=ro")
    return driver.connect(url)


def _read_only(scheme: str, cursor: Any) -> None:
    """Make the transaction the query runs in read-only."""
    if scheme in ("postgresql", "postgres"):
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.execute("SET TRANSACTION READ ONLY")
    elif scheme == "sqlite":
        cursor.execute("PRAGMA query_only = ON")
