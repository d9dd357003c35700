"""One sticky comment per (kind, working directory, tenant), found by a hidden marker and updated in place.

A body over GitHub's 65,536-character limit is split into numbered parts at line boundaries; part 1 always
starts with the plan's summary (the markdown renderer puts it first), so review sees the totals at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from orgsync.github.api import Comment, GitHubApi

LIMIT = 65_536  # GitHub's maximum body length, in characters
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


def split(body: str, key: StickyKey, *, limit: int = LIMIT) -> list[str]:
    """The comment bodies: one when it fits, else numbered parts each within `limit`, the summary in part 1."""
    if len(key.marker()) + 1 + len(body) <= limit:
        return [f"{key.marker()}\n{body}"]
    budget = limit - len(_head(key, 999, 999)) - 1
    chunks: list[str] = []
    current = ""
    for line in _lines(body, budget):
        if len(current) + len(line) > budget:
            chunks.append(current)
            current = ""
        current += line
    if current:
        chunks.append(current)
    return [f"{_head(key, i, len(chunks))}\n{chunk}" for i, chunk in enumerate(chunks, 1)]


def _head(key: StickyKey, part: int, parts: int) -> str:
    return f"{key.marker(part)}\n_orgsync {key.kind} · `{key.directory or '.'}` · part {part} of {parts}_\n"


def _lines(body: str, budget: int) -> list[str]:
    """The body's lines with their newlines; a line longer than `budget` is cut into pieces that fit."""
    out: list[str] = []
    for line in body.splitlines(keepends=True):
        while len(line) > budget:
            out.append(line[:budget])
            line = line[budget:]
        out.append(line)
    return out


@dataclass(frozen=True)
class StickyResult:
    """What `upsert` did: the ids of the comments created, updated, left as they were, and deleted."""

    created: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    deleted: tuple[int, ...]


def upsert(
    api: GitHubApi, number: int, key: StickyKey, body: str, *, author: str = BOT_LOGIN
) -> StickyResult:
    """Make the comments of `key` on issue/PR `number` say `body`: update parts in place, add missing ones,
    delete parts a shorter body no longer needs. Only comments written by `author` are ever touched.
    """
    parts = split(body, key)
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
