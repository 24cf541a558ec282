"""Loading: the valid rows of a staged file written to the store in one transaction (INSERT … SELECT
from the staging table, so a 10 M-row file never becomes a pandas frame), and the whole import of
one file with a mapping (`ingest_file`, the command line's path)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cx import names, store
from cx.errors import CxError, IngestError, InvalidInput, MappingError, NothingLoaded
from cx.ingest.checks import CheckPlan
from cx.ingest.staging import Staged, discard, stage
from cx.ingest.verdicts import Report, check, prepare, rejected_rows, rejects_csv
from cx.mapping import Mapping

__all__ = [
    "ImportResult", "create_journey", "default_name", "ingest_file", "load", "load_mapping_json",
    "nothing_loaded_message", "read_mapping_file", "unused_name",
]


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    dataset: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    answers: int
    report: Report

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected}


def load(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    mapping: Mapping,
    name: str,
    *,
    replace: bool = False,
    report: Report | None = None,
) -> ImportResult:
    """Write the valid rows as data set `name` in one transaction; return the counts.

    Raises NothingLoaded (and writes nothing) when no row is valid. The name is made single-line
    (`names.clean_name`); a change is noted in the result's report.
    """
    typed, name = name, names.clean_name(name)
    if not name:
        raise IngestError("A data set needs a name: type one, e.g. 'Survey March'.")
    report = report or check(con, staged, mapping)
    note = names.name_change_note("data set name", typed, name)
    if note and note not in report.notes:
        report = dataclasses.replace(report, notes=(*report.notes, note))
    if report.rows_valid == 0:
        raise NothingLoaded(nothing_loaded_message(staged.source, report))
    plan = prepare(con, staged, mapping)
    sql, params = plan.checked()
    saved = mapping.with_file(delimiter=staged.fmt.delimiter, encoding="utf-8" if staged.fmt.kind != "csv"
                              else staged.fmt.encoding, header=staged.fmt.header, skip_rows=staged.fmt.skip_rows,
                              sheet=staged.fmt.sheet)
    try:
        with store.transaction(con):
            store.record_dataset(
                con, name, source=staged.source, kind="import", rows_read=report.rows_read,
                rows_loaded=report.rows_valid, rows_rejected=report.rows_rejected, mapping=saved.to_dict(),
                replace=replace,
            )
            answers = _insert_responses(con, plan, sql, params, name)
            _insert_segments(con, plan, sql, params, name)
            _insert_outcomes(con, plan, sql, params, name)
            _insert_operational(con, plan, sql, params, name)
    except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
        # Another import (another browser tab, the command line) wrote the same name between this one's
        # check and its commit: the database keeps the other one, this one wrote nothing.
        if not store.has_dataset(con, name):
            raise
        raise InvalidInput(f"Another import named '{name}' finished while this one ran, so nothing of this one was "
                           "written: pick another name and import again (or delete that data set first).") from exc
    from cx import alerts

    alerts.on_answers(con, name)  # the whole data set arrived: one alert per rule at most, never raises
    return ImportResult(dataset=name, rows_read=report.rows_read, rows_loaded=report.rows_valid,
                        rows_rejected=report.rows_rejected, answers=answers, report=report)


def _name(text: str) -> str:
    """Return a name from the mapping (a touchpoint, segment or outcome) single-line, as cells are."""
    return names.clean_name(text) or text


def _opt(plan: CheckPlan, column: str | None) -> str:
    return plan.v(column) if column else "NULL"


def _insert_responses(
    con: duckdb.DuckDBPyConnection, plan: CheckPlan, sql: str, params: list[Any], name: str,
) -> int:
    m = plan.m
    columns = ("dataset", "respondent", "touchpoint", "score", "scale_min", "scale_max", "reversed", "channel",
               "stage", "unit", "answered_at", "comment")
    ts = "cx_ts" if m.timestamp else "NULL"
    selects: list[str] = []
    args: list[Any] = []
    if m.format == "wide" and not m.touchpoints:  # outcome-only: the outcomes and segments are the data
        return 0
    if m.format == "wide":
        # One pass for every touchpoint: each valid row's touchpoint lists unnested to one answer per filled cell
        # (k = the touchpoint), each touchpoint's rule taken from lists; stored touchpoint by touchpoint.
        rules = [m.wide_rule(item) for item in m.touchpoints]
        cells = (f"SELECT cx_row, cx_respondent, {_opt(plan, m.channel)} AS cx_channel, {_opt(plan, m.stage)} AS "
                 f"cx_stage, {_opt(plan, m.unit)} AS cx_unit, {ts} AS cx_ts, {_opt(plan, m.comment)} AS cx_comment, "
                 "unnest(range(1, len(cx_tv) + 1)) AS k, unnest(cx_tv) AS v, unnest(cx_tn) AS n, "
                 f"unnest(cx_tna) AS na FROM ({sql}) WHERE cx_ok")
        selects.append(
            "SELECT ?, cx_respondent, (?::VARCHAR[])[k], CASE WHEN na THEN NULL ELSE n END, (?::DOUBLE[])[k], "
            "(?::DOUBLE[])[k], (?::BOOLEAN[])[k], coalesce(cx_channel, (?::VARCHAR[])[k]), "
            f"coalesce(cx_stage, (?::VARCHAR[])[k]), cx_unit, cx_ts, cx_comment FROM ({cells}) WHERE v IS NOT NULL "
            "ORDER BY k, cx_row")
        args += [name, [_name(item.name) for item in m.touchpoints], [r.scale[0] if r.scale else None for r in rules],
                 [r.scale[1] if r.scale else None for r in rules], [r.reversed for r in rules],
                 [r.channel for r in rules], [r.stage for r in rules], *params]
    else:
        n = plan.n(m.score or "")
        selects.append(
            f"SELECT ?, cx_respondent, {plan.v(m.touchpoint or '')}, CASE WHEN cx_na THEN NULL ELSE {n} END, "
            f"cx_lo, cx_hi, cx_rev, coalesce({_opt(plan, m.channel)}, cx_rule_channel), "
            f"coalesce({_opt(plan, m.stage)}, cx_rule_stage), {_opt(plan, m.unit)}, {ts}, {_opt(plan, m.comment)} "
            f"FROM ({sql}) WHERE cx_ok")
        args += [name, *params]
    return store.insert_select(con, "responses", columns, " UNION ALL ".join(selects), args)


def _per_respondent(plan: CheckPlan, sql: str, value: str, extra_where: str = "") -> str:
    """Return a SELECT of (respondent, value) from valid rows: every row (wide), the first row (long)."""
    where = f"WHERE cx_ok AND {value} IS NOT NULL{extra_where}"
    if plan.m.format == "wide" or not plan.m.respondent:
        return f"SELECT cx_respondent AS respondent, {value} AS value FROM ({sql}) {where}"
    return (f"SELECT cx_respondent AS respondent, arg_min({value}, cx_row) AS value FROM ({sql}) {where} "
            "GROUP BY cx_respondent")


def _insert_segments(
    con: duckdb.DuckDBPyConnection, plan: CheckPlan, sql: str, params: list[Any], name: str,
) -> None:
    for column in plan.m.segments:
        inner = _per_respondent(plan, sql, plan.v(column))
        store.insert_select(con, "segments", ("dataset", "respondent", "name", "value"),
                            f"SELECT ?, respondent, ?, value FROM ({inner})", [name, _name(column), *params])


def _insert_outcomes(
    con: duckdb.DuckDBPyConnection, plan: CheckPlan, sql: str, params: list[Any], name: str,
) -> None:
    for i, o in enumerate(plan.m.outcomes, start=1):
        # The outcome's loadable value: NULL where its cell is left empty (not a number, off its scale…).
        inner = _per_respondent(plan, sql, plan.outcome_cell(i))
        value_args: list[Any] = []
        if o.kind == "binary":
            value_args = [[p.lower() for p in o.positive]]
            select = (f"SELECT ?, respondent, ?, ?, CASE WHEN list_contains(?::VARCHAR[], lower(value)) THEN 1.0 "
                      f"ELSE 0.0 END, ?, ?, ? FROM ({inner})")
        else:
            select = "SELECT ?, respondent, ?, ?, value, ?, ?, ? FROM (" + inner + ")"
        bounds = o.bounds or (None, None)
        store.insert_select(
            con, "outcomes", ("dataset", "respondent", "outcome", "kind", "value", "scale_min", "scale_max", "role"),
            select, [name, _name(o.name), o.kind, *value_args, bounds[0], bounds[1], o.role, *params])


def _insert_operational(
    con: duckdb.DuckDBPyConnection, plan: CheckPlan, sql: str, params: list[Any], name: str,
) -> None:
    m = plan.m
    for op in m.operational:
        n = plan.n(op.column)
        if op.touchpoint or m.format == "wide":
            touchpoint, args = "?", [_name(op.touchpoint or op.column)]
        else:
            touchpoint, args = plan.v(m.touchpoint or ""), []
        store.insert_select(
            con, "operational", ("dataset", "respondent", "touchpoint", "name", "value"),
            f"SELECT ?, cx_respondent, {touchpoint}, ?, {n} FROM ({sql}) WHERE cx_ok AND {n} IS NOT NULL",
            [name, *args, _name(op.name), *params])


def nothing_loaded_message(source: str, report: Report) -> str:
    """Return the one-paragraph message for an import where every row was rejected."""
    top = sorted(report.problems, key=lambda p: -p.rows)[:3]
    listed = "; ".join(p.sentence() for p in top) or "no usable rows"
    return (f"Nothing could be loaded from {source}: all {report.rows_read:,} rows were rejected. Main problems: "
            f"{listed}")


MAX_DEFAULT_NAME = 80  # a proposed data set name; the file's whole name stays in the data set's `source`


def default_name(source: str) -> str:
    """Return a data set name from a file name: 'lounge-reviews.csv' -> 'lounge-reviews'.

    A name longer than MAX_DEFAULT_NAME characters is cut at a word break near there, with '…'.
    """
    name = names.clean_name(Path(source).stem) or "Import"
    if len(name) <= MAX_DEFAULT_NAME:
        return name
    cut = name[:MAX_DEFAULT_NAME - 1]
    space = max(cut.rfind(c) for c in " -_.")
    return (cut[:space] if space >= MAX_DEFAULT_NAME // 2 else cut).rstrip(" -_.") + "…"


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    mapping: Mapping,
    *,
    name: str | None = None,
    replace: bool = False,
    rejects: str | Path | None = None,
) -> tuple[ImportResult | None, Report, Path | None]:
    """Read, check and load one file with a mapping; write rejected rows to `rejects` (if any).

    Returns (result or None when nothing loaded, the report, the rejects file or None).
    """
    path = Path(path)
    typed = name or default_name(path.name)
    name = names.clean_name(typed)
    if not replace and store.has_dataset(con, name):
        raise IngestError(f"A data set named '{name}' already exists: pass another --dataset NAME, or --replace.")
    try:
        return _ingest_staged(con, path, mapping, typed, replace, rejects)  # load() cleans the name, with a note
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise IngestError(f"The import of {path.name} stopped and nothing was written ({first}). If the message "
                          "names a column or value, fix it in the file or the mapping; otherwise report it.") from exc


def _ingest_staged(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, name: str, replace: bool,
                   rejects: str | Path | None) -> tuple[ImportResult | None, Report, Path | None]:
    staged = stage(con, path, mapping=mapping)
    try:
        report = check(con, staged, mapping)
        written: Path | None = None
        if report.rows_rejected:
            written = Path(rejects) if rejects else path.with_name(f"{path.stem}.rejected.csv")
            try:
                written.write_bytes(rejects_csv(rejected_rows(con, staged, mapping), staged.source, report))
            except OSError as exc:
                raise IngestError(f"Cannot write the rejected rows to {written}: {exc.strerror or exc}. "
                                  "Pass another file with --rejects PATH.") from exc
        if report.rows_valid == 0:
            return None, report, written
        result = load(con, staged, mapping, name, replace=replace, report=report)
        return result, result.report, written
    finally:
        discard(con, staged)


MAX_MAPPING_BYTES = 1 << 20  # a mapping of thousands of columns is a few hundred KB
MAX_MAPPING_DEPTH = 20  # the deepest real mapping nests 4 levels (per_touchpoint → name → scale → list)


def _depth(text: str) -> int:
    """Return how deeply brackets nest in JSON text (brackets inside strings are not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def load_mapping_json(text: str | bytes) -> Mapping:
    """Return the Mapping in a JSON document; raise MappingError saying what is wrong.

    Bytes may be UTF-8 (with or without a byte-order mark) or UTF-16 / UTF-32 with one, as
    `json.loads` reads them; a document nested deeper than any mapping is refused before parsing.
    """
    import json

    from cx.mapping import from_dict

    if len(text) > MAX_MAPPING_BYTES:
        raise MappingError(f"The mapping file is {len(text):,} bytes, over the {MAX_MAPPING_BYTES:,} a mapping can be: "
                           "is it the data file? Give the mapping JSON (download one from the Upload page).")
    try:
        decoded = text if isinstance(text, str) else text.decode(json.detect_encoding(text))
    except UnicodeDecodeError as exc:
        raise MappingError(f"The mapping file is not UTF-8 text (byte {exc.start:,} cannot be read): save it as "
                           "UTF-8 JSON.") from exc
    if _depth(decoded) > MAX_MAPPING_DEPTH:
        raise MappingError(f"The mapping file nests brackets more than {MAX_MAPPING_DEPTH} deep: no mapping does; fix "
                           "it or download a fresh one from the Upload page.")
    try:
        data = json.loads(decoded.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise MappingError(f"The mapping file is not valid JSON ({exc}): fix it or download a fresh one.") from exc
    try:
        return from_dict(data)
    except CxError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a value of an unexpected type or shape
        raise MappingError(f"The mapping cannot be used ({type(exc).__name__}: {exc}): check each key's value "
                           "against the mapping keys in README, or download a fresh mapping.") from exc


def read_mapping_file(path: str | Path) -> Mapping:
    """Return the mapping stored in a JSON file; raise MappingError when it cannot be used."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        raise MappingError(f"Cannot read the mapping file {path}: {exc.strerror or exc}.") from exc
    return load_mapping_json(raw)


def create_journey(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    """Create a journey named after the data set with its touchpoints in file order; return its name.

    Returns None (and changes nothing) when a journey of that name already exists.
    """
    from cx.models import Journey, JourneyStep

    if dataset in store.journey_names(con):
        return None
    rows = con.execute(
        """SELECT touchpoint, mode(stage) AS stage, mode(channel) AS channel FROM responses WHERE dataset = ?
           GROUP BY touchpoint ORDER BY min(rowid)""", [dataset]).fetchall()
    if not rows:
        return None
    steps = tuple(JourneyStep(position=i, touchpoint=str(tp), stage=stage, channel=channel)
                  for i, (tp, stage, channel) in enumerate(rows, start=1))
    store.save_journey(con, Journey(name=dataset, dataset=dataset, steps=steps,
                                    description=f"Created on import: the touchpoints of '{dataset}' in file order."))
    return dataset


def unused_name(con: duckdb.DuckDBPyConnection, wanted: str) -> str:
    """Return `wanted`, or `wanted (2)`, `(3)`… when a data set of that name exists."""
    names = set(store.dataset_names(con))
    if wanted not in names:
        return wanted
    k = 2
    while f"{wanted} ({k})" in names:
        k += 1
    return f"{wanted} ({k})"
