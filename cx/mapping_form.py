"""The Upload page's mapping form as data: editor rows from a mapping, and the mapping from what the widgets returned.

The page draws the widgets; everything that turns their values into a `Mapping` lives here, so it can be
tested without Streamlit. Editor rows are plain dicts keyed by the editor's column titles
(`WIDE_EDITOR_COLUMNS`, `PER_TOUCHPOINT_COLUMNS`); a blank number cell may come back as None or NaN.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from collections.abc import Mapping as Mapping_
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from cx.guesses import ColumnProfile, guess_outcome, guess_scale, words
from cx.mapping import (
    ROW_ROLES,
    Derived,
    Mapping,
    Operational,
    Outcome,
    ScoreRule,
    TouchpointColumn,
    codes_from_text,
    codes_to_text,
    derived_from_json,
)
from cx.models import ROLE_KINDS

__all__ = [
    "BINARY_NEGATIVES_UP_TO",
    "ROLE_KINDS_FIRST",
    "DEFAULT_SCALE",
    "PER_TOUCHPOINT_COLUMNS",
    "ROLE_LABELS",
    "WIDE_EDITOR_COLUMNS",
    "EditorRow",
    "FormValues",
    "build_mapping",
    "column_label",
    "default_outcome",
    "default_role",
    "default_touchpoint",
    "derived_from_form",
    "derived_label",
    "derived_values",
    "free_columns",
    "operational_choices",
    "outcome_from_form",
    "per_touchpoint_editor_rows",
    "pick_options",
    "role_choices",
    "rules_from_editor",
    "touchpoints_from_editor",
    "wide_editor_rows",
]


EditorRow = dict[Hashable, Any]  # one data_editor row, as DataFrame.to_dict("records") gives it

WIDE_EDITOR_COLUMNS: tuple[str, ...] = ("column", "touchpoint", "scale min", "scale max", "not applicable codes",
                                        "reversed")
PER_TOUCHPOINT_COLUMNS: tuple[str, ...] = ("touchpoint", "scale min", "scale max", "not applicable codes", "reversed")
DEFAULT_SCALE = (1.0, 5.0)  # offered when nothing suggests a scale
ROLE_LABELS: dict[str | None, str] = {None: "no role", "churn": "churn (yes = the customer left)",
                                      "revenue": "revenue per customer (for CLV)"}
BINARY_NEGATIVES_UP_TO = 10  # a yes/no column with more values than this rejects nothing


# ---------------------------------------------------------------------- editor rows


def _editor_scale(row: EditorRow) -> tuple[float, float] | None:
    """Return the row's scale, or None when either bound is blank."""
    lo, hi = row["scale min"], row["scale max"]
    return (float(lo), float(hi)) if pd.notna(lo) and pd.notna(hi) else None


def _editor_rule(row: EditorRow, kept: ScoreRule | None, default_reversed: bool) -> ScoreRule:
    """Return the rule an editor row describes; `kept`: the rule it was filled from (stage and channel, which
    the editor does not show, stay); the direction is stored only where it differs from `default_reversed`."""
    reversed_ = bool(row["reversed"])
    return ScoreRule(scale=_editor_scale(row),
                     not_applicable=codes_from_text(str(row["not applicable codes"] or "")),
                     reversed=None if reversed_ == default_reversed else reversed_,
                     stage=kept.stage if kept else None, channel=kept.channel if kept else None)


def wide_editor_rows(guess: Mapping, chosen_columns: Sequence[str],
                     profiles: Sequence[ColumnProfile]) -> list[EditorRow]:
    """Return one editor row per chosen touchpoint column: its name and effective scale, codes and direction.

    A column the mapping already has shows its effective rule (its own settings over the defaults); a newly
    chosen one shows the scale and codes guessed from its profile.
    """
    by_column = {t.column: t for t in guess.touchpoints}
    by_name = {p.name: p for p in profiles}
    rows: list[EditorRow] = []
    for column in chosen_columns:
        item = by_column.get(column)
        rule = guess.wide_rule(item) if item else ScoreRule(*guess_scale(by_name[column]))
        scale = rule.scale or (None, None)
        rows.append({"column": column, "touchpoint": item.name if item else column, "scale min": scale[0],
                     "scale max": scale[1], "not applicable codes": codes_to_text(rule.not_applicable),
                     "reversed": guess.reversed if rule.reversed is None else rule.reversed})
    return rows


