"""Journey scores: every touchpoint in order, the aggregate, and the weak points it hides."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from cx import store
from cx.choices import DEFAULT_MIN_N
from cx.errors import NotFound
from cx.formats import pair, points
from cx.models import Journey, JourneyScores, JourneyStep, Scale, Source, Status, TouchpointScore

if TYPE_CHECKING:  # the engine and the metrics load ibis: imported where a score is computed
    from cx.engines import Engine
    from cx.metrics import Filter

__all__ = [
    "ASSESSMENT_SCALE",
    "DEFAULT_MARGIN",
    "dataset_scores",
    "hides_sentence",
    "hides_tone",
    "journey_scores",
    "score_journey",
    "touchpoint_records",
]


DEFAULT_MARGIN = 1.0  # points on 0–10 below the aggregate that count as "clearly below"
ASSESSMENT_SCALE = Scale(0, 10)


def _weak_reason(score: float, target: float | None, aggregate: float | None, margin: float) -> str | None:
    if target is not None and score < target:
        return f"below target ({pair(score, target)})"
    if aggregate is not None and score <= aggregate - margin:
        return f"{aggregate - score:.1f} below the journey average"
    return None


def score_journey(
    journey: Journey,
    *,
    engine: Engine | None = None,
    dataset: str | None = None,
    assessment: dict[str, tuple[float, int]] | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    margin: float = DEFAULT_MARGIN,
    stats_frame: pd.DataFrame | None = None,
) -> JourneyScores:
    """Return each touchpoint's score in journey order, the aggregate and the weak points.

    Scores come from customer responses in `dataset` when it has answers for a
    touchpoint, else from the team's assessment; otherwise the touchpoint has no score.
    `stats_frame` is `touchpoint_stats(engine, dataset, filters)` when the caller has it already.
    """
    stats: dict[str, Mapping[Hashable, Any]] = {}
    if stats_frame is None and engine is not None and dataset is not None:
        from cx.metrics import touchpoint_stats

        stats_frame = touchpoint_stats(engine, dataset, filters)
    if stats_frame is not None:
        stats = {str(row["touchpoint"]): row for row in stats_frame.to_dict("records")}
    assessment = assessment or {}
    interim: list[TouchpointScore] = []
    for step in journey.steps:
        row = stats.get(step.touchpoint)
        base = TouchpointScore(
            position=step.position, touchpoint=step.touchpoint, stage=step.stage, source=Source.NONE, n=0,
            mean=None, scale=None, score=None, low=None, high=None, target=step.target, low_n=False,
            weak=False, weak_reason=None,
        )
        if row is not None and int(row["n"]) > 0:
            n = int(row["n"])
            mixed = row["scale_min"] is None or pd.isna(row["scale_min"])
            scale = None if mixed else Scale(float(row["scale_min"]), float(row["scale_max"]), bool(row["reversed"]))
            interim.append(replace(
                base, source=Source.RESPONSES, n=n, mean=_none_if_nan(row["mean"]), scale=scale,
                score=float(row["score"]), low=_none_if_nan(row["low"]), high=_none_if_nan(row["high"]),
                low_n=n < min_n, scales=tuple((float(lo), float(hi)) for lo, hi in row["scales"]),
            ))
        elif step.touchpoint in assessment:
            value, votes = assessment[step.touchpoint]
            interim.append(replace(base, source=Source.ASSESSMENT, n=votes, mean=value, scale=ASSESSMENT_SCALE,
                                   score=value, scales=((ASSESSMENT_SCALE.lo, ASSESSMENT_SCALE.hi),)))
        else:
            interim.append(base)
    scored = [t.score for t in interim if t.score is not None]
    aggregate = sum(scored) / len(scored) if scored else None
    touchpoints = []
    for t in interim:
        reason = None if t.score is None or t.low_n else _weak_reason(t.score, t.target, aggregate, margin)
        touchpoints.append(replace(t, weak=reason is not None, weak_reason=reason))
    return JourneyScores(journey=journey, touchpoints=tuple(touchpoints), aggregate=aggregate,
                         min_n=min_n, margin=margin)


def _none_if_nan(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def journey_scores(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    dataset: str | None = None,
    engine: Engine | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    margin: float = DEFAULT_MARGIN,
) -> JourneyScores:
    """Return the scores of a stored journey, on its own data set unless another is given."""
    journey = store.load_journey(con, name)
    dataset = dataset or journey.dataset
    if dataset is not None and engine is None:
        if not store.has_dataset(con, dataset):
            raise NotFound(f"Journey '{name}' reads data set '{dataset}', which does not exist.")
        from cx.engines import store_engine

        engine = store_engine(con)
    return score_journey(
        journey, engine=engine, dataset=dataset, assessment=store.assessments(con, name),
        filters=filters, min_n=min_n, margin=margin,
    )


def hides_sentence(scores: JourneyScores) -> str:
    """Return the plain-words summary: what the average hides."""
    if scores.aggregate is None:
        return "No touchpoint of this journey has a score yet: add feedback or an assessment."
    weak = scores.weak
    avg = points(scores.aggregate)
    if not weak:
        unjudged = _unjudged(scores)
        if unjudged and len(unjudged) == len(scores.scored):
            return (f"The average of {avg} cannot show a weak touchpoint yet: every scored touchpoint has fewer "
                    f"than {scores.min_n} answers.")
        if unjudged:
            few = ", ".join(f"{t.touchpoint} (n={t.n})" for t in unjudged)
            are = "touchpoint has" if len(unjudged) == 1 else "touchpoints have"
            return (f"The average of {avg} hides no weak touchpoint among those with {scores.min_n} answers or "
                    f"more; {len(unjudged)} {are} fewer and cannot be judged yet: {few}.")
        return f"The average of {avg} hides no weak touchpoint: every scored touchpoint is near or above it."
    names = [f"{t.touchpoint} ({points(t.score or 0.0)})" for t in weak]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "touchpoint" if len(weak) == 1 else "touchpoints"
    return f"The average of {avg} hides {len(weak)} weak {noun}: {listed}"


def _unjudged(scores: JourneyScores) -> list[TouchpointScore]:
    """Return the scored touchpoints with too few answers to be judged weak or not."""
    return [t for t in scores.scored if t.status == Status.LOW_N]


def hides_tone(scores: JourneyScores) -> str:
    """Return how `hides_sentence` should be shown: "warning" (weak touchpoints), "info" (nothing to judge yet:
    no score, or only touchpoints with too few answers) or "success"."""
    if scores.weak:
        return "warning"
    if scores.aggregate is None or len(_unjudged(scores)) == len(scores.scored):
        return "info"
    return "success"


def touchpoint_records(scores: JourneyScores) -> list[dict[str, object]]:
    """Return the per-touchpoint objects of the CLI and exports, in journey order.

    A touchpoint asked on several scales has `scale` and `mean` null (no single original-scale
    mean exists) and lists each scale in `scales`; its 0–10 score stays.
    """
    return [
        {
            "position": t.position, "touchpoint": t.touchpoint, "stage": t.stage, "source": str(t.source),
            "n": t.n, "mean": t.mean,
            "scale": None if t.scale is None else [t.scale.lo, t.scale.hi],
            "scales": [[lo, hi] for lo, hi in t.scales],
            "score": t.score, "low": t.low, "high": t.high, "target": t.target,
            "low_n": t.low_n, "weak": t.weak, "weak_reason": t.weak_reason, "status": str(t.status),
        }
        for t in scores.touchpoints
    ]


def dataset_scores(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    *,
    engine: Engine | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    margin: float = DEFAULT_MARGIN,
    stats_frame: pd.DataFrame | None = None,
) -> JourneyScores:
    """Return the scores of every touchpoint of a data set, as an ad-hoc journey.

    Order: that of a stored journey over this data set when there is one, the rest by
    name, so an imported file is scored without building a journey first. `stats_frame` is
    `touchpoint_stats(engine, dataset, filters)` when the caller has it already.
    """
    frame = stats_frame  # aggregated once, for the names and the scores
    if frame is None:
        if engine is None:
            if not store.has_dataset(con, dataset):
                known = ", ".join(store.dataset_names(con)) or "none"
                raise NotFound(f"No data set named '{dataset}'. Known data sets: {known}.")
            from cx.engines import store_engine

            engine = store_engine(con)
        from cx.metrics import touchpoint_stats

        frame = touchpoint_stats(engine, dataset, filters)
    names = [str(n) for n in frame["touchpoint"]]
    # A stored journey over this data set gives the order, stages and targets of its touchpoints.
    stored = store.journey_over(con, dataset)
    stored_steps = {} if stored is None else {s.touchpoint: s for s in stored.steps}
    ordered = [n for n in stored_steps if n in names] + sorted(set(names) - set(stored_steps))
    steps = tuple(
        replace(stored_steps[n], position=i) if n in stored_steps else JourneyStep(position=i, touchpoint=n)
        for i, n in enumerate(ordered, start=1)
    )
    journey = Journey(name=dataset, dataset=dataset, steps=steps)
    return score_journey(journey, engine=engine, dataset=dataset, filters=filters, min_n=min_n, margin=margin,
                         stats_frame=frame)
