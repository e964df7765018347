"""Headless Chromium for the MLflow UI tests: Debian's package (`.ci/run` installs it), driven by Playwright, no
browser downloaded; a page at the README's screenshot size. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_tool

SCREENSHOTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def page():
    if not Path(CHROMIUM).exists():
        missing_tool("Debian's chromium is not installed: apt-get install chromium (bash .ci/run does)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.set_default_timeout(90_000)
        yield page
        browser.close()
