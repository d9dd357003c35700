"""A newcomer's first hour (issue 22, point 10): each stumble, with the exact output or text that fixes it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from orgsync.cli import cli
from orgsync.errors import ConfigError
from orgsync.manifest.init import starter_files
from orgsync.manifest.loader import resolve_token

REPO = Path(__file__).resolve().parents[2]


def orgsync(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def starter(tmp_path) -> Path:
    assert orgsync("init", str(tmp_path / "repo"))[0] == 0
    return tmp_path / "repo"


def test_make_demo_installs_no_test_tools_and_the_readme_says_where_orgsync_is():
    demo = subprocess.run(
        ["make", "-n", "demo", "VENV=/nonexistent/v"], cwd=REPO, capture_output=True, text=True, check=True
    )
    installs = [line for line in demo.stdout.splitlines() if "pip install" in line]
    assert installs[-1] == "/nonexistent/v/bin/python -m pip install --quiet -e ."
    test = subprocess.run(
        ["make", "-n", "test", "VENV=/nonexistent/v"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "/nonexistent/v/bin/python -m pip install --quiet -e '.[dev]'" in test.stdout.splitlines()
    readme = (REPO / "README.md").read_text()
    assert "make demo   # installs orgsync into .venv" in readme
    assert "run it as `.venv/bin/orgsync`, or `source .venv/bin/activate` first" in readme


def test_apply_names_its_target_once(starter):
    code, out, _ = orgsync("apply", "-C", str(starter), "--auto-approve")
    assert code == 0
    assert out.splitlines()[:3] == [
        "Target: local (embedded emulator, .orgsync/tenant.db) · tenant STARTER",
        "",
        "orgsync will perform these actions (+ create, ~ update, - delete):",
    ]
    assert out.count("Target:") == 1


def test_validate_counts_in_words(starter):
    for path in ("manifests/positions.yaml", "manifests/assignments.yaml"):
        (starter / path).unlink()
    (starter / "data" / "people.csv").write_text("employee_id,full_name\nE1,Ada\n")
    text = (starter / "manifests" / "people.yaml").read_text()
    text = text.replace("treeId: employee_id\ntreeParentId: manager_id\n", "")
    (starter / "manifests" / "people.yaml").write_text(
        text + "  handKept: [start_date, full_time, salary, manager_id]\n"
    )
    assert orgsync("validate", "-C", str(starter)) == (0, "OK: 1 manifest, 1 source, 1 row\n", "")


def test_the_gitignore_init_writes_covers_every_plan_the_docs_save():
    ignored = starter_files()[".gitignore"].splitlines()
    docs = [REPO / "README.md", *(REPO / "docs").glob("*.md")]
    saved = {name for doc in docs for name in re.findall(r"--out ([\w.-]+\.\w+)", doc.read_text())}
    assert "plan.bin" in saved
    assert sorted(saved - set(ignored)) == []
    assert ignored == [".orgsync/", "plan.bin", "plan.json", "plan.md"]


def test_the_manifest_guide_says_what_orgvue_token_file_accepts(tmp_path):
    guide = " ".join((REPO / "manifests" / "README.md").read_text().split())
    assert "`ORGVUE_TOKEN_FILE` (an absolute path outside the repository" in guide
    assert "a relative path or one inside the repository is refused" in guide
    root = tmp_path / "repo"
    root.mkdir()
    (root / "token.txt").write_text("t\n")
    with pytest.raises(
        ConfigError, match="a relative path; expected an absolute path outside the repository"
    ):
        resolve_token({"ORGVUE_TOKEN_FILE": "token.txt"}, root)
    with pytest.raises(ConfigError, match="which is inside the repository"):
        resolve_token({"ORGVUE_TOKEN_FILE": str(root / "token.txt")}, root)


INDENTATION = (
    "; check the indentation of this line and the one above it: the keys of one mapping start in the same "
    "column, a nested key is indented further (by 2 spaces), and YAML indents with spaces only"
)


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        ("  mode: upsert", "   mode: upsert", "18:8", "mapping values are not allowed here" + INDENTATION),
        (
            "  - {key: full_name",
            "    - {key: full_name",
            "11:5",
            "expected <block end>, but found '<block sequence start>'" + INDENTATION,
        ),
        (
            "  mode: upsert",
            "\tmode: upsert",
            "18:1",
            "found character '\\t' that cannot start any token; YAML indents with spaces only: replace the "
            "tab with spaces",
        ),
    ],
)
def test_a_yaml_indentation_error_says_what_to_check(starter, old, new, where, problem):
    path = starter / "manifests" / "people.yaml"
    path.write_text(path.read_text().replace(old, new))
    code, out, _ = orgsync("validate", "-C", str(starter))
    assert (code, out.splitlines()[1]) == (
        1,
        f"  manifests/people.yaml:{where}: error: invalid YAML: {problem}",
    )


def test_a_folder_without_orgsync_yaml_points_at_dash_c(tmp_path):
    code, out, _ = orgsync("validate", "-C", str(tmp_path))
    assert (code, out.splitlines()[1]) == (
        1,
        f"  orgsync.yaml: error: no orgsync.yaml in {tmp_path.resolve()}; expected the repository root "
        "(`orgsync -C DIR ...` names it, or `orgsync init` starts one)",
    )


def test_every_released_version_in_the_changelog_has_a_date():
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    released = [(version, rest) for version, rest in headings if version != "Unreleased"]
    assert released and all(re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest) for _, rest in released), released
