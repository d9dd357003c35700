"""parse_items: the export read a chunk at a time into an index (key + hash) with the values spooled to Arrow
files, or held in memory; both give the same items, and the hashes do not depend on where the chunks were cut."""

from __future__ import annotations

import functools
from pathlib import Path

import polars as pl
import pytest

from orgsync.api.files import gzip_bytes
from orgsync.sources.canonical import canonical_frame
from orgsync.sources.table import SourceTable
from orgsync.state import csv_chunks, reader
from orgsync.state.reader import RawExport, RawLive, parse_items, parse_live
from orgsync.state.snapshot import LIVE_ROW, ROW_HASH, row_hashes

TYPES = {"id": "number", "name": "text", "salary": "number", "start": "date", "active": "boolean"}
OWNED = ["name", "salary", "start", "active"]


def table(owned=OWNED, key=("id",)) -> SourceTable:
    return SourceTable(
        name="People",
        path=Path("people.csv"),
        frame=pl.DataFrame(),
        key=list(key),
        owned=list(owned),
        types=TYPES,
        sha256="x",
    )


def export_bytes(n: int = 200) -> bytes:
    lines = [b"id,name,salary,start,active,_id"]
    for i in range(n):
        key = b"" if i % 50 == 13 else b"%d" % i  # a few keyless items
        name = b'"Name, ""%d""\nsecond line"' % i if i % 9 == 0 else (b" N%d " % i if i % 5 else b"")
        salary = b"%d.50" % i if i % 4 else b"%d.0" % (1000 * i)
        start = b"2024-01-%02d" % (i % 28 + 1) if i % 6 else b""
        active = (b"TRUE", b"false", b"")[i % 3]
        lines.append(b",".join([key, name, salary, start, active, b"u%d" % i]))
    return b"\r\n".join(lines) + b"\r\n"


def write(tmp_path: Path, data: bytes, name: str = "export-0.csv") -> RawExport:
    path = tmp_path / name
    path.write_bytes(data)
    return RawExport("People", "D1", path)


def small_chunks(monkeypatch, size: int) -> None:
    """Make parse_items read the export in chunks of `size` bytes (CHUNK_BYTES is bound as frames' default)."""
    monkeypatch.setattr(csv_chunks, "frames", functools.partial(csv_chunks.frames, chunk_bytes=size))


@pytest.fixture(autouse=True)
def spool_from_the_first_chunk(monkeypatch) -> None:
    """These exports are small: their values go to the spool from the first chunk, unless a test says otherwise."""
    monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", 0)


def test_spooled_and_in_memory_give_the_same_items(tmp_path, monkeypatch):
    small_chunks(monkeypatch, 256)
    data = export_bytes()
    memory = parse_items(write(tmp_path, data), table())
    spool = tmp_path / "spool"
    spool.mkdir()
    export = write(spool, data)
    spooled = parse_items(export, table(), spool, number=3)
    assert spooled.to_frame().equals(memory.to_frame())
    assert spooled.index.equals(memory.index) and spooled.unmatched == memory.unmatched == 4
    assert not export.path.exists()  # the export file is removed once read
    parts = sorted(p.name for p in spool.iterdir())
    assert len(parts) > 5 and all(p.startswith("values-3-") and p.endswith(".arrow") for p in parts)
    assert pl.concat([pl.read_ipc(spool / p) for p in parts]).equals(
        memory.values.whole(list(memory.values.columns))
    )
    assert (
        spooled.values.height == memory.values.height == 200
    )  # keyless items too: LIVE_ROW is the export row


@pytest.mark.parametrize("size", [1, 7, 64, 1000, 1 << 20])
def test_the_index_and_values_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch, size):
    data = export_bytes()
    reference = parse_items(write(tmp_path, data, "ref.csv"), table())
    small_chunks(monkeypatch, size)
    spool = tmp_path / "spool"
    spool.mkdir()
    items = parse_items(write(spool, data), table(), spool)
    assert items.index.equals(reference.index)
    assert items.index[LIVE_ROW].to_list() == [i for i in range(200) if i % 50 != 13]
    assert items.to_frame().equals(reference.to_frame())


def test_a_live_row_hashes_as_the_same_canonical_source_row(tmp_path):
    """The live side hashes its canonical values while reading; the source side hashes its own canonical frame:
    for the same values the two hashes are equal, so an unchanged row is never read back."""
    live = parse_items(
        write(
            tmp_path,
            b"id,name,salary,start,active,_id\n1, Ana ,65000.0,2024-01-02,TRUE,A\n2,,0.50,,false,B\n",
        ),
        table(),
    )
    source = pl.DataFrame(
        {
            "id": ["1", "2"],
            "name": ["Ana", None],
            "salary": ["65000", ".5"],
            "start": ["2024-01-02", None],
            "active": ["true", "FALSE"],
        }
    )
    canonical = canonical_frame(source, TYPES)
    assert live.index[ROW_HASH].to_list() == row_hashes(canonical, OWNED).to_list()
    assert live.to_frame().drop("_id").equals(canonical)


def test_keyless_items_are_counted_not_indexed(tmp_path):
    items = parse_items(write(tmp_path, b"id,name,_id\n,Ghost,G\n1,Ana,A\n,,H\n"), table(["name"]))
    assert items.unmatched == 2 and items.index["id"].to_list() == ["1"]
    assert items.index[LIVE_ROW].to_list() == [1] and items.to_frame().to_dicts() == [
        {"id": "1", "name": "Ana", "_id": "A"}
    ]


