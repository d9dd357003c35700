"""One approval issue per (working directory, tenant): opened when a scheduled sync is blocked by the safety
policy, updated by the next blocked run, closed with a comment once a sync is within the policy again or an
approved apply (`allow-destructive: on`) succeeds. Found by its hidden marker; only the bot's issues are edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orgsync import escape
from orgsync.github.api import GitHubApi, Issue
from orgsync.github.comments import BOT_LOGIN, LIMIT, StickyKey
from orgsync.github.fragments import fragments

KIND = "approval"
MAX_REASONS = 20
TRUNCATED = (
    "**… the plan is longer than an issue can hold ({rest} characters left out); the whole plan is in the "
    "workflow run's job summary{link}.**"
)


@dataclass(frozen=True)
class ApprovalResult:
    """What `sync_issue` did: opened, updated, closed or nothing; the issue's number and page if there is one."""

    action: str  # "opened" | "updated" | "closed" | "none"
    number: int | None = None
    url: str = ""


def key(directory: str, tenant: str) -> StickyKey:
    return StickyKey(KIND, directory, tenant)


def title(k: StickyKey) -> str:
    return f"orgsync sync blocked: tenant {k.tenant} ({k.directory or '.'}) needs approval"


def find(api: GitHubApi, k: StickyKey, author: str = BOT_LOGIN) -> Issue | None:
    """The open approval issue of `k` written by `author`, if any."""
    return next((i for i in api.open_issues() if i.author == author and k.owns(i.body) is not None), None)


def body_of(k: StickyKey, markdown: str, reasons: Sequence[str], run_url: str = "") -> str:
    """Marker, what blocked the sync (each reason inert), how to approve, then the plan cut to fit one issue."""
    shown = [f"- {escape.markdown(r)}" for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        shown.append(f"- … and {len(reasons) - MAX_REASONS} more (see the plan below)")
    run = f" ([workflow run]({run_url}))" if run_url else ""
    head = (
        f"{k.marker()}\n### The scheduled sync is blocked by the safety policy{run}\n\n"
        "Nothing was written to the tenant. What blocked it:\n\n"
        + "\n".join(shown or ["- (no reason was reported)"])
        + "\n\n**To approve** these changes, run the workflow's apply job by hand (`workflow_dispatch`) with "
        "`allow-destructive: on`, in the GitHub environment whose required reviewers approve it. If they "
        "are not intended, fix the feed: the next sync within the policy applies it. Either way this issue "
        "closes itself.\n\n"
    )
    if len(head) + len(markdown) > LIMIT:  # cut where it stays well-formed (a <details> or fence is closed)
        tail = TRUNCATED.replace("{link}", f" ({run_url})" if run_url else "")
        [markdown] = fragments(markdown, LIMIT - len(head), max_parts=1, overflow=tail)
    return head + markdown


def open_or_update(
    api: GitHubApi,
    k: StickyKey,
    markdown: str,
    reasons: Sequence[str],
    *,
    run_url: str = "",
    author: str = BOT_LOGIN,
) -> ApprovalResult:
    """Open the approval issue, or update the one already open (never a second one)."""
    body = body_of(k, markdown, reasons, run_url)
    issue = find(api, k, author)
    if issue is None:
        made = api.create_issue(title(k), body)
        return ApprovalResult("opened", made.number, made.url)
    if issue.body != body:
        api.update_issue(issue.number, body=body)
    return ApprovalResult("updated", issue.number, issue.url)


def close(
    api: GitHubApi, k: StickyKey, why: str, *, run_url: str = "", author: str = BOT_LOGIN
) -> ApprovalResult:
    """Close the open approval issue (if any) with a comment saying `why`."""
    issue = find(api, k, author)
    if issue is None:
        return ApprovalResult("none")
    api.create_comment(issue.number, why + (f" ([workflow run]({run_url}))" if run_url else "") + ".")
    api.update_issue(issue.number, state="closed", state_reason="completed")
    return ApprovalResult("closed", issue.number, issue.url)
