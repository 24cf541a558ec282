"""Alerts: rules on a touchpoint's (or an outcome's) answers, fired when answers arrive.

Tables `alert_rules` and `alerts` (schema migration 4). `on_answers` is the one entry point the
places where answers arrive call: a survey-link send, an import (`cx.ingest.loading.load`) and a
workshop close (`cx.workshop.close_workshop`).

A rule compares answers on the touchpoint's own scale (or the outcome's):
- `at_most` X: an answer at or below X fires. One arrival (a send, a whole import) fires at most
  one alert per rule: value = the lowest arriving answer, n = how many arriving answers were at or
  below X. A 10,000-row import with 900 detractors is one alert, not 900.
- `below` X over N: the mean of the last N answers below X fires, once: the rule is then `firing`
  and fires again only after the mean has recovered to X or above (re-armed). It needs N answers.
  "Last" orders answers by answered_at (undated ones first, as the oldest), then by the order they
  were stored in (DuckDB's rowid). An outcome's answer is dated by its respondent's latest answer.

Webhooks are posted off the caller's thread (a background thread with its own DuckDB cursor), so a
slow or failing receiver never blocks or breaks the answer that was stored; the alert row records
'pending', then 'sent' or 'failed', the attempts and the last error.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import duckdb
import pandas as pd

from cx import names, store
from cx.errors import CxError, InvalidInput, NotFound

__all__ = [
    "ALERTS_PAGE",
    "AT_MOST",
    "BASE_URL_SETTING",
    "BELOW",
    "CLI_FIELDS",
    "DEFAULT_BASE_URL",
    "DEFAULT_WINDOW",
    "FAILED",
    "KINDS",
    "PAGE_FIELDS",
    "PENDING",
    "SENT",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_TIMEOUT",
    "Alert",
    "Rule",
    "add_rule",
    "alert_link",
    "alerts_frame",
    "base_url",
    "delete_rule",
    "default_threshold",
    "deliver",
    "failed_webhooks_message",
    "fired_alerts",
    "get_alert",
    "get_rule",
    "make_action",
    "on_answers",
    "retry_webhooks",
    "rule_targets",
    "rules",
    "rules_frame",
    "set_base_url",
    "target_scale",
    "wait_for_deliveries",
    "webhook_payload",
]

log = logging.getLogger(__name__)

AT_MOST = "at_most"
BELOW = "below"
KINDS: tuple[str, ...] = (AT_MOST, BELOW)
DEFAULT_WINDOW = 10
MAX_WINDOW = 100_000
SENT, FAILED, PENDING = "sent", "failed", "pending"
ALERTS_PAGE = "Alerts"  # URL path of pages/14_Alerts.py
BASE_URL_SETTING = "alerts_base_url"
DEFAULT_BASE_URL = "http://localhost:8501"
DEFAULT_SCALE = (0.0, 10.0)  # a live data set's touchpoint that has no answer and no link yet
WEBHOOK_TIMEOUT = 5.0  # seconds per attempt
WEBHOOK_ATTEMPTS = 3
WEBHOOK_BACKOFF = 1.0  # seconds before the second attempt, doubled before each later one
MAX_URL = 2000

# How an error names a field: the command line's flags, or the Alerts page's labels.
CLI_FIELDS: dict[str, str] = {
    "dataset": "--dataset", "touchpoint": "--touchpoint", "outcome": "--outcome", "target": "--touchpoint/--outcome",
    "kind": "--below/--at-most", AT_MOST: "--at-most", BELOW: "--below", "window": "--window",
    "webhook": "--webhook", "base_url": "--base-url",
}
PAGE_FIELDS: dict[str, str] = {
    "dataset": "Data set", "touchpoint": "Touchpoint", "outcome": "Outcome", "target": "Touchpoint or outcome",
    "kind": "Kind", AT_MOST: "X", BELOW: "X", "window": "N", "webhook": "Webhook URL", "base_url": "Link base URL",
}

_EVAL_LOCK = threading.Lock()  # one evaluation at a time: the `firing` state is read, then written
_THREADS: list[threading.Thread] = []
_THREADS_LOCK = threading.Lock()


# ---------------------------------------------------------------- rules and alerts as values


@dataclass(frozen=True)
class Rule:
    """One alert rule on a touchpoint or an outcome of a data set."""

    rule_id: int
    dataset: str
    touchpoint: str | None
    outcome: str | None
    kind: str
    threshold: float
    window: int | None  # N of a `below` rule
    webhook: str | None
    firing: bool
    created_at: datetime

    @property
    def target(self) -> str:
        """The touchpoint or outcome the rule watches."""
        return self.touchpoint if self.touchpoint is not None else str(self.outcome)

    def describe(self) -> str:
        """Return the rule in words, e.g. "Checkout: an answer at or below 6"."""
        what = "outcome " if self.outcome is not None else ""
        if self.kind == AT_MOST:
            return f"{what}{self.target}: an answer at or below {self.threshold:g}"
        return f"{what}{self.target}: the mean of the last {self.window} answers below {self.threshold:g}"

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "dataset": self.dataset, "touchpoint": self.touchpoint,
                "outcome": self.outcome, "kind": self.kind, "threshold": self.threshold, "window": self.window,
                "webhook": self.webhook, "firing": self.firing, "created_at": _iso(self.created_at)}


@dataclass(frozen=True)
class Alert:
    """One fired alert, with its webhook delivery and the action made from it (if any)."""

    alert_id: int
    rule_id: int
    dataset: str
    touchpoint: str | None
    outcome: str | None
    kind: str | None  # None when its rule was deleted since
    threshold: float | None
    window: int | None
    value: float | None
    n: int
    fired_at: datetime
    webhook_status: str | None  # None: the rule has no webhook
    webhook_attempts: int
    webhook_error: str | None
    action_id: int | None
    scale: tuple[float, float] | None = None  # the target's scale (None: any number, or not known)

    @property
    def target(self) -> str:
        return self.touchpoint if self.touchpoint is not None else str(self.outcome)

    def message(self) -> str:
        """Return what happened in words, e.g. "Checkout: 3 answers at or below 6 on 0–10 (the lowest 2)"."""
        value = "—" if self.value is None else f"{self.value:.2f}" if self.kind == BELOW else f"{self.value:g}"
        on = "" if self.scale is None else f" on {self.scale[0]:g}–{self.scale[1]:g}"
        if self.kind == AT_MOST and self.threshold is not None:
            many = "1 answer" if self.n == 1 else f"{self.n:,} answers"
            return f"{self.target}: {many} at or below {self.threshold:g}{on} (the lowest {value})"
        if self.kind == BELOW and self.threshold is not None:
            return (f"{self.target}: the mean of the last {self.n:,} answers is {value}{on}, "
                    f"below {self.threshold:g}")
        return f"{self.target}: value {value}{on}, n = {self.n:,} (its rule #{self.rule_id} was deleted)"

    def webhook_text(self) -> str:
        """Return the webhook delivery in words: no webhook, sent, being sent, or failed with its error."""
        if self.webhook_status is None:
            return "no webhook"
        if self.webhook_status == SENT:
            return "sent"
        tries = f"{self.webhook_attempts} attempt{'s' if self.webhook_attempts != 1 else ''}"
        if self.webhook_status == FAILED:
            return f"failed after {tries}: {self.webhook_error or 'no error recorded'}"
        return "being sent" + (f" (after {tries}: {self.webhook_error})" if self.webhook_attempts else "")

    def action_title(self) -> str:
        """Return the title an action made from this alert starts with."""
        return f"Follow up alert #{self.alert_id} — {self.message()}"

    def as_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "rule_id": self.rule_id, "dataset": self.dataset,
                "touchpoint": self.touchpoint, "outcome": self.outcome, "kind": self.kind,
                "threshold": self.threshold, "window": self.window, "value": self.value, "n": self.n,
                "fired_at": _iso(self.fired_at), "webhook_status": self.webhook_status,
                "webhook_attempts": self.webhook_attempts, "webhook_error": self.webhook_error,
                "action_id": self.action_id, "message": self.message()}


def _iso(when: datetime) -> str:
    """Return a stored (UTC, naive) time as ISO 8601 with a Z."""
    return when.isoformat(timespec="seconds") + "Z"


_RULE_COLUMNS = "rule_id, dataset, touchpoint, outcome, kind, threshold, last_n, webhook, firing, created_at"


def _rule(row: Sequence[Any]) -> Rule:
    return Rule(rule_id=int(row[0]), dataset=str(row[1]), touchpoint=row[2], outcome=row[3], kind=str(row[4]),
                threshold=float(row[5]), window=None if row[6] is None else int(row[6]), webhook=row[7],
                firing=bool(row[8]), created_at=row[9])


_ALERT_SQL = """
    SELECT a.alert_id, a.rule_id, a.dataset, a.touchpoint, a.outcome, r.kind, r.threshold, r.last_n, a.value, a.n,
           a.fired_at, a.webhook_status, a.webhook_attempts, a.webhook_error, a.action_id
    FROM alerts a LEFT JOIN alert_rules r ON r.rule_id = a.rule_id
