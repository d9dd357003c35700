"""The HTTP core under the API client: auth, rate limit, retries, error mapping, stats and call log.

One request goes out through `HttpCore.send`; whether it may be repeated after a lost answer is the
caller's explicit `retry_safe` flag. The bearer token is added only to URLs under the API base (never to
presigned file URLs or other hosts) and is scrubbed from every message this module builds.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from orgsync.api import endpoints as ep
from orgsync.api.bounded import Clock, exchange
from orgsync.api.budget import TenantBudget
from orgsync.api.explain import explain
from orgsync.api.retry import RetryPolicy
from orgsync.errors import (
    ApiError,
    AuthError,
    MaybeAppliedError,
    NotFoundError,
    PayloadTooLargeError,
    PresignedUrlRefused,
    QuotaExceededError,
    TenantNotEnabledError,
    ThrottledError,
    TransportError,
)
from orgsync.limits import ResourceLimits, limits_from

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=120.0, pool=60.0)
# Failures where the request provably never reached the server: safe to repeat for any method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_SERVER_ERROR = 500
_REDIRECT = 300  # not followed (the token must not travel elsewhere), so never a success either
_PLAIN_WORD = re.compile(r"[A-Za-z]{1,20}")
TRACE_HEADER = "X-Amzn-Trace-Id"  # Orgvue support traces a request by it (ENDPOINTS.md, errors)
_SCHEMA_PATH = re.compile(
    r"/api/v1/[^/]+/(?:datasets|links)(?:/[^/]+)?"
)  # dataset/links resources: no values
_WHERE = (
    "pathParameter",
    "queryParameter",
    "jsonBody",
    "resourcePath",
)  # field names an error entry may name
_TOO_MANY = 429
_PAYLOAD_TOO_LARGE = 413
_STORAGE_REFUSALS = (400, 401, 403, 404)  # what a presigned storage host answers for an expired/invalid URL
QUOTA_EXCEEDED = "42902"
TENANT_NOT_ENABLED = "40345"
_TRACE_TEXT = re.compile(r"[A-Za-z0-9=;:.\-]{1,200}")
_TRACES: ContextVar[list[str] | None] = ContextVar("orgsync_trace_ids", default=None)


@contextlib.contextmanager
def collect_trace_ids() -> Iterator[list[str]]:
    """The X-Amzn-Trace-Id of every answer received in this block (same task), in order, for reports."""
    ids: list[str] = []
    reset = _TRACES.set(ids)
    try:
        yield ids
    finally:
        _TRACES.reset(reset)


@dataclass
class ClientStats:
    """Counters for reports and benchmarks (bytes as sent and received on the wire)."""

    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


@dataclass(frozen=True)
class CallRecord:
    """One attempt: method, URL path (no host, no URL query), status (None when no answer), duration, bytes.

    `query` holds only the request options orgsync chose (`params`), never a presigned link's query: names,
    with the value only when it is a plain word of letters (`autoId=true&dateFormat`, see `_shown_query`).
    """

    method: str
    path: str
    status: int | None
    seconds: float
    attempt: int = 1
    query: str = ""
    bytes_sent: int = 0
    bytes_received: int = 0
    trace_id: str | None = None  # the answer's X-Amzn-Trace-Id, when it had one


CallListener = Callable[[CallRecord], None]


@dataclass
class _Secret:
    """Holds the token; its repr never shows it."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "_Secret(***)"


