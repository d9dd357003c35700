"""Read the live tenant once per plan: every dataset listed, the managed ones retrieved, their items in bulk.

Two steps, so the network part can run while the sources are still being read: `fetch_live` needs only the
manifests (items come from the async CSV export, gzip, projected to the key + every declared, non-on-demand
property the live dataset has + `_id`, written as received to a file of the spool directory); `parse_live`
then reads each export a chunk at a time, unpacking it as it reads, with its source table (only the key + owned columns, and a hierarchy's tree
columns, as Utf8), canonicalised with the same `canonical_frame` as the sources, so both sides of the diff
agree. In memory stays an index (key, tree, `_id`, a hash of the owned values); the owned values go to Arrow
files of the spool, read back only for the rows that changed. `read_live` is the two in a row.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orgsync.api.answers import Dataset, DatasetSummary
from orgsync.api.protocol import TenantReader
from orgsync.errors import ConfigError, Problem
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project, PropertyType
from orgsync.manifest.property_types import property_types
from orgsync.sources.canonical import canonical_frame
from orgsync.sources.table import SourceTable
from orgsync.state import csv_chunks
from orgsync.state.live_link_ends import live_link_ends
from orgsync.state.matching import match_manifest
from orgsync.state.snapshot import (
    LIVE_ROW,
    ROW_HASH,
    LiveDataset,
    LiveItems,
    LiveState,
    LiveValues,
    retyped_columns,
    row_hashes,
)

Manifest = DatasetManifest | LinksDatasetManifest
ID_COLUMN = "_id"
LIVE_DATE_FORMAT = "YYYY-MM-DD"  # exports write dates as YYYY-MM-DD whatever the manifest's dateFormat
MAX_CONCURRENT_READS = 4
# the values of an export held in memory before its further chunks go to the spool (~200,000 items of 30
# properties): a small export's values never touch the disk, a big one's hold at most this much in memory
SPOOL_FROM_BYTES = 64 << 20


@dataclass(frozen=True)
class RawExport:
    """One managed dataset's items as exported: a CSV file of the projected columns (`_id` last), as received.

    `tree` names the hierarchy columns (treeId, treeParentId) with their types: they are kept even when the
    source does not own them, so apply can order deletes children first.
    """

    manifest: str  # the manifest name, whose source table parses it
    dataset_id: str
    path: Path  # in the spool directory given to `fetch_live`: gzip as the service sent it, or plain CSV
    tree: tuple[tuple[str, PropertyType], ...] = ()
    limit: int | None = None  # the most bytes the file may unpack to (the download limit); None: unbounded


@dataclass(frozen=True)
class RawLive:
    """The tenant as fetched, before any item is parsed: the datasets and the raw exports."""

    target: str
    tenant: str
    datasets: list[LiveDataset]
    exports: list[RawExport]


async def read_live(
    client: TenantReader,
    project: Project,
    tables: Mapping[str, SourceTable] | Iterable[SourceTable],
    target_label: str,
) -> LiveState:
    """The tenant as it is now: all datasets, full resources of the managed ones, items of those with sources.

    `tables` are the source tables by manifest name (or a list of them); `target_label` becomes `LiveState.target`.
    Raises ConfigError when a manifest's name matches two datasets without a `datasetId` pin, or a pin is unknown.
    The exports pass through a temporary directory, removed before this returns; the values stay in memory.
    """
    by_name = dict(tables) if isinstance(tables, Mapping) else {t.name: t for t in tables}
    with tempfile.TemporaryDirectory(prefix="orgsync-live-") as spool:
        raw = await fetch_live(client, project, by_name, target_label, Path(spool))
        return await asyncio.to_thread(parse_live, raw, by_name)


async def fetch_live(
    client: TenantReader, project: Project, items_of: Collection[str], target_label: str, spool: Path
) -> RawLive:
    """Every dataset listed, the managed ones retrieved, and the exports of the manifests named in `items_of`,
    each written to a file in the directory `spool` (which the caller owns and removes).

    Needs no source: each export is projected to the columns the manifest declares (see `export_columns`).
    Raises ConfigError when a manifest's name matches two datasets without a `datasetId` pin, or a pin is unknown.
    """
    listed = await client.list_datasets()
    await _explain_duplicates(client, project, listed)
    matches = _match_manifests(project, listed)
    gate = asyncio.Semaphore(MAX_CONCURRENT_READS)

    summaries = {d.datasetId: d for d in listed}

    async def retrieve(dataset_id: str) -> Dataset:
        async with gate:  # follows the listed dataset's `dataset:retrieve` link when it has one
            return await client.get_dataset(dataset_id, summaries.get(dataset_id))

    ids = list(dict.fromkeys(matches.values()))
    resources = dict(zip(ids, await asyncio.gather(*(retrieve(i) for i in ids)), strict=True))
    datasets = [_live_dataset(resources.get(d.datasetId, d)) for d in listed]

    async def export(number: int, manifest: Manifest, dataset: LiveDataset) -> RawExport:
        live_keys = {p.get("key") for p in dataset.properties}
        projection = [c for c in export_columns(manifest) if c in live_keys] + [ID_COLUMN]
        path = (
            spool / f"export-{number}.csv"
        )  # named by position: a dataset id is the tenant's text, not a path
        async with gate:
            got = await client.export_csv_file(
                dataset.dataset_id, path, projection=projection, resource=dataset.resource
            )
        return RawExport(manifest.name, dataset.dataset_id, path, tree_columns(manifest), got.limit)

    wanted = [
        (m, _by_id(datasets, matches[m.name]))
        for m in project.manifests
        if m.items is not None and m.name in matches and m.name in items_of
    ]
    exports = await asyncio.gather(*(export(n, m, d) for n, (m, d) in enumerate(wanted)))
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


def parse_live(raw: RawLive, tables: Mapping[str, SourceTable], spool: Path | None = None) -> LiveState:
    """`raw` with each export parsed by its manifest's source table (key + owned columns, canonical Utf8).

    With `spool` (a directory the caller owns, alive while the plan is built, where the exports are) each export
    file is removed once read, and an export's values past the first `SPOOL_FROM_BYTES` are kept there in Arrow
    files; without it, all are held in memory."""
    datasets = {d.dataset_id: d for d in raw.datasets}

    def parse(number: int, export: RawExport) -> LiveItems:
        table = tables[export.manifest]
        retyped = retyped_columns(datasets.get(export.dataset_id), table.types, table.owned)
        return parse_items(export, table, spool, number, compare=not retyped)

    items = [parse(number, export) for number, export in enumerate(raw.exports)]
    return LiveState(
        target=raw.target, tenant=raw.tenant, datasets=raw.datasets, items={i.dataset_id: i for i in items}
    )


def parse_items(
    export: RawExport, table: SourceTable, spool: Path | None = None, number: int = 0, *, compare: bool = True
) -> LiveItems:
    """One dataset's live items, read a chunk at a time: the index (key, the owned values' hash; keyless items
    counted, not kept) in memory; of the values (owned, tree columns, `_id`), with `compare` and a source table
    holding its rows, only those of the rows that differ from the source by hash (or that it lacks) are kept, in
    memory; else every row's, those past `SPOOL_FROM_BYTES` spooled (all in memory without `spool`). Columns
    the dataset lacks are null."""
    read = _Reading.of(export, table)
    source = SourceHashes.of(table, read.owned) if compare else None
    if source is not None:
        index, values, unmatched = _compared(read, source)
    else:
        index, values, unmatched = _every_row(read, spool, number)
    if spool is not None:  # the export file is the spool's: removed once read
        export.path.unlink(missing_ok=True)
    return LiveItems(export.dataset_id, tuple(read.key), index, values, tuple(read.owned), unmatched)


@dataclass(frozen=True)
class _Reading:
    """What reading one export needs: its file, the columns read and their types, the key, the owned columns
    (hashed) and the columns kept aside as values (owned, tree, `_id`)."""

    path: Path
    limit: int | None
    columns: list[str]
    types: dict[str, PropertyType]
    key: list[str]
    owned: list[str]
    aside: list[str]

    @classmethod
    def of(cls, export: RawExport, table: SourceTable) -> _Reading:
        tree = dict(export.tree)
        key, owned = list(table.key), [c for c in table.owned if c not in table.key]
        columns = list(dict.fromkeys([*key, *owned, *tree, ID_COLUMN]))
        types = {c: {**tree, **table.types}.get(c, "text") for c in columns if c != ID_COLUMN}
        aside = [c for c in columns if c not in key]
        return cls(export.path, export.limit, columns, types, key, owned, aside)

    def chunks(self) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
        """Each chunk with exactly `columns` (those the export lacks null), and its rows' LIVE_ROW numbers."""
        start = 0
        for raw in csv_chunks.frames(self.path, self.columns, limit=self.limit):
            frame = raw.select(
                [pl.col(c) if c in raw.columns else pl.lit(None, pl.Utf8).alias(c) for c in self.columns]
            )
            yield (
                frame,
                pl.int_range(start, start + frame.height, eager=True, dtype=pl.UInt32).alias(LIVE_ROW),
            )
            start += frame.height

    def keyed(self, index: pl.DataFrame) -> pl.Series:
        return index.select(pl.all_horizontal([pl.col(k).is_not_null() for k in self.key])).to_series()

    def empty_index(self) -> pl.DataFrame:
        return pl.DataFrame(
            schema={**{c: pl.Utf8 for c in self.key}, ROW_HASH: pl.UInt64, LIVE_ROW: pl.UInt32}
        )


