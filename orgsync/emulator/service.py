"""The emulated tenant service: shared state (tenants, files, jobs, ids, clock, store) and its parts.

HTTP concerns (routing, auth, bodies, statuses) live in `app.py`. The operations live in one part each:
`catalog` (datasets), `items` (reads and transactions), `storage` (temporary files), `runner` (jobs and
the async operations), `drafting` (drafts); this module owns the state they share, its locks and the
admin operations (reset, access rules).
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator.callbacks import CallbackLog
from orgsync.emulator.catalog import Catalog
from orgsync.emulator.draft_service import DraftService
from orgsync.emulator.errors import not_found
from orgsync.emulator.faults import FaultBook
from orgsync.emulator.files import Storage
from orgsync.emulator.items import Items
from orgsync.emulator.jobs import JobRunner
from orgsync.emulator.limits import LimitBook, Limits
from orgsync.emulator.model import Dataset, Draft, Job, TempFile
from orgsync.emulator.persist import MemoryStore, SqliteStore, Store
from orgsync.emulator.query import filter_expr
from orgsync.emulator.timefmt import iso
from orgsync.emulator.transaction import new_id_factory


@dataclass
class Tenant:
    id: str
    datasets: dict[str, Dataset] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    access: list[dict[str, Any]] = field(default_factory=list)


class Emulator:
    """All tenants, files and jobs of one emulator process."""

    def __init__(
        self,
        db_path: Path | None = None,
        token: str | None = None,
        seed: int = 0,
        *,
        allow_remote_callbacks: bool = False,
        limits: Limits | None = None,
    ) -> None:
        self.token = token
        self.allow_remote_callbacks = allow_remote_callbacks
        self.max_upload_bytes = 450 * 1000 * 1000  # presigned uploads (set by create_app)
        self.poll_url_ttl = 15 * 60.0  # how long a job's presigned status URL works (set by create_app)
        self.temp_file_links = False  # temporary-file answers as `_links` objects instead of flat fields
        self.callbacks = CallbackLog()
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.trace_rng = random.Random(
            f"trace-{seed}"
        )  # its own stream, so trace ids never shift the generated ids
        self.secret = f"{seed}-{random.SystemRandom().getrandbits(64)}".encode()
        self.faults = FaultBook(seed)
        self.clock_offset = 0.0
        self.clock_frozen: float | None = None  # admin: the clock stands still at this wall time (tests)
        self.limits = LimitBook(limits or Limits(), self.now)  # the documented usage limits, per tenant
        self.lock = threading.RLock()
        self.store: Store = SqliteStore(db_path) if db_path else MemoryStore()
        self.tenants: dict[str, Tenant] = {}
        self.files: dict[str, TempFile] = {}
        self.jobs: dict[str, Job] = {}
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-job")
        self.catalog = Catalog(self)
        self.items = Items(self)
        self.storage = Storage(self)
        self.runner = JobRunner(self)
        self.drafting = DraftService(self)
        self.store.load(self)
        self._reseed_after_load(seed)

    def _reseed_after_load(self, seed: int) -> None:
        """Derive the id generator from the loaded state as well as the seed.

        A restarted `--db` emulator with the same seed would otherwise hand out the previous run's ids
        again and overwrite what they name; mixing in the ids already stored keeps runs reproducible
        for a given state and new ids unique.
        """
        known = sorted(
            [
                f"{t.id}/{d.id}/{d.last_transaction_id}"
                for t in self.tenants.values()
                for d in t.datasets.values()
            ]
            + [f"{t.id}/draft/{k}" for t in self.tenants.values() for k in t.drafts]
            + [f"job/{k}" for k in self.jobs]
            + [f"file/{k}" for k in self.files]
        )
        if known:
            digest = hashlib.sha256("\n".join([str(seed), *known]).encode()).digest()
            self.rng = random.Random(int.from_bytes(digest[:16], "big"))

    # -- basics ------------------------------------------------------------------------------------

    def now(self) -> float:
        """The admin clock: wall time (or the time it was frozen at) plus the offset the admin API added."""
        base = self.clock_frozen if self.clock_frozen is not None else time.time()
        return base + self.clock_offset

    def new_id(self) -> str:
        with self.rng_lock:
            return new_id_factory(self.rng)()

    def trace_id(self) -> str:
        """A fresh `X-Amzn-Trace-Id` value in the documented `Root=1-<8 hex>-<24 hex>` form."""
        with self.rng_lock:
            digits = f"{self.trace_rng.getrandbits(96):024x}"
        return f"Root=1-{int(self.now()) & 0xFFFFFFFF:08x}-{digits}"

    def txn_id(self) -> str:
        with self.rng_lock:
            h = f"{self.rng.getrandbits(96):024X}"
        return f"{int(self.now() * 1000) & 0xFFFFFFFF:08X}-{h[:4]}-{h[4:8]}-{h[8:12]}-{h[12:]}"

    def tenant(self, tid: str) -> Tenant:
        with self.lock:
            if tid not in self.tenants:
                self.tenants[tid] = Tenant(tid)
            return self.tenants[tid]

    def dataset(self, tid: str, did: str, *, links: bool | None = None) -> Dataset:
        ds = self.tenant(tid).datasets.get(did)
        if ds is None or (links is True and not ds.is_links):
            raise not_found("links dataset" if links else "dataset", did, f"{tid}/datasets/{did}")
        return ds

    # -- admin -------------------------------------------------------------------------------------

    def reset(self, tid: str) -> None:
        with self.lock:
            self.tenants.pop(tid, None)
            for fid in [f.id for f in self.files.values() if f.tenant == tid]:
                del self.files[fid]
            for jid in [j.id for j in self.jobs.values() if j.tenant == tid]:
                del self.jobs[jid]
        self.store.delete_tenant(tid)

    def add_access(self, tid: str, body: Any) -> dict[str, Any]:
        rule = draft_ops.parse_access(body)
        tenant = self.tenant(tid)
        types: dict[str, str] = {}
        for ds in tenant.datasets.values():
            types.update(ds.types())
        if rule.get("items") is not None:
            filter_expr(rule["items"], types, "$.items")
        rule["id"] = len(tenant.access) + 1
        tenant.access.append(rule)
        self.store.save_access(tid, tenant.access)
        return rule

    def clear_access(self, tid: str) -> None:
        self.tenant(tid).access.clear()
        self.store.save_access(tid, [])


__all__ = ["Emulator", "Tenant", "iso"]
