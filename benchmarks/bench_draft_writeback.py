"""Benchmark of the draft write-back: a draft's edits made in a CSV source's own bytes (`sources.writeback`).

For each size a people-like CSV (8 columns, a number, a boolean and a date among them) gets one update per
thousand rows, a create and a delete; timed in this process (seconds, CPU) for the write-back alone, the part of
`orgsync draft pull` that grows with the file (the API calls are one export and one draft job). The output is
checked: every record not edited is unchanged.

Run: python -m benchmarks.bench_draft_writeback --rows 100000,1000000
"""

from __future__ import annotations

import argparse
import time

from benchmarks._util import parse_rows
from orgsync.sources.writeback import CsvDialect, RowEdit, write_back

TYPES = {"id": "text", "name": "text", "dept": "text", "pay": "number", "on": "boolean", "since": "date"}


def make(rows: int) -> bytes:
    lines = ["id,name,email,dept,location,pay,on,since"]
    lines += [
        f"E{i},Name {i},n{i}@acme.example,Dept {i % 40},City {i % 9},{50000 + i},{'yes' if i % 3 else 'no'},2020-01-01"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def run(rows: int) -> None:
    data = make(rows)
    edits = [RowEdit("update", f"E{i}", {"pay": "1", "dept": "Moved"}) for i in range(0, rows, 1000)]
    edits += [RowEdit("create", "N1", {"id": "N1", "name": "New"}), RowEdit("delete", f"E{rows - 1}")]
    wall, cpu = time.perf_counter(), time.process_time()
    done = write_back(data, CsvDialect(), {}, "id", TYPES, edits)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    old, new = set(data.splitlines()), set(done.data.splitlines())
    updates = len(edits) - 2
    # only the edited records differ: each update's old and new record, the deleted one, the created one
    assert not done.missing and len(old - new) == updates + 1 and len(new - old) == updates + 1
    print(f"{rows:>9} rows {len(data) / 1e6:6.1f} MB  {len(edits):>5} edits  {wall:6.2f} s  {cpu:6.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000,1000000")
    for rows in parse_rows(parser.parse_args().rows):
        run(rows)


if __name__ == "__main__":
    main()
