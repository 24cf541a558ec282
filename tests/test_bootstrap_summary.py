"""The driver bootstrap from each resample's sums gives the intervals the row-by-row bootstrap gave.

`reference_bootstrap` below is the bootstrap as cx ran it before (every resample re-analysed
from its drawn rows), written plainly with public functions: same seed, same draws, same
skipped resamples, same message when too many are skipped. The summary bootstrap
(`cx.driver_bootstrap`, used by `cx.drivers.bootstrap_importance`) must match it to 1e-9.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from cx import driver_bootstrap
from cx.correlations import consistent_correlations, pairwise_correlations
from cx.drivers import LISTWISE, PAIRWISE, DriverInputError, bootstrap_importance, relative_weights

GOLDENS = Path(__file__).parent / "fixtures" / "goldens"
RW_PREDICTORS = ("x1_staff", "x2_speed", "x3_price")
SAME = 1e-9


def _shares_from_rows(rows: np.ndarray, names: tuple[str, ...], rule: str) -> tuple[float, ...]:
    """Return the importance shares of one set of rows (touchpoints then outcome), as before."""
    k = len(names)
    if rule == LISTWISE:
        if (np.ptp(rows, axis=0) == 0).any():
            raise DriverInputError("a score does not vary in these rows")
        corr = np.atleast_2d(np.corrcoef(rows, rowvar=False))
        return relative_weights(corr[:k, :k], corr[:k, k], names).shares
    corr, _ = pairwise_correlations(rows)
    rxx, rxy = corr[:k, :k], corr[:k, k]
    if np.isfinite(corr).all():
        rxx, rxy, _ = consistent_correlations(rxx, rxy)
    return relative_weights(rxx, rxy, names).shares


def reference_bootstrap(
    x: np.ndarray, y: np.ndarray, names: tuple[str, ...], resamples: int, seed: int, rule: str
) -> tuple[dict[str, tuple[float, float]], int]:
    """Return (the 95 % intervals, resamples skipped) by re-analysing every resample's rows."""
    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64)
    if rule == LISTWISE:
        keep = np.isfinite(x).all(axis=1) & np.isfinite(y)
    else:
        keep = np.isfinite(y) & np.isfinite(x).any(axis=1)
    data = np.column_stack([x[keep], y[keep]])
    n = data.shape[0]
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        idx = rng.integers(0, n, size=(n,), dtype=np.int64)
        try:
            draws.append(_shares_from_rows(data[idx], names, rule))
        except DriverInputError:
            continue
    if len(draws) * 2 < resamples:
        raise DriverInputError(
            f"only {len(draws)} of {resamples} bootstrap resamples could be analysed (too few respondents or "
            "scores that rarely vary): widen the filter before reading intervals"
        )
    table = np.asarray(draws)
    low, high = np.percentile(table, 2.5, axis=0), np.percentile(table, 97.5, axis=0)
    bounds = {name: (float(lo), float(hi)) for name, lo, hi in zip(names, low, high, strict=True)}
    return bounds, resamples - len(draws)


def _assert_same(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], rule: str, *, resamples: int = 120,
                 seed: int = 0) -> int:
    """Assert the summary bootstrap equals the reference; return how many resamples the reference skipped."""
    expected, skipped = reference_bootstrap(x, y, names, resamples, seed, rule)
    got = bootstrap_importance(x, y, names, resamples=resamples, seed=seed, rule=rule)
    assert list(got) == list(expected)
    for name in names:
        assert got[name] == pytest.approx(expected[name], abs=SAME, rel=0), name
    return skipped


