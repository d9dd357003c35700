"""The HTTP face of the emulator: `create_app()` returns a FastAPI (ASGI) app serving the 23 documented
operations under `/api/v1/{tenantId}`, presigned `/_files/`, and the `/_emulator/` admin API.

Works under `httpx.ASGITransport` (no lifespan needed): jobs run in a thread pool and every handler
does its work off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator import gate
from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.catalog import render_dataset
from orgsync.emulator.errors import ApiError, bad_body, bad_query, bad_request, internal, not_uuid
from orgsync.emulator.faults import ERROR_NAMES
from orgsync.emulator.files import GET_URL_FIELD, PUT_URL_FIELD
from orgsync.emulator.items import transaction_failed
from orgsync.emulator.jobs import POLL_PREFIX, POLL_URL_TTL, StorageError, open_poll, ticket_json
from orgsync.emulator.limits import GatewayRefusal, LimitBook, Limits
from orgsync.emulator.service import Emulator

TEMP_FILES_ENV = "ORGSYNC_EMULATOR_TEMP_FILES"  # "links": temporary files answered as `_links` objects
API = re.compile(r"^/api/v1/([^/]*)(/.*)?$")
JSON = "application/json; charset=UTF-8"
MAX_UPLOAD_BYTES = (
    450 * 1000 * 1000
)  # a presigned upload: the documented async import maximum (450 MB of CSV)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON, headers=headers)


def gateway_response(refused: GatewayRefusal) -> Response:
    """The gateway's own answer (not Orgvue's error JSON)."""
    return Response(
        refused.body, status_code=refused.status, media_type="application/json", headers=refused.headers
    )


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


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _check_id(value: str, what: str) -> None:
    if not gate.UUID.match(value):
        raise not_uuid(what)


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
    emu = Emulator(
        Path(db_path) if db_path else None,
        token,
        seed,
        allow_remote_callbacks=allow_remote_callbacks,
        limits=limits,
    )
    emu.max_upload_bytes = max_upload_bytes
    emu.poll_url_ttl = poll_url_ttl
    emu.temp_file_links = (
        temp_file_links
        if temp_file_links is not None
        else os.environ.get(TEMP_FILES_ENV, "").strip().lower() == "links"
    )
    app = FastAPI(
        title="Orgvue API (orgsync emulator)",
        version="1.0.0",
        description="Emulation of the documented Orgvue REST API, plus /_emulator admin endpoints.",
    )
    app.state.emulator = emu
    _install_errors(app)
    _install_middleware(app, emu)
    _datasets_routes(app, emu)
    _items_routes(app, emu)
    _async_routes(app, emu)
    _draft_routes(app, emu)
    _file_routes(app, emu)
    _admin_routes(app, emu)
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
        trace = emu.trace_id()
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
                    response = await _limited(emu, book, request, call_next, method, path)
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
    emu: Emulator,
    book: LimitBook,
    request: Request,
    call_next: Callable[[Request], Awaitable[Response]],
    method: str,
    path: str,
) -> Response:
    """One admitted request: the body limit, injected faults (latency, status, renames), the handler."""
    length = request.headers.get("content-length")
    try:
        book.check_body(method, path, int(length) if length and length.isdigit() else None)
        if length is None and method == "PUT":
            book.check_body(method, path, len(await request.body()))
    except GatewayRefusal as refused:
        return gateway_response(refused)
    latency, fault = emu.faults.request_fault(method, path)
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
    response = _gatekeep(emu, request, path) or await _guarded(call_next, request)
    renames = emu.faults.renames(method, path)
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


def _gatekeep(emu: Emulator, request: Request, path: str) -> Response | None:
    match = API.match(path)
    if not match:
        return None
    err = (
        gate.auth_error(emu.token, request.headers.get("authorization"))
        or gate.tenant_error(match.group(1))
        or gate.request_error(request.method, match.group(2) or "", request.headers, request.query_params)
    )
    return error_response(err) if err is not None else None


async def _guarded(call_next: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
    try:
        return await call_next(request)
    except Exception:  # noqa: BLE001 - never a traceback to the client
        return error_response(internal())


def _q(request: Request) -> dict[str, str]:
    return dict(request.query_params)


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:] if auth.startswith("Bearer ") else None


def _datasets_routes(app: FastAPI, emu: Emulator) -> None:
    base = "/api/v1/{tenantId}"

    @app.get(base + "/datasets", responses=S.ok(S.DATASET_LIST), tags=["datasets"])
    async def list_datasets(request: Request, tenantId: str) -> Response:
        api = f"{_base(request)}/api/v1/{tenantId}"
        out = [
            {
                "datasetId": d.id,
                "name": d.config["name"],
                "type": d.config["type"],
                "isPermissionedView": False,
                "_links": {
                    "dataset:retrieve": {"url": f"{api}/datasets/{d.id}", "method": "GET", "type": JSON},
                    "dataset:export": {
                        "url": f"{api}/datasets/{d.id}/export",
                        "method": "POST",
                        "type": JSON,
                    },
                },
            }
            for d in emu.catalog.list_datasets(tenantId)
        ]
        return json_response(out)

    @app.post(
        base + "/datasets",
        status_code=201,
        responses=S.ok(S.DATASET, 201),
        openapi_extra=S.body(S.DATASET_CREATE),
        tags=["datasets"],
    )
    async def create_dataset(request: Request, tenantId: str) -> Response:
        ds = await work(emu.catalog.create_dataset, tenantId, await read_json(request))
        return json_response(render_dataset(ds, emu.tenant(tenantId), _base(request)), 201)

    @app.get(base + "/datasets/{datasetId}", responses=S.ok(S.DATASET), tags=["datasets"])
    async def get_dataset(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        return json_response(
            render_dataset(emu.dataset(tenantId, datasetId), emu.tenant(tenantId), _base(request))
        )

    @app.patch(
        base + "/datasets/{datasetId}",
        responses=S.ok(S.DATASET),
        openapi_extra=S.body(S.DATASET_PATCH),
        tags=["datasets"],
    )
    async def patch_dataset(
        request: Request, tenantId: str, datasetId: str, deleteOmittedProperties: bool = False
    ) -> Response:
        _check_id(datasetId, "datasetId")
        ds = await work(
            emu.catalog.update_dataset,
            tenantId,
            datasetId,
            await read_json(request),
            deleteOmittedProperties,
            links=False,
        )
        return json_response(render_dataset(ds, emu.tenant(tenantId), _base(request)))

    @app.post(
        base + "/links",
        status_code=201,
        responses=S.ok(S.DATASET, 201),
        openapi_extra=S.body(S.LINKS_CREATE),
        tags=["links"],
    )
    async def create_links(request: Request, tenantId: str) -> Response:
        ds = await work(emu.catalog.create_links, tenantId, await read_json(request))
        return json_response(render_dataset(ds, emu.tenant(tenantId), _base(request)), 201)

    @app.patch(
        base + "/links/{linksDatasetId}",
        responses=S.ok(S.DATASET),
        openapi_extra=S.body(S.LINKS_PATCH),
        tags=["links"],
    )
    async def patch_links(
        request: Request, tenantId: str, linksDatasetId: str, deleteOmittedProperties: bool = False
    ) -> Response:
        _check_id(linksDatasetId, "linksDatasetId")
        ds = await work(
            emu.catalog.update_dataset,
            tenantId,
            linksDatasetId,
            await read_json(request),
            deleteOmittedProperties,
            links=True,
        )
        return json_response(render_dataset(ds, emu.tenant(tenantId), _base(request)))


def _items_routes(app: FastAPI, emu: Emulator) -> None:
    base = "/api/v1/{tenantId}"

    @app.get(base + "/datasets/{datasetId}/items", responses=S.ok(S.ITEMS), tags=["items"])
    async def list_items(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        return Response(
            await work(emu.items.list_items, tenantId, datasetId, _token(request)), media_type=JSON
        )

    @app.post(
        base + "/datasets/{datasetId}/items/query",
        responses=S.ok(S.ITEMS),
        openapi_extra=S.body(S.ITEMS_QUERY),
        tags=["items"],
    )
    async def query_items(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        return Response(
            await work(emu.items.query_items, tenantId, datasetId, await read_json(request), _token(request)),
            media_type=JSON,
        )

    async def put(request: Request, tenantId: str, did: str, links: bool) -> Response:
        _check_id(did, "linksDatasetId" if links else "datasetId")
        raw = await request.body()
        outcome = await work(
            emu.items.put_items, tenantId, did, raw, _q(request), _token(request), links=links
        )
        if outcome.failed:
            raise transaction_failed(outcome)
        return json_response(outcome.items)

    @app.put(
        base + "/datasets/{datasetId}/items",
        responses=S.ok(S.ITEM_RESULTS),
        openapi_extra=S.body(S.ACTIONS) | S.params(S.ITEM_PARAMS),
        tags=["items"],
    )
    async def put_items(request: Request, tenantId: str, datasetId: str) -> Response:
        return await put(request, tenantId, datasetId, False)

    @app.put(
        base + "/links/{linksDatasetId}/items",
        responses=S.ok(S.ITEM_RESULTS),
        openapi_extra=S.body(S.ACTIONS) | S.params(S.LINK_PARAMS),
        tags=["links"],
    )
    async def put_links(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        return await put(request, tenantId, linksDatasetId, True)

    @app.get(
        base + "/datasets/{datasetId}/export/{exportFormat}",
        responses=S.ok(S.ANY),
        openapi_extra=S.params(S.EXPORT_SYNC_PARAMS[1:]),
        tags=["export"],
    )
    async def sync_export_format(
        request: Request, tenantId: str, datasetId: str, exportFormat: str
    ) -> Response:
        _check_id(datasetId, "datasetId")
        data, ctype = await work(
            emu.items.sync_export, tenantId, datasetId, _format_query(request, exportFormat)
        )
        return Response(data, media_type=ctype)

    @app.get(
        base + "/datasets/{datasetId}/export",
        responses=S.ok(S.ANY),
        openapi_extra=S.params(S.EXPORT_SYNC_PARAMS),
        tags=["export"],
    )
    async def sync_export(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        data, ctype = await work(emu.items.sync_export, tenantId, datasetId, _q(request))
        return Response(data, media_type=ctype)


def _format_query(request: Request, fmt: str) -> dict[str, str]:
    """The query of an export whose format is in the path; an `exportFormat` that says otherwise is refused."""
    q = _q(request)
    if q.get("exportFormat") not in (None, fmt):
        raise bad_query(
            "exportFormat", f"exportFormat={q['exportFormat']} contradicts the format in the path ({fmt})"
        )
    q["exportFormat"] = fmt
    return q


def _ticket(emu: Emulator, request: Request, job: Any, status: int = 202) -> Response:
    """A jobTicket answer; the one that starts a job carries the job's trace id in its header too."""
    headers = {gate.TRACE_HEADER: job.trace_id} if status == 202 else None
    return json_response(ticket_json(emu, job, _base(request)), status, headers)


