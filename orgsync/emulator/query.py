"""MongoDB-style filters and projections, translated to polars expressions over a dataset's columns.

Supported operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $regex $not, and $and $or $nor.
A value of another type than the column (e.g. a string against a number property) matches nothing,
as in MongoDB; an unknown field behaves as a missing one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from orgsync.emulator.errors import bad_body

_COMPARE = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}


def filter_expr(filt: Any, types: Mapping[str, str], path: str = "$.filter") -> pl.Expr:
    """Translate a filter document into a boolean polars expression (null counts as no match)."""
    if filt is None:
        return pl.lit(True)
    if not isinstance(filt, dict):
        raise bad_body("a filter must be a JSON object", path)
    parts = [_clause(key, value, types, f"{path}.{key}") for key, value in filt.items()]
    expr = pl.lit(True)
    for part in parts:
        expr = expr & part
    return expr


def _clause(key: str, value: Any, types: Mapping[str, str], path: str) -> pl.Expr:
    if key in ("$and", "$or", "$nor"):
        if not isinstance(value, list) or not value:
            raise bad_body(f"{key} takes a non-empty array of filters", path)
        subs = [filter_expr(v, types, f"{path}[{i}]").fill_null(False) for i, v in enumerate(value)]
        combined = subs[0]
        for sub in subs[1:]:
            combined = (combined & sub) if key == "$and" else (combined | sub)
        return ~combined if key == "$nor" else combined
    if key.startswith("$"):
        raise bad_body(f"unsupported top-level operator {key}", path)
    if isinstance(value, dict) and value and all(k.startswith("$") for k in value):
        return _field_ops(key, value, types, path)
    return _op(key, "$eq", value, types, path)


def _field_ops(key: str, ops: dict[str, Any], types: Mapping[str, str], path: str) -> pl.Expr:
    expr = pl.lit(True)
    for op, operand in ops.items():
        if op == "$not":
            if not isinstance(operand, dict):
                raise bad_body("$not takes an operator object", f"{path}.$not")
            expr = expr & ~_field_ops(key, operand, types, f"{path}.$not").fill_null(False)
        else:
            expr = expr & _op(key, op, operand, types, f"{path}.{op}")
    return expr


def _column(key: str, types: Mapping[str, str]) -> pl.Expr:
    return pl.col(key) if key in types else pl.lit(None, dtype=pl.String)


def _fits(ptype: str | None, value: Any) -> bool:
    if value is None:
        return True
    if ptype == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if ptype == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _op(key: str, op: str, operand: Any, types: Mapping[str, str], path: str) -> pl.Expr:
    col, ptype = _column(key, types), types.get(key)
    if op == "$exists":
        return col.is_not_null() if operand else col.is_null()
    if op in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise bad_body(f"{op} takes an array", path)
        matches = [_op(key, "$eq", v, types, path).fill_null(False) for v in operand]
        anyof = pl.lit(False)
        for m in matches:
            anyof = anyof | m
        return ~anyof if op == "$nin" else anyof
    if op == "$regex":
        if not isinstance(operand, str):
            raise bad_body("$regex takes a string", path)
        try:
            re.compile(operand)
        except re.error as exc:
            raise bad_body(f"$regex is not a valid regular expression: {exc}", path) from None
        return (
            col.cast(pl.String).str.contains(operand)
            if ptype in (None, "text", "date", "string")
            else pl.lit(False)
        )
    if op not in _COMPARE:
        raise bad_body(f"unsupported operator {op}", path)
    if isinstance(operand, dict | list):
        raise bad_body(f"{op} takes a single value", path)
    if not _fits(ptype, operand):
        return pl.lit(op == "$ne")
    if operand is None:
        return col.is_null() if op == "$eq" else col.is_not_null() if op == "$ne" else pl.lit(False)
    lit = pl.lit(operand)
    return {
        "$eq": col == lit,
        "$ne": (col != lit).fill_null(True),
        "$gt": col > lit,
        "$gte": col >= lit,
        "$lt": col < lit,
        "$lte": col <= lit,
    }[op]


def projection_keys(projection: Any, keys: list[str], *, path: str = "$.projection") -> list[str] | None:
    """Keys selected by a projection, in the projection's order; None when there is no projection.

    Non-zero values include (their order is the projection's), 0/false exclude; an all-exclusion
    projection keeps every other property in dataset order.
    """
    if projection is None:
        return None
    if not isinstance(projection, dict):
        raise bad_body("a projection must be an object of {propertyKey: 1}", path)
    for key, flag in projection.items():
        if not isinstance(flag, int | bool):
            raise bad_body(f"projection value for {key!r} must be 0 or 1", f"{path}.{key}")
    included = [k for k, flag in projection.items() if flag]
    if included:
        return included
    excluded = set(projection)
    return [k for k in keys if k not in excluded]
