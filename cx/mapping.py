"""The column mapping of an import: which file column plays which role, as data and as JSON.

A mapping says how to read one file into cx's long schema. It is saved beside every data set,
can be downloaded from the Upload page and reused with `python -m cx ingest FILE --mapping M.json`.

Minimum JSON (wide format: one row per respondent, one column per touchpoint)::

    {"format": "wide", "respondent": "id",
     "touchpoints": ["Seat comfort", "Online boarding"],
     "scale": [0, 5], "not_applicable": [0],
     "segments": ["Class"],
     "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}}

Long format (one row per answer): `"format": "long"` with `"touchpoint"` and `"score"` column
names. Every other key is optional; README.md ("Mapping JSON") lists them all. This module is
pure: no DuckDB, no Streamlit.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cx.dates import DATE_ORDERS
from cx.errors import InvalidInput, MappingError
from cx.models import OUTCOME_ROLES, ROLE_KINDS, ClvSettings

__all__ = [
    "CLV_KEYS",
    "DATE_ORDERS",
    "DELIMITERS",
    "DERIVED_EXAMPLE",
    "FORMATS",
    "KNOWN_KEYS",
    "MAX_SCALE",
    "NPS_SCALE",
    "OUTCOME_KINDS",
    "ROW_ROLES",
    "Code",
    "Derived",
    "Mapping",
    "Operational",
    "Outcome",
    "ScoreRule",
    "TouchpointColumn",
    "clv_from_json",
    "clv_of",
    "codes_from_text",
    "codes_to_text",
    "derived_from_json",
    "derived_to_json",
    "from_dict",
    "scale_label",
]


FORMATS: tuple[str, ...] = ("wide", "long")
OUTCOME_KINDS: tuple[str, ...] = ("binary", "nps", "score", "value")
DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Optional one-column roles that every format accepts (in wide format they apply to all answers of a row).
ROW_ROLES: tuple[str, ...] = ("channel", "stage", "unit", "timestamp", "comment")
NPS_SCALE = (0.0, 10.0)

Code = float | str  # a not-applicable code: a number (compared as a number) or a text (compared case-blind)



@dataclass(frozen=True)
class ScoreRule:
    """How the answers of one touchpoint are read: scale, not-applicable codes, direction."""

    scale: tuple[float, float] | None = None
    not_applicable: tuple[Code, ...] = ()
    reversed: bool | None = None  # None: as the mapping's default (a touchpoint's own false undoes a default true)
    stage: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class TouchpointColumn:
    """Wide format: one file column holding one touchpoint's answers."""

    column: str
    name: str
    rule: ScoreRule = ScoreRule()


@dataclass(frozen=True)
class Outcome:
    """A per-respondent outcome read from one column.

    kind: `binary` (value 1.0 when the cell is one of `positive`, else 0.0; with `negative` given,
    other values are rejected), `nps` (whole numbers 0–10), `score` (numbers on `scale`),
    `value` (any finite number, e.g. revenue). role: what the user marked it as, `churn` (a binary
    outcome: churn and retention rate, CLV) or `revenue` (a value outcome: CLV); None for the rest.
    """

    column: str
    kind: str
    name: str
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    scale: tuple[float, float] | None = None
    role: str | None = None

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Return the scale stored with the outcome (0–10 for nps, 0–1 for binary)."""
        if self.kind == "nps":
            return NPS_SCALE
        if self.kind == "binary":
            return (0.0, 1.0)
        return self.scale


@dataclass(frozen=True)
class Operational:
    """A numeric operational column (wait time, delivery delay…) attached to a touchpoint."""

    column: str
    name: str
    touchpoint: str | None = None  # wide: required touchpoint name; long: None = the row's touchpoint


@dataclass(frozen=True)
class Derived:
    """A column computed from file columns while importing: usable as a segment, outcome or operational metric.

    `days_between` (first, second): calendar days from the first date to the second (null when either is
    missing or cannot be read). `band` (a number column or an earlier `days_between`): the value v gets
    `labels[i]`, i = how many `edges` lie strictly below v (null stays null).
    """

    name: str
    days_between: tuple[str, str] | None = None
    band: str | None = None
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """Return True for a number of days, False for a band's labels (text)."""
        return self.days_between is not None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Return the columns (file or derived) it reads."""
        return self.days_between if self.days_between is not None else (self.band or "",)

    def label_for(self, value: float | None) -> str | None:
        """Return the band's label of a value (the rule above, in Python; the import runs it in SQL)."""
        if value is None:
            return None
        return self.labels[sum(1 for edge in self.edges if edge < value)]


