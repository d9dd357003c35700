"""One items transaction (sync PUT, async import, draft apply, links populate), applied atomically.

Actions are fed in chunks; each is validated and resolved to the item(s) it names (by `_id`, the autoId,
`idKey`, `mergeKey` or a link's `from_id`+`to_id`), checked against access rules, and turned into
columnar effects (new rows, per-property patches, deletions). Nothing touches the dataset until
`finish()`, which either reports a failed transaction or returns the new item frame.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl

from orgsync.emulator.model import Dataset, Key, KeyIndex
from orgsync.emulator.query import filter_expr
from orgsync.emulator.values import ImportTokens, TypedColumn, type_column

ACTIONS = ("create", "update", "replace", "delete", "createOrUpdate", "createOrReplace", "noop")
# The Items guide's action table (items-query-parameters.txt, "Actions"), row by row: whether an action may
# identify its item by the autoId, by `_id`, or in bulk (mergeKey). idKey identifies like the autoId, and a
# links dataset takes every action (its items are named by from_id + to_id).
#   action              autoId  _id    bulk
ACTION_TABLE: dict[str, tuple[bool, bool, bool]] = {
    "create": (True, True, False),
    "update": (True, True, True),
    "delete": (True, True, True),
    "createOrUpdate": (True, False, False),
    "replace": (True, True, False),
    "createOrReplace": (True, False, False),
    "noop": (True, True, False),
}
AVAILABLE = {
    "autoId": {a for a, (auto_id, _, _) in ACTION_TABLE.items() if auto_id},
    "_id": {a for a, (_, by_id, _) in ACTION_TABLE.items() if by_id},
    "mergeKey": {a for a, (_, _, bulk) in ACTION_TABLE.items() if bulk},
    "idKey": {a for a, (auto_id, _, _) in ACTION_TABLE.items() if auto_id},
    "links": set(ACTIONS),
}
_EXISTS = ("ItemAlreadyExists", "an item with this identifier already exists")
_NOT_FOUND = ("ItemNotFound", "no item with this identifier exists")
# What an action does, as the same table describes it: (when the item it names exists, when none does).
# A word is the effect; a pair is the refusal (reason, message).
#   action              item exists   no such item
EFFECTS: dict[str, tuple[str | tuple[str, str], str | tuple[str, str]]] = {
    "create": (_EXISTS, "create"),
    "update": ("update", _NOT_FOUND),
    "delete": ("delete", _NOT_FOUND),
    "createOrUpdate": ("update", "create"),
    "replace": ("replace", _NOT_FOUND),
    "createOrReplace": ("replace", "create"),
    "noop": ("noop", _NOT_FOUND),
}
FORBIDDEN = {"name": "ActionIsForbidden", "code": 400803}
PROPERTY_FORBIDDEN = {"name": "ItemPropertyUpdateForbidden", "code": 400807}
_P, _N, _K = (
    "\x00p",
    "\x00n",
    "\x00k",
)  # suffixes of the present / no-op / keep (access-denied) mask columns of a chunk


@dataclass(frozen=True)
class ImportOptions:
    """The items query parameters, parsed (see `items-query-parameters.txt`)."""

    mode: str = "_id"
    keys: tuple[str, ...] = ()
    fail_on_invalid: bool = True
    fail_on_denied: bool = True
    skip_denied_property: bool = False
    implicit_delete: bool = False
    tokens: ImportTokens = field(default_factory=ImportTokens)


@dataclass(frozen=True)
class AccessPolicy:
    """What the caller may not change: property keys, and items matching any of the filters."""

    properties: frozenset[str] = frozenset()
    items: tuple[dict[str, Any], ...] = ()


@dataclass
class Outcome:
    """The per-item statuses, and either the new frame (committed) or `failed=True` (nothing applied)."""

    items: list[dict[str, Any]]
    failed: bool
    frame: pl.DataFrame | None = None
    changed_ids: list[str] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    denied_implicit_deletes: int = 0  # items implicitDelete could not delete for lack of access


@dataclass(frozen=True, slots=True)
class Chunk:
    """What the chunk-wide checks found, shared by every action of one chunk: the typed values and where each
    key is present (by key, one entry per action), and the chunk's keys that are no property of the dataset."""

    typed: dict[str, TypedColumn]
    present: dict[str, list[bool]]  # skipProperty clears an action's entries for the denied keys it leaves
    unknown: set[str]


