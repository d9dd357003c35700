"""The pull request's base for `orgsync plan --base-ref`: the reviewed revision whose protections are a floor.

GitHub names it in the event (`pull_request.base.sha`); the `base-ref` input overrides it (e.g. a
`pull_request_target` workflow that checks the PR's files out as data). A shallow checkout may not hold that
commit, so it is fetched (one commit, no tags) before the plan reads it with git.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orgsync.errors import GitHubError


def base_ref(env: Mapping[str, str], event: Mapping[str, Any]) -> str:
    """The base revision to plan against: the `base-ref` input, else the pull request's base commit, else ''."""
    chosen = (env.get("ORGSYNC_BASE_REF") or "").strip()
    if chosen:
        return chosen
    pr = event.get("pull_request")
    base = pr.get("base") if isinstance(pr, dict) else None
    sha = base.get("sha") if isinstance(base, dict) else None
    return sha if isinstance(sha, str) else ""


def ensure_commit(directory: Path, ref: str) -> None:
    """Make sure `ref` is in the repository at `directory` (fetching it from origin when not); GitHubError else."""
    if ref.startswith("-"):
        raise GitHubError(f"base-ref {ref!r}: expected a branch, tag or commit")
    if _git(directory, "cat-file", "-e", f"{ref}^{{commit}}").returncode == 0:
        return
    fetched = _git(directory, "fetch", "--no-tags", "--depth=1", "origin", ref)
    if fetched.returncode != 0:
        raise GitHubError(
            f"the pull request's base {ref} is not in the checkout and could not be fetched from origin",
            hint="use actions/checkout with `fetch-depth: 0`, or fetch the base branch before this step",
        )


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=directory, capture_output=True, check=False, timeout=300)
