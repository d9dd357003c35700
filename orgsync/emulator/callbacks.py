"""The `callback` of async requests: checked when the job is requested, sent when it ends completed or failed.

Only loopback hosts may be called unless the emulator was started with `allow_remote_callbacks`: an
emulator must not be a way to make a machine send requests to hosts of a caller's choosing.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import httpx

from orgsync.emulator.errors import bad_body

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
METHODS = ("GET",)
PLACEHOLDERS = ("jobStatus", "traceId", "tenantId")
# D/working/async/: "For all asynchronous operations, the API provides a jobStatus and traceId template
# parameters"; `{{tenantId}}` appears only in the examples of D/items/drafts/ (the import and the draft apply),
# so only those job kinds fill it in; elsewhere it is left as written, like any other unknown parameter.
TENANT_KINDS = frozenset({"import", "draftApply"})
TIMEOUT_SECONDS = 2.0
_SAMPLE = {
    "jobStatus": "completed",
    "traceId": "Root%3D1-00000000-000000000000000000000000",
    "tenantId": "TENANT",
}


@dataclass(frozen=True)
class Callback:
    """A documented callback: `{"method": "GET", "urlTemplate": "...{{jobStatus}}..."}`, called without a body."""

    method: str
    url_template: str

    def url(self, job_status: str, trace_id: str, tenant_id: str, kind: str = "import") -> str:
        """The template with `{{jobStatus}}` and `{{traceId}}` replaced (URL-encoded), and `{{tenantId}}` too for
        the job kinds whose page shows it (TENANT_KINDS)."""
        values = {"jobStatus": job_status, "traceId": trace_id}
        if kind in TENANT_KINDS:
            values["tenantId"] = tenant_id
        return render(self.url_template, values)


def render(template: str, values: dict[str, str]) -> str:
    """Replace each `{{name}}` of PLACEHOLDERS given in `values` with its URL-encoded value; other text is kept."""
    out = template
    for name in PLACEHOLDERS:
        if name in values:
            out = out.replace("{{" + name + "}}", urllib.parse.quote(values[name], safe=""))
    return out


def parse_callback(body: Any, *, allow_remote: bool) -> Callback | None:
    """The request body's `callback` (None when absent); a 400 for a bad one or a non-loopback host."""
    if not isinstance(body, dict) or body.get("callback") is None:
        return None
    spec = body["callback"]
    if not isinstance(spec, dict):
        raise bad_body(
            'callback must be an object {"method": "GET", "urlTemplate": "https://…"}', "$.callback"
        )
    method = spec.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise bad_body(
            "callback.method must be GET (the documented callback is a GET without a body)",
            "$.callback.method",
        )
    template = spec.get("urlTemplate")
    if template is None and "url" in spec:
        raise bad_body(
            "callback needs urlTemplate (with {{jobStatus}}, {{traceId}}, {{tenantId}} where wanted), not url",
            "$.callback.urlTemplate",
        )
    try:
        parsed = httpx.URL(render(template, _SAMPLE)) if isinstance(template, str) else None
    except httpx.InvalidURL:
        parsed = None
    if (
        not isinstance(template, str)
        or parsed is None
        or parsed.scheme not in ("http", "https")
        or not parsed.host
    ):
        raise bad_body("callback.urlTemplate must be an absolute http(s) URL", "$.callback.urlTemplate")
    if not allow_remote and parsed.host.lower() not in LOOPBACK_HOSTS:
        raise bad_body(
            f"callback.urlTemplate host {parsed.host!r} is not loopback (127.0.0.1, localhost, ::1); this emulator "
            "only calls back to its own machine unless started with allow_remote_callbacks",
            "$.callback.urlTemplate",
        )
    return Callback(method.upper(), template)


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


def send(callback: Callback, url: str) -> dict[str, Any]:
    """Make the GET with a short timeout and no redirects; never raises, returns the outcome to log."""
    outcome: dict[str, Any] = {"method": callback.method, "url": url, "time": time.time()}
    try:
        # follow_redirects=False: a loopback URL must not be able to bounce the call to another host
        response = httpx.request(callback.method, url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
        outcome["status"] = response.status_code
    except httpx.HTTPError as exc:
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    return outcome
