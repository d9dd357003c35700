"""Read the live tenant once per plan: every dataset listed, the managed ones retrieved, their items in bulk.

Two steps, so the network part can run while the sources are still being read: `fetch_live` needs only the
manifests (items come from the async CSV export, gzip, projected to the key + every declared, non-on-demand
property the live dataset has + `_id`); `parse_live` then parses each export with its source table (only the
key + owned columns, and a hierarchy's tree columns, as Utf8), canonicalised with the same `canonical_frame` as
the sources, so both sides of the diff agree. `read_live` is the two in a row.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from orgsync.api import endpoints as ep
from orgsync.api.protocol import JsonObject, TenantReader
from orgsync.errors import ConfigError, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, PropertyType
from orgsync.sources.canonical import canonical_frame
from orgsync.sources.readers import property_types
from orgsync.sources.table import SourceTable
from orgsync.state.link_ends import live_link_ends
from orgsync.state.matching import match_manifest
from orgsync.state.snapshot import LiveDataset, LiveItems, LiveState

Manifest = DatasetManifest | LinksDatasetManifest
ID_COLUMN = "_id"
LIVE_DATE_FORMAT = "YYYY-MM-DD"  # exports write dates as YYYY-MM-DD whatever the manifest's dateFormat
MAX_CONCURRENT_READS = 4
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawExport:
    """One managed dataset's items as exported: CSV bytes of the projected columns (`_id` last).

    `tree` names the hierarchy columns (treeId, treeParentId) with their types: they are kept even when the
    source does not own them, so apply can order deletes children first.
    """

    manifest: str  # the manifest name, whose source table parses it
    dataset_id: str
    data: bytes = field(repr=False)
    tree: tuple[tuple[str, PropertyType], ...] = ()


@dataclass(frozen=True)
class RawLive:
    """The tenant as fetched, before any item is parsed: the datasets and the raw exports."""

    target: str
    tenant: str
    datasets: list[LiveDataset]
    exports: list[RawExport]


async def read_live(client: TenantReader, project: Project, tables: Mapping[str, SourceTable] | Iterable[SourceTable],
                    target_label: str) -> LiveState:
    """The tenant as it is now: all datasets, full resources of the managed ones, items of those with sources.

    `tables` are the source tables by manifest name (or a list of them); `target_label` becomes `LiveState.target`.
    Raises ConfigError when a manifest's name matches two datasets without a `datasetId` pin, or a pin is unknown.
    """
    by_name = dict(tables) if isinstance(tables, Mapping) else {t.name: t for t in tables}
    raw = await fetch_live(client, project, by_name, target_label)
    return await asyncio.to_thread(parse_live, raw, by_name)


async def fetch_live(client: TenantReader, project: Project, items_of: Collection[str], target_label: str) -> RawLive:
    """Every dataset listed, the managed ones retrieved, and the exports of the manifests named in `items_of`.

    Needs no source: each export is projected to the columns the manifest declares (see `export_columns`).
    Raises ConfigError when a manifest's name matches two datasets without a `datasetId` pin, or a pin is unknown.
    """
    listed = await client.list_datasets()
    await _explain_duplicates(client, project, listed)
    matches = _match_manifests(project, listed)
    gate = asyncio.Semaphore(MAX_CONCURRENT_READS)

    summaries = {d.get(ep.F_DATASET_ID): d for d in listed if isinstance(d, dict)}

    async def retrieve(dataset_id: str) -> JsonObject:
        async with gate:  # follows the listed dataset's `dataset:retrieve` link when it has one
            return await client.get_dataset(dataset_id, summaries.get(dataset_id))

    ids = list(dict.fromkeys(matches.values()))
    resources = dict(zip(ids, await asyncio.gather(*(retrieve(i) for i in ids)), strict=True))
    datasets = [_live_dataset(resources.get(d[ep.F_DATASET_ID], d)) for d in listed]

    async def export(manifest: Manifest, dataset: LiveDataset) -> RawExport:
        live_keys = {p.get("key") for p in dataset.properties}
        projection = [c for c in export_columns(manifest) if c in live_keys] + [ID_COLUMN]
        async with gate:
            data = await client.export_csv(dataset.dataset_id, projection=projection, resource=dataset.resource)
        return RawExport(manifest.name, dataset.dataset_id, data, tree_columns(manifest))

    wanted = [(m, _by_id(datasets, matches[m.name])) for m in project.manifests
              if m.items is not None and m.name in matches and m.name in items_of]
    exports = await asyncio.gather(*(export(m, d) for m, d in wanted))
    return RawLive(target_label, project.config.tenant, datasets, list(exports))


def export_columns(manifest: Manifest) -> list[str]:
    """The columns a source of `manifest` may own: the key, then every declared property that is not on-demand."""
    computed = {p.key for p in manifest.properties if p.onDemand}
    key = manifest.key_columns
    return [*key, *(c for c in property_types(manifest) if c not in key and c not in computed)]


def tree_columns(manifest: Manifest) -> tuple[tuple[str, PropertyType], ...]:
    """treeId and treeParentId of a dataset with a hierarchy, with their types; else nothing."""
    if not isinstance(manifest, DatasetManifest) or not manifest.treeId or not manifest.treeParentId:
        return ()
    types = property_types(manifest)
    return tuple((c, types.get(c, "text")) for c in dict.fromkeys((manifest.treeId, manifest.treeParentId)))


def parse_live(raw: RawLive, tables: Mapping[str, SourceTable]) -> LiveState:
    """`raw` with each export parsed by its manifest's source table (key + owned columns, canonical Utf8)."""
    items = [parse_items(export, tables[export.manifest]) for export in raw.exports]
    return LiveState(target=raw.target, tenant=raw.tenant, datasets=raw.datasets,
                     items={i.dataset_id: i for i in items})


