"""The terminal plan: terraform-like `+ ~ -` lines, colour on a TTY (rich), long item lists summarised."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.text import Text as RichText

from orgsync.escape import terminal
from orgsync.plan.model import Action, ChangeClass, ItemChanges, Plan, PropertyChange, ResourcePlan
from orgsync.plan.render.common import (
    SIGNS,
    ItemRow,
    blocking,
    hidden,
    is_changed,
    item_rows,
    property_summary,
    property_update_text,
    row_limit,
    shown_value,
    summary,
    target_line,
)
from orgsync.plan.render.people import people_view
from orgsync.plan.safety import UNBLOCK_HINT


class Text(RichText):
    """rich's Text with control characters shown escaped (`\\x1b`, `\\n`), never sent to the terminal.

    rich drops BEL/CR silently and keeps ESC; every string put in a line here is repository data or built from it.
    """

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(terminal(text), *args, **kwargs)

    def append(self, text: str | RichText, style: Any = None) -> RichText:
        return super().append(terminal(text) if isinstance(text, str) else text, style)


STYLES = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red", Action.NOOP: "dim"}


def render(plan: Plan, *, show_all: bool = False, show_values: bool = False, color: bool = False) -> str:
    """The plan as terminal text; `color` adds ANSI styles (callers pass it only for a TTY without NO_COLOR).

    Item values are always shown here (sensitive ones masked); `show_values` matters only for markdown.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=10_000,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )
    for line in lines(plan, show_all=show_all):
        console.print(line)
    return buffer.getvalue()


def lines(plan: Plan, *, show_all: bool = False) -> Iterator[Text]:
    """Every line of the text plan, styled."""
    yield Text(target_line(plan), style="bold")
    yield Text("")
    for line in plan.loosened:  # what a pull request loosens against its base: first, where it is read
        yield Text(f"! {line}", style="bold magenta")
    if plan.loosened:
        yield Text("")
    changed = [r for r in plan.resources if r.action != Action.NOOP or (r.items and not r.items.is_empty)]
    if not changed:
        yield Text("No changes. The tenant matches the manifests and sources.", style="green")
    else:
        yield Text("orgsync will perform these actions (+ create, ~ update, - delete):")
        for res in changed:
            yield Text("")
            yield from _resource(res, row_limit(show_all))
    yield from _drift(plan, row_limit(show_all))
    yield from _context(plan)
    yield Text("")
    yield _summary_line(plan)
    yield from _safety(plan)


def _resource(res: ResourcePlan, limit: int | None) -> Iterator[Text]:
    style = STYLES[res.action]
    head = Text(f"  {SIGNS[res.action]} {res.address}", style=f"bold {style}")
    if res.renamed_from is not None:
        head.append(f" (renamed from {_quoted(res.renamed_from)})", style=f"bold {style}")
    ident = res.dataset_id or "id known after apply"
    head.append(f"  ({res.action.value}, {res.change_class.value}; {ident})", style="default")
    yield head
    for change in res.config_changes:
        if res.action == Action.CREATE:
            yield Text(f"      {change.field} = {shown_value(change.after)}")
        else:
            yield Text(
                f"      ~ {change.field}: {shown_value(change.before)} → {shown_value(change.after)}"
                + _destructive_tag(change.change_class),
                style=STYLES[Action.UPDATE],
            )
    for prop in res.property_changes:
        yield _property_line(prop)
    for warning in res.warnings:
        yield Text(f"      ! {warning}", style="magenta")
    for reason in res.blocked:
        yield Text(f"      ✗ {reason}", style="bold red")
    yield from _people(res, limit)
    if res.items is not None:
        yield from _items(res.items, limit)


