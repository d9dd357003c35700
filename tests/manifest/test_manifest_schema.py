"""The published JSON Schema: current with the models, and accepting/refusing what the loader does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from orgsync.manifest.init import starter_files
from orgsync.manifest.schema import build_schema, schema_text
from tests.support.cli import orgsync

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "manifests" / "orgsync.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PUBLISHED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_checked_in_schema_is_current():
    assert PUBLISHED.read_text() == schema_text(), "run `orgsync schema > manifests/orgsync.schema.json`"


def test_orgsync_schema_command_prints_it():
    code, out, err = orgsync("schema")
    assert code == 0 and json.loads(out) == build_schema()


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@pytest.mark.parametrize("path", sorted((REPO / "examples").rglob("*.yaml")), ids=lambda p: p.name)
def test_examples_are_valid_against_the_schema(path):
    for doc in documents(path):
        assert list(validator().iter_errors(doc)) == []


def test_starter_files_are_valid_against_the_schema():
    for name, text in starter_files().items():
        if name.endswith(".yaml") and "workflows" not in name:
            for doc in yaml.safe_load_all(text):
                assert list(validator().iter_errors(doc)) == [], name


@pytest.mark.parametrize(
    "doc",
    [
        {
            "kind": "Dataset",
            "name": "P",
            "type": "PEOPLE",
            "autoId": "a",
            "labelId": "a",
            "properties": [{"key": "a", "name": "A", "type": "numeric"}],
        },
        {"kind": "Dataset", "name": "P", "type": "PEOPLE", "autoId": "a"},
        {
            "kind": "LinksDataset",
            "name": "L",
            "from": "A",
            "to": "B",
            "items": {"source": "x.csv", "mode": "replace"},
        },
        {"kind": "Datasets", "name": "P"},
        {"tenant": "ACME", "safety": {"maxDeletePercent": 150}},
        {"tenant": "ACME", "tennant": "x"},
    ],
)
def test_schema_refuses_what_the_loader_refuses(doc):
    assert list(validator().iter_errors(doc)) != []