def _rw_case() -> tuple[np.ndarray, np.ndarray]:
    with (GOLDENS / "rw_case.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    x = np.array([[float(r[p]) for p in RW_PREDICTORS] for r in rows])
    y = np.array([float(r["y_overall"]) for r in rows])
    return x, y


def _names(k: int) -> tuple[str, ...]:
    return tuple(f"tp{j}" for j in range(k))


def _survey(n: int, k: int, seed: int, missing: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Return n respondents x k correlated 1-5 scores and a 0-10 outcome; `missing` of the cells blank."""
    rng = np.random.default_rng(seed)
    mood = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + mood + rng.normal(scale=0.9, size=(n, k))), 1, 5)
    y = np.clip(np.round(5 + 0.6 * x[:, : max(1, k // 2)].sum(axis=1) / max(1, k // 2) + rng.normal(size=n)), 0, 10)
    x[rng.random((n, k)) < missing] = np.nan
    y[rng.random(n) < missing / 2] = np.nan
    return x, y


# ---------------------------------------------------------------- same intervals as before


@pytest.mark.parametrize("rule", [LISTWISE, PAIRWISE])
@pytest.mark.parametrize("seed", [0, 11])
def test_golden_case_gives_the_same_intervals(rule: str, seed: int) -> None:
    x, y = _rw_case()
    assert _assert_same(x, y, RW_PREDICTORS, rule, resamples=200, seed=seed) == 0


@pytest.mark.parametrize("rule", [LISTWISE, PAIRWISE])
@pytest.mark.parametrize(("n", "k", "missing"), [(40, 1, 0.0), (60, 2, 0.1), (150, 8, 0.0), (300, 8, 0.15)])
def test_random_surveys_give_the_same_intervals(rule: str, n: int, k: int, missing: float) -> None:
    x, y = _survey(n, k, seed=n + k, missing=missing)
    _assert_same(x, y, _names(k), rule)


def test_hand_sized_listwise_case_skips_the_resamples_where_a_score_does_not_vary() -> None:
    # Six of eight respondents gave 'tp0' a 1: about one resample in ten has only 1s and is skipped.
    x = np.array([[1.0], [1.0], [1.0], [2.0], [1.0], [1.0], [3.0], [1.0]])
    y = np.array([3.0, 4.0, 2.0, 7.0, 5.0, 3.0, 9.0, 4.0])
    skipped = _assert_same(x, y, ("tp0",), LISTWISE, resamples=300)
    assert 10 <= skipped < 150


def test_hand_sized_pairwise_case_skips_the_resamples_where_a_pair_is_missing() -> None:
    # Only three respondents answered both touchpoints: many resamples hold fewer than two of them.
    nan = np.nan
    x = np.array([[1, nan], [2, nan], [4, nan], [5, nan], [3, 2], [4, 5], [2, 1], [nan, 3], [nan, 4], [nan, 1],
                  [nan, 5], [1, nan]], dtype=np.float64)
    y = np.array([2, 4, 8, 9, 5, 8, 3, 6, 7, 2, 9, 3], dtype=np.float64)
    skipped = _assert_same(x, y, ("tp0", "tp1"), PAIRWISE, resamples=300)
    assert 10 <= skipped < 150


def test_pairwise_correlations_that_do_not_fit_together_are_repaired_as_before() -> None:
    # Three groups each answer two of the three touchpoints: a~b and b~c strongly positive, a~c strongly
    # negative — no single set of respondents could give these, so resamples go through Higham's repair.
    rng = np.random.default_rng(5)
    rows = []
    for pair, sign in (((0, 1), 1.0), ((1, 2), 1.0), ((0, 2), -1.0)):
        for _ in range(40):
            base = rng.normal()
            row = [np.nan, np.nan, np.nan]
            row[pair[0]] = base + 0.2 * rng.normal()
            row[pair[1]] = sign * base + 0.2 * rng.normal()
            rows.append(row)
    x = np.array(rows)
    y = np.nansum(x, axis=1) + rng.normal(size=len(rows))
    corr, _ = pairwise_correlations(np.column_stack([x, y]))
    assert consistent_correlations(corr[:3, :3], corr[:3, 3])[2]  # the full data needs the repair too
    _assert_same(x, y, _names(3), PAIRWISE, resamples=100)


def test_many_resamples_over_several_blocks_and_row_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny memory budgets: 7 resamples to a block, rows summed a few dozen at a time.
    monkeypatch.setattr(driver_bootstrap, "BLOCK_BYTES", 7 * 4 * 250)  # counts of 250 rows as float32
    monkeypatch.setattr(driver_bootstrap, "SLICE_BYTES", 4096)
    x, y = _survey(250, 4, seed=3, missing=0.1)
    for rule in (LISTWISE, PAIRWISE):
        _assert_same(x, y, _names(4), rule, resamples=50, seed=9)


# ---------------------------------------------------------------- too thin: same refusal as before


def _thin_listwise() -> tuple[np.ndarray, np.ndarray]:
    # Each of two touchpoints and the outcome has a single differing answer, each in another row:
    # a resample that misses any of those three rows cannot be analysed (about 3 in 4 resamples).
    x = np.full((12, 2), 3.0)
    x[0, 0], x[1, 1] = 4.0, 5.0
    y = np.full(12, 7.0)
    y[2] = 9.0
    return x, y


def test_too_many_skipped_resamples_give_the_same_message_with_the_same_count() -> None:
    x, y = _thin_listwise()
    with pytest.raises(DriverInputError) as before:
        reference_bootstrap(x, y, ("tp0", "tp1"), 200, 0, LISTWISE)
    with pytest.raises(DriverInputError) as now:
        bootstrap_importance(x, y, ("tp0", "tp1"), resamples=200, seed=0, rule=LISTWISE)
    assert str(now.value) == str(before.value)
    assert str(now.value).startswith("only ")
    assert " of 200 bootstrap resamples could be analysed" in str(now.value)


def test_data_that_cannot_be_analysed_at_all_fail_before_any_resample() -> None:
    x, y = _thin_listwise()
    with pytest.raises(DriverInputError, match="'tp0' has no variance"):
        bootstrap_importance(np.full((12, 1), 2.0), y, ("tp0",), resamples=50)
    with pytest.raises(DriverInputError, match="at least 2"):
        bootstrap_importance(x, y, ("tp0", "tp1"), resamples=1)


# ---------------------------------------------------------------- progress


@pytest.mark.parametrize(("resamples", "calls"), [(300, 100), (7, 7), (250, 125)])
def test_progress_is_reported_about_a_hundred_times_and_ends_at_one(resamples: int, calls: int) -> None:
    x, y = _survey(80, 3, seed=1)
    seen: list[float] = []
    bootstrap_importance(x, y, _names(3), resamples=resamples, progress=seen.append, rule=PAIRWISE)
    assert len(seen) == calls
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
