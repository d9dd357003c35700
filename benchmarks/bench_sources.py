"""Source-variant benchmark (issue 14): each variant of the N-row x 30-column HR source against its floor.

    python -m benchmarks.bench_sources --rows 1000000 [--only cp1252,semicolon,xlsx,query,postgres]

Variants and their same-run floors (medians of --repeat runs, seconds of read_source):
- cp1252:    the UTF-8 CSV re-encoded as cp1252 (`encoding: cp1252`)       / the UTF-8 CSV
- semicolon: `;`-separated with decimal commas (`delimiter`, `decimalSeparator`) / the UTF-8 CSV
- xlsx:      the same rows as an .xlsx workbook (calamine)                   / the UTF-8 CSV (what it costs)
- query:     two files (20 + 11 columns) joined by `items.query`             / reading both as plain sources
- postgres:  `source: {sql, connection}` from a PostgreSQL server started here / psql `COPY (...) TO STDOUT CSV`
Data files are cached in benchmarks/.data/.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from benchmarks._util import parse_rows
from benchmarks.bench_readers import DATA, TYPES, make_repo
from orgsync.manifest.loader import load_project
from orgsync.sources.readers import read_source

VARIANTS = ("cp1252", "semicolon", "xlsx", "query", "postgres")
ENV = "ORGSYNC_SECRET_BENCH_DB"


Timing = tuple[float, float]  # median (wall seconds, CPU seconds over all threads)


def _timed(root: Path, repeat: int, env: dict[str, str] | None = None, index: int = 0) -> Timing:
    """Median wall and CPU seconds of read_source of manifest `index` of the repository at `root`.

    CPU time (all threads) is reported beside wall time: on shared cores it is far less disturbed by others.
    """
    project = load_project(root, env={})
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        read_source(project.manifests[index], project, env or {})
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _plus(a: Timing, b: Timing) -> Timing:
    return a[0] + b[0], a[1] + b[1]


def _variant(rows: int, name: str, items: str, write: Callable[[Path], None], file: str) -> Path:
    """A copy of the CSV repository whose manifest reads data/`file` (written by `write`) with `items`."""
    base = make_repo(rows)
    root = DATA / f"sources_{name}_{rows}"
    target = root / "data" / file
    if not target.exists():
        (root / "manifests").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        (root / "orgsync.yaml").write_text("tenant: BENCH\nendpoint: local\n")
        write(target)
    manifest = (base / "manifests" / "people.yaml").read_text()
    (root / "manifests" / "people.yaml").write_text(
        manifest.replace(
            "items: {source: ../data/people.csv}\n", f"items:\n  source: ../data/{file}\n{items}"
        )
    )
    return root


def _csv(rows: int) -> Path:
    return make_repo(rows) / "data" / "people.csv"


def cp1252(rows: int, repeat: int) -> tuple[Timing, Timing]:
    def write(target: Path) -> None:
        # some accented names, so the decoder has real work (every 7th value of c1)
        frame = pl.read_csv(_csv(rows), infer_schema=False)
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) % 7 == 0)
            .then(pl.lit("José Müller"))
            .otherwise(pl.col("c1"))
            .alias("c1")
        )
        target.write_bytes(frame.write_csv().encode("cp1252"))

    root = _variant(rows, "cp1252", "  encoding: cp1252\n", write, "people.csv")
    return _timed(root, repeat), _timed(make_repo(rows), repeat)


def semicolon(rows: int, repeat: int) -> tuple[Timing, Timing]:
    numbers = [f"c{i}" for i, t in enumerate(TYPES) if t == "number"]

    def write(target: Path) -> None:
        frame = pl.read_csv(_csv(rows), infer_schema=False)
        frame = frame.with_columns(pl.col(numbers).str.replace(".", ",", literal=True))
        frame.write_csv(target, separator=";")

    root = _variant(rows, "semicolon", "  delimiter: ';'\n  decimalSeparator: ','\n", write, "people.csv")
    return _timed(root, repeat), _timed(make_repo(rows), repeat)


def xlsx(rows: int, repeat: int) -> tuple[Timing, Timing]:
    def write(target: Path) -> None:
        import xlsxwriter

        frame = pl.read_csv(_csv(rows), infer_schema=False)
        frame = frame.with_columns(
            pl.col(f"c{i}").cast(pl.Float64) for i, t in enumerate(TYPES) if t == "number"
        )
        book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        sheet = book.add_worksheet("People")
        sheet.write_row(0, 0, frame.columns)
        for r, row in enumerate(frame.iter_rows(), start=1):
            sheet.write_row(r, 0, row)
        book.close()

    root = _variant(rows, "xlsx", "", write, "people.xlsx")
    return _timed(root, repeat), _timed(make_repo(rows), repeat)


def query(rows: int, repeat: int) -> tuple[Timing, Timing]:
    """The 30 columns split into two files on c0 (c0..c19 and c0, c20..c29), joined back by a query."""
    base = make_repo(rows)
    root = DATA / f"sources_query_{rows}"
    left, right = root / "data" / "left.csv", root / "data" / "right.csv"
    if not right.exists():
        (root / "manifests").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        frame = pl.read_csv(_csv(rows), infer_schema=False)
        frame.select([f"c{i}" for i in range(20)]).write_csv(left)
        frame.select(["c0", *[f"c{i}" for i in range(20, 30)]]).sample(
            fraction=1.0, shuffle=True, seed=1
        ).write_csv(right)
    (root / "orgsync.yaml").write_text("tenant: BENCH\nendpoint: local\n")
    manifest = (base / "manifests" / "people.yaml").read_text().split("items:")[0]
    cols = ", ".join(["l.*", *[f"r.c{i}" for i in range(20, 30)]])
    (root / "manifests" / "people.yaml").write_text(
        manifest + f"items:\n  sources: {{l: ../data/left.csv, r: ../data/right.csv}}\n"
        f"  query: SELECT {cols} FROM l JOIN r USING (c0)\n---\n"
        + manifest.replace("name: People", "name: Left")
        + "items: {source: ../data/left.csv}\n---\n"
        + manifest.replace("name: People", "name: Right")
        + "items: {source: ../data/right.csv}\n"
    )
    floor = _plus(_timed(root, repeat, index=1), _timed(root, repeat, index=2))
    return _timed(root, repeat, index=0), floor


def postgres(rows: int, repeat: int) -> tuple[Timing, Timing]:
    """A server started here (tests/support/postgres_server.py), the CSV loaded with COPY."""
    from tests.support import postgres_server

    server = postgres_server.start()
    try:
        columns = ", ".join(f"c{i} {_pg_type(t)}" for i, t in enumerate(TYPES))
        csv = _csv(rows)
        staged = server.data / "people.csv"
        staged.write_bytes(
            pl.read_csv(csv, infer_schema=False)
            .with_columns(
                pl.col(f"c{i}").str.to_lowercase().replace({"yes": "true", "no": "false", "0": "false"})
                for i, t in enumerate(TYPES)
                if t == "boolean"
            )
            .write_csv()
            .encode()
        )
        staged.chmod(0o644)
        server.psql(
            f"CREATE TABLE people ({columns}); COPY people FROM '{staged}' CSV HEADER; "
            "GRANT SELECT ON people TO orgsync; VACUUM ANALYZE people;"
        )
        root = _variant(rows, "postgres", f"    connection: {{env: {ENV}}}\n", lambda _: None, "unused")
        manifest = (
            (root / "manifests" / "people.yaml")
            .read_text()
            .replace("  source: ../data/unused\n", "  source:\n    sql: SELECT * FROM people\n")
        )
        (root / "manifests" / "people.yaml").write_text(manifest)
        seconds = _timed(root, repeat, {ENV: server.url()})
        times, cpus = [], []
        for _ in range(repeat):
            start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(
                [
                    str(server.bin / "psql"),
                    server.url(),
                    "-X",
                    "-q",
                    "-c",
                    "COPY (SELECT * FROM people) TO STDOUT WITH CSV HEADER",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # psql's CPU (the server's is not counted)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        return seconds, (statistics.median(times), statistics.median(cpus))
    finally:
        server.stop()


def _pg_type(kind: str) -> str:
    return {"text": "text", "number": "numeric", "date": "date", "boolean": "boolean"}[kind]


FLOORS = {
    "cp1252": "UTF-8 CSV",
    "semicolon": "UTF-8 CSV",
    "xlsx": "UTF-8 CSV",
    "query": "both files read alone",
    "postgres": "psql COPY TO CSV",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000")
    parser.add_argument("--only", default=",".join(VARIANTS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for rows in parse_rows(args.rows):
        for name in args.only.split(","):
            (wall, cpu), (floor_wall, floor_cpu) = globals()[name](rows, args.repeat)
            print(
                f"{name:<10} rows={rows:>9,} cols=30  wall {wall:6.2f} s  cpu {cpu:6.2f} s  | floor "
                f"({FLOORS[name]}) wall {floor_wall:6.2f} s  cpu {floor_cpu:6.2f} s  | ratio wall "
                f"{wall / floor_wall:5.2f}  cpu {cpu / floor_cpu:5.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
