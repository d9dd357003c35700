"""State persistence for `--db FILE`: SQLite, writing only what each change touched.

Without `--db` the `MemoryStore` keeps nothing (state lives in the process).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from orgsync.emulator.model import Dataset, Draft, Job, TempFile, Tenant

TenantOf = Callable[[str], Tenant]  # the tenant of an id, created when first named

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (kind TEXT, tenant TEXT, id TEXT, body BLOB, PRIMARY KEY (kind, tenant, id));
CREATE TABLE IF NOT EXISTS items (dataset TEXT, id TEXT, row BLOB, PRIMARY KEY (dataset, id));
CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, tenant TEXT, meta BLOB, data BLOB);
"""


class Store:
    """Where state changes go; the in-memory store drops them."""

    def load(self, tenant: TenantOf, files: dict[str, TempFile], jobs: dict[str, Job]) -> None: ...
    def save_dataset(self, tid: str, ds: Dataset, *, full: bool) -> None: ...
    def save_items(self, tid: str, ds: Dataset, changed: list[str], deleted: list[str]) -> None: ...
    def save_file(self, f: TempFile) -> None: ...
    def save_job(self, job: Job) -> None: ...
    def save_draft(self, tid: str, draft: Draft) -> None: ...
    def save_access(self, tid: str, rules: list[dict[str, Any]]) -> None: ...
    def delete_tenant(self, tid: str) -> None: ...


class MemoryStore(Store):
    """No persistence: everything lives in the process."""


def _dataset_meta(ds: Dataset) -> bytes:
    return orjson.dumps(
        {
            "id": ds.id,
            "config": ds.config,
            "created_at": ds.created_at,
            "created_by": ds.created_by,
            "modified_at": ds.modified_at,
            "modified_by": ds.modified_by,
            "last_transaction_id": ds.last_transaction_id,
            "items_modified_at": ds.items_modified_at,
        }
    )


class SqliteStore(Store):
    """All tenants, datasets, items, drafts, files and jobs in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.lock = threading.Lock()

    def _meta(self, kind: str, tid: str, ident: str, body: bytes) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?, ?, ?)", (kind, tid, ident, body))

    def save_dataset(self, tid: str, ds: Dataset, *, full: bool) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('dataset', ?, ?, ?)", (tid, ds.id, _dataset_meta(ds))
            )
            if full:
                self.db.execute("DELETE FROM items WHERE dataset = ?", (ds.id,))
                self._write_rows(ds, ds.frame)
            self.db.execute("COMMIT")

    def _write_rows(self, ds: Dataset, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        lines = frame.write_ndjson().encode().splitlines()
        ids = frame["_id"].to_list()
        self.db.executemany(
            "INSERT INTO items VALUES (?, ?, ?) ON CONFLICT (dataset, id) DO UPDATE SET row = excluded.row",
            ((ds.id, i, line) for i, line in zip(ids, lines, strict=True)),
        )

    def save_items(self, tid: str, ds: Dataset, changed: list[str], deleted: list[str]) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('dataset', ?, ?, ?)", (tid, ds.id, _dataset_meta(ds))
            )
            if deleted:
                self.db.executemany(
                    "DELETE FROM items WHERE dataset = ? AND id = ?", ((ds.id, i) for i in deleted)
                )
            if changed:
                frame = (
                    ds.frame
                    if len(changed) == ds.frame.height
                    else ds.frame.filter(pl.col("_id").is_in(changed))
                )
                self._write_rows(ds, frame)
            self.db.execute("COMMIT")

    def save_file(self, f: TempFile) -> None:
        meta = orjson.dumps({k: v for k, v in dataclasses.asdict(f).items() if k != "data"})
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (f.id, f.tenant, meta, f.data)
            )

    def save_job(self, job: Job) -> None:
        self._meta("job", job.tenant, job.id, orjson.dumps(dataclasses.asdict(job)))

    def save_draft(self, tid: str, draft: Draft) -> None:
        self._meta("draft", tid, draft.id, orjson.dumps(dataclasses.asdict(draft)))

    def save_access(self, tid: str, rules: list[dict[str, Any]]) -> None:
        self._meta("access", tid, "rules", orjson.dumps(rules))

    def delete_tenant(self, tid: str) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute(
                "DELETE FROM items WHERE dataset IN (SELECT id FROM meta WHERE kind = 'dataset' AND tenant = ?)",
                (tid,),
            )
            self.db.execute("DELETE FROM meta WHERE tenant = ?", (tid,))
            self.db.execute("DELETE FROM files WHERE tenant = ?", (tid,))
            self.db.execute("COMMIT")

    def load(self, tenant: TenantOf, files: dict[str, TempFile], jobs: dict[str, Job]) -> None:
        """Rebuild every tenant from the file; jobs that were running when it stopped end as failed."""
        for kind, tid, _ident, body in self.db.execute(
            "SELECT kind, tenant, id, body FROM meta ORDER BY rowid"
        ):
            data = orjson.loads(body)
            if kind == "dataset":
                ds = Dataset(**data)
                ds.conform_frame()
                ds.set_frame(self._read_rows(ds))
                tenant(tid).datasets[ds.id] = ds
            elif kind == "draft":
                tenant(tid).drafts[data["id"]] = Draft(**data)
            elif kind == "access":
                tenant(tid).access = data
            elif kind == "job":
                job = Job(**data)
                if job.status in ("created", "running"):
                    job.status = "failed"
                    job.errors = [
                        {
                            "code": "50003",
                            "name": "JobInterrupted",
                            "message": "the emulator restarted while this job ran",
                        }
                    ]
                jobs[job.id] = job
        for meta, data in self.db.execute("SELECT meta, data FROM files"):
            f = TempFile(**orjson.loads(meta), data=data)
            files[f.id] = f

    def _read_rows(self, ds: Dataset) -> pl.DataFrame:
        rows = [
            r[0] for r in self.db.execute("SELECT row FROM items WHERE dataset = ? ORDER BY rowid", (ds.id,))
        ]
        if not rows:
            return ds.frame
        return pl.read_ndjson(b"\n".join(rows), schema=ds.schema())
