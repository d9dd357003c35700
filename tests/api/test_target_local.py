"""The `local` target: the embedded emulator in-process, its state kept in <root>/.orgsync/ between runs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from orgsync.api.target import open_client
from orgsync.manifest.models import Project, ProjectConfig

BODY = {
    "type": "PEOPLE",
    "autoId": "emp",
    "labelId": "emp",
    "properties": [{"key": "emp", "name": "E", "type": "text", "isRequired": True}],
}


def local_project(root: Path) -> Project:
    return Project(
        root=root, config_file=root / "orgsync.yaml", config=ProjectConfig(tenant="ACME"), manifests=[]
    )


@pytest.mark.anyio
async def test_local_needs_no_token_and_keeps_state_between_runs(tmp_path):
    project = local_project(tmp_path)
    async with open_client(project, env={}) as first:
        assert isinstance(first._core._http._transport, httpx.ASGITransport)  # in-process, no socket
        people = (await first.create_dataset({"name": "People", **BODY})).datasetId
        await first.put_items(people, [{"_action": "create", "emp": "E1"}], params={"autoId": True})
    assert (tmp_path / ".orgsync" / "tenant.db").is_file()

    async with open_client(project, env={}) as second:
        other = (await second.create_dataset({"name": "Other", **BODY})).datasetId
        await second.put_items(people, [{"_action": "create", "emp": "E2"}], params={"autoId": True})
        listed = {d.name: d.datasetId for d in await second.list_datasets()}
        items = await second.list_items(people)
    # a later run never reuses an id handed out by an earlier one
    assert listed == {"People": people, "Other": other} and other != people
    assert sorted(i["emp"] for i in items) == ["E1", "E2"] and len({i["_id"] for i in items}) == 2
