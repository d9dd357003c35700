"""Where orgsync itself is published: one setting, `Repository` under `[project.urls]` in pyproject.toml, from
which the Action reference (`uses: OWNER/NAME@vX.Y.Z`), init's workflow, the schema's `$id` and the README's
install lines are made (tests/test_repository.py holds them to it)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from orgsync import __version__

_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"  # in a checkout (an editable install)


@cache
def repository_url() -> str:
    """`https://github.com/OWNER/NAME`: the checkout's pyproject.toml when run from one (always current), else
    the installed package's metadata (`Project-URL: Repository, ...`)."""
    if _PYPROJECT.is_file():
        project: dict[str, Any] = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "orgsync":
            return str(project["urls"]["Repository"]).rstrip("/")
    for entry in metadata.metadata("orgsync").get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if label.strip() == "Repository":
            return url.strip().rstrip("/")
    raise LookupError("orgsync's metadata names no Repository URL")  # a build without [project.urls]


def repository_path() -> str:
    """`OWNER/NAME` of the GitHub repository, as `uses:` names an Action."""
    return urlsplit(repository_url()).path.strip("/")


def action_reference(version: str = __version__) -> str:
    """The Action at a release tag: `OWNER/NAME@vX.Y.Z`."""
    return f"{repository_path()}@v{version}"


def install_command(ref: str = f"v{__version__}", extras: str = "") -> str:
    """The pip line that installs orgsync (with `extras`, e.g. "postgresql") from the repository at `ref` (a
    tag, or `main` before the first)."""
    name = f"orgsync[{extras}]" if extras else "orgsync"
    return f'pip install "{name} @ git+{repository_url()}@{ref}"'


def schema_id() -> str:
    """The `$id` of the published JSON Schema: the file in the repository's main branch."""
    return f"https://raw.githubusercontent.com/{repository_path()}/main/manifests/orgsync.schema.json"
