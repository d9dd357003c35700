"""JSON and JSONL sources: the fast column build equals the exact one, edge cases, and exact messages."""

from __future__ import annotations

import gzip
import random

import orjson
import polars as pl
import pytest

from orgsync.errors import SourceError
from orgsync.manifest.loader import load_project
from orgsync.sources.json_records import exact_columns, fast_columns
from orgsync.sources.parse import parse_source
from orgsync.sources.readers import read_source

TRICKY_NUMBERS = [
    0,
    1,
    -1,
    65000,
    1.0,
    65000.0,
    0.5,
    0.1,
    -0.0,
    1e20,
    1e16,
    1e15,
    1e-5,
    1e-7,
    1.5e300,
    5e-324,
    123456789.123,
    0.30000000000000004,
    2**53 + 1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
]
TRICKY_TEXTS = [
    "",
    " ",
    "Zoë 日本 🙂",
    "{not nested}",
    "[draft]",
    "{}",
    "[]",
    "1e5",
    "0.00001",
    "12345678901234567",
    "true",
    "null",
    "a\nb",
    '"quoted"',
]


def both(records: list[object]) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    return fast_columns(records), exact_columns(records, range(1, len(records) + 1), "f.json", "item")


def random_records(seed: int, count: int) -> list[dict[str, object]]:
    """Records with keys missing, in varying order, some first seen late, and every kind of scalar."""
    rng = random.Random(seed)
    scalars = [*TRICKY_NUMBERS, *TRICKY_TEXTS, True, False, None]
    keys = [f"k{i}" for i in range(8)] + ["ключ", "é"]
    records = []
    for index in range(count):
        present = rng.sample(keys[: 3 + index * 8 // count], rng.randint(0, 3 + index * 8 // count))
        records.append({key: rng.choice(scalars) for key in present})
    return records


def test_fast_and_exact_give_the_same_frame_for_every_kind_of_scalar():
    records = [{"n": value, "t": text} for value in TRICKY_NUMBERS for text in TRICKY_TEXTS[:3]]
    records += [{"t": text, "b": flag} for text in TRICKY_TEXTS for flag in (True, False, None)]
    fast, exact = both(records)
    assert fast is not None and fast.equals(exact)
    assert fast.schema == {"n": pl.Utf8, "t": pl.Utf8, "b": pl.Utf8}
    # The text of a value is Python's: what the canonical rules have always been given.
    assert fast["n"].head(len(TRICKY_NUMBERS) * 3).gather_every(3).to_list() == [
        str(v) for v in TRICKY_NUMBERS
    ]
    assert fast["b"].drop_nulls().unique(maintain_order=True).to_list() == ["true", "false"]


@pytest.mark.parametrize("seed", range(20))
def test_fast_and_exact_agree_on_generated_records(seed):
    fast, exact = both(random_records(seed, 300))
    assert fast is not None and fast.equals(exact)


def test_columns_are_the_union_of_keys_in_first_seen_order():
    records = [
        {"b": 1, "a": "x"},
        {"a": "y", "b": 2},
        *({"a": "z"} for _ in range(300)),
        {"late": True, "a": "w"},
    ]
    fast, exact = both(records)
    assert fast is not None and fast.equals(exact)
    assert fast.columns == ["b", "a", "late"]
    assert fast.row(0) == ("1", "x", None) and fast.row(1) == ("2", "y", None)
    assert fast.row(-1) == (None, "w", "true")


@pytest.mark.parametrize(
    "records",
    [[{"a": 1}, 5], [{"a": 1}, None], [{"a": {"x": 1}}], [{"a": [1]}], [{"a": "x"}, {"a": {}}], [{"a": []}]],
)
def test_the_fast_build_gives_up_on_what_the_exact_path_must_name(records):
    assert fast_columns(records) is None
    with pytest.raises(SourceError):
        exact_columns(records, range(1, len(records) + 1), "f.json", "item")


def parse(data: bytes, fmt: str, gzipped: bool = False):
    return parse_source(data, fmt, gzipped, "f")


def messages(data: bytes, fmt: str) -> list[str]:
    with pytest.raises(SourceError) as err:
        parse(data, fmt)
    return [str(p) for p in err.value.problems]


def test_json_and_jsonl_files_read_the_same_with_bom_gzip_and_unicode():
    records = random_records(7, 200)
    array, lines = orjson.dumps(records), b"\n".join(orjson.dumps(r) for r in records) + b"\n"
    expected = exact_columns(records, range(1, 201), "f", "item")
    for data, fmt in [
        (array, "json"),
        (b"\xef\xbb\xbf" + array, "json"),
        (lines, "jsonl"),
        (b"\xef\xbb\xbf" + lines, "jsonl"),
        (lines.replace(b"\n", b"\r\n"), "jsonl"),
    ]:
        assert parse(data, fmt).frame.equals(expected)
        assert parse(gzip.compress(data), fmt, gzipped=True).frame.equals(expected)
    assert parse(lines, "jsonl").rows.to_list() == list(range(1, 201))
    assert parse(array, "json").rows.to_list() == list(range(1, 201))


def test_empty_array_and_blank_lines():
    empty = parse(b" [ ] ", "json")
    assert empty.frame.shape == (0, 0) and empty.rows.to_list() == [] and empty.row_word == "item"
    raw = parse(b'\n{"a": "x"}\n   \n\n{"a": "y"}\n\n', "jsonl")
    assert raw.frame.to_dict(as_series=False) == {"a": ["x", "y"]}
    assert raw.rows.to_list() == [2, 5] and raw.row_word == "line"


def test_a_nested_value_late_in_a_big_file_is_named_exactly():
    records: list[object] = [{"id": f"E{i}", "n": i} for i in range(1, 1001)]
    records[699] = {"id": "E700", "n": {"x": 1}}
    assert messages(orjson.dumps(records), "json") == [
        "f: n: item 700: nested value; expected a string, number, boolean or null"
    ]
    lines = b"\n".join(orjson.dumps(r) for r in records)
    assert messages(lines, "jsonl") == [
        "f:700: n: line 700: nested value; expected a string, number, boolean or null"
    ]


def test_a_non_object_is_named_with_its_line_or_item():
    assert messages(b'{"a": 1}\n\n[1, 2]\n"x"\n', "jsonl") == [
        "f:3: line 3 is a JSON list; expected an object of column: value",
        "f:4: line 4 is a JSON str; expected an object of column: value",
    ]
    assert messages(b'[{"a": 1}, 2, null]', "json") == [
        "f: item 2 is a JSON int; expected an object of column: value",
        "f: item 3 is a JSON NoneType; expected an object of column: value",
    ]


def test_a_malformed_document_is_named_with_its_line():
    assert messages(b'[\n{"a": 1},\n{"a": }\n]', "json") == [
        "f:3: invalid JSON at line 3, column 7: unexpected character, expected a JSON value"
    ]
    assert messages(b'{"a": 1}\n{"a": 1,}\n{"a"}\n', "jsonl") == [
        "f:2: line 2 is not valid JSON: trailing comma is not allowed",
        "f:3: line 3 is not valid JSON: unexpected character, expected ':' after key",
    ]
    assert messages(b'[{"a": "\xff"}]', "json") == [
        "f:1: items.encoding: byte 0xff at line 1 is not valid UTF-8; "
        "it decodes as cp1252: set `encoding: cp1252`"
    ]


MANIFEST = """kind: Dataset
name: People
type: PEOPLE
autoId: id
labelId: name
properties:
  - {key: id, name: ID, type: text}
  - {key: name, name: Name, type: text}
  - {key: salary, name: Salary, type: number}
  - {key: manager, name: Manager, type: boolean}
items: {source: ../data/people.SUFFIX}
"""
CANONICAL_CSV = b"id,name,salary,manager\nE1,Ada,65000,true\nE2,,65000.50,false\nE3, Grace ,,\n"
CANONICAL_JSON = [
    {"id": "E1", "name": "Ada", "salary": 65000, "manager": True},
    {"manager": False, "salary": 65000.5, "id": "E2", "name": ""},
    {"id": "E3", "name": " Grace ", "salary": None},
]


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("csv", CANONICAL_CSV),
        ("json", b"\xef\xbb\xbf" + orjson.dumps(CANONICAL_JSON)),
        ("jsonl", b"\n".join(orjson.dumps(r) for r in CANONICAL_JSON)),
        ("jsonl.gz", gzip.compress(b"\n".join(orjson.dumps(r) for r in CANONICAL_JSON))),
    ],
)
def test_a_json_number_and_csv_text_give_one_canonical_value(tmp_path, suffix, data):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "orgsync.yaml").write_text("tenant: T\nendpoint: local\n")
    (tmp_path / "manifests" / "people.yaml").write_text(MANIFEST.replace("SUFFIX", suffix))
    (tmp_path / "data" / f"people.{suffix}").write_bytes(data)
    project = load_project(tmp_path, env={})
    assert read_source(project.manifests[0], project).frame.rows() == [
        ("E1", "Ada", "65000", "true"),
        ("E2", None, "65000.5", "false"),
        ("E3", "Grace", None, None),
    ]


def test_jsonl_read_in_chunks_gives_the_frame_and_messages_of_one_read(monkeypatch):
    records: list[object] = [{} for _ in range(4)] + random_records(3, 100) + [{} for _ in range(5)]
    lines = b"\n".join(orjson.dumps(r) for r in records) + b"\n\n"
    whole = parse(lines, "jsonl")
    assert whole.frame.equals(exact_columns(records, range(1, 110), "f", "line"))
    monkeypatch.setattr("orgsync.sources.json_records.CHUNK_LINES", 3)
    chunked = parse(lines, "jsonl")
    assert chunked.frame.equals(whole.frame) and chunked.rows.equals(whole.rows)
    # Misshapen records across chunks: the first 20 in file order; a malformed line anywhere comes first.
    bad = b"\n".join([b"[1]"] * 25)
    assert messages(bad, "jsonl") == [
        f"f:{n}: line {n} is a JSON list; expected an object of column: value" for n in range(1, 21)
    ]
    assert messages(bad + b"\n{", "jsonl") == ["f:26: line 26 is not valid JSON: unexpected end of data"]
