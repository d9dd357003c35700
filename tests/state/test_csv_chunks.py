"""csv_chunks: an export file cut into record-aligned chunks must parse exactly as the whole file does.

The oracle is `pl.read_csv(path, infer_schema=False)` of the whole file; tiny `chunk_bytes` put the cuts
everywhere (inside quotes, between \\r and \\n, inside a UTF-8 character, mid-record).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgsync.api.bounded import AnswerTooLarge
from orgsync.api.files import gzip_bytes
from orgsync.errors import ApiError
from orgsync.state import csv_chunks
from orgsync.state.csv_chunks import frames, header

CHUNKS = [1, 2, 3, 5, 7, 11, 16, 64, 1 << 20]


def whole(path: Path, columns: list[str]) -> pl.DataFrame:
    """What the whole file parses to, restricted to the asked columns found in the header, in the order asked."""
    frame = pl.read_csv(path, infer_schema=False)
    return frame.select([c for c in columns if c in frame.columns])


def chunked(path: Path, columns: list[str], chunk_bytes: int) -> pl.DataFrame | None:
    parts = list(frames(path, columns, chunk_bytes=chunk_bytes))
    for part in parts:
        assert part.schema == pl.Schema({c: pl.Utf8 for c in columns if c in part.columns})
    return pl.concat(parts) if parts else None


CASES = {
    "plain": b"a,b,c\n1,2,3\n4,5,6\n",
    "quoted newline, comma and doubled quotes": b'a,b,c\n"x\ny, z",2,"say ""hi"""\n"""",",\n,",3\n',
    "crlf": b"a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "crlf inside quotes": b'a,b,c\r\n"x\r\ny",2,3\r\n4,"5\r\n",6\r\n',
    "bom before the header": b"\xef\xbb\xbfa,b,c\n1,2,3\n",
    "a record longer than any chunk": b'a,b,c\n1,"' + b"long, text\n" * 40 + b'",3\n4,5,6\n',
    "no newline at the end": b"a,b,c\n1,2,3\n4,5,6",
    "crlf, no newline at the end": b"a,b,c\r\n1,2,3\r\n4,5,6",
    "empty fields are null": b"a,b,c\n,,\n1,,\n,,3\n",
    "quoted empty field": b'a,b,c\n"",x,""\n',
    "utf-8 text": "a,b,c\nÉlodie,Zoë,名前\n€,ß,\n".encode(),
    "one column": b"c\n1\n2\n",
    "blank line inside": b"a,b,c\n1,2,3\n\n4,5,6\n",
    "short row": b"a,b,c\n1,2,3\n4\n5,6\n7,8,9\n",
    "whitespace-only line": b"a,b,c\n1,2,3\n \n4,5,6\n",
}


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
@pytest.mark.parametrize(
    "columns",
    [["a", "b", "c"], ["c", "a"], ["b"], ["nope", "c", "gone", "a"]],
    ids=["all", "reordered", "one", "with missing"],
)
@pytest.mark.parametrize("data", list(CASES.values()), ids=list(CASES))
def test_chunks_concatenate_to_the_whole_file(tmp_path, data, columns, chunk_bytes):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    want = whole(path, columns)
    got = chunked(path, columns, chunk_bytes)
    if not want.width:
        assert got is None  # none of the asked columns is in the header: no frame at all
        return
    assert got is not None
    assert got.equals(want), (got, want)
    assert want.height  # every case has records


def _packed(data: bytes, how: str) -> bytes:
    """`data` as an export may arrive: plain, gzip, or gzip in two members cut mid-file."""
    if how == "plain":
        return data
    if how == "gzip":
        return gzip_bytes(data)
    return gzip.compress(data[: len(data) // 2]) + gzip_bytes(data[len(data) // 2 :])


@pytest.mark.parametrize("chunk_bytes", [1, 7, 1 << 20])
@pytest.mark.parametrize("how", ["gzip", "two members"])
@pytest.mark.parametrize("data", list(CASES.values()), ids=list(CASES))
def test_a_gzip_export_is_unpacked_as_it_is_read_into_the_same_chunks_as_the_plain_file(
    tmp_path, data, how, chunk_bytes
):
    plain, packed = tmp_path / "plain.csv", tmp_path / "packed.csv"
    plain.write_bytes(data)
    packed.write_bytes(_packed(data, how))
    columns = ["c", "a", "b"]
    want = list(frames(plain, columns, chunk_bytes=chunk_bytes))
    got = list(frames(packed, columns, chunk_bytes=chunk_bytes, limit=len(data)))
    assert header(packed) == header(plain)
    assert len(got) == len(want) and all(g.equals(w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("how", ["plain", "gzip"])
def test_an_export_that_unpacks_past_the_download_limit_is_refused_as_it_is_read(tmp_path, how):
    data = b"id,name\n" + b"".join(b"%d,N%d\n" % (i, i) for i in range(20_000))
    path = tmp_path / "e.csv"
    path.write_bytes(_packed(data, how))
    assert sum(f.height for f in frames(path, ["id"], chunk_bytes=4096, limit=len(data))) == 20_000
    with pytest.raises(AnswerTooLarge, match=f"larger than {len(data) - 1} bytes"):
        list(frames(path, ["id"], chunk_bytes=4096, limit=len(data) - 1))


def test_a_gzip_bomb_is_stopped_at_the_limit_not_unpacked_whole(tmp_path, monkeypatch):
    """64 MiB of one long line in ~64 KiB of gzip: with a limit of 1 MiB, no read asks for more than the limit
    (plus one byte), so the bomb never reaches memory."""
    asked: list[int] = []
    real = csv_chunks.Unpacked.read

    def read(self, size=-1):
        out = real(self, size)
        asked.append(len(out))
        return out

    monkeypatch.setattr(csv_chunks.Unpacked, "read", read)
    path = tmp_path / "e.csv"
    path.write_bytes(b"".join([gzip.compress(b"id,name\n"), *[gzip.compress(b"1," + b"x" * (1 << 20))] * 64]))
    assert path.stat().st_size < 256 * 1024
    with pytest.raises(AnswerTooLarge, match="unpacked file is larger than 1048576 bytes"):
        list(frames(path, ["id"], chunk_bytes=64 * 1024, limit=1 << 20))
    assert sum(asked) <= (1 << 20) + 1


def test_a_corrupt_gzip_export_is_an_api_error_saying_so(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(gzip_bytes(b"id\n" + b"1\n" * 50_000)[:-20])
    with pytest.raises(ApiError, match="not readable gzip"):
        list(frames(path, ["id"], chunk_bytes=1024))


@pytest.mark.parametrize("chunk_bytes", [1, 4, 1 << 20])
def test_cuts_land_only_at_record_ends_and_a_long_record_grows_its_chunk(tmp_path, chunk_bytes):
    body = b'1,"' + b"x\n" * 100 + b'"\n2,y\n'
    path = tmp_path / "e.csv"
    path.write_bytes(b"k,v\n" + body)
    parts = list(frames(path, ["k", "v"], chunk_bytes=chunk_bytes))
    assert [p["k"].to_list() for p in parts] == ([["1"], ["2"]] if chunk_bytes < len(body) else [["1", "2"]])
    assert parts[0]["v"][0] == "x\n" * 100


def test_the_columns_come_in_the_order_asked_with_their_own_values(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"a,b,c,_id\n1,2,3,X\n")
    (frame,) = frames(path, ["_id", "c", "a", "missing"], chunk_bytes=3)
    assert frame.to_dicts() == [{"_id": "X", "c": "3", "a": "1"}]


@pytest.mark.parametrize("data", [b"", b"\n", b"  \r\n", b"a,b\n", b"a,b\r\n", b"\xef\xbb\xbfa,b\n", b"a,b"])
def test_an_empty_file_or_a_header_alone_gives_no_rows(tmp_path, data):
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    got = [f for f in frames(path, ["a", "b"], chunk_bytes=2)]
    assert sum(f.height for f in got) == 0


def test_header_strips_the_bom_and_reads_only_the_first_line(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name,_id\r\n1,Ana,A\r\n")
    assert header(path) == ["id", "name", "_id"]
    path.write_bytes(b"")
    assert header(path) == []
    path.write_bytes(b"   \n1,2\n")
    assert header(path) == []


def test_the_default_chunk_size_is_the_module_constant_read_at_each_call(tmp_path, monkeypatch):
    path = tmp_path / "e.csv"
    path.write_bytes(b"id,name\n" + b"".join(b"%d,N%d\n" % (i, i) for i in range(100)))
    assert len(list(frames(path, ["id", "name"]))) == 1  # 16 MiB: one chunk
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", 64)
    chunks = list(frames(path, ["id", "name"]))
    assert len(chunks) > 10 and pl.concat(chunks).equals(pl.read_csv(path, infer_schema=False))


# -- property: any table of awkward text, written as RFC 4180 CSV, any cut size --------------------------

_TEXT = st.lists(
    st.sampled_from(["a", "Z", " ", ",", '"', "\n", "\r\n", "\r", "é", "名", ";"]), max_size=6
).map("".join)


def _field(value: str | None) -> str:
    if value is None:
        return ""
    if value == "" or any(ch in value for ch in ',"\r\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def csv_files(draw):
    names = draw(
        st.lists(st.sampled_from(["a", "b", "c", "_id", "tree id"]), min_size=1, max_size=4, unique=True)
    )
    rows = draw(
        st.lists(st.lists(st.one_of(st.none(), _TEXT), min_size=len(names), max_size=len(names)), max_size=8)
    )
    # a row of nulls alone is a blank line, parsed as nulls whole (only the one-column case is ambiguous)
    if len(names) == 1:
        rows = [r for r in rows if r[0] is not None]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(_field(v) for v in r) for r in rows]
    if lines and draw(st.booleans()):  # a blank line (nulls) or a short row: a chunk may begin with either
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", "x"])))
    text = newline.join([",".join(_field(n) for n in names), *lines])
    if draw(st.booleans()):
        text += newline
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode(), names


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    case=csv_files(),
    chunk_bytes=st.integers(min_value=1, max_value=48),
    asked=st.lists(
        st.sampled_from(["a", "b", "c", "_id", "tree id", "zz"]), min_size=1, max_size=5, unique=True
    ),
)
def test_property_chunks_equal_the_whole_file(tmp_path, case, chunk_bytes, asked):
    data, _ = case
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    want = whole(path, asked)
    got = chunked(path, asked, chunk_bytes)
    if got is None:  # no frame at all: none of the asked columns is in the header, or there is no record
        assert want.width == 0 or want.height == 0
    else:
        assert got.equals(want), (data, asked, chunk_bytes, got, want)


# -- a hostile or broken export: a clear error, never a traceback or a record gathered without end -----------


def test_a_quote_that_never_closes_is_refused_once_past_the_record_limit(tmp_path, monkeypatch):
    from orgsync.errors import UnexpectedAnswerError

    path = tmp_path / "e.csv"
    path.write_bytes(b'id,name\n1,"opens\n' + b"and never closes,\n" * 200)
    monkeypatch.setattr(csv_chunks, "MAX_RECORD_BYTES", 256)
    with pytest.raises(UnexpectedAnswerError, match="longer than 0 MiB .or a quote that never closes"):
        list(frames(path, ["id", "name"], chunk_bytes=64))


def test_an_export_polars_cannot_read_is_an_api_error_naming_what_to_do(tmp_path):
    from orgsync.errors import UnexpectedAnswerError

    path = tmp_path / "e.csv"
    path.write_bytes(b"id,name\n1,Ann\n2,Bo,extra,fields\n")
    with pytest.raises(UnexpectedAnswerError, match="not readable CSV") as caught:
        list(frames(path, ["id", "name"]))
    assert "export the dataset again" in (caught.value.hint or "")


def test_a_first_line_past_the_record_limit_is_refused_not_read_whole(tmp_path, monkeypatch):
    from orgsync.errors import UnexpectedAnswerError

    path = tmp_path / "e.csv"
    path.write_bytes(b"id," + b"x" * 1000)  # no line break at all
    monkeypatch.setattr(csv_chunks, "MAX_RECORD_BYTES", 100)
    with pytest.raises(UnexpectedAnswerError, match="record longer than"):
        header(path)
    with pytest.raises(UnexpectedAnswerError, match="record longer than"):
        list(frames(path, ["id"]))


def test_the_unreadable_export_message_names_no_value_of_the_row(tmp_path):
    from orgsync.errors import UnexpectedAnswerError

    path = tmp_path / "e.csv"
    path.write_bytes(b"id,salary\n1,90000\n2,123456789,SECRET-VALUE\n")
    with pytest.raises(UnexpectedAnswerError) as caught:
        list(frames(path, ["id", "salary"]))
    assert "SECRET-VALUE" not in str(caught.value) and "123456789" not in str(caught.value)
    assert "polars: " in str(caught.value)
