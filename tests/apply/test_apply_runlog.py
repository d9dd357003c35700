"""`orgsync apply --log-runs FILE`: one line per run with status, counts, requests and the trace ids of the
calls that failed (for Orgvue support), and nothing of an item."""

from __future__ import annotations

import json

from orgsync.errors import ExitCode
from orgsync.runlog import read
from tests.support.apply_tenant import Traced


def test_apply_logs_each_run_with_the_trace_ids_of_failed_calls(tenant, tmp_path, monkeypatch):
    monkeypatch.setattr("orgsync.api.target._local_transport", lambda project: Traced(tenant.transport))
    tenant.admin(
        "POST", "/_emulator/faults", {"path": r"/items$", "method": "PUT", "status": 400, "count": 1}
    )
    log = tmp_path / "runs.jsonl"
    first = tenant.apply(log_runs=log)
    assert first in (ExitCode.PARTIAL, ExitCode.ERROR)
    assert tenant.apply(log_runs=log) == ExitCode.OK  # the rest, once the fault is spent
    assert tenant.apply(log_runs=log) == ExitCode.OK  # nothing left
    failed, applied, clean = read(log)
    assert (failed.command, failed.tenant, failed.exit_code) == ("apply", "ACME", int(first))
    assert failed.status == ("partially applied" if first == ExitCode.PARTIAL else "failed")
    assert failed.trace_ids and all(t.startswith("Root=1-00000000-") for t in failed.trace_ids)
    assert (
        failed.requests > 0
        and failed.datasets
        and all(set(counts) == {"create", "update", "delete"} for counts in failed.datasets.values())
    )
    assert (applied.status, applied.trace_ids) == ("applied", ())
    assert (clean.status, clean.datasets, clean.exit_code) == ("no changes", {}, 0)
    people = (tenant.root / "data" / "people.csv").read_text().splitlines()[1].split(",")
    text = log.read_text()
    assert all(v not in text for v in people if len(v) > 3)  # no key or value of an item
    assert all(json.loads(line)["time"].endswith("Z") for line in text.splitlines())