def _people(res: ResourcePlan, limit: int | None) -> Iterator[Text]:
    """Moves (a moved team as one line), spans, layers and per-property counts (plan.render.people)."""
    view = people_view(res, limit=limit if limit is not None else 1_000_000_000)
    for title, listing in (
        ("moves", view.moves),
        ("span of control, widest first" if view.first_load else "span of control", view.spans),
        ("no parent", view.orphans),
    ):
        if listing is None or not listing.total:
            continue
        yield Text(f"      {title} ({listing.total:,}):", style="bold")
        for at, line in enumerate(listing.lines):
            yield Text(f"        ↳ {line}")
            yield from (Text(f"            ↳ {inner}") for inner in listing.nested.get(at, []))
        if listing.more:
            yield Text(f"        … and {listing.more:,} more (--show-all lists every one)", style="dim")
    if view.layers is not None and view.layers[0] != view.layers[1]:
        yield Text(f"      layers: {view.layers[0]} → {view.layers[1]}")
    if view.properties:
        yield Text("      values: " + "; ".join(view.properties))


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _drift(plan: Plan, limit: int | None) -> Iterator[Text]:
    """Observe-only datasets: every difference, in a section of its own, as drift that apply never touches."""
    if not plan.drift:
        return
    drifted = [r for r in plan.drift if is_changed(r) or r.warnings]
    yield Text("")
    if not drifted:
        yield Text(
            "Observe-only datasets match the tenant: " + ", ".join(r.address for r in plan.drift), style="dim"
        )
        return
    yield Text(
        "Drift in observe-only datasets (`manage: observe`; apply never writes to these):", style="bold"
    )
    for res in drifted:
        yield Text("")
        yield from _resource(res, limit)
    quiet = [r.address for r in plan.drift if r not in drifted]
    if quiet:
        yield Text("")
        yield Text("Observe-only datasets that match: " + ", ".join(quiet), style="dim")


def _destructive_tag(change_class: ChangeClass) -> str:
    return "  (destructive)" if change_class == ChangeClass.DESTRUCTIVE else ""


def _property_line(prop: PropertyChange) -> Text:
    sign = SIGNS[prop.action]
    if prop.action == Action.CREATE:
        return Text(f"      + property {prop.key} ({property_summary(prop.after or {})})", style="green")
    if prop.action == Action.DELETE:
        before = prop.before or {}
        return Text(
            f"      - property {prop.key} ({before.get('name')}, {before.get('type')}): removed with all its "
            "values (deleteOmittedProperties: true)",
            style="red",
        )
    parts = property_update_text(prop.before or {}, prop.after or {})
    return Text(
        f"      {sign} property {prop.key}: {parts}{_destructive_tag(prop.change_class)}", style="yellow"
    )


def _items(items: ItemChanges, limit: int | None) -> Iterator[Text]:
    counts = items.counts
    if items.is_empty:
        yield Text(f"      items: no changes ({items.existing} existing)", style="dim")
        return
    yield Text(
        f"      items: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to "
        f"delete (of {items.existing} existing)"
    )
    for action in (Action.CREATE, Action.UPDATE, Action.DELETE):
        for row in item_rows(items, action, limit):
            yield _row_line(row)
        more = hidden(items, action, limit)
        if more:
            yield Text(
                f"        … and {more} more to {action.value} (--show-all lists every one)", style="dim"
            )


def _row_line(row: ItemRow) -> Text:
    sign = SIGNS[row.action]
    text = Text(f"        {sign} {row.label()}", style=STYLES[row.action])
    if row.action == Action.CREATE:
        values = "  ".join(f"{c}={shown_value(v)}" for c, v in row.values.items() if v is not None)
        if values:
            text.append(f"  {values}", style="default")
    elif row.action == Action.UPDATE:
        cells = "  ".join(f"{c}: {shown_value(b)} → {shown_value(a)}" for c, (b, a) in row.changes.items())
        text.append(f"  {cells}", style="default")
    return text


def _context(plan: Plan) -> Iterator[Text]:
    if plan.unmanaged_datasets:
        yield Text("")
        yield Text(
            "Datasets in the tenant that no manifest manages (left alone): "
            + ", ".join(plan.unmanaged_datasets),
            style="dim",
        )
    for note in plan.notes:
        yield Text(f"Note: {note}", style="magenta")


def _summary_line(plan: Plan) -> Text:
    counts = summary(plan)
    ds, it = counts["datasets"], counts["items"]
    return Text(
        f"Plan: {ds['create']} datasets to create, {ds['update']} to update · items: {it['create']} to "
        f"create, {it['update']} to update, {it['delete']} to delete.",
        style="bold",
    )


def _safety(plan: Plan) -> Iterator[Text]:
    reasons = blocking(plan)
    if not reasons:
        return
    yield Text("")
    if plan.forced:
        yield Text("Allowed by --allow-destructive (these would otherwise block):", style="bold yellow")
        for reason in reasons:
            yield Text(f"  - {reason}", style="yellow")
        return
    yield Text("Blocked by the safety policy:", style="bold red")
    for reason in reasons:
        yield Text(f"  - {reason}", style="red")
    yield Text(f"To go ahead: {UNBLOCK_HINT}.")
