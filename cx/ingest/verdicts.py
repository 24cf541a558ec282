"""Verdicts: the checks of a mapping run over a staged file — each row passes or is rejected (with
every problem it has) — summed up in a `Report` (rows read = rows to load + rows rejected), and the
rejected rows with their reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cx import exports, names, store
from cx.ingest.checks import CheckPlan, changed_names, problem_defs, survey_names
from cx.ingest.staging import Staged
from cx.mapping import Mapping

__all__ = [
    "PARSE_PROBLEMS", "Problem", "Report", "check", "name_notes", "prepare", "problems_text",
    "rejected_rows", "rejects_csv",
]


@dataclass(frozen=True)
class Problem:
    """One kind of problem: how many rows have it, the first of them, and what to do."""

    kind: str
    column: str | None
    rows: int
    first_rows: tuple[int, ...]
    examples: tuple[str, ...]
    fix: str
    unit: str = "row"  # "row" (data row, header not counted) or "line" (line of the file)

    def sentence(self) -> str:
        """Return the problem in one line: where, how many, examples, the fix."""
        where = f"column '{self.column}': " if self.column else ""
        noun = self.unit if self.rows == 1 else f"{self.unit}s"
        shown = ", ".join(map(str, self.first_rows)) + (", …" if self.rows > len(self.first_rows) else "")
        examples = ""
        if self.examples:
            examples = " (e.g. " + ", ".join(repr(e) for e in self.examples[:3]) + ")"
        return f"{where}{self.kind} in {self.rows:,} {noun} ({self.unit} {shown}){examples}. {self.fix}"


@dataclass(frozen=True)
class Report:
    """What an import would do: row accounting, answers, and every problem."""

    rows_read: int
    rows_valid: int
    rows_rejected: int
    answers: int
    not_applicable: int
    blank: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    blank_as_na: bool = False  # long format: a blank score is an answer without a score
    emptied: tuple[Problem, ...] = ()  # optional cells of loaded rows that are left empty, each with its reason

    @property
    def cells_left_empty(self) -> int:
        """Return how many cells of loaded rows are left empty because they cannot be read."""
        return sum(p.rows for p in self.emptied)

    def accounting(self) -> str:
        """Return the sentence that proves nothing is dropped (and counts the cells left empty)."""
        text = (f"Rows read {self.rows_read:,} = rows to load {self.rows_valid:,} + rows rejected "
                f"{self.rows_rejected:,}.")
        if self.emptied:
            text += (f" {self.cells_left_empty:,} cell{'s' if self.cells_left_empty != 1 else ''} of those rows "
                     "cannot be read and are left empty, each with its reason; the rows load without them.")
        return text

    def summary(self) -> list[str]:
        lines = [self.accounting()]
        if self.not_applicable:
            lines.append(f"{self.not_applicable:,} answers carry a not-applicable code: they are loaded as "
                         "'not applicable' (no score), not rejected.")
        if self.blank and self.blank_as_na:
            lines.append(f"{self.blank:,} scores are blank: those answers are loaded as 'not applicable' (no score).")
        elif self.blank:
            lines.append(f"{self.blank:,} touchpoint cells are blank: no answer is stored for them.")
        return lines

    def emptied_frame(self) -> pd.DataFrame:
        """Return one row per kind of cell left empty: why, where, how many, the first rows, what to do."""
        return pd.DataFrame([{
            "left empty because": p.kind, "column": p.column, "count": p.rows,
            "first rows": "row " + ", ".join(map(str, p.first_rows)), "examples": " | ".join(p.examples[:3]),
            "what to do": p.fix,
        } for p in self.emptied], columns=["left empty because", "column", "count", "first rows", "examples",
                                           "what to do"])

    def problems_frame(self) -> pd.DataFrame:
        """Return one row per problem for display: what, where, how many, the first rows, the fix."""
        return pd.DataFrame([{
            "problem": p.kind, "column": p.column or "(whole row)", "count": p.rows,
            "first rows": f"{p.unit} " + ", ".join(map(str, p.first_rows)),
            "examples": " | ".join(p.examples[:3]), "what to do": p.fix,
        } for p in self.problems], columns=["problem", "column", "count", "first rows", "examples", "what to do"])


PARSE_PROBLEMS: dict[str, tuple[str, str]] = {
    "TOO MANY COLUMNS": ("ragged row: more fields than the header",
                         "A delimiter inside an unquoted cell splits it: put that cell in double quotes, or "
                         "remove the extra delimiter."),
    "MISSING COLUMNS": ("ragged row: fewer fields than the header",
                        "Cells are missing on that line (or a line break splits a row): add the missing "
                        "delimiters, or quote the cell holding the line break."),
    "UNQUOTED VALUE": ("broken quotes",
                       "A quote inside a cell is not doubled, or a quote is never closed (every line after it is "
                       "read as part of the cell): write \"\" for a quote inside a quoted cell."),
    "LINE SIZE OVER MAXIMUM": ("row longer than 8 MB", "Shorten that row or split the cell across rows."),
    "INVALID ENCODING": ("text that is not valid in the file's encoding",
                         "Save the file again as UTF-8 (in Excel: CSV UTF-8)."),
}


def prepare(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping) -> CheckPlan:
    """Return the plan with every row's verdict stored (once per mapping): passes, or a duplicate of row N.

    One pass types every staged row and evaluates every check into `verdicts`, in file order: the
    verdict (cx_ok, cx_dup_of), the report's per-row counts and flags, and the typed values loading
    reads (`CheckPlan.stored_columns`), so neither the report nor the load types the rows again.
    Duplicates are looked for among rows that pass every other check (the first one stays valid):
    rows whose key hashes collide are typed again, those only, and compared on their exact keys.
    """
    clean = {c for c, values in survey_names(con, staged, mapping).items() if values is None or changed_names(values)}
    plan = CheckPlan(staged, mapping, clean=clean)
    signature = repr(mapping.to_dict())
    if staged.verdicts_for == signature and not plan.unread_dates:
        return plan
    _verdict_pass(con, plan)
    if plan.unread_dates:
        # How each date column reads 03/04/2024, from the whole column: counted over the evidence the pass kept
        # per row. Read day first meanwhile, the rows are typed again only when the column shows month first.
        row = con.execute(f"SELECT {plan.evidence_sql()} FROM {plan.verdicts}").fetchall()[0]
        for k, c in enumerate(plan.unread_dates):
            staged.date_evidence[c] = (int(row[3 * k]), int(row[3 * k + 1]), int(row[3 * k + 2]))
        first = plan
        plan = CheckPlan(staged, mapping, clean=clean)
        if any(plan.dates[c].order != first.dates[c].order for c in first.unread_dates):
            _verdict_pass(con, plan)
    _mark_duplicates(con, plan)
    staged.verdicts_for = signature
    return plan


def _verdict_pass(con: duckdb.DuckDBPyConnection, plan: CheckPlan) -> None:
    """Store every row's verdict, counts, flags and typed values in `plan.verdicts` (one pass over the rows)."""
    typed, params = plan.typed()
    ok, ok_params = plan.ok_expression()
    keys = plan.dup_keys()
    counts, count_params = plan.count_columns()
    hashed = f"hash({', '.join(keys)})" if keys else "NULL::UBIGINT"
    stored = "".join(f", {c}" for c in plan.stored_columns() if c != "cx_row")
    con.execute(f"CREATE OR REPLACE TABLE {plan.verdicts} AS SELECT cx_row, cx_ok, NULL::BIGINT AS cx_dup_of, "
                f"CASE WHEN cx_ok THEN cx_key END AS cx_key{counts}{stored} "
                f"FROM (SELECT *, {ok} AS cx_ok, {hashed} AS cx_key FROM ({typed}))",
                count_params + ok_params + params)


