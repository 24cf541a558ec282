"""The Paths page in a real browser: a deep link as the first request, the flow chart drawn, the tables."""

from __future__ import annotations

from collections.abc import Callable

from browser_harness import AppServer, assert_healthy, dataframe_column, open_app
from playwright.sync_api import Page, expect


def test_deep_link_to_paths_draws_the_flow(page: Page, start_app_server: Callable[..., AppServer]) -> None:
    server = start_app_server()  # new process, new (empty) database: this open also seeds it
    open_app(page, f"{server.url}/Paths", expect_text="Most common paths")
    expect(page.get_by_role("heading", name="Paths", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Designed journey")).to_have_value("Retail store journey")

    chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("Step 1")
    expect(chart).to_contain_text("Online ad (2,812)")  # the largest first-step box is labelled with its n
    expect(chart).to_contain_text("coloured by Likelihood to recommend")
    expect(chart.locator(".mark-rect.role-mark path").first).to_be_attached()  # the touchpoint boxes
    assert chart.locator(".mark-rect.role-mark path").count() >= 20
    assert chart.locator(".mark-area.role-mark path").count() >= 20  # the bands between steps

    expect(dataframe_column(page, "Path", nth=1).first).to_contain_text("Online ad → Product website")
    expect(dataframe_column(page, "Touchpoint").first).to_contain_text("Online ad")
    assert_healthy(page)


def test_another_outcome_recolours_the_flow(page: Page, app_server: str) -> None:
    open_app(page, f"{app_server}/Paths?outcome=Churned", expect_text="Most common paths")
    expect(page.get_by_role("combobox", name="Outcome per path")).to_have_value("Churned")
    chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
    expect(chart).to_contain_text("coloured by Churned")
    expect(chart).to_contain_text("Churned: % positive")  # the legend
    assert_healthy(page)
