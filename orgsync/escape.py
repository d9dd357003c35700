"""Make repository-controlled text inert where it is shown: on a terminal, in a log, in a PR comment.

A CSV value, a dataset name or a property key is attacker-controlled in CI: on a terminal, `\\x1b]…` can
rewrite the screen or a link, and in the markdown comment `<!--` hides everything after it. `terminal`
shows every control (and bidi-override) character as its escape; `markdown` HTML-escapes with markupsafe
and turns every character GitHub markdown gives meaning to into a numeric entity, so it renders as itself
in tables, lists, inline code and HTML blocks alike, and never as markup, a link or a mention.
"""

from __future__ import annotations

import re

from markupsafe import escape

# C0 controls, DEL, C1 controls, and the Unicode bidi overrides/isolates ("Trojan Source"), line/para separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"[\\`*_\[\]|@!~#$]")  # emphasis, code, links/images, tables, mentions, refs, math


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(code) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


def terminal(text: str) -> str:
    """`text` with control characters shown as `\\x1b`, `\\n`, `\\u202e`… (one line, no escape sequence)."""
    return _CONTROL.sub(_escaped, text)


def terminal_lines(text: str) -> str:
    """`terminal` applied line by line: the text's own line breaks stay, nothing else can move the cursor."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def markdown(text: str) -> str:
    """`text` safe anywhere in GitHub markdown or HTML: entities for markup, one line, controls escaped."""
    html = str(escape(terminal(text)))  # & < > " ' become entities; controls (newlines included) are visible
    return _MARKDOWN.sub(lambda m: f"&#{ord(m.group())};", html.replace("&#", "\x00")).replace("\x00", "&#")


_MERMAID_PLAIN = re.compile(
    r"[\w .,:()+/-]"
)  # left as they are in a Mermaid label; \w is Unicode letters too


def mermaid(text: str) -> str:
    """`text` as the inside of a quoted Mermaid label: one line, every other character a Mermaid entity
    (`#35;`), so no quote, bracket, markdown string, HTML tag, link or statement can start."""
    return "".join(
        ch if ch != "_" and _MERMAID_PLAIN.fullmatch(ch) else f"#{ord(ch)};" for ch in terminal(text)
    )