"""


def _alert(row: Sequence[Any]) -> Alert:
    return Alert(alert_id=int(row[0]), rule_id=int(row[1]), dataset=str(row[2]), touchpoint=row[3], outcome=row[4],
                 kind=row[5], threshold=None if row[6] is None else float(row[6]),
                 window=None if row[7] is None else int(row[7]), value=None if row[8] is None else float(row[8]),
                 n=int(row[9]), fired_at=row[10], webhook_status=row[11], webhook_attempts=int(row[12]),
                 webhook_error=row[13], action_id=None if row[14] is None else int(row[14]))


# ---------------------------------------------------------------- reading


def rules(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> list[Rule]:
    """Return the alert rules (of one data set, or all), oldest first."""
    where, params = ("WHERE dataset = ?", [dataset]) if dataset is not None else ("", [])
    return [_rule(r) for r in store.rows(con, f"SELECT {_RULE_COLUMNS} FROM alert_rules {where} ORDER BY rule_id",
                                         params)]


def get_rule(con: duckdb.DuckDBPyConnection, rule_id: int) -> Rule:
    """Return one rule, or raise NotFound."""
    found = store.rows(con, f"SELECT {_RULE_COLUMNS} FROM alert_rules WHERE rule_id = ?", [int(rule_id)])
    if not found:
        raise NotFound(f"No alert rule #{rule_id}: list them with `python -m cx alerts rules` or on the Alerts page.")
    return _rule(found[0])


def fired_alerts(con: duckdb.DuckDBPyConnection, *, dataset: str | None = None, open_only: bool = False,
                 limit: int | None = None) -> list[Alert]:
    """Return fired alerts, newest first; `open_only`: those not yet turned into an action."""
    clauses, params = [], list[Any]()
    if dataset is not None:
        clauses.append("a.dataset = ?")
        params.append(dataset)
    if open_only:
        clauses.append("a.action_id IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    tail = "" if limit is None else " LIMIT ?"
    return _with_scales(con, [_alert(r) for r in store.rows(
        con, f"{_ALERT_SQL} {where} ORDER BY a.fired_at DESC, a.alert_id DESC" + tail,
        [*params, *([] if limit is None else [int(limit)])])])


def get_alert(con: duckdb.DuckDBPyConnection, alert_id: int) -> Alert:
    """Return one fired alert, or raise NotFound."""
    found = store.rows(con, f"{_ALERT_SQL} WHERE a.alert_id = ?", [int(alert_id)])
    if not found:
        raise NotFound(f"No alert #{alert_id}: list them with `python -m cx alerts list` or on the Alerts page.")
    return _with_scales(con, [_alert(found[0])])[0]


def _with_scales(con: duckdb.DuckDBPyConnection, listed: list[Alert]) -> list[Alert]:
    """Return the alerts with their target's scale (one look-up per data set and target)."""
    scales: dict[tuple[str, str | None, str | None], tuple[float, float] | None] = {}
    for alert in listed:
        where = (alert.dataset, alert.touchpoint, alert.outcome)
        if where not in scales:
            try:
                scales[where] = target_scale(con, alert.dataset, touchpoint=alert.touchpoint, outcome=alert.outcome)
            except NotFound:  # the outcome's answers were deleted since
                scales[where] = None
    return [replace(a, scale=scales[(a.dataset, a.touchpoint, a.outcome)]) for a in listed]