class HttpCore:
    """httpx.AsyncClient with the Orgvue conventions; shared by concurrent asyncio workers."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        token: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_rps: float | None = None,
        timeout: httpx.Timeout | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_call: CallListener | None = None,
        limits: ResourceLimits | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limits = limits or limits_from()  # answer size and overall deadline (environment only)
        self._clock = clock
        self.tenant = tenant
        self.api_base = ep.api_base(self.base_url, tenant)
        self.retry = retry or RetryPolicy()
        self.stats = ClientStats()
        self.log: list[CallRecord] = []
        self._on_call = on_call  # told of each record as it is made (e.g. `--verbose` lines)
        self._token = _Secret(token or "")
        self._sleep = sleep
        self.budget = TenantBudget(max_rps, sleep=sleep)  # the tenant's documented limits, for every worker
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout or DEFAULT_TIMEOUT,
            headers={"Accept-Encoding": "gzip", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"HttpCore({self.base_url!r}, tenant={self.tenant!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    def url(self, path: str) -> str:
        """Absolute URL of an endpoint path (relative to the API base); absolute URLs pass unchanged."""
        return path if path.startswith(("http://", "https://")) else self.api_base + path

    def resolve(self, link: str) -> str:
        """Absolute URL of a HATEOAS or presigned link, which the service may give relative to its host."""
        return urljoin(self.base_url + "/", link)

    def link(self, resource: dict[str, Any] | None, rel: str) -> str | None:
        """The resolved `_links[rel].url` of a response, or None when the service gave none."""
        url = ep.link_url(resource, rel)
        return self.resolve(url) if url else None

    def is_api_url(self, url: str) -> bool:
        """True for URLs under this tenant's API base: only those get the Authorization header."""
        return url == self.api_base or url.startswith(self.api_base + "/")

    def redact(self, text: str) -> str:
        """The text with the token (if it somehow got in) replaced by ***."""
        secret = self._token.value
        return text.replace(secret, "***") if secret else text

    async def send(
        self,
        method: str,
        url_or_path: str,
        *,
        retry_safe: bool,
        json: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        sink: IO[bytes] | None = None,
    ) -> httpx.Response:
        """Send one request, retrying as the policy and `retry_safe` allow; errors become ApiError kinds."""
        url = self.url(url_or_path)
        body = orjson.dumps(json) if json is not None else content
        hdrs = self._headers(url, headers, json is not None)
        query = _query(params)
        shown = _shown_query(query)
        attempt = 1
        while True:
            started = time.perf_counter()
            try:
                async with self.budget.slot():  # at most 50 in flight and 100 a second, for the whole tenant
                    started = time.perf_counter()
                    self.stats.requests += 1
                    self.stats.bytes_sent += len(body or b"")
                    if sink is not None:
                        sink.seek(0)
                        sink.truncate()
                    request = self._http.build_request(method, url, content=body, params=query, headers=hdrs)
                    response = await exchange(
                        self._http,
                        request,
                        self.limits,
                        self._clock,
                        sink=sink,
                        max_bytes=self.limits.download_bytes if sink else self.limits.answer_bytes,
                    )
            except httpx.TransportError as exc:
                self._record(
                    CallRecord(
                        method, urlsplit(url).path, None, _since(started), attempt, shown, len(body or b"")
                    )
                )
                not_sent = isinstance(exc, _NOT_SENT)
                if attempt < self.retry.attempts and (retry_safe or not_sent):
                    await self.pause_for_retry(self.retry.backoff(attempt))
                    attempt += 1
                    continue
                raise self._transport_error(
                    method, url, exc, maybe_applied=not (retry_safe or not_sent)
                ) from None
            # wire bytes (compressed) when streamed; pre-built responses report 0, so count their body
            received = response.num_bytes_downloaded or len(response.content) or (sink.tell() if sink else 0)
            self.stats.bytes_received += received
            trace = trace_id_of(response)
            self._record(
                CallRecord(
                    method,
                    urlsplit(url).path,
                    response.status_code,
                    _since(started),
                    attempt,
                    shown,
                    len(body or b""),
                    received,
                    trace,
                )
            )
            if response.status_code == _TOO_MANY:
                if QUOTA_EXCEEDED in _codes(
                    response
                ):  # retrying the same day cannot succeed: stop everything
                    err = self._api_error(method, url, response)
                    assert isinstance(err, QuotaExceededError)
                    self.budget.quota_exceeded(err)
                    raise err
                if attempt < self.retry.attempts:  # 42901 (or a bare 429): refused unprocessed, always safe
                    delay = self.retry.delay(attempt, response.headers.get("Retry-After"))
                    self.budget.throttled(delay)
                    await self.pause_for_retry(delay)
                    attempt += 1
                    continue
            if self._should_retry(response.status_code, retry_safe, attempt):
                await self.pause_for_retry(self.retry.delay(attempt, response.headers.get("Retry-After")))
                attempt += 1
                continue
            if response.status_code >= _REDIRECT:
                raise self._api_error(method, url, response)
            return response

    async def probe(
        self,
        method: str,
        url_or_path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        content_type: bool = True,
    ) -> httpx.Response:
        """One attempt, whatever its status (no retry, no error raised): `orgsync doctor --record` keeps the raw
        answer. The same headers as `send` (token only to the API), `content_type=False` leaves Content-Type out."""
        url = self.url(url_or_path)
        body = orjson.dumps(json) if json is not None else content
        hdrs = self._headers(url, headers, json is not None)
        if not content_type:
            hdrs.pop("Content-Type", None)
        async with self.budget.slot():
            self.stats.requests += 1
            query = httpx.QueryParams([(k, v) for k, v in params]) if params else None
            request = self._http.build_request(method, url, content=body, params=query, headers=hdrs)
            response = await exchange(
                self._http, request, self.limits, self._clock, max_bytes=self.limits.answer_bytes
            )
        return response

    async def send_json(self, method: str, url_or_path: str, *, retry_safe: bool, **kwargs: Any) -> Any:
        """`send` and decode the JSON answer (None for an empty body)."""
        response = await self.send(method, url_or_path, retry_safe=retry_safe, **kwargs)
        if not response.content:
            return None
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise ApiError(
                f"{method} {_path(response.request.url)}: the answer is not JSON "
                f"(status {response.status_code}, {len(response.content)} bytes)",
                status=response.status_code,
            ) from None

    def _headers(self, url: str, extra: dict[str, str] | None, is_json: bool) -> dict[str, str]:
        """Every API request carries `Content-Type: application/json; charset=UTF-8`, a GET too
        (D/guide/your_first_call/: "Add the Authorization and Content-Type headers"), and the token; a presigned
        storage URL (files, results, job polls) gets neither the token nor an unasked Content-Type."""
        headers = dict(extra or {})
        api = self.is_api_url(url)
        if is_json or api:
            headers.setdefault("Content-Type", ep.JSON_CONTENT_TYPE)
        if self._token.value and api:
            headers[ep.AUTH_HEADER] = f"{ep.AUTH_SCHEME} {self._token.value}"
        return headers

    def _should_retry(self, status: int, retry_safe: bool, attempt: int) -> bool:
        if status not in self.retry.statuses or attempt >= self.retry.attempts:
            return False
        return retry_safe or status == 429  # a 429 was refused, not processed: always safe

    async def pause_for_retry(self, seconds: float) -> None:
        """Count a retry and wait before it."""
        self.stats.retries += 1
        await self._sleep(seconds)

    def _record(self, record: CallRecord) -> None:
        collected = _TRACES.get()
        if collected is not None and record.trace_id and record.trace_id not in collected:
            collected.append(record.trace_id)
        self.log.append(record)
        if self._on_call is not None:
            self._on_call(record)

    def _transport_error(
        self, method: str, url: str, exc: httpx.TransportError, *, maybe_applied: bool
    ) -> TransportError:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        where = f"{method} {urlsplit(url).path} at {self.base_url}"
        if maybe_applied:
            return MaybeAppliedError(
                self.redact(f"{where}: no answer ({what}); the request may have taken effect"),
                hint="re-run `orgsync plan` to see what the tenant holds now",
            )
        return TransportError(
            self.redact(
                f"cannot reach the Orgvue API at {self.base_url} ({where}: {what}) "
                f"after {self.retry.attempts} attempts"
            ),
            hint="check the `endpoint` in orgsync.yaml, the network or proxy, and that the service is up",
        )

    def _api_error(self, method: str, url: str, response: httpx.Response) -> ApiError:
        """The error of an answer: what happened (name, code, fields), the trace id, and what to do in plain words."""
        status = response.status_code
        errors = _error_entries(response)
        # Never the body, and an error's message only where no item value was sent or asked for: an API may
        # quote the value it refused (a salary), so item, import, export, query, draft and file calls show none.
        quote = _SCHEMA_PATH.fullmatch(urlsplit(url).path) is not None
        detail = "; ".join(describe_error(e, quote) for e in errors[:5]) or _body_kind(response)
        trace = trace_id_of(response)
        traced = f" (trace id {trace})" if trace else ""
        text = self.redact(
            f"{method} {urlsplit(url).path}: {status} {response.reason_phrase}"
            + (f" — {detail}" if detail else "")
            + traced
        )
        errors = [{k: self.redact(v) if isinstance(v, str) else v for k, v in e.items()} for e in errors]
        plain = explain(errors, base_url=self.base_url, token=self._token.value or None)
        hint = self.redact(plain) if plain else None
        kind: type[ApiError] = ApiError
        codes = [str(e.get("code")) for e in errors]
        if status == _PAYLOAD_TOO_LARGE:  # whatever the body: the gateway's 413 is not Orgvue's error JSON
            kind = PayloadTooLargeError
            hint = (
                "the request body was too large for the service (Orgvue documents a strict 6 MB limit on a "
                "synchronous item request); orgsync splits such a batch or sends it through the async import"
            )
        elif not self.is_api_url(url) and status in _STORAGE_REFUSALS:
            kind = PresignedUrlRefused  # storage, not the API: the token has nothing to do with it
            hint = (
                "a presigned storage URL was refused: such URLs expire after a short time "
                "(D/working/security/), so the request that handed it out has to be repeated"
            )
        elif status == _TOO_MANY:
            kind = QuotaExceededError if QUOTA_EXCEEDED in codes else ThrottledError
            hint = hint or explain([{"code": "42901"}], base_url=self.base_url, token=None)
        elif TENANT_NOT_ENABLED in codes:
            kind = TenantNotEnabledError
        elif status in (401, 403):
            kind = AuthError
            hint = hint or (
                f"check that ORGVUE_TOKEN (or the file named by ORGVUE_TOKEN_FILE) holds a "
                f"valid token with access to tenant {self.tenant} at {self.base_url}"
            )
        elif status == 404:
            kind = NotFoundError
        elif status < 400:  # a 3xx: the request was not carried out here
            where = response.headers.get("Location") or "(no Location)"
            return ApiError(
                self.redact(
                    f"{method} {urlsplit(url).path}: {status} {response.reason_phrase}, "
                    f"redirected to {where}; orgsync does not follow redirects{traced}"
                ),
                status=status,
                hint="set `endpoint` in orgsync.yaml to the API's final https URL",
                trace_id=trace,
            )
        elif status >= _SERVER_ERROR:
            hint = hint or "the service failed; retry later"
        return kind(text, status=status, errors=errors, hint=hint, trace_id=trace)


