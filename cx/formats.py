"""How numbers and verdicts read on screen: one place for every display format.

Tables and downloads keep numbers as numbers; these strings are for tiles, captions,
sentences and chart labels.
"""

from __future__ import annotations

from cx.models import Status

__all__ = [
    "METRIC_FORMATS",
    "STATUS_LABELS",
    "metric_value",
    "pair",
    "points",
    "status_label",
]

METRIC_FORMATS: dict[str, str] = {
    "responses": "{:,.0f}", "mean_score": "{:.1f}", "nps": "{:+.0f}", "csat": "{:.0f} %", "ces": "{:.2f}",
    "ces_easy": "{:.0f} %", "churn_rate": "{:.1f} %", "retention_rate": "{:.1f} %", "clv": "{:,.0f}",
}

STATUS_LABELS: dict[Status, str] = {
    Status.WEAK: "▼ weak", Status.OK: "ok", Status.LOW_N: "low n", Status.NO_SCORE: "no score",
}


def metric_value(name: str, value: float | None) -> str:
    """Return a metric value as shown on a tile ('—' when missing)."""
    return "—" if value is None else METRIC_FORMATS.get(name, "{:.2f}").format(value)


def points(value: float) -> str:
    """Return a 0–10 score as shown in sentences and labels (one decimal)."""
    return f"{value:.1f}"


def pair(a: float, b: float) -> str:
    """Return "a vs b" with enough decimals that the two never look equal."""
    digits = 1 if round(a, 1) != round(b, 1) else 2
    return f"{a:.{digits}f} vs {b:.{digits}f}"


def status_label(status: Status, min_n: int | None = None) -> str:
    """Return a touchpoint status in words ("low n (< 30)" when the minimum is given)."""
    if status is Status.LOW_N and min_n is not None:
        return f"low n (< {min_n})"
    return STATUS_LABELS[status]
