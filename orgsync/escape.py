"""Make repository-controlled text inert where it is shown: on a terminal, in a log, in a PR comment.

A CSV value, a dataset name or a property key is attacker-controlled in CI: on a terminal, `\\x1b]…` can
rewrite the screen or a link; in the markdown comment `<!--` hides everything after it, `` ` `` ends a code
span, and `https://…`, `www.…`, `x@y.com`, `@team` and `#12` become links, mentions and references. Every
string orgsync puts into markdown goes through this module, and only through it:

- `terminal` / `terminal_lines`: every control (and bidi-override) character shown as its escape.
- `markdown`: inline text safe anywhere in GitHub markdown (paragraph, heading, table cell, list, HTML block,
  inside `<code>`): HTML-escaped, every character markdown gives meaning to as a numeric entity, one line, and
  autolinks and mentions broken by a zero-width joiner (U+200D) where GitHub would start one. An entity alone
  does not stop them: cmark-gfm's autolinker and GitHub's mention and reference filters read the decoded text,
  where `&#64;` is an `@` again.
- `code`: the value as inline code (`<code>`, so a backtick or `|` in it cannot end it or split a table cell).
- `slack`: text for a Slack-compatible `text` field (a notification): `&`, `<`, `>` escaped as Slack asks, so
  no `<!channel>`, `<@U…>` or `<url|label>` can be formed, controls escaped, autolinks broken as above.
- `fence`: multi-line text (an error output) verbatim in a fenced code block whose fence is longer than any
  backtick run inside, so no line of the text can close it; nothing in a code block links or mentions.
"""

from __future__ import annotations

import re

from markupsafe import escape

# C0 controls, DEL, C1 controls, and the Unicode bidi overrides/isolates ("Trojan Source"), line/para separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"[\\`*_\[\]|@!~#$]")  # emphasis, code, links/images, tables, mentions, refs, math

JOINER = "\u200d"  # zero-width joiner: invisible, and no autolink, mention or reference runs through it
# Where GitHub starts a link or notification, and where the joiner goes (cmark-gfm links `https:/\u200d/x`
# and `www.\u200dx`, so the joiner must sit before the `//` and before the `.`):
_LINKING = re.compile(
    r"(?P<after>[@#＠＃])"  # @mention, x@y.com, xmpp:a@b, owner/repo@sha; #12, owner/repo#12 (and full-width)
    r"|(?P<scheme>:)(?=//)"  # https://, ftp://, any scheme: `https:\u200d//`
    r"|(?P<www>www)(?=\.)"  # www.evil.example: `www\u200d.evil.example`
    r"|(?P<gh>gh-)(?=\d)",  # GH-12, GitHub's other issue reference
    re.IGNORECASE,
)
FENCE_RUN_LIMIT = 32  # a longer run of backticks inside a fenced block is shortened, so the fence stays short
_LONG_TICKS = re.compile(f"`{{{FENCE_RUN_LIMIT + 1},}}")
_TICKS = re.compile("`+")


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


def unlinked(text: str) -> str:
    """`text` with a zero-width joiner where GitHub would start an autolink, a mention or a reference."""
    return _LINKING.sub(lambda m: m.group() + JOINER, text)


def markdown(text: str) -> str:
    """`text` safe anywhere in GitHub markdown or HTML: entities for markup, one line, controls escaped,
    no autolink, mention or reference."""
    html = str(escape(unlinked(terminal(text))))  # & < > " ' become entities; controls (newlines) are visible
    return _MARKDOWN.sub(lambda m: f"&#{ord(m.group())};", html.replace("&#", "\x00")).replace("\x00", "&#")


def slack(text: str) -> str:
    """`text` inert in Slack's mrkdwn: `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`, one line, no autolink or mention."""
    return unlinked(terminal(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """`text` as inline code: `<code>` around `markdown(text)` (a backtick or `|` in it is an entity)."""
    return f"<code>{markdown(text)}</code>"


def fence(text: str) -> str:
    """`text` (many lines, controls escaped) as a fenced code block no line of it can close: the fence is
    one backtick longer than the longest run inside; runs over `FENCE_RUN_LIMIT` are shortened, saying so."""
    body = _LONG_TICKS.sub(lambda m: "`" * FENCE_RUN_LIMIT + f"[{len(m.group())} backticks]", text)
    body = terminal_lines(body)
    ticks = "`" * max(3, 1 + max((len(run) for run in _TICKS.findall(body)), default=0))
    return f"{ticks}\n{body}\n{ticks}"


_MERMAID_PLAIN = re.compile(
    r"[\w .,:()+/-]"
)  # left as they are in a Mermaid label; \w is Unicode letters too


def mermaid(text: str) -> str:
    """`text` as the inside of a quoted Mermaid label: one line, every other character a Mermaid entity
    (`#35;`), so no quote, bracket, markdown string, HTML tag, link or statement can start."""
    return "".join(
        ch if ch != "_" and _MERMAID_PLAIN.fullmatch(ch) else f"#{ord(ch)};" for ch in terminal(text)
    )
