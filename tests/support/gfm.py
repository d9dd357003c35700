"""GitHub's own markdown renderer (cmark-gfm with its extensions) and what its output links, mentions or leaves
outside code blocks: for the comment, report and issue attack tests."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# GitHub's mention and issue-reference filters run on the rendered text (never inside <pre> or <code>).
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
REFERENCE = re.compile(r"(?<![\w&])(?:#|GH-)\d", re.IGNORECASE)


def render(markdown: str) -> str:
    """HTML as github.com renders it before sanitising: table, autolink, tagfilter, strikethrough, tasklist."""
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(
            convert_charrefs=True
        )  # entities decoded, as the browser and GitHub's filters see them
        self.links: list[str] = []
        self.text: list[str] = []  # text nodes outside <pre>
        self.code: list[str] = []  # text inside <pre> (fenced blocks)
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        self.pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        self.pre -= tag == "pre"

    def handle_data(self, data: str) -> None:
        (self.code if self.pre else self.text).append(data)


def read(markdown: str) -> _Reader:
    reader = _Reader()
    reader.feed(render(markdown))
    reader.close()
    return reader


def assert_inert(markdown: str, links: tuple[str, ...] = ()) -> _Reader:
    """No link but `links` (the ones orgsync writes), no mention or reference in any text outside code blocks."""
    reader = read(markdown)
    assert reader.links == list(links), reader.links
    mentions = [t for t in reader.text if MENTION.search(t) or REFERENCE.search(t)]
    assert mentions == [], mentions[:3]
    return reader


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def fences_balanced(markdown: str) -> bool:
    """Every fenced code block that opens in `markdown` closes in it (CommonMark's rule for the closing line)."""
    open_fence = ""
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if not open_fence and match:
            open_fence = match[1]
        elif (
            match
            and match[1][0] == open_fence[:1]
            and len(match[1]) >= len(open_fence)
            and not match[2].strip()
        ):
            open_fence = ""
    return not open_fence
