"""The metric registry: every metric defined once, computed one way on every engine.

A definition names the rows it reads and the sufficient statistics it needs (counts,
sums); the engine aggregates those, and a small finishing step here turns them into the
value and its 95 % interval. Nothing else in cx computes a metric its own way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import BooleanValue, Table

from cx.choices import DEFAULT_MIN_N, OUTCOME, RESPONSE_FILTER_COLUMNS
from cx.engines import Engine
from cx.errors import InvalidInput
from cx.models import FILTER_OPS, ClvSettings, FilterOp
from cx.stats import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    Z95,
    Estimate,
    bounded,
    mean_interval,
    nps_value,
    wilson_interval,
)

__all__ = [
    "CLUSTERED_MEAN",
    "CLUSTERED_SHARE",
    "DEFAULT_MIN_N",
    "NONE",
    "NO_MATCH",
    "OUTCOME",
    "OUTCOME_MEANS",
    "OUTCOME_METRICS",
    "OUTCOME_PARTS",
    "REGISTRY",
    "RESPONSE_FILTER_COLUMNS",
    "Filter",
    "Finish",
    "MetricDef",
    "MetricResult",
    "Parts",
    "clustered_variance",
    "clv_formula",
    "clv_metric",
    "compute",
    "filter_options",
    "filtered_outcomes",
    "filtered_responses",
    "metric",
    "operational_stats",
    "outcome_from_parts",
    "outcome_label",
    "outcome_results",
    "pooled_touchpoints",
    "result_from_parts",
    "touchpoint_stats",
    "why_no_scores",
    "with_score10",
]


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filter:
    """One condition on the feedback rows: column op value.

    `column` is a response column (touchpoint, channel, stage, unit, answered_at) or
    `segment:NAME` for a segment attribute; `op` is one of in, >=, <=.
    """

    column: str
    op: FilterOp
    value: Any

    def __post_init__(self) -> None:
        if self.op not in FILTER_OPS:
            raise InvalidInput(f"filter on {self.column}: unknown operator {self.op!r} (use in, >=, <=, <)")


def _condition(table: Table, column: str, op: FilterOp, value: Any) -> BooleanValue:
    col = table[column]
    if op == "in":
        return col.isin(list(value))
    literal = ibis.literal(value)
    if op == ">=":
        return col >= literal
    return col <= literal if op == "<=" else col < literal


def filtered_responses(engine: Engine, dataset: str | None, filters: Sequence[Filter] = ()) -> Table:
    """Return the response rows of a data set that pass every filter."""
    table = engine.responses(dataset)
    for f in filters:
        if f.column.startswith("segment:"):
            seg = engine.segments(dataset)
            name = f.column.split(":", 1)[1]
            keep = seg.filter(seg.name == name).filter(_condition(seg, "value", f.op, f.value))
            table = table.semi_join(keep.select("respondent"), "respondent")
        else:
            table = table.filter(_condition(table, f.column, f.op, f.value))
    return table


def filtered_outcomes(engine: Engine, dataset: str | None, filters: Sequence[Filter] = ()) -> Table:
    """Return the outcome rows of respondents who pass every filter."""
    table = engine.outcomes(dataset)
    if filters:
        people = filtered_responses(engine, dataset, filters).select("respondent").distinct()
        table = table.semi_join(people, "respondent")
    return table


def with_score10(table: Table) -> Table:
    """Return response rows with `score10` (the score on 0–10, 10 best) and `oriented` (on its own scale, best high).

    A reversed scale (a higher answer is worse) is turned round: oriented x = lo + hi − x.
    """
    share = (table.score - table.scale_min) / (table.scale_max - table.scale_min)
    return table.mutate(score10=ibis.ifelse(table.reversed, 10 - share * 10, share * 10),
                        oriented=ibis.ifelse(table.reversed, table.scale_min + table.scale_max - table.score,
                                             table.score))


# ---------------------------------------------------------------- results


NONE = Estimate(None)


@dataclass(frozen=True)
class MetricResult:
    """One metric's value with its 95 % interval and n, or why it is unavailable.

    `parts` are the additive sufficient statistics the engine returned (counts, sums), so
    groups can be combined or compared with the rest without another query.
    """

    metric: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    group: str | None = None
    low_n: bool = False
    reason: str | None = None
    se: float | None = None
    parts: tuple[tuple[str, float], ...] = ()
    respondents: int | None = None  # the people behind an answer-level metric (its sampled unit)
    outcome: str | None = None  # metric "outcome": the outcome's name and kind (binary, nps, score, value)
    kind: str | None = None
    scale: tuple[float, float] | None = None  # an outcome's scale (score kind)

    @property
    def available(self) -> bool:
        return self.value is not None

    @property
    def sample(self) -> str:
        """Return "n = 359,462 answers from 25,976 respondents", or "n = 120" when every answer is one person."""
        if self.respondents is None or self.respondents == self.n:
            return f"n = {self.n:,}"
        return f"n = {self.n:,} answers from {self.respondents:,} respondents"

    def as_dict(self, by: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metric": self.metric, "value": self.value, "low": self.low, "high": self.high,
            "n": self.n, "low_n": self.low_n,
        }
        if self.respondents is not None:
            out["respondents"] = self.respondents
        if self.outcome is not None:
            out["outcome"], out["kind"] = self.outcome, self.kind
            if self.scale is not None:
                out["scale"] = list(self.scale)
        if by is not None:
            out[by] = self.group
        if self.reason:
            out["reason"] = self.reason
        return out


Finish = Callable[[Mapping[str, Any]], Estimate]
Parts = Callable[[Table, BooleanValue], dict[str, Any]]


@dataclass(frozen=True)
class MetricDef:
    """A metric definition: what it measures, the rows it reads and how it is computed."""

    name: str
    label: str
    measures: str
    input: str
    formula: str
    higher_is_better: bool
    interval: str
    unit: str
    table: str  # "responses" or "outcomes"
    rows: Callable[[Table], BooleanValue]
    parts: Parts  # additive statistics only (counts and sums) over the rows where `w` holds
    finish: Finish
    needs: str  # what the data set must have, said when it is missing
    bounds: tuple[float, float] | None = None  # the range the value can take; intervals are clipped to it
    # Answer-level metrics: the (numerator, denominator) parts whose per-respondent totals give the
    # respondent-clustered standard error. None: one row per respondent already (outcomes) or a count.
    cluster: tuple[str, str] | None = None
    # A value resting on a count of events (CLV on its churned customers): small n also when this part
    # counts fewer than min_n, however many respondents there are.
    events: str | None = None
    # Why the value is missing, from its parts (several inputs, or an undefined value); None: "no `needs`".
    unavailable: Callable[[Mapping[str, float]], str] | None = None
    share_of: str | None = None  # a share metric: the part counting successes (its n is the part "n")

    def help(self) -> str:
        """Return a one-paragraph definition for tooltips."""
        direction = "higher is better" if self.higher_is_better else "lower is better"
        return (f"{self.label}: {self.measures} Input: {self.input}. Formula: {self.formula}. "
                f"{direction}. Interval: {self.interval}.")


def _num(s: Mapping[str, Any], key: str) -> float:
    value = _f(s.get(key))
    return 0.0 if value is None else value


def clustered_variance(s: Mapping[str, Any], y: str, n: str = "n") -> float | None:
    """Return the respondent-clustered (CR1) variance of the ratio Σy / Σn, or None with fewer than 2 respondents.

    With Y_g and N_g a respondent's totals and r = ΣY_g / ΣN_g, the linearised (sandwich)
    variance is G / (G − 1) · Σ_g (Y_g − r·N_g)² / (ΣN_g)², from the additive sums
    c_yy = ΣY_g², c_yn = ΣY_g·N_g, c_nn = ΣN_g² and G (respondents) the engine returns.
    """
    if "c_g" not in s:
        return None
    g, total = _num(s, "c_g"), _num(s, n)
    if g < 2 or total <= 0:
        return None
    r = _num(s, y) / total
    residual = _num(s, "c_yy") - 2 * r * _num(s, "c_yn") + r * r * _num(s, "c_nn")
    return g / (g - 1) * max(residual, 0.0) / (total * total)


def _finish_mean(s: Mapping[str, Any]) -> Estimate:
    n = int(_num(s, "n"))
    if n == 0:
        return NONE
    mean = _num(s, "s1") / n
    if "c_g" in s:  # answers clustered in respondents
        var = clustered_variance(s, "s1")
        if var is None:
            return Estimate(mean)
        se = math.sqrt(var)
        return Estimate(mean, mean - Z95 * se, mean + Z95 * se, se)
    if n < 2:
        return Estimate(mean)
    sd = math.sqrt(max(_num(s, "s2") - n * mean * mean, 0.0) / (n - 1))
    low, high = mean_interval(mean, sd, n)
    return Estimate(mean, low, high, sd / math.sqrt(n))


def _mean_parts(column: str) -> Parts:
    def parts(t: Table, w: BooleanValue) -> dict[str, Any]:
        x = t[column]
        return {"n": x.count(where=w), "s1": x.sum(where=w), "s2": (x * x).sum(where=w)}
    return parts


def _finish_share(key: str, scale: float = 100.0) -> Finish:
    def finish(s: Mapping[str, Any]) -> Estimate:
        n = int(_num(s, "n"))
        if n == 0:
            return NONE
        p = _num(s, key) / n
        effective: float = n
        se = math.sqrt(p * (1 - p) / n)
        if "c_g" in s:
            # Answers clustered in respondents: the Wilson interval on the effective sample size
            # n / design effect, where the design effect is the clustered over the simple variance.
            var = clustered_variance(s, key)
            respondents = _num(s, "c_g")
            if var is None:
                effective, se = max(respondents, 1.0), math.nan
            else:
                se = math.sqrt(var)
                # Design effect: the clustered variance over the same estimator's independent-answers
                # variance p(1 − p) / (n − 1), so one answer per respondent gives the plain Wilson interval.
                simple = p * (1 - p) / (n - 1) if n > 1 else 0.0
                effective = n * simple / var if var > 0 and simple > 0 else n
        low, high = wilson_interval(p * effective, effective)
        return Estimate(scale * p, None if low is None else scale * low, None if high is None else scale * high,
                        None if math.isnan(se) else scale * se)
    return finish


def _finish_nps(s: Mapping[str, Any]) -> Estimate:
    n = int(_num(s, "n"))
    if n == 0:
        return NONE
    value, se = nps_value(_num(s, "promoters"), _num(s, "detractors"), n)
    return Estimate(value, value - Z95 * se, value + Z95 * se, se)


def _finish_count(s: Mapping[str, Any]) -> Estimate:
    return Estimate(_num(s, "n"))


def _f(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _on_scale(lo: float, hi: float) -> Callable[[Table], BooleanValue]:
    return lambda t: (t.scale_min == lo) & (t.scale_max == hi) & t.score.notnull()


def _churn_rows(t: Table) -> BooleanValue:
    """Return the rows of the binary outcome the user marked as churn (never chosen by its name)."""
    return (t.kind == "binary") & (t.role == "churn") & t.value.notnull()


def _is_revenue(t: Table) -> BooleanValue:
    """Return the rows of the value outcome the user marked as revenue."""
    return (t.kind == "value") & (t.role == "revenue") & t.value.notnull()


NEEDS_CHURN = 'a binary outcome marked as churn (mapping: "role": "churn")'
NEEDS_REVENUE = 'a value outcome marked as revenue (mapping: "role": "revenue")'
NO_CHURNERS = "no churned customers in this selection: churn rate is 0, CLV is undefined"


def _clv_parts(settings: ClvSettings) -> Parts:
    """Return CLV's additive statistics, the settings among them as sums (margin × n, d × churn n).

    Carried as sums, the settings survive every combination of parts: a group, the rest of it
    (total − group) and the total all finish with the same margin and discount rate.
    """
    def parts(t: Table, w: BooleanValue) -> dict[str, Any]:
        revenue, churn = _is_revenue(t), _churn_rows(t)
        n, churn_n = t.value.count(where=revenue), t.value.count(where=churn)
        return {
            "n": n, "rev_sum": t.value.sum(where=revenue), "rev_sumsq": (t.value * t.value).sum(where=revenue),
            "churn_n": churn_n, "churned": t.value.count(where=churn & (t.value >= 0.5)),
            "margin_n": n * settings.margin, "discount_n": churn_n * settings.discount,
        }
    return parts


@dataclass(frozen=True)
class _ClvTerms:
    margin: float
    revenue: float  # mean revenue per customer per period
    discount: float
    churn: float  # share of customers lost per period, 0–1

    @property
    def value(self) -> float:
        return self.margin * self.revenue * (1 + self.discount) / (self.discount + self.churn)


def _clv_terms(s: Mapping[str, Any]) -> _ClvTerms | None:
    n, churn_n, churned = _num(s, "n"), _num(s, "churn_n"), _num(s, "churned")
    if n <= 0 or churn_n <= 0 or churned <= 0:
        return None
    return _ClvTerms(margin=_num(s, "margin_n") / n, revenue=_num(s, "rev_sum") / n,
                     discount=_num(s, "discount_n") / churn_n, churn=churned / churn_n)


def _finish_clv(s: Mapping[str, Any]) -> Estimate:
    """Return CLV = m·R·(1 + d) / (d + c) with a log-scale (delta method) 95 % interval, always above 0.

    log CLV = log m + log R + log(1 + d) − log(d + c): with R the mean of n revenues (sd s) and c the
    churned share of N customers, Var(log CLV) ≈ s² / (n·R²) + c(1 − c) / (N·(d + c)²) (revenue and
    churn counted as independent samples). The interval is CLV·exp(∓1.96·SE(log CLV)).
    """
    terms = _clv_terms(s)
    if terms is None:
        return NONE
    n, churn_n, value = _num(s, "n"), _num(s, "churn_n"), terms.value
    if n < 2 or terms.revenue <= 0:
        return Estimate(value)
    var_rev = max(_num(s, "rev_sumsq") - n * terms.revenue ** 2, 0.0) / (n - 1)
    se_log = math.sqrt(var_rev / (n * terms.revenue ** 2)
                       + terms.churn * (1 - terms.churn) / (churn_n * (terms.discount + terms.churn) ** 2))
    return Estimate(value, value * math.exp(-Z95 * se_log), value * math.exp(Z95 * se_log), value * se_log)


def _why_no_clv(s: Mapping[str, float]) -> str:
    missing = [need for need, part in ((NEEDS_REVENUE, "n"), (NEEDS_CHURN, "churn_n")) if _num(s, part) <= 0]
    if missing:
        return "unavailable: the data has no " + " and no ".join(missing)
    return NO_CHURNERS


def clv_metric(settings: ClvSettings | None = None) -> MetricDef:
    """Return the CLV definition for these settings (None: margin 1, period "period", no discount)."""
    settings = settings or ClvSettings()
    per = settings.period
    return MetricDef(
        name="clv", label="CLV",
        measures="the value of a customer over the relationship: the margin they bring while they stay, "
                 "discounted.",
        input=f"a value outcome marked as revenue (per customer per {per}) and a binary outcome marked as churn "
              f"(lost within the {per})",
        formula=(f"CLV = margin × mean revenue per {per} × (1 + d) / (d + churn rate per {per}), d the discount "
                 f"rate per {per}: a customer pays at the start of every {per} they stay and stays each {per} "
                 "with probability 1 − churn rate (with d = 0: margin × revenue ÷ churn rate). Margin and d come "
                 "from the mapping (\"clv\") or the Overview sidebar"),
        higher_is_better=True,
        interval="log scale, never below 0: CLV × exp(± 1.96 × SE of log CLV), the SE by the delta method on "
                 "the mean revenue and the churn rate",
        unit="revenue", table="outcomes", rows=lambda t: _is_revenue(t) | _churn_rows(t),
        parts=_clv_parts(settings), finish=_finish_clv, needs=f"{NEEDS_REVENUE} and {NEEDS_CHURN}",
        events="churned", unavailable=_why_no_clv,
    )


def clv_formula(result: MetricResult, settings: ClvSettings) -> str:
    """Return CLV's formula with this result's numbers in it, or with the settings only when there is no value.

    E.g. "CLV = 0.3 × 172.40 per year × (1 + 0.1) / (0.1 + 0.25) = 162.55, from 400 customers' revenue and
    100 churned of 400"; without a value the result's reason says why.
    """
    terms = _clv_terms(dict(result.parts))
    per = settings.period
    if terms is None or result.value is None:
        return (f"CLV = margin {settings.margin:g} × mean revenue per {per} × (1 + {settings.discount:g}) / "
                f"({settings.discount:g} + churn rate per {per})")
    return (f"CLV = {terms.margin:g} × {terms.revenue:,.2f} per {per} × (1 + {terms.discount:g}) / "
            f"({terms.discount:g} + {terms.churn:.4g}) = {result.value:,.2f}, from {result.n:,} customers' "
            f"revenue and {int(_num(dict(result.parts), 'churned')):,} churned of "
            f"{int(_num(dict(result.parts), 'churn_n')):,}")


CLUSTERED_MEAN = ("mean ± 1.96 × SE, the SE clustered by respondent (CR1 sandwich): one person's answers "
                  "count as one sampled unit")
CLUSTERED_SHARE = ("Wilson score interval on the effective sample size (answers ÷ design effect, answers "
                   "clustered by respondent)")

REGISTRY: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef(
            name="responses", label="Responses", measures="how many scored answers there are.",
            input="every scored answer", formula="count of answers with a score",
            higher_is_better=True, interval="none (a count)", unit="answers", table="responses",
            rows=lambda t: t.score.notnull(), parts=lambda t, w: {"n": t.score.count(where=w)},
            finish=_finish_count, needs="scored answers",
        ),
        MetricDef(
            name="mean_score", label="Mean score (0–10)",
            measures="how well touchpoints were rated, every scale mapped onto 0–10.",
            input="every scored answer", formula="mean of 10 × (score − min) / (max − min)",
            higher_is_better=True, interval=CLUSTERED_MEAN, unit="points of 10",
            table="responses", rows=lambda t: t.score.notnull(),
            parts=_mean_parts("score10"),
            finish=_finish_mean, needs="scored answers", bounds=(0.0, 10.0), cluster=("s1", "n"),
        ),
        MetricDef(
            name="nps", label="NPS",
            measures="how many customers would recommend us, net of those who would not.",
            input="0–10 likelihood-to-recommend outcome",
            formula="% promoters (9–10) − % detractors (0–6)", higher_is_better=True,
            interval="NPS ± 1.96 × 100·√((p + d − (p − d)²) / n)", unit="points (−100…100)",
            table="outcomes", rows=lambda t: (t.kind == "nps") & t.value.notnull(),
            parts=lambda t, w: {"n": t.value.count(where=w),
                                "promoters": t.value.count(where=w & (t.value >= PROMOTER_MIN)),
                                "detractors": t.value.count(where=w & (t.value <= DETRACTOR_MAX))},
            finish=_finish_nps, needs="a 0–10 recommend outcome (kind 'nps')", bounds=(-100.0, 100.0),
        ),
        MetricDef(
            name="csat", label="CSAT", measures="the share of satisfied answers (top-2-box).",
            input="answers on a 1–5 scale", formula="% of answers that are 4 or 5",
            higher_is_better=True, interval=CLUSTERED_SHARE, unit="%",
            table="responses", rows=_on_scale(1, 5),
            parts=lambda t, w: {"n": t.score10.count(where=w), "top2": t.score10.count(where=w & (t.score10 >= 7.5))},
            finish=_finish_share("top2"), needs="answers on a 1–5 scale", bounds=(0.0, 100.0),
            cluster=("top2", "n"), share_of="top2",
        ),
        MetricDef(
            name="ces", label="CES", measures="how easy customers found it (customer effort, 2.0 form).",
            input="answers on a 1–7 agreement scale",
            formula="mean of the 1–7 answers, turned round where the scale is reversed (7 − x + 1)",
            higher_is_better=True, interval=CLUSTERED_MEAN, unit="of 7",
            table="responses", rows=_on_scale(1, 7),
            parts=_mean_parts("oriented"),
            finish=_finish_mean, needs="answers on a 1–7 scale", bounds=(1.0, 7.0), cluster=("s1", "n"),
        ),
        MetricDef(
            name="ces_easy", label="CES easy share", measures="the share answering 5–7 (easy).",
            input="answers on a 1–7 agreement scale", formula="% of answers that are 5, 6 or 7",
            higher_is_better=True, interval=CLUSTERED_SHARE, unit="%",
            table="responses", rows=_on_scale(1, 7),
            parts=lambda t, w: {"n": t.score.count(where=w),
                                "easy": t.score.count(where=w & (t.score10 >= 10 * 4 / 6 - 1e-9))},
            finish=_finish_share("easy"), needs="answers on a 1–7 scale", bounds=(0.0, 100.0),
            cluster=("easy", "n"), share_of="easy",
        ),
        MetricDef(
            name="churn_rate", label="Churn rate", measures="the share of customers lost.",
            input="a yes/no outcome marked as churn", formula="% of customers with churn = yes",
            higher_is_better=False, interval="Wilson score interval", unit="%",
            table="outcomes", rows=_churn_rows,
            parts=lambda t, w: {"n": t.value.count(where=w), "churned": t.value.count(where=w & (t.value >= 0.5))},
            finish=_finish_share("churned"), needs=NEEDS_CHURN,
            bounds=(0.0, 100.0),
        ),
        MetricDef(
            name="retention_rate", label="Retention rate", measures="the share of customers kept.",
            input="a yes/no outcome marked as churn", formula="100 % − churn rate",
            higher_is_better=True, interval="Wilson score interval", unit="%",
            table="outcomes", rows=_churn_rows,
            parts=lambda t, w: {"n": t.value.count(where=w), "kept": t.value.count(where=w & (t.value < 0.5))},
            finish=_finish_share("kept"), needs=NEEDS_CHURN,
            bounds=(0.0, 100.0),
        ),
        clv_metric(),
    )
}


# The registry metrics computed per respondent from the outcome rows (NPS, churn, CLV…).
OUTCOME_METRICS: tuple[str, ...] = tuple(m.name for m in REGISTRY.values() if m.table == "outcomes")


def metric(name: str) -> MetricDef:
    """Return a registered metric definition."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidInput(f"Unknown metric '{name}'. Known: {', '.join(REGISTRY)}.") from None


