"""The record of one apply run: every call with its counts and timing, every per-item failure, the outcome.

Written as JSON with `--report FILE` and summarised on the terminal. It names items by key and failures by
the API's name/code/message; it never holds an item value, and a key column marked sensitive is masked.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from orgsync.atomic import write_atomic
from orgsync.errors import ExitCode, ReportWriteError
from orgsync.plan.model import SENSITIVE_MASK


def check_report_path(path: Path) -> None:
    """Prove before apply writes anything that the report can be written there (ReportWriteError otherwise)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise ReportWriteError(
            f"{path}: cannot write the apply report ({err.strerror or err}); nothing was written",
            hint="pass --report a path in a writable directory",
        ) from None


class StepStatus(StrEnum):
    PENDING = "pending"  # not started (a dependency failed, or the run stopped)
    DONE = "done"  # every call succeeded, every item applied
    PARTIAL = "partial"  # some items or calls failed, others applied
    FAILED = "failed"  # nothing of this step was applied
    SKIPPED = "skipped"  # not run because a step it depends on did not finish


@dataclass
class ItemFailure:
    """One item the API skipped or applied only in part, named by key."""

    step: str
    key: dict[str, str | None]
    action: str
    status: str  # skipped | partialSuccess | failed (the whole call failed)
    name: str
    code: str | int | None
    message: str
    properties: list[str] = field(default_factory=list)


@dataclass
class CallRecord:
    """One write: a dataset/links create or update, a sync PUT, an async import, a follow-up job."""

    step: str
    call: str  # create-dataset | update-dataset | put-items | import-items | remove-properties | ondemand | populate
    actions: int = 0
    bytes: int = 0
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0
    ok: bool = True
    error: str | None = None
    cancelled: bool = False  # cut off in flight by an abort: it may or may not have been applied
    detail: str | None = None  # what a follow-up ran, e.g. "executeOnDemand: bonus"
    trace_ids: list[str] = field(default_factory=list)  # X-Amzn-Trace-Id of its answers, for Orgvue support


@dataclass
class StepRecord:
    """What happened to one planned step."""

    id: str
    address: str
    kind: str
    planned: int = 0  # items planned (0 for configuration steps)
    applied: int = 0
    failed: int = 0
    status: StepStatus = StepStatus.PENDING
    error: str | None = None


@dataclass
class ApplyReport:
    """The whole run; `exit_code` follows from what was and was not applied."""

    target: str
    tenant: str
    plan_source: str  # "fresh" or the saved plan's path
    started_at: str
    steps: list[StepRecord] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None  # why the run stopped early, if it did
    estimated_requests: int | None = (
        None  # what apply expected to send (estimate.py); stats.requests is the count
    )

    def step(self, step_id: str) -> StepRecord:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def wrote_anything(self) -> bool:
        return any(c.ok or c.succeeded or c.cancelled for c in self.calls)

    @property
    def complete(self) -> bool:
        return self.stopped is None and all(s.status == StepStatus.DONE for s in self.steps)

    @property
    def exit_code(self) -> ExitCode:
        """0 all applied; 4 some applied and some not; 1 nothing written."""
        if self.complete:
            return ExitCode.OK
        return ExitCode.PARTIAL if self.wrote_anything else ExitCode.ERROR

    def to_json(self) -> bytes:
        body = asdict(self)
        body["exit_code"] = int(self.exit_code)
        return orjson.dumps(body, option=orjson.OPT_INDENT_2)

    def write(self, path: Path) -> None:
        """Write the JSON record atomically (a killed run leaves the previous report or none, never half of one)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, self.to_json(), mode=0o644)
        except OSError as err:
            raise ReportWriteError(
                f"{path}: cannot write the apply report ({err.strerror or err})",
                hint="pass --report a path in a writable directory",
            ) from None

    def summary(self, max_failures: int = 20) -> list[str]:
        """Terminal lines: applied and not applied per step, then the first item failures."""
        lines = []
        for s in self.steps:
            count = f" {s.applied}/{s.planned} items" if s.planned else ""
            why = f": {s.error}" if s.error else ""
            lines.append(f"  {_MARK[s.status]} {s.id}{count} [{s.status.value}]{why}")
        for f in self.failures[:max_failures]:
            key = ", ".join(f"{k}={v}" for k, v in f.key.items())
            lines.append(f"  ! {f.step} {key}: {f.action} {f.status}: {f.name} ({f.code}) {f.message}")
        if len(self.failures) > max_failures:
            lines.append(f"  ... and {len(self.failures) - max_failures} more item failures (see --report)")
        return lines


_MARK = {
    StepStatus.DONE: "✓",
    StepStatus.PARTIAL: "~",
    StepStatus.FAILED: "✗",
    StepStatus.SKIPPED: "-",
    StepStatus.PENDING: "-",
}


def item_key(
    names: list[str], values: tuple[str | None, ...], sensitive: frozenset[str]
) -> dict[str, str | None]:
    """An item's key for the report; a sensitive key column is masked."""
    return {n: (SENSITIVE_MASK if n in sensitive else v) for n, v in zip(names, values, strict=True)}


def failures_from_results(
    step: str,
    results: list[dict[str, Any]],
    names: list[str],
    keys: list[tuple[str | None, ...]],
    actions: list[str],
    sensitive: frozenset[str],
    bodies: list[str] | None = None,
) -> list[ItemFailure]:
    """Per-item failures of one call; `results[i]` answers the action on `keys[i]` (the API keeps order).

    `bodies[i]` is the JSON sent for item i: any sensitive value in it is masked in the failure's message,
    since an API may quote the value it refused.
    """
    out = []
    for i, result in enumerate(results):
        status = result.get("_status", "success")
        if status == "success":
            continue
        key = item_key(names, keys[i], sensitive) if i < len(keys) else {"_id": result.get("_id")}
        secrets = _sensitive_texts(bodies[i], sensitive) if bodies and i < len(bodies) and sensitive else []
        for fail in result.get("_failures") or [{"name": "Unknown", "message": f"item {status}"}]:
            out.append(
                ItemFailure(
                    step,
                    key,
                    str(result.get("_action", actions[i] if i < len(actions) else "")),
                    status,
                    str(fail.get("name", "")),
                    fail.get("code"),
                    _mask(str(fail.get("message", "")), secrets),
                    [str(p) for p in fail.get("properties") or []],
                )
            )
    return out


def _sensitive_texts(body: str, sensitive: frozenset[str]) -> list[str]:
    """The sensitive values of one action as they may appear in text (`65000`, `true`, `Jane`), longest first."""
    action = orjson.loads(body)
    texts = {
        value if isinstance(value, str) else orjson.dumps(value).decode()
        for name, value in action.items()
        if name in sensitive and value is not None
    }
    return sorted((t for t in texts if t), key=len, reverse=True)


def _mask(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, SENSITIVE_MASK)
    return message