def touchpoints_from_editor(rows: Iterable[EditorRow], guess: Mapping | None = None) -> tuple[TouchpointColumn, ...]:
    """Return the wide touchpoint columns the editor rows describe (a blank name means the column's name).

    Each column carries its whole rule (the mapping-wide defaults are cleared); a column of `guess` keeps
    its stage and channel, which the editor does not show.
    """
    kept = {t.column: t.rule for t in guess.touchpoints} if guess else {}
    return tuple(
        TouchpointColumn(column=row["column"], name=str(row["touchpoint"] or row["column"]).strip() or row["column"],
                         rule=_editor_rule(row, kept.get(row["column"]), default_reversed=False))
        for row in rows
    )


def per_touchpoint_editor_rows(guess: Mapping, values: Sequence[str]) -> list[EditorRow]:
    """Return one editor row per touchpoint value of a long file: its own settings, blank where it has none."""
    own = dict(guess.per_touchpoint)
    rows: list[EditorRow] = []
    for value in values:
        rule = own.get(value)
        scale = rule.scale if rule and rule.scale else (None, None)
        rows.append({"touchpoint": value, "scale min": scale[0], "scale max": scale[1],
                     "not applicable codes": codes_to_text(rule.not_applicable) if rule else "",
                     "reversed": guess.rule_for(value).reversed})  # what applies: its own, else the default
    return rows


def rules_from_editor(rows: Iterable[EditorRow], guess: Mapping | None = None) -> tuple[tuple[str, ScoreRule], ...]:
    """Return (touchpoint, rule) for each row that sets anything; rows left at the defaults are dropped.

    A touchpoint of `guess` keeps its stage and channel (the editor does not show them); its direction is
    stored only where it differs from the mapping's default, so unticking a default "reversed" sticks.
    """
    kept = dict(guess.per_touchpoint) if guess else {}
    default_reversed = guess.reversed if guess else False
    rules = ((str(row["touchpoint"]), _editor_rule(row, kept.get(str(row["touchpoint"])), default_reversed))
             for row in rows)
    return tuple((touchpoint, rule) for touchpoint, rule in rules if rule != ScoreRule())


# ---------------------------------------------------------------------- choices and outcomes


@dataclass(frozen=True)
class FormValues:
    """What the mapping widgets returned, as plain values (None: "(none)" picked)."""

    format: str
    respondent: str | None = None
    decimal: str = "."
    # wide: the rows of the touchpoint-column editor
    wide_rows: tuple[EditorRow, ...] = ()
    # long
    touchpoint: str | None = None
    score: str | None = None
    scale_columns: tuple[str | None, str | None] | None = None  # None: "each row gives its scale" is off
    scale_min: float = DEFAULT_SCALE[0]
    scale_max: float = DEFAULT_SCALE[1]
    not_applicable: str = ""  # as typed: "0; N/A"
    per_touchpoint_rows: tuple[EditorRow, ...] | None = None  # None: no editor shown, the guess's rules stay
    # both
    channel: str | None = None
    stage: str | None = None
    unit: str | None = None
    timestamp: str | None = None
    timestamp_format: str = ""  # as typed; blank: the usual forms are read (cx.dates)
    date_order: str | None = None  # "dmy", "mdy" or None (decided from the column)
    comment: str | None = None
    segments: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    operational: tuple[tuple[str, str | None], ...] = ()  # (column, touchpoint name; None in long format)
    derived: tuple[Derived, ...] = ()  # columns computed on import, offered as segments, outcomes, operational

    def resolved_scale_columns(self) -> tuple[str, str] | None:
        """Return the (min, max) scale columns when both are picked, else None."""
        if self.scale_columns is None:
            return None
        lo, hi = self.scale_columns
        return (lo, hi) if lo and hi else None


def free_columns(columns: Sequence[str], values: FormValues) -> list[str]:
    """Return the file's columns, in order, that no role or touchpoint column takes: the segment/outcome choices."""
    used: set[str | None] = {values.respondent, *(getattr(values, role) for role in ROW_ROLES)}
    if values.format == "wide":
        used.update(row["column"] for row in values.wide_rows)
    else:
        used.update((values.touchpoint, values.score, *(values.resolved_scale_columns() or ())))
    return [c for c in columns if c not in used] + [d.name for d in values.derived if d.name not in columns]


