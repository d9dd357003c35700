"""The plan as a value: what apply will do, with a versioned JSON form.

A `Plan` is built by `plan.builder` from (Project, source tables, LiveState), rendered by `plan.render.*`,
saved by `plan.saved`, and executed by `apply`. Nothing in here talks to the API. Every value is frozen: a
step that needs a different plan makes a new one (`model_copy`, `dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from orgsync.plan.review_values import Review
from orgsync.state.snapshot import Fingerprint

FORMAT_VERSION = "1.1"  # 1.1: resources carry a `review` (moves, spans, property counts)
KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE_MASK = "(sensitive)"
RETYPED = "(type changes)"  # the `before` of a value whose property type the plan changes


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


class ChangeClass(StrEnum):
    """Each change has a class; the safety policy acts on the class."""

    NONE = "none"
    ADDITIVE = "additive"  # creates, new properties
    UPDATE = "update"  # changed values or configuration
    DESTRUCTIVE = "destructive"  # item deletes, property removal, property type change, tree key change


class FieldChange(BaseModel):
    """A dataset configuration field (name, type, labelId, tags, treeId, ...) before -> after."""

    model_config = ConfigDict(frozen=True)

    field: str
    before: Any = None
    after: Any = None
    change_class: ChangeClass


class PropertyChange(BaseModel):
    """A property merged by key: created, updated (name/type) or removed (deleteOmittedProperties)."""

    model_config = ConfigDict(frozen=True)

    key: str
    action: Action
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    change_class: ChangeClass


@dataclass(frozen=True)
class ItemChanges:
    """Row-level changes of one dataset, as polars frames of canonical Utf8 values.

    - `creates`: key columns + owned columns (values to write).
    - `updates`: key columns, then for each owned column `c` both `c` (after) and `c + BEFORE_SUFFIX`;
      only rows with at least one differing owned column; a cell changed iff after != before (null-safe).
    - `deletes`: key columns, `_id` where known, and for a dataset with a hierarchy its treeId and treeParentId
      columns from the live items (not sensitive ones), so apply deletes children before their parents.
    """

    key: list[str]
    columns: list[str]  # owned, non-key columns, in manifest order
    sensitive: frozenset[str]
    creates: pl.DataFrame
    updates: pl.DataFrame
    deletes: pl.DataFrame
    existing: int  # live items before the change (base of the safety percentages)

    BEFORE_SUFFIX = "__before"

    @property
    def counts(self) -> dict[str, int]:
        return {"create": self.creates.height, "update": self.updates.height, "delete": self.deletes.height}

    @property
    def is_empty(self) -> bool:
        return not (self.creates.height or self.updates.height or self.deletes.height)


class ResourcePlan(BaseModel):
    """Everything planned for one dataset or links dataset."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    address: str  # "dataset.People" / "links.People to Positions"
    kind: str  # "Dataset" | "LinksDataset"
    name: str
    action: Action
    change_class: ChangeClass
    dataset_id: str | None = None  # None while known only after apply
    fingerprint: Fingerprint | None = None
    config_changes: list[FieldChange] = Field(default_factory=list)
    property_changes: list[PropertyChange] = Field(default_factory=list)
    items: ItemChanges | None = None
    depends_on: list[str] = Field(default_factory=list)  # addresses
    warnings: list[str] = Field(default_factory=list)
    blocked: list[str] = Field(default_factory=list)  # safety reasons, empty when allowed
    renamed_from: str | None = None  # the live name this plan renames (manifest `renamedFrom`)
    observe: bool = False  # `manage: observe`: the differences are drift, never applied
    review: Review | None = None  # moves, spans, layers, property counts (plan.review), for people


class Plan(BaseModel):
    """A whole plan: the resources in apply order plus what the user needs to know around them."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    format_version: str = FORMAT_VERSION
    orgsync_version: str
    target: str
    tenant: str
    created_at: str
    source_checksum: str  # sha256 over orgsync.yaml, manifests and sources
    input_digests: dict[str, str] = Field(
        default_factory=dict
    )  # each of those by name (checksum.input_digests)
    resources: list[ResourcePlan]
    unmanaged_datasets: list[str] = Field(default_factory=list)
    drift: list[ResourcePlan] = Field(default_factory=list)  # observe-only resources: reported, never applied
    notes: list[str] = Field(default_factory=list)
    # what the pull request loosens against its base (`plan --base`): shown first, effective after merge
    loosened: list[str] = Field(default_factory=list)
    forced: bool = False  # made with --allow-destructive

    @property
    def blocked(self) -> bool:
        return any(r.blocked for r in self.resources) and not self.forced

    @property
    def has_drift(self) -> bool:
        """Whether an observe-only dataset differs from its manifest (apply changes nothing there)."""
        return any(r.action != Action.NOOP or (r.items and not r.items.is_empty) for r in self.drift)

    @property
    def has_changes(self) -> bool:
        return any(r.action != Action.NOOP or (r.items and not r.items.is_empty) for r in self.resources)
