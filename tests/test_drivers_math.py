"""Driver-analysis math: relative weights, IPA quadrants, fix-first list, two-group tests.

Golden numbers come from GOLDENS.md (copied into tests/fixtures/goldens). Independent checks
recompute R² by least squares and Shapley values by brute force over all subsets, here in
the test, without going through cx.drivers.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from cx.drivers import (
    FIX_FIRST,
    FIX_FIRST_ORDER,
    FIX_FIRST_RULE,
    KEEP_UP,
    LOW_PRIORITY,
    NEGATIVE,
    NEGATIVE_DRIVER,
    POSITIVE,
    POSSIBLE_OVERKILL,
    QUADRANTS,
    SUPPRESSOR,
    CorrelationSummary,
    DriverAnalysis,
    DriverInputError,
    bootstrap_importance,
    consistent_correlations,
    difference_test,
    drivers_from_summary,
    fix_first,
    ipa_quadrant,
    mean_difference_test,
    nearest_correlation,
    nps_difference_test,
    pseudo_r2_note,
    r2_reading,
    relative_weights,
    relative_weights_from_data,
    respondents_resampled,
    touchpoint_caution,
)
from cx.errors import CxError

GOLDENS = Path(__file__).parent / "fixtures" / "goldens"
RW_PREDICTORS = ("x1_staff", "x2_speed", "x3_price")
GOLD = 5e-5  # "to 4 decimals"


def _rw_case() -> tuple[np.ndarray, np.ndarray]:
    with (GOLDENS / "rw_case.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    x = np.array([[float(r[p]) for p in RW_PREDICTORS] for r in rows])
    y = np.array([float(r["y_overall"]) for r in rows])
    return x, y


def _standardise(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(axis=0)) / a.std(axis=0)


def _ols_r2(x: np.ndarray, y: np.ndarray, columns: tuple[int, ...]) -> float:
    """R² of y on the given columns, by least squares on standardised data."""
    if not columns:
        return 0.0
    zx, zy = _standardise(x[:, list(columns)]), _standardise(y)
    coef, *_ = np.linalg.lstsq(zx, zy, rcond=None)
    resid = zy - zx @ coef
    return float(1 - resid @ resid / (zy @ zy))


def _shapley(x: np.ndarray, y: np.ndarray) -> list[float]:
    """General dominance: each predictor's R² gain averaged over all orders (all subsets)."""
    k = x.shape[1]
    r2 = {s: _ols_r2(x, y, s) for size in range(k + 1) for s in itertools.combinations(range(k), size)}
    values = []
    for j in range(k):
        others = [i for i in range(k) if i != j]
        total = 0.0
        for size in range(k):
            weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for subset in itertools.combinations(others, size):
                total += weight * (r2[tuple(sorted((*subset, j)))] - r2[subset])
        values.append(total)
    return values


# ---------------------------------------------------------------- relative weights: goldens


def test_relative_weights_golden_case() -> None:
    x, y = _rw_case()
    rw = relative_weights_from_data(x, y, list(RW_PREDICTORS))
    assert rw.predictors == RW_PREDICTORS
    assert rw.raw == pytest.approx([0.2455, 0.1397, 0.0400], abs=GOLD)
    assert rw.r2 == pytest.approx(0.4251, abs=GOLD)
    assert [100 * s for s in rw.shares] == pytest.approx([57.7371, 32.8639, 9.3991], abs=GOLD)
    assert rw.betas == pytest.approx([0.4487, 0.2626, 0.0945], abs=GOLD)
    assert rw.correlations == pytest.approx([0.5917, 0.5004, 0.2990], abs=GOLD)
    assert sum(rw.raw) == pytest.approx(rw.r2, abs=1e-12)
    assert sum(rw.shares) == pytest.approx(1.0, abs=1e-12)
    assert rw.ranked()[0] == ("x1_staff", rw.shares[0])
    assert rw.share_of("x3_price") == rw.shares[2]


