"""Journey scores: the product-launch golden case and the rules for weak, low-n and unscored."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from cx import journeys, seed, store
from cx.engines import store_engine
from cx.models import Journey, JourneyStep
from tests.conftest import golden_csv


@pytest.fixture
def launch(con: duckdb.DuckDBPyConnection):
    seed.restore_product_launch(con)
    return journeys.journey_scores(con, "Product launch")


def test_product_launch_matches_the_golden_case(launch, expected) -> None:
    golden = expected["B4_product_launch"]
    case = golden_csv("journey_case.csv")
    assert [t.touchpoint for t in launch.touchpoints] == case["touchpoint"].tolist()
    assert [t.score for t in launch.touchpoints][1:] == golden["scores_tp2_to_tp5"]
    assert launch.aggregate == pytest.approx(golden["mean_tp2_5"], abs=1e-4)
    assert [t.position for t in launch.weak] == [2, 5]


def test_touchpoint_one_stays_unscored(launch) -> None:
    first = launch.touchpoints[0]
    assert (first.touchpoint, first.score, first.source, first.weak, first.n) == (
        "Product innovation", None, "none", False, 0)


def test_hides_sentence(launch) -> None:
    assert journeys.hides_sentence(launch) == (
        "The average of 6.0 hides 2 weak touchpoints: Electronics store (3.0) and Out of stock (1.0)")


def test_records_for_the_command_line(launch) -> None:
    records = journeys.touchpoint_records(launch)
    assert [(r["position"], r["score"], r["weak"]) for r in records] == [
        (1, None, False), (2, 3.0, True), (3, 10.0, False), (4, 10.0, False), (5, 1.0, True)]
    assert records[1]["mean"] == 3.0 and records[1]["scale"] == [0.0, 10.0]


def _journey(*names: str, targets: dict[str, float] | None = None) -> Journey:
    targets = targets or {}
    return Journey(name="J", steps=tuple(
        JourneyStep(i, n, target=targets.get(n)) for i, n in enumerate(names, start=1)))


def _responses(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    store.save_dataset(con, "D", frame)


def test_response_scores_are_normalised_with_interval_and_low_n(con: duckdb.DuckDBPyConnection) -> None:
    # Store: 40 answers on 1-5 (20 fours, 20 twos); Web: 5 answers on 0-10, all 8.
    frame = pd.concat([
        pd.DataFrame({"respondent": [f"s{i}" for i in range(40)], "touchpoint": "Store",
                      "score": [4.0] * 20 + [2.0] * 20, "scale_min": 1.0, "scale_max": 5.0}),
        pd.DataFrame({"respondent": [f"w{i}" for i in range(5)], "touchpoint": "Web",
                      "score": 8.0, "scale_min": 0.0, "scale_max": 10.0}),
    ])
    _responses(con, frame)
    scores = journeys.score_journey(_journey("Store", "Web", "Phone"), engine=store_engine(con), dataset="D")
    store_tp, web, phone = scores.touchpoints
    assert store_tp.mean == 3.0 and store_tp.score == pytest.approx(5.0) and store_tp.n == 40
    # sd of 0-10 scores (7.5 x20, 2.5 x20) = 2.5 * sqrt(40/39); half-width 1.959964 * sd / sqrt(40)
    half = 1.959964 * 2.5 * (40 / 39) ** 0.5 / 40 ** 0.5
    assert store_tp.low == pytest.approx(5.0 - half) and store_tp.high == pytest.approx(5.0 + half)
    assert not store_tp.low_n
    assert web.n == 5 and web.low_n and not web.weak
    assert phone.score is None and phone.source == "none"
    # Low-n touchpoints still count in the aggregate but are never called weak.
    assert scores.aggregate == pytest.approx(6.5)
    assert [t.touchpoint for t in scores.weak] == ["Store"]


def test_target_makes_a_touchpoint_weak(con: duckdb.DuckDBPyConnection) -> None:
    journey = _journey("A", "B", targets={"B": 9.5})
    scores = journeys.score_journey(journey, assessment={"A": (9.0, 1), "B": (9.0, 1)})
    assert [t.weak for t in scores.touchpoints] == [False, True]
    assert scores.touchpoints[1].weak_reason == "below target (9.0 vs 9.5)"


def test_margin_decides_clearly_below(con: duckdb.DuckDBPyConnection) -> None:
    journey = _journey("A", "B")
    assessment = {"A": (7.0, 1), "B": (6.0, 1)}  # aggregate 6.5; B is 0.5 below
    assert journeys.score_journey(journey, assessment=assessment).weak == ()
    assert [t.touchpoint for t in journeys.score_journey(journey, assessment=assessment, margin=0.5).weak] == ["B"]


def test_sentences_for_no_scores_and_no_weak_points() -> None:
    assert "No touchpoint" in journeys.hides_sentence(journeys.score_journey(_journey("A")))
    calm = journeys.score_journey(_journey("A", "B"), assessment={"A": (7.0, 1), "B": (7.0, 1)})
    assert journeys.hides_sentence(calm).startswith("The average of 7.0 hides no weak touchpoint")


def test_dataset_scores_follow_a_stored_journey_order(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.DataFrame({"respondent": ["a", "b", "c"], "touchpoint": ["Zeta", "Alpha", "Mid"],
                          "score": [5.0, 5.0, 5.0], "scale_min": 1.0, "scale_max": 5.0})
    _responses(con, frame)
    assert [t.touchpoint for t in journeys.dataset_scores(con, "D").touchpoints] == ["Alpha", "Mid", "Zeta"]
    store.save_journey(con, Journey(name="Order", dataset="D", steps=(JourneyStep(1, "Zeta"), JourneyStep(2, "Alpha"))))
    assert [t.touchpoint for t in journeys.dataset_scores(con, "D").touchpoints] == ["Zeta", "Alpha", "Mid"]


def test_hostile_names_are_data_not_sql(con: duckdb.DuckDBPyConnection) -> None:
    name = "x'); DROP TABLE responses; --"
    frame = pd.DataFrame({"respondent": ["a"], "touchpoint": [name], "score": [4.0],
                          "scale_min": 1.0, "scale_max": 5.0})
    store.save_dataset(con, name, frame)
    scores = journeys.dataset_scores(con, name)
    assert scores.touchpoints[0].touchpoint == name
    assert store.table_counts(con)["responses"] == 1


def _even_scores(con: duckdb.DuckDBPyConnection, answers: dict[str, int]) -> None:
    """Store `answers[t]` answers of 8 on 0–10 for each touchpoint t."""
    _responses(con, pd.concat([
        pd.DataFrame({"respondent": [f"{t}{i}" for i in range(n)], "touchpoint": t, "score": 8.0,
                      "scale_min": 0.0, "scale_max": 10.0}) for t, n in answers.items()]))


def test_too_few_answers_everywhere_is_not_a_success(con: duckdb.DuckDBPyConnection) -> None:
    # Three respondents: nothing can be judged, so the page must not say "hides no weak touchpoint" in green.
    _even_scores(con, {"Store": 3, "Web": 2})
    scores = journeys.score_journey(_journey("Store", "Web"), engine=store_engine(con), dataset="D")
    assert journeys.hides_sentence(scores) == (
        "The average of 8.0 cannot show a weak touchpoint yet: every scored touchpoint has fewer than 30 answers.")
    assert journeys.hides_tone(scores) == "info"


def test_no_weak_touchpoint_names_those_too_small_to_judge(con: duckdb.DuckDBPyConnection) -> None:
    _even_scores(con, {"Store": 40, "Web": 5})
    scores = journeys.score_journey(_journey("Store", "Web", "Phone"), engine=store_engine(con), dataset="D")
    assert journeys.hides_sentence(scores) == (
        "The average of 8.0 hides no weak touchpoint among those with 30 answers or more; 1 touchpoint has "
        "fewer and cannot be judged yet: Web (n=5).")
    assert journeys.hides_tone(scores) == "success"
    # only judged touchpoints in the journey: the plain sentence
    scores = journeys.score_journey(_journey("Store"), engine=store_engine(con), dataset="D")
    assert journeys.hides_sentence(scores) == (
        "The average of 8.0 hides no weak touchpoint: every scored touchpoint is near or above it.")


def test_weak_touchpoints_are_a_warning_and_nothing_scored_is_info(launch, con: duckdb.DuckDBPyConnection) -> None:
    assert journeys.hides_tone(launch) == "warning"
    empty = journeys.score_journey(_journey("Nobody"), engine=store_engine(con), dataset=None)
    assert empty.aggregate is None and journeys.hides_tone(empty) == "info"