def rule_targets(con: duckdb.DuckDBPyConnection, dataset: str) -> tuple[list[str], list[str]]:
    """Return (touchpoints, outcomes) a rule on this data set can watch: answered or linked touchpoints, outcomes."""
    touchpoints = [str(r[0]) for r in store.rows(
        con, """SELECT touchpoint FROM responses WHERE dataset = ? UNION
                SELECT touchpoint FROM survey_links WHERE dataset = ? ORDER BY 1""", [dataset, dataset])]
    outcomes = [str(r[0]) for r in store.rows(
        con, "SELECT DISTINCT outcome FROM outcomes WHERE dataset = ? ORDER BY 1", [dataset])]
    return touchpoints, outcomes


def _is_live(con: duckdb.DuckDBPyConnection, dataset: str) -> bool:
    """Return True for a data set that collects answers through survey links."""
    return bool(store.rows(con, """SELECT 1 FROM datasets WHERE dataset = ? AND kind = 'live'
                                   UNION ALL SELECT 1 FROM survey_links WHERE dataset = ? LIMIT 1""",
                           [dataset, dataset]))


def _touchpoint_scales(con: duckdb.DuckDBPyConnection, dataset: str, touchpoint: str) -> list[tuple[float, float]]:
    return [(float(r[0]), float(r[1])) for r in store.rows(
        con, """SELECT scale_min, scale_max FROM responses WHERE dataset = ? AND touchpoint = ? UNION
                SELECT scale_min, scale_max FROM survey_links WHERE dataset = ? AND touchpoint = ? ORDER BY 1, 2""",
        [dataset, touchpoint, dataset, touchpoint])]


def _outcome_scale(con: duckdb.DuckDBPyConnection, dataset: str, outcome: str) -> tuple[float, float] | None:
    found = store.rows(con, """SELECT kind, min(scale_min), max(scale_max) FROM outcomes WHERE dataset = ?
                               AND outcome = ? GROUP BY kind ORDER BY count(*) DESC LIMIT 1""", [dataset, outcome])
    if not found:
        raise NotFound(f"Data set '{dataset}' has no outcome '{outcome}'.")
    kind, lo, hi = found[0]
    if kind == "binary":
        return (0.0, 1.0)
    if kind == "nps":
        return (0.0, 10.0)
    return None if lo is None or hi is None else (float(lo), float(hi))


