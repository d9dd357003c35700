"""Manifests written from live resources: slugs, sensitive guesses, exact names, what cannot be expressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsync.api.answers import Dataset
from orgsync.manifest.dump import (
    DumpOptions,
    LiveResource,
    dataset_file,
    guess_sensitive,
    select,
    slugify,
    yaml_scalar,
)
from orgsync.manifest.loader import load_project

PEOPLE = {
    "datasetId": "11111111-1111-4111-8111-111111111111",
    "name": "People",
    "type": "PEOPLE",
    "autoId": "employee_id",
    "labelId": "full_name",
    "treeId": "employee_id",
    "treeParentId": "manager_id",
    "tags": ["hr"],
    "properties": [
        {"key": "employee_id", "name": "Employee ID", "type": "text", "isRequired": True},
        {"key": "full_name", "name": "Full Name", "type": "text", "isRequired": True},
        {"key": "manager_id", "name": "Manager", "type": "text", "isRequired": True},
        {"key": "annualSalary", "name": "Pay", "type": "number"},
        {
            "key": "bonus_calc",
            "name": "Bonus",
            "type": "number",
            "onDemand": True,
            "formula": "annualSalary * 0.1",
        },
        {"key": "photo", "name": "Photo", "type": "image"},
    ],
}


def live(answer: dict) -> LiveResource:
    """A live dataset as `orgsync import` hands it to the dump: read through the typed answer."""
    dataset = Dataset.model_validate(answer)
    return LiveResource(dataset.datasetId, str(dataset.name), dataset.is_links, dataset.fields)


def test_slugs_are_file_names_and_unique() -> None:
    assert slugify("People to Positions") == "people-to-positions"
    assert slugify("Ünïcode / ../../etc") == "n-code-etc"
    assert slugify("!!!") == "dataset"
    assert slugify("People", {"people"}) == "people-2"
    assert slugify("People", {"people", "people-2"}) == "people-3"


@pytest.mark.parametrize(
    "key,name",
    [
        ("salary", None),
        ("annualSalary", None),
        ("base_pay", None),
        ("ni_number", None),
        ("national_id", None),
        ("ssn", None),
        ("date_of_birth", None),
        ("dob", None),
        ("x1", "Date of Birth"),
        ("iban", None),
        ("bank_account", None),
        ("sort_code", None),
        ("home_address", None),
        ("postcode", None),
        ("medical_notes", None),
        ("x2", "Health condition"),
        ("passport_no", None),
    ],
)
def test_guesses_pay_ids_birth_bank_address_health(key: str, name: str | None) -> None:
    assert guess_sensitive(key, name)


@pytest.mark.parametrize(
    "key,name",
    [
        ("employee_id", "Employee ID"),
        ("department", "Department"),
        ("manager_id", "Manager"),
        ("title", "Title"),
        ("fte", "FTE"),
        ("position_id", None),
        ("hire_date", "Hire Date"),
        ("grade", "Grade"),
        ("location", None),
    ],
)
def test_does_not_guess_ordinary_columns(key: str, name: str | None) -> None:
    assert not guess_sensitive(key, name)


def test_select_by_glob_keeps_order() -> None:
    assert select(["People", "Positions", "Roles"], ["P*"]) == ["People", "Positions"]
    assert select(["People", "Positions"], []) == ["People", "Positions"]
    assert select(["People"], ["people"]) == []  # case-sensitive, as names are


def test_a_dataset_file_keeps_every_field_and_marks_guesses() -> None:
    file = dataset_file(
        live(PEOPLE), "manifests/people.yaml", {}, {}, DumpOptions(header="Imported\nline two"), None
    )
    assert file.text.startswith("# Imported\n# line two\nkind: Dataset\n")
    assert 'autoId: "employee_id"' in file.text and 'treeParentId: "manager_id"' in file.text
    assert (
        '  - {key: "annualSalary", name: "Pay", type: number, sensitive: true}   # guessed: check'
        in file.text
    )
    assert 'onDemand: true, formula: "annualSalary * 0.1"' in file.text
    assert file.sensitive == ("annualSalary", "bonus_calc") == file.guessed  # a bonus is pay too
    assert file.warnings == (
        "property 'photo' has type 'image', which a manifest cannot declare (text, number, "
        "date, boolean): left out, so orgsync never manages it",
    )
    assert "photo" not in file.text


def test_asked_sensitive_keys_are_not_marked_as_guesses() -> None:
    opts = DumpOptions(header="h", sensitive_keys=frozenset({"full_name"}))
    file = dataset_file(live(PEOPLE), "manifests/people.yaml", {}, {}, opts, None)
    assert "sensitive: true}\n" in next(
        line + "\n" for line in file.text.splitlines() if line.startswith('  - {key: "full_name"')
    )
    assert file.sensitive == ("full_name", "annualSalary", "bonus_calc")
    assert file.guessed == ("annualSalary", "bonus_calc")


def test_items_leave_out_sensitive_and_on_demand_columns() -> None:
    opts = DumpOptions(header="h", with_items=True)
    file = dataset_file(live(PEOPLE), "manifests/people.yaml", {}, {}, opts, "../data/people.csv")
    assert file.item_columns == ("employee_id", "full_name", "manager_id")
    assert "  mode: upsert   # `mirror` would also delete" in file.text
    with_pay = dataset_file(
        live(PEOPLE),
        "m.yaml",
        {},
        {},
        DumpOptions(header="h", with_items=True, include_sensitive=True),
        "../d.csv",
    )
    assert with_pay.item_columns == ("employee_id", "full_name", "manager_id", "annualSalary")


def test_links_need_both_ends_in_the_tenant() -> None:
    links = {"datasetId": "l", "name": "Links", "type": "LINKS", "properties": []}
    with pytest.raises(ValueError, match=r"its `to` end \(gone\) is not a dataset of the tenant"):
        dataset_file(
            live(links),
            "m.yaml",
            {"a": "People"},
            {"fromDatasetId": "a", "toDatasetId": "gone"},
            DumpOptions(header="h"),
            None,
        )


HOSTILE = [
    "{{ env.ORGVUE_TOKEN }}",
    "{% if 1 %}x{% endif %}",
    'quote " and \\ backslash',
    "line\nbreak",
    "<img src=x onerror=alert(1)>",
    "yes",
    "null",
    "# not a comment",
    "  padded  ",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_names_read_back_exactly_even_when_they_look_like_templates(tmp_path: Path, name: str) -> None:
    """A dataset name is identity: the loader must read back exactly what the tenant has, templates untouched."""
    resource = {**PEOPLE, "name": name, "properties": PEOPLE["properties"][:3]}
    file = dataset_file(live(resource), "manifests/x.yaml", {}, {}, DumpOptions(header="h"), None)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "x.yaml").write_text(file.text, encoding="utf-8")
    (tmp_path / "orgsync.yaml").write_text("tenant: ACME\nendpoint: local\n", encoding="utf-8")
    project = load_project(tmp_path, env={"ORGVUE_TOKEN": "secret"})
    assert [m.name for m in project.manifests] == [name]


def test_a_name_with_endraw_cannot_be_quoted() -> None:
    with pytest.raises(ValueError, match="endraw"):
        yaml_scalar("{% endraw %}{{ env.X }}")