def operational_choices(profiles: Sequence[ColumnProfile], free: Sequence[str], taken: Iterable[str],
                        derived: Sequence[Derived] = ()) -> list[str]:
    """Return the numeric free columns (half their cells numbers, or comma decimals) not taken by another role,
    then the numeric derived columns (days between two dates)."""
    skip = set(taken)
    numeric = [p.name for p in profiles if p.number_share >= 0.5 or p.comma_numbers]
    numeric += [d.name for d in derived if d.numeric]
    return [c for c in numeric if c in free and c not in skip]


def default_outcome(guess: Mapping, profiles: Sequence[ColumnProfile], column: str,
                    derived: Sequence[Derived] = ()) -> Outcome:
    """Return the outcome a column's widgets start from: the mapping's own, else a guess from the column.

    Its scale is always set: the one offered should the user pick "a score on a scale". A derived band starts
    as yes/no with its last label (the highest values) positive; a number of days as a value.
    """
    own = {o.column: o for o in guess.outcomes}.get(column)
    made = next((d for d in derived if d.name == column), None)
    if made is not None:
        default = own or (Outcome(column=column, kind="value", name=column) if made.numeric else Outcome(
            column=column, kind="binary", name=column, positive=made.labels[-1:], negative=made.labels[:-1]))
        return replace(default, scale=default.scale or DEFAULT_SCALE)
    profile = {p.name: p for p in profiles}[column]
    default = own or guess_outcome(profile)
    return replace(default, scale=default.scale or guess_scale(profile)[0] or DEFAULT_SCALE)


# For each pick list of the Upload page, the kinds of column (cx.guesses.KINDS) offered first.
ROLE_KINDS_FIRST: dict[str, tuple[str, ...]] = {
    "respondent": ("id",), "timestamp": ("date",), "comment": ("long text", "text"),
    "channel": ("category", "flag"), "stage": ("category", "flag"), "unit": ("category", "text"),
    "touchpoint": ("category", "text"), "score": ("rating",), "scale-min": ("count", "number", "rating"),
    "scale-max": ("count", "number", "rating"),
}


def pick_options(columns: Sequence[str], kinds: Mapping_[str, str], role: str) -> list[str]:
    """Return a pick list's columns, those of the kinds the role takes first (each group in file order)."""
    first = ROLE_KINDS_FIRST.get(role, ())
    return [c for c in columns if kinds.get(c) in first] + [c for c in columns if kinds.get(c) not in first]


def column_label(column: str, kinds: Mapping_[str, str]) -> str:
    """Return a column as pick lists show it: its name and what it holds ("content · long text")."""
    kind = kinds.get(column, "derived")
    return f"{column} · {kind}"


def default_touchpoint(column: str, touchpoints: Sequence[str]) -> str | None:
    """Return the touchpoint an operational column most likely belongs to: the one sharing most words with its
    name ("Departure Delay in Minutes" → "Departure/Arrival time convenient"), else None (the user picks)."""
    ignored = {"in", "of", "the", "a", "to", "and", "minutes", "days", "hours", "time", "number", "rate", "service"}
    mine = set(words(column)) - ignored
    scored = [(len(mine & (set(words(t)) - ignored)), -i, t) for i, t in enumerate(touchpoints)]
    best = max(scored, default=(0, 0, None))
    return best[2] if best[0] > 0 else None


def derived_label(d: Derived) -> str:
    """Return a derived column in words: "'Delivery': 'Delay days' up to 0 → on time, above → late"."""
    if d.days_between is not None:
        return f"'{d.name}': calendar days from the date in '{d.days_between[0]}' to the date in '{d.days_between[1]}'"
    steps = [f"up to {codes_to_text([edge])} → {label}" for edge, label in zip(d.edges, d.labels, strict=False)]
    return f"'{d.name}': '{d.band}' " + ", ".join([*steps, f"above → {d.labels[-1]}"])


def derived_values(derived: Sequence[Derived], column: str) -> list[str] | None:
    """Return the values a derived column can take (a band's labels), or None: read them from the file."""
    made = next((d for d in derived if d.name == column), None)
    if made is None:
        return None
    return list(made.labels)


