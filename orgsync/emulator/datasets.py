"""Dataset and links-dataset configuration: validation of create/PATCH bodies and the merge rules."""

from __future__ import annotations

import copy
import re
from typing import Any

from orgsync.emulator.errors import bad_body, unprocessable
from orgsync.emulator.model import LINK_CORE, LINK_CORE_PROPERTIES
from orgsync.emulator.values import PROPERTY_TYPES

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
OPTIONAL_KEYS = ("tags", "treeId", "treeParentId")


def _str(body: dict[str, Any], key: str, *, required: bool, nullable: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if key in body and not nullable and not required:
            raise bad_body(f"{key} cannot be null", f"$.{key}")
        if required:
            raise bad_body(f"{key} is required (a string)", f"$.{key}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_body(f"{key} must be a non-empty string", f"$.{key}")
    return value


def _tags(body: dict[str, Any]) -> list[str] | None:
    tags = body.get("tags")
    if tags is None:
        return None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise bad_body("tags must be an array of strings", "$.tags")
    return tags


def flatten_properties(value: Any, path: str) -> list[Any]:
    """Accept the documented array of property objects, also in the rendered `[{"0": {...}, ...}]` form."""
    if not isinstance(value, list):
        raise bad_body("properties must be an array of property objects", path)
    flat: list[Any] = []
    for item in value:
        if (
            isinstance(item, dict)
            and "key" not in item
            and item
            and all(isinstance(v, dict) for v in item.values())
        ):
            flat.extend(item.values())
        elif isinstance(item, list):
            flat.extend(item)
        else:
            flat.append(item)
    return flat


def check_property(prop: Any, path: str, *, partial: bool = False) -> dict[str, Any]:
    if not isinstance(prop, dict):
        raise bad_body("a property must be an object with key, name and type", path)
    key = prop.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise bad_body("property key must match ^[A-Za-z_][A-Za-z0-9_]*$", f"{path}.key")
    if key.startswith("_"):
        raise bad_body("property keys starting with _ are reserved", f"{path}.key")
    ptype = prop.get("type")
    if ptype is None and partial:
        pass
    elif ptype not in PROPERTY_TYPES:
        raise bad_body(f"property type must be one of {', '.join(PROPERTY_TYPES)}", f"{path}.type")
    name = prop.get("name")
    if name is not None and not isinstance(name, str):
        raise bad_body("property name must be a string", f"{path}.name")
    if prop.get("isRequired") is not None and not isinstance(prop["isRequired"], bool):
        raise bad_body("isRequired must be true or false", f"{path}.isRequired")
    if prop.get("formula") is not None and not isinstance(prop["formula"], str):
        raise bad_body("formula must be a string (a polars SQL expression)", f"{path}.formula")
    return {k: v for k, v in prop.items() if v is not None}


def new_dataset_config(body: Any) -> dict[str, Any]:
    """Validate a create-dataset body into a configuration."""
    if not isinstance(body, dict):
        raise bad_body("the body must be a JSON object")
    config: dict[str, Any] = {
        "name": _str(body, "name", required=True),
        "type": _str(body, "type", required=True),
        "autoId": _str(body, "autoId", required=True),
        "labelId": _str(body, "labelId", required=True),
    }
    if config["type"] == "LINKS":
        raise bad_body("links datasets are created through /links", "$.type")
    props = [
        check_property(p, f"$.properties[{i}]")
        for i, p in enumerate(flatten_properties(body.get("properties"), "$.properties"))
    ]
    for p in props:
        p.setdefault("name", p["key"])
        p.setdefault("isRequired", False)
    _unique(props, "$.properties")
    config["properties"] = props
    for key in ("treeId", "treeParentId"):
        if (value := _str(body, key, required=False, nullable=True)) is not None:
            config[key] = value
    if (tags := _tags(body)) is not None:
        config["tags"] = tags
    _check_references(config)
    _check_required_keys(config)
    return config


def _check_required_keys(config: dict[str, Any]) -> None:
    """D/Dataset-operations/create-dataset/: the autoId and labelId properties (and treeId / treeParentId of a
    hierarchical dataset) must have `isRequired: true`."""
    for i, prop in enumerate(config["properties"]):
        roles = [f for f in ("autoId", "labelId", "treeId", "treeParentId") if config.get(f) == prop["key"]]
        if roles and prop.get("isRequired") is not True:
            raise bad_body(
                f"property {prop['key']!r} is the dataset's {' and '.join(roles)}, so it must have isRequired: true",
                f"$.properties[{i}].isRequired",
            )


def _unique(props: list[dict[str, Any]], path: str) -> None:
    seen: set[str] = set()
    for i, p in enumerate(props):
        if p["key"] in seen:
            raise bad_body(f"property key {p['key']!r} appears twice", f"{path}[{i}].key")
        seen.add(p["key"])


def _check_references(config: dict[str, Any]) -> None:
    keys = {p["key"] for p in config["properties"]}
    for field in ("autoId", "labelId", "treeId", "treeParentId"):
        if field in config and config[field] not in keys:
            raise unprocessable(
                f"{field} {config[field]!r} is not one of the dataset's property keys", f"$.{field}"
            )


def merge_dataset(
    config: dict[str, Any], body: Any, delete_omitted: bool, *, links: bool = False
) -> dict[str, Any]:
    """PATCH: merge onto the configuration; properties by key; null removes optional keys."""
    if not isinstance(body, dict):
        raise bad_body("the body must be a JSON object")
    new = copy.deepcopy(config)
    allowed = (
        ("name", "tags", "additionalProperties")
        if links
        else ("name", "type", "autoId", "labelId", "tags", "treeId", "treeParentId", "properties")
    )
    for key in body:
        if key not in allowed:
            raise bad_body(f"{key} cannot be changed here; allowed: {', '.join(allowed)}", f"$.{key}")
    for key in ("name", "type", "autoId", "labelId"):
        if key in body:
            new[key] = _str(body, key, required=False)
    if new.get("type") == "LINKS" and not links:
        raise unprocessable("a dataset cannot become a links dataset", "$.type")
    for key in OPTIONAL_KEYS:
        if key in body:
            value = body[key] if key != "tags" else _tags(body)
            if key != "tags" and value is not None:
                value = _str(body, key, required=False)
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
    prop_field = "additionalProperties" if links else "properties"
    if prop_field in body or delete_omitted:
        given = body.get(prop_field)
        items = flatten_properties(given, f"$.{prop_field}") if given is not None else []
        new["properties"] = _merge_properties(
            new["properties"], items, delete_omitted, links, f"$.{prop_field}"
        )
    if not links:
        _check_references(new)
    return new


def _merge_properties(
    existing: list[dict[str, Any]], patch: list[Any], delete_omitted: bool, links: bool, path: str
) -> list[dict[str, Any]]:
    by_key = {p["key"]: dict(p) for p in existing}
    order = [p["key"] for p in existing]
    given: set[str] = set()
    for i, raw in enumerate(patch):
        prop = check_property(raw, f"{path}[{i}]", partial=True)
        key = prop["key"]
        cleared = _cleared_fields(raw, f"{path}[{i}]")
        if links and key in LINK_CORE:
            raise unprocessable(
                f"{key} is a core property of links datasets and cannot be modified", f"{path}[{i}]"
            )
        given.add(key)
        if key in by_key:
            by_key[key].update(prop)
            for name in cleared:
                by_key[key].pop(name, None)
            by_key[key].setdefault("name", key)
        else:
            if "type" not in prop:
                raise bad_body("a new property needs a type", f"{path}[{i}].type")
            prop.setdefault("name", key)
            prop.setdefault("isRequired", False)
            by_key[key] = prop
            order.append(key)
    if delete_omitted:
        order = [k for k in order if k in given or (links and k in LINK_CORE)]
    return [by_key[k] for k in order]


def _cleared_fields(raw: dict[str, Any], path: str) -> list[str]:
    """Fields a partial property sets to null: removed from the property (`key` and `type` cannot be)."""
    cleared = [k for k, v in raw.items() if v is None]
    for required in ("key", "type"):
        if required in cleared:
            raise bad_body(f"a property's {required} cannot be null", f"{path}.{required}")
    return cleared


def new_links_config(body: Any, datasets: dict[str, Any]) -> dict[str, Any]:
    """Validate a create-links body; the core properties come first and cannot be changed."""
    if not isinstance(body, dict):
        raise bad_body("the body must be a JSON object")
    config: dict[str, Any] = {
        "name": _str(body, "name", required=True),
        "type": "LINKS",
        "autoId": "link_id",
        "labelId": "link_id",
    }
    for end in ("fromDatasetId", "toDatasetId"):
        ident = _str(body, end, required=True)
        if ident not in datasets or datasets[ident].is_links:
            raise unprocessable(f"{end} {ident!r} is not a dataset of this tenant", f"$.{end}")
        config[end] = ident
    extra = body.get("additionalProperties") or []
    props = [
        check_property(p, f"$.additionalProperties[{i}]")
        for i, p in enumerate(flatten_properties(extra, "$.additionalProperties"))
    ]
    for i, p in enumerate(props):
        if p["key"] in LINK_CORE:
            raise unprocessable(
                f"{p['key']} is a core property of links datasets", f"$.additionalProperties[{i}]"
            )
        p.setdefault("name", p["key"])
        p.setdefault("isRequired", False)
    config["properties"] = copy.deepcopy(LINK_CORE_PROPERTIES) + props
    _unique(config["properties"], "$.additionalProperties")
    if (tags := _tags(body)) is not None:
        config["tags"] = tags
    return config
