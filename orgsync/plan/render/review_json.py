"""The review's part of the JSON plan (`moves`, `spans`, `layers`, `orphans`, `property_counts`; docs/plan-json.md)."""

from __future__ import annotations

from typing import Any

import polars as pl

from orgsync.plan.review_values import Review


def _rows(frame: pl.DataFrame, limit: int | None) -> dict[str, Any]:
    shown = frame if limit is None else frame.head(limit)
    return {"rows": shown.to_dicts(), "total": frame.height, "omitted": frame.height - shown.height}


def review_document(review: Review | None, limit: int | None) -> dict[str, Any]:
    """The resource's review keys; each list cut to `limit` rows (None: all) with its total and omitted count."""
    if review is None:
        return {
            "label": None,
            "property_counts": [],
            "moves": None,
            "spans": None,
            "layers": None,
            "orphans": None,
        }
    h = review.hierarchy
    counts = [
        {
            "key": p.key,
            "changed": p.changed,
            "filled": p.filled,
            "cleared": p.cleared,
            "sensitive": p.sensitive,
        }
        for p in review.properties
    ]
    return {
        "label": review.label,
        "property_counts": counts,
        "moves": None
        if h is None
        else {"subtrees": _rows(h.rollups, limit), "items": _rows(h.moves, limit), "in_cycles": h.cycles},
        "spans": None if h is None else _rows(h.spans, limit),
        "layers": None if h is None else {"before": h.layers_before, "after": h.layers_after},
        "orphans": None if h is None else {**_rows(h.orphans, limit), "before": h.orphans_before},
    }
