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

from gateway import create_app
from settings import PROJECT_ROOT, Settings
from tests.processes import start_gateway

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


@pytest.fixture
def site(tmp_path: Path, demo_database_file: Path) -> Iterator[tuple[str, object]]:
    """The gateway as a process on a copy of the demo database; an app on the same file."""
    database = tmp_path / "telepasar.sqlite3"
    shutil.copy(demo_database_file, database)
    settings = Settings(database_url=f"sqlite:///{database}", secret_key="browser-test")
    app = create_app(settings)
    server, url = start_gateway(settings, tmp_path / "gateway.log")
    ARTIFACTS.mkdir(exist_ok=True)
    yield url, app
    server.stop()
    app.extensions["telepasar_db"].dispose()


def add_staff(app, username: str, role: str) -> None:
    """A console account with the tests' password, as `staff-add` makes it."""
    result = app.test_cli_runner().invoke(
        args=["staff-add", "--username", username, "--role", role, "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output


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
