"""Observed journeys: the order in which customers really met the touchpoints, beside the designed one.

Each respondent's timestamped answers and events, in time order, are their **path** (a repeat visit
stays in it). The engine numbers the steps with window functions (ROW_NUMBER / LEAD over the
respondent ordered by time: the same on DuckDB and Spark, unlike ordered aggregation), encodes each
path as a few exact integers and groups respondents by them; only the most frequent paths, the
transitions and the first steps of the flow come back to Python. The outcome on a path is finished
by `cx.metrics` (NPS, % positive, mean) and tested against everyone else's with Holm's correction.

A respondent whose answers all share one timestamp (a survey submitted at once) or carry none has
no observed order: counted as `unordered`, left out of every path, never given an invented order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import FloatingColumn, Table

from cx.engines import Engine
from cx.errors import InvalidInput
from cx.metrics import (
    DEFAULT_MIN_N,
    Filter,
    MetricResult,
    compare_groups,
    filtered_responses,
    outcome_from_parts,
)
from cx.models import Journey
from cx.stats import ALPHA, DETRACTOR_MAX, PROMOTER_MIN, holm

__all__ = [
    "DEFAULT_TOP",
    "FLOW_STEPS",
    "HIGHER",
    "LOWER",
    "LOW_N",
    "ORDER_RULE",
    "DesignedStep",
    "FlowLink",
    "ObservedStep",
    "PathVariant",
    "PathsView",
    "Transition",
    "default_outcome",
    "designed_frame",
    "observed_frame",
    "observed_paths",
    "ordinal",
    "path_label",
    "paths_frame",
    "transitions_frame",
]

DEFAULT_TOP = 10
FLOW_STEPS = 6  # steps drawn in the flow chart; longer paths are in the path table
ARROW = " → "
ORDER_RULE = (
    "A path is a respondent's answers and events in time order (answers at the same moment in name order; "
    "answers without a time left out). Respondents whose answers all share one timestamp (a survey submitted "
    "at once) or carry none have no observed order: they are counted as unordered and left out of the paths."
)
HIGHER, LOWER, LOW_N = "▲ higher", "▼ lower", "low n"
# Outcome parts per group of respondents (cx.metrics.OUTCOME_PARTS), named apart from the path count "n".
_PARTS = {"o_n": "n", "o_s1": "s1", "o_s2": "s2", "o_positive": "positive", "o_promoters": "promoters",
          "o_detractors": "detractors"}


# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class ObservedStep:
    """A touchpoint in the observed order: where customers first meet it, on average (1 = first)."""

    rank: int  # 1 = met first, on average
    touchpoint: str
    mean_first_step: float  # mean step at which respondents first meet it (1 = their first)
    respondents: int  # ordered respondents who met it
    answers: int  # answers and events at it, repeats included
    designed: int | None  # its position in the chosen journey, None when not in it or no journey
    note: str  # "designed 3rd, customers meet it 1st", "not in the journey" or ""


@dataclass(frozen=True)
class PathVariant:
    """One path variant: how many took it and the outcome on it, compared with everyone else's."""

    path: tuple[str, ...]
    n: int  # respondents who took this path
    share: float  # of the respondents with an observed order, 0–1
    result: MetricResult | None  # the outcome of its respondents (None without an outcome)
    vs_rest: float | None  # outcome on the path minus the outcome of everyone else
    p: float | None
    p_holm: float | None  # Holm-adjusted over the paths shown and tested
    mark: str  # "▲ higher", "▼ lower", "low n" or ""

    @property
    def value(self) -> float | None:
        return None if self.result is None else self.result.value

    @property
    def low(self) -> float | None:
        return None if self.result is None else self.result.low

    @property
    def high(self) -> float | None:
        return None if self.result is None else self.result.high

    @property
    def low_n(self) -> bool:
        return self.result.low_n if self.result is not None else self.mark == LOW_N


@dataclass(frozen=True)
class Transition:
    """Moves from one touchpoint straight to the next, over every step (a respondent may move twice)."""

    source: str
    target: str
    n: int
    share: float  # of every move out of `source`, 0–1


