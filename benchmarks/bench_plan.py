"""Benchmark of `orgsync plan` end to end against the emulator over a socket: 30 properties, 1 % changed.

For each size: a generated repository (one PEOPLE dataset, id + 29 properties of all four types, mirror) is
loaded into an emulator running as its own process (seeding is not timed); then 1 % of the rows change
(0.8 % updated in one column, 0.1 % removed, 0.1 % added) and `run_plan` runs in a fresh process, which
prints each phase's seconds (validate = read + check + canonicalise the source; export = the emulator producing
and sending the export; parse = reading the export file in chunks, compared with the source; diff = build_plan), the total, own = total - export
wall time, the parse floor (polars reading the source CSV and the export CSV, no normalisation, in the same
run), overlap = the part of validate that ran while the export was in flight (plan reads the sources during the
live read, so that part is inside the export's wall time and not in `own`), its CPU seconds and peak RSS.

The generator (issue 13): a 7-wide hierarchy (`mgr` -> `id`) in shuffled file order, unicode text, empty
cells (every 17th value of a text column), 1 % changed. Besides the parse floor, the run measures the *diff
floor*: what a skilled engineer writes by hand with polars (read the source, read the export, full hash join on
the key, the rows where any column differs), its wall and CPU seconds; and peak RSS both absolute and above
the process's start-up baseline (RSS after importing orgsync, before the plan).

Bounds (issues 13, 24): own wall <= 1.3 x diff floor wall, CPU <= 2 x diff floor wall, peak - baseline <= 1 KB/row
(at 30 properties; at others the same bytes a cell: 1 KB x props / 30). `--generator people` (or `both`, the
default) runs benchmarks.gen_people's realistic HR data as well; kept tenants are named <rows>x<props>[-people].
Run: python -m benchmarks.bench_plan --rows 100000,1000000 [--props 30] [--repeat 5: medians of five plans]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

import orjson
import polars as pl

from benchmarks import gen_people
from benchmarks._util import EmulatorProcess

TYPES = ("text", "number", "date", "boolean")
PROPS = 30
TOKEN = "bench-token"
NAMES = ("Zoë", "José", "Łukasz", "Søren", "Ana", "Müller", "Jürgen", "Ōtani", "Chloé", "Nuñez", "李", "Анна")


GENERATORS = ("project", "people")  # this module's own (issue 13), and benchmarks.gen_people's (issue 24)


def generator() -> str:
    """The generator of this run (`--generator`, passed on to the measured process)."""
    return os.environ.get("BENCH_GENERATOR", "project")


def columns() -> list[tuple[str, str]]:
    props = int(os.environ.get("BENCH_PROPS", PROPS))
    if generator() == "people":
        return gen_people.columns(props)
    return [("id", "text"), ("mgr", "text")] + [(f"p{i:02d}", TYPES[i % 4]) for i in range(1, props - 1)]


def people(rows: int, *, changed: bool) -> pl.DataFrame:
    """`rows` items; `changed` applies the 1 % change (0.8 % updated, 0.1 % removed, 0.1 % added)."""
    if generator() == "people":
        return gen_people.people(rows, changed=changed, props=len(columns()))
    n = pl.col("n")
    exprs = [
        ("E" + n.cast(pl.Utf8)).alias("id"),
        pl.when(n > 0).then(pl.lit("E") + ((n - 1) // 7).cast(pl.Utf8)).alias("mgr"),
    ]
    names = pl.Series(NAMES)
    for i, (key, type) in enumerate(columns()[2:], start=1):
        if type == "text":
            value = (
                pl.lit(f"t{i}-")
                + ((n * (i + 7)) % 5003).cast(pl.Utf8)
                + " "
                + pl.lit(names).gather((n + i) % len(NAMES))
            )
            value = pl.when((n + i) % 17 == 0).then(None).otherwise(value)
        elif type == "number":
            value = ((n * 37 + i) % 100_000).cast(pl.Utf8)
        elif type == "date":
            value = pl.lit(f"2024-01-{1 + i % 28:02d}")
        else:
            value = pl.when((n + i) % 3 == 0).then(pl.lit("true")).otherwise(pl.lit("false"))
        exprs.append(value.alias(key))
    frame = pl.DataFrame({"n": pl.int_range(0, rows, eager=True, dtype=pl.Int64)})
    if changed:
        frame = frame.filter((n % 1000 != 8) | (n * 7 + 1 < rows))  # ~0.1 % removed, leaves only (no orphans)
    out = frame.select([*exprs, (n % 1000).alias("_m")])
    if not changed:
        return out.drop("_m")
    out = out.with_columns(
        pl.when(pl.col("_m") < 8).then(pl.lit("changed")).otherwise(pl.col("p04")).alias("p04")
    )
    added = max(rows // 1000, 1)
    extra = people(added, changed=False).with_columns(("N" + pl.col("id")).alias("id"), mgr=pl.lit("E0"))
    return pl.concat([out.drop("_m"), extra])


def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows in a fixed pseudo-random order (children before parents, as in a real export)."""
    return frame.sample(fraction=1.0, shuffle=True, seed=13)


