"""Run ordered steps against the tenant with asyncio workers, recording every call in an ApplyReport.

A step starts once every step it depends on has finished without a failed call (items the API skipped
one by one do not hold back the rest: they are reported by key). Up to `parallelism` steps run at once
over one shared client, whose token bucket enforces `--max-rps` across all of them. `stop()` (a signal) starts
nothing new and lets calls in flight finish; `abort()` cancels them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from orgsync.api.answers import Dataset
from orgsync.api.protocol import ItemAction, JsonObject, TenantApi
from orgsync.apply import bodies
from orgsync.apply.actions import ActionsView, Encoded, encode_waves
from orgsync.apply.batching import Batch, BatchLimits, Mode, make_batches
from orgsync.apply.importfile import import_file
from orgsync.apply.order import Step, StepKind
from orgsync.apply.report import ApplyReport, CallRecord, StepRecord, StepStatus, failures_from_results
from orgsync.errors import (
    JobFailedError,
    OrgsyncError,
    PayloadTooLargeError,
    PollExpiredError,
    QuotaExceededError,
    StalePlanError,
    StepError,
)
from orgsync.manifest.models import DatasetManifest, LinksDatasetManifest
from orgsync.manifest.property_types import property_types
from orgsync.plan.model import Action, ResourcePlan
from orgsync.state.snapshot import Fingerprint

# Query parameters of every item write: per-item outcomes instead of all-or-nothing, autoId keys,
# canonical dates. Never implicitDelete: deletes are explicit actions that the plan showed.
ITEM_PARAMS = {
    "onActionValidationFailure": "skipAction",
    "onItemAccessDenied": "skipAction",
    "onPropertyAccessDenied": "skipProperty",
    "dateFormat": "YYYY-MM-DD",
}
MAX_TRACE_IDS = 10  # per call in the report: enough to find it in Orgvue's logs (a job's polls add more)
JOB_ATTEMPTS = 3  # an import job that fails is re-run (its actions are safe to repeat) up to this many times


class Progress(Protocol):
    """Where the executor reports item progress (a rich bar on a TTY, nothing otherwise)."""

    def start(self, step: Step, total: int) -> None: ...
    def advance(self, step: Step, count: int) -> None: ...
    def finish(self, step: Step) -> None: ...


class NoProgress:
    def start(self, step: Step, total: int) -> None:
        pass

    def advance(self, step: Step, count: int) -> None:
        pass

    def finish(self, step: Step) -> None:
        pass


@dataclass(frozen=True)
class ExecOptions:
    """How the run goes: steps at once, and the batch thresholds (tests and benchmarks pick small ones)."""

    parallelism: int = 4
    limits: BatchLimits = BatchLimits()


class Executor:
    """Carries out the steps of one plan; `run()` returns the filled report (it never raises for API errors)."""

    def __init__(
        self,
        client: TenantApi,
        steps: list[Step],
        report: ApplyReport,
        options: ExecOptions = ExecOptions(),
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.steps = steps
        self.report = report
        self.options = options
        self.progress = progress or NoProgress()
        self._ids: dict[str, str] = {
            s.resource.name: s.resource.dataset_id for s in steps if s.resource.dataset_id
        }
        self._checked: set[str] = set()
        self._check_locks: dict[str, asyncio.Lock] = {}
        self._blocking: set[str] = set()  # steps whose failure holds back their dependents
        self._running: dict[asyncio.Task[None], Step] = {}
        self._halted: set[str] = set()  # steps that a stop request ended between two batches
        self._stop: str | None = None  # why the run was asked to stop (a signal), if it was
        self._abort: str | None = None  # why calls in flight were cancelled, if they were
        self._cut = False  # the stop left some step unfinished
        for step in steps:
            report.steps.append(StepRecord(step.id, step.address, step.kind.value, planned=step.item_count))

    async def run(self) -> ApplyReport:
        """Run every step that can run; dependents of a failed step are skipped, independent ones go on."""
        started = time.perf_counter()
        pending = list(self.steps)
        running = self._running
        try:
            while pending or running:
                if self._stop is None:
                    self._start_ready(pending, running)
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.pop(task)
                    if not task.cancelled():  # a step cancelled by abort() has recorded itself
                        task.result()
            if self._stop is not None:
                self._not_run(pending)
        except BaseException:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self.report.stopped = "interrupted before every step had finished"
            raise
        finally:
            self.report.seconds = round(time.perf_counter() - started, 3)
            self.report.stats = _stats(self.client)
        return self.report

    def stop(self, reason: str) -> None:
        """Start no new step or batch; what is in flight finishes. `reason` becomes the report's `stopped`."""
        if self._stop is None:
            self._stop = reason

    def _quota_stop(self, err: QuotaExceededError) -> None:
        """42902: retrying today cannot succeed, so the whole run stops at once (other workers' next request
        fails unsent); the report says so and what was and was not done."""
        trace = f", X-Amzn-Trace-Id {err.trace_id}" if err.trace_id else ""
        self._cut = True
        self.stop(
            f"stopped: the tenant's daily request quota is used up (42902 QuotaExceeded{trace}); it resets "
            "daily, so run `orgsync plan` and apply again tomorrow"
        )

    def abort(self, reason: str) -> None:
        """Cancel the calls in flight as well (after stop(): the grace period ran out, or a second signal)."""
        self.stop(reason)
        if self._abort is None and self._running:
            self._abort = reason
            for task in self._running:
                task.cancel()

    def _not_run(self, pending: list[Step]) -> None:
        """After a stop: steps never started stay pending, and the report says why the run ended early."""
        for step in pending:
            record = self.report.step(step.id)
            if record.status == StepStatus.PENDING:
                record.error = f"not run: {self._stop}"
                self._cut = True
        if self._cut:
            self.report.stopped = (
                self._stop if self._abort in (None, self._stop) else f"{self._stop}; {self._abort}"
            )

    def _start_ready(self, pending: list[Step], running: dict[asyncio.Task[None], Step]) -> None:
        """Start ready steps in order up to the parallelism; mark steps behind a failure as skipped."""
        for step in list(pending):
            blocker = next((d for d in step.after if d in self._blocking), None)
            if blocker:
                pending.remove(step)
                self._skip(step, blocker)
                continue
            if len(running) >= self.options.parallelism:
                continue
            if all(self.report.step(d).status in (StepStatus.DONE, StepStatus.PARTIAL) for d in step.after):
                pending.remove(step)
                running[asyncio.create_task(self._run_step(step))] = step

    def _skip(self, step: Step, blocker: str) -> None:
        record = self.report.step(step.id)
        record.status = StepStatus.SKIPPED
        record.error = f"not run: {blocker} did not finish"
        self._blocking.add(step.id)

    async def _run_step(self, step: Step) -> None:
        record = self.report.step(step.id)
        try:
            await self._check_fingerprint(step)
            await _HANDLERS[step.kind](self, step, record)
        except OrgsyncError as err:
            record.error = str(err)
            record.status = StepStatus.PARTIAL if record.applied else StepStatus.FAILED
            self._blocking.add(step.id)
            quota = err if isinstance(err, QuotaExceededError) else err.__cause__
            if isinstance(quota, QuotaExceededError):
                self._quota_stop(quota)
            return
        except asyncio.CancelledError:
            if self._abort is None:
                raise
            self._cut = True
            record.error = f"{self._abort}; the call in flight may or may not have been applied"
            record.status = StepStatus.PARTIAL if record.applied else StepStatus.FAILED
            raise
        if step.id in self._halted:  # stopped between batches: what was not sent is pending, not failed
            self._cut = True
            record.status = StepStatus.PARTIAL if record.applied else StepStatus.PENDING
        elif step.writes_items and record.failed:
            record.status = StepStatus.PARTIAL if record.applied else StepStatus.FAILED
        else:
            record.status = StepStatus.DONE

    # ---------------------------------------------------------------- staleness

    async def _check_fingerprint(self, step: Step) -> None:
        """Before the first write to a dataset that existed at plan time, it must be as the plan saw it."""
        res = step.resource
        if res.fingerprint is None or res.action == Action.CREATE:
            return
        lock = self._check_locks.setdefault(res.address, asyncio.Lock())
        async with lock:
            if res.address in self._checked:
                return
            live = await self.client.get_dataset(res.fingerprint.dataset_id)
            self._checked.add(res.address)
            problem = fingerprint_mismatch(res, live)
            if problem:
                raise StalePlanError(problem, hint="run `orgsync plan` again and review the new plan")

    # ---------------------------------------------------------------- configuration steps

    async def _create(self, step: Step, record: StepRecord) -> None:
        m = _manifest(step)
        if isinstance(m, LinksDatasetManifest):
            body = bodies.create_links_body(m, await self._id_of(m.from_), await self._id_of(m.to))
            created = await self._call(step, "create-links", self.client.create_links(body))
        else:
            assert isinstance(m, DatasetManifest)
            created = await self._call(
                step, "create-dataset", self.client.create_dataset(bodies.create_dataset_body(m))
            )
        self._ids[step.resource.name] = created.datasetId

    async def _update(self, step: Step, record: StepRecord) -> None:
        body = bodies.update_body(step.resource, step.manifest)
        if not body:
            return
        dataset_id = await self._id_of(step.resource.name)
        if step.is_links:
            await self._call(step, "update-links", self.client.update_links(dataset_id, body))
        else:
            await self._call(step, "update-dataset", self.client.update_dataset(dataset_id, body))

    async def _remove_properties(self, step: Step, record: StepRecord) -> None:
        dataset_id = await self._id_of(step.resource.name)
        live = await self.client.get_dataset(dataset_id)
        body = bodies.keep_properties_body(step.resource, list(live.fields.get("properties") or []))
        update = self.client.update_links if step.is_links else self.client.update_dataset
        await self._call(step, "remove-properties", update(dataset_id, body, delete_omitted=True))

    async def _ondemand(self, step: Step, record: StepRecord) -> None:
        """executeOnDemand after the dataset's writes; a failed job leaves the computed values stale."""
        m = _manifest(step)
        assert isinstance(m, DatasetManifest)
        keys = m.on_demand_keys
        dataset_id = await self._id_of(step.resource.name)
        try:
            await self._call(
                step,
                "ondemand",
                self.client.run_ondemand(dataset_id, keys),
                detail="executeOnDemand: " + ", ".join(keys),
            )
        except JobFailedError as err:
            raise StepError(
                f"on-demand recalculation of {', '.join(keys)} failed: {err.message}; the dataset's "
                "other changes were written, but these values were not recalculated",
                hint="fix the formula (a changed formula is recalculated by the next apply), or "
                "recalculate the property in Orgvue",
            ) from err

    async def _populate(self, step: Step, record: StepRecord) -> None:
        m = _manifest(step)
        assert isinstance(m, LinksDatasetManifest) and m.populate is not None
        body = {
            "sourceDatasetId": await self._id_of(m.populate.sourceDataset),
            "targetDatasetAutoId": m.populate.targetDatasetAutoId,
        }
        if m.populate.allocationId:
            body["allocationId"] = m.populate.allocationId
        links_id = await self._id_of(step.resource.name)
        await self._call(step, "populate", self.client.populate_links(links_id, body))

    async def _call(self, step: Step, name: str, call: Awaitable[Any], detail: str | None = None) -> Any:
        """Await one configuration call and record it."""
        with self._recorded(CallRecord(step.id, name, detail=detail)):
            return await call

    @contextlib.contextmanager
    def _recorded(self, record: CallRecord, failed_on_error: int = 0) -> Iterator[CallRecord]:
        """Time one call and add it to the report, marked failed or cancelled (outcome unknown) as it ends."""
        started = time.perf_counter()
        collect = getattr(self.client, "collect_trace_ids", None)  # fakes may not have it
        collected = collect() if collect is not None else contextlib.nullcontext([])
        record.trace_ids = collected.__enter__()
        try:
            yield record
        except OrgsyncError as err:
            record.ok, record.error = False, str(err)
            record.failed = failed_on_error
            raise
        except asyncio.CancelledError:
            record.ok, record.cancelled, record.error = False, True, "cancelled in flight: outcome unknown"
            raise
        finally:
            collected.__exit__(None, None, None)
            del record.trace_ids[MAX_TRACE_IDS:]
            record.seconds = round(time.perf_counter() - started, 3)
            self.report.calls.append(record)

    async def _id_of(self, name: str) -> str:
        """Dataset id by name: from the plan, from a create of this run, else looked up in the tenant."""
        if name not in self._ids:
            found = await self.client.find_datasets(name)
            if len(found) != 1:
                raise StepError(f"dataset {name!r}: expected one in the tenant, found {len(found)}")
            self._ids[name] = found[0].datasetId
        return self._ids[name]

    # ---------------------------------------------------------------- item steps

    async def _write_items(self, step: Step, record: StepRecord) -> None:
        items = step.resource.items
        assert items is not None
        types = property_types(_manifest(step))
        encoded = await asyncio.to_thread(encode_waves, step.waves, items, types)
        batches = make_batches(
            encoded.sizes, links=step.is_links, property_count=len(types), limits=self.options.limits
        )
        dataset_id = await self._id_of(step.resource.name)
        params = dict(ITEM_PARAMS) if step.is_links else {**ITEM_PARAMS, "autoId": "true"}
        self.progress.start(step, len(encoded))
        # Pipeline: the next import file is encoded (JSON + gzip, in a thread) while this one uploads and its job
        # runs; the jobs themselves stay one after another (see `_ImportFiles`).
        pending = _ImportFiles(encoded, batches)
        try:
            for i, batch in enumerate(batches):
                unsent = sum(b.count for b in batches[i + 1 :])
                if self._stop is not None:
                    record.failed += batch.count + unsent
                    record.error = f"{self._stop}: {batch.count + unsent} of {len(encoded)} actions not sent"
                    self._halted.add(step.id)
                    return
                payload = pending.file_for(i)
                counted = record.applied + record.failed  # a batch split after a 413 may count part of itself
                try:
                    await self._send_batch(step, record, dataset_id, encoded, batch, params, payload)
                except OrgsyncError as err:
                    record.failed += batch.count + unsent - (record.applied + record.failed - counted)
                    outcome = "outcome unknown" if isinstance(err, PollExpiredError) else "not applied"
                    raise StepError(
                        f"{err} ({batch.count + unsent} of {len(encoded)} actions {outcome})"
                    ) from err
                except asyncio.CancelledError:
                    record.failed += batch.count + unsent
                    raise
                finally:
                    payload = None  # this file's bytes go now, before the file after next is encoded
        finally:
            await pending.close()
            self.progress.finish(step)

    async def _send_batch(
        self,
        step: Step,
        record: StepRecord,
        dataset_id: str,
        encoded: Encoded,
        batch: Batch,
        params: dict[str, str],
        payload: asyncio.Task[bytes] | None = None,
    ) -> None:
        """One sync PUT or async import (its gzip file from `payload`); per-item outcomes go to the report by key.

        A sync PUT refused as too large (any 413, whatever its body) is split in two and sent again; a single
        action goes through the async import instead (the documented route for larger payloads)."""
        sync = batch.mode == Mode.SYNC
        call = CallRecord(
            step.id, "put-items" if sync else "import-items", actions=batch.count, bytes=batch.bytes
        )
        try:
            results = await self._send_once(step, call, dataset_id, encoded, batch, params, payload)
        except PayloadTooLargeError as err:
            for smaller in too_large_fallback(encoded, batch, err, step.is_links):
                await self._send_batch(step, record, dataset_id, encoded, smaller, params)
            return
        self._count_results(step, record, call, encoded, batch, results)

    async def _send_once(
        self,
        step: Step,
        call: CallRecord,
        dataset_id: str,
        encoded: Encoded,
        batch: Batch,
        params: dict[str, str],
        payload: asyncio.Task[bytes] | None,
    ) -> list[JsonObject]:
        with self._recorded(call, failed_on_error=batch.count):
            if batch.mode == Mode.SYNC:
                actions = [orjson.Fragment(b) for b in encoded.bodies(batch.start, batch.stop)]
                results = await self.client.put_items(
                    dataset_id, actions, links=step.is_links, params=params, retry_safe=True
                )
                del actions
            else:
                gzipped = await (payload or asyncio.to_thread(import_file, encoded, batch))
                results = await self._import(
                    dataset_id, ActionsView(encoded, batch.start, batch.stop), step.is_links, params, gzipped
                )
                del gzipped
        return results

    def _count_results(
        self,
        step: Step,
        record: StepRecord,
        call: CallRecord,
        encoded: Encoded,
        batch: Batch,
        results: list[JsonObject],
    ) -> None:
        items = step.resource.items
        assert items is not None
        failed = sum(1 for r in results if r.get("_status", "success") != "success")
        if failed:  # the keys (and bodies, to mask sensitive values) of this batch only, and only when needed
            sent = encoded.bodies(batch.start, batch.stop) if items.sensitive else None
            self.report.failures.extend(
                failures_from_results(
                    step.id,
                    results,
                    items.key,
                    encoded.keys(batch.start, batch.stop),
                    encoded.actions(batch.start, batch.stop),
                    items.sensitive,
                    sent,
                )
            )
        call.failed, call.succeeded = failed, batch.count - failed
        record.applied += call.succeeded
        record.failed += failed
        self.progress.advance(step, batch.count)

    async def _import(
        self,
        dataset_id: str,
        actions: Sequence[ItemAction],
        links: bool,
        params: dict[str, str],
        gzipped: bytes | None = None,
    ) -> list[JsonObject]:
        """Async import; a failed job is run again (the actions are safe to repeat)."""
        for attempt in range(1, JOB_ATTEMPTS + 1):
            try:
                return await self.client.import_items(
                    dataset_id, actions, links=links, params=params, retry_safe=True, gzipped=gzipped
                )
            except JobFailedError:
                if attempt == JOB_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")


