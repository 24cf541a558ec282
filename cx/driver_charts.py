"""Altair chart builders and tables for the Drivers page: data in, chart out, no Streamlit.

Every point is labelled, quadrants are named in words and by shape as well as colour, and
every chart's title carries its n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import altair as alt
import pandas as pd

from cx.drivers import (
    FIX_FIRST,
    KEEP_UP,
    LOW_PRIORITY,
    NEGATIVE_DRIVER,
    POSSIBLE_OVERKILL,
    SUPPRESSOR,
    DriverAnalysis,
    ipa_quadrant,
)

__all__ = [
    "CAUTION_COLOURS",
    "CAUTION_SHAPES",
    "DRIVER_COLUMNS",
    "GROUP_COLOURS",
    "QUADRANT_COLOURS",
    "QUADRANT_SHAPES",
    "comparison_chart",
    "comparison_frame",
    "driver_frame",
    "ipa_chart",
    "label_layout",
    "moment_chart",
]


QUADRANT_COLOURS: dict[str, str] = {
    FIX_FIRST: "#c0392b", KEEP_UP: "#1e8449", LOW_PRIORITY: "#7f8c8d", POSSIBLE_OVERKILL: "#2e86c1",
}
QUADRANT_SHAPES: dict[str, str] = {
    FIX_FIRST: "triangle-down", KEEP_UP: "circle", LOW_PRIORITY: "square", POSSIBLE_OVERKILL: "diamond",
}
# Touchpoints never ranked into fix first get their own name, colour and shape instead of a quadrant.
CAUTION_COLOURS: dict[str, str] = {NEGATIVE_DRIVER: "#6c3483", SUPPRESSOR: "#a04000"}
CAUTION_SHAPES: dict[str, str] = {NEGATIVE_DRIVER: "cross", SUPPRESSOR: "triangle-up"}
GROUP_COLOURS = ("#2e86c1", "#e67e22")
DRIVER_COLUMNS = ["touchpoint", "importance", "low", "high", "correlation", "beta", "direction", "performance", "n",
                  "quadrant", "fix_first_rank", "raw_weight"]


def driver_frame(
    analysis: DriverAnalysis,
    importance_cut: float,
    performance_cut: float,
    intervals: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Return one row per analysed touchpoint (most important first) with what the table, chart and CSV show.

    Importance and its interval are in % of explained variance; `importance_cut` is a share (0-1)
    and `performance_cut` the target. `direction` is the sign of beta; `quadrant` names a
    negative driver or a suppressor as such instead of a quadrant; `fix_first_rank` is the
    place in the fix-first list (`DriverAnalysis.fix_first`, the same targets), empty for those two.
    """
    ranks = {item.touchpoint: rank for rank, item in
             enumerate(analysis.fix_first(performance_cut, importance_cut), start=1)}
    rows = []
    for t in analysis.touchpoints:
        low, high = (intervals or {}).get(t.touchpoint, (math.nan, math.nan))
        rows.append({
            "touchpoint": t.touchpoint,
            "importance": 100 * t.importance,
            "low": 100 * low,
            "high": 100 * high,
            "correlation": t.correlation,
            "beta": t.beta,
            "direction": t.direction,
            "performance": t.performance,
            "n": t.n,
            "quadrant": t.caution or ipa_quadrant(t.importance, t.performance, importance_cut, performance_cut),
            "fix_first_rank": ranks.get(t.touchpoint),
            "raw_weight": t.raw_weight,
        })
    frame = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    frame["fix_first_rank"] = frame["fix_first_rank"].astype("Int64")
    return frame


# Label layout works in approximate pixels of the plot area (the chart stretches to the page).
_PLOT_WIDTH = 860.0
_PLOT_HEIGHT = 420.0
_CHAR_WIDTH = 7.0
_LINE = 15.0


def _x_domain(frame: pd.DataFrame, performance_cut: float) -> tuple[float, float]:
    """Return the performance axis range: the data and the cut with a point of margin, inside 0-10."""
    values = [*frame["performance"].tolist(), performance_cut]
    return max(0.0, math.floor(min(values)) - 1.0), min(10.0, math.ceil(max(values)) + 1.0)


