"""The HTML report and the Mermaid chart in a real headless browser (system chromium, playwright).

The report: opens from a file with no request beyond it, the org chart renders and collapses, search filters
the rows, a header sorts them, the console stays free of errors. The chart: parsed and rendered by the real
Mermaid library, so GitHub renders it too. A screenshot of the report is kept for a human look.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from orgsync.plan.render import html, markdown
from tests.browser import browser, mermaid_js
from tests.plan.reorg import HOSTILE, big_plan, mermaid_blocks, reorg_plan

__all__ = ["browser"]  # the fixture


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    return page, problems, requests


def test_the_report_renders_filters_sorts_and_collapses_with_no_console_error(
    browser: Any, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(html.render(reorg_plan()), encoding="utf-8")
    page, problems, requests = _open(browser, report)
    # the chart: three moved branches under their new parents, hostile text shown as text
    assert page.locator(".chart li.moved").count() == 3
    assert (
        page.locator(".chart li.moved[data-key=mira]")
        .inner_text()
        .startswith("Mira Moved (mira) and 2 below (3 people)")
    )
    assert page.locator("img").count() == 0 and HOSTILE.split(" ")[1] in page.locator(".chart").inner_text()
    inside = page.locator(".chart li.moved[data-key=mira] details li")
    assert not inside.is_visible()  # Al's move inside Mira's branch, collapsed
    page.get_by_role("button", name="Expand all").click()
    assert inside.inner_text() == "Al (al): Mira Moved (mira) → Bo (bo)" and inside.is_visible()
    page.get_by_role("button", name="Collapse all").click()
    assert not page.locator(".chart li.moved[data-key=bob]").is_visible()
    page.get_by_role("button", name="Expand all").click()
    # search filters the moves table
    moves = page.locator("table").filter(has=page.locator("th", has_text="moves with"))
    assert moves.locator("tbody tr:visible").count() == 4
    search = page.get_by_label("Search Moves")
    search.fill("carl newboss")
    visible = moves.locator("tbody tr:visible")
    assert visible.count() == 3 and "Al" not in visible.all_inner_texts()[0].split("\t")[0]
    assert page.locator("#" + search.get_attribute("data-count")).inner_text() == "3 shown"
    search.fill("")
    # a click on a numeric header sorts by number, a second click reverses
    spans = page.locator("table").filter(has=page.locator("th", has_text="joined"))
    spans.locator("th", has_text="before").click()
    assert spans.locator("tbody tr td:nth-child(3)").all_inner_texts() == ["0", "1", "2", "4"]
    spans.locator("th", has_text="before").click()
    assert spans.locator("tbody tr td:nth-child(3)").all_inner_texts() == ["4", "2", "1", "0"]
    assert problems == []
    assert requests == [report.as_uri()]  # nothing fetched: self-contained
    shot = Path(os.environ.get("ORGSYNC_SCREENSHOT_DIR", tmp_path)) / "review-report.png"
    page.screenshot(path=str(shot), full_page=True)  # a human look: view this PNG
    assert shot.stat().st_size > 10_000
    page.close()


def _mermaid_page(browser: Any) -> Any:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_content("<!DOCTYPE html><html><body><div id=out></div></body></html>")
    page.add_script_tag(path=str(mermaid_js()))
    page.evaluate("mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")
    page.errors = errors
    return page


RENDER = """async (text) => {
  await mermaid.parse(text);
  const {svg} = await mermaid.render('chart', text);
  const box = document.getElementById('out');
  box.innerHTML = svg;
  return {nodes: box.querySelectorAll('g.node').length, edges: box.querySelectorAll('.edgePaths path').length,
          text: box.textContent};
}"""


def test_the_comment_chart_is_valid_mermaid_with_escaped_labels(browser: Any) -> None:
    (block,) = mermaid_blocks(markdown.render(reorg_plan()))
    page = _mermaid_page(browser)
    drawn = page.evaluate(RENDER, block)
    assert drawn["nodes"] == 5 and drawn["edges"] == 6  # each moved branch: was under, moves under
    assert 'Zed "]) --> x[<img src=x>] @team [link]' in drawn["text"]  # the hostile label, as text
    assert page.locator("img").count() == 0 and page.errors == []
    page.close()


def test_the_chart_of_a_50000_person_plan_is_valid_mermaid_with_at_most_200_nodes(browser: Any) -> None:
    (block,) = mermaid_blocks(markdown.render(big_plan(50_000, 2_500)))
    page = _mermaid_page(browser)
    drawn = page.evaluate(RENDER, block)
    assert 100 < drawn["nodes"] <= 200 and page.errors == []
    page.close()


def test_a_missing_browser_or_library_fails_in_ci_and_skips_only_elsewhere(monkeypatch: Any) -> None:
    from tests.browser import missing

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing: run .ci/run"):
        missing("chromium")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        missing("chromium")
