"""One sticky comment per (kind, working directory, tenant), found by a hidden marker and updated in place.

A body over GitHub's 65,536-character limit is split into numbered parts (`fragments`: each renders on its own,
a fenced block that continues is reopened); part 1 always starts with the plan's summary (the markdown renderer
puts it first), so review sees the totals at once. At most `MAX_PARTS` comments: the last says where the rest is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from orgsync import escape
from orgsync.github.api import Comment, GitHubApi
from orgsync.github.fragments import REST, fragments

LIMIT = 65_536  # GitHub's maximum body length, in characters
MAX_PARTS = 5  # a longer body is cut: comments past this many would bury the pull request
OVERFLOW = (
    f"**… cut here: this comment stops after {MAX_PARTS} parts; the remaining {REST} characters are in the "
    "job summary and the workflow run's artifact{artifact}.**"
)


def overflow_line(artifact: str = "") -> str:
    """The line a cut comment ends with, naming the artifact that holds the whole text (if there is one)."""
    return OVERFLOW.replace("{artifact}", f" {escape.code(artifact)}" if artifact else "")


BOT_LOGIN = "github-actions[bot]"
_MARKER = re.compile(
    r"^<!-- orgsync:(?P<kind>[a-z-]+) dir=(?P<dir>\S*) tenant=(?P<tenant>\S*)"
    r"(?: part=(?P<part>\d+))? -->"
)


@dataclass(frozen=True)
class StickyKey:
    """What one sticky comment or issue is about: its kind (plan, apply, drift), working directory and tenant."""

    kind: str
    directory: str
    tenant: str

    def marker(self, part: int | None = None) -> str:
        """The hidden first line; values are percent-quoted so no input can end the HTML comment."""
        text = f"<!-- orgsync:{self.kind} dir={_q(self.directory)} tenant={_q(self.tenant)}"
        return text + (f" part={part}" if part is not None else "") + " -->"

    def owns(self, body: str) -> int | None:
        """The part number (1 when unnumbered) if `body` starts with this key's marker, else None."""
        match = _MARKER.match(body)
        if (
            not match
            or match["kind"] != self.kind
            or unquote(match["dir"]) != self.directory
            or unquote(match["tenant"]) != self.tenant
        ):
            return None
        return int(match["part"] or 1)


def _q(value: str) -> str:
    return quote(value or ".", safe="/._")


def split(
    body: str,
    key: StickyKey,
    *,
    limit: int = LIMIT,
    max_parts: int = MAX_PARTS,
    overflow: str = overflow_line(),
) -> list[str]:
    """The comment bodies: one when it fits, else numbered well-formed parts each within `limit`, the summary
    in part 1, at most `max_parts` of them (the last then ends with `overflow`)."""
    if len(key.marker()) + 1 + len(body) <= limit:
        return [f"{key.marker()}\n{body}"]
    budget = limit - len(_head(key, 999, 999)) - 1
    chunks = fragments(body, budget, max_parts=max_parts, overflow=overflow)
    return [f"{_head(key, i, len(chunks))}\n{chunk}" for i, chunk in enumerate(chunks, 1)]


def fits(body: str, key: StickyKey, *, overflow: str = overflow_line(), max_parts: int = MAX_PARTS) -> bool:
    """Whether `split` (with this `overflow` line) puts all of `body` into at most `max_parts` comments."""
    marked = "\x00" + overflow  # one character longer: never says it fits when the real split would cut
    return "\x00" not in split(body, key, max_parts=max_parts, overflow=marked)[-1]


def _head(key: StickyKey, part: int, parts: int) -> str:
    where = escape.code(key.directory or ".")
    return f"{key.marker(part)}\n_orgsync {key.kind} · {where} · part {part} of {parts}_\n"


@dataclass(frozen=True)
class StickyResult:
    """What `upsert` did: the ids of the comments created, updated, left as they were, and deleted."""

    created: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    deleted: tuple[int, ...]


def upsert(
    api: GitHubApi,
    number: int,
    key: StickyKey,
    body: str,
    *,
    author: str = BOT_LOGIN,
    overflow: str = overflow_line(),
) -> StickyResult:
    """Make the comments of `key` on issue/PR `number` say `body`: update parts in place, add missing ones,
    delete parts a shorter body no longer needs. Only comments written by `author` are ever touched.
    """
    parts = split(body, key, overflow=overflow)
    mine: dict[int, Comment] = {}
    for comment in api.comments(number):
        part = key.owns(comment.body)
        if part is not None and comment.author == author and part not in mine:
            mine[part] = comment
    created, updated, unchanged, deleted = [], [], [], []
    for index, text in enumerate(parts, 1):
        old = mine.pop(index, None)
        if old is None:
            created.append(api.create_comment(number, text).id)
        elif old.body != text:
            updated.append(api.update_comment(old.id, text).id)
        else:
            unchanged.append(old.id)
    for leftover in sorted(mine):
        api.delete_comment(mine[leftover].id)
        deleted.append(mine[leftover].id)
    return StickyResult(tuple(created), tuple(updated), tuple(unchanged), tuple(deleted))