# ---------------------------------------------------------------- computing


def _source(engine: Engine, definition: MetricDef, dataset: str | None, filters: Sequence[Filter]) -> Table:
    """Return the filtered rows a metric's table holds (responses with score10, or outcomes)."""
    if definition.table == "responses":
        return with_score10(filtered_responses(engine, dataset, filters))
    return filtered_outcomes(engine, dataset, filters)


def pooled_touchpoints(engine: Engine, dataset: str | None, names: Sequence[str],
                       filters: Sequence[Filter] = ()) -> dict[str, int]:
    """Return, per answer metric in `names` (CSAT, CES…), how many touchpoints hold answers it counts (its own
    rows): what a pooled value pools, for labels such as "CSAT of 14 touchpoints". One scan, no respondent level."""
    defs = [metric(name) for name in names if metric(name).table == "responses"]
    if not defs:
        return {}
    t = _source(engine, defs[0], dataset, filters)
    frame = t.aggregate(**{d.name: t.touchpoint.nunique(where=d.rows(t)) for d in defs}).execute()
    return {d.name: int(frame[d.name].iloc[0]) for d in defs}


def _month(table: Table) -> Any:
    return table.answered_at.strftime("%Y-%m")


def _grouped(engine: Engine, table: Table, dataset: str | None, by: str | None, kind: str) -> Table:
    """Return `table` with a `grp` column holding the group value of `by`."""
    if by is None:
        return table.mutate(grp=ibis.literal(None, type="string"))
    if by.startswith("segment:"):
        seg = engine.segments(dataset)
        seg = seg.filter(seg.name == by.split(":", 1)[1]).select("respondent", grp=seg.value)
        return table.join(seg, "respondent")
    if by == "month":
        if kind == "responses":
            return table.mutate(grp=_month(table))
        people = engine.responses(dataset)
        return table.join(people.select("respondent", grp=_month(people)).distinct(), "respondent")
    if kind == "responses":
        return table.mutate(grp=table[by].cast("string"))
    # A respondent counts in every group they have answers in (e.g. each unit they visited); answers
    # without a value (an online touchpoint carries no unit) make no "no unit" group.
    people = engine.responses(dataset)
    people = people.filter(people[by].notnull())
    pairs = people.select("respondent", grp=people[by].cast("string")).distinct()
    return table.join(pairs, "respondent")


