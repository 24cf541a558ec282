"""Driver analysis on an engine: one aggregation to a small correlation summary, then cx.drivers.

Everything here is an ibis expression over `Engine.responses` / `Engine.outcomes`, so the same
definition runs on DuckDB (store or Parquet) and on Spark. Only k x k numbers come back to
Python; the relative-weights algebra on them lives in `cx.drivers`.

Shape of the work:
1. answers -> one row per respondent, one column per touchpoint (0-10 score; a respondent's
   repeated answers to one touchpoint are averaged), joined to the chosen outcome;
2. one aggregation over those rows: every pairwise correlation (Pearson; `corr(how="pop")`,
   the same r as the sample form), the n behind it, and each touchpoint's mean and spread;
3. touchpoints with too few answers are left out with a note; an inconsistent pairwise
   matrix falls back to listwise deletion when enough respondents answered everything, and
   is otherwise repaired with a warning.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table

from cx import drivers
from cx.drivers import LISTWISE, PAIRWISE, CorrelationSummary, DriverAnalysis, LeftOut
from cx.engines import Engine
from cx.errors import DriverInputError, NotFound, TooLittleForDrivers
from cx.metrics import DEFAULT_MIN_N, Filter, filtered_outcomes, filtered_responses, with_score10
from cx.stats import nps_value

__all__ = [
    "BOOTSTRAP_LIMIT",
    "KIND_ORDER",
    "LOW_HIGH",
    "THROUGH",
    "Intervals",
    "MomentComparison",
    "MomentGroup",
    "OutcomeInfo",
    "UnknownOutcome",
    "analyse",
    "bootstrap_intervals",
    "correlation_summary",
    "find_outcome",
    "moment_comparison",
    "outcome_list",
    "respondent_rows",
    "respondent_table",
    "segment_options",
    "touchpoint_names",
]

#: The bootstrap resamples respondents in Python: above this many it works on a random subset.
BOOTSTRAP_LIMIT: Final = 20_000
#: Outcome kinds in the order the outcome picker offers them: the recommend score first.
KIND_ORDER: Final = ("nps", "score", "binary", "value")
LOW_HIGH: Final = "low_high"
THROUGH: Final = "through"
_OUTCOME = "y"


class UnknownOutcome(NotFound):
    """The data set has no outcome of that name; the message lists the ones it has."""


@dataclass(frozen=True)
class OutcomeInfo:
    """One outcome a data set carries (per respondent)."""

    name: str
    kind: str  # nps, score, binary, value
    n: int  # respondents with a value
    low: float  # smallest value seen
    high: float  # largest value seen
    role: str | None = None  # what the user marked it as: "churn", "revenue" or nothing

    @property
    def higher_is_better(self) -> bool:
        """Return False for an outcome marked as churn (the same mark cx.metrics reads churn by)."""
        return self.role != "churn"


# ---------------------------------------------------------------- what there is


def outcome_list(engine: Engine, dataset: str) -> list[OutcomeInfo]:
    """Return the outcomes of a data set with their kind and n: recommend scores first, then by name."""
    t = engine.outcomes(dataset)
    t = t.filter(t.value.notnull())
    frame = t.group_by("outcome").aggregate(
        kind=t.kind.max(), n=t.value.count(), low=t.value.min(), high=t.value.max(), role=t.role.max()
    ).execute()
    found = [OutcomeInfo(str(r.outcome), str(r.kind), int(r.n), float(r.low), float(r.high),
                         None if pd.isna(r.role) else str(r.role))
             for r in frame.itertuples()]
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(found, key=lambda o: (rank.get(o.kind, len(rank)), o.name))


def find_outcome(engine: Engine, dataset: str, name: str,
                 outcomes: Sequence[OutcomeInfo] | None = None) -> OutcomeInfo:
    """Return one outcome of the data set, or raise UnknownOutcome listing the ones it has.

    `outcomes`: the data set's `outcome_list` when the caller has it already (no second query).
    """
    known = outcome_list(engine, dataset) if outcomes is None else list(outcomes)
    for info in known:
        if info.name == name:
            return info
    if not known:
        raise UnknownOutcome(
            f"Data set '{dataset}' has no outcomes (recommend score, satisfaction, churned, revenue): "
            "import it with an outcome column to run a driver analysis."
        )
    listed = ", ".join(f"'{o.name}' ({o.kind})" for o in known)
    raise UnknownOutcome(f"Data set '{dataset}' has no outcome '{name}'. Its outcomes: {listed}.")


def touchpoint_names(engine: Engine, dataset: str, filters: Sequence[Filter] = ()) -> list[str]:
    """Return the touchpoints with at least one scored answer (after filters), by name."""
    t = filtered_responses(engine, dataset, filters)
    t = t.filter(t.score.notnull())
    frame = t.group_by("touchpoint").aggregate(n=t.count()).execute()
    return sorted(str(name) for name in frame["touchpoint"])


def segment_options(engine: Engine, dataset: str) -> dict[str, list[str]]:
    """Return each segment attribute of the data set with its values."""
    t = engine.segments(dataset)
    t = t.filter(t.value.notnull())
    frame = t.group_by(["name", "value"]).aggregate(n=t.count()).execute()
    options: dict[str, list[str]] = {}
    for row in frame.sort_values(["name", "value"]).itertuples():
        options.setdefault(str(row.name), []).append(str(row.value))
    return options


# ---------------------------------------------------------------- the one aggregation


def _code(j: int) -> str:
    # Touchpoint names are user text (spaces, case-only differences); columns get safe codes.
    return f"t{j}"


def _outcome_values(engine: Engine, dataset: str, outcome: str, filters: Sequence[Filter]) -> Table:
    t = filtered_outcomes(engine, dataset, filters)
    t = t.filter((t.outcome == outcome) & t.value.notnull())
    return t.group_by("respondent").aggregate(**{_OUTCOME: t.value.mean()})


def respondent_table(
    engine: Engine, dataset: str, outcome: str, touchpoints: Sequence[str], filters: Sequence[Filter] = ()
) -> Table:
    """Return one row per respondent with the outcome: `respondent`, `t0`… (0-10 score, NULL = no answer), `y`.

    Column `t{j}` holds touchpoint `touchpoints[j]`; not-applicable answers (a NULL score) and
    touchpoints a respondent never met are NULL, never 0. Respondents without any of these
    touchpoints or without the outcome are not rows.
    """
    if not touchpoints:
        raise TooLittleForDrivers("no touchpoints to analyse: the data set (with these filters) has no scored answers")
    answers = with_score10(filtered_responses(engine, dataset, filters))
    answers = answers.filter(answers.score.notnull() & answers.touchpoint.isin(list(touchpoints)))
    # pivot_wider(names_from="touchpoint", values_agg="mean") expands to exactly these filtered
    # means; written out, the columns get safe codes without a CASE over every answer (measured
    # 20-30 % faster than pivoting a mapped code column).
    wide = answers.group_by("respondent").aggregate(**{
        _code(j): answers.score10.mean(where=answers.touchpoint == name) for j, name in enumerate(touchpoints)
    })
    return wide.join(_outcome_values(engine, dataset, outcome, filters), "respondent")


def _number(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _count(value: Any) -> int:
    number = _number(value)  # a sum over no rows is NULL
    return 0 if math.isnan(number) else int(number)


def correlation_summary(
    engine: Engine,
    dataset: str,
    outcome: str,
    touchpoints: Sequence[str],
    filters: Sequence[Filter] = (),
    rule: str = PAIRWISE,
) -> CorrelationSummary:
    """Return the correlation summary of the touchpoints and the outcome from one engine aggregation.

    Pairwise: every correlation uses the respondents who answered both. Listwise: only the
    respondents who answered every one of `touchpoints` count.
    """
    if rule not in drivers.RULES:
        raise DriverInputError(f"unknown missing-data rule '{rule}': use {' or '.join(drivers.RULES)}")
    table = respondent_table(engine, dataset, outcome, touchpoints, filters)
    k = len(touchpoints)
    cols = [table[_code(j)] for j in range(k)]
    if rule == LISTWISE:
        table = table.filter(ibis.and_(*[c.notnull() for c in cols]))
        cols = [table[_code(j)] for j in range(k)]
    y = table[_OUTCOME]
    aggs: dict[str, Any] = {
        "respondents": table.count(), "y_mean": y.mean(), "y_sd": y.std(how="pop"),
    }
    for i, ci in enumerate(cols):
        aggs[f"n_{i}"] = ci.count()
        aggs[f"m_{i}"] = ci.mean()
        aggs[f"s_{i}"] = ci.std(how="pop")
        aggs[f"r_{i}"] = ci.corr(y, how="pop")  # DuckDB implements only pop; Pearson r is the same
        for j in range(i + 1, k):
            aggs[f"c_{i}_{j}"] = ci.corr(cols[j], how="pop")
            # A sum of 0/1, not count(...) FILTER (...): DuckDB runs 190 filtered counts about 5x slower.
            aggs[f"n_{i}_{j}"] = (ci.notnull() & cols[j].notnull()).sum()
    row = table.aggregate(**aggs).execute().iloc[0]
    rxx = np.eye(k)
    n_pair = np.zeros((k, k), dtype=np.int64)
    for i in range(k):
        n_pair[i, i] = _count(row[f"n_{i}"])
        for j in range(i + 1, k):
            rxx[i, j] = rxx[j, i] = _number(row[f"c_{i}_{j}"])
            n_pair[i, j] = n_pair[j, i] = _count(row[f"n_{i}_{j}"])
    spread = np.array([_number(row[f"s_{i}"]) for i in range(k)])
    np.fill_diagonal(rxx, np.where(spread > 0, 1.0, np.nan))
    return CorrelationSummary(
        touchpoints=tuple(touchpoints),
        rxx=np.clip(rxx, -1.0, 1.0),
        rxy=np.clip(np.array([_number(row[f"r_{i}"]) for i in range(k)]), -1.0, 1.0),
        n_pair=n_pair,
        performance=np.array([_number(row[f"m_{i}"]) for i in range(k)]),
        spread=spread,
        respondents=_count(row["respondents"]),
        outcome_mean=_number(row["y_mean"]),
        outcome_sd=_number(row["y_sd"]),
        rule=rule,
    )


# ---------------------------------------------------------------- the analysis


def analyse(
    engine: Engine,
    dataset: str,
    outcome: str,
    *,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    rule: str = PAIRWISE,
    outcomes: Sequence[OutcomeInfo] | None = None,
) -> DriverAnalysis:
    """Return the relative-weight driver analysis of `outcome` on a data set (with filters).

    Raises UnknownOutcome for an outcome the data set lacks, DriverInputError when the data
    cannot support an analysis (the message says what to change). `outcomes`: the data set's
    `outcome_list`, when the caller has it already.
    """
    if rule not in drivers.RULES:
        raise DriverInputError(f"unknown missing-data rule '{rule}': use {' or '.join(drivers.RULES)}")
    info = find_outcome(engine, dataset, outcome, outcomes)
    names = touchpoint_names(engine, dataset, filters)
    summary = correlation_summary(engine, dataset, outcome, names, filters, PAIRWISE)
    kept, left = drivers.usable_touchpoints(summary, min_n)
    prior: tuple[LeftOut, ...] = ()
    warnings: list[str] = []
    if rule == LISTWISE and kept:
        prior = left
        summary = _listwise(engine, dataset, outcome, [names[j] for j in kept], filters, min_n)
    elif len(kept) > 1 and drivers.smallest_eigenvalue(summary.subset(kept).rxx, summary.subset(kept).rxy) < -1e-9:
        complete = correlation_summary(engine, dataset, outcome, [names[j] for j in kept], filters, LISTWISE)
        usable, _ = drivers.usable_touchpoints(complete, min_n)
        if complete.respondents >= max(min_n, len(kept) + 2) and len(usable) == len(kept):
            prior, summary = left, complete
            warnings.append(
                "The pairwise correlations did not fit together (their matrix is not positive semidefinite, which "
                "happens when different respondents answer different touchpoints), so listwise deletion was used "
                f"instead: {complete.respondents:,} respondents answered every analysed touchpoint."
            )
    result = drivers.drivers_from_summary(
        summary, min_n=min_n, dataset=dataset, outcome=outcome, kind=info.kind, warnings=warnings,
        higher_is_better=info.higher_is_better,
    )
    if prior:
        result = _with_left_out(result, prior)
    return result


def _listwise(
    engine: Engine, dataset: str, outcome: str, names: list[str], filters: Sequence[Filter], min_n: int
) -> CorrelationSummary:
    complete = correlation_summary(engine, dataset, outcome, names, filters, LISTWISE)
    if complete.respondents < min_n:
        raise TooLittleForDrivers(
            f"only {complete.respondents} respondents answered all {len(names)} touchpoints and the outcome "
            f"(fewer than {min_n}): use pairwise deletion, lower the minimum answers or widen the filter"
        )
    return complete


def _with_left_out(result: DriverAnalysis, prior: Sequence[LeftOut]) -> DriverAnalysis:
    return replace(result, left_out=tuple(prior) + result.left_out)


# ---------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class Intervals:
    """Bootstrap 95 % intervals of each touchpoint's importance share."""

    bounds: dict[str, tuple[float, float]]
    resamples: int
    respondents_used: int  # respondents the resamples were drawn from (after the missing-data rule)
    respondents_total: int  # respondents the missing-data rule lets into the analysis, before any subset
    sampled: bool  # True when the bootstrap worked on a random subset

    @property
    def note(self) -> str:
        """Return how the intervals were made, in plain words, with the respondents actually resampled."""
        if self.sampled:
            who = (f"a random {self.respondents_used:,} of the {self.respondents_total:,} respondents in the analysis "
                   "(so the intervals are wider, more cautious, than the full data would give)")
        else:
            who = f"the {self.respondents_used:,} respondents in the analysis"
        return (
            f"95 % intervals from {self.resamples} bootstrap resamples of {who}, percentile method: "
            "where two intervals overlap a lot, the difference in importance may not be real."
        )


