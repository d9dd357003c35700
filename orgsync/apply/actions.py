"""Encode planned rows as item actions: canonical Utf8 values → the JSON the Items endpoints take.

Only actions that are safe to repeat: `createOrUpdate` for creates (a retried create cannot duplicate),
`update` with only the cells whose value changed, `delete` by key. Each action is encoded once, by polars
expressions (a million rows in about a second), so batching counts exact sizes and a batch body is a join.
Wire forms follow `sources.canonical.to_wire`: the canonical text of a number or boolean is already its
JSON literal (`65000`, `0.5`, `true`); text and dates become JSON strings; null clears a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import polars as pl

from orgsync.apply.order import Wave
from orgsync.manifest.models import PropertyType
from orgsync.plan.model import ItemChanges

__all__ = ["Encoded", "encode_waves", "CREATE", "UPDATE", "DELETE"]

CREATE = "createOrUpdate"
UPDATE = "update"
DELETE = "delete"
_RAW_TYPES = ("number", "boolean")  # canonical text is the JSON literal


@dataclass(frozen=True)
class Encoded:
    """The actions of one step in write order: `bodies[i]` is the JSON of the action on item `keys[i]`."""

    bodies: list[str]
    sizes: list[int]  # UTF-8 byte length of each body
    keys: list[tuple[str | None, ...]]
    actions: list[str]

    def __len__(self) -> int:
        return len(self.bodies)


def encode_waves(waves: tuple[Wave, ...], items: ItemChanges, types: Mapping[str, PropertyType]) -> Encoded:
    """All actions of a step, wave after wave; within a wave creates come before updates."""
    out = Encoded([], [], [], [])
    for wave in waves:
        if wave.creates is not None and wave.creates.height:
            _extend(out, wave.creates, _creates(wave.creates, items, types), items, CREATE)
        if wave.updates is not None and wave.updates.height:
            _extend(out, wave.updates, _updates(wave.updates, items, types), items, UPDATE)
        if wave.deletes is not None and wave.deletes.height:
            _extend(out, wave.deletes, _deletes(items, types), items, DELETE)
    return out


def _extend(out: Encoded, frame: pl.DataFrame, body: pl.Expr, items: ItemChanges, action: str) -> None:
    bodies = frame.select(body.alias("b")).get_column("b")
    out.bodies.extend(bodies.to_list())
    out.sizes.extend(bodies.str.len_bytes().to_list())
    out.keys.extend(frame.select(items.key).rows())
    out.actions.extend([action] * frame.height)


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


def _creates(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    """createOrUpdate with every non-empty owned value (a new item has nothing to clear)."""
    cols = [c for c in items.columns if c in frame.columns]
    members = [pl.when(pl.col(c).is_null()).then(pl.lit("")).otherwise(_member(c, types.get(c, "text")))
               for c in cols]
    return _object(CREATE, _key_members(items, types) + members)


def _updates(frame: pl.DataFrame, items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    """update with only the cells whose after differs from before; null clears the value."""
    before = ItemChanges.BEFORE_SUFFIX
    cols = [c for c in items.columns if c in frame.columns and c + before in frame.columns]
    members = [pl.when(pl.col(c).ne_missing(pl.col(c + before))).then(_member(c, types.get(c, "text")))
               .otherwise(pl.lit("")) for c in cols]
    return _object(UPDATE, _key_members(items, types) + members)


def _deletes(items: ItemChanges, types: Mapping[str, PropertyType]) -> pl.Expr:
    return _object(DELETE, _key_members(items, types))
