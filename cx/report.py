"""The "You said, we did" report, and the trend chart that marks each action on a touchpoint's score.

A report covers one journey: its weak touchpoints (and any touchpoint with an action), what
customers said about each (terms typical of low-score comments, a few quotes), what was done
(actions) and what moved (before/after test). It renders to Markdown (text) or to one
self-contained HTML page with the charts as PNG images. Every piece of user text (comments,
action titles, names) is escaped: it shows as typed, never as markup.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import altair as alt
import duckdb
import pandas as pd

from cx import actions as actions_module
from cx import comments as comments_module
from cx import journeys, store
from cx.actions import Action, BeforeAfter
from cx.engines import Engine, store_engine
from cx.errors import InvalidInput
from cx.metrics import DEFAULT_MIN_N, Filter, filter_options
from cx.models import JourneyScores

__all__ = [
    "LINE_COLOUR",
    "QUOTE_LIMIT",
    "RULE_COLOUR",
    "STATUS_DASH",
    "SUMMARY_COLUMNS",
    "Report",
    "ReportItem",
    "build_report",
    "chart_png",
    "md_escape",
    "report_html",
    "report_journeys",
    "report_markdown",
    "summary_frame",
    "trend_chart",
]


RULE_COLOUR = "#8e44ad"
LINE_COLOUR = "#2e86c1"
STATUS_DASH = {"done": [1, 0], "in progress": [6, 3], "planned": [2, 3]}
QUOTE_LIMIT = 200

# ---------------------------------------------------------------- chart


def trend_chart(
    trend: pd.DataFrame,
    actions: Sequence[Action],
    *,
    min_n: int = DEFAULT_MIN_N,
    width: int | str = "container",
    height: int = 260,
) -> alt.LayerChart:
    """Return the monthly 0–10 score (line, 95 % band, n in the tooltip) with each action as a dated rule.

    Months with fewer than `min_n` answers are hollow diamonds; actions are vertical rules
    (solid when done, dashed in progress, dotted planned) labelled with their date and title.
    """
    frame = trend.assign(
        reliability=[f"fewer than {min_n} answers" if low else "enough answers" for low in trend["low_n"]],
        month_label=[m.strftime("%b %Y") for m in trend["month"]],
    )
    y_scale = alt.Scale(domain=[0, 10])
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0))
    base = alt.Chart(frame).encode(x=x)
    band = base.mark_area(opacity=0.18, color=LINE_COLOUR).encode(
        y=alt.Y("low:Q", scale=y_scale, title="Score (0–10)"), y2="high:Q")
    line = base.mark_line(color=LINE_COLOUR, strokeWidth=2).encode(y=alt.Y("score:Q", scale=y_scale))
    shapes = alt.Scale(domain=["enough answers", f"fewer than {min_n} answers"], range=["circle", "diamond"])
    points = base.mark_point(size=70, color=LINE_COLOUR).encode(
        y=alt.Y("score:Q", scale=y_scale),
        shape=alt.Shape("reliability:N", scale=shapes, legend=alt.Legend(title=None, orient="bottom")),
        fill=alt.condition("datum.low_n", alt.value("white"), alt.value(LINE_COLOUR)),
        tooltip=[alt.Tooltip("month_label:N", title="Month"), alt.Tooltip("score:Q", title="Score", format=".1f"),
                 alt.Tooltip("low:Q", title="95 % low", format=".1f"),
                 alt.Tooltip("high:Q", title="95 % high", format=".1f"), alt.Tooltip("n:Q", title="n")],
    )
    layers: list[alt.Chart] = [band, line, points]
    if actions:
        marks = pd.DataFrame([
            {"date": pd.Timestamp(a.action_date), "label": a.label(40), "title": a.title, "status": a.status,
             "owner": a.owner or "", "level": 9.8 - 0.75 * (i % 4)}
            for i, a in enumerate(sorted(actions, key=lambda a: (a.action_date, a.action_id)))
        ])
        rule_x = alt.X("date:T")
        tips = [alt.Tooltip("label:N", title="Action"), alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("owner:N", title="Owner")]
        rules = alt.Chart(marks).mark_rule(color=RULE_COLOUR, strokeWidth=2).encode(
            x=rule_x,
            strokeDash=alt.StrokeDash("status:N", scale=alt.Scale(domain=list(STATUS_DASH),
                                                                    range=list(STATUS_DASH.values())),
                                      legend=alt.Legend(title="Action", orient="bottom")),
            tooltip=tips)
        labels = alt.Chart(marks).mark_text(align="left", dx=4, fontSize=11, color=RULE_COLOUR).encode(
            x=rule_x, y=alt.Y("level:Q", scale=y_scale), text="label:N", tooltip=tips)
        layers += [rules, labels]
    chart: alt.LayerChart = alt.layer(*layers).properties(width=width, height=height)  # type: ignore[assignment]
    return chart


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """Return a chart rendered as PNG (offline, through vl-convert); the chart needs a numeric width."""
    import vl_convert as vlc

    png: bytes = vlc.vegalite_to_png(chart.to_json(), scale=scale)
    return png


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportItem:
    """One touchpoint in the report: its score, what customers said, what was done, what moved."""

    position: int
    touchpoint: str
    score: float | None
    low: float | None
    high: float | None
    n: int
    low_n: bool
    weak: bool
    weak_reason: str | None
    comment_n: int  # low-score comments behind "you said"
    said: tuple[tuple[str, float], ...]  # (term, % of low-score comments containing it)
    quotes: tuple[str, ...]
    actions: tuple[Action, ...]
    moves: tuple[BeforeAfter, ...]
    pending: tuple[Action, ...]  # actions too recent (or future) to measure
    trend: pd.DataFrame = field(repr=False, compare=False, default_factory=pd.DataFrame)

    def score_text(self) -> str:
        if self.score is None:
            return "no score"
        interval = "" if self.low is None or self.high is None else f", 95 % {self.low:.1f}–{self.high:.1f}"
        flag = ", few answers" if self.low_n else ""
        return f"{self.score:.1f} of 10 (n = {self.n:,}{interval}{flag})"


@dataclass(frozen=True)
class Report:
    """A "You said, we did" summary of one journey."""

    journey: str
    dataset: str | None
    aggregate: float | None
    window_days: int
    min_n: int
    generated: date
    notes: tuple[str, ...]
    items: tuple[ReportItem, ...]
    weak_count: int
    data_until: date | None


def _quotes(frame: pd.DataFrame, terms: Sequence[str], count: int) -> tuple[str, ...]:
    """Return up to `count` distinct low-score comments, those with the top terms and most negative first."""
    if frame.empty or count <= 0:
        return ()
    low = frame[frame["band"].isin(comments_module.LOW_BANDS)].copy()
    if low.empty:
        return ()
    top = set(terms[:3])
    low["has_term"] = [bool(top & comments_module.terms_of(str(t))) for t in low["comment"]]
    low = low.sort_values(["has_term", "sentiment", "answered_at"], ascending=[False, True, False])
    out: list[str] = []
    for text in low["comment"].astype(str):
        one_line = " ".join(text.split())
        if len(one_line) > QUOTE_LIMIT:
            one_line = one_line[: QUOTE_LIMIT - 1] + "…"
        if one_line and one_line not in out:
            out.append(one_line)
        if len(out) == count:
            break
    return tuple(out)


def build_report(
    con: duckdb.DuckDBPyConnection,
    journey: str | None,
    *,
    dataset: str | None = None,
    engine: Engine | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    window_days: int = actions_module.DEFAULT_WINDOW_DAYS,
    terms: int = 5,
    quotes: int = 2,
    notes: Sequence[str] = (),
    today: date | None = None,
) -> Report:
    """Return the "You said, we did" summary of a journey (or, with journey None, of a data set's touchpoints).

    Touchpoints in the report: the weak ones and any with a logged action, in journey order.
    """
    engine = engine or store_engine(con)
    scores: JourneyScores
    if journey is None:
        if dataset is None:
            raise InvalidInput("Say which journey or data set the report is about.")
        scores = journeys.dataset_scores(con, dataset, engine=engine, filters=filters, min_n=min_n)
    else:
        scores = journeys.journey_scores(con, journey, dataset=dataset, engine=engine if dataset else None,
                                         filters=filters, min_n=min_n)
        dataset = dataset or scores.journey.dataset
    data_until: date | None = None
    if dataset is not None:
        last = filter_options(store_engine(con), dataset)["last"]
        data_until = None if last is None else pd.Timestamp(last).date()
    items = []
    for t in scores.touchpoints:
        logged = tuple(actions_module.list_actions(con, dataset=dataset, touchpoint=t.touchpoint)) if dataset else ()
        if not t.weak and not logged:
            continue
        said: tuple[tuple[str, float], ...] = ()
        quoted: tuple[str, ...] = ()
        comment_n = 0
        trend = pd.DataFrame()
        if dataset is not None and t.source == "responses":
            frame = comments_module.comments(engine, dataset, filters, touchpoint=t.touchpoint)
            typical = comments_module.distinctive_terms(frame, top=terms)
            typical = typical[typical["side"] == "low"]
            said = tuple((str(term), float(share)) for term, share in zip(typical["term"], typical["low_share"],
                                                                          strict=True))
            comment_n = int(frame["band"].isin(comments_module.LOW_BANDS).sum())
            quoted = _quotes(frame, [term for term, _ in said], quotes)
            trend = actions_module.monthly_trend(engine, dataset, t.touchpoint, filters=filters, min_n=min_n)
        moves, pending = [], []
        for action in logged:
            if dataset is None or data_until is None or action.action_date > data_until:
                pending.append(action)
            else:
                moves.append(actions_module.before_after(engine, action, dataset=dataset, window_days=window_days,
                                                         filters=filters, min_n=min_n))
        items.append(ReportItem(
            position=t.position, touchpoint=t.touchpoint, score=t.score, low=t.low, high=t.high, n=t.n,
            low_n=t.low_n, weak=t.weak, weak_reason=t.weak_reason, comment_n=comment_n, said=said, quotes=quoted,
            actions=logged, moves=tuple(moves), pending=tuple(pending), trend=trend,
        ))
    return Report(
        journey=scores.journey.name if journey is not None else f"All touchpoints of {dataset}",
        dataset=dataset, aggregate=scores.aggregate, window_days=window_days, min_n=min_n,
        generated=today or date.today(), notes=tuple(notes), items=tuple(items), weak_count=len(scores.weak),
        data_until=data_until,
    )


def report_journeys(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Return the names of the stored journeys over `dataset`: the journeys a report on it can follow."""
    return [j.name for j in store.all_journeys(con) if j.dataset == dataset]


SUMMARY_COLUMNS: tuple[str, ...] = ("touchpoint", "score", "n", "weak", "you said", "we did", "what moved")


def summary_frame(report: Report) -> pd.DataFrame:
    """Return one row per touchpoint of the report: score (0–10, NaN without one) and n as numbers, then in words
    why it is weak (or "few answers"), the terms customers used, the actions and what moved."""
    rows = [
        {"touchpoint": item.touchpoint, "score": item.score, "n": item.n,
         "weak": item.weak_reason or ("few answers" if item.low_n else ""),
         "you said": ", ".join(term for term, _ in item.said),
         "we did": "; ".join(a.title for a in item.actions) or "no action yet",
         "what moved": "; ".join(m.verdict if m.diff is None else f"{m.verdict} ({m.diff:+.1f})" for m in item.moves)}
        for item in report.items
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"score": "float64", "n": "int64"})


