"""Encode planned rows as item actions: canonical Utf8 values → the JSON the Items endpoints take.

Only actions that are safe to repeat: `createOrUpdate` for creates (a retried create cannot duplicate),
`update` with only the cells whose value changed, `delete` by key. Actions are encoded by polars expressions
(a million rows in about a second), chunk by chunk: once to count each one's exact size for batching, and
again, a batch at a time, when the batch is sent — so no step holds all of its bodies at once.
Wire forms (docs/architecture.md, "On the wire"): the canonical text of a number or boolean is already its
JSON literal (`65000`, `0.5`, `true`); text and dates become JSON strings; null clears a value.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import orjson
import polars as pl

from orgsync.apply.order import Wave
from orgsync.apply.rows import Rows
from orgsync.manifest.models import PropertyType
from orgsync.plan.model import ItemChanges

__all__ = ["Encoded", "Part", "ActionsView", "encode_waves", "CREATE", "UPDATE", "DELETE", "CHUNK_ROWS"]

CREATE = "createOrUpdate"
UPDATE = "update"
DELETE = "delete"
_RAW_TYPES = ("number", "boolean")  # canonical text is the JSON literal
# Rows encoded at a time: ~10 MB of JSON at 30 properties, so encoding never holds more than a chunk's bodies.
CHUNK_ROWS = 16_384


@dataclass(frozen=True)
class Part:
    """The actions on some rows of one wave: `body` encodes each row of `rows` as the JSON of `action`."""

    rows: Rows
    action: str
    body: pl.Expr
    start: int  # position of its first action in the step

    @property
    def stop(self) -> int:
        return self.start + self.rows.height


@dataclass(frozen=True)
class Encoded:
    """The actions of one step in write order: action `i` is on item `keys(i, i + 1)[0]`, `sizes[i]` bytes of JSON.

    Only the sizes are kept (4 bytes an action): each batch's bodies are encoded again from the plan's rows
    when it is sent (`chunks`), so a million-row step never holds its million JSON bodies (~1 GB of Python
    strings at 30 properties). The encoding is deterministic, so a body encoded twice is the same bytes.
    """

    parts: tuple[Part, ...]
    sizes: array[int]  # UTF-8 byte length of each body
    key: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sizes)

    def chunks(self, start: int = 0, stop: int | None = None, rows: int | None = None) -> Iterator[pl.Series]:
        """The JSON bodies of actions `start:stop`, in order, as Utf8 series of at most `rows` (CHUNK_ROWS) each."""
        rows = rows or CHUNK_ROWS
        for part, lo, hi in self._spans(start, stop):
            for at in range(lo, hi, rows):
                frame = part.rows.frame_between(at, min(at + rows, hi))
                yield frame.select(part.body.alias("b")).get_column("b")

    def bodies(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The JSON bodies of actions `start:stop` as strings (a sync batch, a failure's masking, tests)."""
        return [body for chunk in self.chunks(start, stop) for body in chunk.to_list()]

    def keys(self, start: int = 0, stop: int | None = None) -> list[tuple[str | None, ...]]:
        """The key values of the items of actions `start:stop`."""
        out: list[tuple[str | None, ...]] = []
        for part, lo, hi in self._spans(start, stop):
            out.extend(part.rows.frame_between(lo, hi).select(self.key).rows())
        return out

    def actions(self, start: int = 0, stop: int | None = None) -> list[str]:
        """The action names of actions `start:stop`."""
        return [part.action for part, lo, hi in self._spans(start, stop) for _ in range(hi - lo)]

    def _spans(self, start: int, stop: int | None) -> Iterator[tuple[Part, int, int]]:
        """(part, first row, end row) of each part that actions `start:stop` touch, rows relative to the part."""
        stop = len(self) if stop is None else min(stop, len(self))
        for part in self.parts:
            lo, hi = max(start, part.start), min(stop, part.stop)
            if lo < hi:
                yield part, lo - part.start, hi - part.start


