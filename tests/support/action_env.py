"""The GitHub runner as the Action's orgsync step sees it: its environment, the step played, the outputs it writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.fake_github import FakeGitHub


def parse_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT in the `name<<DELIMITER` form."""
    outputs, text = {}, path.read_text() if path.exists() else ""
    for match in re.finditer(r"^([\w-]+)<<(\S+)\n(.*?)\n\2$", text, re.MULTILINE | re.DOTALL):
        outputs[match[1]] = match[3]
    return outputs


def env_for(tmp_path: Path, github: FakeGitHub, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5}}))
    return {
        "GITHUB_API_URL": github.base_url,
        "GITHUB_REPOSITORY": github.repository,
        "GITHUB_TOKEN": "t",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": "f" * 40,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "RUNNER_TEMP": str(tmp_path),
        "ORGVUE_TENANT": "ACME",
    } | extra


REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
[STEP] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "orgsync"]


class Runner:
    """Plays the GitHub runner for the action's orgsync step: expressions filled in, then `bash -c run`."""

    def __init__(self, tmp: Path, github: FakeGitHub, endpoint: str) -> None:
        self.tmp, self.github, self.endpoint = tmp, github, endpoint
        self.workspace = tmp / "workspace"
        self.temp = tmp / "runner-temp"
        venv_bin = self.temp / "orgsync-venv" / "bin"
        venv_bin.mkdir(parents=True)
        wrapper = venv_bin / "python"  # what the install step leaves there: a python with orgsync installed
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        wrapper.chmod(0o755)
        self.runs = 0

    def step(
        self, event_name: str, event: dict[str, Any], sha: str, **inputs: str
    ) -> tuple[int, dict[str, str], str]:
        self.runs += 1
        defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        values = (
            defaults
            | {
                "endpoint": self.endpoint,
                "tenant": "ACME",
                "token": "orgvue-secret-token",
                "github-token": "ghs_fake",
            }
            | inputs
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGVUE_", "GITHUB_"))}
        for name, value in STEP["env"].items():
            env[name] = re.sub(r"\$\{\{ inputs\.([\w-]+) \}\}", lambda m: values[m[1]], value)
        event_file = self.tmp / f"event-{self.runs}.json"
        event_file.write_text(json.dumps(event))
        out, summary = self.tmp / f"output-{self.runs}", self.tmp / f"summary-{self.runs}"
        env |= {
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_API_URL": self.github.base_url,
            "GITHUB_REPOSITORY": self.github.repository,
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_SHA": sha,
            "GITHUB_RUN_ID": str(self.runs),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_OUTPUT": str(out),
            "GITHUB_STEP_SUMMARY": str(summary),
            "NO_COLOR": "1",
        }
        done = subprocess.run(
            ["bash", "-e", "-c", STEP["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert "orgvue-secret-token" not in done.stdout + done.stderr and "ghs_fake" not in done.stderr
        self.stderr = done.stderr
        return done.returncode, parse_outputs(out), summary.read_text() if summary.exists() else ""


def commit(workspace: Path, message: str = "change") -> None:
    """Commit everything in `workspace` (a git repository from the first call): what actions/checkout gives."""
    git = ["git", "-C", str(workspace), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    if not (workspace / ".git").exists():
        subprocess.run([*git, "init", "-q"], check=True, timeout=60)
    subprocess.run([*git, "add", "-A"], check=True, timeout=60)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True, timeout=60)
