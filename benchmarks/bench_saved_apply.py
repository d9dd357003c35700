"""Benchmark of applying a saved plan of 1 % changes (issue 24): its CPU against the plan's, both as processes.

Works on a tenant `bench_plan --keep DIR` seeded (DIR/<rows>x30[-people]): its emulator database is copied to a
temporary directory (the kept tenant is never written), an emulator serves the copy, then `orgsync plan --out`
and `orgsync apply <plan file> --auto-approve` run one after the other, each in its own process, measured from
outside (user + system CPU, wall, peak RSS). Bound (issue 24): apply CPU <= 25 % of the plan's CPU.
Run: python -m benchmarks.bench_saved_apply --keep /tmp/keep --rows 1000000 --generator people
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
from pathlib import Path

from benchmarks._util import EmulatorProcess
from benchmarks.bench_plan import TOKEN, _point_at


def _run(args: list[str]) -> tuple[float, float, float, int]:
    """CPU s, wall s, peak RSS MB and exit code of one orgsync process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "orgsync", *args],
        env={**os.environ, "ORGVUE_TOKEN": TOKEN},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"orgsync {args[0]} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return cpu, wall, after.ru_maxrss / 1024, proc.returncode


def bench(kept: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench_saved_apply_") as tmp:
        work = Path(tmp)
        for part in kept.glob("emulator.db*"):
            shutil.copy(part, work / part.name)
        repo = work / "repo"
        shutil.copytree(kept / "repo", repo, ignore=shutil.ignore_patterns("export.csv", "plan.json"))
        emulator = EmulatorProcess(work / "emulator.db", token=TOKEN, start_seconds=900, quiet=True)
        try:
            _point_at(repo, emulator.base_url)
            plan = _run(["plan", "-C", str(repo), "--out", str(work / "plan.json")])
            apply = _run(["apply", "-C", str(repo), str(work / "plan.json"), "--auto-approve"])
        finally:
            emulator.stop()
    return {
        "plan_cpu": plan[0],
        "plan_wall": plan[1],
        "apply_cpu": apply[0],
        "apply_wall": apply[1],
        "ratio": apply[0] / plan[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="bench_plan's --keep directory")
    parser.add_argument("--rows", default="1000000")
    parser.add_argument("--generator", choices=["project", "people"], default="people")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for rows in args.rows.split(","):
        kept = args.keep / (f"{int(rows)}x30" + ("-people" if args.generator == "people" else ""))
        if not (kept / "seeded").exists():
            raise SystemExit(f"{kept} is not seeded: run benchmarks.bench_plan --keep {args.keep} first")
        for _ in range(args.runs):
            fig = bench(kept)
            print(
                f"[{args.generator}] rows={int(rows):,}  plan cpu={fig['plan_cpu']:.2f}s "
                f"wall={fig['plan_wall']:.1f}s  saved apply cpu={fig['apply_cpu']:.2f}s "
                f"wall={fig['apply_wall']:.1f}s  apply/plan cpu={fig['ratio']:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
