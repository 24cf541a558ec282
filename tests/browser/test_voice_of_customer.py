"""Voice of the customer in a real browser: hostile comments stay text; find why, log an action, show its effect."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from browser_harness import SCRIPT_TIMEOUT_MS, AppServer, assert_healthy, dataframe_column, open_app, wait_for_app
from playwright.sync_api import Page, expect

from cx import store

HOSTILE = (
    "<script>window.__cx_pwned = 1</script>",
    "<b>bold</b> and <img src=x onerror=\"window.__cx_pwned = 2\">",
    "**not bold** [a link](javascript:alert(1)) :red[not red]",
    "=HYPERLINK(\"http://evil.example\", \"click\")",
)
STOCK_ACTION = "Stock alerts by SMS when a device is back in store"


def _hostile_db(path: Path) -> Path:
    """Return a database holding only a small "reviews" data set whose comments are hostile."""
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "browser test")  # no sample data: only the reviews
    store.save_dataset(con, "Hostile reviews", pd.DataFrame({
        "respondent": [f"h{i}" for i in range(4)], "touchpoint": "Review site", "score": [1.0, 5.0, 2.0, 4.0],
        "scale_min": 1.0, "scale_max": 5.0, "channel": "web",
        "answered_at": pd.to_datetime(["2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04"]),
        "comment": list(HOSTILE),
    }), kind="reviews", source="review-site export")
    con.close()
    return path


def _assert_nothing_injected(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.locator("b", has_text="bold")).to_have_count(0)
    expect(main.locator("img[src='x']")).to_have_count(0)
    expect(main.locator("a", has_text="a link")).to_have_count(0)
    assert page.evaluate("() => window.__cx_pwned === undefined")
    assert not page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('__cx_pwned'))")


def test_hostile_comments_show_as_literal_text(
    page: Page, start_app_server: Callable[..., AppServer], tmp_path: Path
) -> None:
    server = start_app_server(db=_hostile_db(tmp_path / "hostile.duckdb"))
    open_app(page, f"{server.url}/Comments?dataset=Hostile+reviews", expect_text="Read the comments")
    expect(page.get_by_text("Public reviews: an uncontrolled touchpoint source", exact=False)).to_be_visible()
    expect(dataframe_column(page, "Comment")).to_have_text(list(reversed(HOSTILE)))
    page.get_by_text("Read the newest 4 in full").click()
    texts = page.get_by_test_id("stText")
    for hostile in HOSTILE:
        expect(texts.filter(has_text=hostile).first).to_be_visible()
    _assert_nothing_injected(page)
    assert_healthy(page)


def test_find_why_log_an_action_and_show_its_effect(page: Page, app_server: str) -> None:
    # The shared server: the action this test logs, it deletes again.
    open_app(page, f"{app_server}/Comments", expect_text="What people talk about")
    expect(page.get_by_role("combobox", name=re.compile("Touchpoint"))).to_have_value("Stock availability")
    caption = page.get_by_text(re.compile(r"^[\d,]+ of [\d,]+ comments, newest first"))
    total = int(caption.inner_text().split(" of ")[1].split()[0].replace(",", ""))

    # Why is it weak? Pick the most frequent term in low-score comments.
    shelf = page.get_by_role("radio", name=re.compile(r"^shelf · \d+ %$"))
    shelf.click()
    expect(shelf).to_have_attribute("aria-checked", "true", timeout=SCRIPT_TIMEOUT_MS)
    expect(page.get_by_text("Showing comments that contain the term: shelf")).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_app(page)
    shown = int(caption.inner_text().split(" of ")[0].replace(",", ""))
    assert 0 < shown < total
    for cell in dataframe_column(page, "Comment", nth=1).all_inner_texts():  # 0: the terms table
        assert "shelf" in cell.lower()

    # Close the loop: the action page for this touchpoint shows the seeded action and its effect.
    page.get_by_role("link", name="Log an action for this touchpoint and track its effect").click()
    expect(page).to_have_url(re.compile(r"/Actions\?.*touchpoint=Stock\+availability"))
    expect(page.get_by_text("Significant rise", exact=True)).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_app(page)
    chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
    expect(chart).to_contain_text("Stock alerts by SMS", timeout=SCRIPT_TIMEOUT_MS)
    assert_healthy(page)

    # Log a new action (with markup in its title: it must stay text), see it on the chart, then delete it.
    page.get_by_role("tab", name="Log and edit actions").click()
    form = page.get_by_test_id("stForm").first
    form.get_by_label("What was done").fill("<b>Staff</b> trained")
    form.get_by_label("Owner").fill("Store ops")
    expect(form.get_by_text("Touchpoint: Stock availability", exact=True)).to_be_visible()
    form.get_by_role("button", name="Log the action", exact=True).click()
    logged = page.get_by_text("Action logged: it is marked on the chart in the first tab.")
    expect(logged).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_app(page)
    page.get_by_role("tab", name="Effect of actions").click()
    expect(chart).to_contain_text("<b>Staff</b> trained", timeout=SCRIPT_TIMEOUT_MS)
    _assert_nothing_injected(page)
    expect(page.get_by_test_id("stMain").locator("b", has_text="Staff")).to_have_count(0)

    page.get_by_role("tab", name="Log and edit actions").click()
    page.get_by_role("button", name="Delete this action…").click()
    confirm = page.get_by_text(re.compile(r"^Delete action #\d+\? This cannot be undone\.$"))
    expect(confirm).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_text(re.compile(r"^Action #\d+ deleted\.$"))).to_be_visible(timeout=SCRIPT_TIMEOUT_MS)
    wait_for_app(page)
    page.get_by_role("tab", name="Effect of actions").click()
    expect(chart).not_to_contain_text("Staff", timeout=SCRIPT_TIMEOUT_MS)
    assert_healthy(page)


def test_you_said_we_did_report_downloads(page: Page, app_server: str, tmp_path: Path) -> None:
    open_app(page, f"{app_server}/Actions", expect_text="Effect of actions")
    page.get_by_role("tab", name="You said, we did").click()
    page.get_by_role("button", name="Prepare the report").click()
    button = page.get_by_role("button", name="Download the report (HTML, with charts)")
    expect(button).to_be_visible(timeout=60_000)
    wait_for_app(page)
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / "report.html"
    download.value.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    assert download.value.suggested_filename == "you-said-we-did-retail-store-journey.html"
    assert "You said, we did — Retail store journey" in html
    assert STOCK_ACTION in html and "significant rise" in html
    assert html.count('src="data:image/png;base64,') == 1
    assert_healthy(page)