def make_repo(root: Path, rows: int, endpoint: str) -> None:
    (root / "manifests").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "orgsync.yaml").write_text(
        f"tenant: BENCH\nendpoint: {endpoint}\nmanifests: manifests\n"
        "safety: {maxDeletePercent: 100, maxUpdatePercent: 100}\n"
    )
    props = "\n".join(f"  - {{key: {k}, name: {k}, type: {t}}}" for k, t in columns())
    label, parent = (gen_people.LABEL, gen_people.PARENT) if generator() == "people" else ("p01", "mgr")
    (root / "manifests" / "people.yaml").write_text(
        f"kind: Dataset\nname: People\ntype: PEOPLE\nautoId: id\nlabelId: {label}\ntreeId: id\n"
        f"treeParentId: {parent}\n"
        "properties:\n"
        f"{props}\nitems:\n  source: ../data/people.csv\n  mode: mirror\n"
    )
    shuffled(people(rows, changed=False)).write_csv(root / "data" / "people.csv")


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
    harness = [0.0]  # CPU seconds of the benchmark's own work inside the plan (its copy of the export)

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
            # the export unpacked into a file of its own for the floors, on this thread: its CPU is the
            # benchmark's, not the plan's, and is taken off the plan's CPU (`harness_cpu`)
            own_cpu = _thread_cpu()
            if keep and isinstance(out, bytes):  # an older orgsync (export_csv): the bytes, kept on disk
                (root / "export.csv").write_bytes(out)
                seen[name] = len(out)
            elif keep and hasattr(out, "limit"):  # export_csv_file: the file as received (gzip), a Download,
                shutil.copyfile(out.path, root / "export.csv.gz")  # unpacked for the floors after the plan
                seen[name] = out.size
            elif keep:  # export_csv_to (an older orgsync): the unpacked export file, copied
                dest = args[2]
                dest.flush()
                shutil.copyfile(dest.name, root / "export.csv")
                seen[name] = out
            harness[0] += _thread_cpu() - own_cpu
            return out

        return run_async if name == "export" else sync

    try:  # the pipeline's own module since issue 21; commands.plan held it before (older checkouts)
        from orgsync.commands import pipeline
    except ImportError:
        pipeline = command
    pipeline.validate_sources = timed("validate", pipeline.validate_sources)
    pipeline.build_plan = timed("diff", pipeline.build_plan, keep=True)
    reader.parse_items = timed("parse", reader.parse_items)
    # the export as this orgsync reads it: streamed into a file (export_csv_to), or as bytes before that, so the
    # same benchmark measures a before/after pair (PYTHONPATH=<older checkout>)
    for method in ("export_csv_file", "export_csv_to", "export_csv"):  # the newest this orgsync reads with
        if hasattr(OrgvueClient, method):
            setattr(OrgvueClient, method, timed("export", getattr(OrgvueClient, method), keep=True))
            break

    baseline = _status_mb("VmRSS")
    sampler = _RssSampler()
    cpu = _cpu()
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull, sampler:
        code = command.run_plan(
            command.PlanOptions(root=root, out=root / "plan.json", detailed_exitcode=True),
            stdout=devnull,
            stderr=devnull,
        )
    total = time.perf_counter() - started
    cpu = _cpu() - cpu - harness[0]
    peak = _status_mb("VmHWM")  # the plan's peak, before the floors below allocate their own
    phase_peaks = {
        name: max((mb for at, mb in sampler.samples if any(a <= at <= b for a, b in runs)), default=0.0)
        for name, runs in spans.items()
    }

    export = root / "export.csv"
    if (root / "export.csv.gz").exists():  # kept packed as received (export_csv_file): unpacked, not timed
        from orgsync.api.files import open_download

        with open_download(root / "export.csv.gz", None) as packed, export.open("wb") as copy:
            while block := packed.read(1 << 20):
                copy.write(block)
        (root / "export.csv.gz").unlink()
    started = time.perf_counter()
    pl.read_csv(root / "data" / "people.csv", infer_schema=False)
    pl.read_csv(export, infer_schema=False)
    floor = time.perf_counter() - started
    diff_floor, diff_floor_cpu, floor_changed = _diff_floor(root / "data" / "people.csv", export)
    saved_cpu, saved_wall = _saved_freshness(root) if code == 2 else (float("nan"), float("nan"))
    plan = seen["diff"]
    counts = plan.resources[0].items.counts
    seconds = {name: sum(end - start for start, end in runs) for name, runs in spans.items()}
    overlap = sum(_overlap(a, b) for a in spans["validate"] for b in spans["export"])
    return {
        "exit": code,
        "changed": sum(counts.values()),
        "counts": counts,
        "total": total,
        "floor": floor,
        "own": total - seconds["export"],
        "overlap": overlap,
        "cpu": cpu,
        "harness_cpu": harness[0],
        "export_bytes": seen["export"],
        "saved_cpu": saved_cpu,
        "saved_wall": saved_wall,
        "diff_floor": diff_floor,
        "diff_floor_cpu": diff_floor_cpu,
        "floor_changed": floor_changed,
        "baseline_mb": baseline,
        **seconds,
        "peak_rss_mb": peak,
        "phase_peak_mb": {k: round(v - baseline) for k, v in phase_peaks.items()},
    }


