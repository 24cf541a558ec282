"""View models: the rows a page draws, its download writes and its command prints, built once.

Each function takes computed results (cx.metrics, cx.drivers) and returns a frame whose numbers
stay numbers, with one verdict column; pages only choose widgets and draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cx.comparisons import compare_groups
from cx.drivers import DriverAnalysis
from cx.metrics import DEFAULT_MIN_N, MetricResult
from cx.stats import ALPHA, difference, holm

__all__ = [
    "BREAKDOWN_COLUMNS",
    "RANKED",
    "UNIT_COLUMNS",
    "QuadrantCuts",
    "breakdown",
    "channel_gaps",
    "quadrant_cuts",
    "unit_ranking",
]

BREAKDOWN_COLUMNS = ["group", "value", "low", "high", "n", "vs rest", "p", "p (Holm)", "mark"]
UNIT_COLUMNS = ["rank", "unit", "value", "low", "high", "n", "status"]
RANKED = "ranked"


def breakdown(groups: Sequence[MetricResult], total: MetricResult, min_n: int = DEFAULT_MIN_N) -> pd.DataFrame:
    """Return one row per group: value, interval, n, difference from everyone else, p, Holm's p and its mark.

    Each group is tested against the rest; with many groups some would differ by chance, so the
    marks use Holm's correction over every tested group (`p (Holm)` < 0.05). mark: "low n" (too
    few to test), "▲ higher" / "▼ lower", or "". Groups with no value are left out.
    """
    shown = [g for g in groups if g.group is not None and g.value is not None]
    compared = compare_groups(shown, total, min_n)
    adjusted = holm([None if diff is None else diff.p for _, diff in compared])
    rows = []
    for (group, diff), p_holm in zip(compared, adjusted, strict=True):
        if group.low_n:
            mark = "low n"
        elif diff is not None and p_holm is not None and p_holm < ALPHA:
            mark = "▲ higher" if diff.diff > 0 else "▼ lower"
        else:
            mark = ""
        rows.append({"group": group.group, "value": group.value, "low": group.low, "high": group.high,
                     "n": group.n, "vs rest": None if diff is None else diff.diff,
                     "p": None if diff is None else diff.p, "p (Holm)": p_holm, "mark": mark})
    return pd.DataFrame(rows, columns=BREAKDOWN_COLUMNS)


def unit_ranking(results: Sequence[MetricResult], *, higher_is_better: bool) -> pd.DataFrame:
    """Return the local units best first (rank 1 = best), then the unranked small ones (rank blank, "low n")."""
    frame = pd.DataFrame(
        [{"unit": r.group, "value": r.value, "low": r.low, "high": r.high, "n": r.n,
          "status": "low n" if r.low_n else RANKED}
         for r in results if r.group is not None and r.value is not None],
        columns=["unit", "value", "low", "high", "n", "status"],
    )
    ranked = frame[frame["status"] == RANKED].sort_values(["value", "unit"], ascending=[not higher_is_better, True])
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    small = frame[frame["status"] != RANKED].sort_values("unit").assign(rank=None)
    return pd.concat([ranked, small])[UNIT_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class QuadrantCuts:
    """Where the importance–performance crosshairs sit: importance in % of explained variance, performance 0–10."""

    importance: float
    performance: float


def quadrant_cuts(analysis: DriverAnalysis) -> QuadrantCuts:
    """Return the default crosshairs: the mean importance (100 % / k) and the mean performance of the touchpoints."""
    performances = [t.performance for t in analysis.touchpoints]
    return QuadrantCuts(importance=100.0 / len(performances), performance=sum(performances) / len(performances))


def channel_gaps(stats: pd.DataFrame, *, min_n: int = DEFAULT_MIN_N, min_gap: float = 1.0) -> pd.DataFrame:
    """Return per touchpoint the best and worst channel, their gap and whether it is a real inconsistency.

    `stats` is `touchpoint_stats(..., by="channel")`. A gap is flagged when the best and worst
    reliable channels (n ≥ min_n) differ by at least `min_gap` points of 10 and a two-sided
    z-test on the two means is significant at 95 %.
    """
    rows = []
    for touchpoint, group in stats.groupby("touchpoint", sort=False):
        solid = group[(group["n"] >= min_n) & group["se"].notna()]
        if len(solid) < 2:
            rows.append({"touchpoint": touchpoint, "channels": len(group), "best": None, "worst": None,
                         "gap": None, "p": None, "inconsistent": False,
                         "note": "one channel" if len(group) < 2 else "too few answers per channel to compare"})
            continue
        best = solid.iloc[int(solid["score"].to_numpy().argmax())]
        worst = solid.iloc[int(solid["score"].to_numpy().argmin())]
        test = difference(best["score"], best["se"], worst["score"], worst["se"])
        gap, p = test.diff, test.p
        flagged = gap >= min_gap and p < 0.05
        rows.append({"touchpoint": touchpoint, "channels": len(group), "best": best["channel"],
                     "worst": worst["channel"], "gap": gap, "p": p, "inconsistent": flagged,
                     "note": f"{worst['channel']} {gap:.1f} points below {best['channel']}" if flagged else ""})
    return pd.DataFrame(rows)
