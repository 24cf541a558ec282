"""Closing the loop: actions taken per touchpoint, and whether the score moved afterwards.

Validation and reading of the `actions` table (schema migration 2); its writes are store
functions (store.add_action, update_action, delete_action). The before/after analysis reads
scores through cx.metrics, so its numbers agree with every other page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import pandas as pd

from cx import store
from cx.engines import Engine
from cx.errors import InvalidInput, NotFound
from cx.metrics import DEFAULT_MIN_N, Filter, compute, touchpoint_stats
from cx.stats import difference

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "EDITABLE",
    "EXAMPLE_ACTION",
    "STATUSES",
    "TEST_NAME",
    "Action",
    "BeforeAfter",
    "WindowScore",
    "actions_frame",
    "add_action",
    "before_after",
    "delete_action",
    "get_action",
    "list_actions",
    "monthly_trend",
    "seed_example_action",
    "update_action",
    "window_filters",
    "window_score",
]


PLANNED, IN_PROGRESS, DONE = "planned", "in progress", "done"
STATUSES: tuple[str, ...] = (PLANNED, IN_PROGRESS, DONE)
DEFAULT_WINDOW_DAYS = 90
TEST_NAME = "Welch z-test on the difference of means (unequal variances, normal approximation), two-sided, α = 0.05"

# The example action seeded with the sample data: the stock-alert system that lifts
# "Stock availability" from 2026-06-01 (see cx/sample.py).
EXAMPLE_ACTION: dict[str, Any] = {
    "touchpoint": "Stock availability",
    "title": "Stock alerts by SMS when a device is back in store",
    "owner": "Supply chain",
    "action_date": date(2026, 6, 1),
    "status": DONE,
    "note": "Customers who find a device out of stock can sign up for a text when their store has it again.",
}

_COLUMNS = "action_id, dataset, touchpoint, unit, title, owner, action_date, status, note, created_at"
EDITABLE: tuple[str, ...] = store.ACTION_FIELDS


@dataclass(frozen=True)
class Action:
    """One thing done (or planned) about a touchpoint, optionally at one local unit."""

    action_id: int
    dataset: str | None
    touchpoint: str
    unit: str | None
    title: str
    owner: str | None
    action_date: date
    status: str
    note: str | None
    created_at: datetime

    def label(self, limit: int = 48) -> str:
        """Return a short label for charts and pickers: date and title (cut to `limit` characters)."""
        title = self.title if len(self.title) <= limit else self.title[: limit - 1] + "…"
        return f"{self.action_date.isoformat()} · {title}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id, "dataset": self.dataset, "touchpoint": self.touchpoint,
            "unit": self.unit, "title": self.title, "owner": self.owner,
            "action_date": self.action_date.isoformat(), "status": self.status, "note": self.note,
            "created_at": self.created_at.isoformat(timespec="seconds"),
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"Action date {value!r} is not a date: use YYYY-MM-DD, e.g. 2026-06-01.")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Return validated, normalised values for the editable fields present in `fields`."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Actions have no field(s) {', '.join(sorted(unknown))}: use {', '.join(EDITABLE)}.")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "action_date":
            out[key] = _as_date(value)
        elif key == "status":
            status = (_text(value) or "").lower()
            if status not in STATUSES:
                raise InvalidInput(f"Status {value!r} is not one of {', '.join(STATUSES)}: pick one of those.")
            out[key] = status
        else:
            out[key] = _text(value)
    for key, what in (("touchpoint", "a touchpoint"), ("title", "a title (what was done)")):
        if key in out and not out[key]:
            raise InvalidInput(f"An action needs {what}: fill it in.")
    return out


def _action(row: Sequence[Any]) -> Action:
    when = row[6]
    return Action(
        action_id=int(row[0]), dataset=row[1], touchpoint=row[2], unit=row[3], title=row[4], owner=row[5],
        action_date=when.date() if isinstance(when, datetime) else when, status=row[7], note=row[8],
        created_at=row[9],
    )


# ---------------------------------------------------------------- CRUD


def add_action(
    con: duckdb.DuckDBPyConnection,
    *,
    touchpoint: str,
    title: str,
    action_date: date | str,
    dataset: str | None = None,
    unit: str | None = None,
    owner: str | None = None,
    status: str = PLANNED,
    note: str | None = None,
) -> int:
    """Store a new action; return its id."""
    values = _clean({"dataset": dataset, "touchpoint": touchpoint, "unit": unit, "title": title, "owner": owner,
                     "action_date": action_date, "status": status, "note": note})
    return store.add_action(con, values)


def get_action(con: duckdb.DuckDBPyConnection, action_id: int) -> Action:
    """Return one action, or raise NotFound."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM actions WHERE action_id = ?", [int(action_id)]).fetchall()
    if not rows:
        raise NotFound(f"No action with id {action_id}: it may have been deleted. Reload the page.")
    return _action(rows[0])


