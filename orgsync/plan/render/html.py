"""The plan as one self-contained HTML report (`plan --format html`): summary, org-chart diff, change tables.

Jinja2 with autoescape renders every value as text; CSS and JS are inline and a Content-Security-Policy allows
nothing else (no network, no other script: the one script is allowed by its hash). Sensitive values never appear;
other values only with `show_values`. Each table holds at most `TABLE_ROWS` rows and says how many it leaves out.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from orgsync.escape import terminal
from orgsync.plan.model import ItemChanges, Plan, ResourcePlan
from orgsync.plan.render.common import blocking, is_changed, resource_counts, summary, target_line
from orgsync.plan.render.people import cut, number, people_view, property_line
from orgsync.plan.review import first_by_label

TABLE_ROWS = 20_000  # per table: the report stays a file a browser opens at once
CHART_SUBTREES = 2_000  # moved subtrees drawn in the org-chart diff
BEFORE = ItemChanges.BEFORE_SUFFIX


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("orgsync.plan.render", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        finalize=_shown,
    )


def _shown(value: Any) -> Any:
    """Each value the template prints: text with its control characters written out (`\\x1b`), as a terminal
    shows them, so a source's escape sequence is not carried into a file someone may `cat`; the report's own
    markup (`Markup`, the script) as it is."""
    return terminal(value) if isinstance(value, str) and not isinstance(value, Markup) else value


@cache
def _script() -> tuple[str, str]:
    """The report's script and its CSP hash."""
    text = files("orgsync.plan.render").joinpath("templates/report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text, f"'sha256-{digest}'"


def render(plan: Plan, *, show_values: bool = False) -> str:
    """The HTML report."""
    script, script_hash = _script()
    resources = [_resource(r, show_values) for r in plan.resources if is_changed(r)]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            target=target_line(plan),
            created_at=plan.created_at,
            summary=summary(plan),
            reasons=blocking(plan),
            forced=plan.forced,
            resources=resources,
            script=script,
            script_hash=script_hash,
            number=number,
        )
    )


def _rows(frame: pl.DataFrame) -> tuple[list[dict[str, Any]], int]:
    shown = frame.head(TABLE_ROWS)
    return shown.to_dicts(), frame.height - shown.height


def _resource(res: ResourcePlan, show_values: bool) -> dict[str, Any]:
    view = people_view(res, limit=0)
    review = res.review
    h = review.hierarchy if review else None
    out: dict[str, Any] = {
        "address": res.address,
        "action": res.action.value,
        "class": res.change_class.value,
        "counts": resource_counts(res),
        "properties": [property_line(p) for p in review.properties] if review else [],
        "layers": view.layers,
        "cycles": view.cycles,
        "tables": [],
        "chart": [],
        "warnings": res.warnings,
        "blocked": res.blocked,
    }
    if h is not None:
        out["chart"] = _chart(h.rollups.head(CHART_SUBTREES), h.moves)
        out["chart_more"] = max(0, h.rollups.height - CHART_SUBTREES)
        out["tables"] += [
            _table(
                "Moves",
                h.moves,
                [
                    ("label", "name"),
                    ("id", "key"),
                    ("old_parent_label", "from"),
                    ("old_parent", "from key"),
                    ("new_parent_label", "to"),
                    ("new_parent", "to key"),
                    ("rollup", "moves with"),
                ],
            ),
            _table(
                "Span of control",
                h.spans,
                [
                    ("label", "manager"),
                    ("id", "key"),
                    ("before", "before"),
                    ("after", "after"),
                    ("joined", "joined"),
                    ("left", "left"),
                    ("status", "status"),
                ],
            ),
            _table(
                "Left without a parent",
                h.orphans,
                [("label", "name"), ("id", "key"), ("parent", "missing parent")],
            ),
        ]
    if res.items is not None:
        out["tables"] += _item_tables(res.items, review.label if review else None, show_values)
    out["tables"] = [t for t in out["tables"] if t["total"]]
    return out