class ActionsView(Sequence[orjson.Fragment]):
    """Actions `start:stop` of a step as a sequence of encoded actions, each encoded only when read.

    An async import sends a file built beforehand (`gzipped`), so the client does not read these; they are
    there so what is passed still is the actions the file holds (a fake client checks one against the other).
    """

    def __init__(self, encoded: Encoded, start: int, stop: int) -> None:
        self._encoded, self._start, self._stop = encoded, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> orjson.Fragment: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[orjson.Fragment]: ...

    def __getitem__(self, index: int | slice) -> orjson.Fragment | Sequence[orjson.Fragment]:
        if isinstance(index, slice):
            lo, hi, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(lo, hi, step)]
            return ActionsView(self._encoded, self._start + lo, self._start + max(hi, lo))
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        at = self._start + position
        return orjson.Fragment(self._encoded.bodies(at, at + 1)[0])

    def __iter__(self) -> Iterator[orjson.Fragment]:
        for chunk in self._encoded.chunks(self._start, self._stop):
            for body in chunk.to_list():
                yield orjson.Fragment(body)


def encode_waves(waves: tuple[Wave, ...], items: ItemChanges, types: Mapping[str, PropertyType]) -> Encoded:
    """All actions of a step, wave after wave; within a wave creates come before updates.

    Every body is encoded once here to count its bytes (batching cuts by exact sizes), chunk by chunk, and
    then dropped; `Encoded.chunks` encodes a batch's bodies again when it is sent.
    """
    parts: list[Part] = []
    sizes: array[int] = array("I")
    for wave in waves:
        for rows, encode, action in (
            (wave.creates, _creates, CREATE),
            (wave.updates, _updates, UPDATE),
            (wave.deletes, _deletes_of, DELETE),
        ):
            if rows is not None and rows.height:
                parts.append(Part(rows, action, encode(rows.columns, items, types), len(sizes)))
                sizes.extend(_sizes(parts[-1]))
    return Encoded(tuple(parts), sizes, tuple(items.key))


def _sizes(part: Part) -> Iterator[int]:
    """The UTF-8 size of each action of `part`, encoded a chunk at a time (each chunk's bodies then dropped)."""
    for at in range(0, part.rows.height, CHUNK_ROWS):
        frame = part.rows.frame_between(at, at + CHUNK_ROWS)
        yield from frame.select(part.body.str.len_bytes()).to_series().to_list()


def _value(col: str, type: PropertyType) -> pl.Expr:
    """The JSON literal of a canonical value (`null` for null)."""
    if type in _RAW_TYPES:
        return pl.col(col).fill_null(pl.lit("null"))
    return pl.struct(pl.col(col).alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")


def _member(col: str, type: PropertyType) -> pl.Expr:
    """`,"key":value` for one property."""
    return pl.lit("," + orjson.dumps(col).decode() + ":") + _value(col, type)


def _object(action: str, members: list[pl.Expr]) -> pl.Expr:
    head = pl.lit('{"_action":' + orjson.dumps(action).decode())
    return pl.concat_str([head, *members, pl.lit("}")])


def _key_members(items: ItemChanges, types: Mapping[str, PropertyType]) -> list[pl.Expr]:
    return [_member(k, types.get(k, "text")) for k in items.key]


def _creates(columns: Sequence[str], items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    """createOrUpdate with every non-empty owned value (a new item has nothing to clear)."""
    cols = [c for c in items.columns if c in columns]
    members = [
        pl.when(pl.col(c).is_null()).then(pl.lit("")).otherwise(_member(c, types.get(c, "text")))
        for c in cols
    ]
    return _object(CREATE, _key_members(items, types) + members)


def _updates(columns: Sequence[str], items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    """update with only the cells whose after differs from before; null clears the value."""
    before = ItemChanges.BEFORE_SUFFIX
    cols = [c for c in items.columns if c in columns and c + before in columns]
    members = [
        pl.when(pl.col(c).ne_missing(pl.col(c + before)))
        .then(_member(c, types.get(c, "text")))
        .otherwise(pl.lit(""))
        for c in cols
    ]
    return _object(UPDATE, _key_members(items, types) + members)


def _deletes_of(columns: Sequence[str], items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    """delete by key only."""
    return _object(DELETE, _key_members(items, types))