@dataclass(frozen=True)
class Mapping:
    """Every role of every column, plus how to read the file."""

    format: str
    respondent: str | None = None
    # wide
    touchpoints: tuple[TouchpointColumn, ...] = ()
    # long
    touchpoint: str | None = None
    score: str | None = None
    scale_columns: tuple[str, str] | None = None
    per_touchpoint: tuple[tuple[str, ScoreRule], ...] = ()
    # both
    scale: tuple[float, float] | None = None
    not_applicable: tuple[Code, ...] = ()
    reversed: bool = False
    segments: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    operational: tuple[Operational, ...] = ()
    channel: str | None = None
    stage: str | None = None
    unit: str | None = None
    timestamp: str | None = None
    timestamp_format: str | None = None
    date_order: str | None = None  # how 03/04/2024 is read: "dmy" or "mdy"; None: decided from each column
    comment: str | None = None
    decimal: str = "."
    # how to read the file (None: detected)
    delimiter: str | None = None
    encoding: str | None = None
    header: bool | None = None
    skip_rows: int | None = None
    sheet: str | None = None  # an Excel workbook's sheet (None: the active visible one)
    clv: ClvSettings = ClvSettings()  # margin, period and discount rate of CLV
    derived: tuple[Derived, ...] = ()  # columns computed on import (days between two dates, bands)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    # ------------------------------------------------------------------ rules

    def rule_for(self, touchpoint: str) -> ScoreRule:
        """Return the effective rule of a long-format touchpoint value (its own, else the defaults)."""
        own = dict(self.per_touchpoint).get(touchpoint)
        base = ScoreRule(self.scale, self.not_applicable, self.reversed)
        if own is None:
            return base
        return ScoreRule(
            scale=own.scale or base.scale,
            not_applicable=own.not_applicable if own.not_applicable else base.not_applicable,
            reversed=base.reversed if own.reversed is None else own.reversed, stage=own.stage, channel=own.channel,
        )

    def wide_rule(self, item: TouchpointColumn) -> ScoreRule:
        """Return the effective rule of a wide touchpoint column (its own settings over the defaults)."""
        own = item.rule
        return ScoreRule(
            scale=own.scale or self.scale,
            not_applicable=own.not_applicable if own.not_applicable else self.not_applicable,
            reversed=self.reversed if own.reversed is None else own.reversed, stage=own.stage, channel=own.channel,
        )

    def columns_used(self) -> list[str]:
        """Return every file column the mapping reads, in a stable order, once each (a derived column's inputs
        in its place)."""
        derived = {d.name for d in self.derived}
        names: list[str] = []
        for value in (self.respondent, self.touchpoint, self.score, *(self.scale_columns or ()),
                      *(t.column for t in self.touchpoints), *(getattr(self, r) for r in ROW_ROLES),
                      *self.segments, *(o.column for o in self.outcomes), *(o.column for o in self.operational),
                      *(c for d in self.derived for c in d.inputs)):
            if value is not None and value not in names and value not in derived:
                names.append(value)
        return names

    def derived_named(self, name: str) -> Derived | None:
        """Return the derived column of that name, or None (a file column)."""
        return next((d for d in self.derived if d.name == name), None)

    def touchpoint_names(self) -> list[str]:
        """Return the touchpoint names of a wide mapping, in column order."""
        return [t.name for t in self.touchpoints]

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        """Raise MappingError when the mapping is incomplete or contradicts itself."""
        problems: list[str] = []
        if self.format == "wide":
            if not self.touchpoints and not self.outcomes:
                problems.append("a wide mapping needs at least one touchpoint column in 'touchpoints', or, for an "
                                "outcome-only data set (\"touchpoints\": []), at least one outcome")
            names = [t.name for t in self.touchpoints]
            for name in sorted({n for n in names if names.count(n) > 1}):
                problems.append(f"touchpoint '{name}' is mapped from two columns: give each its own name")
            for item in self.touchpoints:
                if self.wide_rule(item).scale is None:
                    problems.append(f"touchpoint column '{item.column}' has no scale: set 'scale', e.g. [1, 5]")
            for op in self.operational:
                if not op.touchpoint:
                    problems.append(f"operational column '{op.column}' needs a 'touchpoint' in wide format")
        else:
            if not self.touchpoint:
                problems.append("a long mapping needs the 'touchpoint' column")
            if not self.score:
                problems.append("a long mapping needs the 'score' column")
            if self.scale is None and self.scale_columns is None:
                missing = [tp for tp, rule in self.per_touchpoint if rule.scale is None]
                if missing or not self.per_touchpoint:
                    problems.append("a long mapping needs a scale: 'scale' (e.g. [1, 5]), 'scale_columns' "
                                    "(e.g. [\"scale_min\", \"scale_max\"]) or a scale per touchpoint")
        problems += self._derived_problems()
        for label, scale in self._scales():
            if scale is not None and not scale[1] > scale[0]:
                problems.append(f"{label}: scale {scale[0]:g}–{scale[1]:g} needs its top above its bottom")
        for outcome in self.outcomes:
            if outcome.kind not in OUTCOME_KINDS:
                problems.append(f"outcome '{outcome.column}': kind must be one of {', '.join(OUTCOME_KINDS)}, "
                                f"not '{outcome.kind}'")
            if outcome.kind == "binary" and not outcome.positive:
                problems.append(f"outcome '{outcome.column}': a binary outcome needs its 'positive' value, "
                                "e.g. \"satisfied\" or \"Yes\"")
            if outcome.kind == "score" and outcome.scale is None:
                problems.append(f"outcome '{outcome.column}': a score outcome needs its 'scale', e.g. [1, 5]")
            problems += _role_problems(outcome)
        for outcome_role in OUTCOME_ROLES:
            marked = [o.column for o in self.outcomes if o.role == outcome_role]
            if len(marked) > 1:
                problems.append(f"outcomes {' and '.join(repr(c) for c in marked)} are all marked \"role\": "
                                f"\"{outcome_role}\": mark one of them")
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            problems.append(f"'date_order' is \"dmy\" (19/11/2023: day first) or \"mdy\" (11/19/2023: month first), "
                            f"not {self.date_order!r}")
        if self.decimal not in (".", ","):
            problems.append(f"'decimal' must be \".\" or \",\", not {self.decimal!r}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            problems.append(f"'delimiter' must be one character, e.g. \",\" or \";\", not {self.delimiter!r}")
        if self.skip_rows is not None and self.skip_rows < 0:
            problems.append("'skip_rows' cannot be negative")
        roles: dict[str, list[str]] = {}
        for role, column in self._single_roles():
            roles.setdefault(column, []).append(role)
        for column, used in roles.items():
            if len(used) > 1:
                problems.append(f"column '{column}' is mapped as {' and '.join(used)}: give it one role")
        if problems:
            raise MappingError("The mapping cannot be used: " + "; ".join(problems) + ".")

    def _scales(self) -> list[tuple[str, tuple[float, float] | None]]:
        found: list[tuple[str, tuple[float, float] | None]] = [("scale", self.scale)]
        found += [(f"touchpoint column '{t.column}'", t.rule.scale) for t in self.touchpoints]
        found += [(f"touchpoint '{tp}'", rule.scale) for tp, rule in self.per_touchpoint]
        found += [(f"outcome '{o.column}'", o.scale) for o in self.outcomes if o.kind == "score"]
        return found

    def _derived_problems(self) -> list[str]:
        """Return what is wrong with the derived columns: names, inputs, and where they are used."""
        problems: list[str] = []
        seen: dict[str, Derived] = {}
        for d in self.derived:
            if d.name in seen:
                problems.append(f"two derived columns are called '{d.name}': give each its own name")
            if d.band is not None:
                source = seen.get(d.band)
                if d.band == d.name:
                    problems.append(f"derived column '{d.name}' cannot be a band of itself: name a number column")
                elif source is not None and not source.numeric:
                    problems.append(f"derived column '{d.name}' bands '{d.band}', which is a band (text labels): "
                                    "band a number column or a days_between column")
                elif source is None and d.band in {x.name for x in self.derived}:
                    problems.append(f"derived column '{d.name}' bands '{d.band}', which is defined after it: "
                                    f"list '{d.band}' first in \"derived\"")
            seen[d.name] = d
        used: dict[str, list[str | None]] = {
            "respondent": [self.respondent], "touchpoint": [self.touchpoint], "score": [self.score],
            "touchpoints": [t.column for t in self.touchpoints], "scale_columns": list(self.scale_columns or ()),
            **{role: [getattr(self, role)] for role in ROW_ROLES}}
        for role, columns in used.items():
            for column in columns:
                if column in seen:
                    problems.append(f"derived column '{column}' is mapped as {role}: a derived column can be a "
                                    "segment, an outcome or an operational metric")
        for o in self.outcomes:
            source = seen.get(o.column)
            if source is not None and source.numeric and o.kind == "binary":
                problems.append(f"outcome '{o.column}' is a number of days: make it kind \"value\" (or band it "
                                "into labels for a yes/no outcome)")
            elif source is not None and not source.numeric and o.kind != "binary":
                problems.append(f"outcome '{o.column}' is a band (text labels): make it kind \"binary\" with a "
                                f"positive label, e.g. \"positive\": \"{source.labels[-1]}\"")
        for op in self.operational:
            source = seen.get(op.column)
            if source is not None and not source.numeric:
                problems.append(f"operational column '{op.column}' is a band (text labels): operational metrics "
                                "are numbers; use it as a segment")
        return problems

    def _single_roles(self) -> list[tuple[str, str]]:
        """Return (role, column) for every role where one column cannot play two parts."""
        pairs = [("respondent", self.respondent), ("touchpoint", self.touchpoint), ("score", self.score),
                 *((r, getattr(self, r)) for r in ROW_ROLES)]
        pairs += [(f"touchpoint '{t.name}'", t.column) for t in self.touchpoints]
        pairs += [("segment", s) for s in self.segments]
        return [(role, column) for role, column in pairs if column is not None]

    def check_columns(self, columns: Sequence[str]) -> None:
        """Raise MappingError naming every mapped column the file does not have (with close matches), and a
        derived column named like one of the file's or reading a column it does not have."""
        available = list(columns)
        clashes = [d.name for d in self.derived if d.name in available]
        if clashes:
            raise MappingError(f"The derived column{'s' if len(clashes) > 1 else ''} "
                               f"{', '.join(repr(c) for c in clashes)} {'are' if len(clashes) > 1 else 'is'} also a "
                               "column of the file: give the derived column another name.")
        earlier: set[str] = set()
        for d in self.derived:
            inputs: tuple[str, ...] = d.days_between or ()
            if d.band is not None and d.band not in earlier:
                inputs = (d.band,)
            absent = [c for c in inputs if c not in available]
            if absent:
                kind = "days_between reads" if d.days_between else "band reads"
                raise MappingError(f"Derived column '{d.name}': {kind} {_missing_columns(absent, available)}, "
                                   f"which the file does not have. The file's columns: {_shown(available)}. Fix the "
                                   "column name (a band may also read a derived column listed before it).")
            earlier.add(d.name)
        missing = [c for c in self.columns_used() if c not in available]
        if not missing:
            return
        one_column = ""
        if len(available) == 1 and any(d in available[0] for d in DELIMITERS):
            one_column = (" The file was read as one column: it may use another delimiter; set \"delimiter\" "
                          "in the mapping (e.g. \";\").")
        noun = "column" if len(missing) == 1 else "columns"
        raise MappingError(
            f"The mapping names {noun} {_missing_columns(missing, available)} that the file does not have. The file's "
            f"columns: {_shown(available)}.{one_column} Fix the mapping (or the file's header row) and try again."
        )

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as JSON-ready data (the documented format; defaults left out)."""
        data: dict[str, Any] = {"format": self.format, "respondent": self.respondent}
        if self.format == "wide":
            data["touchpoints"] = [_touchpoint_to_json(t) for t in self.touchpoints]
        else:
            data["touchpoint"] = self.touchpoint
            data["score"] = self.score
            if self.scale_columns:
                data["scale_columns"] = list(self.scale_columns)
            if self.per_touchpoint:
                data["per_touchpoint"] = {tp: _rule_to_json(rule) for tp, rule in self.per_touchpoint}
        if self.scale is not None:
            data["scale"] = [_num(x) for x in self.scale]
        if self.not_applicable:
            data["not_applicable"] = [_num(c) if isinstance(c, float) else c for c in self.not_applicable]
        if self.reversed:
            data["reversed"] = True
        data["segments"] = list(self.segments)
        if len(self.outcomes) == 1:
            data["outcome"] = _outcome_to_json(self.outcomes[0])
        elif self.outcomes:
            data["outcomes"] = [_outcome_to_json(o) for o in self.outcomes]
        if self.operational:
            data["operational"] = [
                {"column": o.column, **({"name": o.name} if o.name != o.column else {}),
                 **({"touchpoint": o.touchpoint} if o.touchpoint else {})} for o in self.operational
            ]
        for role in ROW_ROLES:
            if getattr(self, role) is not None:
                data[role] = getattr(self, role)
        if self.timestamp_format:
            data["timestamp_format"] = self.timestamp_format
        if self.date_order:
            data["date_order"] = self.date_order
        if self.decimal != ".":
            data["decimal"] = self.decimal
        for key in ("delimiter", "encoding", "header", "skip_rows", "sheet"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.derived:
            data["derived"] = [derived_to_json(d) for d in self.derived]
        if self.clv != ClvSettings():
            data["clv"] = {"margin": self.clv.margin, "period": self.clv.period, "discount": self.clv.discount}
        return {**self.extra, **data}

    def with_file(self, *, delimiter: str, encoding: str, header: bool, skip_rows: int,
                  sheet: str | None = None) -> Mapping:
        """Return a copy that records how the file was read (so a reuse reads it the same way)."""
        return replace(self, delimiter=delimiter, encoding=encoding, header=header, skip_rows=skip_rows,
                       sheet=sheet or self.sheet)


def _missing_columns(missing: Sequence[str], available: Sequence[str]) -> str:
    """Return "'Delay', 'Date' (did you mean 'date'?)": missing column names, each with its closest match."""
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
        folded = [c for c in available if c.strip().casefold() == name.strip().casefold()]
        hint = folded or close
        parts.append(f"'{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else ""))
    return ", ".join(parts)


def _shown(available: Sequence[str]) -> str:
    return ", ".join(f"'{c}'" for c in available[:12]) + (" …" if len(available) > 12 else "")


# ---------------------------------------------------------------------- parsing


KNOWN_KEYS = {
    "format", "respondent", "touchpoints", "touchpoint", "score", "scale_columns", "per_touchpoint",
    "scale", "not_applicable", "reversed", "segments", "outcome", "outcomes", "operational", "derived", *ROW_ROLES,
    "timestamp_format", "date_order", "decimal", "delimiter", "encoding", "header", "skip_rows", "sheet", "clv",
}
CLV_KEYS = ("margin", "period", "discount")


def from_dict(data: Any) -> Mapping:
    """Return the Mapping described by JSON data; raise MappingError saying which key is wrong."""
    if not isinstance(data, dict):
        raise MappingError("A mapping is a JSON object, e.g. {\"format\": \"wide\", \"touchpoints\": [...]}.")
    fmt = data.get("format")
    if fmt not in FORMATS:
        raise MappingError(f"The mapping's \"format\" must be \"wide\" or \"long\", not {fmt!r}.")
    unknown = sorted(set(data) - KNOWN_KEYS)
    extra = {k: data[k] for k in unknown if k.startswith("x_") or k in ("name", "description", "source")}
    stray = [k for k in unknown if k not in extra]
    if stray:
        raise MappingError(f"The mapping has unknown keys {stray}: remove them or check the spelling "
                           f"(known: {', '.join(sorted(KNOWN_KEYS))}).")
    touchpoints = tuple(_touchpoint_from_json(item, i) for i, item in enumerate(_list(data, "touchpoints"), 1))
    per_touchpoint_raw = data.get("per_touchpoint") or {}
    if not isinstance(per_touchpoint_raw, dict):
        raise MappingError("\"per_touchpoint\" is an object: {\"touchpoint name\": {\"scale\": [1, 5]}, ...}.")
    outcomes_raw = _list(data, "outcomes")
    if data.get("outcome") is not None:
        outcomes_raw = [data["outcome"], *outcomes_raw]
    scale_columns = data.get("scale_columns")
    if scale_columns is not None and (not isinstance(scale_columns, list) or len(scale_columns) != 2
                                      or not all(isinstance(c, str) for c in scale_columns)):
        raise MappingError("\"scale_columns\" is a pair of column names: [\"scale_min\", \"scale_max\"].")
    header = data.get("header")
    if header is not None and not isinstance(header, bool):
        raise MappingError("\"header\" is true or false.")
    skip = data.get("skip_rows")
    if skip is not None and (not isinstance(skip, int) or isinstance(skip, bool)):
        raise MappingError("\"skip_rows\" is a whole number of lines to skip before the header.")
    mapping = Mapping(
        format=fmt,
        respondent=_column(data, "respondent"),
        touchpoints=touchpoints,
        touchpoint=_column(data, "touchpoint"),
        score=_column(data, "score"),
        scale_columns=(scale_columns[0], scale_columns[1]) if scale_columns else None,
        per_touchpoint=tuple((str(k), _rule_from_json(v, f"per_touchpoint '{k}'"))
                             for k, v in per_touchpoint_raw.items()),
        scale=_scale(data.get("scale"), "scale"),
        not_applicable=_codes(data.get("not_applicable"), "not_applicable"),
        reversed=_bool(data.get("reversed"), "reversed", ""),
        segments=tuple(_names(data, "segments")),
        outcomes=tuple(_outcome_from_json(o) for o in outcomes_raw),
        operational=tuple(_operational_from_json(o) for o in _list(data, "operational")),
        derived=tuple(derived_from_json(item, i) for i, item in enumerate(_list(data, "derived"), start=1)),
        channel=_column(data, "channel"), stage=_column(data, "stage"), unit=_column(data, "unit"),
        timestamp=_column(data, "timestamp"), comment=_column(data, "comment"),
        timestamp_format=_column(data, "timestamp_format"),
        date_order=_column(data, "date_order"),
        decimal=_text_value(data.get("decimal"), "decimal", "", '","') or ".",
        delimiter=_delimiter(data.get("delimiter")),
        encoding=_column(data, "encoding"),
        header=header,
        skip_rows=skip,
        sheet=_text_value(data.get("sheet"), "sheet", "", '"Responses" (the name of an Excel sheet)'),
        clv=clv_from_json(data.get("clv")),
        extra=extra,
    )
    mapping.check()
    return mapping


def clv_from_json(value: Any) -> ClvSettings:
    """Return the CLV settings of a mapping's "clv" object (absent: margin 1, period "period", no discount)."""
    if value is None:
        return ClvSettings()
    example = "{\"margin\": 0.3, \"period\": \"year\", \"discount\": 0.1}"
    if not isinstance(value, dict):
        raise MappingError(f"\"clv\" is an object such as {example}.")
    unknown = sorted(set(value) - set(CLV_KEYS))
    if unknown:
        raise MappingError(f"\"clv\" has unknown keys {unknown}: it takes {', '.join(CLV_KEYS)}, e.g. {example}.")
    default = ClvSettings()
    margin, discount = value.get("margin", default.margin), value.get("discount", default.discount)
    period = value.get("period", default.period)
    for key, number in (("margin", margin), ("discount", discount)):
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise MappingError(f"\"clv\" {key} is a number, e.g. {example}; got {number!r}.")
    if not isinstance(period, str):
        raise MappingError(f"\"clv\" period is the label of the period revenue is measured over, e.g. \"year\"; "
                           f"got {period!r}.")
    try:
        return ClvSettings(margin=float(margin), period=period.strip(), discount=float(discount))
    except InvalidInput as exc:
        raise MappingError(f"The mapping's \"clv\": {str(exc).removeprefix('CLV settings: ')}") from exc


