"""Driver analysis: which touchpoints move the outcome, and which to fix first.

Pure numpy. The engine does the heavy aggregation (a k x k correlation matrix of touchpoint
scores and their correlations with the outcome); this module does the small algebra on top:

* relative weights (Johnson, 2000), which split R² fairly between correlated touchpoints;
* importance-performance quadrants and a "fix first" list ranked by importance x gap to target;
* plain-words readings and simple two-group tests for the "moment comparison" view.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cx.errors import InvalidInput

__all__ = [
    "FIX_FIRST",
    "KEEP_UP",
    "LOW_PRIORITY",
    "POSSIBLE_OVERKILL",
    "QUADRANTS",
    "Difference",
    "DriverInputError",
    "FixFirstItem",
    "MeanDifference",
    "RelativeWeights",
    "bootstrap_importance",
    "difference_test",
    "fix_first",
    "ipa_quadrant",
    "mean_difference_test",
    "nps_difference_test",
    "pseudo_r2_note",
    "r2_reading",
    "relative_weights",
    "relative_weights_from_data",
]

FloatArray = NDArray[np.float64]

FIX_FIRST: Final = "fix first"
KEEP_UP: Final = "keep up"
LOW_PRIORITY: Final = "low priority"
POSSIBLE_OVERKILL: Final = "possible overkill"
#: The four importance-performance quadrants, in reading order.
QUADRANTS: Final = (FIX_FIRST, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL)

# Correlations from the engine are rounded floats: allow a little slack before calling a
# matrix "not a correlation matrix".
_CORR_TOL = 1e-6
# Eigenvalues below this fraction of the largest are treated as exact zeros (collinear
# touchpoints); sqrt(1e-10) = 1e-5 keeps the pseudo-inverse of Λ^½ well away from noise.
_EIG_RTOL = 1e-10
_R2_ZERO = 1e-12
_ALPHA = 0.05


class DriverInputError(InvalidInput, ValueError):
    """Driver-analysis input that cannot be used as given; the message says the fix."""


# ---------------------------------------------------------------- relative weights


@dataclass(frozen=True)
class RelativeWeights:
    """Johnson's relative weights of each touchpoint for one outcome."""

    predictors: tuple[str, ...]
    raw: tuple[float, ...]  # epsilon_j: share of R² carried by touchpoint j; sums to r2
    shares: tuple[float, ...]  # raw / r2, sums to 1 (all 0 when r2 == 0)
    r2: float
    betas: tuple[float, ...]  # standardised regression betas (pseudo-inverse when collinear)
    correlations: tuple[float, ...]  # Pearson r of each touchpoint with the outcome

    def share_of(self, predictor: str) -> float:
        """Return the share of explained variance of one touchpoint."""
        return self.shares[self.predictors.index(predictor)]

    def ranked(self) -> list[tuple[str, float]]:
        """Return (touchpoint, share) pairs, most important first."""
        return sorted(zip(self.predictors, self.shares, strict=True), key=lambda p: -p[1])


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _check_predictors(predictors: Sequence[str], k: int, what: str) -> tuple[str, ...]:
    if isinstance(predictors, str):
        raise DriverInputError(f"predictors must be a list of touchpoint names, got the single string '{predictors}'")
    names = tuple(str(p) for p in predictors)
    if len(names) != k:
        raise DriverInputError(
            f"{len(names)} touchpoint names for {k} {what}: pass one name per touchpoint, in the same order"
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DriverInputError(f"touchpoint {_quoted(dupes)} appears more than once; give each touchpoint once")
    return names


def _check_correlation_inputs(
    rxx: ArrayLike, rxy: ArrayLike, predictors: Sequence[str]
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    try:
        r = np.asarray(rxx, dtype=np.float64)
        v = np.asarray(rxy, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DriverInputError(f"correlations must be numbers: {exc}") from exc
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise DriverInputError(
            f"the touchpoint correlation matrix must be square (k x k), got shape {r.shape}: "
            "pass the correlations between every pair of touchpoints"
        )
    k = r.shape[0]
    if k == 0:
        raise DriverInputError("no touchpoints to analyse: pick at least one touchpoint with scores")
    if v.ndim == 2 and 1 in v.shape:
        v = v.ravel()
    if v.ndim != 1 or v.shape[0] != k:
        raise DriverInputError(
            f"{v.size} outcome correlations for {k} touchpoints (matrix {r.shape}): "
            "pass one correlation with the outcome per touchpoint, in the matrix's order"
        )
    names = _check_predictors(predictors, k, "rows in the correlation matrix")

    bad_r = ~np.isfinite(r)
    bad_v = ~np.isfinite(v)
    if bad_v.all():
        raise DriverInputError(
            "the outcome has no variance in the answers used (every respondent gave the same outcome): "
            "pick another outcome or widen the filter"
        )
    if bad_r.any() or bad_v.any():
        off = bad_r & ~np.eye(k, dtype=bool)
        dead = [j for j in range(k) if bad_r[j, j] or (k > 1 and off[j].sum() == k - 1 and bad_v[j])]
        if dead:
            label = "touchpoint" if len(dead) == 1 else "touchpoints"
            verb = "has" if len(dead) == 1 else "have"
            raise DriverInputError(
                f"{label} {_quoted([names[j] for j in dead])} {verb} no variance in the answers used "
                "(everyone gave the same score, or nobody answered); drop it or widen the filter"
            )
        if bad_v.any():
            missing = [names[j] for j in range(k) if bad_v[j]]
            raise DriverInputError(
                f"no usable correlation between the outcome and {_quoted(missing)} (no respondents answered "
                "both, or the score does not vary among them); drop the touchpoint or widen the filter"
            )
        i, j = (int(a) for a in np.argwhere(bad_r)[0])
        raise DriverInputError(
            f"no usable correlation between touchpoints '{names[i]}' and '{names[j]}' (no respondents answered "
            "both, or a score does not vary among them); drop one of them or widen the filter"
        )

    if np.abs(r - r.T).max() > _CORR_TOL:
        raise DriverInputError("the touchpoint correlation matrix is not symmetric: pass a correlation matrix")
    if np.abs(np.diag(r) - 1.0).max() > _CORR_TOL or np.abs(r).max() > 1 + _CORR_TOL or np.abs(v).max() > 1 + _CORR_TOL:
        raise DriverInputError(
            "these are not correlations (1 on the diagonal, every value between -1 and 1): "
            "pass correlations, not covariances or raw scores"
        )
    return (r + r.T) / 2.0, v, names


def relative_weights(rxx: ArrayLike, rxy: ArrayLike, predictors: Sequence[str]) -> RelativeWeights:
    """Return Johnson's (2000) relative weights from correlations.

    ``rxx`` is the k x k correlation matrix of touchpoint scores, ``rxy`` the correlation of
    each touchpoint with the outcome. With R_xx = V Λ Vᵀ and Λ* = V Λ^½ Vᵀ (the symmetric
    square root), β* = Λ*⁻¹ r_xy and ε_j = Σ_k (Λ*_jk)² (β*_k)², so that Σ ε = R².

    Perfectly collinear touchpoints make R_xx singular: negative eigenvalues (rounding, or
    pairwise-deleted correlations) are clipped to 0 and the inverse becomes a
    pseudo-inverse, so collinear touchpoints split their weight instead of producing NaN.
    """
    r, v, names = _check_correlation_inputs(rxx, rxy, predictors)

    eigenvalues, vectors = np.linalg.eigh(r)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    keep = eigenvalues > _EIG_RTOL * max(float(eigenvalues.max()), 1.0)
    root = np.sqrt(eigenvalues)
    inv_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    inv_eig = inv_root**2

    lam_star = (vectors * root) @ vectors.T
    beta_star = (vectors * inv_root) @ (vectors.T @ v)
    raw = (lam_star**2) @ (beta_star**2)
    betas = (vectors * inv_eig) @ (vectors.T @ v)

    r2 = float(raw.sum())
    shares = raw / r2 if r2 > _R2_ZERO else np.zeros_like(raw)
    return RelativeWeights(
        predictors=names,
        raw=tuple(float(e) for e in raw),
        shares=tuple(float(s) for s in shares),
        r2=r2,
        betas=tuple(float(b) for b in betas),
        correlations=tuple(float(c) for c in v),
    )


def _complete_rows(
    x: ArrayLike, y: ArrayLike, predictors: Sequence[str]
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Return the listwise-complete rows of (x, y) after checking shapes."""
    try:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DriverInputError(f"scores must be numbers: {exc}") from exc
    if xa.ndim == 1:
        xa = xa.reshape(-1, 1)
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya.ravel()
    if xa.ndim != 2 or ya.ndim != 1:
        raise DriverInputError(
            f"expected one row per respondent: scores of shape (n, k) and an outcome of shape (n,), "
            f"got {xa.shape} and {ya.shape}"
        )
    if xa.shape[0] != ya.shape[0]:
        raise DriverInputError(
            f"{xa.shape[0]} rows of touchpoint scores but {ya.shape[0]} outcomes: pass one outcome per respondent"
        )
    names = _check_predictors(predictors, xa.shape[1], "score columns")
    complete = np.isfinite(xa).all(axis=1) & np.isfinite(ya)
    return xa[complete], ya[complete], names


def _relative_weights_complete(x: FloatArray, y: FloatArray, names: tuple[str, ...]) -> RelativeWeights:
    n, k = x.shape
    if n < k + 2:
        raise DriverInputError(
            f"only {n} respondents answered every touchpoint and the outcome; {k} touchpoint(s) need at least "
            f"{k + 2}: widen the filter or analyse fewer touchpoints"
        )
    flat = [names[j] for j in range(k) if np.ptp(x[:, j]) == 0]
    if flat:
        label, verb = ("touchpoint", "has") if len(flat) == 1 else ("touchpoints", "have")
        raise DriverInputError(
            f"{label} {_quoted(flat)} {verb} no variance in the answers used "
            "(everyone gave the same score); drop it or widen the filter"
        )
    if np.ptp(y) == 0:
        raise DriverInputError(
            "the outcome has no variance in the answers used (every respondent gave the same outcome): "
            "pick another outcome or widen the filter"
        )
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    return relative_weights(corr[:k, :k], corr[:k, k], names)


def relative_weights_from_data(x: ArrayLike, y: ArrayLike, predictors: Sequence[str]) -> RelativeWeights:
    """Return relative weights from raw scores (rows with any missing value are dropped).

    ``x`` holds one row per respondent and one column per touchpoint, ``y`` the outcome.
    """
    xa, ya, names = _complete_rows(x, y, predictors)
    return _relative_weights_complete(xa, ya, names)


def bootstrap_importance(
    x: ArrayLike,
    y: ArrayLike,
    predictors: Sequence[str],
    resamples: int = 300,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> dict[str, tuple[float, float]]:
    """Return the 95 % percentile bootstrap interval of each touchpoint's share.

    Respondents (complete rows) are resampled with replacement. A resample in which some
    touchpoint happens not to vary is skipped; if more than half are skipped the data are
    too thin and a DriverInputError says so. ``progress`` receives the fraction done (0-1)
    about a hundred times, ending with exactly 1.0.
    """
    if resamples < 2:
        raise DriverInputError(f"resamples must be at least 2 (got {resamples}); 300 or more is usual")
    xa, ya, names = _complete_rows(x, y, predictors)
    _relative_weights_complete(xa, ya, names)  # fail early, with the full data's message
    n = xa.shape[0]
    rng = np.random.default_rng(seed)
    draws: list[tuple[float, ...]] = []
    step = max(1, resamples // 100)
    for i in range(resamples):
        idx = rng.integers(0, n, size=n)
        # A resample where some touchpoint happens not to vary cannot be analysed: skip it.
        with contextlib.suppress(DriverInputError):
            draws.append(_relative_weights_complete(xa[idx], ya[idx], names).shares)
        if progress is not None and ((i + 1) % step == 0 or i + 1 == resamples):
            progress((i + 1) / resamples)
    if len(draws) * 2 < resamples:
        raise DriverInputError(
            f"only {len(draws)} of {resamples} bootstrap resamples could be analysed (too few respondents or "
            "scores that rarely vary): widen the filter before reading intervals"
        )
    table = np.asarray(draws)
    low = np.percentile(table, 100 * _ALPHA / 2, axis=0)
    high = np.percentile(table, 100 * (1 - _ALPHA / 2), axis=0)
    return {name: (float(lo), float(hi)) for name, lo, hi in zip(names, low, high, strict=True)}


def pseudo_r2_note(outcome: ArrayLike) -> str | None:
    """Return a caution when the outcome is yes/no (two values), else None.

    Relative weights fit a straight line; on a 0/1 outcome (recommend yes/no, churned) R² is
    a linear-probability R², lower than on a continuous scale, and the shares are best read
    as a ranking.
    """
    values = np.asarray(outcome, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if np.unique(values).size != 2:
        return None
    return (
        "The outcome is yes/no, so R² comes from a straight-line fit to a 0/1 answer and runs lower than on a "
        "rating scale; read the importance shares as a ranking rather than exact percentages."
    )


def r2_reading(r2: float) -> str:
    """Return R² in plain words, with a weak / moderate / strong band for survey data."""
    if not math.isfinite(r2):
        raise DriverInputError("R² is not a number: the driver analysis had no usable data")
    pct = f"{100 * r2:.0f}"
    if r2 < 0.1:
        return (
            f"The touchpoints together explain {pct} % of the differences in the outcome — a weak link for "
            "survey data: most of what moves the outcome lies elsewhere, so read the ranking with care."
        )
    band = "moderate" if r2 < 0.3 else "strong"
    return (
        f"The touchpoints together explain {pct} % of the differences in the outcome — a {band} link for survey data."
    )


# ---------------------------------------------------------------- importance-performance


def ipa_quadrant(importance: float, performance: float, importance_cut: float, performance_cut: float) -> str:
    """Return the importance-performance quadrant (one of QUADRANTS); ties count as high."""
    for label, value in (
        ("importance", importance),
        ("performance", performance),
        ("importance cut", importance_cut),
        ("performance cut", performance_cut),
    ):
        if not math.isfinite(value):
            raise DriverInputError(f"{label} is missing (got {value}): a touchpoint needs a score and an importance")
    high_importance = importance >= importance_cut
    high_performance = performance >= performance_cut
    if high_importance:
        return KEEP_UP if high_performance else FIX_FIRST
    return POSSIBLE_OVERKILL if high_performance else LOW_PRIORITY


@dataclass(frozen=True)
class FixFirstItem:
    """One touchpoint in the fix-first list."""

    touchpoint: str
    importance: float  # share of explained variance, 0-1
    performance: float  # score on 0-10
    target: float  # target score on 0-10
    gap: float  # target - performance (negative when above target)
    priority: float  # importance x max(gap, 0)
    quadrant: str  # one of QUADRANTS, with the target as the performance cut
    sentence: str


def _percent(share: float) -> str:
    pct = 100 * share
    if 0 < pct < 0.5:
        return "<1 %"
    return f"{pct:.0f} %"


def fix_first(
    items: Sequence[tuple[str, float, float]],
    target: float | Mapping[str, float],
    importance_cut: float | None = None,
) -> list[FixFirstItem]:
    """Return touchpoints ranked by importance x gap to target, biggest first.

    ``items`` are (touchpoint, importance share 0-1, performance 0-10). ``target`` is one
    target score for all or a per-touchpoint mapping. A touchpoint is "important" when its
    share is at least ``importance_cut`` (default: the mean share of the items, like the
    IPA crosshair). Touchpoints at or above target have priority 0 and follow, most
    important first; ties keep the input order.
    """
    if importance_cut is None:
        importance_cut = sum(float(i[1]) for i in items) / len(items) if items else 0.0
    ranked: list[FixFirstItem] = []
    for touchpoint, importance, performance in items:
        name = str(touchpoint)
        imp, perf = float(importance), float(performance)
        if not math.isfinite(perf):
            raise DriverInputError(f"touchpoint '{name}' has no score: leave it out of the list or enter a score")
        if not math.isfinite(imp) or imp < -_CORR_TOL or imp > 1 + _CORR_TOL:
            raise DriverInputError(
                f"importance of '{name}' is {importance}: expected a share between 0 and 1 (18 % -> 0.18)"
            )
        if isinstance(target, Mapping):
            if name not in target:
                raise DriverInputError(f"no target for touchpoint '{name}': add one or pass a single target for all")
            goal = float(target[name])
        else:
            goal = float(target)
        if not math.isfinite(goal):
            raise DriverInputError(f"the target for '{name}' is missing: pass a number on the 0-10 scale")
        gap = goal - perf
        quadrant = ipa_quadrant(imp, perf, importance_cut, goal)
        weight = "important" if imp >= importance_cut else "less important"
        standing = "at or above target" if gap <= 0 else "below target"
        sentence = (
            f"{name}: {weight} ({_percent(imp)} of explained variance) and {standing} "
            f"({perf:.1f} vs {goal:.1f}) — {quadrant}"
        )
        ranked.append(
            FixFirstItem(
                touchpoint=name,
                importance=imp,
                performance=perf,
                target=goal,
                gap=gap,
                priority=imp * max(gap, 0.0),
                quadrant=quadrant,
                sentence=sentence,
            )
        )
    ranked.sort(key=lambda item: (-item.priority, -item.importance))
    return ranked


# ---------------------------------------------------------------- two-group tests


class Difference(TypedDict):
    """Difference of two estimates (A - B) with its normal-approximation test."""

    diff: float
    se: float
    z: float
    p_two_sided: float
    significant: bool


class MeanDifference(Difference):
    """Difference of two means (Welch standard error) with its test."""

    mean_a: float
    mean_b: float
    n_a: int
    n_b: int


def _z_score(diff: float, se: float) -> float:
    if se > 0:
        return diff / se
    # Neither group varies: any difference is certain, no difference is no evidence.
    return 0.0 if diff == 0 else math.copysign(math.inf, diff)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def difference_test(value_a: float, se_a: float, value_b: float, se_b: float) -> Difference:
    """Return A - B, its SE sqrt(SE_A² + SE_B²), z and the two-sided normal p-value."""
    diff = float(value_a) - float(value_b)
    se = math.sqrt(float(se_a) ** 2 + float(se_b) ** 2)
    z = _z_score(diff, se)
    p = _two_sided_p(z)
    return {"diff": diff, "se": se, "z": z, "p_two_sided": p, "significant": p < _ALPHA}


def nps_difference_test(nps_a: float, se_a: float, nps_b: float, se_b: float) -> Difference:
    """Return the difference of two NPS (points) with SE sqrt(SE_A² + SE_B²), z and p.

    Feed it NPS and SE from ``cx.metrics.nps_value`` for each group (independent groups).
    """
    return difference_test(nps_a, se_a, nps_b, se_b)


def mean_difference_test(a: ArrayLike, b: ArrayLike) -> MeanDifference:
    """Return mean(A) - mean(B) with a Welch standard error, z and a normal two-sided p.

    Missing values are dropped; each group needs at least two answers.
    """
    groups: list[FloatArray] = []
    for label, values in (("A", a), ("B", b)):
        arr = np.asarray(values, dtype=np.float64).ravel()
        arr = arr[np.isfinite(arr)]
        if arr.size < 2:
            raise DriverInputError(
                f"group {label} has {arr.size} answer(s); comparing means needs at least 2 per group: widen the filter"
            )
        groups.append(arr)
    ga, gb = groups
    mean_a, mean_b = float(ga.mean()), float(gb.mean())
    se_a = math.sqrt(float(ga.var(ddof=1)) / ga.size)
    se_b = math.sqrt(float(gb.var(ddof=1)) / gb.size)
    test = difference_test(mean_a, se_a, mean_b, se_b)
    return {
        "mean_a": mean_a,
        "mean_b": mean_b,
        "n_a": int(ga.size),
        "n_b": int(gb.size),
        "diff": test["diff"],
        "se": test["se"],
        "z": test["z"],
        "p_two_sided": test["p_two_sided"],
        "significant": test["significant"],
    }
