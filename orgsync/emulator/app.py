"""The HTTP face of the emulator: `create_app()` returns a FastAPI (ASGI) app serving the 23 documented
operations under `/api/v1/{tenantId}`, presigned `/_files/`, and the `/_emulator/` admin API.

This module holds what every request goes through (error answers, the admin token, the usage limits,
injected faults, trace ids, gzip); the routes are in `routes/`, one router per area.

Works under `httpx.ASGITransport` (no lifespan needed): jobs run in a thread pool and every handler
does its work off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from orgsync.emulator import gate
from orgsync.emulator.errors import ApiError, bad_request, internal
from orgsync.emulator.faults import ERROR_NAMES, FaultBook
from orgsync.emulator.limits import GatewayRefusal, LimitBook, Limits
from orgsync.emulator.routes.admin import add_admin_routes
from orgsync.emulator.routes.common import error_response
from orgsync.emulator.routes.datasets import add_datasets_routes
from orgsync.emulator.routes.drafts import add_drafts_routes
from orgsync.emulator.routes.files import add_files_routes
from orgsync.emulator.routes.items import add_items_routes
from orgsync.emulator.routes.jobs import add_jobs_routes
from orgsync.emulator.service import Emulator
from orgsync.emulator.state import MAX_UPLOAD_BYTES, POLL_URL_TTL, Settings

TEMP_FILES_ENV = "ORGSYNC_EMULATOR_TEMP_FILES"  # "links": temporary files answered as `_links` objects
API = re.compile(r"^/api/v1/([^/]*)(/.*)?$")


def gateway_response(refused: GatewayRefusal) -> Response:
    """The gateway's own answer (not Orgvue's error JSON)."""
    return Response(
        refused.body, status_code=refused.status, media_type="application/json", headers=refused.headers
    )


def create_app(
    db_path: Path | None = None,
    token: str | None = None,
    seed: int = 0,
    *,
    allow_remote_callbacks: bool = False,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    limits: Limits | None = None,
    poll_url_ttl: float = POLL_URL_TTL,
    temp_file_links: bool | None = None,
) -> FastAPI:
    """Build the emulator app; state is in memory unless `db_path` is given.

    Async requests may call back only to loopback hosts unless `allow_remote_callbacks` (see callbacks.py).
    The documented usage limits are enforced unless `limits` says otherwise (see limits.py; `Limits.off()`).
    A job's presigned status URL works `poll_url_ttl` seconds. `temp_file_links` serves temporary files as
    `_links` objects told apart by `type` instead of flat `getUrl`/`putUrl` (default: the environment variable
    ORGSYNC_EMULATOR_TEMP_FILES=links).
    """
    settings = Settings(
        allow_remote_callbacks=allow_remote_callbacks,
        max_upload_bytes=max_upload_bytes,
        poll_url_ttl=poll_url_ttl,
        temp_file_links=(
            temp_file_links
            if temp_file_links is not None
            else os.environ.get(TEMP_FILES_ENV, "").strip().lower() == "links"
        ),
    )
    emu = Emulator(Path(db_path) if db_path else None, token, seed, limits=limits, settings=settings)
    app = FastAPI(
        title="Orgvue API (orgsync emulator)",
        version="1.0.0",
        description="Emulation of the documented Orgvue REST API, plus /_emulator admin endpoints.",
    )
    app.state.emulator = emu
    _install_errors(app)
    _install_middleware(app, emu)
    # Each area registers on the app's own router: `include_router` of six APIRouters would make FastAPI build
    # every route's effective copy again on each new app's first requests (+35 ms CPU an app, +11 % on
    # tests/emulator, which builds an app per test).
    add_datasets_routes(app.router, emu.catalog, emu.state)
    add_items_routes(app.router, emu.items)
    add_jobs_routes(app.router, emu.runner)
    add_drafts_routes(app.router, emu.drafting, emu.runner)
    add_files_routes(app.router, emu.storage, emu.settings)
    add_admin_routes(app.router, emu)
    app.add_middleware(_ApiGzip, minimum_size=1024, compresslevel=1)
    return app


class _ApiGzip(GZipMiddleware):
    """Honour Accept-Encoding: gzip for API answers; temporary files are served as stored (often gzip already)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/_files/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return error_response(exc)

    @app.exception_handler(GatewayRefusal)
    async def gateway(_request: Request, exc: GatewayRefusal) -> Response:
        return gateway_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(
            bad_request(f"{where}: {first.get('msg', 'invalid request')}", name="InvalidParameter")
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        names = {404: "NotFound", 405: "MethodNotAllowed"}
        return error_response(
            ApiError(
                exc.status_code,
                f"{exc.status_code}000",
                names.get(exc.status_code, "HttpError"),
                str(exc.detail),
            )
        )


def _install_middleware(app: FastAPI, emu: Emulator) -> None:
    @app.middleware("http")
    async def checkpoint(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started, path, method = time.time(), request.url.path, request.method
        if path.startswith("/_emulator"):  # the admin API resets, seeds and faults: same token as the API
            if emu.token is not None and request.headers.get("authorization") != f"Bearer {emu.token}":
                return error_response(
                    ApiError(
                        401,
                        "401000",
                        "Unauthorized",
                        "the admin API needs the emulator's "
                        "bearer token (--token) in the Authorization header",
                    )
                )
            return await _guarded(call_next, request)
        if path in ("/openapi.json", "/docs", "/redoc"):
            return await _guarded(call_next, request)
        trace = emu.state.trace_id()
        match = API.match(path)
        tenant = match.group(1) if match else None
        book = emu.limits
        try:
            if tenant is not None:
                book.admit(tenant)  # the documented usage limits come first: a refused request is not handled
        except ApiError as refused:
            response = error_response(refused)
        else:
            try:
                with emu.faults.in_flight():
                    await emu.faults.hold(method, path)
                    response = await _limited(emu.faults, book, request, call_next, method, path, emu.token)
            finally:
                if tenant is not None:
                    book.release(tenant)
        # every direct answer carries a trace id (D/working/tracking/); a jobTicket's answer already has its job's
        response.headers.setdefault(gate.TRACE_HEADER, trace)
        emu.faults.record(
            method,
            path,
            request.url.query,
            response.status_code,
            started,
            response.headers[gate.TRACE_HEADER],
            content_type=request.headers.get("content-type"),
            authorization=bool(request.headers.get("authorization", "").strip()),
        )
        return response


async def _limited(
    faults: FaultBook,
    book: LimitBook,
    request: Request,
    call_next: Callable[[Request], Awaitable[Response]],
    method: str,
    path: str,
    token: str | None,
) -> Response:
    """One admitted request: the body limit, injected faults (latency, status, renames), the handler."""
    length = request.headers.get("content-length")
    try:
        book.check_body(method, path, int(length) if length and length.isdigit() else None)
        if length is None and method == "PUT":
            book.check_body(method, path, len(await request.body()))
    except GatewayRefusal as refused:
        return gateway_response(refused)
    latency, fault = faults.request_fault(method, path)
    if latency:
        await asyncio.sleep(latency / 1000)
    if fault is not None:
        status = fault.status or 500
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        err = ApiError(
            status,
            fault.code or f"{status}00",
            fault.name or ERROR_NAMES.get(status, "InjectedFault"),
            "fault injected by the emulator",
        )
        return error_response(err, headers)
    response = _gatekeep(token, request, path) or await _guarded(call_next, request)
    renames = faults.renames(method, path)
    return await _renamed(response, renames) if renames else response


async def _renamed(response: Response, renames: dict[str, str]) -> Response:
    """The JSON answer with its top-level fields renamed (a fault: the service's names differ from ours)."""
    chunks: AsyncIterator[bytes] | None = getattr(
        response, "body_iterator", None
    )  # call_next streams its answer
    body = b"".join([chunk async for chunk in chunks]) if chunks is not None else bytes(response.body)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        data = {renames.get(k, k): v for k, v in data.items()}
        body = orjson.dumps(data)
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body, status_code=response.status_code, headers=headers)


def _gatekeep(token: str | None, request: Request, path: str) -> Response | None:
    match = API.match(path)
    if not match:
        return None
    err = (
        gate.auth_error(token, request.headers.get("authorization"))
        or gate.tenant_error(match.group(1))
        or gate.request_error(request.method, match.group(2) or "", request.headers, request.query_params)
    )
    return error_response(err) if err is not None else None


async def _guarded(call_next: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
    try:
        return await call_next(request)
    except Exception:  # noqa: BLE001 - never a traceback to the client
        return error_response(internal())
