"""Altair chart builders: data in, chart out. No Streamlit here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from cx.formats import status_label
from cx.metrics import MetricResult
from cx.models import JourneyScores, Source, Status, TouchpointScore

__all__ = [
    "NONE_COLOUR",
    "OK_COLOUR",
    "STAGE_COLOURS",
    "WEAK_COLOUR",
    "breakdown_chart",
    "channel_chart",
    "journey_chart",
    "journey_frame",
    "journey_table",
    "ranking_chart",
    "touchpoints_table",
    "trend_chart",
]


WEAK_COLOUR = "#c0392b"
OK_COLOUR = "#2e86c1"
NONE_COLOUR = "#7f8c8d"
STAGE_COLOURS = {"attraction": "#f5cba7", "interaction": "#aed6f1", "cultivation": "#abebc6", "—": "#e5e7e9"}


def _layered(*charts: alt.Chart, **properties: object) -> alt.LayerChart:
    """Return the charts drawn on top of each other, with the given properties."""
    layered: alt.LayerChart = alt.LayerChart(layer=list(charts)).properties(**properties)
    return layered


def journey_frame(scores: JourneyScores) -> pd.DataFrame:
    """Return one row per touchpoint with the fields the journey chart and table draw."""
    rows = []
    for t in scores.touchpoints:
        rows.append({
            "position": t.position,
            "label": f"{t.position}. {t.touchpoint}",
            "touchpoint": t.touchpoint,
            "stage": t.stage or "—",
            "score": t.score,
            "low": t.low,
            "high": t.high,
            "n": t.n,
            "source": t.source,
            "status": status_label(t.status, scores.min_n),
            "original": _original(t),
            "target": t.target,
            "why": t.weak_reason or "",
        })
    return pd.DataFrame(rows)


def journey_chart(scores: JourneyScores, *, width: int | str = "container") -> alt.LayerChart:
    """Return the journey curve: scores in journey order, the average line, weak points marked.

    Weak points differ by shape and label as well as colour; unscored touchpoints get a
    "no score" mark on the axis instead of a value; each touchpoint's column is shaded by its
    stage, and the stage is written under its name.
    """
    frame = journey_frame(scores)
    frame["axis"] = frame["label"] + "|" + frame["stage"]
    order = frame["axis"].tolist()
    many = len(frame) > 6
    x = alt.X("axis:N", sort=order, title=None, scale=alt.Scale(paddingInner=0.08, paddingOuter=0.04),
              axis=alt.Axis(labelAngle=-30 if many else 0, labelAlign="right" if many else "center",
                            labelOverlap=False, labelLimit=180, labelExpr="split(datum.label, '|')",
                            labelFontSize=12, ticks=False, domain=False))
    y_scale = alt.Scale(domain=[0, 10], nice=False, clamp=True)
    y_axis = alt.Axis(values=list(range(11)), title="Score (0–10)", grid=True)
    scored = frame[frame["score"].notna()]
    tooltip = [
        alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("score:Q", title="Score (0–10)", format=".1f"),
        alt.Tooltip("original:N", title="Original scale"), alt.Tooltip("n:Q", title="n"),
        alt.Tooltip("low:Q", title="95 % low", format=".1f"), alt.Tooltip("high:Q", title="95 % high", format=".1f"),
        alt.Tooltip("status:N", title="Status"), alt.Tooltip("why:N", title="Why"),
    ]
    present = [s for s in STAGE_COLOURS if s in set(frame["stage"])]
    stages = alt.Chart(frame.assign(top=10.0, bottom=0.0)).mark_bar(opacity=0.22).encode(
        x=x, y=alt.Y("bottom:Q", scale=y_scale, axis=y_axis), y2="top:Q",
        color=alt.Color("stage:N", scale=alt.Scale(domain=present, range=[STAGE_COLOURS[s] for s in present]),
                        legend=alt.Legend(title="Stage", orient="bottom")),
        tooltip=[alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("stage:N", title="Stage")],
    )
    base = alt.Chart(scored).encode(x=x)
    line = base.mark_line(color=NONE_COLOUR, strokeWidth=2).encode(y=alt.Y("score:Q", scale=y_scale))
    weak, ok = status_label(Status.WEAK), status_label(Status.OK)
    statuses = [s for s in (weak, ok, status_label(Status.LOW_N, scores.min_n)) if s in set(scored["status"])]
    colours = {weak: WEAK_COLOUR, ok: OK_COLOUR}
    shapes = {weak: "triangle-down", ok: "circle"}
    status_scale = alt.Scale(domain=statuses, range=[colours.get(s, NONE_COLOUR) for s in statuses])
    shape_scale = alt.Scale(domain=statuses, range=[shapes.get(s, "diamond") for s in statuses])
    points = base.mark_point(size=260, filled=True, opacity=1).encode(
        y=alt.Y("score:Q", scale=y_scale),
        color=alt.Color("status:N", scale=status_scale, legend=alt.Legend(title="Touchpoint", orient="bottom")),
        shape=alt.Shape("status:N", scale=shape_scale, legend=None),
        tooltip=tooltip,
    )
    labels = base.mark_text(dy=-18, fontSize=13, fontWeight="bold").encode(
        y="score:Q", text=alt.Text("score:Q", format=".1f"),
        color=alt.Color("status:N", scale=status_scale, legend=None),
    )
    weak_labels = alt.Chart(scored[scored["status"] == weak]).mark_text(dy=22, fontSize=12, fontWeight="bold").encode(
        x=x, y="score:Q", text=alt.value(weak), color=alt.value(WEAK_COLOUR))
    bars = base.transform_filter("datum.low != null").mark_rule(color=NONE_COLOUR, strokeWidth=1.5).encode(
        y="low:Q", y2="high:Q")
    layers: list[alt.Chart] = [stages, bars, line, points, labels, weak_labels]
    unscored = frame[frame["score"].isna()].assign(score=0.5)
    if not unscored.empty:
        layers.append(alt.Chart(unscored).mark_text(fontSize=13, fontStyle="italic", color="#566573").encode(
            x=x, y=alt.Y("score:Q", scale=y_scale), text=alt.value("no score"),
            tooltip=[alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("status:N", title="Status")]))
    if scores.aggregate is not None:
        avg = pd.DataFrame({"aggregate": [scores.aggregate], "text": [f"journey average {scores.aggregate:.1f}"]})
        layers.append(alt.Chart(avg).mark_rule(strokeDash=[6, 4], color="#34495e", strokeWidth=2).encode(
            y=alt.Y("aggregate:Q", scale=y_scale)))
        layers.append(alt.Chart(avg).mark_text(align="left", dx=4, dy=-7, color="#34495e", fontWeight="bold").encode(
            y="aggregate:Q", x=alt.value(0), text="text:N"))
    targets = frame[frame["target"].notna()]
    if not targets.empty:
        layers.append(alt.Chart(targets).mark_tick(color="#27ae60", thickness=2, size=30).encode(
            x=x, y=alt.Y("target:Q", scale=y_scale), tooltip=[alt.Tooltip("target:Q", title="Target")]))
    chart: alt.LayerChart = (alt.layer(*layers).properties(width=width, height=380)
                             .resolve_scale(color="independent").configure_view(stroke=None))
    return chart


def _original(t: TouchpointScore) -> str:
    """Return the score on its own scale ("4.80 on 1–5"), or the scales when there were several."""
    if t.mixed_scales:
        return t.scale_label
    return "" if t.mean is None or t.scale is None else f"{t.mean:.2f} on {t.scale.label}"


def journey_table(scores: JourneyScores) -> pd.DataFrame:
    """Return the journey as a table, numbers as numbers (blank where there is none), one status per row."""
    rows = []
    for t in scores.touchpoints:
        if t.source == Source.RESPONSES:
            basis = f"{t.n:,} answers" + (f" (fewer than {scores.min_n}: unreliable)" if t.low_n else "")
        elif t.source == Source.ASSESSMENT:
            basis = "team assessment" + (f" ({t.n} votes)" if t.n > 1 else "")
        else:
            basis = "no data"
        rows.append({
            "#": t.position, "Touchpoint": t.touchpoint, "Stage": t.stage or "",
            "Score (0–10)": t.score, "95 % low": t.low, "95 % high": t.high,
            "Mean (original scale)": t.mean, "Scale": t.scale_label, "n": t.n,
            "Based on": basis, "Target": t.target,
            "Status": status_label(t.status), "Why": t.weak_reason or "",
        })
    return pd.DataFrame(rows, columns=["#", "Touchpoint", "Stage", "Score (0–10)", "95 % low", "95 % high",
                                       "Mean (original scale)", "Scale", "n", "Based on", "Target", "Status", "Why"])


def touchpoints_table(
    scores: JourneyScores,
    by_touchpoint: Mapping[str, Sequence[MetricResult]],
    *,
    operational: pd.DataFrame,
    by_channel: pd.DataFrame,
) -> pd.DataFrame:
    """Return the Touchpoints page's inventory: the journey table plus channels, CSAT, CES, NPS, operational.

    `by_touchpoint` maps a metric name to its results by touchpoint; low-n values are left blank.
    """
    table = journey_table(scores).drop(columns=["Based on"])
    channels = by_channel.groupby("touchpoint")["channel"].apply(lambda c: ", ".join(sorted(map(str, c)))).to_dict()
    names = [t.touchpoint for t in scores.touchpoints]
    table.insert(3, "Channels", [channels.get(n, "") for n in names])
    for name, column in (("csat", "CSAT %"), ("ces", "CES"), ("nps", "NPS of its customers")):
        found = {r.group: r for r in by_touchpoint.get(name, ())}
        table[column] = [None if (r := found.get(n)) is None or r.low_n else r.value for n in names]
    table["Operational"] = [
        "; ".join(f"{r.name}: {r.mean:.1f} (n {r.n:,})" for r in operational[operational["touchpoint"] == n]
                  .itertuples())
        for n in names
    ]
    table["Why"] = [t.weak_reason or (f"fewer than {scores.min_n} answers: unreliable" if t.low_n else "")
                    for t in scores.touchpoints]
    return table


def trend_chart(frame: pd.DataFrame, label: str, *, min_n: int) -> alt.LayerChart:
    """Return a monthly trend: value line, 95 % band, and months with low n marked (hollow diamond + note).

    `frame` has month (YYYY-MM), value, low, high, n.
    """
    data = frame.assign(reliability=[f"low n (< {min_n})" if n < min_n else "ok" for n in frame["n"]])
    x = alt.X("month:N", title="Month", sort=list(data["month"]), axis=alt.Axis(labelAngle=-40))
    band = alt.Chart(data).mark_area(opacity=0.18, color=OK_COLOUR).encode(
        x=x, y=alt.Y("low:Q", title=label), y2="high:Q")
    line = alt.Chart(data).mark_line(color=OK_COLOUR, strokeWidth=2).encode(x=x, y="value:Q")
    points = alt.Chart(data).mark_point(size=90, filled=True).encode(
        x=x, y="value:Q",
        shape=alt.Shape("reliability:N", scale=alt.Scale(domain=["ok", f"low n (< {min_n})"],
                                                         range=["circle", "diamond"]),
                        legend=alt.Legend(title="Month", orient="bottom")),
        color=alt.Color("reliability:N", scale=alt.Scale(domain=["ok", f"low n (< {min_n})"],
                                                         range=[OK_COLOUR, NONE_COLOUR]), legend=None),
        tooltip=[alt.Tooltip("month:N"), alt.Tooltip("value:Q", format=".1f", title=label),
                 alt.Tooltip("low:Q", format=".1f", title="95 % low"),
                 alt.Tooltip("high:Q", format=".1f", title="95 % high"), alt.Tooltip("n:Q", title="n"),
                 alt.Tooltip("reliability:N", title="Reliability")],
    )
    return _layered(band, line, points).properties(height=300, width="container")


def breakdown_chart(frame: pd.DataFrame, label: str, group_title: str) -> alt.LayerChart:
    """Return one bar per group with its 95 % interval; significant differences carry ▲/▼ text.

    `frame` has group, value, low, high, n, mark ('▲ higher', '▼ lower', '' or 'low n').
    """
    order = frame.sort_values("value", ascending=False)["group"].tolist()
    y = alt.Y("group:N", sort=order, title=group_title)
    bars = alt.Chart(frame).mark_bar(color=OK_COLOUR, opacity=0.75).encode(
        y=y, x=alt.X("value:Q", title=label),
        tooltip=[alt.Tooltip("group:N", title=group_title), alt.Tooltip("value:Q", format=".1f", title=label),
                 alt.Tooltip("low:Q", format=".1f", title="95 % low"),
                 alt.Tooltip("high:Q", format=".1f", title="95 % high"),
                 alt.Tooltip("n:Q", title="n"), alt.Tooltip("mark:N", title="vs the rest")],
    )
    errors = alt.Chart(frame).mark_rule(color="#34495e").encode(y=y, x="low:Q", x2="high:Q")
    marks = alt.Chart(frame).mark_text(align="left", dx=6, fontWeight="bold").encode(
        y=y, x="high:Q", text="mark:N",
        color=alt.Color("mark:N", scale=alt.Scale(domain=["▲ higher", "▼ lower", "low n", ""],
                                                  range=["#1e8449", WEAK_COLOUR, NONE_COLOUR, NONE_COLOUR]),
                        legend=None),
    )
    return _layered(bars, errors, marks).properties(height=max(180, 46 * len(frame)), width="container")


def channel_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Return a dot plot: per touchpoint (rows) the score of each channel, with 95 % intervals.

    `frame` has touchpoint, channel, score, low, high, n, gap_flag.
    """
    y = alt.Y("touchpoint:N", title=None, sort=list(dict.fromkeys(frame["touchpoint"])))
    rules = alt.Chart(frame).mark_rule(opacity=0.5).encode(
        y=y, x="low:Q", x2="high:Q", color=alt.Color("channel:N", legend=None))
    dots = alt.Chart(frame).mark_point(size=140, filled=True).encode(
        y=y, x=alt.X("score:Q", title="Score (0–10)", scale=alt.Scale(domain=[0, 10])),
        color=alt.Color("channel:N", title="Channel", legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("channel:N", title="Channel"),
        tooltip=[alt.Tooltip("touchpoint:N"), alt.Tooltip("channel:N"),
                 alt.Tooltip("score:Q", format=".1f", title="Score (0–10)"), alt.Tooltip("n:Q", title="n"),
                 alt.Tooltip("low:Q", format=".1f", title="95 % low"),
                 alt.Tooltip("high:Q", format=".1f", title="95 % high")],
    )
    flags = alt.Chart(frame[frame["gap_flag"] != ""].drop_duplicates("touchpoint")).mark_text(
        align="left", x="width", dx=4, color=WEAK_COLOUR, fontWeight="bold").encode(y=y, text="gap_flag:N")
    return _layered(rules, dots, flags).properties(height=max(140, 36 * frame["touchpoint"].nunique()),
                                                    width="container")


def ranking_chart(frame: pd.DataFrame, label: str, pick: alt.Parameter | None = None) -> alt.LayerChart:
    """Return units ranked by value with 95 % intervals; small units are drawn hollow and labelled.

    `frame` has unit, value, low, high, n, status ('ranked' or 'low n').
    """
    order = frame.sort_values("value", ascending=False)["unit"].tolist()
    y = alt.Y("unit:N", sort=order, title="Local unit")
    base = alt.Chart(frame)
    errors = base.mark_rule(color=NONE_COLOUR).encode(y=y, x=alt.X("low:Q", title=label, scale=alt.Scale(zero=False)),
                                                     x2="high:Q")
    points = base.mark_point(size=150).encode(
        y=y, x="value:Q",
        shape=alt.Shape("status:N", scale=alt.Scale(domain=["ranked", "low n"], range=["circle", "diamond"]),
                        legend=alt.Legend(title="Unit", orient="bottom")),
        fill=alt.condition("datum.status == 'ranked'", alt.value(OK_COLOUR), alt.value("white")),
        color=alt.value(OK_COLOUR),
        tooltip=[alt.Tooltip("unit:N", title="Unit"), alt.Tooltip("value:Q", format=".1f", title=label),
                 alt.Tooltip("low:Q", format=".1f", title="95 % low"),
                 alt.Tooltip("high:Q", format=".1f", title="95 % high"),
                 alt.Tooltip("n:Q", title="n"), alt.Tooltip("status:N", title="Status")],
    )
    if pick is not None:
        points = points.add_params(pick)
    notes = base.transform_filter("datum.status != 'ranked'").mark_text(align="left", dx=10, color=NONE_COLOUR).encode(
        y=y, x="high:Q", text=alt.value("too few answers to rank"))
    return _layered(errors, points, notes).properties(height=max(140, 30 * len(frame)), width="container")