def test_relative_weights_from_the_engine_correlations() -> None:
    # The published (rounded) correlation matrix, as the engine would hand it over.
    rxx = np.array([[1.0, 0.4554, 0.2484], [0.4554, 1.0, 0.3544], [0.2484, 0.3544, 1.0]])
    rxy = np.array([0.5917, 0.5004, 0.2990])
    rw = relative_weights(rxx, rxy, RW_PREDICTORS)
    assert rw.raw == pytest.approx([0.2455, 0.1397, 0.0400], abs=5e-4)
    assert rw.r2 == pytest.approx(0.4251, abs=5e-4)
    assert np.linalg.eigvalsh(rxx)[::-1] == pytest.approx([1.7122, 0.7632, 0.5246], abs=GOLD)


def test_shapley_matches_golden_and_is_close_to_relative_weights() -> None:
    x, y = _rw_case()
    shapley = _shapley(x, y)
    assert shapley == pytest.approx([0.2447, 0.1411, 0.0393], abs=GOLD)
    assert sum(shapley) == pytest.approx(_ols_r2(x, y, (0, 1, 2)), abs=1e-10)
    rw = relative_weights_from_data(x, y, RW_PREDICTORS)
    assert rw.raw == pytest.approx(shapley, abs=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_sum_of_raw_weights_is_ols_r2(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 150, 2 + seed % 4
    mixing = rng.normal(size=(k, k))
    x = rng.normal(size=(n, k)) @ mixing  # correlated touchpoints
    y = x @ rng.normal(size=k) + rng.normal(scale=2.0, size=n)
    rw = relative_weights_from_data(x, y, [f"t{j}" for j in range(k)])
    assert sum(rw.raw) == pytest.approx(_ols_r2(x, y, tuple(range(k))), abs=1e-10)
    assert rw.r2 == pytest.approx(_ols_r2(x, y, tuple(range(k))), abs=1e-10)
    coef, *_ = np.linalg.lstsq(_standardise(x), _standardise(y), rcond=None)
    assert rw.betas == pytest.approx(coef, abs=1e-10)
    assert all(e >= 0 for e in rw.raw)


def test_synthetic_structure_is_ranked_as_designed() -> None:
    rng = np.random.default_rng(42)
    n = 3000
    dominant = rng.normal(size=n)
    irrelevant = rng.normal(size=n)
    base = rng.normal(size=n)
    twin_a = base + rng.normal(scale=0.3, size=n)
    twin_b = base + rng.normal(scale=0.3, size=n)
    y = 2.0 * dominant + 0.7 * base + rng.normal(size=n)
    names = ["twin_a", "irrelevant", "dominant", "twin_b"]
    rw = relative_weights_from_data(np.column_stack([twin_a, irrelevant, dominant, twin_b]), y, names)
    order = [name for name, _ in rw.ranked()]
    assert order[0] == "dominant"
    assert order[-1] == "irrelevant"
    assert rw.share_of("irrelevant") < 0.02
    assert rw.share_of("twin_a") == pytest.approx(rw.share_of("twin_b"), abs=0.03)
    assert rw.share_of("twin_a") > 0.05


# ---------------------------------------------------------------- relative weights: edge cases


def test_perfectly_collinear_touchpoints_do_not_crash() -> None:
    rng = np.random.default_rng(7)
    n = 200
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    x = np.column_stack([a, 2 * a + 3, b])  # touchpoint 2 is touchpoint 1 on another scale
    y = a + 0.5 * b + rng.normal(size=n)
    rw = relative_weights_from_data(x, y, ["web", "app", "phone"])
    assert all(math.isfinite(v) for v in (*rw.raw, *rw.shares, *rw.betas, rw.r2))
    assert sum(rw.shares) == pytest.approx(1.0, abs=1e-9)
    assert rw.shares[0] == pytest.approx(rw.shares[1], abs=1e-6)  # collinear twins split the weight
    assert rw.r2 == pytest.approx(_ols_r2(x, y, (0, 2)), abs=1e-8)


def test_singular_matrix_with_tiny_negative_eigenvalue() -> None:
    rxx = np.array([[1.0, 1.0, 0.3], [1.0, 1.0, 0.3], [0.3, 0.3, 1.0]])
    rxx[0, 1] = rxx[1, 0] = 1.0 + 1e-12  # rounding pushes one eigenvalue just below 0
    rw = relative_weights(rxx, [0.5, 0.5, 0.2], ["a", "b", "c"])
    assert all(math.isfinite(v) for v in (*rw.raw, *rw.shares, *rw.betas))
    assert sum(rw.shares) == pytest.approx(1.0)
    assert rw.shares[0] == pytest.approx(rw.shares[1])


def test_single_touchpoint_gets_the_whole_share() -> None:
    rw = relative_weights([[1.0]], [0.6], ["checkout"])
    assert rw.shares == (1.0,)
    assert rw.r2 == pytest.approx(0.36)
    assert rw.betas == pytest.approx([0.6])
    x, y = _rw_case()
    one = relative_weights_from_data(x[:, 0], y, ["x1_staff"])
    assert one.shares == (1.0,)
    assert one.r2 == pytest.approx(0.5917**2, abs=1e-4)


def test_zero_r2_gives_zero_shares_not_nan() -> None:
    rw = relative_weights(np.eye(3), [0.0, 0.0, 0.0], ["a", "b", "c"])
    assert rw.r2 == 0.0
    assert rw.shares == (0.0, 0.0, 0.0)
    assert rw.raw == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("rxx", "rxy", "names", "message"),
    [
        ([[1.0, 0.2, 0.1], [0.2, 1.0, 0.3]], [0.1, 0.2], ["a", "b"], "must be square"),
        (np.eye(3), [0.1, 0.2], ["a", "b", "c"], "one correlation with the outcome per touchpoint"),
        (np.eye(2), [0.1, 0.2], ["a", "b", "c"], "one name per touchpoint"),
        (np.eye(2), [0.1, 0.2], ["a", "a"], "'a' appears more than once"),
        (np.eye(2), [0.1, 0.2], "ab", "single string"),
        ([[1.0, np.nan], [np.nan, np.nan]], [0.3, np.nan], ["Lounge", "Wifi"], "touchpoint 'Wifi' has no variance"),
        ([[1.0, np.nan], [np.nan, 1.0]], [0.3, 0.2], ["Lounge", "Wifi"], "'Lounge' and 'Wifi'"),
        ([[1.0, 0.2], [0.2, 1.0]], [0.3, np.nan], ["Lounge", "Wifi"], "the outcome and 'Wifi'"),
        ([[1.0, 0.2], [0.2, 1.0]], [np.nan, np.nan], ["Lounge", "Wifi"], "outcome has no variance"),
        ([[4.0, 1.2], [1.2, 2.0]], [0.3, 0.2], ["a", "b"], "not covariances"),
        ([[1.0, 0.2], [0.3, 1.0]], [0.3, 0.2], ["a", "b"], "not symmetric"),
        (np.zeros((0, 0)), [], [], "at least one touchpoint"),
    ],
)
def test_bad_correlation_input_says_what_to_do(rxx: object, rxy: object, names: object, message: str) -> None:
    with pytest.raises(DriverInputError, match=message) as info:
        relative_weights(rxx, rxy, names)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, CxError)