@dataclass(frozen=True)
class FlowLink:
    """Respondents at step `step` (1 = first) on `source` whose next step is `target` (None: the path ends)."""

    step: int
    source: str
    target: str | None
    n: int
    result: MetricResult | None  # the outcome of these respondents


@dataclass(frozen=True)
class DesignedStep:
    """A step of the designed journey with what customers did: reach, order and drop-off."""

    position: int
    touchpoint: str
    observed_rank: int | None  # its place among the journey's touchpoints in the observed order
    reached: int  # ordered respondents who met it at all
    never_reached: int  # ordered respondents who never met it
    through: int  # met it and every designed step before it (in any order)
    drop_off: int  # met every step before it, but not this one
    disagrees: bool  # customers meet it at another place than designed
    note: str


@dataclass(frozen=True)
class PathsView:
    """The Paths page, `cx paths` and its download: observed order, path variants, flow and drop-off."""

    dataset: str
    outcome: str | None
    kind: str | None
    respondents: int  # with at least one answer under the filters
    unordered: int  # of them, without an observed order
    distinct_paths: int
    longest: int  # steps of the longest path
    observed: tuple[ObservedStep, ...]
    paths: tuple[PathVariant, ...]  # the most frequent first
    transitions: tuple[Transition, ...]  # the most frequent first
    flow: tuple[FlowLink, ...]  # steps 1…FLOW_STEPS
    total: MetricResult | None  # the outcome of every ordered respondent
    journey: str | None
    designed: tuple[DesignedStep, ...] | None
    min_n: int
    top: int

    @property
    def ordered(self) -> int:
        return self.respondents - self.unordered

    @property
    def observed_order(self) -> list[str]:
        return [s.touchpoint for s in self.observed]

    def as_dict(self) -> dict[str, Any]:
        """Return the `cx paths --json` object."""
        out: dict[str, Any] = {
            "dataset": self.dataset, "outcome": self.outcome, "respondents": self.respondents,
            "unordered": self.unordered, "observed_order": self.observed_order,
            "paths": [{"path": list(p.path), "n": p.n, "share": p.share, "value": p.value, "low": p.low,
                       "high": p.high, "low_n": p.low_n} for p in self.paths],
            "transitions": [{"from": t.source, "to": t.target, "n": t.n} for t in self.transitions],
        }
        if self.designed is not None:
            out["designed"] = [
                {"position": d.position, "touchpoint": d.touchpoint, "observed_rank": d.observed_rank,
                 "reached": d.reached, "never_reached": d.never_reached, "through": d.through,
                 "drop_off": d.drop_off, "disagrees": d.disagrees, "note": d.note}
                for d in self.designed
            ]
        return out


# ---------------------------------------------------------------- words


def ordinal(k: int) -> str:
    """Return 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def path_label(path: Sequence[str]) -> str:
    """Return a path as "Ad → Store → Checkout"."""
    return ARROW.join(path)


# ---------------------------------------------------------------- engine


def _answers(engine: Engine, dataset: str, filters: Sequence[Filter]) -> Table:
    table = filtered_responses(engine, dataset, filters)
    return table.select("respondent", "touchpoint", "answered_at")


def _people(answers: Table) -> Table:
    """Return one row per respondent: answers, timed answers, first and last time, and whether they have an order."""
    per = answers.group_by("respondent").aggregate(
        answers=answers.respondent.count(), timed=answers.answered_at.count(),
        first=answers.answered_at.min(), last=answers.answered_at.max(),
    )
    # Ordered: the dated answers span more than one moment, or the only answer is dated.
    ordered = ((per.timed >= 2) & (per.first < per.last)) | ((per.answers == 1) & (per.timed == 1))
    return per.mutate(ordered=ordered)


def _steps(answers: Table, people: Table) -> Table:
    """Return the ordered respondents' dated answers with `step` (0 = first) and `following` (the next touchpoint)."""
    timed = answers.filter(answers.answered_at.notnull())
    timed = timed.semi_join(people.filter(people.ordered).select("respondent"), "respondent")
    window = ibis.window(group_by="respondent", order_by=[timed.answered_at, timed.touchpoint])
    return timed.mutate(step=ibis.row_number().over(window), following=timed.touchpoint.lead().over(window))


