"""The pipeline does each step once: the targets are selected once, and a saved plan's manifests are loaded and
checked once and each source read at most once, a database source included (counted through the real functions).
"""

from __future__ import annotations

import sqlite3

import polars as pl

from orgsync.errors import ExitCode
from orgsync.manifest.loader import load_project
from orgsync.plan.builder import select_targets
from orgsync.plan.saved import save
from orgsync.sources.readers import load_source

SECRET = "ORGSYNC_SECRET_HR_DB"


def _people_from_a_database(tenant, monkeypatch) -> None:
    """People's source becomes a table of an SQLite database (the same rows, as text) named by a secret."""
    frame = pl.read_csv(tenant.root / "data" / "people.csv", infer_schema=False)
    path = tenant.root.parent / "hr.db"
    with sqlite3.connect(path) as db:
        columns = ", ".join(f'"{c}" TEXT' for c in frame.columns)
        db.execute(f"CREATE TABLE people ({columns})")
        marks = ", ".join("?" for _ in frame.columns)
        db.executemany(f"INSERT INTO people VALUES ({marks})", frame.rows())
    manifest = tenant.root / "manifests" / "people.yaml"
    text = manifest.read_text()
    assert "  source: ../data/people.csv\n" in text
    manifest.write_text(
        text.replace(
            "  source: ../data/people.csv\n",
            f"  source: {{sql: 'SELECT * FROM people', connection: {{env: {SECRET}}}}}\n",
        )
    )
    monkeypatch.setenv(SECRET, f"sqlite:///{path}")


def test_a_fresh_apply_selects_its_targets_once(tenant, calls_of):
    selected = calls_of(select_targets)
    assert tenant.apply(targets=["Positions"]) == ExitCode.OK
    assert [args[1] for args in selected] == [["Positions"]]
    assert "dataset.Positions" in tenant.outputs[-1] and "dataset.People" not in tenant.outputs[-1]


def test_a_saved_plan_loads_its_manifests_once_and_reads_only_the_masked_file_source(
    tenant, tmp_path, calls_of
):
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    loaded, read = calls_of(load_project), calls_of(load_source)
    assert tenant.apply(plan_file=path) == ExitCode.OK
    assert len(loaded) == 1
    assert [args[0].name for args in read] == ["People"]  # its salary is masked in the saved plan


def test_a_saved_plan_with_a_database_source_validates_once_and_reads_each_source_once(
    tenant, tmp_path, monkeypatch, calls_of
):
    _people_from_a_database(tenant, monkeypatch)
    path = tmp_path / "plan.json"
    save(tenant.plan(), path)
    assert b"206000" not in path.read_bytes()
    sourced = sorted(m.name for m in load_project(tenant.root).manifests if m.items is not None)
    assert len(sourced) == 3
    loaded, read = calls_of(load_project), calls_of(load_source)
    assert tenant.apply(plan_file=path) == ExitCode.OK
    assert len(loaded) == 1
    assert sorted(args[0].name for args in read) == sourced  # People once, though its salaries are masked
    # the masked salaries came back from that one reading of the database
    people = next(body for _, body in tenant.item_bodies() if body and "employee_id" in body[0])
    assert next(a for a in people if a["employee_id"] == "E10001")["salary"] == 206000
    assert not tenant.plan().has_changes