def _diff_floor(source: Path, export: Path) -> tuple[float, float, int]:
    """The hand-written floor: polars reads the source and the export, hash-joins them on the key and keeps the
    rows where any shared column differs (or that are on one side only), numbers compared as floats and
    booleans as true/false words (so "65000.10" equals the tenant's "65000.1", "Yes" its "true"), as the issue
    24 defines it. Wall s, CPU s, rows found."""
    cpu, started = _cpu(), time.perf_counter()
    types = dict(columns())
    src = _floor_canonical(pl.read_csv(source, infer_schema=False), types)
    live = _floor_canonical(pl.read_csv(export, infer_schema=False), types)
    shared = [c for c in src.columns if c in live.columns and c != "id"]
    joined = src.join(live, on="id", how="full", suffix="__live", coalesce=False)
    differs = pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(c + "__live")) for c in shared]
        + [pl.col("id").is_null(), pl.col("id__live").is_null()]
    )
    found = joined.filter(differs).height
    return time.perf_counter() - started, _cpu() - cpu, found


def _floor_canonical(frame: pl.DataFrame, types: dict[str, str]) -> pl.DataFrame:
    words = {
        "true": True,
        "yes": True,
        "y": True,
        "1": True,
        "false": False,
        "no": False,
        "n": False,
        "0": False,
    }
    return frame.with_columns(
        [
            pl.col(c).cast(pl.Float64, strict=False)
            if types.get(c) == "number"
            else pl.col(c).str.to_lowercase().replace_strict(words, default=None, return_dtype=pl.Boolean)
            for c in frame.columns
            if types.get(c) in ("number", "boolean")
        ]
    )


def _saved_freshness(root: Path) -> tuple[float, float]:
    """CPU and wall seconds `apply plan.json` spends proving the saved plan current (checksums + live
    fingerprints, its list/get calls included), before any write."""
    import asyncio

    async def prove() -> None:
        try:  # the pipeline's own module since issue 21 (older checkouts: commands.prepare)
            from orgsync.commands.pipeline import saved_plan
        except ImportError:
            from orgsync.commands.prepare import prepare_saved

            from orgsync.commands.apply import ApplyOptions

            opts = ApplyOptions(root=root, plan_file=root / "plan.json", auto_approve=True)
            prepared = await prepare_saved(opts)
        else:
            prepared = await saved_plan(root, root / "plan.json")
        await prepared.client.aclose()

    cpu, started = _cpu(), time.perf_counter()
    asyncio.run(prove())
    return _cpu() - cpu, time.perf_counter() - started