def _mark_duplicates(con: duckdb.DuckDBPyConnection, plan: CheckPlan) -> None:
    """Reject each valid row whose key an earlier valid row has (`cx_dup_of`: that row)."""
    keys = plan.dup_keys()
    if keys:
        shared = f"SELECT cx_key FROM {plan.verdicts} WHERE cx_key IS NOT NULL GROUP BY cx_key HAVING count(*) > 1"
        # Whether any key repeats: counting distinct keys costs less than listing the repeated ones (10 M keys).
        candidates = con.execute(f"SELECT count(cx_key) - count(DISTINCT cx_key) FROM {plan.verdicts}"
                                 ).fetchall()[0][0]
        if candidates:
            sql, params = plan.typed(rows=f"SELECT cx_row FROM {plan.verdicts} WHERE cx_key IN ({shared})")
            partition = ", ".join(keys)
            con.execute(
                f"""UPDATE {plan.verdicts} SET cx_ok = false, cx_dup_of = d.first_row
                    FROM (WITH k AS (SELECT cx_row, min(cx_row) OVER (PARTITION BY {partition}) AS first_row
                                     FROM ({sql}))
                          SELECT cx_row, first_row FROM k WHERE cx_row > first_row) d
                    WHERE {plan.verdicts}.cx_row = d.cx_row""",
                params)


