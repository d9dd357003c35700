"""`items.trueValues` / `items.falseValues`: boolean words a manifest declares (issue 22, point 4)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project
from orgsync.sources.canonical import boolean_words, canonical_series
from tests.support.source_repo import errors, repo, rows

KEPT = "  handKept: [full_name, salary, start_date]\n"
SCHEMA = Path(__file__).resolve().parents[2] / "manifests" / "orgsync.schema.json"


@pytest.mark.parametrize(
    ("declared", "data", "expected"),
    [
        ("trueValues: [ja]\n  falseValues: [nein]", "ja\nNEIN\nyes\n0", ["true", "false", "true", "false"]),
        ("trueValues: [oui]\n  falseValues: [non]", "Oui\nnon\n", ["true", "false"]),
        ("trueValues: [J]", "j\nN\n", ["true", "false"]),
        ("falseValues: ['1']", "1\n", ["false"]),  # a declared word wins over a default of the other side
    ],
)
def test_declared_words_read_as_booleans(tmp_path, declared, data, expected):
    lines = "".join(f"E{n},{value}\n" for n, value in enumerate(data.split("\n")) if value)
    repo(
        tmp_path,
        f"  source: ../data/p.csv\n  {declared}\n" + KEPT,
        {"p.csv": f"employee_id,active\n{lines}".encode()},
    )
    assert [r["active"] for r in rows(tmp_path)] == expected


def test_an_undeclared_word_is_a_misfit_naming_the_declared_ones(tmp_path):
    repo(
        tmp_path,
        "  source: ../data/p.csv\n  trueValues: [ja, J]\n  falseValues: [nein]\n" + KEPT,
        {"p.csv": b"employee_id,active\nE1,vielleicht\n"},
    )
    assert errors(tmp_path) == [
        "data/p.csv:2: active: row 2: expected a boolean (true/false, yes/no, y/n, 1/0, ja/J for true, "
        "nein for false), got 'vielleicht'"
    ]
    repo(tmp_path, "  source: ../data/p.csv\n" + KEPT, {"p.csv": b"employee_id,active\nE1,ja\n"})
    assert errors(tmp_path) == [
        "data/p.csv:2: active: row 2: expected a boolean (true/false, yes/no, y/n, 1/0), got 'ja'"
    ]


@pytest.mark.parametrize(
    ("declared", "word"),
    [("trueValues: [ja]\n  falseValues: [JA]", "ja"), ("trueValues: ['false']", "false")],
)
def test_a_word_on_both_sides_is_refused(tmp_path, declared, word):
    repo(tmp_path, f"  source: ../data/p.csv\n  {declared}\n", {"p.csv": b"employee_id\nE1\n"})
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env={})
    assert [str(p) for p in err.value.problems] == [
        f"manifests/people.yaml:13:3: items: {word!r} cannot be both true and false; expected each word in "
        "one of `trueValues` and `falseValues`"
    ]


def test_the_published_schema_knows_the_words():
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    doc = {
        "kind": "Dataset",
        "name": "P",
        "type": "PEOPLE",
        "autoId": "a",
        "labelId": "a",
        "items": {"source": "p.csv", "trueValues": ["ja"], "falseValues": ["nein"]},
    }
    assert list(validator.iter_errors(doc)) == []
    doc["items"]["trueValues"] = "ja"
    assert list(validator.iter_errors(doc)) != []


def test_the_defaults_are_unchanged_without_declared_words():
    values = canonical_series(pl.Series(["Y", "n", "ja"]), "boolean")
    assert values.to_list() == ["true", "false", None]
    assert boolean_words(["Ja "])["ja"] == "true"
