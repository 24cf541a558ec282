"""Workshops: join codes, votes (replace, isolation, concurrency), closing into an assessment, team vs customers."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import seed, store, workshop
from cx.errors import InvalidInput, NotFound
from cx.models import Journey, JourneyStep
from cx.workshop import Vote

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/10_Workshop.py"
TEN = [f"T{i}" for i in range(1, 11)]


def _journey(con: duckdb.DuckDBPyConnection, name: str = "Ten", touchpoints: list[str] = TEN,
             dataset: str | None = None) -> str:
    steps = tuple(JourneyStep(position=i, touchpoint=t, stage="interaction") for i, t in enumerate(touchpoints, 1))
    store.save_journey(con, Journey(name=name, dataset=dataset, steps=steps))
    return name


# ---------------------------------------------------------------- codes and links


def test_join_codes_are_short_and_avoid_look_alike_characters() -> None:
    codes = {workshop.new_code() for _ in range(200)}
    assert all(len(c) == 5 and set(c) <= set(workshop.JOIN_ALPHABET) for c in codes)
    assert not set("0O1IL2Z5S8B") & set(workshop.JOIN_ALPHABET)
    assert len(codes) > 190  # random, not a counter


@pytest.mark.parametrize(("typed", "code"), [("k7mqd", "K7MQD"), (" K7M-QD ", "K7MQD"), ("k7 mq d", "K7MQD")])
def test_a_typed_code_is_normalised(typed: str, code: str) -> None:
    assert workshop.normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "K7MQ", "K7MQDD", "B7MQD", "K0MQD", "K7MQ;"])
def test_a_wrong_code_says_what_a_code_looks_like(typed: str) -> None:
    with pytest.raises(InvalidInput, match="is not a workshop code: a code is 5 letters and digits"):
        workshop.normalise_code(typed)


@pytest.mark.parametrize(("url", "link"), [
    ("http://10.0.0.5:8501/Workshop", "http://10.0.0.5:8501/Workshop?code=K7MQD"),
    ("https://cx.example.org/team/Workshop", "https://cx.example.org/team/Workshop?code=K7MQD"),
    ("https://cx.example.org/team/", "https://cx.example.org/team/Workshop?code=K7MQD"),
    (None, "/Workshop?code=K7MQD"),
])
def test_join_link_points_at_the_workshop_page(url: str | None, link: str) -> None:
    assert workshop.join_link(url, "K7MQD") == link


def test_local_links_are_recognised_and_the_qr_code_is_a_png() -> None:
    assert workshop.is_local_link("http://localhost:8501/Workshop?code=K7MQD")
    assert workshop.is_local_link("/Workshop?code=K7MQD")
    assert not workshop.is_local_link("http://192.168.1.20:8501/Workshop?code=K7MQD")
    assert workshop.join_qr_png("http://192.168.1.20:8501/Workshop?code=K7MQD").startswith(b"\x89PNG\r\n")


def test_participant_ids_are_random_hex() -> None:
    ids = {workshop.new_participant_id() for _ in range(50)}
    assert len(ids) == 50 and all(workshop.is_participant_id(i) for i in ids)
    assert not workshop.is_participant_id("../../etc") and not workshop.is_participant_id(None)


# ---------------------------------------------------------------- sessions and votes


def test_votes_are_tallied_in_journey_order_with_mean_and_spread(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con, touchpoints=["Store", "Checkout", "Delivery"])
    code = workshop.start_workshop(con, "Ten").code
    for pid, score in (("a", 3), ("b", 5), ("c", 10)):
        workshop.cast_votes(con, code, pid, {"Checkout": Vote(score)})
    workshop.cast_votes(con, code, "a", {"Store": Vote(7, "  friendly  ")}, display_name=" Ann ")
    frame = workshop.tally(con, code)
    assert frame["touchpoint"].tolist() == ["Store", "Checkout", "Delivery"]
    assert frame["votes"].tolist() == [1, 3, 0]
    checkout = frame.iloc[1]
    assert checkout["mean"] == 6.0 and checkout["lowest"] == 3.0 and checkout["highest"] == 10.0
    assert checkout["spread"] == pytest.approx(math.sqrt(26 / 3))  # population SD of 3, 5, 10
    assert math.isnan(frame.iloc[2]["mean"])
    assert workshop.workshop_assessment(con, code) == {"Store": (7.0, 1), "Checkout": (6.0, 3)}
    assert workshop.participant_count(con, code) == 3
    notes = workshop.comments(con, code)
    assert notes[["touchpoint", "name", "score", "comment"]].values.tolist() == [["Store", "Ann", 7.0, "friendly"]]
    name, mine = workshop.participant_votes(con, code, "a")
    assert name == "Ann" and mine == {"Checkout": Vote(3.0), "Store": Vote(7.0, "friendly")}


def test_voting_again_replaces_the_earlier_vote(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    workshop.cast_votes(con, code, "p", {"T1": Vote(2, "meh"), "T2": Vote(4)}, display_name="Bo")
    workshop.cast_votes(con, code, "p", {"T1": Vote(9)}, display_name="Bea")
    rows = con.execute("SELECT touchpoint, score, comment, display_name FROM workshop_votes ORDER BY 1").fetchall()
    assert rows == [("T1", 9.0, None, "Bea"), ("T2", 4.0, None, "Bea")]  # one name per participant


def test_two_workshops_at_once_do_not_mix_votes(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    first = workshop.start_workshop(con, "Ten").code
    second = workshop.start_workshop(con, "Ten").code
    assert first != second
    workshop.cast_votes(con, first, "p", {"T1": Vote(2)})
    workshop.cast_votes(con, second, "p", {"T1": Vote(8)})  # the same participant id in another room
    assert workshop.workshop_assessment(con, first) == {"T1": (2.0, 1)}
    assert workshop.workshop_assessment(con, second) == {"T1": (8.0, 1)}
    workshop.close_workshop(con, first)
    assert workshop.get_workshop(con, second).is_open
    assert store.assessments(con, "Ten", f"workshop {first}") == {"T1": (2.0, 1)}
    assert store.assessments(con, "Ten", f"workshop {second}") == {}
    assert [w.code for w in workshop.list_workshops(con, status=workshop.OPEN)] == [second]


@pytest.mark.parametrize(("votes", "message"), [
    ({"T1": Vote(11)}, "The score of 'T1' is 11: scores go from 0 to 10"),
    ({"T1": Vote(-1)}, "scores go from 0 to 10"),
    ({"T1": Vote(float("nan"))}, "scores go from 0 to 10"),
    ({"Nope": Vote(5)}, "does not score 'Nope'"),
    ({"T1": Vote(5, "x" * 501)}, "comment on 'T1' is 501 characters long"),
])
def test_bad_votes_are_refused_and_nothing_is_stored(
    con: duckdb.DuckDBPyConnection, votes: dict[str, Vote], message: str
) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    with pytest.raises(InvalidInput, match=message):
        workshop.cast_votes(con, code, "p", {"T2": Vote(5), **votes})
    assert workshop.participant_count(con, code) == 0  # all or nothing: T2 was not stored either


def test_unknown_workshops_and_journeys_are_named(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotFound, match="There is no workshop with code 'K7MQD'"):
        workshop.get_workshop(con, "K7MQD")
    with pytest.raises(NotFound, match="There is no workshop with code 'K7MQD'"):
        workshop.cast_votes(con, "K7MQD", "p", {"T1": Vote(5)})
    with pytest.raises(NotFound, match="No journey named 'Nope'"):
        workshop.start_workshop(con, "Nope")


def test_closing_saves_the_assessment_and_refuses_later_votes(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    workshop.cast_votes(con, code, "a", {"T1": Vote(2), "T3": Vote(9)})
    workshop.cast_votes(con, code, "b", {"T1": Vote(5)})
    assert workshop.close_workshop(con, code) == {"T1": (3.5, 2), "T3": (9.0, 1)}
    assert store.assessments(con, "Ten", f"workshop {code}") == {"T1": (3.5, 2), "T3": (9.0, 1)}
    session = workshop.get_workshop(con, code)
    assert session.status == "closed" and session.closed_at is not None
    with pytest.raises(workshop.WorkshopClosed, match=f"Workshop {code} is closed: it takes no more votes"):
        workshop.cast_votes(con, code, "a", {"T1": Vote(10)})
    with pytest.raises(workshop.WorkshopClosed, match="already closed"):
        workshop.close_workshop(con, code)
    assert workshop.workshop_assessment(con, code) == {"T1": (3.5, 2), "T3": (9.0, 1)}  # the late vote is not in


def test_closing_a_workshop_nobody_voted_in_saves_no_assessment(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    assert workshop.close_workshop(con, code) == {}
    assert workshop.assessment_sources(con, "Ten") == []


def test_live_scores_mark_weak_points_as_on_the_journey_page(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    code = workshop.start_workshop(con, seed.PRODUCT_LAUNCH).code
    workshop.cast_votes(con, code, "a", {"Electronics store": Vote(3), "Marketing": Vote(10),
                                         "Product purchase": Vote(10), "Out of stock": Vote(1)})
    scores = workshop.live_scores(con, code)
    assert scores.aggregate == 6.0
    assert [t.touchpoint for t in scores.weak] == ["Electronics store", "Out of stock"]
    assert scores.touchpoints[0].score is None  # nobody scored it: "no score", not 0


def test_a_journey_without_touchpoints_cannot_start_a_workshop(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    con.execute("DELETE FROM journey_steps")
    with pytest.raises(InvalidInput, match="has no touchpoints to score"):
        workshop.start_workshop(con, "Ten")


# ---------------------------------------------------------------- concurrency


def _run_threads(count: int, target, *args: object) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i, *args)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def test_thirty_participants_times_ten_touchpoints_at_once_store_every_vote_exactly_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code

    def participant(i: int) -> None:
        cursor = con.cursor()  # each simulated session has its own cursor, as on the page
        try:
            for j, tp in enumerate(TEN):
                workshop.cast_votes(cursor, code, f"p{i:02d}", {tp: Vote((i + j) % 11)}, display_name=f"P{i}")
            for j, tp in enumerate(TEN[:5]):  # half of them change their mind
                workshop.cast_votes(cursor, code, f"p{i:02d}", {tp: Vote((i * j) % 11)}, display_name=f"P{i}")
        finally:
            cursor.close()

    assert _run_threads(30, participant) == []
    stored = con.execute("SELECT participant, touchpoint, score FROM workshop_votes WHERE code = ?", [code]).df()
    assert len(stored) == 300
    assert not stored.duplicated(["participant", "touchpoint"]).any()
    expected = {(f"p{i:02d}", tp): float((i * j) % 11 if j < 5 else (i + j) % 11)
                for i in range(30) for j, tp in enumerate(TEN)}
    assert {(r.participant, r.touchpoint): r.score for r in stored.itertuples()} == expected
    assert workshop.tally(con, code)["votes"].tolist() == [30] * 10


def test_closing_while_votes_arrive_loses_nothing_that_was_acknowledged(con: duckdb.DuckDBPyConnection) -> None:
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    acknowledged: dict[tuple[str, str], float] = {}
    refused: list[str] = []
    lock = threading.Lock()
    started = threading.Event()

    def participant(i: int) -> None:
        cursor = con.cursor()
        try:
            for round_ in range(200):
                tp = TEN[(i + round_) % 10]
                score = float((i + round_) % 11)
                try:
                    workshop.cast_votes(cursor, code, f"p{i}", {tp: Vote(score)})
                except workshop.WorkshopClosed:
                    with lock:
                        refused.append(f"p{i}")
                    return
                with lock:  # the participant has now been told "saved"
                    acknowledged[(f"p{i}", tp)] = score
                started.set()
        finally:
            cursor.close()

    closer_result: dict[str, tuple[float, int]] = {}

    def closer(_: int) -> None:
        started.wait(10)
        cursor = con.cursor()
        closer_result.update(workshop.close_workshop(cursor, code))
        cursor.close()

    errors: list[BaseException] = []
    voters = threading.Thread(target=lambda: errors.extend(_run_threads(12, participant)))
    voters.start()
    closer(0)
    voters.join(60)
    assert errors == []
    assert refused, "the close happened after every vote: the test did not overlap them"
    frame = pd.DataFrame([(tp, s) for (_, tp), s in acknowledged.items()], columns=["tp", "score"])
    expected = {tp: (g["score"].mean(), len(g)) for tp, g in frame.groupby("tp")}
    assert closer_result.keys() == expected.keys()
    for tp, (mean, votes) in expected.items():
        assert closer_result[tp][1] == votes and closer_result[tp][0] == pytest.approx(mean)
    stored = con.execute("SELECT participant, touchpoint, score FROM workshop_votes WHERE code = ?", [code]).fetchall()
    assert {(p, tp): s for p, tp, s in stored} == acknowledged  # nothing refused was stored


# ---------------------------------------------------------------- the team beside customers


@pytest.fixture
def rated(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A journey A, B, C over a data set where customers rate A 3.0, B 8.0 (0–10) and C 6.0 (n = 2)."""
    rows = pd.DataFrame({
        "respondent": [f"r{i}" for i in range(1, 11)],
        "touchpoint": ["A"] * 4 + ["B"] * 4 + ["C"] * 2,
        "score": [2.0, 4.0, 2.0, 4.0, 8.0, 8.0, 7.0, 9.0, 6.0, 6.0],
        "scale_min": 0.0, "scale_max": 10.0,
    })
    store.save_dataset(con, "Survey", rows)
    _journey(con, "Abc", ["A", "B", "C", "D"], dataset="Survey")
    return con


