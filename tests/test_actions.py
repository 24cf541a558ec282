"""Actions: storing them, the seeded example, before/after tests with exact numbers, and the Actions page."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import actions, seed, store
from cx.drivers import mean_difference_test
from cx.engines import store_engine
from cx.errors import InvalidInput, NotFound
from cx.metrics import Z95, Filter
from cx.sample import generate

ROOT = Path(__file__).resolve().parent.parent
LIVE = date(2026, 6, 1)

# ---------------------------------------------------------------- storing actions


def test_add_get_list_update_delete(con: duckdb.DuckDBPyConnection) -> None:
    first = actions.add_action(con, dataset="D", touchpoint="Till", title="  Second till at weekends ",
                               action_date="2026-05-02", owner="Store ops", status="in progress")
    second = actions.add_action(con, dataset="D", touchpoint="Till", title="Card readers replaced",
                                action_date=date(2026, 3, 1), unit="Leeds", note="")
    other = actions.add_action(con, dataset=None, touchpoint="Web", title="Faster pages", action_date=date(2026, 1, 1))
    elsewhere = actions.add_action(con, dataset="E", touchpoint="Till", title="Not ours", action_date=date(2026, 1, 1))
    got = actions.get_action(con, first)
    assert (got.title, got.owner, got.status, got.action_date, got.unit) == (
        "Second till at weekends", "Store ops", "in progress", date(2026, 5, 2), None)
    assert actions.get_action(con, second).note is None  # blank text is stored as nothing
    # By date; a data set's list includes actions tied to no data set, not other data sets'.
    assert [a.action_id for a in actions.list_actions(con, dataset="D")] == [other, second, first]
    assert [a.action_id for a in actions.list_actions(con, dataset="D", touchpoint="Till")] == [second, first]
    assert [a.action_id for a in actions.list_actions(con, unit="Leeds")] == [second]
    assert elsewhere not in [a.action_id for a in actions.list_actions(con, dataset="D")]

    updated = actions.update_action(con, first, status="done", title="Two tills at weekends", unit="York")
    assert (updated.status, updated.title, updated.unit, updated.owner) == ("done", "Two tills at weekends", "York",
                                                                           "Store ops")
    actions.delete_action(con, first)
    with pytest.raises(NotFound, match="No action with id"):
        actions.get_action(con, first)
    with pytest.raises(NotFound):
        actions.delete_action(con, first)
    with pytest.raises(NotFound):
        actions.update_action(con, first, status="done")
    assert store.table_counts(con)["actions"] == 3


@pytest.mark.parametrize(("fields", "message"), [
    ({"title": "  "}, "needs a title"),
    ({"touchpoint": ""}, "needs a touchpoint"),
    ({"status": "finished"}, "not one of planned, in progress, done"),
    ({"action_date": "1 June"}, "is not a date"),
    ({"action_date": None}, "is not a date"),
])
def test_invalid_actions_are_refused_and_nothing_is_stored(
    con: duckdb.DuckDBPyConnection, fields: dict, message: str
) -> None:
    values = {"touchpoint": "Till", "title": "Something", "action_date": "2026-06-01", **fields}
    with pytest.raises(InvalidInput, match=message):
        actions.add_action(con, **values)
    assert store.table_counts(con)["actions"] == 0


def test_update_refuses_unknown_fields(con: duckdb.DuckDBPyConnection) -> None:
    action_id = actions.add_action(con, touchpoint="Till", title="X", action_date="2026-06-01")
    with pytest.raises(InvalidInput, match="no field"):
        actions.update_action(con, action_id, created_at="2020-01-01")
    with pytest.raises(InvalidInput, match="needs a title"):
        actions.update_action(con, action_id, title="")
    assert actions.get_action(con, action_id).title == "X"


def test_actions_export_is_safe_to_open_in_a_spreadsheet(con: duckdb.DuckDBPyConnection) -> None:
    from cx import exports

    actions.add_action(con, touchpoint="Till", title="=HYPERLINK(\"http://x\")", owner="@ops",
                       action_date="2026-06-01")
    frame = actions.actions_frame(actions.list_actions(con))
    assert frame.columns.tolist()[:7] == ["action_id", "touchpoint", "unit", "title", "owner", "action_date", "status"]
    text = exports.safe_csv(frame).decode()
    assert "'=HYPERLINK" in text and "'@ops" in text


def test_first_run_seeds_the_stock_alert_action_once(con: duckdb.DuckDBPyConnection) -> None:
    small = generate(respondents=300)
    assert seed.seed(con, generate=lambda: small)
    seeded = actions.list_actions(con)
    assert [(a.dataset, a.touchpoint, a.title, a.owner, a.action_date, a.status) for a in seeded] == [
        ("Retail sample", "Stock availability", "Stock alerts by SMS when a device is back in store", "Supply chain",
         LIVE, "done")]
    assert not seed.seed(con, generate=lambda: small)
    assert len(actions.list_actions(con)) == 1


# ---------------------------------------------------------------- before / after (hand-checked)


def _answers(rows: list[tuple[str, float, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "respondent": [f"r{i}" for i in range(len(rows))],
        "touchpoint": [r[0] for r in rows], "score": [r[1] for r in rows], "scale_min": 0.0, "scale_max": 10.0,
        "unit": [r[2] for r in rows], "channel": [r[3] for r in rows],
        "answered_at": pd.to_datetime([r[4] for r in rows], format="ISO8601"),
    })


@pytest.fixture
def fix(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Leeds (store): 2, 4, 6 in the 90 days before 2026-06-01 and 6, 8, 10, 8 in the 90 days from it.

    Two Leeds answers of 0 sit just outside the windows; York (web) goes from 10, 8 to 0, 2.
    """
    store.save_dataset(con, "Fix", _answers([
        ("Till", 0, "Leeds", "store", "2026-03-02 23:59:59.999999"),  # one instant before the before window
        ("Till", 2, "Leeds", "store", "2026-03-03 00:00:00"),  # first instant of the before window
        ("Till", 4, "Leeds", "store", "2026-04-15 10:00:00"),
        ("Till", 6, "Leeds", "store", "2026-05-31 23:59:59.999999"),  # last instant before the action
        ("Till", 6, "Leeds", "store", "2026-06-01 00:00:00"),  # the action's day counts as after
        ("Till", 8, "Leeds", "store", "2026-07-01 09:00:00"),
        ("Till", 8, "Leeds", "store", "2026-08-01 09:00:00"),
        ("Till", 10, "Leeds", "store", "2026-08-29 23:59:59"),
        ("Till", 0, "Leeds", "store", "2026-08-30 00:00:00"),  # first instant after the after window
        ("Till", 10, "York", "web", "2026-05-01 12:00:00"),
        ("Till", 8, "York", "web", "2026-05-15 12:00:00"),
        ("Till", 0, "York", "web", "2026-07-01 12:00:00"),
        ("Till", 2, "York", "web", "2026-07-15 12:00:00"),
        ("Web", 0, None, "web", "2026-05-01 12:00:00"),
        ("Web", 10, None, "web", "2026-07-01 12:00:00"),
    ]))
    return con


