"""Overview, Touchpoints, Channels and Local units pages on the sample data (AppTest)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from tests.conftest import no_exceptions as _no_exceptions


def _open(app: AppTest, page: str, **params: str) -> AppTest:
    app.run()
    app.switch_page(page)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    _no_exceptions(app)
    return app


def _count(db: Path, sql: str, params: list[object]) -> int:
    con = duckdb.connect(str(db))  # same configuration as the app's connection in this process
    try:
        return int(con.execute(sql, params).fetchall()[0][0])
    finally:
        con.close()


def test_overview_tiles_carry_interval_n_and_change(app: AppTest, seeded_db: Path) -> None:
    _open(app, "pages/2_Overview.py")
    tiles = {m.label: m for m in app.metric}
    assert set(tiles) >= {"NPS", "CSAT of 4 touchpoints", "CES of 1 touchpoint", "Responses",
                          "Churn rate", "CLV"}
    answers = _count(seeded_db, "SELECT count(*) FROM responses WHERE dataset = ? AND score IS NOT NULL",
                     ["Retail sample"])
    assert tiles["Responses"].value == f"{answers:,}"
    assert tiles["NPS"].delta  # change against the previous month
    captions = " ".join(c.value for c in app.caption)
    assert "95 %" in captions and "n = 4,000" in captions and "Oct 2026 vs Sep 2026" in captions
    assert len(app.get("vega_lite_chart")) == 2  # trend and breakdown


def test_a_link_with_filters_reproduces_the_view(app: AppTest, seeded_db: Path) -> None:
    _open(app, "pages/2_Overview.py", channel="web")
    web = _count(seeded_db, "SELECT count(*) FROM responses WHERE dataset = ? AND channel = ? AND score IS NOT NULL",
                 ["Retail sample", "web"])
    assert {m.label: m.value for m in app.metric}["Responses"] == f"{web:,}"
    assert app.multiselect(key="channel_Retail sample").value == ["web"]
    assert "Filter: channel is web" in " ".join(c.value for c in app.caption)


def test_breakdown_marks_significant_groups(app: AppTest) -> None:
    _open(app, "pages/2_Overview.py", segment="customer_type")
    table = app.dataframe[-1].value
    assert set(table["customer_type"]) == {"New", "Returning"}
    assert set(table["significant?"]) <= {"▲ higher", "▼ lower", "", "low n"}


def test_touchpoints_inventory_marks_the_weak_ones(app: AppTest) -> None:
    _open(app, "pages/3_Touchpoints.py")
    table = app.dataframe[0].value
    assert len(table) == 10
    weak = table[table["Status"] == "▼ weak"]["Touchpoint"].tolist()
    assert weak == ["Stock availability", "Support call"]
    assert table[table["Touchpoint"] == "Installation help"]["Status"].item() == "low n"
    ops = table.set_index("Touchpoint")["Operational"]
    assert ops["Support call"].startswith("Wait time (minutes):") and ops["Checkout"] == ""
    assert table.set_index("Touchpoint")["CES"]["Checkout"] > 0  # the 1–7 item


def test_channels_flag_the_phone_gap(app: AppTest) -> None:
    _open(app, "pages/4_Channels.py")
    (warning,) = [w.value for w in app.warning]
    assert warning.startswith("1 touchpoint(s) differ between channels: Support call (phone")


def test_local_units_rank_and_show_a_unit_journey(app: AppTest) -> None:
    _open(app, "pages/5_Local_units.py", **{"unit_metric": "mean_score"})
    table = app.dataframe[0].value
    ranked = table[table["Status"] == "ranked"]
    assert ranked["Rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["Unit"].iloc[-1] == "Bristol"  # the store whose staff advice is poor
    app.selectbox(key="unit_metric").set_value("mean_score")
    app.selectbox(key="unit_touchpoint").set_value("Staff advice").run()
    _no_exceptions(app)
    assert app.dataframe[0].value["Unit"].iloc[len(ranked) - 1] == "Bristol"