def parse_items(export: RawExport, table: SourceTable) -> LiveItems:
    """One dataset's live items: key + owned + tree columns (null when the dataset lacks them), `_id`; keyless
    set aside."""
    tree = dict(export.tree)
    columns = list(dict.fromkeys([*table.key, *table.owned, *tree, ID_COLUMN]))
    frame = parse_export(export.data, columns, table, extra_types=tree)
    keyed = pl.all_horizontal([pl.col(k).is_not_null() for k in table.key])
    unmatched = frame.height - int(frame.select(keyed.sum()).item() or 0)
    return LiveItems(export.dataset_id, frame.filter(keyed) if unmatched else frame, unmatched)


async def _explain_duplicates(client: TenantReader, project: Project, listed: list[JsonObject]) -> None:
    """When a manifest's name matches several datasets (two applies at once), say which holds items and how to
    recover, before anything else is read: pin the one with the items, delete the other in Orgvue."""
    problems: list[Problem] = []
    for manifest in project.manifests:
        found = [d for d in listed if d.get(ep.F_NAME) == manifest.name]
        if manifest.datasetId or len(found) < 2:
            continue
        resources = await asyncio.gather(*(client.get_dataset(d[ep.F_DATASET_ID]) for d in found),
                                         return_exceptions=True)
        described = [_holding(r) if isinstance(r, dict) else (f"{d[ep.F_DATASET_ID]} (could not be read)", False)
                     for d, r in zip(found, resources, strict=True)]
        keep = [d for d, (_, has) in zip(found, described, strict=True) if has]
        pick = keep[0][ep.F_DATASET_ID] if len(keep) == 1 else None
        lines = "; ".join(text for text, _ in described)
        advice = (f"pin the one holding the items with `datasetId: {pick}` in {manifest.origin.file}, run plan, "
                  f"then delete the other{'s' if len(found) > 2 else ''} in Orgvue" if pick else
                  "pin the intended one with `datasetId:` in the manifest, run plan, then delete the others in Orgvue")
        ids = ", ".join(d[ep.F_DATASET_ID] for d in found)
        problems.append(Problem(manifest.origin, f"tenant {project.config.tenant} has {len(found)} datasets named "
                                f"{manifest.name!r} ({ids}), probably from two applies at once: {lines}. "
                                f"To recover: {advice}", "name"))
    if problems:
        raise ConfigError(problems, hint="orgsync cannot tell which one the manifest means; nothing was written")


def _holding(resource: JsonObject) -> tuple[str, bool]:
    """'D1 (created 2026-…, 300 items)' and whether it holds items (count, else any item transaction)."""
    found = resource.get("items")
    items: JsonObject = found if isinstance(found, dict) else {}
    count = items.get("count")
    has = bool(count) if isinstance(count, int) else items.get("lastTransactionId") not in (None, "", 0)
    held = f"{count} items" if isinstance(count, int) else ("holds items" if has else "no items written")
    created = f"created {resource['createdAt']}, " if resource.get("createdAt") else ""
    return f"{resource.get(ep.F_DATASET_ID)} ({created}{held})", has


def _match_manifests(project: Project, listed: list[JsonObject]) -> dict[str, str]:
    """Manifest name -> live datasetId for the manifests whose dataset exists; ambiguity is an error."""
    datasets = [_live_dataset(d) for d in listed if d.get(ep.F_DATASET_ID)]
    found = {m.name: match_manifest(m, datasets, project.config.tenant) for m in project.manifests}
    problems = [f.problem for f in found.values() if f.problem is not None]
    if problems:
        raise ConfigError(problems, hint=next((f.hint for f in found.values() if f.hint), None))
    return {name: f.dataset.dataset_id for name, f in found.items() if f.dataset is not None}


def _live_dataset(resource: JsonObject) -> LiveDataset:
    return LiveDataset(dataset_id=resource[ep.F_DATASET_ID], name=resource.get(ep.F_NAME, ""),
                       type=resource.get(ep.F_TYPE, ""), resource=resource, ends=live_link_ends(resource))


def _by_id(datasets: list[LiveDataset], dataset_id: str) -> LiveDataset:
    return next(d for d in datasets if d.dataset_id == dataset_id)


def parse_export(data: bytes, columns: list[str], table: SourceTable, *,
                 extra_types: Mapping[str, PropertyType] | None = None) -> pl.DataFrame:
    """CSV export bytes -> frame with exactly `columns` (missing ones null), canonical Utf8 by property type.

    Types come from `table`, else `extra_types` (columns the source does not own), else text. Only `columns`
    are parsed, so an export projected to more (every declared property) costs no more.
    """
    types = {**(extra_types or {}), **table.types}
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    header = _header(data)
    present = [c for c in columns if c in header]
    if present:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, columns=present)
    else:  # no rows and not even a header
        frame = pl.DataFrame(schema={c: pl.Utf8 for c in columns})
    frame = frame.select([pl.col(c) if c in present else pl.lit(None, pl.Utf8).alias(c) for c in columns])
    return canonical_frame(frame, {c: types.get(c, "text") for c in columns if c != ID_COLUMN}, LIVE_DATE_FORMAT,
                           keep_invalid=True)


def _header(data: bytes) -> set[str]:
    """The column names of CSV `data` (none when it is blank)."""
    if not data or data.isspace():
        return set()
    return set(pl.read_csv(io.BytesIO(data), n_rows=0, infer_schema=False).columns)
