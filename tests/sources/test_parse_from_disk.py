"""parse_delimited_file (a plain UTF-8 csv/tsv parsed from disk, `sources.inputs._read_file`) must behave exactly
like `parse_source(path.read_bytes(), ...)`: the same frame and row numbers, or the same errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from orgsync.errors import Location, SourceError
from orgsync.sources import inputs
from orgsync.sources.parse import count_in, file_facts, parse_delimited_file, parse_source
from orgsync.sources.settings import ReadSettings

MANY_RAGGED = b"a,b\n" + b"1,2,3\n" * 30
FILES: dict[str, tuple[str, bytes]] = {
    # readable
    "plain": ("csv", b"id,name,team\n1,Ana,T1\n2,Bo,T2\n"),
    "plain tsv": ("tsv", b"id\tname\n1\tAna\n2\tBo\n"),
    "no final newline": ("csv", b"id,name\n1,Ana\n2,Bo"),
    "quoted commas, newlines, quotes": ("csv", b'id,note\n1,"a, b"\n2,"two\nlines"\n3,"say ""hi"""\n'),
    "crlf": ("csv", b"id,name\r\n1,Ana\r\n2,Bo\r\n"),
    "crlf and quotes": ("csv", b'id,name\r\n1,"A\r\nna"\r\n2,Bo\r\n'),
    "blank lines": ("csv", b"id,name\n1,Ana\n\n2,Bo\n\n"),
    "a line of empty fields": ("csv", b"id,name\n1,Ana\n,\n2,Bo\n"),
    "empty fields are null": ("csv", b"id,name,team\n1,,T1\n2,Bo,\n"),
    "utf-8 bom": ("csv", b"\xef\xbb\xbfid,name\n1,\xc3\x89lodie\n"),
    "header only": ("csv", b"id,name\n"),
    "unit separator byte": ("csv", b"id,name\n1,A\x1fB\n"),
    "one column": ("csv", b"id\n1\n2\n"),
    "spaces kept": ("csv", b"id,name\n1,  Ana \n"),
    # errors
    "empty file": ("csv", b""),
    "whitespace only": ("csv", b"  \n\n"),
    "utf-16 le bom": ("csv", "id,name\n1,Ana\n".encode("utf-16")),
    "utf-16 be bom": ("csv", b"\xfe\xff" + "id\n1\n".encode("utf-16-be")),
    "cp1252 e acute": ("csv", "id,name\n1,Élodie\n".encode("cp1252")),
    "cp1252 in the header": ("csv", "id,nämé\n1,x\n".encode("cp1252")),
    "duplicate header": ("csv", b"id,name,name\n1,a,b\n"),
    "empty header cell": ("csv", b"id,,team\n1,a,b\n"),
    "semicolons in a csv": ("csv", b"id;name;team\n1;Ana;T1\n"),
    "tabs in a csv": ("csv", b"id\tname\n1\tAna\n"),
    "commas in a tsv": ("tsv", b"id,name\n1,Ana\n"),
    "a row with too few fields": ("csv", b"id,name,team\n1,Ana,T1\n2,Bo\n3,Cy,T3\n"),
    "a row with too many fields": ("csv", b"id,name\n1,Ana\n2,Bo,extra\n3,Cy\n"),
    "both, quoted file": ("csv", b'id,name\n1,"A, na"\n2\n"3",x,y\n'),
    "too few in the last row, no newline": ("csv", b"id,name,team\n1,Ana,T1\n2,Bo"),
    "too many in a crlf file": ("csv", b"id,name\r\n1,Ana\r\n2,Bo,x\r\n"),
    "many ragged rows": ("csv", MANY_RAGGED),
    "unclosed quote": ("csv", b'id,name\n1,"Ana\n2,Bo\n'),
    # quoted files proven by counting the separators inside values (issue 24)
    "quoted separators in every column": ("csv", b'id,name,team\n"1,0","A, na","T,1"\n2,"B,o,",T2\n'),
    "a quoted header name with a separator": ("csv", b'"id,x",name\n1,"A, na"\n'),
    "quoted, a short row": ("csv", b'id,name,team\n1,"A, na",T1\n2,"Bo"\n3,Cy,T3\n'),
    "quoted, a short row whose quote holds the missing separator": ("csv", b'id,a,b\n1,"x,y"\n2,p,q\n'),
    "quoted newline, then a short row": ("csv", b'id,a,b\n1,"x\ny",z\n2,p\n'),
    "quoted tsv, a tab inside": ("tsv", b'id\tname\n1\t"A\tna"\n2\tBo\n'),
}


def _outcome(read) -> tuple[str, object]:
    try:
        raw = read()
    except SourceError as err:
        return "error", (str(err), [(p.location, p.message, p.field) for p in err.problems])
    assert raw.frame.schema == pl.Schema({c: pl.Utf8 for c in raw.frame.columns})
    return "ok", (raw.frame.to_dict(as_series=False), raw.rows.to_list(), raw.rows.dtype, raw.row_word)


def _write(tmp_path: Path, name: str, fmt: str, data: bytes) -> Path:
    path = tmp_path / f"{name.replace(' ', '_').replace(',', '')}.{fmt}"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", list(FILES))
def test_from_disk_equals_from_bytes(tmp_path, name):
    fmt, data = FILES[name]
    path = _write(tmp_path, "people", fmt, data)
    sep = "," if fmt == "csv" else "\t"
    want = _outcome(lambda: parse_source(data, fmt, False, "data/people.csv"))
    facts = file_facts(path, '"')
    got = _outcome(lambda: parse_delimited_file(path, sep, '"', "data/people.csv", facts))
    assert got == want
    assert facts.sha256 == hashlib.sha256(data).hexdigest() and facts.size == len(data)


