"""`orgsync doctor`: a read-only check that orgsync and the tenant agree, one row each: OK / problem / what to do.

Run it first against a real tenant, and in CI before apply. It reads (the endpoint, TLS, the token's own dates,
the dataset list) and makes one temporary file, which expires by itself: it writes nothing to any dataset.
Exit 0 when everything apply needs works (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import httpx
import orjson

from orgsync.api import endpoints as ep
from orgsync.api import files
from orgsync.api import token as tokens
from orgsync.api.http import HttpCore, trace_id_of
from orgsync.api.quota import DAILY_QUOTA, MAX_IN_FLIGHT, MAX_RPS
from orgsync.api.regions import REGION_HOSTS, region_of, tokens_page
from orgsync.api.retry import RetryPolicy
from orgsync.api.target import is_local, open_client, target_label
from orgsync.errors import (
    ApiError,
    AuthError,
    ExitCode,
    OrgsyncError,
    TenantNotEnabledError,
    TransportError,
    UnexpectedAnswerError,
)
from orgsync.manifest.loader import load_project, resolve_token
from orgsync.manifest.models import Project

TOKEN_WARN_DAYS = 14
CLOCK_WARN_SECONDS = 60.0  # token dates and presigned URLs are checked against Orgvue's clock
TLS_TIMEOUT = 10.0
_RATE_HEADERS = ("ratelimit", "rate-limit", "retry-after", "x-amzn-ratelimit", "quota")


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"  # works, but needs attention
    FAIL = "FAIL"  # apply would not work
    SKIP = "SKIP"  # not checked (not needed here, or an earlier check failed)


@dataclass(frozen=True)
class Check:
    """One row: what was checked, how it went, what was seen, and what to do about it."""

    name: str
    status: Status
    detail: str
    todo: str = ""


@dataclass
class Report:
    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != Status.FAIL for c in self.checks)

    def add(self, name: str, status: Status, detail: str, todo: str = "") -> None:
        self.checks.append(Check(name, status, detail, todo))

    def skip_rest(self, names: list[str], why: str) -> None:
        for name in names:
            self.add(name, Status.SKIP, why)


NETWORK_CHECKS = [
    "authentication",
    "tenant",
    "datasets",
    "temporary file",
    "trace id",
    "rate-limit headers",
    "clock",
]


def run_doctor(
    root: Path,
    fmt: str = "text",
    env: Mapping[str, str] | None = None,
    *,
    stdout: TextIO | None = None,
    now: Callable[[], datetime] | None = None,
    record: Path | None = None,
    names: bool = False,
    probe_writes: str | None = None,
) -> int:
    """Run every check, print the rows (`text` or `json`), return 0 when apply would work, else 1.

    `record`: also run the probes of `orgsync.api.probes` and write their transcript there (see doctor_record)."""
    report = asyncio.run(diagnose(Path(root), env, now=now or (lambda: datetime.now(UTC))))
    out = stdout or sys.stdout
    out.write(render_json(report) if fmt == "json" else render_text(report))
    if record is not None:
        from orgsync.commands.doctor_record import SEND_TO, record_transcript

        count = record_transcript(Path(root), env, record, names=names, probe_writes=probe_writes)
        (sys.stderr if fmt == "json" else out).write(
            f"Transcript of {count} probe(s) written to {record}: {SEND_TO}.\n"
        )
    out.flush()
    return int(ExitCode.OK if report.ok else ExitCode.ERROR)


async def diagnose(root: Path, env: Mapping[str, str] | None, *, now: Callable[[], datetime]) -> Report:
    """The rows, in the order a user fixes things: repository, endpoint, TLS, token, then the tenant itself."""
    try:
        project = load_project(root, env)
    except OrgsyncError as err:
        report = Report(f"Target: {root}")
        report.add(
            "repository",
            Status.FAIL,
            err.message,
            err.hint or "fix orgsync.yaml and the manifests (`orgsync validate` lists every problem)",
        )
        return report
    try:
        label = target_label(project)
    except OrgsyncError as err:
        report = Report(f"Target: {project.config.endpoint}")
        report.add("endpoint", Status.FAIL, err.message, err.hint or "")
        return report
    report = Report(label)
    _endpoint(report, project)
    if not await _tls(report, project):
        report.skip_rest(["token", *NETWORK_CHECKS], "not checked: TLS failed")
        return report
    token = None if is_local(project) else resolve_token(env, Path(project.root))
    _token(report, project, token, now())
    if not is_local(project) and not token:
        report.skip_rest(NETWORK_CHECKS, "not checked: no token")
        return report
    client = open_client(project, env, retry=RetryPolicy(attempts=2, base=0.2, cap=1.0))
    async with client:
        await _tenant(report, project, client.http, now)
    return report


def _endpoint(report: Report, project: Project) -> None:
    if is_local(project):
        report.add("endpoint", Status.OK, "local: the embedded emulator, not a real tenant")
        return
    url = project.config.endpoint.strip().rstrip("/")
    region = region_of(url)
    if region:
        report.add("endpoint", Status.OK, f"{urlsplit(url).hostname} is Orgvue's {region} host")
        return
    report.add(
        "endpoint",
        Status.WARN,
        f"{urlsplit(url).hostname} is not a known Orgvue region host",
        "a real tenant is at one of "
        + ", ".join(f"https://{h}" for h in REGION_HOSTS)
        + " (fine for the emulator or a proxy you trust)",
    )


async def _tls(report: Report, project: Project) -> bool:
    """A TLS handshake with the endpoint's host: version and certificate end date (plain http: loopback only)."""
    if is_local(project):
        report.add("TLS", Status.SKIP, "not needed: the local target runs in this process")
        return True
    parts = urlsplit(project.config.endpoint.strip())
    if parts.scheme != "https":
        report.add("TLS", Status.SKIP, f"plain http to {parts.hostname} on this machine (the emulator)")
        return True
    host, port = parts.hostname or "", parts.port or 443
    try:
        version, not_after = await asyncio.to_thread(_handshake, host, port)
    except (OSError, ssl.SSLError, ValueError) as err:
        report.add(
            "TLS",
            Status.FAIL,
            f"no TLS connection to {host}:{port}: {type(err).__name__}: {err}",
            "check the endpoint URL, the network or proxy (HTTPS_PROXY), and the CA certificates "
            "(SSL_CERT_FILE) of this machine",
        )
        return False
    until = f", certificate valid until {not_after}" if not_after else ""
    report.add("TLS", Status.OK, f"{version} with {host}{until}")
    return True


