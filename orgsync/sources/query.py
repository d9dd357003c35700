"""`items.query`: a SQL SELECT over the dataset's named sources, in polars' SQL context over those frames only.

polars SQL has table functions that read files and URLs (`read_csv('/etc/passwd')`, `read_parquet(...)`),
and they run while the query is planned. So before planning, the query must be one SELECT (or WITH ...
SELECT) that names no table function and no file (`read_*`, `scan_*` anywhere, in any case or quoting; no
unicode-escaped identifiers); after planning, every scan in the plan must be one of the registered frames.
Provenance: when the query mentions `__source`, every named source gets a text column `__source`
("data/workers.csv:12"); an output column `__source` then names, in messages, the input row an output row
came from. Output columns starting with `__` are never properties.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from orgsync.errors import Location, Problem, SourceError
from orgsync.limits import limits_from
from orgsync.sources.parse import RawSource

ORIGIN = "__source"
_FILE_FUNCTION = re.compile(r"\b(?:read|scan)_", re.IGNORECASE)  # polars table functions: read_csv(...)
_UNICODE_ESCAPE = re.compile(r"u&['\"]", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_PLAN_SCAN = re.compile(r"\bSCAN\b")
_POSITION = re.compile(r"(?:at )?Line: (\d+), Column: (\d+)", re.IGNORECASE)


def check_query(sql: str, where: Location, field: str = "items.query") -> None:
    """Refuse what could reach beyond the named frames; raises `SourceError` at the query's position."""
    body = _COMMENTS.sub(" ", sql).strip().lstrip("(").lstrip()
    first = body.split(None, 1)[0].upper() if body else ""
    if first not in ("SELECT", "WITH"):
        raise _error(
            where,
            field,
            f"the query must be one SELECT (or WITH ... SELECT) statement; it starts with "
            f"{first or 'nothing'!r}",
        )
    hit = _FILE_FUNCTION.search(sql) or _UNICODE_ESCAPE.search(sql)
    if hit:
        raise _error(
            where,
            field,
            f"the query uses {sql[hit.start() : hit.end() + 8].strip()!r}...: file and "
            "network functions (read_*, scan_*) and escaped names are not allowed; a "
            "query reads only the named `items.sources`",
        )


def run_query(
    sql: str, inputs: Mapping[str, RawSource], labels: Mapping[str, pl.Series | None], where: Location
) -> tuple[pl.DataFrame, pl.Series | None]:
    """(the query output, each output row's `__source` text or None); raises `SourceError` at the query."""
    check_query(sql, where)
    keep_origin = ORIGIN in sql
    tables = {}
    for name, raw in inputs.items():
        frame = raw.frame
        if keep_origin and labels.get(name) is not None:
            frame = frame.with_columns(labels[name].alias(ORIGIN))  # type: ignore[union-attr]
        tables[name] = frame
    context = pl.SQLContext({n: f.lazy() for n, f in tables.items()}, register_globals=False)
    try:
        lazy = context.execute(sql, eager=False)
        plan = lazy.explain(optimized=False)
        if _PLAN_SCAN.search(plan):
            raise _error(
                where,
                "items.query",
                "the query reads something other than the named sources; "
                "expected it to use only `items.sources`",
            )
        out = _collect_apart(sql, tables, where)
    except SourceError:
        raise
    except Exception as err:  # polars raises SQLInterfaceError, SQLSyntaxError, ColumnNotFoundError...
        raise _error(where, "items.query", f"SQL error: {_sql_message(err)}") from None
    origin = out[ORIGIN].cast(pl.Utf8) if ORIGIN in out.columns else None
    out = out.select([c for c in out.columns if not c.startswith("__")])
    return out, origin


def _collect_apart(sql: str, tables: Mapping[str, pl.DataFrame], where: Location) -> pl.DataFrame:
    """The query's output, computed by `query_worker` in a child process under `query_bytes` of address space."""
    limits = limits_from()
    with tempfile.TemporaryDirectory(prefix="orgsync-query-") as name:
        folder = Path(name)
        (folder / "query.sql").write_text(sql, encoding="utf-8")
        (folder / "names").write_text("\n".join(tables), encoding="utf-8")
        for index, frame in enumerate(tables.values()):
            frame.write_ipc(folder / f"{index}.arrow")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "orgsync.sources.query_worker",
                str(folder),
                str(limits.query_bytes),
                str(limits.source_bytes),
            ],
            env=_worker_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if done.returncode == 0:
            out = pl.read_ipc(folder / "out.arrow")
            if out.height > limits.source_rows:
                raise _error(
                    where,
                    "items.query",
                    f"the query returns {out.height} rows, more than the limit of {limits.source_rows} "
                    f"({limits.describe('source_rows')}); narrow the query, or raise the limit in the CI "
                    "environment",
                )
            return out
        if done.returncode == 2:
            raise _error(
                where,
                "items.query",
                f"SQL error: {_sql_message((folder / 'error.txt').read_text(encoding='utf-8'))}",
            )
        if done.returncode == 3:
            what, name = f"an output of more than {limits.source_bytes} bytes", "source_bytes"
        elif done.returncode > 0 and done.returncode != 4:  # a bug of orgsync's, not the query's: say so
            raise RuntimeError(f"the query worker failed: {done.stderr.decode(errors='replace')[-2000:]}")
        else:
            what, name = f"more than {limits.query_bytes} bytes of memory", "query_bytes"
        raise _error(
            where,
            "items.query",
            f"the query needs {what} (the limit {limits.describe(name)}) and was stopped; "
            "a function like LPAD/REPEAT with a huge length or a join that multiplies rows does this: "
            "narrow the query, or raise the limit in the CI environment",
        )


def _worker_env() -> dict[str, str]:
    """The child's environment: what Python and polars need, never a token or an `ORGSYNC_SECRET_` variable."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep or k.startswith("POLARS_")}
    # glibc reserves 64 MiB of address space per thread arena: ~1 GB at start-up, varying with the threads'
    # timing. Two arenas make the start-up ~0.3 GB and steady, so the cap measures the query, not the threads.
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def _sql_message(err: BaseException | str) -> str:
    """The first lines of a polars SQL error, with its position as `line L, column C of the query`."""
    text = str(err).split("Resolved plan until failure")[0]
    text = " ".join(line.strip() for line in text.splitlines()[:4] if line.strip()) or type(err).__name__
    return _POSITION.sub(lambda m: f"at line {m[1]}, column {m[2]} of the query", text)


def _error(where: Location, field: str, message: str) -> SourceError:
    return SourceError(Problem(where, message, field))