def test_constant_touchpoint_in_data_names_it_and_the_fix() -> None:
    x, y = _rw_case()
    x = x.copy()
    x[:, 1] = 7.0
    with pytest.raises(ValueError, match=r"touchpoint 'x2_speed' has no variance .*drop it or widen the filter"):
        relative_weights_from_data(x, y, RW_PREDICTORS)
    with pytest.raises(ValueError, match="outcome has no variance"):
        relative_weights_from_data(_rw_case()[0], np.full(200, 9.0), RW_PREDICTORS)


def test_data_rows_are_listwise_complete_and_shapes_checked() -> None:
    x, y = _rw_case()
    holes_x, holes_y = x.copy(), y.copy()
    holes_x[:10, 0] = np.nan
    holes_y[10:15] = np.nan
    rw = relative_weights_from_data(holes_x, holes_y, RW_PREDICTORS)
    assert rw.r2 == pytest.approx(_ols_r2(x[15:], y[15:], (0, 1, 2)), abs=1e-10)
    with pytest.raises(ValueError, match="one outcome per respondent"):
        relative_weights_from_data(x, y[:-1], RW_PREDICTORS)
    with pytest.raises(ValueError, match="need at least 5"):
        relative_weights_from_data(x[:4], y[:4], RW_PREDICTORS)


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_is_reproducible_and_covers_the_estimate() -> None:
    x, y = _rw_case()
    calls: list[float] = []
    first = bootstrap_importance(x, y, RW_PREDICTORS, resamples=200, seed=11, progress=calls.append)
    again = bootstrap_importance(x, y, RW_PREDICTORS, resamples=200, seed=11)
    other = bootstrap_importance(x, y, RW_PREDICTORS, resamples=200, seed=12)
    assert first == again
    assert first != other
    point = relative_weights_from_data(x, y, RW_PREDICTORS)
    for name, share in zip(point.predictors, point.shares, strict=True):
        low, high = first[name]
        assert 0.0 <= low < share < high <= 1.0
    assert calls[-1] == 1.0
    assert calls == sorted(calls)
    assert 2 <= len(calls) <= 201


