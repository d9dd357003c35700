"""Fault injection and the request log (admin API, not Orgvue): reproducible with a seeded generator."""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from orgsync.emulator.errors import bad_body

ERROR_NAMES = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}


@dataclass
class Fault:
    """Matches requests by method and path regex; answers `status` (at `rate`, or the next `count` calls),
    adds `latency_ms`, or makes the jobs it matches `fail` or `hang`."""

    id: int
    path: re.Pattern[str]
    method: str | None = None
    status: int | None = None
    rate: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    job: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "path": self.path.pattern, "method": self.method, "status": self.status, "rate": self.rate,
            "count": self.count, "retryAfter": self.retry_after, "latencyMs": self.latency_ms, "job": self.job,
        }


def parse_fault(body: Any, ident: int) -> Fault:
    if not isinstance(body, dict):
        raise bad_body("a fault must be an object")
    try:
        path = re.compile(str(body.get("path", ".*")))
    except re.error as exc:
        raise bad_body(f"path is not a valid regular expression: {exc}", "$.path") from None
    status = body.get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise bad_body("status must be an HTTP error status (400-599)", "$.status")
    rate = body.get("rate", 1.0)
    if not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise bad_body("rate must be a number between 0 and 1", "$.rate")
    count = body.get("count")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise bad_body("count must be a positive integer", "$.count")
    job = body.get("job")
    if job not in (None, "fail", "hang"):
        raise bad_body("job must be 'fail' or 'hang'", "$.job")
    latency = body.get("latencyMs", 0)
    retry_after = body.get("retryAfter")
    if not isinstance(latency, int) or latency < 0 or (retry_after is not None and not isinstance(retry_after, int)):
        raise bad_body("latencyMs and retryAfter must be non-negative integers")
    if status is None and job is None and not latency:
        raise bad_body("a fault needs a status, a job behaviour or a latency")
    method = body.get("method")
    return Fault(ident, path, method.upper() if isinstance(method, str) else None, status, float(rate), count, retry_after, latency, job)


@dataclass
class FaultBook:
    """The active faults and the log of requests seen, shared by the middleware and the job runner."""

    seed: int = 0
    faults: list[Fault] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    rng: random.Random = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 1
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def add(self, body: Any) -> Fault:
        with self.lock:
            fault = parse_fault(body, self._next)
            if isinstance(body, dict) and isinstance(body.get("seed"), int):
                self.rng = random.Random(body["seed"])
            self._next += 1
            self.faults.append(fault)
            return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.rng = random.Random(self.seed)
            self.release.set()  # hanging jobs finish (as failed) once their fault is cleared
            self.release = threading.Event()

    def request_fault(self, method: str, path: str) -> tuple[int, Fault | None]:
        """Latency to add (ms) and the status fault to answer with, if any; consumes counted faults."""
        latency, hit = 0, None
        with self.lock:
            for fault in list(self.faults):
                if fault.job or not fault.path.search(path) or (fault.method and fault.method != method):
                    continue
                latency = max(latency, fault.latency_ms)
                if fault.status is None or hit is not None:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    hit = fault
                elif self.rng.random() < fault.rate:
                    hit = fault
        return latency, hit

    def job_fault(self, path: str) -> str | None:
        with self.lock:
            for fault in list(self.faults):
                if fault.job and fault.path.search(path):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault.job
        return None

    def record(self, method: str, path: str, query: str, status: int, started: float, trace_id: str | None = None) -> None:
        with self.lock:
            self.log.append({"method": method, "path": path, "query": query, "status": status, "time": started,
                             "durationMs": round((time.time() - started) * 1000, 3), "traceId": trace_id})
            if len(self.log) > 100_000:
                del self.log[:10_000]