def _bad_table(con: duckdb.DuckDBPyConnection, plan: CheckPlan) -> str:
    """Return the table of rejected rows with their problem codes (built once per mapping)."""
    table = f"{store.quote_ident(plan.staged.alias)}.bad"
    signature = "bad:" + repr(plan.m.to_dict())
    if plan.staged.bad_for != signature:
        sql, params = plan.bad()
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}", params)
        plan.staged.bad_for = signature
    return table


def check(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping, *, examples: int = 5) -> Report:
    """Return what importing the staged file with this mapping would load and reject, and why."""
    plan = prepare(con, staged, mapping)
    sql, params = plan.checked()
    m = mapping
    totals = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE cx_ok), sum(cx_answers) FILTER (WHERE cx_ok), "
        f"sum(cx_na_n) FILTER (WHERE cx_ok), sum(cx_blank_n) FILTER (WHERE cx_ok) FROM {plan.verdicts}"
    ).fetchall()[0]
    parsed, valid, n_answers, n_na, n_blank = (int(x or 0) for x in totals)
    problems = _parse_problems(con, staged, examples)
    defs = {d.code: d for d in problem_defs(plan)}
    bad_table = _bad_table(con, plan)
    rows = con.execute(
        f"""SELECT p, count(*), list(cx_row ORDER BY cx_row)[1:?]
            FROM (SELECT cx_row, unnest(cx_problems) AS p FROM {bad_table})
            GROUP BY p ORDER BY min(cx_row), p""",
        [examples]).fetchall()
    # The example cells of every problem's first rows, in one query (a wide file can have thousands of problems).
    pairs = [(int(code), int(r)) for code, _, first in rows for r in first]
    cells = {(int(p), int(r)): (value, dup) for p, r, value, dup in con.execute(
        f"SELECT x.p, b.cx_row, {plan.value_sql('x.p')}, b.cx_dup_of FROM {bad_table} b "
        "JOIN (SELECT unnest(?::BIGINT[]) AS p, unnest(?::BIGINT[]) AS r) x ON b.cx_row = x.r",
        [[p for p, _ in pairs], [r for _, r in pairs]]).fetchall()} if pairs else {}
    for code, count, first in rows:
        d = defs[int(code)]
        values: tuple[str, ...] = ()
        if d.value_column:
            shown = [cells.get((int(code), int(r)), (None, None))[0] for r in first]
            values = tuple(str(v) if v is not None else "" for v in shown)
        if d.kind in ("duplicate respondent", "duplicate answer"):
            dup_of = {r: cells.get((int(code), int(r)), (None, None))[1] for r in first}
            values = tuple(f"{v} (as row {dup_of.get(r)})" for r, v in zip(first, values, strict=False))
        problems.append(Problem(kind=d.kind, column=d.column, rows=int(count), first_rows=tuple(int(r) for r in first),
                                examples=values, fix=d.fix))
    rejected = staged.parse_rejected + (parsed - valid)
    emptied = _emptied(con, plan, examples)
    notes = list(staged.fmt.notes) + staged.notes
    if not m.respondent:
        notes.append("No respondent column is mapped: each row is its own respondent ('row 1', 'row 2', …).")
    notes += [note for reading in plan.dates.values() if (note := reading.note())]
    notes += name_notes(con, plan)
    return Report(rows_read=parsed + staged.parse_rejected, rows_valid=valid, rows_rejected=rejected,
                  answers=n_answers, not_applicable=n_na, blank=n_blank, problems=tuple(problems), notes=tuple(notes),
                  blank_as_na=m.format == "long", emptied=emptied)


