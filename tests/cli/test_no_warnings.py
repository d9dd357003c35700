"""No Python warning reaches a user: every documented source form goes through `plan` and `apply` in a process
run with `-W error` (a warning would be an exception there, so a traceback and a failed exit), and stderr
holds only orgsync's own lines (issue 22, point 6)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.source_forms import every_source_form


def run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "orgsync", *args, "-C", str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", **env},
        check=False,
    )


def test_plan_and_apply_of_every_documented_source_form_print_no_warning(tmp_path):
    env = every_source_form(tmp_path)
    plan = run(tmp_path, env, "plan")
    assert (plan.returncode, plan.stderr.splitlines()[:-1]) == (0, []), plan.stderr
    assert re.fullmatch(r"Requests: 1 made to read the tenant; .*", plan.stderr.splitlines()[-1])
    assert "Plan: 10 datasets to create" in plan.stdout
    apply = run(tmp_path, env, "apply", "--auto-approve")
    assert apply.returncode == 0, apply.stderr
    assert "Warning" not in apply.stderr and "Traceback" not in apply.stderr, apply.stderr
    again = run(tmp_path, env, "plan")
    assert (again.returncode, "Warning" in again.stderr) == (0, False), again.stderr
    assert "No changes" in again.stdout


def test_the_cli_silences_warnings_unless_asked_for_them():
    code = "import warnings, orgsync.cli as c; c.quiet_warnings(); warnings.warn('boo'); print('ran')"
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (quiet.stdout, quiet.stderr) == ("ran\n", "")
    loud = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert loud.returncode == 1 and "UserWarning: boo" in loud.stderr
