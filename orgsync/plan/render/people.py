"""The review as people read it: moves and moved subtrees, spans, layers, property counts and sorted lists.

Shared by the markdown comment, the JSON document and the HTML report, so all three say the same thing.
Values are shown only with `show_values`, and never a sensitive one (`ItemChanges.sensitive`); keys and labels
are shown (they identify rows). Every list is cut to `limit` rows with the count of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from orgsync.plan.model import ItemChanges, ResourcePlan
from orgsync.plan.review import first_by_label
from orgsync.plan.review_values import Hierarchy, PropertyCount

DEFAULT_LIST_LIMIT = 20
BEFORE = ItemChanges.BEFORE_SUFFIX


def number(n: int) -> str:
    """1234 → '1,234'."""
    return f"{n:,}"


SHOWN_CHARS = (
    80  # a label or key longer than this is cut (with …): a list line stays short, whatever the data
)


def cut(text: str, chars: int = SHOWN_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def person(label: str | None, key: str | None) -> str:
    """'Mira Moved (E042)', or the key alone when there is no label (each cut to SHOWN_CHARS)."""
    if key is None:
        return "(none)"
    return f"{cut(label)} ({cut(key)})" if label else cut(key)


def property_line(p: PropertyCount) -> str:
    """'location: 40 changed, 1,995 filled (was empty)' / 'salary: 20 changed (sensitive)'."""
    if p.sensitive:
        return f"{p.key}: {number(p.changed)} changed (sensitive)"
    parts = [f"{number(p.changed)} changed"] if p.changed else []
    parts += [f"{number(p.filled)} filled (was empty)"] if p.filled else []
    parts += [f"{number(p.cleared)} cleared"] if p.cleared else []
    return f"{p.key}: {', '.join(parts)}"


def rollup_line(row: dict[str, object]) -> str:
    """'Mira Moved (E042) and 12 below (13 people): Alice Oldboss (E001) → Carl Newboss (E007)'."""
    size = int(row["size"])  # type: ignore[call-overload]
    who = person(_s(row["label"]), _s(row["id"]))
    what = f"{who} and {number(size - 1)} below ({number(size)} people)" if size > 1 else who
    return f"{what}: {_old(row)} → {_new(row)}"


def move_line(row: dict[str, object]) -> str:
    return f"{person(_s(row['label']), _s(row['id']))}: {_old(row)} → {_new(row)}"


def span_line(row: dict[str, object]) -> str:
    """'Alice Oldboss (E001): 4 → 3 direct reports (becomes a manager)'."""
    status = f" ({row['status']})" if row["status"] else ""
    return (
        f"{person(_s(row['label']), _s(row['id']))}: {number(int(row['before']))} → "  # type: ignore[call-overload]
        f"{number(int(row['after']))} direct reports{status}"  # type: ignore[call-overload]
    )


def _old(row: dict[str, object]) -> str:
    return person(_s(row["old_parent_label"]), _s(row["old_parent"])) if row["old_parent"] else "(top)"


def _new(row: dict[str, object]) -> str:
    return person(_s(row["new_parent_label"]), _s(row["new_parent"])) if row["new_parent"] else "(top)"


def _s(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Listing:
    """Lines of one list, and how many more rows it has than it shows."""

    title: str
    total: int
    lines: list[str]
    more: int
    nested: dict[int, list[str]] = field(default_factory=dict)  # line number -> moves inside that rollup


@dataclass(frozen=True)
class PeopleView:
    """Everything a reviewer reads about one resource, as lines of plain text (renderers escape them)."""

    address: str
    moves: Listing | None
    spans: Listing | None
    layers: tuple[int, int] | None
    orphans: Listing | None
    cycles: int
    properties: list[str]
    lists: list[Listing]

    @property
    def first_load(self) -> bool:
        """Nothing was in the tree before (a first load): every span is new, listed widest first."""
        return self.layers is not None and self.layers[0] == 0

    @property
    def has_hierarchy_news(self) -> bool:
        return bool(
            (self.moves and self.moves.total)
            or (self.spans and self.spans.total)
            or (self.orphans and self.orphans.total)
            or (self.layers and self.layers[0] != self.layers[1])
        )


def people_view(
    res: ResourcePlan, *, limit: int = DEFAULT_LIST_LIMIT, show_values: bool = False
) -> PeopleView:
    """The reviewer's view of one resource (its review and item frames), each list cut to `limit`."""
    review, items = res.review, res.items
    h = review.hierarchy if review else None
    label = review.label if review else None
    return PeopleView(
        address=res.address,
        moves=_moves(h, limit) if h else None,
        spans=_listing("Span of control", h.spans, span_line, limit) if h else None,
        layers=(h.layers_before, h.layers_after) if h and (h.layers_before or h.layers_after) else None,
        orphans=_listing(
            "Left without a parent",
            h.orphans,
            lambda r: (
                f"{person(_s(r['label']), _s(r['id']))}: parent {cut(str(r['parent']))} is not in the dataset"
            ),
            limit,
        )
        if h
        else None,
        cycles=h.cycles if h else 0,
        properties=[property_line(p) for p in review.properties] if review else [],
        lists=_item_lists(items, label, limit, show_values) if items is not None else [],
    )