def result_from_parts(
    definition: MetricDef, parts: Mapping[str, float], group: str | None = None, min_n: int = DEFAULT_MIN_N
) -> MetricResult:
    """Return the finished metric for one set of additive statistics."""
    est = definition.finish(parts)
    n = int(parts.get("n", 0))
    respondents = int(parts["c_g"]) if definition.cluster is not None and "c_g" in parts else None
    low, high = bounded(est.low, est.high, definition.bounds)
    # Small n counts the sampled unit: respondents behind answer-level metrics.
    sampled = n if respondents is None else respondents
    if definition.events is not None:
        sampled = min(sampled, int(parts.get(definition.events, 0)))
    reason = None
    if est.value is None:
        reason = (definition.unavailable(parts) if definition.unavailable is not None
                  else f"unavailable: the data has no {definition.needs}")
    return MetricResult(
        metric=definition.name, value=est.value, low=low, high=high, n=n, group=group,
        low_n=sampled < min_n and definition.name != "responses", se=est.se,
        parts=tuple(sorted(parts.items())), respondents=respondents, reason=reason,
    )


def compute(
    engine: Engine,
    names: Sequence[str] | None = None,
    *,
    dataset: str | None = None,
    by: str | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    clv: ClvSettings | None = None,
) -> list[MetricResult]:
    """Return the metrics (all registered ones by default), per group of `by` if given.

    `clv`: CLV's margin, period and discount rate (None: margin 1, no discount).
    """
    _check_by(by)
    wanted = [clv_metric(clv) if name == "clv" and clv is not None else metric(name)
              for name in (names or list(REGISTRY))]
    found: dict[str, list[MetricResult]] = {}
    by_table = {kind: [d for d in wanted if d.table == kind] for kind in dict.fromkeys(d.table for d in wanted)}
    for kind, rows in _table_rows(engine, by_table, dataset, by, filters).items():
        defs = by_table[kind]
        for i, definition in enumerate(defs):
            prefix = f"m{i}__"
            for row in rows:
                parts = {k.removeprefix(prefix): _num(row, k) for k in row if k.startswith(prefix)}
                group = None if by is None or pd.isna(row["grp"]) else str(row["grp"])  # no value: group None
                found.setdefault(definition.name, []).append(
                    result_from_parts(definition, parts or {"n": 0.0}, group, min_n))
    return [result for d in wanted for result in found[d.name]]