def clv_of(stored: Any) -> ClvSettings:
    """Return the CLV settings a data set was imported with, from its stored mapping (None: the defaults)."""
    return clv_from_json(stored.get("clv")) if isinstance(stored, dict) else ClvSettings()


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(f"\"{key}\" must be a list, e.g. [\"a\", \"b\"].")
    return value


def _names(data: dict[str, Any], key: str) -> list[str]:
    names = _list(data, key)
    if not all(isinstance(n, str) and n for n in names):
        raise MappingError(f"\"{key}\" must list column names (text).")
    return names


def _column(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MappingError(f"\"{key}\" must be a column name (text), not {value!r}.")
    return value


def _delimiter(value: Any) -> str | None:
    if value is None:
        return None
    if value in ("tab", "\\t"):
        return "\t"
    if not isinstance(value, str):
        raise MappingError("\"delimiter\" is one character, e.g. \",\", \";\" or \"\\t\".")
    return value


MAX_SCALE = 1e9  # a scale's bounds: beyond this no answer scale exists, and 10·(x − lo)/(hi − lo) loses every score


def _json(value: Any) -> str:
    """Return a value as JSON text, as the user wrote it (for messages)."""
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def _bool(value: Any, key: str, where: str) -> bool:
    """Return a JSON boolean; raise MappingError for anything else ("false" as text would read as true)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise MappingError(f"{where}\"{key}\" is true or false (a JSON boolean, without quotes); got {_json(value)}: "
                       f"write \"{key}\": true or \"{key}\": false.")


def _text_value(value: Any, key: str, where: str, example: str) -> str | None:
    """Return an optional text (None when absent or blank); raise MappingError for a list, object or number."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.strip() or None
    raise MappingError(f"{where}\"{key}\" is a text, e.g. \"{key}\": {example}; got {_json(value)}.")


def _known_keys(item: dict[str, Any], allowed: Sequence[str], where: str) -> None:
    """Raise MappingError for keys of a nested object the parser does not read (x_… keys are kept as notes)."""
    unknown = sorted(k for k in item if k not in allowed and not str(k).startswith("x_"))
    if unknown:
        raise MappingError(f"{where}has unknown keys {unknown}: remove them or check the spelling (it takes "
                           f"{', '.join(allowed)}).")


def _scale(value: Any, label: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)):
        raise MappingError(f"\"{label}\" is a pair of numbers [lowest, highest], e.g. [1, 5]; got {_json(value)}.")
    if any(abs(v) > MAX_SCALE for v in value):
        raise MappingError(f"\"{label}\" {_json(value)} is no answer scale: its bounds are within ±{MAX_SCALE:,.0f} "
                           "(e.g. [1, 5] or [0, 10]); a value such as revenue is an outcome of kind \"value\".")
    return (float(value[0]), float(value[1]))


