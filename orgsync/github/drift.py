"""One drift issue per (working directory, tenant): opened or updated while the tenant drifts, closed when clean."""

from __future__ import annotations

from dataclasses import dataclass

from orgsync.github.api import GitHubApi, Issue
from orgsync.github.comments import BOT_LOGIN, LIMIT, StickyKey
from orgsync.github.fragments import fragments

TRUNCATED = (
    "… the plan is longer than an issue can hold ({rest} characters left out); the full plan is in the "
    "workflow run{link}."
)


@dataclass(frozen=True)
class DriftResult:
    """What `sync_issue` did: opened, updated, closed or nothing, and the issue's number if there is one."""

    action: str  # "opened" | "updated" | "closed" | "none"
    number: int | None
    url: str = ""


def title(key: StickyKey) -> str:
    return f"orgsync drift: tenant {key.tenant} ({key.directory or '.'})"


def find(api: GitHubApi, key: StickyKey, author: str = BOT_LOGIN) -> Issue | None:
    """The open drift issue of `key` written by `author`, if any."""
    return next((i for i in api.open_issues() if i.author == author and key.owns(i.body) is not None), None)


def body_of(key: StickyKey, markdown: str, run_url: str = "") -> str:
    """The issue body: marker, a line on what drift means, the plan (cut to fit GitHub's limit)."""
    head = (
        f"{key.marker()}\nThe tenant no longer matches the repository: this is what `orgsync apply` would do "
        f"now. The issue closes itself when a scheduled run finds no changes.\n\n"
    )
    if len(head) + len(markdown) > LIMIT:  # cut where it stays well-formed (a <details> or fence is closed)
        tail = TRUNCATED.replace("{link}", f": {run_url}" if run_url else "")
        [markdown] = fragments(markdown, LIMIT - len(head), max_parts=1, overflow=tail)
    return head + markdown


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
    issue = find(api, key, author)
    if drifted:
        body = body_of(key, markdown, run_url)
        if issue is None:
            made = api.create_issue(title(key), body)
            return DriftResult("opened", made.number, made.url)
        if issue.body != body:
            api.update_issue(issue.number, body=body)
        return DriftResult("updated", issue.number, issue.url)
    if issue is None:
        return DriftResult("none", None)
    api.create_comment(
        issue.number, "The tenant matches the repository again" + (f" ({run_url})." if run_url else ".")
    )
    api.update_issue(issue.number, state="closed", state_reason="completed")
    return DriftResult("closed", issue.number)
