"""At most a few problems of one kind, then one "... and N more like this" line (a hostile file can cause
millions of the same finding; a report is for reading)."""

from __future__ import annotations

import re

from orgsync.errors import Problem

MAX_OF_A_KIND = 20
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\d+")


def kind(problem: Problem) -> tuple[str, str, str]:
    """What makes two problems the same kind: file, severity and the message with names and numbers blanked."""
    return (str(problem.location.file), problem.severity, _VARYING.sub("_", problem.message))


def capped(problems: list[Problem], limit: int = MAX_OF_A_KIND) -> list[Problem]:
    """`problems` with each kind's first `limit` kept in place and the rest counted in one line after them."""
    seen: dict[tuple[str, str, str], int] = {}
    for problem in problems:
        key = kind(problem)
        seen[key] = seen.get(key, 0) + 1
    if all(count <= limit for count in seen.values()):
        return problems
    kept: list[Problem] = []
    shown: dict[tuple[str, str, str], int] = {}
    for problem in problems:
        key = kind(problem)
        shown[key] = shown.get(key, 0) + 1
        if shown[key] <= limit:
            kept.append(problem)
        if shown[key] == limit and seen[key] > limit:
            kept.append(
                Problem(  # at the last one listed, so a report sorted by line keeps it after them
                    problem.location,
                    f"... and {seen[key] - limit} more like the above ({_brief(problem.message)})",
                    None,
                    problem.severity,
                )
            )
    return kept


def _brief(message: str) -> str:
    text = _VARYING.sub("…", message)
    return text if len(text) <= 80 else text[:79] + "…"


def listed(names: list[str], limit: int = MAX_OF_A_KIND) -> str:
    """`names` joined by commas, the first `limit` of them and then how many more."""
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")
