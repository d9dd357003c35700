"""orgsync's own repository is one setting ([project.urls] Repository): the Action reference, init's workflow, the
schema's $id and the README's install lines are made from it and agree; `make release` refuses a tag they, the
version or the changelog disagree with (issue 22, point 9)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from orgsync import __version__
from orgsync.manifest.init import WORKFLOW, starter_files
from orgsync.manifest.schema import build_schema
from orgsync.repository import action_reference, install_command, repository_path, repository_url

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("release", REPO / "scripts" / "release.py")
assert spec is not None and spec.loader is not None
release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(release)


def test_the_setting_is_project_urls_repository():
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert repository_url() == urls["Repository"] == f"https://github.com/{repository_path()}"
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", repository_path())


def test_everything_that_names_the_repository_is_made_from_it():
    readme = (REPO / "README.md").read_text().splitlines()
    for line in (install_command(f"v{__version__}"), install_command("main")):
        assert any(row.startswith(line + "  ") for row in readme), line
    workflow = starter_files()[WORKFLOW]
    ours = [
        line.split("uses:")[1].strip()
        for line in workflow.splitlines()
        if "uses:" in line and "actions/" not in line
    ]
    assert len(ours) >= 3 and set(ours) == {action_reference()}  # plan, apply, drift (and whatever comes)
    assert f"- uses: {action_reference()}" in (REPO / "docs" / "ci.md").read_text()
    assert build_schema()["$id"].startswith(f"https://raw.githubusercontent.com/{repository_path()}/")
    assert release.disagreements(REPO, __version__) == []


def released_copy(tmp_path: Path, version: str = "0.3.0", date: str = "2026-12-02") -> Path:
    """The files the release check reads, copied into a fresh Git repository, with `version` released on `date`:
    the version set, [Unreleased] moved into its dated section, every reference moved to its tag."""
    root = tmp_path / "orgsync"
    (root / "orgsync").mkdir(parents=True)
    for name in ("README.md", "CONTRIBUTING.md", "action.yml", "CHANGELOG.md", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    for folder in ("docs", "manifests", "orgsync/manifest/starter"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("*.json"))
    (root / "orgsync" / "__init__.py").write_text(f'__version__ = "{version}"\n')
    for path in [
        root / "README.md",
        root / "action.yml",
        *(root / "docs").glob("*.md"),
        root / "manifests/README.md",
    ]:
        path.write_text(
            path.read_text()
            .replace(f"v{__version__}", f"v{version}")
            .replace(f"-{__version__}-", f"-{version}-")
        )
    changelog = (root / "CHANGELOG.md").read_text()
    (root / "CHANGELOG.md").write_text(
        changelog.replace("## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - {date}\n", 1)
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def make_release(root: Path, *args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "release", f"ROOT={root}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr.replace("make: *** [Makefile", "").split("\nmake:")[0]


def test_a_release_whose_version_changelog_and_references_agree_passes_the_dry_run(tmp_path):
    root = released_copy(tmp_path)
    code, out, err = make_release(root, "TAG=v0.3.0")
    assert (code, err) == (0, "")
    assert out == (
        "release v0.3.0: every check passed (dry run). To cut it: make release TAG=v0.3.0 DRY_RUN=0\n"
        "  then: git push origin v0.3.0\n"
    )
    tags = subprocess.run(["git", "-C", str(root), "tag", "-l"], capture_output=True, text=True, check=True)
    assert tags.stdout == ""  # a dry run cuts nothing


def refused(root: Path, *args: str) -> list[str]:
    code, out, err = make_release(root, *args)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith("release ") and lines[0].endswith(": refused")
    return [line.strip() for line in lines[1:] if line.startswith("  ")]


def test_a_tag_other_than_the_version_is_refused(tmp_path):
    assert refused(released_copy(tmp_path), "TAG=v0.3.1") == [
        "tag v0.3.1 is not v0.3.0, the version in orgsync/__init__.py"
    ]


def test_an_undated_or_future_or_missing_changelog_section_is_refused(tmp_path):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    root = released_copy(tmp_path, date=tomorrow)
    assert refused(root) == [f"CHANGELOG.md: [0.3.0] is dated {tomorrow}, after today ({dt.date.today()})"]
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace(f"## [0.3.0] - {tomorrow}", "## [0.3.0]"))
    assert refused(root) == ["CHANGELOG.md: [0.3.0] has no date; expected `## [0.3.0] - YYYY-MM-DD`"]
    changelog.write_text(changelog.read_text().replace("## [0.3.0]\n", ""))
    assert refused(root) == [
        "CHANGELOG.md: no `## [0.3.0] - YYYY-MM-DD` section",
    ]


def test_entries_left_under_unreleased_are_refused(tmp_path):
    root = released_copy(tmp_path)
    changelog = root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [Unreleased]\n", "## [Unreleased]\n- a fix\n"))
    assert refused(root) == [
        "CHANGELOG.md: entries are still under [Unreleased]; move them into [0.3.0] before tagging"
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "docs/ci.md",
            "- uses: orgsync/orgsync@v0.3.0",
            "- uses: orgsync/orgsync@v0.2.9",
            "names orgsync/orgsync@v0.2.9; expected @v0.3.0 (or @main)",
        ),
        (
            "action.yml",
            "`uses: orgsync/orgsync@v0.3.0`",
            "`uses: <owner>/orgsync@v0.3.0`",
            "names <owner>/orgsync@v0.3.0; expected orgsync/orgsync",
        ),
        (
            "README.md",
            "git+https://github.com/orgsync/orgsync@v0.3.0",
            "git+https://github.com/someone/orgsync@v0.3.0",
            "names the repository someone/orgsync; expected orgsync/orgsync",
        ),
        (
            "README.md",
            "dist/orgsync-0.3.0-py3-none-any.whl\n",
            "dist/orgsync-0.2.0-py3-none-any.whl\n",
            "names the wheel of 0.2.0; expected 0.3.0",
        ),
    ],
)
def test_a_reference_that_disagrees_is_refused_by_file_and_line(tmp_path, file, old, new, problem):
    root = released_copy(tmp_path)
    path = root / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = text[: text.index(old)].count("\n") + 1
    assert refused(root) == [f"{file}:{line}: {problem}"]


def test_a_tag_that_exists_is_refused_and_dry_run_0_cuts_one(tmp_path):
    root = released_copy(tmp_path)
    env = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", *env, "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", *env, "-C", str(root), "commit", "-qm", "0.3.0"], check=True)
    done = subprocess.run(
        ["make", "-s", "release", f"ROOT={root}", "DRY_RUN=0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "HOME": str(tmp_path),
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "release v0.3.0: tagged. Push it: git push origin v0.3.0\n"
    assert refused(root) == ["tag v0.3.0 exists already"]
