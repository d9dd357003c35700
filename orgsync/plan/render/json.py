"""The plan as JSON for bots: versioned (`format_version`), stable keys, documented in docs/plan-json.md."""

from __future__ import annotations

from typing import Any

import orjson

from orgsync.plan.model import Action, Plan, ResourcePlan
from orgsync.plan.render.common import blocking, hidden, item_rows, resource_counts, row_limit, summary
from orgsync.plan.render.people import DEFAULT_LIST_LIMIT
from orgsync.plan.render.review_json import review_document


def render(
    plan: Plan, *, show_all: bool = False, show_values: bool = False, list_limit: int = DEFAULT_LIST_LIMIT
) -> str:
    """The JSON document (sensitive values masked; item rows and review lists limited unless `show_all`)."""
    doc = document(plan, show_all=show_all, list_limit=list_limit)
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def document(plan: Plan, *, show_all: bool = False, list_limit: int = DEFAULT_LIST_LIMIT) -> dict[str, Any]:
    """The JSON document as a dict (the shape docs/plan-json.md describes)."""
    reasons = blocking(plan)
    return {
        "format_version": plan.format_version,
        "orgsync_version": plan.orgsync_version,
        "target": plan.target,
        "tenant": plan.tenant,
        "created_at": plan.created_at,
        "source_checksum": plan.source_checksum,
        "has_changes": plan.has_changes,
        "has_drift": plan.has_drift,
        "blocked": plan.blocked,
        "forced": plan.forced,
        "blocking_reasons": reasons,
        "summary": summary(plan),
        "resources": [
            _resource(r, row_limit(show_all), None if show_all else list_limit) for r in plan.resources
        ],
        "drift": [_resource(r, row_limit(show_all), None if show_all else list_limit) for r in plan.drift],
        "unmanaged_datasets": list(plan.unmanaged_datasets),
        "notes": list(plan.notes),
        "loosened": list(plan.loosened),
    }


def _resource(res: ResourcePlan, limit: int | None, list_limit: int | None) -> dict[str, Any]:
    fingerprint = res.fingerprint
    return {
        "address": res.address,
        "kind": res.kind,
        "name": res.name,
        "manage": "observe" if res.observe else "managed",
        "renamed_from": res.renamed_from,
        "action": res.action.value,
        "class": res.change_class.value,
        "dataset_id": res.dataset_id,
        "fingerprint": None
        if fingerprint is None
        else {"cache_key": fingerprint.cache_key, "last_transaction_id": fingerprint.last_transaction_id},
        "depends_on": list(res.depends_on),
        "counts": resource_counts(res),
        "config_changes": [
            {"field": c.field, "before": c.before, "after": c.after, "class": c.change_class.value}
            for c in res.config_changes
        ],
        "property_changes": [
            {
                "key": p.key,
                "action": p.action.value,
                "before": p.before,
                "after": p.after,
                "class": p.change_class.value,
            }
            for p in res.property_changes
        ],
        "items": None if res.items is None else _items(res, limit),
        **review_document(res.review, list_limit),
        "warnings": list(res.warnings),
        "blocked": list(res.blocked),
    }


def _items(res: ResourcePlan, limit: int | None) -> dict[str, Any]:
    items = res.items
    assert items is not None
    return {
        "key": list(items.key),
        "columns": list(items.columns),
        "sensitive": sorted(items.sensitive),
        "creates": [{"key": r.key, "values": r.values} for r in item_rows(items, Action.CREATE, limit)],
        "updates": [
            {"key": r.key, "changes": {c: {"before": b, "after": a} for c, (b, a) in r.changes.items()}}
            for r in item_rows(items, Action.UPDATE, limit)
        ],
        "deletes": [{"key": r.key} for r in item_rows(items, Action.DELETE, limit)],
        "omitted": {a.value: hidden(items, a, limit) for a in (Action.CREATE, Action.UPDATE, Action.DELETE)},
    }