# ---------------------------------------------------------------- rendering

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: object) -> str:
    """Return user text safe to place inline in Markdown: shown literally, never as markup or HTML.

    Inline only (never at the start of a line, where "#", "-" or "1." would start a block): HTML
    is turned into entities, and the characters that start emphasis, code, links or tables are
    backslash-escaped.
    """
    one_line = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def _esc(text: object) -> str:
    return html.escape(" ".join(str(text).split()), quote=True)


def _action_line(a: Action) -> str:
    """Return an action in words (raw text: escape before use)."""
    parts = [a.action_date.isoformat(), a.title]
    extra = ", ".join(x for x in (a.owner, a.status, f"at {a.unit}" if a.unit else None) if x)
    return " · ".join(parts) + (f" ({extra})" if extra else "")


def _headline(report: Report) -> str:
    if report.aggregate is None:
        return "No touchpoint of this journey has a score yet."
    noun = "touchpoint" if report.weak_count == 1 else "touchpoints"
    return (f"Journey average {report.aggregate:.1f} of 10; {report.weak_count} weak {noun}. Below: what customers "
            "said about each weak touchpoint (and any touchpoint we acted on), what we did, and what moved.")


def _moved_line(move: BeforeAfter) -> str:
    return move.sentence()


def report_markdown(report: Report) -> str:
    """Return the report as Markdown (text only; the HTML version carries the charts)."""
    lines = [f"# You said, we did — {md_escape(report.journey)}", ""]
    meta = [f"Data: {md_escape(report.dataset or 'team assessment')}",
            f"generated {report.generated.isoformat()}"]
    if report.data_until:
        meta.append(f"answers until {report.data_until.isoformat()}")
    lines += [" · ".join(meta), ""]
    lines += [f"*{md_escape(n)}*  " for n in report.notes]
    lines += ["", md_escape(_headline(report)), ""]
    if not report.items:
        lines += ["No weak touchpoint and no action logged: nothing to report yet.", ""]
    for item in report.items:
        status = f"weak: {item.weak_reason}" if item.weak else "not weak"
        lines += [f"## {item.position}. {md_escape(item.touchpoint)} — {md_escape(item.score_text())}", "",
                  f"*{md_escape(status)}*", ""]
        lines.append("**You said**")
        if item.said:
            terms = ", ".join(f"“{md_escape(term)}” ({share:.0f} %)" for term, share in item.said)
            lines.append(f"In {item.comment_n:,} low-score comments, most often: {terms}.")
        else:
            lines.append("No low-score comments with recurring terms.")
        lines += [f"> “{md_escape(q)}”  " for q in item.quotes]
        lines += ["", "**We did**"]
        lines += [f"- {md_escape(_action_line(a))}" for a in item.actions] or ["- No action logged yet."]
        lines += ["", "**What moved**"]
        lines += [f"- {md_escape(_moved_line(m))}" for m in item.moves]
        lines += [f"- {md_escape(a.title)}: too early to measure (dated {a.action_date.isoformat()})"
                  for a in item.pending]
        if not item.moves and not item.pending:
            lines.append("- Nothing to measure yet.")
        lines.append("")
    lines += [f"*Scores are 0–10 means with 95 % intervals; windows of {report.window_days} days before and after "
              f"each action; {md_escape(actions_module.TEST_NAME)}. Scores from fewer than {report.min_n} answers "
              "are marked as few answers.*", ""]
    return "\n".join(lines)