def test_bootstrap_refuses_too_few_resamples() -> None:
    x, y = _rw_case()
    with pytest.raises(ValueError, match="at least 2"):
        bootstrap_importance(x, y, RW_PREDICTORS, resamples=1)


# ---------------------------------------------------------------- readings


@pytest.mark.parametrize(
    ("r2", "pct", "band"),
    [(0.4251, "43", "strong"), (0.3, "30", "strong"), (0.2999, "30", "moderate"), (0.1, "10", "moderate")],
)
def test_r2_reading_bands(r2: float, pct: str, band: str) -> None:
    assert r2_reading(r2) == (
        f"The touchpoints together explain {pct} % of the differences in the outcome — a {band} link for survey data."
    )


def test_r2_reading_weak_link_warns() -> None:
    reading = r2_reading(0.05)
    assert reading.startswith("The touchpoints together explain 5 % of the differences in the outcome — a weak link")
    assert "read the ranking with care" in reading
    with pytest.raises(ValueError, match="no usable data"):
        r2_reading(float("nan"))


def test_pseudo_r2_note_only_for_yes_no_outcomes() -> None:
    assert pseudo_r2_note([0, 1, 1, 0, np.nan]) is not None
    assert pseudo_r2_note([3, 7, 9, 10]) is None


# ---------------------------------------------------------------- importance-performance


IPA_LABELS = {  # the golden file uses the classic Martilla & James wording
    "Concentrate here": FIX_FIRST,
    "Keep up the good work": KEEP_UP,
    "Low priority": LOW_PRIORITY,
    "Possible overkill": POSSIBLE_OVERKILL,
}


