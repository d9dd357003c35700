"""The emulated tenant service: every documented operation as a method over plain values.

HTTP concerns (routing, auth, bodies, statuses) live in `app.py`; this module owns state, its locks,
background jobs and persistence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import polars as pl

from orgsync.emulator import drafts as draft_ops
from orgsync.emulator import export
from orgsync.emulator.datasets import merge_dataset, new_dataset_config, new_links_config
from orgsync.emulator.errors import ApiError, bad_body, bad_query, internal, not_found
from orgsync.emulator.faults import FaultBook
from orgsync.emulator.model import Dataset, Draft, Job, TempFile
from orgsync.emulator.payload import iter_actions
from orgsync.emulator.persist import MemoryStore, SqliteStore, Store
from orgsync.emulator.query import filter_expr, projection_keys
from orgsync.emulator.transaction import AccessPolicy, ImportOptions, Outcome, Transaction, new_id_factory
from orgsync.emulator.values import ImportTokens, json_expr, storage_dtype

USER = "emulator@orgsync.local"
FILE_TTL = 3600.0
RESULT_TTL = 24 * 3600.0
SYNC_LIMIT = 50 * 1024 * 1024


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


@dataclass
class Tenant:
    id: str
    datasets: dict[str, Dataset] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    access: list[dict[str, Any]] = field(default_factory=list)


class Emulator:
    """All tenants, files and jobs of one emulator process."""

    def __init__(self, db_path: Path | None = None, token: str | None = None, seed: int = 0) -> None:
        self.token = token
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.secret = f"{seed}-{random.SystemRandom().getrandbits(64)}".encode()
        self.faults = FaultBook(seed)
        self.clock_offset = 0.0
        self.lock = threading.RLock()
        self.store: Store = SqliteStore(db_path) if db_path else MemoryStore()
        self.tenants: dict[str, Tenant] = {}
        self.files: dict[str, TempFile] = {}
        self.jobs: dict[str, Job] = {}
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-job")
        self.store.load(self)
        self._reseed_after_load(seed)

    def _reseed_after_load(self, seed: int) -> None:
        """Derive the id generator from the loaded state as well as the seed.

        A restarted `--db` emulator with the same seed would otherwise hand out the previous run's ids
        again and overwrite what they name; mixing in the ids already stored keeps runs reproducible
        for a given state and new ids unique.
        """
        known = sorted(
            [f"{t.id}/{d.id}/{d.last_transaction_id}" for t in self.tenants.values() for d in t.datasets.values()]
            + [f"{t.id}/draft/{k}" for t in self.tenants.values() for k in t.drafts]
            + [f"job/{k}" for k in self.jobs] + [f"file/{k}" for k in self.files])
        if known:
            digest = hashlib.sha256("\n".join([str(seed), *known]).encode()).digest()
            self.rng = random.Random(int.from_bytes(digest[:16], "big"))

    # -- basics ------------------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    def new_id(self) -> str:
        with self.rng_lock:
            return new_id_factory(self.rng)()

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

    # -- datasets ----------------------------------------------------------------------------------

    def list_datasets(self, tid: str) -> list[Dataset]:
        return list(self.tenant(tid).datasets.values())

    def create_dataset(self, tid: str, body: Any) -> Dataset:
        config = new_dataset_config(body)
        return self._add_dataset(tid, config)

    def create_links(self, tid: str, body: Any) -> Dataset:
        tenant = self.tenant(tid)
        return self._add_dataset(tid, new_links_config(body, tenant.datasets))

    def _add_dataset(self, tid: str, config: dict[str, Any]) -> Dataset:
        stamp = iso(self.now())
        ds = Dataset(self.new_id(), config, stamp, USER, stamp, USER)
        ds.conform_frame()
        with self.lock:
            self.tenant(tid).datasets[ds.id] = ds
        self.store.save_dataset(tid, ds, full=True)
        return ds

    def update_dataset(self, tid: str, did: str, body: Any, delete_omitted: bool, *, links: bool) -> Dataset:
        ds = self.dataset(tid, did, links=links)
        if not links and ds.is_links:
            raise ApiError(422, "422001", "UseLinksEndpoint", "links datasets are changed through PATCH /links/{linksDatasetId}")
        with ds.lock:
            new = merge_dataset(ds.config, body, delete_omitted, links=links)
            if new != ds.config:
                ds.config = new
                ds.modified_at, ds.modified_by = iso(self.now()), USER
                ds.conform_frame()
                # columns may have been dropped or recast, so the dataset's rows are rewritten
                self.store.save_dataset(tid, ds, full=True)
        return ds

    # -- items -------------------------------------------------------------------------------------

    def items_frame(self, tid: str, did: str) -> tuple[Dataset, pl.DataFrame]:
        ds = self.dataset(tid, did)
        return ds, ds.frame

    def list_items(self, tid: str, did: str) -> bytes:
        ds, frame = self.items_frame(tid, did)
        keys = ds.keys() + ["_id", "_modifiedAt"]
        return export.render(ds, frame, keys, "jsonObjects")

    def query_items(self, tid: str, did: str, body: Any) -> bytes:
        ds, frame = self.items_frame(tid, did)
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with filter and projection")
        types = {**export.SYSTEM_TYPES, **ds.types()}
        frame = frame.filter(filter_expr(body.get("filter"), types).fill_null(False))
        keys = projection_keys(body.get("projection"), ds.keys())
        if keys is None:
            keys = ds.keys() + ["_id"]
        elif "_id" not in keys and (body.get("projection") or {}).get("_id", 1):
            keys = keys + ["_id"]
        return export.render(ds, frame, [k for k in keys if k in types], "jsonObjects")

    def import_options(self, q: dict[str, str], ds: Dataset, *, links: bool) -> ImportOptions:
        tokens = ImportTokens.from_query(q.get("dateFormat"), q.get("clearToken"), q.get("noopToken"))
        mode, keys = ("links", ()) if links else _id_mode(q, ds)
        return ImportOptions(
            mode=mode,
            keys=keys,
            fail_on_invalid=_choice(q, "onActionValidationFailure", ("failTransaction", "skipAction")) == "failTransaction",
            fail_on_denied=_choice(q, "onItemAccessDenied", ("failTransaction", "skipAction")) == "failTransaction",
            skip_denied_property=_choice(q, "onPropertyAccessDenied", ("denyItemAccess", "skipProperty")) == "skipProperty",
            implicit_delete=_bool(q, "implicitDelete"),
            tokens=tokens,
        )

    def access_for(self, tid: str, ds: Dataset, token: str | None) -> AccessPolicy:
        props: set[str] = set()
        items: list[dict[str, Any]] = []
        for rule in self.tenant(tid).access:
            if rule.get("token") not in (None, token) or rule.get("datasetId") not in (None, ds.id):
                continue
            props.update(rule.get("properties") or [])
            if rule.get("items") is not None:
                items.append(rule["items"])
        return AccessPolicy(frozenset(props), tuple(items))

    def run_transaction(self, tid: str, ds: Dataset, chunks: Any, opts: ImportOptions, access: AccessPolicy) -> Outcome:
        """Apply a payload atomically under the dataset's write lock; persist only what changed."""
        with ds.lock:
            link_ends = None
            if ds.is_links:
                tenant = self.tenant(tid)
                ends = []
                for end in ("fromDatasetId", "toDatasetId"):
                    other = tenant.datasets.get(ds.config[end])
                    if other is None:
                        raise ApiError(422, "422002", "LinkedDatasetMissing", f"the linked dataset {ds.config[end]} no longer exists")
                    ends.append(other.key_index((other.config["autoId"],)))
                link_ends = (ends[0], ends[1])
            with self.rng_lock:
                seed = self.rng.getrandbits(64)
            stamp = iso(self.now())
            txn = Transaction(ds, opts, access, now=stamp, new_id=new_id_factory(random.Random(seed)), link_ends=link_ends)
            for chunk in chunks:
                txn.feed(chunk)
            outcome = txn.finish()
            if outcome.failed or outcome.frame is None:
                return outcome
            ds.set_frame(outcome.frame)
            if outcome.changed_ids or outcome.deleted_ids:
                ds.last_transaction_id = self.txn_id()
                ds.items_modified_at = stamp
                self.store.save_items(tid, ds, outcome.changed_ids, outcome.deleted_ids)
            return outcome

    def put_items(self, tid: str, did: str, body: bytes, q: dict[str, str], token: str | None, *, links: bool) -> Outcome:
        ds = self.dataset(tid, did, links=links or None)
        if ds.is_links and not links:
            raise ApiError(422, "422001", "UseLinksEndpoint", "links items are written through PUT /links/{linksDatasetId}/items")
        if len(body) > SYNC_LIMIT:
            raise ApiError(413, "413000", "PayloadTooLarge", f"sync payloads are limited to {SYNC_LIMIT} bytes; use the async import")
        opts = self.import_options(q, ds, links=links)
        return self.run_transaction(tid, ds, iter_actions(body, "json"), opts, self.access_for(tid, ds, token))

    # -- temporary files ---------------------------------------------------------------------------

    def sign(self, fid: str, op: str) -> str:
        return hmac.new(self.secret, f"{fid}:{op}".encode(), hashlib.sha256).hexdigest()[:32]

    def new_file(self, tid: str, body: Any, ttl: float = FILE_TTL) -> TempFile:
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with targetType and targetEncoding")
        if body.get("targetType") not in ("json", "csv", "tsv"):
            raise bad_body("targetType must be json, csv or tsv", "$.targetType")
        if body.get("targetEncoding") not in ("gzip", "identity"):
            raise bad_body("targetEncoding must be gzip or identity", "$.targetEncoding")
        return self._file(tid, body["targetType"], body["targetEncoding"], ttl)

    def _file(self, tid: str, ttype: str, enc: str, ttl: float, data: bytes | None = None) -> TempFile:
        f = TempFile(self.new_id(), tid, ttype, enc, self.now() + ttl, data)
        with self.lock:
            self.files[f.id] = f
        self.store.save_file(f)
        return f

    def file_urls(self, f: TempFile, base: str) -> dict[str, str]:
        url = f"{base}/_files/{f.id}"
        return {"getUrl": f"{url}?op=get&sig={self.sign(f.id, 'get')}", "putUrl": f"{url}?op=put&sig={self.sign(f.id, 'put')}",
                "expiresAt": iso(f.expires_at)}

    def open_file(self, fid: str, op: str | None, sig: str | None) -> TempFile:
        f = self.files.get(fid)
        if f is None:
            raise not_found("file", fid)
        if op not in ("get", "put") or not sig or not hmac.compare_digest(sig, self.sign(fid, op)):
            raise ApiError(403, "403001", "SignatureDoesNotMatch", "the presigned URL signature is not valid for this operation")
        if self.now() > f.expires_at:
            raise ApiError(403, "403002", "RequestExpired", "the presigned URL has expired")
        return f

    def write_file(self, f: TempFile, data: bytes) -> None:
        f.data = data
        self.store.save_file(f)

    def fetch_url(self, url: Any) -> tuple[bytes, str | None]:
        """Read an import location: one of our presigned files, or any other URL over HTTP."""
        if not isinstance(url, str) or not url:
            raise bad_body("location.url must be the getUrl of a temporary file", "$.location.url")
        parts = urllib.parse.urlsplit(url)
        if parts.path.startswith("/_files/"):
            q = dict(urllib.parse.parse_qsl(parts.query))
            f = self.open_file(parts.path.rsplit("/", 1)[-1], q.get("op"), q.get("sig"))
            if f.data is None:
                raise ApiError(400, "400012", "EmptyLocation", "nothing has been uploaded to this location yet")
            return f.data, f.target_type
        try:
            response = httpx.get(url, timeout=60)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ApiError(400, "400013", "LocationUnreadable", f"cannot read the location: {exc}") from None
        return response.content, None

    def deliver(self, url: str, data: bytes) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.path.startswith("/_files/"):
            q = dict(urllib.parse.parse_qsl(parts.query))
            self.write_file(self.open_file(parts.path.rsplit("/", 1)[-1], q.get("op"), q.get("sig")), data)
        else:
            httpx.put(url, content=data, timeout=60).raise_for_status()

    # -- jobs --------------------------------------------------------------------------------------

    def start_job(self, tid: str, kind: str, path: str, work: Callable[[], tuple[bytes, str]], body: Any = None) -> Job:
        """Create a jobTicket and run `work` in the job pool: created → running → completed | failed."""
        stamp = iso(self.now())
        job = Job(self.new_id(), tid, kind, path, stamp, stamp)
        with self.lock:
            self.jobs[job.id] = job
        self.store.save_job(job)
        behaviour = self.faults.job_fault(path)
        release = self.faults.release
        result_url = _result_url(body)
        created = dataclasses.replace(job)  # the ticket as created, before the pool picks it up
        self.pool.submit(self._run_job, job, work, behaviour, release, result_url)
        return created

    def _run_job(self, job: Job, work: Callable[[], tuple[bytes, str]], behaviour: str | None,
                 release: threading.Event, result_url: str | None) -> None:
        self._job_state(job, "running")
        try:
            if behaviour == "hang":
                release.wait()
                raise ApiError(500, "50002", "JobAbandoned", "the job was stopped by the emulator (hang fault cleared)")
            if behaviour == "fail":
                raise internal("There was an internal error. If the issue persists you should contact support@orgvue.com.")
            data, ctype = work()
            if result_url:
                self.deliver(result_url, data)
            f = self._file(job.tenant, "json", "identity", RESULT_TTL, data)
            job.result_file, job.result_content_type = f.id, ctype
            self._job_state(job, "completed")
        except ApiError as exc:
            job.errors = exc.body()["errors"]
            self._job_state(job, "failed")
        except Exception as exc:  # noqa: BLE001 - a job must end failed, never vanish
            job.errors = internal(f"the job failed: {type(exc).__name__}: {exc}").body()["errors"]
            self._job_state(job, "failed")

    def _job_state(self, job: Job, status: str) -> None:
        job.status, job.modified_at = status, iso(self.now())
        self.store.save_job(job)

    def job(self, tid: str, jid: str) -> Job:
        job = self.jobs.get(jid)
        if job is None or job.tenant != tid:
            raise not_found("job", jid, f"{tid}/jobs/{jid}")
        return job

    # -- async operations --------------------------------------------------------------------------

    def start_import(self, tid: str, did: str, body: Any, q: dict[str, str], token: str | None, path: str, *, links: bool) -> Job:
        ds = self.dataset(tid, did, links=links or None)
        if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
            raise bad_body("the body needs location: {url: <getUrl of a temporary file>}", "$.location")
        url = body["location"].get("url")
        if not isinstance(url, str) or not url:
            raise bad_body("location.url must be the getUrl of a temporary file", "$.location.url")
        opts = self.import_options(q, ds, links=links)
        access = self.access_for(tid, ds, token)

        def work() -> tuple[bytes, str]:
            outcome = self.run_transaction(tid, ds, iter_actions(*self.fetch_url(url)), opts, access)
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.start_job(tid, "import", path, work, body)

    def start_export(self, tid: str, did: str, body: Any, q: dict[str, str], path: str) -> Job:
        ds = self.dataset(tid, did)
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise bad_body("the body must be a JSON object")
        fmt = export.check_format(q.get("exportFormat"))
        encoding = q.get("encoding") or q.get("resultEncoding")
        export.maybe_gzip(b"", encoding)
        bom, unix = _bool(q, "includeBOM", True), _line_endings(q)
        output = ((body.get("query") or {}).get("output") or {}) if isinstance(body.get("query") or {}, dict) else None
        if not isinstance(output, dict):
            raise bad_body("query.output must be an object with filter and projection", "$.query.output")
        on_demand = self._check_on_demand(ds, body.get("executeOnDemand"), required=False)
        frame = ds.frame
        selected, keys = export.select(ds, frame, output.get("filter"), output.get("projection"))

        def work() -> tuple[bytes, str]:
            rows = draft_ops.compute_on_demand(ds, selected, on_demand) if on_demand else selected
            return export.maybe_gzip(export.render(ds, rows, keys, fmt, bom=bom, unix=unix), encoding), export.content_type(fmt)

        return self.start_job(tid, "export", path, work, body)

    def sync_export(self, tid: str, did: str, q: dict[str, str]) -> tuple[bytes, str]:
        ds, frame = self.items_frame(tid, did)
        fmt = export.check_format(q.get("exportFormat"))
        return export.render(ds, frame, ds.keys(), fmt, bom=_bool(q, "includeBOM", True), unix=_line_endings(q)), export.content_type(fmt)

    def _check_on_demand(self, ds: Dataset, value: Any, *, required: bool) -> list[str]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
            raise bad_body("executeOnDemand must be a non-empty array of unique property keys", "$.executeOnDemand")
        configured = {p["key"] for p in ds.properties if p.get("onDemand") and p.get("formula")}
        for i, key in enumerate(value):
            if key not in configured:
                raise bad_body(f"{key!r} is not an on-demand property of this dataset (onDemand: true with a formula)", f"$.executeOnDemand[{i}]")
        return value

    def start_on_demand(self, tid: str, did: str, body: Any, path: str) -> Job:
        ds = self.dataset(tid, did)
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with executeOnDemand")
        keys = self._check_on_demand(ds, body.get("executeOnDemand"), required=True)

        def work() -> tuple[bytes, str]:
            with ds.lock:
                old = ds.frame
                frame = draft_ops.compute_on_demand(ds, old, keys)
                changed = pl.lit(False)
                for key in keys:
                    changed = changed | pl.col(key).ne_missing(old[key])
                mask = frame.select(changed.alias("c")).to_series()
                if mask.any():  # a recalculation that changes no value is not an item write
                    stamp = iso(self.now())
                    frame = frame.with_columns(pl.when(mask).then(pl.lit(stamp)).otherwise(pl.col("_modifiedAt")).alias("_modifiedAt"))
                    ds.set_frame(frame)
                    ds.last_transaction_id, ds.items_modified_at = self.txn_id(), stamp
                    self.store.save_items(tid, ds, frame.filter(mask)["_id"].to_list(), [])
            return orjson.dumps({"executeOnDemand": keys, "items": frame.height, "changed": int(mask.sum())}), "application/json; charset=UTF-8"

        return self.start_job(tid, "ondemand", path, work, body)

    def start_populate(self, tid: str, lid: str, body: Any, token: str | None, path: str) -> Job:
        links = self.dataset(tid, lid, links=True)
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with sourceDatasetId and targetDatasetAutoId")
        source = body.get("sourceDatasetId")
        if source != links.config["fromDatasetId"]:
            raise bad_body("sourceDatasetId must be the links dataset's fromDatasetId", "$.sourceDatasetId")
        src = self.dataset(tid, source)
        target_key, alloc_key = body.get("targetDatasetAutoId"), body.get("allocationId")
        if target_key not in src.types():
            raise bad_body("targetDatasetAutoId must be a property of the source dataset", "$.targetDatasetAutoId")
        if alloc_key is not None and alloc_key not in src.types():
            raise bad_body("allocationId must be a property of the source dataset", "$.allocationId")
        opts = ImportOptions(mode="links", fail_on_invalid=False, implicit_delete=True)
        access = self.access_for(tid, links, token)

        def work() -> tuple[bytes, str]:
            actions = draft_ops.populate_actions(src, target_key, alloc_key)
            outcome = self.run_transaction(tid, links, [actions], opts, access)
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.start_job(tid, "populate", path, work, body)

    # -- drafts ------------------------------------------------------------------------------------

    def seed_draft(self, tid: str, body: Any) -> Draft:
        tenant = self.tenant(tid)
        draft = draft_ops.parse_seed(body, self.new_id(), iso(self.now()), USER)
        self.dataset(tid, draft.dataset_id)
        with self.lock:
            tenant.drafts[draft.id] = draft
        self.store.save_draft(tid, draft)
        return draft

    def get_draft(self, tid: str, draft_id: str) -> Draft:
        draft = self.tenant(tid).drafts.get(draft_id)
        if draft is None:
            raise not_found("draft", draft_id, f"{tid}/drafts/{draft_id}")
        return draft

    def query_drafts(self, tid: str, body: Any) -> list[dict[str, Any]]:
        return draft_ops.query(list(self.tenant(tid).drafts.values()), body)

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

    def start_draft_actions(self, tid: str, body: Any, q: dict[str, str], path: str) -> Job:
        layers, scheme = self.draft_layers(tid, body)
        encoding = q.get("encoding") or q.get("resultEncoding")
        export.maybe_gzip(b"", encoding)

        def work() -> tuple[bytes, str]:
            return export.maybe_gzip(orjson.dumps(draft_ops.fold(layers, scheme)), encoding), "application/json; charset=UTF-8"

        return self.start_job(tid, "draftActions", path, work, body)

    def start_draft_apply(self, tid: str, did: str, body: Any, q: dict[str, str], token: str | None, path: str) -> Job:
        ds = self.dataset(tid, did)
        layers, scheme = self.draft_layers(tid, body)
        for i, (draft, _) in enumerate(layers):
            if draft.dataset_id != did:
                raise bad_body(f"draft {draft.id} belongs to another dataset", f"$.layers[{i}].draftId")
        base = self.import_options(q, ds, links=ds.is_links)
        access = self.access_for(tid, ds, token)

        def work() -> tuple[bytes, str]:
            actions = draft_ops.fold(layers, scheme)
            mode = "links" if ds.is_links else ("_id" if all("_id" in a for a in actions) else "autoId")
            opts = ImportOptions(mode, (ds.config["autoId"],) if mode == "autoId" else (), base.fail_on_invalid,
                                 base.fail_on_denied, base.skip_denied_property, False, base.tokens)
            outcome = self.run_transaction(tid, ds, [actions], opts, access)
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.start_job(tid, "draftApply", path, work, body)

    def clear_drafts(self, tid: str, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with layers")
        layers = draft_ops.parse_layers(body.get("layers"))
        out = []
        for draft_id, key in layers:
            draft = self.tenant(tid).drafts.get(draft_id)
            if draft is None or key not in draft.layers:
                out.append({"status": "failed", "draftId": draft_id, "layerKey": key})
                continue
            ds = self.dataset(tid, draft.dataset_id)
            draft.layers[key] = draft_ops.clear_layer(draft.layers[key], body.get("filter"), ds.types())
            draft.modified_at = iso(self.now())
            self.store.save_draft(tid, draft)
            out.append({"status": "success", "draftId": draft_id, "layerKey": key})
        return out

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


def transaction_failed(outcome: Outcome) -> ApiError:
    failed = sum(1 for item in outcome.items if item["_status"] == "failed")
    return ApiError(400, "400800", "TransactionFailed",
                    f"{failed} item operation(s) failed validation or access checks; nothing was applied", items=outcome.items)


def _result_url(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("resultLocation"), dict):
        url = body["resultLocation"].get("url")
        return url if isinstance(url, str) and url else None
    return None


def _bool(q: dict[str, str], name: str, default: bool = False) -> bool:
    value = q.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise bad_query(name, f"{name} must be true or false, got {value!r}")
    return value.lower() == "true"


def _choice(q: dict[str, str], name: str, options: tuple[str, str]) -> str:
    value = q.get(name) or options[0]
    if value not in options:
        raise bad_query(name, f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def _line_endings(q: dict[str, str]) -> bool:
    return _choice(q, "lineEndings", ("windows", "unix")) == "unix"


def _id_mode(q: dict[str, str], ds: Dataset) -> tuple[str, tuple[str, ...]]:
    """Which identification mode the query asks for; only one of autoId, idKey, mergeKey."""
    auto = _bool(q, "autoId")
    chosen = [name for name, on in (("autoId", auto), ("idKey", bool(q.get("idKey"))), ("mergeKey", bool(q.get("mergeKey")))) if on]
    if len(chosen) > 1:
        raise bad_query(chosen[1], f"use only one of autoId, idKey and mergeKey (got {', '.join(chosen)})")
    if not chosen:
        return "_id", ()
    if chosen[0] == "autoId":
        return "autoId", (ds.config["autoId"],)
    keys = tuple(k.strip() for k in q[chosen[0]].split(",") if k.strip())
    unknown = [k for k in keys if k not in ds.types()]
    if not keys or unknown:
        raise bad_query(chosen[0], f"{chosen[0]} must name properties of the dataset (unknown: {', '.join(unknown) or 'none given'})")
    return chosen[0], keys


def render_dataset(ds: Dataset, tenant: Tenant, base: str) -> dict[str, Any]:
    """The documented dataset resource (with items bookkeeping, drafts and linking relationships)."""
    api = f"{base}/api/v1/{tenant.id}"
    out: dict[str, Any] = {"datasetId": ds.id, "cacheKey": ds.cache_key, "createdAt": ds.created_at, "createdBy": ds.created_by,
                           "modifiedAt": ds.modified_at, "modifiedBy": ds.modified_by}
    out.update({k: v for k, v in ds.config.items()})
    out["items"] = {"lastTransactionId": ds.last_transaction_id, "modifiedAt": ds.items_modified_at, "count": ds.frame.height}
    out["drafts"] = [{"draftId": d.id, "name": d.name, "_links": {"draft:retrieve": {"url": f"{api}/drafts/{d.id}", "method": "GET", "type": "application/json; charset=UTF-8"}}}
                     for d in tenant.drafts.values() if d.dataset_id == ds.id]
    out["linkingRelationships"] = _relationships(ds, tenant, api)
    json_type = "application/json; charset=UTF-8"
    links = {"self": {"url": f"{api}/datasets/{ds.id}", "method": "GET", "type": json_type}}
    for fmt in export.FORMATS:
        links[f"dataset:export:{fmt}"] = {"url": f"{api}/datasets/{ds.id}/export?exportFormat={fmt}", "method": "POST", "type": json_type}
    out["_links"] = links
    return out


def _relationships(ds: Dataset, tenant: Tenant, api: str) -> list[dict[str, Any]]:
    out = []
    for links in tenant.datasets.values():
        if not links.is_links or ds.id not in (links.id, links.config["fromDatasetId"], links.config["toDatasetId"]):
            continue
        ends = {}
        for role, key in (("source", "fromDatasetId"), ("target", "toDatasetId")):
            other = tenant.datasets.get(links.config[key])
            if other is not None:
                ends[role] = {"name": other.config["name"], "datasetId": other.id, "type": other.config["type"],
                              "_links": {"dataset:retrieve": {"url": f"{api}/datasets/{other.id}", "method": "GET", "type": "application/json; charset=UTF-8"}}}
        out.append({"datasetId": links.id, "name": links.config["name"], "type": "LINKS", **ends,
                    "_links": {"export": {"url": f"{api}/datasets/{ds.id}/export", "method": "POST", "contentType": "application/json; charset=UTF-8",
                                          "jsonBody": {"dataset": {"linkingRelationships": [{"datasetId": links.id}]}}}}})
    return out


def render_job(job: Job, base: str) -> dict[str, Any]:
    api = f"{base}/api/v1/{job.tenant}"
    links: dict[str, Any] = {"self": {"url": f"{api}/jobs/{job.id}", "contentType": "application/json; charset=UTF-8", "type": "jobTicket"}}
    out: dict[str, Any] = {"_links": links, "jobStatus": job.status, "_createdAt": job.created_at, "_createdBy": USER,
                           "_modifiedAt": job.modified_at, "X-Amzn-Trace-Id": f"Root=1-{job.id.replace('-', '').lower()[:24]}"}
    if job.errors:
        out["errors"] = job.errors
    return out


__all__ = ["Emulator", "render_dataset", "render_job", "iso", "json_expr", "storage_dtype"]