def _action(con: duckdb.DuckDBPyConnection, **fields: object) -> actions.Action:
    values = {"dataset": "Fix", "touchpoint": "Till", "title": "Second till", "action_date": LIVE, **fields}
    return actions.get_action(con, actions.add_action(con, **values))  # type: ignore[arg-type]


def test_before_after_exact_numbers_and_test(fix: duckdb.DuckDBPyConnection) -> None:
    action = _action(fix)
    # Channel "store" keeps Leeds only; the date filter is replaced by the windows.
    result = actions.before_after(store_engine(fix), action, window_days=90,
                                  filters=[Filter("channel", "in", ("store",)),
                                           Filter("answered_at", ">=", datetime(2026, 5, 1))])
    before, after = result.before, result.after
    assert (before.start, before.end, after.start, after.end) == (
        date(2026, 3, 3), LIVE, LIVE, date(2026, 8, 30))
    assert (before.n, before.score, after.n, after.score) == (3, pytest.approx(4.0), 4, pytest.approx(8.0))
    # sd before = 2, after = √(8/3): standard errors 2/√3 and √(2/3); their root sum of squares is √2.
    assert before.se == pytest.approx(2 / math.sqrt(3))
    assert after.se == pytest.approx(math.sqrt(2 / 3))
    assert (before.low, before.high) == pytest.approx((4 - Z95 * 2 / math.sqrt(3), 4 + Z95 * 2 / math.sqrt(3)))
    assert result.diff == pytest.approx(4.0)
    assert (result.diff_low, result.diff_high) == pytest.approx((4 - Z95 * math.sqrt(2), 4 + Z95 * math.sqrt(2)))
    assert result.p == pytest.approx(math.erfc(2.0))  # z = 4 / √2 = 2√2; two-sided p = erfc(z / √2) = erfc(2)
    assert result.significant is True and result.verdict == "significant rise"
    # The same as the Welch test on the raw answers.
    welch = mean_difference_test([6, 8, 10, 8], [2, 4, 6])
    assert (welch["diff"], welch["p_two_sided"]) == pytest.approx((result.diff, result.p))
    assert result.sentence() == (
        "Till, 90 days before vs after 2026-06-01: 4.0 (95 % 1.7–6.3, n = 3, few answers) → 8.0 "
        "(95 % 6.4–9.6, n = 4, few answers): +4.0 points of 10 (95 % +1.2 to +6.8), significant rise "
        "(Welch z-test, p = 0.005).")
    assert result.as_dict()["before"] == {"from": "2026-03-03", "until": "2026-06-01", "n": 3, "score": 4.0,
                                          "low": pytest.approx(4 - Z95 * 2 / math.sqrt(3)),
                                          "high": pytest.approx(4 + Z95 * 2 / math.sqrt(3)),
                                          "mean": 4.0, "low_n": True}


