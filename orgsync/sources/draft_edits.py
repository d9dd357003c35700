"""A draft's item actions, read against the source table and the live items, as row edits of the source.

Updates and deletes name their item by `_id`, which the live items map to the autoId key; creates carry the key.
An edit the source cannot take (a property it does not own, an item it does not hold) is a finding, reported by
key and property and never dropped silently; an edit whose cell the source changed since the draft was made
(source and tenant differ there, and the draft wants a third value) is a conflict. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from orgsync.manifest.models import DatasetManifest, PropertyType
from orgsync.sources.canonical import canonical_value
from orgsync.sources.table import SourceTable
from orgsync.sources.writeback import RowEdit

Reason = Literal[
    "not-owned", "not-in-source", "unknown-item", "no-key", "bad-value", "key-change", "conflict"
]
UPDATES = ("update", "replace")
CREATES = ("create", "createOrUpdate", "createOrReplace")
ID = "_id"
ACTION = "_action"


@dataclass(frozen=True)
class LiveRows:
    """The live items the draft touches: `_id` -> key, and key -> property -> canonical value."""

    key_of: Mapping[str, str]
    values: Mapping[str, Mapping[str, str | None]]


@dataclass(frozen=True)
class Finding:
    """An edit not written (or one that stops the pull): item key, property ("" for the whole item), why.

    `detail` never holds a value of a sensitive property."""

    key: str
    property: str
    reason: Reason
    detail: str


@dataclass(frozen=True)
class Change:
    """One edited cell (or created/deleted item) as the change file and the summary list it."""

    kind: Literal["update", "create", "delete"]
    key: str
    label: str | None
    property: str
    before: str | None
    after: str | None
    sensitive: bool = False


@dataclass(frozen=True)
class DraftEdits:
    """What a draft asks of one source."""

    edits: list[RowEdit] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    conflicts: list[Finding] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"update": 0, "create": 0, "delete": 0}
        for edit in self.edits:
            out[edit.kind] += 1
        return out


def live_rows(frame: pl.DataFrame, key: str) -> LiveRows:
    """`LiveRows` from an export already in canonical form (columns: the key, `_id`, properties)."""
    props = [c for c in frame.columns if c not in (key, ID)]
    key_of: dict[str, str] = {}
    values: dict[str, dict[str, str | None]] = {}
    for row in frame.iter_rows(named=True):
        k = row.get(key)
        if k is None:
            continue
        if row.get(ID):
            key_of[str(row[ID])] = str(k)
        values[str(k)] = {p: row.get(p) for p in props}
    return LiveRows(key_of, values)


def action_value(value: Any, kind: PropertyType) -> tuple[bool, str | None]:
    """(fits, canonical) of one value of an item action (dates may come as timestamps at midnight)."""
    if value is None or value == "":
        return True, None
    if isinstance(value, dict | list):
        return False, None
    if kind == "date" and isinstance(value, str) and len(value) > 10 and value[10] == "T":
        value = value[:10]
    canonical = canonical_value(value, kind)
    return canonical is not None, canonical


def draft_edits(
    actions: Sequence[Mapping[str, Any]], manifest: DatasetManifest, table: SourceTable, live: LiveRows
) -> DraftEdits:
    """The row edits of `table` the draft's `actions` make, with everything reported about them."""
    reader = _Reader(manifest, table, live, actions)
    for action in actions:
        reader.read(action)
    return reader.result


