"""Every page renders through Streamlit's AppTest with the seeded sample data, without exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.conftest import no_exceptions as _no_exceptions

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def test_home_renders_and_links_pages(app: AppTest) -> None:
    app.run()
    _no_exceptions(app)
    assert app.title[0].value == "cx — customer-experience journeys"
    assert app.metric[0].value == "2"  # two journeys shipped


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app: AppTest, page: str) -> None:
    app.run()
    app.switch_page(page).run()
    _no_exceptions(app)


def test_journey_page_shows_the_product_launch_story(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/1_Journey.py").run()
    _no_exceptions(app)
    assert [w.value for w in app.warning] == [
        "The average of 6.0 hides 2 weak touchpoints: Electronics store (3.0) and Out of stock (1.0)"]
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Journey average (0–10)"] == "6.0" and tiles["Weak touchpoints"] == "2"
    table = app.dataframe[0].value
    assert table["Touchpoint"].tolist() == [
        "Product innovation", "Electronics store", "Marketing", "Product purchase", "Out of stock"]
    assert table["Status"].tolist() == ["no score", "▼ weak", "ok", "ok", "▼ weak"]
    # Numbers stay numbers (in the page and its download); the missing score is blank, its status says why.
    assert table["Score (0–10)"].isna().tolist() == [True, False, False, False, False]
    assert table["Score (0–10)"].tolist()[1:] == [3.0, 10.0, 10.0, 1.0]
    assert table["Based on"].tolist()[1] == "team assessment"
    chart = app.get("vega_lite_chart")[0].proto
    assert "triangle-down" in chart.spec and "no score" in chart.spec
    data = " ".join(str(d.data) for d in chart.datasets)
    assert "journey average 6.0" in data


def test_journey_page_on_the_sample_data_shows_nps_and_low_n(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/1_Journey.py")
    app.query_params["journey"] = "Retail store journey"
    app.run()
    _no_exceptions(app)
    assert app.selectbox(key="choice_journey").value == "Retail store journey"
    tiles = {m.label: m.value for m in app.metric}
    labels = list(tiles)
    # The outcome comes first: the sample's three outcomes, then the journey's own numbers.
    assert labels[:4] == ["Churned: % yes", "Likelihood to recommend: NPS", "Revenue: mean", "Journey average (0–10)"]
    assert tiles["Likelihood to recommend: NPS"].startswith("+") and tiles["Churned: % yes"].endswith("%")
    assert tiles["CSAT of 4 touchpoints"].endswith("%")
    table = app.dataframe[0].value
    assert table["Status"].tolist().count("low n") == 1
    assert "(fewer than 30: unreliable)" in " ".join(table["Based on"])


def test_empty_database_gets_a_guard_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cx import store

    path = tmp_path / "empty.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "never")  # a database whose user deleted everything
    con.close()
    monkeypatch.setenv("CX_DB", str(path))
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    _no_exceptions(at)
    assert "no journeys and no feedback yet" in at.info[0].value
    at.switch_page("pages/1_Journey.py").run()
    _no_exceptions(at)
    assert "There is no journey yet" in at.info[0].value
    st.cache_resource.clear()


def test_journey_page_puts_the_team_beside_customers(app: AppTest, seeded_db: Path) -> None:
    from cx import seed, store

    con = store.connect(seeded_db)
    try:
        store.save_assessment(con, "Retail store journey", {"Stock availability": 8.0, "Checkout": 7.5})
        app.run()
        app.switch_page("pages/1_Journey.py")
        app.query_params["journey"] = "Retail store journey"
        app.run()
        _no_exceptions(app)
        sentence = [i.value for i in app.info if "Biggest gap" in i.value]
        assert sentence and sentence[0].startswith(
            "Biggest gap at Stock availability: the team says 8.0, customers say 4.4")
        gaps = app.dataframe[1].value
        assert gaps.set_index("touchpoint")["team"]["Stock availability"] == 8.0
    finally:
        con.execute("DELETE FROM assessments")
        seed.restore_product_launch(con)
        con.close()