def test_a_composite_key_is_kept_only_when_every_part_is_set(tmp_path):
    t = SourceTable(
        name="People",
        path=Path("p.csv"),
        frame=pl.DataFrame(),
        key=["a", "b"],
        owned=["v"],
        types={"a": "text", "b": "text", "v": "text"},
        sha256="",
    )
    items = parse_items(write(tmp_path, b"a,b,v,_id\nx,,1,A\n,y,2,B\nx,y,3,C\n"), t)
    assert items.unmatched == 2 and items.to_frame().to_dicts() == [
        {"a": "x", "b": "y", "v": "3", "_id": "C"}
    ]


def test_no_owned_column_hashes_nothing_and_still_spools_the_id(tmp_path):
    spool = tmp_path / "s"
    spool.mkdir()
    items = parse_items(write(spool, b"id,_id\n1,A\n2,B\n"), table([]), spool)
    assert items.hashed == () and items.index[ROW_HASH].null_count() == 2
    assert items.to_frame().to_dicts() == [{"id": "1", "_id": "A"}, {"id": "2", "_id": "B"}]


@pytest.mark.parametrize("data", [b"", b"id,name,salary,start,active,_id\n", b"id,name\r\n"])
def test_an_empty_export_spooled_gives_an_empty_typed_frame(tmp_path, data):
    spool = tmp_path / "s"
    spool.mkdir()
    items = parse_items(write(spool, data), table(), spool)
    frame = items.to_frame()
    assert frame.height == 0 and items.unmatched == 0 and list(spool.iterdir()) == []
    assert frame.schema == pl.Schema({c: pl.Utf8 for c in ["id", *OWNED, "_id"]})


def test_parse_live_numbers_each_datasets_files_apart(tmp_path, monkeypatch):
    small_chunks(monkeypatch, 32)
    monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", 0)
    spool = tmp_path / "s"
    spool.mkdir()
    first, second = (
        write(spool, export_bytes(20), "export-0.csv"),
        write(spool, export_bytes(30), "export-1.csv"),
    )
    second = RawExport("People", "D2", second.path)
    live = parse_live(RawLive("T", "ACME", [], [first, second]), {"People": table()}, spool)
    assert {p.name.split("-")[1] for p in spool.iterdir()} == {"0", "1"}
    assert live.items["D1"].to_frame().height == 19 and live.items["D2"].to_frame().height == 29
    assert live.items["D2"].to_frame()["_id"].to_list() == [f"u{i}" for i in range(30) if i != 13]


def test_values_stay_in_memory_until_they_pass_spool_from_bytes_and_the_rest_is_spooled(
    tmp_path, monkeypatch
):
    """Writing Arrow files for a small export costs more than it saves: its values stay in memory. A big one's
    first chunks stay too, until the values held pass SPOOL_FROM_BYTES (as measured, whatever the file's size);
    each later chunk goes to its own file. Every split gives the items of the export read in memory."""
    small_chunks(monkeypatch, 256)
    data = export_bytes(300)
    memory = parse_items(write(tmp_path, data), table())
    chunks = len(list(csv_chunks.frames(write(tmp_path, data, "again.csv").path, ["id"])))
    for threshold, files in [(1 << 30, 0), (1, chunks - 1), (0, chunks)]:
        monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", threshold)
        spool = tmp_path / f"s{threshold}"
        spool.mkdir()
        export = write(spool, data)
        live = parse_live(
            RawLive("T", "ACME", [], [RawExport("People", "D1", export.path)]), {"People": table()}, spool
        )
        parts = sorted(p.name for p in spool.iterdir())
        assert len(parts) == files and all(n.startswith("values-0-") for n in parts)  # and the export removed
        assert live.items["D1"].to_frame().equals(memory.to_frame())
        assert live.items["D1"].index.equals(memory.index)
    assert chunks > 5


def test_a_gzip_export_is_spooled_by_the_values_it_unpacks_to_and_gives_the_same_items(tmp_path, monkeypatch):
    """The export is kept as the service sent it (gzip): its values are spooled once those held pass
    SPOOL_FROM_BYTES, however small the gzip file, and its items are those of the same export unpacked."""
    small_chunks(monkeypatch, 1024)
    data = export_bytes(300)
    plain = parse_items(write(tmp_path, data, "plain.csv"), table())
    spool = tmp_path / "s"
    spool.mkdir()
    packed = RawExport("People", "D1", spool / "export-0.csv", limit=len(data))
    packed.path.write_bytes(gzip_bytes(data))
    assert packed.path.stat().st_size < len(data) // 2
    monkeypatch.setattr(reader, "SPOOL_FROM_BYTES", packed.path.stat().st_size)  # more than the gzip file
    live = parse_live(RawLive("T", "ACME", [], [packed]), {"People": table()}, spool)
    parts = sorted(p.name for p in spool.iterdir())
    assert parts and all(n.startswith("values-0-") for n in parts)  # spooled, and the export removed
    assert live.items["D1"].to_frame().equals(plain.to_frame()) and live.items["D1"].index.equals(plain.index)
