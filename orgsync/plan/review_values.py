"""The review's values (what `plan.review` computes and the plan holds): frozen, polars frames of Utf8 ids."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ID, PARENT, LABEL = "id", "parent", "label"


@dataclass(frozen=True)
class PropertyCount:
    """How the cells of one property change across the updates; a sensitive one only counts changed cells."""

    key: str
    changed: int  # a value replaced by another (for a sensitive property: every changed cell)
    filled: int  # empty before
    cleared: int  # empty after
    sensitive: bool = False

    @property
    def total(self) -> int:
        return self.changed + self.filled + self.cleared


@dataclass(frozen=True)
class Hierarchy:
    """The tree before and after the plan, summarised (frames of canonical Utf8 ids and labels).

    - `moves`: every item whose parent changes: id, label, old/new parent and their labels, `rollup` (the id of
      the topmost moved item above it, itself included, in the new tree).
    - `rollups`: one row per moved subtree (a moved item with no moved item above it): the same columns, `size`
      (the subtree in the new tree, its root included) and `moved` (moved items in it, the root included).
    - `spans`: every manager whose direct reports change: id, label, `before`, `after`, `joined`, `left`, and
      `status` ("becomes a manager", "no longer a manager" or "").
    - `orphans`: items whose parent is not in the new tree: id, label, parent.
    """

    tree_id: str
    tree_parent: str
    moves: pl.DataFrame
    rollups: pl.DataFrame
    spans: pl.DataFrame
    orphans: pl.DataFrame
    layers_before: int
    layers_after: int
    orphans_before: int
    cycles: int  # items in (or below) a cycle of the new tree: no depth, in no rollup


@dataclass(frozen=True)
class Review:
    """The review of one dataset's item changes."""

    label: str | None  # the labelId column shown beside keys (None when absent or sensitive)
    properties: tuple[PropertyCount, ...]
    hierarchy: Hierarchy | None = None


MOVE_COLUMNS = (ID, LABEL, "old_parent", "old_parent_label", "new_parent", "new_parent_label", "rollup")
ROLLUP_COLUMNS = (*MOVE_COLUMNS[:-1], "size", "moved")
SPAN_COLUMNS = (ID, LABEL, "before", "after", "joined", "left", "status")
ORPHAN_COLUMNS = (ID, LABEL, PARENT)
COUNT_COLUMNS = {"size", "moved", "before", "after", "joined", "left"}