def test_before_after_of_an_action_at_one_unit(fix: duckdb.DuckDBPyConnection) -> None:
    engine = store_engine(fix)
    leeds = actions.before_after(engine, _action(fix, unit="Leeds"))
    assert (leeds.before.score, leeds.after.score, leeds.p) == pytest.approx((4.0, 8.0, math.erfc(2.0)))
    york = actions.before_after(engine, _action(fix, unit="York"), filters=[Filter("unit", "in", ("Leeds",))])
    # 10, 8 → 0, 2: both sd √2, se 1; diff −8, z = −8/√2.
    assert (york.before.score, york.after.score, york.diff) == pytest.approx((9.0, 1.0, -8.0))
    assert york.p == pytest.approx(math.erfc(8 / math.sqrt(2) / math.sqrt(2)))
    assert york.verdict == "significant fall" and "at York" in york.sentence()
    everyone = actions.before_after(engine, _action(fix))
    assert (everyone.before.n, everyone.before.score) == (5, pytest.approx(6.0))
    assert (everyone.after.n, everyone.after.score) == (6, pytest.approx(34 / 6))
    assert everyone.significant is False and everyone.verdict == "no significant change"


def test_before_after_without_answers_is_not_tested(fix: duckdb.DuckDBPyConnection) -> None:
    engine = store_engine(fix)
    late = actions.before_after(engine, _action(fix, action_date=date(2026, 9, 15)))
    assert late.after.n == 0 and late.after.score is None
    assert late.verdict == "not testable" and late.p is None
    assert "no answers after" in late.sentence() and "too few answers after the action" in late.sentence()
    short = actions.before_after(engine, _action(fix), window_days=1)
    assert (short.before.n, short.after.n, short.verdict) == (1, 1, "not testable")
    with pytest.raises(InvalidInput, match="at least 1 day"):
        actions.before_after(engine, _action(fix), window_days=0)
    with pytest.raises(InvalidInput, match="no data set"):
        actions.before_after(engine, _action(fix, dataset=None))


def test_monthly_trend_counts_every_answer_per_month(fix: duckdb.DuckDBPyConnection) -> None:
    trend = actions.monthly_trend(store_engine(fix), "Fix", "Till", min_n=3)
    assert [m.strftime("%Y-%m") for m in trend["month"]] == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
                                                              "2026-08"]
    assert trend["n"].tolist() == [2, 1, 3, 1, 3, 3]
    assert trend["score"].tolist() == pytest.approx([1.0, 4.0, 8.0, 6.0, 10 / 3, 6.0])
    assert trend["low_n"].tolist() == [True, True, False, True, False, False]
    assert (trend["low"].dropna() >= 0).all() and (trend["high"].dropna() <= 10).all()
    york = actions.monthly_trend(store_engine(fix), "Fix", "Till", filters=[Filter("unit", "in", ("York",))])
    assert york["n"].tolist() == [2, 2]