def _handshake(host: str, port: int) -> tuple[str, str | None]:
    """The negotiated TLS version and the certificate's notAfter, with the CA bundle httpx uses."""
    try:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - httpx depends on certifi
        context = ssl.create_default_context()
    with (
        socket.create_connection((host, port), timeout=TLS_TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert() or {}
        not_after = cert.get("notAfter")
        return tls.version() or "TLS", str(not_after) if not_after else None


def _token(report: Report, project: Project, token: str | None, now: datetime) -> None:
    if is_local(project):
        report.add("token", Status.SKIP, "not needed: the local target takes no token")
        return
    page = tokens_page(project.config.endpoint)
    if not token:
        report.add(
            "token",
            Status.FAIL,
            "no token: ORGVUE_TOKEN and ORGVUE_TOKEN_FILE are not set",
            f"make a token on the Tokens page ({page}) and put it in ORGVUE_TOKEN",
        )
        return
    expiry = tokens.expires_at(token)
    if expiry is None:
        report.add(
            "token",
            Status.WARN,
            "present; its expiry cannot be read (not a JWT with an `exp` claim)",
            f"the Tokens page ({page}) shows its end date",
        )
        return
    days = (expiry - now).total_seconds() / 86_400
    when = tokens.when(expiry)
    if days <= 0:
        report.add("token", Status.FAIL, f"expired on {when}", f"make a new one on the Tokens page ({page})")
    elif days < TOKEN_WARN_DAYS:
        report.add(
            "token",
            Status.WARN,
            f"expires on {when}, in {days:.0f} day(s)",
            f"make a new one on the Tokens page ({page}) before then, and update ORGVUE_TOKEN",
        )
    else:
        report.add(
            "token",
            Status.OK,
            f"present, expires on {when} (in {days:.0f} days; read from the token, not verified)",
        )


async def _tenant(report: Report, project: Project, core: HttpCore, now: Callable[[], datetime]) -> None:
    """Authentication, the tenant, the datasets, a temporary file, headers and the clock, from real answers."""
    answers: list[httpx.Response] = []
    try:
        response = await core.send("GET", ep.DATASETS, retry_safe=True)
    except ApiError as err:
        _refused(report, err)
        return
    answers.append(response)
    if is_local(project):
        report.add("authentication", Status.SKIP, "not needed: the local target takes no token")
    else:
        report.add("authentication", Status.OK, "the token was accepted")
    report.add("tenant", Status.OK, f"{project.config.tenant} is enabled for the API")
    listed = _listed(response)
    if listed is None:
        report.add(
            "datasets",
            Status.FAIL,
            "the dataset list is not a JSON array",
            "report it to Orgvue support with the X-Amzn-Trace-Id",
        )
    else:
        report.add("datasets", Status.OK, f"{len(listed)} dataset(s) listed")
        _manifests(report, project, listed)
    await _temporary_file(report, core, answers)
    _trace(report, answers)
    _rate_headers(report, answers)
    _clock(report, answers, now())


def _refused(report: Report, err: ApiError) -> None:
    """Which row a refused first request fails, with the plain-words hint of its code."""
    todo = err.hint or ""
    if isinstance(err, TenantNotEnabledError):
        report.add("authentication", Status.SKIP, "not known until the tenant is enabled")
        report.add("tenant", Status.FAIL, err.message, todo)
        report.skip_rest(NETWORK_CHECKS[2:], "not checked: the tenant is not enabled")
    elif isinstance(err, AuthError):
        report.add("authentication", Status.FAIL, err.message, todo)
        report.skip_rest(NETWORK_CHECKS[1:], "not checked: authentication failed")
    elif isinstance(err, TransportError):
        report.add("authentication", Status.FAIL, err.message, todo)
        report.skip_rest(NETWORK_CHECKS[1:], "not checked: the API cannot be reached")
    else:
        report.add("authentication", Status.OK, "the token was accepted")
        report.add("tenant", Status.OK, "enabled for the API")
        report.add(
            "datasets", Status.FAIL, err.message, todo or "the token's user needs access to the datasets"
        )
        report.skip_rest(NETWORK_CHECKS[3:], "not checked: the dataset list failed")


def _listed(response: httpx.Response) -> list[dict[str, object]] | None:
    try:
        data = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else None


def _manifests(report: Report, project: Project, listed: list[dict[str, object]]) -> None:
    """Each manifest's dataset: found (by `datasetId` pin or name), or will be created; two by one name fail."""
    for manifest in project.manifests:
        name = manifest.name
        pin = getattr(manifest, "datasetId", None)
        row = f"dataset {name}"
        if pin:
            found = [d for d in listed if d.get(ep.F_DATASET_ID) == pin]
            if found:
                report.add(row, Status.OK, f"found by its datasetId pin {pin}")
            else:
                report.add(
                    row,
                    Status.FAIL,
                    f"the pinned datasetId {pin} is not in the tenant",
                    "correct or remove `datasetId:` in the manifest",
                )
            continue
        named = [d for d in listed if d.get(ep.F_NAME) == name]
        if len(named) == 1:
            report.add(
                row, Status.OK, f"found ({named[0].get(ep.F_DATASET_ID)}, type {named[0].get(ep.F_TYPE)})"
            )
        elif not named:
            report.add(row, Status.OK, "not in the tenant yet: apply will create it")
        else:
            report.add(
                row,
                Status.FAIL,
                f"{len(named)} datasets have this name",
                "pin the intended one with `datasetId:` in its manifest",
            )


async def _temporary_file(report: Report, core: HttpCore, answers: list[httpx.Response]) -> None:
    """Generate a temporary file, write a few bytes, read them back: proves the assumed answer field names."""
    probe = orjson.dumps({"orgsync-doctor": secrets.token_hex(8)})
    step = "generated"
    try:
        response = await core.send(
            "POST", ep.TEMPORARY_FILE, retry_safe=True, json=ep.temporary_file_body("json", False)
        )
        answers.append(response)
        temp = files.temporary_from_answer(core, response)
        step = "written"
        await files.upload(core, temp, probe, content_type="application/json")
        step = "read back"
        back = await files.download(core, temp.get_url)
    except UnexpectedAnswerError as err:
        report.add("temporary file", Status.FAIL, err.message, err.hint or "")
        return
    except ApiError as err:
        report.add("temporary file", Status.FAIL, f"not {step}: {err.message}", err.hint or "")
        return
    if back != probe:
        report.add(
            "temporary file",
            Status.FAIL,
            f"read back {len(back)} bytes that differ from the {len(probe)} written",
            "report it with the X-Amzn-Trace-Id",
        )
        return
    names = ", ".join(sorted(orjson.loads(response.content)))
    style = "flat URL fields" if temp.style == "flat" else f"{ep.F_LINKS} told apart by type"
    report.add(
        "temporary file",
        Status.OK,
        f"generated ({names}: {style}), {len(probe)} bytes written and read back; it expires by itself",
    )


def _trace(report: Report, answers: list[httpx.Response]) -> None:
    ids = [t for t in (trace_id_of(r) for r in answers) if t]
    if ids:
        report.add("trace id", Status.OK, f"answers carry {ep.TRACE_HEADER} (e.g. {ids[0]})")
    else:
        report.add(
            "trace id",
            Status.WARN,
            f"the answers carry no {ep.TRACE_HEADER}",
            "Orgvue support finds requests by it: expected from a real tenant (a proxy may drop it)",
        )


def _rate_headers(report: Report, answers: list[httpx.Response]) -> None:
    seen: dict[str, str] = {}
    for response in answers:
        for name, value in response.headers.items():
            if (
                any(word in name.lower() for word in _RATE_HEADERS)
                and value.isprintable()
                and len(value) < 80
            ):
                seen[name] = value
    documented = (
        f"the documented limits apply: {MAX_RPS} requests/s, {MAX_IN_FLIGHT} at once, {DAILY_QUOTA:,} a day"
    )
    if seen:
        report.add(
            "rate-limit headers",
            Status.OK,
            ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())) + f" ({documented})",
        )
    else:
        report.add("rate-limit headers", Status.OK, f"none sent; {documented}")


