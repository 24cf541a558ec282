"""Alerts: both rule kinds on hand-built answers, re-arming, one alert per import, workshop close, webhooks to a
local server (sent, failing, unreachable, never blocking), the CLI's JSON, validation, and the Alerts and Actions
pages."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import actions, alerts, ingest, mapping, store, workshop
from cx.errors import InvalidInput, NotFound
from cx.models import Journey, JourneyStep
from tests.conftest import app_test_on, long_rows, no_exceptions

RULE_FIELDS = {"rule_id", "dataset", "touchpoint", "outcome", "kind", "threshold", "window", "webhook", "firing",
               "created_at"}
ALERT_FIELDS = {"alert_id", "rule_id", "dataset", "touchpoint", "outcome", "kind", "threshold", "window", "value", "n",
                "fired_at", "webhook_status", "webhook_attempts", "webhook_error", "action_id", "message"}


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No pause between webhook attempts, and every delivery finished before the next test."""
    monkeypatch.setattr(alerts, "WEBHOOK_BACKOFF", 0.0)
    yield
    assert alerts.wait_for_deliveries(30)


def answer(con: duckdb.DuckDBPyConnection, dataset: str, touchpoint: str, score: float, respondent: str,
           at: datetime | None = None, *, lo: float = 0, hi: float = 10) -> int:
    """Store one answer as a survey-link send does, then run the alerts; return how many fired."""
    store.insert_select(con, "responses", ("dataset", "respondent", "touchpoint", "score", "scale_min", "scale_max",
                                           "answered_at"), "SELECT ?, ?, ?, ?, ?, ?, ?",
                        [dataset, respondent, touchpoint, float(score), lo, hi, at])
    return alerts.on_answers(con, dataset, [touchpoint])


def shop(con: duckdb.DuckDBPyConnection, scores: list[float], *, lo: float = 0, hi: float = 10) -> None:
    store.save_dataset(con, "Shop", long_rows("Checkout", scores, lo, hi))


def fired(con: duckdb.DuckDBPyConnection) -> list[tuple[int, float | None, int]]:
    """Return (rule, value, n) of every fired alert, oldest first."""
    return [(a.rule_id, a.value, a.n) for a in reversed(alerts.fired_alerts(con))]


# ---------------------------------------------------------------- the two kinds


def test_at_most_fires_once_per_arrival_with_the_lowest_answer_and_the_count(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [9, 2, 7, 6, 10, 4])
    rule = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6)
    assert alerts.on_answers(con, "Shop") == 1  # the whole data set arrived: 2, 6 and 4 are at or below 6
    assert fired(con) == [(rule.rule_id, 2.0, 3)]
    # One send: only the answer just stored counts, not the earlier detractors.
    assert answer(con, "Shop", "Checkout", 8, "r7") == 0
    assert answer(con, "Shop", "Checkout", 6, "r8") == 1
    assert answer(con, "Shop", "Checkout", 5, "r9") == 1
    assert fired(con)[1:] == [(rule.rule_id, 6.0, 1), (rule.rule_id, 5.0, 1)]
    assert alerts.on_answers(con, "Shop", ["Other touchpoint"]) == 0


def test_below_fires_when_the_window_mean_drops_and_again_only_after_it_recovered(
        con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [8, 8])
    rule = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=5, window=3)
    assert alerts.on_answers(con, "Shop") == 0  # two answers: the window of 3 is not full yet
    steps = [(8, 0, False), (2, 0, False),  # 8 8 8 → 8; 8 8 2 → 6
             (1, 1, True),  # 8 2 1 → 3.67: fires
             (0, 0, True),  # 2 1 0 → 1: still low, no second alert
             (9, 0, True), (9, 0, False),  # 1 0 9 → 3.33 still low; 0 9 9 → 6: recovered, re-armed
             (1, 0, False), (0, 1, True)]  # 9 9 1 → 6.33; 9 1 0 → 3.33: a new drop, a new alert
    for i, (score, alerts_fired, firing) in enumerate(steps):
        assert answer(con, "Shop", "Checkout", score, f"s{i}") == alerts_fired, (i, score)
        assert alerts.get_rule(con, rule.rule_id).firing is firing, (i, score)
    assert [(v, n) for _, v, n in fired(con)] == [(pytest.approx(11 / 3), 3), (pytest.approx(10 / 3), 3)]