def _codes(value: Any, label: str) -> tuple[Code, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value]
    codes: list[Code] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise MappingError(f"\"{label}\" lists numbers or texts, e.g. [0, \"N/A\"]; got {v!r}.")
        codes.append(float(v) if isinstance(v, int | float) else v)
    return tuple(codes)


RULE_KEYS = ("scale", "not_applicable", "reversed", "stage", "channel")


def _rule_from_json(value: Any, label: str, allowed: Sequence[str] = RULE_KEYS) -> ScoreRule:
    if not isinstance(value, dict):
        raise MappingError(f"{label}: settings are an object such as {{\"scale\": [1, 5], \"not_applicable\": [0]}}.")
    where = f"{label}: "
    _known_keys(value, allowed, where)
    return ScoreRule(
        scale=_scale(value.get("scale"), f"{label} scale"),
        not_applicable=_codes(value.get("not_applicable"), f"{label} not_applicable"),
        reversed=None if value.get("reversed") is None else _bool(value["reversed"], "reversed", where),
        stage=_text_value(value.get("stage"), "stage", where, '"interaction"'),
        channel=_text_value(value.get("channel"), "channel", where, '"web"'),
    )


def _rule_to_json(rule: ScoreRule) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if rule.scale is not None:
        data["scale"] = [_num(x) for x in rule.scale]
    if rule.not_applicable:
        data["not_applicable"] = [_num(c) if isinstance(c, float) else c for c in rule.not_applicable]
    if rule.reversed is not None:
        data["reversed"] = rule.reversed
    if rule.stage:
        data["stage"] = rule.stage
    if rule.channel:
        data["channel"] = rule.channel
    return data


