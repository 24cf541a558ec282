"""The statistics every number in cx rests on: intervals, bounds and the one two-group test.

Pure functions of counts and sums, no engine and no Streamlit. The metric registry, the
driver analysis, the channel gaps, the actions' before/after and the page tiles all call
these, so one formula has one definition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ALPHA",
    "DETRACTOR_MAX",
    "PROMOTER_MIN",
    "Z95",
    "Difference",
    "Estimate",
    "bounded",
    "difference",
    "exact_share_p",
    "holm",
    "mean_interval",
    "nps_value",
    "two_sided_p",
    "wilson_interval",
    "z_test",
]

Z95 = 1.959964
ALPHA = 0.05
# NPS on the 0–10 recommend question: promoters 9–10, passives 7–8, detractors 0–6.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class Estimate:
    """A value with its 95 % interval and standard error (None where undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    se: float | None = None


def bounded(low: float | None, high: float | None, bounds: tuple[float, float] | None
            ) -> tuple[float | None, float | None]:
    """Return the interval clipped to the range a metric can take (a 0–10 score never leaves 0–10)."""
    if bounds is None:
        return low, high
    lo, hi = bounds
    return (None if low is None else min(max(low, lo), hi), None if high is None else max(min(high, hi), lo))


def mean_interval(mean: float, sd: float | None, n: int) -> tuple[float | None, float | None]:
    """Return the normal-approximation 95 % interval of a mean (None when n < 2)."""
    if n < 2 or sd is None or math.isnan(sd):
        return None, None
    half = Z95 * sd / math.sqrt(n)
    return mean - half, mean + half


def wilson_interval(successes: float, n: float) -> tuple[float | None, float | None]:
    """Return the Wilson 95 % interval of a share (None when n is 0)."""
    if n <= 0:
        return None, None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / (1 + z2 / n)
    return centre - half, centre + half


def nps_value(promoters: float, detractors: float, n: float) -> tuple[float, float]:
    """Return (NPS, standard error) in points from promoter and detractor counts."""
    p, d = promoters / n, detractors / n
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return 100 * (p - d), se


@dataclass(frozen=True)
class Difference:
    """A − B with its standard error, z, two-sided p and 95 % interval."""

    diff: float
    se: float
    z: float
    p: float
    significant: bool

    @property
    def low(self) -> float:
        return self.diff - Z95 * self.se

    @property
    def high(self) -> float:
        return self.diff + Z95 * self.se


def two_sided_p(z: float) -> float:
    """Return the two-sided normal p-value of a z statistic."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def z_test(diff: float, se: float, alpha: float = ALPHA) -> Difference:
    """Return the normal test of a difference with standard error `se`.

    With se = 0 neither group varies: any difference is certain, no difference is no evidence.
    """
    z = diff / se if se > 0 else 0.0 if diff == 0 else math.copysign(math.inf, diff)
    p = two_sided_p(z)
    return Difference(diff=diff, se=se, z=z, p=p, significant=p < alpha)


def difference(value_a: float, se_a: float, value_b: float, se_b: float, alpha: float = ALPHA) -> Difference:
    """Return A − B for independent groups: SE = √(SE_A² + SE_B²), two-sided z-test."""
    return z_test(float(value_a) - float(value_b), math.sqrt(float(se_a) ** 2 + float(se_b) ** 2), alpha)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Return Holm's step-down adjusted p-values (None stays None): controls the chance of any false mark."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    m = len(tested)
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def exact_share_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Return Fisher's exact two-sided p-value for x1 of n1 against x2 of n2.

    Sums the hypergeometric probabilities of every table with the same margins that is no more
    likely than the one seen (with a 1e-7 relative tolerance, as is usual).
    """
    total, successes = n1 + n2, x1 + x2
    lo, hi = max(0, successes - n2), min(successes, n1)

    def log_p(k: int) -> float:
        return (_log_comb(n1, k) + _log_comb(n2, successes - k)) - _log_comb(total, successes)

    seen = log_p(x1)
    p = sum(math.exp(log_p(k)) for k in range(lo, hi + 1) if log_p(k) <= seen + 1e-7)
    return min(1.0, p)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