class _Reader:
    def __init__(
        self,
        manifest: DatasetManifest,
        table: SourceTable,
        live: LiveRows,
        actions: Sequence[Mapping[str, Any]],
    ) -> None:
        self.manifest, self.table, self.live = manifest, table, live
        self.key = manifest.autoId
        self.label = manifest.labelId
        self.types: dict[str, PropertyType] = {p.key: p.type for p in manifest.properties}
        self.sensitive = {p.key for p in manifest.properties if p.sensitive}
        self.owned = set(table.owned) | {self.key}
        self.source = _source_rows(table, self.key, _keys_named(actions, live, self.key, self.types))
        self.result = DraftEdits()
        self.labels: dict[str, str | None] = {}  # labels of created items (the source has none yet)

    def read(self, action: Mapping[str, Any]) -> None:
        kind = str(action.get(ACTION, "update"))
        props = {k: v for k, v in action.items() if not str(k).startswith("_")}
        item = action.get(ID)
        known = self.live.key_of.get(str(item)) if item is not None else None
        if kind == "noop":
            return
        if kind == "delete":
            key = known or self._key_of(props)
            if key is None:
                self._find(
                    str(item or "?"), "", "unknown-item", "the draft deletes an item the tenant does not hold"
                )
            elif key in self.source:
                self._delete(key)
            return
        if known is not None and kind in (*UPDATES, "createOrUpdate", "createOrReplace"):
            self._update(known, props)
            return
        if kind in CREATES:
            key = self._key_of(props)
            if key is None:
                self._find(
                    str(item or "?"), self.key, "no-key", f"the draft creates an item without a {self.key!r}"
                )
            elif key in self.source:
                self._update(key, props, created=True)
            else:
                self._create(key, props)
            return
        self._find(
            str(item or "?"),
            "",
            "unknown-item",
            f"the draft's {kind!r} names an item the tenant does not hold",
        )

    def _key_of(self, props: Mapping[str, Any]) -> str | None:
        fits, key = action_value(props.get(self.key), self.types.get(self.key, "text"))
        return key if fits else None

    def _find(self, key: str, prop: str, reason: Reason, detail: str) -> None:
        self.result.findings.append(Finding(key, prop, reason, detail))

    def _values(self, key: str, props: Mapping[str, Any]) -> dict[str, str | None]:
        """The action's owned properties in canonical form; the others are findings."""
        out: dict[str, str | None] = {}
        for prop, raw in props.items():
            if prop not in self.owned:
                why = (
                    "not a property of the manifest"
                    if prop not in self.types
                    else "not a column of the source (kept by hand in Orgvue, or not carried by the source)"
                )
                self._find(key, prop, "not-owned", f"the draft edits {prop!r}, {why}")
                continue
            fits, value = action_value(raw, self.types.get(prop, "text"))
            if not fits:
                shown = "" if prop in self.sensitive else f" ({str(raw)[:40]!r})"
                self._find(key, prop, "bad-value", f"the draft's value{shown} is not a {self.types[prop]}")
                continue
            out[prop] = value
        return out

    def _update(self, key: str, props: Mapping[str, Any], *, created: bool = False) -> None:
        if key not in self.source:
            for prop in props or {"": None}:
                self._find(
                    key, prop, "not-in-source", "the source has no row for this item (kept by hand in Orgvue)"
                )
            return
        row = self.source[key]
        live = self.live.values.get(key, {})
        values = self._values(key, props)
        changed: dict[str, str | None] = {}
        for prop, value in values.items():
            if prop == self.key:
                if value != key:
                    self._find(
                        key,
                        prop,
                        "key-change",
                        "the draft changes the item's key; orgsync matches rows by it",
                    )
                continue
            before = row.get(prop)
            if value == before:
                continue
            if not created and prop in live and live[prop] != before:
                self.result.conflicts.append(
                    Finding(key, prop, "conflict", self._conflict_words(prop, before, live[prop], value))
                )
                continue
            if created:
                self.result.conflicts.append(
                    Finding(
                        key,
                        prop,
                        "conflict",
                        "the draft creates this item, but the source already has a "
                        "row for it with another value",
                    )
                )
                continue
            changed[prop] = value
            self._change("update", key, prop, before, value)
        if changed:
            self.result.edits.append(RowEdit("update", key, changed))

    def _conflict_words(self, prop: str, source: str | None, live: str | None, draft: str | None) -> str:
        if prop in self.sensitive:
            return (
                "the source changed since the draft was made (the source, the tenant and the draft hold three "
                "different values; sensitive: not shown)"
            )
        return (
            f"the source changed since the draft was made: the source has {_shown(source)}, the tenant "
            f"{_shown(live)}, the draft {_shown(draft)}"
        )

    def _create(self, key: str, props: Mapping[str, Any]) -> None:
        values = self._values(key, props)
        values[self.key] = key
        self.result.edits.append(RowEdit("create", key, values))
        self.labels[key] = values.get(self.label) if self.label else None
        for prop, value in values.items():
            if value is not None:
                self._change("create", key, prop, None, value)

    def _delete(self, key: str) -> None:
        self.result.edits.append(RowEdit("delete", key))
        self._change("delete", key, "", None, None)

    def _change(
        self,
        kind: Literal["update", "create", "delete"],
        key: str,
        prop: str,
        before: str | None,
        after: str | None,
    ) -> None:
        label = self.labels.get(key) or (self.source.get(key, {}).get(self.label) if self.label else None)
        self.result.changes.append(Change(kind, key, label, prop, before, after, prop in self.sensitive))


def _shown(value: str | None) -> str:
    return "(empty)" if value is None else repr(value[:60])


def _keys_named(
    actions: Iterable[Mapping[str, Any]], live: LiveRows, key: str, types: Mapping[str, PropertyType]
) -> set[str]:
    keys = set()
    for action in actions:
        item = action.get(ID)
        if item is not None and str(item) in live.key_of:
            keys.add(live.key_of[str(item)])
        fits, value = action_value(action.get(key), types.get(key, "text"))
        if fits and value is not None:
            keys.add(value)
    return keys


def _source_rows(table: SourceTable, key: str, keys: set[str]) -> dict[str, dict[str, str | None]]:
    """The source's canonical rows of `keys` (only those), by key."""
    if not keys:
        return {}
    rows = table.frame.filter(pl.col(key).is_in(sorted(keys)))
    return {str(r[key]): r for r in rows.iter_rows(named=True)}


def row_indexes(table: SourceTable, key: str, keys: set[str]) -> dict[str, int]:
    """Frame row index of each of `keys` in the source (to find the file a row came from)."""
    found = table.frame.with_row_index("__i").filter(pl.col(key).is_in(sorted(keys)))
    return {str(k): int(i) for k, i in zip(found[key], found["__i"], strict=True)}