def target_scale(con: duckdb.DuckDBPyConnection, dataset: str, *, touchpoint: str | None = None,
                 outcome: str | None = None) -> tuple[float, float] | None:
    """Return the scale a rule's threshold is on: the touchpoint's (or outcome's) own; None: any number."""
    if outcome is not None:
        return _outcome_scale(con, dataset, outcome)
    scales = _touchpoint_scales(con, dataset, str(touchpoint))
    return scales[-1] if scales else DEFAULT_SCALE


def default_threshold(scale: tuple[float, float] | None, kind: str) -> float:
    """Return the X a new rule starts from on a scale: a detractor (6) on 0–10, else the bottom two scores;
    for a `below` rule the scale's middle (5 on 0–10, 3 on 1–5). Any number (None): 0."""
    if scale is None:
        return 0.0
    lo, hi = scale
    if kind == BELOW:
        return (lo + hi) / 2
    return 6.0 if (lo, hi) == (0.0, 10.0) else lo + 1


# ---------------------------------------------------------------- writing rules


def add_rule(
    con: duckdb.DuckDBPyConnection,
    *,
    dataset: str,
    kind: str,
    threshold: float,
    touchpoint: str | None = None,
    outcome: str | None = None,
    window: int | None = None,
    webhook: str | None = None,
    fields: Mapping[str, str] = CLI_FIELDS,
) -> Rule:
    """Validate and store a rule; return it. Errors name the field as `fields` calls it (flags or page labels)."""
    name = names.clean_name(dataset or "")
    if not store.has_dataset(con, name):
        known = ", ".join(repr(d) for d in store.dataset_names(con)) or "none yet"
        raise NotFound(f"{fields['dataset']} '{dataset}': there is no such data set. Known: {known}.")
    touchpoint = names.clean_name(touchpoint) or None if touchpoint is not None else None
    outcome = names.clean_name(outcome) or None if outcome is not None else None
    if (touchpoint is None) == (outcome is None):
        raise InvalidInput(f"{fields['target']}: give the touchpoint or the outcome to watch (one of them).")
    if kind not in KINDS:
        raise InvalidInput(f"{fields['kind']}: a rule is '{AT_MOST}' (one answer at or below X) or '{BELOW}' "
                           f"(the mean of the last N answers below X), not {kind!r}.")
    try:
        x = float(threshold)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise InvalidInput(f"{fields[kind]}: {threshold!r} is not a number: give the threshold X, e.g. 6.")
    if kind == AT_MOST and window is not None:
        raise InvalidInput(f"{fields['window']}: a window of answers applies to '{BELOW}' rules only; leave it out.")
    if kind == BELOW:
        window = DEFAULT_WINDOW if window is None else window
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
            raise InvalidInput(f"{fields['window']}: {window!r} is not a number of answers: give a whole number from "
                               f"1 to {MAX_WINDOW:,} (default {DEFAULT_WINDOW}).")
    scale: tuple[float, float] | None
    if touchpoint is not None:
        scale = _checked_touchpoint(con, name, touchpoint, fields)
        what = f"touchpoint '{touchpoint}'"
    else:
        scale = _checked_outcome(con, name, str(outcome), fields)
        what = f"outcome '{outcome}'"
    if scale is not None and not scale[0] <= x <= scale[1]:
        raise InvalidInput(f"{fields[kind]}: {x:g} is outside the scale of {what} ({scale[0]:g}–{scale[1]:g}): give "
                           f"a number from {scale[0]:g} to {scale[1]:g}. Thresholds are on its own scale.")
    hook = _checked_url(webhook, fields["webhook"])
    with store.transaction(con):
        same = store.rows(con, """SELECT rule_id FROM alert_rules WHERE dataset = ?
                                  AND touchpoint IS NOT DISTINCT FROM ? AND outcome IS NOT DISTINCT FROM ?
                                  AND kind = ? AND threshold = ? AND last_n IS NOT DISTINCT FROM ?""",
                          [name, touchpoint, outcome, kind, x, window])
        if same:
            raise InvalidInput(f"Rule #{same[0][0]} already watches this ({what}, {kind} {x:g}): keep that one, or "
                               "delete it first to change its webhook.")
        found = store.rows(con, """INSERT INTO alert_rules (dataset, touchpoint, outcome, kind, threshold, last_n,
                                       webhook, firing, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, false, ?)
                                   RETURNING rule_id""", [name, touchpoint, outcome, kind, x, window, hook,
                                                          store.now()])
    return get_rule(con, int(found[0][0]))


