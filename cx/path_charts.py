"""The Paths page's flow chart, drawn from Altair layers: data in, chart out, no Streamlit.

Vega-Lite has no Sankey mark, so the flow is laid out here: one column per step, a rect per
touchpoint at that step (its height = respondents there), and a ribbon (an area between two
curves) per move from step k to step k + 1 whose width is the number of respondents making it.
Nodes and ribbons are coloured by the outcome of the respondents in them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from cx.metrics import MetricResult, outcome_from_parts
from cx.paths import FlowLink, PathsView

__all__ = ["FlowLayout", "flow_chart", "flow_layout"]

NODE_WIDTH = 0.16  # of a step column
LABEL_SHARE = 0.03  # nodes holding fewer respondents than this share carry no label (their tooltip does)
NO_VALUE = "#b3b6b7"
PLAIN = "#2e86c1"
_SAMPLES = 24


@dataclass(frozen=True)
class FlowLayout:
    """Where every node and ribbon of the flow sits: x in step columns, y in respondents (0 = top)."""

    nodes: pd.DataFrame  # step, touchpoint, n, value, outcome_n, x, x2, y, y2, label
    ribbons: pd.DataFrame  # link, step, source, target, n, value, x, y, y2
    steps: int
    height: float


def _summed(links: Sequence[FlowLink], view: PathsView) -> MetricResult | None:
    if view.kind is None or not links:
        return None
    parts: dict[str, float] = {}
    for link in links:
        for key, value in (link.result.parts if link.result is not None else ()):
            parts[key] = parts.get(key, 0.0) + value
    scale = None if view.total is None else view.total.scale
    return outcome_from_parts(view.kind, parts, scale=scale, min_n=view.min_n)


def flow_layout(view: PathsView) -> FlowLayout:
    """Return the flow's nodes and ribbons, touchpoints stacked in the observed order in every column."""
    rank = {s.touchpoint: s.rank for s in view.observed}
    steps = max((link.step for link in view.flow), default=0)
    gap = max(view.ordered, 1) * 0.04
    nodes: dict[tuple[int, str], dict[str, object]] = {}
    height = 0.0
    for step in range(1, steps + 1):
        here = [link for link in view.flow if link.step == step]
        y = 0.0
        for name in sorted({link.source for link in here}, key=lambda t: (rank.get(t, math.inf), t)):
            mine = [link for link in here if link.source == name]
            n = sum(link.n for link in mine)
            result = _summed(mine, view)
            nodes[step, name] = {"step": step, "touchpoint": name, "n": n,
                                 "value": None if result is None else result.value,
                                 "outcome_n": 0 if result is None else result.n,
                                 "x": step - 1.0, "x2": step - 1.0 + NODE_WIDTH, "y": y, "y2": y + n,
                                 "label": f"{name} ({n:,})" if n >= LABEL_SHARE * view.ordered else ""}
            y += n + gap
        height = max(height, y - gap)
    out_used: dict[tuple[int, str], float] = {}
    in_used: dict[tuple[int, str], float] = {}
    moves = [link for link in view.flow if link.target is not None and link.step < steps]
    moves.sort(key=lambda link: (link.step, rank.get(link.source, math.inf), link.source,
                                 rank.get(link.target or "", math.inf), link.target or ""))
    # Ribbons enter a node in the order of their source: sort again for the target side.
    entering = sorted(moves, key=lambda link: (link.step, rank.get(link.target or "", math.inf), link.target or "",
                                               rank.get(link.source, math.inf), link.source))
    enter_at: dict[int, float] = {}
    for link in entering:
        target = (link.step + 1, str(link.target))
        start = float(nodes[target]["y"]) + in_used.get(target, 0.0)  # type: ignore[arg-type]
        in_used[target] = in_used.get(target, 0.0) + link.n
        enter_at[id(link)] = start
    ribbons = []
    for i, link in enumerate(moves):
        source = (link.step, link.source)
        start = float(nodes[source]["y"]) + out_used.get(source, 0.0)  # type: ignore[arg-type]
        out_used[source] = out_used.get(source, 0.0) + link.n
        end = enter_at[id(link)]
        x0, x1 = link.step - 1.0 + NODE_WIDTH, float(link.step)
        value = None if link.result is None else link.result.value
        for k in range(_SAMPLES + 1):
            t = k / _SAMPLES
            s = (1 - math.cos(math.pi * t)) / 2  # smooth from one column to the next
            top = start + (end - start) * s
            ribbons.append({"link": i, "step": link.step, "source": link.source, "target": link.target,
                            "n": link.n, "value": value, "x": x0 + (x1 - x0) * t, "y": top, "y2": top + link.n})
    node_frame = pd.DataFrame(list(nodes.values()),
                              columns=["step", "touchpoint", "n", "value", "outcome_n", "x", "x2", "y", "y2", "label"])
    ribbon_frame = pd.DataFrame(ribbons, columns=["link", "step", "source", "target", "n", "value", "x", "y", "y2"])
    for frame in (node_frame, ribbon_frame):
        frame["value"] = frame["value"].astype("float64")
    return FlowLayout(nodes=node_frame, ribbons=ribbon_frame, steps=steps, height=height)