def _table(title: str, frame: pl.DataFrame, columns: list[tuple[str, str]]) -> dict[str, Any]:
    rows, more = _rows(frame)
    numeric = {c for c, _ in columns if c in frame.columns and frame.schema[c].is_numeric()}
    return {
        "title": title,
        "header": [h for _, h in columns],
        "numeric": [c in numeric for c, _ in columns],
        "rows": [[_text(r.get(c)) for c, _ in columns] for r in rows],
        "total": frame.height,
        "more": more,
    }


def _text(value: Any) -> str:
    return "" if value is None else cut(str(value), 200)


def _item_tables(items: ItemChanges, label: str | None, show_values: bool) -> list[dict[str, Any]]:
    """Creates and deletes (name and key, by name), and every changed cell (values only when asked)."""
    key = list(items.key)
    lab = label if label is not None and label not in items.sensitive else None

    def who(frame: pl.DataFrame) -> list[pl.Expr]:
        name = pl.col(lab) if lab and lab in frame.columns else pl.lit(None, pl.Utf8)
        keys = [(pl.lit("(sensitive)") if k in items.sensitive else pl.col(k)).alias(f"key {k}") for k in key]
        return [name.alias("name"), *keys]

    key_columns = [("name", "name"), *((f"key {k}", k) for k in key)]
    tables = []
    for title, frame in (("To create", items.creates), ("To delete", items.deletes)):
        first = first_by_label(frame, lab, key, TABLE_ROWS)
        table = _table(title, first.select(who(first)), key_columns)
        table["total"], table["more"] = frame.height, frame.height - first.height
        tables.append(table)
    parts: list[pl.DataFrame] = []
    total = room = 0
    for c in items.columns:
        if c + BEFORE not in items.updates.columns:
            continue
        changed = items.updates.filter(pl.col(c).ne_missing(pl.col(c + BEFORE)))
        total += changed.height
        room = TABLE_ROWS - sum(p.height for p in parts)
        if not changed.height or room <= 0:
            continue
        if c in items.sensitive or not show_values:
            mask = pl.lit("(sensitive)" if c in items.sensitive else "(not shown)")
            before, after = mask, mask
        else:
            before, after = pl.col(c + BEFORE).fill_null("(empty)"), pl.col(c).fill_null("(empty)")
        head = changed.head(room)
        parts.append(
            head.select(pl.lit(c).alias("property"), *who(head), before.alias("before"), after.alias("after"))
        )
    updates = pl.concat(parts) if parts else pl.DataFrame()
    table = _table(
        "Updated values",
        updates,
        [("property", "property"), *key_columns, ("before", "before"), ("after", "after")],
    )
    table["total"], table["more"] = total, total - updates.height
    return [*tables, table]


def _chart(rollups: pl.DataFrame, moves: pl.DataFrame) -> list[dict[str, Any]]:
    """Moved subtrees grouped under their new parent, each with the moves inside it."""
    inside = moves.filter(
        pl.col("rollup").is_in(rollups["id"].implode()) & (pl.col("id") != pl.col("rollup"))
    )
    nested: dict[str, list[dict[str, Any]]] = {}
    for row in inside.head(TABLE_ROWS).iter_rows(named=True):
        nested.setdefault(row["rollup"], []).append(_cut_row(row))
    groups: dict[Any, dict[str, Any]] = {}
    for full in rollups.iter_rows(named=True):
        row = _cut_row(full)
        group = groups.setdefault(
            full["new_parent"],
            {"key": row["new_parent"], "label": row["new_parent_label"], "subtrees": []},
        )
        group["subtrees"].append({**row, "inside": nested.get(full["id"], [])})
    return list(groups.values())


def _cut_row(row: dict[str, Any]) -> dict[str, Any]:
    """Text values cut to 200 characters (the report's size stays bounded whatever a label holds)."""
    return {k: cut(v, 200) if isinstance(v, str) else v for k, v in row.items()}
