"""Real-browser tests: the app in a subprocess, driven by Debian's chromium through pytest-playwright.

Every test in this folder is marked `browser` (leave them out with `-m "not browser"`). Without
chromium they are skipped, or fail when the CI environment variable is set.

Fixtures
- `app_server`: base URL of one app server shared by the session (own CX_DB, seeded on first open).
- `start_app_server`: start a *fresh* server (own port, own empty CX_DB) inside a test, for
  "first request to a freshly started server" checks; stopped when the test ends.
- `page`: pytest-playwright's page (1400×900 viewport, 30 s default timeout), recording uncaught
  JavaScript errors for `assert_healthy`.
Helpers (open_app, wait_for_app, assert_healthy, dataframe_column, full_page_screenshot) are in
browser_harness.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_harness import PAGE_ERRORS, SCRIPT_TIMEOUT_MS, VIEWPORT, AppServer, launch_app_server
from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent
CHROMIUM_HINT = "install Debian's chromium: apt-get install -y chromium"
CHROMIUM_BINARY = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test collected from this folder `browser` (the hook sees the whole session's items)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def find_chromium() -> str | None:
    """Return Debian's chromium binary, or None when it is not installed."""
    for candidate in (CHROMIUM_BINARY, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Return the chromium binary; without one, fail when CI is set, else skip."""
    path = find_chromium()
    if path is None:
        message = f"Chromium not found ({CHROMIUM_BINARY}, `chromium` on PATH): {CHROMIUM_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_path: str) -> dict:
    """Launch Debian's chromium: Playwright's own browser download is blocked here."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """Use a desktop-sized viewport: the pages use the wide layout."""
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture
def page(page: Page) -> Page:
    """Return pytest-playwright's page with a generous default timeout, recording JavaScript errors."""
    page.set_default_timeout(SCRIPT_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    PAGE_ERRORS[page] = errors
    return page


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[str]:
    """Yield the base URL of the app server shared by the session (no trailing slash)."""
    server = launch_app_server(tmp_path_factory.mktemp("app"))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def start_app_server(
    tmp_path_factory: pytest.TempPathFactory, chromium_path: str
) -> Iterator[Callable[..., AppServer]]:
    """Return `start(db=None) -> AppServer` for fresh servers; all are stopped when the test ends."""
    started: list[AppServer] = []

    def start(*, db: Path | None = None) -> AppServer:
        server = launch_app_server(tmp_path_factory.mktemp("fresh-app"), db=db)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