def _emptied(con: duckdb.DuckDBPyConnection, plan: CheckPlan, examples: int) -> tuple[Problem, ...]:
    """Return, per kind of optional cell that cannot be read, how many loaded rows leave it empty, the first
    rows and their cells as written (from the verdicts' flags: no second pass over the rows)."""
    if not plan.empties:
        return ()
    parts = ", ".join(f"count(*) FILTER (WHERE cx_ok AND cx_e{d.code}), "
                      f"(list(cx_row ORDER BY cx_row) FILTER (WHERE cx_ok AND cx_e{d.code}))[1:?]"
                      for d, _, _ in plan.empties)
    row = con.execute(f"SELECT {parts} FROM {plan.verdicts}", [examples] * len(plan.empties)).fetchall()[0]
    found: list[Problem] = []
    for i, (d, _, _) in enumerate(plan.empties):
        count, first = int(row[2 * i] or 0), [int(r) for r in row[2 * i + 1] or []]
        if not count:
            continue
        cells = dict(con.execute(f"SELECT rowid + 1, {d.value_column} FROM {plan.staged.raw} "
                                 "WHERE rowid IN (SELECT unnest(?::BIGINT[]) - 1)", [first]).fetchall()
                     ) if d.value_column else {}
        found.append(Problem(kind=d.kind, column=d.column, rows=count, first_rows=tuple(first),
                             examples=tuple(str(cells.get(r) or "") for r in first), fix=d.fix))
    return tuple(found)


def name_notes(con: duckdb.DuckDBPyConnection, plan: CheckPlan) -> list[str]:
    """Return the notes on names and ids the import changes (cx.names), and on look-alike touchpoints.

    Per name column, the cells that held line breaks, tabs, control or invisible characters or
    another Unicode form (stored cleaned) are counted from the column's distinct cells
    (`checks.survey_names`; SQL counts them when there are too many); the ids and comments that held
    NUL characters (stored without them) are counted from the verdict pass's flags. Names from the
    mapping (wide touchpoints, segment and outcome columns) are checked the same way.
    """
    staged, m = plan.staged, plan.m
    survey = survey_names(con, staged, m)
    counted: dict[str, tuple[int, str | None]] = {}
    for c, values in survey.items():
        if values is not None:
            changed = sorted(changed_names(values), key=lambda x: (-x[1], x[0]))
            counted[c] = (sum(n for _, n in changed), changed[0][0] if changed else None)
    unsurveyed = [c for c, values in survey.items() if values is None]
    parts: list[str] = []
    for c in unsurveyed:
        col = staged.col(c)
        changed_sql = f"nullif(trim({col}), '') IS DISTINCT FROM {names.clean_name_sql(col)}"
        parts.append(f"count(*) FILTER (WHERE {changed_sql}), arg_min({col}, rowid) FILTER (WHERE {changed_sql})")
    row: tuple[Any, ...] = con.execute(f"SELECT {', '.join(parts)} FROM {staged.raw}").fetchall()[0] if parts else ()
    for i, c in enumerate(unsurveyed):
        counted[c] = (int(row[2 * i]), row[2 * i + 1])
    nul = list(plan.nul_flags)
    flags = ", ".join(f"count(*) FILTER (WHERE {flag})" for flag in plan.nul_flags.values())
    row = con.execute(f"SELECT {flags} FROM {plan.verdicts}").fetchall()[0] if flags else ()
    notes: list[str] = []
    for c in survey:
        count, example = counted[c]
        if count:
            notes.append(f"Column '{c}': {count:,} cell(s) held line breaks, tabs, control or invisible characters, "
                         f"or letters in another Unicode form (e.g. {str(example)!r}): they are stored single-line "
                         f"and cleaned ('{names.clean_name(str(example))}'). Names are one line of visible text.")
    for k, c in enumerate(nul):
        if int(row[k]):
            notes.append(f"Column '{c}': {int(row[k]):,} cell(s) held NUL characters: they are stored without them.")
    mapped = [*(t.name for t in m.touchpoints), *m.segments, *(o.name for o in m.outcomes)]
    notes += [n for n in (names.name_change_note("column name", x, names.clean_name(x)) for x in dict.fromkeys(mapped))
              if n]
    notes += names.lookalike_notes(_touchpoint_names(survey, m))
    notes += _lookalike_cells(survey, m)
    return notes


def _lookalike_cells(survey: dict[str, tuple[tuple[str, str, int], ...] | None], m: Mapping) -> list[str]:
    """Return the look-alike notes on the channel, stage, unit and segment columns' names as they will be
    stored (a column with too many distinct cells to survey is not compared)."""
    roles = {m.channel: ("channel", "channels"), m.stage: ("stage", "stages"), m.unit: ("unit", "units")}
    notes: list[str] = []
    for c, values in survey.items():
        if values is None or (m.format == "long" and c == m.touchpoint):
            continue
        what, plural = roles.get(c) or (f"value of segment '{c}'", f"values of segment '{c}'")
        notes += names.lookalike_notes(sorted({names.clean_name(raw) for raw, _, _ in values} - {""}), what,
                                       plural=plural)
    return notes


