"""On-demand properties in the manifest: `onDemand` + `formula` on a property, the dataset's `onDemand:` list,
and a source column that names a computed property (ignored, with a warning)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from orgsync.errors import ConfigError
from orgsync.manifest.loader import load_project
from orgsync.manifest.models import DatasetManifest, PropertySpec
from orgsync.validate import validate_project

PUBLISHED = Path(__file__).resolve().parents[2] / "manifests" / "orgsync.schema.json"
HEAD = "kind: Dataset\nname: People\ntype: PEOPLE\nautoId: id\nlabelId: id\n"
ID = "  - {key: id, name: ID, type: text}\n"
SALARY = "  - {key: salary, name: Salary, type: number}\n"


def write(root: Path, manifest: str, source: str | None = None) -> Path:
    (root / "manifests").mkdir()
    (root / "orgsync.yaml").write_text("tenant: ACME\n")
    (root / "manifests" / "people.yaml").write_text(manifest)
    if source is not None:
        (root / "people.csv").write_text(source)
    return root


def messages(root: Path) -> list[tuple[str, str]]:
    return [(str(p), p.severity) for p in validate_project(root, env={}).problems]


def test_an_on_demand_property_keeps_its_formula_verbatim():
    spec = PropertySpec.model_validate(
        {"key": "bonus", "name": "Bonus", "type": "number", "onDemand": True, "formula": "  salary * 0.1 "}
    )
    assert (spec.onDemand, spec.formula) == (True, "  salary * 0.1 ")
    plain = PropertySpec.model_validate({"key": "n", "name": "N", "type": "text"})
    assert (plain.onDemand, plain.formula) == (False, None)


def test_formula_is_required_with_on_demand_and_refused_without_it(tmp_path):
    write(
        tmp_path,
        HEAD
        + "properties:\n"
        + ID
        + "  - {key: bonus, name: Bonus, type: number, onDemand: true}\n"
        + "  - {key: tax, name: Tax, type: number, formula: salary * 0.3}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env={})
    assert [str(p) for p in err.value.problems] == [
        "manifests/people.yaml:8:5: properties[1]: property 'bonus' has `onDemand: true` but no `formula`; "
        "expected the expression Orgvue computes it from, e.g. `formula: salary * 0.1`",
        "manifests/people.yaml:9:5: properties[2]: property 'tax' has a `formula` but not `onDemand: true`; "
        "expected both (an on-demand property) or neither",
    ]


def test_the_published_schema_refuses_the_same():
    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text()))
    base = yaml.safe_load(HEAD)

    def errors(prop: dict) -> int:
        return len(list(validator.iter_errors({**base, "properties": [prop]})))

    bonus = {"key": "bonus", "name": "Bonus", "type": "number"}
    assert errors({**bonus, "onDemand": True, "formula": "salary * 0.1"}) == 0
    assert errors(bonus) == 0 and errors({**bonus, "onDemand": False}) == 0
    assert errors({**bonus, "onDemand": True}) == 1
    assert errors({**bonus, "formula": "salary * 0.1"}) == 1
    assert errors({**bonus, "onDemand": False, "formula": "salary * 0.1"}) == 1


def test_the_on_demand_list_must_name_on_demand_properties(tmp_path):
    write(
        tmp_path,
        HEAD
        + "onDemand: [salary, bonus, nope, bonus]\nproperties:\n"
        + ID
        + SALARY
        + "  - {key: bonus, name: Bonus, type: number, onDemand: true, formula: salary * 0.1}\n"
        + "  - {key: tax, name: Tax, type: number, onDemand: true, formula: salary * 0.3}\n",
    )
    assert messages(tmp_path) == [
        (
            "manifests/people.yaml:6:12: onDemand[0]: 'salary' is listed under `onDemand:` but its property is not "
            "on-demand; expected `onDemand: true` and a `formula` on that property",
            "error",
        ),
        (
            "manifests/people.yaml:6:27: onDemand[2]: 'nope' is not a declared property; expected an on-demand "
            "property (declared with `onDemand: true` and a `formula`)",
            "error",
        ),
        (
            "manifests/people.yaml:6:33: onDemand[3]: 'bonus' is listed twice; expected each on-demand property once",
            "error",
        ),
        (
            "manifests/people.yaml:11:51: properties[3].onDemand: on-demand property 'tax' is not in the `onDemand:` "
            "list, so apply will not recalculate it",
            "warning",
        ),
    ]


def test_without_a_list_every_on_demand_property_is_recalculated_in_declaration_order(tmp_path):
    write(
        tmp_path,
        HEAD
        + "properties:\n"
        + ID
        + SALARY
        + "  - {key: tax, name: Tax, type: number, onDemand: true, formula: salary * 0.3}\n"
        + "  - {key: bonus, name: Bonus, type: number, onDemand: true, formula: salary * 0.1}\n",
    )
    [people] = load_project(tmp_path, env={}).datasets
    assert isinstance(people, DatasetManifest) and people.on_demand_keys == ["tax", "bonus"]
    assert messages(tmp_path) == []
    people.onDemand = ["bonus", "tax"]
    assert people.on_demand_keys == ["bonus", "tax"]


def test_item_keys_and_links_properties_cannot_be_on_demand(tmp_path):
    write(
        tmp_path,
        HEAD.replace("autoId: id", "autoId: code")
        + "properties:\n"
        + ID
        + "  - {key: code, name: Code, type: text, onDemand: true, formula: id}\n"
        + "---\nkind: LinksDataset\nname: L\nfrom: People\nto: People\nproperties:\n"
        + "  - {key: share, name: Share, type: number, onDemand: true, formula: allocation * 2}\n",
    )
    assert messages(tmp_path) == [
        (
            "manifests/people.yaml:4:9: autoId: autoId 'code' is an on-demand property; expected a property whose "
            "values come from the source (items are keyed by it)",
            "error",
        ),
        (
            "manifests/people.yaml:15:55: properties[0].onDemand: 'share': on-demand properties are supported on a "
            "Dataset only; expected no `onDemand` here",
            "error",
        ),
    ]


def test_a_source_column_of_an_on_demand_property_is_ignored_with_a_warning(tmp_path):
    write(
        tmp_path,
        HEAD
        + "properties:\n"
        + ID
        + SALARY
        + "  - {key: bonus, name: Bonus, type: number, onDemand: true, formula: salary * 0.1}\n"
        + "items: {source: ../people.csv}\n",
        "id,salary,bonus\nE1,100,not a number\nE2,200,20\n",
    )
    validation = validate_project(tmp_path, env={})
    assert [(str(p), p.severity) for p in validation.problems] == [
        (
            "people.csv:1: bonus: column 'bonus' is ignored: it is an on-demand property, computed by Orgvue from its "
            "formula; remove it from the source to silence this",
            "warning",
        ),
    ]
    table = validation.tables["People"]
    assert table.owned == ["salary"] and table.frame.columns == ["id", "salary"]
    assert validation.ok


def test_a_property_key_orgsync_keeps_for_its_working_columns_is_refused_with_its_line(tmp_path):
    """An autoId named like the plan's row-number column would clash inside the diff (a traceback): refused first."""
    write(
        tmp_path,
        "kind: Dataset\nname: People\ntype: PEOPLE\nautoId: __live_row\nlabelId: __live_row\n"
        "properties:\n  - {key: __live_row, name: Row, type: text}\n",
    )
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path, env={})
    assert [str(p) for p in err.value.problems] == [
        "manifests/people.yaml:7:11: properties[0].key: property key '__live_row' starts with `__`, which orgsync "
        "keeps for its own working columns; expected another key (rename it in Orgvue and here)"
    ]
    validator = jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text()))
    bad = {
        "kind": "Dataset",
        "name": "P",
        "type": "PEOPLE",
        "autoId": "__r",
        "labelId": "__r",
        "properties": [{"key": "__r", "name": "R", "type": "text"}],
    }
    assert list(validator.iter_errors(bad))  # the published schema refuses it too (editors show it)
