"""Run every benchmark at the given sizes, one after another (`make bench`, or `python -m benchmarks.run`).

Each benchmark prints its own table; run them one at a time on a quiet machine — they are not tests and
assert nothing about time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

BENCHMARKS = (
    "bench_readers",
    "bench_sources",
    "bench_checks",
    "read_live",
    "bench_emulator",
    "bench_plan",
    "bench_apply",
    "bench_first_load",
    "bench_import",
    "bench_review",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these (repeatable)")
    args = parser.parse_args()
    failed = []
    for name in args.only or BENCHMARKS:
        print(f"\n=== {name} --rows {args.rows}", flush=True)
        if subprocess.call([sys.executable, "-m", f"benchmarks.{name}", "--rows", args.rows]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
