"""The reviewer's part of the markdown comment: moves, spans and layers, the chart, property counts, the lists.

Every piece of data goes through `orgsync.escape.markdown` (`cell`) or `orgsync.escape.mermaid`; keys are shown
in `<code>`. Returned as Markup for the comment template.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from orgsync.escape import markdown as escape_markdown
from orgsync.plan.render.mermaid import MAX_NODES, chart
from orgsync.plan.render.people import Listing, PeopleView, number
from orgsync.plan.review_values import Hierarchy

SEE_REPORT = "see the report"


def _e(text: str) -> str:
    return escape_markdown(text)


def _listing(listing: Listing, *, nested: bool = False) -> list[str]:
    lines = []
    for at, line in enumerate(listing.lines):
        lines.append(f"- {_e(line)}")
        if nested:
            lines += [f"  - {_e(inner)}" for inner in listing.nested.get(at, [])]
    if listing.more:
        lines.append(f"- … and {number(listing.more)} more ({SEE_REPORT})")
    return lines


def section(
    views: Sequence[PeopleView],
    hierarchies: Sequence[tuple[str, Hierarchy]],
    *,
    with_chart: bool = True,
    max_nodes: int = MAX_NODES,
) -> Markup:
    """Moves and spans (with the chart), then property counts, then the lists, for every resource that has any."""
    out: list[str] = []
    for v in views:
        if not v.has_hierarchy_news:
            continue
        out += ["", f"#### <code>{_e(v.address)}</code>: who moves where", ""]
        if v.moves and v.moves.total:
            out.append(
                f"**{number(v.moves.total)} moves** (a moved manager's team moves along, counted once):"
            )
            out += _listing(v.moves, nested=True)
        if v.spans and v.spans.total:
            out += [
                "",
                f"**Span of control** ({number(v.spans.total)} managers, all new, widest first):"
                if v.first_load
                else f"**Span of control** ({number(v.spans.total)} managers whose direct reports change):",
            ]
            out += _listing(v.spans)
        if v.layers is not None:
            out += ["", f"**Layers:** {v.layers[0]} → {v.layers[1]}"]
        if v.orphans and v.orphans.total:
            out += ["", f"**Left without a parent:** {number(v.orphans.total)}"]
            out += _listing(v.orphans)
        if v.cycles:
            out += ["", f"⚠️ {number(v.cycles)} items are in (or below) a cycle of the new hierarchy."]
    drawn = chart(hierarchies, max_nodes) if with_chart else None
    if drawn:
        out += [
            "",
            "**Org chart of the changed branches** (dashed: was under; thick: moves under):",
            "",
            drawn,
        ]
    counted = [v for v in views if v.properties]
    if counted:
        out += ["", "#### Values that change, per property", ""]
        for v in counted:
            out.append(f"- <code>{_e(v.address)}</code>: " + "; ".join(_e(p) for p in v.properties))
    listed = [v for v in views if v.lists]
    for v in listed:
        out += ["", f"<details><summary><code>{_e(v.address)}</code>: items by name</summary>", ""]
        for listing in v.lists:
            out += [f"**{_e(listing.title)}** ({number(listing.total)})", ""]
            out += _listing(listing)
            out.append("")
        out.append("</details>")
    return Markup("\n".join(out))
