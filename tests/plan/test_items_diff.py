"""diff_items: creates / updates / deletes per mode, null-safe compare of owned columns only."""

from __future__ import annotations

import pytest

from orgsync.plan.items_diff import diff_items, prepare_live
from orgsync.state.snapshot import LiveItems
from tests.support.plan_factories import frame

KEY = ["id"]
COLS = ["name", "grade"]
SOURCE = frame(
    ["id", "name", "grade"], [("1", "Ann", "A"), ("2", "Bob", None), ("3", "Cy", "C"), ("4", "Di", "D")]
)
LIVE = frame(
    ["id", "name", "grade", "kept", "_id"],
    [
        ("1", "Ann", "A", "x", "u1"),  # same
        ("2", "Bob", "B", "y", "u2"),  # grade B -> null
        ("3", "Cyd", "C", None, "u3"),  # name Cyd -> Cy
        ("9", "Old", None, None, "u9"),  # not in source
    ],
)


def _diff(mode, source=SOURCE, live=LIVE, **kw):
    return diff_items(
        source,
        prepare_live(None if live is None else LiveItems.of_frame("D1", live), KEY, COLS),
        key=KEY,
        columns=COLS,
        mode=mode,
        **kw,
    )


def test_upsert_plans_creates_and_null_safe_updates_but_no_deletes():
    changes = _diff("upsert")
    assert changes.creates.to_dicts() == [{"id": "4", "name": "Di", "grade": "D"}]
    assert changes.updates.sort("id").to_dicts() == [
        {"id": "2", "name": "Bob", "name__before": "Bob", "grade": None, "grade__before": "B"},
        {"id": "3", "name": "Cy", "name__before": "Cyd", "grade": "C", "grade__before": "C"},
    ]
    assert changes.deletes.height == 0
    assert changes.existing == 4


def test_mirror_also_deletes_live_items_absent_from_the_source_with_their_id():
    changes = _diff("mirror", delete_extra=["_id", "missing"])
    assert changes.counts == {"create": 1, "update": 2, "delete": 1}
    assert changes.deletes.to_dicts() == [{"id": "9", "_id": "u9"}]


@pytest.mark.parametrize(
    ("mode", "counts"),
    [
        ("insert", {"create": 1, "update": 0, "delete": 0}),
        ("update", {"create": 0, "update": 2, "delete": 0}),
    ],
)
def test_insert_and_update_modes_plan_only_their_kind(mode, counts):
    assert _diff(mode).counts == counts


def test_an_unchanged_source_plans_nothing_and_unowned_columns_are_ignored():
    live = SOURCE.with_columns(kept=frame(["k"], [("hand",)] * 4).get_column("k"))
    assert _diff("mirror", live=live).is_empty


def test_empty_live_side_creates_every_row():
    changes = _diff("upsert", live=None)
    assert changes.creates.height == 4 and changes.existing == 0


def test_live_rows_without_key_are_set_aside_and_duplicates_compared_once():
    live = frame(["id", "name", "grade"], [(None, "Ghost", None), ("1", "Ann", "A"), ("1", "Other", "Z")])
    side = prepare_live(LiveItems.of_frame("D1", live), KEY, COLS, unmatched_before=2)
    assert (side.unmatched, side.duplicates, side.height) == (3, 1, 1)
    changes = diff_items(SOURCE.head(1), side, key=KEY, columns=COLS, mode="mirror")
    assert changes.is_empty
    assert changes.existing == 5  # 1 compared + 3 unmatched + 1 duplicate


def test_owned_column_missing_live_counts_as_null():
    live = frame(["id", "name"], [("1", "Ann")])
    changes = diff_items(
        SOURCE.head(1),
        prepare_live(None if live is None else LiveItems.of_frame("D1", live), KEY, COLS),
        key=KEY,
        columns=COLS,
        mode="upsert",
    )
    assert changes.updates.to_dicts() == [
        {"id": "1", "name": "Ann", "name__before": "Ann", "grade": "A", "grade__before": None}
    ]