def _table_rows(engine: Engine, by_table: Mapping[str, Sequence[MetricDef]], dataset: str | None, by: str | None,
                filters: Sequence[Filter]) -> dict[str, list[dict[str, Any]]]:
    """Return, per table, its aggregation's rows sorted by group (the group None first; one empty row when none).

    One aggregation per table: every metric reading it contributes its statistics, each over its own
    rows (FILTER / CASE in the engine), so the portfolio costs two scans, not nine. When both tables
    share their respondent × group pairs (`_shares_pairs`), both aggregations run as one query that
    computes those pairs once.
    """
    if by is not None and _shares_pairs(by_table, by, filters):
        frame = _fused(engine, by_table["responses"], by_table["outcomes"], dataset, by).execute()
        frames = {kind: _side(frame, kind) for kind in by_table}
    else:
        frames = {}
        for kind, defs in by_table.items():
            table = _grouped(engine, _source(engine, defs[0], dataset, filters), dataset, by, kind)
            frames[kind] = _aggregate(defs, table, ["grp"]).execute()
    return {kind: [{str(k): v for k, v in row.items()} for row in frame.sort_values("grp", na_position="first")
                   .to_dict("records")] or [{"grp": None}] for kind, frame in frames.items()}


def _shares_pairs(by_table: Mapping[str, Sequence[MetricDef]], by: str, filters: Sequence[Filter]) -> bool:
    """Return whether the answer and outcome aggregations can read one set of respondent × group pairs.

    The answer side groups by (group, respondent) for its clustered standard errors; the outcome side
    counts each respondent in every group they have answers in (`_grouped`). Without filters both
    read every answer of the data set, so the answer side's pairs are the outcome side's. With a
    filter they differ (the answer side keeps only the filtered answers, the outcome side each
    filtered respondent's groups from all their answers), and a segment has no pairs.
    """
    answers = by_table.get("responses", ())
    return (not filters and bool(by_table.get("outcomes")) and any(d.cluster is not None for d in answers)
            and (by in RESPONSE_FILTER_COLUMNS or by == "month"))


