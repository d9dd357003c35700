"""Turn a Plan into ordered steps with dependencies, so apply never leaves the tenant inconsistent.

Pure: no I/O. The executor runs a step once every step in its `after` has succeeded; with one worker it
takes ready steps in (phase, plan position) order, so the calls follow the documented order exactly:
datasets and their properties, links datasets, links item deletes, dataset item creates/updates (parents
first), links item creates/updates, dataset item deletes (children first), property removals, follow-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import polars as pl

from orgsync.errors import OrderError
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.plan.model import Action, ItemChanges, Plan, ResourcePlan

Manifest = DatasetManifest | LinksDatasetManifest


class Phase(IntEnum):
    """The global order of the issue; a step never runs before the steps it depends on."""

    DATASET_CONFIG = 1
    LINKS_CONFIG = 2
    LINKS_ITEM_DELETES = 3
    ITEM_UPSERTS = 4
    LINKS_ITEM_UPSERTS = 5
    ITEM_DELETES = 6
    PROPERTY_REMOVALS = 7
    FOLLOW_UPS = 8


class StepKind(StrEnum):
    CREATE_DATASET = "create-dataset"
    UPDATE_DATASET = "update-dataset"
    UPSERT_ITEMS = "upsert-items"
    DELETE_ITEMS = "delete-items"
    REMOVE_PROPERTIES = "remove-properties"
    RUN_ONDEMAND = "run-ondemand"
    POPULATE_LINKS = "populate-links"


@dataclass(frozen=True)
class Wave:
    """Rows written together; waves of one step go out in order (hierarchy level by level)."""

    creates: pl.DataFrame | None = None
    updates: pl.DataFrame | None = None
    deletes: pl.DataFrame | None = None

    @property
    def size(self) -> int:
        return sum(f.height for f in (self.creates, self.updates, self.deletes) if f is not None)


@dataclass(frozen=True)
class Step:
    """One unit of work against one dataset; `after` names the steps that must have succeeded first."""

    id: str
    kind: StepKind
    phase: Phase
    resource: ResourcePlan = field(repr=False)
    manifest: Manifest | None = field(repr=False)
    after: tuple[str, ...] = ()
    waves: tuple[Wave, ...] = ()

    @property
    def address(self) -> str:
        return self.resource.address

    @property
    def is_links(self) -> bool:
        return self.resource.kind == "LinksDataset"

    @property
    def item_count(self) -> int:
        return sum(w.size for w in self.waves)

    @property
    def writes_items(self) -> bool:
        return self.kind in (StepKind.UPSERT_ITEMS, StepKind.DELETE_ITEMS)


def order_plan(plan: Plan, project: Project | None = None) -> list[Step]:
    """All steps of the plan in the order one worker runs them, each with its dependencies."""
    by_name = {r.name: r for r in plan.resources}
    steps: list[Step] = []
    for res in plan.resources:
        manifest = project.by_name(res.name) if project else None
        steps.extend(_steps_of(res, manifest, plan))
    ids = {s.id for s in steps}
    resolved = [_with_deps(s, by_name, ids, project) for s in steps]
    position = {r.address: i for i, r in enumerate(plan.resources)}
    return sorted(resolved, key=lambda s: (s.phase, position[s.address]))


def step_id(address: str, kind: StepKind) -> str:
    """A stable id: `dataset.People:upsert-items`."""
    return f"{address}:{kind.value}"


# ---------------------------------------------------------------- steps of one resource


def _steps_of(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> Iterable[Step]:
    links = res.kind == "LinksDataset"

    def make(kind: StepKind, phase: Phase, waves: tuple[Wave, ...] = ()) -> Step:
        return Step(step_id(res.address, kind), kind, phase, res, manifest, (), waves)

    config_phase = Phase.LINKS_CONFIG if links else Phase.DATASET_CONFIG
    if res.action == Action.CREATE:
        yield make(StepKind.CREATE_DATASET, config_phase)
    elif res.config_changes or any(p.action != Action.DELETE for p in res.property_changes):
        yield make(StepKind.UPDATE_DATASET, config_phase)
    items = res.items
    if items is not None and (items.creates.height or items.updates.height):
        phase = Phase.LINKS_ITEM_UPSERTS if links else Phase.ITEM_UPSERTS
        yield make(StepKind.UPSERT_ITEMS, phase, upsert_waves(items, *_tree(manifest)))
    if items is not None and items.deletes.height:
        phase = Phase.LINKS_ITEM_DELETES if links else Phase.ITEM_DELETES
        yield make(StepKind.DELETE_ITEMS, phase, delete_waves(items, *_tree(manifest)))
    if any(p.action == Action.DELETE for p in res.property_changes):
        yield make(StepKind.REMOVE_PROPERTIES, Phase.PROPERTY_REMOVALS)
    if isinstance(manifest, DatasetManifest) and manifest.on_demand_keys and _touched(res, plan):
        yield make(StepKind.RUN_ONDEMAND, Phase.FOLLOW_UPS)
    if isinstance(manifest, LinksDatasetManifest) and manifest.populate and _populate_due(res, manifest, plan):
        yield make(StepKind.POPULATE_LINKS, Phase.FOLLOW_UPS)


def _tree(manifest: Manifest | None) -> tuple[str | None, str | None]:
    if isinstance(manifest, DatasetManifest) and manifest.treeId and manifest.treeParentId:
        return manifest.treeId, manifest.treeParentId
    return None, None


def _changed(res: ResourcePlan) -> bool:
    return res.action != Action.NOOP or bool(res.items and not res.items.is_empty)


def _touched(res: ResourcePlan, plan: Plan) -> bool:
    """On-demand values are recalculated only when the dataset or a links dataset on it changed."""
    if _changed(res):
        return True
    return any(_changed(r) and res.address in r.depends_on for r in plan.resources if r.kind == "LinksDataset")


def _populate_due(res: ResourcePlan, manifest: LinksDatasetManifest, plan: Plan) -> bool:
    """Populate when the links dataset is new or changed, or one of the datasets it reads changed."""
    if _changed(res):
        return True
    names = {manifest.populate.sourceDataset, manifest.from_, manifest.to} if manifest.populate else set()
    return any(_changed(r) for r in plan.resources if r.name in names)


# ---------------------------------------------------------------- dependencies


def _with_deps(step: Step, by_name: dict[str, ResourcePlan], ids: set[str], project: Project | None) -> Step:
    """Fill `after` with the ids of existing steps this one must follow."""
    res, m = step.resource, step.manifest
    own_order = _LINKS_OWN_BEFORE if step.is_links else _OWN_BEFORE
    own = [step_id(res.address, k) for k in own_order.get(step.kind, _OWN_BEFORE[step.kind])]
    linked = _links_on(res, by_name, project)
    ends = _link_ends(m, by_name)
    wanted: list[str] = list(own)
    kind = step.kind
    if kind in (StepKind.CREATE_DATASET, StepKind.UPDATE_DATASET) and step.is_links:
        wanted += [step_id(a, k) for a in ends for k in (StepKind.CREATE_DATASET, StepKind.UPDATE_DATASET)]
    elif kind == StepKind.UPSERT_ITEMS and not step.is_links:
        wanted += [step_id(a, StepKind.DELETE_ITEMS) for a in linked]
    elif kind == StepKind.UPSERT_ITEMS:
        wanted += [step_id(a, StepKind.UPSERT_ITEMS) for a in ends]
    elif kind == StepKind.DELETE_ITEMS and not step.is_links:
        wanted += [step_id(a, k) for a in linked for k in (StepKind.DELETE_ITEMS, StepKind.UPSERT_ITEMS)]
    elif kind == StepKind.RUN_ONDEMAND:
        wanted += [step_id(a, k) for a in linked for k in _ITEM_KINDS]
    elif kind == StepKind.POPULATE_LINKS:
        wanted += [step_id(a, k) for a in _populate_reads(m, by_name) for k in _ALL_BEFORE_FOLLOW_UPS]
    after = tuple(dict.fromkeys(w for w in wanted if w in ids and w != step.id))
    return Step(step.id, step.kind, step.phase, res, m, after, step.waves)


_ITEM_KINDS = (StepKind.UPSERT_ITEMS, StepKind.DELETE_ITEMS)
_CONFIG_KINDS = (StepKind.CREATE_DATASET, StepKind.UPDATE_DATASET)
_ALL_BEFORE_FOLLOW_UPS = (*_CONFIG_KINDS, *_ITEM_KINDS, StepKind.REMOVE_PROPERTIES)

# Within one resource, a step follows these steps of the same resource (where they exist).
_OWN_BEFORE: dict[StepKind, tuple[StepKind, ...]] = {
    StepKind.CREATE_DATASET: (),
    StepKind.UPDATE_DATASET: (),
    StepKind.DELETE_ITEMS: (*_CONFIG_KINDS, StepKind.UPSERT_ITEMS),
    StepKind.UPSERT_ITEMS: _CONFIG_KINDS,
    StepKind.REMOVE_PROPERTIES: (*_CONFIG_KINDS, *_ITEM_KINDS),
    StepKind.RUN_ONDEMAND: _ALL_BEFORE_FOLLOW_UPS,
    StepKind.POPULATE_LINKS: _ALL_BEFORE_FOLLOW_UPS,
}
# Links item deletes come first, before the links' own creates and updates.
_LINKS_OWN_BEFORE: dict[StepKind, tuple[StepKind, ...]] = {
    StepKind.DELETE_ITEMS: _CONFIG_KINDS,
    StepKind.UPSERT_ITEMS: (*_CONFIG_KINDS, StepKind.DELETE_ITEMS),
}


def _link_ends(m: Manifest | None, by_name: dict[str, ResourcePlan]) -> list[str]:
    if not isinstance(m, LinksDatasetManifest):
        return []
    return [by_name[n].address for n in (m.from_, m.to) if n in by_name]


def _populate_reads(m: Manifest | None, by_name: dict[str, ResourcePlan]) -> list[str]:
    if not isinstance(m, LinksDatasetManifest) or not m.populate:
        return []
    names = (m.populate.sourceDataset, m.from_, m.to)
    return [by_name[n].address for n in names if n in by_name]


def _links_on(res: ResourcePlan, by_name: dict[str, ResourcePlan], project: Project | None) -> list[str]:
    """Addresses of the links datasets whose `from` or `to` is this dataset."""
    if res.kind == "LinksDataset":
        return []
    found = [r.address for r in by_name.values() if r.kind == "LinksDataset" and res.address in r.depends_on]
    if project:
        for m in project.manifests:
            if isinstance(m, LinksDatasetManifest) and res.name in (m.from_, m.to) and m.name in by_name:
                found.append(by_name[m.name].address)
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- hierarchy waves

_LEVEL = "__level"


def upsert_waves(items: ItemChanges, tree_id: str | None, tree_parent: str | None) -> tuple[Wave, ...]:
    """Creates and updates level by level: an item goes after the created item it hangs under."""
    creates, updates = items.creates, items.updates
    if not tree_id or not tree_parent or tree_id not in creates.columns or tree_parent not in creates.columns:
        return (Wave(creates=creates, updates=updates),)
    created = creates.select(pl.col(tree_id).alias("id"), pl.col(tree_parent).alias("parent"))
    levels = _levels(created, what="create")
    creates = creates.with_columns(levels.alias(_LEVEL))
    if tree_parent in updates.columns and updates.height:
        parent_level = created.with_columns(levels.alias(_LEVEL)).select(
            pl.col("id").alias(tree_parent), (pl.col(_LEVEL) + 1).alias(_LEVEL))
        updates = updates.join(parent_level, on=tree_parent, how="left", maintain_order="left")
        updates = updates.with_columns(pl.col(_LEVEL).fill_null(0))
    else:
        updates = updates.with_columns(pl.lit(0, dtype=pl.Int64).alias(_LEVEL))
    top = max(_max_level(creates), _max_level(updates))
    return tuple(Wave(creates=_level(creates, n), updates=_level(updates, n)) for n in range(top + 1))


def delete_waves(items: ItemChanges, tree_id: str | None, tree_parent: str | None) -> tuple[Wave, ...]:
    """Deletes deepest first, so no item is deleted while a deleted child still hangs under it.

    Needs the tree columns in the deletes frame; without them the deletes go out as one wave.
    """
    deletes = items.deletes
    if not tree_id or not tree_parent or tree_id not in deletes.columns or tree_parent not in deletes.columns:
        return (Wave(deletes=deletes),)
    pairs = deletes.select(pl.col(tree_id).alias("id"), pl.col(tree_parent).alias("parent"))
    deletes = deletes.with_columns(_levels(pairs, what="delete").alias(_LEVEL))
    top = _max_level(deletes)
    return tuple(Wave(deletes=_level(deletes, n)) for n in range(top, -1, -1))


def _levels(pairs: pl.DataFrame, *, what: str) -> pl.Series:
    """Depth of each row within the forest formed by the rows themselves (0 = parent not among them)."""
    ids = pairs.get_column("id")
    frame = pairs.with_columns(
        pl.when(pl.col("parent").is_null() | ~pl.col("parent").is_in(ids.drop_nulls().implode()))
        .then(pl.lit(0, dtype=pl.Int64)).otherwise(None).alias(_LEVEL))
    frame = frame.with_row_index("__row")
    while True:
        known = frame.filter(pl.col(_LEVEL).is_not_null()).select(
            pl.col("id").alias("parent"), (pl.col(_LEVEL) + 1).alias("__next")).unique("parent", keep="first")
        joined = frame.join(known, on="parent", how="left", maintain_order="left")
        newly = joined.filter(pl.col(_LEVEL).is_null() & pl.col("__next").is_not_null()).height
        frame = joined.with_columns(pl.coalesce(_LEVEL, "__next").alias(_LEVEL)).drop("__next")
        if not newly:
            break
    stuck = frame.filter(pl.col(_LEVEL).is_null())
    if stuck.height:
        sample = ", ".join(str(v) for v in stuck.get_column("id").head(5).to_list())
        raise OrderError(
            f"items to {what} form a hierarchy cycle ({stuck.height} items, e.g. {sample}); nothing was written",
            hint="fix the parent column in the source so every chain of parents ends at a root")
    return frame.sort("__row").get_column(_LEVEL)


def _max_level(frame: pl.DataFrame) -> int:
    if not frame.height:
        return 0
    return int(frame.select(pl.col(_LEVEL).max()).item())


def _level(frame: pl.DataFrame, n: int) -> pl.DataFrame:
    return frame.filter(pl.col(_LEVEL) == n).drop(_LEVEL)
