"""Answers are clustered in respondents: answer-level intervals count people (CR1 sandwich standard error)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from cx import store
from cx.engines import store_engine
from cx.metrics import compute, touchpoint_stats
from cx.stats import Z95, wilson_interval


def _answers(rows: list[tuple[str, str, float]], lo: float, hi: float) -> pd.DataFrame:
    return pd.DataFrame([{"respondent": r, "touchpoint": t, "score": s, "scale_min": lo, "scale_max": hi}
                         for r, t, s in rows])


def _cr1_se(values: list[float], clusters: list[str]) -> float:
    """The cluster-robust (CR1) SE of an intercept-only regression, written as the sandwich (X'X)⁻¹ M (X'X)⁻¹."""
    y = np.asarray(values, dtype=float)
    x = np.ones((len(y), 1))
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    e = y - x @ beta
    meat = np.zeros((1, 1))
    groups = sorted(set(clusters))
    for g in groups:
        idx = [i for i, c in enumerate(clusters) if c == g]
        score = x[idx].T @ e[idx]
        meat += np.outer(score, score)
    bread = np.linalg.inv(x.T @ x)
    n_g = len(groups)
    cov = n_g / (n_g - 1) * bread @ meat @ bread
    return float(math.sqrt(cov[0, 0]))


def test_mean_score_se_counts_respondents(con: duckdb.DuckDBPyConnection) -> None:
    # r1 rates two touchpoints 10, r2 one 0, r3 three 5: six answers from three people (0–10 scale).
    rows = [("r1", "A", 10), ("r1", "B", 10), ("r2", "A", 0), ("r3", "A", 5), ("r3", "B", 5), ("r3", "C", 5)]
    store.save_dataset(con, "K", _answers(rows, 0, 10))
    (mean,) = compute(store_engine(con), ["mean_score"], dataset="K", min_n=1)
    values, clusters = [float(s) for _, _, s in rows], [r for r, _, _ in rows]
    expected = _cr1_se(values, clusters)
    # By hand: r = 35/6; residual totals 8.333, −5.833, −2.5; 3/2 × 109.72 / 36 = 4.5718 → SE 2.1382.
    assert expected == pytest.approx(2.1382, abs=1e-4)
    assert mean.value == pytest.approx(35 / 6)
    assert mean.se == pytest.approx(expected, rel=1e-12)
    assert (mean.low, mean.high) == pytest.approx((35 / 6 - Z95 * expected, 10.0))  # 10.02 is clipped to 0–10
    assert (mean.n, mean.respondents) == (6, 3)
    assert mean.sample == "n = 6 answers from 3 respondents"
    naive = float(np.std(values, ddof=1) / math.sqrt(len(values)))
    assert mean.se > naive  # treating six answers as six people understates the uncertainty


def test_one_answer_per_respondent_is_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    scores = [5, 4, 4, 3, 5, 2, 4, 5, 1, 4]  # the CSAT golden case, one answer each
    store.save_dataset(con, "C", _answers([(f"r{i}", "T", s) for i, s in enumerate(scores)], 1, 5))
    results = {r.metric: r for r in compute(store_engine(con), ["csat", "mean_score"], dataset="C", min_n=1)}
    low, high = wilson_interval(7, 10)
    assert (results["csat"].low, results["csat"].high) == pytest.approx((100 * low, 100 * high))  # type: ignore[operator]
    score10 = [10 * (s - 1) / 4 for s in scores]
    assert results["mean_score"].se == pytest.approx(np.std(score10, ddof=1) / math.sqrt(10))
    assert results["mean_score"].sample == "n = 10"


def test_share_interval_uses_the_effective_sample_size(con: duckdb.DuckDBPyConnection) -> None:
    # r1 and r2 satisfied at both touchpoints, r3 and r4 at neither: 4 of 8 answers, but really 2 of 4 people.
    rows = [(r, t, s) for r, s in (("r1", 5), ("r2", 5), ("r3", 1), ("r4", 1)) for t in ("A", "B")]
    store.save_dataset(con, "S", _answers(rows, 1, 5))
    (csat,) = compute(store_engine(con), ["csat"], dataset="S", min_n=1)
    y = [1.0 if s >= 4 else 0.0 for _, _, s in rows]
    se = _cr1_se(y, [r for r, _, _ in rows])
    assert csat.value == 50.0 and csat.se == pytest.approx(100 * se)
    simple = 0.25 / 7  # p(1 − p) / (n − 1)
    effective = 8 * simple / se**2  # 8 answers / design effect
    # By hand: totals 2, 2, 0, 0 of 2 each; residuals ±1; var = 4/3 × 4 / 64 = 1/12; 8 × (0.25/7) × 12 = 24/7.
    assert se**2 == pytest.approx(1 / 12) and effective == pytest.approx(24 / 7)
    low, high = wilson_interval(0.5 * effective, effective)
    assert (csat.low, csat.high) == pytest.approx((100 * low, 100 * high))  # type: ignore[operator]
    assert csat.high - csat.low > 100 * (wilson_interval(4, 8)[1] - wilson_interval(4, 8)[0])  # type: ignore[operator]


def test_small_n_counts_respondents(con: duckdb.DuckDBPyConnection) -> None:
    # 40 answers from 4 people: below a minimum of 30 respondents, however many answers.
    rows = [(f"r{i % 4}", f"T{i}", float(i % 11)) for i in range(40)]
    store.save_dataset(con, "L", _answers(rows, 0, 10))
    (mean,) = compute(store_engine(con), ["mean_score"], dataset="L", min_n=30)
    assert mean.n == 40 and mean.respondents == 4 and mean.low_n


def test_per_touchpoint_rows_carry_respondents(con: duckdb.DuckDBPyConnection) -> None:
    # r1 answered touchpoint A twice (a repeat visit): the touchpoint's interval counts one person once.
    rows = [("r1", "A", 10), ("r1", "A", 8), ("r2", "A", 2), ("r3", "A", 6)]
    store.save_dataset(con, "P", _answers(rows, 0, 10))
    stats = touchpoint_stats(store_engine(con), "P").iloc[0]
    assert (stats["n"], stats["respondents"]) == (4, 3)
    assert stats["se"] == pytest.approx(_cr1_se([10, 8, 2, 6], ["r1", "r1", "r2", "r3"]))


def test_ces_follows_a_reversed_scale(con: duckdb.DuckDBPyConnection) -> None:
    # "How much effort did it take?" where 7 = hardest: every answer 7 is the worst effort, not the best.
    hard = _answers([(f"r{i}", "Returns", 7.0) for i in range(5)], 1, 7).assign(reversed=True)
    store.save_dataset(con, "E", hard)
    results = {r.metric: r for r in compute(store_engine(con), ["ces", "ces_easy"], dataset="E", min_n=1)}
    assert results["ces"].value == 1.0 and results["ces_easy"].value == 0.0
    store.save_dataset(con, "F", _answers([("a", "Returns", 2.0), ("b", "Returns", 6.0)], 1, 7).assign(reversed=True))
    (ces,) = compute(store_engine(con), ["ces"], dataset="F", min_n=1)
    assert ces.value == pytest.approx(((1 + 7 - 2) + (1 + 7 - 6)) / 2)  # 6 and 2 → mean 4
