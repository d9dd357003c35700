"""The record of one run (`--log-runs FILE`, notifications): status, counts, requests, trace ids; no item data.

A `RunRecord` holds counts per dataset, never an item key or value; `append` adds its line to a run log.
`orgsync.recording` makes the record of a command as it runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgsync.errors import ExitCode

if TYPE_CHECKING:
    from orgsync.apply.report import ApplyReport
    from orgsync.plan.model import Plan

APPLIED, PARTIAL, BLOCKED, FAILED, NO_CHANGES, CHANGES, DRIFT = (
    "applied",
    "partially applied",
    "blocked",
    "failed",
    "no changes",
    "changes",
    "drift",
)
MAX_TRACE_IDS = 20  # enough for Orgvue support; a run of thousands of failed calls keeps the line short


@dataclass(frozen=True)
class RunRecord:
    """One run: what it was, how it ended, what it planned per dataset, what it cost. Never an item's data."""

    time: str
    command: str  # plan | apply | sync | drift
    tenant: str
    status: str  # applied | partially applied | blocked | failed | no changes | changes | drift
    exit_code: int
    datasets: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> create/update/delete counts
    requests: int = 0
    trace_ids: tuple[str, ...] = ()  # X-Amzn-Trace-Id of failed calls, for Orgvue support
    seconds: float = 0.0
    directory: str = ""
    blocked_by: tuple[str, ...] = ()  # the safety policy's reasons (dataset names and counts)
    run_url: str = ""
    issue_url: str = ""

    @property
    def totals(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for counts in self.datasets.values():
            for action in out:
                out[action] += int(counts.get(action, 0))
        return out

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["trace_ids"], body["blocked_by"] = list(self.trace_ids), list(self.blocked_by)
        return body

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunRecord:
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        known["trace_ids"] = tuple(str(t) for t in known.get("trace_ids", ()))
        known["blocked_by"] = tuple(str(t) for t in known.get("blocked_by", ()))
        return cls(**known)

    def line(self) -> bytes:
        return (json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=True) + "\n").encode()


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def append(path: Path, record: RunRecord) -> None:
    """Append the record's line in one `write` on an O_APPEND file (created 0600; a symlink is refused), so
    concurrent runs never interleave parts of lines. Raises OSError."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = (
        os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    fd = os.open(path, flags, 0o600)
    try:
        data = record.line()
        written = os.write(fd, data)
        if written != len(data):  # a full disk: the line is not whole, say so
            raise OSError(f"only {written} of {len(data)} bytes written")
    finally:
        os.close(fd)


def read(path: Path) -> list[RunRecord]:
    """Every record of a run log (lines that are not records are skipped)."""
    out = []
    for text in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(RunRecord.from_dict(json.loads(text)))
        except (ValueError, TypeError):
            continue
    return out


def plan_counts(plan: Plan) -> dict[str, dict[str, int]]:
    """Item creates/updates/deletes per dataset (and links dataset) the plan changes, by name."""
    out: dict[str, dict[str, int]] = {}
    for resource in plan.resources:
        counts = resource.items.counts if resource.items is not None else {}
        if resource.action.value != "no-op" or any(counts.values()):
            out[resource.name] = {a: int(counts.get(a, 0)) for a in ("create", "update", "delete")}
    return out


def report_trace_ids(report: ApplyReport) -> tuple[str, ...]:
    """The trace ids of the calls that failed (in part or whole), first `MAX_TRACE_IDS`."""
    ids = [t for call in report.calls if not call.ok or call.failed for t in call.trace_ids]
    return tuple(dict.fromkeys(ids))[:MAX_TRACE_IDS]


def status_of(command: str, code: int, changes: bool) -> str:
    """The status word of a CLI run from its exit code (and whether the plan had changes)."""
    if code == ExitCode.BLOCKED:
        return BLOCKED
    if code == ExitCode.PARTIAL:
        return PARTIAL
    if code not in (ExitCode.OK, ExitCode.CHANGES):
        return FAILED
    if command == "apply":
        return APPLIED if changes else NO_CHANGES
    if code == ExitCode.CHANGES or changes:
        return DRIFT if command == "drift" else CHANGES
    return NO_CHANGES
