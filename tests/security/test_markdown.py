"""Attacks on the PR comment: names, keys, values and messages that try to inject HTML or hide the rest."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from orgsync.escape import markdown
from tests.support.cli import orgsync
from tests.support.hostile import HIDING_KEY, VALUES, write

# GitHub renders CommonMark + tables + raw HTML (then sanitises); the raw HTML that reaches it must be ours only.
RENDERER = MarkdownIt("commonmark", {"html": True}).enable("table")
OURS = {"details", "/details", "summary", "/summary", "code", "/code"}


def rendered_tags(text: str) -> list[str]:
    html = RENDERER.render(text)
    return [
        t
        for t in re.findall(r"<(/?[a-zA-Z!][^\s>/]*)", html)
        if t.lstrip("/")
        not in {
            "h3",
            "p",
            "strong",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "ul",
            "li",
            "blockquote",
            "em",
        }
    ]


@pytest.fixture
def comment(tmp_path) -> str:
    write(tmp_path, n=len(VALUES))
    code, out, err = orgsync("plan", "-C", str(tmp_path), "--format", "markdown", "--show-values")
    assert code == 0, err
    return out


def test_names_keys_and_values_inject_no_html_and_hide_nothing(comment):
    tags = rendered_tags(comment)
    assert set(tags) <= OURS, tags  # no <img>, <script>, <!-- … -->, <b>
    assert (
        "<!--" not in comment and "<img" not in comment and "<script" not in comment and "<b>" not in comment
    )
    html = RENDERER.render(comment)
    # Everything after the hostile name is still there: the table, the details and all nine item rows.
    assert html.count("<tr>") == 2 + 1 + len(VALUES) and html.rstrip().endswith("</details>")
    assert "People &lt;img src=x onerror=alert(1)&gt; &lt;!--" in html  # shown as text, intact


def test_every_row_keeps_its_columns(comment):
    rows = [line for line in comment.splitlines() if line.startswith("| E")]
    assert len(rows) == len(VALUES)
    assert all(line.count("|") == 6 for line in rows)  # 5 cells: no value added a column


def test_no_mention_link_or_emphasis_is_made(comment):
    html = RENDERER.render(comment)
    assert "<a " not in html and "<em>" not in html and "<strong>bold" not in html
    assert "@acme/admins" not in comment  # a mention of a team would notify it
    assert "&#64;\u200dacme/admins" in comment  # and a joiner: GitHub's mention filter reads `&#64;` as `@`


def test_the_property_key_that_closes_a_comment_is_text(comment):
    assert f"<code>{markdown(HIDING_KEY)}</code>" in comment and "note--&gt;" in comment


def test_block_reasons_and_messages_are_escaped_too(tmp_path):
    write(tmp_path, n=20, key="note")
    assert orgsync("apply", "-C", str(tmp_path), "--auto-approve")[0] == 0
    write(
        tmp_path, n=1, key="note"
    )  # mirror mode: 19 of 20 items deleted -> blocked, the reason names the dataset
    code, out, _ = orgsync("plan", "-C", str(tmp_path), "--format", "markdown")
    assert code == 3
    assert "> [!CAUTION]" in out and set(rendered_tags(out)) <= OURS
    reason = next(line for line in out.splitlines() if line.startswith("> - "))
    assert reason.startswith(
        "> - dataset.People &lt;img src=x onerror=alert(1)&gt; &lt;&#33;--: 19 item deletes"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<!--", "&lt;&#33;--"),
        ("a|b", "a&#124;b"),
        ("`x`", "&#96;x&#96;"),
        ("@team", "&#64;\u200dteam"),
        ("[a](b)", "&#91;a&#93;(b)"),
        ("**b**", "&#42;&#42;b&#42;&#42;"),
        ("x\ny", "x&#92;ny"),
        ("&amp;", "&amp;amp;"),
        ("\x1b[31m", "&#92;x1b&#91;31m"),
        ("$x$", "&#36;x&#36;"),
        ("~~s~~", "&#126;&#126;s&#126;&#126;"),
        ("#12", "&#35;\u200d12"),
        ("'\"", "&#39;&#34;"),
    ],
)
def test_the_escape_itself(text, expected):
    assert markdown(text) == expected
