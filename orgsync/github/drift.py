"""One drift issue per (working directory, tenant): opened or updated while the tenant drifts, closed when clean."""

from __future__ import annotations

from orgsync.github import sticky_issue
from orgsync.github.api import GitHubApi
from orgsync.github.comments import BOT_LOGIN, StickyKey
from orgsync.github.sticky_issue import IssueResult, fit

TRUNCATED = (
    "… the plan is longer than an issue can hold ({rest} characters left out); the full plan is in the "
    "workflow run{link}."
)


# What sync_issue returns (the shared sticky-issue result).
DriftResult = IssueResult


def title(key: StickyKey) -> str:
    return f"orgsync drift: tenant {key.tenant} ({key.directory or '.'})"


def body_of(key: StickyKey, markdown: str, run_url: str = "") -> str:
    """The issue body: marker, a line on what drift means, the plan (cut to fit GitHub's limit)."""
    head = (
        f"{key.marker()}\nThe tenant no longer matches the repository: this is what `orgsync apply` would do "
        f"now. The issue closes itself when a scheduled run finds no changes.\n\n"
    )
    return fit(head, markdown, TRUNCATED.replace("{link}", f": {run_url}" if run_url else ""))


def sync_issue(
    api: GitHubApi,
    key: StickyKey,
    drifted: bool,
    markdown: str,
    *,
    run_url: str = "",
    author: str = BOT_LOGIN,
) -> DriftResult:
    """Open or update the issue on drift; close it (with a comment saying when) once the tenant is clean."""
    if drifted:
        return sticky_issue.open_or_update(
            api, key, title(key), body_of(key, markdown, run_url), author=author
        )
    comment = "The tenant matches the repository again" + (f" ({run_url})." if run_url else ".")
    return sticky_issue.close(api, key, comment, author=author)
