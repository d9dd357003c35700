"""The plan as markdown for a pull-request comment (Jinja2 template `templates/plan.md.j2`).

No item value (not even a key) appears unless `show_values`; sensitive values never do. Every interpolated
value (names, keys, values, messages) is escaped by the environment's `finalize` (`orgsync.escape.markdown`),
so data cannot break a table, open an HTML comment, inject HTML, links or mentions into the comment.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from orgsync.escape import markdown as escape_markdown
from orgsync.plan.model import Action, ChangeClass, Plan, PropertyChange, ResourcePlan
from orgsync.plan.render.common import (
    SIGNS,
    blocking,
    hidden,
    is_changed,
    item_rows,
    property_summary,
    property_update_text,
    resource_counts,
    row_limit,
    shown_value,
    summary,
    target_line,
)
from orgsync.plan.safety import UNBLOCK_HINT


def cell(value: Any) -> Markup:
    """A value made safe and one-line for markdown (tables, lists, HTML blocks), marked as already escaped."""
    return value if isinstance(value, Markup) else Markup(escape_markdown(shown_value(value)))


def cells(values: Any, separator: str = " | ") -> Markup:
    """Each value escaped, joined by the (trusted) separator."""
    return Markup(separator.join(cell(v) for v in values))


def _finalize(value: Any) -> Any:
    """Every `{{ }}` output: escaped unless already escaped; numbers pass as they are."""
    if isinstance(value, Markup | int | float) and not isinstance(value, bool):
        return value
    return cell(value)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("orgsync.plan.render", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters["cell"] = cell
    env.filters["cells"] = cells
    return env


_BLANK_RUNS = re.compile(r"\n{3,}")


def render(plan: Plan, *, show_all: bool = False, show_values: bool = False) -> str:
    """The markdown comment."""
    limit = row_limit(show_all)
    changed = [_resource(r, limit, show_values) for r in plan.resources if is_changed(r)]
    drift = [_resource(r, limit, show_values) for r in plan.drift if is_changed(r)]
    text = (
        _environment()
        .get_template("plan.md.j2")
        .render(
            target=target_line(plan),
            changed=changed,
            summary=summary(plan),
            reasons=blocking(plan),
            forced=plan.forced,
            hint=Markup(UNBLOCK_HINT),
            show_values=show_values,
            unmanaged=plan.unmanaged_datasets,
            notes=plan.notes,
            loosened=plan.loosened,
            drift=drift,
        )
    )
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n"  # the template's block tags leave blank runs


def _resource(res: ResourcePlan, limit: int | None, show_values: bool) -> dict[str, Any]:
    return {
        "sign": Markup(SIGNS[res.action]),
        "address": res.address,
        "action": res.action.value,
        "renamed_from": res.renamed_from,
        "class": res.change_class.value,
        "counts": resource_counts(res),
        "config": [
            {
                "field": c.field,
                "before": c.before,
                "after": c.after,
                "destructive": c.change_class == ChangeClass.DESTRUCTIVE,
            }
            for c in res.config_changes
        ],
        "properties": [_property(p) for p in res.property_changes],
        "warnings": res.warnings,
        "blocked": res.blocked,
        "has_items": res.items is not None and not res.items.is_empty,
        "tables": _tables(res, limit) if show_values and res.items is not None else [],
    }


def _property(p: PropertyChange) -> dict[str, Any]:
    if p.action == Action.CREATE:
        text = f"new ({property_summary(p.after or {})})"
    elif p.action == Action.DELETE:
        text = f"removed with all its values ({(p.before or {}).get('name')}, deleteOmittedProperties: true)"
    else:
        text = property_update_text(p.before or {}, p.after or {})
    return {
        "sign": Markup(SIGNS[p.action]),
        "key": p.key,
        "text": text,
        "destructive": p.change_class == ChangeClass.DESTRUCTIVE,
    }


def _tables(res: ResourcePlan, limit: int | None) -> list[dict[str, Any]]:
    items = res.items
    assert items is not None
    creates = item_rows(items, Action.CREATE, limit)
    updates = item_rows(items, Action.UPDATE, limit)
    deletes = item_rows(items, Action.DELETE, limit)
    return [
        {
            "title": "Items to create",
            "header": [*items.key, *items.columns],
            "rows": [[*r.key.values(), *r.values.values()] for r in creates],
            "more": hidden(items, Action.CREATE, limit),
        },
        {
            "title": "Items to update",
            "header": [*items.key, "changes"],
            "rows": [
                [
                    *r.key.values(),
                    "; ".join(f"{c}: {shown_value(b)} → {shown_value(a)}" for c, (b, a) in r.changes.items()),
                ]
                for r in updates
            ],
            "more": hidden(items, Action.UPDATE, limit),
        },
        {
            "title": "Items to delete",
            "header": list(items.key),
            "rows": [list(r.key.values()) for r in deletes],
            "more": hidden(items, Action.DELETE, limit),
        },
    ]