def _compared(read: _Reading, source: SourceHashes) -> tuple[pl.DataFrame, LiveValues, int]:
    """The index of every keyed row, and the canonical values of the rows that differ from the source.

    A row whose text as exported already hashes like the source's canonical row is that row (the canonical form
    of canonical text is itself), so only the other rows, a few, are canonicalised and hashed again: the key is
    canonicalised for every row as each chunk is read; the few other rows are gathered as exported, and
    canonicalised and hashed once, all together, after the last chunk (a few steps per column, not per chunk)."""
    indexes: list[pl.DataFrame] = []
    maybes: list[pl.DataFrame] = []  # per chunk, its rows that may differ, as exported, with their index row
    height = unmatched = offset = 0
    for frame, rows in read.chunks():
        height += frame.height
        frame = canonical_frame(
            frame, {k: read.types[k] for k in read.key}, LIVE_DATE_FORMAT, keep_invalid=True
        )
        index = frame.select(read.key).with_columns(row_hashes(frame, read.owned), rows)
        keyed = read.keyed(index)
        if not keyed.all():
            unmatched += index.height - int(keyed.sum())
            index, frame = index.filter(keyed), frame.filter(keyed)
        maybe = source.differs(index, read.key).arg_true()
        if maybe.len():
            at = (maybe.cast(pl.UInt32) + offset).alias(_AT)
            maybes.append(
                frame.select(pl.all().gather(maybe)).with_columns(at, index[LIVE_ROW].gather(maybe))
            )
        indexes.append(index)
        offset += index.height
    index = pl.concat(indexes) if indexes else read.empty_index()
    if not maybes:
        empty = {LIVE_ROW: pl.UInt32, **{c: pl.Utf8 for c in read.aside}}
        return index, LiveValues.only(pl.DataFrame(schema=empty), read.aside, height), unmatched
    raw = pl.concat(maybes)
    canonical = canonical_frame(
        raw, {c: read.types[c] for c in read.aside if c in read.types}, LIVE_DATE_FORMAT, keep_invalid=True
    )
    if read.owned:
        index = index.with_columns(index[ROW_HASH].scatter(canonical[_AT], row_hashes(canonical, read.owned)))
    changed = source.differs(index.select(pl.all().gather(canonical[_AT])), read.key)
    kept = canonical.filter(changed).select(*read.aside, LIVE_ROW)
    return index, LiveValues.only(kept, read.aside, height), unmatched


