"""Read the live tenant once per plan: every dataset listed, the managed ones retrieved, their items in bulk.

Items come from the async CSV export (gzip), projected to key + owned columns + `_id`, parsed by polars as
Utf8 and canonicalised with the same `canonical_expr` as the sources, so both sides of the diff agree.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Mapping

import polars as pl

from orgsync.api import endpoints as ep
from orgsync.api.client import OrgvueClient
from orgsync.errors import ConfigError, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.sources.canonical import canonical_expr
from orgsync.sources.table import SourceTable
from orgsync.state.snapshot import LiveDataset, LiveItems, LiveState

Manifest = DatasetManifest | LinksDatasetManifest
ID_COLUMN = "_id"
LIVE_DATE_FORMAT = "YYYY-MM-DD"  # exports write dates as YYYY-MM-DD whatever the manifest's dateFormat
MAX_CONCURRENT_READS = 4
_BOM = b"\xef\xbb\xbf"


async def read_live(client: OrgvueClient, project: Project, tables: Mapping[str, SourceTable] | Iterable[SourceTable],
                    target_label: str) -> LiveState:
    """The tenant as it is now: all datasets, full resources of the managed ones, items of those with sources.

    `tables` are the source tables by manifest name (or a list of them); `target_label` becomes `LiveState.target`.
    Raises ConfigError when a manifest's name matches two datasets without a `datasetId` pin, or a pin is unknown.
    """
    by_name = dict(tables) if isinstance(tables, Mapping) else {t.name: t for t in tables}
    listed = await client.list_datasets()
    matches = _match_manifests(project, listed)
    gate = asyncio.Semaphore(MAX_CONCURRENT_READS)

    async def retrieve(dataset_id: str) -> dict:
        async with gate:
            return await client.get_dataset(dataset_id)

    ids = list(dict.fromkeys(matches.values()))
    resources = dict(zip(ids, await asyncio.gather(*(retrieve(i) for i in ids)), strict=True))
    datasets = [_live_dataset(resources.get(d[ep.F_DATASET_ID], d)) for d in listed]

    async def read(manifest: Manifest, dataset: LiveDataset) -> LiveItems:
        async with gate:
            return await read_items(client, dataset, by_name[manifest.name])

    wanted = [(m, _by_id(datasets, matches[m.name])) for m in project.manifests
              if m.items is not None and m.name in matches and m.name in by_name]
    items = await asyncio.gather(*(read(m, d) for m, d in wanted))
    return LiveState(target=target_label, tenant=project.config.tenant, datasets=datasets,
                     items={i.dataset_id: i for i in items})


def _match_manifests(project: Project, listed: list[dict]) -> dict[str, str]:
    """Manifest name -> live datasetId for the manifests whose dataset exists; ambiguity is an error."""
    problems: list[Problem] = []
    matches: dict[str, str] = {}
    for manifest in project.manifests:
        if manifest.datasetId:
            found = [d for d in listed if d.get(ep.F_DATASET_ID) == manifest.datasetId]
            if not found:
                problems.append(Problem(manifest.origin, f"datasetId {manifest.datasetId} is pinned but the tenant "
                                        f"has no dataset with that id; remove the pin to create {manifest.name!r}",
                                        "datasetId"))
                continue
        else:
            found = [d for d in listed if d.get(ep.F_NAME) == manifest.name]
            if len(found) > 1:
                ids = ", ".join(d.get(ep.F_DATASET_ID, "?") for d in found)
                problems.append(Problem(manifest.origin, f"the tenant has {len(found)} datasets named "
                                        f"{manifest.name!r} ({ids}); expected one: pin the intended one with "
                                        "`datasetId:`", "name"))
                continue
        if found:
            matches[manifest.name] = found[0][ep.F_DATASET_ID]
    if problems:
        raise ConfigError(problems)
    return matches


def _live_dataset(resource: dict) -> LiveDataset:
    return LiveDataset(dataset_id=resource[ep.F_DATASET_ID], name=resource.get(ep.F_NAME, ""),
                       type=resource.get(ep.F_TYPE, ""), resource=resource)


def _by_id(datasets: list[LiveDataset], dataset_id: str) -> LiveDataset:
    return next(d for d in datasets if d.dataset_id == dataset_id)


async def read_items(client: OrgvueClient, dataset: LiveDataset, table: SourceTable) -> LiveItems:
    """One dataset's live items: key + owned columns present in the dataset, plus `_id`, canonical Utf8."""
    live_keys = {p.get("key") for p in dataset.properties}
    wanted = [*table.key, *table.owned]
    projection = [c for c in wanted if c in live_keys] + [ID_COLUMN]
    data = await client.export_csv(dataset.dataset_id, projection=projection, resource=dataset.resource)
    frame = await asyncio.to_thread(parse_export, data, [*wanted, ID_COLUMN], table)
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in table.key])
    unmatched = frame.height - int(frame.select(keyed.sum()).item() or 0)
    return LiveItems(dataset.dataset_id, frame.filter(keyed) if unmatched else frame, unmatched)


def parse_export(data: bytes, columns: list[str], table: SourceTable) -> pl.DataFrame:
    """CSV export bytes -> frame with exactly `columns` (missing ones null), canonical Utf8 by property type."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if data.strip():
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    else:  # no rows and not even a header
        frame = pl.DataFrame()
    if frame.width == 0:
        frame = pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    present = set(frame.columns)
    frame = frame.select([pl.col(c) if c in present else pl.lit(None, pl.Utf8).alias(c) for c in columns])
    return frame.with_columns([canonical_expr(c, table.types.get(c, "text"), LIVE_DATE_FORMAT, keep_invalid=True)
                               for c in columns if c != ID_COLUMN])
