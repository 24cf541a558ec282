"""Every page on every shape of data set: no traceback, and a clear message where a view does not apply."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import comparisons, exports, metrics, store, workshop
from cx.engines import store_engine
from tests import shapes
from tests.conftest import ROOT, app_test_on, no_exceptions

PAGES = ["app.py", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))]


@pytest.fixture(scope="session")
def shapes_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a database file holding every shape and a journey per shape (built once per session)."""
    return shapes.build(tmp_path_factory.mktemp("shapes") / "shapes.duckdb")


@pytest.fixture
def shapes_app(shapes_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """Return an AppTest of the home page on the shapes database, with Streamlit's caches cleared."""
    with app_test_on(shapes_db, monkeypatch) as at:
        yield at


def open_page(at: AppTest, page: str, dataset: str) -> AppTest:
    """Open `page` through app.py with `?dataset=` (and `?journey=`: each shape's journey has its name)."""
    at.query_params["dataset"] = dataset
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.query_params["dataset"] = dataset
        at.query_params["journey"] = dataset
        at.run()
    return at


def texts(at: AppTest) -> str:
    """Return every message, caption and text on the page, one per line."""
    parts: list[str] = []
    for kind in ("info", "warning", "success", "error", "caption", "text", "markdown"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


OUTCOME_ONLY = ("outcome-only", "outcome-only-imported")  # written directly, and imported with "touchpoints": []
UNDATED = ("undated-wide", "one-touchpoint", "three-respondents", "scales", *OUTCOME_ONLY)
NO_CHANNEL = ("undated-wide", "one-touchpoint", "three-respondents", "scales", "events-only", *OUTCOME_ONLY)
NO_OUTCOME = ("one-touchpoint", "scales", "events-only")
FEW_ANSWERS = ("undated-wide", "dated-long", "three-respondents", "hostile-names")  # under the default minimum n
UNSCORED = {"events-only": "carry no scores (events", **{s: "no touchpoint answers" for s in OUTCOME_ONLY}}

# Where a view does not apply to a shape, the words the page must say instead.
EXPECTED: dict[tuple[str, str], str] = {
    **{("pages/2_Overview.py", s): "No dates: the trend needs a date column" for s in UNDATED},
    **{("pages/2_Overview.py", s): "only the outcome metrics (NPS, churn…) apply" for s in OUTCOME_ONLY},
    ("pages/2_Overview.py", "events-only"): UNSCORED["events-only"],
    ("pages/2_Overview.py", "one-touchpoint"): "no segment, channel or unit columns to break down by",
    **{(p, s): text for p in ("pages/3_Touchpoints.py", "pages/7_Comments.py", "pages/8_Actions.py")
       for s, text in UNSCORED.items()},
    **{("pages/4_Channels.py", s): "These answers carry no channel" for s in NO_CHANNEL},
    **{("pages/5_Local_units.py", s): "These answers name no local unit" for s in NO_CHANNEL},
    **{("pages/6_Drivers.py", s): "has no outcome per respondent" for s in NO_OUTCOME},
    **{("pages/6_Drivers.py", s): "lower the minimum answers" for s in FEW_ANSWERS},
    **{("pages/6_Drivers.py", s): "has no scored answers" for s in OUTCOME_ONLY},
    **{("pages/7_Comments.py", s): "No comments here" for s in ("undated-wide", "one-touchpoint", "scales")},
    **{("pages/8_Actions.py", s): "No dated answers for this touchpoint" for s in UNDATED if s not in OUTCOME_ONLY},
    **{("pages/1_Journey.py", s): "No touchpoint of this journey has a score yet" for s in UNSCORED},
    ("pages/9_Journey_builder.py", "outcome-only"): "are not in data set",
}


@pytest.mark.parametrize("shape", [s.key for s in shapes.SHAPES])
@pytest.mark.parametrize("page_file", PAGES)
def test_every_page_opens_on_every_shape(shapes_app: AppTest, page_file: str, shape: str) -> None:
    at = open_page(shapes_app, page_file, shapes.BY_KEY[shape].dataset)
    no_exceptions(at)
    if (page_file, shape) in EXPECTED:
        assert EXPECTED[page_file, shape] in texts(at)


@pytest.mark.parametrize("shape", [*OUTCOME_ONLY, *FEW_ANSWERS])
def test_drivers_on_too_little_data_is_a_note_not_an_error(shapes_app: AppTest, shape: str) -> None:
    at = open_page(shapes_app, "pages/6_Drivers.py", shapes.BY_KEY[shape].dataset)
    no_exceptions(at)
    assert [e.value for e in at.error] == []
    notes = [str(e.value) for e in at.info]
    assert any(n.startswith("Not enough to analyse drivers yet: ") for n in notes), notes


def test_a_dated_data_set_gets_the_trend_not_the_no_dates_message(shapes_app: AppTest) -> None:
    at = open_page(shapes_app, "pages/2_Overview.py", shapes.BY_KEY["dated-long"].dataset)
    no_exceptions(at)
    assert "No dates" not in texts(at)
    assert at.get("vega_lite_chart"), "the monthly trend chart"


def test_outcome_only_overview_shows_its_outcome_metrics(shapes_app: AppTest) -> None:
    at = open_page(shapes_app, "pages/2_Overview.py", shapes.BY_KEY["outcome-only"].dataset)
    no_exceptions(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["NPS"] == "+0" and tiles["Churn rate"] == "37.5 %"  # 3 promoters, 3 detractors of 8; 3 of 8 churned
    assert at.get("vega_lite_chart"), "the breakdown by region"


# Unescaped Markdown or HTML from the hostile names: bold, a link or image, an image tag, TeX, and Streamlit's
# own rules that escaping with a backslash does not stop: a colour directive, a dash ligature, a bare URL
# (`escape_markdown` breaks each with an invisible word joiner).
RAW_MARKUP = re.compile(r"(?<!\\)\*\*bold|(?<!\\)\[x(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\$[xy](?<!\\)\$"
                        r"|:red|--dash|://e")
MARKDOWN_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error",
                     "toast")
LABELLED = ("selectbox", "multiselect", "radio", "checkbox", "toggle", "button", "text_input", "text_area",
            "number_input", "date_input", "slider", "select_slider", "metric", "expander", "tabs")


def rendered_markup(at: AppTest) -> list[str]:
    """Return the texts that Streamlit renders as Markdown (messages, captions, labels) holding raw markup."""
    found = [str(e.value) for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]
    found += [str(e.label) for kind in LABELLED for e in getattr(at, kind)]
    found += [str(e.proto.label) for kind in ("download_button", "page_link") for e in at.get(kind)]
    found += [str(e.proto.help) for kind in LABELLED for e in getattr(at, kind) if getattr(e.proto, "help", "")]
    return [t for t in found if RAW_MARKUP.search(t)]


@pytest.mark.parametrize("page_file", PAGES)
def test_hostile_names_are_shown_literally(shapes_app: AppTest, page_file: str) -> None:
    at = open_page(shapes_app, page_file, shapes.HOSTILE_DATASET)
    no_exceptions(at)
    assert rendered_markup(at) == []


def _plain(markdown: str) -> str:
    """Return escaped Markdown as the text it renders (backslashes and word joiners gone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(exports.WORD_JOINER, "")


def _hostile_workshop_code(db: Path) -> str:
    con = store.connect(db)
    try:
        return workshop.list_workshops(con, journey=shapes.HOSTILE_DATASET)[0].code
    finally:
        con.close()


@pytest.mark.parametrize("view", ["vote", "present"])
def test_hostile_names_in_a_workshop_are_shown_literally(shapes_app: AppTest, shapes_db: Path, view: str) -> None:
    # The voting form (touchpoint labels, persona caption) and the presenter view (title, tally, comments).
    at = shapes_app
    at.run()
    at.switch_page("pages/10_Workshop.py")
    at.query_params["code"] = _hostile_workshop_code(shapes_db)
    if view == "present":
        at.query_params["view"] = "present"
    at.run()
    no_exceptions(at)
    if view == "vote":
        assert shapes.HOSTILE_PERSONA in _plain(at.caption[0].value)
    else:
        assert shapes.HOSTILE_DATASET in _plain(at.title[0].value)
    assert rendered_markup(at) == []


@pytest.mark.parametrize("code", ["[x](http://evil.example/x)", "![x](http://evil.example/x.png)", ":red[x]",
                                  "<img src=x onerror=alert(1)>", "K7MQ"])
def test_the_workshop_code_in_the_link_is_never_shown_as_markup(shapes_app: AppTest, code: str) -> None:
    at = shapes_app
    at.run()
    at.switch_page("pages/10_Workshop.py")
    at.query_params["code"] = code
    at.run()
    no_exceptions(at)
    message = at.error[0].value
    assert "is not a workshop code" in message
    assert "evil" not in message and "<img" not in message and ":red" not in message
    assert rendered_markup(at) == []


def test_month_windows_without_a_last_date_is_none() -> None:
    assert comparisons.month_windows(None) is None and comparisons.month_windows(pd.NaT) is None
    (start, end, label), (prev_start, _, prev_label) = comparisons.month_windows(datetime(2024, 3, 31, 23, 59))
    assert (start, end, label) == (datetime(2024, 3, 1), datetime(2024, 4, 1), "Mar 2024")
    assert (prev_start, prev_label) == (datetime(2024, 2, 1), "Feb 2024")


@pytest.mark.parametrize(("shape", "words"), [
    ("outcome-only", "no touchpoint answers"),
    ("outcome-only-imported", "no touchpoint answers"),
    ("events-only", "carry no scores"),
    ("dated-long", "No answers match these filters"),  # it has scores: then only the filters can be the cause
])
def test_why_no_scores_names_the_cause(shapes_db: Path, shape: str, words: str) -> None:
    con = store.connect(shapes_db)
    try:
        assert words in metrics.why_no_scores(store_engine(con), shapes.BY_KEY[shape].dataset)
    finally:
        con.close()