def _checked_touchpoint(con: duckdb.DuckDBPyConnection, dataset: str, touchpoint: str,
                        fields: Mapping[str, str]) -> tuple[float, float]:
    scales = _touchpoint_scales(con, dataset, touchpoint)
    if not scales:
        if _is_live(con, dataset):
            return DEFAULT_SCALE  # a live data set's touchpoint waiting for its first answer
        known, _ = rule_targets(con, dataset)
        raise NotFound(f"{fields['touchpoint']} '{touchpoint}': data set '{dataset}' has no such touchpoint. "
                       f"Known: {', '.join(repr(t) for t in known) or 'none (it has outcomes only)'}.")
    if len(scales) > 1:
        listed = ", ".join(f"{lo:g}–{hi:g}" for lo, hi in scales)
        raise InvalidInput(f"{fields['touchpoint']} '{touchpoint}' was asked on several scales ({listed}): one "
                           "threshold cannot mean the same on each. Watch a touchpoint asked on one scale.")
    return scales[0]


def _checked_outcome(con: duckdb.DuckDBPyConnection, dataset: str, outcome: str,
                     fields: Mapping[str, str]) -> tuple[float, float] | None:
    try:
        return _outcome_scale(con, dataset, outcome)
    except NotFound:
        _, known = rule_targets(con, dataset)
        raise NotFound(f"{fields['outcome']} '{outcome}': data set '{dataset}' has no such outcome. "
                       f"Known: {', '.join(repr(o) for o in known) or 'none'}.") from None


def _checked_url(url: str | None, field: str) -> str | None:
    """Return a webhook or base URL stripped (None when empty), or raise saying what an http(s) URL needs."""
    text = (url or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or len(text) > MAX_URL
            or any(ch.isspace() or ord(ch) < 32 for ch in text)):
        raise InvalidInput(f"{field}: give an http:// or https:// address with a host and no spaces (at most "
                           f"{MAX_URL:,} characters), e.g. https://hooks.example.com/cx.")
    return text


def delete_rule(con: duckdb.DuckDBPyConnection, rule_id: int) -> None:
    """Delete a rule; the alerts it fired stay (they may have become actions). Raise NotFound if absent."""
    with store.transaction(con):
        get_rule(con, rule_id)
        con.execute("DELETE FROM alert_rules WHERE rule_id = ?", [int(rule_id)])


def base_url(con: duckdb.DuckDBPyConnection) -> str:
    """Return the address the app is reached at (alerts link to its Alerts view from there)."""
    return (store.get_setting(con, BASE_URL_SETTING) or DEFAULT_BASE_URL).rstrip("/")


def set_base_url(con: duckdb.DuckDBPyConnection, url: str, fields: Mapping[str, str] = CLI_FIELDS) -> str:
    """Store the app's address for alert links (http(s) only); return it."""
    checked = _checked_url(url, fields["base_url"])
    if checked is None:
        raise InvalidInput(f"{fields['base_url']}: give the app's address, e.g. {DEFAULT_BASE_URL}.")
    with store.transaction(con):
        store.set_setting(con, BASE_URL_SETTING, checked.rstrip("/"))
    return checked.rstrip("/")


def alert_link(base: str, alert_id: int) -> str:
    """Return the link to one alert on the Alerts view."""
    return f"{base.rstrip('/')}/{ALERTS_PAGE}?{urlencode({'alert': alert_id})}"


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Arrival:
    """Which answers arrived: every answer (an import), the newest per touchpoint (one send), some respondents'
    answers, or a workshop's votes."""

    touchpoints: frozenset[str] | None
    respondents: tuple[str, ...] | None
    workshop: str | None


def on_answers(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    touchpoints: Sequence[str] | None = None,
    *,
    respondents: Sequence[str] | None = None,
    workshop: str | None = None,
) -> int:
    """Return how many alerts fired after answers arrived in `dataset` (None: any touchpoint).

    What arrived: with no `touchpoints` and no `respondents`, every answer of the data set (an
    import); with `touchpoints` only, the answer stored last at each (one survey-link send); with
    `respondents`, those respondents' answers (at `touchpoints`, if given); with `workshop`, that
    workshop's votes (0–10, put on each touchpoint's scale). Call it after the answers are
    committed. It never raises: the answers are stored whatever happens here (failures are logged).
    """
    arrival = _Arrival(None if touchpoints is None else frozenset(touchpoints),
                       None if respondents is None else tuple(respondents), workshop)
    try:
        fired = _evaluate(con, dataset, arrival)
    except (duckdb.Error, CxError):
        log.exception("alerts: evaluating the rules of data set %r failed; the answers are stored", dataset)
        return 0
    hooked = [a for a, has_hook in fired if has_hook]
    if hooked:
        _deliver_later(con, hooked)
    return len(fired)


