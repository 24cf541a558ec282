"""Answer and outcome metrics by a response column in one query: the same numbers as one query per table.

Without filters, `metrics.compute` reads the respondent × group pairs once (the answer side's first
level) and joins the outcomes to them; with a filter, a segment or no grouping it keeps one query per
table. The fixture is small enough to check every number by hand (0–10 scale, so a score is its 0–10
score):

    respondent  touchpoint  score  channel  answered    recommend  churned
    a           Web         8      web      2026-01-10  10 (P)     0
    a           Web         6      web      2026-01-20
    a           Store       10     store    2026-02-05
    b           Web         4      web      2026-01-15  3 (D)      1
    b           Store       2      store    (undated)
    c           Store       6      (none)   2026-02-10  9 (P)      0
    c           Call        (none) phone    2026-02-11
    d           Call        9      phone    2026-01-05  8          0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import pytest

from cx import metrics, store
from cx.engines import store_engine
from cx.metrics import Filter, MetricResult, compute

DATASET = "Fused"
WANTED = ["responses", "mean_score", "nps", "churn_rate"]


@pytest.fixture
def fused_db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    answers = pd.DataFrame({
        "respondent": ["a", "a", "a", "b", "b", "c", "c", "d"],
        "touchpoint": ["Web", "Web", "Store", "Web", "Store", "Store", "Call", "Call"],
        "score": [8.0, 6.0, 10.0, 4.0, 2.0, 6.0, None, 9.0],
        "channel": ["web", "web", "store", "web", "store", None, "phone", "phone"],
        "answered_at": pd.to_datetime(["2026-01-10", "2026-01-20", "2026-02-05", "2026-01-15", None,
                                       "2026-02-10", "2026-02-11", "2026-01-05"]),
    }).assign(scale_min=0.0, scale_max=10.0)
    people = ["a", "b", "c", "d"]
    outcomes = pd.concat([
        pd.DataFrame({"respondent": people, "outcome": "Recommend", "kind": "nps", "role": None,
                      "value": [10.0, 3.0, 9.0, 8.0], "scale_min": 0.0, "scale_max": 10.0}),
        pd.DataFrame({"respondent": people, "outcome": "Churned", "kind": "binary", "role": "churn",
                      "value": [0.0, 1.0, 0.0, 0.0], "scale_min": 0.0, "scale_max": 1.0}),
    ])
    segments = pd.DataFrame({"respondent": people, "name": "plan", "value": ["gold", "gold", "basic", "basic"]})
    store.save_dataset(con, DATASET, answers, outcomes=outcomes, segments=segments)
    return con


@pytest.fixture
def fused_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Return the `by` of every computation that took the one-query path (filled as compute runs)."""
    calls: list[str] = []
    real: Callable[..., Any] = metrics._fused

    def spy(engine: Any, answer_defs: Any, outcome_defs: Any, dataset: Any, by: str) -> Any:
        calls.append(by)
        return real(engine, answer_defs, outcome_defs, dataset, by)

    monkeypatch.setattr(metrics, "_fused", spy)
    return calls


def _per_table(monkeypatch: pytest.MonkeyPatch, run: Callable[[], list[MetricResult]]) -> list[MetricResult]:
    """Return what `run` computes with one query per table (the path used before the pairs were shared)."""
    with monkeypatch.context() as m:
        m.setattr(metrics, "_shares_pairs", lambda *args: False)
        return run()


def _table(results: list[MetricResult]) -> dict[tuple[str, str | None], tuple[Any, ...]]:
    return {(r.metric, r.group): (r.value, r.n, r.respondents, r.se) for r in results}


@pytest.mark.parametrize("by", ["touchpoint", "channel", "month"])
@pytest.mark.parametrize("names", [WANTED, None, ["csat", "nps"]])
def test_one_query_gives_exactly_the_per_table_results(
    fused_db: duckdb.DuckDBPyConnection, fused_calls: list[str], monkeypatch: pytest.MonkeyPatch,
    by: str, names: list[str] | None,
) -> None:
    engine = store_engine(fused_db)

    def run() -> list[MetricResult]:
        return compute(engine, names, dataset=DATASET, by=by)

    fused = run()
    assert fused_calls == [by]
    before = _per_table(monkeypatch, run)
    assert fused_calls == [by]  # the comparison really ran the per-table path
    assert fused == before  # every field: values, intervals, n, respondents, parts, order


def test_by_touchpoint_by_hand(fused_db: duckdb.DuckDBPyConnection, fused_calls: list[str]) -> None:
    got = _table(compute(store_engine(fused_db), WANTED, dataset=DATASET, by="touchpoint"))
    assert fused_calls == ["touchpoint"]
    # Web: a answered twice (8 + 6 = 14 of 2), b once (4): mean 18 / 3 = 6; clustered by respondent,
    # Σ(Y − 6·N)² = (14 − 12)² + (4 − 6)² = 8, variance 2/1 · 8 / 3² = 16/9, SE 4/3.
    assert got[("responses", "Web")] == (3.0, 3, None, None)
    assert got[("mean_score", "Web")] == (6.0, 3, 2, pytest.approx(4 / 3))
    assert got[("mean_score", "Store")][:3] == (6.0, 3, 3)  # 10, 2, 6 from a, b, c
    assert got[("mean_score", "Call")][:3] == (9.0, 1, 1)  # c's Call answer has no score
    # NPS counts each respondent once in every touchpoint they answered (scored or not).
    assert got[("nps", "Web")][:2] == (0.0, 2)  # a promoter, b detractor
    assert got[("nps", "Store")][:2] == (pytest.approx(100 / 3), 3)  # a, c promoters, b detractor
    assert got[("nps", "Call")][:2] == (50.0, 2)  # c promoter (unscored answer), d passive
    # A second outcome per respondent (churn) does not count anyone twice in NPS, nor NPS in churn.
    assert [got[("churn_rate", tp)][:2] for tp in ("Call", "Store", "Web")] == [
        (0.0, 2), (pytest.approx(100 / 3), 3), (50.0, 2)]