@pytest.mark.parametrize("name", list(FILES))
def test_read_file_takes_the_disk_path_with_the_same_result_and_checksum(tmp_path, monkeypatch, name):
    fmt, data = FILES[name]
    path = _write(tmp_path, "people", fmt, data)
    used: list[Path] = []
    real = inputs.parse_delimited_file
    monkeypatch.setattr(inputs, "parse_delimited_file", lambda p, *a: used.append(p) or real(p, *a))
    where = Location("manifests/people.yaml", 3)
    result: list[object] = []
    got = _outcome(
        lambda: (
            result.append(inputs._read_file(path, "data/people.csv", ReadSettings(), where, "items.source"))
            or result[0].raw
        )
    )
    assert used == [path]  # plain UTF-8 csv/tsv, not gzip: parsed from disk
    assert got == _outcome(lambda: parse_source(data, fmt, False, "data/people.csv"))
    if got[0] == "ok":
        assert result[0].sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
@pytest.mark.parametrize(
    "name",
    [
        "plain",
        "crlf",
        "no final newline",
        "utf-8 bom",
        "empty file",
        "whitespace only",
        "quoted commas, newlines, quotes",
        "unit separator byte",
    ],
)
def test_file_facts_do_not_depend_on_the_read_size(tmp_path, name, chunk):
    fmt, data = FILES[name]
    path = _write(tmp_path, "p", fmt, data)
    sep = "," if fmt == "csv" else "\t"
    facts = file_facts(path, '"', chunk=chunk)
    assert facts == file_facts(path, '"')
    assert facts.sha256 == hashlib.sha256(data).hexdigest() and facts.size == len(data)
    assert facts.head == data[:4] and count_in(path, sep, chunk=chunk) == data.count(sep.encode())
    assert facts.blank == (not data or data.isspace())
    assert facts.plain == (data.endswith(b"\n") and not any(m in data for m in (b'"', b"\r", b"\x1f")))


@pytest.mark.parametrize(
    "name",
    [
        "quoted commas, newlines, quotes",
        "quoted separators in every column",
        "a quoted header name with a separator",
        "quoted tsv, a tab inside",
    ],
)
def test_a_well_formed_quoted_file_is_proven_without_looking_at_each_line(tmp_path, monkeypatch, name):
    from orgsync.sources import parse

    fmt, data = FILES[name]
    path = _write(tmp_path, "people", fmt, data)
    sep = "," if fmt == "csv" else "\t"
    monkeypatch.setattr(parse, "_check_ragged", lambda *a: pytest.fail("the separator count proves it"))
    assert _outcome(lambda: parse_source(data, fmt, False, "p.csv"))[0] == "ok"
    assert _outcome(lambda: parse_delimited_file(path, sep, '"', "p.csv", file_facts(path, '"')))[0] == "ok"


@pytest.mark.parametrize(
    "name",
    [
        "quoted, a short row",
        "quoted, a short row whose quote holds the missing separator",
        "quoted newline, then a short row",
    ],
)
def test_a_short_row_in_a_quoted_file_is_still_reported(tmp_path, name):
    fmt, data = FILES[name]
    path = _write(tmp_path, "people", fmt, data)
    got = _outcome(lambda: parse_delimited_file(path, ",", '"', "p.csv", file_facts(path, '"')))
    assert got[0] == "error" and "fields; expected 3 like the header" in got[1][0]


def test_a_gzipped_or_non_utf8_source_is_still_read_from_bytes(tmp_path, monkeypatch):
    import gzip

    monkeypatch.setattr(inputs, "parse_delimited_file", lambda *a: pytest.fail("not a plain UTF-8 file"))
    where = Location("m.yaml", 1)
    gz = tmp_path / "p.csv.gz"
    gz.write_bytes(gzip.compress(b"id\n1\n"))
    assert inputs._read_file(gz, "p.csv.gz", ReadSettings(), where, "f").raw.frame["id"].to_list() == ["1"]
    latin = tmp_path / "p.csv"
    latin.write_bytes("id\nÉ\n".encode("cp1252"))
    read = inputs._read_file(latin, "p.csv", ReadSettings(encoding="cp1252"), where, "f")
    assert read.raw.frame["id"].to_list() == ["É"]


def test_a_file_whose_last_column_is_never_empty_is_proven_without_counting(tmp_path, monkeypatch):
    """A record with fewer fields than the header leaves its last field null: with no null in the last column,
    no record is short, so neither the file's separator count nor the values' is needed (the file's separators
    are not even counted); one empty last field sends the proof back to the counts."""
    from orgsync.sources import parse

    data = b'id,name,team\n1,"A, na",T1\n"2","B,o",T2\n3,"",T3\n'
    path = _write(tmp_path, "people", "csv", data)
    monkeypatch.setattr(parse, "_check_ragged", lambda *a: pytest.fail("the last column proves it"))
    monkeypatch.setattr(parse, "count_in", lambda *a: pytest.fail("the separators were counted"))
    raw = parse_delimited_file(path, ",", '"', "p.csv", file_facts(path, '"'))
    assert raw.frame.rows() == [
        ("1", "A, na", "T1"),
        ("2", "B,o", "T2"),
        ("3", "", "T3"),
    ]  # a quoted "" stays "" until made canonical
    empty_last = _write(tmp_path, "empty-last", "csv", b'id,name,team\n1,"A, na",\n2,Bo,T2\n')
    monkeypatch.setattr(parse, "count_in", lambda *a: -1)  # counted now, and wrong on purpose
    with pytest.raises(pytest.fail.Exception, match="the last column proves it"):  # looked at the lines
        parse_delimited_file(empty_last, ",", '"', "p.csv", file_facts(empty_last, '"'))