def _async_routes(app: FastAPI, emu: Emulator) -> None:
    base = "/api/v1/{tenantId}"

    @app.put(
        base + "/datasets/{datasetId}/items/import",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.IMPORT) | S.params(S.ITEM_PARAMS),
        tags=["items"],
    )
    async def import_items(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        job = await work(
            emu.runner.start_import,
            tenantId,
            datasetId,
            await read_json(request),
            _q(request),
            _token(request),
            request.url.path,
            _base(request),
            links=False,
        )
        return _ticket(emu, request, job)

    @app.put(
        base + "/links/{linksDatasetId}/items/import",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.IMPORT) | S.params(S.LINK_PARAMS),
        tags=["links"],
    )
    async def import_links(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        _check_id(linksDatasetId, "linksDatasetId")
        job = await work(
            emu.runner.start_import,
            tenantId,
            linksDatasetId,
            await read_json(request),
            _q(request),
            _token(request),
            request.url.path,
            _base(request),
            links=True,
        )
        return _ticket(emu, request, job)

    @app.post(
        base + "/datasets/{datasetId}/export",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.EXPORT, required=False) | S.params(S.EXPORT_PARAMS),
        tags=["export"],
    )
    async def async_export(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        job = await work(
            emu.runner.start_export,
            tenantId,
            datasetId,
            await read_json(request, optional=True),
            _q(request),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)

    @app.post(
        base + "/datasets/{datasetId}/export/{exportFormat}",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.EXPORT, required=False) | S.params(S.EXPORT_PARAMS[1:]),
        tags=["export"],
    )
    async def async_export_format(
        request: Request, tenantId: str, datasetId: str, exportFormat: str
    ) -> Response:
        """The same export with the format in the path (D/errors/examples/), where `dataset:export:*` links point."""
        _check_id(datasetId, "datasetId")
        job = await work(
            emu.runner.start_export,
            tenantId,
            datasetId,
            await read_json(request, optional=True),
            _format_query(request, exportFormat),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)

    @app.post(
        base + "/datasets/{datasetId}/ondemand",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.ONDEMAND),
        tags=["datasets"],
    )
    async def on_demand(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        job = await work(
            emu.runner.start_on_demand,
            tenantId,
            datasetId,
            await read_json(request),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)

    @app.post(
        base + "/links/{linksDatasetId}/populate",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.POPULATE),
        tags=["links"],
    )
    async def populate(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        _check_id(linksDatasetId, "linksDatasetId")
        job = await work(
            emu.runner.start_populate,
            tenantId,
            linksDatasetId,
            await read_json(request),
            _token(request),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)

    @app.get(POLL_PREFIX + "{jobId}", include_in_schema=False)
    async def poll_job(
        request: Request, jobId: str, expires: str | None = None, sig: str | None = None
    ) -> Response:
        """A job's presigned status URL (D/working/async/): storage, so no Authorization (S3 refuses a second
        credential with 400 InvalidArgument); it expires on the admin clock (D/working/security/)."""
        try:
            if request.headers.get("authorization", "").strip():
                raise StorageError(
                    400,
                    "InvalidArgument",
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
                    "query string parameter or the Authorization header should be specified",
                )
            job = open_poll(emu, jobId, expires, sig)
        except StorageError as refused:
            return Response(refused.body(), status_code=refused.status, media_type="application/xml")
        return _ticket(emu, request, job, 200)


def _draft_routes(app: FastAPI, emu: Emulator) -> None:
    base = "/api/v1/{tenantId}"

    @app.post(
        base + "/drafts/query",
        responses=S.ok(S.DRAFTS),
        openapi_extra=S.body(S.DRAFT_QUERY, required=False),
        tags=["drafts"],
    )
    async def query_drafts(request: Request, tenantId: str) -> Response:
        api = f"{_base(request)}/api/v1/{tenantId}"
        found = emu.drafting.query_drafts(tenantId, await read_json(request, optional=True))
        out = []
        for hit in found:
            full = draft_ops.render(hit["draft"], api)
            out.append(full if hit["keys"] is None else {k: full[k] for k in hit["keys"] if k in full})
        return json_response(out)

    @app.get(base + "/drafts/{draftId}", responses=S.ok(S.DRAFT), tags=["drafts"])
    async def get_draft(request: Request, tenantId: str, draftId: str) -> Response:
        _check_id(draftId, "draftId")
        return json_response(
            draft_ops.render(emu.drafting.get_draft(tenantId, draftId), f"{_base(request)}/api/v1/{tenantId}")
        )

    @app.post(
        base + "/drafts/actions",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.LAYERS) | S.params(S.ENCODING_PARAMS),
        tags=["drafts"],
    )
    async def draft_actions(request: Request, tenantId: str) -> Response:
        job = await work(
            emu.drafting.start_draft_actions,
            tenantId,
            await read_json(request),
            _q(request),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)

    @app.post(
        base + "/drafts/clear",
        responses=S.ok(S.CLEAR_RESULTS),
        openapi_extra=S.body(S.CLEAR),
        tags=["drafts"],
    )
    async def clear_drafts(request: Request, tenantId: str) -> Response:
        return json_response(await work(emu.drafting.clear_drafts, tenantId, await read_json(request)))

    @app.post(
        base + "/datasets/{datasetId}/drafts/apply",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.LAYERS) | S.params(S.APPLY_PARAMS),
        tags=["drafts"],
    )
    async def apply_drafts(request: Request, tenantId: str, datasetId: str) -> Response:
        _check_id(datasetId, "datasetId")
        job = await work(
            emu.drafting.start_draft_apply,
            tenantId,
            datasetId,
            await read_json(request),
            _q(request),
            _token(request),
            request.url.path,
            _base(request),
        )
        return _ticket(emu, request, job)