def _touchpoint_from_json(item: Any, position: int) -> TouchpointColumn:
    if isinstance(item, str) and item:
        return TouchpointColumn(column=item, name=item)
    if isinstance(item, dict) and isinstance(item.get("column"), str) and item["column"]:
        label = f"touchpoint column '{item['column']}'"
        name = _text_value(item.get("name"), "name", f"{label}: ", '"In-flight wifi"') or item["column"]
        return TouchpointColumn(column=item["column"], name=name,
                                rule=_rule_from_json(item, label, ("column", "name", *RULE_KEYS)))
    raise MappingError(f"\"touchpoints\" item {position} must be a column name or {{\"column\": ..., "
                       f"\"scale\": [1, 5]}}; got {item!r}.")


def _touchpoint_to_json(item: TouchpointColumn) -> str | dict[str, Any]:
    settings = _rule_to_json(item.rule)
    if item.name == item.column and not settings:
        return item.column
    return {"column": item.column, **({"name": item.name} if item.name != item.column else {}), **settings}


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    for v in values:
        if not isinstance(v, str | int | float | bool) or (isinstance(v, float) and not math.isfinite(v)):
            raise MappingError(f"{where}\"{key}\" is a value or a list of values as written in the file, e.g. "
                               f"\"{key}\": \"Yes\" or [\"Yes\", \"Y\"]; got {_json(value)}.")
    return tuple(_text(v) for v in values)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