_AT = "__index_row"  # a row's position in the concatenated live index


def _every_row(read: _Reading, spool: Path | None, number: int) -> tuple[pl.DataFrame, LiveValues, int]:
    """The index of every keyed row, and every row's canonical values: in memory until they pass
    `SPOOL_FROM_BYTES` (as measured, not as any size the service declared), then, with `spool`, one Arrow file of
    it per further chunk (writing and reading back files costs more than it saves for a small export). Each
    chunk's values are written on a second thread while the next chunk is parsed (polars lets go of the GIL
    while it writes); one write at most is pending, so one chunk more at most is alive."""
    indexes: list[pl.DataFrame] = []
    parts: list[pl.DataFrame | Path] = []
    heights: list[int] = []
    unmatched = held = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="orgsync-spool") as writer:
        pending: Future[None] | None = None
        for chunk, (raw, rows) in enumerate(read.chunks()):
            frame = canonical_frame(raw, read.types, LIVE_DATE_FORMAT, keep_invalid=True)
            index = frame.select(read.key).with_columns(row_hashes(frame, read.owned), rows)
            kept = index.filter(read.keyed(index))
            unmatched += index.height - kept.height
            indexes.append(kept)
            heights.append(frame.height)
            values = frame.select(read.aside)
            if spool is None or held < SPOOL_FROM_BYTES:
                held += int(values.estimated_size())
                parts.append(values)
                continue
            part = spool / f"values-{number}-{chunk:05d}.arrow"
            if pending is not None:
                pending.result()
            pending = writer.submit(values.write_ipc, part)  # uncompressed: a third of lz4's time
            parts.append(part)
        if pending is not None:
            pending.result()
    index = pl.concat(indexes) if indexes else read.empty_index()
    return index, LiveValues(parts, heights, read.aside), unmatched


