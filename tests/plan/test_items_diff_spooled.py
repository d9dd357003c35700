"""diff_items over a live side whose values are spooled to Arrow files (as `orgsync plan` reads a tenant): the
same creates, updates and deletes as in memory, and only the candidate rows' live values are ever read."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from orgsync.plan.items_diff import diff_items, mark_retyped, prepare_live
from orgsync.plan.model import RETYPED
from orgsync.sources.table import SourceTable
from orgsync.state import csv_chunks, reader
from orgsync.state.reader import RawExport, parse_items
from orgsync.state.snapshot import LiveItems, LiveValues

KEY = ["id"]
COLS = ["name", "grade"]
TREE = (("code", "text"), ("parent", "text"))
EXTRA = ["_id", "code", "parent"]


def table() -> SourceTable:
    return SourceTable(
        name="People",
        path=Path("p.csv"),
        frame=pl.DataFrame(),
        key=KEY,
        owned=COLS,
        types={"id": "text", "name": "text", "grade": "text"},
        sha256="",
    )


def live_csv(n: int) -> bytes:
    lines = ["id,name,grade,code,parent,_id"]
    lines += [f"{i},N{i},{'' if i % 4 else 'G'},C{i},{'' if i == 0 else f'C{i // 2}'},u{i}" for i in range(n)]
    lines.append(",Keyless,G,,,u-none")
    return ("\n".join(lines) + "\n").encode()


def read_live(tmp_path: Path, n: int, *, spooled: bool, monkeypatch=None) -> LiveItems:
    where = tmp_path / ("spool" if spooled else "memory")
    where.mkdir(exist_ok=True)
    path = where / "export-0.csv"
    path.write_bytes(live_csv(n))
    if monkeypatch is not None:  # several Arrow files for the values, from the first chunk on
        real = csv_chunks.frames
        monkeypatch.setattr(csv_chunks, "frames", lambda p, c, **k: real(p, c, chunk_bytes=512, **k))
        monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", 0)
    return parse_items(RawExport("People", "D1", path, TREE), table(), where if spooled else None)


def source(
    n: int, changed: dict[int, tuple[str | None, str | None]], gone: set[int], new: int = 0
) -> pl.DataFrame:
    rows = []
    for i in range(n):
        if i in gone:
            continue
        name, grade = changed.get(i, (f"N{i}", None if i % 4 else "G"))
        rows.append((str(i), name, grade))
    rows += [(f"new{j}", f"New{j}", None) for j in range(new)]
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in ["id", *COLS]}, orient="row")


def diff(src: pl.DataFrame, live: LiveItems, mode: str = "mirror", retyped: tuple[str, ...] = ()):
    side = mark_retyped(prepare_live(live, KEY, COLS), list(retyped))
    return diff_items(src, side, key=KEY, columns=COLS, mode=mode, delete_extra=EXTRA)


@pytest.mark.parametrize("mode", ["mirror", "upsert", "update", "insert"])
@pytest.mark.parametrize("retyped", [(), ("grade",)], ids=["same types", "grade retyped"])
def test_a_spooled_live_side_diffs_exactly_as_one_in_memory(tmp_path, monkeypatch, mode, retyped):
    n = 300
    spooled = read_live(tmp_path, n, spooled=True, monkeypatch=monkeypatch)
    assert len(list((tmp_path / "spool").glob("values-0-*.arrow"))) > 3  # really on disk, in several files
    memory = read_live(tmp_path, n, spooled=False)
    src = source(n, {5: ("Five", None), 8: ("N8", None), 9: (None, "B")}, gone={0, 17, 299}, new=2)
    got, want = diff(src, spooled, mode, retyped), diff(src, memory, mode, retyped)
    for part in ("creates", "updates", "deletes"):
        assert getattr(got, part).equals(getattr(want, part)), part
    assert got.existing == want.existing == n + 1
    # and against the plain frame form the unit tests use
    frame = memory.to_frame()
    plain = LiveItems.of_frame("D1", frame, key=KEY, owned=COLS, unmatched=memory.unmatched)
    assert diff(src, plain, mode, retyped).updates.equals(got.updates)
    if mode == "mirror":
        assert got.deletes.to_dicts() == [
            {"id": "0", "_id": "u0", "code": "C0", "parent": None},
            {"id": "17", "_id": "u17", "code": "C17", "parent": "C8"},
            {"id": "299", "_id": "u299", "code": "C299", "parent": "C149"},
        ]
    if mode in ("mirror", "upsert", "update") and not retyped:
        assert got.updates.to_dicts() == [
            {"id": "5", "name": "Five", "name__before": "N5", "grade": None, "grade__before": None},
            {"id": "8", "name": "N8", "name__before": "N8", "grade": None, "grade__before": "G"},
            {"id": "9", "name": None, "name__before": "N9", "grade": "B", "grade__before": None},
        ]


class Recorder:
    """Wraps LiveValues.gather, recording the rows and columns each call asks for."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[tuple[list[int], list[str]]] = []
        real = LiveValues.gather

        def gather(values, rows, columns):
            self.calls.append((rows.to_list(), list(columns)))
            return real(values, rows, columns)

        monkeypatch.setattr(LiveValues, "gather", gather)


def test_only_the_changed_row_and_the_deleted_rows_are_read(tmp_path, monkeypatch):
    n = 1000
    live = read_live(tmp_path, n, spooled=True)
    recorder = Recorder(monkeypatch)
    changes = diff(source(n, {500: ("Changed", None)}, gone={3, 700}), live)
    assert changes.counts == {"create": 0, "update": 1, "delete": 2}
    assert sorted(recorder.calls) == [
        (
            [3, 700],
            ["_id", "code", "parent"],
        ),  # deletes: their extra columns (not in the index), these rows only
        ([500], COLS),  # updates: the one row of 1000 whose hash differs
    ]
    assert changes.updates.to_dicts() == [
        {"id": "500", "name": "Changed", "name__before": "N500", "grade": None, "grade__before": "G"}
    ]
    assert changes.deletes.to_dicts() == [
        {"id": "3", "_id": "u3", "code": "C3", "parent": "C1"},
        {"id": "700", "_id": "u700", "code": "C700", "parent": "C350"},
    ]


def test_an_unchanged_source_reads_no_live_value(tmp_path, monkeypatch):
    n = 1000
    live = read_live(tmp_path, n, spooled=True)
    recorder = Recorder(monkeypatch)
    changes = diff(source(n, {}, gone=set()), live, "mirror")
    assert changes.is_empty
    assert all(rows == [] for rows, _ in recorder.calls)


def test_a_retyped_column_forces_and_reads_only_the_rows_holding_a_value(tmp_path, monkeypatch):
    n = 40
    live = read_live(tmp_path, n, spooled=True)
    recorder = Recorder(monkeypatch)
    changes = diff(source(n, {}, gone=set()), live, "upsert", retyped=("grade",))
    holding = [i for i in range(n) if i % 4 == 0]  # live rows whose grade is set
    assert recorder.calls == [(holding, COLS)]
    assert changes.updates["id"].to_list() == [str(i) for i in holding]
    assert set(changes.updates["grade__before"].to_list()) == {RETYPED}