OUTCOME_KEYS = ("column", "kind", "name", "positive", "negative", "scale", "role")


def _outcome_from_json(item: Any) -> Outcome:
    if not isinstance(item, dict) or not isinstance(item.get("column"), str) or not item["column"]:
        raise MappingError("An outcome is {\"column\": ..., \"kind\": \"binary\" | \"nps\" | \"score\" | \"value\"}.")
    where = f"outcome '{item['column']}': "
    _known_keys(item, OUTCOME_KEYS, where)
    kind = _text_value(item.get("kind"), "kind", where, '"binary"') or "binary"
    role = item.get("role")
    if role is not None and not isinstance(role, str):
        raise MappingError(f"{where}\"role\" is \"churn\" or \"revenue\", not {_json(role)}.")
    return Outcome(
        column=item["column"], kind=kind,
        name=_text_value(item.get("name"), "name", where, '"Likelihood to recommend"') or item["column"],
        positive=_strings(item.get("positive"), "positive", where),
        negative=_strings(item.get("negative"), "negative", where),
        scale=_scale(item.get("scale"), f"outcome '{item['column']}' scale"), role=role or None,
    )


def _role_problems(o: Outcome) -> list[str]:
    """Return what is wrong with an outcome's role: unknown, or on the wrong kind of outcome."""
    if o.role is None:
        return []
    if o.role not in ROLE_KINDS:
        return [f"outcome '{o.column}': role must be {' or '.join(OUTCOME_ROLES)}, not '{o.role}' (or leave it out)"]
    needed = ROLE_KINDS[o.role]
    if o.kind == needed:
        return []
    what = {"churn": "a yes/no churned column", "revenue": "a number per customer"}[o.role]
    return [f"outcome '{o.column}': role '{o.role}' needs kind '{needed}' ({what}), not '{o.kind}': set "
            f"\"kind\": \"{needed}\" or remove the role"]


