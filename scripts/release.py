"""`make release`: check that a tag may be cut, then (only with --apply) cut it. A dry run by default.

A tag `vX.Y.Z` is refused unless everything that names a release agrees with it: the version in
orgsync/__init__.py, a dated `## [X.Y.Z] - YYYY-MM-DD` section in CHANGELOG.md (not in the future, the newest one,
and nothing left under Unreleased), and every reference to orgsync's own repository in the docs and action.yml:
the repository is `Repository` under [project.urls] in pyproject.toml, and each `OWNER/NAME@REF`, `git+URL@REF`,
pre-commit `repo:`/`rev:` and wheel file name must name it and this version (or `main`, for installs before a tag).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "CONTRIBUTING.md", "action.yml", "manifests/README.md", "docs/*.md")
_GITHUB = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[@\s\"'`)/]|$)")
_ACTION_REF = re.compile(r"([^\s`\"'/]+/[\w.-]+)@([\w.-]+)")  # OWNER/NAME@REF (uses:, git+...@REF)
_REV = re.compile(r"repo:\s*https://github\.com/(\S+?)/?\n\s*rev:\s*(\S+)")  # a pre-commit hook repository
_WHEEL = re.compile(r"orgsync-(\d+\.\d+\.\d+)-py3-none-any\.whl")


def repository_path(root: Path) -> str:
    """OWNER/NAME from [project.urls] Repository in `root`'s pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return urlsplit(project["urls"]["Repository"]).path.strip("/")


def version_of(root: Path) -> str:
    found = re.search(
        r'^__version__ = "([^"]+)"', (root / "orgsync" / "__init__.py").read_text(), re.MULTILINE
    )
    return found[1] if found else ""


def disagreements(root: Path, version: str) -> list[str]:
    """Every reference to orgsync's repository in the docs that names another repository or release."""
    path = repository_path(root)
    name = path.split("/")[-1]
    problems = []
    for pattern in DOCS:
        for file in sorted(root.glob(pattern)):
            text = file.read_text(encoding="utf-8")
            shown = file.relative_to(root).as_posix()
            for number, line in enumerate(text.splitlines(), 1):
                where = f"{shown}:{number}"
                for repo in _GITHUB.findall(line):
                    if repo.split("/")[-1] == name and repo != path:
                        problems.append(f"{where}: names the repository {repo}; expected {path}")
                for found in _ACTION_REF.finditer(line):
                    repo, ref = found.groups()
                    if repo.split("/")[-1] != name:
                        continue
                    if repo != path:
                        if not line[: found.start()].endswith("github.com/"):  # a URL: reported above
                            problems.append(f"{where}: names {repo}@{ref}; expected {path}")
                    elif ref not in (f"v{version}", "main"):
                        problems.append(f"{where}: names {repo}@{ref}; expected @v{version} (or @main)")
                for wheel in _WHEEL.findall(line):
                    if wheel != version:
                        problems.append(f"{where}: names the wheel of {wheel}; expected {version}")
            for repo, rev in _REV.findall(text):
                if repo == path and rev != f"v{version}":
                    problems.append(f"{shown}: pre-commit `rev: {rev}`; expected v{version}")
    workflow = (root / "orgsync" / "manifest" / "starter" / "workflow.yaml").read_text()
    if re.search(r"uses: (?!actions/)(?!@ACTION@@v@VERSION@)\S+", workflow):
        problems.append(
            "orgsync/manifest/starter/workflow.yaml: names the Action itself; expected @ACTION@@v@VERSION@"
        )
    return problems


def changelog_problems(root: Path, version: str, today: dt.date) -> list[str]:
    """The version's changelog section: dated, not in the future, the newest, with nothing left unreleased."""
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, re.MULTILINE)
    released = [(v, rest.strip()) for v, rest in headings if v != "Unreleased"]
    problems = []
    dated = dict(released)
    if version not in dated:
        return [f"CHANGELOG.md: no `## [{version}] - YYYY-MM-DD` section"]
    if released[0][0] != version:
        problems.append(f"CHANGELOG.md: the newest section is {released[0][0]}, not {version}")
    stamp = re.fullmatch(r"- (\d{4}-\d{2}-\d{2})", dated[version])
    try:
        day = dt.date.fromisoformat(stamp[1]) if stamp else None
    except ValueError:
        day = None
    if day is None:
        problems.append(f"CHANGELOG.md: [{version}] has no date; expected `## [{version}] - YYYY-MM-DD`")
    elif day > today:
        problems.append(f"CHANGELOG.md: [{version}] is dated {day}, after today ({today})")
    unreleased = re.search(r"^## \[Unreleased\]\n(.*?)(?=^## \[)", text, re.MULTILINE | re.DOTALL)
    if unreleased and re.search(r"^- ", unreleased[1], re.MULTILINE):
        problems.append(
            f"CHANGELOG.md: entries are still under [Unreleased]; move them into [{version}] before tagging"
        )
    return problems


def check(root: Path, tag: str, today: dt.date) -> list[str]:
    """Every reason the tag `tag` may not be cut from `root` (nothing: it may)."""
    version = version_of(root)
    problems = []
    if tag != f"v{version}":
        problems.append(f"tag {tag} is not v{version}, the version in orgsync/__init__.py")
    problems += changelog_problems(root, version, today)
    problems += disagreements(root, version)
    existing = subprocess.run(["git", "-C", str(root), "tag", "-l", tag], capture_output=True, text=True)
    if existing.stdout.strip():
        problems.append(f"tag {tag} exists already")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--tag", help="default: v + the version in orgsync/__init__.py")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--apply", action="store_true", help="cut the tag (default: a dry run)")
    args = parser.parse_args(argv)
    tag = args.tag or f"v{version_of(args.root)}"
    problems = check(args.root, tag, args.today)
    if problems:
        print(f"release {tag}: refused", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    command = ["git", "-C", str(args.root), "tag", "-a", tag, "-m", f"orgsync {tag.removeprefix('v')}"]
    if not args.apply:
        print(f"release {tag}: every check passed (dry run). To cut it: make release TAG={tag} DRY_RUN=0")
        print(f"  then: git push origin {tag}")
        return 0
    subprocess.run(command, check=True)
    print(f"release {tag}: tagged. Push it: git push origin {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
