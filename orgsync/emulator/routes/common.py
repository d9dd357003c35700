"""What every router shares: JSON answers and bodies, ids in paths, the caller's token, jobTicket answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from orgsync.emulator import gate
from orgsync.emulator.errors import ApiError, bad_body, bad_query, not_uuid
from orgsync.emulator.jobs import JobRunner
from orgsync.emulator.model import Job

API_BASE = "/api/v1/{tenantId}"
JSON = "application/json; charset=UTF-8"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)


def error_response(err: ApiError, headers: dict[str, str] | None = None) -> Response:
    return json_response(err.body(), err.status, headers)


async def read_json(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return None
        raise bad_body("a JSON body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_body(f"the body is not valid JSON: {exc}") from None


async def work(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service call off the event loop, so a big import never stalls other requests."""
    return await run_in_threadpool(fn, *args, **kwargs)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def check_id(value: str, what: str) -> None:
    if not gate.UUID.match(value):
        raise not_uuid(what)


def query(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None


def format_query(request: Request, fmt: str) -> dict[str, str]:
    """The query of an export whose format is in the path; an `exportFormat` that says otherwise is refused."""
    q = query(request)
    if q.get("exportFormat") not in (None, fmt):
        raise bad_query(
            "exportFormat", f"exportFormat={q['exportFormat']} contradicts the format in the path ({fmt})"
        )
    q["exportFormat"] = fmt
    return q


def ticket(runner: JobRunner, request: Request, job: Job, status: int = 202) -> Response:
    """A jobTicket answer; the one that starts a job carries the job's trace id in its header too."""
    headers = {gate.TRACE_HEADER: job.trace_id} if status == 202 else None
    return json_response(runner.ticket_json(job, base_url(request)), status, headers)
