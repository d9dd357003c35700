"""Attacks through `.gz` sources: a small file that expands to gigabytes (a decompression bomb)."""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import pytest

from orgsync.limits import limits_from
from orgsync.sources.gunzip import gunzip_bounded
from orgsync.validate import validate_project
from tests.support.staff_repo import Repo

MiB = 1024 * 1024


def bomb(total_mib: int) -> bytes:
    """`total_mib` MiB of one CSV line repeated, as concatenated gzip members (each 1 MiB compresses to ~1 KB)."""
    member = gzip.compress(b"team\n" + b"T1\n" * (MiB // 3), compresslevel=9)
    return member * total_mib


def test_a_2_mb_file_that_expands_to_2_gib_is_refused_without_filling_memory(tmp_path: Path):
    data = bomb(2048)
    assert len(data) < 5 * MiB
    Repo(tmp_path).write()
    (tmp_path / "data" / "teams.csv.gz").write_bytes(data)
    manifest = tmp_path / "manifests" / "teams.yaml"
    manifest.write_text(manifest.read_text().replace("teams.csv", "teams.csv.gz"))
    tracemalloc.start()
    try:
        problems = validate_project(tmp_path, env={}).problems
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == [
        "data/teams.csv.gz: decompresses more than 200× its compressed size (the limit "
        "ORGSYNC_LIMIT_GZIP_RATIO=200), like a decompression bomb; raise it in the CI environment "
        "if the file is genuine"
    ]
    assert peak < 160 * MiB  # stopped just past the 64 MiB floor, far from 2 GiB


def test_the_size_limit_holds_for_files_that_compress_normally():
    payload = os.urandom(3 * MiB)
    limits = limits_from({"ORGSYNC_LIMIT_GZIP_BYTES": "2MiB"})
    with pytest.raises(Exception) as err:
        gunzip_bounded(gzip.compress(payload), "x.csv.gz", limits)
    assert str(err.value) == (
        "x.csv.gz: decompresses to more than 2097152 bytes (the limit "
        "ORGSYNC_LIMIT_GZIP_BYTES=2097152); raise it in the CI environment if the file is genuine"
    )


def test_genuine_files_multi_member_and_highly_compressible_ones_below_the_floor_pass():
    assert (
        gunzip_bounded(gzip.compress(b"a\n1\n") + gzip.compress(b"2\n"), "x.gz", limits_from({}))
        == b"a\n1\n2\n"
    )
    assert len(gunzip_bounded(bomb(8), "x.gz", limits_from({}))) == 8 * (5 + 3 * (MiB // 3))


def test_the_environment_raises_the_limit_the_repository_cannot(tmp_path: Path):
    assert len(gunzip_bounded(bomb(80), "x.gz", limits_from({"ORGSYNC_LIMIT_GZIP_RATIO": "5000"}))) > 64 * MiB
    repo = Repo(tmp_path).write()
    (tmp_path / "orgsync.yaml").write_text(
        "tenant: ACME\nendpoint: local\nmanifests: manifests\nlimits: {gzip_ratio: 100000}\n"
    )
    assert any("limits" in str(p) for p in validate_project(repo.root, env={}).problems)


@pytest.mark.parametrize(
    "data, message",
    [(gzip.compress(b"team\nT1\n")[:-12], "truncated"), (b"\x1f\x8b\x08garbage", "not a readable gzip file")],
)
def test_broken_gzip_is_a_clear_error(data, message):
    with pytest.raises(Exception) as err:
        gunzip_bounded(data, "x.csv.gz", limits_from({}))
    assert message in str(err.value) and str(err.value).startswith("x.csv.gz: ")
