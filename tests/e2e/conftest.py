"""What the browser tests share: Debian's Chromium driven by Playwright, and the login page.

Chromium is a system package (`.ci/run` installs it); on a machine without it these tests are
skipped, saying how to install it (CI fails instead).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PASSWORD = "kopi-bali-pagi"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should install it")
        pytest.skip("Chromium is not installed (sudo apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def focused(page, name: str) -> None:
    """Wait until the field named (or with the id) `name` has the keyboard's focus."""
    page.wait_for_function(
        "name => document.activeElement && "
        "(document.activeElement.name === name || document.activeElement.id === name)",
        arg=name,
    )


def log_in(page, url: str, username: str) -> None:
    """Log in on the console's login page with the keyboard alone."""
    page.goto(f"{url}/console/login")
    focused(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Cari penelepon')")
