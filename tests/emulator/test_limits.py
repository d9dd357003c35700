"""The emulator's usage limits (D/rate-limit-quota/, D/items/general-usage/), on the admin clock so they are exact."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from orgsync.emulator.app import create_app
from orgsync.emulator.limits import Limits

pytestmark = pytest.mark.anyio
BASE = "/api/v1/ACME"


async def _client(limits: Limits | None = None) -> httpx.AsyncClient:
    app = create_app(limits=limits)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")
    (await client.post("/_emulator/clock", json={"freeze": True})).raise_for_status()
    return client


@pytest.fixture
async def frozen() -> AsyncIterator[httpx.AsyncClient]:
    client = await _client()
    yield client
    await client.aclose()


async def test_the_limits_are_the_documented_ones_by_default(frozen: httpx.AsyncClient) -> None:
    snapshot = (await frozen.get("/_emulator/limits")).json()
    assert snapshot["limits"] == {
        "rps": 100,
        "inFlight": 50,
        "dailyQuota": 500_000,
        "syncPutMaxBytes": 6_000_000,
    }


async def test_the_101st_request_in_one_second_is_throttled_and_the_next_second_is_free(
    frozen: httpx.AsyncClient,
) -> None:
    statuses = [(await frozen.get(f"{BASE}/datasets")).status_code for _ in range(100)]
    assert statuses == [200] * 100
    refused = await frozen.get(f"{BASE}/datasets")
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "42901"
    assert refused.json()["errors"][0]["name"] == "Throttled"
    other = await frozen.get("/api/v1/OTHER/datasets")  # the limit is per tenant
    assert other.status_code == 200
    await frozen.post("/_emulator/clock", json={"advanceSeconds": 0.999})
    assert (await frozen.get(f"{BASE}/datasets")).status_code == 429  # still within the same second
    await frozen.post("/_emulator/clock", json={"advanceSeconds": 0.001})
    assert (await frozen.get(f"{BASE}/datasets")).status_code == 200
    usage = (await frozen.get("/_emulator/limits")).json()["tenants"]["ACME"]
    assert usage["today"] == 101 and usage["throttled"] == 2  # refused requests count against nothing


async def test_the_51st_request_in_flight_is_throttled() -> None:
    client = await _client()
    await client.post("/_emulator/faults", json={"path": "/datasets$", "method": "GET", "hold": True})
    held = [asyncio.create_task(client.get(f"{BASE}/datasets")) for _ in range(50)]
    for _ in range(10_000):  # wait (by event-loop turns, not time) until all 50 are inside the emulator
        usage = (await client.get("/_emulator/limits")).json()["tenants"].get("ACME", {})
        if usage.get("inFlight") == 50:
            break
        await asyncio.sleep(0)
    assert usage["inFlight"] == 50
    refused = await client.get(f"{BASE}/datasets")
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (429, "42901")
    assert "Concurrency limit" in refused.json()["errors"][0]["message"]
    await client.delete("/_emulator/faults")  # releases the held requests
    assert [r.status_code for r in await asyncio.gather(*held)] == [200] * 50
    usage = (await client.get("/_emulator/limits")).json()["tenants"]["ACME"]
    assert (usage["inFlight"], usage["peakInFlight"]) == (0, 50)
    await client.aclose()


async def test_the_daily_quota_refuses_with_42902_until_the_next_utc_day() -> None:
    client = await _client(Limits(rps=0, in_flight=0, daily_quota=3))
    now = (await client.post("/_emulator/clock", json={"advanceSeconds": 0})).json()["now"]
    to_midnight = 86_400 - now % 86_400
    assert [(await client.get(f"{BASE}/datasets")).status_code for _ in range(3)] == [200] * 3
    refused = await client.get(f"{BASE}/datasets")
    assert refused.status_code == 429
    assert refused.json()["errors"][0] == {
        "code": "42902",
        "name": "QuotaExceeded",
        "message": "The daily request quota of this tenant (3 requests) is used up.",
    }
    await client.post("/_emulator/clock", json={"advanceSeconds": to_midnight - 0.5})
    assert (await client.get(f"{BASE}/datasets")).status_code == 429
    await client.post("/_emulator/clock", json={"advanceSeconds": 0.5})
    assert (await client.get(f"{BASE}/datasets")).status_code == 200
    await client.aclose()


async def test_a_sync_put_over_6_mb_is_refused_with_413_and_one_of_6_mb_is_accepted(
    frozen: httpx.AsyncClient,
) -> None:
    created = await frozen.post(
        f"{BASE}/datasets",
        json={
            "name": "People",
            "type": "PEOPLE",
            "autoId": "emp",
            "labelId": "emp",
            "properties": [
                {"key": "emp", "type": "text", "isRequired": True},
                {"key": "note", "type": "text"},
            ],
        },
    )
    did = created.json()["datasetId"]

    def body(size: int) -> bytes:  # 5,000 wide rows, the last one padded to make exactly `size` bytes
        rows = [row % (i, "x" * 1000) for i in range(5_000)]
        text = "[" + ",".join(rows) + "]"
        rows[-1] = row % (4_999, "x" * (1000 + size - len(text)))
        return ("[" + ",".join(rows) + "]").encode()

    row = '{"_action":"createOrUpdate","emp":"E%d","note":"%s"}'
    over, limit = body(6_000_001), body(6_000_000)
    assert (len(over), len(limit)) == (6_000_001, 6_000_000)
    refused = await frozen.put(
        f"{BASE}/datasets/{did}/items",
        content=over,
        params={"autoId": "true"},
        headers={"Content-Type": "application/json"},
    )
    # the gateway's 413, not Orgvue's error JSON (third edition: 41301 is not a documented code)
    assert refused.status_code == 413
    assert refused.json() == {"message": "Request Too Long"} and "errors" not in refused.json()
    assert len((await frozen.get(f"{BASE}/datasets/{did}/items")).json()) == 0  # nothing applied
    accepted = await frozen.put(
        f"{BASE}/datasets/{did}/items",
        content=limit,
        params={"autoId": "true"},
        headers={"Content-Type": "application/json"},
    )
    assert accepted.status_code == 200, accepted.text[:300]


async def test_limits_can_be_changed_and_turned_off_through_the_admin_api(frozen: httpx.AsyncClient) -> None:
    changed = (await frozen.post("/_emulator/limits", json={"rps": 2, "dailyQuota": 0})).json()["limits"]
    assert changed == {"rps": 2, "inFlight": 50, "dailyQuota": 0, "syncPutMaxBytes": 6_000_000}
    assert [(await frozen.get(f"{BASE}/datasets")).status_code for _ in range(3)] == [200, 200, 429]
    bad = await frozen.post("/_emulator/limits", json={"rps": -1})
    assert bad.status_code == 400
    assert (await frozen.post("/_emulator/limits", json={"burst": 1})).status_code == 400


async def test_admin_and_presigned_file_requests_do_not_count(frozen: httpx.AsyncClient) -> None:
    await frozen.post("/_emulator/limits", json={"rps": 1})
    for _ in range(5):
        assert (await frozen.get("/_emulator/requests")).status_code == 200
    assert (await frozen.get(f"{BASE}/datasets")).status_code == 200


async def test_a_fault_can_answer_with_a_documented_code_and_rename_answer_fields(
    frozen: httpx.AsyncClient,
) -> None:
    await frozen.post(
        "/_emulator/faults",
        json={
            "path": "/datasets$",
            "status": 403,
            "code": "40345",
            "name": "TenantUsagePlanNotConfigured",
            "count": 1,
        },
    )
    refused = (await frozen.get(f"{BASE}/datasets")).json()["errors"][0]
    assert (refused["code"], refused["name"]) == ("40345", "TenantUsagePlanNotConfigured")
    await frozen.post(
        "/_emulator/faults", json={"path": "/datasets$", "method": "POST", "rename": {"datasetId": "id"}}
    )
    created = await frozen.post(
        f"{BASE}/datasets",
        json={
            "name": "P",
            "type": "PEOPLE",
            "autoId": "emp",
            "labelId": "emp",
            "properties": [{"key": "emp", "type": "text", "isRequired": True}],
        },
    )
    assert created.status_code == 201
    assert "id" in created.json() and "datasetId" not in created.json()
    assert (
        await frozen.post("/_emulator/faults", json={"code": "40345"})
    ).status_code == 400  # needs a status
