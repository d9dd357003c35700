"""Reader benchmark: a generated N-row x 30-column HR source (CSV, JSON array or JSONL) read into a SourceTable.

    python -m benchmarks.bench_readers --rows 10000,100000,1000000 --format csv,json,jsonl

JSON and JSONL hold the CSV's rows with typed values (numbers as JSON numbers, booleans as true/false).

Prints, per size: file MB, seconds (wall, and CPU over all threads, which shared cores disturb less) for
read_source (parse + ragged check + type checks + canonical form + sha256), MB/s, and peak RSS. Data files are cached in benchmarks/.data/.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl
import psutil

from orgsync.manifest.loader import load_project
from orgsync.sources.readers import read_source

DATA = Path(__file__).resolve().parent / ".data"
TYPES = ["text"] * 18 + ["number"] * 6 + ["date"] * 3 + ["boolean"] * 3  # 30 columns


FORMATS = ("csv", "json", "jsonl")


def make_repo(rows: int, fmt: str = "csv") -> Path:
    """A repository with one 30-property dataset and its source of `rows` rows in `fmt`."""
    if fmt != "csv":
        return _json_repo(rows, fmt)
    root = DATA / f"readers_{rows}"
    csv = root / "data" / "people.csv"
    if not csv.exists():
        (root / "manifests").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        (root / "orgsync.yaml").write_text("tenant: BENCH\nendpoint: local\n")
        props = "\n".join(f"  - {{key: c{i}, name: C{i}, type: {t}}}" for i, t in enumerate(TYPES))
        (root / "manifests" / "people.yaml").write_text(
            f"kind: Dataset\nname: People\ntype: PEOPLE\nautoId: c0\nlabelId: c1\nproperties:\n{props}\n"
            "items: {source: ../data/people.csv}\n"
        )
        index = pl.int_range(0, rows, eager=True)
        columns = {"c0": "E" + index.cast(pl.Utf8)}
        for i, kind in enumerate(TYPES[1:], start=1):
            if kind == "text":
                columns[f"c{i}"] = "value " + (index * (i + 7) % 9973).cast(pl.Utf8)
            elif kind == "number":
                columns[f"c{i}"] = ((index * i) % 100000).cast(pl.Float64) / 4
            elif kind == "date":
                columns[f"c{i}"] = (
                    pl.date_range(pl.date(2000, 1, 1), pl.date(2029, 12, 31), eager=True)
                    .gather(index % 10957)
                    .dt.to_string("%Y-%m-%d")
                )
            else:
                columns[f"c{i}"] = pl.Series(["yes", "no", "TRUE", "0"]).gather(index % 4)
        pl.DataFrame(columns).write_csv(csv)
    return root


def _json_repo(rows: int, fmt: str) -> Path:
    """The CSV repository's rows as a typed JSON array or JSONL file, in a repository of their own."""
    root = DATA / f"readers_{fmt}_{rows}"
    source = root / "data" / f"people.{fmt}"
    if not source.exists():
        csv_root = make_repo(rows)
        (root / "manifests").mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        (root / "orgsync.yaml").write_text("tenant: BENCH\nendpoint: local\n")
        manifest = (csv_root / "manifests" / "people.yaml").read_text()
        (root / "manifests" / "people.yaml").write_text(manifest.replace("people.csv", f"people.{fmt}"))
        frame = pl.read_csv(csv_root / "data" / "people.csv", infer_schema=False)
        frame = frame.select(_typed(pl.col(f"c{i}"), kind) for i, kind in enumerate(TYPES))
        frame.write_ndjson(source) if fmt == "jsonl" else frame.write_json(source)
    return root


def _typed(column: pl.Expr, kind: str) -> pl.Expr:
    if kind == "number":
        return column.cast(pl.Float64)
    if kind == "boolean":
        return column.str.to_lowercase().is_in(["yes", "true", "1"])
    return column


def measure(rows: int, fmt: str) -> None:
    root = make_repo(rows, fmt)
    project = load_project(root, env={})
    size = (root / "data" / f"people.{fmt}").stat().st_size / 1e6
    start, cpu = time.perf_counter(), time.process_time()
    table = read_source(project.manifests[0], project)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = psutil.Process().memory_info().rss / 1e6
    peak = _peak_mb()
    print(
        f"format={fmt:<5} rows={rows:>9,} cols=30 file={size:8.1f} MB  read_source={seconds:6.2f} s  cpu={cpu:6.2f} s  "
        f"{size / seconds:7.1f} MB/s  rss={rss:7.0f} MB  peak_rss={peak:7.0f} MB  out={table.frame.shape}"
    )


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", default="10000", help="comma-separated row counts, e.g. 10000,100000,1000000"
    )
    parser.add_argument("--format", default="csv", help="comma-separated formats: csv, json, jsonl")
    args = parser.parse_args()
    formats = args.format.split(",")
    if unknown := [f for f in formats if f not in FORMATS]:
        parser.error(f"unknown format(s) {', '.join(unknown)}; expected csv, json or jsonl")
    for fmt in formats:
        for rows in (int(r) for r in args.rows.split(",")):
            measure(rows, fmt)


if __name__ == "__main__":
    main()
