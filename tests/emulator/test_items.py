"""Items import: actions × identification modes, failure policies, access rules, tokens, dates, atomicity."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator_api import Api

pytestmark = pytest.mark.anyio
ROWS = [
    {"emp": "1", "name": "Ana", "salary": 100, "dept": "A"},
    {"emp": "2", "name": "Bob", "salary": 200, "dept": "B"},
    {"emp": "3", "name": "Caz", "salary": 300, "dept": "A"},
]


@pytest.fixture
async def people(api: Api) -> str:
    did = await api.create_people()
    await api.seed(did, ROWS)
    return did


def statuses(r: Any) -> list[str]:
    return [i["_status"] for i in r.json()]


async def test_every_action_by_autoid(api: Api, people: str) -> None:
    await api.seed(people, [{"emp": "6"}])
    r = await api.put(
        people,
        [
            {"_action": "create", "emp": "4", "name": "Dee"},
            {"_action": "update", "emp": "1", "salary": 110},
            {"_action": "replace", "emp": "2", "name": "Bo"},
            {"_action": "delete", "emp": "3"},
            {"_action": "createOrUpdate", "emp": "5", "name": "Eve"},
            {"_action": "createOrReplace", "emp": "4x", "name": "Fay"},
            {"_action": "noop", "emp": "6"},
        ],
        autoId="true",
    )
    assert r.status_code == 200, r.text
    assert statuses(r) == ["success"] * 7
    assert [i["_action"] for i in r.json()] == [
        "create",
        "update",
        "replace",
        "delete",
        "createOrUpdate",
        "createOrReplace",
        "noop",
    ]
    items = await api.by_emp(people)
    assert sorted(items) == ["1", "2", "4", "4x", "5", "6"]
    assert items["1"] == {
        "emp": "1",
        "name": "Ana",
        "salary": 110,
        "start": None,
        "active": None,
        "dept": "A",
    }
    assert items["2"] == {
        "emp": "2",
        "name": "Bo",
        "salary": None,
        "start": None,
        "active": None,
        "dept": None,
    }
    r = await api.put(
        people,
        [
            {"_action": "createOrUpdate", "emp": "5", "dept": "Z"},
            {"_action": "createOrReplace", "emp": "1", "name": "Ann"},
        ],
        autoId="true",
    )
    items = await api.by_emp(people)
    assert items["5"]["name"] == "Eve" and items["5"]["dept"] == "Z"
    assert items["1"] == {
        "emp": "1",
        "name": "Ann",
        "salary": None,
        "start": None,
        "active": None,
        "dept": None,
    }


async def test_identify_by_internal_id(api: Api, people: str) -> None:
    ids = {i["emp"]: i["_id"] for i in await api.items(people)}
    r = await api.put(
        people,
        [
            {"_action": "update", "_id": ids["1"], "name": "A1"},
            {"_action": "delete", "_id": ids["2"]},
            {"_action": "create", "emp": "9", "name": "New"},
            {"_action": "replace", "_id": ids["3"], "emp": "3"},
        ],
    )
    assert statuses(r) == ["success"] * 4
    assert r.json()[0]["_id"] == ids["1"]
    new_id = r.json()[2]["_id"]
    items = {i["_id"]: i for i in await api.items(people)}
    assert items[ids["1"]]["name"] == "A1" and ids["2"] not in items and items[new_id]["emp"] == "9"
    assert items[ids["3"]]["name"] is None


@pytest.mark.parametrize("action", ["createOrUpdate", "createOrReplace"])
async def test_actions_not_available_with_internal_id(api: Api, people: str, action: str) -> None:
    r = await api.put(people, [{"_action": action, "_id": "7918D0B4-24AC-8A3E-E21C-1302FAE4937E"}])
    assert r.status_code == 400
    item = r.json()["errors"][0]["items"][0]
    assert item["_status"] == "failed" and item["_failures"][0]["reason"] == "ActionNotAvailable"


async def test_idkey_identifies_by_other_properties(api: Api, people: str) -> None:
    r = await api.put(
        people, [{"_action": "update", "name": "Bob", "dept": "B", "salary": 250}], idKey="name,dept"
    )
    assert statuses(r) == ["success"]
    assert (await api.by_emp(people))["2"]["salary"] == 250
    r = await api.put(
        people,
        [{"_action": "update", "name": "Nobody", "dept": "B"}],
        idKey="name,dept",
        onActionValidationFailure="skipAction",
    )
    assert r.json()[0]["_failures"][0]["reason"] == "ItemNotFound"


async def test_an_integral_float_key_names_the_same_item_as_the_integer(api: Api, people: str) -> None:
    # salary is a number: 100.0 is the item stored with 100 (JSON writers differ on whether they send 100 or 100.0)
    r = await api.put(people, [{"_action": "update", "salary": 100.0, "name": "Ana Float"}], idKey="salary")
    assert r.status_code == 200 and statuses(r) == ["success"], r.text
    r = await api.put(people, [{"_action": "createOrUpdate", "salary": 200.0, "dept": "F"}], idKey="salary")
    assert statuses(r) == ["success"] and r.json()[0]["_action"] == "createOrUpdate"
    items = await api.by_emp(people)
    assert sorted(items) == ["1", "2", "3"]  # updated in place, nothing created
    assert (items["1"]["name"], items["2"]["dept"]) == ("Ana Float", "F")
    r = await api.put(
        people, [{"_action": "update", "salary": 300}, {"_action": "update", "salary": 300.0}], idKey="salary"
    )
    assert (
        r.status_code == 400
        and r.json()["errors"][0]["items"][1]["_failures"][0]["reason"] == "DuplicateIdentifier"
    )


async def test_mergekey_bulk_update_and_delete_only(api: Api, people: str) -> None:
    r = await api.put(people, [{"_action": "update", "dept": "A", "salary": 1}], mergeKey="dept")
    assert statuses(r) == ["success"]
    items = await api.by_emp(people)
    assert [items[e]["salary"] for e in ("1", "2", "3")] == [1, 200, 1]
    r = await api.put(people, [{"_action": "create", "dept": "C"}], mergeKey="dept")
    assert (
        r.status_code == 400
        and r.json()["errors"][0]["items"][0]["_failures"][0]["reason"] == "ActionNotAvailable"
    )
    r = await api.put(people, [{"_action": "delete", "dept": "A"}], mergeKey="dept")
    assert sorted(await api.by_emp(people)) == ["2"]


async def test_only_one_identification_mode(api: Api, people: str) -> None:
    r = await api.put(people, [], autoId="true", mergeKey="dept")
    assert r.status_code == 400 and r.json()["errors"][0]["queryParameter"] == "mergeKey"
    r = await api.put(people, [], idKey="nope")
    assert r.status_code == 400


INVALID = [
    ([{"_action": "update", "emp": "1"}, {"_action": "update", "emp": "1"}], "DuplicateIdentifier"),
    ([{"_action": "explode", "emp": "1"}], "UnsupportedAction"),
    ([{"emp": "1"}], "UnsupportedAction"),
    ([{"_action": "create", "emp": "1"}], "ItemAlreadyExists"),
    ([{"_action": "update", "emp": "404"}], "ItemNotFound"),
    ([{"_action": "delete", "emp": "404"}], "ItemNotFound"),
    ([{"_action": "update", "name": "no id"}], "MissingIdentifier"),
    ([{"_action": "update", "emp": "1", "_sortOrder": "first"}], "InvalidSortOrder"),
    ([{"_action": "update", "emp": "1", "salary": "lots"}], "InvalidPropertyValue"),
    ([{"_action": "update", "emp": "1", "bogus": 1}], "UnknownProperty"),
    (["not an object"], "InvalidItemOperation"),
]


@pytest.mark.parametrize("bad,reason", INVALID)
async def test_validation_failure_fails_the_whole_transaction(
    api: Api, people: str, bad: list[Any], reason: str
) -> None:
    before = await api.items(people)
    r = await api.put(people, [{"_action": "create", "emp": "7", "name": "ok"}, *bad], autoId="true")
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["name"] == "TransactionFailed"
    assert err["items"][0]["_status"] == "success"  # would have succeeded
    failed = [i for i in err["items"] if i["_status"] == "failed"]
    assert failed and all(f["_failures"][0]["code"] == 400803 for f in failed)
    assert failed[-1]["_failures"][0]["reason"] == reason
    assert await api.items(people) == before  # atomic: nothing applied


@pytest.mark.parametrize("bad,reason", INVALID)
async def test_skip_action_skips_only_the_invalid(api: Api, people: str, bad: list[Any], reason: str) -> None:
    r = await api.put(
        people,
        [{"_action": "create", "emp": "7", "name": "ok"}, *bad],
        autoId="true",
        onActionValidationFailure="skipAction",
    )
    assert r.status_code == 200
    assert r.json()[0]["_status"] == "success"
    skipped = r.json()[1:]
    assert all(i["_status"] == "skipped" for i in skipped)
    assert skipped[-1]["_failures"][0] == {
        **skipped[-1]["_failures"][0],
        "name": "ActionIsForbidden",
        "code": 400803,
        "reason": reason,
    }
    assert "7" in await api.by_emp(people)


async def test_duplicate_in_payload_skips_both_occurrences(api: Api, people: str) -> None:
    r = await api.put(
        people,
        [
            {"_action": "update", "emp": "1", "name": "X"},
            {"_action": "update", "emp": "2", "name": "Y"},
            {"_action": "update", "emp": "1", "name": "Z"},
        ],
        autoId="true",
        onActionValidationFailure="skipAction",
    )
    assert statuses(r) == ["skipped", "success", "skipped"]
    items = await api.by_emp(people)
    assert items["1"]["name"] == "Ana" and items["2"]["name"] == "Y"


async def test_duplicates_already_in_dataset_fail_a_merge(api: Api) -> None:
    did = await api.create_people()
    await api.put(
        did,
        [
            {"_action": "create", "emp": "1", "name": "Twin"},
            {"_action": "create", "emp": "2", "name": "Twin"},
        ],
        autoId="true",
    )
    r = await api.put(did, [{"_action": "update", "name": "Twin", "dept": "Q"}], idKey="name")
    assert (
        r.status_code == 400
        and r.json()["errors"][0]["items"][0]["_failures"][0]["reason"] == "DuplicateItemsInDataset"
    )


async def deny(api: Api, **rule: Any) -> None:
    r = await api.c.post(f"/_emulator/tenants/{api.tenant}/access", json=rule)
    assert r.status_code == 201, r.text


async def test_item_access_denied(api: Api, people: str) -> None:
    await deny(api, items={"dept": "B"})
    payload = [
        {"_action": "update", "emp": "1", "name": "A"},
        {"_action": "update", "emp": "2", "name": "B!"},
        {"_action": "create", "emp": "8", "dept": "B"},
    ]
    r = await api.put(people, payload, autoId="true")
    assert r.status_code == 400
    r = await api.put(people, payload, autoId="true", onItemAccessDenied="skipAction")
    assert statuses(r) == ["success", "skipped", "skipped"]
    assert r.json()[1]["_failures"] == [
        {"name": "ActionIsForbidden", "code": 400803, "message": "Action for Item denied"}
    ]
    items = await api.by_emp(people)
    assert items["1"]["name"] == "A" and items["2"]["name"] == "Bob" and "8" not in items


async def test_property_access_denied(api: Api, people: str) -> None:
    await deny(api, properties=["salary"])
    payload = [
        {"_action": "update", "emp": "1", "salary": 1, "name": "A"},
        {"_action": "update", "emp": "2", "name": "B"},
    ]
    assert (await api.put(people, payload, autoId="true")).status_code == 400
    r = await api.put(people, payload, autoId="true", onItemAccessDenied="skipAction")
    assert statuses(r) == ["skipped", "success"]
    r = await api.put(people, payload, autoId="true", onPropertyAccessDenied="skipProperty")
    assert statuses(r) == ["partialSuccess", "success"]
    assert r.json()[0]["_failures"] == [
        {
            "name": "ItemPropertyUpdateForbidden",
            "code": 400807,
            "message": "Insufficient access to change Item properties",
            "properties": ["salary"],
        }
    ]
    items = await api.by_emp(people)
    assert items["1"]["salary"] == 100 and items["1"]["name"] == "A"


async def test_replace_cannot_clear_a_denied_property(api: Api, people: str) -> None:
    await deny(api, properties=["salary"])
    r = await api.put(people, [{"_action": "replace", "emp": "1", "name": "A"}], autoId="true")
    assert r.status_code == 400
    assert r.json()["errors"][0]["items"][0]["_failures"][0]["name"] == "ActionIsForbidden"
    r = await api.put(
        people,
        [
            {"_action": "replace", "emp": "1", "name": "A"},
            {"_action": "createOrReplace", "emp": "2", "salary": 9},
        ],
        autoId="true",
        onPropertyAccessDenied="skipProperty",
    )
    assert statuses(r) == ["partialSuccess", "partialSuccess"]
    assert [i["_failures"][0]["properties"] for i in r.json()] == [["salary"], ["salary"]]
    items = await api.by_emp(people)
    assert items["1"] == {"emp": "1", "name": "A", "salary": 100, "start": None, "active": None, "dept": None}
    assert items["2"] == {
        "emp": "2",
        "name": None,
        "salary": 200,
        "start": None,
        "active": None,
        "dept": None,
    }


async def test_replace_of_an_empty_denied_property_is_allowed(api: Api) -> None:
    did = await api.create_people()
    await api.seed(did, [{"emp": "1", "name": "Ana"}])
    await deny(api, properties=["salary"])
    r = await api.put(did, [{"_action": "replace", "emp": "1", "dept": "D"}], autoId="true")
    assert statuses(r) == ["success"]
    assert (await api.by_emp(did))["1"] == {
        "emp": "1",
        "name": None,
        "salary": None,
        "start": None,
        "active": None,
        "dept": "D",
    }


async def test_access_rules_can_target_one_token(api: Api, people: str) -> None:
    await deny(api, properties=["salary"], token="robot")
    r = await api.put(people, [{"_action": "update", "emp": "1", "salary": 5}], autoId="true")
    assert r.status_code == 200
    r = await api.c.put(
        f"{api.base}/datasets/{people}/items",
        params={"autoId": "true"},
        headers={"Authorization": "Bearer robot"},
        json=[{"_action": "update", "emp": "1", "salary": 6}],
    )
    assert r.status_code == 400


async def test_implicit_delete_keeps_named_and_skipped_items(api: Api, people: str) -> None:
    r = await api.put(
        people,
        [
            {"_action": "noop", "emp": "1"},
            {"_action": "create", "emp": "2"},
            {"_action": "create", "emp": "9"},
        ],
        autoId="true",
        implicitDelete="true",
        onActionValidationFailure="skipAction",
    )
    assert statuses(r) == ["success", "skipped", "success"]
    assert sorted(await api.by_emp(people)) == ["1", "2", "9"]


@pytest.mark.parametrize(
    "skipped",
    [
        {"_action": "update", "emp": "1", "salary": "lots"},
        {"_action": "update", "emp": "1", "bogus": 1},
        {"_action": "update", "emp": "1", "_sortOrder": "first"},
        {"_action": "explode", "emp": "1"},
    ],
)
async def test_implicit_delete_keeps_the_item_of_any_skipped_action(
    api: Api, people: str, skipped: dict[str, Any]
) -> None:
    ids = {i["emp"]: i["_id"] for i in await api.items(people)}
    r = await api.put(
        people,
        [skipped, {"_action": "noop", "emp": "2"}],
        autoId="true",
        implicitDelete="true",
        onActionValidationFailure="skipAction",
    )
    assert r.status_code == 200, r.text
    assert [(i["_id"], i["_status"]) for i in r.json()] == [(ids["1"], "skipped"), (ids["2"], "success")]
    assert sorted(await api.by_emp(people)) == ["1", "2"]


async def test_implicit_delete_needs_delete_access_to_everything(api: Api, people: str) -> None:
    await deny(api, items={"emp": "3"})
    r = await api.put(people, [{"_action": "noop", "emp": "1"}], autoId="true", implicitDelete="true")
    assert r.status_code == 400
    assert "implicitDelete may not delete 1 item(s)" in r.json()["errors"][0]["message"]
    r = await api.put(
        people,
        [{"_action": "noop", "emp": "1"}],
        autoId="true",
        implicitDelete="true",
        onItemAccessDenied="skipAction",
    )
    assert sorted(await api.by_emp(people)) == ["1", "3"]


async def test_clear_and_noop_tokens(api: Api, people: str) -> None:
    r = await api.put(
        people,
        [
            {"_action": "update", "emp": "1", "name": "REMOVE_ME", "dept": "IGNORE_ME", "salary": None},
            {"_action": "update", "emp": "2", "name": "", "dept": None},
        ],
        autoId="true",
        clearToken="REMOVE_ME",
        noopToken="IGNORE_ME",
    )
    assert r.status_code == 200
    items = await api.by_emp(people)
    assert (items["1"]["name"], items["1"]["dept"], items["1"]["salary"]) == (None, "A", None)
    assert (items["2"]["name"], items["2"]["dept"]) == (None, None)


@pytest.mark.parametrize(
    "fmt,value,stored",
    [
        (None, "2020-01-31", "2020-01-31"),
        ("DD/MM/YYYY", "31/01/2020", "2020-01-31"),
        ("MM/DD/YYYY", "01/31/2020", "2020-01-31"),
        ("DD/MM/YYYY", "2020-01-31", "2020-01-31"),
        ("YYYY-MM-DD", "31/01/2020", "31/01/2020"),
        ("YYYY-MM-DD", "soon", "soon"),
    ],
)
async def test_dates_are_stored_iso_or_kept_as_given(
    api: Api, people: str, fmt: str | None, value: str, stored: str
) -> None:
    params = {"autoId": "true", **({"dateFormat": fmt} if fmt else {})}
    r = await api.put(people, [{"_action": "update", "emp": "1", "start": value}], **params)
    assert r.status_code == 200
    assert (await api.by_emp(people))["1"]["start"] == stored


async def test_bad_date_format_parameter(api: Api, people: str) -> None:
    r = await api.put(people, [], dateFormat="YY")
    assert r.status_code == 400 and r.json()["errors"][0]["queryParameter"] == "dateFormat"


async def test_values_are_typed_by_property_type(api: Api, people: str) -> None:
    r = await api.put(
        people,
        [
            {"_action": "update", "emp": "1", "salary": "65000", "active": "TRUE", "name": 12},
            {"_action": "update", "emp": 2, "salary": 0.5, "active": False},
        ],
        autoId="true",
    )
    assert r.status_code == 200, r.text
    items = await api.by_emp(people)
    assert (items["1"]["salary"], items["1"]["active"], items["1"]["name"]) == (65000, True, "12")
    assert (items["2"]["salary"], items["2"]["active"]) == (0.5, False)


async def test_malformed_payloads_are_400_not_500(api: Api, people: str) -> None:
    for body in (b"{", b"{}", b"[1,", b"\xff\xfe", b"null"):
        r = await api.c.put(
            f"{api.base}/datasets/{people}/items", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, (body, r.text)
        assert r.json()["errors"][0]["code"]


async def test_sync_payload_over_the_limit_is_413(
    api: Api, people: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("orgsync.emulator.items.SYNC_LIMIT", 100)
    r = await api.put(people, [{"_action": "update", "emp": "1", "name": "x" * 100}], autoId="true")
    assert r.status_code == 413 and r.json() == {"message": "Request Too Long"}  # the gateway's body
