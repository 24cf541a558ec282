"""The checks of a mapping, as SQL: a `CheckPlan` turns staged text cells into typed values and says,
per problem, which rows have it. Running the plan (verdicts, the report) is `verdicts`' job.

Every SQL value is a bound parameter; the only identifiers are the generated `c1 … cN` / `v1 …` /
`n1 …` columns and the staging database's generated name (through `store.quote_ident`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from cx import names, store
from cx.dates import (
    date_fields_sql,
    date_from_fields_sql,
    decide_order,
    order_evidence_counts_sql,
    order_evidence_row_sql,
)
from cx.errors import MappingError
from cx.ingest.number_rule import decimal_comma_sql, number_sql, trim_sql
from cx.ingest.staging import Staged
from cx.mapping import ROW_ROLES, Mapping, Outcome, ScoreRule, scale_label

__all__ = [
    "MAX_SURVEYED", "ROW_WORD", "CheckPlan", "ProblemDef", "changed_names", "na_condition", "name_columns",
    "problem_defs", "survey_names",
]

ROW_WORD = "row"


@dataclass(frozen=True)
class ProblemDef:
    """One problem a check can find: its code in `cx_problems`, its name, column and fix."""

    code: int
    kind: str
    column: str | None
    fix: str
    value_column: str | None  # the staging column whose value is shown as an example


def name_columns(m: Mapping) -> tuple[str, ...]:
    """Return the file columns whose cells are names (single-line, cleaned by `names.clean_name_sql`)."""
    columns = [m.touchpoint if m.format == "long" else None, m.channel, m.stage, m.unit, *m.segments]
    return tuple(dict.fromkeys(c for c in columns if c is not None))


MAX_SURVEYED = 20_000  # distinct cells of a name column looked at in Python; past it, SQL does it all


def survey_names(con: Any, staged: Staged, m: Mapping) -> dict[str, tuple[tuple[str, str, int], ...] | None]:
    """Return, per name column of the mapping, its distinct cells as (raw, as trimmed, rows), or None past
    MAX_SURVEYED of them. One GROUP BY per column and staged file (kept on `staged`)."""
    for c in name_columns(m):
        if c in staged.columns and c not in staged.name_values:
            col = staged.col(c)
            found = con.execute(f"SELECT {col}, trim({col}), count(*) FROM {staged.raw} WHERE {col} IS NOT NULL "
                                f"GROUP BY {col} LIMIT ?", [MAX_SURVEYED + 1]).fetchall()
            staged.name_values[c] = None if len(found) > MAX_SURVEYED else tuple(
                (str(raw), str(trimmed), int(n)) for raw, trimmed, n in found)
    return {c: staged.name_values[c] for c in name_columns(m) if c in staged.columns}


def changed_names(values: Sequence[tuple[str, str, int]]) -> list[tuple[str, int]]:
    """Return the surveyed cells that `names.clean_name` changes beyond trimming, with their rows."""
    return [(raw, n) for raw, trimmed, n in values if (names.clean_name(raw) or None) != (trimmed or None)]


def _check_clean_names(m: Mapping) -> None:
    """Raise MappingError when two wide touchpoint columns get one name once names are made single-line."""
    if m.format != "wide":
        return
    seen: dict[str, str] = {}
    for item in m.touchpoints:
        clean = names.clean_name(item.name) or item.name
        if clean in seen and seen[clean] != item.name:
            raise MappingError(
                f"Touchpoint columns {seen[clean]!r} and {item.name!r} both become the touchpoint '{clean}' (names are "
                "one line of visible text: control and invisible characters go): give one of them its own name.")
        seen.setdefault(clean, item.name)


def date_columns(m: Mapping) -> tuple[str, ...]:
    """Return the file columns read by the date rule (`cx.dates`): the date column, unless it has a
    `timestamp_format`, and the dates of derived `days_between` columns."""
    columns = [None if m.timestamp_format else m.timestamp, *(c for d in m.derived for c in d.days_between or ())]
    return tuple(dict.fromkeys(c for c in columns if c is not None))


def na_condition(v: str, n: str, codes: Sequence[Any]) -> tuple[str, list[Any]]:
    """Return (SQL, params) true when a score cell holds a not-applicable code (FALSE when there are none)."""
    nums = [float(c) for c in codes if isinstance(c, float)]
    texts = [str(c).strip().lower() for c in codes if isinstance(c, str)]
    parts: list[str] = []
    params: list[Any] = []
    if texts:
        parts.append(f"coalesce(list_contains(?::VARCHAR[], lower({v})), false)")
        params.append(texts)
    if nums:
        parts.append(f"coalesce(list_contains(?::DOUBLE[], {n}), false)")
        params.append(nums)
    return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params


class CheckPlan:
    """The SQL of every check of a mapping over a staged file."""

    def __init__(self, staged: Staged, mapping: Mapping, *, clean: Collection[str] | None = None) -> None:
        """`clean`: the name columns whose cells need cleaning (default: every name column)."""
        self.staged = staged
        self.m = mapping
        self.clean = set(name_columns(mapping) if clean is None else clean)
        self.defs: list[ProblemDef] = []
        self.conds: dict[int, tuple[str, list[Any]]] = {}  # problem code -> (condition SQL, params), row by row
        # A wide file's touchpoint columns are checked as lists (cx_tv: texts, cx_tn: numbers, one item per
        # touchpoint, in mapping order) by one expression each, whatever their number; their problems take the
        # codes tp_first … tp_first + tp_per * K - 1 (per touchpoint: [decimal comma,] not a number, out of scale).
        self.tp_columns = [t.column for t in mapping.touchpoints] if mapping.format == "wide" else []
        self.tp_first = 0
        self.tp_per = 3 if mapping.decimal == "." else 2
        self._tp_index = {c: k for k, c in reversed(list(enumerate(self.tp_columns, start=1)))}
        self._tp_only = self._touchpoints_only()
        self.ok_conds: list[tuple[str, list[Any]]] = []  # what makes a row bad, cheap to evaluate on every row
        # Optional cells that cannot be read: the row loads without them (one condition per kind of cell).
        self.empties: list[tuple[ProblemDef, str, list[Any]]] = []
        self.verdicts = f"{store.quote_ident(staged.alias)}.verdicts"
        self._build()

    # -------------------------------------------------------------- helpers

    def v(self, column: str) -> str:
        """Return the typed text column of a file column (v1…, a touchpoint's cx_tv[k]) or of a derived column
        (dv1…)."""
        index = self._derived_index(column)
        if not index and column in self._tp_only:
            return f"cx_tv[{self._tp_index[column]}]"
        return f"dv{index}" if index else "v" + self.staged.col(column)[1:]

    def n(self, column: str) -> str:
        """Return the typed number column of a file column (n1…, a touchpoint's cx_tn[k]) or of a derived column
        (dn1…)."""
        index = self._derived_index(column)
        if not index and column in self._tp_only:
            return f"cx_tn[{self._tp_index[column]}]"
        return f"dn{index}" if index else "n" + self.staged.col(column)[1:]

    def _touchpoints_only(self) -> set[str]:
        """Return the touchpoint columns read by nothing else (they live only in the cx_tv / cx_tn lists)."""
        m = self.m
        others = {m.respondent, m.touchpoint, m.score, *(m.scale_columns or ()), *(getattr(m, r) for r in ROW_ROLES),
                  *m.segments, *(o.column for o in m.outcomes), *(o.column for o in m.operational),
                  *(c for d in m.derived for c in d.inputs)}
        return set(self.tp_columns) - others

    def _derived_index(self, column: str) -> int:
        return next((i for i, d in enumerate(self.m.derived, start=1) if d.name == column), 0)

    def _problem(self, kind: str, column: str | None, fix: str, cond: str, params: Sequence[Any] = (),
                 value: str | None = None, ok: tuple[str, Sequence[Any]] | None | bool = True) -> None:
        """Add a problem: `cond` classifies a bad row; `ok` is the (cheaper) condition that makes a row bad
        (True: the same as `cond`; None: covered by another problem's condition)."""
        code = len(self.defs) + 1
        self.defs.append(ProblemDef(code, kind, column, fix, value))
        self.conds[code] = (cond, list(params))
        if ok is True:
            self.ok_conds.append((cond, list(params)))
        elif isinstance(ok, tuple):
            self.ok_conds.append((ok[0], list(ok[1])))

    def _empty(self, kind: str, column: str, fix: str, cond: str, params: Sequence[Any] = ()) -> None:
        """Add a kind of optional cell left empty: `cond` is true for a row whose cell is loaded as no value.

        Only the respondent id, the touchpoint and the scores reject a row; a date, outcome or operational
        cell that cannot be read costs the row nothing but that value (the report counts and lists them).
        """
        raw = self.staged.col(column) if column in self.staged.columns else None  # a derived column: no cell
        self.empties.append((ProblemDef(len(self.empties) + 1, kind, column, fix, raw), cond,
                             list(params)))

    def _empty_flags(self) -> tuple[str, list[Any]]:
        """Return (", cond AS cx_e1, …", params): per row, which optional cells are left empty."""
        flags = "".join(f", coalesce({cond}, false) AS cx_e{d.code}" for d, cond, _ in self.empties)
        return flags, [x for _, _, p in self.empties for x in p]

    # -------------------------------------------------------------- build

    def _build(self) -> None:
        m, s = self.m, self.staged
        m.check_columns(s.columns)
        # How each date column reads 03/04/2024 (evidence gathered by the verdict pass, `evidence_columns`;
        # day first without it, or the mapping's "date_order").
        self.dates = {c: decide_order(c, *s.date_evidence.get(c, (0, 0, 0)), given=m.date_order)
                      for c in date_columns(m)}
        # The date columns whose evidence is not known yet: the verdict pass gathers it as it types the rows,
        # and runs again only when the evidence turns the reading the other way round (month first).
        self.unread_dates = [c for c in self.dates if c not in s.date_evidence]
        _check_clean_names(m)
        used = m.columns_used()
        numeric = {c for c in (m.score, *(t.column for t in m.touchpoints), *(o.column for o in m.operational),
                               *(m.scale_columns or ()), *(o.column for o in m.outcomes)) if c is not None}
        numeric |= {d.band for d in m.derived if d.band is not None and m.derived_named(d.band) is None}
        # Trim what is compared or grouped; a long free text (comment) or a date is kept as read:
        # trimming millions of long cells costs more than the whole CSV parse. Names are made
        # single-line and NFC (cx.names); NUL characters leave ids and comments.
        untrimmed = {m.comment, m.timestamp} - {None}
        # A name column whose cells are all clean already (most) is only trimmed: the cleaning's regular
        # expressions cost as much as the CSV parse on millions of cells.
        cleaned = self.clean

        def text(c: str) -> str:
            col = s.col(c)
            if c in cleaned:
                return names.clean_name_sql(col)
            if c == m.comment:  # a copy of every comment only where one holds a NUL character
                return f"CASE WHEN contains({col}, chr(0)) THEN {names.strip_nul_sql(col)} ELSE {col} END"
            if c in untrimmed:
                return col
            if c == m.respondent:  # NUL characters are rare: the replace only runs on a cell that holds one
                return (f"CASE WHEN contains({col}, chr(0)) THEN nullif(trim({names.strip_nul_sql(col)}), '') "
                        f"ELSE nullif({trim_sql(col)}, '') END")
            return f"nullif({trim_sql(col)}, '')"

        listed = self._tp_only
        # The text value of each file column, by its typed column (v1…): SQL over the staged cells alone.
        self.texts = {self.v(c): text(c) for c in used if c not in listed}
        # Loading reads the text columns again from the staged cells (not stored twice): a row whose every such
        # cell is its own text value (nothing to trim, clean or remove: most rows) is marked cx_plain by the
        # verdict pass (a comparison beside each text it computes anyway), and loading takes its cells as they are.
        reread = set(self.reread_texts())
        self.plain = {v: s.col(c) for c in used if c not in listed and (v := self.v(c)) in reread}
        same = [f"{self.texts[v]} IS NOT DISTINCT FROM {col}" for v, col in self.plain.items()]
        plain_flag = [f"({' AND '.join(same)}) AS cx_plain"] if same else []
        # Which ids and comments held NUL characters (stored without them; the report counts them).
        nul = [c for c in dict.fromkeys((m.respondent, m.comment)) if c is not None and c in s.columns]
        self.nul_flags = {c: f"cx_nul{i}" for i, c in enumerate(nul, start=1)}
        plain_flag += [f"contains({s.col(c)}, chr(0)) AS {flag}" for c, flag in self.nul_flags.items()]
        texts = [f"{sql} AS {v}" for v, sql in self.texts.items()]
        # Every numeric column read by the number rule (NULL: the cell holds no number), beside its text.
        nums = [f"{number_sql(s.col(c), m.decimal)} AS {self.n(c)}" for c in used if c in numeric and c not in listed]
        if self.tp_columns:  # the touchpoint columns as two lists: one expression each, whatever their number
            cells = "[" + ", ".join(s.col(c) for c in self.tp_columns) + "]"
            texts.append(f"list_transform({cells}, lambda x: nullif({trim_sql('x')}, '')) AS cx_tv")
            nums.append(f"list_transform({cells}, lambda x: {number_sql('x', m.decimal)}) AS cx_tn")
        all_blank = "coalesce(" + ", ".join(f"c{i}" for i in range(1, len(s.columns) + 1)) + ") IS NULL"
        self.base = (f"SELECT rowid + 1 AS cx_row, {all_blank} AS cx_empty"
                     + "".join(f", {t}" for t in (*texts, *nums, *self._date_fields(), *plain_flag))
                     + f" FROM {s.raw}")
        self._checks()

    def f(self, column: str) -> str:
        """Return the column of a date column's fields (`cx.dates.date_fields_sql`), read once per row."""
        return "f" + self.staged.col(column)[1:]

    def _date_fields(self) -> list[str]:
        return [f"{date_fields_sql(self.staged.col(c))} AS {self.f(c)}" for c in self.dates]

    def evidence_columns(self) -> dict[str, str]:
        """Return, per date column without evidence yet, the stored column (cx_dq1…) of each row's evidence on
        how 03/04/2024 reads: NULL unless the cell is a number date, else 1 when its first number is above 12,
        plus 2 when its second one is (`cx.dates.order_evidence_row_sql`, kept per row)."""
        return {c: f"cx_dq{i}" for i, c in enumerate(self.unread_dates, start=1)}

    def _evidence_sql(self) -> list[str]:
        return [f"{order_evidence_row_sql(self.f(c))} AS {name}" for c, name in self.evidence_columns().items()]

    def evidence_sql(self) -> str:
        """Return the SELECT list, over the verdicts, of each `evidence_columns` column's three counts in order:
        number dates, with a first number above 12, with a second number above 12."""
        return ", ".join(order_evidence_counts_sql(n) for n in self.evidence_columns().values())

    def _score_checks(self, label: str | None, v: str, n: str, na: tuple[str, list[Any]],
                      bounds: tuple[str, str, list[Any]], guard: str = "TRUE") -> None:
        """Add the decimal-comma, not-a-number and out-of-scale checks of one score column."""
        na_sql, na_params = na
        lo, hi, bound_params = bounds
        comma = decimal_comma_sql(v)
        not_number = f"{v} IS NOT NULL AND {n} IS NULL AND NOT {na_sql}"
        if self.m.decimal == ".":
            self._problem("decimal comma", label, _COMMA_FIX, f"{not_number} AND {comma}", na_params, value=v, ok=None)
        self._problem("not a number", label, _NUMBER_FIX,
                      not_number + (f" AND NOT {comma}" if self.m.decimal == "." else ""), na_params, value=v,
                      ok=(not_number, na_params))
        self._problem("out of scale", label, _SCALE_FIX,
                      f"{n} IS NOT NULL AND NOT {na_sql} AND {guard} AND ({n} < {lo} OR {n} > {hi})",
                      [*na_params, *bound_params], value=v)

    def tp_sql(self) -> tuple[list[str], list[Any]]:
        """Return the SQL of the touchpoint lists' verdicts (cx_tna: the cell holds a not-applicable code;
        cx_tprob: the cell's problem, 0… within its touchpoint's codes, NULL when none) and their params.

        The same checks as `_score_checks`, per cell, with each touchpoint's scale and codes taken from lists.
        """
        if not self.tp_columns:
            return [], []
        rules = [self.m.wide_rule(t) for t in self.m.touchpoints]
        texts = [[str(c).strip().lower() for c in r.not_applicable if isinstance(c, str)] for r in rules]
        nums = [[float(c) for c in r.not_applicable if isinstance(c, float)] for r in rules]
        lows = [r.scale[0] if r.scale else None for r in rules]
        highs = [r.scale[1] if r.scale else None for r in rules]
        na = ("(coalesce(list_contains((?::VARCHAR[][])[i], lower(v)), false) "
              "OR coalesce(list_contains((?::DOUBLE[][])[i], cx_tn[i]), false))")
        not_number = f"v IS NOT NULL AND cx_tn[i] IS NULL AND NOT {na}"
        offset = f"CASE WHEN {decimal_comma_sql('v')} THEN 0 ELSE 1 END" if self.m.decimal == "." else "0"
        problem = (f"CASE WHEN {not_number} THEN {offset} WHEN cx_tn[i] IS NOT NULL AND NOT {na} AND "
                   f"(cx_tn[i] < (?::DOUBLE[])[i] OR cx_tn[i] > (?::DOUBLE[])[i]) THEN {self.tp_per - 1} END")
        return ([f"list_transform(cx_tv, lambda v, i: {na}) AS cx_tna",
                 f"list_transform(cx_tv, lambda v, i: {problem}) AS cx_tprob"],
                [texts, nums, texts, nums, texts, nums, lows, highs])

    def tp_codes_sql(self) -> str:
        """Return the SQL of a row's touchpoint problem codes (a list, in touchpoint order)."""
        return (f"list_filter(list_transform(cx_tprob, lambda p, i: {self.tp_first} + (i - 1) * {self.tp_per} + p), "
                "lambda x: x IS NOT NULL)")

    def value_sql(self, code: str) -> str:
        """Return the SQL of the cell shown as an example of problem `code` (an SQL expression) in a bad row."""
        tp = ""
        if self.tp_columns:
            last = self.tp_first + self.tp_per * len(self.tp_columns) - 1
            tp = f"WHEN {code} BETWEEN {self.tp_first} AND {last} THEN cx_tv[({code} - {self.tp_first}) // " \
                 f"{self.tp_per} + 1] "
        others = "".join(f"WHEN {code} = {d.code} THEN CAST({d.value_column} AS VARCHAR) "
                         for d in problem_defs(self) if d.value_column and not self._in_tp(d.code))
        return f"CASE {tp}{others}END" if tp or others else "NULL"

    def _in_tp(self, code: int) -> bool:
        return bool(self.tp_columns) and self.tp_first <= code < self.tp_first + self.tp_per * len(self.tp_columns)

    def _checks(self) -> None:
        m = self.m
        self._problem("empty row", None, "Every cell of the row is blank: delete the row.", "cx_empty")
        if m.respondent:
            self._problem("missing respondent id", m.respondent,
                          "Fill in the respondent id, or map no respondent column (rows are then numbered).",
                          f"{self.v(m.respondent)} IS NULL AND NOT cx_empty")
        if m.format == "wide":
            self.tp_first = len(self.defs) + 1
            for item in m.touchpoints:  # the problems each touchpoint column can have (checked as lists: tp_sql)
                v = self.v(item.column)
                if m.decimal == ".":
                    self.defs.append(ProblemDef(len(self.defs) + 1, "decimal comma", item.column, _COMMA_FIX, v))
                self.defs.append(ProblemDef(len(self.defs) + 1, "not a number", item.column, _NUMBER_FIX, v))
                self.defs.append(ProblemDef(len(self.defs) + 1, "out of scale", item.column, _SCALE_FIX, v))
        else:
            tp, v, n = self.v(m.touchpoint or ""), self.v(m.score or ""), self.n(m.score or "")
            self._problem("missing touchpoint", m.touchpoint, "Fill in the touchpoint name, or delete the row.",
                          f"{tp} IS NULL AND NOT cx_empty")
            if m.scale_columns:
                for col in m.scale_columns:
                    self._problem("scale not a number", col, "Give the scale's bounds as numbers, e.g. 1 and 5.",
                                  f"{self.v(col)} IS NOT NULL AND {self.n(col)} IS NULL", value=self.v(col))
            self._problem("no scale", m.touchpoint,
                          "Set a scale for this touchpoint (or a default scale, or scale columns).",
                          f"{tp} IS NOT NULL AND (cx_lo IS NULL OR cx_hi IS NULL)", value=tp)
            self._problem("scale top not above bottom", m.touchpoint,
                          "The scale's top must be above its bottom: fix the scale columns or settings.",
                          "cx_lo IS NOT NULL AND cx_hi IS NOT NULL AND cx_hi <= cx_lo", value=tp)
            self._score_checks(m.score, v, n, ("cx_na", []), ("cx_lo", "cx_hi", []), guard="cx_hi > cx_lo")
        if m.timestamp:
            fmt = m.timestamp_format
            forms = (f"the format {fmt} (or remove \"timestamp_format\" to read the usual forms)" if fmt else
                     "2024-03-31, 31/03/2024, 31 March 2024, 31st March 2024, March 31, 2024 or an Excel day number")
            self._empty(
                "unreadable date", m.timestamp,
                f"The row loads without a date. Dates are read when written as {forms}, with an optional time: fix "
                "the cell, or set \"timestamp_format\" in the mapping (e.g. %d %b %Y %H:%M).",
                f"CASE WHEN cx_ts IS NOT NULL THEN false ELSE nullif(trim({self.v(m.timestamp)}), '') IS NOT NULL END")
        for outcome in m.outcomes:
            self._outcome_checks(outcome)
        for op in m.operational:
            self._empty("not a number", op.column, "The row loads without this value. Operational values are "
                        "numbers (e.g. minutes): fix the cell.",
                        f"{self.v(op.column)} IS NOT NULL AND {self.n(op.column)} IS NULL")
        self._derived_checks()

    def _derived_checks(self) -> None:
        """Leave a derived column empty, with the reason, where a date it reads or the number it bands cannot be
        read (a date already read as the row's date is counted once, there)."""
        m = self.m
        counted = {m.timestamp} if m.timestamp and not m.timestamp_format else set()
        for d in m.derived:
            for c in d.days_between or ():
                if c not in counted:
                    counted.add(c)
                    ts = date_from_fields_sql(self.v(c), self.f(c), self.dates[c].order)
                    self._empty("unreadable date", c, f"'{d.name}' is left empty for this row (days between two "
                                "dates need both). Dates are read when written as 2024-03-31, 31/03/2024, 31 March "
                                "2024, March 31, 2024 or an Excel day number: fix the cell.",
                                f"CASE WHEN {ts} IS NOT NULL THEN false ELSE nullif(trim({self.v(c)}), '') IS NOT NULL "
                                "END")
            if d.band is not None and m.derived_named(d.band) is None and d.band not in counted:
                counted.add(d.band)
                self._empty("not a number", d.band, f"'{d.name}' is left empty for this row: a band reads a "
                            "number. Fix the cell.", f"{self.v(d.band)} IS NOT NULL AND {self.n(d.band)} IS NULL")

    def _derived_sql(self) -> tuple[str, list[Any]]:
        """Return (", text AS dv1, number AS dn1, …", params): each derived column, from the typed file columns.

        days_between: calendar days from the first date to the second (NULL when either is missing or cannot
        be read); band: labels[i], i = how many edges lie strictly below the value (NULL stays NULL).
        """
        numbers: dict[str, str] = {}
        parts: list[str] = []
        params: list[Any] = []
        for i, d in enumerate(self.m.derived, start=1):
            if d.days_between is not None:
                first, second = (f"CAST({date_from_fields_sql(self.v(c), self.f(c), self.dates[c].order)} AS DATE)"
                                 for c in d.days_between)
                days = f"date_diff('day', {first}, {second})"
                numbers[d.name] = f"CAST({days} AS DOUBLE)"
                parts.append(f"CAST({days} AS VARCHAR) AS dv{i}, {numbers[d.name]} AS dn{i}")
                continue
            value = numbers.get(d.band or "") or self.n(d.band or "")
            steps = " ".join(f"WHEN {value} <= ? THEN ?" for _ in d.edges)
            parts.append(f"CASE WHEN {value} IS NULL THEN NULL {steps} ELSE ? END AS dv{i}, NULL::DOUBLE AS dn{i}")
            labels = [names.clean_name(label) or label for label in d.labels]
            params += [x for edge, label in zip(d.edges, labels, strict=False) for x in (edge, label)] + [labels[-1]]
        return "".join(f", {p}" for p in parts), params

    def _outcome_checks(self, o: Outcome) -> None:
        v, n = self.v(o.column), self.n(o.column)
        without = "The row loads without this outcome (its answers load). "
        if o.kind == "binary":
            if o.negative:
                self._empty(
                    "neither positive nor negative", o.column,
                    f"{without}Outcome values are {', '.join(o.positive)} (positive) or {', '.join(o.negative)}: fix "
                    "the cell, or add the value to the outcome's positive/negative values.",
                    f"{v} IS NOT NULL AND NOT list_contains(?::VARCHAR[], lower({v})) AND "
                    f"NOT list_contains(?::VARCHAR[], lower({v}))",
                    [[p.lower() for p in o.positive], [x.lower() for x in o.negative]])
            return
        self._empty("outcome not a number", o.column, f"{without}The outcome must be a number: fix the cell.",
                    f"{v} IS NOT NULL AND {n} IS NULL")
        if o.kind == "nps":
            self._empty("not a whole number 0–10", o.column,
                        f"{without}A recommend (NPS) answer is a whole number from 0 to 10: fix the cell, or map the "
                        "column as a 'score' outcome with its own scale.",
                        f"{n} IS NOT NULL AND ({n} < 0 OR {n} > 10 OR {n} <> round({n}))")
        elif o.kind == "score" and o.scale is not None:
            self._empty("outcome out of scale", o.column,
                        f"{without}The outcome's scale is {scale_label(o.scale)}: pick the right scale or fix the "
                        "cell.",
                        f"{n} IS NOT NULL AND ({n} < ? OR {n} > ?)", [o.scale[0], o.scale[1]])

    def outcome_cell(self, index: int) -> str:
        """Return the typed column of outcome `index` (1…): its value as loaded, NULL where the cell is left empty."""
        return f"cx_o{index}"

    def _outcome_cells(self) -> tuple[list[str], list[Any]]:
        """Return the SQL of every outcome's loadable value (text for binary, a number otherwise) and its params."""
        cells: list[str] = []
        params: list[Any] = []
        for i, o in enumerate(self.m.outcomes, start=1):
            v, n = self.v(o.column), self.n(o.column)
            if o.kind == "binary" and o.negative:
                cells.append(f"CASE WHEN list_contains(?::VARCHAR[], lower({v})) THEN {v} END AS cx_o{i}")
                params.append([x.lower() for x in (*o.positive, *o.negative)])
            elif o.kind == "binary":
                cells.append(f"{v} AS cx_o{i}")
            elif o.kind == "nps":
                cells.append(f"CASE WHEN {n} BETWEEN 0 AND 10 AND {n} = round({n}) THEN {n} END AS cx_o{i}")
            elif o.kind == "score" and o.scale is not None:
                cells.append(f"CASE WHEN {n} BETWEEN ? AND ? THEN {n} END AS cx_o{i}")
                params += [o.scale[0], o.scale[1]]
            else:
                cells.append(f"{n} AS cx_o{i}")
        return cells, params

    def na_sql(self, v: str, n: str, rule: ScoreRule) -> tuple[str, list[Any]]:
        return na_condition(v, n, rule.not_applicable)

    # -------------------------------------------------------------- the checked rows

    def typed(self, *, only_rejected: bool = False, rows: str | None = None) -> tuple[str, list[Any]]:
        """Return (SQL, params) of a query with one row per staged row, in file order: typed values.

        `only_rejected`: only the rows whose stored verdict is a rejection; `rows`: only the rows whose
        `cx_row` the SQL subquery `rows` returns (the checks are evaluated again for those rows only: the
        row filter sits in the scan, under every expression).
        """
        m = self.m
        params: list[Any] = []
        join_params: list[Any] = []
        extra: list[str] = []
        join = ""
        if m.format == "long":
            tp, n = self.v(m.touchpoint or ""), self.n(m.score or "")
            rules = [(name, m.rule_for(name)) for name, _ in m.per_touchpoint]
            default = m.rule_for("\x00 no such touchpoint")
            d_nums = [float(c) for c in default.not_applicable if isinstance(c, float)]
            d_texts = [str(c).strip().lower() for c in default.not_applicable if isinstance(c, str)]
            if rules:
                values = ", ".join("(?, ?, ?, ?, ?::VARCHAR[], ?::DOUBLE[], ?, ?)" for _ in rules)
                join = (f" LEFT JOIN (VALUES {values}) AS rules(tp, lo, hi, rev, na_txt, na_num, stage, channel) "
                        f"ON rules.tp = {tp}")
                for name, rule in rules:
                    params_rule = [
                        names.clean_name(name), rule.scale[0] if rule.scale else None,
                        rule.scale[1] if rule.scale else None, rule.reversed,
                        [str(c).strip().lower() for c in rule.not_applicable if isinstance(c, str)],
                        [float(c) for c in rule.not_applicable if isinstance(c, float)], rule.stage, rule.channel,
                    ]
                    join_params += params_rule
                r_lo, r_hi, r_rev = "rules.lo", "rules.hi", "rules.rev"
                r_txt, r_num, r_stage, r_channel = "rules.na_txt", "rules.na_num", "rules.stage", "rules.channel"
            else:
                r_lo = r_hi = r_rev = r_txt = r_num = r_stage = r_channel = "NULL"
            lo_col = self.n(m.scale_columns[0]) if m.scale_columns else "NULL"
            hi_col = self.n(m.scale_columns[1]) if m.scale_columns else "NULL"
            lo_default = default.scale[0] if default.scale else None
            hi_default = default.scale[1] if default.scale else None
            extra += [
                f"coalesce({r_lo}, {lo_col}, ?::DOUBLE) AS cx_lo", f"coalesce({r_hi}, {hi_col}, ?::DOUBLE) AS cx_hi",
                f"coalesce({r_rev}, ?) AS cx_rev",
            ]
            params += [lo_default, hi_default, default.reversed]
            score_v = self.v(m.score or "")
            if rules:
                extra.append(
                    f"({score_v} IS NOT NULL AND (list_contains(coalesce({r_txt}, ?::VARCHAR[]), lower({score_v})) "
                    f"OR coalesce(list_contains(coalesce({r_num}, ?::DOUBLE[]), {n}), false))) AS cx_na")
                params += [d_texts, d_nums]
            else:
                na_sql, na_params = na_condition(score_v, n, default.not_applicable)
                extra.append(f"{na_sql} AS cx_na")
                params += na_params
            extra += [f"{r_stage} AS cx_rule_stage", f"{r_channel} AS cx_rule_channel"]
        if m.timestamp:
            v = self.v(m.timestamp)
            if m.timestamp_format:
                extra.append(f"try_strptime({v}, ?) AS cx_ts")
                params.append(m.timestamp_format)
            else:
                order = self.dates[m.timestamp].order
                extra.append(f"{date_from_fields_sql(v, self.f(m.timestamp), order)} AS cx_ts")
        extra += self._evidence_sql()
        outcome_cells, outcome_params = self._outcome_cells()
        extra += outcome_cells
        params += outcome_params
        tp_cells, tp_params = self.tp_sql()
        extra += tp_cells
        params += tp_params
        params += join_params
        base = self.base
        if only_rejected:
            rows = f"SELECT cx_row FROM {self.verdicts} WHERE NOT cx_ok"
        if rows is not None:
            base += f" WHERE rowid IN (SELECT cx_row - 1 FROM ({rows}))"
        derived, derived_params = self._derived_sql()
        if derived:  # computed over the typed file columns, before anything reads them
            base = f"SELECT *{derived} FROM ({base})"
            params = derived_params + params
        head = "WITH base AS (" + base + "), "
        head += "typed AS (SELECT base.*" + "".join(f", {x}" for x in extra) + f" FROM base{join}), "
        respondent = (f"coalesce({self.v(m.respondent)}, '{ROW_WORD} ' || typed.cx_row)" if m.respondent
                      else f"'{ROW_WORD} ' || typed.cx_row")
        typed = head + f"rows AS (SELECT typed.*, {respondent} AS cx_respondent FROM typed) SELECT * FROM rows"
        return typed, params

    def ok_expression(self) -> tuple[str, list[Any]]:
        """Return (SQL, params) of the boolean over the typed columns: the row passes every check."""
        bad_parts = [f"coalesce({cond}, false)" for cond, _ in self.ok_conds]
        ok_params = [x for _, p in self.ok_conds for x in p]
        if self.tp_columns:  # a touchpoint cell with a problem
            bad_parts.append("list_count(cx_tprob) > 0")
        return ("NOT (" + " OR ".join(bad_parts) + ")" if bad_parts else "TRUE"), ok_params

    def count_columns(self) -> tuple[str, list[Any]]:
        """Return (", expr AS cx_answers, …", params): per-row counts of answers, n/a codes and blank scores,
        and which optional cells are left empty (`cx_e1` …)."""
        counts, params = self._answer_counts()
        flags, flag_params = self._empty_flags()
        return counts + flags, params + flag_params

    def _answer_counts(self) -> tuple[str, list[Any]]:
        m = self.m
        if m.format == "long":
            return (f", 1 AS cx_answers, cx_na::INTEGER AS cx_na_n, ({self.v(m.score or '')} IS NULL)::INTEGER "
                    "AS cx_blank_n"), []
        if not m.touchpoints:  # an outcome-only data set: outcomes and segments, no answers
            return ", 0 AS cx_answers, 0 AS cx_na_n, 0 AS cx_blank_n", []
        return (", list_count(cx_tv) AS cx_answers, len(list_filter(cx_tna, lambda x: x)) AS cx_na_n, "
                "len(cx_tv) - list_count(cx_tv) AS cx_blank_n"), []

    def constants(self) -> dict[str, tuple[str, list[Any]]]:
        """Return the typed columns that hold one value on every row, each as (SQL, params): a long file whose
        touchpoints share the default rule (no per-touchpoint rules, no scale columns) has one scale, one
        direction and no rule's stage or channel; a score rule without not-applicable codes finds none.

        They are not stored beside the verdicts (each would be a column of millions of equal values): `checked`
        writes them into its rows instead."""
        m = self.m
        if m.format != "long" or m.per_touchpoint or m.scale_columns:
            return {}
        default = m.rule_for("\x00 no such touchpoint")
        lo, hi = default.scale if default.scale else (None, None)
        found: dict[str, tuple[str, list[Any]]] = {
            "cx_lo": ("?::DOUBLE", [lo]), "cx_hi": ("?::DOUBLE", [hi]), "cx_rev": ("?::BOOLEAN", [default.reversed]),
            "cx_rule_stage": ("NULL::VARCHAR", []), "cx_rule_channel": ("NULL::VARCHAR", []),
        }
        if not default.not_applicable:
            found["cx_na"] = ("FALSE", [])
        return found

    def stored_columns(self) -> list[str]:
        """Return the typed columns kept beside each row's verdict: what loading reads (`cx.ingest.loading`)
        and cannot cheaply compute again.

        Numbers, dates, scales, outcomes and derived columns are computed once, in the pass that finds the
        verdicts, and stored with them; a text column is only trimmed (or cleaned) from its staged cell,
        so `checked` computes it again instead of holding millions of strings twice (`reread_texts`).
        """
        m = self.m
        kept = ["cx_row"]
        if m.format == "long":
            kept += [self.n(m.score or ""), "cx_na", "cx_lo", "cx_hi", "cx_rev", "cx_rule_stage", "cx_rule_channel"]
        elif self.tp_columns:
            kept += ["cx_tv", "cx_tn", "cx_tna"]
        if m.timestamp:
            kept.append("cx_ts")
        kept += [v for v in self.reread_texts() if v not in self.texts]  # derived columns
        kept += [self.outcome_cell(i) for i in range(1, len(m.outcomes) + 1)]
        kept += [self.n(op.column) for op in m.operational]
        kept += list(self.evidence_columns().values())
        if self.plain:
            kept.append("cx_plain")
        kept += list(self.nul_flags.values())
        constant = self.constants()
        return [c for c in dict.fromkeys(kept) if c not in constant]

    def reread_texts(self) -> list[str]:
        """Return the text columns loading reads (v1…, dv1…), the respondent's first."""
        m = self.m
        texts = [m.respondent, m.touchpoint if m.format == "long" else None, m.channel, m.stage, m.unit, m.comment,
                 *m.segments]
        return list(dict.fromkeys(self.v(c) for c in texts if c is not None))

    def checked(self) -> tuple[str, list[Any]]:
        """Return (SQL, params): every staged row, in file order, with its stored typed values (`stored_columns`),
        the text columns loading reads, `cx_respondent`, `cx_ok` and `cx_dup_of` (needs `verdicts.prepare`)."""
        m = self.m
        constant = self.constants()
        fixed = "".join(f", {sql} AS {name}" for name, (sql, _) in constant.items())
        params = [x for _, p in constant.values() for x in p]
        texts = [v for v in self.reread_texts() if v in self.texts]
        if not texts:
            return f"SELECT *, '{ROW_WORD} ' || cx_row AS cx_respondent{fixed} FROM {self.verdicts}", params
        cells = "".join(f", CASE WHEN cx_plain THEN {self.plain[v]} ELSE {self.texts[v]} END AS {v}" if v in self.plain
                        else f", {self.texts[v]} AS {v}" for v in texts)
        respondent = (f"coalesce({self.v(m.respondent)}, '{ROW_WORD} ' || cx_row)" if m.respondent
                      else f"'{ROW_WORD} ' || cx_row")
        reread = f"SELECT k.*{cells} FROM {self.staged.raw} POSITIONAL JOIN {self.verdicts} k"
        return f"SELECT *, {respondent} AS cx_respondent{fixed} FROM ({reread})", params

    def bad(self) -> tuple[str, list[Any]]:
        """Return (SQL, params) of the rejected rows only, each with `cx_problems` (a list of problem codes)."""
        typed, params = self.typed(only_rejected=True)
        sql = (f"SELECT t.*, k.cx_ok, k.cx_dup_of FROM ({typed}) t "
               f"JOIN (SELECT cx_row, cx_ok, cx_dup_of FROM {self.verdicts} WHERE NOT cx_ok) k USING (cx_row)")
        before = [(code, c) for code, c in self.conds.items() if code < self.tp_first or not self.tp_columns]
        after = [(code, c) for code, c in self.conds.items() if (code, c) not in before]
        case_params = [x for _, (_, p) in (*before, *after) for x in p]

        def listed(items: list[tuple[int, tuple[str, list[Any]]]]) -> str:
            cases = [f"CASE WHEN coalesce({cond}, false) THEN {code} END" for code, (cond, _) in items]
            return "list_filter([" + ", ".join(cases) + "], lambda x: x IS NOT NULL)" if cases else "[]::INTEGER[]"

        dup = f"list_filter([CASE WHEN cx_dup_of IS NOT NULL THEN {len(self.defs) + 1} END], lambda x: x IS NOT NULL)"
        # Codes in order: the row's problems before the touchpoints', the touchpoints', the rest, the duplicate.
        problems = " || ".join([listed(before), *([self.tp_codes_sql()] if self.tp_columns else []), listed(after),
                                dup])
        return f"SELECT *, {problems} AS cx_problems FROM ({sql})", case_params + params

    def dup_keys(self) -> list[str]:
        """Return the value columns whose equal values make two valid rows duplicates."""
        m = self.m
        if not m.respondent:
            return []
        if m.format == "wide":
            return [self.v(m.respondent)]
        keys = [self.v(m.respondent), self.v(m.touchpoint or "")]
        keys += [self.v(c) for c in (m.channel, m.unit, m.timestamp) if c]
        return keys


_COMMA_FIX = "The score uses a decimal comma: set the decimal separator to ',' (or type 4.5)."
_NUMBER_FIX = ("Type the score as a number (e.g. 4), or add this text to the not-applicable codes if it means "
               "'not applicable'.")
_SCALE_FIX = "Pick the right scale, add the value to the not-applicable codes, or fix the cell."


def problem_defs(plan: CheckPlan) -> list[ProblemDef]:
    """Return every problem the plan can report: its checks' problems, then the duplicate rows."""
    return [*plan.defs, _dup_problem(plan)]


def _dup_problem(plan: CheckPlan) -> ProblemDef:
    m = plan.m
    if m.format == "wide":
        return ProblemDef(len(plan.defs) + 1, "duplicate respondent", m.respondent,
                           "This respondent id already has an earlier row (which is loaded): keep one row per "
                           "respondent, or give each respondent its own id.",
                           plan.v(m.respondent) if m.respondent else None)
    key = ", ".join(c for c in ("respondent", "touchpoint", m.channel and "channel", m.unit and "unit",
                                m.timestamp and "time") if c)
    return ProblemDef(len(plan.defs) + 1, "duplicate answer", m.touchpoint,
                       f"An earlier row has the same {key} (it is loaded): delete the repeat.",
                       plan.v(m.touchpoint) if m.touchpoint else None)