def _file_routes(app: FastAPI, emu: Emulator) -> None:
    @app.post(
        "/api/v1/{tenantId}/files/generate",
        status_code=201,
        responses=S.ok(S.TEMP_FILE, 201),
        openapi_extra=S.body(S.TEMP_REQUEST),
        tags=["files"],
    )
    async def new_file(request: Request, tenantId: str) -> Response:
        f = emu.storage.new_file(tenantId, await read_json(request))
        return json_response(emu.storage.file_answer(f, _base(request)), 201)

    @app.put("/_files/{fileId}", include_in_schema=False)
    async def put_file(
        request: Request, fileId: str, op: str | None = None, sig: str | None = None
    ) -> Response:
        f = emu.storage.open_file(fileId, op, sig)
        if op != "put":
            raise ApiError(
                403,
                "403001",
                "SignatureDoesNotMatch",
                f"this URL is for reading; upload with the {PUT_URL_FIELD}",
            )
        await work(emu.storage.write_file, f, await _capped_body(request, emu.max_upload_bytes))
        return Response(status_code=200)

    @app.get("/_files/{fileId}", include_in_schema=False)
    async def get_file(fileId: str, op: str | None = None, sig: str | None = None) -> Response:
        f = emu.storage.open_file(fileId, op, sig)
        if op != "get":
            raise ApiError(
                403,
                "403001",
                "SignatureDoesNotMatch",
                f"this URL is for writing; read with the {GET_URL_FIELD}",
            )
        if f.data is None:
            raise ApiError(404, "404001", "NoSuchKey", "nothing has been written to this file yet")
        return Response(f.data, media_type="application/octet-stream")