def _outcome_to_json(o: Outcome) -> dict[str, Any]:
    data: dict[str, Any] = {"column": o.column, "kind": o.kind}
    if o.name != o.column:
        data["name"] = o.name
    if o.kind == "binary":
        data["positive"] = o.positive[0] if len(o.positive) == 1 else list(o.positive)
        if o.negative:
            data["negative"] = o.negative[0] if len(o.negative) == 1 else list(o.negative)
    if o.kind == "score" and o.scale is not None:
        data["scale"] = [_num(x) for x in o.scale]
    if o.role is not None:
        data["role"] = o.role
    return data


def _operational_from_json(item: Any) -> Operational:
    if isinstance(item, str) and item:
        return Operational(column=item, name=item)
    if isinstance(item, dict) and isinstance(item.get("column"), str) and item["column"]:
        where = f"operational column '{item['column']}': "
        _known_keys(item, ("column", "name", "touchpoint"), where)
        return Operational(column=item["column"],
                           name=_text_value(item.get("name"), "name", where, '"Wait (minutes)"') or item["column"],
                           touchpoint=_text_value(item.get("touchpoint"), "touchpoint", where, '"Check-in"'))
    raise MappingError("An operational column is a name or {\"column\": ..., \"touchpoint\": ...}.")


DERIVED_EXAMPLE = ('[{"name": "Delay days", "days_between": ["estimated", "delivered"]}, '
                   '{"name": "Delivery", "band": "Delay days", "edges": [0], "labels": ["on time", "late"]}]')