def label_layout(
    frame: pd.DataFrame, x_domain: tuple[float, float], y_domain: tuple[float, float]
) -> pd.DataFrame:
    """Return where to write each touchpoint's name so that labels do not overlap.

    Most important touchpoints are placed first, right of their point if there is room, else
    left, moving up or down in line steps until the label touches no other label or point.
    Columns: touchpoint, label_x, label_y (data units), side (left/right), moved (needs a leader line).
    """
    (x0, x1), (y0, y1) = x_domain, y_domain

    def px(x: float) -> float:
        return (x - x0) / (x1 - x0) * _PLOT_WIDTH

    def py(y: float) -> float:
        return (y1 - y) / (y1 - y0) * _PLOT_HEIGHT

    points = [(px(float(perf)), py(float(imp)))
              for perf, imp in zip(frame["performance"], frame["importance"], strict=True)]
    taken: list[tuple[float, float, float, float]] = [(x - 8, x + 8, y - 8, y + 8) for x, y in points]
    taken += [(0, 120, 0, 2 * _LINE), (_PLOT_WIDTH - 150, _PLOT_WIDTH, 0, 2 * _LINE),  # quadrant names
              (0, 120, _PLOT_HEIGHT - 2 * _LINE, _PLOT_HEIGHT),
              (_PLOT_WIDTH - 150, _PLOT_WIDTH, _PLOT_HEIGHT - 2 * _LINE, _PLOT_HEIGHT)]
    order = sorted(range(len(frame)), key=lambda i: -float(frame["importance"].iloc[i]))
    placed: dict[int, tuple[float, float, str, bool]] = {}
    for i in order:
        x, y = points[i]
        width = _CHAR_WIDTH * len(str(frame["touchpoint"].iloc[i])) + 4
        steps = [0] + [s for k in range(1, 15) for s in (-k, k)]
        choice = (x + 10, y, "left", False)  # text align "left": written to the right of the point
        for step in steps:
            cy = y + step * _LINE
            if not _LINE / 2 <= cy <= _PLOT_HEIGHT - _LINE / 2:
                continue
            found = None
            for side, left in (("left", x + 10), ("right", x - 10 - width)):
                box = (left, left + width, cy - _LINE / 2, cy + _LINE / 2)
                if box[0] < 0 or box[1] > _PLOT_WIDTH:
                    continue
                own = (x - 8, x + 8, y - 8, y + 8)
                if not any(_overlap(box, other) for other in taken if other != own):
                    found = (x + 10 if side == "left" else x - 10, cy, side, step != 0)
                    taken.append(box)
                    break
            if found is not None:
                choice = found
                break
        placed[i] = choice
    rows = []
    for i, r in enumerate(frame.itertuples()):
        lx, ly, side, moved = placed[i]
        rows.append({"touchpoint": r.touchpoint, "label_x": x0 + lx / _PLOT_WIDTH * (x1 - x0),
                     "label_y": y1 - ly / _PLOT_HEIGHT * (y1 - y0), "side": side, "moved": moved,
                     "performance": r.performance, "importance": r.importance})
    return pd.DataFrame(rows, columns=["touchpoint", "label_x", "label_y", "side", "moved", "performance",
                                       "importance"])


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def ipa_chart(frame: pd.DataFrame, importance_cut: float, performance_cut: float, respondents: int) -> alt.LayerChart:
    """Return the importance-performance chart: x performance (0-10), y importance (%), quadrants named.

    `frame` comes from `driver_frame`; `importance_cut` is in % (like the y axis). Every point
    carries its name (moved clear of the others with a leader line where points crowd).
    """
    top = max(float(frame["importance"].max()) if not frame.empty else 0.0, importance_cut) * 1.18 + 1.0
    x_lo, x_hi = _x_domain(frame, performance_cut)
    x_scale = alt.Scale(domain=[x_lo, x_hi], nice=False)
    y_scale = alt.Scale(domain=[0, top], nice=False)
    present = set(frame["quadrant"])
    cautions = [c for c in CAUTION_COLOURS if c in present]
    quadrants = [*QUADRANT_COLOURS, *cautions]
    colours = [*QUADRANT_COLOURS.values(), *(CAUTION_COLOURS[c] for c in cautions)]
    shapes = [*QUADRANT_SHAPES.values(), *(CAUTION_SHAPES[c] for c in cautions)]
    colour = alt.Color("quadrant:N", scale=alt.Scale(domain=quadrants, range=colours),
                       legend=alt.Legend(title="Quadrant", orient="bottom"))
    shape = alt.Shape("quadrant:N", scale=alt.Scale(domain=quadrants, range=shapes), legend=None)
    tooltip = [
        alt.Tooltip("touchpoint:N", title="Touchpoint"),
        alt.Tooltip("importance:Q", title="Importance (% of explained variance)", format=".1f"),
        alt.Tooltip("low:Q", title="95 % low", format=".1f"),
        alt.Tooltip("high:Q", title="95 % high", format=".1f"),
        alt.Tooltip("performance:Q", title="Performance (0–10)", format=".1f"),
        alt.Tooltip("correlation:Q", title="Correlation with outcome", format=".2f"),
        alt.Tooltip("beta:Q", title="β (standardised weight)", format=".2f"),
        alt.Tooltip("direction:N", title="Direction"),
        alt.Tooltip("n:Q", title="n", format=","),
        alt.Tooltip("quadrant:N", title="Quadrant"),
        alt.Tooltip("fix_first_rank:Q", title="Fix-first rank"),
    ]
    x = alt.X("performance:Q", scale=x_scale, title="Performance: mean score (0–10)")
    y = alt.Y("importance:Q", scale=y_scale, title="Importance: % of explained variance")
    points = alt.Chart(frame).mark_point(size=220, filled=True, opacity=0.95).encode(
        x=x, y=y, color=colour, shape=shape, tooltip=tooltip)
    layout = label_layout(frame, (x_lo, x_hi), (0.0, top))
    label_x = alt.X("label_x:Q", scale=x_scale)
    label_y = alt.Y("label_y:Q", scale=y_scale)
    leaders = alt.Chart(layout[layout["moved"]]).mark_rule(color="#95a5a6", strokeWidth=1).encode(
        x=alt.X("performance:Q", scale=x_scale), y=alt.Y("importance:Q", scale=y_scale), x2="label_x:Q",
        y2="label_y:Q")
    label_layers = [
        alt.Chart(layout[layout["side"] == side]).mark_text(align=side, baseline="middle", fontSize=12).encode(
            x=label_x, y=label_y, text="touchpoint:N")
        for side in ("left", "right")
    ]
    cuts = pd.DataFrame({"importance_cut": [importance_cut], "performance_cut": [performance_cut]})
    vline = alt.Chart(cuts).mark_rule(strokeDash=[6, 4], color="#34495e").encode(
        x=alt.X("performance_cut:Q", scale=x_scale))
    hline = alt.Chart(cuts).mark_rule(strokeDash=[6, 4], color="#34495e").encode(
        y=alt.Y("importance_cut:Q", scale=y_scale))
    pad = (x_hi - x_lo) * 0.015
    corners = pd.DataFrame([
        {"quadrant": FIX_FIRST, "x": x_lo + pad, "y": top * 0.97, "align": "left"},
        {"quadrant": KEEP_UP, "x": x_hi - pad, "y": top * 0.97, "align": "right"},
        {"quadrant": LOW_PRIORITY, "x": x_lo + pad, "y": top * 0.03, "align": "left"},
        {"quadrant": POSSIBLE_OVERKILL, "x": x_hi - pad, "y": top * 0.03, "align": "right"},
    ])
    corner_layers = [
        alt.Chart(corners[corners["align"] == side]).mark_text(
            align=side, baseline="middle", fontSize=13, fontWeight="bold", fontStyle="italic", opacity=0.8
        ).encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="quadrant:N",
            color=colour,
        )
        for side in ("left", "right")
    ]
    title = alt.Title(
        f"Importance vs performance · {len(frame)} touchpoints · n = {respondents:,} respondents",
        subtitle=f"Lines at importance {importance_cut:.1f} % and performance {performance_cut:.1f}",
    )
    chart = alt.layer(vline, hline, *corner_layers, leaders, points, *label_layers).properties(
        height=_PLOT_HEIGHT, title=title)
    return cast(alt.LayerChart, chart)