def trace_id_of(response: httpx.Response) -> str | None:
    """The answer's X-Amzn-Trace-Id, when it has a plausible one (it goes into messages and logs as is)."""
    value = response.headers.get(TRACE_HEADER)
    return value if value and _TRACE_TEXT.fullmatch(value) else None


def _codes(response: httpx.Response) -> list[str]:
    return [str(e.get("code")) for e in _error_entries(response)]


def is_maybe_applied(err: Exception) -> bool:
    """True when a non-repeatable request may have taken effect: answer lost, or a 5xx gateway failure."""
    if isinstance(err, MaybeAppliedError):
        return True
    return (
        isinstance(err, ApiError)
        and not isinstance(err, TransportError)
        and (err.status or 0) >= _SERVER_ERROR
    )


def _query(params: dict[str, Any] | None) -> dict[str, str] | None:
    """Query values as the API spells them (booleans lower-case), None values dropped."""
    if not params:
        return None
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else str(v)
        for k, v in params.items()
        if v is not None
    }


def _shown_query(query: dict[str, str] | None) -> str:
    """The request options as a call record may show them: every name; a value only when it is an enum-like
    word of letters (`true`, `csv`, `skipAction`), so never an id, number, date or signature."""
    return "&".join(f"{k}={v}" if _PLAIN_WORD.fullmatch(v) else k for k, v in (query or {}).items())


