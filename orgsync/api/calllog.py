"""`--verbose` lines: one line per API call, built only from a `CallRecord` (so never a host, token or value).

`GET /api/v1/ACME/datasets 200 12 ms 0 B → 1.2 KB trace Root=1-…` (the X-Amzn-Trace-Id, when the answer has
one), then `(attempt 2)` on a retry.
"""

from __future__ import annotations

import sys
from typing import TextIO

from orgsync.api.http import CallListener, CallRecord
from orgsync.escape import terminal

_KB = 1024


def format_call(record: CallRecord) -> str:
    """One call as a line: method, path[?options], status, duration in ms, bytes sent → received, attempt."""
    target = f"{record.path}?{record.query}" if record.query else record.path
    status = str(record.status) if record.status is not None else "no-answer"
    line = (
        f"{record.method} {target} {status} {round(record.seconds * 1000)} ms "
        f"{_size(record.bytes_sent)} → {_size(record.bytes_received)}"
    )
    if record.trace_id:  # for Orgvue support: they find a request by it
        line += f" trace {record.trace_id}"
    line = terminal(line)  # a path carries ids the service chose: no escape sequence reaches the log
    return f"{line} (attempt {record.attempt})" if record.attempt > 1 else line


def call_printer(stream: TextIO | None = None) -> CallListener:
    """A listener printing each call's line to `stream` (the current stderr when None), as it completes."""

    def show(record: CallRecord) -> None:
        out = stream or sys.stderr
        out.write(format_call(record) + "\n")
        out.flush()

    return show


def _size(count: int) -> str:
    """Bytes as `0 B`, `512 B`, `1.2 KB`, `3.4 MB` (binary units, one decimal)."""
    if count < _KB:
        return f"{count} B"
    if count < _KB * _KB:
        return f"{count / _KB:.1f} KB"
    return f"{count / (_KB * _KB):.1f} MB"