def test_assessment_gap_puts_the_team_beside_customers(rated: duckdb.DuckDBPyConnection) -> None:
    code = workshop.start_workshop(rated, "Abc").code
    workshop.cast_votes(rated, code, "x", {"A": Vote(8), "B": Vote(7), "C": Vote(1), "D": Vote(5)})
    workshop.cast_votes(rated, code, "y", {"A": Vote(8)})
    workshop.close_workshop(rated, code)
    report = workshop.assessment_gap(rated, "Abc", min_n=3)
    assert report.source == f"workshop {code}" and report.dataset == "Survey"
    frame = workshop.gap_frame(report)
    assert frame["team"].tolist() == [8.0, 7.0, 1.0, 5.0]
    assert frame["team_votes"].tolist() == [2, 1, 1, 1]
    assert frame["customers"].tolist()[:3] == [3.0, 8.0, 6.0] and math.isnan(frame["customers"].iloc[3])
    assert frame["n"].tolist() == [4, 4, 2, 0]
    assert frame["gap"].tolist()[:3] == [5.0, -1.0, -5.0]
    assert frame["status"].tolist() == ["ok", "ok", "low n (< 3)", "no customer answers"]
    # C's gap is as large, but only two customers answered: A is the finding.
    assert workshop.gap_sentence(report) == (
        "Biggest gap at A: the team says 8.0, customers say 3.0 (n = 4) — the team sees it rosier than customers do.")


