"""`OrgvueClient`: the Orgvue API as async methods; it satisfies `api.protocol.TenantApi` (reader and executor).

Every path and field name comes from `orgsync.api.endpoints`. Reads and idempotent writes are retried;
creates are not blindly repeated: when a create's answer is lost, the dataset is looked up by name first.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from orgsync.api import answers, files
from orgsync.api import endpoints as ep
from orgsync.api.answers import Dataset, DatasetSummary, checked, parsed
from orgsync.api.bounded import Clock
from orgsync.api.budget import TenantBudget
from orgsync.api.http import (
    CallListener,
    CallRecord,
    ClientStats,
    HttpCore,
    collect_trace_ids,
    is_maybe_applied,
)
from orgsync.api.jobs import JobPolling, wait_job
from orgsync.api.protocol import ItemAction, JsonObject
from orgsync.api.retry import RetryPolicy
from orgsync.errors import ApiError, PollExpiredError
from orgsync.limits import ResourceLimits


class OrgvueClient:
    """Async client of one tenant. Use as `async with OrgvueClient(...) as c:`; safe to share across tasks."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        token: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_rps: float | None = None,
        *,
        timeout: httpx.Timeout | None = None,
        polling: JobPolling | None = None,
        target_label: str | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_call: CallListener | None = None,
        limits: ResourceLimits | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        """`on_call` is called with each `CallRecord` as the attempt completes (`log` keeps them all);
        `limits` bound answer sizes and each request's overall deadline (on `clock`)."""
        self._core = HttpCore(
            base_url,
            tenant,
            token,
            transport=transport,
            retry=retry,
            max_rps=max_rps,
            timeout=timeout,
            sleep=sleep,
            on_call=on_call,
            limits=limits,
            clock=clock,
        )
        self.polling = polling or JobPolling()
        self.tenant = tenant
        self.base_url = self._core.base_url
        self.target_label = target_label or f"Target: {self.base_url} · tenant {tenant}"

    def __repr__(self) -> str:
        return f"OrgvueClient({self.base_url!r}, tenant={self.tenant!r})"

    async def __aenter__(self) -> OrgvueClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._core.aclose()

    @property
    def stats(self) -> ClientStats:
        return self._core.stats

    @property
    def log(self) -> list[CallRecord]:
        return self._core.log

    @property
    def http(self) -> HttpCore:
        """The HTTP core under this client, for diagnostics that need raw answers (`orgsync doctor`)."""
        return self._core

    def collect_trace_ids(self) -> contextlib.AbstractContextManager[list[str]]:
        """A block in which the X-Amzn-Trace-Id of every answer (this task's) is collected, for reports."""
        return collect_trace_ids()

    @property
    def budget(self) -> TenantBudget:
        """The tenant's request budget every worker of this client shares (in flight, rate, quota)."""
        return self._core.budget

    # --- datasets -------------------------------------------------------------------------------
    async def list_datasets(self) -> list[DatasetSummary]:
        """Every dataset of the tenant (summary: datasetId, name, type, _links)."""
        answer = await self._core.send_json("GET", ep.DATASETS, retry_safe=True) or []
        return parsed(answers.DATASET_LIST, answer, f"GET {ep.DATASETS}")

    async def get_dataset(self, dataset_id: str, resource: DatasetSummary | None = None) -> Dataset:
        """The full dataset resource: properties, items.lastTransactionId, drafts, cacheKey.

        `resource` (a listed dataset) lets the call follow its `dataset:retrieve` link when one is given.
        """
        url = self._core.link(_fields(resource), ep.LINK_RETRIEVE) or ep.path(ep.DATASET, id=dataset_id)
        answer = await self._core.send_json("GET", url, retry_safe=True)
        return parsed(answers.Dataset, answer, f"GET {ep.path(ep.DATASET, id=dataset_id)}")

    async def find_datasets(self, name: str, type: str | None = None) -> list[DatasetSummary]:
        """Listed datasets with exactly this name (and type, when given)."""
        found = [d for d in await self.list_datasets() if d.name == name]
        return [d for d in found if type is None or d.type == type]

    async def create_dataset(self, body: JsonObject) -> Dataset:
        """POST a new dataset; a lost answer is resolved by name before any retry, so never a duplicate."""
        return await self._create(ep.DATASETS, body, body.get(ep.F_TYPE))

    async def update_dataset(
        self, dataset_id: str, body: JsonObject, delete_omitted: bool = False
    ) -> JsonObject:
        """PATCH-merge a dataset (same body twice = same state: retry-safe)."""
        return _object(
            await self._core.send_json(
                "PATCH",
                ep.path(ep.DATASET, id=dataset_id),
                retry_safe=True,
                json=body,
                params={ep.Q_DELETE_OMITTED: delete_omitted},
            )
        )

    async def create_links(self, body: JsonObject) -> Dataset:
        """POST a new links dataset, with the same duplicate guard as `create_dataset`."""
        return await self._create(ep.LINKS, body, answers.LINKS_TYPE)

    async def update_links(self, links_id: str, body: JsonObject, delete_omitted: bool = False) -> JsonObject:
        """PATCH-merge a links dataset."""
        return _object(
            await self._core.send_json(
                "PATCH",
                ep.path(ep.LINKS_ONE, id=links_id),
                retry_safe=True,
                json=body,
                params={ep.Q_DELETE_OMITTED: delete_omitted},
            )
        )

    async def _create(self, path: str, body: JsonObject, type: str | None) -> Dataset:
        """Create once; on a maybe-applied failure, adopt the dataset now found by name, else try again."""
        name = body.get(ep.F_NAME, "")
        attempt = 1
        while True:
            try:
                answer = await self._core.send_json("POST", path, retry_safe=False, json=body)
                return parsed(answers.Dataset, answer, f"POST {path}")
            except ApiError as err:
                if not is_maybe_applied(err) or attempt >= self._core.retry.attempts:
                    raise
            await self._core.pause_for_retry(
                self._core.retry.backoff(attempt)
            )  # let a slow create land first
            found = await self.find_datasets(name, type)
            if len(found) == 1:
                return await self.get_dataset(found[0].datasetId)
            if len(found) > 1:
                raise ApiError(
                    f"after a lost answer, the tenant has {len(found)} datasets named {name!r}",
                    hint="pin the intended one with `datasetId:` in its manifest",
                )
            attempt += 1

    # --- items ----------------------------------------------------------------------------------
    async def put_items(
        self,
        dataset_id: str,
        actions: Sequence[ItemAction],
        *,
        links: bool = False,
        params: dict[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> list[JsonObject]:
        """Synchronous item operations -> per-item `{_id,_action,_status[,_failures]}` results.

        `retry_safe=None` infers it: safe when every action is idempotent (no plain `create`).
        """
        template = ep.LINKS_ITEMS if links else ep.DATASET_ITEMS
        safe = _actions_retry_safe(actions) if retry_safe is None else retry_safe
        answer = (
            await self._core.send_json(
                "PUT",
                ep.path(template, id=dataset_id),
                retry_safe=safe,
                content=orjson.dumps(actions),
                params=params,
                headers={"Content-Type": ep.JSON_CONTENT_TYPE},
            )
            or []
        )
        return checked(answers.ITEM_RESULTS, answer, f"PUT {ep.path(template, id=dataset_id)}")

    async def import_items(
        self,
        dataset_id: str,
        actions: Sequence[ItemAction],
        *,
        links: bool = False,
        params: dict[str, Any] | None = None,
        retry_safe: bool | None = None,
        timeout: float | None = None,
        gzipped: bytes | None = None,
    ) -> list[JsonObject]:
        """Asynchronous import: gzip upload to a temporary file, import job, poll, download the results.

        `gzipped` is the file already encoded (the gzip JSON array of `actions`), so a caller can build it
        beforehand, off the event loop."""
        temp = await files.create_temporary(self._core, "json", gzipped=True)
        await files.upload(
            self._core, temp, gzipped if gzipped is not None else files.gzip_bytes(orjson.dumps(actions))
        )
        template = ep.LINKS_ITEMS_IMPORT if links else ep.DATASET_ITEMS_IMPORT
        safe = _actions_retry_safe(actions) if retry_safe is None else retry_safe
        ticket = await self._core.send_json(
            ep.IMPORT_METHOD,
            ep.path(template, id=dataset_id),
            retry_safe=safe,
            json=ep.import_body(temp.get_url),
            params=params,
        )
        try:
            done = await self.wait_job(ticket, timeout)
        except PollExpiredError as expired:
            raise import_outcome_unknown(dataset_id, expired) from None
        result_url = self._core.link(done, ep.LINK_RESULT)
        if not result_url:
            return []
        data = await files.download(self._core, result_url)
        try:
            results = orjson.loads(data) if data.strip() else []
        except orjson.JSONDecodeError:
            raise ApiError(
                f"the import result of dataset {dataset_id} is not JSON ({len(data)} bytes)"
            ) from None
        return checked(answers.ITEM_RESULTS, results, f"the import result of dataset {dataset_id}")

    async def export_csv(
        self,
        dataset_id: str,
        *,
        projection: list[str] | None = None,
        resource: DatasetSummary | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """All items as CSV bytes in memory (small datasets, tests); bulk reads use `export_csv_to`."""
        buffer = io.BytesIO()
        await self.export_csv_to(
            dataset_id, buffer, projection=projection, resource=resource, timeout=timeout
        )
        return buffer.getvalue()

    async def export_csv_to(
        self,
        dataset_id: str,
        dest: IO[bytes],
        *,
        projection: list[str] | None = None,
        resource: DatasetSummary | None = None,
        timeout: float | None = None,
    ) -> int:
        """All items as CSV written into `dest` via the async export (gzip result, unpacked as it is copied),
        limited to `projection` keys in order; the bytes written. Nothing of the export is held in memory.

        `resource` (a listed or retrieved dataset) lets the export follow its HATEOAS link when one is given.
        """
        url = await self._export_result(dataset_id, projection, resource, timeout)
        return await files.download_to(self._core, url, dest)

    async def export_csv_file(
        self,
        dataset_id: str,
        path: Path,
        *,
        projection: list[str] | None = None,
        resource: DatasetSummary | None = None,
        timeout: float | None = None,
    ) -> files.Download:
        """All items as CSV, written to the file `path` as the service sends them (gzip, or plain when the
        service ignores the request for gzip), for `files.open_download` to unpack as it reads, under the
        download limit; as `export_csv_to` otherwise. A big export is so written once, not packed then unpacked."""
        url = await self._export_result(dataset_id, projection, resource, timeout)
        return await files.download_file(self._core, url, path)

    async def _export_result(
        self,
        dataset_id: str,
        projection: list[str] | None,
        resource: DatasetSummary | None,
        timeout: float | None,
    ) -> str:
        """Run an export job of `dataset_id` (gzip CSV, limited to `projection`) to its end; its result URL."""
        linked = self._core.link(_fields(resource), ep.LINK_EXPORT_CSV)  # its URL names the format already
        url = linked or ep.path(ep.DATASET_EXPORT, id=dataset_id)
        for attempt in range(1, EXPORT_ATTEMPTS + 1):
            ticket = await self._core.send_json(
                "POST",
                url,
                retry_safe=True,
                json=ep.export_body(projection),
                params=ep.export_params(None if linked else "csv", gzip=True),
            )
            try:
                done = await self.wait_job(ticket, timeout)
                break
            except PollExpiredError as expired:
                # D/working/security/: a presigned URL that expired means "you must repeat your request";
                # an export reads only, so it is simply asked for again
                if attempt == EXPORT_ATTEMPTS:
                    raise PollExpiredError(
                        f"the export of dataset {dataset_id} outlived its status URL {attempt} times: {expired.message}",
                        status=expired.status,
                        trace_id=expired.trace_id,
                        hint="the tenant may be slow to export this dataset now: try again later, or report it "
                        "to Orgvue support with the trace id",
                    ) from None
        result_url = self._core.link(done, ep.LINK_RESULT)
        if not result_url:
            raise ApiError(f"the export job of dataset {dataset_id} completed without a result link")
        return result_url

    async def list_items(self, dataset_id: str) -> list[JsonObject]:
        """All items as JSON objects (small datasets only; bulk reads use `export_csv_to`)."""
        answer = (
            await self._core.send_json("GET", ep.path(ep.DATASET_ITEMS, id=dataset_id), retry_safe=True) or []
        )
        return checked(answers.ITEMS, answer, f"GET {ep.path(ep.DATASET_ITEMS, id=dataset_id)}")

    async def query_items(
        self,
        dataset_id: str,
        filter: JsonObject | None = None,
        projection: list[str] | JsonObject | None = None,
    ) -> list[JsonObject]:
        """Items matching a MongoDB-style filter, with only the projected properties."""
        answer = (
            await self._core.send_json(
                "POST",
                ep.path(ep.DATASET_ITEMS_QUERY, id=dataset_id),
                retry_safe=True,
                json=ep.query_body(filter, projection),
            )
            or []
        )
        return checked(answers.ITEMS, answer, f"POST {ep.path(ep.DATASET_ITEMS_QUERY, id=dataset_id)}")

    # --- drafts, on-demand, links population ------------------------------------------------------
    async def query_drafts(
        self, filter: JsonObject | None = None, projection: list[str] | JsonObject | None = None
    ) -> list[JsonObject]:
        """Drafts of the tenant (filter on name, description or createdBy)."""
        answer = await self._core.send_json(
            "POST", ep.DRAFTS_QUERY, retry_safe=True, json=ep.query_body(filter, projection)
        )
        return answer if isinstance(answer, list) else [answer] if answer else []

    async def get_draft(self, draft_id: str) -> JsonObject:
        return _object(await self._core.send_json("GET", ep.path(ep.DRAFT, id=draft_id), retry_safe=True))

    async def draft_actions(
        self, layers: list[dict[str, str]], draft: JsonObject | None = None, timeout: float | None = None
    ) -> list[JsonObject]:
        """The draft layers folded (`distinct`) into item actions: the async job's result, downloaded.

        `draft` (a retrieved draft) lets the call follow its `draft:actions` link when one is given.
        """
        url = self._core.link(draft, ep.LINK_DRAFT_ACTIONS) or ep.DRAFTS_ACTIONS
        ticket = await self._core.send_json(
            "POST",
            url,
            retry_safe=True,
            json={ep.F_LAYERS: layers, ep.F_FOLD_SCHEME: ep.FOLD_DISTINCT},
            params={ep.Q_ENCODING: "gzip"},
        )
        done = await self.wait_job(ticket, timeout)
        result_url = self._core.link(done, ep.LINK_RESULT)
        if not result_url:
            raise ApiError("the draft actions job completed without a result link")
        data = await files.download(self._core, result_url)
        try:
            actions = orjson.loads(data) if data.strip() else []
        except orjson.JSONDecodeError:
            raise ApiError(f"the draft actions result is not JSON ({len(data)} bytes)") from None
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise ApiError("the draft actions result is not an array of item actions")
        return actions

    async def clear_drafts(
        self, layers: list[dict[str, str]], filter: JsonObject | None = None
    ) -> list[JsonObject]:
        """Clear the layers' actions matching `filter` (every action without one); per layer `{status,...}`."""
        body: JsonObject = {ep.F_LAYERS: layers}
        if filter is not None:
            body[ep.F_FILTER] = filter
        answer = await self._core.send_json("POST", ep.DRAFTS_CLEAR, retry_safe=True, json=body) or []
        if not isinstance(answer, list) or not all(isinstance(a, dict) for a in answer):
            raise ApiError(
                f"expected an array of {{status, draftId, layerKey}} from POST {ep.DRAFTS_CLEAR}",
                hint="report this answer to Orgvue support",
            )
        return answer

    async def run_ondemand(
        self, dataset_id: str, properties: list[str], timeout: float | None = None
    ) -> JsonObject:
        """Recalculate on-demand properties and wait for the job (recomputing twice is harmless)."""
        ticket = await self._core.send_json(
            "POST",
            ep.path(ep.DATASET_ONDEMAND, id=dataset_id),
            retry_safe=True,
            json={ep.F_EXECUTE_ON_DEMAND: list(properties)},
        )
        return await self.wait_job(ticket, timeout)

    async def populate_links(
        self, links_id: str, body: JsonObject, timeout: float | None = None
    ) -> JsonObject:
        """Populate a links dataset from its source dataset (create-or-replace: retry-safe) and wait."""
        ticket = await self._core.send_json(
            "POST", ep.path(ep.LINKS_POPULATE, id=links_id), retry_safe=True, json=body
        )
        return await self.wait_job(ticket, timeout)

    async def wait_job(self, ticket: JsonObject, timeout: float | None = None) -> JsonObject:
        """Poll a job ticket to completion; JobFailedError when it fails or exceeds the timeout."""
        return await wait_job(self._core, ticket, self.polling, timeout)


EXPORT_ATTEMPTS = 3  # an export whose status URL expires is asked for again, at most this often


def import_outcome_unknown(dataset_id: str, expired: PollExpiredError) -> PollExpiredError:
    """An import whose status URL expired before it ended: what to check, since its outcome cannot be read.

    No page documents another way to learn a job's end (the callback needs a server the run does not have, and a
    `resultLocation` is a presigned URL that expires too); the dataset itself tells: `items.lastTransactionId`
    moves when the import lands, and the next plan shows what the tenant holds."""
    return PollExpiredError(
        f"the import into dataset {dataset_id} outlived its status URL, so whether it completed is unknown "
        f"(it may still be running): {expired.message}",
        status=expired.status,
        trace_id=expired.trace_id,
        hint="wait for it to finish, then run `orgsync plan`: it shows what the tenant holds now (the dataset's "
        "items.lastTransactionId moves when the import lands) and what is still to apply; the item actions are "
        "safe to apply again. Orgvue support can trace the job by its trace id",
    )


def _actions_retry_safe(actions: Sequence[ItemAction]) -> bool:
    """Whether re-sending these actions after a lost answer leaves the same end state (unknown: no)."""
    return all(isinstance(a, dict) and a.get(ep.F_ACTION) in ep.IDEMPOTENT_ACTIONS for a in actions)


def _fields(resource: DatasetSummary | None) -> JsonObject | None:
    """A listed or retrieved dataset's answer as sent, whose `_links` a call may follow."""
    return resource.fields if resource is not None else None


def _object(answer: Any) -> JsonObject:
    """A JSON object answer (an empty body is an empty object); anything else is not what the API documents."""
    if answer is None:
        return {}
    if not isinstance(answer, dict):
        raise ApiError(
            f"expected a JSON object from the API, got {type(answer).__name__}",
            hint="report this answer to Orgvue support",
        )
    return answer