def too_large_fallback(encoded: Encoded, batch: Batch, err: PayloadTooLargeError, links: bool) -> list[Batch]:
    """What to send instead of a batch the service refused as too large (413): a sync batch of several actions
    in two halves (each may be split again), a single sync action through the async import; a single action
    the import refuses too is too large for Orgvue at all, and the error names its item."""
    if batch.mode == Mode.SYNC and batch.count > 1:
        mid = batch.start + batch.count // 2
        return [
            Batch(Mode.SYNC, batch.start, mid, _json_bytes(encoded, batch.start, mid)),
            Batch(Mode.SYNC, mid, batch.stop, _json_bytes(encoded, mid, batch.stop)),
        ]
    if batch.mode == Mode.SYNC:
        return [Batch(Mode.ASYNC, batch.start, batch.stop, batch.bytes)]
    if batch.count == 1:
        key = ", ".join("" if v is None else str(v) for v in encoded.keys(batch.start, batch.stop)[0])
        raise StepError(
            f"the {'link' if links else 'item'} {key!r} is too large for Orgvue: its action is {batch.bytes:,} "
            f"bytes of JSON and both the synchronous request and the async import refused it ({err.status})",
            hint="shorten its longest values in the source, or leave that column out of the manifest",
        ) from err
    raise err