def test_assessment_gap_defaults_to_the_newest_assessment(rated: duckdb.DuckDBPyConnection) -> None:
    store.save_assessment(rated, "Abc", {"A": 3.5, "B": 8.0})
    report = workshop.assessment_gap(rated, "Abc", min_n=3)
    assert report.source == "team"
    assert workshop.gap_sentence(report) == (
        "The team (team) and customers agree within a point on every touchpoint with enough answers.")
    code = workshop.start_workshop(rated, "Abc").code
    workshop.cast_votes(rated, code, "x", {"B": Vote(2)})
    workshop.close_workshop(rated, code)
    assert [s for s, _, _ in workshop.assessment_sources(rated, "Abc")] == [f"workshop {code}", "team"]
    assert workshop.assessment_gap(rated, "Abc", min_n=3).source == f"workshop {code}"
    assert workshop.assessment_gap(rated, "Abc", source="team", min_n=3).source == "team"
    assert "the team sees it harsher than customers do" in workshop.gap_sentence(
        workshop.assessment_gap(rated, "Abc", min_n=3))


def test_assessment_gap_explains_what_is_missing(rated: duckdb.DuckDBPyConnection) -> None:
    assert workshop.gap_sentence(workshop.assessment_gap(rated, "Abc")).startswith(
        "This journey has no assessment yet")
    store.save_assessment(rated, "Abc", {"A": 9.0})
    assert workshop.gap_sentence(workshop.assessment_gap(rated, "Abc")) == (
        "Every touchpoint with both scores has fewer than 30 customer answers: the comparison is not reliable yet.")
    _journey(rated, "Loose", ["A"])
    store.save_assessment(rated, "Loose", {"A": 9.0})
    assert "no customer feedback to compare with" in workshop.gap_sentence(workshop.assessment_gap(rated, "Loose"))
    with pytest.raises(NotFound, match="No data set named 'Gone'. Known data sets: Survey."):
        workshop.assessment_gap(rated, "Loose", dataset="Gone")
    _journey(rated, "Linked elsewhere", ["A"], dataset="Not here yet")
    store.save_assessment(rated, "Linked elsewhere", {"A": 9.0})
    report = workshop.assessment_gap(rated, "Linked elsewhere")
    assert report.dataset is None and "no customer feedback to compare with" in workshop.gap_sentence(report)


