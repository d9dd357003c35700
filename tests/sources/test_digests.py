"""`source_digests`: the checksum each source table carries, from the files' bytes alone, for every source kind.

A saved plan is proven fresh by these without parsing a source, so they must equal what reading gives, or a
fresh plan would be refused as stale (and a changed source must change them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgsync.manifest.loader import load_project
from orgsync.sources.readers import read_source, source_digests
from tests.support.source_repo import JOIN, make, repo

FILES = {
    "a/p1.csv": b"employee_id,full_name\nE1,Ada\nE2,Grace\n",
    "a/p2.csv": b"employee_id,full_name\nE3,Linus\n",
}
HAND = "  handKept: [salary, start_date, active]\n"


def digests_and_read(root: Path) -> tuple[dict[str, str] | None, str]:
    project = load_project(root, env={})
    return source_digests(project), read_source(project.manifests[0], project, {}).sha256


@pytest.mark.parametrize(
    "items",
    [
        "  source: ../data/a/p1.csv\n",
        "  source: ../data/a/*.csv\n",
        "  source: [../data/a/p2.csv, ../data/a/p1.csv]\n",
        "  source: ../data/a/p1.csv\n  encoding: cp1252\n",
    ],
)
def test_file_sources_digest_as_reading_does(tmp_path: Path, items: str) -> None:
    repo(tmp_path, items + HAND, FILES)
    digests, read = digests_and_read(tmp_path)
    assert digests == {"People": read}
    (tmp_path / "data" / "a" / "p1.csv").write_bytes(FILES["a/p1.csv"] + b"E9,New\n")
    assert source_digests(load_project(tmp_path, env={})) != digests


def test_a_query_digests_as_reading_does(tmp_path: Path) -> None:
    make(tmp_path, JOIN)
    digests, read = digests_and_read(tmp_path)
    assert digests == {"People": read}


def test_a_database_source_cannot_be_digested_unread(tmp_path: Path) -> None:
    repo(tmp_path, "  source: {sql: 'SELECT 1', connection: {env: ORGSYNC_SECRET_HR_DB}}\n" + HAND)
    assert source_digests(load_project(tmp_path, env={})) is None


def test_a_missing_file_leaves_it_to_full_validation(tmp_path: Path) -> None:
    repo(tmp_path, "  source: ../data/gone.csv\n" + HAND)
    assert source_digests(load_project(tmp_path, env={})) is None


def test_a_file_mapping_as_source_names_what_source_takes(tmp_path: Path) -> None:
    from orgsync.errors import ConfigError

    repo(tmp_path, "  source: {path: ../data/a/p1.csv}\n" + HAND, FILES)
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path, env={})
    assert "items.source.database.sql: is required but missing" in str(info.value)  # a mapping is a database
    assert "items.source.database.path: unknown field" in str(info.value)
    assert "input tag" not in str(info.value)
