"""Fault injection and the request log (admin API, not Orgvue): reproducible with a seeded generator."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from orgsync.emulator.errors import bad_body
from orgsync.emulator.globmatch import GlobError, compile_glob, glob_match

ERROR_NAMES = {
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class Fault:
    """Matches requests by method and path glob (`orgsync.emulator.globmatch`); answers `status` to each matching
    call with probability `rate`, at most `count` times when given (then it is removed), adds `latency_ms`, makes
    the jobs it matches `fail` or `hang`, or `hold`s requests until released.

    A hold lets a test put a request in flight at a known point: the request waits before it is handled
    until `release` (or clearing the faults) lets it go, so no test has to race a latency.

    A status fault answers with `code`/`name` when given (e.g. 403 `40345 TenantUsagePlanNotConfigured`);
    `rename` renames top-level fields of matching JSON answers (`{"getUrl": "readUrl"}`)."""

    id: int
    path: str  # as given
    globs: tuple[str, ...] = ("*",)  # normalised for `glob_match`; any one matching is a match
    method: str | None = None
    status: int | None = None
    rate: float = 1.0
    count: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    job: str | None = None
    hold: bool = False
    code: str | None = None
    name: str | None = None
    rename: dict[str, str] = field(default_factory=dict)
    waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list, repr=False)

    def matches(self, path: str) -> bool:
        return any(glob_match(glob, path) for glob in self.globs)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "rate": self.rate,
            "count": self.count,
            "retryAfter": self.retry_after,
            "latencyMs": self.latency_ms,
            "job": self.job,
            "hold": self.hold,
            "held": len(self.waiting),
            "code": self.code,
            "name": self.name,
            "rename": self.rename,
        }

    def release(self, count: int | None = None) -> None:
        """Let the `count` longest-held requests (all when None) go on; call with the book's lock held."""
        let_go = self.waiting[:count] if count is not None else list(self.waiting)
        del self.waiting[: len(let_go)]
        for loop, event in let_go:
            with contextlib.suppress(RuntimeError):  # its event loop has closed: nothing waits any more
                loop.call_soon_threadsafe(event.set)


def parse_fault(body: Any, ident: int) -> Fault:
    if not isinstance(body, dict):
        raise bad_body("a fault must be an object")
    path = str(body.get("path", "*"))
    try:
        globs = compile_glob(path)
    except GlobError as exc:
        raise bad_body(str(exc), "$.path") from None
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
    if (
        not isinstance(latency, int)
        or latency < 0
        or (retry_after is not None and not isinstance(retry_after, int))
    ):
        raise bad_body("latencyMs and retryAfter must be non-negative integers")
    code, name = body.get("code"), body.get("name")
    if (code is not None and not isinstance(code, str)) or (name is not None and not isinstance(name, str)):
        raise bad_body('code and name must be strings (codes are strings: "40345")')
    if (code is not None or name is not None) and status is None:
        raise bad_body("code and name need a status to answer with", "$.status")
    rename = body.get("rename", {})
    if not isinstance(rename, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in rename.items()
    ):
        raise bad_body("rename must map answer field names to new names", "$.rename")
    hold = body.get("hold", False)
    if not isinstance(hold, bool) or (hold and (status is not None or job is not None or count is not None)):
        raise bad_body(
            "hold must be true or false; a hold fault has no status, job or count (release held "
            "requests with POST /_emulator/faults/{id}/release)",
            "$.hold",
        )
    if status is None and job is None and not latency and not hold and not rename:
        raise bad_body("a fault needs a status, a job behaviour, a latency or a hold")
    method = body.get("method")
    return Fault(
        ident,
        path,
        globs,
        method.upper() if isinstance(method, str) else None,
        status,
        float(rate),
        count,
        retry_after,
        latency,
        job,
        hold,
        code,
        name,
        dict(rename),
    )


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
    active: int = 0  # API and file requests being handled now (a test waits for 0 before it reads the tenant)

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
            for fault in self.faults:
                fault.release()
            self.faults.clear()
            self.rng = random.Random(self.seed)
            self.release.set()  # hanging jobs finish (as failed) once their fault is cleared
            self.release = threading.Event()

    def request_fault(self, method: str, path: str) -> tuple[int, Fault | None]:
        """Latency to add (ms) and the status fault to answer with, if any; consumes counted faults."""
        latency, hit = 0, None
        with self.lock:
            for fault in list(self.faults):
                if (
                    fault.job
                    or fault.hold
                    or fault.rename
                    or not fault.matches(path)
                    or (fault.method and fault.method != method)
                ):
                    continue
                latency = max(latency, fault.latency_ms)
                if fault.status is None or hit is not None:
                    continue
                if self._fires(fault):
                    hit = fault
        return latency, hit

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count one request as being handled while inside, however it ends (answered, failed, cancelled)."""
        with self.lock:
            self.active += 1
        try:
            yield
        finally:
            with self.lock:
                self.active -= 1

    async def hold(self, method: str, path: str) -> None:
        """Wait while a hold fault matches this request (the first one only), until it is released or cleared."""
        with self.lock:
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.hold and f.matches(path) and (not f.method or f.method == method)
                ),
                None,
            )
            if fault is None:
                return
            entry = (asyncio.get_running_loop(), asyncio.Event())
            fault.waiting.append(entry)
        try:
            await entry[1].wait()
        finally:
            with self.lock:
                if entry in fault.waiting:  # cancelled while held: no longer counted as held
                    fault.waiting.remove(entry)

    def release_held(self, ident: int, count: int | None) -> Fault | None:
        """Let held requests of fault `ident` go on (the `count` longest-held, or all); None if no such fault."""
        with self.lock:
            fault = next((f for f in self.faults if f.id == ident), None)
            if fault is not None:
                fault.release(count)
            return fault

    def renames(self, method: str, path: str) -> dict[str, str]:
        """The field renames to apply to this request's JSON answer."""
        with self.lock:
            out: dict[str, str] = {}
            for fault in self.faults:
                if fault.rename and fault.matches(path) and (not fault.method or fault.method == method):
                    out.update(fault.rename)
            return out

    def job_fault(self, path: str) -> str | None:
        with self.lock:
            for fault in list(self.faults):
                if fault.job and fault.matches(path) and self._fires(fault):
                    return fault.job
        return None

    def _fires(self, fault: Fault) -> bool:
        """Roll `rate` (always without `count`, so seeded runs repeat; with `count` only below 1), then spend one of
        `count`: a counted fault answers its first `count` dice hits, then is removed. Called under the lock."""
        if (fault.count is None or fault.rate < 1) and not self.rng.random() < fault.rate:
            return False
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self.faults.remove(fault)
        return True

    def record(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        started: float,
        trace_id: str | None = None,
        *,
        content_type: str | None = None,
        authorization: bool = False,
    ) -> None:
        """Log one request: `contentType` as sent (None: no header), `authorization` whether one was sent."""
        with self.lock:
            self.log.append(
                {
                    "method": method,
                    "path": path,
                    "query": query,
                    "status": status,
                    "time": started,
                    "durationMs": round((time.time() - started) * 1000, 3),
                    "traceId": trace_id,
                    "contentType": content_type,
                    "authorization": authorization,
                }
            )
            if len(self.log) > 100_000:
                del self.log[:10_000]
