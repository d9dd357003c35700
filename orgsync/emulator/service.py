"""The emulated tenant service: composes the shared state and its parts, and holds the admin operations.

HTTP concerns (routing, auth, bodies, statuses) live in `app.py` and `routes/`. The shared state (tenants,
files, jobs, ids, clock, settings, store) is `state.State`; the operations live in one part each, built on
it: `catalog` (datasets), `items` (reads and transactions), `storage` (temporary files), `runner` (jobs and
the async operations), `drafting` (drafts). This module wires them together and owns the admin operations
(reset, access rules).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator.callbacks import CallbackLog
from orgsync.emulator.catalog import Catalog
from orgsync.emulator.draft_service import DraftService
from orgsync.emulator.faults import FaultBook
from orgsync.emulator.files import Storage
from orgsync.emulator.items import Items
from orgsync.emulator.jobs import JobRunner
from orgsync.emulator.limits import LimitBook, Limits
from orgsync.emulator.model import Job
from orgsync.emulator.persist import MemoryStore, SqliteStore, Store
from orgsync.emulator.query import filter_expr
from orgsync.emulator.state import Clock, Settings, State


class Emulator:
    """All tenants, files and jobs of one emulator process: the state, its parts and the admin operations."""

    def __init__(
        self,
        db_path: Path | None = None,
        token: str | None = None,
        seed: int = 0,
        *,
        allow_remote_callbacks: bool = False,
        limits: Limits | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.token = token
        self.settings = settings or Settings(allow_remote_callbacks=allow_remote_callbacks)
        self.clock = Clock()
        store: Store = SqliteStore(db_path) if db_path else MemoryStore()
        self.state = State(store, seed, self.settings, self.clock)
        self.callbacks = CallbackLog()
        self.faults = FaultBook(seed)
        self.limits = LimitBook(limits or Limits(), self.clock.now)  # the documented usage limits, per tenant
        self.catalog = Catalog(self.state)
        self.items = Items(self.state)
        self.storage = Storage(self.state)
        self.runner = JobRunner(self.state, self.storage, self.items, self.faults, self.callbacks)
        self.drafting = DraftService(self.state, self.items, self.runner)
        self.state.load(seed)

    # -- the state, as tests read it through `app.state.emulator` ---------------------------------

    @property
    def jobs(self) -> dict[str, Job]:
        return self.state.jobs

    @property
    def clock_offset(self) -> float:
        return self.clock.offset

    @clock_offset.setter
    def clock_offset(self, value: float) -> None:
        self.clock.offset = value

    # -- admin -------------------------------------------------------------------------------------

    def reset(self, tid: str) -> None:
        state = self.state
        with state.lock:
            state.tenants.pop(tid, None)
            for fid in [f.id for f in state.files.values() if f.tenant == tid]:
                del state.files[fid]
            for jid in [j.id for j in state.jobs.values() if j.tenant == tid]:
                del state.jobs[jid]
        state.store.delete_tenant(tid)

    def add_access(self, tid: str, body: Any) -> dict[str, Any]:
        rule = draft_ops.parse_access(body)
        tenant = self.state.tenant(tid)
        types: dict[str, str] = {}
        for ds in tenant.datasets.values():
            types.update(ds.types())
        if rule.get("items") is not None:
            filter_expr(rule["items"], types, "$.items")
        rule["id"] = len(tenant.access) + 1
        tenant.access.append(rule)
        self.state.store.save_access(tid, tenant.access)
        return rule

    def clear_access(self, tid: str) -> None:
        self.state.tenant(tid).access.clear()
        self.state.store.save_access(tid, [])


__all__ = ["Emulator"]