def respondent_rows(
    engine: Engine,
    dataset: str,
    outcome: str,
    touchpoints: Sequence[str],
    filters: Sequence[Filter] = (),
    *,
    limit: int = BOOTSTRAP_LIMIT,
    seed: int = 0,
    rule: str = PAIRWISE,
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Return (scores n x k with NaN = no answer, outcome, respondents in all, sampled?) for about `limit` rows at most.

    Listwise, only respondents who answered every one of `touchpoints` count (and come back),
    so "respondents in all" is the analysis's own n. Above `limit` respondents a random
    sample (engine-side, repeatable by seed) comes back.
    """
    if rule not in drivers.RULES:
        raise DriverInputError(f"unknown missing-data rule '{rule}': use {' or '.join(drivers.RULES)}")
    table = respondent_table(engine, dataset, outcome, touchpoints, filters)
    if rule == LISTWISE:
        table = table.filter(ibis.and_(*[table[_code(j)].notnull() for j in range(len(touchpoints))]))
    total = int(table.count().execute())
    sampled = total > limit
    if sampled:
        table = table.sample(limit / total, seed=seed)
    # A fixed row order: the same seed resamples the same respondents on every engine.
    frame = table.order_by("respondent").execute()
    x = np.column_stack([pd.to_numeric(frame[_code(j)], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                         for j in range(len(touchpoints))])
    y = pd.to_numeric(frame[_OUTCOME], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return x, y, total, sampled


def bootstrap_intervals(
    engine: Engine,
    analysis: DriverAnalysis,
    *,
    filters: Sequence[Filter] = (),
    resamples: int = 300,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
    limit: int = BOOTSTRAP_LIMIT,
) -> Intervals:
    """Return bootstrap intervals for the importance shares of an analysis (same rule, same touchpoints)."""
    names = [t.touchpoint for t in analysis.touchpoints]
    x, y, total, sampled = respondent_rows(
        engine, analysis.dataset, analysis.outcome, names, filters, limit=limit, seed=seed, rule=analysis.rule
    )
    bounds = drivers.bootstrap_importance(x, y, names, resamples=resamples, seed=seed, progress=progress,
                                          rule=analysis.rule)
    used = drivers.respondents_resampled(x, y, names, analysis.rule)
    return Intervals(bounds=bounds, resamples=resamples, respondents_used=used, respondents_total=total,
                     sampled=sampled)


# ---------------------------------------------------------------- moment comparison


@dataclass(frozen=True)
class MomentGroup:
    """The outcome of one group of respondents."""

    label: str  # who they are, for sentences: "rated Stock low (below 5 of 10)"
    short: str  # the same for chart axes: "rated below 5"
    n: int
    mean: float
    sd: float  # sample sd
    promoters: int  # outcome 9-10 (NPS outcomes)
    detractors: int  # outcome 0-6 (NPS outcomes)
    successes: int  # outcome "yes" (>= 0.5; binary outcomes)
    value: float  # NPS (points), share yes (%), or mean, by the outcome's kind


@dataclass(frozen=True)
class MomentComparison:
    """The outcome of respondents who rated a touchpoint low vs high (or met it vs not)."""

    touchpoint: str
    outcome: str
    kind: str
    mode: str  # LOW_HIGH or THROUGH
    cut: float
    a: MomentGroup
    b: MomentGroup
    measure: str  # what `value` is: NPS, % yes, mean
    unit: str  # unit of the difference
    diff: float  # a.value - b.value
    se: float
    p_two_sided: float
    significant: bool
    test: str  # the test used, in words
    sentence: str


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def moment_comparison(
    engine: Engine,
    dataset: str,
    outcome: str,
    touchpoint: str,
    *,
    mode: str = LOW_HIGH,
    cut: float = 5.0,
    filters: Sequence[Filter] = (),
    outcomes: Sequence[OutcomeInfo] | None = None,
) -> MomentComparison:
    """Return the outcome of two groups split by one touchpoint, with the difference and its test.

    `LOW_HIGH`: respondents who rated the touchpoint below `cut` (0-10) vs at or above it;
    respondents who did not answer it are in neither group. `THROUGH`: respondents who
    answered it (went through it) vs those with the outcome who did not.
    NPS outcomes compare NPS (z-test with multinomial standard errors), yes/no outcomes the
    share of yes (z-test on two proportions), others the mean (Welch z-test). `outcomes`: the
    data set's `outcome_list`, when the caller has it already.
    """
    if mode not in (LOW_HIGH, THROUGH):
        raise DriverInputError(f"unknown comparison '{mode}': use {LOW_HIGH} or {THROUGH}")
    if not 0.0 < cut <= 10.0 and mode == LOW_HIGH:
        raise DriverInputError(f"the cut {cut:g} is outside 0-10: pick a score between 0 and 10")
    info = find_outcome(engine, dataset, outcome, outcomes)
    answers = with_score10(filtered_responses(engine, dataset, filters))
    answers = answers.filter((answers.touchpoint == touchpoint) & answers.score.notnull())
    per = answers.group_by("respondent").aggregate(s=answers.score10.mean())
    people = _outcome_values(engine, dataset, outcome, filters)
    joined = people.left_join(per, people.respondent == per.respondent).select(
        people.respondent, people[_OUTCOME], per.s)
    if mode == LOW_HIGH:
        group = ibis.cases((joined.s < cut, "a"), (joined.s >= cut, "b"), else_=ibis.null("string"))
    else:
        group = ibis.ifelse(joined.s.notnull(), "a", "b")
    t = joined.mutate(grp=group)
    t = t.filter(t.grp.notnull())
    y = t[_OUTCOME]
    frame = t.group_by("grp").aggregate(
        n=y.count(), mean=y.mean(), sd=y.std(how="sample"),
        promoters=(y >= 9).sum(), detractors=(y <= 6).sum(), successes=(y >= 0.5).sum(),
    ).execute()
    rows = {str(r["grp"]): r for r in frame.to_dict("records")}
    if mode == LOW_HIGH:
        desc_a, desc_b = f"rated {touchpoint} low (below {cut:g} of 10)", f"rated it {cut:g} or higher"
        short = {"a": f"rated below {cut:g}", "b": f"rated {cut:g} or higher"}
    else:
        desc_a, desc_b = f"went through {touchpoint} (answered it)", "did not"
        short = {"a": "went through it", "b": "did not"}
    for key, desc in (("a", desc_a), ("b", desc_b)):
        n = _count(rows[key]["n"]) if key in rows else 0
        if n < 2:
            raise DriverInputError(
                f"only {n} respondent(s) with the outcome {desc}: a comparison needs at least 2 per group; "
                "move the cut or widen the filter"
            )
    groups = {key: _group(rows[key], info.kind, desc, short[key]) for key, desc in (("a", desc_a), ("b", desc_b))}
    a, b = groups["a"], groups["b"]
    test: drivers.Difference
    if info.kind == "nps":
        (va, se_a), (vb, se_b) = (nps_value(g.promoters, g.detractors, g.n) for g in (a, b))
        test = drivers.nps_difference_test(va, se_a, vb, se_b)
        measure, unit = "NPS", "NPS points"
        test_name = "two-sided z-test on the difference of two NPS (multinomial standard errors)"
    elif info.kind == "binary":
        test = drivers.share_difference_test(a.successes, a.n, b.successes, b.n)
        measure, unit = "% yes", "percentage points"
        test_name = "two-sided z-test on the difference of two shares"
    else:
        test = drivers.mean_difference_from_stats(a.mean, _zero(a.sd), a.n, b.mean, _zero(b.sd), b.n)
        measure, unit = "mean", "points"
        test_name = "two-sided Welch z-test on the difference of two means"
    sentence = _moment_sentence(info.kind, outcome, a, b, float(test["diff"]), unit,
                                float(test["p_two_sided"]), bool(test["significant"]), test_name)
    return MomentComparison(
        touchpoint=touchpoint, outcome=outcome, kind=info.kind, mode=mode, cut=cut, a=a, b=b,
        measure=measure, unit=unit, diff=float(test["diff"]), se=float(test["se"]),
        p_two_sided=float(test["p_two_sided"]), significant=bool(test["significant"]), test=test_name,
        sentence=sentence,
    )


def _zero(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def _group(row: dict[str, Any], kind: str, label: str, short: str) -> MomentGroup:
    n = int(_number(row["n"]))
    mean = _number(row["mean"])
    promoters, detractors = int(_number(row["promoters"])), int(_number(row["detractors"]))
    successes = int(_number(row["successes"]))
    if kind == "nps":
        value = nps_value(promoters, detractors, n)[0]
    elif kind == "binary":
        value = 100.0 * successes / n
    else:
        value = mean
    return MomentGroup(label=label, short=short, n=n, mean=mean, sd=_number(row["sd"]), promoters=promoters,
                       detractors=detractors, successes=successes, value=value)


def _moment_sentence(
    kind: str, outcome: str, a: MomentGroup, b: MomentGroup, diff: float, unit: str, p: float,
    significant: bool, test: str,
) -> str:
    size = f"n = {a.n:,} vs {b.n:,}"
    if kind == "nps":
        head = (f"Customers who {a.label} give an NPS of {a.value:+.0f} on '{outcome}', {abs(diff):.0f} {unit} "
                f"{'lower' if diff < 0 else 'higher'} than customers who {b.label} ({b.value:+.0f}; {size}).")
    elif kind == "binary":
        head = (f"Customers who {a.label} answer yes to '{outcome}' {a.value:.0f} % of the time, {abs(diff):.0f} "
                f"{unit} {'less' if diff < 0 else 'more'} often than customers who {b.label} ({b.value:.0f} %; "
                f"{size}).")
    else:
        head = (f"Customers who {a.label} average {a.value:.2f} on '{outcome}', {abs(diff):.2f} {unit} "
                f"{'lower' if diff < 0 else 'higher'} than customers who {b.label} ({b.value:.2f}; {size}).")
    if significant:
        return f"{head} The difference is statistically significant ({_p_text(p)}, {test})."
    return f"{head} The difference is not statistically significant ({_p_text(p)}, {test}): it may be chance."
