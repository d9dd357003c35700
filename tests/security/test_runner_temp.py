"""Without `RUNNER_TEMP` (a self-hosted or local runner), the Action's private files (plans, reports, comment
drafts, the run log) once went to `./orgsync-<slug>/` in the checkout, where a pull request can commit that name
as a symlink out of the repository. They now go to a fresh private temporary folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orgsync.github.action import Inputs
from orgsync.github.runrecord import conclude, failed_record


def test_a_committed_orgsync_symlink_does_not_receive_the_run_log(tmp_path: Path, monkeypatch) -> None:
    checkout, outside = tmp_path / "checkout", tmp_path / "outside"
    checkout.mkdir()
    outside.mkdir()
    os.symlink(outside, checkout / "orgsync-ACME")  # committed by the pull request
    monkeypatch.chdir(checkout)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the machine's temporary directory
    inputs = Inputs.from_env({"ORGSYNC_COMMAND": "plan", "ORGVUE_TENANT": "ACME"})

    outputs = conclude(inputs, failed_record(inputs, "plan", 1))

    assert list(outside.iterdir()) == []
    runs = Path(outputs["runs-file"])
    assert runs.name == "runs.jsonl" and runs.parent.name == "orgsync-ACME"
    assert runs.resolve().is_relative_to(tmp_path / "tmp")
    assert os.stat(inputs.temp_dir).st_mode & 0o777 == 0o700
