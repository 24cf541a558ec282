"""Smoke tests in a real browser: deep links, the Journey page's content, Home's link, a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

from browser_harness import AppServer, assert_healthy, dataframe_column, full_page_screenshot, open_app, wait_for_app
from playwright.sync_api import Page, expect

HIDES = "The average of 6.0 hides 2 weak touchpoints: Electronics store (3.0) and Out of stock (1.0)"
LAUNCH_QUERY = r"\?journey=Product(\+|%20)launch$"  # the page mirrors its choice into the URL
PRODUCT_LAUNCH = ["Product innovation", "Electronics store", "Marketing", "Product purchase", "Out of stock"]


def assert_product_launch(page: Page) -> None:
    """Assert the Journey page shows the Product launch journey: sentence, tiles, chart, table."""
    expect(page.get_by_text(HIDES, exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Journey")).to_have_value("Product launch")
    expect(page.get_by_test_id("stMetricValue")).to_have_text(["6.0", "2"])
    chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
    expect(chart).to_be_visible()
    expect(chart.locator(".mark-symbol.role-mark path")).to_have_count(4)  # the 4 scored touchpoints
    expect(chart).to_contain_text("journey average 6.0")
    expect(dataframe_column(page, "Touchpoint")).to_have_text(PRODUCT_LAUNCH)


def test_deep_link_to_journey_is_the_first_request_to_a_fresh_server(
    page: Page, start_app_server: Callable[..., AppServer]
) -> None:
    server = start_app_server()  # new process, new (empty) database: this open also seeds it
    open_app(page, f"{server.url}/Journey", expect_text=HIDES)
    assert_product_launch(page)
    expect(page.get_by_role("heading", name="Journey", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(f"{server.url}/Journey") + LAUNCH_QUERY))
    assert_healthy(page)


def test_journey_url_reproduces_the_chosen_journey(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/Journey?journey=Retail%20store%20journey")
    expect(page.get_by_role("combobox", name="Journey")).to_have_value("Retail store journey")
    expect(dataframe_column(page, "Touchpoint")).to_contain_text(["Stock availability"])
    expect(page.get_by_text(HIDES, exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stVegaLiteChart").locator("svg").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?journey=Retail(\+|%20)store(\+|%20)journey$"))
    assert_healthy(page)


def test_home_links_to_the_journey_page(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/", expect_text="cx — customer-experience journeys")
    link = page.get_by_test_id("stMain").get_by_role("link", name="Journey — each touchpoint's score in order")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(re.escape(f"{app_server}/Journey") + LAUNCH_QUERY))
    expect(page.get_by_text(HIDES, exact=True)).to_be_visible()
    wait_for_app(page)
    assert_product_launch(page)
    assert_healthy(page)


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_journey_page_screenshot(page: Page, app_server: str, tmp_path: Path) -> None:
    open_app(page, f"{app_server}/Journey", expect_text=HIDES)
    assert_product_launch(page)
    shot = tmp_path / "journey.png"
    _, height = full_page_screenshot(page, shot)
    assert shot.stat().st_size > 20_000, f"screenshot is only {shot.stat().st_size} bytes"
    width_px, height_px = _png_size(shot)
    assert (width_px, height_px) == (page.viewport_size["width"], height), "not the whole page"
    assert height > 900, "the Journey page (chart and table) should be taller than one screen"
    if target := os.environ.get("CX_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(target) / "journey.png")
    assert_healthy(page)
