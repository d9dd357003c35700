"""One approval issue per (working directory, tenant): opened when a scheduled sync is blocked by the safety
policy, updated by the next blocked run, closed with a comment once a sync is within the policy again or an
approved apply (`allow-destructive: on`) succeeds. Found by its hidden marker; only the bot's issues are edited.
"""

from __future__ import annotations

from collections.abc import Sequence

from orgsync import escape
from orgsync.github import sticky_issue
from orgsync.github.api import GitHubApi
from orgsync.github.comments import BOT_LOGIN, StickyKey
from orgsync.github.sticky_issue import IssueResult, fit

KIND = "approval"
MAX_REASONS = 20
TRUNCATED = (
    "**… the plan is longer than an issue can hold ({rest} characters left out); the whole plan is in the "
    "workflow run's job summary{link}.**"
)


# What open_or_update and close return (the shared sticky-issue result).
ApprovalResult = IssueResult


def key(directory: str, tenant: str) -> StickyKey:
    return StickyKey(KIND, directory, tenant)


def title(k: StickyKey) -> str:
    return f"orgsync sync blocked: tenant {k.tenant} ({k.directory or '.'}) needs approval"


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
    return fit(head, markdown, TRUNCATED.replace("{link}", f" ({run_url})" if run_url else ""))


def open_or_update(
    api: GitHubApi,
    k: StickyKey,
    markdown: str,
    reasons: Sequence[str],
    *,
    run_url: str = "",
    author: str = BOT_LOGIN,
) -> IssueResult:
    """Open the approval issue, or update the one already open (never a second one)."""
    return sticky_issue.open_or_update(
        api, k, title(k), body_of(k, markdown, reasons, run_url), author=author
    )


def close(
    api: GitHubApi, k: StickyKey, why: str, *, run_url: str = "", author: str = BOT_LOGIN
) -> IssueResult:
    """Close the open approval issue (if any) with a comment saying `why`."""
    comment = why + (f" ([workflow run]({run_url}))" if run_url else "") + "."
    return sticky_issue.close(api, k, comment, author=author)
