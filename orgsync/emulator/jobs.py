"""Background jobs (jobTickets) and the asynchronous operations run as jobs: import, export, on-demand, populate."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import polars as pl

from orgsync.emulator import callbacks, export, locations, params
from orgsync.emulator import drafts as draft_ops
from orgsync.emulator.errors import ApiError, bad_body, internal
from orgsync.emulator.faults import FaultBook
from orgsync.emulator.files import GET_URL_FIELD, RESULT_TTL, Storage
from orgsync.emulator.items import Items, transaction_failed
from orgsync.emulator.model import USER, Dataset, Job
from orgsync.emulator.payload import iter_actions
from orgsync.emulator.state import State
from orgsync.emulator.timefmt import iso
from orgsync.emulator.transaction import ImportOptions

POLL_PREFIX = "/_storage/jobs/"  # presigned job status URLs: storage, outside the API base


class JobRunner:
    """Runs work in its own pool: created → running → completed | failed; results become files."""

    def __init__(
        self, state: State, storage: Storage, items: Items, faults: FaultBook, log: callbacks.CallbackLog
    ) -> None:
        self.state, self.storage, self.items, self.faults, self.log = state, storage, items, faults, log
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emulator-job")

    def start_job(
        self,
        tid: str,
        kind: str,
        path: str,
        base: str,
        work: Callable[[], tuple[bytes, str]],
        body: Any = None,
    ) -> Job:
        """Create a jobTicket and run `work` in the job pool: created → running → completed | failed.

        `base` is the URL the client called (scheme://host:port), for the jobTicket a callback carries.
        """
        callback = callbacks.parse_callback(body, allow_remote=self.state.settings.allow_remote_callbacks)
        result_url = locations.result_url(body)
        stamp = iso(self.state.now())
        job = Job(self.state.new_id(), tid, kind, path, stamp, stamp)
        job.poll_expires = self.state.now() + self.state.settings.poll_url_ttl
        with self.state.lock:
            self.state.jobs[job.id] = job
        self.state.store.save_job(job)
        behaviour = self.faults.job_fault(path)
        release = self.faults.release
        created = dataclasses.replace(job)  # the ticket as created, before the pool picks it up
        self.pool.submit(self._run_job, job, work, behaviour, release, result_url, callback, base)
        return created

    def _run_job(
        self,
        job: Job,
        work: Callable[[], tuple[bytes, str]],
        behaviour: str | None,
        release: threading.Event,
        result_url: str | None,
        callback: callbacks.Callback | None,
        base: str,
    ) -> None:
        self._execute(job, work, behaviour, release, result_url)
        if (
            callback is not None
        ):  # after the final state is saved, so the receiver can poll the job and see it
            outcome = callbacks.send(callback, callback.url(job.status, job.trace_id, job.tenant, job.kind))
            self.log.add({"jobId": job.id, "tenantId": job.tenant, "jobStatus": job.status, **outcome})

    def _execute(
        self,
        job: Job,
        work: Callable[[], tuple[bytes, str]],
        behaviour: str | None,
        release: threading.Event,
        result_url: str | None,
    ) -> None:
        """Run the work and end the job completed or failed; never raises."""
        self._job_state(job, "running")
        try:
            if behaviour == "hang":
                release.wait()
                raise ApiError(
                    500, "50002", "JobAbandoned", "the job was stopped by the emulator (hang fault cleared)"
                )
            if behaviour == "fail":
                raise internal(
                    "There was an internal error. If the issue persists you should contact support@orgvue.com."
                )
            data, ctype = work()
            if result_url:
                self.storage.deliver(result_url, data)
            f = self.storage.new_file_record(job.tenant, "json", "identity", RESULT_TTL, data)
            job.result_file, job.result_content_type = f.id, ctype
            self._job_state(job, "completed")
        except ApiError as exc:
            job.errors = exc.body()["errors"]
            self._job_state(job, "failed")
        except Exception as exc:  # noqa: BLE001 - a job must end failed, never vanish
            job.errors = internal(f"the job failed: {type(exc).__name__}: {exc}").body()["errors"]
            self._job_state(job, "failed")

    def _job_state(self, job: Job, status: str) -> None:
        job.status, job.modified_at = status, iso(self.state.now())
        self.state.store.save_job(job)

    def start_import(
        self,
        tid: str,
        did: str,
        body: Any,
        q: dict[str, str],
        token: str | None,
        path: str,
        base: str,
        *,
        links: bool,
    ) -> Job:
        ds = self.state.dataset(tid, did, links=links or None)
        url = locations.import_url(body)
        opts = params.import_options(q, ds, links=links)
        access = self.items.access_for(tid, ds, token)

        def work() -> tuple[bytes, str]:
            outcome = self.items.run_transaction(
                tid, ds, iter_actions(*self.storage.fetch_url(url)), opts, access
            )
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.start_job(tid, "import", path, base, work, body)

    def start_export(self, tid: str, did: str, body: Any, q: dict[str, str], path: str, base: str) -> Job:
        ds = self.state.dataset(tid, did)
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise bad_body("the body must be a JSON object")
        fmt = export.check_format(q.get("exportFormat"))
        encoding = q.get("encoding") or q.get("resultEncoding")
        export.maybe_gzip(b"", encoding)
        bom, unix = params.flag(q, "includeBOM", True), params.line_endings(q)
        output = (
            ((body.get("query") or {}).get("output") or {})
            if isinstance(body.get("query") or {}, dict)
            else None
        )
        if not isinstance(output, dict):
            raise bad_body("query.output must be an object with filter and projection", "$.query.output")
        on_demand = self._check_on_demand(ds, body.get("executeOnDemand"), required=False)
        frame = ds.frame
        selected, keys = export.select(
            ds, frame, output.get("filter"), output.get("projection"), mode=output.get("projectionMode")
        )

        def work() -> tuple[bytes, str]:
            rows = draft_ops.compute_on_demand(ds, selected, on_demand) if on_demand else selected
            return export.maybe_gzip(
                export.render(ds, rows, keys, fmt, bom=bom, unix=unix), encoding
            ), export.content_type(fmt)

        return self.start_job(tid, "export", path, base, work, body)

    def _check_on_demand(self, ds: Dataset, value: Any, *, required: bool) -> list[str]:
        if value is None and not required:
            return []
        if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
            raise bad_body(
                "executeOnDemand must be a non-empty array of unique property keys", "$.executeOnDemand"
            )
        configured = {p["key"] for p in ds.properties if p.get("onDemand") and p.get("formula")}
        for i, key in enumerate(value):
            if key not in configured:
                raise bad_body(
                    f"{key!r} is not an on-demand property of this dataset (onDemand: true with a formula)",
                    f"$.executeOnDemand[{i}]",
                )
        return value

    def start_on_demand(self, tid: str, did: str, body: Any, path: str, base: str) -> Job:
        ds = self.state.dataset(tid, did)
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
                    stamp = iso(self.state.now())
                    frame = frame.with_columns(
                        pl.when(mask)
                        .then(pl.lit(stamp))
                        .otherwise(pl.col("_modifiedAt"))
                        .alias("_modifiedAt")
                    )
                    ds.set_frame(frame)
                    ds.last_transaction_id, ds.items_modified_at = self.state.txn_id(), stamp
                    self.state.store.save_items(tid, ds, frame.filter(mask)["_id"].to_list(), [])
            return orjson.dumps(
                {"executeOnDemand": keys, "items": frame.height, "changed": int(mask.sum())}
            ), "application/json; charset=UTF-8"

        return self.start_job(tid, "ondemand", path, base, work, body)

    def start_populate(self, tid: str, lid: str, body: Any, token: str | None, path: str, base: str) -> Job:
        links = self.state.dataset(tid, lid, links=True)
        if not isinstance(body, dict):
            raise bad_body("the body must be an object with sourceDatasetId and targetDatasetAutoId")
        source = body.get("sourceDatasetId")
        if source != links.config["fromDatasetId"]:
            raise bad_body("sourceDatasetId must be the links dataset's fromDatasetId", "$.sourceDatasetId")
        src = self.state.dataset(tid, source)
        target_key, alloc_key = body.get("targetDatasetAutoId"), body.get("allocationId")
        if target_key not in src.types():
            raise bad_body(
                "targetDatasetAutoId must be a property of the source dataset", "$.targetDatasetAutoId"
            )
        if alloc_key is not None and alloc_key not in src.types():
            raise bad_body("allocationId must be a property of the source dataset", "$.allocationId")
        opts = ImportOptions(mode="links", fail_on_invalid=False, implicit_delete=True)
        access = self.items.access_for(tid, links, token)

        def work() -> tuple[bytes, str]:
            actions = draft_ops.populate_actions(src, target_key, alloc_key)
            outcome = self.items.run_transaction(tid, links, [actions], opts, access)
            if outcome.failed:
                raise transaction_failed(outcome)
            return orjson.dumps(outcome.items), "application/json; charset=UTF-8"

        return self.start_job(tid, "populate", path, base, work, body)

    def ticket_json(self, job: Job, base: str) -> dict[str, Any]:
        """The jobTicket as the API returns it, with the result download link once completed."""
        out = render_job(job, base, self.poll_url(job, base))
        result = (
            self.state.files.get(job.result_file) if job.status == "completed" and job.result_file else None
        )
        if result is not None:
            url = self.storage.file_urls(result, base)[GET_URL_FIELD]
            out["_links"]["result"] = {
                "url": url,
                "contentType": job.result_content_type,
                "type": "downloadLink",
            }
        return out

    def poll_url(self, job: Job, base: str) -> str:
        """The job's presigned status URL (D/working/async/: `$._links.self.url` "will point to a presigned url
        location where your jobTicket status updates will arrive"): storage, not an API path; no Authorization;
        it stops working at `job.poll_expires` (D/working/security/: presigned URLs "expire after a short
        period")."""
        expires = int(job.poll_expires)
        sig = poll_signature(self.state.secret, job.id, expires)
        return f"{base}{POLL_PREFIX}{job.id}?expires={expires}&sig={sig}"

    def open_poll(self, job_id: str, expires: str | None, sig: str | None) -> Job:
        """The job behind a presigned status URL; S3-like errors (`StorageError`) when it is not valid or
        expired."""
        job = self.state.jobs.get(job_id)
        if job is None:
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        if (
            not expires
            or not expires.isdigit()
            or not sig
            or not hmac.compare_digest(sig, poll_signature(self.state.secret, job_id, int(expires)))
        ):
            raise StorageError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self.state.now() >= int(expires):
            raise StorageError(403, "AccessDenied", "Request has expired")
        return job


def poll_signature(secret: bytes, job_id: str, expires: int) -> str:
    return hmac.new(secret, f"job:{job_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


class StorageError(Exception):
    """An answer of the storage host in front of presigned URLs: S3's XML error, not Orgvue's error JSON."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message></Error>"
        ).encode()


def render_job(job: Job, base: str, self_url: str) -> dict[str, Any]:
    links: dict[str, Any] = {
        "self": {
            "url": self_url,
            "contentType": "application/json; charset=UTF-8",
            "type": "jobTicket",
        }
    }
    out: dict[str, Any] = {
        "_links": links,
        "jobStatus": job.status,
        "_createdAt": job.created_at,
        "_createdBy": USER,
        "_modifiedAt": job.modified_at,
        "X-Amzn-Trace-Id": job.trace_id,
    }
    if job.errors:
        out["errors"] = job.errors
    return out