def test_links_are_keyed_by_from_and_to():
    key = ["from_id", "to_id"]
    source = frame(["from_id", "to_id", "allocation"], [("a", "b", "1"), ("a", "c", "0.5")])
    live = frame(
        ["from_id", "to_id", "allocation", "_id"],
        [("a", "b", "1", "l1"), ("a", "c", "1", "l2"), ("b", "c", "1", "l3")],
    )
    changes = diff_items(
        source,
        prepare_live(LiveItems.of_frame("D1", live), key, ["allocation"]),
        key=key,
        columns=["allocation"],
        mode="mirror",
        delete_extra=["_id"],
    )
    assert changes.updates.to_dicts() == [
        {"from_id": "a", "to_id": "c", "allocation": "0.5", "allocation__before": "1"}
    ]
    assert changes.deletes.to_dicts() == [{"from_id": "b", "to_id": "c", "_id": "l3"}]
    assert changes.creates.height == 0


def test_creates_and_updates_come_in_source_order_and_deletes_in_live_order():
    source = frame(
        ["id", "name", "grade"], [("7", "G", None), ("3", "c", None), ("5", "E", None), ("1", "a", None)]
    )
    live = frame(
        ["id", "name", "grade", "_id"],
        [("8", "H", None, "u8"), ("1", "A", None, "u1"), ("6", "F", None, "u6"), ("3", "C", None, "u3")],
    )
    changes = _diff("mirror", source, live, delete_extra=["_id"])
    assert changes.creates["id"].to_list() == ["7", "5"]
    assert changes.updates["id"].to_list() == ["3", "1"]
    assert changes.deletes.to_dicts() == [{"id": "8", "_id": "u8"}, {"id": "6", "_id": "u6"}]


@pytest.mark.parametrize("mode", ["insert", "update", "upsert", "mirror"])
def test_source_hashes_handed_over_give_the_same_diff_as_hashing_the_source(mode):
    from orgsync.state.snapshot import row_hashes

    given = _diff(mode, source_hashes=row_hashes(SOURCE, COLS))
    computed = _diff(mode)
    for part in ("creates", "updates", "deletes"):
        assert getattr(given, part).equals(getattr(computed, part))
    # hashes of another height (not this source's) are not trusted: computed again, same diff
    stale = _diff(mode, source_hashes=row_hashes(SOURCE.head(2), COLS))
    assert stale.updates.equals(computed.updates) and stale.creates.equals(computed.creates)


def test_a_source_table_hashes_its_rows_once_per_columns_and_again_for_a_new_frame():
    from pathlib import Path

    from orgsync.sources.table import SourceTable
    from orgsync.state.snapshot import row_hashes

    calls: list[tuple[str, ...]] = []

    def counted(frame, columns):
        calls.append(tuple(columns))
        return row_hashes(frame, columns)

    table = SourceTable("P", Path("p.csv"), SOURCE, KEY, COLS, {}, "")
    first = table.hashed(COLS, counted)
    assert table.hashed(COLS, counted) is first and calls == [("name", "grade")]
    assert table.hashed(["grade"], counted).equals(row_hashes(SOURCE, ["grade"]))
    table.frame = SOURCE.with_columns(name=SOURCE["name"].str.to_uppercase())
    assert table.hashed(COLS, counted).equals(row_hashes(table.frame, COLS))
    assert not table.hashed(COLS, counted).equals(first) and len(calls) == 3


@pytest.mark.parametrize("mode", ["insert", "update", "upsert", "mirror"])
def test_keys_that_share_a_hash_are_still_told_apart_by_their_text(monkeypatch, mode):
    """The key join runs on 64-bit hashes and checks each pair's text: when every key hashes the same (as a
    collision would make two of them), the pairs fail that check and the join is done on the text, so the diff
    and the live duplicates counted are exactly those of distinct hashes."""
    from orgsync.plan import items_diff
    from orgsync.state.snapshot import row_hashes

    live = frame(
        ["id", "name", "grade", "_id"],
        [*LIVE.select("id", "name", "grade", "_id").rows(), ("1", "Dup", "Z", "u1b")],
    )
    want = _diff(mode, live=live, delete_extra=["_id"])
    side = prepare_live(LiveItems.of_frame("D1", live), KEY, COLS)

    def colliding(frame_, columns):  # every key hashes alike; the owned values' hashes stay real
        hashes = row_hashes(frame_, columns)
        return hashes * 0 if list(columns) == KEY else hashes

    monkeypatch.setattr(items_diff, "row_hashes", colliding)
    got = _diff(mode, live=live, delete_extra=["_id"])
    assert prepare_live(LiveItems.of_frame("D1", live), KEY, COLS).duplicates == side.duplicates == 1
    for part in ("creates", "deletes"):
        assert getattr(got, part).equals(getattr(want, part)), part
    assert got.updates.sort("id").equals(want.updates.sort("id"))
    assert got.counts == want.counts and got.existing == want.existing
