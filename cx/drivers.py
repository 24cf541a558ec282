"""Driver analysis: which touchpoints move the outcome, and which to fix first.

Pure numpy. The engine does the heavy aggregation (a k x k correlation matrix of touchpoint
scores and their correlations with the outcome); this module does the small algebra on top:

* relative weights (Johnson, 2000), which split R² fairly between correlated touchpoints;
* the direction of each touchpoint (the sign of its regression weight), with negative drivers
  and suppressors named in the warnings and never ranked into "fix first";
* importance-performance quadrants and a "fix first" list ranked quadrant by quadrant, then by
  importance x gap to target (FIX_FIRST_RULE);
* the nearest correlation matrix (Higham, 2002) for pairwise correlations that do not fit together;
* plain-words readings and simple two-group tests for the "moment comparison" view.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cx import driver_bootstrap
from cx.correlations import (
    consistent_correlations,
    nearest_correlation,
    pairwise_correlations,
    smallest_eigenvalue,
)
from cx.errors import DriverInputError, TooLittleForDrivers
from cx.group_tests import (
    Difference,
    MeanDifference,
    difference_test,
    mean_difference_from_stats,
    mean_difference_test,
    nps_difference_test,
    share_difference_test,
)

__all__ = [
    "FIX_FIRST",
    "FIX_FIRST_ORDER",
    "FIX_FIRST_RULE",
    "KEEP_UP",
    "LISTWISE",
    "LOW_PRIORITY",
    "NEGATIVE",
    "NEGATIVE_DRIVER",
    "PAIRWISE",
    "POSITIVE",
    "POSSIBLE_OVERKILL",
    "QUADRANTS",
    "RULES",
    "NEGLIGIBLE_WEIGHT",
    "SUPPRESSOR",
    "CorrelationSummary",
    "Difference",
    "DriverAnalysis",
    "DriverInputError",
    "FixFirstItem",
    "INCONSISTENT_WARNING",
    "LeftOut",
    "MeanDifference",
    "RelativeWeights",
    "TouchpointDriver",
    "bootstrap_importance",
    "consistent_correlations",
    "difference_test",
    "direction_warning",
    "drivers_from_summary",
    "fix_first",
    "ipa_quadrant",
    "mean_cuts",
    "mean_difference_from_stats",
    "mean_difference_test",
    "nearest_correlation",
    "nps_difference_test",
    "pairwise_correlations",
    "pseudo_r2_note",
    "r2_reading",
    "relative_weights",
    "relative_weights_from_data",
    "respondents_resampled",
    "rule_sentence",
    "share_difference_test",
    "smallest_eigenvalue",
    "touchpoint_caution",
    "usable_touchpoints",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FIX_FIRST: Final = "fix first"
KEEP_UP: Final = "keep up"
LOW_PRIORITY: Final = "low priority"
POSSIBLE_OVERKILL: Final = "possible overkill"
#: The four importance-performance quadrants, in reading order.
QUADRANTS: Final = (FIX_FIRST, KEEP_UP, LOW_PRIORITY, POSSIBLE_OVERKILL)
#: The one ordering of the fix-first list (page, CSV, JSON): quadrant first, below target before
#: at-or-above target, so a "low priority" item never outranks a "fix first" one.
FIX_FIRST_ORDER: Final = (FIX_FIRST, LOW_PRIORITY, KEEP_UP, POSSIBLE_OVERKILL)
FIX_FIRST_RULE: Final = (
    "Ranked quadrant by quadrant — fix first, then low priority (both below target), then keep up and possible "
    "overkill — and within a quadrant by importance × gap to target; a negative driver or a suppressor is never "
    "ranked."
)

#: Direction of a touchpoint: the sign of its standardised regression weight (beta).
POSITIVE: Final = "positive"
NEGATIVE: Final = "negative"
#: What a touchpoint that is never ranked into fix first is called instead of its quadrant.
NEGATIVE_DRIVER: Final = "negative driver"  # beta and r agree: higher scores go with a worse outcome
# Standardised weights (and correlations) smaller than this, either way, have no direction worth reading.
NEGLIGIBLE_WEIGHT: Final = 0.05
SUPPRESSOR: Final = "suppressor"  # beta and r of opposite signs: its weight mostly corrects the others

#: Missing-data rules: each correlation from everyone who answered both (pairwise), or only
#: respondents who answered every analysed touchpoint and the outcome (listwise).
PAIRWISE: Final = "pairwise"
LISTWISE: Final = "listwise"
RULES: Final = (PAIRWISE, LISTWISE)

# Correlations from the engine are rounded floats: allow a little slack before calling a
# matrix "not a correlation matrix".
_CORR_TOL = 1e-6
# Eigenvalues below this fraction of the largest are treated as exact zeros (collinear
# touchpoints); sqrt(1e-10) = 1e-5 keeps the pseudo-inverse of Λ^½ well away from noise.
_EIG_RTOL = 1e-10
_R2_ZERO = 1e-12
_ALPHA = 0.05



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


def _checked_arrays(
    x: ArrayLike, y: ArrayLike, predictors: Sequence[str]
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Return (x as n×k floats, y as n floats, predictor names) after checking shapes and names."""
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
    return xa, ya, names


