"""Pages with an expensive step say what is happening (ui.Steps: st.status with step labels) and end complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import shapes
from tests.conftest import no_exceptions

# page: the status boxes it shows on the seeded sample, in page order, each with the steps listed inside it.
STATUSES: dict[str, list[tuple[str, list[str]]]] = {
    "pages/1_Journey.py": [
        ("Scoring the journey", ["every touchpoint's score and interval",
                                 "the outcome and CSAT of the customers who answered its touchpoints"]),
    ],
    "pages/2_Overview.py": [
        ("Computing the metrics", ["every metric over the selection", "every metric by month", "the outcomes",
                                   "CSAT and CES per touchpoint"]),
        ("Breaking down", ["the metric per group"]),
    ],
    "pages/3_Touchpoints.py": [
        ("Scoring the touchpoints", ["scores and intervals per touchpoint", "CSAT, CES and NPS per touchpoint",
                                     "operational metrics and channels"]),
    ],
    "pages/4_Channels.py": [
        ("Comparing the channels", ["every touchpoint's score per channel, with its interval"]),
    ],
    "pages/8_Actions.py": [
        ("Scoring the touchpoints", ["every touchpoint's score, weakest first"]),
    ],
    "pages/5_Local_units.py": [
        ("Ranking the local units", ["every metric over the selection", "the chosen metric per unit"]),
    ],
    "pages/6_Drivers.py": [
        ("Computing the drivers", ["correlating each touchpoint with the outcome, then the relative weights"]),
        ("Bootstrap intervals", ["300 resamples of the respondents"]),
        ("Comparing the segments", ["the drivers of A", "the drivers of B"]),
    ],
    "pages/7_Comments.py": [
        ("Reading the comments", ["scoring the touchpoints",
                                  "language and sentiment of every comment (once per data set), score bands"]),
        ("Finding the themes", ["topic model of the comments (TF-IDF and NMF)"]),
    ],
    "pages/12_Paths.py": [
        ("Following the paths", ["every customer's answers and events in time order, the paths and their outcome"]),
    ],
}


def boxes(at: AppTest) -> list[tuple[str, str, list[str]]]:
    """Return (label, state, steps listed inside) of every status box on the page."""
    return [(box.label, box.state, [c.value for c in box.caption]) for box in at.status]


# The Journey page scores from customer answers only for a journey over a data set (the sample's retail journey).
QUERY = {"pages/1_Journey.py": {"journey": "Retail store journey"}}


@pytest.mark.parametrize("page", list(STATUSES))
def test_every_expensive_step_is_named_and_ends_complete(app: AppTest, page: str) -> None:
    app.run()
    app.switch_page(page)
    for key, value in QUERY.get(page, {}).items():
        app.query_params[key] = value
    app.run()
    no_exceptions(app)
    assert boxes(app) == [(f"{title}: done", "complete", steps) for title, steps in STATUSES[page]]
    app.run()  # warm: everything cached, the same boxes, complete at once
    assert boxes(app) == [(f"{title}: done", "complete", steps) for title, steps in STATUSES[page]]


def test_a_journey_scored_by_the_team_alone_has_nothing_to_wait_for(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/1_Journey.py")
    app.query_params["journey"] = "Product launch"  # no data set: the team's assessment only
    app.run()
    no_exceptions(app)
    assert boxes(app) == []
    assert app.metric[0].label == "Journey average (0–10)"


def test_a_page_that_stops_says_so_and_its_box_is_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Too few answers for a driver analysis: the page explains, and the box does not spin forever.
    from tests.conftest import app_test_on

    db = shapes.build(tmp_path / "shapes.duckdb")
    with app_test_on(db, monkeypatch) as at:
        at.query_params["dataset"] = shapes.BY_KEY["dated-long"].dataset
        at.run()
        at.switch_page("pages/6_Drivers.py")
        for _ in range(2):  # the refusal is cached like a result: the rerun says the same, its box complete too
            at.query_params["dataset"] = shapes.BY_KEY["dated-long"].dataset
            at.run()
            no_exceptions(at)
            assert "lower the minimum answers" in at.info[0].value and not at.error
            assert boxes(at) == [("Computing the drivers: stopped", "complete",
                                  ["correlating each touchpoint with the outcome, then the relative weights"])]


def _failing_script() -> None:
    from cx import ui

    with ui.Steps("Working") as status:
        status.step("the first step")
        raise ValueError("broken on purpose")


def test_a_step_that_raises_ends_the_box_in_error() -> None:
    at = AppTest.from_function(_failing_script).run()
    assert len(at.exception) == 1  # the message itself is redacted (client.showErrorDetails)
    assert boxes(at) == [("Working: failed", "error", ["the first step"])]
