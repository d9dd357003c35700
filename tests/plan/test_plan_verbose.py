"""`orgsync plan -v` on the embedded `local` target: one stderr line per API call, in the order they complete."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from orgsync.api import target
from tests.support.cli import orgsync
from tests.support.repo import make_repo

ACME = Path(__file__).resolve().parents[2] / "examples" / "acme"
UUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")


TRACE = re.compile(r" trace Root=1-[0-9a-f]{8}-[0-9a-f]{24}$")


def normalised(lines: str, names: dict[str, str]) -> list[str]:
    """Durations as `N ms`; dataset ids as their names; job and file ids as `{id}`; each line's trace id (every
    answer of the emulator has one, D/working/tracking/) checked and taken off."""
    out = []
    for line in lines.splitlines():
        assert TRACE.search(line), line
        line = TRACE.sub("", line)
        line = re.sub(r" \d+ ms ", " N ms ", line)
        out.append(UUID.sub(lambda m: names.get(m.group(), "{id}"), line))
    return out


def test_plan_verbose_lists_the_list_get_and_export_calls_in_order(tmp_path, monkeypatch):
    root = make_repo(tmp_path / "acme", example="acme")
    code, _, err = orgsync("apply", "-C", str(root), "--auto-approve")
    assert code == 0 and err == ""  # without -v, nothing extra on stderr

    apps = []  # the embedded emulator of the plan run, to ask which job made which file
    local = target._local_transport

    def keep_app(project):
        transport = local(project)
        apps.append(transport.app)
        return transport

    monkeypatch.setattr(target, "_local_transport", keep_app)
    code, out, err = orgsync("plan", "-C", str(root), "--format", "json", "-v")
    assert code == 0
    names = {r["dataset_id"]: r["name"] for r in orjson.loads(out)["resources"]}
    assert sorted(names.values()) == ["People", "People to Positions", "Positions"]
    lines = normalised(err, names)
    # GETs send nothing; what an answer weighs depends on generated ids and gzip, so it is checked as a size
    assert all(re.search(r" (\d+ B|\d+\.\d [KM]B)$", line) for line in lines), lines
    sizes = [re.sub(r" (\d+ B|\d+\.\d [KM]B)$", " R", line) for line in lines]
    export = (
        "export/csv?encoding=gzip&includeBOM=false&lineEndings=unix"  # the dataset's dataset:export:csv link
    )
    assert sizes[0] == "GET /api/v1/ACME/datasets 200 N ms 0 B → R"
    assert sorted(sizes[1:4]) == [
        f"GET /api/v1/ACME/datasets/{n} 200 N ms 0 B → R" for n in sorted(names.values())
    ]
    # Then the three exports run side by side, so their lines interleave; what must hold is each one's own
    # order: its POST (with a projection body of a few hundred bytes), one or more polls of its job, its file.
    rest = err.splitlines()[4:]
    [app] = apps
    jobs = app.state.emulator.jobs
    assert len(jobs) == 3
    for job in jobs.values():
        dataset_id = re.search(r"/datasets/([^/]+)/export", job.path).group(1)
        post = [
            i for i, line in enumerate(rest) if line.startswith(f"POST /api/v1/ACME/datasets/{dataset_id}/")
        ]
        # a poll goes to the job's presigned storage URL (D/working/async/); its signature is never shown
        polls = [i for i, line in enumerate(rest) if line.startswith(f"GET /_storage/jobs/{job.id} 200 ")]
        files = [i for i, line in enumerate(rest) if line.startswith(f"GET /_files/{job.result_file} 200 ")]
        assert len(post) == 1 and polls and len(files) == 1, (names[dataset_id], rest)
        assert post[0] < min(polls) and max(polls) < files[0], (names[dataset_id], rest)
        assert re.fullmatch(
            rf"POST /api/v1/ACME/datasets/{dataset_id}/{re.escape(export)} 202 \d+ ms \d+ B → .+",
            rest[post[0]],
        )
    assert len(rest) == 3 + sum(1 for line in rest if "/jobs/" in line) + 3  # nothing else was called
    assert "sig" not in err and "orgsync.local" not in err

    code, _, err = orgsync("plan", "-C", str(root))
    assert code == 0 and err == ""
