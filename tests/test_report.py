"""The "You said, we did" report: what goes in, exact numbers, escaping, charts as images, and the page's download."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import actions, report, store
from cx.errors import InvalidInput
from cx.models import Journey, JourneyStep

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_TITLE = "<script>alert('x')</script> Second till"
MARKDOWN_TITLE = "**bold** [link](javascript:x) <b>door</b>"


def _answers(rows: list[tuple[str, float, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame({
        "respondent": [f"r{i}" for i in range(len(rows))], "touchpoint": [r[0] for r in rows],
        "score": [r[1] for r in rows], "scale_min": 0.0, "scale_max": 10.0,
        "answered_at": pd.to_datetime([r[2] for r in rows]), "comment": [r[3] for r in rows],
    })


@pytest.fixture
def shop(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Web 9, 9, 9; Till 2, 4, 6 before 2026-06-01 and 6, 8, 10, 8 after (weak: target 8); Door 8, 8."""
    store.save_dataset(con, "Shop", _answers([
        ("Web", 9, "2026-05-01", None), ("Web", 9, "2026-05-02", None), ("Web", 9, "2026-07-01", None),
        ("Till", 2, "2026-03-10", "Long queue at the till"),
        ("Till", 4, "2026-04-10", "Queue again, awful"),
        ("Till", 6, "2026-05-10", "queue"),
        ("Till", 6, "2026-06-10", "quick"),
        ("Till", 8, "2026-07-10", "friendly staff"),
        ("Till", 10, "2026-08-10", "friendly staff"),
        ("Till", 8, "2026-08-29", "friendly staff"),
        ("Door", 8, "2026-04-01", None), ("Door", 8, "2026-07-01", None),
    ]))
    store.save_journey(con, Journey(name="Shop journey", dataset="Shop", steps=(
        JourneyStep(1, "Web"), JourneyStep(2, "Till", target=8.0), JourneyStep(3, "Door"))))
    actions.add_action(con, dataset="Shop", touchpoint="Till", title=SCRIPT_TITLE, owner="Ops",
                       action_date=date(2026, 6, 1), status="done")
    actions.add_action(con, dataset="Shop", touchpoint="Door", title=MARKDOWN_TITLE, action_date=date(2027, 1, 1))
    return con


def test_report_covers_weak_touchpoints_and_those_with_actions(shop: duckdb.DuckDBPyConnection) -> None:
    built = report.build_report(shop, "Shop journey", today=date(2026, 11, 1), min_n=3)
    assert (built.journey, built.dataset, built.data_until, built.weak_count) == (
        "Shop journey", "Shop", date(2026, 8, 29), 1)
    assert built.aggregate == pytest.approx((9 + 44 / 7 + 8) / 3)
    till, door = built.items
    assert (till.position, till.touchpoint, till.weak, door.touchpoint, door.weak) == (2, "Till", True, "Door", False)
    assert till.weak_reason == "below target (6.3 vs 8.0)"
    assert (till.n, till.score) == (7, pytest.approx(44 / 7))
    # Low-score comments: the 2, 4, 6 and the 6 after (detractors 0–6); "queue" is in 3 of the 4.
    assert till.comment_n == 4
    assert till.said == (("queue", 75.0),)
    assert len(till.quotes) == 2 and all("queue" in q.lower() for q in till.quotes)
    (move,) = till.moves
    assert (move.before.score, move.after.score, move.diff) == pytest.approx((4.0, 8.0, 4.0))
    assert move.verdict == "significant rise"
    assert [a.title for a in door.pending] == [MARKDOWN_TITLE] and not door.moves
    assert door.said == () and door.comment_n == 0
    assert till.trend["n"].tolist() == [1, 1, 1, 1, 1, 2]


def test_report_without_quotes_and_for_a_data_set(shop: duckdb.DuckDBPyConnection) -> None:
    built = report.build_report(shop, None, dataset="Shop", quotes=0, min_n=3)
    assert built.journey == "All touchpoints of Shop"
    assert [i.touchpoint for i in built.items] == ["Till", "Door"]
    assert all(i.quotes == () for i in built.items)
    with pytest.raises(InvalidInput, match="which journey or data set"):
        report.build_report(shop, None)


def test_summary_frame_keeps_numbers_as_numbers(shop: duckdb.DuckDBPyConnection) -> None:
    # A second Till action at a unit without answers: its before/after is not testable (no difference to show).
    actions.add_action(shop, dataset="Shop", touchpoint="Till", title="Queue signs", unit="Nowhere",
                       action_date=date(2026, 6, 1), status="done")
    built = report.build_report(shop, "Shop journey", today=date(2026, 11, 1), min_n=3)
    summary = report.summary_frame(built)
    assert list(summary.columns) == list(report.SUMMARY_COLUMNS)
    assert (str(summary["score"].dtype), str(summary["n"].dtype)) == ("float64", "int64")
    assert summary["score"].tolist() == pytest.approx([44 / 7, 8.0])
    assert summary.drop(columns="score").values.tolist() == [
        ["Till", 7, "below target (6.3 vs 8.0)", "queue", f"{SCRIPT_TITLE}; Queue signs",
         "significant rise (+4.0); not testable"],
        ["Door", 2, "few answers", "", MARKDOWN_TITLE, ""],  # its action is dated after the data: nothing moved
    ]
    empty = report.summary_frame(replace(built, items=()))
    assert empty.empty and list(empty.columns) == list(report.SUMMARY_COLUMNS)


