"""The asynchronous operations (import, export, on-demand, populate) and the jobs' presigned status URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.jobs import POLL_PREFIX, JobRunner, StorageError
from orgsync.emulator.routes.common import (
    API_BASE,
    base_url,
    bearer,
    check_id,
    format_query,
    query,
    read_json,
    ticket,
    work,
)


def add_jobs_routes(routes: APIRouter, runner: JobRunner) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""
    base = API_BASE

    @routes.put(
        base + "/datasets/{datasetId}/items/import",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.IMPORT) | S.params(S.ITEM_PARAMS),
        tags=["items"],
    )
    async def import_items(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        job = await work(
            runner.start_import,
            tenantId,
            datasetId,
            await read_json(request),
            query(request),
            bearer(request),
            request.url.path,
            base_url(request),
            links=False,
        )
        return ticket(runner, request, job)

    @routes.put(
        base + "/links/{linksDatasetId}/items/import",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.IMPORT) | S.params(S.LINK_PARAMS),
        tags=["links"],
    )
    async def import_links(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        check_id(linksDatasetId, "linksDatasetId")
        job = await work(
            runner.start_import,
            tenantId,
            linksDatasetId,
            await read_json(request),
            query(request),
            bearer(request),
            request.url.path,
            base_url(request),
            links=True,
        )
        return ticket(runner, request, job)

    @routes.post(
        base + "/datasets/{datasetId}/export",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.EXPORT, required=False) | S.params(S.EXPORT_PARAMS),
        tags=["export"],
    )
    async def async_export(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        job = await work(
            runner.start_export,
            tenantId,
            datasetId,
            await read_json(request, optional=True),
            query(request),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)

    @routes.post(
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
        check_id(datasetId, "datasetId")
        job = await work(
            runner.start_export,
            tenantId,
            datasetId,
            await read_json(request, optional=True),
            format_query(request, exportFormat),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)

    @routes.post(
        base + "/datasets/{datasetId}/ondemand",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.ONDEMAND),
        tags=["datasets"],
    )
    async def on_demand(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        job = await work(
            runner.start_on_demand,
            tenantId,
            datasetId,
            await read_json(request),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)

    @routes.post(
        base + "/links/{linksDatasetId}/populate",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.POPULATE),
        tags=["links"],
    )
    async def populate(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        check_id(linksDatasetId, "linksDatasetId")
        job = await work(
            runner.start_populate,
            tenantId,
            linksDatasetId,
            await read_json(request),
            bearer(request),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)

    @routes.get(POLL_PREFIX + "{jobId}", include_in_schema=False)
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
            job = runner.open_poll(jobId, expires, sig)
        except StorageError as refused:
            return Response(refused.body(), status_code=refused.status, media_type="application/xml")
        return ticket(runner, request, job, 200)