async def _capped_body(request: Request, limit: int) -> bytes:
    """The upload, streamed to a temporary file (not held twice in memory) and refused past `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "413001", "EntityTooLarge", f"the upload is larger than {limit} bytes")
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "413001", "EntityTooLarge", f"the upload is larger than {limit} bytes")
            spool.write(chunk)
        spool.seek(0)
        return spool.read()


def _admin_routes(app: FastAPI, emu: Emulator) -> None:
    @app.post("/_emulator/tenants/{tenantId}/reset", include_in_schema=False)
    async def reset(tenantId: str) -> Response:
        await work(emu.reset, tenantId)
        return json_response({"tenantId": tenantId, "reset": True})

    @app.post("/_emulator/tenants/{tenantId}/drafts", include_in_schema=False)
    async def seed_draft(request: Request, tenantId: str) -> Response:
        draft = emu.drafting.seed_draft(tenantId, await read_json(request))
        return json_response(draft_ops.render(draft, f"{_base(request)}/api/v1/{tenantId}"), 201)

    @app.post("/_emulator/tenants/{tenantId}/access", include_in_schema=False)
    async def add_access(request: Request, tenantId: str) -> Response:
        return json_response(emu.add_access(tenantId, await read_json(request)), 201)

    @app.delete("/_emulator/tenants/{tenantId}/access", include_in_schema=False)
    async def clear_access(tenantId: str) -> Response:
        emu.clear_access(tenantId)
        return Response(status_code=204)

    @app.post("/_emulator/faults", include_in_schema=False)
    async def add_fault(request: Request) -> Response:
        return json_response(emu.faults.add(await read_json(request)).describe(), 201)

    @app.get("/_emulator/faults", include_in_schema=False)
    async def list_faults() -> Response:
        return json_response([f.describe() for f in emu.faults.faults])

    @app.post("/_emulator/faults/{faultId}/release", include_in_schema=False)
    async def release_held(request: Request, faultId: int) -> Response:
        body = await read_json(request, optional=True)
        count = body.get("count") if isinstance(body, dict) else None
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
            raise bad_body(
                "count must be a positive integer (or left out: release every held request)", "$.count"
            )
        fault = emu.faults.release_held(faultId, count)
        if fault is None:
            raise ApiError(404, "404000", "NotFound", f"no fault {faultId}")
        return json_response(fault.describe())

    @app.delete("/_emulator/faults", include_in_schema=False)
    async def clear_faults() -> Response:
        emu.faults.clear()
        return Response(status_code=204)

    @app.get("/_emulator/requests", include_in_schema=False)
    async def requests_log() -> Response:
        return json_response(emu.faults.log)

    @app.get("/_emulator/inflight", include_in_schema=False)
    async def in_flight() -> Response:
        return json_response({"requests": emu.faults.active})

    @app.delete("/_emulator/requests", include_in_schema=False)
    async def clear_log() -> Response:
        with emu.faults.lock:
            emu.faults.log.clear()
        return Response(status_code=204)

    @app.get("/_emulator/callbacks", include_in_schema=False)
    async def callbacks_log() -> Response:
        return json_response(emu.callbacks.snapshot())

    @app.delete("/_emulator/callbacks", include_in_schema=False)
    async def clear_callbacks() -> Response:
        emu.callbacks.clear()
        return Response(status_code=204)

    @app.post("/_emulator/clock", include_in_schema=False)
    async def clock(request: Request) -> Response:
        body = await read_json(request)
        advance, freeze = (
            (body.get("advanceSeconds"), body.get("freeze")) if isinstance(body, dict) else (None, None)
        )
        if (
            (advance is None and freeze is None)
            or (advance is not None and not isinstance(advance, int | float))
            or (freeze is not None and not isinstance(freeze, bool))
        ):
            raise bad_body("the body must be {advanceSeconds?: number, freeze?: boolean}", "$.advanceSeconds")
        if freeze is True and emu.clock_frozen is None:
            emu.clock_frozen = time.time()
        elif freeze is False and emu.clock_frozen is not None:
            emu.clock_offset += emu.clock_frozen - time.time()  # carry on from the frozen instant
            emu.clock_frozen = None
        emu.clock_offset += float(advance or 0)
        return json_response(
            {"offsetSeconds": emu.clock_offset, "frozen": emu.clock_frozen is not None, "now": emu.now()}
        )

    @app.get("/_emulator/limits", include_in_schema=False)
    async def get_limits() -> Response:
        return json_response(emu.limits.snapshot())

    @app.post("/_emulator/limits", include_in_schema=False)
    async def set_limits(request: Request) -> Response:
        emu.limits.configure(await read_json(request))
        return json_response(emu.limits.snapshot())

    @app.delete("/_emulator/limits", include_in_schema=False)
    async def reset_limits() -> Response:
        emu.limits.reset()
        return Response(status_code=204)
