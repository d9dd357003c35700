"""Benchmark of the hierarchy checks (dangling parents + cycles) on a 7-wide tree in shuffled file order.

Run: python -m benchmarks.bench_checks --rows 100000,1000000,2000000   (bound: <= 0.3 s at 1M rows)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import polars as pl

from orgsync.manifest.models import DatasetManifest, ItemsSpec, Project, ProjectConfig, PropertySpec
from orgsync.sources.checks import check_tree
from orgsync.sources.table import SourceTable


def tree_frame(rows: int, *, seed: int = 7) -> pl.DataFrame:
    """Ids E0..E{rows-1}; E{i}'s parent is E{(i-1)//7} (root E0), rows shuffled."""
    n = pl.int_range(0, rows, eager=True, dtype=pl.Int64)
    frame = pl.DataFrame({"id": "E" + n.cast(pl.Utf8), "boss": pl.Series([None] * rows, dtype=pl.Utf8)})
    boss = pl.DataFrame({"n": n}).select(
        pl.when(pl.col("n") > 0).then(pl.lit("E") + ((pl.col("n") - 1) // 7).cast(pl.Utf8))
    )[:, 0]
    return frame.with_columns(boss=boss).sample(fraction=1.0, shuffle=True, seed=seed)


def _inputs(frame: pl.DataFrame) -> tuple[DatasetManifest, SourceTable, Project]:
    props = [
        PropertySpec(key="id", name="id", type="text"),
        PropertySpec(key="boss", name="boss", type="text"),
    ]
    manifest = DatasetManifest(
        kind="Dataset",
        name="P",
        type="PEOPLE",
        autoId="id",
        labelId="id",
        treeId="id",
        treeParentId="boss",
        properties=props,
        items=ItemsSpec(source="p.csv"),
    )
    table = SourceTable(
        name="P",
        path=Path("p.csv"),
        frame=frame,
        key=["id"],
        owned=["boss"],
        types={"id": "text", "boss": "text"},
        sha256="",
    )
    project = Project(
        root=Path("."),
        config_file=Path("orgsync.yaml"),
        config=ProjectConfig(tenant="T"),
        manifests=[manifest],
    )
    return manifest, table, project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for rows in (int(r) for r in args.rows.split(",")):
        manifest, table, project = _inputs(tree_frame(rows))
        walls, cpus = [], []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            problems = check_tree(manifest, table, project)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        walls.sort()
        cpus.sort()
        print(
            f"rows={rows:>9,}  check_tree median={walls[len(walls) // 2]:.3f}s  cpu median="
            f"{cpus[len(cpus) // 2]:.3f}s  problems={len(problems)}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