class _RssSampler:
    """Samples this process's RSS every 5 ms on a thread (polars releases the GIL), so each phase's own peak can
    be told apart from the whole run's (VmHWM). A measuring aid of the benchmark, not of orgsync."""

    def __init__(self) -> None:
        import threading

        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        with open("/proc/self/statm") as statm:
            while not self._stop.wait(0.005):
                statm.seek(0)
                self.samples.append((time.perf_counter(), int(statm.read().split()[1]) * page_mb))

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM its peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Seconds during which both spans ran."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _thread_cpu() -> float:
    """User + system CPU seconds of the calling thread so far."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def _cpu() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- orchestration


def _emulator(db: Path | None) -> EmulatorProcess:
    # a kept tenant of 2M rows is loaded from SQLite before the port opens
    return EmulatorProcess(db, token=TOKEN, start_seconds=600, quiet=True)


def bench(rows: int, keep: Path | None = None, repeat: int = 1) -> list[dict]:
    """`repeat` measured plans of `rows` rows, each in a fresh process, against one seeded tenant. With `keep`,
    the seeded tenant (emulator --db) and repository are kept under keep/<rows>x<props> and reused by later
    runs, so a before/after pair skips the minutes of seeding."""
    name = f"{rows}x{len(columns())}" + ("" if generator() == "project" else f"-{generator()}")
    kept = keep / name if keep else None
    reuse = kept is not None and (kept / "seeded").exists()
    root = kept / "repo" if kept else Path(tempfile.mkdtemp(prefix="bench_plan_"))
    if kept and not reuse:  # a fresh kept tenant: nothing of an older one
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
    emulator = _emulator(kept / "emulator.db" if kept else None)
    env = {**os.environ, "ORGVUE_TOKEN": TOKEN}
    try:
        seed = 0.0
        if reuse:
            _point_at(root, emulator.base_url)
        else:
            make_repo(root, rows, emulator.base_url)
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "orgsync", "apply", "-C", str(root), "--auto-approve"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            seed = time.perf_counter() - started
            shuffled(people(rows, changed=True)).write_csv(root / "data" / "people.csv")
            if kept:
                (kept / "seeded").touch()
        figures = []
        for _ in range(repeat):  # a plan only reads the tenant: every run sees the same one
            run = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_plan", "--measure", str(root)],
                env=env,
                capture_output=True,
            )
            if run.returncode:
                raise RuntimeError(f"the measured plan failed:\n{run.stderr.decode()[-3000:]}")
            figures.append({"rows": rows, "seed": seed, **orjson.loads(run.stdout.splitlines()[-1])})
        return figures
    finally:
        emulator.stop()
        if not kept:
            shutil.rmtree(root, ignore_errors=True)


def _point_at(root: Path, endpoint: str) -> None:
    """A kept repository's orgsync.yaml aimed at this run's emulator port."""
    config = root / "orgsync.yaml"
    lines = [
        f"endpoint: {endpoint}" if line.startswith("endpoint:") else line
        for line in config.read_text().splitlines()
    ]
    config.write_text("\n".join(lines) + "\n")


def medians(figures: list[dict]) -> str:
    """The bounds' ratios of several runs, each the median over the runs (the machine is shared: a single
    run's ratio moves by a fifth), and whether the medians are within the bounds."""
    import statistics

    per_row = 1024 * len(columns()) / PROPS
    cpu = statistics.median(f["cpu"] / f["diff_floor"] for f in figures)
    own = statistics.median(f["own"] / f["diff_floor"] for f in figures)
    ratio = statistics.median(f["cpu"] / f["diff_floor_cpu"] for f in figures)
    above = statistics.median((f["peak_rss_mb"] - f["baseline_mb"]) * 1e6 / f["rows"] for f in figures)
    ok = own <= 1.3 and cpu <= 2 and above <= per_row
    return (
        f"rows={figures[0]['rows']:>9,}  medians of {len(figures)} runs: own/diff_floor={own:.2f}  "
        f"cpu/diff_floor_wall={cpu:.2f}  cpu/diff_floor_cpu={ratio:.2f}  above_baseline={above:.0f} B/row  "
        f"{'within bounds' if ok else 'OUT OF BOUNDS'}"
    )


