"""The Action's venv is cached (keyed by its ref, a digest of its source, the Python version and the platform) and
gets only the extras the manifests need (issue 22, point 11): its scripts run here with a logging Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.source_forms import every_source_form

REPO = Path(__file__).resolve().parents[2]
STEPS = yaml.safe_load((REPO / "action.yml").read_text())["runs"]["steps"]


def step(predicate) -> dict:
    [found] = [s for s in STEPS if predicate(s)]
    return found


def test_the_venv_is_restored_before_the_install_and_saved_only_on_a_miss():
    uses = [s.get("uses", s.get("id")) for s in STEPS]
    assert uses.index("actions/cache/restore@v4") < uses.index(None) < uses.index("actions/cache/save@v4")
    restore = step(lambda s: s.get("uses") == "actions/cache/restore@v4")
    save = step(lambda s: s.get("uses") == "actions/cache/save@v4")
    assert (
        restore["with"]
        == save["with"]
        == {
            "path": "${{ runner.temp }}/orgsync-venv",
            "key": "${{ steps.venv-key.outputs.key }}",
        }
    )
    assert save["if"] == "steps.venv-cache.outputs.cache-hit != 'true'"
    key = step(lambda s: s.get("id") == "venv-key")
    assert key["env"] == {
        "ACTION_PATH": "${{ github.action_path }}",
        "ACTION_REF": "${{ github.action_ref }}",
        "PYTHON_VERSION": "${{ steps.python.outputs.python-version }}",
    }


def key_of(action_path: Path, ref: str, tmp_path: Path) -> str:
    output = tmp_path / "output"
    output.write_text("")
    env = {
        "PATH": "/usr/bin:/bin",
        "ACTION_PATH": str(action_path),
        "ACTION_REF": ref,
        "PYTHON_VERSION": "3.12.7",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "GITHUB_OUTPUT": str(output),
    }
    script = step(lambda s: s.get("id") == "venv-key")["run"]
    subprocess.run(["bash", "-e", "-c", script], env=env, check=True)
    return output.read_text()


def test_the_key_names_the_ref_the_source_python_and_platform(tmp_path):
    action = tmp_path / "action"
    shutil.copytree(REPO / "orgsync", action / "orgsync", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", action)
    first = key_of(action, "v0.2.0", tmp_path)
    assert first.startswith("key=orgsync-venv-v0.2.0-") and first.endswith("-py3.12.7-Linux-X64\n")
    assert key_of(action, "feature/x y", tmp_path).startswith("key=orgsync-venv-feature_x_y-")
    (action / "orgsync" / "cli.py").write_text((action / "orgsync" / "cli.py").read_text() + "\n# changed\n")
    assert key_of(action, "v0.2.0", tmp_path) != first  # a moved @main never restores stale code


def install(tmp_path: Path, cache_hit: str, env: dict[str, str]) -> tuple[list[str], str]:
    """Run the install step with a Python that logs each call (venv creation and the install of the Action
    itself are only logged; orgsync and pip run for real in this test's environment)."""
    log = tmp_path / "calls"
    shim = tmp_path / "shim"
    shim.write_text(
        f'#!/bin/bash\necho "$*" >> {log}\n'
        f'case "$*" in "-m venv "*|*"pip install --quiet --disable-pip-version-check {REPO}") exit 0;; esac\n'
        f'exec {sys.executable} "$@"\n'
    )
    shim.chmod(0o755)
    temp = tmp_path / "runner-temp"
    (temp / "orgsync-venv" / "bin").mkdir(parents=True)
    (temp / "orgsync-venv" / "bin" / "python").symlink_to(shim)
    script = step(lambda s: s.get("name", "").startswith("install orgsync"))["run"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ORGVUE_", "ORGSYNC_"))}
    run_env = (
        base
        | env
        | {
            "ACTION_PATH": str(REPO),
            "PYTHON": str(shim),
            "CACHE_HIT": cache_hit,
            "RUNNER_TEMP": str(temp),
            "ORGSYNC_WORKING_DIRECTORY": "repo",
        }
    )
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=run_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    extras = temp / "orgsync-extras.txt"
    return log.read_text().splitlines(), extras.read_text() if extras.exists() else ""


def test_a_cache_hit_skips_the_install_and_the_extras_the_manifests_need_are_installed(tmp_path):
    env = every_source_form(tmp_path / "repo")
    temp = str(tmp_path / "runner-temp")
    calls, extras = install(tmp_path, "true", env)
    assert calls == [
        "-m orgsync --version",
        "-m orgsync extras --requirements -C repo",
        f"-m pip install --quiet --disable-pip-version-check -r {temp}/orgsync-extras.txt",
    ]
    assert extras == "adbc-driver-manager>=1.0\nadbc-driver-sqlite>=1.0\nfastexcel>=0.11\npyarrow>=14\n"


def test_a_miss_installs_the_action_and_a_repository_without_extras_installs_none(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "orgsync.yaml").write_text("tenant: T\nendpoint: local\n")
    calls, extras = install(tmp_path, "", {})
    venv = tmp_path / "runner-temp" / "orgsync-venv"
    assert calls == [
        f"-m venv {venv}",
        f"-m pip install --quiet --disable-pip-version-check {REPO}",
        "-m orgsync --version",
        "-m orgsync extras --requirements -C repo",
    ]
    assert extras == ""
