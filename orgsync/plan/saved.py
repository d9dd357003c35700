"""A saved plan (`plan --out FILE`): the exact actions, the source checksum and each dataset's live fingerprint.

Written as JSON with mode 0600. Sensitive values are never stored: in `creates` a sensitive cell holds the mask
where the source has a value; in `updates` a sensitive column `c` holds the mask where the cell changes (null
where it does not) and `c__before` is null. Apply re-reads those values from the sources after checking
the checksum. The format is described in docs/plan-json.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from orgsync.atomic import write_atomic
from orgsync.errors import PlanFileError
from orgsync.limits import ResourceLimits, limits_from
from orgsync.plan import review
from orgsync.plan.model import FORMAT_VERSION, SENSITIVE_MASK, ItemChanges, Plan, ResourcePlan
from orgsync.plan.signing import FIELD as SIGNATURE
from orgsync.plan.signing import signed, verify
from orgsync.sources.table import SourceTable
from orgsync.state.snapshot import Fingerprint

KIND = "orgsync-plan"
BEFORE = ItemChanges.BEFORE_SUFFIX


def save(plan: Plan, path: Path, key: bytes | None = None) -> None:
    """Write the plan to `path` with mode 0600, atomically: an interrupted save leaves the old file or none.

    With `key` (`ORGSYNC_PLAN_KEY`) the file is signed (`plan.signing`)."""
    try:
        write_atomic(path, orjson.dumps(signed(to_document(plan), key)), mode=0o600)
    except OSError as err:
        raise PlanFileError(
            f"{path}: cannot write the saved plan ({err.strerror or err})",
            hint="pass --out a path in an existing, writable directory",
        ) from None


def to_document(plan: Plan) -> dict[str, Any]:
    """The saved-plan JSON document as a dict (sensitive values replaced)."""
    head = plan.model_dump(mode="json", exclude={"resources", "drift"})
    return {
        "kind": KIND,
        **head,
        "resources": [_resource(r) for r in plan.resources],
        "drift": [_resource(r) for r in plan.drift],
    }


def _resource(res: ResourcePlan) -> dict[str, Any]:
    body = res.model_dump(mode="json", exclude={"items", "fingerprint", "review"})
    fp = res.fingerprint
    body["fingerprint"] = (
        None
        if fp is None
        else {
            "dataset_id": fp.dataset_id,
            "cache_key": fp.cache_key,
            "last_transaction_id": fp.last_transaction_id,
        }
    )
    body["items"] = None if res.items is None else _items(res.items)
    body["review"] = None if res.review is None else review.to_document(res.review)
    return body


def _items(items: ItemChanges) -> dict[str, Any]:
    return {
        "key": items.key,
        "columns": items.columns,
        "sensitive": sorted(items.sensitive),
        "existing": items.existing,
        "creates": _columns(_masked_creates(items)),
        "updates": _columns(_masked_updates(items)),
        "deletes": _columns(items.deletes),
    }


def _masked_creates(items: ItemChanges) -> pl.DataFrame:
    hide = [c for c in items.columns if c in items.sensitive and c in items.creates.columns]
    return items.creates.with_columns(
        [pl.when(pl.col(c).is_not_null()).then(pl.lit(SENSITIVE_MASK)).otherwise(None).alias(c) for c in hide]
    )


def _masked_updates(items: ItemChanges) -> pl.DataFrame:
    hide = [c for c in items.columns if c in items.sensitive and c in items.updates.columns]
    return items.updates.with_columns(
        [
            e
            for c in hide
            for e in (
                pl.when(pl.col(c).ne_missing(pl.col(c + BEFORE)))
                .then(pl.lit(SENSITIVE_MASK))
                .otherwise(None)
                .alias(c),
                pl.lit(None, dtype=pl.Utf8).alias(c + BEFORE),
            )
        ]
    )


def _columns(frame: pl.DataFrame) -> dict[str, list[str | None]]:
    return frame.to_dict(as_series=False)


def load_saved(path: Path, key: bytes | None = None, limits: ResourceLimits | None = None) -> Plan:
    """The plan saved at `path`; refuses files that are not saved plans or of another major format version,
    larger than `ORGSYNC_LIMIT_PLAN_BYTES` (before reading them), and with `key` (`ORGSYNC_PLAN_KEY`) files not
    signed with it."""
    try:
        doc = orjson.loads(_read_bounded(Path(path), limits or limits_from()))
    except (OSError, orjson.JSONDecodeError) as err:
        raise PlanFileError(
            f"{path}: cannot read a saved plan ({err})",
            hint="pass a file written by `orgsync plan --out FILE`",
        ) from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise PlanFileError(
            f'{path}: not a saved orgsync plan (expected "kind": "{KIND}")',
            hint="pass a file written by `orgsync plan --out FILE`",
        )
    verify(doc, key, path)
    version = str(doc.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise PlanFileError(
            f"{path}: saved plan format {version or '(none)'} cannot be read by this orgsync "
            f"(format {FORMAT_VERSION})",
            hint="make the plan again with this orgsync version",
        )
    try:
        resources = [_load_resource(r) for r in doc["resources"]]
        drift = [_load_resource(r) for r in doc.get("drift") or []]
        head = {k: v for k, v in doc.items() if k not in ("kind", "resources", "drift", SIGNATURE)}
        return Plan.model_validate({**head, "resources": resources, "drift": drift})
    except (KeyError, TypeError, ValueError, pl.exceptions.PolarsError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise PlanFileError(
            f"{path}: saved plan is damaged ({first_line})", hint="make the plan again"
        ) from None


def _read_bounded(path: Path, limits: ResourceLimits) -> bytes:
    """The file's bytes, refused by its size before any is read, and by what a read gets (a file that grows, or
    a device) past the limit plus one byte."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = b"" if size > limits.plan_bytes else handle.read(limits.plan_bytes + 1)
    if size > limits.plan_bytes or len(data) > limits.plan_bytes:
        raise PlanFileError(
            f"{path}: the saved plan is larger than the limit of {limits.plan_bytes:,} bytes "
            f"({limits.describe('plan_bytes')}); it is not read",
            hint="pass a file written by `orgsync plan --out FILE`; if one is this big, raise the limit in the "
            "environment",
        )
    return data