def test_the_sample_stock_alert_lift_is_significant(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        (action,) = actions.list_actions(con, dataset="Retail sample", touchpoint="Stock availability")
        result = actions.before_after(store_engine(con), action)
    finally:
        con.close()
    assert action.action_date == LIVE
    assert result.before.score == pytest.approx(3.4, abs=0.3)
    assert result.after.score == pytest.approx(6.0, abs=0.3)
    assert result.before.n > 500 and result.after.n > 500
    assert result.diff > 2 and result.significant and result.p < 1e-6


# ---------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def app(seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app on a copy of the seeded database: these tests write actions."""
    copy = tmp_path / "cx.duckdb"
    shutil.copyfile(seeded_db, copy)
    monkeypatch.setenv("CX_DB", str(copy))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/8_Actions.py").run()
    assert not at.exception, [e.value for e in at.exception]
    yield at
    st.cache_resource.clear()


def _stored() -> list[actions.Action]:
    """Return the actions in the app's database file (CX_DB), read on a connection of our own."""
    con = store.connect(store.default_db_path())
    try:
        return actions.list_actions(con)
    finally:
        con.close()


def test_page_shows_the_stock_alert_lift(app: AppTest) -> None:
    assert app.selectbox(key="choice_touchpoint").value == "Stock availability"
    tiles = {m.label: m.value for m in app.metric}
    assert (tiles["Before (90 days)"], tiles["After (90 days)"], tiles["Change"]) == ("3.4", "6.1",
                                                                                      "Significant rise")
    chart = app.get("vega_lite_chart")[0].proto
    assert '"rule"' in chart.spec
    data = " ".join(str(d.data) for d in chart.datasets)
    assert "Stock alerts by SMS when a device" in data and "Supply chain" in data
    assert any("Welch z-test" in c.value for c in app.caption)
    app.slider(key="actions_window").set_value(28).run()
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Change"] == "Significant rise" and "Before (28 days)" in tiles


def test_log_edit_and_delete_an_action_with_confirmation(app: AppTest) -> None:
    app.session_state["actions_tab"] = "Log and edit actions"  # the effect tab's queries are skipped while hidden
    hostile = "<b>Staff</b> trained =1+1 **now**"
    app.text_input(key="new_action_title").input(hostile)
    app.text_input(key="new_action_owner").input("Store ops")
    app.selectbox(key="new_action_status").set_value("in progress")
    app.date_input(key="new_action_date").set_value(date(2026, 9, 1))
    app.button(key="new_action_submit").click().run()
    assert not app.exception
    assert [s.value for s in app.success] == ["Action logged: it is marked on the chart in the first tab."]
    assert not app.metric  # the effect tab is hidden: its numbers are not computed
    assert app.text_input(key="new_action_title").value == ""  # an empty form for the next action
    table = app.dataframe[0].value
    assert hostile in table["title"].tolist()  # shown as typed
    assert not any(hostile in str(m.value) for m in app.markdown)
    new_id = int(table.loc[table["title"] == hostile, "action_id"].iloc[0])

    assert app.selectbox(key="actions_edit_pick").value == new_id  # the newest action is ready to edit
    app.text_input(key=f"edit_title_{new_id}").input("Staff trained on stock checks")
    app.selectbox(key=f"edit_status_{new_id}").set_value("done")
    app.button(key=f"edit_submit_{new_id}").click().run()
    assert [s.value for s in app.success] == [f"Action #{new_id} saved."]

    app.button(key="actions_delete").click().run()
    assert [w.value for w in app.warning] == [f"Delete action #{new_id}? This cannot be undone."]
    app.button(key="actions_delete_no").click().run()
    assert not app.warning
    app.button(key="actions_delete").click().run()
    app.button(key="actions_delete_yes").click().run()
    assert [s.value for s in app.success] == [f"Action #{new_id} deleted."]
    stored = _stored()
    assert [a.title for a in stored] == ["Stock alerts by SMS when a device is back in store"]


def test_logging_without_a_title_says_what_to_do(app: AppTest) -> None:
    app.text_input(key="new_action_owner").input("Store ops")
    app.button(key="new_action_submit").click().run()
    assert [e.value for e in app.error] == ["Could not log the action: An action needs a title (what was done): fill "
                                            "it in."]
    assert app.text_input(key="new_action_owner").value == "Store ops"  # what was typed stays, to fix and resend
    assert len(_stored()) == 1


def test_cli_lists_actions_with_their_effect(seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cx.__main__ import main

    assert main(["actions", "--dataset", "Retail sample", "--effect", "--json", "--db", str(seeded_db)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert set(row) == {"action_id", "dataset", "touchpoint", "unit", "title", "owner", "action_date", "status",
                        "note", "created_at", "effect"}
    assert (row["touchpoint"], row["action_date"], row["status"]) == ("Stock availability", "2026-06-01", "done")
    effect = row["effect"]
    assert set(effect) == {"action_id", "touchpoint", "unit", "action_date", "window_days", "before", "after", "diff",
                           "diff_low", "diff_high", "p", "significant", "verdict", "test"}
    assert set(effect["before"]) == {"from", "until", "n", "score", "low", "high", "mean", "low_n"}
    assert effect["verdict"] == "significant rise" and effect["significant"] is True
    assert effect["diff_low"] < effect["diff"] < effect["diff_high"]
    assert main(["actions", "--touchpoint", "Nowhere", "--db", str(seeded_db)]) == 0
    assert capsys.readouterr().out == "No actions logged.\n"
