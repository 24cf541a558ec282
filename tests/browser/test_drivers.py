"""The Drivers page in a real browser: a deep link as the first request, the chart and the fix-first list."""

from __future__ import annotations

from collections.abc import Callable

from browser_harness import AppServer, assert_healthy, dataframe_column, open_app, wait_for_app
from playwright.sync_api import Page, expect


def test_deep_link_to_drivers_is_the_first_request_to_a_fresh_server(
    page: Page, start_app_server: Callable[..., AppServer]
) -> None:
    server = start_app_server()  # new process, new (empty) database: this open also seeds it
    open_app(page, f"{server.url}/Drivers", expect_text="Fix first")
    expect(page.get_by_role("heading", name="Drivers", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Outcome")).to_have_value("Likelihood to recommend")

    chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("fix first")
    expect(chart).to_contain_text("Stock availability")  # every point is labelled
    expect(chart.locator(".mark-symbol.role-mark path")).to_have_count(9)  # 9 touchpoints analysed

    fix_list = page.get_by_test_id("stMarkdown").filter(has_text="Ranked quadrant by quadrant")
    expect(fix_list.locator("li").first).to_contain_text("Stock availability: important (")
    expect(fix_list.locator("li").first).to_contain_text("— fix first")
    expect(page.get_by_text("Installation help", exact=True)).to_be_visible()  # left out, with a note
    expect(dataframe_column(page, "Touchpoint")).to_contain_text(["Stock availability", "Support call"])
    assert "outcome=Likelihood" in page.url
    assert_healthy(page)


def test_choosing_another_outcome_recomputes_the_drivers(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/Drivers?outcome=Churned", expect_text="Fix first")
    expect(page.get_by_role("combobox", name="Outcome")).to_have_value("Churned")
    expect(page.get_by_text("pseudo-R² (linear probability)", exact=True)).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_test_id("stVegaLiteChart").locator("svg").first).to_be_visible()
    assert_healthy(page)