# ---------------------------------------------------------------- the page


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _text(at: AppTest, label: str):
    return next(t for t in at.text_input if t.label == label)


def test_page_runs_a_workshop_from_start_to_close(db: Path) -> None:
    facilitator = _page()
    facilitator.selectbox[0].set_value(seed.PRODUCT_LAUNCH)
    _button(facilitator, "Start a workshop").click().run()
    code = facilitator.query_params["code"]
    assert facilitator.query_params["view"] == "present"
    assert {m.label: m.value for m in facilitator.metric}["Join code"] == code
    assert f"/Workshop?code={code}" in facilitator.code[0].value
    assert facilitator.info[0].value == "No votes yet: participants join with the code above."

    phone = _page(code=code.lower())
    assert phone.title[0].value == f"Workshop {code}"
    me = phone.query_params["me"]
    assert workshop.is_participant_id(me)
    scores = phone.get("button_group")
    assert len(scores) == 5 and list(scores[1].options) == [str(i) for i in range(11)]
    scores[1].set_value(3)
    scores[4].set_value(1)
    _text(phone, "Your name (optional)").set_value("Ann")
    _text(phone, "Comment on Electronics store (optional)").set_value("staff cannot answer")
    _button(phone, "Send my scores").click().run()
    assert not phone.exception
    assert phone.success[0].value.startswith("Thank you! 2 scores saved at ")

    # A reload (new session, same link) keeps the identity: voting again replaces, never doubles.
    again = _page(code=code, me=me)
    assert [g.value for g in again.get("button_group")] == [None, 3, None, None, 1]
    assert _text(again, "Your name (optional)").value == "Ann"
    again.get("button_group")[1].set_value(4)
    _button(again, "Send my scores").click().run()
    assert "2 scores saved" in again.success[0].value

    facilitator.run()
    tiles = {m.label: m.value for m in facilitator.metric}
    assert tiles["Participants"] == "1" and tiles["Votes"] == "2" and tiles["Team average (0–10)"] == "2.5"
    table = facilitator.dataframe[0].value
    assert table["votes"].tolist() == [0, 1, 0, 0, 1]
    assert table["mean"].tolist()[1] == 4.0 and table["mean"].tolist()[4] == 1.0
    assert facilitator.dataframe[1].value["comment"].tolist() == ["staff cannot answer"]

    # Close (with confirmation) while the phone still shows the form.
    _button(facilitator, "Close the workshop…").click().run()
    assert any(w.value.startswith(f"Close workshop {code} now?") for w in facilitator.warning)
    _button(facilitator, "Yes, close and save").click().run()
    assert not facilitator.exception
    assert facilitator.success[0].value == f"Closed. 2 votes on 2 touchpoints saved as 'workshop {code}'."
    assert "no customer feedback to compare with" in facilitator.markdown[-1].value or any(
        "no customer feedback" in m.value for m in facilitator.markdown)

    again.get("button_group")[2].set_value(9)
    _button(again, "Send my scores").click().run()
    assert not again.exception and not again.success
    assert again.error[0].value == (f"Workshop {code} closed before your scores arrived: they were not counted. "
                                    "Thank you for taking part!")
    late = _page(code=code)
    assert late.info[0].value == "This workshop is closed. Thank you for taking part!"

    con = store.connect(db)
    assert store.assessments(con, seed.PRODUCT_LAUNCH, f"workshop {code}") == {
        "Electronics store": (4.0, 1), "Out of stock": (1.0, 1)}
    con.close()