@dataclass(frozen=True, slots=True)
class Row:
    """One item action as the transaction resolves it: its place, what it says, what the chunk checks found."""

    i: int  # its place in the payload (the per-item results are indexed by it)
    j: int  # its place in the chunk (the chunk's columns are indexed by it)
    item: Any
    bad_cells: list[str]  # its values that do not fit their property type
    new_denied: bool  # its new values fall under an item deny rule
    chunk: Chunk


def new_id_factory(rng: random.Random) -> Callable[[], str]:
    """Orgvue-style upper-case UUIDs from a seeded generator, so runs are reproducible."""

    def new_id() -> str:
        h = f"{rng.getrandbits(128):032X}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"

    return new_id


def key_text(value: Any, ptype: str) -> str | None:
    """An identity value in the text form stored keys are indexed by (10 and "10" name the same item)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and ptype == "number" and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    return None


class Transaction:
    """Collects a payload's effects chunk by chunk; `finish()` decides and applies atomically."""

    def __init__(
        self,
        ds: Dataset,
        opts: ImportOptions,
        access: AccessPolicy,
        *,
        now: str,
        new_id: Callable[[], str],
        link_ends: tuple[KeyIndex, KeyIndex] | None = None,
    ) -> None:
        self.ds, self.opts, self.access, self.now, self.new_id = ds, opts, access, now, new_id
        self.frame = ds.frame
        self.types = ds.types()
        self.link_ends = link_ends
        self.writable = [k for k in ds.keys() if not (ds.is_links and k in ("from_id", "to_id", "link_id"))]
        self.guarded = [k for k in self.writable if k in access.properties]
        self.index = self._index()
        self.denied_rows = self._denied_rows()
        self.count = 0
        self.failed = False
        self.r_id: list[str | None] = []
        self.r_action: list[Any] = []
        self.r_status: list[str] = []
        self.r_link: list[str | None] = []
        self.r_fail: dict[int, list[dict[str, Any]]] = {}
        self.seen: dict[Any, int] = {}
        self.retracted: set[int] = set()
        self.denied_implicit = 0
        self.kept: dict[int, list[str]] = {}  # action -> denied properties left as they are (skipProperty)
        self.referenced: set[int] = set()
        self.creates: list[pl.DataFrame] = []
        self.patches: list[pl.DataFrame] = []
        self.deletes: list[pl.DataFrame] = []

    def _index(self) -> KeyIndex:
        if self.opts.mode == "_id":
            return self.ds.key_index(("_id",), self.frame)
        keys = ("from_id", "to_id") if self.opts.mode == "links" else self.opts.keys
        return self.ds.key_index(keys, self.frame)

    def _denied_rows(self) -> set[int]:
        if not self.access.items or self.frame.height == 0:
            return set()
        expr = pl.lit(False)
        for filt in self.access.items:
            expr = expr | filter_expr(filt, self.types).fill_null(False)
        return set(self.frame.with_row_index("__r").filter(expr)["__r"].to_list())

    # -- per chunk ---------------------------------------------------------------------------------

    def feed(self, chunk: list[Any]) -> None:
        base, n = self.count, len(chunk)
        self.count += n
        dicts = [d if type(d) is dict else {} for d in chunk]
        chunk_keys = set().union(*dicts) if dicts else set()
        typed, present = self._type_columns(dicts, chunk_keys)
        invalid = self._invalid_cells(typed, present)
        unknown = {k for k in chunk_keys if k not in self.types and not k.startswith("_")}
        new_denied = self._new_values_denied(typed, present, n)
        context = Chunk(typed, present, unknown)
        ops: list[str | None] = [None] * n
        rows: list[Any] = [None] * n
        new_ids: list[str | None] = [None] * n
        for j, item in enumerate(chunk):
            row = Row(
                base + j, j, item, invalid.get(j) or [], new_denied[j] if new_denied else False, context
            )
            ops[j], rows[j], new_ids[j] = self._resolve(row)
        if not self.failed:
            self._collect(base, ops, rows, new_ids, context)

    def _type_columns(
        self, dicts: list[dict[str, Any]], chunk_keys: set[str]
    ) -> tuple[dict[str, TypedColumn], dict[str, list[bool]]]:
        typed: dict[str, TypedColumn] = {}
        present: dict[str, list[bool]] = {}
        for key in chunk_keys:
            if key not in self.types or key == "link_id":
                continue
            present[key] = [key in d for d in dicts]
            typed[key] = type_column([d.get(key) for d in dicts], self.types[key], self.opts.tokens)
        return typed, present

    @staticmethod
    def _invalid_cells(typed: dict[str, TypedColumn], present: dict[str, list[bool]]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for key, col in typed.items():
            if col.invalid.any():
                for j in col.invalid.arg_true().to_list():
                    if present[key][j]:
                        out.setdefault(j, []).append(key)
        return out

    def _new_values_denied(
        self, typed: dict[str, TypedColumn], present: dict[str, list[bool]], n: int
    ) -> list[bool]:
        """Whether each action's new values fall under an item deny rule (checked for creates)."""
        if not self.access.items:
            return []
        cols = {k: pl.Series(k, c.values) for k, c in typed.items()}
        frame = pl.DataFrame(cols) if cols else pl.DataFrame({"__": [None] * n})
        types = {k: self.types[k] for k in typed}
        expr = pl.lit(False)
        for filt in self.access.items:
            expr = expr | filter_expr(filt, types).fill_null(False)
        # with_columns broadcasts: a filter on a key the payload lacks is a scalar (select would give one row)
        return frame.with_columns(expr.alias("\x00d"))["\x00d"].to_list() if frame.height else [False] * n

    def _resolve(self, row: Row) -> tuple[str | None, Any, str | None]:
        """Validate one action and find its target; returns (effect, row(s), new id) or (None, ...)."""
        i, item = row.i, row.item
        action = item.get("_action") if type(item) is dict else None
        self.r_action.append(action)
        self.r_id.append(None)
        self.r_status.append("success")
        self.r_link.append(None)
        if type(item) is not dict:
            return self._invalid(i, "InvalidItemOperation", "an item operation must be a JSON object")
        # identify first: a skipped action still names its item, which implicitDelete must then keep
        ident, rows, id_problem = self._identify(item, action)
        if self.opts.implicit_delete:
            self.referenced.update(rows)
        if len(rows) == 1:
            self.r_id[i] = self._id_of(rows[0])
        candidate = Candidate(
            item, action, self.opts.mode, row.chunk.unknown, row.bad_cells, self.types, id_problem
        )
        if objection := first_objection(candidate):
            return self._invalid(i, *objection)
        assert isinstance(action, str)  # _unsupported lets only one of ACTIONS through
        if ident is not None:
            if ident in self.seen:
                self._duplicate(self.seen[ident])
                return self._invalid(
                    i, "DuplicateIdentifier", "this item is named more than once in the payload"
                )
            self.seen[ident] = i
        op = _effect(action, rows)
        if isinstance(op, tuple):  # the action does not fit the rows it names
            return self._invalid(i, *op)
        new_id = (
            self.new_id() if op == "create" and not (self.opts.mode == "_id" and item.get("_id")) else None
        )
        if op == "create" and new_id is None:
            new_id = item["_id"]
        self.r_id[i] = new_id if op == "create" else (self._id_of(rows[0]) if len(rows) == 1 else None)
        if not self._allowed(row, op, rows):
            return None, None, None
        return op, (rows if self.opts.mode == "mergeKey" else (rows[0] if rows else None)), new_id

    def _id_of(self, row: int) -> str:
        item_id: str = self.frame["_id"][row]
        return item_id

    def _identify(
        self, item: dict[str, Any], action: str | None
    ) -> tuple[Any, list[int], tuple[str, str] | None]:
        """The action's identity (for duplicate detection) and the existing rows it names."""
        mode = self.opts.mode
        if mode == "_id":
            ident = item.get("_id")
            if ident is not None and not isinstance(ident, str):
                return None, [], ("MissingIdentifier", "_id must be a string")
            if ident is None:
                return (
                    (None, [], None)
                    if action == "create"
                    else (None, [], ("MissingIdentifier", "_id is required for this action"))
                )
            return ident, self.index.rows(ident), None
        if mode == "links":
            ends = (key_text(item.get("from_id"), "text"), key_text(item.get("to_id"), "text"))
            if None in ends:
                return None, [], ("MissingIdentifier", "links items need from_id and to_id")
            self.r_link[-1] = orjson.dumps(list(ends)).decode()
            if action not in ("delete", "noop") and self.link_ends is not None:
                missing = [
                    name
                    for name, end, idx in zip(("from_id", "to_id"), ends, self.link_ends, strict=True)
                    if end not in idx.first
                ]
                if missing:
                    return (
                        None,
                        self.index.rows(ends),
                        (
                            "LinkedItemNotFound",
                            f"no item with this autoId in the linked dataset for {', '.join(missing)}",
                        ),
                    )
            return ends, self.index.rows(ends), None
        keys = self.opts.keys
        parts = tuple(key_text(item.get(k), self.types[k]) for k in keys)
        if None in parts:
            return (
                None,
                [],
                (
                    "MissingIdentifier",
                    f"the identifying propert{'y' if len(keys) == 1 else 'ies'} {', '.join(keys)} must have a value",
                ),
            )
        first = parts[0]
        key: Key = first if len(parts) == 1 and first is not None else parts
        rows = self.index.rows(key)
        if mode != "mergeKey" and len(rows) > 1:
            return (
                None,
                rows,
                ("DuplicateItemsInDataset", f"{len(rows)} items in the dataset have this {', '.join(keys)}"),
            )
        return key, rows, None

    def _allowed(self, row: Row, op: str, rows: list[int]) -> bool:
        """Apply item and property access rules; may mark the action skipped or partialSuccess."""
        i, present = row.i, row.chunk.present
        item_denied = row.new_denied if op == "create" else any(r in self.denied_rows for r in rows)
        touched = self._touched_denied(row, op, rows)
        if touched and not self.opts.skip_denied_property:
            item_denied = True
        if item_denied:
            self._fail(i, self.opts.fail_on_denied, {**FORBIDDEN, "message": "Action for Item denied"})
            return False
        if touched:
            for key in touched:
                if key in present:
                    present[key][row.j] = False
            self.kept[i] = touched
            self.r_status[i] = "partialSuccess"
            self.r_fail.setdefault(i, []).append(
                {
                    **PROPERTY_FORBIDDEN,
                    "message": "Insufficient access to change Item properties",
                    "properties": touched,
                }
            )
        return True

    def _touched_denied(self, row: Row, op: str, rows: list[int]) -> list[str]:
        """The denied properties this action would change: the ones it sets, and those a replace would clear."""
        if not self.guarded or op in ("noop", "delete"):
            return []
        present, typed, j = row.chunk.present, row.chunk.typed, row.j
        given = {k for k in self.guarded if k in present and present[k][j]}
        touched = {k for k in given if not typed[k].noop[j]}
        if op == "replace":
            touched |= {k for k in self.guarded if k not in given and self.frame[k][rows[0]] is not None}
        return sorted(touched)

    def _invalid(self, i: int, reason: str, message: str) -> tuple[None, None, None]:
        self._fail(
            i,
            self.opts.fail_on_invalid,
            {**FORBIDDEN, "message": f"Action for Item denied: {message}", "reason": reason},
        )
        return None, None, None

    def _fail(self, i: int, fail_transaction: bool, failure: dict[str, Any]) -> None:
        self.r_status[i] = "failed" if fail_transaction else "skipped"
        self.r_fail.setdefault(i, []).append(failure)
        if fail_transaction:
            self.failed = True

    def _duplicate(self, first: int) -> None:
        """A later action names the same item: the first one fails too, and its effects are retracted."""
        if first in self.retracted or self.r_status[first] in ("failed", "skipped"):
            return
        self.retracted.add(first)
        self._fail(
            first,
            self.opts.fail_on_invalid,
            {
                **FORBIDDEN,
                "message": "Action for Item denied: this item is named more than once in the payload",
                "reason": "DuplicateIdentifier",
            },
        )

    # -- effects -----------------------------------------------------------------------------------

    def _collect(
        self, base: int, ops: list[str | None], rows: list[Any], new_ids: list[str | None], chunk: Chunk
    ) -> None:
        typed, present = chunk.typed, chunk.present
        row_dtype = pl.List(pl.Int64) if self.opts.mode == "mergeKey" else pl.Int64
        cols: dict[str, pl.Series] = {
            "__i": pl.Series(range(base, base + len(ops)), dtype=pl.Int64),
            "__op": pl.Series(ops, dtype=pl.String),
            "__row": pl.Series(rows, dtype=row_dtype),
            "__newid": pl.Series(new_ids, dtype=pl.String),
            "__link": pl.Series(self.r_link[base:], dtype=pl.String),
        }
        for key, col in typed.items():
            cols[key] = col.values.alias(key)
            cols[key + _P] = pl.Series(present[key], dtype=pl.Boolean)
            cols[key + _N] = col.noop
        for key in self.guarded:
            cols[key + _K] = pl.Series(
                [key in self.kept.get(i, ()) for i in range(base, base + len(ops))], dtype=pl.Boolean
            )
        df = pl.DataFrame(cols)
        op = pl.col("__op")
        if (created := df.filter(op == "create")).height:
            self.creates.append(created.select(self._create_exprs(typed)))
        if (patched := df.filter(op.is_in(["update", "replace"]))).height:
            self.patches.append(patched.select(self._patch_exprs(typed)))
        if (deleted := df.filter(op == "delete")).height:
            self.deletes.append(deleted.select("__i", "__row"))

    def _value(self, key: str, typed: dict[str, TypedColumn]) -> pl.Expr:
        if key not in typed:
            return pl.lit(None, dtype=self.frame.schema.get(key, pl.String)).alias(key)
        return pl.when(pl.col(key + _P) & ~pl.col(key + _N)).then(pl.col(key)).otherwise(None).alias(key)

    def _create_exprs(self, typed: dict[str, TypedColumn]) -> list[pl.Expr]:
        exprs = [pl.col("__i"), pl.col("__newid").alias("_id"), pl.lit(self.now).alias("_modifiedAt")]
        for key in self.ds.keys():
            if self.ds.is_links and key == "link_id":
                exprs.append(pl.col("__link").alias("link_id"))
            elif self.ds.is_links and key == "allocation":
                exprs.append(pl.coalesce(self._value(key, typed), pl.lit(1.0)).alias(key))
            else:
                exprs.append(self._value(key, typed))
        return exprs

    def _patch_exprs(self, typed: dict[str, TypedColumn]) -> list[pl.Expr]:
        replace = pl.col("__op") == "replace"
        exprs = [pl.col("__i"), pl.col("__row")]
        for key in self.writable:
            if key in typed:
                is_set = ~pl.col(key + _N) & (pl.col(key + _P) | replace)
            else:
                is_set = replace
            if key in self.guarded:
                is_set = is_set & ~pl.col(key + _K)
            value = self._value(key, typed)
            if self.ds.is_links and key == "allocation":
                value = pl.coalesce(value, pl.lit(1.0))
            exprs += [value.alias(key), is_set.alias(key + _P)]
        return exprs

    # -- commit ------------------------------------------------------------------------------------

    def results(self) -> list[dict[str, Any]]:
        out = []
        for i, (ident, action, status) in enumerate(
            zip(self.r_id, self.r_action, self.r_status, strict=True)
        ):
            entry: dict[str, Any] = {"_id": ident, "_action": action, "_status": status}
            if self.ds.is_links:
                entry["link_id"] = self.r_link[i]
            if i in self.r_fail:
                entry["_failures"] = self.r_fail[i]
            out.append(entry)
        return out

    def finish(self) -> Outcome:
        """Decide: a failed transaction applies nothing; otherwise return the new frame."""
        if self.failed:
            return Outcome(self.results(), failed=True)
        keep = ~pl.col("__i").is_in(list(self.retracted))
        frame = self.frame
        changed_rows: set[int] = set()
        if self.patches:
            frame, changed_rows = self._apply_patches(
                frame, pl.concat(self.patches, how="vertical_relaxed").filter(keep)
            )
        deleted_rows: set[int] = set()
        if self.deletes:
            deletes = pl.concat(self.deletes).filter(keep)
            if self.opts.mode == "mergeKey":
                deletes = deletes.explode("__row")
            deleted_rows = set(deletes["__row"].to_list())
        if self.opts.implicit_delete:
            deleted_rows |= self._implicit_deletes(deleted_rows)
            if self.failed:
                return Outcome(self.results(), failed=True, denied_implicit_deletes=self.denied_implicit)
        changed_ids = (
            frame["_id"].gather(sorted(changed_rows - deleted_rows)).to_list() if changed_rows else []
        )
        deleted_ids = frame["_id"].gather(sorted(deleted_rows)).to_list() if deleted_rows else []
        if deleted_rows:
            frame = frame.with_row_index("__r").filter(~pl.col("__r").is_in(list(deleted_rows))).drop("__r")
        if self.creates:
            created = pl.concat(self.creates, how="vertical_relaxed").filter(keep).drop("__i")
            changed_ids += created["_id"].to_list()
            frame = pl.concat([frame, created.select([pl.col(c).cast(t) for c, t in frame.schema.items()])])
        return Outcome(
            self.results(), failed=False, frame=frame, changed_ids=changed_ids, deleted_ids=deleted_ids
        )

    def _apply_patches(self, frame: pl.DataFrame, patches: pl.DataFrame) -> tuple[pl.DataFrame, set[int]]:
        """Write the patched values; only rows whose stored values differ count as changed (and get `_modifiedAt`)."""
        if self.opts.mode == "mergeKey":
            patches = patches.explode("__row")
        patches = patches.sort("__i")
        changed = pl.Series("changed", [False] * frame.height, dtype=pl.Boolean)
        updates = []
        for key in self.writable:
            sel = patches.filter(pl.col(key + _P)).unique("__row", keep="last", maintain_order=True)
            if not sel.height:
                continue
            values = sel[key].cast(frame[key].dtype)
            differs = values.ne_missing(frame[key].gather(sel["__row"]))
            if differs.any():
                changed = changed.scatter(sel["__row"].filter(differs), True)
                updates.append(frame[key].clone().scatter(sel["__row"], values))
        rows = changed.arg_true()
        if rows.len():
            updates.append(frame["_modifiedAt"].clone().scatter(rows, self.now))
        return (frame.with_columns(updates) if updates else frame), set(rows.to_list())

    def _implicit_deletes(self, already: set[int]) -> set[int]:
        """Items the payload does not name are deleted; a denied one fails or is kept (onItemAccessDenied)."""
        doomed = set(range(self.frame.height)) - self.referenced - already
        denied = doomed & self.denied_rows
        self.denied_implicit = len(denied)
        if denied and self.opts.fail_on_denied:
            self.failed = True
        return doomed - denied


def _effect(action: str, rows: list[int]) -> str | tuple[str, str]:
    """The effect of an action on the rows it names (`EFFECTS`), or (reason, message) when it is refused."""
    return EFFECTS[action][0 if rows else 1]


# ---------------------------------------------------------------- validation rules of one action


@dataclass(frozen=True)
class Candidate:
    """One item action as the validation rules see it: the action, how items are identified, and what the
    chunk-wide checks found (unknown keys of the chunk, cells that do not fit, a problem naming the item)."""

    item: dict[str, Any]
    action: Any
    mode: str
    unknown: set[str]
    bad_cells: list[str]
    types: dict[str, str]
    id_problem: tuple[str, str] | None


def _unsupported(c: Candidate) -> tuple[str, str] | None:
    if c.action in ACTIONS:
        return None
    return "UnsupportedAction", f"_action must be one of {', '.join(ACTIONS)}, got {c.action!r}"


def _not_available(c: Candidate) -> tuple[str, str] | None:
    if c.action in AVAILABLE[c.mode]:
        return None
    return "ActionNotAvailable", f"{c.action} is not available when identifying items by {c.mode}"


def _unknown_property(c: Candidate) -> tuple[str, str] | None:
    bad = sorted(k for k in c.item if k in c.unknown) if c.unknown else []
    return ("UnknownProperty", f"not properties of this dataset: {', '.join(bad)}") if bad else None


def _bad_sort_order(c: Candidate) -> tuple[str, str] | None:
    order = c.item.get("_sortOrder")
    if order is None or (not isinstance(order, bool) and isinstance(order, int | float)):
        return None
    return "InvalidSortOrder", "_sortOrder must be a number"


def _bad_values(c: Candidate) -> tuple[str, str] | None:
    if not c.bad_cells:
        return None
    kinds = ", ".join(f"{k} ({c.types[k]})" for k in sorted(c.bad_cells))
    return "InvalidPropertyValue", f"values do not fit their property type: {kinds}"


def _unidentified(c: Candidate) -> tuple[str, str] | None:
    return c.id_problem


# Checked in this order: the first rule that objects fails the action (or skips it, per
# onActionValidationFailure) with its reason. Duplicates, existence (EFFECTS) and access come after.
ACTION_RULES: tuple[Callable[[Candidate], tuple[str, str] | None], ...] = (
    _unsupported,  # _action is one of ACTIONS
    _not_available,  # ... and available for the identification mode (ACTION_TABLE)
    _unknown_property,  # every key is a property of the dataset (or a documented _field)
    _bad_sort_order,  # _sortOrder, when given, is a number
    _bad_values,  # every value fits its property type
    _unidentified,  # the action names its item (an _id, the key values, from_id + to_id)
)


def first_objection(candidate: Candidate) -> tuple[str, str] | None:
    """(reason, message) of the first rule of `ACTION_RULES` that objects to the action, or None."""
    for rule in ACTION_RULES:
        if objection := rule(candidate):
            return objection
    return None