def test_ipa_golden_case() -> None:
    with (GOLDENS / "ipa_case.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    importance = [float(r["importance_pct"]) for r in rows]
    performance = [float(r["performance_0to10"]) for r in rows]
    cut_i, cut_p = sum(importance) / len(rows), sum(performance) / len(rows)
    assert (cut_i, cut_p) == (25.0, 6.5)
    got = [ipa_quadrant(i, p, cut_i, cut_p) for i, p in zip(importance, performance, strict=True)]
    assert got == [IPA_LABELS[r["expected_quadrant"]] for r in rows]
    assert got == [FIX_FIRST, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL]
    assert set(got) == set(QUADRANTS)


def test_ipa_ties_count_as_high() -> None:
    assert ipa_quadrant(25.0, 6.5, 25.0, 6.5) == KEEP_UP
    assert ipa_quadrant(25.0, 6.4, 25.0, 6.5) == FIX_FIRST
    assert ipa_quadrant(24.9, 6.5, 25.0, 6.5) == POSSIBLE_OVERKILL
    with pytest.raises(ValueError, match="performance is missing"):
        ipa_quadrant(0.3, float("nan"), 0.25, 6.5)


def test_fix_first_ranking_and_sentences() -> None:
    items = [
        ("Online check-in", 0.18, 5.1),
        ("Boarding", 0.36, 6.0),
        ("Baggage drop", 0.22, 8.2),
        ("Lounge", 0.10, 6.5),
        ("Seat comfort", 0.08, 9.0),
        ("Wifi", 0.06, 3.0),
    ]
    ranked = fix_first(items, 7.0)  # importance cut = mean share = 1/6
    assert [item.sentence for item in ranked] == [
        "Boarding: important (36 % of explained variance) and below target (6.0 vs 7.0) — fix first",
        "Online check-in: important (18 % of explained variance) and below target (5.1 vs 7.0) — fix first",
        "Wifi: less important (6 % of explained variance) and below target (3.0 vs 7.0) — low priority",
        "Lounge: less important (10 % of explained variance) and below target (6.5 vs 7.0) — low priority",
        "Baggage drop: important (22 % of explained variance) and at or above target (8.2 vs 7.0) — keep up",
        "Seat comfort: less important (8 % of explained variance) and at or above target (9.0 vs 7.0)"
        " — possible overkill",
    ]
    assert [round(item.priority, 4) for item in ranked] == [0.36, 0.342, 0.24, 0.05, 0.0, 0.0]
    assert ranked[1].gap == pytest.approx(1.9)
    assert ranked[4].gap == pytest.approx(-1.2)
    assert ranked[0].quadrant == FIX_FIRST


def test_fix_first_per_touchpoint_targets_and_errors() -> None:
    ranked = fix_first([("Checkout", 0.5, 7.0), ("Delivery", 0.5, 6.0)], {"Checkout": 7.0, "Delivery": 8.0})
    assert [item.touchpoint for item in ranked] == ["Delivery", "Checkout"]
    assert ranked[1].priority == 0.0
    assert "at or above target (7.0 vs 7.0) — keep up" in ranked[1].sentence
    assert fix_first([], 7.0) == []
    with pytest.raises(ValueError, match="no target for touchpoint 'Delivery'"):
        fix_first([("Delivery", 0.5, 6.0)], {"Checkout": 7.0})
    with pytest.raises(ValueError, match=r"share between 0 and 1 \(18 % -> 0.18\)"):
        fix_first([("Delivery", 18.0, 6.0)], 7.0)
    with pytest.raises(ValueError, match="'Product innovation' has no score"):
        fix_first([("Product innovation", 0.5, float("nan"))], 7.0)


def test_fix_first_ranks_quadrant_first_then_importance_times_gap() -> None:
    # Under the old rule (importance x gap alone) the two "low priority" reviews items came first:
    # 0.06 x 6.0 = 0.36 and 0.05 x 5.0 = 0.25 beat the only "fix first" item, 0.40 x 0.5 = 0.20.
    items = [
        ("Newsletter", 0.19, 8.0),  # less important (cut = mean share 0.2), above target: possible overkill
        ("Review reply", 0.06, 1.0),  # less important, far below target: low priority
        ("Checkout", 0.30, 9.0),  # important, above target: keep up
        ("Refund", 0.40, 6.5),  # important, below target: fix first
        ("Packaging", 0.05, 2.0),  # low priority
    ]
    ranked = fix_first(items, 7.0)
    assert [(item.touchpoint, item.quadrant) for item in ranked] == [
        ("Refund", FIX_FIRST),
        ("Review reply", LOW_PRIORITY),
        ("Packaging", LOW_PRIORITY),
        ("Checkout", KEEP_UP),
        ("Newsletter", POSSIBLE_OVERKILL),
    ]
    assert [round(item.priority, 4) for item in ranked] == [0.2, 0.36, 0.25, 0.0, 0.0]
    assert [item.gap for item in ranked] == pytest.approx([0.5, 6.0, 5.0, -2.0, -1.0])
    assert FIX_FIRST_ORDER == (FIX_FIRST, LOW_PRIORITY, KEEP_UP, POSSIBLE_OVERKILL)
    # The page states the rule in one sentence.
    assert FIX_FIRST_RULE.count(". ") == 0 and FIX_FIRST_RULE.endswith(".")
    for words in ("fix first", "low priority", "keep up", "possible overkill", "importance × gap", "suppressor"):
        assert words in FIX_FIRST_RULE


def test_fix_first_within_a_quadrant_ties_on_priority_go_by_importance() -> None:
    # Both keep up (priority 0): the more important first; equal fix-first priorities: the more important first.
    ranked = fix_first([("A", 0.2, 9.0), ("B", 0.3, 8.0), ("C", 0.25, 6.0), ("D", 0.25 * 2 / 3, 5.5)], 7.0, 0.1)
    assert [item.touchpoint for item in ranked] == ["C", "D", "B", "A"]
    assert ranked[0].priority == pytest.approx(ranked[1].priority)


# ---------------------------------------------------------------- direction: negative drivers, suppressors


def _planted(n: int = 4000, seed: int = 11) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return scores and an outcome with a planted negative driver (x3) and a suppressor (x2).

    y = t + 0.1 e - 0.6 u + 0.2 v + noise; x1 = t + e and x2 = e share the noise e, so x2 barely
    correlates with y (r ≈ +0.08) but gets a negative weight once x1 is held fixed
    (y = x1 - 0.9 x2 - ...). x3 = u pulls y down; x4 = v is a small positive driver.
    Means are shifted so that x2 and x3 perform worst and would top a fix-first list.
    """
    rng = np.random.default_rng(seed)
    t, e, u, v, noise = rng.normal(size=(5, n))
    x = np.column_stack([5 + t + e, 2 + e, 1 + u, 4 + v])
    y = 5 + t + 0.1 * e - 0.6 * u + 0.2 * v + 0.5 * noise
    return x, y, ["x1", "x2", "x3", "x4"]


def _planted_analysis(higher_is_better: bool = True) -> tuple[DriverAnalysis, np.ndarray, np.ndarray]:
    x, y, names = _planted()
    summary = CorrelationSummary.from_rows(x, y, names)
    result = drivers_from_summary(summary, min_n=30, dataset="Planted", outcome="Overall", kind="score",
                                  higher_is_better=higher_is_better)
    # Independent: Pearson r and standardised betas by least squares, here in the test.
    r = np.corrcoef(np.column_stack([x, y]), rowvar=False)[:4, 4]
    beta, *_ = np.linalg.lstsq(_standardise(x), _standardise(y), rcond=None)
    return result, r, beta


def test_planted_negative_driver_and_suppressor_are_named_and_not_ranked() -> None:
    result, r, beta = _planted_analysis()
    by_name = {t.touchpoint: t for t in result.touchpoints}
    for j, name in enumerate(["x1", "x2", "x3", "x4"]):
        assert by_name[name].correlation == pytest.approx(r[j], abs=1e-9)
        assert by_name[name].beta == pytest.approx(beta[j], abs=1e-9)
    # The planted structure, checked on the independent numbers first.
    assert r[1] > 0 > beta[1]  # the suppressor: r ≈ 0 (slightly positive), β negative
    assert abs(r[1]) < 0.15 and beta[1] < -0.3
    assert r[2] < 0 and beta[2] < 0  # the negative driver
    assert [by_name[n].direction for n in ("x1", "x2", "x3", "x4")] == [POSITIVE, NEGATIVE, NEGATIVE, POSITIVE]
    assert [by_name[n].suppressor for n in ("x1", "x2", "x3", "x4")] == [False, True, False, False]
    assert [by_name[n].caution for n in ("x1", "x2", "x3", "x4")] == [None, SUPPRESSOR, NEGATIVE_DRIVER, None]
    # Named in the warnings, one each, with their r and β.
    named = {name: [w for w in result.warnings if w.startswith(f"'{name}' ")] for name in by_name}
    assert [len(named[n]) for n in ("x1", "x2", "x3", "x4")] == [0, 1, 1, 0]
    assert "is a suppressor" in named["x2"][0] and f"β = −{abs(beta[1]):.2f}" in named["x2"][0]
    assert "is a negative driver" in named["x3"][0] and f"r = −{abs(r[2]):.2f}" in named["x3"][0]
    # x2 and x3 perform worst (2 and 1 of 10): any ranking by gap alone would put them first.
    ranked = result.fix_first(target=7.0)
    assert [item.touchpoint for item in ranked] == ["x1", "x4"]
    assert [t.touchpoint for t in result.not_ranked()] == [t.touchpoint for t in result.touchpoints
                                                            if t.touchpoint in ("x2", "x3")]
    payload = result.as_dict()
    rows = {row["touchpoint"]: row for row in payload["touchpoints"]}
    assert {name: rows[name]["direction"] for name in rows} == {"x1": "positive", "x2": "negative",
                                                                 "x3": "negative", "x4": "positive"}
    assert [row["touchpoint"] for row in payload["fix_first"]] == [item.touchpoint for item in result.fix_first()]
    assert {row["touchpoint"] for row in payload["fix_first"]} == {"x1", "x4"}
    assert payload["not_ranked"] == [{"touchpoint": t.touchpoint, "reason": t.caution} for t in result.not_ranked()]


def test_on_a_lower_is_better_outcome_a_positive_weight_is_the_negative_driver() -> None:
    # Churn: higher scores should go with less of the outcome, so β < 0 is a lever and β > 0 is not.
    result, _, _ = _planted_analysis(higher_is_better=False)
    by_name = {t.touchpoint: t for t in result.touchpoints}
    assert by_name["x3"].direction == NEGATIVE and by_name["x3"].caution is None
    assert by_name["x1"].caution == NEGATIVE_DRIVER and by_name["x4"].caution == NEGATIVE_DRIVER
    assert by_name["x2"].caution == SUPPRESSOR  # opposite signs whichever way the outcome points
    assert [item.touchpoint for item in result.fix_first(target=7.0)] == ["x3"]
    assert result.as_dict()["higher_is_better"] is False


# ---------------------------------------------------------------- nearest correlation matrix (Higham 2002)


HIGHAM_A = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
HIGHAM_NEAREST = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])


def _clipped(a: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """The usual shortcut, written here: clip the eigenvalues, rescale to a unit diagonal."""
    values, vectors = np.linalg.eigh(a)
    fixed = vectors @ np.diag(np.maximum(values, floor)) @ vectors.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def test_nearest_correlation_matrix_of_highams_example() -> None:
    nearest = nearest_correlation(HIGHAM_A)
    assert nearest == pytest.approx(HIGHAM_NEAREST, abs=GOLD)
    assert np.diag(nearest) == pytest.approx(np.ones(3), abs=1e-12)
    assert np.abs(nearest - nearest.T).max() < 1e-12
    assert np.linalg.eigvalsh(nearest).min() > -1e-8  # positive semidefinite
    distance = np.linalg.norm(HIGHAM_A - nearest)
    assert distance < np.linalg.norm(HIGHAM_A - _clipped(HIGHAM_A)) - 1e-3
    # Nearest over the whole (convex) set of correlation matrices: <A - X, C - X> <= 0 for any
    # correlation matrix C, here C from random data.
    rng = np.random.default_rng(0)
    for _ in range(200):
        c = np.corrcoef(rng.normal(size=(5, 3)) @ rng.normal(size=(3, 3)), rowvar=False)
        assert float(np.sum((HIGHAM_A - nearest) * (c - nearest))) < 1e-7


def test_nearest_correlation_keeps_a_valid_matrix_and_honours_the_floor() -> None:
    valid = np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.5], [-0.2, 0.5, 1.0]])
    assert nearest_correlation(valid) == pytest.approx(valid, abs=1e-12)
    floored = nearest_correlation(HIGHAM_A, floor=0.1)
    assert np.diag(floored) == pytest.approx(np.ones(3), abs=1e-12)
    assert np.linalg.eigvalsh(floored).min() > 0.1 - 1e-7
    # Nearest among correlation matrices with every eigenvalue >= 0.1: C = 0.1 I + 0.9 R is one.
    rng = np.random.default_rng(1)
    for _ in range(200):
        c = 0.1 * np.eye(3) + 0.9 * np.corrcoef(rng.normal(size=(5, 3)) @ rng.normal(size=(3, 3)), rowvar=False)
        assert float(np.sum((HIGHAM_A - floored) * (c - floored))) < 1e-7
    with pytest.raises(DriverInputError, match="square"):
        nearest_correlation(np.ones((2, 3)))


def test_inconsistent_pairwise_correlations_get_the_nearest_correlation_matrix() -> None:
    # A ~ B, B ~ C, but A ~ -C: no set of respondents gives these three together.
    rxx = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    rxy = np.array([0.5, 0.5, 0.5])
    full = np.block([[rxx, rxy[:, None]], [rxy[None, :], np.ones((1, 1))]])
    fixed_rxx, fixed_rxy, changed = consistent_correlations(rxx, rxy)
    assert changed
    fixed = np.block([[fixed_rxx, fixed_rxy[:, None]], [fixed_rxy[None, :], np.ones((1, 1))]])
    assert np.diag(fixed_rxx) == pytest.approx(np.ones(3), abs=1e-12)
    assert np.linalg.eigvalsh(fixed).min() > 1e-3 - 1e-7  # the floor: no claim of a perfect fit
    assert np.linalg.norm(full - fixed) < np.linalg.norm(full - _clipped(full, 1e-3))


def test_respondents_resampled_follow_the_rule() -> None:
    x = np.array([[1.0, 2.0], [np.nan, 3.0], [4.0, np.nan], [np.nan, np.nan], [5.0, 6.0]])
    y = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    # Listwise: rows 0 and 4; pairwise: rows with the outcome and an answer (0, 1, 4).
    assert respondents_resampled(x, y, ["a", "b"], "listwise") == 2
    assert respondents_resampled(x, y, ["a", "b"], "pairwise") == 3


# ---------------------------------------------------------------- two-group tests


def _nps_and_se(scores: list[int]) -> tuple[float, float]:
    n = len(scores)
    p = sum(s >= 9 for s in scores) / n
    d = sum(s <= 6 for s in scores) / n
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def test_nps_difference_golden() -> None:
    nps_a, se_a = _nps_and_se([10, 9, 9, 10, 8, 7, 6, 3, 9, 5])
    nps_b, se_b = _nps_and_se([10, 10, 9, 9, 9, 9, 8, 7, 7, 2])
    assert (nps_a, nps_b) == (pytest.approx(20.0), pytest.approx(50.0))
    result = nps_difference_test(nps_a, se_a, nps_b, se_b)
    assert result["diff"] == pytest.approx(-30.0, abs=GOLD)
    assert result["se"] == pytest.approx(34.7851, abs=GOLD)
    assert result["z"] == pytest.approx(-0.8624, abs=GOLD)
    assert result["p_two_sided"] == pytest.approx(0.3884, abs=GOLD)
    assert result["significant"] is False


def test_mean_difference_hand_case() -> None:
    # A: mean 3, variance 2.5, n 5; B: mean 4, variance 4, n 3.
    result = mean_difference_test(np.array([1, 2, 3, 4, 5, np.nan]), [2, 4, 6])
    se = math.sqrt(2.5 / 5 + 4 / 3)
    assert (result["mean_a"], result["mean_b"], result["n_a"], result["n_b"]) == (3.0, 4.0, 5, 3)
    assert result["diff"] == -1.0
    assert result["se"] == pytest.approx(se, abs=1e-12)
    assert result["z"] == pytest.approx(-1 / se, abs=1e-12)
    assert result["p_two_sided"] == pytest.approx(2 * NormalDist().cdf(-1 / se), abs=1e-12)
    assert result["significant"] is False


def test_mean_difference_significant_and_degenerate_cases() -> None:
    rng = np.random.default_rng(3)
    shifted = mean_difference_test(rng.normal(7, 1, 400), rng.normal(6, 1, 400))
    assert shifted["significant"] is True
    assert shifted["p_two_sided"] < 1e-6
    same = mean_difference_test([5, 5], [5, 5])
    assert (same["z"], same["p_two_sided"], same["significant"]) == (0.0, 1.0, False)
    assert difference_test(6.0, 0.0, 5.0, 0.0)["p_two_sided"] == 0.0
    with pytest.raises(ValueError, match="group B has 1 answer"):
        mean_difference_test([1, 2, 3], [4])


@pytest.mark.parametrize(
    ("correlation", "beta", "higher_is_better", "caution"),
    [
        (0.40, -0.01, True, None),  # a weight this small has no sign to read: not a suppressor
        (0.40, -0.049, True, None),
        (0.40, -0.05, True, SUPPRESSOR),
        (0.03, -0.40, True, SUPPRESSOR),  # the classic suppressor: r near 0, a clear weight of the other sign
        (-0.30, 0.01, True, NEGATIVE_DRIVER),  # no weight of its own, but higher scores go with a worse outcome
        (-0.04, -0.01, True, None),  # nothing to read either way
        (-0.30, -0.20, True, NEGATIVE_DRIVER),
        (0.30, 0.20, True, None),
        (0.30, 0.01, False, NEGATIVE_DRIVER),  # churn: a rising score with more churn is the negative driver
        (-0.30, -0.01, False, None),
        (0.30, -0.20, False, SUPPRESSOR),
    ],
)
def test_a_negligible_weight_is_read_by_its_correlation(
    correlation: float, beta: float, higher_is_better: bool, caution: str | None
) -> None:
    assert touchpoint_caution(correlation, beta, higher_is_better) == caution