def _with_outcome(engine: Engine, dataset: str, table: Table, outcome: str | None) -> Table:
    """Return `table` with `v`, its respondent's outcome value (null without one)."""
    if outcome is None:
        return table.mutate(v=ibis.null("float64"))
    rows = engine.outcomes(dataset)
    rows = rows.filter((rows.outcome == outcome) & rows.value.notnull())
    per = rows.group_by("respondent").aggregate(v=rows.value.mean())
    joined = table.left_join(per, table.respondent == per.respondent)
    return joined.select(*[joined[c] for c in table.columns], joined.v)


def _outcome_parts(v: FloatingColumn) -> dict[str, Any]:
    return {"o_n": v.count(), "o_s1": v.sum(), "o_s2": (v * v).sum(), "o_positive": v.count(where=v >= 0.5),
            "o_promoters": v.count(where=v >= PROMOTER_MIN), "o_detractors": v.count(where=v <= DETRACTOR_MAX)}


def _digits(base: int) -> int:
    """Return how many base-`base` digits fit in one exact key below 2**62."""
    digits = 1
    while base ** (digits + 1) <= 2**62:
        digits += 1
    return digits


def _keyed(steps: Table, touchpoints: Sequence[str], longest: int) -> tuple[Table, list[str], int]:
    """Return one row per respondent whose key columns spell their path exactly, and the key names and digits.

    Touchpoint i (in name order) is the digit i + 1 in base T + 1; a key holds `digits` steps, the
    first the most significant, so ordering by the keys orders paths by their names, shorter first.
    """
    codes = ibis.memtable(pd.DataFrame({"touchpoint": list(touchpoints),
                                        "code": list(range(1, len(touchpoints) + 1))}))
    base = len(touchpoints) + 1
    digits = _digits(base)
    coded = steps.join(codes, "touchpoint")
    offset = coded.step % digits
    weight = ibis.cases(*[(offset == o, ibis.literal(base ** (digits - 1 - o), type="int64"))
                          for o in range(digits)], else_=ibis.literal(0, type="int64"))
    coded = coded.mutate(weighted=coded.code.cast("int64") * weight)
    names = [f"k{j}" for j in range(max(1, math.ceil(longest / digits)))]
    keys = {name: coded.weighted.sum(where=(coded.step >= j * digits) & (coded.step < (j + 1) * digits))
            .coalesce(0).cast("int64") for j, name in enumerate(names)}
    per = coded.group_by("respondent").aggregate(**keys)
    return per, names, digits


def _decode(row: Mapping[str, Any], names: Sequence[str], digits: int, touchpoints: Sequence[str]) -> tuple[str, ...]:
    base = len(touchpoints) + 1
    path: list[str] = []
    for name in names:
        key = int(row[name])
        for o in range(digits):
            code = key // base ** (digits - 1 - o) % base
            if code:
                path.append(touchpoints[code - 1])
    return tuple(path)


