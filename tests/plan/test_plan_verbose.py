"""`orgsync plan -v` on the embedded `local` target: one stderr line per API call, in the order they complete."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import orjson
from click.testing import CliRunner

from orgsync.cli import cli

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
UUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


def orgsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def normalised(lines: str, names: dict[str, str]) -> list[str]:
    """Durations as `N ms`; dataset ids as their names; job and file ids as `{id}`."""
    out = []
    for line in lines.splitlines():
        line = re.sub(r" \d+ ms ", " N ms ", line)
        out.append(UUID.sub(lambda m: names.get(m.group(), "{id}"), line))
    return out


def test_plan_verbose_lists_the_list_get_and_export_calls_in_order(tmp_path):
    root = tmp_path / "acme"
    shutil.copytree(ACME, root, ignore=shutil.ignore_patterns(".orgsync"))
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve")
    assert code == 0 and err == ""  # without -v, nothing extra on stderr

    code, out, err = orgsync("plan", "-C", str(root), "--format", "json", "-v")
    assert code == 0
    names = {r["dataset_id"]: r["name"] for r in orjson.loads(out)["resources"]}
    assert sorted(names.values()) == ["People", "People to Positions", "Positions"]
    lines = normalised(err, names)
    # GETs send nothing; what an answer weighs depends on generated ids and gzip, so it is checked as a size
    assert all(re.search(r" (\d+ B|\d+\.\d [KM]B)$", line) for line in lines), lines
    sizes = [re.sub(r" (\d+ B|\d+\.\d [KM]B)$", " R", line) for line in lines]
    export = "export/csv?encoding=gzip&includeBOM=false&lineEndings=unix"  # the dataset's dataset:export:csv link
    assert sizes[0] == "GET /api/v1/ACME/datasets 200 N ms 0 B → R"
    assert sorted(sizes[1:4]) == [f"GET /api/v1/ACME/datasets/{n} 200 N ms 0 B → R" for n in sorted(names.values())]
    # an export POST sends its projection body (a few hundred bytes)
    assert sorted(re.sub(r" N ms \d+ B → R$", "", line) for line in sizes[4:7]) == sorted(
        f"POST /api/v1/ACME/datasets/{n}/{export} 202" for n in names.values())
    # each export's poll and download; the three exports run concurrently, so their order is not fixed
    assert sorted(sizes[7:]) == ["GET /_files/{id} 200 N ms 0 B → R"] * 3 + ["GET /api/v1/ACME/jobs/{id} 200 N ms 0 B → R"] * 3
    assert "sig" not in err and "orgsync.local" not in err

    code, _, err = orgsync("plan", "-C", str(root))
    assert code == 0 and err == ""
