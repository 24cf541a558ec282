"""Every page in a real browser on the data-set shapes real exports have: no exception, no JavaScript error.

AppTest (tests/test_shapes.py) covers every page × every shape; here the shapes that broke pages
before (no dates, no touchpoint scores, hostile names, three respondents) go through chromium,
with user text checked to arrive as text, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_harness import AppServer, launch_app_server, open_app
from playwright.sync_api import Page, expect

from tests import shapes

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((p.stem.split("_", 1)[1] for p in (ROOT / "pages").glob("*.py")), key=str)
KEYS = ("undated-wide", "outcome-only", "hostile-names", "three-respondents")


@pytest.fixture(scope="module")
def shapes_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[AppServer]:
    workdir = tmp_path_factory.mktemp("browser-shapes")
    db = shapes.build(workdir / "shapes.duckdb")
    server = launch_app_server(workdir, db=db)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("key", KEYS)
def test_every_page_renders_on_the_shape(key: str, page: Page, shapes_server: AppServer) -> None:
    dataset = shapes.BY_KEY[key].dataset
    for name in PAGES:
        open_app(page, f"{shapes_server.url}/{name}?dataset={quote(dataset)}&journey={quote(dataset)}")
        main = page.get_by_test_id("stMain")
        expect(main).to_be_visible()
        if key == "hostile-names":
            # The payload's markup arrives as text: no image element from it, no link to its URL.
            expect(main.locator('img[src="x"]')).to_have_count(0)
            expect(main.locator('a[href="http://e.x"]')).to_have_count(0)
            # Streamlit's own Markdown from the names: no image or link to anywhere, no :red[x], no dash ligature.
            expect(page.locator('img[src*="//evil.example"], a[href*="//evil.example"]')).to_have_count(0)
            expect(page.locator(".stMarkdownColoredText", has_text=re.compile(r"^x$"))).to_have_count(0)
            expect(main.get_by_text("—dash—")).to_have_count(0)
