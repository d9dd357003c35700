"""CSV dialects, encodings and number formats: `delimiter`, `quote`, `encoding`, `decimalSeparator`, `thousandsSeparator`."""

from __future__ import annotations

import codecs
import gzip

import pytest

from orgsync.sources import encoding
from tests.support.source_repo import errors, repo, rows

HEADER = "employee_id,full_name,salary,start_date,active\n"
ROWS = [
    {
        "employee_id": "E1",
        "full_name": "Zoë Müller",
        "salary": "65000.5",
        "start_date": "2020-01-02",
        "active": "true",
    },
    {
        "employee_id": "E2",
        "full_name": "José Núñez",
        "salary": "1234",
        "start_date": "2021-03-04",
        "active": "false",
    },
]
CSV = HEADER + "E1,Zoë Müller,65000.5,2020-01-02,yes\nE2,José Núñez,1234,2021-03-04,no\n"


def test_semicolon_delimiter_and_quote(tmp_path):
    data = "employee_id;full_name;salary;start_date;active\nE1;'Zoë; Müller';65000.5;2020-01-02;yes\n"
    repo(tmp_path, "  source: ../data/p.csv\n  delimiter: ';'\n  quote: \"'\"\n", {"p.csv": data.encode()})
    assert rows(tmp_path)[0]["full_name"] == "Zoë; Müller"


def test_a_semicolon_header_without_the_setting_is_one_error_naming_it(tmp_path):
    data = "employee_id;full_name;salary;start_date;active\nE1;Zoë;1;2020-01-02;yes\n"
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": data.encode()})
    assert errors(tmp_path) == [
        "data/p.csv:1: items.delimiter: the header has 4 `;` and no `,`: set `delimiter: ';'`"
    ]


def test_a_tab_header_names_the_tab(tmp_path):
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": b"employee_id\tfull_name\nE1\tA\n"})
    assert errors(tmp_path) == [
        'data/p.csv:1: items.delimiter: the header has 1 `\\t` and no `,`: set `delimiter: "\\t"`'
    ]


@pytest.mark.parametrize("codec", ["cp1252", "latin-1", "utf-16", "utf-8-sig"])
def test_declared_encodings_are_transcoded(tmp_path, codec):
    repo(tmp_path, f"  source: ../data/p.csv\n  encoding: {codec}\n", {"p.csv": CSV.encode(codec)})
    assert rows(tmp_path) == ROWS


def test_transcoding_streams_in_chunks_and_keeps_characters_split_across_them(tmp_path, monkeypatch):
    monkeypatch.setattr(
        encoding, "CHUNK", 7
    )  # every multi-byte character of utf-16 straddles some chunk edge
    repo(
        tmp_path,
        "  source: ../data/p.csv.gz\n  encoding: utf-16\n",
        {"p.csv.gz": gzip.compress(CSV.encode("utf-16"))},
    )
    assert rows(tmp_path) == ROWS


def test_the_checksum_is_of_the_stored_bytes(tmp_path):
    import hashlib

    data = CSV.encode("cp1252")
    repo(tmp_path, "  source: ../data/p.csv\n  encoding: cp1252\n", {"p.csv": data})
    from tests.support.source_repo import load

    table, _ = load(tmp_path)
    assert table is not None and table.sha256 == hashlib.sha256(data).hexdigest()


def test_cp1252_without_the_setting_names_the_encoding(tmp_path):
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": CSV.encode("cp1252")})
    assert errors(tmp_path) == [
        "data/p.csv:2: items.encoding: byte 0xeb at line 2 is not valid UTF-8; "
        "it decodes as cp1252: set `encoding: cp1252`"
    ]


def test_utf16_without_the_setting_names_it(tmp_path):
    repo(tmp_path, "  source: ../data/p.csv\n", {"p.csv": CSV.encode("utf-16")})
    assert errors(tmp_path) == [
        "data/p.csv:1: items.encoding: the file is not UTF-8; it starts with a UTF-16 "
        "byte order mark: set `encoding: utf-16`"
    ]


