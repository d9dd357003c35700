"""`Rows`: a selection of a plan frame's rows by position, copied out only a slice at a time when used.

Why: apply splits a step's rows into waves (a hierarchy level by level). Filtering the frame once per level
copies every cell — polars copies the strings of a filter or gather — so a million-row first load of 30
properties held a second full copy of the created rows (~1 GB) beside the plan's own frame, for the whole
run. A selection costs 4 bytes a row (a UInt32 position), and the executor takes the rows of one import file,
a chunk at a time, as it encodes that file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from orgsync.sources.dictionary import estimated_size


@dataclass(frozen=True)
class Rows:
    """Rows `index` of `frame`, in that order (`index` None: every row of `frame`, in frame order)."""

    frame: pl.DataFrame
    index: pl.Series | None = None  # UInt32 positions in `frame`

    @classmethod
    def where(cls, frame: pl.DataFrame, mask: pl.Series) -> Rows:
        """The rows of `frame` where `mask` (a Boolean series as long as the frame) is true, in frame order."""
        return cls(frame, mask.arg_true().cast(pl.UInt32))

    @property
    def height(self) -> int:
        return self.frame.height if self.index is None else self.index.len()

    @property
    def columns(self) -> list[str]:
        return self.frame.columns

    def frame_between(self, start: int = 0, stop: int | None = None) -> pl.DataFrame:
        """Rows `start:stop` of the selection as a frame: a copy of those rows only."""
        stop = self.height if stop is None else min(stop, self.height)
        length = max(stop - start, 0)
        if self.index is None:
            return self.frame.slice(start, length)
        return self.frame[self.index.slice(start, length)]

    def to_frame(self) -> pl.DataFrame:
        """The whole selection as a frame (a copy unless it is the whole frame; for small frames and tests)."""
        return self.frame_between()

    def estimated_size(self) -> int:
        """Bytes of the selected rows, estimated in proportion to the frame's."""
        if not self.frame.height:
            return 0
        return int(estimated_size(self.frame) * self.height / self.frame.height)
