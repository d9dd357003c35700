"""Turn a Plan into ordered steps with dependencies, so apply never leaves the tenant inconsistent.

Pure: no I/O. The executor runs a step once every step in its `after` has succeeded; with one worker it
takes ready steps in (phase, plan position) order, so the calls follow the documented order exactly:
datasets and their properties, links datasets, links item deletes, dataset item creates/updates (parents
first), links item creates/updates, dataset item deletes (children first), property removals, follow-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

import polars as pl

from orgsync.apply.rows import Rows
from orgsync.errors import OrderError
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest, Project
from orgsync.plan.model import Action, ItemChanges, Plan, ResourcePlan
from orgsync.sources.checks import parent_rows

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
    """Rows written together; waves of one step go out in order (hierarchy level by level).

    Each is a selection of the plan's frame (`Rows`), not a copy of its rows: see rows.py for why."""

    creates: Rows | None = None
    updates: Rows | None = None
    deletes: Rows | None = None

    @property
    def size(self) -> int:
        return sum(r.height for r in (self.creates, self.updates, self.deletes) if r is not None)


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

Due = Callable[[ResourcePlan, Manifest | None, Plan], bool]
Waves = Callable[[ItemChanges, str | None, str | None], tuple[Wave, ...]]


@dataclass(frozen=True)
class StepRule:
    """A step a resource gets when `due`: its phase on a dataset and on a links dataset, and how its items
    are split into waves (item steps only)."""

    kind: StepKind
    on_dataset: Phase
    on_links: Phase
    due: Due
    waves: Waves | None = None


