"""Survey links on a phone-sized screen: open, pick a score, comment, Send, thanks; a reload says already answered."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_harness import PAGE_ERRORS, SCRIPT_TIMEOUT_MS, AppServer, assert_healthy, open_app, wait_for_app
from playwright.sync_api import Browser, BrowserContext, Page, expect

from cx import store, survey

PHONE = {"width": 390, "height": 844}
WAIT = SCRIPT_TIMEOUT_MS


@pytest.fixture
def phones(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Return `new_phone()`: a page in a phone-sized browser of its own (own cookies), closed after the test."""
    contexts: list[BrowserContext] = []

    def new_phone() -> Page:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        contexts.append(context)
        phone = context.new_page()
        phone.set_default_timeout(SCRIPT_TIMEOUT_MS)
        errors: list[str] = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        PAGE_ERRORS[phone] = errors
        return phone

    try:
        yield new_phone
    finally:
        for context in contexts:
            context.close()


def _assert_thumb_sized(phone: Page, rows: list[list[str]]) -> None:
    """Assert the score buttons are at least 44 px each way, laid out in `rows` in order, and Send is on screen."""
    boxes = {}
    for radio in phone.get_by_test_id("stButtonGroup").get_by_role("radio").all():
        box = radio.bounding_box()
        assert box is not None
        boxes[radio.inner_text()] = box
    small = {label: (round(b["width"]), round(b["height"])) for label, b in boxes.items()
             if b["width"] < 44 or b["height"] < 44}
    assert not small, f"score buttons smaller than a thumb (44 px): {small}"
    tops = [sorted({round(boxes[label]["y"]) for label in row}) for row in rows]
    assert all(len(t) == 1 for t in tops) and tops == sorted(tops), f"score rows are not {rows}: {boxes}"
    for row in rows:
        xs = [boxes[label]["x"] for label in row]
        assert xs == sorted(xs)
    send = phone.get_by_role("button", name="Send").bounding_box()
    assert send is not None and send["y"] + send["height"] <= PHONE["height"], "Send is below the first screen"


def _answer(phone: Page, score: str, comment: str | None = None) -> None:
    phone.get_by_test_id("stButtonGroup").get_by_role("radio", name=score, exact=True).click()
    if comment is not None:
        phone.get_by_label("Comment (optional)").fill(comment)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_text("Thank you! Your answer is saved.")).to_be_visible(timeout=WAIT)
    wait_for_app(phone)
    assert_healthy(phone)


def test_a_customer_answers_a_link_on_a_phone_once(
    seeded_db: Path, tmp_path: Path, start_app_server: Callable[..., AppServer],
    phones: Callable[[], Page],
) -> None:
    db = tmp_path / "cx.duckdb"
    shutil.copy(seeded_db, db)
    con = store.connect(db)  # the links exist before the server holds the file
    single = survey.create_links(con, "Retail sample", "Checkout")[0]  # asked on 1–7 in the sample
    poster = survey.create_links(con, "Poster feedback", "Store visit", shared=True)[0]
    con.close()
    server = start_app_server(db=db)

    phone = phones()
    open_app(phone, f"{server.url}/Feedback?t={single.token}", expect_text="How would you rate Checkout?")
    overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the answer page is {overflow} px wider than a phone screen"
    scores = phone.get_by_test_id("stButtonGroup").get_by_role("radio")
    expect(scores).to_have_count(7)
    assert scores.all_inner_texts() == [str(i) for i in range(1, 8)]
    expect(phone.get_by_label("Database")).to_have_count(0)  # no settings for customers
    # ... and no sidebar: its page list would lead customers into the organiser's dashboards.
    expect(phone.get_by_test_id("stSidebarNav")).to_be_hidden()
    expect(phone.get_by_test_id("stExpandSidebarButton")).to_be_hidden()
    _assert_thumb_sized(phone, rows=[[str(i) for i in range(1, 8)]])
    _answer(phone, "5", "quick, but the card reader failed twice")
    expect(phone.get_by_test_id("stButtonGroup")).to_have_count(0)
    phone.reload()
    open_app(phone, phone.url, expect_text="Already answered — thank you!")
    expect(phone.get_by_role("button", name="Send")).to_have_count(0)

    # A shared link: one answer per browser, kept across a reload; another browser answers too.
    open_app(phone, f"{server.url}/Feedback?t={poster.token}", expect_text="How would you rate Store visit?")
    expect(phone.get_by_test_id("stButtonGroup").get_by_role("radio")).to_have_count(11)
    _assert_thumb_sized(phone, rows=[[str(i) for i in range(6)], [str(i) for i in range(6, 11)]])
    _answer(phone, "9")
    phone.reload()
    open_app(phone, phone.url, expect_text="Already answered — thank you!")
    other = phones()
    open_app(other, f"{server.url}/Feedback?t={poster.token}", expect_text="How would you rate Store visit?")
    _answer(other, "2", "too loud")

    unknown = phones()
    open_app(unknown, f"{server.url}/Feedback?t=<b>nope</b>",
             expect_text="This feedback link is not valid. Check that the whole link was copied.")
    expect(unknown.locator("b", has_text="nope")).to_have_count(0)

    server.stop()
    con = store.connect(db)
    try:
        answers = store.rows(con, """SELECT dataset, touchpoint, score, scale_min, scale_max, channel, comment
                                     FROM responses WHERE channel IN ('link', 'qr') ORDER BY answered_at""")
        assert answers == [
            ("Retail sample", "Checkout", 5.0, 1.0, 7.0, "link", "quick, but the card reader failed twice"),
            ("Poster feedback", "Store visit", 9.0, 0.0, 10.0, "qr", None),
            ("Poster feedback", "Store visit", 2.0, 0.0, 10.0, "qr", "too loud")]
        assert len({r[0] for r in store.rows(con, "SELECT sender FROM survey_sends WHERE sender <> ''")}) == 2
        assert all(s.startswith("browser-") for (s,) in store.rows(con, "SELECT sender FROM survey_sends "
                                                                      "WHERE sender <> ''"))
    finally:
        con.close()
