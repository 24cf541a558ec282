"""Comparisons of metric results: a group against everyone else, this month against the last.

Built on the registry's finished results (`cx.metrics`): the rest of a group is the total's statistics
minus the group's, finished by the same definition, so no comparison computes a metric its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from cx.formats import metric_value
from cx.metrics import (
    DEFAULT_MIN_N,
    OUTCOME,
    REGISTRY,
    MetricResult,
    metric,
    outcome_from_parts,
    result_from_parts,
)
from cx.stats import ALPHA, Difference, exact_share_p
from cx.stats import difference as difference_of

__all__ = ["compare_groups", "difference", "in_month", "month_change", "month_windows", "rest_of"]


def difference(a: MetricResult, b: MetricResult, alpha: float = 0.05) -> Difference | None:
    """Return a − b with a z-test on independent groups (SE = √(SE_a² + SE_b²)); None when untestable."""
    if a.value is None or b.value is None or a.se is None or b.se is None:
        return None
    return difference_of(a.value, a.se, b.value, b.se, alpha)


def rest_of(total: MetricResult, group: MetricResult, min_n: int = DEFAULT_MIN_N) -> MetricResult:
    """Return the metric for everyone outside `group` (total minus group statistics)."""
    rest = {k: v - dict(group.parts).get(k, 0.0) for k, v in total.parts}
    if total.metric == OUTCOME:
        return outcome_from_parts(total.kind or "", rest, outcome=total.outcome, scale=total.scale,
                                  group=f"not {group.group}", min_n=min_n)
    return result_from_parts(metric(total.metric), rest, f"not {group.group}", min_n)


def month_windows(last: Any) -> tuple[tuple[Any, Any, str], tuple[Any, Any, str]] | None:
    """Return ((start, end, label) of the month holding `last`, the same for the month before).

    Returns None when there is no last date (a data set without dates has no months to compare).
    """
    if last is None or pd.isna(last):
        return None
    end = pd.Timestamp(last)
    start = end.normalize().replace(day=1)
    prev_start = (start - pd.Timedelta(days=1)).replace(day=1)
    return ((start.to_pydatetime(), (start + pd.offsets.MonthBegin(1)).to_pydatetime(), start.strftime("%b %Y")),
            (prev_start.to_pydatetime(), start.to_pydatetime(), prev_start.strftime("%b %Y")))


def in_month(results: Sequence[MetricResult], start: Any) -> dict[str, MetricResult]:
    """Return, per metric, the result of the month starting at `start` from results computed `by="month"`."""
    key = pd.Timestamp(start).strftime("%Y-%m")
    return {r.metric: r for r in results if r.group == key}


def month_change(current: MetricResult | None, previous: MetricResult | None, period: str) -> tuple[str | None, str]:
    """Return (the change from `previous` to `current` as a tile shows it, signed; the note on its test), or
    (None, "") when either month has no value."""
    if current is None or previous is None or current.value is None or previous.value is None:
        return None, ""
    change = current.value - previous.value
    delta = metric_value(current.metric, change)
    if change > 0 and not delta.startswith("+"):
        delta = "+" + delta
    if current.low_n or previous.low_n:
        return delta, f"{period}: too few answers to test"
    diff = difference(current, previous)
    if diff is None:
        return delta, ""
    return delta, f"{period}: {'significant' if diff.significant else 'not significant'} (z-test, p = {diff.p:.2f})"


def compare_groups(results: Sequence[MetricResult], total: MetricResult, min_n: int = DEFAULT_MIN_N
                   ) -> list[tuple[MetricResult, Difference | None]]:
    """Return each group with its difference from everyone else (None when too small to test).

    Shares with few events (an expected count below 5 in either group) are tested exactly
    (Fisher), not with the normal approximation, which calls 0/30 against 4/30 significant.
    """
    out: list[tuple[MetricResult, Difference | None]] = []
    share_of = _share_key(total)
    for group in results:
        rest = rest_of(total, group, min_n)
        testable = not group.low_n and not rest.low_n
        diff = difference(group, rest) if testable else None
        if diff is not None and share_of is not None:
            diff = _exact_when_few(diff, group, rest, share_of)
        out.append((group, diff))
    return out


def _share_key(result: MetricResult) -> str | None:
    if result.metric == OUTCOME:
        return "positive" if result.kind == "binary" else None
    return REGISTRY[result.metric].share_of if result.metric in REGISTRY else None


def _effective_counts(result: MetricResult, key: str) -> tuple[int, int]:
    """Return (successes, n) of a share, on the effective sample size when its answers are clustered."""
    parts = dict(result.parts)
    n, x = parts.get("n", 0.0), parts.get(key, 0.0)
    if "c_g" in parts and result.se and n:
        p = x / n
        effective = (p * (1 - p)) / (result.se / 100) ** 2 if 0 < p < 1 else n
        n, x = min(n, effective), p * min(n, effective)
    return round(x), round(n)


def _exact_when_few(diff: Difference, group: MetricResult, rest: MetricResult, key: str) -> Difference:
    (x1, n1), (x2, n2) = _effective_counts(group, key), _effective_counts(rest, key)
    if min(n1, n2) <= 0:
        return diff
    pooled = (x1 + x2) / (n1 + n2)
    if min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)) >= 5:
        return diff
    p = exact_share_p(x1, n1, x2, n2)
    return replace(diff, p=p, significant=p < ALPHA)
