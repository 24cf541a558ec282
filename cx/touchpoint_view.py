"""The Touchpoints view: each touchpoint's score and its other metrics from one pass over the answers.

`touchpoint_stats` (the 0–10 score and what describes it) and `compute(..., by="touchpoint")` (CSAT, CES, NPS…)
both group the answers by touchpoint and respondent, and at scale that grouping is most of each query. Here the
score and its describing columns ride along in the metrics' aggregation, so the grouping is done once; every
number is still the registry's `mean_score` finished by `result_from_parts`, as on every other page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cx import journeys
from cx.choices import DEFAULT_MIN_N
from cx.engines import Engine
from cx.metrics import (
    DESCRIBING,
    REGISTRY,
    Filter,
    MetricResult,
    definitions,
    results_and_rows,
    scored_answers,
    stats_frame,
)
from cx.models import ClvSettings, Journey, JourneyScores

__all__ = ["TouchpointView", "touchpoint_view"]


@dataclass(frozen=True)
class TouchpointView:
    """`scores` as `journeys.dataset_scores` returns them, `stats` as `touchpoint_stats(engine, dataset, filters)`
    does, `results` as `compute(engine, names, dataset=dataset, by="touchpoint", filters=filters, min_n=min_n,
    clv=clv)` does."""

    scores: JourneyScores
    stats: pd.DataFrame
    results: list[MetricResult]


def touchpoint_view(
    engine: Engine,
    names: Sequence[str],
    dataset: str,
    filters: Sequence[Filter] = (),
    *,
    min_n: int = DEFAULT_MIN_N,
    clv: ClvSettings | None = None,
    journey: Journey | None = None,
) -> TouchpointView:
    """Return the touchpoint scores, their stats and the metrics `names` per touchpoint, the answers grouped once.

    `journey`: the stored journey over the data set (`store.journey_over`), which orders the scores.

    `mean_score` joins the wanted metrics and the describing columns (raw mean, scale, direction) are added at
    both levels of their aggregation by (touchpoint, respondent). A touchpoint with no scored answer (events only)
    has results but no stats row, as in `touchpoint_stats`.
    """
    wanted = definitions(names, clv)
    score = REGISTRY["mean_score"]
    extra = [] if any(d.name == score.name for d in wanted) else [score]
    results, rows = results_and_rows(engine, [*wanted, *extra], dataset, "touchpoint", filters, min_n, DESCRIBING)
    scores = [r for r in results if r.metric == score.name]
    picked = [({**row, "touchpoint": row["grp"]}, result)
              for row, result in zip(rows["responses"], scores, strict=True) if result.n > 0]
    stats = stats_frame(scored_answers(engine, dataset, filters), ["touchpoint"], [row for row, _ in picked],
                        [result for _, result in picked])
    scores_of = journeys.scores_from_stats(dataset, stats, journey, min_n=min_n)
    return TouchpointView(scores=scores_of, stats=stats,
                          results=[r for r in results if not extra or r.metric != score.name])