def _clock(report: Report, answers: list[httpx.Response], now: datetime) -> None:
    date = next((r.headers.get("Date") for r in answers if r.headers.get("Date")), None)
    if not date:
        report.add("clock", Status.SKIP, "the answers carry no Date header")
        return
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        report.add("clock", Status.SKIP, "the Date header cannot be read")
        return
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    offset = (now - server).total_seconds()
    where = "ahead of" if offset > 0 else "behind"
    if abs(offset) > CLOCK_WARN_SECONDS:
        report.add(
            "clock",
            Status.WARN,
            f"this machine's clock is about {abs(offset) / 60:.0f} min {where} Orgvue's",
            "token start/end dates and presigned URLs go by the clock: sync this machine's clock (NTP)",
        )
    else:
        report.add("clock", Status.OK, f"within {CLOCK_WARN_SECONDS:.0f} s of Orgvue's (Date header)")


def render_text(report: Report) -> str:
    lines = [report.target]
    for check in report.checks:
        lines.append(f"  {check.status.value:<5} {check.name:<22} {check.detail}")
        if check.todo:
            lines.append(f"  {'':<5} {'':<22} → {check.todo}")
    lines.append(
        "All checks passed: apply can work against this tenant."
        if report.ok
        else "Some checks failed: apply would not work until they are fixed."
    )
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    body = {
        "target": report.target,
        "ok": report.ok,
        "checks": [{**asdict(c), "status": c.status.value} for c in report.checks],
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"
