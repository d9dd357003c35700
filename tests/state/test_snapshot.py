"""snapshot: row_hashes, LiveValues (in memory and spooled to Arrow files), LiveItems.of_frame / to_frame."""

from __future__ import annotations

import polars as pl
import pytest

from orgsync.state.snapshot import LIVE_ROW, ROW_HASH, LiveItems, LiveValues, row_hashes

ROWS = [
    ("1", "Ana", None),
    ("2", None, "T1"),
    ("3", 'Cy, "the"\nthird', "T2"),
    ("4", "", "T3"),
    ("5", "É名", None),
]


def people(rows=ROWS) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"id": pl.Utf8, "name": pl.Utf8, "team": pl.Utf8}, orient="row")


# -- row_hashes ---------------------------------------------------------------------------------------------


def test_a_row_hashes_the_same_whichever_frame_batch_or_storage_it_comes_from(tmp_path):
    whole = people()
    alone = [row_hashes(people([r]), ["name", "team"]).item() for r in ROWS]
    assert row_hashes(whole, ["name", "team"]).to_list() == alone
    sliced = pl.concat([whole[:2], whole[2:]], rechunk=False)  # two chunks
    assert row_hashes(sliced, ["name", "team"]).to_list() == alone
    whole.write_ipc(tmp_path / "v.arrow")
    assert row_hashes(pl.read_ipc(tmp_path / "v.arrow"), ["name", "team"]).to_list() == alone
    assert row_hashes(whole.select("team", "name", "id"), ["name", "team"]).to_list() == alone  # by name
    name = pl.concat([whole["name"][:3], whole["name"][3:]], rechunk=False)  # columns chunked unalike
    unaligned = pl.DataFrame([name, whole["team"]])
    assert (unaligned["name"].n_chunks(), unaligned["team"].n_chunks()) == (2, 1)
    assert row_hashes(unaligned, ["name", "team"]).to_list() == alone


def test_different_rows_hash_differently_and_the_column_order_counts():
    frame = people()
    hashes = row_hashes(frame, ["name", "team"])
    assert hashes.name == ROW_HASH and hashes.dtype == pl.UInt64 and hashes.n_unique() == frame.height
    assert row_hashes(frame, ["team", "name"]).to_list() != hashes.to_list()
    pair = pl.DataFrame({"a": ["x", None, ""], "b": [None, "x", None]})  # null and "" are not the same value
    assert row_hashes(pair, ["a", "b"]).n_unique() == 3


# -- LiveValues -----------------------------------------------------------------------------------------------


def spooled(tmp_path, frame: pl.DataFrame, sizes: list[int]) -> LiveValues:
    """`frame` written as consecutive Arrow files of the given row counts."""
    parts, start = [], 0
    for number, size in enumerate(sizes):
        part = tmp_path / f"values-0-{number:05d}.arrow"
        frame[start : start + size].write_ipc(part)
        parts.append(part)
        start += size
    assert start == frame.height
    return LiveValues(parts, sizes, frame.columns)


def many(n: int = 1000) -> pl.DataFrame:
    return pl.DataFrame(
        {"name": [f"N{i}" for i in range(n)], "team": [None if i % 3 else f"T{i}" for i in range(n)]}
    )


@pytest.fixture(params=["in memory", "spooled in 1 file", "spooled in 7 files"])
def values(request, tmp_path) -> tuple[LiveValues, pl.DataFrame]:
    frame = many()
    if request.param == "in memory":
        return LiveValues.in_memory(frame), frame
    sizes = [1000] if "1 file" in request.param else [1, 99, 100, 300, 0, 499, 1]
    return spooled(tmp_path, frame, sizes), frame


def test_take_returns_the_rows_in_the_order_asked(values):
    live, frame = values
    rows = [999, 0, 500, 1, 100, 99, 2]
    got = live.gather(pl.Series(rows, dtype=pl.UInt32), ["team", "name"])
    assert got.columns == ["team", "name"]
    assert got.to_dicts() == [{"team": frame["team"][r], "name": frame["name"][r]} for r in rows]


def test_take_of_every_row_reversed_and_of_no_row(values):
    live, frame = values
    reverse = pl.Series(range(999, -1, -1), dtype=pl.Int64)  # any integer type
    assert live.gather(reverse, ["name"])["name"].to_list() == frame["name"].reverse().to_list()
    none = live.gather(pl.Series([], dtype=pl.UInt32), ["name", "team"])
    assert none.height == 0 and none.schema == pl.Schema({"name": pl.Utf8, "team": pl.Utf8})


def test_whole_is_every_row_in_order_and_the_sizes_are_known(values):
    live, frame = values
    assert live.whole(["team"]).equals(frame.select("team"))
    assert live.whole(["name", "team"]).equals(frame)
    assert live.columns == ("name", "team") and live.height == 1000