def _json_bytes(encoded: Encoded, start: int, stop: int) -> int:
    """Size of the JSON array of actions `start:stop` (see batching._split)."""
    return 2 + sum(encoded.sizes[start:stop]) + (stop - start - 1)


class _ImportFiles:
    """The import files of one step's async batches, each encoded in a thread one batch ahead of its upload.

    Jobs into one dataset are still run one after another: the API documents no order between concurrent
    imports into one dataset, and a step's batches must land in order (a later wave may name items of an
    earlier one). Encoding is what overlaps: file i+1 is built while file i uploads and its job runs, so at
    most two files are held at a time: `file_for` hands a file over (this holds it no more), and the executor
    drops it once its batch was sent, before it takes the next one (which starts the encoding of the one after).
    """

    def __init__(self, encoded: Encoded, batches: list[Batch]) -> None:
        self._encoded, self._batches = encoded, batches
        self._tasks: dict[int, asyncio.Task[bytes]] = {}

    def _start(self, index: int) -> None:
        if (
            index < len(self._batches)
            and self._batches[index].mode == Mode.ASYNC
            and index not in self._tasks
        ):
            self._tasks[index] = asyncio.create_task(
                asyncio.to_thread(import_file, self._encoded, self._batches[index])
            )

    def file_for(self, index: int) -> asyncio.Task[bytes] | None:
        """The file of batch `index` (None for a sync batch), with the next one's encoding started."""
        self._start(index)
        self._start(index + 1)
        return self._tasks.pop(index, None)

    async def close(self) -> None:
        """Cancel the encodings not taken (the step stopped early)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()


def fingerprint_mismatch(res: ResourcePlan, live: Dataset) -> str | None:
    """A message naming what changed since the plan read the dataset, or None when it is unchanged."""
    recorded = res.fingerprint
    if recorded is None:
        return None
    now = Fingerprint.of(live)
    changed = [
        f
        for f, a, b in (
            ("cacheKey", recorded.cache_key, now.cache_key),
            ("items.lastTransactionId", recorded.last_transaction_id, now.last_transaction_id),
        )
        if a != b
    ]
    if not changed:
        return None
    return (
        f"the plan is stale: {res.address} ({recorded.dataset_id}) changed in the tenant since it was planned "
        f"({', '.join(changed)} differ); nothing more was written to it"
    )


def _manifest(step: Step) -> DatasetManifest | LinksDatasetManifest:
    if step.manifest is None:
        raise StepError(f"{step.address}: no manifest for this resource in the repository")
    return step.manifest


def _stats(client: TenantApi) -> dict[str, int]:
    stats = client.stats
    return {
        "requests": stats.requests,
        "retries": stats.retries,
        "bytes_sent": stats.bytes_sent,
        "bytes_received": stats.bytes_received,
    }


_HANDLERS: dict[StepKind, Callable[[Executor, Step, StepRecord], Awaitable[None]]] = {
    StepKind.CREATE_DATASET: Executor._create,
    StepKind.UPDATE_DATASET: Executor._update,
    StepKind.UPSERT_ITEMS: Executor._write_items,
    StepKind.DELETE_ITEMS: Executor._write_items,
    StepKind.REMOVE_PROPERTIES: Executor._remove_properties,
    StepKind.RUN_ONDEMAND: Executor._ondemand,
    StepKind.POPULATE_LINKS: Executor._populate,
}