def comparison_frame(a: DriverAnalysis, b: DriverAnalysis, label_a: str, label_b: str) -> pd.DataFrame:
    """Return one row per touchpoint with importance (%), performance and n in two segments, A first.

    Touchpoints analysed in only one segment show NaN on the other side (left out there).
    """
    names = [t.touchpoint for t in a.touchpoints] + [t.touchpoint for t in b.touchpoints
                                                      if t.touchpoint not in a.shares()]
    by_a = {t.touchpoint: t for t in a.touchpoints}
    by_b = {t.touchpoint: t for t in b.touchpoints}
    rows = []
    for name in names:
        ta, tb = by_a.get(name), by_b.get(name)
        rows.append({
            "touchpoint": name,
            f"importance % · {label_a}": round(100 * ta.importance, 1) if ta else math.nan,
            f"importance % · {label_b}": round(100 * tb.importance, 1) if tb else math.nan,
            f"performance · {label_a}": round(ta.performance, 1) if ta else math.nan,
            f"performance · {label_b}": round(tb.performance, 1) if tb else math.nan,
            f"n · {label_a}": ta.n if ta else 0,
            f"n · {label_b}": tb.n if tb else 0,
        })
    return pd.DataFrame(rows)


def comparison_chart(a: DriverAnalysis, b: DriverAnalysis, label_a: str, label_b: str) -> alt.LayerChart:
    """Return side-by-side importance bars of two segments per touchpoint, each bar labelled with its value."""
    order = [t.touchpoint for t in a.touchpoints] + [t.touchpoint for t in b.touchpoints
                                                      if t.touchpoint not in a.shares()]
    long = pd.DataFrame(
        [{"touchpoint": t.touchpoint, "segment": label, "importance": 100 * t.importance, "n": t.n,
          "performance": t.performance}
         for label, result in ((label_a, a), (label_b, b)) for t in result.touchpoints]
    )
    colour = alt.Color("segment:N", scale=alt.Scale(domain=[label_a, label_b], range=list(GROUP_COLOURS)),
                       legend=alt.Legend(title="Segment", orient="bottom"))
    base = alt.Chart(long).encode(
        y=alt.Y("touchpoint:N", sort=order, title=None),
        yOffset=alt.YOffset("segment:N", sort=[label_a, label_b]),
        x=alt.X("importance:Q", title="Importance: % of explained variance"),
    )
    tooltip = [alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("segment:N", title="Segment"),
               alt.Tooltip("importance:Q", title="Importance (%)", format=".1f"),
               alt.Tooltip("performance:Q", title="Performance (0–10)", format=".1f"),
               alt.Tooltip("n:Q", title="n", format=",")]
    bars = base.mark_bar().encode(color=colour, tooltip=tooltip)
    text = base.mark_text(align="left", dx=3, fontSize=11).encode(
        text=alt.Text("label:N")).transform_calculate(
        label=f"datum.segment == {_js(label_a)} ? 'A ' + format(datum.importance, '.0f') + ' %' "
              f": 'B ' + format(datum.importance, '.0f') + ' %'")
    title = alt.Title(f"Drivers side by side · A = {label_a} (n = {a.respondents:,}) · "
                      f"B = {label_b} (n = {b.respondents:,})")
    return cast(alt.LayerChart, (bars + text).properties(title=title, height=alt.Step(14)))


