"""A links dataset's ends without `fromDatasetId`/`toDatasetId` on its resource.

D/Dataset-operations/create-links-dataset/: the example answer of a links dataset create has no fromDatasetId or
toDatasetId (ENDPOINTS.md third edition): the engine reads the ends from `linkingRelationships` (D/egress/linking/),
and the emulator no longer invents the two fields.
"""

from __future__ import annotations

import httpx
import pytest

from orgsync.api.client import OrgvueClient
from orgsync.emulator.app import create_app
from orgsync.state.live_link_ends import live_link_ends

pytestmark = pytest.mark.anyio


def _dataset(name: str, type: str, key: str) -> dict[str, object]:
    props = [{"key": key, "type": "text", "isRequired": True}]
    return {"name": name, "type": type, "autoId": key, "labelId": key, "properties": props}


async def test_the_ends_are_read_from_linking_relationships() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with OrgvueClient("http://emulator", "ACME", None, transport=transport) as client:
        people = (await client.create_dataset(_dataset("People", "PEOPLE", "emp"))).datasetId
        positions = (await client.create_dataset(_dataset("Positions", "POSITIONS", "pos"))).datasetId
        created = await client.create_links(
            {"name": "People to Positions", "fromDatasetId": people, "toDatasetId": positions}
        )
        assert not {"fromDatasetId", "toDatasetId"} & set(created.fields)
        resource = await client.get_dataset(created.datasetId)
        assert not {"fromDatasetId", "toDatasetId"} & set(resource.fields)
        assert live_link_ends(resource.fields) == (people, positions)
