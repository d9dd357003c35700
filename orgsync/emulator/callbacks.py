"""The `callback` of async requests: checked when the job is requested, sent when it ends completed or failed.

Only loopback hosts may be called unless the emulator was started with `allow_remote_callbacks`: an
emulator must not be a way to make a machine send requests to hosts of a caller's choosing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from orgsync.emulator.errors import bad_body

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
METHODS = ("GET", "POST", "PUT")
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Callback:
    """Where and how to call back: `POST`/`PUT` carry the final jobTicket as JSON, `GET` has no body."""

    method: str
    url: str


def parse_callback(body: Any, *, allow_remote: bool) -> Callback | None:
    """The request body's `callback` (None when absent); a 400 for a bad one or a non-loopback host."""
    if not isinstance(body, dict) or body.get("callback") is None:
        return None
    spec = body["callback"]
    if not isinstance(spec, dict):
        raise bad_body("callback must be an object {method, url}", "$.callback")
    method = spec.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise bad_body(f"callback.method must be one of {', '.join(METHODS)}", "$.callback.method")
    url = spec.get("url")
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else None
    except httpx.InvalidURL:
        parsed = None
    if not isinstance(url, str) or parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad_body("callback.url must be an absolute http(s) URL", "$.callback.url")
    if not allow_remote and parsed.host.lower() not in LOOPBACK_HOSTS:
        raise bad_body(f"callback.url host {parsed.host!r} is not loopback (127.0.0.1, localhost, ::1); this emulator only "
                       "calls back to its own machine unless started with allow_remote_callbacks", "$.callback.url")
    return Callback(method.upper(), url)


@dataclass
class CallbackLog:
    """Every callback attempt, for the admin API: `{jobId, jobStatus, method, url, status|error, time}`."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def send(callback: Callback, ticket: dict[str, Any]) -> dict[str, Any]:
    """Make the call with a short timeout and no redirects; never raises, returns the outcome to log."""
    outcome: dict[str, Any] = {"method": callback.method, "url": callback.url, "time": time.time()}
    json_body = None if callback.method == "GET" else ticket
    try:
        # follow_redirects=False: a loopback URL must not be able to bounce the call to another host
        response = httpx.request(callback.method, callback.url, json=json_body, timeout=TIMEOUT_SECONDS, follow_redirects=False)
        outcome["status"] = response.status_code
    except httpx.HTTPError as exc:
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    return outcome
