"""Datasets and links datasets of a tenant: create, list, PATCH, and the documented dataset resource."""

from __future__ import annotations

from typing import Any

from orgsync.emulator import export
from orgsync.emulator.datasets import merge_dataset, new_dataset_config, new_links_config
from orgsync.emulator.errors import ApiError
from orgsync.emulator.model import USER, Dataset, Tenant
from orgsync.emulator.state import State
from orgsync.emulator.timefmt import iso

LINK_ENDS = ("fromDatasetId", "toDatasetId")  # internal: where a links dataset points, never rendered


class Catalog:
    """Dataset configuration operations; a configuration change moves `cacheKey`, never `lastTransactionId`
    (an item write moves both)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def list_datasets(self, tid: str) -> list[Dataset]:
        return list(self.state.tenant(tid).datasets.values())

    def create_dataset(self, tid: str, body: Any) -> Dataset:
        config = new_dataset_config(body)
        return self._add_dataset(tid, config)

    def create_links(self, tid: str, body: Any) -> Dataset:
        tenant = self.state.tenant(tid)
        return self._add_dataset(tid, new_links_config(body, tenant.datasets))

    def _add_dataset(self, tid: str, config: dict[str, Any]) -> Dataset:
        stamp = iso(self.state.now())
        ds = Dataset(self.state.new_id(), config, stamp, USER, stamp, USER)
        ds.conform_frame()
        with self.state.lock:
            self.state.tenant(tid).datasets[ds.id] = ds
        self.state.store.save_dataset(tid, ds, full=True)
        return ds

    def update_dataset(self, tid: str, did: str, body: Any, delete_omitted: bool, *, links: bool) -> Dataset:
        ds = self.state.dataset(tid, did, links=links)
        if not links and ds.is_links:
            raise ApiError(
                422,
                "422001",
                "UseLinksEndpoint",
                "links datasets are changed through PATCH /links/{linksDatasetId}",
            )
        with ds.lock:
            new = merge_dataset(ds.config, body, delete_omitted, links=links)
            if new != ds.config:
                ds.config = new
                ds.modified_at, ds.modified_by = iso(self.state.now()), USER
                ds.conform_frame()
                # columns may have been dropped or recast, so the dataset's rows are rewritten
                self.state.store.save_dataset(tid, ds, full=True)
        return ds


def render_dataset(ds: Dataset, tenant: Tenant, base: str) -> dict[str, Any]:
    """The documented dataset resource (with items bookkeeping, drafts and linking relationships)."""
    api = f"{base}/api/v1/{tenant.id}"
    out: dict[str, Any] = {
        "datasetId": ds.id,
        "cacheKey": ds.cache_key,
        "createdAt": ds.created_at,
        "createdBy": ds.created_by,
        "modifiedAt": ds.modified_at,
        "modifiedBy": ds.modified_by,
    }
    # the ends of a links dataset are kept to serve linkingRelationships, but the resource does not show them
    # (D/Dataset-operations/create-links-dataset/: the example answer has no fromDatasetId/toDatasetId)
    out.update({k: v for k, v in ds.config.items() if k not in LINK_ENDS})
    out["items"] = {
        "lastTransactionId": ds.last_transaction_id,
        "modifiedAt": ds.items_modified_at,
        "count": ds.frame.height,
    }
    out["drafts"] = [
        {
            "draftId": d.id,
            "name": d.name,
            "_links": {
                "draft:retrieve": {
                    "url": f"{api}/drafts/{d.id}",
                    "method": "GET",
                    "type": "application/json; charset=UTF-8",
                }
            },
        }
        for d in tenant.drafts.values()
        if d.dataset_id == ds.id
    ]
    out["linkingRelationships"] = _relationships(ds, tenant, api)
    json_type = "application/json; charset=UTF-8"
    links = {"self": {"url": f"{api}/datasets/{ds.id}", "method": "GET", "type": json_type}}
    for fmt in export.FORMATS:
        links[f"dataset:export:{fmt}"] = {
            "url": f"{api}/datasets/{ds.id}/export/{fmt}",
            "method": "POST",
            "type": json_type,
        }
    out["_links"] = links
    return out


def _end(ds: Dataset | None, api: str) -> dict[str, Any] | None:
    if ds is None:
        return None
    return {
        "name": ds.config["name"],
        "datasetId": ds.id,
        "type": ds.config["type"],
        "_links": {
            "dataset:retrieve": {
                "url": f"{api}/datasets/{ds.id}",
                "method": "GET",
                "type": "application/json; charset=UTF-8",
            }
        },
    }


def _relationships(ds: Dataset, tenant: Tenant, api: str) -> list[dict[str, Any]]:
    """One entry per links relationship the dataset takes part in, holding the two other roles (D/egress/linking/):
    a source dataset sees `link` + `target`, a links dataset `source` + `target`, a target dataset `source` + `link`."""
    out = []
    for links in tenant.datasets.values():
        if not links.is_links or ds.id not in (
            links.id,
            links.config["fromDatasetId"],
            links.config["toDatasetId"],
        ):
            continue
        roles = {
            "source": tenant.datasets.get(links.config["fromDatasetId"]),
            "link": links,
            "target": tenant.datasets.get(links.config["toDatasetId"]),
        }
        own = (
            "link" if ds.id == links.id else "source" if ds.id == links.config["fromDatasetId"] else "target"
        )
        ends = {
            role: end
            for role, other in roles.items()
            if role != own and (end := _end(other, api)) is not None
        }
        out.append(
            {
                "datasetId": links.id,
                "name": links.config["name"],
                "type": "LINKS",
                **ends,
                "_links": {
                    "export": {
                        "url": f"{api}/datasets/{ds.id}/export",
                        "method": "POST",
                        "contentType": "application/json; charset=UTF-8",
                        "jsonBody": {"dataset": {"linkingRelationships": [{"datasetId": links.id}]}},
                    }
                },
            }
        )
    return out
