"""The outcome is always a metric: per respondent, with its interval, dates or not."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cx import store
from cx.__main__ import main
from cx.engines import store_engine
from cx.metrics import outcome_results
from cx.stats import Z95, nps_value, wilson_interval

PEOPLE = [f"p{i}" for i in range(10)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An undated survey: 10 passengers rate 3 services; 4 are satisfied; a class segment; a 0–10 recommend."""
    path = tmp_path_factory.mktemp("outcome") / "cx.duckdb"
    con = store.connect(path)
    answers = pd.DataFrame([{"respondent": p, "touchpoint": t, "score": float((i + j) % 6), "scale_min": 0.0,
                             "scale_max": 5.0} for i, p in enumerate(PEOPLE) for j, t in enumerate("ABC")])
    satisfied = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    recommend = [10.0, 9.0, 3.0, 7.0, 10.0, 6.0, 8.0, 9.0, 2.0, 5.0]
    outcomes = pd.concat([
        pd.DataFrame({"respondent": PEOPLE, "outcome": "Satisfied", "kind": "binary", "value": satisfied,
                      "scale_min": 0.0, "scale_max": 1.0}),
        pd.DataFrame({"respondent": PEOPLE, "outcome": "Recommend", "kind": "nps", "value": recommend,
                      "scale_min": 0.0, "scale_max": 10.0}),
        pd.DataFrame({"respondent": PEOPLE, "outcome": "Overall", "kind": "score", "value": [float(v % 5 + 1)
                      for v in range(10)], "scale_min": 1.0, "scale_max": 5.0}),
    ])
    segments = pd.DataFrame({"respondent": PEOPLE, "name": "Class", "value": ["Eco"] * 6 + ["Business"] * 4})
    store.save_dataset(con, "Airline", answers, outcomes=outcomes, segments=segments)
    con.close()
    return path


def test_every_outcome_is_a_metric_counted_in_respondents(db: Path) -> None:
    con = store.connect(db)
    found = {r.outcome: r for r in outcome_results(store_engine(con), "Airline", min_n=5)}
    con.close()
    satisfied = found["Satisfied"]
    low, high = wilson_interval(4, 10)
    assert (satisfied.value, satisfied.n, satisfied.kind) == (40.0, 10, "binary")  # 10 people, not 30 answers
    assert (satisfied.low, satisfied.high) == pytest.approx((100 * low, 100 * high))  # type: ignore[operator]
    nps, se = nps_value(4, 4, 10)  # promoters 10, 9, 10, 9; detractors 3, 6, 2, 5
    assert found["Recommend"].value == pytest.approx(nps) and found["Recommend"].se == pytest.approx(se)
    overall = found["Overall"]  # 1, 2, 3, 4, 5, 1, 2, 3, 4, 5 on 1–5
    sd = pd.Series([1, 2, 3, 4, 5] * 2).std()
    assert overall.value == 3.0 and overall.scale == (1.0, 5.0)
    assert (overall.low, overall.high) == pytest.approx((3 - Z95 * sd / 10**0.5, 3 + Z95 * sd / 10**0.5))


def test_cli_prints_one_outcome_object_each_also_by_segment(db: Path, capsys) -> None:
    assert main(["metrics", "--dataset", "Airline", "--json", "--db", str(db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    outcomes = [r for r in rows if r["metric"] == "outcome"]
    assert rows[: len(outcomes)] == outcomes  # the outcome comes first
    satisfied = next(r for r in outcomes if r["outcome"] == "Satisfied")
    assert {"metric", "outcome", "kind", "value", "low", "high", "n"} <= set(satisfied)
    assert (satisfied["kind"], satisfied["value"], satisfied["n"]) == ("binary", 40.0, 10)
    assert main(["metrics", "--dataset", "Airline", "--metric", "outcome", "--by", "Class", "--json",
                 "--db", str(db)]) == 0
    by_class = json.loads(capsys.readouterr().out)
    assert {(r["outcome"], r["Class"]): r["value"] for r in by_class if r["outcome"] == "Satisfied"} == {
        ("Satisfied", "Business"): 25.0, ("Satisfied", "Eco"): 50.0}  # p7 of p6–p9; p0, p1, p4 of p0–p5
    assert all(r["metric"] == "outcome" for r in by_class)
