"""The async import file and the lazily encoded actions: exact wire content, chunking, rows kept as positions."""

from __future__ import annotations

import gzip
import io

import orjson
import pytest

from orgsync.apply import actions as actions_module
from orgsync.apply.actions import ActionsView, encode_waves
from orgsync.apply.batching import Batch, Mode, make_batches
from orgsync.apply.importfile import import_file, write_json_array
from orgsync.apply.order import Wave, order_plan
from orgsync.apply.rows import Rows
from orgsync.manifest.property_types import property_types
from tests.support.apply_factories import dataset_manifest, items, plan, project, resource

TYPES = {"id": "text", "name": "text", "n": "number"}


def _changes():
    return items(
        ["id"],
        ["name", "n"],
        creates=[("c1", 'Zoë "q"', "1"), ("c2", None, "2.5"), ("c3", "x\ny", None)],
        updates=[("u1", "new", "old", "3", "3"), ("u2", "b", "b", None, "4")],
        deletes=[("d1",)],
    )


def _encoded(ch=None):
    ch = ch or _changes()
    waves = (Wave(creates=Rows(ch.creates), updates=Rows(ch.updates)), Wave(deletes=Rows(ch.deletes)))
    return encode_waves(waves, ch, TYPES)


EXPECTED = [
    {"_action": "createOrUpdate", "id": "c1", "name": 'Zoë "q"', "n": 1},
    {"_action": "createOrUpdate", "id": "c2", "n": 2.5},
    {"_action": "createOrUpdate", "id": "c3", "name": "x\ny"},
    {"_action": "update", "id": "u1", "name": "new"},
    {"_action": "update", "id": "u2", "n": None},
    {"_action": "delete", "id": "d1"},
]


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_the_import_file_gunzips_to_the_json_array_of_exactly_the_batch_actions(monkeypatch, chunk):
    monkeypatch.setattr(actions_module, "CHUNK_ROWS", chunk)
    enc = _encoded()
    batch = Batch(Mode.ASYNC, 1, 5, 2 + sum(enc.sizes[1:5]) + 3)  # across creates and updates
    data = import_file(enc, batch)
    assert data[:2] == b"\x1f\x8b"  # gzip, as the temporary file was asked for
    text = gzip.decompress(data)
    assert orjson.loads(text) == EXPECTED[1:5]
    assert len(text) == batch.bytes  # batching's size of the array is the size sent
    assert text == ("[" + ",".join(enc.bodies(1, 5)) + "]").encode()


def test_batches_cut_from_the_sizes_cover_every_action_once_in_order(monkeypatch):
    monkeypatch.setattr(actions_module, "CHUNK_ROWS", 2)
    enc = _encoded()
    got = []
    for batch in make_batches(enc.sizes, limits=_limits()):
        out = io.BytesIO()
        assert write_json_array(enc, batch.start, batch.stop, out) == batch.bytes
        got.extend(orjson.loads(out.getvalue()))
    assert got == EXPECTED


def _limits():
    from orgsync.apply.batching import BatchLimits

    return BatchLimits(sync_max_actions=1, async_max_actions=4)


def test_an_empty_range_is_an_empty_array():
    out = io.BytesIO()
    write_json_array(_encoded(), 3, 3, out)
    assert out.getvalue() == b"[]"


def test_sizes_keys_and_actions_follow_the_write_order():
    enc = _encoded()
    assert len(enc) == 6
    assert list(enc.sizes) == [len(orjson.dumps(a)) for a in EXPECTED]  # orjson writes no spaces either
    assert enc.keys(2, 4) == [("c3",), ("u1",)]
    assert enc.actions(2, 6) == ["createOrUpdate", "update", "update", "delete"]


def test_the_actions_view_reads_as_the_actions_it_stands_for():
    view = ActionsView(_encoded(), 1, 5)
    assert len(view) == 4
    assert orjson.loads(orjson.dumps(list(view))) == EXPECTED[1:5]
    assert orjson.loads(orjson.dumps(view[0])) == EXPECTED[1]
    assert orjson.loads(orjson.dumps(view[-1])) == EXPECTED[4]
    assert orjson.loads(orjson.dumps(list(view[1:3]))) == EXPECTED[2:4]
    with pytest.raises(IndexError):
        view[4]


def test_waves_select_the_plans_rows_by_position_without_copying_them():
    # a hierarchy of three levels: each wave names rows of the plan's own frame, in level order
    ch = items(
        ["id"],
        ["parent"],
        creates=[("c", "b"), ("a", None), ("b", "a"), ("d", "a")],
        updates=[("u", "b", "x")],
    )
    (step,) = order_plan(
        plan(resource("Org", item_changes=ch)), project(dataset_manifest("Org", tree=("id", "parent")))
    )
    assert all(w.creates.frame is ch.creates and w.updates.frame is ch.updates for w in step.waves)
    assert [w.creates.index.to_list() for w in step.waves] == [[1], [2, 3], [0]]
    assert [w.updates.index.to_list() for w in step.waves] == [[], [], [0]]
    enc = encode_waves(step.waves, ch, property_types(dataset_manifest("Org", tree=("id", "parent"))))
    assert [orjson.loads(b)["id"] for b in enc.bodies()] == ["a", "b", "d", "c", "u"]


def test_rows_take_slices_of_the_selection():
    frame = items(["id"], [], creates=[(str(i),) for i in range(6)]).creates
    rows = Rows.where(frame, frame.get_column("id").is_in(["1", "3", "4"]))
    assert rows.height == 3 and rows.columns == ["id"]
    assert rows.frame_between(1, 3).get_column("id").to_list() == ["3", "4"]
    assert rows.frame_between(2, 10).get_column("id").to_list() == ["4"]
    assert Rows(frame).frame_between(4).get_column("id").to_list() == ["4", "5"]
    assert Rows(frame).estimated_size() == frame.estimated_size()
