"""Datasets and links datasets: list, create, retrieve, PATCH (the configuration, not the items)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from orgsync.emulator import openapi_schemas as S
from orgsync.emulator.catalog import Catalog, render_dataset
from orgsync.emulator.routes.common import API_BASE, JSON, base_url, check_id, json_response, read_json, work
from orgsync.emulator.state import State


def add_datasets_routes(routes: APIRouter, catalog: Catalog, state: State) -> None:
    """Register this area's operations on `routes` (create_app passes the app's own router)."""
    base = API_BASE

    @routes.get(base + "/datasets", responses=S.ok(S.DATASET_LIST), tags=["datasets"])
    async def list_datasets(request: Request, tenantId: str) -> Response:
        api = f"{base_url(request)}/api/v1/{tenantId}"
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
            for d in catalog.list_datasets(tenantId)
        ]
        return json_response(out)

    @routes.post(
        base + "/datasets",
        status_code=201,
        responses=S.ok(S.DATASET, 201),
        openapi_extra=S.body(S.DATASET_CREATE),
        tags=["datasets"],
    )
    async def create_dataset(request: Request, tenantId: str) -> Response:
        ds = await work(catalog.create_dataset, tenantId, await read_json(request))
        return json_response(render_dataset(ds, state.tenant(tenantId), base_url(request)), 201)

    @routes.get(base + "/datasets/{datasetId}", responses=S.ok(S.DATASET), tags=["datasets"])
    async def get_dataset(request: Request, tenantId: str, datasetId: str) -> Response:
        check_id(datasetId, "datasetId")
        return json_response(
            render_dataset(state.dataset(tenantId, datasetId), state.tenant(tenantId), base_url(request))
        )

    @routes.patch(
        base + "/datasets/{datasetId}",
        responses=S.ok(S.DATASET),
        openapi_extra=S.body(S.DATASET_PATCH),
        tags=["datasets"],
    )
    async def patch_dataset(
        request: Request, tenantId: str, datasetId: str, deleteOmittedProperties: bool = False
    ) -> Response:
        check_id(datasetId, "datasetId")
        ds = await work(
            catalog.update_dataset,
            tenantId,
            datasetId,
            await read_json(request),
            deleteOmittedProperties,
            links=False,
        )
        return json_response(render_dataset(ds, state.tenant(tenantId), base_url(request)))

    @routes.post(
        base + "/links",
        status_code=201,
        responses=S.ok(S.DATASET, 201),
        openapi_extra=S.body(S.LINKS_CREATE),
        tags=["links"],
    )
    async def create_links(request: Request, tenantId: str) -> Response:
        ds = await work(catalog.create_links, tenantId, await read_json(request))
        return json_response(render_dataset(ds, state.tenant(tenantId), base_url(request)), 201)

    @routes.patch(
        base + "/links/{linksDatasetId}",
        responses=S.ok(S.DATASET),
        openapi_extra=S.body(S.LINKS_PATCH),
        tags=["links"],
    )
    async def patch_links(
        request: Request, tenantId: str, linksDatasetId: str, deleteOmittedProperties: bool = False
    ) -> Response:
        check_id(linksDatasetId, "linksDatasetId")
        ds = await work(
            catalog.update_dataset,
            tenantId,
            linksDatasetId,
            await read_json(request),
            deleteOmittedProperties,
            links=True,
        )
        return json_response(render_dataset(ds, state.tenant(tenantId), base_url(request)))