def _complete_rows(
    x: ArrayLike, y: ArrayLike, predictors: Sequence[str]
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Return the listwise-complete rows of (x, y) after checking shapes."""
    xa, ya, names = _checked_arrays(x, y, predictors)
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
    corr: FloatArray = np.atleast_2d(np.corrcoef(np.column_stack([x, y]), rowvar=False))
    return relative_weights(corr[:k, :k], corr[:k, k], names)


def relative_weights_from_data(x: ArrayLike, y: ArrayLike, predictors: Sequence[str]) -> RelativeWeights:
    """Return relative weights from raw scores (rows with any missing value are dropped).

    ``x`` holds one row per respondent and one column per touchpoint, ``y`` the outcome.
    """
    xa, ya, names = _complete_rows(x, y, predictors)
    return _relative_weights_complete(xa, ya, names)


def respondents_resampled(x: ArrayLike, y: ArrayLike, predictors: Sequence[str], rule: str = LISTWISE) -> int:
    """Return how many of these rows `bootstrap_importance` resamples under `rule` (the respondents it uses).

    Listwise: the rows with every touchpoint and the outcome; pairwise: the rows with the
    outcome and at least one touchpoint answer.
    """
    _check_rule(rule)
    rows = _complete_rows if rule == LISTWISE else _pairwise_rows
    return int(rows(x, y, predictors)[1].shape[0])


def bootstrap_importance(
    x: ArrayLike,
    y: ArrayLike,
    predictors: Sequence[str],
    resamples: int = 300,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    rule: str = LISTWISE,
) -> dict[str, tuple[float, float]]:
    """Return the 95 % percentile bootstrap interval of each touchpoint's share.

    Respondents are resampled with replacement. With ``rule="listwise"`` only complete rows
    take part; with ``rule="pairwise"`` every respondent does, and each resample's
    correlations use pairwise deletion (made consistent as in the point estimate). A
    resample that cannot be analysed (a touchpoint that happens not to vary, a pair nobody
    answered) is skipped; if more than half are skipped the data are too thin and a
    DriverInputError says so. ``progress`` receives the fraction done (0-1) about a hundred
    times, ending with exactly 1.0. Each resample is analysed from its sums, not its rows
    (`cx.driver_bootstrap`): the same draws and intervals as re-analysing the rows, far faster.
    """
    if resamples < 2:
        raise DriverInputError(f"resamples must be at least 2 (got {resamples}); 300 or more is usual")
    _check_rule(rule)
    if rule == LISTWISE:
        xa, ya, names = _complete_rows(x, y, predictors)
        _relative_weights_complete(xa, ya, names)  # fail early, with the full data's message
        data = np.column_stack([xa, ya])
        k = len(names)
        resampled = driver_bootstrap.listwise_resamples(data, resamples, seed)

        def shares_of(counts: NDArray[np.floating[Any]], corr: FloatArray | None) -> tuple[float, ...]:
            if corr is None:  # a score may not vary in this resample: its rows decide, exactly
                idx = driver_bootstrap.drawn_rows(counts)
                return _relative_weights_complete(xa[idx], ya[idx], names).shares
            return relative_weights(corr[:k, :k], corr[:k, k], names).shares
    else:
        xa, ya, names = _pairwise_rows(x, y, predictors)
        data = np.column_stack([xa, ya])
        _relative_weights_pairwise(data, names)  # fail early, with the full data's message
        resampled = driver_bootstrap.pairwise_resamples(data, resamples, seed)

        def shares_of(counts: NDArray[np.floating[Any]], corr: FloatArray | None) -> tuple[float, ...]:
            if corr is None:  # a score may not vary in this resample: its rows decide, exactly
                return _relative_weights_pairwise(data[driver_bootstrap.drawn_rows(counts)], names).shares
            return _pairwise_weights(corr, names).shares

    # Each resample's correlations come from its k x k sums (cx.driver_bootstrap), not its rows.
    draws: list[tuple[float, ...]] = []
    step = max(1, resamples // 100)
    for i, (counts, corr) in enumerate(resampled):
        # A resample where some touchpoint happens not to vary cannot be analysed: skip it.
        with contextlib.suppress(DriverInputError):
            draws.append(shares_of(counts, corr))
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


# ---------------------------------------------------------------- missing data, consistency


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise DriverInputError(f"unknown missing-data rule '{rule}': use {' or '.join(RULES)}")


def rule_sentence(rule: str, min_n: int) -> str:
    """Return the missing-data rule in plain words, with the minimum n it applies."""
    _check_rule(rule)
    if rule == PAIRWISE:
        return (
            "Missing answers: pairwise deletion — each correlation uses every respondent who answered both "
            "touchpoints (or the touchpoint and the outcome); not-applicable answers count as missing, never as 0. "
            f"A touchpoint needs at least {min_n} answers from respondents with the outcome, and every pair of "
            f"touchpoints at least {min_n} respondents in common."
        )
    return (
        "Missing answers: listwise deletion — only respondents who answered every analysed touchpoint and the "
        "outcome are used; not-applicable answers count as missing, never as 0. "
        f"A touchpoint needs at least {min_n} answers from respondents with the outcome to be analysed."
    )


@dataclass(frozen=True, eq=False)
class CorrelationSummary:
    """What relative weights need, from one aggregation over respondents with the outcome.

    Small (k x k) whatever the number of respondents: this is all the engine sends back.
    """

    touchpoints: tuple[str, ...]
    rxx: FloatArray  # k x k Pearson r between touchpoints, NaN where undefined, 1 on the diagonal
    rxy: FloatArray  # Pearson r of each touchpoint with the outcome
    n_pair: IntArray  # respondents behind each entry of rxx; diagonal: answers with the outcome
    performance: FloatArray  # mean 0-10 score of each touchpoint among these respondents
    spread: FloatArray  # population sd of each touchpoint's 0-10 scores (0: nobody differs)
    respondents: int  # respondents with the outcome and at least one answered touchpoint
    outcome_mean: float
    outcome_sd: float  # population sd of the outcome
    rule: str

    def subset(self, keep: Sequence[int]) -> CorrelationSummary:
        """Return the summary of some touchpoints only (pairwise entries do not depend on the others)."""
        idx = np.asarray(list(keep), dtype=np.int64)
        return CorrelationSummary(
            touchpoints=tuple(self.touchpoints[i] for i in idx),
            rxx=self.rxx[np.ix_(idx, idx)], rxy=self.rxy[idx], n_pair=self.n_pair[np.ix_(idx, idx)],
            performance=self.performance[idx], spread=self.spread[idx], respondents=self.respondents,
            outcome_mean=self.outcome_mean, outcome_sd=self.outcome_sd, rule=self.rule,
        )

    @classmethod
    def from_rows(
        cls, x: ArrayLike, y: ArrayLike, predictors: Sequence[str], rule: str = PAIRWISE
    ) -> CorrelationSummary:
        """Return the summary computed in numpy from one row per respondent (NaN = no answer).

        The reference the engine aggregation is tested against; rows without an outcome or
        without any touchpoint answer are not respondents of the analysis.
        """
        _check_rule(rule)
        xa, ya, names = _pairwise_rows(x, y, predictors)
        if rule == LISTWISE:
            complete = np.isfinite(xa).all(axis=1)
            xa, ya = xa[complete], ya[complete]
        corr, n = pairwise_correlations(np.column_stack([xa, ya]))
        k = xa.shape[1]
        present = np.isfinite(xa)
        counts = present.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            perf = np.where(present, xa, 0.0).sum(axis=0) / counts
            spread = np.sqrt(np.where(present, (xa - perf) ** 2, 0.0).sum(axis=0) / counts)
        rxx = corr[:k, :k].copy()
        np.fill_diagonal(rxx, np.where(spread > 0, 1.0, np.nan))
        return cls(
            touchpoints=names, rxx=rxx, rxy=corr[:k, k], n_pair=n[:k, :k], performance=perf, spread=spread,
            respondents=int(xa.shape[0]), outcome_mean=float(ya.mean()) if ya.size else math.nan,
            outcome_sd=float(ya.std()) if ya.size else math.nan, rule=rule,
        )


def _pairwise_rows(
    x: ArrayLike, y: ArrayLike, predictors: Sequence[str]
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Return the rows with an outcome and at least one touchpoint answer, after checking shapes."""
    xa, ya, names = _checked_arrays(x, y, predictors)
    keep = np.isfinite(ya) & np.isfinite(xa).any(axis=1)
    return xa[keep], ya[keep], names


def _relative_weights_pairwise(data: FloatArray, names: tuple[str, ...]) -> RelativeWeights:
    """Return relative weights from rows (touchpoints then outcome) by pairwise deletion, made consistent."""
    corr, _ = pairwise_correlations(data)
    return _pairwise_weights(corr, names)


def _pairwise_weights(corr: FloatArray, names: tuple[str, ...]) -> RelativeWeights:
    """Return relative weights from pairwise correlations (touchpoints then outcome), made consistent."""
    k = len(names)
    rxx, rxy = corr[:k, :k], corr[:k, k]
    if np.isfinite(corr).all():  # otherwise relative_weights says what is missing
        rxx, rxy, _ = consistent_correlations(rxx, rxy)
    return relative_weights(rxx, rxy, names)


@dataclass(frozen=True)
class LeftOut:
    """A touchpoint left out of the driver analysis, and why (shown, never silent)."""

    touchpoint: str
    n: int  # its answers from respondents with the outcome
    reason: str


def usable_touchpoints(summary: CorrelationSummary, min_n: int) -> tuple[tuple[int, ...], tuple[LeftOut, ...]]:
    """Return the indices of touchpoints fit to analyse and a note for each one left out.

    A touchpoint is left out when it has fewer than ``min_n`` answers from respondents with
    the outcome, when its scores (or its link to the outcome) do not vary, and — pairwise —
    when it shares fewer than ``min_n`` respondents with another kept touchpoint (the one
    with the most such pairs goes first, then the one with fewer answers).
    """
    names = summary.touchpoints
    diag = np.diag(summary.n_pair)
    kept: list[int] = []
    left: list[LeftOut] = []
    for j, name in enumerate(names):
        n = int(diag[j])
        if n < min_n:
            left.append(LeftOut(name, n, f"only {n} answers from respondents with the outcome (fewer than {min_n})"))
        elif not summary.spread[j] > 0:
            left.append(LeftOut(name, n, "every respondent gave it the same score, so it cannot explain anything"))
        elif not math.isfinite(float(summary.rxy[j])):
            left.append(LeftOut(name, n, "no usable correlation with the outcome (it does not vary among them)"))
        else:
            kept.append(j)
    while len(kept) > 1:
        sub = np.ix_(kept, kept)
        bad = (summary.n_pair[sub] < min_n) | ~np.isfinite(summary.rxx[sub])
        np.fill_diagonal(bad, False)
        per = bad.sum(axis=1)
        if not per.any():
            break
        worst = max(range(len(kept)), key=lambda i: (per[i], -diag[kept[i]], -i))
        other = kept[int(np.argmax(bad[worst]))]
        j = kept.pop(worst)
        shared = int(summary.n_pair[j, other])
        left.append(LeftOut(
            names[j], int(diag[j]),
            f"only {shared} respondents answered both it and '{names[other]}' (fewer than {min_n}), "
            "so their correlation is not reliable",
        ))
    return tuple(kept), tuple(left)


@dataclass(frozen=True)
class TouchpointDriver:
    """One touchpoint's driver result."""

    touchpoint: str
    importance: float  # share of explained variance (relative weight / R²), sums to 1
    raw_weight: float  # relative weight epsilon, sums to R²
    correlation: float  # Pearson r with the outcome
    beta: float  # standardised regression beta (read with care when touchpoints are correlated)
    performance: float  # mean score on 0-10
    n: int  # answers from respondents with the outcome
    caution: str | None = None  # NEGATIVE_DRIVER or SUPPRESSOR (see `touchpoint_caution`): never in fix first

    @property
    def direction(self) -> str:
        """Return POSITIVE or NEGATIVE: the sign of the standardised regression weight (0 counts as positive)."""
        return NEGATIVE if self.beta < 0 else POSITIVE

    @property
    def suppressor(self) -> bool:
        """Return True for a suppressor: correlation and a non-negligible regression weight of opposite signs."""
        return self.caution == SUPPRESSOR


def touchpoint_caution(correlation: float, beta: float, higher_is_better: bool = True) -> str | None:
    """Return SUPPRESSOR, NEGATIVE_DRIVER, or None for a touchpoint that can be ranked into fix first.

    A suppressor has r and beta of opposite signs: its weight mostly corrects the other
    touchpoints. A negative driver has r and beta both pointing to a worse outcome as the
    score rises: below 0 when higher outcomes are better, above 0 when lower ones are (churn).
    A weight below NEGLIGIBLE_WEIGHT either way has no sign worth reading (a one-SD rise moves the
    outcome by less than 0.05 SD): such a touchpoint is judged by its correlation alone, so r = +0.4
    with β = −0.01 is an ordinary touchpoint, not a suppressor.
    """
    def worse(value: float) -> bool:
        return value <= -NEGLIGIBLE_WEIGHT if higher_is_better else value >= NEGLIGIBLE_WEIGHT

    if abs(beta) < NEGLIGIBLE_WEIGHT:
        return NEGATIVE_DRIVER if worse(correlation) else None
    if correlation * beta < 0:
        return SUPPRESSOR
    return NEGATIVE_DRIVER if worse(beta) else None


def mean_cuts(performances: Sequence[float]) -> tuple[float, float]:
    """Return the default importance-performance crosshairs: (1 / k as a share, the mean performance).

    With shares that sum to 1, 1 / k is the mean importance of the k touchpoints.
    """
    if not performances:
        raise DriverInputError("no touchpoints analysed: there are no crosshairs to place")
    return 1.0 / len(performances), sum(performances) / len(performances)


def _signed(value: float) -> str:
    # Two decimals, three when two would read as 0.00 (the sign is the point).
    text = f"{value:+.2f}" if abs(value) >= 0.005 else f"{value:+.3f}"
    return text.replace("-", "−")


def direction_warning(t: TouchpointDriver) -> str | None:
    """Return the warning naming a negative driver or a suppressor, or None for an ordinary touchpoint."""
    numbers = f"r = {_signed(t.correlation)}, β = {_signed(t.beta)}"
    if t.caution == SUPPRESSOR:
        return (
            f"'{t.touchpoint}' is a suppressor ({numbers}): its regression weight has the opposite sign of its "
            f"correlation with the outcome, so its {_percent(t.importance)} importance mostly corrects the other "
            "touchpoints rather than showing an effect of its own. It is not ranked in fix first."
        )
    if t.caution == NEGATIVE_DRIVER:
        return (
            f"'{t.touchpoint}' is a negative driver ({numbers}): higher scores go with a worse outcome, so its "
            f"{_percent(t.importance)} importance says how strongly, not that raising the score helps. It is not "
            "ranked in fix first."
        )
    return None


@dataclass(frozen=True)
class DriverAnalysis:
    """Relative-weight driver analysis of one outcome on one data set (with its filters)."""

    dataset: str
    outcome: str
    kind: str  # nps, score, binary, value
    rule: str  # pairwise or listwise (the one actually used)
    min_n: int
    respondents: int
    r2: float
    touchpoints: tuple[TouchpointDriver, ...]  # most important first
    left_out: tuple[LeftOut, ...]
    warnings: tuple[str, ...]
    pair_n: tuple[int, int]  # fewest and most respondents behind one correlation used
    higher_is_better: bool = True  # False for an outcome where lower is better (churn)

    @property
    def binary(self) -> bool:
        return self.kind == "binary"

    @property
    def r2_label(self) -> str:
        return "pseudo-R² (linear probability)" if self.binary else "R²"

    def reading(self) -> str:
        """Return R² in plain words (with the yes/no caution when the outcome is binary)."""
        text = r2_reading(self.r2)
        if self.binary:
            text += " " + (pseudo_r2_note([0.0, 1.0]) or "")
        return text

    def rule_text(self) -> str:
        return rule_sentence(self.rule, self.min_n)

    def shares(self) -> dict[str, float]:
        return {t.touchpoint: t.importance for t in self.touchpoints}

    def cuts(self) -> tuple[float, float]:
        """Return the default crosshairs: (importance share 1 / k, mean performance); see `mean_cuts`."""
        return mean_cuts([t.performance for t in self.touchpoints])

    def fix_first(
        self, target: float | Mapping[str, float] | None = None, importance_cut: float | None = None
    ) -> list[FixFirstItem]:
        """Return the fix-first list (FIX_FIRST_RULE) of the touchpoints that can be ranked.

        ``target`` defaults to the mean performance, ``importance_cut`` (a share) to 1 / k of
        all analysed touchpoints; negative drivers and suppressors are left out (see ``caution``).
        """
        share, mean = self.cuts()
        ranked = [(t.touchpoint, t.importance, t.performance) for t in self.touchpoints if t.caution is None]
        goal = mean if target is None else target
        return fix_first(ranked, goal, share if importance_cut is None else importance_cut)

    def not_ranked(self) -> tuple[TouchpointDriver, ...]:
        """Return the negative drivers and suppressors, most important first (never in fix first)."""
        return tuple(t for t in self.touchpoints if t.caution is not None)

    def as_dict(self) -> dict[str, Any]:
        """Return the public JSON shape (see README, `python -m cx drivers --json`).

        The fix-first list uses the default crosshairs (`cuts`): the mean performance as target.
        """
        share, mean = self.cuts()
        return {
            "dataset": self.dataset,
            "outcome": self.outcome,
            "kind": self.kind,
            "rule": self.rule,
            "rule_text": self.rule_text(),
            "higher_is_better": self.higher_is_better,
            "min_n": self.min_n,
            "respondents": self.respondents,
            "r2": self.r2,
            "r2_label": self.r2_label,
            "r2_reading": self.reading(),
            "pair_n": {"min": self.pair_n[0], "max": self.pair_n[1]},
            "touchpoints": [
                {"touchpoint": t.touchpoint, "importance": t.importance, "raw_weight": t.raw_weight,
                 "correlation": t.correlation, "beta": t.beta, "direction": t.direction,
                 "suppressor": t.suppressor, "performance": t.performance, "n": t.n}
                for t in self.touchpoints
            ],
            "left_out": [{"touchpoint": lo.touchpoint, "n": lo.n, "reason": lo.reason} for lo in self.left_out],
            "warnings": list(self.warnings),
            "fix_first_rule": FIX_FIRST_RULE,
            "fix_first_target": mean,
            "fix_first_importance_cut": share,
            "fix_first": [
                {"rank": rank, "touchpoint": item.touchpoint, "quadrant": item.quadrant, "importance": item.importance,
                 "performance": item.performance, "target": item.target, "gap": item.gap, "priority": item.priority,
                 "sentence": item.sentence}
                for rank, item in enumerate(self.fix_first(), start=1)
            ],
            "not_ranked": [{"touchpoint": t.touchpoint, "reason": t.caution} for t in self.not_ranked()],
        }


INCONSISTENT_WARNING: Final = (
    "The pairwise correlations do not fit together (their matrix is not positive semidefinite, which happens "
    "when different respondents answer different touchpoints); they were replaced by the nearest consistent set "
    "(the nearest correlation matrix, Higham 2002), so R² and the shares are approximate."
)


def drivers_from_summary(
    summary: CorrelationSummary,
    *,
    min_n: int,
    dataset: str,
    outcome: str,
    kind: str,
    warnings: Sequence[str] = (),
    higher_is_better: bool = True,
) -> DriverAnalysis:
    """Return the driver analysis from an engine's correlation summary.

    Touchpoints unfit to analyse are left out with a note (``usable_touchpoints``); an
    inconsistent pairwise matrix is repaired with a warning (``consistent_correlations``);
    negative drivers and suppressors are named in the warnings (``touchpoint_caution``;
    ``higher_is_better=False`` for an outcome such as churn).
    """
    if summary.respondents == 0:
        raise TooLittleForDrivers(
            f"no respondent has both touchpoint answers and the outcome '{outcome}': pick another outcome "
            "or widen the filter"
        )
    if not summary.outcome_sd > 0:
        raise TooLittleForDrivers(
            f"the outcome '{outcome}' has no variance in the answers used (every respondent gave the same "
            "outcome): pick another outcome or widen the filter"
        )
    kept, left = usable_touchpoints(summary, min_n)
    if not kept:
        raise TooLittleForDrivers(
            f"no touchpoint has at least {min_n} answers from respondents with the outcome '{outcome}' "
            f"({len(left)} left out): lower the minimum answers or widen the filter"
        )
    sub = summary.subset(kept)
    k = len(kept)
    if summary.rule == LISTWISE and summary.respondents < k + 2:
        raise TooLittleForDrivers(
            f"only {summary.respondents} respondents answered all {k} touchpoints and the outcome; listwise "
            f"deletion needs at least {k + 2}: use pairwise deletion or analyse fewer touchpoints"
        )
    notes = list(warnings)
    rxx, rxy, changed = consistent_correlations(sub.rxx, sub.rxy)
    if changed:
        notes.append(INCONSISTENT_WARNING)
    rw = relative_weights(rxx, rxy, sub.touchpoints)
    rows = [
        TouchpointDriver(
            touchpoint=name, importance=rw.shares[j], raw_weight=rw.raw[j], correlation=float(sub.rxy[j]),
            beta=rw.betas[j], performance=float(sub.performance[j]), n=int(sub.n_pair[j, j]),
            caution=touchpoint_caution(float(sub.rxy[j]), rw.betas[j], higher_is_better),
        )
        for j, name in enumerate(sub.touchpoints)
    ]
    rows.sort(key=lambda t: -t.importance)
    notes += [w for w in (direction_warning(t) for t in rows) if w is not None]
    pairs = sub.n_pair[np.triu_indices(k, 1)] if k > 1 else np.diag(sub.n_pair)
    pairs = np.concatenate([pairs, np.diag(sub.n_pair)])
    return DriverAnalysis(
        dataset=dataset, outcome=outcome, kind=kind, rule=summary.rule, min_n=min_n,
        respondents=summary.respondents, r2=rw.r2, touchpoints=tuple(rows), left_out=left,
        warnings=tuple(notes), pair_n=(int(pairs.min()), int(pairs.max())), higher_is_better=higher_is_better,
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
    """Return touchpoints in the fix-first order (FIX_FIRST_RULE): quadrant first, then importance x gap.

    ``items`` are (touchpoint, importance share 0-1, performance 0-10). ``target`` is one
    target score for all or a per-touchpoint mapping; it is also the performance cut of the
    quadrants. A touchpoint is "important" when its share is at least ``importance_cut``
    (default: the mean share of the items, like the IPA crosshair). Quadrants come in
    FIX_FIRST_ORDER (fix first, low priority, keep up, possible overkill); within one, the
    biggest importance x gap first, then the most important (at or above target the
    priority is 0); ties keep the input order. Leave negative drivers and suppressors out
    of ``items`` (``DriverAnalysis.fix_first`` does).
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
    ranked.sort(key=lambda item: (FIX_FIRST_ORDER.index(item.quadrant), -item.priority, -item.importance))
    return ranked
