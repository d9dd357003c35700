"""Encode planned rows as item actions: canonical Utf8 values → JSON bodies the Items endpoints take.

Only actions that are safe to repeat: `createOrUpdate` for creates (a retried create cannot duplicate),
`update` with only the cells whose value changed, `delete` by key. Each action is encoded once, to bytes,
so batching can count exact sizes and a batch body is a join, not a re-encode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl

from orgsync.apply.order import Wave
from orgsync.manifest.models import PropertyType
from orgsync.plan.model import ItemChanges
from orgsync.sources.canonical import to_wire
from orgsync.sources.readers import property_types

__all__ = ["Encoded", "encode_waves", "property_types", "CREATE", "UPDATE", "DELETE"]

CREATE = "createOrUpdate"
UPDATE = "update"
DELETE = "delete"

@dataclass(frozen=True)
class Encoded:
    """The actions of one step in write order: `bodies[i]` is the JSON of the action on item `keys[i]`."""

    bodies: list[bytes]
    keys: list[tuple[str | None, ...]]
    actions: list[str]

    def __len__(self) -> int:
        return len(self.bodies)

    @property
    def sizes(self) -> list[int]:
        return [len(b) for b in self.bodies]


def encode_waves(waves: tuple[Wave, ...], items: ItemChanges, types: Mapping[str, PropertyType]) -> Encoded:
    """All actions of a step, wave after wave; within a wave creates come before updates."""
    out = Encoded([], [], [])
    for wave in waves:
        if wave.creates is not None and wave.creates.height:
            _extend(out, _creates(wave.creates, items, types), CREATE)
        if wave.updates is not None and wave.updates.height:
            _extend(out, _updates(wave.updates, items, types), UPDATE)
        if wave.deletes is not None and wave.deletes.height:
            _extend(out, _deletes(wave.deletes, items, types), DELETE)
    return out


def _extend(out: Encoded, rows: tuple[list[dict], list[tuple]], action: str) -> None:
    bodies, keys = rows
    dumps = orjson.dumps
    out.bodies.extend(dumps(b) for b in bodies)
    out.keys.extend(keys)
    out.actions.extend([action] * len(bodies))


def _wire_column(series: pl.Series, type: PropertyType) -> list[Any]:
    """A column as wire values; values repeat a lot (departments, dates), so each distinct one converts once."""
    if type == "text":
        return series.to_list()
    convert: Callable[[str | None, PropertyType], Any] = to_wire
    cache: dict[str, Any] = {}
    out: list[Any] = []
    for value in series.to_list():
        if value is None:
            out.append(None)
            continue
        wire = cache.get(value)
        if wire is None:
            wire = cache[value] = convert(value, type)
        out.append(wire)
    return out


def _key_parts(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]):
    raw = [frame.get_column(k).to_list() for k in items.key]
    wire = [_wire_column(frame.get_column(k), types.get(k, "text")) for k in items.key]
    return list(zip(*raw, strict=True)), wire


def _creates(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]):
    """createOrUpdate with every non-empty owned value (a new item has nothing to clear)."""
    keys, key_wire = _key_parts(frame, items, types)
    cols = [c for c in items.columns if c in frame.columns]
    values = [_wire_column(frame.get_column(c), types.get(c, "text")) for c in cols]
    bodies = []
    for i in range(frame.height):
        body: dict[str, Any] = {"_action": CREATE}
        for k, w in zip(items.key, key_wire, strict=True):
            body[k] = w[i]
        for c, v in zip(cols, values, strict=True):
            if v[i] is not None:
                body[c] = v[i]
        bodies.append(body)
    return bodies, keys


def _updates(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]):
    """update with only the cells whose after differs from before; null clears the value."""
    keys, key_wire = _key_parts(frame, items, types)
    before = ItemChanges.BEFORE_SUFFIX
    cols = [c for c in items.columns if c in frame.columns and c + before in frame.columns]
    values = [_wire_column(frame.get_column(c), types.get(c, "text")) for c in cols]
    changed = [frame.select(pl.col(c).ne_missing(pl.col(c + before))).to_series().to_list() for c in cols]
    bodies = []
    for i in range(frame.height):
        body: dict[str, Any] = {"_action": UPDATE}
        for k, w in zip(items.key, key_wire, strict=True):
            body[k] = w[i]
        for c, v, ch in zip(cols, values, changed, strict=True):
            if ch[i]:
                body[c] = v[i]
        bodies.append(body)
    return bodies, keys


def _deletes(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]):
    keys, key_wire = _key_parts(frame, items, types)
    bodies = []
    for i in range(frame.height):
        body: dict[str, Any] = {"_action": DELETE}
        for k, w in zip(items.key, key_wire, strict=True):
            body[k] = w[i]
        bodies.append(body)
    return bodies, keys
