"""Markdown cut into parts that each render as the whole would: fences, <details> and tables reopened."""

from __future__ import annotations

import re

from orgsync import escape
from orgsync.github.fragments import REST, fragments
from tests.support.gfm import fences_balanced, read, render

OVERFLOW = f"**… {REST} characters left out.**"


def code_of(part: str) -> str:
    """The text of the fenced blocks in a rendered part."""
    return "".join(read(part).code)


def test_a_fenced_block_is_closed_and_reopened_in_every_part_and_nothing_is_lost() -> None:
    text = "".join(f"line {i} ```` [x](https://evil) @acme/admins\n" for i in range(400))
    body = f"### failed\n\n{escape.fence(text.rstrip())}\n"
    parts = fragments(body, 2_000, max_parts=100, overflow=OVERFLOW)
    assert len(parts) == 10 and all(len(p) <= 2_000 for p in parts)
    assert all(fences_balanced(p) for p in parts)
    assert all(p.startswith("`````\n") for p in parts[1:])  # reopened with the same, longer fence
    assert "".join(code_of(p) for p in parts) == text  # every line once, in order, all of it code
    assert all("".join(read(p).text).strip() in ("", "failed") for p in parts)  # nothing outside the code


def test_past_max_parts_the_last_part_says_exactly_how_much_is_left_out() -> None:
    text = "".join(f"row {i:04}\n" for i in range(3_000))  # 27,000 characters
    body = f"{escape.fence(text.rstrip())}\n"
    parts = fragments(body, 2_000, max_parts=3, overflow=OVERFLOW)
    assert len(parts) == 3 and all(len(p) <= 2_000 and fences_balanced(p) for p in parts)
    shown = "".join(code_of(p) for p in parts)
    [left_out] = re.findall(r"\*\*… (\d+) characters left out\.\*\*\n$", parts[-1])
    assert int(left_out) == len(body) - len("```\n" + shown) and text.startswith(shown)


def test_details_are_closed_and_reopened_and_a_table_keeps_its_header() -> None:
    rows = "".join(f"| E{i} | {'x' * 40} |\n" for i in range(300))
    body = (
        "### orgsync plan\n\n<details><summary><code>dataset.People</code>: update</summary>\n\n"
        f"| id | note |\n|---|---|\n{rows}\n</details>\n\nNote: done\n"
    )
    parts = fragments(body, 3_000, max_parts=20, overflow=OVERFLOW)
    assert len(parts) > 3
    for part in parts:
        assert part.count("<details>") == part.count("</details>") == 1
        rendered = render(part)
        assert rendered.count("<table>") == 1 and "<thead>" in rendered  # each part's rows are one table
    shown = [r for p in parts for r in re.findall(r"<td>(E\d+)</td>", render(p))]
    assert shown == [f"E{i}" for i in range(300)]


def test_a_long_line_is_cut_between_entities_never_inside_one() -> None:
    body = escape.markdown("@" * 3_000) + "\n"
    parts = fragments(body, 1_000, max_parts=50, overflow=OVERFLOW)
    texts = ["".join(read(p).text) for p in parts]
    assert all(set(t.strip()) <= {"@", escape.JOINER} for t in texts)
    assert sum(t.count("@") for t in texts) == 3_000


def test_a_body_that_fits_is_one_part_as_it_is() -> None:
    assert fragments("a\n```\nb\n", 100, max_parts=5, overflow=OVERFLOW) == ["a\n```\nb\n```\n"]
    assert fragments("a\nb\n", 100, max_parts=5, overflow=OVERFLOW) == ["a\nb\n"]