def _evaluate(con: duckdb.DuckDBPyConnection, dataset: str, arrival: _Arrival) -> list[tuple[int, bool]]:
    """Return (alert id, has a webhook) of each alert fired; update the `below` rules' firing state."""
    fired: list[tuple[int, bool]] = []
    if not rules(con, dataset):  # most data sets have no rule: no lock, no write transaction on every answer
        return fired
    with _EVAL_LOCK, store.transaction(con):
        for rule in rules(con, dataset):
            if rule.outcome is not None and (arrival.workshop is not None or arrival.touchpoints is not None):
                continue  # a send or a workshop brings touchpoint answers, not outcomes
            if rule.touchpoint is not None and arrival.touchpoints is not None \
                    and rule.touchpoint not in arrival.touchpoints:
                continue
            hit = _check(con, rule, arrival)
            if hit is None:
                continue
            value, n = hit
            found = store.rows(con, """INSERT INTO alerts (rule_id, dataset, touchpoint, outcome, value, n, fired_at,
                                           webhook_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING alert_id""",
                               [rule.rule_id, rule.dataset, rule.touchpoint, rule.outcome, value, n, store.now(),
                                PENDING if rule.webhook else None])
            fired.append((int(found[0][0]), rule.webhook is not None))
    return fired


def _answers(rule: Rule) -> tuple[str, list[Any]]:
    """Return the rule's answers as SQL (value, moment, seq, respondent) and its parameters."""
    if rule.touchpoint is not None:
        return ("""SELECT score AS value, answered_at AS moment, rowid AS seq, respondent FROM responses
                   WHERE dataset = ? AND touchpoint = ? AND score IS NOT NULL""", [rule.dataset, rule.touchpoint])
    return ("""SELECT o.value, t.moment, o.rowid AS seq, o.respondent FROM outcomes o
               LEFT JOIN (SELECT respondent, max(answered_at) AS moment FROM responses WHERE dataset = ?
                          GROUP BY respondent) t ON t.respondent = o.respondent
               WHERE o.dataset = ? AND o.outcome = ? AND o.value IS NOT NULL""",
            [rule.dataset, rule.dataset, rule.outcome])


_NEWEST_FIRST = "ORDER BY moment DESC NULLS LAST, seq DESC"


def _workshop_votes(con: duckdb.DuckDBPyConnection, rule: Rule, code: str) -> tuple[str, list[Any]]:
    """Return a workshop's votes at the rule's touchpoint, 0–10 put on the touchpoint's scale, as SQL."""
    lo, hi = target_scale(con, rule.dataset, touchpoint=rule.touchpoint) or DEFAULT_SCALE
    reversed_ = bool(store.rows(con, "SELECT bool_or(reversed) FROM responses WHERE dataset = ? AND touchpoint = ?",
                                [rule.dataset, rule.touchpoint])[0][0])
    # A vote says how good the touchpoint is (0–10); on a reversed scale a high answer is the bad one.
    return ("""SELECT CASE WHEN ? THEN ? - score * (? - ?) / 10.0 ELSE ? + score * (? - ?) / 10.0 END AS value,
                      voted_at AS moment, participant AS seq, participant AS respondent
               FROM workshop_votes WHERE code = ? AND touchpoint = ?""",
            [reversed_, hi, hi, lo, lo, hi, lo, code, rule.touchpoint])


def _check(con: duckdb.DuckDBPyConnection, rule: Rule, arrival: _Arrival) -> tuple[float, int] | None:
    """Return (value, n) when the rule fires on this arrival, else None; re-arm a recovered `below` rule."""
    if arrival.workshop is not None:
        answers, params = _workshop_votes(con, rule, arrival.workshop)
    else:
        answers, params = _answers(rule)
    if rule.kind == AT_MOST:
        if arrival.workshop is not None or (arrival.respondents is None and arrival.touchpoints is None):
            arrived, args = answers, params
        elif arrival.respondents is not None:
            arrived, args = f"SELECT * FROM ({answers}) WHERE list_contains(?::VARCHAR[], respondent)", \
                [*params, list(arrival.respondents)]
        else:  # one send: the answer stored last at the touchpoint
            arrived, args = f"SELECT * FROM ({answers}) ORDER BY seq DESC LIMIT 1", params
        lowest, n = store.rows(con, f"SELECT min(value), count(*) FILTER (WHERE value <= ?) FROM ({arrived})",
                               [rule.threshold, *args])[0]
        return (float(lowest), int(n)) if n else None
    mean, n = store.rows(con, f"SELECT avg(value), count(*) FROM (SELECT value FROM ({answers}) {_NEWEST_FIRST} "
                              "LIMIT ?)", [*params, rule.window])[0]
    below = int(n) == rule.window and mean is not None and float(mean) < rule.threshold
    if arrival.workshop is not None:
        return (float(mean), int(n)) if below else None  # a workshop is a one-off: the firing state is customers'
    if below == rule.firing:
        return None
    con.execute("UPDATE alert_rules SET firing = ? WHERE rule_id = ?", [below, rule.rule_id])
    return (float(mean), int(n)) if below else None


