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

from cx.comparisons import compare_groups
from cx.engines import Engine
from cx.errors import InvalidInput
from cx.metrics import (
    DEFAULT_MIN_N,
    Filter,
    MetricResult,
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
ALL_PATHS = 20_000  # up to this many different paths are read whole (one scan); beyond, a second scan
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
    while base > 1 and base ** (digits + 1) <= 2**62:
        digits += 1
    return digits


@dataclass(frozen=True)
class _Codes:
    """Touchpoint i (in name order) is the digit i + 1 in base T + 1; a key column holds `digits` steps."""

    touchpoints: tuple[str, ...]
    keys: tuple[str, ...]
    digits: int

    @property
    def base(self) -> int:
        return len(self.touchpoints) + 1


def _codes(touchpoints: Sequence[str], longest: int) -> _Codes:
    digits = _digits(len(touchpoints) + 1)
    return _Codes(tuple(touchpoints), tuple(f"k{j}" for j in range(max(1, math.ceil(longest / digits)))), digits)


def _path_table(engine: Engine, dataset: str, steps: Table, codes: _Codes, chosen: _Outcome,
                journey: Journey | None) -> Table:
    """Return one row per path (key columns spell it exactly) with its respondents, outcome parts and totals.

    Per respondent: the path keys (the first step the most significant digit, so ordering by the
    keys orders paths by their names, shorter first) and, per designed step, whether they met it.
    Totals over every path ride along as window sums (t_…): the outcome of everyone, the number of
    paths and the respondents who got through each designed step come from the same scan.
    """
    table = ibis.memtable(pd.DataFrame({"touchpoint": list(codes.touchpoints),
                                        "code": list(range(1, codes.base))}))
    coded = steps.join(table, "touchpoint")
    offset = coded.step % codes.digits
    weight = ibis.cases(*[(offset == o, ibis.literal(codes.base ** (codes.digits - 1 - o), type="int64"))
                          for o in range(codes.digits)], else_=ibis.literal(0, type="int64"))
    coded = coded.mutate(weighted=coded.code.cast("int64") * weight)
    per_respondent: dict[str, Any] = {
        name: coded.weighted.sum(where=(coded.step >= j * codes.digits) & (coded.step < (j + 1) * codes.digits))
        .coalesce(0).cast("int64") for j, name in enumerate(codes.keys)}
    designed = () if journey is None else journey.steps
    for j, step in enumerate(designed):
        per_respondent[f"met{j}"] = coded.step.count(where=coded.touchpoint == step.touchpoint)
    per = _with_outcome(engine, dataset, coded.group_by("respondent").aggregate(**per_respondent), chosen.name)
    sums: dict[str, Any] = {"n": per.respondent.count(), **_outcome_parts(per.v)}
    # Whether a designed step was met is a property of the path: the same for everyone on it.
    met = {f"met{j}": per[f"met{j}"].max() for j in range(len(designed))}
    grouped = per.group_by(list(codes.keys)).aggregate(**sums, **met)
    whole = ibis.window()
    totals = {f"t_{column}": grouped[column].sum().over(whole) for column in sums}
    totals["t_paths"] = grouped.n.count().over(whole)
    so_far: Any = ibis.literal(True)
    for j in range(len(designed)):
        so_far = so_far & (grouped[f"met{j}"] > 0)
        totals[f"t_through{j}"] = ibis.ifelse(so_far, grouped.n, 0).sum().over(whole)
    return grouped.mutate(**totals)


def _decode(row: Mapping[str, Any], codes: _Codes) -> tuple[str, ...]:
    path: list[str] = []
    for name in codes.keys:
        key = int(row[name])
        for o in range(codes.digits):
            code = key // codes.base ** (codes.digits - 1 - o) % codes.base
            if code:
                path.append(codes.touchpoints[code - 1])
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
    row: dict[str, Any] = {}
    frame = pd.DataFrame()
    flow: tuple[FlowLink, ...] = ()
    transitions: tuple[Transition, ...] = ()
    met: dict[str, tuple[int, int, int]] = {}
    codes = _codes((), 0)
    if ordered:
        dated = answers.filter(answers.answered_at.notnull()).select("touchpoint").distinct().execute()
        codes = _codes(sorted(str(t) for t in dated["touchpoint"]), longest)
        table = _path_table(engine, dataset, steps, codes, chosen, journey)
        # One scan, most frequent first: with few enough paths that is all of them, and the flow, the
        # transitions and the observed order follow from them exactly; otherwise a second scan gives those.
        frame = table.order_by([ibis.desc("n"), *codes.keys]).limit(max(top, ALL_PATHS) + 1).execute()
        row = {str(k): v for k, v in frame.to_dict("records")[0].items()}
        flow_steps = _Flow(chosen)
        if len(frame) <= max(top, ALL_PATHS):
            flow_steps.add_paths(frame, codes)
        else:
            flow_steps.add_steps(engine, dataset, steps)
        flow, transitions, met = flow_steps.finish()
        frame = frame.head(top)
    observed = _observed(met, journey)
    paths, total = _variants(frame, codes, chosen, ordered)
    designed = None if journey is None else _designed(row, journey, observed, ordered)
    return PathsView(
        dataset=dataset, outcome=chosen.name, kind=chosen.kind, respondents=respondents,
        unordered=respondents - ordered, distinct_paths=int(_num(row.get("t_paths"))), longest=longest,
        observed=observed, paths=paths, transitions=transitions, flow=flow, total=total,
        journey=None if journey is None else journey.name, designed=designed, min_n=min_n, top=top,
    )


def _observed(seen: Mapping[str, tuple[int, int, int]], journey: Journey | None) -> tuple[ObservedStep, ...]:
    """Return the touchpoints by the mean step at which respondents first meet them (ties by name).

    `seen`: per touchpoint (respondents who met it, the sum of their first steps counted from 0, answers).
    """
    # From integer sums: the same order on every engine, ties broken by name.
    rows = [(1.0 + first_sum / people, name, people, answers) for name, (people, first_sum, answers) in seen.items()]
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


def _variants(frame: pd.DataFrame, codes: _Codes, chosen: _Outcome, ordered: int
              ) -> tuple[tuple[PathVariant, ...], MetricResult | None]:
    """Return the most frequent paths, each compared with everyone else (Holm over those tested), and the total."""
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    if not rows:
        return (), None
    total = chosen.result({column: rows[0][f"t_{column}"] for column in _PARTS})
    found = [(_decode(r, codes), int(r["n"]), r) for r in rows]
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
    return tuple(variants), total


class _Flow:
    """Adds up the flow's links, the transitions and who met each touchpoint, from paths or from steps."""

    def __init__(self, chosen: _Outcome) -> None:
        self.chosen = chosen
        self.links: dict[tuple[int, str, str | None], dict[str, float]] = {}
        self.moves: dict[tuple[str, str], int] = {}
        # Per touchpoint: respondents who met it, the sum of the steps they first met it at (from 0), answers.
        self.met: dict[str, tuple[int, int, int]] = {}

    def _add(self, step: int, source: str, target: str | None, n: int, parts: Mapping[str, Any],
             met: int, first_sum: int) -> None:
        people, firsts, answers = self.met.get(source, (0, 0, 0))
        self.met[source] = (people + met, firsts + first_sum, answers + n)
        if target is not None:
            self.moves[source, target] = self.moves.get((source, target), 0) + n
        if step < FLOW_STEPS:
            link = self.links.setdefault((step + 1, source, target), {"n": 0.0})
            link["n"] += n
            for column in _PARTS:
                link[column] = link.get(column, 0.0) + _num(parts.get(column))

    def add_paths(self, frame: pd.DataFrame, codes: _Codes) -> None:
        """Add every path of the path table (each row: its respondents and their outcome parts)."""
        for r in frame.to_dict("records"):
            path, n = _decode({str(k): v for k, v in r.items()}, codes), int(r["n"])
            parts = {column: r[column] for column in _PARTS}
            seen: set[str] = set()
            for k, source in enumerate(path):
                first = source not in seen
                seen.add(source)
                self._add(k, source, path[k + 1] if k + 1 < len(path) else None, n, parts,
                          n if first else 0, n * k if first else 0)

    def add_steps(self, engine: Engine, dataset: str, steps: Table) -> None:
        """Add the steps themselves, aggregated in the engine (when there are too many paths to read)."""
        rows = _with_outcome(engine, dataset, steps, self.chosen.name)
        visit = ibis.window(group_by=[rows.respondent, rows.touchpoint], order_by=[rows.step])
        rows = rows.mutate(col=ibis.ifelse(rows.step < FLOW_STEPS, rows.step, FLOW_STEPS),
                           first=ibis.row_number().over(visit) == 0)
        frame = rows.group_by(["col", "touchpoint", "following"]).aggregate(
            n=rows.respondent.count(), met=rows.respondent.count(where=rows.first),
            first_sum=rows.step.sum(where=rows.first), **_outcome_parts(rows.v)).execute()
        for r in frame.to_dict("records"):
            target = None if r["following"] is None or pd.isna(r["following"]) else str(r["following"])
            self._add(int(r["col"]), str(r["touchpoint"]), target, int(r["n"]), {str(k): v for k, v in r.items()},
                      int(r["met"]), int(_num(r["first_sum"])))

    def finish(self) -> tuple[tuple[FlowLink, ...], tuple[Transition, ...], dict[str, tuple[int, int, int]]]:
        """Return the flow links (by step, source, target; no target last), the transitions (most first), the met."""
        links = [FlowLink(step=step, source=source, target=target, n=int(parts["n"]),
                          result=self.chosen.result(parts))
                 for (step, source, target), parts in self.links.items()]
        links.sort(key=lambda link: (link.step, link.source, link.target is None, link.target or ""))
        out_of: dict[str, int] = {}
        for (source, _), n in self.moves.items():
            out_of[source] = out_of.get(source, 0) + n
        transitions = [Transition(source=s, target=t, n=n, share=n / out_of[s]) for (s, t), n in self.moves.items()]
        transitions.sort(key=lambda t: (-t.n, t.source, t.target))
        return tuple(links), tuple(transitions), self.met


def _designed(totals: Mapping[str, Any], journey: Journey, observed: Sequence[ObservedStep], ordered: int
              ) -> tuple[DesignedStep, ...]:
    """Return per designed step: who reached it, who never did, who got through every step so far, and the drop-off."""
    by_name = {s.touchpoint: s for s in observed}
    ranks = {s.touchpoint: i for i, s in enumerate((s for s in observed if s.designed is not None), start=1)}
    out = []
    before = ordered
    for j, step in enumerate(journey.steps):
        seen = by_name.get(step.touchpoint)
        reached = 0 if seen is None else seen.respondents
        through = int(_num(totals.get(f"t_through{j}")))
        out.append(DesignedStep(
            position=step.position, touchpoint=step.touchpoint, observed_rank=ranks.get(step.touchpoint),
            reached=reached, never_reached=ordered - reached, through=through, drop_off=before - through,
            disagrees=bool(seen is not None and seen.note.startswith("designed")),
            note="no customer met it" if seen is None else seen.note,
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
