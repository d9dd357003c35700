"""Benchmark of `orgsync apply` for a 1 % change against the naive full re-upload, on the emulator (socket).

For each size: a generated repository (one PEOPLE dataset, 10 properties) is loaded into an empty local
tenant; then 1 % of the rows change (0.8 % updated in one column, 0.1 % new, 0.1 % removed) and we time

- orgsync: `orgsync apply --auto-approve` (fresh plan: live read + diff, then only the changed actions), and
- naive: what people do today: every row as `createOrReplace` with `implicitDelete=true`, in one gzip
  async import (the most frugal form of the naive way; a sync PUT would send ~8x the bytes).

and print seconds, requests, bytes uploaded and the ratios. `--threshold` instead measures sync PUT vs
async import for growing numbers of update actions (how `batching.SYNC_MAX_ACTIONS` was chosen).

Run: python -m benchmarks.bench_apply --rows 10000,100000,1000000 [--threshold]

Measured (2 shared cores, emulator subprocess on 127.0.0.1; orgsync time includes its live read and diff):
  rows        orgsync 1 %: s / requests / bytes sent     naive: s / bytes sent        bytes ratio  time ratio
  10,000      0.32 / 8 /  6,320                           0.25 / 169,662               26.8x        0.78x
  100,000     0.89 / 8 / 63,314                           2.27 / 1,691,222             26.7x        2.55x
  1,000,000  17.33 / 19 / 74,533 (peak RSS 1.35 GB)       28.57 / 17,097,470           229x         1.65x
(first load of 1,000,000 rows: 44 s, 92 requests, 17.1 MB sent in 10 gzip import files.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
import polars as pl
from rich.console import Console

from orgsync.api.target import open_client
from orgsync.commands.apply import ApplyOptions, run_apply
from orgsync.manifest.loader import load_project

MANIFEST = """kind: Dataset
name: People
type: PEOPLE
autoId: id
labelId: name
properties:
  - {key: id, name: ID, type: text}
  - {key: name, name: Name, type: text}
  - {key: email, name: Email, type: text}
  - {key: dept, name: Department, type: text}
  - {key: location, name: Location, type: text}
  - {key: grade, name: Grade, type: text}
  - {key: salary, name: Salary, type: number, sensitive: true}
  - {key: fte, name: FTE, type: number}
  - {key: hired, name: Hired, type: date}
  - {key: active, name: Active, type: boolean}
items:
  source: ../data/people.csv
  mode: mirror