def test_page_explains_a_wrong_code_instead_of_a_traceback(db: Path) -> None:
    at = _page(code="B0GUS")
    assert "Cannot open this workshop: 'B0GUS' is not a workshop code" in at.error[0].value
    at = _page(code="K7MQD")
    assert "There is no workshop with code 'K7MQD'" in at.error[0].value


def test_start_page_lists_running_workshops_and_joins_by_code(db: Path) -> None:
    con = store.connect(db)
    code = workshop.start_workshop(con, seed.PRODUCT_LAUNCH).code
    con.close()
    at = _page()
    assert any(m.value == f"**{code}**" for m in at.markdown)
    _button(at, "Present").click().run()
    assert at.query_params["code"] == code and at.query_params["view"] == "present"
    at = _page()
    _text(at, "Join a workshop").set_value(code.lower())
    _button(at, "Join").click().run()
    assert at.query_params["code"] == code and "view" not in at.query_params
    assert at.title[0].value == f"Workshop {code}"


def test_cli_lists_workshops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cx.__main__ import main

    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "never")  # no sample data: this test needs none
    _journey(con)
    code = workshop.start_workshop(con, "Ten").code
    workshop.cast_votes(con, code, "a", {"T1": Vote(4), "T2": Vote(6)})
    con.close()
    assert main(["workshops", "--db", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["journey"], r["status"], r["participants"], r["votes"]) for r in rows] == [
        (code, "Ten", "open", 1, 2)]


def test_closed_workshop_shows_the_team_beside_customers(db: Path) -> None:
    con = store.connect(db)
    code = workshop.start_workshop(con, "Retail store journey").code
    workshop.cast_votes(con, code, "a", {"Stock availability": Vote(9), "Checkout": Vote(7)})
    workshop.close_workshop(con, code)
    con.close()
    at = _page(code=code, view="present")
    assert at.info[0].value.startswith("This workshop closed at ") and f"'workshop {code}'" in at.info[0].value
    assert not [b for b in at.button if b.label == "Close the workshop…"]
    finding = next(m.value for m in at.markdown if "Biggest gap" in m.value).replace("\\", "")  # unescape
    assert finding.startswith("Biggest gap at Stock availability: the team says 9.0, customers say ")
    assert finding.endswith(") — the team sees it rosier than customers do.")
    gaps = at.dataframe[-1].value
    assert gaps.set_index("touchpoint").loc["Stock availability", "team"] == 9.0
    assert gaps.set_index("touchpoint").loc["Checkout", "team_votes"] == 1
