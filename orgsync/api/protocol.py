"""The Orgvue API as the engine depends on it: Protocols that `OrgvueClient` (and any stand-in) satisfies.

`state/` reads through a `TenantReader`, `apply/` writes through a `TenantApi`; neither names the concrete
client, so only `commands/` chooses and opens one (see `orgsync.api.target`). Dataset answers come as the frozen
models of `orgsync.api.answers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson

from orgsync.api.answers import Dataset, DatasetSummary
from orgsync.api.files import Download
from orgsync.api.http import ClientStats

JsonObject = dict[str, Any]  # a JSON object as the API sends or takes it
ItemAction = JsonObject | orjson.Fragment  # one item action, as an object or already encoded (apply.actions)


class TenantReader(Protocol):
    """What reading the live tenant needs: the dataset list, full resources, bulk item exports."""

    async def list_datasets(self) -> list[DatasetSummary]: ...

    async def get_dataset(self, dataset_id: str, resource: DatasetSummary | None = None) -> Dataset: ...

    async def export_csv_file(
        self,
        dataset_id: str,
        path: Path,
        *,
        projection: list[str] | None = None,
        resource: DatasetSummary | None = None,
        timeout: float | None = None,
    ) -> Download: ...


class TenantApi(TenantReader, Protocol):
    """What applying a plan needs besides reading: dataset and item writes, jobs, and the call counters."""

    @property
    def stats(self) -> ClientStats: ...

    async def find_datasets(self, name: str, type: str | None = None) -> list[DatasetSummary]: ...

    async def create_dataset(self, body: JsonObject) -> Dataset: ...

    async def update_dataset(
        self, dataset_id: str, body: JsonObject, delete_omitted: bool = False
    ) -> JsonObject: ...

    async def create_links(self, body: JsonObject) -> Dataset: ...

    async def update_links(
        self, links_id: str, body: JsonObject, delete_omitted: bool = False
    ) -> JsonObject: ...

    async def put_items(
        self,
        dataset_id: str,
        actions: Sequence[ItemAction],
        *,
        links: bool = False,
        params: dict[str, Any] | None = None,
        retry_safe: bool | None = None,
    ) -> list[JsonObject]: ...

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
    ) -> list[JsonObject]: ...

    async def run_ondemand(
        self, dataset_id: str, properties: list[str], timeout: float | None = None
    ) -> JsonObject: ...

    async def populate_links(
        self, links_id: str, body: JsonObject, timeout: float | None = None
    ) -> JsonObject: ...