def test_the_last_n_answers_put_undated_ones_first_then_storage_order(con: duckdb.DuckDBPyConnection) -> None:
    frame = long_rows("Checkout", [1, 1, 9, 9, 1], 0, 10, answered_at=[
        None, None, datetime(2026, 2, 1), datetime(2026, 1, 1), datetime(2026, 1, 15)])
    store.save_dataset(con, "Shop", frame)
    two = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=5.5, window=2)
    three = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=5.5, window=3)
    five = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=5.5, window=5)
    assert alerts.on_answers(con, "Shop") == 2
    # Newest first: 9 (Feb), 1 (15 Jan), 9 (1 Jan), then the undated ones, the last stored first.
    assert fired(con) == [(two.rule_id, 5.0, 2), (five.rule_id, pytest.approx(21 / 5), 5)]
    assert not alerts.get_rule(con, three.rule_id).firing  # 9 1 9 → 6.33


def test_an_outcome_rule_reads_the_outcome_on_its_scale(con: duckdb.DuckDBPyConnection) -> None:
    outcomes = pd.DataFrame({"respondent": ["a", "b", "c", "d"], "outcome": "Recommend", "kind": "nps",
                             "value": [10.0, 3.0, 6.0, 9.0], "scale_min": 0.0, "scale_max": 10.0})
    store.save_dataset(con, "Shop", long_rows("Checkout", [5, 5, 5, 5], 1, 5), outcomes=outcomes)
    rule = alerts.add_rule(con, dataset="Shop", outcome="Recommend", kind=alerts.AT_MOST, threshold=6)
    assert alerts.on_answers(con, "Shop", respondents=["a", "c"]) == 1
    assert alerts.on_answers(con, "Shop", ["Checkout"]) == 0  # a send brings touchpoint answers, not outcomes
    assert alerts.on_answers(con, "Shop") == 1
    assert fired(con) == [(rule.rule_id, 6.0, 1), (rule.rule_id, 3.0, 2)]
    alert = alerts.fired_alerts(con)[0]
    assert (alert.touchpoint, alert.outcome, alert.message()) == (
        None, "Recommend", "Recommend: 2 answers at or below 6 on 0–10 (the lowest 3)")


# ---------------------------------------------------------------- where answers arrive


def test_an_import_of_a_thousand_rows_fires_one_alert_per_rule(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = "\n".join(f"r{i},Checkout,{i % 11}" for i in range(1000))
    path = tmp_path / "answers.csv"
    path.write_text("id,touchpoint,score\n" + rows + "\n", encoding="utf-8")
    spec = mapping.from_dict({"format": "long", "respondent": "id", "touchpoint": "touchpoint", "score": "score",
                              "scale": [0, 10]})
    store.save_dataset(con, "Shop", long_rows("Checkout", [10], 0, 10))
    at_most = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6)
    below = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=5, window=11)
    result, _, _ = ingest.ingest_file(con, path, spec, name="Shop", replace=True)
    assert result is not None and result.answers == 1000
    # 0 … 9 occur 91 times each and 10 90 times: 7 × 91 answers at or below 6, the lowest 0.
    # The last 11 (rows 989 … 999: 10, 0 … 9) average 5, not below 5: the mean rule stays quiet.
    assert fired(con) == [(at_most.rule_id, 0.0, 637)]
    assert not alerts.get_rule(con, below.rule_id).firing