def _touchpoint_names(survey: dict[str, tuple[tuple[str, str, int], ...] | None], m: Mapping) -> list[str]:
    """Return the distinct touchpoint names as they will be stored (none when there are too many to compare)."""
    if m.format == "wide":
        return [names.clean_name(t.name) for t in m.touchpoints]
    values = survey.get(m.touchpoint or "")
    if not values:
        return []
    return sorted({names.clean_name(raw) for raw, _, _ in values} - {""})


def _parse_problems(con: duckdb.DuckDBPyConnection, staged: Staged, examples: int) -> list[Problem]:
    problems = []
    for kind, count, first, raw in con.execute(
        f"SELECT kind, count(*), list(line ORDER BY line)[1:?], list(raw_line ORDER BY line)[1:3] "
        f"FROM {staged.rejects} GROUP BY kind ORDER BY min(line)", [examples]).fetchall():
        title, fix = PARSE_PROBLEMS.get(kind, (kind.lower(), "Fix the line in the file."))
        problems.append(Problem(kind=title, column=None, rows=int(count), first_rows=tuple(int(x) for x in first),
                                examples=tuple(_clip(str(r).rstrip("\r\n")) for r in raw), fix=fix, unit="line"))
    return problems


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def rejected_rows(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping) -> pd.DataFrame:
    """Return every rejected row: the file's columns as read, `row` / `line`, and a `reason` column."""
    plan = prepare(con, staged, mapping)
    table = _bad_table(con, plan)
    defs = problem_defs(plan)
    # Problem codes are 1, 2, … in the order of `defs`: a row's reason is its codes' entries of one list.
    assert [d.code for d in defs] == list(range(1, len(defs) + 1))
    reasons = "(?::VARCHAR[])[p]"
    reason_params = [[(f"{d.column}: " if d.column else "") + d.kind for d in defs]]
    cells = ", ".join(f"r.c{i}" for i in range(1, len(staged.columns) + 1))
    # The staged rows are matched on a bare rowid (not rowid + 1): DuckDB then fetches just those rows
    # instead of scanning the whole file's rows (10 M rows: 1.4 s → a few ms).
    frame = con.execute(
        f"""WITH bad AS (SELECT cx_row, cx_problems FROM {table}),
                 why AS (SELECT cx_row, string_agg({reasons}, '; ' ORDER BY p) AS reason
                         FROM (SELECT cx_row, unnest(cx_problems) AS p FROM bad) GROUP BY cx_row)
            SELECT why.cx_row AS row, NULL::BIGINT AS line, why.reason, NULL::VARCHAR AS raw_line, {cells}
            FROM why JOIN {staged.raw} r ON r.rowid = why.cx_row - 1 ORDER BY why.cx_row""",
        reason_params).df()
    parsed = con.execute(f"SELECT line, kind, raw_line FROM {staged.rejects} ORDER BY line").fetchall()
    if parsed:
        extra = pd.DataFrame([{
            "row": None, "line": line, "reason": PARSE_PROBLEMS.get(kind, (kind.lower(), ""))[0],
            "raw_line": str(raw).rstrip("\r\n"),
        } for line, kind, raw in parsed])
        frame = pd.concat([extra, frame], ignore_index=True) if len(frame) else extra.reindex(columns=frame.columns)
    frame.columns = ["row", "line", "reason", "raw_line", *staged.columns]
    frame["row"] = frame["row"].astype("Int64")
    frame["line"] = frame["line"].astype("Int64")
    return frame


def rejects_csv(frame: pd.DataFrame, source: str, report: Report | None = None) -> bytes:
    """Return rejected rows as a spreadsheet-safe CSV whose first lines say what it is."""
    notes = [f"Rejected rows of {source}", "row = data row (header not counted); line = line of the file"]
    if report is not None:
        notes.append(report.accounting())
    return exports.safe_csv(frame, notes=notes)


def problems_text(report: Report) -> list[str]:
    """Return one line per problem (CLI and logs)."""
    return [p.sentence() for p in report.problems]