def _load_resource(body: dict[str, Any]) -> ResourcePlan:
    fp = body.get("fingerprint")
    items = body.get("items")
    fields = {k: v for k, v in body.items() if k not in ("fingerprint", "items", "review")}
    fields["review"] = None if body.get("review") is None else review.from_document(body["review"])
    fields["fingerprint"] = (
        None
        if fp is None
        else Fingerprint(fp["dataset_id"], fp.get("cache_key"), fp.get("last_transaction_id"))
    )
    fields["items"] = None if items is None else _load_items(items)
    return ResourcePlan.model_validate(fields)


def _load_items(body: dict[str, Any]) -> ItemChanges:
    key = list(body["key"])
    return ItemChanges(
        key=key,
        columns=list(body["columns"]),
        sensitive=frozenset(body["sensitive"]),
        creates=_frame(body, "creates", key),
        updates=_frame(body, "updates", key),
        deletes=_frame(body, "deletes", key),
        existing=int(body["existing"]),
    )


def _frame(body: dict[str, Any], name: str, key: list[str]) -> pl.DataFrame:
    """One change frame; it must be columns of text of equal length that include the key (apply looks items up by it)."""
    columns = body[name]
    if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
        raise ValueError(f"{name}: expected an object of column lists")
    missing = [k for k in key if k not in columns]
    if missing:
        raise ValueError(f"{name}: key column(s) {', '.join(missing)} missing")
    return pl.DataFrame(columns, schema={c: pl.Utf8 for c in columns})


def restore_sensitive(plan: Plan, tables: Mapping[str, SourceTable]) -> Plan:
    """The saved plan with the sensitive values it masks put back, from the (checksum-identical) sources.

    In `creates` a masked cell takes the source value; in `updates` a masked cell (one that changes) takes
    the source value and keeps the mask as its `before`, so it still differs and is sent, even when cleared.
    """
    return plan.model_copy(update={"resources": [_restored(res, tables) for res in plan.resources]})


def _restored(res: ResourcePlan, tables: Mapping[str, SourceTable]) -> ResourcePlan:
    items = res.items
    if items is None or res.name not in tables:
        return res
    hidden = [c for c in items.columns if c in items.sensitive]
    if not hidden:
        return res
    source = tables[res.name].frame.select([*items.key, *[pl.col(c).alias(c + _SOURCE) for c in hidden]])
    restored = replace(
        items,
        creates=_unmask(items.creates, source, items.key, hidden),
        updates=_unmask(items.updates, source, items.key, hidden),
    )
    return res.model_copy(update={"items": restored})


_SOURCE = "__source"


def _unmask(frame: pl.DataFrame, source: pl.DataFrame, key: list[str], hidden: list[str]) -> pl.DataFrame:
    cols = [c for c in hidden if c in frame.columns]
    if not cols or not frame.height:
        return frame
    joined = frame.join(
        source.select([*key, *[c + _SOURCE for c in cols]]), on=key, how="left", maintain_order="left"
    )
    exprs = []
    for c in cols:
        masked = pl.col(c) == SENSITIVE_MASK
        exprs.append(pl.when(masked).then(pl.col(c + _SOURCE)).otherwise(pl.col(c)).alias(c))
        if c + BEFORE in frame.columns:
            exprs.append(
                pl.when(masked).then(pl.lit(SENSITIVE_MASK)).otherwise(pl.col(c + BEFORE)).alias(c + BEFORE)
            )
    return joined.with_columns(exprs).drop([c + _SOURCE for c in cols])
