"""Benchmark of `orgsync plan` end to end against the emulator over a socket: 30 properties, 1 % changed.

For each size: a generated repository (one PEOPLE dataset, id + 29 properties of all four types, mirror) is
loaded into an emulator running as its own process (seeding is not timed); then 1 % of the rows change
(0.8 % updated in one column, 0.1 % removed, 0.1 % added) and `run_plan` runs in a fresh process, which
prints each phase's seconds (validate = read + check + canonicalise the source; export = the emulator producing
and sending the export; parse = canonicalising the export; diff = build_plan), the total, own = total - export
wall time, the parse floor (polars reading the source CSV and the export CSV, no normalisation, in the same
run), overlap = the part of validate that ran while the export was in flight (plan reads the sources during the
live read, so that part is inside the export's wall time and not in `own`), its CPU seconds and peak RSS.

Bounds at 1,000,000 rows: total <= 10 s, own work (total - export) <= 2 x parse floor, peak RSS <= 2.5 GB.
Run: python -m benchmarks.bench_plan --rows 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

import httpx
import orjson
import polars as pl

TYPES = ("text", "number", "date", "boolean")
PROPS = 30
TOKEN = "bench-token"


def columns() -> list[tuple[str, str]]:
    return [("id", "text")] + [(f"p{i:02d}", TYPES[i % 4]) for i in range(1, PROPS)]


def people(rows: int, *, changed: bool) -> pl.DataFrame:
    """`rows` items; `changed` applies the 1 % change (0.8 % updated, 0.1 % removed, 0.1 % added)."""
    n = pl.col("n")
    exprs = [("E" + n.cast(pl.Utf8)).alias("id")]
    for i, (key, type) in enumerate(columns()[1:], start=1):
        if type == "text":
            value = pl.lit(f"t{i}-") + ((n * (i + 7)) % 5003).cast(pl.Utf8)
        elif type == "number":
            value = ((n * 37 + i) % 100_000).cast(pl.Utf8)
        elif type == "date":
            value = pl.lit(f"2024-01-{1 + i % 28:02d}")
        else:
            value = pl.when((n + i) % 3 == 0).then(pl.lit("true")).otherwise(pl.lit("false"))
        exprs.append(value.alias(key))
    frame = pl.DataFrame({"n": pl.int_range(0, rows, eager=True, dtype=pl.Int64)})
    if changed:
        frame = frame.filter(n % 1000 != 8)  # 0.1 % removed
    out = frame.select([*exprs, (n % 1000).alias("_m")])
    if not changed:
        return out.drop("_m")
    out = out.with_columns(pl.when(pl.col("_m") < 8).then(pl.lit("changed")).otherwise(pl.col("p04")).alias("p04"))
    added = max(rows // 1000, 1)
    extra = people(added, changed=False).with_columns(("N" + pl.col("id")).alias("id"))
    return pl.concat([out.drop("_m"), extra])


def make_repo(root: Path, rows: int, endpoint: str) -> None:
    (root / "manifests").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "orgsync.yaml").write_text(
        f"tenant: BENCH\nendpoint: {endpoint}\nmanifests: manifests\n"
        "safety: {maxDeletePercent: 100, maxUpdatePercent: 100}\n")
    props = "\n".join(f"  - {{key: {k}, name: {k}, type: {t}}}" for k, t in columns())
    (root / "manifests" / "people.yaml").write_text(
        "kind: Dataset\nname: People\ntype: PEOPLE\nautoId: id\nlabelId: p01\nproperties:\n"
        f"{props}\nitems:\n  source: ../data/people.csv\n  mode: mirror\n")
    people(rows, changed=False).write_csv(root / "data" / "people.csv")


# ---------------------------------------------------------------- the measured run (own process)


def measure(root: Path) -> dict:
    """Run `run_plan` once with each phase timed; returns the figures.

    The sources are read while the export runs, so `own` (total - export wall time) hides the part of
    `validate` that overlapped the export: `overlap` says how much that was, and `cpu` is this process's CPU.
    """
    from orgsync.api.client import OrgvueClient
    from orgsync.commands import plan as command
    from orgsync.state import reader

    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    seen: dict[str, object] = {}

    def timed(name: str, fn, keep: bool = False):
        @wraps(fn)
        def sync(*args, **kwargs):
            started = time.perf_counter()
            out = fn(*args, **kwargs)
            spans[name].append((started, time.perf_counter()))
            if keep:
                seen[name] = out
            return out

        @wraps(fn)
        async def run_async(*args, **kwargs):
            started = time.perf_counter()
            out = await fn(*args, **kwargs)
            spans[name].append((started, time.perf_counter()))
            if keep:
                seen[name] = out
            return out
        return run_async if name == "export" else sync

    command.validate_sources = timed("validate", command.validate_sources)
    command.build_plan = timed("diff", command.build_plan, keep=True)
    reader.parse_export = timed("parse", reader.parse_export)
    OrgvueClient.export_csv = timed("export", OrgvueClient.export_csv, keep=True)

    cpu = _cpu()
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        code = command.run_plan(command.PlanOptions(root=root, out=root / "plan.json", detailed_exitcode=True),
                                stdout=devnull, stderr=devnull)
    total = time.perf_counter() - started
    cpu = _cpu() - cpu

    export = seen["export"]
    started = time.perf_counter()
    pl.read_csv(root / "data" / "people.csv", infer_schema=False)
    pl.read_csv(io.BytesIO(export), infer_schema=False)
    floor = time.perf_counter() - started
    plan = seen["diff"]
    counts = plan.resources[0].items.counts
    seconds = {name: sum(end - start for start, end in runs) for name, runs in spans.items()}
    overlap = sum(_overlap(a, b) for a in spans["validate"] for b in spans["export"])
    return {"exit": code, "changed": sum(counts.values()), "counts": counts, "total": total, "floor": floor,
            "own": total - seconds["export"], "overlap": overlap, "cpu": cpu, "export_bytes": len(export),
            **seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Seconds during which both spans ran."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _cpu() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- orchestration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_emulator(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "orgsync", "emulator", "--port", str(port), "--token", TOKEN],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the emulator did not start")


def bench(rows: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench_plan_"))
    port = _free_port()
    emulator = _start_emulator(port)
    env = {**os.environ, "ORGVUE_TOKEN": TOKEN}
    try:
        make_repo(root, rows, f"http://127.0.0.1:{port}")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "orgsync", "apply", "-C", str(root), "--auto-approve"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        seed = time.perf_counter() - started
        people(rows, changed=True).write_csv(root / "data" / "people.csv")
        run = subprocess.run([sys.executable, "-m", "benchmarks.bench_plan", "--measure", str(root)], env=env,
                             capture_output=True)
        if run.returncode:
            raise RuntimeError(f"the measured plan failed:\n{run.stderr.decode()[-3000:]}")
        out = run.stdout
        return {"rows": rows, "seed": seed, **orjson.loads(out.splitlines()[-1])}
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def report(fig: dict) -> str:
    ok = fig["total"] <= 10 and fig["own"] <= 2 * fig["floor"] and fig["peak_rss_mb"] <= 2500
    # The issue sets the bounds for 1,000,000 rows; at smaller sizes fixed costs (manifests, list/get,
    # render, save: ~0.1 s) dominate a floor of hundredths of a second, so the ratio says nothing there.
    verdict = ("within bounds" if ok else "OUT OF BOUNDS") if fig["rows"] >= 1_000_000 else "bounds are for 1M rows"
    return (f"rows={fig['rows']:>9,}  changed={fig['changed']:>6,}  validate={fig['validate']:.2f}s  "
            f"export={fig['export']:.2f}s  parse={fig['parse']:.2f}s  diff={fig['diff']:.2f}s  "
            f"total={fig['total']:.2f}s  own={fig['own']:.2f}s  floor={fig['floor']:.2f}s  "
            f"own/floor={fig['own'] / fig['floor']:.2f}  overlap={fig['overlap']:.2f}s  cpu={fig['cpu']:.2f}s  peakRSS={fig['peak_rss_mb']:.0f}MB  "
            f"export={fig['export_bytes'] / 1e6:.0f}MB  exit={fig['exit']}  (seed {fig['seed']:.1f}s)  "
            f"{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the measured run
    args = parser.parse_args()
    if args.measure:
        print(orjson.dumps(measure(args.measure)).decode())
        return
    for rows in (int(r) for r in args.rows.split(",")):
        print(report(bench(rows)), flush=True)


if __name__ == "__main__":
    main()