def _steps_of(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> Iterable[Step]:
    """The resource's steps: one per rule of `STEP_RULES` that is due, in the table's order."""
    links = res.kind == "LinksDataset"
    for rule in STEP_RULES:
        if not rule.due(res, manifest, plan):
            continue
        waves = rule.waves(res.items, *_tree(manifest)) if rule.waves and res.items is not None else ()
        phase = rule.on_links if links else rule.on_dataset
        yield Step(step_id(res.address, rule.kind), rule.kind, phase, res, manifest, (), waves)


def _created(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return res.action == Action.CREATE


def _reconfigured(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    """An existing resource whose fields changed, or that gains or changes a property (removals come later)."""
    return res.action != Action.CREATE and bool(
        res.config_changes or any(p.action != Action.DELETE for p in res.property_changes)
    )


def _has_upserts(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return res.items is not None and bool(res.items.creates.height or res.items.updates.height)


def _has_deletes(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return res.items is not None and bool(res.items.deletes.height)


def _loses_properties(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return any(p.action == Action.DELETE for p in res.property_changes)


def _recalculates(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return isinstance(manifest, DatasetManifest) and bool(manifest.on_demand_keys) and _touched(res, plan)


def _populates(res: ResourcePlan, manifest: Manifest | None, plan: Plan) -> bool:
    return (
        isinstance(manifest, LinksDatasetManifest)
        and bool(manifest.populate)
        and _populate_due(res, manifest, plan)
    )


def _upsert_waves(items: ItemChanges, tree_id: str | None, tree_parent: str | None) -> tuple[Wave, ...]:
    return upsert_waves(items, tree_id, tree_parent)


def _delete_waves(items: ItemChanges, tree_id: str | None, tree_parent: str | None) -> tuple[Wave, ...]:
    return delete_waves(items, tree_id, tree_parent)


_P = Phase
# The steps one resource can get, in the module docstring's order; each row reads
# (kind, phase on a dataset, phase on a links dataset, due when, waves).
STEP_RULES: tuple[StepRule, ...] = (
    StepRule(StepKind.CREATE_DATASET, _P.DATASET_CONFIG, _P.LINKS_CONFIG, _created),
    StepRule(StepKind.UPDATE_DATASET, _P.DATASET_CONFIG, _P.LINKS_CONFIG, _reconfigured),
    StepRule(StepKind.UPSERT_ITEMS, _P.ITEM_UPSERTS, _P.LINKS_ITEM_UPSERTS, _has_upserts, _upsert_waves),
    StepRule(StepKind.DELETE_ITEMS, _P.ITEM_DELETES, _P.LINKS_ITEM_DELETES, _has_deletes, _delete_waves),
    StepRule(StepKind.REMOVE_PROPERTIES, _P.PROPERTY_REMOVALS, _P.PROPERTY_REMOVALS, _loses_properties),
    StepRule(StepKind.RUN_ONDEMAND, _P.FOLLOW_UPS, _P.FOLLOW_UPS, _recalculates),  # datasets only
    StepRule(StepKind.POPULATE_LINKS, _P.FOLLOW_UPS, _P.FOLLOW_UPS, _populates),  # links datasets only
)


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
    return any(
        _changed(r) and res.address in r.depends_on for r in plan.resources if r.kind == "LinksDataset"
    )


def _populate_due(res: ResourcePlan, manifest: LinksDatasetManifest, plan: Plan) -> bool:
    """Populate when the links dataset is new or changed, or one of the datasets it reads changed."""
    if _changed(res):
        return True
    names = {manifest.populate.sourceDataset, manifest.from_, manifest.to} if manifest.populate else set()
    return any(_changed(r) for r in plan.resources if r.name in names)


# ---------------------------------------------------------------- dependencies


class Related(StrEnum):
    """Which other resources a step's cross-resource rule looks at."""

    ENDS = "the datasets a links dataset joins (its from and to)"
    LINKS_ON_IT = "the links datasets whose from or to is this dataset"
    POPULATE_READS = "the datasets a populate reads (sourceDataset, from, to)"


_ITEM_KINDS = (StepKind.UPSERT_ITEMS, StepKind.DELETE_ITEMS)
_CONFIG_KINDS = (StepKind.CREATE_DATASET, StepKind.UPDATE_DATASET)
_ALL_BEFORE_FOLLOW_UPS = (*_CONFIG_KINDS, *_ITEM_KINDS, StepKind.REMOVE_PROPERTIES)
_K = StepKind

# Within one resource, a step follows these steps of the same resource (where they exist).
_OWN_BEFORE: dict[StepKind, tuple[StepKind, ...]] = {
    _K.CREATE_DATASET: (),
    _K.UPDATE_DATASET: (),
    _K.DELETE_ITEMS: (*_CONFIG_KINDS, _K.UPSERT_ITEMS),
    _K.UPSERT_ITEMS: _CONFIG_KINDS,
    _K.REMOVE_PROPERTIES: (*_CONFIG_KINDS, *_ITEM_KINDS),
    _K.RUN_ONDEMAND: _ALL_BEFORE_FOLLOW_UPS,
    _K.POPULATE_LINKS: _ALL_BEFORE_FOLLOW_UPS,
}
# Links item deletes come first, before the links' own creates and updates.
_LINKS_OWN_BEFORE: dict[StepKind, tuple[StepKind, ...]] = {
    _K.DELETE_ITEMS: _CONFIG_KINDS,
    _K.UPSERT_ITEMS: (*_CONFIG_KINDS, _K.DELETE_ITEMS),
}
# Across resources: (step kind, on a links dataset?) -> the steps of related resources it follows.
# A kind that is not listed waits for nothing outside its own resource.
_CROSS_BEFORE: dict[tuple[StepKind, bool], tuple[tuple[Related, tuple[StepKind, ...]], ...]] = {
    # a links dataset is created or changed after the datasets it joins exist as declared
    (_K.CREATE_DATASET, True): ((Related.ENDS, _CONFIG_KINDS),),
    (_K.UPDATE_DATASET, True): ((Related.ENDS, _CONFIG_KINDS),),
    # dataset items are written after the links item deletes that free them ...
    (_K.UPSERT_ITEMS, False): ((Related.LINKS_ON_IT, (_K.DELETE_ITEMS,)),),
    # ... and links items after the items at both ends
    (_K.UPSERT_ITEMS, True): ((Related.ENDS, (_K.UPSERT_ITEMS,)),),
    # dataset items are deleted only after every links write that could still name them
    (_K.DELETE_ITEMS, False): ((Related.LINKS_ON_IT, (_K.DELETE_ITEMS, _K.UPSERT_ITEMS)),),
    # on-demand values are recalculated after the links on the dataset are written
    (_K.RUN_ONDEMAND, False): ((Related.LINKS_ON_IT, _ITEM_KINDS),),
    # a populate runs after everything it reads is written
    (_K.POPULATE_LINKS, True): ((Related.POPULATE_READS, _ALL_BEFORE_FOLLOW_UPS),),
}


def _with_deps(step: Step, by_name: dict[str, ResourcePlan], ids: set[str], project: Project | None) -> Step:
    """Fill `after` with the ids of existing steps this one must follow (`_OWN_BEFORE`, then `_CROSS_BEFORE`)."""
    res, m = step.resource, step.manifest
    own_order = _LINKS_OWN_BEFORE if step.is_links else _OWN_BEFORE
    wanted = [step_id(res.address, k) for k in own_order.get(step.kind, _OWN_BEFORE[step.kind])]
    for related, kinds in _CROSS_BEFORE.get((step.kind, step.is_links), ()):
        wanted += [step_id(a, k) for a in _related(related, res, m, by_name, project) for k in kinds]
    after = tuple(dict.fromkeys(w for w in wanted if w in ids and w != step.id))
    return Step(step.id, step.kind, step.phase, res, m, after, step.waves)


def _related(
    related: Related,
    res: ResourcePlan,
    m: Manifest | None,
    by_name: dict[str, ResourcePlan],
    project: Project | None,
) -> list[str]:
    """Addresses of the resources `related` names for this step's resource."""
    if related == Related.ENDS:
        return _link_ends(m, by_name)
    if related == Related.LINKS_ON_IT:
        return _links_on(res, by_name, project)
    return _populate_reads(m, by_name)


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
        return (Wave(creates=Rows(creates), updates=Rows(updates)),)
    created = creates.select(pl.col(tree_id).alias("id"), pl.col(tree_parent).alias("parent"))
    levels = _levels(created, what="create")
    if tree_parent in updates.columns and updates.height:
        # one level per created id (the first, as a lookup), so the levels stay aligned with the update rows
        parent_level = (
            created.with_columns(levels.alias(_LEVEL))
            .select(pl.col("id").alias(tree_parent), (pl.col(_LEVEL) + 1).alias(_LEVEL))
            .unique(tree_parent, keep="first")
        )
        update_levels = (
            updates.select(tree_parent)
            .join(parent_level, on=tree_parent, how="left", maintain_order="left")
            .get_column(_LEVEL)
            .fill_null(0)
        )
    else:
        update_levels = pl.repeat(0, updates.height, dtype=pl.Int64, eager=True)
    top = max(_max_level(levels), _max_level(update_levels))
    return tuple(
        Wave(creates=Rows.where(creates, levels == n), updates=Rows.where(updates, update_levels == n))
        for n in range(top + 1)
    )


def delete_waves(items: ItemChanges, tree_id: str | None, tree_parent: str | None) -> tuple[Wave, ...]:
    """Deletes deepest first, so no item is deleted while a deleted child still hangs under it.

    Needs the tree columns in the deletes frame; without them the deletes go out as one wave.
    """
    deletes = items.deletes
    if not tree_id or not tree_parent or tree_id not in deletes.columns or tree_parent not in deletes.columns:
        return (Wave(deletes=Rows(deletes)),)
    pairs = deletes.select(pl.col(tree_id).alias("id"), pl.col(tree_parent).alias("parent"))
    levels = _levels(pairs, what="delete")
    return tuple(Wave(deletes=Rows.where(deletes, levels == n)) for n in range(_max_level(levels), -1, -1))


def _levels(pairs: pl.DataFrame, *, what: str) -> pl.Series:
    """Depth of each row within the forest formed by the rows themselves (0 = parent not among them; a parent
    id on several rows is the first of them).

    One join maps each parent to its row; depths then come by pointer jumping (each round adds the depth of
    the row pointed at and points at that row's target: integer gathers, as many rounds as the depth has
    bits), not a join of every row per level of a 20-level tree. Rows still pointing somewhere after enough
    rounds for any chain of rows are on, or under, a cycle."""
    n = pairs.height
    # the join by the ids' 64-bit hashes that the source's tree check makes (two million ids: +260 MB of text
    # join at a first load's peak before, issue 24)
    up = parent_rows(pairs.get_column("id"), pairs.get_column("parent"), keep="first")[0]
    root = pl.Series([n], dtype=pl.UInt32)  # row n: the absorbing root every chain ends at
    step = pl.concat([up.fill_null(n), root])
    depth = pl.concat([up.is_not_null().cast(pl.Int64), pl.Series([0], dtype=pl.Int64)])
    for _ in range(n.bit_length() + 1):
        if (step.head(n) == n).all():
            break
        depth = depth + depth.gather(step)
        step = step.gather(step)
    stuck = (step.head(n) != n).arg_true()
    if stuck.len():
        sample = ", ".join(str(v) for v in pairs.get_column("id").gather(stuck.head(5)).to_list())
        raise OrderError(
            f"items to {what} form a hierarchy cycle ({stuck.len()} items, e.g. {sample}); nothing was written",
            hint="fix the parent column in the source so every chain of parents ends at a root",
        )
    return depth.head(n).alias(_LEVEL)


def _max_level(levels: pl.Series) -> int:
    if not levels.len():
        return 0
    top = levels.max()
    return int(top) if isinstance(top, int) else 0