def _fused(engine: Engine, answer_defs: Sequence[MetricDef], outcome_defs: Sequence[MetricDef], dataset: str | None,
           by: str) -> Table:
    """Return both tables' aggregations by `by` stacked in one table, the respondent × group pairs computed once.

    The answer side is `_aggregate` over the answers (per group and respondent, then per group); the
    outcome side joins the outcome rows to the keys of that first level, which are the distinct
    (respondent, group) pairs `_grouped` would compute again (the month of an undated answer is a
    pair too; an empty response column is not). Columns: `side` (the table), `grp`, and each side's
    columns prefixed with its table (`_side` takes one side back).
    """
    answers = _grouped(engine, _source(engine, answer_defs[0], dataset, ()), dataset, by, "responses")
    per = _per_respondent(answer_defs, answers, ["grp"])
    answer_side = per.group_by("grp").aggregate(**_second_level(answer_defs, per))
    pairs = per.select("respondent", "grp")
    if by != "month":
        pairs = pairs.filter(pairs.grp.notnull())
    joined = engine.outcomes(dataset).join(pairs, "respondent")
    outcome_side = _aggregate(outcome_defs, joined, ["grp"])
    sides = {"responses": answer_side, "outcomes": outcome_side}
    columns = {f"{kind}__{c}": t.schema()[c] for kind, t in sides.items() for c in t.columns if c != "grp"}

    def stacked(kind: str, t: Table) -> Table:
        own = f"{kind}__"
        return t.select(side=ibis.literal(kind), grp=t.grp, **{
            c: t[c.removeprefix(own)] if c.startswith(own) else ibis.null(dtype) for c, dtype in columns.items()})

    return ibis.union(*(stacked(kind, t) for kind, t in sides.items()))


