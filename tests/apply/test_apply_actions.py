"""encode_waves: the JSON actions sent for creates, updates and deletes."""

from __future__ import annotations

import json
from decimal import Decimal

import orjson
import pytest

from orgsync.apply.actions import encode_waves
from orgsync.apply.order import Wave
from orgsync.apply.rows import Rows
from orgsync.manifest.property_types import property_types
from tests.support.apply_factories import dataset_manifest, items, links_manifest


def _people():
    return dataset_manifest(
        "People",
        auto_id="id",
        properties=[
            {"key": "name", "name": "Name", "type": "text"},
            {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
            {"key": "start", "name": "Start", "type": "date"},
            {"key": "active", "name": "Active", "type": "boolean"},
        ],
    )


def test_creates_are_createorupdate_with_wire_types_and_no_empty_values():
    ch = items(
        ["id"],
        ["name", "salary", "start", "active"],
        creates=[("1", "Ann", "65000", "2024-01-31", "true"), ("2", "Bob", "0.5", None, "false")],
    )
    enc = encode_waves((Wave(creates=Rows(ch.creates)),), ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies()] == [
        {
            "_action": "createOrUpdate",
            "id": "1",
            "name": "Ann",
            "salary": 65000,
            "start": "2024-01-31",
            "active": True,
        },
        {"_action": "createOrUpdate", "id": "2", "name": "Bob", "salary": 0.5, "active": False},
    ]
    assert enc.keys() == [("1",), ("2",)]
    assert enc.actions() == ["createOrUpdate", "createOrUpdate"]


def test_updates_send_only_changed_cells_and_null_clears():
    ch = items(
        ["id"],
        ["name", "salary"],
        updates=[
            ("1", "Ann", "Ann", "70000", "65000"),
            ("2", None, "Bob", "10", "10"),
            ("3", "Cy", None, None, None),
        ],
    )
    enc = encode_waves((Wave(updates=Rows(ch.updates)),), ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies()] == [
        {"_action": "update", "id": "1", "salary": 70000},
        {"_action": "update", "id": "2", "name": None},
        {"_action": "update", "id": "3", "name": "Cy"},
    ]


def test_deletes_carry_only_the_key_and_waves_keep_their_order():
    ch = items(["id"], ["name"], creates=[("new", "N")], updates=[("u", "A", "B")], deletes=[("gone",)])
    waves = (Wave(creates=Rows(ch.creates), updates=Rows(ch.updates)), Wave(deletes=Rows(ch.deletes)))
    enc = encode_waves(waves, ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies()] == [
        {"_action": "createOrUpdate", "id": "new", "name": "N"},
        {"_action": "update", "id": "u", "name": "A"},
        {"_action": "delete", "id": "gone"},
    ]
    assert list(enc.sizes) == [len(b.encode()) for b in enc.bodies()]


def test_links_actions_use_from_and_to_and_a_number_allocation():
    ch = items(
        ["from_id", "to_id"],
        ["allocation"],
        creates=[("p1", "x1", "1")],
        updates=[("p2", "x2", "0.5", "1")],
        deletes=[("p3", "x3")],
    )
    types = property_types(links_manifest("P2P", "People", "Positions"))
    enc = encode_waves(
        (Wave(deletes=Rows(ch.deletes)), Wave(creates=Rows(ch.creates), updates=Rows(ch.updates))), ch, types
    )
    assert [orjson.loads(b) for b in enc.bodies()] == [
        {"_action": "delete", "from_id": "p3", "to_id": "x3"},
        {"_action": "createOrUpdate", "from_id": "p1", "to_id": "x1", "allocation": 1},
        {"_action": "update", "from_id": "p2", "to_id": "x2", "allocation": 0.5},
    ]
    assert enc.keys() == [("p3", "x3"), ("p1", "x1"), ("p2", "x2")]


def _to_wire(value: str, type_: str) -> object:
    """The oracle: a canonical value as the API takes it (dates go with dateFormat=YYYY-MM-DD)."""
    if type_ == "number":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(value)
    if type_ == "boolean":
        return value == "true"
    return value


@pytest.mark.parametrize(
    ("value", "type_", "wire"),
    [
        ("65000", "number", 65000),
        ("0.5", "number", 0.5),
        ("100000000000000000000", "number", 10**20),
        ("true", "boolean", True),
        ("false", "boolean", False),
        ("2024-01-05", "date", "2024-01-05"),
        ("Ada", "text", "Ada"),
    ],
)
def test_each_type_is_sent_as_its_json_form(value, type_, wire):
    ch = items(["id"], ["v"], creates=[("1", value)])
    (body,) = encode_waves((Wave(creates=Rows(ch.creates)),), ch, {"id": "text", "v": type_}).bodies()
    sent = json.loads(body)["v"]  # the stdlib parser keeps big integers exact (orjson reads them as floats)
    assert sent == wire == _to_wire(value, type_) and type(sent) is type(wire)


def test_encoding_matches_the_wire_oracle_for_awkward_values():
    rows = [
        ('k"1', 'say "hi"\n', "-12.75", "2024-02-29", "false"),
        ("ü/2", "tab\there ✓", "0", None, None),
        ("3", "\\back", "123456789012345678", "1999-12-31", "true"),
    ]
    ch = items(["id"], ["name", "salary", "start", "active"], creates=rows)
    types = property_types(_people())
    enc = encode_waves((Wave(creates=Rows(ch.creates)),), ch, types)
    expected = []
    for row in rows:
        body = {"_action": "createOrUpdate"}
        for col, value in zip(["id", "name", "salary", "start", "active"], row, strict=True):
            if value is not None:
                body[col] = _to_wire(value, types.get(col, "text"))
        expected.append(body)
    assert [orjson.loads(b) for b in enc.bodies()] == expected
    assert list(enc.sizes) == [len(b.encode()) for b in enc.bodies()]