def test_a_workshop_close_checks_its_votes_on_the_touchpoint_scale(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [5, 4, 5], lo=1, hi=5)
    store.save_journey(con, Journey(name="Shop journey", dataset="Shop",
                                    steps=(JourneyStep(position=1, touchpoint="Checkout"),
                                           JourneyStep(position=2, touchpoint="Delivery"))))
    low = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=2)
    mean = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=4, window=2)
    code = workshop.start_workshop(con, "Shop journey").code
    workshop.cast_votes(con, code, "p1", {"Checkout": workshop.Vote(2), "Delivery": workshop.Vote(0)})
    workshop.cast_votes(con, code, "p2", {"Checkout": workshop.Vote(8)})
    assert workshop.close_workshop(con, code)["Checkout"] == (5.0, 2)
    # 0–10 votes on 1–5: 1 + 2 × 0.4 = 1.8 and 1 + 8 × 0.4 = 4.2; their mean 3.0 is below 4.
    assert fired(con) == [(low.rule_id, pytest.approx(1.8), 1), (mean.rule_id, pytest.approx(3.0), 2)]
    assert not alerts.get_rule(con, mean.rule_id).firing  # a workshop leaves the customers' state alone


# ---------------------------------------------------------------- webhooks


class Hook:
    """A local webhook receiver: records each POST (content type, JSON body) and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[tuple[str, Any]] = []
        self.status = status
        self.hold = threading.Event()
        self.hold.set()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.headers["Content-Type"], json.loads(body)))
                hook.hold.wait(20)
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_webhook_gets_exactly_the_documented_fields(con: duckdb.DuckDBPyConnection, hook: Hook) -> None:
    shop(con, [9, 9])
    alerts.set_base_url(con, "https://cx.example.com/")
    rule = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6,
                           webhook=hook.url)
    assert answer(con, "Shop", "Checkout", 3, "r3") == 1
    assert alerts.wait_for_deliveries(30)
    (alert,) = alerts.fired_alerts(con)
    assert hook.received == [("application/json", {
        "rule": rule.rule_id, "dataset": "Shop", "touchpoint": "Checkout", "value": 3.0, "n": 1,
        "fired_at": alert.fired_at.isoformat(timespec="seconds") + "Z",
        "link": f"https://cx.example.com/Alerts?alert={alert.alert_id}"})]
    assert (alert.webhook_status, alert.webhook_attempts, alert.webhook_error) == ("sent", 1, None)


def test_an_outcome_alert_posts_its_outcome_too(con: duckdb.DuckDBPyConnection, hook: Hook) -> None:
    outcomes = pd.DataFrame({"respondent": ["a"], "outcome": "Churned", "kind": "binary", "value": [1.0],
                             "scale_min": None, "scale_max": None})
    store.save_dataset(con, "Shop", long_rows("Checkout", [5], 1, 5), outcomes=outcomes)
    alerts.add_rule(con, dataset="Shop", outcome="Churned", kind=alerts.BELOW, threshold=1, window=1, webhook=hook.url)
    alerts.add_rule(con, dataset="Shop", outcome="Churned", kind=alerts.AT_MOST, threshold=1, webhook=hook.url)
    assert alerts.on_answers(con, "Shop") == 1  # 1 (churned) is not below 1, but at or below it
    assert alerts.wait_for_deliveries(30)
    ((_, payload),) = hook.received
    assert set(payload) == {"rule", "dataset", "touchpoint", "value", "n", "fired_at", "link", "outcome"}
    assert (payload["touchpoint"], payload["outcome"], payload["value"], payload["link"]) == (
        None, "Churned", 1.0, "http://localhost:8501/Alerts?alert=1")


def test_a_failing_webhook_is_tried_three_times_and_the_answer_stays(con: duckdb.DuckDBPyConnection,
                                                                     hook: Hook) -> None:
    hook.status = 500
    shop(con, [9])
    alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6, webhook=hook.url)
    assert answer(con, "Shop", "Checkout", 1, "r2") == 1
    assert alerts.wait_for_deliveries(30)
    (alert,) = alerts.fired_alerts(con)
    assert (alert.webhook_status, alert.webhook_attempts, alert.webhook_error) == (
        "failed", 3, "HTTP 500 Internal Server Error")
    assert len(hook.received) == 3
    assert store.rows(con, "SELECT count(*) FROM responses WHERE dataset = 'Shop'") == [(2,)]

    hook.status = 404  # the receiver refuses: trying again will not help
    assert alerts.retry_webhooks(con) == 1
    assert alerts.wait_for_deliveries(30)
    alert = alerts.get_alert(con, alert.alert_id)
    assert (alert.webhook_status, alert.webhook_attempts, alert.webhook_error) == ("failed", 4, "HTTP 404 Not Found")
    hook.status = 200
    assert alerts.retry_webhooks(con) == 1
    assert alerts.wait_for_deliveries(30)
    assert alerts.get_alert(con, alert.alert_id).webhook_status == "sent"
    assert alerts.retry_webhooks(con) == 0


def test_an_unreachable_webhook_fails_after_three_attempts(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [9])
    alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6,
                    webhook=f"http://127.0.0.1:{unused_port()}/hook")
    assert answer(con, "Shop", "Checkout", 0, "r2") == 1
    assert alerts.wait_for_deliveries(30)
    (alert,) = alerts.fired_alerts(con)
    assert (alert.webhook_status, alert.webhook_attempts) == ("failed", 3)
    assert alert.webhook_error is not None and alert.webhook_error.startswith("cannot connect: ")


def test_the_answer_returns_while_the_webhook_is_still_being_delivered(con: duckdb.DuckDBPyConnection,
                                                                       hook: Hook) -> None:
    hook.hold.clear()  # the receiver takes the request and does not answer yet
    shop(con, [9])
    alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6, webhook=hook.url)
    assert answer(con, "Shop", "Checkout", 2, "r2") == 1  # returned: nothing waited for the receiver
    assert alerts.fired_alerts(con)[0].webhook_status == "pending"
    hook.hold.set()
    assert alerts.wait_for_deliveries(30)
    assert alerts.fired_alerts(con)[0].webhook_status == "sent"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"dataset": "Nope"}, NotFound, "--dataset 'Nope': there is no such data set. Known: 'Shop'."),
    ({"touchpoint": "Till"}, NotFound, "--touchpoint 'Till': data set 'Shop' has no such touchpoint. Known: "
                                       "'Checkout'."),
    ({"touchpoint": None}, InvalidInput, "--touchpoint/--outcome: give the touchpoint or the outcome to watch"),
    ({"outcome": "NPS"}, InvalidInput, "--touchpoint/--outcome: give the touchpoint or the outcome"),
    ({"threshold": 6.5}, InvalidInput, "--at-most: 6.5 is outside the scale of touchpoint 'Checkout' (1–5): give a "
                                       "number from 1 to 5. Thresholds are on its own scale."),
    ({"threshold": float("nan")}, InvalidInput, "--at-most: nan is not a number"),
    ({"kind": "below", "window": 0}, InvalidInput, "--window: 0 is not a number of answers: give a whole number "
                                                   "from 1 to 100,000 (default 10)."),
    ({"window": 5}, InvalidInput, "--window: a window of answers applies to 'below' rules only"),
    ({"kind": "under"}, InvalidInput, "--below/--at-most: a rule is 'at_most'"),
    ({"webhook": "ftp://hooks.example.com/x"}, InvalidInput, "--webhook: give an http:// or https:// address"),
    ({"webhook": "https://"}, InvalidInput, "--webhook: give an http:// or https:// address"),
    ({"webhook": "https://a.example/ x"}, InvalidInput, "--webhook: give an http:// or https:// address"),
])
def test_a_bad_rule_names_the_field_and_the_fix(con: duckdb.DuckDBPyConnection, kwargs: dict[str, Any],
                                                error: type[Exception], message: str) -> None:
    shop(con, [5, 4], lo=1, hi=5)
    given = {"dataset": "Shop", "touchpoint": "Checkout", "kind": alerts.AT_MOST, "threshold": 2.0, **kwargs}
    with pytest.raises(error) as raised:
        alerts.add_rule(con, **given)
    assert str(raised.value).startswith(message)
    assert alerts.rules(con) == []


def test_page_labels_name_the_fields_as_the_page_does(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [5], lo=1, hi=5)
    with pytest.raises(InvalidInput, match=r"^X: 9 is outside the scale"):
        alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.BELOW, threshold=9,
                        fields=alerts.PAGE_FIELDS)


def test_mixed_scales_a_live_touchpoint_and_a_duplicate(con: duckdb.DuckDBPyConnection) -> None:
    store.save_dataset(con, "Shop", pd.concat([long_rows("Checkout", [5], 1, 5), long_rows("Checkout", [9], 0, 10)]))
    with pytest.raises(InvalidInput, match=r"was asked on several scales \(0–10, 1–5\)"):
        alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=2)
    store.record_dataset(con, "Live", source="survey links", kind="live", rows_read=0, rows_loaded=0,
                         rows_rejected=0)
    rule = alerts.add_rule(con, dataset="Live", touchpoint=" Front desk ", kind=alerts.AT_MOST, threshold=6)
    assert (rule.touchpoint, rule.window, rule.webhook) == ("Front desk", None, None)  # no answer yet: 0–10
    with pytest.raises(InvalidInput, match=f"Rule #{rule.rule_id} already watches this"):
        alerts.add_rule(con, dataset="Live", touchpoint="Front desk", kind=alerts.AT_MOST, threshold=6)
    with pytest.raises(InvalidInput, match="outside the scale of touchpoint 'Front desk' \\(0–10\\)"):
        alerts.add_rule(con, dataset="Live", touchpoint="Front desk", kind=alerts.AT_MOST, threshold=11)


def test_an_alert_becomes_an_action_once(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [2])
    alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6)
    alerts.on_answers(con, "Shop")
    (alert,) = alerts.fired_alerts(con, open_only=True)
    action_id = alerts.make_action(con, alert.alert_id, owner="Store ops")
    made = actions.get_action(con, action_id)
    assert (made.dataset, made.touchpoint, made.owner, made.status, made.title) == (
        "Shop", "Checkout", "Store ops", "planned", "Follow up alert #1 — Checkout: 1 answer at or below 6 on "
                                                    "0–10 (the lowest 2)")
    assert alerts.get_alert(con, alert.alert_id).action_id == action_id
    assert alerts.fired_alerts(con, open_only=True) == []
    with pytest.raises(InvalidInput, match=f"Alert #1 is already action #{action_id}"):
        alerts.make_action(con, alert.alert_id)


def test_deleting_a_rule_keeps_its_alerts(con: duckdb.DuckDBPyConnection) -> None:
    shop(con, [2])
    rule = alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6)
    alerts.on_answers(con, "Shop")
    alerts.delete_rule(con, rule.rule_id)
    (alert,) = alerts.fired_alerts(con)
    assert (alert.kind, alert.message()) == (None, "Checkout: value 2 on 0–10, n = 1 (its rule #1 was deleted)")
    with pytest.raises(NotFound, match="No alert rule #1"):
        alerts.delete_rule(con, rule.rule_id)


# ---------------------------------------------------------------- command line


def _db(tmp_path: Path) -> Path:
    """Return a database file with the data set 'Shop' (Checkout 9, 2 on 0–10) and nothing seeded."""
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    shop(con, [9, 2])
    con.close()
    return path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    from cx.__main__ import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip().startswith(("[", "{")) else out, err


def test_cli_adds_lists_and_deletes_rules_and_lists_alerts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(_db(tmp_path))
    code, rule, _ = _cli(capsys, "alerts", "add", "--dataset", "Shop", "--touchpoint", "Checkout", "--below", "6",
                         "--window", "2", "--webhook", "https://hooks.example.com/cx", "--base-url",
                         "https://cx.example.com", "--json", "--db", db)
    assert code == 0 and set(rule) == RULE_FIELDS
    assert {k: rule[k] for k in RULE_FIELDS - {"created_at"}} == {
        "rule_id": 1, "dataset": "Shop", "touchpoint": "Checkout", "outcome": None, "kind": "below",
        "threshold": 6.0, "window": 2, "webhook": "https://hooks.example.com/cx", "firing": False}
    code, listed, _ = _cli(capsys, "alerts", "rules", "--json", "--db", db)
    assert code == 0 and listed == [rule]
    code, text, _ = _cli(capsys, "alerts", "rules", "--db", db)
    assert text == "#1 Shop: Checkout: the mean of the last 2 answers below 6  -> https://hooks.example.com/cx\n"

    code, _, _ = _cli(capsys, "alerts", "add", "--dataset", "Shop", "--touchpoint", "Checkout", "--at-most", "6",
                      "--json", "--db", db)
    con = store.connect(db)
    alerts.on_answers(con, "Shop")
    assert alerts.base_url(con) == "https://cx.example.com"
    con.close()
    assert alerts.wait_for_deliveries(30)  # the unreachable example webhook is tried in the background
    code, fired_alerts, _ = _cli(capsys, "alerts", "list", "--json", "--db", db)
    assert code == 0 and [set(a) for a in fired_alerts] == [ALERT_FIELDS, ALERT_FIELDS]
    assert [(a["rule_id"], a["value"], a["n"], a["action_id"]) for a in fired_alerts] == [(2, 2.0, 1, None),
                                                                                          (1, 5.5, 2, None)]
    assert fired_alerts[0]["message"] == "Checkout: 1 answer at or below 6 on 0–10 (the lowest 2)"
    assert fired_alerts[0]["webhook_status"] is None and fired_alerts[1]["webhook_status"] == "failed"
    code, _, _ = _cli(capsys, "alerts", "delete", "--rule", "1", "--db", db)
    code, listed, _ = _cli(capsys, "alerts", "rules", "--json", "--db", db)
    assert [r["rule_id"] for r in listed] == [2]


@pytest.mark.parametrize(("argv", "message"), [
    (["--touchpoint", "Checkout", "--below", "6", "--at-most", "6"],
     "cx alerts add: argument --at-most: not allowed with argument --below (see --help)"),
    (["--touchpoint", "Checkout"], "cx alerts add: one of the arguments --below --at-most is required (see --help)"),
    (["--below", "6"], "cx alerts add: one of the arguments --touchpoint --outcome is required (see --help)"),
    (["--touchpoint", "Checkout", "--at-most", "11"],
     "cx alerts: --at-most: 11 is outside the scale of touchpoint 'Checkout' (0–10): give a number from 0 to 10. "
     "Thresholds are on its own scale."),
    (["--touchpoint", "Till", "--at-most", "6"],
     "cx alerts: --touchpoint 'Till': data set 'Shop' has no such touchpoint. Known: 'Checkout'."),
    (["--touchpoint", "Checkout", "--below", "6", "--window", "0"],
     "cx alerts: --window: 0 is not a number of answers: give a whole number from 1 to 100,000 (default 10)."),
    (["--touchpoint", "Checkout", "--at-most", "6", "--webhook", "file:///etc/passwd"],
     "cx alerts: --webhook: give an http:// or https:// address with a host and no spaces (at most 2,000 "
     "characters), e.g. https://hooks.example.com/cx."),
])
def test_cli_refuses_a_bad_rule_in_one_line_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        argv: list[str], message: str) -> None:
    db = str(_db(tmp_path))
    with pytest.raises(SystemExit) if "(see --help)" in message else _no_exit():
        code, _, err = _cli(capsys, "alerts", "add", "--dataset", "Shop", *argv, "--db", db)
        assert code == 2 and err == message + "\n"
    if "(see --help)" in message:
        assert capsys.readouterr().err == message + "\n"


class _no_exit:  # noqa: N801 (a context manager standing in for pytest.raises)
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: Any) -> None:
        return None


# ---------------------------------------------------------------- pages


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    return _db(tmp_path)


def _fire(db: Path, *, webhook: str | None = None) -> None:
    """Add an at-most-6 rule on Shop's Checkout (with `webhook`) and let a 1 arrive; wait for its delivery."""
    con = store.connect(db)
    try:
        alerts.add_rule(con, dataset="Shop", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6, webhook=webhook)
        assert answer(con, "Shop", "Checkout", 1, "r3") == 1
    finally:
        con.close()
    assert alerts.wait_for_deliveries(30)