_CSS = """
@page { size: A4; margin: 14mm; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2833; max-width: 190mm;
       margin: 0 auto; font-size: 10.5pt; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0 0 2pt; } h2 { font-size: 12.5pt; margin: 12pt 0 3pt; border-top: 1px solid #d5d8dc;
  padding-top: 6pt; }
.meta, .note { color: #566573; font-size: 9pt; } .weak { color: #a93226; font-weight: 600; }
.cols { display: flex; gap: 12pt; } .cols > div { flex: 1; }
h3 { font-size: 10.5pt; margin: 4pt 0 2pt; } ul { margin: 0; padding-left: 14pt; }
blockquote { margin: 2pt 0; padding-left: 6pt; border-left: 3px solid #d5d8dc; color: #424949; }
img { width: 100%; max-height: 55mm; object-fit: contain; }
"""


def report_html(report: Report, *, charts: bool = True) -> str:
    """Return the report as one self-contained HTML page (charts embedded as PNG images)."""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>You said, we did — {_esc(report.journey)}</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>You said, we did — {_esc(report.journey)}</h1>"]
    meta = [f"Data: {_esc(report.dataset or 'team assessment')}", f"generated {report.generated.isoformat()}"]
    if report.data_until:
        meta.append(f"answers until {report.data_until.isoformat()}")
    out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    out += [f'<p class="meta">{_esc(n)}</p>' for n in report.notes]
    out.append(f"<p>{_esc(_headline(report))}</p>")
    if not report.items:
        out.append("<p>No weak touchpoint and no action logged: nothing to report yet.</p>")
    for item in report.items:
        status = (f'<span class="weak">▼ weak: {_esc(item.weak_reason)}</span>' if item.weak else "not weak")
        out.append(f"<section><h2>{item.position}. {_esc(item.touchpoint)} — {_esc(item.score_text())}</h2>"
                   f'<p class="note">{status}</p><div class="cols"><div><h3>You said</h3>')
        if item.said:
            terms = ", ".join(f"“{_esc(term)}” ({share:.0f} %)" for term, share in item.said)
            out.append(f"<p>In {item.comment_n:,} low-score comments, most often: {terms}.</p>")
        else:
            out.append("<p>No low-score comments with recurring terms.</p>")
        out += [f"<blockquote>“{_esc(q)}”</blockquote>" for q in item.quotes]
        out.append("</div><div><h3>We did</h3><ul>")
        out += [f"<li>{_esc(_action_line(a))}</li>" for a in item.actions] or ["<li>No action logged yet.</li>"]
        out.append("</ul><h3>What moved</h3><ul>")
        out += [f"<li>{_esc(_moved_line(m))}</li>" for m in item.moves]
        out += [f"<li>{_esc(a.title)}: too early to measure (dated {a.action_date.isoformat()})</li>"
                for a in item.pending]
        if not item.moves and not item.pending:
            out.append("<li>Nothing to measure yet.</li>")
        out.append("</ul></div></div>")
        if charts and item.actions and not item.trend.empty:
            png = chart_png(trend_chart(item.trend, item.actions, min_n=report.min_n, width=620, height=170))
            alt_text = _esc(f"Monthly score of {item.touchpoint} (0–10) with each action marked as a dated line")
            out.append(f'<img alt="{alt_text}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">')
        out.append("</section>")
    out.append(f'<p class="note">Scores are 0–10 means with 95 % intervals; windows of {report.window_days} days '
               f"before and after each action; {_esc(actions_module.TEST_NAME)}. Scores from fewer than "
               f"{report.min_n} answers are marked as few answers.</p></body></html>")
    return "\n".join(out)
