"""parse_items with the source table in hand keeps the live values of only the rows that can differ from it (by
the owned values' hash, or a key the source lacks), and the diff over them equals the diff over every row."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orgsync.api.answers import Dataset
from orgsync.plan.items_diff import diff_items, mark_retyped, prepare_live
from orgsync.sources.table import SourceTable
from orgsync.state.reader import RawExport, RawLive, parse_items, parse_live
from orgsync.state.snapshot import LiveDataset

KEY, COLS = ["id"], ["name", "grade"]
TREE = (("id", "text"), ("boss", "text"))


def source(n: int, changed: set[int], gone: set[int], new: int = 0) -> pl.DataFrame:
    rows = [
        (str(i), f"N{i}!" if i in changed else f"N{i}", "G" if i % 3 else None)
        for i in range(n)
        if i not in gone
    ]
    rows += [(f"new{j}", f"New{j}", None) for j in range(new)]
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in ["id", *COLS]}, orient="row")


def table(frame: pl.DataFrame, key: list[str] = KEY) -> SourceTable:
    return SourceTable(
        name="People",
        path=Path("p.csv"),
        frame=frame,
        key=key,
        owned=COLS,
        types={"id": "text", "name": "text", "grade": "text"},
        sha256="",
    )


def export(tmp_path: Path, n: int) -> RawExport:
    lines = (
        ["id,name,grade,boss,_id"]
        + [f"{i},N{i},{'G' if i % 3 else ''},{i // 2 if i else ''},u{i}" for i in range(n)]
        + [",Keyless,G,,u-none"]
    )
    path = tmp_path / f"export-{n}.csv"
    path.write_text("\n".join(lines) + "\n")
    return RawExport("People", "D1", path, TREE)


def diff(src: pl.DataFrame, items, mode: str, retyped: tuple[str, ...] = ()):
    side = mark_retyped(prepare_live(items, KEY, COLS), list(retyped))
    return diff_items(src, side, key=KEY, columns=COLS, mode=mode, delete_extra=["_id", "boss"])


@pytest.mark.parametrize("mode", ["insert", "update", "upsert", "mirror"])
def test_only_the_rows_that_can_differ_keep_their_values_and_the_diff_is_the_same(tmp_path, mode):
    src = source(1000, changed={5, 500, 999}, gone={3, 700}, new=2)
    compared = parse_items(export(tmp_path, 1000), table(src))
    every = parse_items(export(tmp_path, 1000), table(src), compare=False)
    assert not compared.values.complete and every.values.complete
    got, want = diff(src, compared, mode), diff(src, every, mode)
    for part in ("creates", "updates", "deletes"):
        assert getattr(got, part).equals(getattr(want, part)), part
    assert (got.existing, got.counts) == (want.existing, want.counts)
    if mode == "mirror":
        assert got.counts == {"create": 2, "update": 3, "delete": 2}
        assert got.deletes.to_dicts() == [
            {"id": "3", "_id": "u3", "boss": "1"},
            {"id": "700", "_id": "u700", "boss": "350"},
        ]


def test_rows_equal_to_the_source_keep_no_values(tmp_path):
    src = source(1000, changed={42}, gone=set())
    items = parse_items(export(tmp_path, 1000), table(src))
    assert items.values.gather(pl.Series([42]), COLS).to_dicts() == [{"name": "N42", "grade": None}]
    with pytest.raises(LookupError, match=r"not kept: \[41\]"):
        items.values.gather(pl.Series([41]), COLS)
    with pytest.raises(LookupError):
        items.values.whole(COLS)
    assert items.index.height == 1000 and items.unmatched == 1  # the index still has every keyed row


def test_a_source_with_no_rows_keeps_every_live_rows_values(tmp_path):
    items = parse_items(export(tmp_path, 50), table(source(0, set(), set())))
    assert items.values.gather(items.index["__live_row"], COLS).height == 50


def test_a_composite_key_matches_on_every_part(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id,name,grade,_id\n1,A,x,u1\n1,B,x,u2\n2,A,x,u3\n")
    src = pl.DataFrame({"id": ["1", "1", "2"], "name": ["A", "B", "A"], "grade": ["x", "y", "x"]})
    t = SourceTable(
        name="People",
        path=Path("p.csv"),
        frame=src,
        key=["id", "name"],
        owned=["grade"],
        types={"id": "text", "name": "text", "grade": "text"},
        sha256="",
    )
    items = parse_items(RawExport("People", "D1", path), t)
    assert items.values.gather(pl.Series([1]), ["grade"]).to_dicts() == [
        {"grade": "x"}
    ]  # (1, B): grade differs
    with pytest.raises(LookupError):
        items.values.gather(pl.Series([0]), ["grade"])  # (1, A) equal
    with pytest.raises(LookupError):
        items.values.gather(pl.Series([2]), ["grade"])  # (2, A) equal: same name as (1, A), other id


def test_a_property_changing_type_keeps_every_row_so_each_holding_a_value_is_rewritten(tmp_path):
    src = source(30, changed=set(), gone=set())
    resource = {
        "datasetId": "D1",
        "name": "People",
        "type": "PEOPLE",
        "properties": [
            {"key": "id", "type": "text"},
            {"key": "name", "type": "text"},
            {"key": "grade", "type": "number"},
        ],
    }  # the manifest says text: it changes type
    live = parse_live(
        RawLive(
            "T",
            "ACME",
            [LiveDataset("D1", "People", "PEOPLE", Dataset.model_validate(resource))],
            [export(tmp_path, 30)],
        ),
        {"People": table(src)},
    )
    items = live.items["D1"]
    assert items.values.complete
    changes = diff(src, items, "upsert", retyped=("grade",))
    assert changes.counts["update"] == 20  # every row holding a grade (2 of 3), nothing else differs


def test_live_text_not_in_canonical_form_is_canonicalised_before_it_is_compared(tmp_path):
    """An export may write "65000.0", "TRUE" or " Ann ": equal to the source once canonical, so no update and no
    values kept; a real difference is found with its canonical before value."""
    path = tmp_path / "e.csv"
    path.write_text(
        "id,name,salary,active,_id\n"
        "1.0, Ann ,65000.0,TRUE,u1\n"  # key 1.0 -> 1, all equal once canonical
        "2,Bo,70000,false,u2\n"  # already canonical, equal
        "3,Cy,1.50,yes,u3\n"
    )  # salary 1.5 vs the source's 2: an update
    types = {"id": "number", "name": "text", "salary": "number", "active": "boolean"}
    src = pl.DataFrame(
        {
            "id": ["1", "2", "3"],
            "name": ["Ann", "Bo", "Cy"],
            "salary": ["65000", "70000", "2"],
            "active": ["true", "false", "true"],
        }
    )
    t = SourceTable(
        name="People",
        path=Path("p.csv"),
        frame=src,
        key=["id"],
        owned=["name", "salary", "active"],
        types=types,
        sha256="",
    )
    items = parse_items(RawExport("People", "D1", path), t)
    every = parse_items(RawExport("People", "D1", path), t, compare=False)
    assert items.index.drop("__live_row").equals(
        every.index.drop("__live_row")
    )  # same canonical keys and hashes
    assert items.values.gather(pl.Series([2]), ["salary", "active", "_id"]).to_dicts() == [
        {"salary": "1.5", "active": "true", "_id": "u3"}
    ]
    for row in (0, 1):
        with pytest.raises(LookupError):
            items.values.gather(pl.Series([row]), ["salary"])
    side = prepare_live(items, ["id"], ["name", "salary", "active"])
    changes = diff_items(src, side, key=["id"], columns=["name", "salary", "active"], mode="mirror")
    assert changes.updates.to_dicts() == [
        {
            "id": "3",
            "name": "Cy",
            "name__before": "Cy",
            "salary": "2",
            "salary__before": "1.5",
            "active": "true",
            "active__before": "true",
        }
    ]
    assert changes.counts == {"create": 0, "update": 1, "delete": 0}


def test_rows_that_may_differ_across_many_chunks_are_settled_together(tmp_path, monkeypatch):
    """The rows that may differ are canonicalised once, after the last chunk, at their place in the whole index:
    over an export read in ~40 chunks, with keyless rows between them and values exported in a non-canonical
    form (padded: the same once canonical), the index and the diff are those of reading every row."""
    from orgsync.state import csv_chunks

    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", 600)
    lines = ["id,name,grade,boss,_id"]
    for i in range(1000):
        name = f" N{i} " if i % 7 == 0 else f"N{i}"  # padded: not canonical as exported, equal once it is
        lines.append(f"{i},{name},{'G' if i % 3 else ''},{i // 2 if i else ''},u{i}")
        if i % 97 == 0:
            lines.append(f",Keyless{i},G,,k{i}")
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n")
    raw = RawExport("People", "D1", path, TREE)
    assert len(list(csv_chunks.frames(path, ["id"]))) > 30
    src = source(1000, changed={5, 14, 500, 999}, gone={3, 700}, new=2)
    compared, every = parse_items(raw, table(src)), parse_items(raw, table(src), compare=False)
    assert compared.index.equals(every.index) and compared.unmatched == every.unmatched == 11
    for mode in ("upsert", "mirror"):
        got, want = diff(src, compared, mode), diff(src, every, mode)
        for part in ("creates", "updates", "deletes"):
            assert getattr(got, part).equals(getattr(want, part)), part
    assert got.counts == {"create": 2, "update": 4, "delete": 2}
    live_row = dict(zip(every.index["id"], every.index["__live_row"], strict=True))
    changed = compared.values.gather(pl.Series([live_row["14"]]), COLS)  # padded and changed: held, canonical
    assert changed.to_dicts() == [{"name": "N14", "grade": "G"}]
    with pytest.raises(LookupError):  # padded, equal once canonical: not held
        compared.values.gather(pl.Series([live_row["7"]]), COLS)