"""
CONFIG = "tenant: BENCH\nendpoint: local\nmanifests: manifests\nsafety: {maxDeletePercent: 100, maxUpdatePercent: 100}\n"


def people(rows: int, *, changed: bool) -> pl.DataFrame:
    """`rows` people; `changed` applies the 1 % change: 0.8 % new salary, 0.1 % removed, 0.1 % added."""
    n = pl.int_range(0, rows, eager=True, dtype=pl.Int64)
    frame = pl.DataFrame(
        {
            "id": "E" + n.cast(pl.Utf8),
            "name": "Person " + n.cast(pl.Utf8),
            "email": "p" + n.cast(pl.Utf8) + "@acme.example",
            "dept": "D" + (n % 40).cast(pl.Utf8),
            "location": "L" + (n % 12).cast(pl.Utf8),
            "grade": "G" + (n % 9).cast(pl.Utf8),
            "salary": (30_000 + (n * 37) % 90_000).cast(pl.Utf8),
            "fte": pl.Series(["1"] * rows),
            "hired": pl.Series(["2020-01-15"] * rows),
            "active": pl.Series(["true"] * rows),
        }
    )
    if not changed:
        return frame
    per_mille = n % 1000
    frame = frame.with_columns(
        pl.when(per_mille < 8).then(pl.lit("99999")).otherwise(pl.col("salary")).alias("salary")
    )
    frame = frame.filter(per_mille != 8)  # 0.1 % removed
    added = rows // 1000
    extra = pl.int_range(rows, rows + added, eager=True, dtype=pl.Int64)
    return pl.concat(
        [
            frame,
            people(rows + added, changed=False)
            .tail(added)
            .with_columns(("E" + extra.cast(pl.Utf8)).alias("id")),
        ]
    )


def make_repo(root: Path, rows: int, endpoint: str = "local") -> None:
    (root / "manifests").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "orgsync.yaml").write_text(CONFIG.replace("endpoint: local", f"endpoint: {endpoint}"))
    (root / "manifests" / "people.yaml").write_text(MANIFEST)
    people(rows, changed=False).write_csv(root / "data" / "people.csv")


def apply(root: Path, report: Path) -> dict:
    """Run `orgsync apply --auto-approve` and return its report."""
    quiet = Console(file=open("/dev/null", "w"))  # noqa: SIM115 - closed with the process
    code = run_apply(ApplyOptions(root=root, auto_approve=True, report=report), console=quiet)
    body = orjson.loads(report.read_bytes())
    body["code"] = code
    return body


async def naive(root: Path) -> dict:
    """Every row as createOrReplace + implicitDelete in one gzip async import."""
    project = load_project(root)
    frame = pl.read_csv(root / "data" / "people.csv", infer_schema=False)
    numbers = {"salary", "fte"}
    actions = []
    for row in frame.iter_rows(named=True):
        body = {"_action": "createOrReplace"}
        for k, v in row.items():
            body[k] = (
                (float(v) if "." in v else int(v)) if k in numbers else (v == "true" if k == "active" else v)
            )
        actions.append(body)
    async with open_client(project) as client:
        [dataset] = await client.find_datasets("People")
        started = time.perf_counter()
        results = await client.import_items(
            dataset.datasetId,
            actions,
            retry_safe=True,
            params={"autoId": "true", "implicitDelete": "true", "dateFormat": "YYYY-MM-DD"},
        )
        seconds = time.perf_counter() - started
        failed = sum(1 for r in results if r.get("_status") != "success")
        return {
            "seconds": seconds,
            "requests": client.stats.requests,
            "bytes_sent": client.stats.bytes_sent,
            "failed": failed,
        }


def bench(rows: int) -> None:
    """First load, then the 1 % change applied by orgsync and by the naive way, against an emulator subprocess."""
    root = Path(tempfile.mkdtemp(prefix="bench_apply_"))
    base, server = start_emulator()
    try:
        make_repo(root, rows, endpoint=base)
        started = time.perf_counter()
        first = apply(root, root / "first.json")
        print(
            f"rows={rows:,} first load: {time.perf_counter() - started:.1f} s, "
            f"{first['stats']['requests']} requests, {first['stats']['bytes_sent']:,} bytes sent (exit {first['code']})",
            flush=True,
        )
        people(rows, changed=True).write_csv(root / "data" / "people.csv")
        started = time.perf_counter()
        ours = apply(root, root / "ours.json")
        ours_s = time.perf_counter() - started
        ours_rss = _peak_mb()
        theirs = asyncio.run(naive(root))
        print(
            f"rows={rows:,} orgsync 1% apply (plan + apply): {ours_s:.2f} s, {ours['stats']['requests']} requests, "
            f"{ours['stats']['bytes_sent']:,} bytes sent, exit {ours['code']}, peak RSS {ours_rss:.0f} MB"
        )
        print(
            f"rows={rows:,} naive re-upload: {theirs['seconds']:.2f} s, {theirs['requests']} requests, "
            f"{theirs['bytes_sent']:,} bytes sent, {theirs['failed']} failed"
        )
        print(
            f"rows={rows:,} ratios naive/orgsync: bytes {theirs['bytes_sent'] / max(ours['stats']['bytes_sent'], 1):.1f}x, "
            f"time {theirs['seconds'] / ours_s:.2f}x",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def start_emulator() -> tuple[str, subprocess.Popen]:
    """`orgsync emulator` on a free port in a subprocess (its memory and CPU are not ours)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "orgsync", "emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    os.environ.setdefault("ORGVUE_TOKEN", "bench")
    _wait_up(base)
    return base, server


def threshold(counts: list[int], rtt_ms: int) -> None:
    """Sync PUT vs async import of `n` update actions, over a socket to an emulator subprocess.

    `rtt_ms` adds that much latency to every request (a stand-in for the network between CI and Orgvue).
    """
    root = Path(tempfile.mkdtemp(prefix="bench_threshold_"))
    base, server = start_emulator()
    try:
        make_repo(root, max(counts), endpoint=base)
        apply(root, root / "seed.json")
        if rtt_ms:
            httpx.post(
                f"{base}/_emulator/faults", json={"path": ".*", "latencyMs": rtt_ms}
            ).raise_for_status()
        asyncio.run(_probe(root, counts, rtt_ms))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


async def _probe(root: Path, counts: list[int], rtt_ms: int) -> None:
    project = load_project(root)
    async with open_client(project) as client:
        [dataset] = await client.find_datasets("People")
        params = {"autoId": "true", "onActionValidationFailure": "skipAction"}
        for n in counts:
            row = [f"rtt={rtt_ms}ms n={n:>6}"]
            for how in ("put_items", "import_items"):
                actions = [{"_action": "update", "id": f"E{i}", "grade": f"{how[:3]}{n}"} for i in range(n)]
                before = client.stats.bytes_sent
                started = time.perf_counter()
                await getattr(client, how)(dataset.datasetId, actions, params=params, retry_safe=True)
                row.append(
                    f"{how}: {time.perf_counter() - started:6.3f} s {client.stats.bytes_sent - before:>10,} B"
                )
            print("  ".join(row), flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_emulator/faults", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the emulator did not start")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--threshold", action="store_true", help="measure sync PUT vs async import instead")
    parser.add_argument("--rtt-ms", type=int, default=0, help="--threshold: latency added to every request")
    args = parser.parse_args()
    sizes = [int(r) for r in args.rows.split(",")]
    if args.threshold:
        threshold(sizes, args.rtt_ms)
        return
    for rows in sizes:
        bench(rows)


if __name__ == "__main__":
    main()
