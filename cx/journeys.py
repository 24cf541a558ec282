"""Journey scores: every touchpoint in order, the aggregate, and the weak points it hides."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import duckdb

from cx import store
from cx.engines import Engine, store_engine
from cx.metrics import DEFAULT_MIN_N, Filter, touchpoint_stats
from cx.models import Journey, JourneyScores, JourneyStep, Scale, TouchpointScore

DEFAULT_MARGIN = 1.0  # points on 0–10 below the aggregate that count as "clearly below"
ASSESSMENT_SCALE = Scale(0, 10)


def _pair(a: float, b: float) -> str:
    """Return "a vs b" with enough decimals that the two never look equal."""
    digits = 1 if round(a, 1) != round(b, 1) else 2
    return f"{a:.{digits}f} vs {b:.{digits}f}"


def _weak_reason(score: float, target: float | None, aggregate: float | None, margin: float) -> str | None:
    if target is not None and score < target:
        return f"below target ({_pair(score, target)})"
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
) -> JourneyScores:
    """Return each touchpoint's score in journey order, the aggregate and the weak points.

    Scores come from customer responses in `dataset` when it has answers for a
    touchpoint, else from the team's assessment; otherwise the touchpoint has no score.
    """
    stats = {}
    if engine is not None and dataset is not None:
        frame = touchpoint_stats(engine, dataset, filters)
        stats = {row["touchpoint"]: row for row in frame.to_dict("records")}
    assessment = assessment or {}
    interim = []
    for step in journey.steps:
        row = stats.get(step.touchpoint)
        if row is not None and int(row["n"]) > 0:
            n = int(row["n"])
            scale = Scale(float(row["scale_min"]), float(row["scale_max"]), bool(row["reversed"]))
            interim.append((step, "responses", n, float(row["mean"]), scale, float(row["score"]),
                            row["low"], row["high"], n < min_n))
        elif step.touchpoint in assessment:
            value, votes = assessment[step.touchpoint]
            interim.append((step, "assessment", votes, value, ASSESSMENT_SCALE, value, None, None, False))
        else:
            interim.append((step, "none", 0, None, None, None, None, None, False))
    scored = [item[5] for item in interim if item[5] is not None]
    aggregate = sum(scored) / len(scored) if scored else None
    touchpoints = []
    for step, source, n, mean, scale, score, low, high, low_n in interim:
        reason = None if score is None or low_n else _weak_reason(score, step.target, aggregate, margin)
        touchpoints.append(TouchpointScore(
            position=step.position, touchpoint=step.touchpoint, stage=step.stage, source=source,
            n=n, mean=mean, scale=scale, score=score, low=_none_if_nan(low), high=_none_if_nan(high),
            target=step.target, low_n=low_n, weak=reason is not None, weak_reason=reason,
        ))
    return JourneyScores(journey=journey, touchpoints=tuple(touchpoints), aggregate=aggregate,
                         min_n=min_n, margin=margin)


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


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
            raise store.NotFound(f"Journey '{name}' reads data set '{dataset}', which does not exist.")
        engine = store_engine(con)
    return score_journey(
        journey, engine=engine, dataset=dataset, assessment=store.assessments(con, name),
        filters=filters, min_n=min_n, margin=margin,
    )


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def hides_sentence(scores: JourneyScores) -> str:
    """Return the plain-words summary: what the average hides."""
    if scores.aggregate is None:
        return "No touchpoint of this journey has a score yet: add feedback or an assessment."
    weak = scores.weak
    avg = _fmt(scores.aggregate)
    if not weak:
        return f"The average of {avg} hides no weak touchpoint: every scored touchpoint is near or above it."
    names = [f"{t.touchpoint} ({_fmt(t.score or 0.0)})" for t in weak]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "touchpoint" if len(weak) == 1 else "touchpoints"
    return f"The average of {avg} hides {len(weak)} weak {noun}: {listed}"


def touchpoint_records(scores: JourneyScores) -> list[dict[str, object]]:
    """Return the per-touchpoint objects of the CLI and exports, in journey order."""
    return [
        {
            "position": t.position, "touchpoint": t.touchpoint, "stage": t.stage, "source": t.source,
            "n": t.n, "mean": t.mean,
            "scale": None if t.scale is None else [t.scale.lo, t.scale.hi],
            "score": t.score, "low": t.low, "high": t.high, "target": t.target,
            "low_n": t.low_n, "weak": t.weak, "weak_reason": t.weak_reason,
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
) -> JourneyScores:
    """Return the scores of every touchpoint of a data set, as an ad-hoc journey.

    Order: that of a stored journey over this data set when there is one, the rest by
    name, so an imported file is scored without building a journey first.
    """
    if engine is None:
        if not store.has_dataset(con, dataset):
            known = ", ".join(store.dataset_names(con)) or "none"
            raise store.NotFound(f"No data set named '{dataset}'. Known data sets: {known}.")
        engine = store_engine(con)
    names = [str(n) for n in touchpoint_stats(engine, dataset, filters)["touchpoint"]]
    # A stored journey over this data set gives the order, stages and targets of its touchpoints.
    stored_steps = next((
        {s.touchpoint: s for s in j.steps}
        for j in map(lambda n: store.load_journey(con, n), store.journey_names(con))
        if j.dataset == dataset
    ), {})
    ordered = [n for n in stored_steps if n in names] + sorted(set(names) - set(stored_steps))
    steps = tuple(
        replace(stored_steps[n], position=i) if n in stored_steps else JourneyStep(position=i, touchpoint=n)
        for i, n in enumerate(ordered, start=1)
    )
    journey = Journey(name=dataset, dataset=dataset, steps=steps)
    return score_journey(journey, engine=engine, dataset=dataset, filters=filters, min_n=min_n, margin=margin)
