"""The plan as markdown for a pull-request comment (Jinja2 template `templates/plan.md.j2`).

Keys and labels appear (in the reviewer's part, `people_markdown`); other item values only with
`show_values`; sensitive values never do. Every interpolated
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
from orgsync.plan.render.people import DEFAULT_LIST_LIMIT, people_view
from orgsync.plan.render.people_markdown import section
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


COMMENT_LIMIT = 65_536  # characters in one GitHub comment
_ROOM = 1_500  # kept free for the Action's footer and the report link


def render(
    plan: Plan,
    *,
    show_all: bool = False,
    show_values: bool = False,
    list_limit: int = DEFAULT_LIST_LIMIT,
    max_chars: int = COMMENT_LIMIT - _ROOM,
) -> str:
    """The markdown comment, at most `max_chars` long whatever the plan: when it would be longer, the lists get
    shorter, then the chart and item tables go, then only the summary stays, with a line saying where the rest is."""
    attempts = [(list_limit, True, show_values)]
    attempts += [(n, True, show_values) for n in (10, 5) if n < list_limit]
    attempts += [(min(list_limit, 3), False, False), (0, False, False)]
    for n, with_chart, values in attempts:
        text = _render(plan, show_all, values, n, with_chart, people=True)
        if len(text) <= max_chars:
            return text
    text = _render(plan, False, False, 0, False, people=False)
    cut = "\n_The plan is too large for one comment: moves, spans and lists are in the report._\n"
    if len(text) > max_chars:
        # the summary alone: the head up to the first resource's <details>, cut between whole lines (a table
        # row, a quoted reason), so no block is left open
        head = text.split("\n<details>", 1)[0]
        cut = "\n\n_The plan is too large for one comment: the summary above is cut; see the report._\n"
        if len(head) + len(cut) > max_chars:
            head = head[: max_chars - len(cut)].rsplit("\n", 1)[0]
        text = head
    return text.rstrip("\n") + "\n" + cut


def _render(
    plan: Plan, show_all: bool, show_values: bool, list_limit: int, with_chart: bool, *, people: bool
) -> str:
    limit = row_limit(show_all)
    changed = [_resource(r, limit, show_values) for r in plan.resources if is_changed(r)]
    drift = [_resource(r, limit, show_values) for r in plan.drift if is_changed(r)]
    views = [
        people_view(r, limit=list_limit, show_values=show_values) for r in plan.resources if is_changed(r)
    ]
    hierarchies = [
        (r.address, r.review.hierarchy)
        for r in plan.resources
        if is_changed(r) and r.review is not None and r.review.hierarchy is not None
    ]
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
            # --list-limit 0 names no item: counts only, no chart (the sync and drift issues, whose data may
            # come from outside the repository)
            people=section(views, hierarchies, with_chart=with_chart and list_limit > 0)
            if people
            else Markup(""),
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