def derived_from_json(item: Any, position: int = 1) -> Derived:
    """Return one item of "derived"; raise MappingError naming the item and the fix."""
    where = f"\"derived\" item {position}"
    if not isinstance(item, dict):
        raise MappingError(f"{where} is an object such as {DERIVED_EXAMPLE}; got {item!r}.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MappingError(f"{where} needs a \"name\" (text), e.g. \"Delay days\".")
    where = f"derived column '{name}'"
    kinds = [k for k in ("days_between", "band") if k in item]
    allowed = {"name", *kinds, *(("edges", "labels") if kinds == ["band"] else ())}
    if len(kinds) != 1:
        raise MappingError(f"{where} takes one of \"days_between\" (two date columns) or \"band\" (a number "
                           f"column with \"edges\" and \"labels\"), e.g. {DERIVED_EXAMPLE}.")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise MappingError(f"{where} has unknown keys {unknown}: it takes {', '.join(sorted(allowed))}.")
    if kinds == ["days_between"]:
        pair = item["days_between"]
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(c, str) and c for c in pair):
            raise MappingError(f"{where}: \"days_between\" is two date column names, from the first date to the "
                               f"second, e.g. [\"estimated\", \"delivered\"]; got {pair!r}.")
        return Derived(name=name.strip(), days_between=(pair[0], pair[1]))
    source, edges, labels = item["band"], item.get("edges"), item.get("labels")
    if not isinstance(source, str) or not source:
        raise MappingError(f"{where}: \"band\" is the name of a number column (or of a days_between column); "
                           f"got {source!r}.")
    if (not isinstance(edges, list) or not edges or not all(
            isinstance(e, int | float) and not isinstance(e, bool) and math.isfinite(e) for e in edges)):
        raise MappingError(f"{where}: \"edges\" is a list of numbers, e.g. [0] or [0, 7]; got {edges!r}.")
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise MappingError(f"{where}: \"edges\" must rise, each above the one before, e.g. [0, 7]; got {edges!r}.")
    if (not isinstance(labels, list) or len(labels) != len(edges) + 1
            or not all(isinstance(label, str) and label.strip() for label in labels)):
        raise MappingError(f"{where}: \"labels\" is {len(edges) + 1} texts for {len(edges)} edge(s) — one below the "
                           f"first edge, one above each (a value equal to an edge takes the label below it), e.g. "
                           f"[\"on time\", \"late\"]; got {labels!r}.")
    return Derived(name=name.strip(), band=source, edges=tuple(float(e) for e in edges),
                   labels=tuple(label.strip() for label in labels))


def derived_to_json(d: Derived) -> dict[str, Any]:
    """Return a derived column as its JSON object."""
    if d.days_between is not None:
        return {"name": d.name, "days_between": list(d.days_between)}
    return {"name": d.name, "band": d.band, "edges": [_num(e) for e in d.edges], "labels": list(d.labels)}


# ---------------------------------------------------------------------- helpers for the page


def codes_from_text(text: str) -> tuple[Code, ...]:
    """Return not-applicable codes typed as "0; N/A" (numbers become numbers)."""
    codes: list[Code] = []
    for part in text.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            number = float(part)
        except ValueError:
            codes.append(part)
        else:
            codes.append(number if math.isfinite(number) else part)
    return tuple(codes)


def codes_to_text(codes: Iterable[Code]) -> str:
    """Return codes as the page shows them: "0; N/A"."""
    return "; ".join(f"{_num(c)}" if isinstance(c, float) else c for c in codes)


def scale_label(scale: tuple[float, float] | None) -> str:
    """Return "1–5" for a scale, "no scale" for None."""
    return "no scale" if scale is None else f"{_num(scale[0])}–{_num(scale[1])}"