def test_bytes_invalid_in_the_declared_encoding_name_the_line(tmp_path):
    data = CSV.encode("utf-8") + b"E3,\x81,1,2020-01-01,no\n"  # 0x81 is undefined in cp1252
    repo(tmp_path, "  source: ../data/p.csv\n  encoding: cp1252\n", {"p.csv": data})
    assert errors(tmp_path) == [
        "data/p.csv:4: byte 0x81 at line 4 is not valid cp1252; expected text in "
        "`encoding: cp1252` (check the setting, or re-export the file)"
    ]


def test_an_unknown_codec_is_named(tmp_path):
    repo(tmp_path, "  source: ../data/p.csv\n  encoding: klingon\n", {"p.csv": CSV.encode()})
    assert errors(tmp_path) == [
        "manifests/people.yaml:13:11: items.source: unknown encoding 'klingon'; expected a "
        "Python codec name such as utf-8, utf-8-sig, cp1252, latin-1 or utf-16"
    ]


def test_decimal_comma_and_thousands_dot(tmp_path):
    data = b"employee_id;salary\nE1;1.234,50\nE2;-12,5\nE3;1234\nE4;\nE5;1.234.567\n"
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  decimalSeparator: ','\n  thousandsSeparator: '.'\n"
        "  handKept: [full_name, start_date, active]\n",
        {"p.csv": data},
    )
    assert [r["salary"] for r in rows(tmp_path)] == ["1234.5", "-12.5", "1234", None, "1234567"]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1.5", "a dot where the decimal separator is ','"),
        ("1.23,4", "a misplaced group"),
        ("12,345.6", "the other convention"),
    ],
)
def test_a_value_outside_the_declared_format_is_an_error(tmp_path, value, why):
    data = f"employee_id;salary\nE1;{value}\n".encode()
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  decimalSeparator: ','\n  thousandsSeparator: '.'\n"
        "  handKept: [full_name, start_date, active]\n",
        {"p.csv": data},
    )
    assert errors(tmp_path) == [
        f"data/p.csv:2: salary: row 2: expected a number with decimal separator ',' and "
        f"thousands separator '.', got {value!r}"
    ], why


@pytest.mark.parametrize("value", ["1.234,50", "1,234.5", "12,5"])
def test_a_formatted_number_without_a_declared_format_names_the_setting(tmp_path, value):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  handKept: [full_name, start_date, active]\n",
        {"p.csv": f"employee_id;salary\nE1;{value}\n".encode()},
    )
    assert errors(tmp_path) == [
        f"data/p.csv:2: salary: row 2: expected a number, got {value!r}; it looks like a "
        "formatted number: set `items.decimalSeparator` (and `items.thousandsSeparator`), "
        "e.g. `decimalSeparator: ','` with `thousandsSeparator: '.'` for 1.234,50"
    ]


def test_codec_names_are_normalised():
    assert [encoding.codec_name(n) for n in ("UTF8", "latin-1", "CP1252", None)] == [
        "utf-8",
        "iso8859-1",
        "cp1252",
        "utf-8",
    ]
    assert codecs.lookup("utf-16").name == "utf-16"


@pytest.mark.parametrize(("value", "expected"), [("12,5", "12.5"), ("-0,25", "-0.25"), ("7", "7")])
def test_decimal_comma_alone(tmp_path, value, expected):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  decimalSeparator: ','\n"
        "  handKept: [full_name, start_date, active]\n",
        {"p.csv": f"employee_id;salary\nE1;{value}\n".encode()},
    )
    assert [r["salary"] for r in rows(tmp_path)] == [expected]


@pytest.mark.parametrize("value", ["1.5", "1.234", "1,2,3", "1 234"])
def test_decimal_comma_alone_refuses_a_dot_and_garbage(tmp_path, value):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  delimiter: ';'\n  decimalSeparator: ','\n"
        "  handKept: [full_name, start_date, active]\n",
        {"p.csv": f"employee_id;salary\nE1;{value}\n".encode()},
    )
    assert errors(tmp_path) == [
        f"data/p.csv:2: salary: row 2: expected a number with decimal separator ',', got {value!r}"
    ]