def _listing(title: str, frame: pl.DataFrame, line: object, limit: int) -> Listing:
    shown = frame.head(limit)
    return Listing(
        title,
        frame.height,
        [line(r) for r in shown.iter_rows(named=True)],  # type: ignore[operator]
        frame.height - shown.height,
    )


def _moves(h: Hierarchy, limit: int) -> Listing:
    """Moved subtrees, largest first, each with the moves inside it (nested, also cut to `limit`)."""
    shown = h.rollups.head(limit)
    inside = h.moves.filter(
        pl.col("rollup").is_in(shown["id"].implode()) & (pl.col("id") != pl.col("rollup"))
    ).sort(["label", "id"], nulls_last=True)
    nested: dict[int, list[str]] = {}
    for at, root in enumerate(shown["id"]):
        rows = inside.filter(pl.col("rollup") == root)
        lines = [move_line(r) for r in rows.head(limit).iter_rows(named=True)]
        if rows.height > limit:
            lines.append(f"and {number(rows.height - limit)} more moves inside (see the report)")
        if lines:
            nested[at] = lines
    loose = h.moves.filter(pl.col("rollup").is_null())  # in a cycle: no subtree to roll up into
    lines = [rollup_line(r) for r in shown.iter_rows(named=True)]
    lines += [move_line(r) + " (in a cycle)" for r in loose.head(limit).iter_rows(named=True)]
    return Listing(
        "Moves", h.moves.height, lines, h.rollups.height - shown.height + max(0, loose.height - limit), nested
    )


def _item_lists(items: ItemChanges, label: str | None, limit: int, show_values: bool) -> list[Listing]:
    """Creates and deletes sorted by label, then the updates grouped by property."""
    key = list(items.key)
    lab = label if label is not None and label not in items.sensitive else None

    def who(r: dict[str, object], lab_column: str | None) -> str:
        keys = [None if k in items.sensitive else _s(r.get(k)) for k in key]
        shown_key = (
            " + ".join(k or "(sensitive)" for k in keys) if len(keys) > 1 else keys[0] or "(sensitive)"
        )
        return person(_s(r.get(lab_column)) if lab_column else None, shown_key)

    out: list[Listing] = []
    for title, frame in (("To create", items.creates), ("To delete", items.deletes)):
        if frame.height:
            column = lab if lab in frame.columns else None
            rows = first_by_label(frame, column, key, limit)
            out.append(
                Listing(
                    title,
                    frame.height,
                    [who(r, column) for r in rows.iter_rows(named=True)],
                    frame.height - rows.height,
                )
            )
    updates = items.updates
    for c in items.columns:
        if not updates.height or c + BEFORE not in updates.columns:
            continue
        changed = updates.filter(pl.col(c).ne_missing(pl.col(c + BEFORE)))
        if not changed.height:
            continue
        column = lab if lab in changed.columns else None
        rows = first_by_label(changed, column, key, limit)
        lines = []
        for r in rows.iter_rows(named=True):
            line = who(r, column)
            if show_values and c not in items.sensitive:
                line += f": {cut(_shown(r.get(c + BEFORE)))} → {cut(_shown(r.get(c)))}"
            lines.append(line)
        title = f"{c} changes" + (" (sensitive)" if c in items.sensitive else "")
        out.append(Listing(title, changed.height, lines, changed.height - rows.height))
    return out


def _shown(value: object) -> str:
    return "(empty)" if value is None else str(value)