@dataclass(frozen=True)
class SourceHashes:
    """The source rows' key hashes, sorted, with each row's `row_hashes` of the owned columns: what tells, as
    the export is read, which live rows can differ from the source (and so must keep their values)."""

    sorted_keys: pl.Series  # u64 hash of each source row's key, ascending
    rows: pl.Series  # the source row of each of them
    keys: pl.DataFrame  # the source's key columns
    hashes: pl.Series  # each source row's owned-values hash (null without owned columns)

    @classmethod
    def of(cls, table: SourceTable, owned: list[str]) -> SourceHashes | None:
        """None when the table does not hold its rows (a table built without them, as in some tests)."""
        frame = table.frame
        if any(c not in frame.columns for c in [*table.key, *owned]):
            return None
        keyed = row_hashes(frame, table.key)
        order = keyed.arg_sort()
        return cls(keyed.gather(order), order, frame.select(table.key), table.hashed(owned, row_hashes))

    def differs(self, index: pl.DataFrame, key: list[str]) -> pl.Series:
        """Per row of `index` (key, ROW_HASH): true unless the source has its key with the same owned hash. A key
        hash shared by two source keys can only make a row look changed, never the reverse."""
        if not self.rows.len():
            return pl.repeat(True, index.height, dtype=pl.Boolean, eager=True)
        wanted = row_hashes(index, key)
        at = self.sorted_keys.search_sorted(wanted, side="left").clip(0, self.rows.len() - 1)
        row = self.rows.gather(at)
        found = self.sorted_keys.gather(at) == wanted
        for column in key:
            found = found & (self.keys[column].gather(row) == index[column]).fill_null(False)
        same = found & self.hashes.gather(row).eq_missing(index[ROW_HASH])
        return ~same


async def _explain_duplicates(client: TenantReader, project: Project, listed: list[DatasetSummary]) -> None:
    """When a manifest's name matches several datasets (two applies at once), say which holds items and how to
    recover, before anything else is read: pin the one with the items, delete the other in Orgvue."""
    problems: list[Problem] = []
    for manifest in project.manifests:
        found = [d for d in listed if d.name == manifest.name]
        if manifest.datasetId or len(found) < 2:
            continue
        resources = await asyncio.gather(
            *(client.get_dataset(d.datasetId) for d in found), return_exceptions=True
        )
        described = [
            _holding(r) if isinstance(r, Dataset) else (f"{d.datasetId} (could not be read)", False)
            for d, r in zip(found, resources, strict=True)
        ]
        keep = [d for d, (_, has) in zip(found, described, strict=True) if has]
        pick = keep[0].datasetId if len(keep) == 1 else None
        lines = "; ".join(text for text, _ in described)
        advice = (
            f"pin the one holding the items with `datasetId: {pick}` in {manifest.origin.file}, run plan, "
            f"then delete the other{'s' if len(found) > 2 else ''} in Orgvue"
            if pick
            else "pin the intended one with `datasetId:` in the manifest, run plan, then delete the others in Orgvue"
        )
        ids = ", ".join(d.datasetId for d in found)
        problems.append(
            Problem(
                manifest.origin,
                f"tenant {project.config.tenant} has {len(found)} datasets named "
                f"{manifest.name!r} ({ids}), probably from two applies at once: {lines}. "
                f"To recover: {advice}",
                "name",
            )
        )
    if problems:
        raise ConfigError(
            problems, hint="orgsync cannot tell which one the manifest means; nothing was written"
        )


def _holding(resource: Dataset) -> tuple[str, bool]:
    """'D1 (created 2026-…, 300 items)' and whether it holds items (count, else any item transaction)."""
    items = resource.fields.get("items") or {}
    count = items.get("count")
    last = resource.items.lastTransactionId if resource.items else None
    has = bool(count) if isinstance(count, int) else last not in (None, "", 0)
    held = f"{count} items" if isinstance(count, int) else ("holds items" if has else "no items written")
    created = f"created {resource.fields['createdAt']}, " if resource.fields.get("createdAt") else ""
    return f"{resource.datasetId} ({created}{held})", has


def _match_manifests(project: Project, listed: list[DatasetSummary]) -> dict[str, str]:
    """Manifest name -> live datasetId for the manifests whose dataset exists; ambiguity is an error."""
    datasets = [_live_dataset(d) for d in listed if d.datasetId]
    found = {m.name: match_manifest(m, datasets, project.config.tenant) for m in project.manifests}
    problems = [f.problem for f in found.values() if f.problem is not None]
    if problems:
        raise ConfigError(problems, hint=next((f.hint for f in found.values() if f.hint), None))
    return {name: f.dataset.dataset_id for name, f in found.items() if f.dataset is not None}


def _live_dataset(resource: DatasetSummary) -> LiveDataset:
    return LiveDataset(
        dataset_id=resource.datasetId,
        name=resource.name or "",
        type=resource.type or "",
        resource=resource,
        ends=live_link_ends(resource.fields),
    )


def _by_id(datasets: list[LiveDataset], dataset_id: str) -> LiveDataset:
    return next(d for d in datasets if d.dataset_id == dataset_id)
