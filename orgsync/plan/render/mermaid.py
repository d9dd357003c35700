"""The Mermaid org chart of a plan's changed branches: each moved subtree one node, linked to its old and new
parent (dashed: where it was; solid: where it goes). At most `MAX_NODES` nodes whatever the plan's size."""

from __future__ import annotations

from collections.abc import Sequence

from orgsync.escape import mermaid
from orgsync.plan.review_values import Hierarchy

MAX_NODES = 200
LABEL_CHARS = 40  # a label longer than this is cut (and ends with …)


def _text(label: object, key: object) -> str:
    label_text = str(label) if label is not None else ""
    key_text = str(key) if key is not None else ""
    if len(label_text) > LABEL_CHARS:
        label_text = label_text[: LABEL_CHARS - 1] + "…"
    if len(key_text) > LABEL_CHARS:
        key_text = key_text[: LABEL_CHARS - 1] + "…"
    return mermaid(f"{label_text} ({key_text})" if label_text else key_text)


def chart(hierarchies: Sequence[tuple[str, Hierarchy]], max_nodes: int = MAX_NODES) -> str | None:
    """The ```mermaid block, or None when nothing moves. Largest subtrees first; what does not fit is one node
    saying how many moved subtrees are left out."""
    if not any(h.rollups.height for _, h in hierarchies):
        return None
    lines = ["```mermaid", "flowchart LR"]
    nodes: dict[tuple[int, str], str] = {}
    left_out = 0
    budget = max_nodes - 1  # one node kept for "and N more"

    def node(scope: int, key: str, text: str, shape: str = "box") -> str:
        if (scope, key) not in nodes:
            name = f"n{len(nodes)}"
            nodes[(scope, key)] = name
            lines.append(f'  {name}(["{text}"])' if shape == "moved" else f'  {name}["{text}"]')
        return nodes[(scope, key)]

    for scope, (_, h) in enumerate(hierarchies):
        # each subtree needs at most 3 nodes: no more than `budget` of them can be drawn; the rest are counted
        left_out += max(0, h.rollups.height - budget)
        for row in h.rollups.head(budget).iter_rows(named=True):
            wanted = [("moved", row["id"])] + [
                ("p", p) for p in (row["old_parent"], row["new_parent"]) if p is not None
            ]
            new = sum(1 for kind, k in wanted if (scope, f"{kind}:{k}") not in nodes)
            if len(nodes) + new > budget:
                left_out += 1
                continue
            size = int(row["size"])
            count = f" +{size - 1} below ({size})" if size > 1 else ""
            moved = node(
                scope, f"moved:{row['id']}", _text(row["label"], row["id"]) + mermaid(count), "moved"
            )
            lines.append(f"  class {moved} moved")
            if row["old_parent"] is not None:
                old = node(scope, f"p:{row['old_parent']}", _text(row["old_parent_label"], row["old_parent"]))
                lines.append(f"  {old} -. was .-> {moved}")
            if row["new_parent"] is not None:
                new_parent = node(
                    scope, f"p:{row['new_parent']}", _text(row["new_parent_label"], row["new_parent"])
                )
                lines.append(f"  {new_parent} ==> {moved}")
    if left_out:
        lines.append(f'  more["{mermaid(f"and {left_out:,} more moved subtrees (see the report)")}"]')
    lines.append("  classDef moved fill:#fff3bf,stroke:#f08c00")
    lines.append("```")
    return "\n".join(lines)
