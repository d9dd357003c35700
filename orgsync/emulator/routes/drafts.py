"""Drafts: query, retrieve, the draft jobs (actions, apply) and clear."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.draft_service import DraftService
from orgsync.emulator.jobs import JobRunner
from orgsync.emulator.routes.common import (
    API_BASE,
    base_url,
    bearer,
    check_id,
    json_response,
    query,
    read_json,
    ticket,
    work,
)


def add_drafts_routes(routes: APIRouter, drafting: DraftService, runner: JobRunner) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""
    base = API_BASE

    @routes.post(
        base + "/drafts/query",
        responses=S.ok(S.DRAFTS),
        openapi_extra=S.body(S.DRAFT_QUERY, required=False),
        tags=["drafts"],
    )
    async def query_drafts(request: Request, tenantId: str) -> Response:
        api = f"{base_url(request)}/api/v1/{tenantId}"
        found = drafting.query_drafts(tenantId, await read_json(request, optional=True))
        out = []
        for hit in found:
            full = draft_ops.render(hit["draft"], api)
            out.append(full if hit["keys"] is None else {k: full[k] for k in hit["keys"] if k in full})
        return json_response(out)

    @routes.get(base + "/drafts/{draftId}", responses=S.ok(S.DRAFT), tags=["drafts"])
    async def get_draft(request: Request, tenantId: str, draftId: str) -> Response:
        check_id(draftId, "draftId")
        return json_response(
            draft_ops.render(drafting.get_draft(tenantId, draftId), f"{base_url(request)}/api/v1/{tenantId}")
        )

    @routes.post(
        base + "/drafts/actions",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.LAYERS) | S.params(S.ENCODING_PARAMS),
        tags=["drafts"],
    )
    async def draft_actions(request: Request, tenantId: str) -> Response:
        job = await work(
            drafting.start_draft_actions,
            tenantId,
            await read_json(request),
            query(request),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)

    @routes.post(
        base + "/drafts/clear",
        responses=S.ok(S.CLEAR_RESULTS),
        openapi_extra=S.body(S.CLEAR),
        tags=["drafts"],
    )
    async def clear_drafts(request: Request, tenantId: str) -> Response:
        return json_response(await work(drafting.clear_drafts, tenantId, await read_json(request)))

    @routes.post(
        base + "/datasets/{datasetId}/drafts/apply",
        status_code=202,
        responses=S.ok(S.JOB, 202),
        openapi_extra=S.body(S.LAYERS) | S.params(S.APPLY_PARAMS),
        tags=["drafts"],
    )
    async def apply_drafts(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        job = await work(
            drafting.start_draft_apply,
            tenantId,
            datasetId,
            await read_json(request),
            query(request),
            bearer(request),
            request.url.path,
            base_url(request),
        )
        return ticket(runner, request, job)
