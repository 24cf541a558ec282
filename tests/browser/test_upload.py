"""Upload in a real browser: a small survey file is uploaded, mapped (guesses kept), imported and shown on
the Journey page; a file over the upload limit gets Streamlit's own message, not a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_harness import AppServer, assert_healthy, dataframe_column, open_app, wait_for_app
from playwright.sync_api import Page, expect

SURVEY = """respondent,Class,Lounge comfort,Wifi,Staff service,recommended,review
b1,Business,5,4,5,yes,"Quiet, ""really"" good"
b2,Eco,2,0,3,no,Crowded
b3,Eco,4,3,N/A,yes,<b>fine</b>
b4,Business,4,5,4,yes,
b5,Eco,nine,2,2,no,typo in the score
"""


SLOW = 60_000  # ms: reading, checking and importing run while other tests share the machine


def _upload(page: Page, path: Path) -> None:
    # Address the uploader by its label: the page has a second uploader (a saved mapping).
    page.get_by_role("region", name="Feedback file").locator("input[type=file]").set_input_files(str(path))


def test_upload_map_import_and_see_it_on_the_journey_page(page: Page, app_server: str, tmp_path: Path) -> None:
    path = tmp_path / "browser-survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    open_app(page, f"{app_server}/Upload", expect_text="Upload feedback")
    _upload(page, path)
    report = "Rows read 5 = rows to load 4 + rows rejected 1. Nothing is dropped silently."
    expect(page.get_by_text(report, exact=True)).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    assert_healthy(page)
    # the guesses: three touchpoint columns, the text N/A and 0 as not-applicable codes, recommended as outcome
    expect(page.get_by_text("Wide: one row per respondent, one column per touchpoint")).to_be_visible()
    expect(page.get_by_text("not a number", exact=True).first).to_be_attached()
    button = page.get_by_role("button", name="Import 4 rows")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_text("Imported data set 'browser-survey': 4 of 5 rows loaded", exact=False)).to_be_visible(
        timeout=SLOW)
    wait_for_app(page)
    assert_healthy(page)
    page.get_by_role("link", name="See 'browser-survey' on the Journey page").click()
    expect(page).to_have_url(re.compile(r"/Journey\?"))
    wait_for_app(page)
    expect(page.get_by_role("combobox", name="Journey")).to_have_value("browser-survey")
    expect(dataframe_column(page, "Touchpoint")).to_have_text(["Lounge comfort", "Wifi", "Staff service"],
                                                              timeout=SLOW)
    assert_healthy(page)


def test_a_file_over_the_upload_limit_is_refused_with_a_message(
    page: Page, start_app_server: Callable[..., AppServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "1")  # 1 MB for this server only
    server = start_app_server()
    big = tmp_path / "big.csv"
    big.write_text("id,score\n" + "".join(f"{i},3\n" for i in range(200_000)), encoding="utf-8")
    assert big.stat().st_size > 1024 * 1024
    open_app(page, f"{server.url}/Upload", expect_text="Upload feedback")
    _upload(page, big)
    expect(page.get_by_text(re.compile(r"or smaller"))).to_be_visible(timeout=SLOW)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"Rows read \d"))).to_have_count(0)
