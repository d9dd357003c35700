"""What every renderer shares: the target line, the counts, and item rows with sensitive values masked.

Masking happens here, once, so no renderer can print a sensitive value by forgetting to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orgsync.plan.model import SENSITIVE_MASK, Action, ItemChanges, Plan, ResourcePlan

DEFAULT_ROWS = 10  # item rows shown per kind (create/update/delete) unless --show-all
SIGNS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.NOOP: " "}


def target_line(plan: Plan) -> str:
    """'Target: … · tenant X': the first line of every output."""
    if plan.target.startswith("Target:"):
        return plan.target
    return f"Target: {plan.target} · tenant {plan.tenant}"


def summary(plan: Plan) -> dict[str, dict[str, int]]:
    """Counts of datasets (and links datasets) by action, of items and of properties by kind."""
    datasets = {a.value: 0 for a in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.NOOP)}
    items = {"create": 0, "update": 0, "delete": 0}
    props = {"create": 0, "update": 0, "delete": 0}
    for res in plan.resources:
        datasets[res.action.value] += 1
        if res.items is not None:
            for kind, n in res.items.counts.items():
                items[kind] += n
        for change in res.property_changes:
            props[change.action.value] += 1
    return {"datasets": datasets, "items": items, "properties": props}


def blocking(plan: Plan) -> list[str]:
    """Every safety reason in the plan, in resource order."""
    return [reason for res in plan.resources for reason in res.blocked]


@dataclass(frozen=True)
class ItemRow:
    """One item change for display: its key, and values (create), before -> after (update) or nothing (delete)."""

    action: Action
    key: dict[str, str | None]
    values: dict[str, str | None]  # create: owned values
    changes: dict[str, tuple[str | None, str | None]]  # update: changed cells only, (before, after)

    def label(self) -> str:
        return "  ".join(f"{k}={v}" for k, v in self.key.items())


def _mask(value: str | None, column: str, sensitive: frozenset[str]) -> str | None:
    return SENSITIVE_MASK if column in sensitive else value  # an empty cell too: emptiness is information


def _masked_cell(before: str | None, after: str | None, sensitive: bool) -> tuple[str | None, str | None]:
    """A changed cell; a sensitive one says only that it changes (not even whether it was or becomes empty)."""
    return (SENSITIVE_MASK, SENSITIVE_MASK) if sensitive else (before, after)


def item_rows(items: ItemChanges, action: Action, limit: int | None) -> list[ItemRow]:
    """Up to `limit` rows (None = all) of one kind of change, sensitive values masked; deletes by key (creates
    and updates stay in source order)."""
    frame = {Action.CREATE: items.creates, Action.UPDATE: items.updates, Action.DELETE: items.deletes}[action]
    if action == Action.DELETE:  # in the tenant's export order otherwise: by key, a reviewer can find one
        frame = frame.sort(items.key)
    if limit is not None:
        frame = frame.head(limit)
    rows: list[ItemRow] = []
    for record in frame.iter_rows(named=True):
        key = {k: _mask(record.get(k), k, items.sensitive) for k in items.key}
        values: dict[str, str | None] = {}
        changes: dict[str, tuple[str | None, str | None]] = {}
        if action == Action.CREATE:
            values = {c: _mask(record.get(c), c, items.sensitive) for c in items.columns}
        elif action == Action.UPDATE:
            for c in items.columns:
                before, after = record.get(c + ItemChanges.BEFORE_SUFFIX), record.get(c)
                if before != after:
                    changes[c] = _masked_cell(before, after, c in items.sensitive)
        rows.append(ItemRow(action, key, values, changes))
    return rows


def hidden(items: ItemChanges, action: Action, limit: int | None) -> int:
    """How many rows of this kind `item_rows` left out."""
    total = items.counts[action.value]
    return 0 if limit is None else max(0, total - limit)


def row_limit(show_all: bool) -> int | None:
    return None if show_all else DEFAULT_ROWS


def shown_value(value: Any) -> str:
    """A configuration or item value as text: null as (none), lists joined."""
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


PROPERTY_FIELDS = ("name", "type", "isRequired", "onDemand", "formula")  # what a property update can change


def property_update_text(before: dict[str, Any], after: dict[str, Any]) -> str:
    """'type text → number, formula salary * 0.1 → salary * 0.2': each changed field, before → after."""
    return ", ".join(
        f"{f} {shown_value(before.get(f))} → {shown_value(after.get(f))}"
        for f in PROPERTY_FIELDS
        if before.get(f) != after.get(f)
    )


def property_summary(prop: dict[str, Any]) -> str:
    """'Bonus, number' or 'Bonus, number, on-demand: salary * 0.1' for a new or removed property."""
    text = f"{prop.get('name')}, {prop.get('type')}"
    return text + (f", on-demand: {prop.get('formula')}" if prop.get("onDemand") else "")


def resource_counts(res: ResourcePlan) -> dict[str, int]:
    """Item counts of a resource, zeros when it has no items; `existing` included."""
    if res.items is None:
        return {"create": 0, "update": 0, "delete": 0, "existing": 0}
    return {**res.items.counts, "existing": res.items.existing}


def is_changed(res: ResourcePlan) -> bool:
    return res.action != Action.NOOP or bool(res.items is not None and not res.items.is_empty)