def _open(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page).run()
    no_exceptions(at)
    return at


def test_alerts_page_adds_a_rule_shows_its_alert_and_makes_an_action(shop_db: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with app_test_on(shop_db, monkeypatch) as at:
        _open(at, "pages/14_Alerts.py")
        infos = [i.value for i in at.info]
        assert "No alert has fired yet. Add a rule below: it is checked when the next answers arrive." in infos
        assert "No rule yet: add one below." in infos
        assert at.selectbox(key="alert_target_Touchpoint_Shop").value == "Checkout"
        assert "Its scale: 0–10. X is on this scale." in [c.value for c in at.caption]
        x = at.number_input(key=X_AT_MOST)
        assert (x.label, x.value) == ("X (0–10)", 6.0)  # a detractor on 0–10
        at.number_input(key=X_AT_MOST).set_value(5.0)
        at.text_input(key="alert_webhook").input("ftp://hooks.example.com")
        at.button(key="alert_add").click().run()
        assert [e.value for e in at.error] == [ui_escaped(
            "Could not add the rule: Webhook URL: give an http:// or https:// address with a host and no spaces (at "
            "most 2,000 characters), e.g. https://hooks.example.com/cx.")]
        at.text_input(key="alert_webhook").input("")
        at.button(key="alert_add").click().run()
        assert [s.value for s in at.success] == [ui_escaped(
            "Rule #1 added — Shop: Checkout: an answer at or below 5. It is checked whenever answers arrive.")]
        rules_table = at.dataframe[0].value
        assert rules_table[["rule", "state"]].values.tolist() == [["Checkout: an answer at or below 5",
                                                                  "fires on each low answer"]]

        con = store.connect(shop_db)
        assert answer(con, "Shop", "Checkout", 1, "r3") == 1
        con.close()
        at.run()
        table = at.dataframe[0].value
        assert table[["message", "value", "n", "webhook"]].values.tolist() == [
            ["Checkout: 1 answer at or below 5 on 0–10 (the lowest 1)", 1.0, 1, "no webhook"]]
        assert "Fired alerts waiting for an action: 1" in [c.value for c in at.caption]
        (waiting,) = [e for e in at.expander if e.label.startswith("Alert #")]
        assert waiting.label.startswith(ui_escaped("Alert #1 · Checkout: 1 answer at or below 5 on 0–10 (the lowest "
                                                   "1) · "))
        assert at.text_input(key="alerts_page_title_1").value == \
            "Follow up alert #1 — Checkout: 1 answer at or below 5 on 0–10 (the lowest 1)"
        at.text_input(key="alerts_page_owner_1").input("Store ops")
        at.button(key="alerts_page_make_1").click().run()
        no_exceptions(at)
        assert [s.value for s in at.success] == [ui_escaped("Action #1 made from alert #1: it is on the Actions page.")]
        assert at.dataframe[0].value["action_id"].tolist() == [1]
        assert "No fired alert is waiting for an action." in [c.value for c in at.caption]

        # Deleting asks first; "Keep it" keeps it.
        at.button(key="alerts_rule_delete").click().run()
        assert [w.value for w in at.warning] == [
            "Delete rule #1? It stops watching; the alerts it fired and their actions stay."]
        assert len(at.dataframe[1].value) == 1
        at.button(key="alerts_rule_delete_no").click().run()
        assert not at.warning and len(at.dataframe[1].value) == 1
        at.button(key="alerts_rule_delete").click().run()
        at.button(key="alerts_rule_delete_yes").click().run()
        assert [s.value for s in at.success] == [ui_escaped("Rule #1 deleted; the alerts it fired stay.")]
        assert "No rule yet: add one below." in [i.value for i in at.info]

    con = store.connect(shop_db)
    (made,) = actions.list_actions(con)
    assert (made.owner, made.touchpoint, made.dataset) == ("Store ops", "Checkout", "Shop")
    con.close()


X_AT_MOST = "alert_x_Shop_Touchpoint_Checkout_at_most"


def test_alerts_page_starts_x_on_the_scale_of_the_target_picked(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.connect(tmp_path / "two.duckdb")
    store.set_setting(con, "seeded_at", "test")
    store.save_dataset(con, "Five", long_rows("Delivery", [1, 5], 1, 5))
    store.save_dataset(con, "Ten", long_rows("Checkout", [2, 9], 0, 10))
    con.close()
    with app_test_on(tmp_path / "two.duckdb", monkeypatch) as at:
        _open(at, "pages/14_Alerts.py")
        assert at.selectbox(key="alert_dataset").value == "Five"
        x = at.number_input(key="alert_x_Five_Touchpoint_Delivery_at_most")
        assert (x.label, x.value) == ("X (1–5)", 2.0)  # the bottom two scores
        at.selectbox(key="alert_dataset").set_value("Ten").run()
        x = at.number_input(key="alert_x_Ten_Touchpoint_Checkout_at_most")
        assert (x.label, x.value) == ("X (0–10)", 6.0)  # not the 2 of the 1–5 touchpoint
        at.radio(key="alert_kind").set_value(alerts.BELOW).run()
        assert at.number_input(key="alert_x_Ten_Touchpoint_Checkout_below").value == 5.0  # the middle
        at.number_input(key="alert_n").set_value(2)
        at.button(key="alert_add").click().run()
        no_exceptions(at)
        assert [s.value for s in at.success] == [ui_escaped(
            "Rule #1 added — Ten: Checkout: the mean of the last 2 answers below 5. It is checked whenever answers "
            "arrive.")]
        assert at.dataframe[0].value["state"].tolist() == ["watching the mean"]


def ui_escaped(text: str) -> str:
    from cx import exports

    return exports.escape_markdown(text)


def test_alerts_page_shows_a_failed_webhook_with_its_address_error_and_fix(shop_db: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    port = unused_port()
    _fire(shop_db, webhook=f"http://127.0.0.1:{port}/hook")
    with app_test_on(shop_db, monkeypatch) as at:
        at.query_params["alert"] = "1"
        _open(at, "pages/14_Alerts.py")
        table = at.dataframe[0].value
        assert table[["webhook_status", "webhook_attempts"]].values.tolist() == [["failed", 3]]
        assert table["webhook_error"].iloc[0].startswith("cannot connect: ")
        assert table["webhook"].iloc[0] == f"failed after 3 attempts: {table['webhook_error'].iloc[0]}"
        (warning,) = [w.value for w in at.warning]
        assert warning == ui_escaped(
            f"1 webhook delivery failed after 3 attempts — http://127.0.0.1:{port}/hook: "
            f"{table['webhook_error'].iloc[0]}. Check that the receiver is running and reachable from this server "
            "(or delete the rule and add it with the right webhook), then retry. The alerts themselves are kept.")
        assert at.button(key="alerts_retry")


def test_actions_page_turns_a_fired_alert_into_an_action(shop_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fire(shop_db)
    with app_test_on(shop_db, monkeypatch) as at:
        _open(at, "pages/8_Actions.py")
        assert "Fired alerts waiting for an action: 1" in [c.value for c in at.caption]
        at.text_input(key="actions_alerts_owner_1").input("Front of store")
        at.button(key="actions_alerts_make_1").click().run()
        no_exceptions(at)
        assert ui_escaped("Action #1 made from alert #1: it is on the Actions page.") in [s.value for s in at.success]
        assert "No fired alert is waiting for an action." in [c.value for c in at.caption]
    con = store.connect(shop_db)
    (made,) = actions.list_actions(con)
    assert (made.owner, made.title) == ("Front of store",
                                        "Follow up alert #1 — Checkout: 1 answer at or below 6 on 0–10 (the "
                                        "lowest 1)")
    assert alerts.get_alert(con, 1).action_id == made.action_id
    con.close()


def test_alerts_page_on_an_empty_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "empty.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    con.close()
    with app_test_on(path, monkeypatch) as at:
        at.run()
        # The home page stops on an empty database before its links; the Alerts page opens by itself.
        at.switch_page("pages/14_Alerts.py").run()
        no_exceptions(at)
        assert [i.value for i in at.info][-1] == ("There is no data set yet: import one on the Upload page, or "
                                                  "create survey links on the Feedback page.")