def update_action(con: duckdb.DuckDBPyConnection, action_id: int, **changes: Any) -> Action:
    """Change some fields of an action (any of EDITABLE); return the updated action."""
    values = _clean(changes)
    if not values:
        return get_action(con, action_id)
    if not store.update_action(con, action_id, values):
        raise NotFound(f"No action with id {action_id}: it may have been deleted. Reload the page.")
    return get_action(con, action_id)


def delete_action(con: duckdb.DuckDBPyConnection, action_id: int) -> None:
    """Delete an action, or raise NotFound."""
    if not store.delete_action(con, action_id):
        raise NotFound(f"No action with id {action_id}: it may have been deleted already.")


def list_actions(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset: str | None = None,
    touchpoint: str | None = None,
    unit: str | None = None,
) -> list[Action]:
    """Return actions by date (then id). With `dataset`, also those not tied to any data set."""
    clauses, params = [], []
    if dataset is not None:
        clauses.append("(dataset = ? OR dataset IS NULL)")
        params.append(dataset)
    if touchpoint is not None:
        clauses.append("touchpoint = ?")
        params.append(touchpoint)
    if unit is not None:
        clauses.append("unit = ?")
        params.append(unit)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = con.execute(f"SELECT {_COLUMNS} FROM actions{where} ORDER BY action_date, action_id", params).fetchall()
    return [_action(r) for r in rows]


def actions_frame(actions: Sequence[Action]) -> pd.DataFrame:
    """Return actions as a table (for display and CSV export), one row per action."""
    columns = ["action_id", "touchpoint", "unit", "title", "owner", "action_date", "status", "note", "dataset",
               "created_at"]
    return pd.DataFrame([{c: getattr(a, c) for c in columns} for a in actions], columns=columns)


def seed_example_action(con: duckdb.DuckDBPyConnection, dataset: str) -> int:
    """Log the sample data's stock-alert action (first run only: called from seed.seed)."""
    return add_action(con, dataset=dataset, **EXAMPLE_ACTION)


# ---------------------------------------------------------------- before / after


@dataclass(frozen=True)
class WindowScore:
    """A touchpoint's 0–10 score over a date window [start, end)."""

    start: date
    end: date  # first day after the window
    n: int
    score: float | None
    low: float | None
    high: float | None
    se: float | None  # standard error of the score
    mean: float | None  # on the original scale
    low_n: bool

    def describe(self) -> str:
        """Return e.g. "3.4 (95 % 3.3–3.6, n = 1,234)" or "no answers"."""
        if self.score is None or self.n == 0:
            return "no answers"
        interval = "" if self.low is None or self.high is None else f"95 % {self.low:.1f}–{self.high:.1f}, "
        return f"{self.score:.1f} ({interval}n = {self.n:,}{', few answers' if self.low_n else ''})"


@dataclass(frozen=True)
class BeforeAfter:
    """A touchpoint's score in a window before an action and a window after it, and the test of the change."""

    action: Action
    touchpoint: str
    unit: str | None
    window_days: int
    before: WindowScore
    after: WindowScore
    diff: float | None  # after − before, points of 10
    diff_low: float | None
    diff_high: float | None
    p: float | None
    significant: bool | None
    reason: str | None  # why there is no test, when there is none
    test: str = TEST_NAME

    @property
    def verdict(self) -> str:
        """Return "significant rise", "significant fall", "no significant change" or "not testable"."""
        if self.significant is None or self.diff is None:
            return "not testable"
        if not self.significant:
            return "no significant change"
        return "significant rise" if self.diff > 0 else "significant fall"

    def sentence(self) -> str:
        """Return the change in plain words, with both windows, the interval and the test."""
        where = f" at {self.unit}" if self.unit else ""
        head = (f"{self.touchpoint}{where}, {self.window_days} days before vs after "
                f"{self.action.action_date.isoformat()}: ")
        if self.diff is None or self.significant is None:
            return head + f"{self.before.describe()} before, {self.after.describe()} after — {self.reason}."
        p = "p < 0.001" if self.p is not None and self.p < 0.001 else f"p = {self.p:.3f}"
        return (f"{head}{self.before.describe()} → {self.after.describe()}: {self.diff:+.1f} points of 10 "
                f"(95 % {self.diff_low:+.1f} to {self.diff_high:+.1f}), {self.verdict} "
                f"(Welch z-test, {p}).")

    def as_dict(self) -> dict[str, Any]:
        def window(w: WindowScore) -> dict[str, Any]:
            return {"from": w.start.isoformat(), "until": w.end.isoformat(), "n": w.n, "score": w.score,
                    "low": w.low, "high": w.high, "mean": w.mean, "low_n": w.low_n}

        return {
            "action_id": self.action.action_id, "touchpoint": self.touchpoint, "unit": self.unit,
            "action_date": self.action.action_date.isoformat(), "window_days": self.window_days,
            "before": window(self.before), "after": window(self.after), "diff": self.diff,
            "diff_low": self.diff_low, "diff_high": self.diff_high, "p": self.p,
            "significant": self.significant, "verdict": self.verdict, "test": self.test,
        }


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def window_filters(start: date, end: date) -> list[Filter]:
    """Return filters for answers on days start … end − 1 (the end day excluded).

    Filter has no strict "<": the last instant before `end` (1 µs, DuckDB's timestamp
    resolution) stands in for it.
    """
    return [Filter("answered_at", ">=", _start_of(start)),
            Filter("answered_at", "<=", _start_of(end) - timedelta(microseconds=1))]