def report(fig: dict) -> str:
    above = fig["peak_rss_mb"] - fig["baseline_mb"]
    per_row = (
        1024 * len(columns()) / PROPS
    )  # the bound's 1 KB a row of 30 properties, as bytes a cell at others
    ok = (
        fig["own"] <= 1.3 * fig["diff_floor"]
        and fig["cpu"] <= 2 * fig["diff_floor"]  # issue 24: plan CPU <= 2 x the floor's wall
        and above * 1e6 / fig["rows"] <= per_row
    )
    verdict = "within bounds" if ok else "OUT OF BOUNDS"
    return (
        f"rows={fig['rows']:>9,}  props={len(columns())}  changed={fig['changed']:>6,} "
        f"(floor found {fig['floor_changed']:,})  diff_floor={fig['diff_floor']:.2f}s "
        f"cpu {fig['diff_floor_cpu']:.2f}s  own/diff_floor={fig['own'] / fig['diff_floor']:.2f}  "
        f"cpu/diff_floor_cpu={fig['cpu'] / fig['diff_floor_cpu']:.2f}  "
        f"cpu/diff_floor_wall={fig['cpu'] / fig['diff_floor']:.2f}  baseline={fig['baseline_mb']:.0f}MB  "
        f"above_baseline={above:.0f}MB ({above * 1e6 / fig['rows']:.0f} B/row)  "
        f"saved_apply_check cpu={fig.get('saved_cpu', float('nan')):.2f}s "
        f"({fig.get('saved_cpu', float('nan')) / fig['cpu']:.0%} of plan cpu)  validate={fig['validate']:.2f}s  "
        f"export={fig['export']:.2f}s  parse={fig['parse']:.2f}s  diff={fig['diff']:.2f}s  "
        f"total={fig['total']:.2f}s  own={fig['own']:.2f}s  floor={fig['floor']:.2f}s  "
        f"own/floor={fig['own'] / fig['floor']:.2f}  overlap={fig['overlap']:.2f}s  cpu={fig['cpu']:.2f}s "
        f"(not counted: the benchmark's copy of the export, {fig.get('harness_cpu', 0.0):.2f}s)  peakRSS={fig['peak_rss_mb']:.0f}MB  "
        f"phase peaks above baseline (MB) {fig['phase_peak_mb']}  "
        f"export={fig['export_bytes'] / 1e6:.0f}MB  exit={fig['exit']}  (seed {fig['seed']:.1f}s)  "
        f"{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="comma-separated sizes, e.g. 10000,100000,1000000")
    parser.add_argument("--props", type=int, default=PROPS, help="properties per item, key included")
    parser.add_argument(
        "--keep", type=Path, help="keep seeded tenants here and reuse them (before/after pairs)"
    )
    parser.add_argument(
        "--generator",
        choices=[*GENERATORS, "both"],
        default="both",
        help="project: this module's generator; people: benchmarks.gen_people (realistic HR data); both",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measured plans per size (a median line follows when more than one)",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: the measured run
    args = parser.parse_args()
    if args.measure:
        print(orjson.dumps(measure(args.measure)).decode())
        return
    os.environ["BENCH_PROPS"] = str(
        args.props
    )  # the generator reads it (so the measured process inherits it)
    for name in GENERATORS if args.generator == "both" else (args.generator,):
        os.environ["BENCH_GENERATOR"] = name
        for rows in (int(r) for r in args.rows.split(",")):
            figures = bench(rows, args.keep, max(1, args.repeat))
            for fig in figures:
                print(f"[{name}] " + report(fig), flush=True)
            if len(figures) > 1:
                print(f"[{name}] " + medians(figures), flush=True)


if __name__ == "__main__":
    main()
