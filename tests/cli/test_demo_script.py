"""The README's main job (`make demo` → scripts/demo.sh) works from a clean copy and converges."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_script_validates_plans_applies_and_converges(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "demo.sh", tmp_path / "scripts" / "demo.sh")
    shutil.copytree(
        REPO / "examples" / "acme", tmp_path / "examples" / "acme", ignore=shutil.ignore_patterns(".orgsync")
    )
    orgsync = Path(sys.executable).parent / "orgsync"
    relative = os.path.relpath(orgsync, tmp_path)  # as the Makefile passes it: .venv/bin/orgsync
    run = subprocess.run(
        ["bash", "scripts/demo.sh", relative], cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Plan: 3 datasets to create, 0 to update · items: 872 to create, 0 to update, 0 to delete." in out
    assert "Apply complete. 872 item changes applied, 0 not applied" in out
    assert out.rstrip().endswith(
        "Plan: 0 datasets to create, 0 to update · items: 0 to create, 0 to update, 0 to delete."
    )
    assert (tmp_path / "examples" / "acme" / ".orgsync" / "tenant.db").exists()
    headers = [line for line in out.splitlines() if line.startswith("==> ")]
    assert [h.split()[1] for h in headers] == ["1/4", "2/4", "3/4", "4/4"]
    assert out.count("Target: local (embedded emulator") == 1  # the target is named once
    assert out.count("orgsync will perform these actions") == 1  # the plan is shown once
    assert out.count("Plan: 3 datasets to create") == 1
