"""The `_access` field of items GET and query, derived from the emulator's access rules and the caller's token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator_api import Api

pytestmark = pytest.mark.anyio


@pytest.fixture
async def staff(api: Api) -> str:
    did = await api.create_people()
    await api.seed(
        did, [{"emp": "1", "dept": "Eng"}, {"emp": "2", "dept": "Ops"}, {"emp": "3", "dept": "Eng"}]
    )
    return did


async def deny(api: Api, **rule: Any) -> None:
    r = await api.c.post(f"/_emulator/tenants/{api.tenant}/access", json=rule)
    assert r.status_code == 201, r.text


async def access_by_emp(api: Api, did: str, token: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await api.c.get(f"{api.base}/datasets/{did}/items", headers=headers)
    assert r.status_code == 200, r.text
    return {i["emp"]: i["_access"] for i in r.json()}


async def query(api: Api, did: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    r = await api.c.post(f"{api.base}/datasets/{did}/items/query", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_every_item_may_be_deleted_without_rules(api: Api, staff: str) -> None:
    assert await access_by_emp(api, staff) == {"1": "Item.delete", "2": "Item.delete", "3": "Item.delete"}


async def test_an_item_rule_makes_matching_items_read_only(api: Api, staff: str) -> None:
    await deny(api, items={"dept": "Eng"})
    assert await access_by_emp(api, staff) == {"1": "Item.read", "2": "Item.delete", "3": "Item.read"}
    # the value agrees with what a write does: the Item.read item is denied, the Item.delete one is deleted
    r = await api.put(
        staff,
        [{"_action": "delete", "emp": "1"}, {"_action": "delete", "emp": "2"}],
        autoId="true",
        onItemAccessDenied="skipAction",
    )
    assert [i["_status"] for i in r.json()] == ["skipped", "success"]


async def test_a_property_rule_leaves_the_item_deletable(api: Api, staff: str) -> None:
    await deny(api, properties=["dept"])
    assert await access_by_emp(api, staff) == {"1": "Item.delete", "2": "Item.delete", "3": "Item.delete"}


async def test_rules_for_another_token_or_dataset_do_not_apply(api: Api, staff: str) -> None:
    await deny(api, items={"emp": "2"}, token="robot")
    await deny(api, items={"emp": "1"}, datasetId="00000000-0000-0000-0000-000000000000")
    assert await access_by_emp(api, staff) == {"1": "Item.delete", "2": "Item.delete", "3": "Item.delete"}
    assert await access_by_emp(api, staff, token="robot") == {
        "1": "Item.delete",
        "2": "Item.read",
        "3": "Item.delete",
    }


async def test_query_returns_access_only_when_projected(api: Api, staff: str) -> None:
    await deny(api, items={"emp": "3"})
    out = await query(api, staff, {"filter": {"dept": "Eng"}})
    assert [sorted(k for k in i if k.startswith("_")) for i in out] == [["_id"], ["_id"]]
    out = await query(
        api, staff, {"filter": {"dept": "Eng"}, "projection": {"emp": 1, "_access": 1, "_id": 0}}
    )
    assert out == [{"emp": "1", "_access": "Item.delete"}, {"emp": "3", "_access": "Item.read"}]


async def test_query_can_filter_on_access(api: Api, staff: str) -> None:
    await deny(api, items={"dept": "Ops"})
    out = await query(api, staff, {"filter": {"_access": "Item.read"}, "projection": {"emp": 1, "_id": 0}})
    assert out == [{"emp": "2"}]