# ---------------------------------------------------------------- actions from alerts


def make_action(con: duckdb.DuckDBPyConnection, alert_id: int, *, owner: str | None = None,
                title: str | None = None, action_date: date | None = None) -> int:
    """Turn a fired alert into a planned action (at its touchpoint, or named after its outcome); return its id."""
    from cx import actions  # loads the metrics (ibis): an import's alert check never needs them

    with store.transaction(con):
        alert = get_alert(con, alert_id)
        if alert.action_id is not None:
            raise InvalidInput(f"Alert #{alert_id} is already action #{alert.action_id}: edit that one on the "
                               "Actions page.")
        action_id = actions.add_action(
            con, dataset=alert.dataset, touchpoint=alert.target, title=title or alert.action_title(), owner=owner,
            action_date=action_date or date.today(), status=actions.PLANNED,
            note=f"From alert #{alert.alert_id} fired {_iso(alert.fired_at)}: {alert.message()}.")
        con.execute("UPDATE alerts SET action_id = ? WHERE alert_id = ?", [action_id, alert.alert_id])
    return action_id


# ---------------------------------------------------------------- webhooks


def webhook_payload(alert: Alert, base: str) -> dict[str, Any]:
    """Return the JSON object posted for an alert: rule, dataset, touchpoint, value, n, fired_at, link (+ outcome)."""
    payload: dict[str, Any] = {"rule": alert.rule_id, "dataset": alert.dataset, "touchpoint": alert.touchpoint,
                               "value": alert.value, "n": alert.n, "fired_at": _iso(alert.fired_at),
                               "link": alert_link(base, alert.alert_id)}
    if alert.outcome is not None:
        payload["outcome"] = alert.outcome
    return payload


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answers itself: a redirect is a failure (and never turns the POST into a GET elsewhere)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes) -> tuple[bool, str | None, bool]:
    """Return (delivered, error text, worth retrying) of one POST."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "cx-alerts"})
    try:
        with _OPENER.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            response.read(1024)
        return True, None, False
    except urllib.error.HTTPError as exc:
        # The receiver answered: a server error or "too many requests" may pass; another refusal will not.
        retry = exc.code >= 500 or exc.code in (408, 429)
        return False, f"HTTP {exc.code} {exc.reason}".strip(), retry
    except TimeoutError:
        return False, f"no answer within {WEBHOOK_TIMEOUT:g} s", True
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return False, f"no answer within {WEBHOOK_TIMEOUT:g} s", True
        return False, f"cannot connect: {getattr(reason, 'strerror', None) or reason}", True
    except (OSError, ValueError) as exc:
        return False, f"cannot connect: {exc}", True


def deliver(con: duckdb.DuckDBPyConnection, alert_id: int) -> str | None:
    """POST an alert to its rule's webhook, retrying a bounded number of times; return the status recorded.

    Up to WEBHOOK_ATTEMPTS attempts of WEBHOOK_TIMEOUT seconds, WEBHOOK_BACKOFF, 2×… seconds apart;
    each attempt is recorded (status, attempts, error), so the Alerts view shows progress. Runs
    on the calling thread: `on_answers` calls it from a background thread.
    """
    alert = get_alert(con, alert_id)
    hook = store.rows(con, "SELECT webhook FROM alert_rules WHERE rule_id = ?", [alert.rule_id])
    if not hook or hook[0][0] is None:
        _record(con, alert_id, FAILED, 0, "its rule (or the rule's webhook) was deleted")
        return FAILED
    body = json.dumps(webhook_payload(alert, base_url(con)), ensure_ascii=False).encode("utf-8")
    status: str = PENDING
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        if attempt > 1:
            time.sleep(WEBHOOK_BACKOFF * 2 ** (attempt - 2))
        ok, error, retry = _post(str(hook[0][0]), body)
        status = SENT if ok else PENDING if retry and attempt < WEBHOOK_ATTEMPTS else FAILED
        _record(con, alert_id, status, 1, error)
        if status != PENDING:
            break
    return status


def _record(con: duckdb.DuckDBPyConnection, alert_id: int, status: str, attempts: int, error: str | None) -> None:
    with store.transaction(con):
        con.execute("""UPDATE alerts SET webhook_status = ?, webhook_attempts = webhook_attempts + ?,
                       webhook_error = ? WHERE alert_id = ?""", [status, attempts, error, alert_id])


def _delivery_connection(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return a connection of the delivery's own: to the same file (it outlives the caller's, which may be
    closed before the webhook answers), else a cursor of the caller's (an in-memory store)."""
    found = store.rows(con, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
    if found and found[0][0]:
        try:
            return duckdb.connect(str(found[0][0]))  # the same database instance: DuckDB shares it in-process
        except duckdb.Error:
            pass
    return con.cursor()


def _deliver_later(con: duckdb.DuckDBPyConnection, alert_ids: Sequence[int]) -> threading.Thread:
    """Start delivering on a thread of its own, with a connection of its own (DuckDB connections are not shared)."""
    cursor = _delivery_connection(con)

    def run() -> None:
        try:
            for alert_id in alert_ids:
                try:
                    deliver(cursor, alert_id)
                except (duckdb.Error, CxError):
                    log.exception("alerts: recording the webhook delivery of alert #%s failed", alert_id)
        finally:
            cursor.close()

    # Not a daemon: a command-line import waits for its deliveries (bounded by the attempts) before exiting.
    thread = threading.Thread(target=run, name="cx-alert-webhooks", daemon=False)
    with _THREADS_LOCK:
        _THREADS[:] = [t for t in _THREADS if t.is_alive()]
        _THREADS.append(thread)
    thread.start()
    return thread


def retry_webhooks(con: duckdb.DuckDBPyConnection, alert_ids: Sequence[int] | None = None) -> int:
    """Deliver again, in the background, the failed or pending webhooks (of `alert_ids`, or all); return how many."""
    waiting = [a.alert_id for a in fired_alerts(con)
               if a.webhook_status in (FAILED, PENDING) and (alert_ids is None or a.alert_id in alert_ids)]
    if waiting:
        with store.transaction(con):
            for alert_id in waiting:
                con.execute("UPDATE alerts SET webhook_status = ? WHERE alert_id = ?", [PENDING, alert_id])
        _deliver_later(con, waiting)
    return len(waiting)


def wait_for_deliveries(timeout: float = 30.0) -> bool:
    """Wait for the webhook deliveries under way; return True when all have finished (tests, the CLI)."""
    deadline = time.monotonic() + timeout
    with _THREADS_LOCK:
        running = list(_THREADS)
    for thread in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in running)