def test_report_journeys_are_those_over_the_data_set(shop: duckdb.DuckDBPyConnection) -> None:
    store.save_journey(shop, Journey(name="Other journey", dataset=None, steps=(JourneyStep(1, "Web"),)))
    assert report.report_journeys(shop, "Shop") == ["Shop journey"]
    assert report.report_journeys(shop, "Elsewhere") == []


@pytest.mark.parametrize(("text", "escaped"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"),
    ("[a](javascript:x)", "\\[a\\](javascript:x)"),
    ("a | b ~~c~~ \\", "a \\| b \\~\\~c\\~\\~ \\\\"),
    ("two\nlines\t here", "two lines here"),
    ("Tom & Jerry", "Tom &amp; Jerry"),
])
def test_markdown_escaping(text: str, escaped: str) -> None:
    assert report.md_escape(text) == escaped


def test_markdown_report(shop: duckdb.DuckDBPyConnection) -> None:
    text = report.report_markdown(report.build_report(shop, "Shop journey", today=date(2026, 11, 1), min_n=3,
                                                      notes=["Filters: none (all answers)"]))
    assert text.startswith("# You said, we did — Shop journey\n\nData: Shop · generated 2026-11-01 · answers until "
                           "2026-08-29\n")
    assert "Journey average 7.8 of 10; 1 weak touchpoint." in text
    assert "## 2. Till — 6.3 of 10 (n = 7, 95 % " in text
    assert "In 4 low-score comments, most often: “queue” (75 %)." in text
    assert "- 2026-06-01 · &lt;script&gt;alert('x')&lt;/script&gt; Second till (Ops, done)" in text
    assert "significant rise (Welch z-test, p = 0.005)" in text
    assert "- \\*\\*bold\\*\\* \\[link\\](javascript:x) &lt;b&gt;door&lt;/b&gt;: too early to measure" in text
    assert "<script" not in text and "<b>" not in text and "**bold**" not in text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")


def test_html_report_escapes_user_text_and_embeds_the_charts(shop: duckdb.DuckDBPyConnection) -> None:
    built = report.build_report(shop, "Shop journey", min_n=3)
    page = report.report_html(built)
    parsed = _Tags()
    parsed.feed(page)
    assert set(parsed.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "span",
                                "div", "ul", "li", "blockquote", "img", "section"}
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Second till" in page
    assert "&lt;b&gt;door&lt;/b&gt;" in page
    assert len(parsed.images) == 2  # one chart per touchpoint with an action
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<img" not in report.report_html(built, charts=False)


def test_trend_chart_marks_each_action(shop: duckdb.DuckDBPyConnection) -> None:
    trend = actions.monthly_trend(report.store_engine(shop), "Shop", "Till")
    logged = actions.list_actions(shop, touchpoint="Till")
    spec = report.trend_chart(trend, logged, width=400).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line", "point", "rule", "text"]
    data = str(spec["datasets"])
    assert "2026-06-01 · <script>alert('x')</script> Second till" in data  # Vega draws it as SVG text
    assert spec["layer"][3]["encoding"]["strokeDash"]["field"] == "status"
    assert [layer["mark"]["type"] for layer in report.trend_chart(trend, []).to_dict()["layer"]] == [
        "area", "line", "point"]
    png = report.chart_png(report.trend_chart(trend, logged, width=300, height=120), scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_report_shows_the_stock_alert_lift(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        built = report.build_report(con, "Retail store journey")
    finally:
        con.close()
    assert [i.touchpoint for i in built.items] == ["Stock availability", "Support call"]
    stock, support = built.items
    assert stock.moves[0].verdict == "significant rise"
    assert "shelf" in [term for term, _ in stock.said]
    assert support.actions == () and support.said
    assert "significant rise" in report.report_markdown(built)


@pytest.fixture
def app(seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("CX_DB", str(seeded_db))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    st.cache_resource.clear()


def test_page_prepares_the_report_for_download(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/8_Actions.py").run()
    assert app.selectbox(key="actions_report_journey").value == "Retail store journey"
    assert not app.get("download_button") or all("report" not in b.proto.label for b in app.get("download_button"))
    app.button(key="actions_report_build").click().run()
    assert not app.exception, [e.value for e in app.exception]
    summary = app.dataframe[-1].value
    assert summary["touchpoint"].tolist() == ["Stock availability", "Support call"]
    assert summary["what moved"].iloc[0].startswith("significant rise (+2.")
    assert summary["we did"].tolist() == ["Stock alerts by SMS when a device is back in store", "no action yet"]
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Download the report (HTML, with charts)" in labels
    assert "Download the report (Markdown, text only)" in labels


def test_cli_writes_the_report(seeded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cx.__main__ import main

    out = tmp_path / "you-said-we-did.md"
    args = ["report", "--journey", "Retail store journey", "--format", "md", "--no-quotes", "--out", str(out),
            "--json", "--db", str(seeded_db)]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == {
        "journey": "Retail store journey", "dataset": "Retail sample", "format": "md", "out": str(out),
        "touchpoints": ["Stock availability", "Support call"]}
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# You said, we did — Retail store journey\n") and "significant rise" in text
    assert "> “" not in text  # no quotes
    assert main(["report", "--db", str(seeded_db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--journey NAME or --dataset NAME" in err
