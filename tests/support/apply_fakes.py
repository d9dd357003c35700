"""A recording stand-in for OrgvueClient, for executor tests that need exact control of answers."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson

from orgsync.api.answers import Dataset, DatasetSummary
from orgsync.api.http import ClientStats
from orgsync.errors import ApiError, JobFailedError


@dataclass
class FakeClient:
    """Answers every write with success unless told otherwise; `calls` lists (method, dataset id, detail)."""

    datasets: dict[str, dict] = field(default_factory=dict)  # id -> resource
    fail_items: dict[str, str] = field(default_factory=dict)  # key value -> failure name (skipped)
    fail_calls: set[str] = field(default_factory=set)  # dataset ids whose item calls raise ApiError
    fail_item_calls: set[int] = field(default_factory=set)  # the n-th item calls (1-based) raise ApiError
    failing_jobs: int = 0  # this many import jobs fail before they succeed
    together: int = 0  # when set, the first calls wait until this many are in flight at once (a barrier)
    calls: list[tuple] = field(default_factory=list)
    stats: ClientStats = field(default_factory=ClientStats)
    in_flight: int = 0
    max_in_flight: int = 0
    on_import: Callable[[int], Awaitable[None]] | None = None  # awaited as each import starts (test hook)
    files: int = 0  # import files received already encoded
    on_call: Callable[[], None] | None = None  # told of every call as it is made
    _all_in: asyncio.Event | None = None

    async def _enter(self) -> None:
        self.stats.requests += 1
        if self.on_call is not None:
            self.on_call()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.together:
                self._all_in = self._all_in or asyncio.Event()
                if self.in_flight >= self.together:
                    self._all_in.set()
                # a bound against a hang (fewer calls than `together` can ever be in flight), never a timing test
                await asyncio.wait_for(self._all_in.wait(), 60)
            else:
                await asyncio.sleep(0)
        finally:
            self.in_flight -= 1

    async def get_dataset(self, dataset_id: str) -> Dataset:
        self.calls.append(("get", dataset_id))
        await self._enter()
        return Dataset.model_validate(self.datasets[dataset_id])

    async def find_datasets(self, name: str, type: str | None = None) -> list[DatasetSummary]:
        return [DatasetSummary.model_validate(d) for d in self.datasets.values() if d["name"] == name]

    async def list_datasets(self) -> list[DatasetSummary]:
        return [DatasetSummary.model_validate(d) for d in self.datasets.values()]

    async def create_dataset(self, body: dict) -> Dataset:
        self.calls.append(("create", body["name"]))
        await self._enter()
        new = {
            "datasetId": f"ID-{body['name']}",
            "name": body["name"],
            "properties": body.get("properties", []),
        }
        self.datasets[new["datasetId"]] = new
        return Dataset.model_validate(new)

    async def create_links(self, body: dict) -> Dataset:
        self.calls.append(("create-links", body["name"], body["fromDatasetId"], body["toDatasetId"]))
        await self._enter()
        new = {"datasetId": f"ID-{body['name']}", "name": body["name"], "type": "LINKS"}
        self.datasets[new["datasetId"]] = new
        return Dataset.model_validate(new)

    async def update_dataset(self, dataset_id: str, body: dict, delete_omitted: bool = False) -> dict:
        self.calls.append(("patch", dataset_id, body, delete_omitted))
        await self._enter()
        return self.datasets.get(dataset_id, {})

    update_links = update_dataset

    async def put_items(
        self, dataset_id, actions, *, links=False, params=None, retry_safe=None
    ) -> list[dict]:
        return await self._items("put", dataset_id, actions, params)

    async def import_items(
        self, dataset_id, actions, *, links=False, params=None, retry_safe=None, timeout=None, gzipped=None
    ):
        if self.on_import is not None:
            await self.on_import(len(self.calls))
        actions = list(actions)  # the executor passes a view that encodes each action as it is read
        if gzipped is not None:  # a file encoded ahead must hold exactly these actions
            assert orjson.loads(gzip.decompress(gzipped)) == orjson.loads(orjson.dumps(actions))
            self.files += 1
        if self.failing_jobs:
            self.failing_jobs -= 1
            self.calls.append(("import-failed", dataset_id))
            raise JobFailedError("job /jobs/1 failed: InternalServerError (50001): boom")
        return await self._items("import", dataset_id, actions, params)

    async def _items(self, how, dataset_id, actions, params) -> list[dict]:
        decoded = orjson.loads(orjson.dumps(actions))
        self.calls.append((how, dataset_id, decoded, dict(params or {})))
        await self._enter()
        self.stats.bytes_sent += len(orjson.dumps(actions))
        if (
            dataset_id in self.fail_calls
            or sum(c[0] in ("put", "import") for c in self.calls) in self.fail_item_calls
        ):
            raise ApiError("PUT items: 500 InternalServerError", status=500)
        out = []
        for a in decoded:
            key = next(v for k, v in a.items() if k != "_action")
            if str(key) in self.fail_items:
                out.append(
                    {
                        "_id": "X",
                        "_action": a["_action"],
                        "_status": "skipped",
                        "_failures": [
                            {"name": self.fail_items[str(key)], "code": 400803, "message": "denied"}
                        ],
                    }
                )
            else:
                out.append({"_id": "X", "_action": a["_action"], "_status": "success"})
        return out

    async def run_ondemand(self, dataset_id, properties, timeout=None) -> dict:
        self.calls.append(("ondemand", dataset_id, list(properties)))
        return {"jobStatus": "completed"}

    async def populate_links(self, links_id, body, timeout=None) -> dict:
        self.calls.append(("populate", links_id, body))
        return {"jobStatus": "completed"}