def _colour(view: PathsView, layout: FlowLayout) -> Any:
    """Return the outcome colour: yellow at the outcome of all ordered respondents, red below, blue above.

    The range spans the nodes with enough respondents (min n), so one person's path does not set it.
    """
    if view.kind is None or view.total is None or view.total.value is None:
        return alt.value(PLAIN)
    title = {"nps": "NPS", "binary": "% positive"}.get(view.kind, "mean")
    middle = view.total.value
    solid = layout.nodes[(layout.nodes["outcome_n"] >= view.min_n) & layout.nodes["value"].notna()]["value"]
    values = solid if not solid.empty else layout.nodes["value"].dropna()
    spread = max([abs(float(v) - middle) for v in values] + [1e-9])
    scale = alt.Scale(scheme="redyellowblue", domain=[middle - spread, middle + spread], domainMid=middle,
                      clamp=True)
    return alt.Color("value:Q", title=f"{view.outcome}: {title} (yellow: all respondents, {middle:,.1f})",
                     scale=scale, legend=alt.Legend(orient="bottom", titleLimit=600, gradientLength=260))


def flow_chart(view: PathsView, *, height: int = 460) -> alt.LayerChart:
    """Return the flow of the first steps: step columns of touchpoint nodes joined by ribbons sized by respondents."""
    layout = flow_layout(view)
    top = -0.08 * max(layout.height, 1.0)
    x_scale = alt.Scale(domain=[-0.05, layout.steps - 1 + 0.75], nice=False)
    x = alt.X("x:Q", axis=None, scale=x_scale)
    y_scale = alt.Scale(domain=[top, layout.height], reverse=True, nice=False, zero=False)
    y = alt.Y("y:Q", axis=None, scale=y_scale)
    colour = _colour(view, layout)
    fill: Any = colour
    if view.kind is not None:
        fill = alt.condition("isValid(datum.value)", colour, alt.value(NO_VALUE))
    value_title = "outcome" if view.outcome is None else view.outcome
    ribbons = alt.Chart(layout.ribbons).mark_area(opacity=0.45, interpolate="linear").encode(
        x=x, y=y, y2="y2:Q", detail="link:N", color=fill,
        tooltip=[alt.Tooltip("step:Q", title="from step"), alt.Tooltip("source:N", title="from"),
                 alt.Tooltip("target:N", title="to"), alt.Tooltip("n:Q", title="respondents", format=","),
                 alt.Tooltip("value:Q", title=value_title, format=".1f")],
    )
    nodes = alt.Chart(layout.nodes).mark_rect(stroke="#34495e", strokeWidth=0.5).encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q", color=fill,
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("touchpoint:N"),
                 alt.Tooltip("n:Q", title="respondents", format=","),
                 alt.Tooltip("value:Q", title=value_title, format=".1f")],
    )
    labelled = layout.nodes.assign(label_x=layout.nodes["x2"] + 0.02,
                                   label_y=(layout.nodes["y"] + layout.nodes["y2"]) / 2)
    labels = alt.Chart(labelled).mark_text(align="left", baseline="middle", fontSize=11, limit=150).encode(
        x=alt.X("label_x:Q", axis=None, scale=x_scale), y=alt.Y("label_y:Q", axis=None, scale=y_scale),
        text="label:N",
    )
    heads = pd.DataFrame({"x": [k + NODE_WIDTH / 2 for k in range(layout.steps)], "y": [top / 2] * layout.steps,
                          "text": [f"Step {k + 1}" for k in range(layout.steps)]})
    header = alt.Chart(heads).mark_text(fontWeight="bold", fontSize=12).encode(
        x=alt.X("x:Q", axis=None, scale=x_scale), y=alt.Y("y:Q", axis=None, scale=y_scale), text="text:N")
    title = (f"The first {layout.steps} steps of {view.ordered:,} respondents' paths"
             + ("" if view.outcome is None else f", coloured by {view.outcome}"))
    chart: alt.LayerChart = alt.LayerChart(layer=[ribbons, nodes, labels, header]).properties(
        width="container", height=height, title=title)
    return chart
