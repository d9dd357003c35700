"""Benchmark of the first load: `orgsync apply --auto-approve` of a fresh repository into an empty tenant (issue 13).

For each size: the repository of `benchmarks.bench_plan.make_repo` (one PEOPLE dataset, id + 29 properties of all
four types, a 7-wide hierarchy in shuffled file order) is written, an emulator is started as its own process
(`python -m orgsync emulator --port P --token bench-token`), and `python -m orgsync apply -C repo --auto-approve
--report FILE` runs as a child process, timed from outside. Reported, for that child:

- wall seconds, CPU seconds and peak RSS (`os.wait4` rusage, as `benchmarks.bench_import`);
- its start-up baseline: the peak RSS of a child that only imports what apply imports
  (`python -c "import orgsync.cli, orgsync.commands.apply"`), and the peak above it;
- the requests it made (the emulator's `/_emulator/requests` log, and orgsync's own count in the report) and the
  bytes it sent and received (the report's `stats`);
- where the peak is: a thread of this process samples the child's RSS from /proc/<pid>/statm every 5 ms and
  splits the samples into phases by the emulator's request log (wall-clock times): `plan` (start-up, reading
  the sources and the tenant, building the plan, up to the dataset's POST), `encode` (from there to the first
  import file's upload: the actions of the step and the first file), `import` (the uploads and jobs), `finish`
  (after the last request: the summary and report);
- the emulator's own share: its peak RSS and CPU seconds over the run, measured apart (its own process).

The peak RSS figures are what issue 13 bounds: orgsync's own process at a million rows ≤ 1.5 GB.
Run: python -m benchmarks.bench_first_load --rows 100000,1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import orjson

from benchmarks._util import EmulatorProcess, parse_rows, peak_rss_mb
from benchmarks.bench_plan import TOKEN, make_repo

ENV = {**os.environ, "ORGVUE_TOKEN": TOKEN}
ADMIN = {"Authorization": f"Bearer {TOKEN}"}  # the emulator's admin API wants its --token too
BASELINE = "import orgsync.cli, orgsync.commands.apply"
PHASES = ("plan", "encode", "import", "finish")


class _ChildSampler:
    """RSS of another process every 5 ms (wall-clock time, MB), until it exits or `stop()` is called."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        try:
            with open(f"/proc/{self.pid}/statm") as statm:
                while not self._stop.wait(0.005):
                    statm.seek(0)
                    text = statm.read()
                    if not text:
                        return
                    self.samples.append((time.time(), int(text.split()[1]) * page_mb))
        except (OSError, ValueError, IndexError):  # the child exited (its /proc entry is gone or a zombie's)
            return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _child(cmd: list[str], sample: bool = False) -> dict:
    """Run `cmd` to completion; wall s, CPU s, peak RSS MB (os.wait4), and its RSS samples when `sample`."""
    started_at = time.time()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=ENV)
    sampler = _ChildSampler(proc.pid) if sample else None
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if sampler:
        sampler.stop()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{cmd[:4]} exited {code}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "started_at": started_at,
        "samples": sampler.samples if sampler else [],
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _phase_bounds(log: list[dict], started_at: float) -> dict[str, tuple[float, float]]:
    """Wall-clock spans of the phases, from the emulator's request log (see the module docstring)."""
    times = [e["time"] for e in log]
    create = next(
        (e["time"] for e in log if e["method"] == "POST" and e["path"].endswith("/datasets")), started_at
    )
    uploads = [e["time"] for e in log if e["method"] == "PUT" and e["path"].startswith("/_files/")]
    first_upload = uploads[0] if uploads else create
    last = max(times, default=started_at) + 0.001
    return {
        "plan": (started_at, create),
        "encode": (create, first_upload),
        "import": (first_upload, last),
        "finish": (last, float("inf")),
    }


