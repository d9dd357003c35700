"""The reviewer's part of a plan at scale: a hierarchy of N people, 5 % of them moved (and 1 % relocated).

Measures, in process: the plan's CPU as reading the source CSV (`read_source`: parse, checks, canonical form),
parsing the tenant's export CSV (`parse_live`, as after the download) and `build_plan` (diff, safety and the
review), with no network (so a lower bound of `orgsync plan`'s CPU); the CPU of `review_items` alone on the same
inputs and its share of that plan; the wall time to build the markdown comment and the HTML report.
CPU is process time (every polars thread counted). Not a test: it asserts nothing about time.

    python -m benchmarks.bench_review --rows 100000,2000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks._util import parse_rows
from orgsync.api.answers import Dataset
from orgsync.manifest.models import DatasetManifest, Project, ProjectConfig
from orgsync.plan.builder import build_plan
from orgsync.plan.render import html, markdown
from orgsync.plan.review import review_items
from orgsync.sources.readers import read_source
from orgsync.sources.table import SourceTable
from orgsync.state.live_link_ends import live_link_ends
from orgsync.state.reader import RawExport, RawLive, parse_live, tree_columns
from orgsync.state.snapshot import LiveDataset, LiveItems, LiveState

PROPS = [
    {"key": "id", "name": "ID", "type": "text"},
    {"key": "name", "name": "Name", "type": "text"},
    {"key": "manager", "name": "Manager", "type": "text"},
    {"key": "location", "name": "Location", "type": "text"},
    {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
]
COLUMNS = ["id", "name", "manager", "location", "salary"]
EXTRA = (
    25  # filler properties, so a dataset has 30 as in the other benchmarks (the plan's cost grows with them)
)
FILLER = [f"p{i}" for i in range(EXTRA)]
PROPS += [{"key": c, "name": c.upper(), "type": "number" if i % 2 else "text"} for i, c in enumerate(FILLER)]
COLUMNS += FILLER


def frames(n: int, moved_share: float = 0.05) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(live, source): a 7-ary tree of `n` people; `moved_share` of them get a manager with a smaller number
    (never one below them), 1 % change location. Built columnar."""
    i = pl.int_range(0, n, dtype=pl.Int64, eager=True).alias("i")
    base = pl.DataFrame(i).with_columns(
        pl.format("P{}", pl.col("i")).alias("id"),
        pl.format("Person {}", pl.col("i")).alias("name"),
        pl.when(pl.col("i") > 0).then(pl.format("P{}", (pl.col("i") - 1) // 7)).alias("manager"),
        pl.lit("Paris").alias("location"),
        pl.lit("1000").alias("salary"),
        *(
            (pl.col("i") * (k + 3) % 9973).cast(pl.Utf8).alias(c)
            if k % 2
            else pl.format("v{}-{}", pl.col("i") % 1000, pl.lit(k)).alias(c)
            for k, c in enumerate(FILLER)
        ),
        pl.col("i").hash(1).alias("h1"),
        pl.col("i").hash(2).alias("h2"),
    )
    every = round(1 / moved_share)
    moved = (pl.col("i") > 7) & (pl.col("h1") % every == 0)
    target = (pl.col("h2") % (pl.col("i") - 1).clip(1)).cast(pl.Int64)
    source = base.with_columns(
        pl.when(moved).then(pl.format("P{}", target)).otherwise(pl.col("manager")).alias("manager"),
        pl.when(pl.col("h1") % 100 == 1).then(pl.lit("Lyon")).otherwise(pl.col("location")).alias("location"),
    ).select(COLUMNS)
    live = base.select(COLUMNS).with_columns(pl.format("u{}", pl.col("id")).alias("_id"))
    return live, source


def inputs(n: int, root: Path | None = None) -> tuple[Project, dict[str, SourceTable], LiveState]:
    """The project, tables and live state of `frames(n)`; with `root`, the source is read from a CSV file there
    and the live items parsed from an export CSV, as `orgsync plan` does (both timed into `SPENT`)."""
    live_frame, source = frames(n)
    manifest = DatasetManifest.model_validate(
        {
            "kind": "Dataset",
            "name": "People",
            "type": "PEOPLE",
            "autoId": "id",
            "labelId": "name",
            "treeId": "id",
            "treeParentId": "manager",
            "properties": PROPS,
            "items": {"source": "people.csv", "mode": "mirror"},
        }
    )
    base = root or Path("/bench")
    project = Project(
        root=base,
        config_file=base / "orgsync.yaml",
        config=ProjectConfig.model_validate({"tenant": "BENCH"}),
        manifests=[manifest],
    )
    table = SourceTable(
        name="People",
        path=Path("/bench/people.csv"),
        frame=source,
        key=["id"],
        owned=COLUMNS[1:],
        types={c: "text" for c in COLUMNS},
        sha256="0" * 64,
    )
    resource = {
        "datasetId": "DS-1",
        "name": "People",
        "type": "PEOPLE",
        "autoId": "id",
        "labelId": "name",
        "treeId": "id",
        "treeParentId": "manager",
        "cacheKey": "ck",
        "items": {"lastTransactionId": "tx"},
        "properties": [
            {k: v for k, v in p.items() if k != "sensitive"}
            | ({"isRequired": True} if p["key"] in ("id", "name", "manager") else {})
            for p in PROPS
        ],
    }
    dataset = LiveDataset(
        "DS-1", "People", "PEOPLE", Dataset.model_validate(resource), live_link_ends(resource)
    )
    if root is not None:
        source.write_csv(root / "people.csv")
        live_frame.write_csv(root / "export.csv")
        table, SPENT["read source"], _ = cpu(read_source, manifest, project)
        raw = RawLive(
            "bench",
            "BENCH",
            [dataset],
            [RawExport("People", "DS-1", root / "export.csv", tree_columns(manifest))],
        )
        state, SPENT["parse export"], _ = cpu(parse_live, raw, {"People": table})
        return project, {"People": table}, state
    items = LiveItems.of_frame("DS-1", live_frame, key=["id"], owned=COLUMNS[1:])
    state = LiveState(target="bench", tenant="BENCH", datasets=[dataset], items={"DS-1": items})
    return project, {"People": table}, state


SPENT: dict[str, float] = {}


def cpu(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    wall, start = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - start, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,2000000")
    args = parser.parse_args()
    print(
        f"{'people':>10} {'moves':>8} {'subtrees':>8} {'read src':>8} {'parse exp':>9} {'build':>6} "
        f"{'plan CPU s':>10} {'review CPU s':>12} {'share':>6} {'comment s':>9} {'chars':>7} {'html s':>7} "
        f"{'html MB':>7}"
    )
    for n in parse_rows(args.rows):
        with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
            project, tables, state = inputs(n, Path(tmp))
            plan, build_cpu, _ = cpu(build_plan, project, tables, state)
        plan_cpu = SPENT["read source"] + SPENT["parse export"] + build_cpu
        res = plan.resources[0]
        assert res.items is not None and res.review is not None and res.review.hierarchy is not None
        live_keys = state.items["DS-1"].index
        _, review_cpu, _ = cpu(
            review_items, res.items, tables["People"].frame, live_keys, label="name", tree=("id", "manager")
        )
        comment, _, comment_wall = cpu(markdown.render, plan)
        report, _, html_wall = cpu(html.render, plan)
        h = res.review.hierarchy
        print(
            f"{n:>10,} {h.moves.height:>8,} {h.rollups.height:>8,} {SPENT['read source']:>8.2f} "
            f"{SPENT['parse export']:>9.2f} {build_cpu:>6.2f} {plan_cpu:>10.2f} {review_cpu:>12.2f} "
            f"{review_cpu / plan_cpu:>6.1%} {comment_wall:>9.3f} {len(comment):>7,} {html_wall:>7.2f} "
            f"{len(report.encode()) / 1e6:>7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
