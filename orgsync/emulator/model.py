"""The emulator's resources: datasets (configuration + items as one polars frame), drafts, files, jobs.

Items of a dataset live in an immutable polars frame (`_id`, `_modifiedAt`, then one typed column per
property); a committed write swaps in a new frame, so readers never need a lock and never see half a
transaction.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from orgsync.emulator.values import storage_dtype, text_expr

USER = "emulator@orgsync.local"  # who every emulated change is made by (createdBy, modifiedBy, _createdBy)
SYSTEM_COLUMNS = ("_id", "_modifiedAt")
LINK_CORE = ("from_id", "to_id", "link_id", "allocation")
LINK_CORE_PROPERTIES = [
    {"key": "from_id", "name": "from_id", "type": "string", "isRequired": True},
    {"key": "to_id", "name": "to_id", "type": "string", "isRequired": True},
    {"key": "link_id", "name": "link_id", "type": "string", "isRequired": True},
    {"key": "allocation", "name": "allocation", "type": "number", "isRequired": True},
]
Key = str | tuple[str | None, ...]


@dataclass
class KeyIndex:
    """Rows by identity key: `first` has one row per key, `dups` every row of keys held by several."""

    first: dict[Key, int]
    dups: dict[Key, list[int]]

    def rows(self, key: Key) -> list[int]:
        if key in self.dups:
            return self.dups[key]
        row = self.first.get(key)
        return [] if row is None else [row]


@dataclass
class Dataset:
    """A dataset or links dataset: its configuration, bookkeeping and items."""

    id: str
    config: dict[str, Any]
    created_at: str
    created_by: str
    modified_at: str
    modified_by: str
    last_transaction_id: str | None = None
    items_modified_at: str | None = None
    frame: pl.DataFrame = field(default_factory=pl.DataFrame)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _indexes: dict[tuple[int, tuple[str, ...]], KeyIndex] = field(default_factory=dict, repr=False)

    @property
    def is_links(self) -> bool:
        return self.config.get("type") == "LINKS"

    @property
    def properties(self) -> list[dict[str, Any]]:
        props: list[dict[str, Any]] = self.config["properties"]
        return props

    def types(self) -> dict[str, str]:
        return {p["key"]: p["type"] for p in self.properties}

    def keys(self) -> list[str]:
        return [p["key"] for p in self.properties]

    @property
    def cache_key(self) -> str:
        """Changes whenever the dataset is updated: its configuration or its item data (a digest of the
        configuration and `lastTransactionId`; D/egress/export-api/: "Any time that a dataset is updated ...")."""
        digest = hashlib.sha512(
            self.id.encode()
            + orjson.dumps(self.config, option=orjson.OPT_SORT_KEYS)
            + (self.last_transaction_id or "").encode()
        ).digest()
        return base64.b64encode(digest).decode()

    def schema(self) -> dict[str, type[pl.DataType]]:
        cols: dict[str, type[pl.DataType]] = {"_id": pl.String, "_modifiedAt": pl.String}
        cols.update({k: storage_dtype(t) for k, t in self.types().items()})
        return cols

    def conform_frame(self) -> None:
        """Make the item frame match the configuration: drop removed, add new and recast changed columns."""
        schema = self.schema()
        frame = self.frame
        exprs = []
        for key, dtype in schema.items():
            if key in frame.columns:
                exprs.append(
                    pl.col(key).cast(dtype, strict=False) if frame[key].dtype != dtype else pl.col(key)
                )
            else:
                exprs.append(pl.lit(None, dtype=dtype).alias(key))
        self.frame = frame.select(exprs) if frame.width or frame.height else pl.DataFrame(schema=schema)
        self._indexes.clear()

    def set_frame(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._indexes.clear()

    def key_index(self, keys: tuple[str, ...], frame: pl.DataFrame | None = None) -> KeyIndex:
        """Identity index over one or more properties (or `_id`), built once per frame version."""
        frame = self.frame if frame is None else frame
        cache_key = (id(frame), keys)
        if cache_key not in self._indexes:
            self._indexes.clear()
            self._indexes[cache_key] = build_index(frame, keys, self.types())
        return self._indexes[cache_key]


def build_index(frame: pl.DataFrame, keys: tuple[str, ...], types: dict[str, str]) -> KeyIndex:
    if any(k not in frame.columns for k in keys) or frame.height == 0:
        return KeyIndex({}, {})
    texts = frame.select([text_expr(k, types.get(k, "text")) for k in keys])
    if len(keys) == 1:
        values: list[Any] = texts.to_series().to_list()
    else:
        values = list(texts.iter_rows())
    first: dict[Key, int] = {}
    dups: dict[Key, list[int]] = {}
    for row, value in enumerate(values):
        if value is None or (isinstance(value, tuple) and None in value):
            continue
        if value in first:
            dups.setdefault(value, [first[value]]).append(row)
        else:
            first[value] = row
    return KeyIndex(first, dups)


@dataclass
class Draft:
    """A seeded draft: named layers of item actions over one dataset."""

    id: str
    dataset_id: str
    name: str
    description: str
    created_by: str
    modified_at: str
    tags: list[str]
    layers: dict[str, list[dict[str, Any]]]


@dataclass
class TempFile:
    """A temporary secure file; its URLs are presigned and stop working at `expires_at` (epoch seconds)."""

    id: str
    tenant: str
    target_type: str
    target_encoding: str
    expires_at: float
    data: bytes | None = None


@dataclass
class Job:
    """A jobTicket: `status` moves created → running → completed | failed."""

    id: str
    tenant: str
    kind: str
    path: str
    created_at: str
    modified_at: str
    status: str = "created"
    errors: list[dict[str, Any]] = field(default_factory=list)
    result_file: str | None = None
    result_content_type: str = "application/json; charset=UTF-8"
    poll_expires: float = 0.0  # when its presigned status URL stops working (admin clock, epoch seconds)

    @property
    def trace_id(self) -> str:
        """The `X-Amzn-Trace-Id` of the request that started the job, in the documented `Root=1-…` form."""
        digits = self.id.replace("-", "").lower()
        return f"Root=1-{digits[:8]}-{digits[8:32]}"


@dataclass
class Tenant:
    """One tenant's datasets, drafts and (admin-seeded) access rules."""

    id: str
    datasets: dict[str, Dataset] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    access: list[dict[str, Any]] = field(default_factory=list)