def _since(started: float) -> float:
    return time.perf_counter() - started


def _path(url: httpx.URL) -> str:
    return url.path


def _error_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """The documented `{"errors": [...]}` entries of an error answer, or []."""
    try:
        payload = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return []
    entries = payload.get(ep.F_ERRORS) if isinstance(payload, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def describe_error(entry: dict[str, Any], quote_message: bool = False) -> str:
    """`InvalidJsonBody (400010) at jsonBody salary`: the error's name, code and the fields it names; its message
    only when `quote_message` (a call whose bodies hold no item value: an API may quote the value it refused)."""
    name, code, message = entry.get("name"), entry.get("code"), entry.get("message")
    head = " ".join(str(x) for x in (name, f"({code})" if code else None) if x) or "error"
    where = [
        f"{k} {str(entry[k])[:80]}"
        for k in _WHERE
        if isinstance(entry.get(k), str | int) and entry.get(k) != ""
    ]
    text = head + (f" at {', '.join(where)}" if where else "")
    return f"{text}: {message}" if quote_message and message else text


def _body_kind(response: httpx.Response) -> str:
    """What a non-JSON error answer was, without its text: `1234 bytes of text/html`."""
    if not response.content:
        return ""
    kind = response.headers.get("Content-Type", "unknown type").split(";")[0].strip()
    return f"{len(response.content)} bytes of {kind} (not shown)"
