"""Two-group tests for the driver page's "moment comparison": means, shares and NPS, A − B.

Each is the one z-test of `cx.stats` on the right standard errors, returned as the plain
dictionaries the page, the CSV and the JSON print.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cx import stats
from cx.errors import DriverInputError

__all__ = [
    "Difference",
    "MeanDifference",
    "difference_test",
    "mean_difference_from_stats",
    "mean_difference_test",
    "nps_difference_test",
    "share_difference_test",
]

FloatArray = NDArray[np.float64]
_ALPHA = stats.ALPHA


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


def difference_test(value_a: float, se_a: float, value_b: float, se_b: float) -> Difference:
    """Return A - B, its SE sqrt(SE_A² + SE_B²), z and the two-sided normal p-value (cx.stats.difference)."""
    return _as_dict(stats.difference(value_a, se_a, value_b, se_b, _ALPHA))


def _as_dict(test: stats.Difference) -> Difference:
    return {"diff": test.diff, "se": test.se, "z": test.z, "p_two_sided": test.p, "significant": test.significant}


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


def mean_difference_from_stats(
    mean_a: float, sd_a: float, n_a: int, mean_b: float, sd_b: float, n_b: int
) -> MeanDifference:
    """Return mean(A) - mean(B) from group summaries (sample sd), Welch SE, z and a normal two-sided p."""
    for label, n in (("A", n_a), ("B", n_b)):
        if n < 2:
            raise DriverInputError(
                f"group {label} has {n} answer(s); comparing means needs at least 2 per group: widen the filter"
            )
    se_a = math.sqrt(float(sd_a) ** 2 / n_a)
    se_b = math.sqrt(float(sd_b) ** 2 / n_b)
    test = difference_test(mean_a, se_a, mean_b, se_b)
    return {
        "mean_a": float(mean_a), "mean_b": float(mean_b), "n_a": int(n_a), "n_b": int(n_b),
        "diff": test["diff"], "se": test["se"], "z": test["z"], "p_two_sided": test["p_two_sided"],
        "significant": test["significant"],
    }


def share_difference_test(successes_a: float, n_a: int, successes_b: float, n_b: int) -> Difference:
    """Return the difference of two shares in percentage points with an unpooled z-test."""
    for label, n in (("A", n_a), ("B", n_b)):
        if n < 1:
            raise DriverInputError(f"group {label} has no answers: widen the filter")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    return difference_test(
        100 * p_a, 100 * math.sqrt(p_a * (1 - p_a) / n_a), 100 * p_b, 100 * math.sqrt(p_b * (1 - p_b) / n_b)
    )