def bench(rows: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench_first_load_"))
    server = EmulatorProcess(token=TOKEN, quiet=True)
    emulator, port = server.proc, server.port
    try:
        repo = root / "repo"
        # written by a child, so this process stays small: a child's ru_maxrss counts the parent's pages it was
        # forked with, and the baseline below would include the generator's frame
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.bench_first_load",
                "--make-repo",
                str(repo),
                "--rows",
                str(rows),
                "--endpoint",
                f"http://127.0.0.1:{port}",
            ],
            check=True,
        )
        baseline = _child([sys.executable, "-c", BASELINE])
        httpx.delete(f"http://127.0.0.1:{port}/_emulator/requests", headers=ADMIN).raise_for_status()
        emu_cpu, emu_rss = _cpu_seconds(emulator.pid), peak_rss_mb(emulator.pid)
        report_file = root / "report.json"
        run = _child(
            [
                sys.executable,
                "-m",
                "orgsync",
                "apply",
                "-C",
                str(repo),
                "--auto-approve",
                "--report",
                str(report_file),
            ],
            sample=True,
        )
        emu_cpu = _cpu_seconds(emulator.pid) - emu_cpu
        emu_peak = peak_rss_mb(emulator.pid)
        log = (
            httpx.get(f"http://127.0.0.1:{port}/_emulator/requests", headers=ADMIN).raise_for_status().json()
        )
        report = orjson.loads(report_file.read_bytes())
        bounds = _phase_bounds(log, run["started_at"])
        phase_peaks = {
            name: max((mb for at, mb in run["samples"] if a <= at < b), default=0.0)
            for name, (a, b) in bounds.items()
        }
        imports = [c for c in report["calls"] if c["call"] == "import-items"]
        ended = run["started_at"] + run["wall"]
        phase_seconds = {name: min(b, ended) - a for name, (a, b) in bounds.items()}
        return {
            "rows": rows,
            "wall": run["wall"],
            "cpu": run["cpu"],
            "peak_mb": run["peak_mb"],
            "phase_seconds": phase_seconds,
            "sampled_peak_mb": max((mb for _, mb in run["samples"]), default=0.0),
            "baseline_mb": baseline["peak_mb"],
            "phase_peak_mb": phase_peaks,
            "requests_log": len(log),
            "requests": report["stats"].get("requests", 0),
            "bytes_sent": report["stats"].get("bytes_sent", 0),
            "bytes_received": report["stats"].get("bytes_received", 0),
            "import_files": len(imports),
            "json_bytes": sum(c["bytes"] for c in imports),
            "applied": sum(s["applied"] for s in report["steps"]),
            "exit": report["exit_code"],
            "emulator_cpu": emu_cpu,
            "emulator_peak_mb": emu_peak,
            "emulator_rss_before_mb": emu_rss,
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def report(fig: dict) -> str:
    above = fig["peak_mb"] - fig["baseline_mb"]
    phases = "  ".join(
        f"{name} {fig['phase_peak_mb'][name]:.0f} MB / {fig['phase_seconds'][name]:.1f} s" for name in PHASES
    )
    verdict = "within 1.5 GB" if fig["peak_mb"] <= 1536 else "OVER 1.5 GB"
    return (
        f"rows={fig['rows']:>9,}  wall={fig['wall']:6.2f}s  cpu={fig['cpu']:6.2f}s  "
        f"peakRSS={fig['peak_mb']:6.0f}MB (sampled {fig['sampled_peak_mb']:.0f})  baseline={fig['baseline_mb']:.0f}MB  above={above:6.0f}MB "
        f"({above * 1e6 / fig['rows']:.0f} B/row)  phases (absolute peak / wall): {phases}  |  "
        f"requests={fig['requests']} (emulator log {fig['requests_log']})  "
        f"sent={fig['bytes_sent'] / 1e6:.1f}MB received={fig['bytes_received'] / 1e6:.2f}MB  "
        f"import files={fig['import_files']} ({fig['json_bytes'] / 1e6:.0f} MB JSON)  "
        f"applied={fig['applied']:,} exit={fig['exit']}  load={os.getloadavg()[0]:.1f}  |  emulator cpu={fig['emulator_cpu']:.1f}s "
        f"peak={fig['emulator_peak_mb']:.0f}MB (idle {fig['emulator_rss_before_mb']:.0f}MB)  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000", help="comma-separated sizes, e.g. 100000,1000000")
    parser.add_argument("--make-repo", type=Path, help=argparse.SUPPRESS)  # internal: write the repository
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_repo:
        make_repo(args.make_repo, parse_rows(args.rows)[0], args.endpoint)
        return
    for rows in parse_rows(args.rows):
        print(report(bench(rows)), flush=True)


if __name__ == "__main__":
    main()
