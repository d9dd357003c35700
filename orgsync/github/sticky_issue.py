"""One sticky issue per (kind, working directory, tenant): found by its hidden marker, opened or updated in place, closed with a comment; only the bot's issues are touched."""

from __future__ import annotations

from dataclasses import dataclass

from orgsync.github.api import GitHubApi, Issue
from orgsync.github.comments import BOT_LOGIN, LIMIT, StickyKey
from orgsync.github.fragments import fragments


@dataclass(frozen=True)
class IssueResult:
    """What was done to the issue: opened, updated, closed or nothing; its number and page if there is one."""

    action: str  # "opened" | "updated" | "closed" | "none"
    number: int | None = None
    url: str = ""


def find(api: GitHubApi, key: StickyKey, author: str = BOT_LOGIN) -> Issue | None:
    """The open issue of `key` written by `author`, if any."""
    return next((i for i in api.open_issues() if i.author == author and key.owns(i.body) is not None), None)


def fit(head: str, markdown: str, overflow: str) -> str:
    """`head` then `markdown`, the markdown cut where it stays well-formed (a <details> or fence closed) so the
    whole fits one issue, ending with `overflow` (with `{rest}`: the characters left out) when it was cut."""
    if len(head) + len(markdown) > LIMIT:
        [markdown] = fragments(markdown, LIMIT - len(head), max_parts=1, overflow=overflow)
    return head + markdown


def open_or_update(
    api: GitHubApi, key: StickyKey, title: str, body: str, *, author: str = BOT_LOGIN
) -> IssueResult:
    """Open the issue of `key`, or update the one already open (never a second one)."""
    issue = find(api, key, author)
    if issue is None:
        made = api.create_issue(title, body)
        return IssueResult("opened", made.number, made.url)
    if issue.body != body:
        api.update_issue(issue.number, body=body)
    return IssueResult("updated", issue.number, issue.url)


def close(api: GitHubApi, key: StickyKey, comment: str, *, author: str = BOT_LOGIN) -> IssueResult:
    """Close the open issue of `key` (if any) with `comment`."""
    issue = find(api, key, author)
    if issue is None:
        return IssueResult("none")
    api.create_comment(issue.number, comment)
    api.update_issue(issue.number, state="closed", state_reason="completed")
    return IssueResult("closed", issue.number, issue.url)
