"""The drafts endpoints: seed (admin), retrieve, query, clear, and the draft jobs (actions, apply)."""

from __future__ import annotations

from typing import Any

import orjson

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator import export, params
from orgsync.emulator.errors import bad_body, not_found
from orgsync.emulator.items import Items, transaction_failed
from orgsync.emulator.jobs import JobRunner
from orgsync.emulator.model import USER, Draft, Job
from orgsync.emulator.state import State
from orgsync.emulator.timefmt import iso
from orgsync.emulator.transaction import ImportOptions


class DraftService:
    """Drafts of a tenant's datasets; applying one runs an items transaction as a job."""

    def __init__(self, state: State, items: Items, runner: JobRunner) -> None:
        self.state, self.items, self.runner = state, items, runner

    def seed_draft(self, tid: str, body: Any) -> Draft:
        tenant = self.state.tenant(tid)
        draft = draft_ops.parse_seed(body, self.state.new_id(), iso(self.state.now()), USER)
        self.state.dataset(tid, draft.dataset_id)
        with self.state.lock:
            tenant.drafts[draft.id] = draft
        self.state.store.save_draft(tid, draft)
        return draft

    def get_draft(self, tid: str, draft_id: str) -> Draft:
        draft = self.state.tenant(tid).drafts.get(draft_id)
        if draft is None:
            raise not_found("draft", draft_id, f"{tid}/drafts/{draft_id}")
        return draft

    def query_drafts(self, tid: str, body: Any) -> list[dict[str, Any]]:
        return draft_ops.query(list(self.state.tenant(tid).drafts.values()), body)

    def draft_layers(self, tid: str, body: Any) -> tuple[list[tuple[Draft, str]], str]:
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with layers")
        layers = draft_ops.parse_layers(body.get("layers"))
        resolved = [(self.get_draft(tid, d), key) for d, key in layers]
        for i, (draft, key) in enumerate(resolved):
            if key not in draft.layers:
                raise bad_body(f"draft {draft.id} has no layer {key!r}", f"$.layers[{i}].layerKey")
        scheme = body.get("foldScheme", "distinct")
        if scheme not in draft_ops.FOLD_SCHEMES:
            raise bad_body(f"foldScheme must be one of {', '.join(draft_ops.FOLD_SCHEMES)}", "$.foldScheme")
        return resolved, scheme

    def start_draft_actions(self, tid: str, body: Any, q: dict[str, str], path: str, base: str) -> Job:
        layers, scheme = self.draft_layers(tid, body)
        encoding = q.get("encoding") or q.get("resultEncoding")
        export.maybe_gzip(b"", encoding)

        def work() -> tuple[bytes, str]:
            return export.maybe_gzip(
                orjson.dumps(draft_ops.fold(layers, scheme)), encoding
            ), "application/json; charset=UTF-8"

        return self.runner.start_job(tid, "draftActions", path, base, work, body)

    def start_draft_apply(
        self, tid: str, did: str, body: Any, q: dict[str, str], token: str | None, path: str, base: str
    ) -> Job:
        ds = self.state.dataset(tid, did)
        layers, scheme = self.draft_layers(tid, body)
        for i, (draft, _) in enumerate(layers):
            if draft.dataset_id != did:
                raise bad_body(f"draft {draft.id} belongs to another dataset", f"$.layers[{i}].draftId")
        given = params.import_options(q, ds, links=ds.is_links)
        access = self.items.access_for(tid, ds, token)

        def work() -> tuple[bytes, str]:
            actions = draft_ops.fold(layers, scheme)
            mode = "links" if ds.is_links else ("_id" if all("_id" in a for a in actions) else "autoId")
            opts = ImportOptions(
                mode,
                (ds.config["autoId"],) if mode == "autoId" else (),
                given.fail_on_invalid,
                given.fail_on_denied,
                given.skip_denied_property,
                False,
                given.tokens,
            )
            outcome = self.items.run_transaction(tid, ds, [actions], opts, access)
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.runner.start_job(tid, "draftApply", path, base, work, body)

    def clear_drafts(self, tid: str, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with layers")
        layers = draft_ops.parse_layers(body.get("layers"))
        out = []
        for draft_id, key in layers:
            draft = self.state.tenant(tid).drafts.get(draft_id)
            if draft is None or key not in draft.layers:
                out.append({"status": "failed", "draftId": draft_id, "layerKey": key})
                continue
            ds = self.state.dataset(tid, draft.dataset_id)
            draft.layers[key] = draft_ops.clear_layer(draft.layers[key], body.get("filter"), ds.types())
            draft.modified_at = iso(self.state.now())
            self.state.store.save_draft(tid, draft)
            out.append({"status": "success", "draftId": draft_id, "layerKey": key})
        return out