def test_by_channel_and_month_by_hand(fused_db: duckdb.DuckDBPyConnection, fused_calls: list[str]) -> None:
    engine = store_engine(fused_db)
    by_channel = _table(compute(engine, ["mean_score", "nps"], dataset=DATASET, by="channel"))
    # c's Store answer has no channel: a group of its own for the answers, none for NPS.
    assert {k: v[:2] for k, v in by_channel.items()} == {
        ("mean_score", None): (6.0, 1), ("mean_score", "phone"): (9.0, 1), ("mean_score", "store"): (6.0, 2),
        ("mean_score", "web"): (6.0, 3),
        ("nps", "phone"): (50.0, 2), ("nps", "store"): (0.0, 2), ("nps", "web"): (0.0, 2)}
    by_month = _table(compute(engine, ["mean_score", "nps"], dataset=DATASET, by="month"))
    # An undated answer's respondent is counted in the undated group on both sides (b: 2, detractor).
    assert {k: v[:2] for k, v in by_month.items()} == {
        ("mean_score", None): (2.0, 1), ("mean_score", "2026-01"): (6.75, 4), ("mean_score", "2026-02"): (8.0, 2),
        ("nps", None): (-100.0, 1), ("nps", "2026-01"): (0.0, 3), ("nps", "2026-02"): (100.0, 2)}
    assert fused_calls == ["channel", "month"]


def test_a_filtered_view_keeps_each_tables_own_pairs(
    fused_db: duckdb.DuckDBPyConnection, fused_calls: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = store_engine(fused_db)

    def run() -> list[MetricResult]:
        return compute(engine, ["mean_score", "nps"], dataset=DATASET, by="touchpoint",
                       filters=[Filter("channel", "in", ["web"])])

    got = run()
    assert fused_calls == []
    assert got == _per_table(monkeypatch, run)
    # Only the web answers are scored (all at Web), but a and b, who pass the filter, count in NPS at
    # every touchpoint they answered: Store too. The answer side's pairs would have lost Store.
    assert {k: v[:2] for k, v in _table(got).items()} == {
        ("mean_score", "Web"): (6.0, 3), ("nps", "Store"): (0.0, 2), ("nps", "Web"): (0.0, 2)}


@pytest.mark.parametrize(("names", "by"), [
    (WANTED, None),  # no groups: no pairs to share
    (WANTED, "segment:plan"),  # both sides take the group from the segment
    (["responses", "nps"], "touchpoint"),  # no answer metric groups by respondent
    (["mean_score", "csat"], "touchpoint"),  # one table only
])
def test_other_views_keep_one_query_per_table(
    fused_db: duckdb.DuckDBPyConnection, fused_calls: list[str], names: list[str], by: str | None,
) -> None:
    results = compute(store_engine(fused_db), names, dataset=DATASET, by=by)
    assert fused_calls == []
    if by == "segment:plan":
        # gold: a and b (a promoter, b detractor); basic: c promoter, d passive.
        assert [(r.group, r.value, r.n) for r in results if r.metric == "nps"] == [
            ("basic", 50.0, 2), ("gold", 0.0, 2)]


@pytest.mark.parametrize("by", ["touchpoint", "month"])
def test_one_query_on_data_sets_missing_a_side(
    con: duckdb.DuckDBPyConnection, fused_calls: list[str], monkeypatch: pytest.MonkeyPatch, by: str,
) -> None:
    recommend = pd.DataFrame({"respondent": ["a"], "outcome": "Recommend", "kind": "nps", "value": [9.0],
                              "scale_min": 0.0, "scale_max": 10.0})
    store.save_dataset(con, "No outcomes", pd.DataFrame({
        "respondent": ["a", "b"], "touchpoint": "Web", "score": [7.0, 8.0], "scale_min": 0.0, "scale_max": 10.0}))
    store.save_dataset(con, "No answers", pd.DataFrame(columns=["respondent", "touchpoint", "score", "scale_min",
                                                                 "scale_max"]), outcomes=recommend)
    engine = store_engine(con)
    for dataset in ("No outcomes", "No answers"):
        def run(dataset: str = dataset) -> list[MetricResult]:
            return compute(engine, ["mean_score", "nps"], dataset=dataset, by=by)

        got = run()
        assert got == _per_table(monkeypatch, run)
        nps = [r for r in got if r.metric == "nps"]
        # No pair meets an outcome: NPS is one unavailable result, never 0 (the answer-less respondent a
        # has no touchpoint or month to be counted in).
        assert [(r.group, r.value, r.n) for r in nps] == [(None, None, 0)] and nps[0].reason
    assert fused_calls == [by, by]
