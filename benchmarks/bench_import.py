"""Benchmark of `orgsync import --with-items` (adopting a tenant) against the emulator over a socket.

For each size: a generated repository (one PEOPLE dataset, 10 properties, one sensitive) is applied to an
empty emulator tenant (subprocess); then `orgsync import DIR --with-items` runs in a child process, timed from
outside (seconds, CPU, peak RSS), and the requests and bytes it made are read from the emulator's log; last,
`orgsync plan` on the imported repository must show no changes. The floor is the same child process doing the
one bulk export and writing it as CSV (the least any import can do), in the same run.

Run: python -m benchmarks.bench_import --rows 10000,100000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._util import EmulatorProcess, parse_rows
from benchmarks.bench_apply import make_repo

FLOOR = """
import asyncio, sys
from pathlib import Path
from orgsync.api.client import OrgvueClient

async def main(base, out):
    async with OrgvueClient(base, "BENCH", None) as c:
        ds = (await c.list_datasets())[0]
        Path(out).write_bytes(await c.export_csv(ds.datasetId))

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


ENV = {
    **os.environ,
    "ORGVUE_TOKEN": "bench-token",
}  # the emulator runs without --token: any token is accepted


def _child(cmd: list[str]) -> dict[str, float]:
    """Run `cmd` to completion; its own wall seconds, CPU seconds and peak RSS in MB (os.wait4's rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[:4]} failed")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def bench(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess() as emulator:
        repo = Path(tmp) / "repo"
        make_repo(repo, rows, endpoint=emulator.base_url)
        subprocess.run(
            [sys.executable, "-m", "orgsync", "apply", "-C", str(repo), "--auto-approve"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=ENV,
        )
        floor = _child([sys.executable, "-c", FLOOR, emulator.base_url, str(Path(tmp) / "floor.csv")])
        httpx.delete(f"{emulator.base_url}/_emulator/requests")
        target = Path(tmp) / "imported"
        run = _child(
            [
                sys.executable,
                "-m",
                "orgsync",
                "import",
                str(target),
                "--tenant",
                "BENCH",
                "--endpoint",
                emulator.base_url,
                "--with-items",
            ]
        )
        log = httpx.get(f"{emulator.base_url}/_emulator/requests").json()
        written = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        plan = subprocess.run(
            [sys.executable, "-m", "orgsync", "plan", "-C", str(target), "--detailed-exitcode"],
            stdout=subprocess.DEVNULL,
            env=ENV,
        )
        print(
            f"{rows:>10,}  import {run['wall']:6.2f} s  cpu {run['cpu']:6.2f} s  peak {run['peak_mb']:7.0f} MB  "
            f"{len(log)} requests, {written / 1e6:.1f} MB written  |  floor (one export) {floor['wall']:6.2f} s "
            f"({run['wall'] / floor['wall']:.2f}x)  |  next plan exit {plan.returncode} (0 = no changes)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000")
    args = parser.parse_args()
    for rows in parse_rows(args.rows):
        bench(rows)


if __name__ == "__main__":
    main()
