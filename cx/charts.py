"""Altair chart builders: data in, chart out. No Streamlit here."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cx.models import JourneyScores

WEAK_COLOUR = "#c0392b"
OK_COLOUR = "#2e86c1"
NONE_COLOUR = "#7f8c8d"
STAGE_COLOURS = {"attraction": "#f5cba7", "interaction": "#aed6f1", "cultivation": "#abebc6", "—": "#e5e7e9"}


def journey_frame(scores: JourneyScores) -> pd.DataFrame:
    """Return one row per touchpoint with the fields the journey chart and table draw."""
    rows = []
    for t in scores.touchpoints:
        if t.score is None:
            status = "no score"
        elif t.weak:
            status = "weak"
        elif t.low_n:
            status = f"low n (< {scores.min_n})"
        else:
            status = "ok"
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
            "status": status,
            "original": "" if t.mean is None or t.scale is None else f"{t.mean:.2f} on {t.scale.label}",
            "target": t.target,
            "why": t.weak_reason or "",
        })
    return pd.DataFrame(rows)


def journey_chart(scores: JourneyScores, *, width: int | str = "container") -> alt.VConcatChart:
    """Return the journey curve: scores in journey order, the average line, weak points marked.

    Weak points differ by shape and label as well as colour; unscored touchpoints get a
    "no score" mark on the axis instead of a value.
    """
    frame = journey_frame(scores)
    order = frame["label"].tolist()
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=140))
    y_scale = alt.Scale(domain=[0, 10.5])
    scored = frame[frame["score"].notna()]
    tooltip = [
        alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("stage:N", title="Stage"),
        alt.Tooltip("score:Q", title="Score (0–10)", format=".1f"),
        alt.Tooltip("original:N", title="Original scale"), alt.Tooltip("n:Q", title="n"),
        alt.Tooltip("low:Q", title="95 % low", format=".1f"), alt.Tooltip("high:Q", title="95 % high", format=".1f"),
        alt.Tooltip("status:N", title="Status"), alt.Tooltip("why:N", title="Why"),
    ]
    base = alt.Chart(scored).encode(x=x)
    line = base.mark_line(color=NONE_COLOUR, strokeWidth=2).encode(
        y=alt.Y("score:Q", scale=y_scale, title="Score (0–10)"))
    status_scale = alt.Scale(domain=["weak", "ok", f"low n (< {scores.min_n})"],
                             range=[WEAK_COLOUR, OK_COLOUR, NONE_COLOUR])
    shape_scale = alt.Scale(domain=["weak", "ok", f"low n (< {scores.min_n})"],
                            range=["triangle-down", "circle", "diamond"])
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
    weak_labels = alt.Chart(scored[scored["status"] == "weak"]).mark_text(dy=24, fontSize=12).encode(
        x=x, y="score:Q", text=alt.value("▼ weak"), color=alt.value(WEAK_COLOUR))
    bars = base.transform_filter("datum.low != null").mark_rule(color=NONE_COLOUR, strokeWidth=1.5).encode(
        y="low:Q", y2="high:Q")
    layers: list[alt.Chart] = [bars, line, points, labels, weak_labels]
    unscored = frame[frame["score"].isna()].assign(score=0.3)
    if not unscored.empty:
        layers.append(alt.Chart(unscored).mark_text(fontSize=12, fontStyle="italic", color=NONE_COLOUR).encode(
            x=x, y=alt.Y("score:Q", scale=y_scale), text=alt.value("no score"),
            tooltip=[alt.Tooltip("touchpoint:N", title="Touchpoint"), alt.Tooltip("status:N", title="Status")]))
    if scores.aggregate is not None:
        avg = pd.DataFrame({"aggregate": [scores.aggregate], "text": [f"journey average {scores.aggregate:.1f}"]})
        layers.append(alt.Chart(avg).mark_rule(strokeDash=[6, 4], color="#34495e", strokeWidth=2).encode(
            y="aggregate:Q"))
        layers.append(alt.Chart(avg).mark_text(align="left", dx=4, dy=-7, color="#34495e").encode(
            y="aggregate:Q", x=alt.value(0), text="text:N"))
    targets = frame[frame["target"].notna()]
    if not targets.empty:
        layers.append(alt.Chart(targets).mark_tick(color="#27ae60", thickness=2, size=30).encode(
            x=x, y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target")]))
    # The x field must exist in every layer's data for the shared sort; give the curve all labels.
    curve = alt.layer(*layers).properties(width=width, height=340).resolve_scale(color="independent")
    stages = alt.Chart(frame).mark_rect(stroke="white").encode(
        x=alt.X("label:N", sort=order, axis=None),
        color=alt.Color("stage:N", scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values())),
                        legend=None),
        tooltip=[alt.Tooltip("stage:N", title="Stage")],
    ).properties(width=width, height=22)
    stage_text = alt.Chart(frame).mark_text(fontSize=11).encode(
        x=alt.X("label:N", sort=order, axis=None), text="stage:N")
    return alt.vconcat(curve, stages + stage_text, spacing=2).configure_view(stroke=None)
