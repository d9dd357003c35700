"""A real headless browser for the report and chart tests: Debian's `chromium` driven by playwright (no browser
download), and the `mermaid` npm package from the cache `.ci/run` fills (`ORGSYNC_NPM_DIR`, default
~/.cache/orgsync-npm). Missing tools skip a local run and fail in CI (`CI=true`), where `.ci/run` installs them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NPM_DIR = Path(os.environ.get("ORGSYNC_NPM_DIR", Path.home() / ".cache" / "orgsync-npm"))
MERMAID_JS = NPM_DIR / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere."""
    message = f"{what} is missing: run .ci/run (it installs it) or install it as it does"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        missing("Debian's chromium (apt-get install chromium)")
    assert found is not None
    return found


def mermaid_js() -> Path:
    if not MERMAID_JS.is_file():
        missing(f"the mermaid npm package in {NPM_DIR} (npm install --prefix {NPM_DIR} mermaid@11)")
    return MERMAID_JS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium (the system one) for this module's tests."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package (pip install -e '.[dev]')")
        raise
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