def failed_webhooks_message(con: duckdb.DuckDBPyConnection, listed: Sequence[Alert]) -> str | None:
    """Return what failed webhooks need from the user (how many, where to, the error, the fix), or None."""
    failed = [a for a in listed if a.webhook_status == FAILED]
    if not failed:
        return None
    hooks = {r.rule_id: r.webhook for r in rules(con)}
    groups: dict[tuple[str, str], int] = {}
    for alert in failed:
        where = hooks.get(alert.rule_id) or f"the webhook of the deleted rule #{alert.rule_id}"
        key = (where, alert.webhook_error or "no error recorded")
        groups[key] = groups.get(key, 0) + 1
    many = f"{len(failed):,} webhook deliver{'y' if len(failed) == 1 else 'ies'}"
    causes = "; ".join(f"{url}: {error}" + (f" ({count:,}×)" if len(groups) > 1 else "")
                       for (url, error), count in groups.items())
    return (f"{many} failed after {WEBHOOK_ATTEMPTS} attempts — {causes}. Check that the receiver is running and "
            "reachable from this server (or delete the rule and add it with the right webhook), then retry. The "
            "alerts themselves are kept.")


# ---------------------------------------------------------------- tables for the page


def rules_frame(listed: Sequence[Rule]) -> pd.DataFrame:
    """Return rules as a table: id, data set, what it watches, kind, X, N, webhook, firing, created."""
    columns = ["rule_id", "dataset", "watches", "rule", "threshold", "window", "webhook", "firing", "state",
               "created_at"]
    return pd.DataFrame([{"rule_id": r.rule_id, "dataset": r.dataset, "watches": r.target, "rule": r.describe(),
                          "threshold": r.threshold, "window": r.window, "webhook": r.webhook, "firing": r.firing,
                          "state": _state(r), "created_at": r.created_at} for r in listed], columns=columns)


def _state(rule: Rule) -> str:
    if rule.kind == AT_MOST:
        return "fires on each low answer"
    if rule.firing:
        return "mean below X now: fires again after it recovers"
    return "watching the mean"


def alerts_frame(listed: Sequence[Alert]) -> pd.DataFrame:
    """Return fired alerts as a table, newest first as given: what fired, value, n, webhook delivery, action."""
    columns = ["alert_id", "fired_at", "dataset", "message", "value", "n", "webhook", "webhook_status",
               "webhook_attempts", "webhook_error", "action_id", "rule_id"]
    return pd.DataFrame([{"alert_id": a.alert_id, "fired_at": a.fired_at, "dataset": a.dataset,
                          "message": a.message(), "value": a.value, "n": a.n, "webhook": a.webhook_text(),
                          "webhook_status": a.webhook_status or "no webhook", "webhook_attempts": a.webhook_attempts,
                          "webhook_error": a.webhook_error, "action_id": a.action_id, "rule_id": a.rule_id}
                         for a in listed], columns=columns)
