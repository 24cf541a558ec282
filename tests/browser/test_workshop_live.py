"""A live workshop in two browsers: a participant votes on a phone-sized screen, the presenter view updates."""

from __future__ import annotations

import re

from browser_harness import PAGE_ERRORS, SCRIPT_TIMEOUT_MS, assert_healthy, open_app, wait_for_app
from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}
LIVE_TIMEOUT_MS = 20_000  # the presenter view refreshes every 2 s (plus a loaded machine's slack)
WAIT = SCRIPT_TIMEOUT_MS  # a script run on a busy 2-core machine can take seconds


def _metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def _scores_of(phone: Page, label: str):
    """Return the score buttons of the touchpoint labelled `label` (e.g. "2. Electronics store")."""
    return (phone.get_by_test_id("stElementContainer").filter(has=phone.get_by_test_id("stButtonGroup"))
            .filter(has_text=label).get_by_test_id("stButtonGroup"))


def test_a_participant_votes_and_the_presenter_view_shows_it_without_reload(
    page: Page, browser: Browser, app_server: str
) -> None:
    # Facilitator: start a workshop for the product-launch journey.
    open_app(page, f"{app_server}/Workshop", expect_text="Running workshops")
    page.get_by_role("button", name="Start a workshop").click()
    expect(page.get_by_text("Join code")).to_be_visible(timeout=WAIT)
    wait_for_app(page)
    code = _metric(page, "Join code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{5}", code), code
    expect(page).to_have_url(re.compile(rf"/Workshop\?code={code}&view=present$"))
    link = page.get_by_test_id("stCode").inner_text().strip()
    assert link == f"{app_server}/Workshop?code={code}"
    expect(page.get_by_text("No votes yet: participants join with the code above.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("img", name="Scan to vote").or_(page.get_by_test_id("stImage"))).to_have_count(1)
    presenter_url = page.url

    # Participant: a phone-sized browser of its own opens the link.
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone = phone_context.new_page()
        phone.set_default_timeout(SCRIPT_TIMEOUT_MS)
        errors: list[str] = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        PAGE_ERRORS[phone] = errors
        open_app(phone, link, expect_text=f"Workshop {code}")
        expect(phone).to_have_url(re.compile(rf"\?code={code}&me=[0-9a-f]{{12}}$"))
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the voting page is {overflow} px wider than a phone screen"

        # The score buttons are drawn a moment after the script run ends (Streamlit loads their component
        # lazily): a tap before they are all there lands on whichever row is under the finger by then.
        expect(phone.get_by_test_id("stButtonGroup")).to_have_count(5, timeout=WAIT)
        store_scores = _scores_of(phone, "2. Electronics store")
        three = store_scores.get_by_role("radio", name="3", exact=True)
        three.click()
        expect(three).to_be_checked(timeout=WAIT)
        expect(phone.get_by_role("radio", checked=True)).to_have_count(1)
        phone.get_by_placeholder("leave empty to stay anonymous").fill("Ann")
        phone.get_by_role("button", name="Send my scores").click()
        expect(phone.get_by_text(re.compile(r"^Thank you! 1 score saved at"))).to_be_visible(timeout=WAIT)
        assert_healthy(phone)

        # Presenter: the vote appears without a reload.
        expect(_metric(page, "Votes")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
        expect(_metric(page, "Participants")).to_have_text("1", timeout=WAIT)
        expect(_metric(page, "Team average (0–10)")).to_have_text("3.0", timeout=WAIT)
        chart = page.get_by_test_id("stVegaLiteChart").locator("svg").first
        expect(chart).to_contain_text("journey average 3.0", timeout=WAIT)
        assert page.url == presenter_url

        # A second vote from the same phone replaces the first; the presenter follows.
        seven = store_scores.get_by_role("radio", name="7", exact=True)
        seven.click()
        expect(seven).to_be_checked(timeout=WAIT)  # the pick landed on the Electronics store before Send
        phone.get_by_role("button", name="Send my scores").click()
        expect(_metric(page, "Team average (0–10)")).to_have_text("7.0", timeout=LIVE_TIMEOUT_MS)
        expect(_metric(page, "Votes")).to_have_text("1", timeout=WAIT)

        # Closing: the phone's next send is refused with a clear message.
        page.get_by_role("button", name="Close the workshop…").click()
        page.get_by_role("button", name="Yes, close and save").click()
        closed = f"Closed. 1 vote on 1 touchpoint saved as 'workshop {code}'."
        expect(page.get_by_text(closed)).to_be_visible(timeout=WAIT)
        _scores_of(phone, "5. Out of stock").get_by_role("radio", name="1", exact=True).click()
        phone.get_by_role("button", name="Send my scores").click()
        expect(phone.get_by_text(f"Workshop {code} closed before your scores arrived: they were not counted."
                                 " Thank you for taking part!")).to_be_visible(timeout=WAIT)
        assert_healthy(phone)
        assert_healthy(page)
    finally:
        phone_context.close()
