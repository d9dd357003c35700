"""Fault paths as bounded globs, not regular expressions: a rule must not be able to hang the server.

`*` matches any run, `?` one character, `{a,b}` either alternative (not nested; at most 64 expansions),
everything else itself; the rule matches anywhere in the path
unless it starts with `^` (anchored at the start) or ends with `$` (anchored at the end), so the earlier
regex-style rules `/datasets$`, `datasets` and `.*` keep their meaning. Matching is the two-pointer
wildcard algorithm: at most len(pattern) × len(path) steps, never exponential.
"""

from __future__ import annotations

MAX_PATTERN = 200
MAX_EXPANSIONS = 64
_REFUSED = set("()[]+|\\")


class GlobError(ValueError):
    """A fault path that is too long or uses regular-expression syntax the glob does not have."""


def compile_glob(text: str) -> tuple[str, ...]:
    """The normalised globs (braces expanded, unanchored sides as `*`), or `GlobError`."""
    if len(text) > MAX_PATTERN:
        raise GlobError(f"path is longer than {MAX_PATTERN} characters")
    bad = sorted(set(text) & _REFUSED)
    if bad:
        raise GlobError(
            f"path is a glob (`*`, `?`, `{{a,b}}`, `^` at the start, `$` at the end), not a regular "
            f"expression: {''.join(bad)!r} is not supported"
        )
    return tuple(_normalised(alternative) for alternative in _expand(text))


def _expand(text: str) -> list[str]:
    """`/{items,links}$` -> [`/items$`, `/links$`]; unbalanced or nested braces are refused."""
    out = [""]
    rest = text
    while "{" in rest or "}" in rest:
        start, end = rest.find("{"), rest.find("}")
        if start < 0 or end < start or "{" in rest[start + 1 : end]:
            raise GlobError("path has unbalanced or nested braces; expected {a,b} alternatives")
        options = rest[start + 1 : end].split(",")
        out = [head + rest[:start] + option for head in out for option in options]
        if len(out) > MAX_EXPANSIONS:
            raise GlobError(f"path expands to more than {MAX_EXPANSIONS} alternatives")
        rest = rest[end + 1 :]
    return [head + rest for head in out]


def _normalised(text: str) -> str:
    body = text.replace(".*", "*")
    start = body.startswith("^")
    end = body.endswith("$")
    body = body[1:] if start else body
    body = body[:-1] if end else body
    return ("" if start else "*") + body + ("" if end else "*")


def glob_match(pattern: str, text: str) -> bool:
    """Whether the normalised `pattern` matches all of `text` (iterative; remembers only the last `*`)."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]) and pattern[p] != "*":
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, t, p + 1
        elif star >= 0:
            mark += 1
            p, t = star + 1, mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