def window_score(
    engine: Engine,
    dataset: str,
    touchpoint: str,
    start: date,
    end: date,
    *,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
) -> WindowScore:
    """Return a touchpoint's 0–10 score over [start, end), via cx.metrics.touchpoint_stats."""
    chosen = [*filters, Filter("touchpoint", "in", (touchpoint,)), *window_filters(start, end)]
    frame = touchpoint_stats(engine, dataset, chosen)
    rows = frame[frame["touchpoint"] == touchpoint]
    if rows.empty or int(rows.iloc[0]["n"]) == 0:
        return WindowScore(start, end, 0, None, None, None, None, None, True)
    row = rows.iloc[0]
    return WindowScore(
        start=start, end=end, n=int(row["n"]), score=float(row["score"]), low=_opt(row["low"]),
        high=_opt(row["high"]), se=_opt(row["se"]), mean=_opt(row["mean"]), low_n=int(row["n"]) < min_n,
    )


def _opt(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def before_after(
    engine: Engine,
    action: Action,
    *,
    dataset: str | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
) -> BeforeAfter:
    """Return the touchpoint's score `window_days` before and after an action, and whether it changed.

    Before: the days [date − window, date); after: [date, date + window). An action at one
    local unit compares that unit only. Date filters in `filters` are dropped (the windows set
    the dates); other filters (channel, segment, …) apply to both windows.
    """
    if window_days < 1:
        raise InvalidInput(f"The before/after window must be at least 1 day, not {window_days}.")
    dataset = dataset or action.dataset
    if dataset is None:
        raise InvalidInput(f"Action {action.action_id} is tied to no data set: say which data set to read.")
    kept = [f for f in filters if f.column != "answered_at"]
    if action.unit:
        kept = [f for f in kept if f.column != "unit"] + [Filter("unit", "in", (action.unit,))]
    day, span = action.action_date, timedelta(days=window_days)
    before = window_score(engine, dataset, action.touchpoint, day - span, day, filters=kept, min_n=min_n)
    after = window_score(engine, dataset, action.touchpoint, day, day + span, filters=kept, min_n=min_n)
    base = BeforeAfter(action=action, touchpoint=action.touchpoint, unit=action.unit, window_days=window_days,
                       before=before, after=after, diff=None, diff_low=None, diff_high=None, p=None,
                       significant=None, reason=None)
    if before.n < 2 or after.n < 2 or before.se is None or after.se is None:
        missing = "before" if before.n < 2 else "after"
        return replace(base, reason=f"too few answers {missing} the action to test (at least 2 per window)")
    assert before.score is not None and after.score is not None
    test = difference(after.score, after.se, before.score, before.se)
    return replace(base, diff=test.diff, diff_low=test.low, diff_high=test.high, p=test.p,
                   significant=test.significant)


def monthly_trend(
    engine: Engine,
    dataset: str,
    touchpoint: str,
    *,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Return the touchpoint's 0–10 score per month: month (first day), score, low, high, n, low_n."""
    chosen = [*filters, Filter("touchpoint", "in", (touchpoint,))]
    rows = [
        {"month": pd.Timestamp(r.group), "score": r.value, "low": r.low, "high": r.high, "n": r.n,
         "low_n": r.low_n}
        for r in compute(engine, ["mean_score"], dataset=dataset, by="month", filters=chosen, min_n=min_n)
        if r.group is not None and r.value is not None
    ]
    frame = pd.DataFrame(rows, columns=["month", "score", "low", "high", "n", "low_n"])
    return frame.sort_values("month").reset_index(drop=True)