def test_spooled_values_are_read_from_the_files_not_held(tmp_path):
    live = spooled(tmp_path, many(10), [4, 6])
    (tmp_path / "values-0-00000.arrow").unlink()
    with pytest.raises((FileNotFoundError, pl.exceptions.PolarsError)):
        live.gather(pl.Series([0], dtype=pl.UInt32), ["name"])


def test_spooled_without_parts_is_an_empty_frame_of_the_columns():
    live = LiveValues([], [], ["name", "team"])
    assert live.whole(["name", "team"]).schema == pl.Schema({"name": pl.Utf8, "team": pl.Utf8})
    assert live.gather(pl.Series([], dtype=pl.UInt32), ["team"]).height == 0


# -- LiveItems ------------------------------------------------------------------------------------------------


def test_of_frame_indexes_every_row_and_keeps_the_owned_values_aside():
    frame = people().with_columns(pl.Series("_id", [f"u{i}" for i in range(5)]))
    items = LiveItems.of_frame("D1", frame, key=["id"])
    assert (
        items.hashed == ("name", "team") and items.key == ("id",) and items.unmatched == 0
    )  # not key, not _id
    assert items.values.columns == ("name", "team")
    assert items.index[LIVE_ROW].to_list() == [0, 1, 2, 3, 4]
    assert items.index[ROW_HASH].to_list() == row_hashes(frame, ["name", "team"]).to_list()
    assert items.to_frame().equals(frame)


def test_of_frame_adds_missing_key_and_owned_columns_as_null():
    items = LiveItems.of_frame(
        "D1",
        pl.DataFrame({"id": ["1"], "name": ["Ana"]}),
        key=["id", "code"],
        owned=["name", "grade"],
        unmatched=3,
    )
    assert items.unmatched == 3 and items.hashed == ("name", "grade")
    assert items.to_frame().to_dicts() == [{"id": "1", "code": None, "name": "Ana", "grade": None}]


def test_of_frame_without_owned_columns_has_no_hash():
    items = LiveItems.of_frame("D1", pl.DataFrame({"id": ["1", "2"]}), key=["id"])
    assert items.hashed == () and items.index[ROW_HASH].null_count() == 2
    assert items.to_frame().to_dicts() == [{"id": "1"}, {"id": "2"}]


def test_to_frame_joins_index_and_spooled_values_by_live_row(tmp_path):
    """The index may skip rows (keyless items) and lists LIVE_ROW out of values' order: to_frame follows it."""
    values = many(10).with_columns(pl.Series("_id", [f"u{i}" for i in range(10)]))
    index = pl.DataFrame(
        {"id": ["k7", "k2", "k9"], ROW_HASH: [1, 2, 3], LIVE_ROW: [7, 2, 9]},
        schema_overrides={ROW_HASH: pl.UInt64, LIVE_ROW: pl.UInt32},
    )
    items = LiveItems("D1", ("id",), index, spooled(tmp_path, values, [3, 3, 4]), ("name", "team"), 7)
    assert items.to_frame().to_dicts() == [
        {"id": "k7", "name": "N7", "team": None, "_id": "u7"},
        {"id": "k2", "name": "N2", "team": None, "_id": "u2"},
        {"id": "k9", "name": "N9", "team": "T9", "_id": "u9"},
    ]


# -- Fingerprint.of: the one way a fingerprint is made from an answer ------------------------------------------


def test_the_plan_and_the_freshness_check_take_the_same_fingerprint_from_the_typed_answer():
    from pydantic import ValidationError

    from orgsync.api.answers import Dataset, DatasetSummary
    from orgsync.apply.executor import fingerprint_mismatch
    from orgsync.plan.model import Action, ChangeClass, ResourcePlan
    from orgsync.state.snapshot import Fingerprint, LiveDataset

    answer = Dataset.model_validate({"datasetId": "D1", "cacheKey": "C1", "items": {"lastTransactionId": 7}})
    with pytest.raises(ValidationError):
        answer.cacheKey = "C2"  # type: ignore[misc]  # frozen: handed on, never changed
    planned = LiveDataset("D1", "People", "PEOPLE", answer).fingerprint
    assert planned == Fingerprint.of(answer) == Fingerprint("D1", "C1", "7")
    res = ResourcePlan(
        address="dataset.People",
        kind="Dataset",
        name="People",
        action=Action.UPDATE,
        change_class=ChangeClass.UPDATE,
        fingerprint=planned,
    )
    assert fingerprint_mismatch(res, answer) is None
    moved = answer.model_copy(update={"items": answer.items.model_copy(update={"lastTransactionId": 8})})
    assert "items.lastTransactionId differ" in (fingerprint_mismatch(res, moved) or "")
    # a listed dataset that was never retrieved has no fingerprint values
    summary = DatasetSummary.model_validate({"datasetId": "D9", "type": "LINKS"})
    assert Fingerprint.of(summary) == Fingerprint("D9", None, None) and summary.is_links