def _js(text: str) -> str:
    """Return a JavaScript string literal for a Vega expression."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def moment_chart(
    labels: tuple[str, str], values: tuple[float, float], ns: tuple[int, int], measure: str
) -> alt.LayerChart:
    """Return two labelled bars: the outcome of the two compared groups, each with its n."""
    frame = pd.DataFrame({
        "group": list(labels), "value": list(values), "n": list(ns),
        "text": [f"{v:+.0f}" if measure == "NPS" else (f"{v:.0f} %" if measure == "% yes" else f"{v:.2f}")
                 for v in values],
    })
    frame["text"] = frame["text"] + "  (n = " + frame["n"].map("{:,}".format) + ")"
    base = alt.Chart(frame).encode(
        y=alt.Y("group:N", sort=list(labels), title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("value:Q", title=measure),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("group:N", scale=alt.Scale(domain=list(labels), range=list(GROUP_COLOURS)), legend=None),
        tooltip=[alt.Tooltip("group:N", title="Customers who"), alt.Tooltip("value:Q", title=measure, format=".2f"),
                 alt.Tooltip("n:Q", title="n", format=",")],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(text="text:N")
    chart = (bars + text).properties(height=alt.Step(44), title=f"{measure} by group · n = {sum(ns):,}")
    return cast(alt.LayerChart, chart)