def derived_from_form(kind: str, name: str, *, dates: tuple[str | None, str | None] = (None, None),
                      source: str | None = None, edges: str = "", labels: str = "") -> Derived:
    """Return the derived column the Upload page's fields describe; raise MappingError saying what to fix.

    kind: "days_between" (from the first date to the second) or "band" (`edges` typed as "0; 7", `labels`
    as "on time; late; very late").
    """
    if kind == "days_between":
        item: dict[str, Any] = {"name": name, "days_between": [c for c in dates if c]}
    else:
        numbers: list[Any] = []
        for part in (p.strip() for p in edges.replace(",", ";").split(";")):
            if part:
                try:
                    numbers.append(float(part))
                except ValueError:
                    numbers.append(part)
        item = {"name": name, "band": source or "", "edges": numbers,
                "labels": [p.strip() for p in labels.split(";") if p.strip()]}
    return derived_from_json(item)


def role_choices(kind: str) -> tuple[str | None, ...]:
    """Return the roles an outcome of this kind can be marked with: none, or the one its kind allows."""
    return (None, *(role for role, needed in ROLE_KINDS.items() if needed == kind))


def default_role(default: Outcome, kind: str) -> str | None:
    """Return the role the role widget starts from: the proposed one while the kind is the proposed kind."""
    return default.role if default.kind == kind and default.role in role_choices(kind) else None


def outcome_from_form(column: str, kind: str, *, positive: Sequence[str] = (), values: Sequence[str] = (),
                      scale: tuple[float, float] | None = None, role: str | None = None) -> Outcome:
    """Return the outcome chosen for a column.

    binary: `positive` are the values that count as 1; the column's other `values` become the negatives
    (others rejected) when it has at most ten, else nothing is rejected. score: `scale` is kept. A `role`
    the kind cannot take (churn on a value, left over from another kind) is dropped.
    """
    outcome = Outcome(column=column, kind=kind, name=column, role=role if role in role_choices(kind) else None)
    if kind == "binary":
        negative = tuple(v for v in values if v not in positive) if len(values) <= BINARY_NEGATIVES_UP_TO else ()
        return replace(outcome, positive=tuple(positive), negative=negative)
    if kind == "score" and scale is not None:
        return replace(outcome, scale=(float(scale[0]), float(scale[1])))
    return outcome


# ---------------------------------------------------------------------- the mapping


def build_mapping(guess: Mapping, values: FormValues) -> Mapping:
    """Return the mapping the form describes, on top of `guess` (what the form was pre-filled from).

    Wide: each touchpoint column carries its full rule, so the mapping-wide scale, codes and direction are cleared.
    Long: the default scale and codes apply to every touchpoint without settings of its own. Keys the form
    does not show (the file settings, unknown JSON keys) stay as in `guess`.
    """
    mapping = replace(guess, format=values.format, respondent=values.respondent, decimal=values.decimal)
    if values.format == "wide":
        mapping = replace(mapping, touchpoints=touchpoints_from_editor(values.wide_rows, guess), touchpoint=None,
                          score=None, scale_columns=None, per_touchpoint=(), scale=None, not_applicable=(),
                          reversed=False)
    else:
        per_touchpoint = (guess.per_touchpoint if values.per_touchpoint_rows is None
                          else rules_from_editor(values.per_touchpoint_rows, guess))
        mapping = replace(mapping, touchpoints=(), touchpoint=values.touchpoint, score=values.score,
                          scale_columns=values.resolved_scale_columns(),
                          scale=(float(values.scale_min), float(values.scale_max)),
                          not_applicable=codes_from_text(values.not_applicable), per_touchpoint=per_touchpoint)
    timestamp_format = (values.timestamp_format.strip() or None) if values.timestamp else None
    return replace(
        mapping, channel=values.channel, stage=values.stage, unit=values.unit, timestamp=values.timestamp,
        timestamp_format=timestamp_format, date_order=values.date_order if values.timestamp else None,
        comment=values.comment, segments=tuple(values.segments),
        outcomes=tuple(values.outcomes),
        operational=tuple(Operational(column=column, name=column, touchpoint=touchpoint)
                          for column, touchpoint in values.operational),
        derived=tuple(values.derived),
    )
