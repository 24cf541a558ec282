"""The browser tests' harness: start the app in a subprocess, wait for Streamlit, read what it shows.

Plain functions (the fixtures live in conftest.py); test modules import them:
`from browser_harness import open_app, ...`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1400, "height": 900}
HEALTH_TIMEOUT_S = 60.0
# The first open of a new database seeds it (a few seconds): allow a generous script run.
SCRIPT_TIMEOUT_MS = 30_000

# Uncaught JavaScript errors per page (filled by the `page` fixture, checked by assert_healthy).
PAGE_ERRORS: weakref.WeakKeyDictionary[Page, list[str]] = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- app server

@dataclass
class AppServer:
    """A running `streamlit run app.py` in a subprocess."""

    url: str
    db: Path
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        """Return what the server wrote to stderr so far (for failure messages)."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the server (kill it if it does not stop within 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def launch_app_server(workdir: Path, *, db: Path | None = None, script: str = "app.py") -> AppServer:
    """Start the app (or another Streamlit `script`) on a free port with its own CX_DB; return it once
    /_stcore/health answers `ok`.

    `db` defaults to a new file in `workdir`, so the first page open seeds it as on a first run.
    Nothing but the health check is requested, so the first page a test opens is the server's
    first page request.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    db = db or workdir / "cx.duckdb"
    env = dict(os.environ, CX_DB=str(db), PYTHONUNBUFFERED="1")
    env.pop("CX_MIN_N", None)  # the pages' own default, whatever the developer's shell says
    for _attempt in range(3):  # the free port can be taken between choosing and binding it
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        stderr_path = workdir / f"server-{port}.err"
        with (workdir / f"server-{port}.out").open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", script,
                 "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--server.headless", "true", "--server.fileWatcherType", "none",
                 "--browser.gatherUsageStats", "false"],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            )
        server = AppServer(url, db, process, stderr_path)
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while process.poll() is None:
            if _healthy(url):
                return server
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail(f"The app did not answer {url}/_stcore/health within {HEALTH_TIMEOUT_S:.0f} s.\n"
                            f"--- server stderr ---\n{server.stderr()}", pytrace=False)
            time.sleep(0.2)
        if "address already in use" not in server.stderr().lower():
            break
    pytest.fail(f"The app exited before it was healthy (exit code {process.returncode}).\n"
                f"--- server stderr ---\n{server.stderr()}", pytrace=False)


# --------------------------------------------------------------------------- page helpers

def wait_for_app(page: Page, *, timeout: float = SCRIPT_TIMEOUT_MS) -> None:
    """Wait until the browser is connected and Streamlit has finished running the page's script.

    Streamlit marks its root element: data-test-script-state is "initial", "running", "notRunning", …
    After a click that reruns the script, first wait for something the new run shows: right after
    the click the old "notRunning" state may still be on the page. Then wait for the elements still
    loading (Streamlit's grey placeholders) to be drawn.
    """
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
                 '[data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    expect(page.get_by_test_id("stStatusWidget").filter(has_text="Running")).to_have_count(0, timeout=timeout)
    # Some elements (st.pills, for one) load their component lazily: the run is over while they are still grey
    # placeholders, and a click then lands on whatever is drawn under the pointer by the time it arrives.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def assert_healthy(page: Page) -> None:
    """Assert the page shows no Streamlit exception, no "Page not found", and threw no JavaScript error."""
    exceptions = page.get_by_test_id("stException")
    if exceptions.count():
        pytest.fail(f"Streamlit exception on {page.url}:\n" + "\n---\n".join(exceptions.all_inner_texts()),
                    pytrace=False)
    expect(page.get_by_text("Page not found"), f'"Page not found" on {page.url}').to_have_count(0)
    errors = PAGE_ERRORS.get(page, [])
    assert not errors, f"JavaScript errors on {page.url}: {errors}"


def open_app(page: Page, url: str, *, expect_text: str | None = None, timeout: float = SCRIPT_TIMEOUT_MS) -> None:
    """Go to `url`, wait for `expect_text` (exact) and the end of the script run, assert the page is healthy."""
    page.goto(url)
    if expect_text is not None:
        expect(page.get_by_text(expect_text, exact=True).first).to_be_visible(timeout=timeout)
    wait_for_app(page, timeout=timeout)
    assert_healthy(page)


def dataframe_column(page: Page, header: str, *, nth: int = 0) -> Locator:
    """Return the cells of the `st.dataframe` column titled `header` (case-insensitive).

    st.dataframe draws on a canvas; its accessible grid (a hidden <table role="grid">) carries the
    text of the rows on screen, with aria-colindex on every cell.
    """
    frame = page.get_by_test_id("stDataFrame").nth(nth)
    headers = frame.locator('th[role="columnheader"]')
    expect(headers.first).to_be_attached()
    titles = [t.strip().lower() for t in headers.all_text_contents()]
    assert header.lower() in titles, f"no column {header!r} in the data frame; columns: {titles}"
    colindex = headers.nth(titles.index(header.lower())).get_attribute("aria-colindex")
    return frame.locator(f'td[role="gridcell"][aria-colindex="{colindex}"]')


def full_page_screenshot(page: Page, path: Path) -> tuple[int, int]:
    """Save a screenshot of the whole page; return the (width, height) captured.

    Streamlit scrolls inside its main container, so the document is only as tall as the viewport
    and Playwright's full_page alone captures one screen: grow the viewport to the content first.
    """
    original = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
                         ...['stMain', 'stSidebarContent'].map(id => {
                             const e = document.querySelector(`[data-testid="${id}"]`);
                             return e ? e.scrollHeight : 0; }))"""
    )
    size = {"width": original["width"], "height": max(int(height), original["height"])}
    page.set_viewport_size(size)
    try:
        # Let the layout (chart, data frame canvas) settle at the new size.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.wait_for_timeout(300)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(original)
    return size["width"], size["height"]
