"""encode_waves: the JSON actions sent for creates, updates and deletes."""

from __future__ import annotations

import orjson
from apply_factories import dataset_manifest, items, links_manifest

from orgsync.apply.actions import encode_waves
from orgsync.apply.order import Wave
from orgsync.sources.readers import property_types


def _people():
    return dataset_manifest("People", auto_id="id", properties=[
        {"key": "name", "name": "Name", "type": "text"},
        {"key": "salary", "name": "Salary", "type": "number", "sensitive": True},
        {"key": "start", "name": "Start", "type": "date"},
        {"key": "active", "name": "Active", "type": "boolean"},
    ])


def test_creates_are_createorupdate_with_wire_types_and_no_empty_values():
    ch = items(["id"], ["name", "salary", "start", "active"],
               creates=[("1", "Ann", "65000", "2024-01-31", "true"), ("2", "Bob", "0.5", None, "false")])
    enc = encode_waves((Wave(creates=ch.creates),), ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies] == [
        {"_action": "createOrUpdate", "id": "1", "name": "Ann", "salary": 65000, "start": "2024-01-31", "active": True},
        {"_action": "createOrUpdate", "id": "2", "name": "Bob", "salary": 0.5, "active": False},
    ]
    assert enc.keys == [("1",), ("2",)]
    assert enc.actions == ["createOrUpdate", "createOrUpdate"]


def test_updates_send_only_changed_cells_and_null_clears():
    ch = items(["id"], ["name", "salary"], updates=[
        ("1", "Ann", "Ann", "70000", "65000"),
        ("2", None, "Bob", "10", "10"),
        ("3", "Cy", None, None, None),
    ])
    enc = encode_waves((Wave(updates=ch.updates),), ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies] == [
        {"_action": "update", "id": "1", "salary": 70000},
        {"_action": "update", "id": "2", "name": None},
        {"_action": "update", "id": "3", "name": "Cy"},
    ]


def test_deletes_carry_only_the_key_and_waves_keep_their_order():
    ch = items(["id"], ["name"], creates=[("new", "N")], updates=[("u", "A", "B")], deletes=[("gone",)])
    waves = (Wave(creates=ch.creates, updates=ch.updates), Wave(deletes=ch.deletes))
    enc = encode_waves(waves, ch, property_types(_people()))
    assert [orjson.loads(b) for b in enc.bodies] == [
        {"_action": "createOrUpdate", "id": "new", "name": "N"},
        {"_action": "update", "id": "u", "name": "A"},
        {"_action": "delete", "id": "gone"},
    ]
    assert enc.sizes == [len(b.encode()) for b in enc.bodies]


def test_links_actions_use_from_and_to_and_a_number_allocation():
    ch = items(["from_id", "to_id"], ["allocation"], creates=[("p1", "x1", "1")],
               updates=[("p2", "x2", "0.5", "1")], deletes=[("p3", "x3")])
    types = property_types(links_manifest("P2P", "People", "Positions"))
    enc = encode_waves((Wave(deletes=ch.deletes), Wave(creates=ch.creates, updates=ch.updates)), ch, types)
    assert [orjson.loads(b) for b in enc.bodies] == [
        {"_action": "delete", "from_id": "p3", "to_id": "x3"},
        {"_action": "createOrUpdate", "from_id": "p1", "to_id": "x1", "allocation": 1},
        {"_action": "update", "from_id": "p2", "to_id": "x2", "allocation": 0.5},
    ]
    assert enc.keys == [("p3", "x3"), ("p1", "x1"), ("p2", "x2")]


def test_encoding_matches_to_wire_for_awkward_values():
    from orgsync.sources.canonical import to_wire

    rows = [("k\"1", 'say "hi"\n', "-12.75", "2024-02-29", "false"), ("ü/2", "tab\there ✓", "0", None, None),
            ("3", "\\back", "123456789012345678", "1999-12-31", "true")]
    ch = items(["id"], ["name", "salary", "start", "active"], creates=rows)
    types = property_types(_people())
    enc = encode_waves((Wave(creates=ch.creates),), ch, types)
    expected = []
    for row in rows:
        body = {"_action": "createOrUpdate"}
        for col, value in zip(["id", "name", "salary", "start", "active"], row, strict=True):
            if value is not None:
                body[col] = to_wire(value, types.get(col, "text"))
        expected.append(body)
    assert [orjson.loads(b) for b in enc.bodies] == expected
    assert enc.sizes == [len(b.encode()) for b in enc.bodies]
