"""Drafts (seeded through the admin API), layer folding, on-demand formulas, links populate, access rules."""

from __future__ import annotations

from typing import Any

import polars as pl

from orgsync.emulator.errors import ApiError, bad_body
from orgsync.emulator.model import Dataset, Draft
from orgsync.emulator.query import filter_expr, projection_keys
from orgsync.emulator.values import storage_dtype, text_expr

FOLD_SCHEMES = ("distinct", "lossless", "ordered")
DRAFT_FIELDS = {"name": "text", "description": "text", "createdBy": "text"}


def parse_seed(body: Any, new_id: str, now: str, user: str) -> Draft:
    if not isinstance(body, dict):
        raise bad_body("a draft is an object with datasetId, name and layers")
    layers = body.get("layers", {"default": []})
    if isinstance(layers, list):
        layers = {"default": layers}
    if not isinstance(layers, dict) or not all(isinstance(v, list) for v in layers.values()):
        raise bad_body("layers must map a layerKey to an array of item actions", "$.layers")
    if not isinstance(body.get("datasetId"), str) or not isinstance(body.get("name"), str):
        raise bad_body("datasetId and name are required strings")
    return Draft(
        str(body.get("draftId") or new_id),
        body["datasetId"],
        body["name"],
        str(body.get("description", "")),
        str(body.get("createdBy", user)),
        now,
        list(body.get("tags") or []),
        layers,
    )


def render(draft: Draft, api: str) -> dict[str, Any]:
    return {
        "draftId": draft.id,
        "name": draft.name,
        "description": draft.description,
        "createdBy": draft.created_by,
        "modifiedAt": draft.modified_at,
        "tags": draft.tags,
        "_links": {
            "self": {
                "url": f"{api}/drafts/{draft.id}",
                "method": "GET",
                "type": "application/json; charset=UTF-8",
            },
            "draft:actions": {
                "url": f"{api}/drafts/actions",
                "method": "POST",
                "type": "application/json; charset=UTF-8",
                "jsonBody": {"layers": [{"draftId": draft.id, "layerKey": k} for k in draft.layers]},
            },
        },
    }


def query(drafts: list[Draft], body: Any) -> list[dict[str, Any]]:
    """Filter drafts by name/description/createdBy; returns (projected) plain rows plus the Draft ids."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_body("the body must be an object with filter and projection")
    filt = body.get("filter")
    if isinstance(filt, dict):
        for key in filt:
            if not key.startswith("$") and key not in DRAFT_FIELDS:
                raise bad_body(
                    "drafts can only be filtered by name, description or createdBy", f"$.filter.{key}"
                )
    frame = pl.DataFrame(
        {
            "i": list(range(len(drafts))),
            "name": [d.name for d in drafts],
            "description": [d.description for d in drafts],
            "createdBy": [d.created_by for d in drafts],
        },
        schema={"i": pl.Int64, "name": pl.String, "description": pl.String, "createdBy": pl.String},
    )
    chosen = frame.filter(filter_expr(filt, DRAFT_FIELDS).fill_null(False))["i"].to_list()
    keys = projection_keys(body.get("projection"), [])
    return [{"draft": drafts[i], "keys": keys} for i in chosen]


def parse_layers(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not value:
        raise bad_body("layers must be a non-empty array of {draftId, layerKey}", "$.layers")
    out = []
    for i, layer in enumerate(value):
        if not isinstance(layer, dict) or not isinstance(layer.get("draftId"), str):
            raise bad_body("each layer needs a draftId", f"$.layers[{i}]")
        key = layer.get("layerKey", "default")
        if not isinstance(key, str):
            raise bad_body("layerKey must be a string", f"$.layers[{i}].layerKey")
        out.append((layer["draftId"], key))
    return out


def fold(layers: list[tuple[Draft, str]], scheme: str) -> list[dict[str, Any]]:
    """Combine layers into one list of item actions.

    ordered: every action of every layer, in order; distinct: one action per item (by `_id`), later layers'
    values win; lossless: like distinct, but two layers giving one property different values is an error.
    """
    actions = [dict(a) for draft, key in layers for a in draft.layers[key] if isinstance(a, dict)]
    if scheme == "ordered":
        return actions
    merged: dict[Any, dict[str, Any]] = {}
    for action in actions:
        ident = ("_id", action["_id"]) if "_id" in action else ("row", id(action))
        if ident in merged:
            prior = merged[ident]
            if scheme == "lossless":
                clash = [k for k, v in action.items() if k in prior and prior[k] != v and k != "_action"]
                if clash:
                    raise ApiError(
                        409,
                        "409001",
                        "FoldConflict",
                        f"layers disagree on {', '.join(clash)} of item {action['_id']}",
                    )
            prior.update(action)
        else:
            merged[ident] = action
    return list(merged.values())


ACTION_FIELDS = {"_id": "text", "_action": "text"}  # an action's own fields a clear filter may name too


def clear_layer(actions: list[dict[str, Any]], filt: Any, types: dict[str, str]) -> list[dict[str, Any]]:
    """Remove a layer's actions matching the filter (all of them without one).

    The filter is over the actions (D/api/ "filter the actions you want cleared"): their property values and
    their own `_id` and `_action`.
    """
    if filt is None:
        return []
    if not actions:
        return actions
    types = {**types, **ACTION_FIELDS}
    used = {k for a in actions for k in a if k in types}
    frame = pl.DataFrame(
        {k: pl.Series([a.get(k) for a in actions], dtype=storage_dtype(types[k]), strict=False) for k in used}
        | {"__i": list(range(len(actions)))}
    )
    drop = set(frame.filter(filter_expr(filt, {k: types[k] for k in used}).fill_null(False))["__i"].to_list())
    return [a for i, a in enumerate(actions) if i not in drop]


def compute_on_demand(ds: Dataset, frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Recalculate on-demand properties from their `formula` (a polars SQL expression), in the given order."""
    props = {p["key"]: p for p in ds.properties}
    for key in keys:
        try:
            value = pl.sql_expr(props[key]["formula"])
            frame = frame.with_columns(value.cast(storage_dtype(props[key]["type"]), strict=False).alias(key))
        except pl.exceptions.PolarsError as exc:
            raise ApiError(
                422, "422010", "OnDemandFailed", f"the formula of {key!r} cannot be computed: {exc}"
            ) from None
    return frame


def populate_actions(src: Dataset, target_key: str, alloc_key: str | None) -> list[dict[str, Any]]:
    """One createOrReplace link per source item that names a target, from_id being the source's autoId."""
    types = src.types()
    cols = [
        text_expr(src.config["autoId"], types[src.config["autoId"]]).alias("from_id"),
        text_expr(target_key, types[target_key]).alias("to_id"),
    ]
    if alloc_key:
        cols.append(pl.col(alloc_key).alias("allocation"))
    rows = src.frame.select(cols).drop_nulls(["from_id", "to_id"]).to_dicts()
    for row in rows:
        row["_action"] = "createOrReplace"
        if row.get("allocation") is None:
            row.pop("allocation", None)
    return rows


def parse_access(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_body("an access rule is an object with properties and/or items")
    props = body.get("properties") or []
    if not isinstance(props, list) or not all(isinstance(p, str) for p in props):
        raise bad_body("properties must be an array of property keys", "$.properties")
    items = body.get("items")
    if items is not None and not isinstance(items, dict):
        raise bad_body("items must be a filter object", "$.items")
    for field in ("token", "datasetId"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise bad_body(f"{field} must be a string", f"$.{field}")
    return {
        "token": body.get("token"),
        "datasetId": body.get("datasetId"),
        "properties": props,
        "items": items,
    }
