"""Items: read, query, the synchronous PUT (datasets and links) and the synchronous export."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.items import Items, transaction_failed
from orgsync.emulator.routes.common import (
    API_BASE,
    JSON,
    bearer,
    check_id,
    format_query,
    json_response,
    query,
    read_json,
    work,
)


def add_items_routes(routes: APIRouter, items: Items) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""
    base = API_BASE

    @routes.get(base + "/datasets/{datasetId}/items", responses=S.ok(S.ITEMS), tags=["items"])
    async def list_items(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        return Response(await work(items.list_items, tenantId, datasetId, bearer(request)), media_type=JSON)

    @routes.post(
        base + "/datasets/{datasetId}/items/query",
        responses=S.ok(S.ITEMS),
        openapi_extra=S.body(S.ITEMS_QUERY),
        tags=["items"],
    )
    async def query_items(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        return Response(
            await work(items.query_items, tenantId, datasetId, await read_json(request), bearer(request)),
            media_type=JSON,
        )

    async def put(request: Request, tenantId: str, did: str, links: bool) -> Response:
        check_id(did, "linksDatasetId" if links else "datasetId")
        raw = await request.body()
        outcome = await work(
            items.put_items, tenantId, did, raw, query(request), bearer(request), links=links
        )
        if outcome.failed:
            raise transaction_failed(outcome)
        return json_response(outcome.items)

    @routes.put(
        base + "/datasets/{datasetId}/items",
        responses=S.ok(S.ITEM_RESULTS),
        openapi_extra=S.body(S.ACTIONS) | S.params(S.ITEM_PARAMS),
        tags=["items"],
    )
    async def put_items(request: Request, tenantId: str, datasetId: str) -> Response:
        return await put(request, tenantId, datasetId, False)

    @routes.put(
        base + "/links/{linksDatasetId}/items",
        responses=S.ok(S.ITEM_RESULTS),
        openapi_extra=S.body(S.ACTIONS) | S.params(S.LINK_PARAMS),
        tags=["links"],
    )
    async def put_links(request: Request, tenantId: str, linksDatasetId: str) -> Response:
        return await put(request, tenantId, linksDatasetId, True)

    @routes.get(
        base + "/datasets/{datasetId}/export/{exportFormat}",
        responses=S.ok(S.ANY),
        openapi_extra=S.params(S.EXPORT_SYNC_PARAMS[1:]),
        tags=["export"],
    )
    async def sync_export_format(
        request: Request, tenantId: str, datasetId: str, exportFormat: str
    ) -> Response:
        check_id(datasetId, "datasetId")
        data, ctype = await work(items.sync_export, tenantId, datasetId, format_query(request, exportFormat))
        return Response(data, media_type=ctype)

    @routes.get(
        base + "/datasets/{datasetId}/export",
        responses=S.ok(S.ANY),
        openapi_extra=S.params(S.EXPORT_SYNC_PARAMS),
        tags=["export"],
    )
    async def sync_export(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        data, ctype = await work(items.sync_export, tenantId, datasetId, query(request))
        return Response(data, media_type=ctype)