def _side(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Return one table's rows of `_fused`'s result, with the columns its own aggregation would have."""
    own = f"{kind}__"
    rows = frame[frame["side"] == kind]
    picked = rows[["grp", *(c for c in frame.columns if str(c).startswith(own))]]
    return picked.rename(columns=lambda c: str(c).removeprefix(own)).reset_index(drop=True)


def _first_level(defs: Sequence[MetricDef], table: Table) -> dict[str, Any]:
    return {f"m{i}__{key}": expr for i, d in enumerate(defs) for key, expr in d.parts(table, d.rows(table)).items()}


def _second_level(defs: Sequence[MetricDef], per: Table) -> dict[str, Any]:
    """Return the sums over respondents of their parts, plus the cross-products the clustered SE needs."""
    out: dict[str, Any] = {}
    for i, d in enumerate(defs):
        prefix = f"m{i}__"
        for column in per.columns:
            if column.startswith(prefix):
                out[column] = per[column].sum()
        if d.cluster is not None:
            y, n = per[prefix + d.cluster[0]], per[prefix + d.cluster[1]]
            out |= {prefix + "c_yy": (y * y).sum(), prefix + "c_yn": (y * n).sum(), prefix + "c_nn": (n * n).sum(),
                    prefix + "c_g": n.count(where=n > 0)}
    return out


def _per_respondent(defs: Sequence[MetricDef], table: Table, keys: Sequence[str]) -> Table:
    """Return the first level of answer-level metrics: one row per `keys` and respondent with every part."""
    return table.group_by([*keys, "respondent"]).aggregate(**_first_level(defs, table))


def _aggregate(defs: Sequence[MetricDef], table: Table, keys: Sequence[str]) -> Table:
    """Return one row per `keys` with every definition's parts (columns m{i}__{part}).

    Answer-level metrics aggregate twice, both additive: per respondent (and key), then over
    respondents, so the clustered standard error costs no extra scan.
    """
    if not any(d.cluster is not None for d in defs):
        return table.group_by(list(keys)).aggregate(**_first_level(defs, table))
    per = _per_respondent(defs, table, keys)
    return per.group_by(list(keys)).aggregate(**_second_level(defs, per))


OUTCOME_MEANS = {
    "binary": "% of respondents with a positive answer (yes / 1), Wilson interval",
    "nps": "NPS of the 0–10 answers: % promoters (9–10) − % detractors (0–6)",
    "score": "mean answer on the outcome's own scale, mean ± 1.96 × sd / √n",
    "value": "mean value per respondent, mean ± 1.96 × sd / √n",
}


def outcome_results(
    engine: Engine,
    dataset: str | None,
    *,
    by: str | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
) -> list[MetricResult]:
    """Return every outcome of the data set as a metric, per respondent (n = respondents), per group of `by`.

    binary → % positive (Wilson); nps → NPS; score → mean on its scale; value → mean. One
    aggregation over the outcome rows, whatever the number of outcomes. Sorted by outcome, then group.
    """
    _check_by(by)
    table = _grouped(engine, filtered_outcomes(engine, dataset, filters), dataset, by, "outcomes")
    table = table.filter(table.value.notnull())
    v = table.value
    frame = table.group_by(["outcome", "kind", "grp"]).aggregate(
        n=v.count(), s1=v.sum(), s2=(v * v).sum(), positive=v.count(where=v >= 0.5),
        promoters=v.count(where=v >= PROMOTER_MIN), detractors=v.count(where=v <= DETRACTOR_MAX),
        lo=table.scale_min.min(), hi=table.scale_max.max(),
    ).execute()
    out = []
    for row in frame.sort_values(["outcome", "grp"], na_position="first").to_dict("records"):
        kind = str(row["kind"])
        lo, hi = _f(row["lo"]), _f(row["hi"])
        scale = (lo, hi) if kind == "score" and lo is not None and hi is not None else None
        group = None if by is None or pd.isna(row["grp"]) else str(row["grp"])
        out.append(outcome_from_parts(kind, row, outcome=str(row["outcome"]), scale=scale, group=group, min_n=min_n))
    return out


OUTCOME_PARTS: tuple[str, ...] = ("n", "s1", "s2", "positive", "promoters", "detractors")


def outcome_from_parts(kind: str, parts: Mapping[str, Any], *, outcome: str | None = None,
                       scale: tuple[float, float] | None = None, group: str | None = None,
                       min_n: int = DEFAULT_MIN_N) -> MetricResult:
    """Return an outcome metric finished from its additive parts (OUTCOME_PARTS over one row per respondent).

    binary → % positive (Wilson); nps → NPS; score → mean, its interval clipped to `scale`; value → mean.
    Any group of respondents (a path, a unit, the rest of a selection) finishes as the whole data set does.
    """
    counts = {k: _num(parts, k) for k in OUTCOME_PARTS}
    finish, bounds = {"binary": (_finish_share("positive"), (0.0, 100.0)),
                      "nps": (_finish_nps, (-100.0, 100.0))}.get(kind, (_finish_mean, scale))
    est, n = finish(counts), int(counts["n"])
    low, high = bounded(est.low, est.high, bounds)
    return MetricResult(metric=OUTCOME, value=est.value, low=low, high=high, n=n, group=group, low_n=n < min_n,
                        se=est.se, parts=tuple(sorted(counts.items())), outcome=outcome, kind=kind, scale=scale)


def outcome_label(result: MetricResult) -> str:
    """Return how an outcome metric reads on a tile: "Satisfied: % yes", "Recommend: NPS", "Revenue: mean"."""
    what = {"binary": "% yes", "nps": "NPS", "score": "mean", "value": "mean"}.get(result.kind or "", "")
    return f"{result.outcome}: {what}" if what else str(result.outcome)


def _check_by(by: str | None) -> None:
    if by is not None and not by.startswith("segment:") and by not in (*RESPONSE_FILTER_COLUMNS, "month"):
        raise InvalidInput(
            f"Cannot group by '{by}': use one of {', '.join(RESPONSE_FILTER_COLUMNS)}, month, "
            "or segment:NAME for a segment column."
        )


def touchpoint_stats(
    engine: Engine, dataset: str, filters: Sequence[Filter] = (), by: str | None = None
) -> pd.DataFrame:
    """Return one row per touchpoint (and `by` value): the registry's `mean_score` and what describes it.

    Columns: n; score, low, high, se (the 0–10 score and its bounded 95 % interval, computed by
    the `mean_score` definition, so every page and command shows the same numbers); mean (on
    the original scale, None when the touchpoint was asked on more than one scale); scale_min,
    scale_max, reversed (None when mixed); scales (every (lo, hi) seen, in order).
    """
    definition = REGISTRY["mean_score"]
    table = with_score10(filtered_responses(engine, dataset, filters))
    table = table.filter(definition.rows(table))
    keys = ["touchpoint"] if by is None else ["touchpoint", by]
    if by is not None:
        table = table.filter(table[by].notnull())
    # What describes each touchpoint (raw sum, scales, direction) is aggregated by the keys alone, beside the
    # score's two levels, in the same statement: carried through the (touchpoint, respondent) level it made the
    # query about twice as expensive (2 M answers: 1.0 s CPU against 0.5 s).
    described = table.group_by(keys).aggregate(
        raw_sum=table.score.sum(), lo_min=table.scale_min.min(), lo_max=table.scale_min.max(),
        hi_min=table.scale_max.min(), hi_max=table.scale_max.max(),
        rev_min=table.reversed.cast("int8").min(), rev_max=table.reversed.cast("int8").max())
    frame = _aggregate([definition], table, keys).join(described, keys).execute()
    mixed = ((frame["lo_min"] != frame["lo_max"]) | (frame["hi_min"] != frame["hi_max"])
             | (frame["rev_min"] != frame["rev_max"]))
    scales = _scales_seen(table, sorted({str(t) for t in frame.loc[mixed, "touchpoint"]}))
    rows = []
    for record, is_mixed in zip(frame.to_dict("records"), mixed, strict=True):
        result = result_from_parts(
            definition, {k.removeprefix("m0__"): _num(record, k) for k in record if str(k).startswith("m0__")})
        name = str(record["touchpoint"])
        one = (float(record["lo_min"]), float(record["hi_min"]))
        rows.append({
            **{k: record[k] for k in keys}, "n": result.n, "respondents": result.respondents,
            "score": result.value, "low": result.low, "high": result.high, "se": result.se,
            "mean": None if is_mixed or not result.n else _num(record, "raw_sum") / result.n,
            "scale_min": None if is_mixed else one[0], "scale_max": None if is_mixed else one[1],
            "reversed": None if is_mixed else bool(record["rev_min"]),
            "scales": scales.get(name, [one]) if is_mixed else [one],
        })
    columns = [*keys, "n", "respondents", "score", "low", "high", "se", "mean", "scale_min", "scale_max", "reversed",
               "scales"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(keys).reset_index(drop=True)


def _scales_seen(table: Table, touchpoints: Sequence[str]) -> dict[str, list[tuple[float, float]]]:
    """Return the (lo, hi) scales each of `touchpoints` was answered on (one small query, only when mixed)."""
    if not touchpoints:
        return {}
    picked = table.filter(table.touchpoint.isin(list(touchpoints)))
    frame = picked.select("touchpoint", "scale_min", "scale_max").distinct().execute()
    out: dict[str, list[tuple[float, float]]] = {}
    for row in frame.sort_values(["touchpoint", "scale_min", "scale_max"]).itertuples(index=False):
        out.setdefault(str(row.touchpoint), []).append((float(row.scale_min), float(row.scale_max)))
    return out


def operational_stats(engine: Engine, dataset: str, filters: Sequence[Filter] = ()) -> pd.DataFrame:
    """Return the mean of each operational metric per touchpoint (e.g. wait time), with n."""
    table = engine.operational(dataset)
    if filters:
        people = filtered_responses(engine, dataset, filters).select("respondent").distinct()
        table = table.semi_join(people, "respondent")
    table = table.filter(table.value.notnull())
    frame: pd.DataFrame = table.group_by(["touchpoint", "name"]).aggregate(
        n=table.value.count(), mean=table.value.mean()).execute()
    return frame.sort_values(["touchpoint", "name"])


def filter_options(engine: Engine, dataset: str) -> dict[str, Any]:
    """Return what a data set can be filtered and grouped by: dates, channels, units, stages, segments, outcomes."""
    responses = engine.responses(dataset)
    span = responses.aggregate(first=responses.answered_at.min(), last=responses.answered_at.max()).execute()

    def distinct(table: Table, *columns: str) -> list[tuple[Any, ...]]:
        picked = table.select(*columns)
        picked = picked.filter(picked[columns[-1]].notnull()).distinct().order_by(list(columns))
        return [tuple(row) for row in picked.execute().itertuples(index=False)]

    segments: dict[str, list[str]] = {}
    for name, value in distinct(engine.segments(dataset), "name", "value"):
        segments.setdefault(str(name), []).append(str(value))
    first, last = span["first"].iloc[0], span["last"].iloc[0]
    return {
        "first": None if pd.isna(first) else pd.Timestamp(first).to_pydatetime(),
        "last": None if pd.isna(last) else pd.Timestamp(last).to_pydatetime(),
        **_distinct_values(responses, ("channel", "unit", "stage", "touchpoint")),
        "segments": segments,
        "outcomes": [(str(o), str(k)) for o, k in distinct(engine.outcomes(dataset), "outcome", "kind")],
    }


NO_MATCH = "No answers match these filters. Widen the date range or clear a filter in the sidebar."


def why_no_scores(engine: Engine, dataset: str) -> str:
    """Return the sentence that says why a view has no scored answer to show.

    The data set may hold no touchpoint answers at all (only outcomes per respondent), answers
    without scores (events such as a visit or a call), or scored answers the filters leave out.
    """
    responses = engine.responses(dataset)
    counts = responses.aggregate(answers=responses.count(), scored=responses.score.count()).execute()
    if int(counts["answers"].iloc[0]) == 0:
        return ("This data set holds outcomes per respondent but no touchpoint answers, so there is no touchpoint "
                "score to show. Its outcome metrics (NPS, churn…) are on the Overview page; import a file with a "
                "score per touchpoint for the rest.")
    if int(counts["scored"].iloc[0]) == 0:
        return ("This data set's answers carry no scores (events such as a visit or a call), so there is nothing "
                "to score. Import the file again with a score column mapped to see this view.")
    return NO_MATCH


def _distinct_values(table: Table, columns: Sequence[str]) -> dict[str, list[str]]:
    """Return the sorted distinct non-null values of each column, in one query (a union of the columns)."""
    picked = [table.filter(table[c].notnull()).select(column=ibis.literal(c), value=table[c].cast("string")).distinct()
              for c in columns]
    frame = ibis.union(*picked).execute() if len(picked) > 1 else picked[0].execute()
    out: dict[str, list[str]] = {c: [] for c in columns}
    for column, value in sorted(zip(frame["column"], frame["value"], strict=True)):
        out[str(column)].append(str(value))
    return out