def _num(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class _Outcome:
    """The outcome a view shows per path: its name, kind and (score kind) scale; name None for no outcome."""

    name: str | None
    kind: str | None
    scale: tuple[float, float] | None
    min_n: int

    def result(self, row: Mapping[str, Any], group: str | None = None) -> MetricResult | None:
        """Return the outcome of a group of respondents from its engine row (columns o_n, o_s1…)."""
        if self.kind is None:
            return None
        return outcome_from_parts(self.kind, {part: _num(row.get(column)) for column, part in _PARTS.items()},
                                  outcome=self.name, scale=self.scale, group=group, min_n=self.min_n)


def _outcome_info(engine: Engine, dataset: str, outcome: str | None, min_n: int) -> _Outcome:
    """Return the outcome to show (its kind and the scale of a score outcome); the default when `outcome` is None."""
    rows = engine.outcomes(dataset)
    rows = rows.filter(rows.value.notnull())
    frame = rows.group_by(["outcome", "kind"]).aggregate(lo=rows.scale_min.min(), hi=rows.scale_max.max()).execute()
    found = {str(r["outcome"]): r for r in frame.to_dict("records")}
    if outcome is None:
        outcome = default_outcome([(name, str(r["kind"])) for name, r in sorted(found.items())])
        if outcome is None:
            return _Outcome(None, None, None, min_n)
    if outcome not in found:
        known = ", ".join(f"'{n}'" for n in sorted(found)) or "none"
        raise InvalidInput(f"The data set '{dataset}' has no outcome '{outcome}'. Its outcomes: {known}.")
    kind = str(found[outcome]["kind"])
    lo, hi = found[outcome]["lo"], found[outcome]["hi"]
    scale = (float(lo), float(hi)) if kind == "score" and not pd.isna(lo) and not pd.isna(hi) else None
    return _Outcome(outcome, kind, scale, min_n)


def default_outcome(outcomes: Sequence[tuple[str, str]]) -> str | None:
    """Return the outcome a view starts with: the first 0–10 recommend (nps) outcome, else the first one."""
    for name, kind in outcomes:
        if kind == "nps":
            return name
    return outcomes[0][0] if outcomes else None


def observed_paths(
    engine: Engine,
    dataset: str,
    *,
    outcome: str | None = None,
    journey: Journey | None = None,
    filters: Sequence[Filter] = (),
    top: int = DEFAULT_TOP,
    min_n: int = DEFAULT_MIN_N,
) -> PathsView:
    """Return the observed order, the `top` most frequent paths with their outcome, transitions, flow and drop-off.

    `outcome`: the outcome per path (None: the data set's first recommend outcome, else its first
    outcome, else none). `journey`: the designed journey to compare with (its order and drop-off).
    """
    if top < 1:
        raise InvalidInput(f"--top {top}: show at least one path (e.g. --top 10).")
    chosen = _outcome_info(engine, dataset, outcome, min_n)
    answers = _answers(engine, dataset, filters)
    people = _people(answers)
    summary = people.aggregate(
        respondents=people.respondent.count(), ordered=people.respondent.count(where=people.ordered),
        longest=people.timed.max(where=people.ordered),
    ).execute().iloc[0]
    respondents, ordered = int(_num(summary["respondents"])), int(_num(summary["ordered"]))
    longest = int(_num(summary["longest"])) if ordered else 0
    steps = _steps(answers, people)
    observed = _observed(steps, journey) if ordered else ()
    names = sorted(s.touchpoint for s in observed)
    paths: tuple[PathVariant, ...] = ()
    distinct, total = 0, None
    flow: tuple[FlowLink, ...] = ()
    transitions: tuple[Transition, ...] = ()
    if ordered:
        paths, distinct, total = _variants(engine, dataset, steps, names, longest, chosen, top, ordered)
        flow, transitions = _flow(engine, dataset, steps, chosen)
    designed = None if journey is None else _designed(steps, journey, observed, ordered)
    return PathsView(
        dataset=dataset, outcome=chosen.name, kind=chosen.kind, respondents=respondents,
        unordered=respondents - ordered, distinct_paths=distinct, longest=longest, observed=observed, paths=paths,
        transitions=transitions, flow=flow, total=total, journey=None if journey is None else journey.name,
        designed=designed, min_n=min_n, top=top,
    )


def _observed(steps: Table, journey: Journey | None) -> tuple[ObservedStep, ...]:
    """Return the touchpoints by the mean step at which respondents first meet them (ties by name)."""
    firsts = steps.group_by(["respondent", "touchpoint"]).aggregate(first=steps.step.min(), visits=steps.step.count())
    frame = firsts.group_by("touchpoint").aggregate(
        respondents=firsts.respondent.count(), first_sum=firsts.first.sum(), answers=firsts.visits.sum(),
    ).execute()
    rows = []
    for r in frame.to_dict("records"):
        met = int(r["respondents"])
        # From integer sums: the same order on every engine, ties broken by name.
        rows.append((1.0 + int(r["first_sum"]) / met, str(r["touchpoint"]), met, int(r["answers"])))
    rows.sort(key=lambda x: (x[0], x[1]))
    designed = {} if journey is None else _positions(journey)
    in_journey = [name for _, name, _, _ in rows if name in designed]
    observed_rank = {name: i for i, name in enumerate(in_journey, start=1)}
    common_designed = {name: i for i, name in enumerate(sorted(in_journey, key=lambda n: designed[n]), start=1)}
    out = []
    for rank, (mean_first, name, met, answers_at) in enumerate(rows, start=1):
        position = designed.get(name)
        note = ""
        if journey is not None and position is None:
            note = "not in the journey"
        elif position is not None and observed_rank[name] != common_designed[name]:
            note = f"designed {ordinal(position)}, customers meet it {ordinal(observed_rank[name])}"
        out.append(ObservedStep(rank=rank, touchpoint=name, mean_first_step=mean_first, respondents=met,
                                answers=answers_at, designed=position, note=note))
    return tuple(out)


def _positions(journey: Journey) -> dict[str, int]:
    """Return each touchpoint's first position in the journey."""
    positions: dict[str, int] = {}
    for step in journey.steps:
        positions.setdefault(step.touchpoint, step.position)
    return positions


def _variants(engine: Engine, dataset: str, steps: Table, touchpoints: Sequence[str], longest: int,
              chosen: _Outcome, top: int, ordered: int) -> tuple[tuple[PathVariant, ...], int, MetricResult | None]:
    """Return the `top` most frequent paths (compared with everyone else), how many paths there are, the total."""
    per, names, digits = _keyed(steps, touchpoints, longest)
    per = _with_outcome(engine, dataset, per, chosen.name)
    grouped = per.group_by(names).aggregate(n=per.respondent.count(), **_outcome_parts(per.v))
    frame = grouped.order_by([ibis.desc("n"), *names]).limit(top).execute()
    totals = grouped.aggregate(paths=grouped.n.count(), **{c: grouped[c].sum() for c in _PARTS}).execute()
    totals_row = totals.to_dict("records")[0]
    total = chosen.result(totals_row)
    rows = frame.to_dict("records")
    found = [(_decode(r, names, digits, touchpoints), int(r["n"]), r) for r in rows]
    results = [chosen.result(r, group=path_label(path)) for path, _, r in found]
    if total is not None:
        compared = compare_groups([r for r in results if r is not None], total, chosen.min_n)
        diffs = [None if r.value is None else d for r, d in compared]
    else:
        diffs = [None] * len(found)
    adjusted = holm([None if d is None else d.p for d in diffs])
    variants = []
    for (path, n, _), result, diff, p_holm in zip(found, results, diffs, adjusted, strict=True):
        small = result.low_n if result is not None else n < chosen.min_n
        if small:
            mark = LOW_N
        elif diff is not None and p_holm is not None and p_holm < ALPHA:
            mark = HIGHER if diff.diff > 0 else LOWER
        else:
            mark = ""
        variants.append(PathVariant(path=path, n=n, share=n / ordered, result=result,
                                    vs_rest=None if diff is None else diff.diff, p=None if diff is None else diff.p,
                                    p_holm=p_holm, mark=mark))
    return tuple(variants), int(_num(totals_row["paths"])), total


def _flow(engine: Engine, dataset: str, steps: Table, chosen: _Outcome
          ) -> tuple[tuple[FlowLink, ...], tuple[Transition, ...]]:
    """Return the flow of the first FLOW_STEPS steps and every transition, from one aggregation."""
    rows = _with_outcome(engine, dataset, steps, chosen.name)
    column = ibis.ifelse(rows.step < FLOW_STEPS, rows.step, FLOW_STEPS).name("col")
    rows = rows.mutate(col=column)
    frame = rows.group_by(["col", "touchpoint", "following"]).aggregate(
        n=rows.respondent.count(), **_outcome_parts(rows.v)).execute()
    links: list[FlowLink] = []
    moves: dict[tuple[str, str], int] = {}
    for r in frame.to_dict("records"):
        target = None if r["following"] is None or pd.isna(r["following"]) else str(r["following"])
        source, n = str(r["touchpoint"]), int(r["n"])
        if target is not None:
            moves[source, target] = moves.get((source, target), 0) + n
        if int(r["col"]) < FLOW_STEPS:
            links.append(FlowLink(step=int(r["col"]) + 1, source=source, target=target, n=n,
                                  result=chosen.result(r)))
    links.sort(key=lambda link: (link.step, link.source, link.target is None, link.target or ""))
    out_of: dict[str, int] = {}
    for (source, _), n in moves.items():
        out_of[source] = out_of.get(source, 0) + n
    transitions = [Transition(source=s, target=t, n=n, share=n / out_of[s]) for (s, t), n in moves.items()]
    transitions.sort(key=lambda t: (-t.n, t.source, t.target))
    return tuple(links), tuple(transitions)


def _designed(steps: Table, journey: Journey, observed: Sequence[ObservedStep], ordered: int
              ) -> tuple[DesignedStep, ...]:
    """Return per designed step: who reached it, who never did, who got through every step so far, and the drop-off."""
    if not journey.steps:
        return ()
    met = {f"met{j}": steps.step.count(where=steps.touchpoint == s.touchpoint) for j, s in enumerate(journey.steps)}
    per = steps.group_by("respondent").aggregate(**met)
    counts: dict[str, Any] = {}
    so_far = None
    for j in range(len(journey.steps)):
        here = per[f"met{j}"] > 0
        so_far = here if so_far is None else so_far & here
        counts[f"reached{j}"] = per.respondent.count(where=here)
        counts[f"through{j}"] = per.respondent.count(where=so_far)
    row = per.aggregate(**counts).execute().to_dict("records")[0] if ordered else {}
    by_name = {s.touchpoint: s for s in observed}
    ranks = {s.touchpoint: i for i, s in enumerate((s for s in observed if s.designed is not None), start=1)}
    out = []
    before = ordered
    for j, step in enumerate(journey.steps):
        reached, through = int(_num(row.get(f"reached{j}"))), int(_num(row.get(f"through{j}")))
        seen = by_name.get(step.touchpoint)
        note = seen.note if seen is not None else "no customer met it"
        out.append(DesignedStep(
            position=step.position, touchpoint=step.touchpoint, observed_rank=ranks.get(step.touchpoint),
            reached=reached, never_reached=ordered - reached, through=through, drop_off=before - through,
            disagrees=bool(seen is not None and seen.note.startswith("designed")), note=note,
        ))
        before = through
    return tuple(out)


# ---------------------------------------------------------------- tables


def observed_frame(view: PathsView) -> pd.DataFrame:
    """Return the observed order as the page's table (and its download)."""
    columns = ["Observed #", "Touchpoint", "Mean first step", "Respondents", "Answers", "Designed #", "Note"]
    rows = [[s.rank, s.touchpoint, s.mean_first_step, s.respondents, s.answers, s.designed, s.note]
            for s in view.observed]
    frame = pd.DataFrame(rows, columns=columns)
    frame["Designed #"] = frame["Designed #"].astype("Int64")
    return frame


def paths_frame(view: PathsView) -> pd.DataFrame:
    """Return the path variants as the page's table: path, respondents, share, outcome and its test."""
    columns = ["#", "Path", "Steps", "Respondents", "Share %", "Outcome", "95 % low", "95 % high", "Outcome n",
               "vs rest", "p (Holm)", "Mark"]
    rows = [[i, path_label(p.path), len(p.path), p.n, 100 * p.share, p.value, p.low, p.high,
             None if p.result is None else p.result.n, p.vs_rest, p.p_holm, p.mark]
            for i, p in enumerate(view.paths, start=1)]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("Outcome", "95 % low", "95 % high", "vs rest", "p (Holm)"):
        frame[column] = frame[column].astype("float64")
    frame["Outcome n"] = frame["Outcome n"].astype("Int64")
    return frame


def transitions_frame(view: PathsView) -> pd.DataFrame:
    """Return the transitions, most frequent first: from, to, moves and their share of the moves out of `from`."""
    rows = [[t.source, t.target, t.n, 100 * t.share] for t in view.transitions]
    return pd.DataFrame(rows, columns=["From", "To", "Moves", "% of moves from it"])


def designed_frame(view: PathsView) -> pd.DataFrame:
    """Return the drop-off per designed step (empty without a journey)."""
    columns = ["Designed #", "Touchpoint", "Observed #", "Reached", "Never reached", "Reached with every earlier step",
               "Drop-off here", "Note"]
    rows = [[d.position, d.touchpoint, d.observed_rank, d.reached, d.never_reached, d.through, d.drop_off, d.note]
            for d in view.designed or ()]
    frame = pd.DataFrame(rows, columns=columns)
    frame["Observed #"] = frame["Observed #"].astype("Int64")
    return frame
