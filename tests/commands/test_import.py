"""`orgsync import`: adopt a live tenant; the next plan against it shows no changes (schema only, with items).

The tenants are real: examples/acme applied by orgsync, and a tenant made directly through the emulator's API
with shapes no manifest of ours ever wrote, both served over a uvicorn socket.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.support.cli import orgsync
from tests.support.repo import make_repo

pytestmark = pytest.mark.socket
REPO = Path(__file__).resolve().parents[2]
TOKEN = "import-test-token"
SALARIES = ("731017", "731034")


def applied_acme(tmp_path: Path, base_url: str) -> Path:
    """examples/acme, pointed at `base_url` and applied."""
    return applied_acme_at(make_repo(tmp_path / "acme", example="acme", endpoint=base_url))


def applied_acme_at(acme: Path) -> Path:
    """The repository `acme` (pointed at the emulator), applied."""
    code, _, err = orgsync("apply", "-C", str(acme), "--auto-approve", token=TOKEN)
    assert code == 0, err
    return acme


def no_changes(repo: Path) -> None:
    code, out, err = orgsync("plan", "-C", str(repo), "--detailed-exitcode", token=TOKEN)
    assert code == 0, out + err
    assert "No changes." in out


def test_acme_schema_only_round_trips_to_an_empty_plan(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    applied_acme(tmp_path, server.base_url)
    target = tmp_path / "adopted"
    code, out, err = orgsync(
        "import", str(target), "--tenant", "ACME", "--endpoint", server.base_url, token=TOKEN
    )
    assert code == 0, err
    assert sorted(p.name for p in (target / "manifests").iterdir()) == [
        "people-to-positions.yaml",
        "people.yaml",
        "positions.yaml",
    ]
    assert not (target / "data").exists()  # schema only: no HR data written by default
    people = (target / "manifests" / "people.yaml").read_text()
    assert people.startswith(f"# Imported by `orgsync import` from tenant ACME at {server.base_url} on ")
    assert '{key: "salary", name: "Salary", type: number, sensitive: true}   # guessed: check' in people
    assert "People: marked sensitive: salary (guessed: check)" in out
    assert "The repository validates." in err
    no_changes(target)


def test_acme_with_items_round_trips_without_salaries(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    acme = applied_acme(tmp_path, server.base_url)
    target = tmp_path / "adopted"
    code, _, err = orgsync(
        "import",
        str(target),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--with-items",
        token=TOKEN,
    )
    assert code == 0, err
    people = list(csv.DictReader((target / "data" / "people.csv").open()))
    source = list(csv.DictReader((acme / "data" / "people.csv").open()))
    assert len(people) == len(source) and "salary" not in people[0]
    assert {r["employee_id"] for r in people} == {r["Employee Number"] for r in source}
    assert people[0]["hire_date"].count("-") == 2  # canonical dates, whatever the source's dateFormat was
    all_text = "".join(p.read_text() for p in target.rglob("*") if p.is_file() and ".orgsync" not in p.parts)
    assert not any(row["salary"] in all_text for row in source if row["salary"])
    assert "mode: upsert   # `mirror` would also delete" in (target / "manifests" / "people.yaml").read_text()
    no_changes(target)


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _put_items(client: httpx.Client, path: str, items: list[dict[str, Any]]) -> None:
    answer = client.put(
        path,
        params={"autoId": "true"},
        content=orjson.dumps(items),
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert answer.status_code == 200, answer.text


def hand_made_tenant(base_url: str, rows: int = 40) -> None:
    """A tenant set up by hand: odd names, tags, a hierarchy keyed apart from the label, an on-demand formula,
    a links dataset with an extra property, a property type no manifest can declare."""
    with httpx.Client(base_url=f"{base_url}/api/v1/HR", headers={"Authorization": f"Bearer {TOKEN}"}) as api:
        units = _post(
            api,
            "/datasets",
            {
                "name": "Org Units (2024)",
                "type": "ORG_UNITS",
                "autoId": "unitCode",
                "labelId": "unitName",
                "treeId": "unitCode",
                "treeParentId": "parentUnit",
                "tags": ["design", "imported"],
                "properties": [
                    {"key": "unitCode", "name": "Unit code", "type": "text", "isRequired": True},
                    {"key": "unitName", "name": "Unit name", "type": "text", "isRequired": True},
                    {"key": "parentUnit", "name": "Parent", "type": "text", "isRequired": True},
                    {"key": "headcountBudget", "name": "Headcount budget", "type": "number"},
                    {"key": "opened", "name": "Opened", "type": "date"},
                    {"key": "active", "name": "Active?", "type": "boolean"},
                    {
                        "key": "budgetPerHead",
                        "name": "Budget / head",
                        "type": "number",
                        "onDemand": True,
                        "formula": "headcountBudget * 2",
                    },
                ],
            },
        )
        people = _post(
            api,
            "/datasets",
            {
                "name": "Workers",
                "type": "PEOPLE",
                "autoId": "wid",
                "labelId": "display",
                "properties": [
                    {"key": "wid", "name": "Worker id", "type": "text", "isRequired": True},
                    {"key": "display", "name": "Display name", "type": "text", "isRequired": True},
                    {"key": "baseSalary", "name": "Base salary", "type": "number"},
                    {"key": "dob", "name": "Born", "type": "date"},
                ],
            },
        )
        _post(
            api,
            "/links",
            {
                "name": "Worker ↔ Unit",
                "fromDatasetId": people["datasetId"],
                "toDatasetId": units["datasetId"],
                "tags": ["links"],
                "additionalProperties": [{"key": "role", "name": "Role", "type": "text"}],
            },
        )
        _put_items(
            api,
            f"/datasets/{units['datasetId']}/items",
            [
                {
                    "_action": "create",
                    "unitCode": f"U{i:03d}",
                    "unitName": f"Unit {i}",
                    "parentUnit": None if i == 0 else f"U{(i - 1) // 3:03d}",
                    "headcountBudget": 10 + i * 0.5,
                    "opened": f"2020-01-{(i % 28) + 1:02d}",
                    "active": i % 2 == 0,
                }
                for i in range(rows)
            ],
        )
        _put_items(
            api,
            f"/datasets/{people['datasetId']}/items",
            [
                {
                    "_action": "create",
                    "wid": f"W{i}",
                    "display": f"  Worker {i} ",
                    "baseSalary": 731_017 + i,
                    "dob": "1990-05-17",
                }
                for i in range(rows)
            ],
        )


def test_a_hand_made_tenant_round_trips(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    hand_made_tenant(server.base_url)
    target = tmp_path / "adopted"
    code, out, err = orgsync(
        "import", str(target), "--tenant", "HR", "--endpoint", server.base_url, token=TOKEN
    )
    assert code == 0, err
    files = sorted(p.name for p in (target / "manifests").iterdir())
    assert files == ["org-units-2024.yaml", "worker-unit.yaml", "workers.yaml"]
    units = (target / "manifests" / "org-units-2024.yaml").read_text()
    assert 'name: "Org Units (2024)"' in units and 'tags: ["design", "imported"]' in units
    assert 'treeParentId: "parentUnit"' in units
    assert 'onDemand: true, formula: "headcountBudget * 2"' in units
    links = (target / "manifests" / "worker-unit.yaml").read_text()
    assert 'from: "Workers"\nto: "Org Units (2024)"' in links
    assert '{key: "role", name: "Role", type: text}' in links
    workers = (target / "manifests" / "workers.yaml").read_text()
    assert "baseSalary" in workers and "sensitive: true}   # guessed: check" in workers
    assert "Workers: marked sensitive: baseSalary (guessed: check), dob (guessed: check)" in out
    no_changes(target)
    code, _, err = orgsync(
        "import",
        str(tmp_path / "items"),
        "--tenant",
        "HR",
        "--endpoint",
        server.base_url,
        "--with-items",
        token=TOKEN,
    )
    assert code == 0, err
    no_changes(tmp_path / "items")
    written = (tmp_path / "items" / "data" / "workers.csv").read_text()
    assert "Worker 3" in written and "731" not in written and "1990" not in written


def test_existing_repositories_gain_only_unmanaged_datasets_and_nothing_is_overwritten(
    tmp_path: Path, emulator_factory: Any
) -> None:
    server = emulator_factory(token=TOKEN)
    acme = applied_acme(tmp_path, server.base_url)
    (acme / "manifests" / "assignments.yaml").unlink()
    (acme / "manifests" / "positions.yaml").rename(acme / "manifests" / "people-to-positions.yaml")
    mine = (acme / "manifests" / "people-to-positions.yaml").read_text()
    before = (acme / "manifests" / "people.yaml").read_text()
    code, out, err = orgsync("import", str(acme), token=TOKEN)
    assert code == 0, err
    assert out.splitlines()[:3] == [
        "wrote manifests/people-to-positions-2.yaml",
        "skipped Positions: managed by manifests/people-to-positions.yaml",
        "skipped People: managed by manifests/people.yaml",
    ]
    assert (acme / "manifests" / "people.yaml").read_text() == before  # managed: left alone
    assert (
        acme / "manifests" / "people-to-positions.yaml"
    ).read_text() == mine  # a file is never overwritten
    assert (
        'kind: LinksDataset\nname: "People to Positions"'
        in (acme / "manifests" / "people-to-positions-2.yaml").read_text()
    )
    no_changes(acme)


def test_an_existing_file_is_overwritten_only_with_force(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    applied_acme(tmp_path, server.base_url)
    target = tmp_path / "adopted"
    (target / "manifests").mkdir(parents=True)
    (target / "manifests" / "people.yaml").write_text("# a hand-written draft\n")
    code, out, err = orgsync(
        "import",
        str(target),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "People",
        token=TOKEN,
    )
    assert (target / "manifests" / "people.yaml").read_text() == "# a hand-written draft\n"
    assert "wrote manifests/people-2.yaml" in out
    code, out, err = orgsync(
        "import",
        str(tmp_path / "forced"),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "People",
        token=TOKEN,
    )
    (tmp_path / "forced" / "manifests" / "people.yaml").write_text("# a hand-written draft\n")
    (tmp_path / "forced" / "orgsync.yaml").unlink()
    code, out, err = orgsync(
        "import",
        str(tmp_path / "forced"),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "People",
        "--force",
        token=TOKEN,
    )
    assert code == 0, err
    assert (tmp_path / "forced" / "manifests" / "people.yaml").read_text().startswith("# Imported")


def test_selection_by_glob_brings_links_only_with_both_ends(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    applied_acme(tmp_path, server.base_url)
    only_people = tmp_path / "people"
    code, _, err = orgsync(
        "import",
        str(only_people),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "People",
        token=TOKEN,
    )
    assert code == 0, err
    assert sorted(p.name for p in (only_people / "manifests").iterdir()) == ["people.yaml"]
    both = tmp_path / "both"
    code, _, err = orgsync(
        "import",
        str(both),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "Peo*",
        "--dataset",
        "Positions",
        token=TOKEN,
    )
    assert code == 0, err
    assert sorted(p.name for p in (both / "manifests").iterdir()) == [
        "people-to-positions.yaml",
        "people.yaml",
        "positions.yaml",
    ]
    code, _, err = orgsync(
        "import",
        str(tmp_path / "none"),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--dataset",
        "Nobody*",
        token=TOKEN,
    )
    assert (
        code == 1 and "--dataset Nobody*: no dataset of the tenant matches; it has People, Positions" in err
    )
    assert not (tmp_path / "none").exists()


def test_two_datasets_of_one_name_are_pinned_with_a_warning(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    with httpx.Client(
        base_url=f"{server.base_url}/api/v1/ACME", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as api:
        ids = [
            _post(
                api,
                "/datasets",
                {
                    "name": "Roles",
                    "type": "ROLES",
                    "autoId": "r",
                    "labelId": "r",
                    "properties": [{"key": "r", "type": "text", "isRequired": True}],
                },
            )["datasetId"]
            for _ in range(2)
        ]
    target = tmp_path / "adopted"
    code, _, err = orgsync(
        "import", str(target), "--tenant", "ACME", "--endpoint", server.base_url, token=TOKEN
    )
    assert code == 0, err
    texts = [(target / "manifests" / name).read_text() for name in ("roles.yaml", "roles-2.yaml")]
    assert sorted(
        next(line for line in t.splitlines() if line.startswith("datasetId:")).split('"')[1] for t in texts
    ) == sorted(ids)
    assert "Roles: the tenant has 2 datasets of this name; each manifest is pinned with `datasetId:`" in err
    no_changes(target)


def test_include_sensitive_and_extra_sensitive_keys(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    acme = applied_acme(tmp_path, server.base_url)
    target = tmp_path / "adopted"
    code, out, err = orgsync(
        "import",
        str(target),
        "--tenant",
        "ACME",
        "--endpoint",
        server.base_url,
        "--with-items",
        "--include-sensitive",
        "--sensitive",
        "email",
        token=TOKEN,
    )
    assert code == 0, err
    assert "warning: --include-sensitive wrote sensitive columns into data/" in err
    assert "People: marked sensitive: email, salary (guessed: check)" in out
    people = list(csv.DictReader((target / "data" / "people.csv").open()))
    source = {r["Employee Number"]: r for r in csv.DictReader((acme / "data" / "people.csv").open())}
    assert all(r["salary"] == source[r["employee_id"]]["salary"] for r in people)
    no_changes(target)


def test_a_fixed_clock_stamps_the_header(tmp_path: Path, emulator_factory: Any) -> None:
    from orgsync.commands.import_tenant import ImportOptions, run_import

    server = emulator_factory(token=TOKEN)
    applied_acme(tmp_path, server.base_url)
    target = tmp_path / "adopted"
    code = run_import(
        ImportOptions(directory=target, tenant="ACME", endpoint=server.base_url),
        {"ORGVUE_TOKEN": TOKEN},
        now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert code == 0
    assert (target / "orgsync.yaml").read_text().splitlines()[0] == (
        f"# Imported by `orgsync import` from tenant ACME at {server.base_url} on 2026-01-02T03:04:05Z."
    )


def test_usage_errors_exit_1_and_write_nothing(tmp_path: Path) -> None:
    code, _, err = orgsync("import", str(tmp_path / "x"), token=TOKEN)
    assert code == 1 and "has no orgsync.yaml; expected --tenant and --endpoint" in err
    code, _, err = orgsync(
        "import", str(tmp_path / "x"), "--tenant", "acme", "--endpoint", "local", token=TOKEN
    )
    assert code == 1 and "--tenant" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_a_100k_item_dataset_is_read_in_bulk_and_round_trips(tmp_path: Path, emulator_factory: Any) -> None:
    server = emulator_factory(token=TOKEN)
    with httpx.Client(
        base_url=f"{server.base_url}/api/v1/BIG", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
    ) as api:
        big = _post(
            api,
            "/datasets",
            {
                "name": "Everyone",
                "type": "PEOPLE",
                "autoId": "pid",
                "labelId": "pid",
                "properties": [
                    {"key": "pid", "type": "text", "isRequired": True},
                    {"key": "team", "type": "text"},
                    {"key": "fte", "type": "number"},
                    {"key": "start", "type": "date"},
                ],
            },
        )
        for start in range(0, 100_000, 5_000):
            _put_items(
                api,
                f"/datasets/{big['datasetId']}/items",
                [
                    {
                        "_action": "create",
                        "pid": f"P{i:06d}",
                        "team": f"T{i % 97}",
                        "fte": (i % 10) / 10,
                        "start": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}",
                    }
                    for i in range(start, start + 5_000)
                ],
            )
    httpx.delete(f"{server.base_url}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"})
    target = tmp_path / "big"
    code, _, err = orgsync(
        "import",
        str(target),
        "--tenant",
        "BIG",
        "--endpoint",
        server.base_url,
        "--with-items",
        token=TOKEN,
    )
    assert code == 0, err
    calls = [
        (r["method"], r["path"].split("/")[-1])
        for r in httpx.get(
            f"{server.base_url}/_emulator/requests", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
    ]
    assert not any(path in ("items", "query") for _, path in calls)  # never item by item
    # one bulk export, at the dataset's dataset:export:csv link (…/export/csv) or …/export
    assert sum(1 for method, path in calls if method == "POST" and path in ("export", "csv")) == 1
    rows = (target / "data" / "everyone.csv").read_text().splitlines()
    assert len(rows) == 100_001 and rows[0] == "pid,team,fte,start"
    no_changes(target)


def test_escape_codes_in_tenant_names_never_reach_the_terminal(tmp_path: Path, emulator_factory: Any) -> None:
    """A dataset or property named with ANSI escapes is written to the manifest exactly, and shown escaped."""
    server = emulator_factory(token=TOKEN)
    hostile = "Evil\x1b[2J\x1b]0;pwned\x07"
    with httpx.Client(
        base_url=f"{server.base_url}/api/v1/ACME", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as api:
        for _ in range(2):  # two of one name: the warning names it too
            _post(
                api,
                "/datasets",
                {
                    "name": hostile,
                    "type": "PEOPLE",
                    "autoId": "r",
                    "labelId": "r",
                    "properties": [
                        {"key": "r", "type": "text", "isRequired": True},
                        {"key": "salary", "type": "number"},
                    ],
                },
            )
    target = tmp_path / "adopted"
    code, out, err = orgsync(
        "import", str(target), "--tenant", "ACME", "--endpoint", server.base_url, token=TOKEN
    )
    assert code == 0, err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "Evil\\x1b[2J\\x1b]0;pwned\\x07: marked sensitive: salary (guessed: check)" in out
    assert "warning: Evil\\x1b[2J" in err
    assert (
        'name: "Evil\\u001b[2J\\u001b]0;pwned\\u0007"'
        in (target / "manifests" / "evil-2j-0-pwned.yaml").read_text()
    )
    no_changes(target)


def test_a_links_dataset_round_trips_its_allocations_and_properties(
    tmp_path: Path, emulator_factory: Any
) -> None:
    server = emulator_factory(token=TOKEN)
    acme = make_repo(tmp_path / "acme", example="acme", endpoint=server.base_url)
    links = acme / "manifests" / "assignments.yaml"
    links.write_text(
        links.read_text().replace("properties: []", "properties:\n  - {key: role, name: Role, type: text}")
    )
    source = list(csv.DictReader((acme / "data" / "assignments.csv").open()))
    for n, row in enumerate(source):
        row["allocation"], row["role"] = ("0.5", "part-time") if n % 3 == 0 else ("1", "")
    with (acme / "data" / "assignments.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["from_id", "to_id", "allocation", "role"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(source)
    applied_acme_at(acme)
    target = tmp_path / "adopted"
    code, _, err = orgsync(
        "import", str(target), "--tenant", "ACME", "--endpoint", server.base_url, "--with-items", token=TOKEN
    )
    assert code == 0, err
    written = list(csv.DictReader((target / "data" / "people-to-positions.csv").open()))
    assert list(written[0]) == ["from_id", "to_id", "allocation", "role"]
    key = lambda r: (r["from_id"], r["to_id"])  # noqa: E731
    assert sorted(written, key=key) == sorted(source, key=key)
    assert sum(r["allocation"] == "0.5" for r in written) == len(source[::3])
    no_changes(target)
    # the imported file is what the next plan compares: a changed allocation there is an update
    text = (target / "data" / "people-to-positions.csv").read_text()
    (target / "data" / "people-to-positions.csv").write_text(text.replace(",0.5,", ",0.25,", 1))
    code, out, err = orgsync("plan", "-C", str(target), "--detailed-exitcode", token=TOKEN)
    assert code == 2, out + err
    assert "items: 0 to create, 1 to update, 0 to delete" in out
