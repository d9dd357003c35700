"""Item reads (GET, query, sync export) and item writes (one atomic transaction per payload)."""

from __future__ import annotations

import random
from typing import Any

import polars as pl

from orgsync.emulator import export, params
from orgsync.emulator.errors import ApiError, bad_body
from orgsync.emulator.limits import too_large
from orgsync.emulator.model import Dataset
from orgsync.emulator.payload import iter_actions
from orgsync.emulator.query import filter_expr, projection_keys
from orgsync.emulator.state import State
from orgsync.emulator.timefmt import iso
from orgsync.emulator.transaction import AccessPolicy, ImportOptions, Outcome, Transaction, new_id_factory

SYNC_LIMIT = 50 * 1024 * 1024
ITEM_READ, ITEM_DELETE = (
    "Item.read",
    "Item.delete",
)  # `_access` values; `Item.update` is never earned (README)


class Items:
    """The items endpoints of a tenant's datasets; writes hold the dataset's lock and persist only what changed."""

    def __init__(self, state: State) -> None:
        self.state = state

    def items_frame(self, tid: str, did: str) -> tuple[Dataset, pl.DataFrame]:
        ds = self.state.dataset(tid, did)
        return ds, ds.frame

    def list_items(self, tid: str, did: str, token: str | None = None) -> bytes:
        """Every item with its properties, `_id`, `_access` (what `token` may do to it) and `_modifiedAt`."""
        ds, frame = self.items_frame(tid, did)
        frame = frame.with_columns(self.access_level(tid, ds, token))
        keys = ds.keys() + ["_id", "_access", "_modifiedAt"]
        return export.render(ds, frame, keys, "jsonObjects")

    def query_items(self, tid: str, did: str, body: Any, token: str | None = None) -> bytes:
        """Filtered items; `_id` unless projected out, `_access`/`_modifiedAt` only when projected in (the docs)."""
        ds, frame = self.items_frame(tid, did)
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with filter and projection")
        types = {**export.ITEM_TYPES, **ds.types()}
        frame = frame.with_columns(self.access_level(tid, ds, token))
        frame = frame.filter(filter_expr(body.get("filter"), types).fill_null(False))
        keys = projection_keys(body.get("projection"), ds.keys())
        if keys is None:
            keys = ds.keys() + ["_id"]
        elif "_id" not in keys and (body.get("projection") or {}).get("_id", 1):
            keys = keys + ["_id"]
        return export.render(ds, frame, [k for k in keys if k in types], "jsonObjects")

    def access_level(self, tid: str, ds: Dataset, token: str | None) -> pl.Expr:
        """The `_access` column: `Item.read` where an item deny rule matches (no update, no delete), else `Item.delete`.

        Property deny rules limit properties, not the item: such an item can still be updated (other
        properties) and deleted, as the transaction enforces, so they do not lower `_access`.
        """
        denied = pl.lit(False)
        for filt in self.access_for(tid, ds, token).items:
            denied = denied | filter_expr(filt, ds.types()).fill_null(False)
        return pl.when(denied).then(pl.lit(ITEM_READ)).otherwise(pl.lit(ITEM_DELETE)).alias("_access")

    def access_for(self, tid: str, ds: Dataset, token: str | None) -> AccessPolicy:
        props: set[str] = set()
        items: list[dict[str, Any]] = []
        for rule in self.state.tenant(tid).access:
            if rule.get("token") not in (None, token) or rule.get("datasetId") not in (None, ds.id):
                continue
            props.update(rule.get("properties") or [])
            if rule.get("items") is not None:
                items.append(rule["items"])
        return AccessPolicy(frozenset(props), tuple(items))

    def run_transaction(
        self, tid: str, ds: Dataset, chunks: Any, opts: ImportOptions, access: AccessPolicy
    ) -> Outcome:
        """Apply a payload atomically under the dataset's write lock; persist only what changed."""
        with ds.lock:
            link_ends = None
            if ds.is_links:
                tenant = self.state.tenant(tid)
                ends = []
                for end in ("fromDatasetId", "toDatasetId"):
                    other = tenant.datasets.get(ds.config[end])
                    if other is None:
                        raise ApiError(
                            422,
                            "422002",
                            "LinkedDatasetMissing",
                            f"the linked dataset {ds.config[end]} no longer exists",
                        )
                    ends.append(other.key_index((other.config["autoId"],)))
                link_ends = (ends[0], ends[1])
            seed = self.state.random_seed()
            stamp = iso(self.state.now())
            txn = Transaction(
                ds, opts, access, now=stamp, new_id=new_id_factory(random.Random(seed)), link_ends=link_ends
            )
            for chunk in chunks:
                txn.feed(chunk)
            outcome = txn.finish()
            if outcome.failed or outcome.frame is None:
                return outcome
            ds.set_frame(outcome.frame)
            if outcome.changed_ids or outcome.deleted_ids:
                ds.last_transaction_id = self.state.txn_id()
                ds.items_modified_at = stamp
                self.state.store.save_items(tid, ds, outcome.changed_ids, outcome.deleted_ids)
            return outcome

    def put_items(
        self, tid: str, did: str, body: bytes, q: dict[str, str], token: str | None, *, links: bool
    ) -> Outcome:
        ds = self.state.dataset(tid, did, links=links or None)
        if ds.is_links and not links:
            raise ApiError(
                422,
                "422001",
                "UseLinksEndpoint",
                "links items are written through PUT /links/{linksDatasetId}/items",
            )
        if len(body) > SYNC_LIMIT:
            raise too_large(len(body), SYNC_LIMIT)  # the gateway's 413, as limits.py answers it
        opts = params.import_options(q, ds, links=links)
        return self.run_transaction(
            tid, ds, iter_actions(body, "json"), opts, self.access_for(tid, ds, token)
        )

    def sync_export(self, tid: str, did: str, q: dict[str, str]) -> tuple[bytes, str]:
        ds, frame = self.items_frame(tid, did)
        fmt = export.check_format(q.get("exportFormat"))
        return export.render(
            ds, frame, ds.keys(), fmt, bom=params.flag(q, "includeBOM", True), unix=params.line_endings(q)
        ), export.content_type(fmt)


def transaction_failed(outcome: Outcome) -> ApiError:
    failed = sum(1 for item in outcome.items if item["_status"] == "failed")
    message = f"{failed} item operation(s) failed validation or access checks"
    if outcome.denied_implicit_deletes:
        message += f"; implicitDelete may not delete {outcome.denied_implicit_deletes} item(s) outside the payload (item access denied)"
    return ApiError(
        400, "400800", "TransactionFailed", message + "; nothing was applied", items=outcome.items
    )
