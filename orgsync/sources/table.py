"""`SourceTable`: one manifest's source file, read and normalised, as the planner consumes it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from orgsync.errors import Location
from orgsync.manifest.models import PropertyType

_FILE_ROW = re.compile(r"^(.+):(\d+)$")  # a `__source` label of a file with lines: "data/a.csv:12"


@dataclass(frozen=True)
class QueryRows:
    """Where the rows of a query output come from: each row's `__source` label ("data/a.csv:12"; null for a
    row the query made up), None when the query keeps no `__source`; and where the query is in its manifest."""

    at: Location
    origins: pl.Series | None = field(default=None, repr=False)

    def place(self, index: int, output_row: int) -> tuple[Location | None, str]:
        """(the input file and row output row `index` came from, or None; how a message names the row)."""
        origin = self.origins[index] if self.origins is not None else None
        if origin is None:
            made = " (made by the query, from no input row)" if self.origins is not None else ""
            return None, f"query output row {output_row}{made}"
        lines = _FILE_ROW.match(origin)
        if lines is None:  # a database or JSON input: its rows are no file lines
            return None, f"query output row {output_row} (from {origin})"
        return Location(lines[1], int(lines[2])), f"query output row {output_row}"


@dataclass
class SourceTable:
    """A source file in canonical form.

    `frame` holds Utf8 columns in canonical form: the key columns, then the owned property keys (after the
    `columns:` rename). `key` is `[autoId]` for a Dataset and `["from_id", "to_id"]` for a LinksDataset;
    `owned` lists the non-key property columns the source carries (only those are compared and written);
    `types` maps every column to its property type; `sha256` is of the file bytes as stored.
    `rows` gives, for each frame row, its row number in the file (for messages; header = row 1).
    """

    name: str
    path: Path
    frame: pl.DataFrame
    key: list[str]
    owned: list[str]
    types: dict[str, PropertyType]
    sha256: str
    rows: pl.Series | None = field(default=None, repr=False)
    row_files: pl.Series | None = field(
        default=None, repr=False
    )  # per row, its file (several files concatenated)
    # row hashes of `frame` by the columns hashed: computed once for the live read and the diff (issue 24)
    _hashed: dict[tuple[str, ...], tuple[pl.DataFrame, pl.Series]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    query: QueryRows | None = field(default=None, repr=False)  # the table is a query's output
    # per (treeId, treeParentId): each row's parent row, found once for the tree check and the review
    _trees: dict[tuple[str, str], tuple[pl.DataFrame, tuple[pl.Series, pl.Series]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def columns(self) -> list[str]:
        return [*self.key, *self.owned]

    def hashed(
        self, columns: Sequence[str], hash_rows: Callable[[pl.DataFrame, Sequence[str]], pl.Series]
    ) -> pl.Series:
        """`hash_rows(frame, columns)`, computed once per columns while `frame` stays the same frame: the live
        read (which rows may differ) and the diff (which rows do) ask for the same hashes of a million rows."""
        key = tuple(columns)
        held = self._hashed.get(key)
        if held is None or held[0] is not self.frame:
            held = (self.frame, hash_rows(self.frame, key))
            self._hashed[key] = held
        return held[1]

    def tree_rows(
        self,
        tree: str,
        parent: str,
        find: Callable[[pl.Series, pl.Series], tuple[pl.Series, pl.Series]],
    ) -> tuple[pl.Series, pl.Series]:
        """`find(frame[tree], frame[parent])` (each row's parent row, and which rows are nodes), computed once
        while `frame` stays the same frame: the source's tree check and the plan's review join the same
        million parents to their rows."""
        key = (tree, parent)
        held = self._trees.get(key)
        if held is None or held[0] is not self.frame:
            held = (self.frame, find(self.frame[tree], self.frame[parent]))
            self._trees[key] = held
        return held[1]

    def row_number(self, index: int) -> int:
        """The file row number of frame row `index`."""
        return int(self.rows[index]) if self.rows is not None else index + 2

    def file_of(self, index: int) -> str | None:
        """The file frame row `index` came from, when the source is several files (else None: `path`)."""
        return str(self.row_files[index]) if self.row_files is not None else None

    def place(self, index: int) -> str:
        """How a message names frame row `index`: "row 12", or "data/b.csv:12" when there are several files
        or it came through a query."""
        if self.query is not None:
            where, label = self.query.place(index, self.row_number(index))
            return f"{where.file}:{where.line}" if where is not None else label
        file = self.file_of(index)
        return f"{file}:{self.row_number(index)}" if file else f"row {self.row_number(index)}"

    def located(self, index: int, shown: str) -> tuple[Location, str]:
        """(where frame row `index` is reported, the words naming it in the message); `shown`: the table's
        file as messages name it. A query's row is reported at its input file and row when `__source` names
        them, else at the query."""
        row = self.row_number(index)
        if self.query is not None:
            where, label = self.query.place(index, row)
            return where or self.query.at, label
        return Location(self.file_of(index) or shown, row), f"row {row}"
