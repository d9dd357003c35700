"""The shared state of one emulator process: tenants, files, jobs, ids, the admin clock, settings and store.

Every part (catalog, items, storage, runner, drafting) takes this `State`, not the whole service; it sits
below them all and imports none of them.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass

from orgsync.emulator.errors import not_found
from orgsync.emulator.model import Dataset, Job, TempFile, Tenant
from orgsync.emulator.persist import Store
from orgsync.emulator.transaction import new_id_factory

# a presigned upload: the documented async import maximum (450 MB of CSV)
MAX_UPLOAD_BYTES = 450 * 1000 * 1000
POLL_URL_TTL = 15 * 60.0  # our choice: the pages say only "a short period"; the same 15 minutes as files


@dataclass
class Settings:
    """How this emulator was started (create_app's options); read by the parts, set once at start."""

    allow_remote_callbacks: bool = False  # import/result locations and callbacks beyond loopback
    max_upload_bytes: int = MAX_UPLOAD_BYTES  # presigned uploads
    poll_url_ttl: float = POLL_URL_TTL  # how long a job's presigned status URL works
    temp_file_links: bool = False  # temporary-file answers as `_links` objects instead of flat fields


class Clock:
    """The admin clock: wall time (or the time it was frozen at) plus the offset the admin API added."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen: float | None = None  # admin: the clock stands still at this wall time (tests)

    def now(self) -> float:
        base = self.frozen if self.frozen is not None else time.time()
        return base + self.offset

    def adjust(self, advance: float, freeze: bool | None) -> None:
        """Freeze or thaw (carrying on from the frozen instant), then move on `advance` seconds."""
        if freeze is True and self.frozen is None:
            self.frozen = time.time()
        elif freeze is False and self.frozen is not None:
            self.offset += self.frozen - time.time()
            self.frozen = None
        self.offset += advance


class State:
    """All tenants, files and jobs of one emulator process, the ids they get and the store they persist to."""

    def __init__(self, store: Store, seed: int, settings: Settings, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        # its own stream, so trace ids never shift the generated ids
        self.trace_rng = random.Random(f"trace-{seed}")
        self.secret = f"{seed}-{random.SystemRandom().getrandbits(64)}".encode()
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}
        self.files: dict[str, TempFile] = {}
        self.jobs: dict[str, Job] = {}

    def load(self, seed: int) -> None:
        """Read what the store kept, then derive the id generator from it as well as the seed.

        A restarted `--db` emulator with the same seed would otherwise hand out the previous run's ids
        again and overwrite what they name; mixing in the ids already stored keeps runs reproducible
        for a given state and new ids unique.
        """
        self.store.load(self.tenant, self.files, self.jobs)
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

    def now(self) -> float:
        return self.clock.now()

    def new_id(self) -> str:
        with self.rng_lock:
            return new_id_factory(self.rng)()

    def random_seed(self) -> int:
        """A seed for a transaction's own id generator, drawn from the shared stream."""
        with self.rng_lock:
            return self.rng.getrandbits(64)

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
