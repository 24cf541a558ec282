"""Every page's URL works as the very first request to a freshly started server, on the sample data."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_harness import AppServer, assert_healthy, open_app
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((p.stem.split("_", 1)[1] for p in (ROOT / "pages").glob("*.py")), key=str)
# What each page must show once its script has run on the sample data.
EXPECTED = {
    "Journey": "The average of 6.0 hides 2 weak touchpoints",
    "Overview": "Key metrics",
    "Touchpoints": "hides 2 weak touchpoints: Stock availability",
    "Channels": "Support call (phone",
    "Local_units": "Journey at Bristol",
    "Drivers": "Stock availability",
    "Comments": "Stock availability",
    "Actions": "Stock alerts",
    "Journey_builder": "Product launch",
    "Workshop": "Workshop",
    "Upload": "Upload",
}


@pytest.mark.parametrize("name", PAGES)
def test_a_deep_link_is_a_valid_first_request(name: str, page: Page, seeded_db: Path, tmp_path: Path,
                                               start_app_server: Callable[..., AppServer]) -> None:
    db = tmp_path / "cx.duckdb"
    shutil.copy(seeded_db, db)
    server = start_app_server(db=db)
    open_app(page, f"{server.url}/{name}")
    assert_healthy(page)
    expect(page.get_by_test_id("stMain")).to_contain_text(EXPECTED.get(name, name.replace("_", " ")))
    expect(page.get_by_text("Page not found")).to_have_count(0)
