"""The cx command line: `python -m cx COMMAND …` over the same functions as the app.

No Streamlit on this path. Bad arguments exit 2 with one line on stderr. The analysis engine (ibis) is
imported only by the commands that compute on it, so listing, importing a file and --help start fast.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from cx import mapping as maps
from cx.choices import (
    DEFAULT_BASE_URL,
    DEFAULT_EXPIRY_DAYS,
    ENGINES,
    MAX_LINKS,
    METRICS,
    OUTCOME,
    RESPONSE_FILTER_COLUMNS,
)
from cx.errors import CxError, InvalidInput, NotFound
from cx.models import ClvSettings

if TYPE_CHECKING:  # the engines and the metrics load ibis, the store pandas: imported by the commands that use them
    import duckdb

    from cx.engines import Engine
    from cx.metrics import Filter


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _min_n(text: str) -> int:
    """Return --min-n as a whole number of at least 1 (argparse turns a bad value into one line, exit 2)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a minimum number of answers: give a whole number of at "
                                         "least 1, e.g. 30")
    return value


_min_n.__name__ = "int"  # argparse says "invalid int value: 'many'" for text that is not a number


def _window_days(text: str) -> int:
    """Return --window-days as a whole number of days of at least 1 (else one line, exit 2)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a window of days before and after an action: give a "
                                         "whole number of at least 1, e.g. 90")
    return value


def _finite(text: str) -> float:
    """Return a number flag such as --max-score, refusing nan and infinities (else one line, exit 2)."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a score: give a number on the answers' scale, e.g. 2")
    return value


_window_days.__name__ = "int"
_finite.__name__ = "float"


def _open_store(db: str | None) -> duckdb.DuckDBPyConnection:
    """Return the store at --db, seeded on first use (imported here: --help never loads the store)."""
    from cx import seed

    return seed.open_store(db)


LONG_LIST = 1_000  # a JSON list longer than this prints one item per line (json's indenting is pure Python: ~18 s
# for a million comments, against ~2 s item by item)


def _print(payload: Any, as_json: bool, lines: Sequence[str]) -> None:
    if as_json and isinstance(payload, list) and len(payload) > LONG_LIST:
        encoder = json.JSONEncoder(ensure_ascii=False, default=str)
        sys.stdout.write("[\n" + ",\n".join("  " + encoder.encode(item) for item in payload) + "\n]\n")
    elif as_json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(line)


def cmd_journeys(args: argparse.Namespace) -> int:
    from cx import store

    con = _open_store(args.db)
    rows: list[dict[str, Any]] = []
    for j in store.all_journeys(con):
        rows.append({"journey": j.name, "persona": j.persona, "goal": j.goal, "dataset": j.dataset,
                     "touchpoints": [s.touchpoint for s in j.steps]})
    _print(rows, args.json,
           [f"{r['journey']}: {len(r['touchpoints'])} touchpoints"
            + (f" (data set {r['dataset']})" if r["dataset"] else "") for r in rows])
    return 0


def cmd_journey_export(args: argparse.Namespace) -> int:
    from cx import builder

    con = _open_store(args.db)
    data = builder.journey_json(con, args.journey)
    if args.out:
        with open(args.out, "wb") as out:
            out.write(data)
        print(f"Wrote journey '{args.journey}' to {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def cmd_journey_import(args: argparse.Namespace) -> int:
    from cx import builder, journey_file

    con = _open_store(args.db)
    with open(args.file, "rb") as handle:
        data = journey_file.parse(handle.read())
    check = builder.check_import(con, data)
    if not check.ok:
        raise InvalidInput(" ".join(check.errors))
    for warning in check.warnings:
        print(f"cx journey-import: warning: {warning}", file=sys.stderr)
    name = builder.import_journey(con, data, name=args.as_name, replace=args.replace,
                                  drop=check.unknown if args.drop_unknown else ())
    _print({"journey": name, "dropped": list(check.unknown) if args.drop_unknown else []}, args.json,
           [f"Imported journey '{name}'"])
    return 0


def cmd_workshops(args: argparse.Namespace) -> int:
    from cx import workshop

    con = _open_store(args.db)
    rows = [{"code": w.code, "journey": w.journey, "status": w.status, "started_at": w.started_at,
             "closed_at": w.closed_at, "participants": workshop.participant_count(con, w.code),
             "votes": int(workshop.tally(con, w.code)["votes"].sum())}
            for w in workshop.list_workshops(con, journey=args.journey)]
    _print(rows, args.json, [f"{r['code']}  {r['status']:<6}  {r['journey']}: {r['votes']} votes from "
                             f"{r['participants']} participants" for r in rows])
    return 0


def cmd_survey_links(args: argparse.Namespace) -> int:
    from cx import survey

    con = _open_store(args.db)
    links = survey.create_links(con, args.dataset, args.touchpoint, count=args.count, shared=args.shared,
                                expires_days=args.expires, base_url=args.base_url)
    _print({"links": [link.as_dict() for link in links]}, args.json, [link.url for link in links])
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from cx import store

    con = _open_store(args.db)
    frame = store.datasets(con).drop(columns=["mapping"])
    rows = json.loads(frame.to_json(orient="records", date_format="iso"))
    _print(rows, args.json, [f"{r['dataset']}: {r['answers']} answers from {r['respondents']} respondents"
                             for r in rows])
    return 0


def engine_for(args: argparse.Namespace, con: Any) -> Engine | None:
    """Return the engine chosen by --engine/--source, or None for the store's own."""
    from cx.engines import limit_memory, source_engine

    source = getattr(args, "source", None)
    if source is None:
        if getattr(args, "engine", "duckdb") != "duckdb":
            raise InvalidInput("Spark reads a Parquet export: add --source DIR (write one with `cx export`).")
        limit_memory(con)  # the store's metric queries spill past CX_MEMORY_LIMIT, as a Parquet source's do
        return None
    return source_engine(args.engine, source)


def _engine_or_store(args: argparse.Namespace, con: Any, dataset: str | None) -> Engine:
    from cx import store
    from cx.engines import store_engine

    engine = engine_for(args, con)
    if engine is None:
        if dataset is not None and not store.has_dataset(con, dataset):
            known = ", ".join(store.dataset_names(con)) or "none"
            raise NotFound(f"No data set named '{dataset}'. Known data sets: {known}.")
        return store_engine(con)
    if dataset is not None and dataset not in engine.dataset_names():
        raise NotFound(f"The source {args.source} has no data set '{dataset}'. "
                             f"It has: {', '.join(engine.dataset_names()) or 'none'}.")
    return engine


def cmd_touchpoints(args: argparse.Namespace) -> int:
    from cx import journeys

    con = _open_store(args.db)
    if args.journey is None and args.dataset is None:
        raise CxError("Say what to score: --journey NAME or --dataset NAME (see `python -m cx journeys`).")
    engine = engine_for(args, con)
    if args.journey is not None:
        scores = journeys.journey_scores(con, args.journey, dataset=args.dataset, engine=engine, min_n=args.min_n)
    else:
        engine = _engine_or_store(args, con, args.dataset)
        scores = journeys.dataset_scores(con, args.dataset, engine=engine, min_n=args.min_n)
    records = journeys.touchpoint_records(scores)
    lines = [
        f"{r['position']:>2}  {r['touchpoint']:<28} "
        + ("no score" if r["score"] is None else f"{r['score']:5.1f}/10  n={r['n']}")
        + ("  WEAK" if r["weak"] else "") + ("  (low n)" if r["low_n"] else "")
        for r in records
    ]
    lines.append(journeys.hides_sentence(scores))
    _print(records, args.json, lines)
    return 0


def _group_by(by: str | None) -> str | None:
    if by is None or by.startswith("segment:") or by in (*RESPONSE_FILTER_COLUMNS, "month"):
        return by
    return f"segment:{by}"


def cmd_metrics(args: argparse.Namespace) -> int:
    from cx import metrics, store

    con = _open_store(args.db)
    dataset = args.dataset
    if dataset is None:
        chosen = engine_for(args, con)
        names = store.dataset_names(con) if chosen is None else chosen.dataset_names()
        if len(names) != 1:
            raise InvalidInput(f"Say which data set: --dataset NAME (one of: {', '.join(names) or 'none'}).")
        dataset = names[0]
    engine = _engine_or_store(args, con, dataset)
    wanted = args.metric or [metrics.OUTCOME, *metrics.REGISTRY]
    names_wanted = [m for m in wanted if m != metrics.OUTCOME]
    by = _group_by(args.by)
    if by is not None and by.startswith("segment:"):
        segment = by.removeprefix("segment:")
        known = sorted(metrics.filter_options(engine, dataset)["segments"])
        if segment not in known:
            others = ", ".join((*metrics.RESPONSE_FILTER_COLUMNS, "month"))
            raise NotFound(f"--by {args.by!r}: data set '{dataset}' has no segment column named '{segment}'; known: "
                           f"{', '.join(known) or 'none'} (or {others}).")
    clv = _clv_settings(args, con, dataset)
    # The outcome comes first: every outcome of the data set, per respondent.
    results = metrics.outcome_results(engine, dataset, by=by, min_n=args.min_n) if metrics.OUTCOME in wanted else []
    if names_wanted:
        results += metrics.compute(engine, names_wanted, dataset=dataset, by=by, min_n=args.min_n, clv=clv)
    group_field = None if args.by is None else args.by.removeprefix("segment:")
    rows = [r.as_dict(group_field) | ({"formula": metrics.clv_formula(r, clv)} if r.metric == "clv" else {})
            for r in results]
    lines = []
    for r in results:
        name = metrics.outcome_label(r) if r.outcome is not None else metrics.metric(r.metric).label
        label = name + (f" [{r.group}]" if args.by else "")
        if r.value is None:
            lines.append(f"{label}: {r.reason}")
        else:
            interval = "" if r.low is None else f"  95 % {r.low:.2f} to {r.high:.2f}"
            lines.append(f"{label}: {r.value:.2f}{interval}  n={r.n}" + ("  (low n)" if r.low_n else ""))
        if r.metric == "clv":
            lines.append(f"  {metrics.clv_formula(r, clv)}")
    _print(rows, args.json, lines)
    return 0


def _clv_settings(args: argparse.Namespace, con: Any, dataset: str) -> ClvSettings:
    """Return CLV's settings: the stored mapping's "clv" (if the store has the data set), then the flags."""
    from cx import store

    stored = maps.clv_of(store.dataset_mapping(con, dataset))
    return ClvSettings(margin=stored.margin if args.margin is None else args.margin,
                       period=stored.period if args.period is None else args.period.strip(),
                       discount=stored.discount if args.discount is None else args.discount)


def _filters_from_args(raw: Sequence[str] | None) -> list[Filter]:
    """Return filters from repeated COLUMN=VALUE options (same column: any of the values)."""
    from cx import metrics

    wanted: dict[str, list[str]] = {}
    for item in raw or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise InvalidInput(f"--filter {item!r}: write COLUMN=VALUE, e.g. channel=web or persona='Early adopter'.")
        column = column.strip()
        if column not in RESPONSE_FILTER_COLUMNS and not column.startswith("segment:"):
            column = f"segment:{column}"
        wanted.setdefault(column, []).append(value.strip())
    return [metrics.Filter(column, "in", tuple(values)) for column, values in wanted.items()]


def cmd_drivers(args: argparse.Namespace) -> int:
    from cx import driver_data

    con = _open_store(args.db)
    engine = _engine_or_store(args, con, args.dataset)
    filters = _filters_from_args(args.filter)
    result = driver_data.analyse(engine, args.dataset, args.outcome, filters=filters, min_n=args.min_n,
                                 rule=args.rule)
    payload = result.as_dict()
    payload["filters"] = [{"column": f.column, "values": list(f.value)} for f in filters]
    lines = [f"Drivers of '{result.outcome}' in {result.dataset}: {result.r2_label} = {result.r2:.3f} "
             f"({result.respondents:,} respondents, {result.rule} deletion)"]
    lines += [f"{t.importance:7.1%}  {t.touchpoint:<28} r={t.correlation:+.2f}  {t.performance:4.1f}/10  n={t.n}"
              for t in result.touchpoints]
    lines += [f"left out: {lo.touchpoint} — {lo.reason}" for lo in result.left_out]
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [result.reading(), result.rule_text()]
    _print(payload, args.json, lines)
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    from cx import paths, store

    con = _open_store(args.db)
    engine = _engine_or_store(args, con, args.dataset)
    journey = None if args.journey is None else store.load_journey(con, args.journey)
    filters = _filters_from_args(args.filter)
    view = paths.observed_paths(engine, args.dataset, outcome=args.outcome, journey=journey, filters=filters,
                                top=args.top, min_n=args.min_n)
    lines = [f"{view.dataset}: {view.ordered:,} of {view.respondents:,} respondents have an observed order "
             f"({view.unordered:,} unordered), {view.distinct_paths:,} different paths",
             "observed order: " + paths.path_label(view.observed_order)]
    for p in view.paths:
        value = "" if p.value is None else f"  {view.outcome}: {p.value:.1f}" + (" %" if view.kind == "binary" else "")
        lines.append(f"{p.n:>7,}  {100 * p.share:5.1f} %  {paths.path_label(p.path)}{value}"
                     + (f"  {p.mark}" if p.mark else ""))
    lines += [f"designed {d.position}. {d.touchpoint}: {d.never_reached:,} never reach it, {d.drop_off:,} drop off"
              + (f" ({d.note})" if d.note else "") for d in view.designed or ()]
    _print(view.as_dict(), args.json, lines)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from cx import store

    con = _open_store(args.db)
    written = store.export_parquet(con, args.dataset, args.out)
    payload = {"dataset": args.dataset, "out": str(args.out), "rows": written}
    _print(payload, args.json, [f"{args.dataset}: wrote {n:,} {t} rows under {args.out}/{t}/"
                                for t, n in written.items()])
    return 0


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="compute on DuckDB (default) or Spark; Spark needs --source")
    p.add_argument("--source", help="a Parquet directory written by `cx export` (default: the store)")


def cmd_ingest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cx import ingest, store

    mapping = ingest.read_mapping_file(args.mapping)
    if args.sheet is not None:  # over the mapping's "sheet"
        import dataclasses

        _workbook_only(args.file, args.sheet)
        mapping = dataclasses.replace(mapping, sheet=args.sheet)
    con = store.connect(args.db)
    ingest.limit_memory(con, args.memory_limit)
    result, report, rejects = ingest.ingest_file(con, args.file, mapping, name=args.dataset, replace=args.replace,
                                                 rejects=args.rejects)
    payload = {
        "dataset": result.dataset if result else None, "rows_read": report.rows_read,
        "rows_loaded": result.rows_loaded if result else 0, "rows_rejected": report.rows_rejected,
        "answers": result.answers if result else 0, "not_applicable": report.not_applicable,
        "rejects": str(rejects) if rejects else None,
        "problems": [{"problem": p.kind, "column": p.column, "count": p.rows, "unit": p.unit,
                      "first": list(p.first_rows), "fix": p.fix} for p in report.problems],
        "cells_left_empty": report.cells_left_empty,
        "left_empty": [{"reason": p.kind, "column": p.column, "count": p.rows, "first": list(p.first_rows),
                        "fix": p.fix} for p in report.emptied],
        "notes": list(report.notes),
    }
    if result is None:
        if args.json:
            _print(payload, True, [])
        raise ingest.NothingLoaded(ingest.nothing_loaded_message(Path(args.file).name, report)
                                   + (f" Rejected rows with reasons: {rejects}." if rejects else ""))
    lines = [f"Loaded {result.rows_loaded:,} of {result.rows_read:,} rows into data set '{result.dataset}' "
             f"({result.answers:,} answers). {report.accounting()}"]
    lines += report.summary()[1:]
    lines += [f"note: {note}" for note in report.notes]  # the notes the Upload page shows
    lines += [f"rejected: {line}" for line in ingest.problems_text(report)]
    lines += [f"left empty: {p.sentence()}" for p in report.emptied]
    if rejects:
        lines.append(f"Rejected rows with a reason column: {rejects}")
    _print(payload, args.json, lines)
    return 0


def _workbook_only(file: str, sheet: str) -> None:
    """Refuse --sheet for a file that is not an Excel workbook (one line, exit 2)."""
    from cx.ingest import workbook

    try:
        with open(file, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return  # the import says what is wrong with the path
    if not workbook.looks_like_workbook(file, head):
        raise InvalidInput(f"--sheet {sheet!r}: {file} is not an Excel workbook (.xlsx); leave --sheet out.")


def cmd_guess(args: argparse.Namespace) -> int:
    import duckdb

    from cx import ingest

    con = duckdb.connect()  # staging only: the store is not opened
    if args.sheet is not None:
        _workbook_only(args.file, args.sheet)
    staged = ingest.stage(con, args.file, sheet=args.sheet)
    try:
        proposal = ingest.propose(con, staged)
    finally:
        ingest.discard(con, staged)
    m = proposal.mapping
    file_notes = [*staged.fmt.notes, *staged.notes]  # how the file was read: the Upload page's first notes
    if args.json:
        for note in [*file_notes, *proposal.notes]:
            print(f"cx guess: note: {note}", file=sys.stderr)
        _print(m.to_dict(), True, [])
        return 0
    rules = [f"{t.name} ({maps.scale_label(m.wide_rule(t).scale)})" for t in m.touchpoints]
    lines = [f"{args.file}: {m.format} format, respondent: {m.respondent or '(none: rows are numbered)'}"]
    if m.format == "long":
        lines.append(f"touchpoint column: {m.touchpoint}, score column: {m.score} ({maps.scale_label(m.scale)})")
    else:
        lines.append("touchpoints: " + (", ".join(rules) or "none (an outcome-only data set)"))
    lines.append("outcomes: " + (", ".join(f"{o.column} ({o.kind}" + (f", {o.role}" if o.role else "") + ")"
                                           for o in m.outcomes) or "none"))
    lines.append("segments: " + (", ".join(m.segments) or "none"))
    lines += [f"{role}: {getattr(m, role)}" for role in maps.ROW_ROLES if getattr(m, role)]
    lines += [f"note: {note}" for note in [*file_notes, *proposal.notes]]
    lines.append(f"Save it with `python -m cx guess {args.file} --json > mapping.json`, check it, then "
                 f"`python -m cx ingest {args.file} --mapping mapping.json`.")
    _print(m.to_dict(), False, lines)
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    from cx import actions
    from cx.engines import store_engine

    con = _open_store(args.db)
    listed = actions.list_actions(con, dataset=args.dataset, touchpoint=args.touchpoint)
    rows, lines = [], []
    for action in listed:
        row = action.as_dict()
        lines.append(f"#{action.action_id} {row['action_date']} {action.touchpoint}: {action.title} ({action.status})")
        if args.effect:
            effect = actions.before_after(store_engine(con), action, dataset=args.dataset,
                                          window_days=args.window_days, min_n=args.min_n) \
                if (args.dataset or action.dataset) else None
            row["effect"] = None if effect is None else effect.as_dict()
            lines.append(f"    {effect.sentence() if effect else 'tied to no data set: pass --dataset'}")
        rows.append(row)
    _print(rows, args.json, lines or ["No actions logged."])
    return 0


def cmd_alerts_add(args: argparse.Namespace) -> int:
    from cx import alerts

    con = _open_store(args.db)
    if args.base_url is not None:
        alerts.set_base_url(con, args.base_url)
    kind, threshold = (alerts.BELOW, args.below) if args.below is not None else (alerts.AT_MOST, args.at_most)
    rule = alerts.add_rule(con, dataset=args.dataset, touchpoint=args.touchpoint, outcome=args.outcome, kind=kind,
                           threshold=threshold, window=args.window, webhook=args.webhook)
    _print(rule.as_dict(), args.json, [f"Rule #{rule.rule_id} on {rule.dataset}: {rule.describe()} (on its own "
                                       "scale)" + (f"; posts to {rule.webhook}" if rule.webhook else "")])
    return 0


def cmd_alerts_list(args: argparse.Namespace) -> int:
    from cx import alerts

    con = _open_store(args.db)
    listed = alerts.fired_alerts(con, dataset=args.dataset, open_only=args.open)
    lines = [f"#{a.alert_id} {a.fired_at:%Y-%m-%d %H:%M} UTC  {a.dataset}: {a.message()}"
             + ("" if a.webhook_status is None else f"  [webhook {a.webhook_status}, {a.webhook_attempts} attempts"
                + (f": {a.webhook_error}" if a.webhook_error else "") + "]")
             + (f"  action #{a.action_id}" if a.action_id is not None else "") for a in listed]
    _print([a.as_dict() for a in listed], args.json, lines or ["No alert has fired."])
    return 0


def cmd_alerts_rules(args: argparse.Namespace) -> int:
    from cx import alerts

    con = _open_store(args.db)
    listed = alerts.rules(con, dataset=args.dataset)
    _print([r.as_dict() for r in listed], args.json,
           [f"#{r.rule_id} {r.dataset}: {r.describe()}" + ("  FIRING" if r.firing else "")
            + (f"  -> {r.webhook}" if r.webhook else "") for r in listed] or ["No alert rule yet."])
    return 0


def cmd_alerts_delete(args: argparse.Namespace) -> int:
    from cx import alerts

    con = _open_store(args.db)
    rule = alerts.get_rule(con, args.rule)
    alerts.delete_rule(con, args.rule)
    _print({"deleted": rule.as_dict()}, args.json, [f"Deleted rule #{rule.rule_id}: {rule.describe()}"])
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cx import report

    if args.journey is None and args.dataset is None:
        raise InvalidInput("Say what to report on: --journey NAME or --dataset NAME (see `python -m cx journeys`).")
    con = _open_store(args.db)
    built = report.build_report(con, args.journey, dataset=args.dataset, min_n=args.min_n,
                                window_days=args.window_days, quotes=0 if args.no_quotes else 2)
    text = report.report_html(built) if args.format == "html" else report.report_markdown(built)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    Path(args.out).expanduser().write_text(text, encoding="utf-8")
    payload = {"journey": built.journey, "dataset": built.dataset, "format": args.format, "out": str(args.out),
               "touchpoints": [i.touchpoint for i in built.items]}
    _print(payload, args.json, [f"Wrote the {args.format} report on {built.journey} "
                                f"({len(built.items)} touchpoints) to {args.out}"])
    return 0


def _comment_view(args: argparse.Namespace) -> Any:
    """Return the comments `comments` and `themes` read: the data set's, at --touchpoint, scored at most --max-score."""
    from cx import comments

    con = _open_store(args.db)
    engine = _engine_or_store(args, con, args.dataset)
    if args.touchpoint is not None:
        table = engine.responses(args.dataset)
        known = sorted(table.select("touchpoint").distinct().execute()["touchpoint"].astype(str))
        if args.touchpoint not in known:
            raise NotFound(f"Data set '{args.dataset}' has no touchpoint '{args.touchpoint}'. "
                           f"It has: {', '.join(known) or 'none'}.")
    frame = comments.comments(engine, args.dataset, touchpoint=args.touchpoint)
    return comments.select_comments(frame, max_score=args.max_score)


def cmd_comments(args: argparse.Namespace) -> int:
    from cx import comments
    from cx.comments_text import sentiment_unavailable

    frame = _comment_view(args)
    records = comments.comment_records(frame)
    lines = [
        f"{r['respondent']}  {r['touchpoint'] or comments.WHOLE_RESPONSE}  "
        + ("no score" if r["score"] is None else f"score {r['score']:g}") + f"  [{r['language']}] "
        + (sentiment_unavailable(r["language"]) if r["sentiment"] is None else f"sentiment {r['sentiment']:+.2f}")
        + f"  {r['comment']}"
        for r in records
    ]
    _print(records, args.json, lines or ["No comments match."])
    return 0


def cmd_themes(args: argparse.Namespace) -> int:
    from cx import comments_themes

    if args.k < 1:
        raise InvalidInput(f"--k {args.k}: ask for at least 1 theme (default {comments_themes.DEFAULT_K}).")
    found = comments_themes.themes(_comment_view(args), k=args.k)
    payload = {"themes": [t.as_dict() for t in found.themes]}
    lines = [f"{t.label}: {t.n:,} comments ({t.share:.0%})"
             + ("" if t.mean_score is None else f", mean score {t.mean_score:.2f}") + f" — {', '.join(t.terms)}"
             for t in found.themes]
    if found.reason:
        print(f"cx themes: {found.reason}", file=sys.stderr)
    _print(payload, args.json, lines)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cx", description="cx: customer-experience journey analysis on DuckDB.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
        p.add_argument("--json", action="store_true", help="print JSON")
        return p

    command("journeys", "List journeys.").set_defaults(run=cmd_journeys)
    command("datasets", "List data sets.").set_defaults(run=cmd_datasets)
    p = command("journey-export", "Write a journey and its team scores as JSON (the journey file format).")
    p.add_argument("--journey", required=True, help="journey name, e.g. 'Product launch'")
    p.add_argument("--out", help="file to write (default: print to stdout)")
    p.set_defaults(run=cmd_journey_export)
    p = command("journey-import", "Import a journey JSON file (as written by journey-export or the app).")
    p.add_argument("file", help="the journey JSON file")
    p.add_argument("--as", dest="as_name", help="import under this name instead of the file's")
    p.add_argument("--replace", action="store_true", help="replace a journey of the same name")
    p.add_argument("--drop-unknown", action="store_true",
                   help="leave out touchpoints its linked data set has no answers for (default: keep them)")
    p.set_defaults(run=cmd_journey_import)
    p = command("workshops", "List workshops with their status, participants and votes.")
    p.add_argument("--journey", help="only this journey's workshops")
    p.set_defaults(run=cmd_workshops)
    p = command("survey-links", "Create survey links asking about a touchpoint; answers land in the data set at once.")
    p.add_argument("--dataset", required=True, help="data set the answers go to (created as a live data set if new)")
    p.add_argument("--touchpoint", required=True, help="the touchpoint asked about, e.g. 'Checkout'")
    p.add_argument("--count", type=int, default=1, help=f"how many links (default 1, at most {MAX_LINKS:,})")
    p.add_argument("--shared", action="store_true",
                   help="shared links (a poster's QR code: one answer per browser) instead of single-use ones")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL,
                   help=f"the address the app is reached at (default {DEFAULT_BASE_URL})")
    p.add_argument("--expires", type=float, default=float(DEFAULT_EXPIRY_DAYS),
                   help=f"days until the links expire (default {DEFAULT_EXPIRY_DAYS}, more than 0)")
    p.set_defaults(run=cmd_survey_links)
    p = command("ingest", "Import a CSV/TSV/Excel/Parquet file as a named data set, with a mapping JSON.")
    p.add_argument("file", help="the file to import")
    p.add_argument("--mapping", required=True, help="mapping JSON (download one from the Upload page)")
    p.add_argument("--dataset", help="data set name (default: the file name without extension)")
    p.add_argument("--rejects", help="where to write rejected rows (default: FILE.rejected.csv beside the input)")
    p.add_argument("--replace", action="store_true", help="replace a data set of the same name")
    p.add_argument("--sheet", help="the Excel sheet to read (default: the mapping's \"sheet\", else the sheet that "
                                   "was open when the workbook was saved, never a hidden one)")
    p.add_argument("--memory-limit", default="1GB",
                   help="DuckDB's memory for the import, e.g. 1GB or 4GB; beyond it, it spills to disk (default 1GB)")
    p.set_defaults(run=cmd_ingest)
    p = command("guess", "Print the mapping the Upload page would propose for a file (--json: the mapping JSON).")
    p.add_argument("file", help="the CSV/TSV/Excel/Parquet file to read")
    p.add_argument("--sheet", help="the Excel sheet to read (default: the sheet that was open when the workbook was "
                                   "saved, never a hidden one)")
    p.set_defaults(run=cmd_guess)
    p = command("touchpoints", "Score each touchpoint of a journey (or a data set) in order.")
    p.add_argument("--journey", help="journey name, e.g. 'Product launch'")
    p.add_argument("--dataset", help="data set name (scores the journey on it, or all its touchpoints)")
    p.add_argument("--min-n", type=_min_n, default=30, help="fewer answers than this are flagged (default 30)")
    _source_options(p)
    p.set_defaults(run=cmd_touchpoints)
    p = command("metrics", "Compute the metric portfolio (NPS, CSAT, CES, churn…) of a data set.")
    p.add_argument("--dataset", help="data set name (needed when there is more than one)")
    p.add_argument("--by", help="group by touchpoint, channel, stage, unit, month or a segment column")
    p.add_argument("--metric", action="append", choices=[*METRICS, OUTCOME],
                   help="only this metric (repeatable; 'outcome': every outcome of the data set); default: all")
    p.add_argument("--min-n", type=_min_n, default=30, help="fewer answers than this are flagged (default 30)")
    p.add_argument("--margin", type=float, help="CLV: share of revenue kept, above 0 and at most 1 (default: the "
                                                "mapping's \"clv\", else 1)")
    p.add_argument("--discount", type=float, help="CLV: discount rate per period, 0 to 1 (default: the mapping's, "
                                                  "else 0)")
    p.add_argument("--period", help="CLV: label of the period revenue and churn are measured over, e.g. year "
                                    "(default: the mapping's, else 'period')")
    _source_options(p)
    p.set_defaults(run=cmd_metrics)
    p = command("export", "Write a data set as hive-partitioned Parquet (cx's long schema).")
    p.add_argument("--dataset", required=True, help="data set name")
    p.add_argument("--out", required=True, help="directory to write into (created if needed)")
    p.set_defaults(run=cmd_export)
    p = command("drivers", "Driver analysis: which touchpoints move an outcome (relative weights).")
    p.add_argument("--dataset", required=True, help="data set name")
    p.add_argument("--outcome", required=True, help="outcome name, e.g. 'Likelihood to recommend'")
    p.add_argument("--rule", choices=("pairwise", "listwise"), default="pairwise",
                   help="missing answers: pairwise (default) or listwise deletion")
    p.add_argument("--filter", action="append", metavar="COLUMN=VALUE",
                   help="only these answers: channel, unit, stage, touchpoint or a segment (repeatable)")
    p.add_argument("--min-n", type=_min_n, default=30,
                   help="touchpoints (and pairs) with fewer answers are left out (default 30)")
    _source_options(p)
    p.set_defaults(run=cmd_drivers)
    p = command("paths", "Observed journeys: the paths customers really took, their outcome, transitions, drop-off.")
    p.add_argument("--dataset", required=True, help="data set name")
    p.add_argument("--outcome", help="outcome per path (default: the recommend outcome, else the first one)")
    p.add_argument("--journey", help="designed journey to compare with (its order and the drop-off per step)")
    p.add_argument("--top", type=int, default=10, help="how many of the most frequent paths to print (default 10)")
    p.add_argument("--min-n", type=_min_n, default=30,
                   help="paths with fewer respondents with an outcome are flagged, not tested (default 30)")
    p.add_argument("--filter", action="append", metavar="COLUMN=VALUE",
                   help="only these answers: channel, unit, stage, touchpoint or a segment (repeatable)")
    _source_options(p)
    p.set_defaults(run=cmd_paths)
    p = command("actions", "List the actions logged per touchpoint, optionally with their before/after effect.")
    p.add_argument("--dataset", help="only this data set's actions (and those tied to none)")
    p.add_argument("--touchpoint", help="only this touchpoint's actions")
    p.add_argument("--effect", action="store_true", help="add the before/after test of each action")
    p.add_argument("--window-days", type=_window_days, default=90,
                   help="days before and after each action (default 90)")
    p.add_argument("--min-n", type=_min_n, default=30, help="fewer answers than this are flagged (default 30)")
    p.set_defaults(run=cmd_actions)
    alerts_parser = sub.add_parser("alerts", help="Alert rules on touchpoints and outcomes, and the alerts fired.",
                                   description="Alert rules on touchpoints and outcomes, and the alerts fired.")
    alerts_sub = alerts_parser.add_subparsers(dest="alerts_command", required=True, parser_class=_Parser)
    for name, help_text, run in (
        ("add", "Add a rule: one answer at or below X, or the mean of the last N answers below X.", cmd_alerts_add),
        ("list", "List the fired alerts, newest first, with their webhook delivery.", cmd_alerts_list),
        ("rules", "List the alert rules.", cmd_alerts_rules),
        ("delete", "Delete a rule (the alerts it fired stay).", cmd_alerts_delete),
    ):
        p = alerts_sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(run=run)
        if name == "add":
            p.add_argument("--dataset", required=True, help="data set name")
            target = p.add_mutually_exclusive_group(required=True)
            target.add_argument("--touchpoint", help="the touchpoint to watch")
            target.add_argument("--outcome", help="the outcome to watch instead of a touchpoint")
            kind = p.add_mutually_exclusive_group(required=True)
            kind.add_argument("--below", type=float, metavar="X",
                              help="fire when the mean of the last N answers falls below X (its own scale)")
            kind.add_argument("--at-most", type=float, metavar="X",
                              help="fire when an answer is at or below X (its own scale), e.g. 6 on 0-10")
            p.add_argument("--window", type=int, metavar="N", help="--below: how many answers (default 10)")
            p.add_argument("--webhook", help="http(s) URL to POST each alert to as JSON")
            p.add_argument("--base-url", help="the app's address, for the alert's link (kept; default "
                                              "http://localhost:8501)")
        elif name == "delete":
            p.add_argument("--rule", type=int, required=True, help="the rule's id (see `alerts rules`)")
        else:
            p.add_argument("--dataset", help="only this data set's")
            if name == "list":
                p.add_argument("--open", action="store_true", help="only alerts not yet turned into an action")
    p = command("report", "Write the 'You said, we did' report of a journey (HTML with charts, or Markdown).")
    p.add_argument("--journey", help="journey name (default data set: the journey's own)")
    p.add_argument("--dataset", help="data set to read (without --journey: every touchpoint of it)")
    p.add_argument("--format", choices=("html", "md"), default="html", help="html (with charts, default) or md")
    p.add_argument("--out", help="file to write (default: print to stdout)")
    p.add_argument("--window-days", type=_window_days, default=90,
                   help="days before and after each action (default 90)")
    p.add_argument("--min-n", type=_min_n, default=30, help="fewer answers than this are flagged (default 30)")
    p.add_argument("--no-quotes", action="store_true", help="leave example comments out")
    p.set_defaults(run=cmd_report)
    for name, help_text, run in (
        ("comments", "List the comments with their language and sentiment (one per respondent in wide files).",
         cmd_comments),
        ("themes", "Group the comments into named themes (NMF over TF-IDF), with n, share, mean score, examples.",
         cmd_themes),
    ):
        p = command(name, help_text)
        p.add_argument("--dataset", required=True, help="data set name")
        p.add_argument("--touchpoint", help="only comments at this touchpoint (default: all, whole responses too)")
        p.add_argument("--max-score", type=_finite, help="only comments scored at most this, on their own scale")
        if name == "themes":
            p.add_argument("--k", type=int, default=5, help="at most this many themes (default 5)")
        p.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)  # --help and bad arguments end here, before the store is imported
    from cx import store

    db = store.default_db_path() if getattr(args, "db", None) is None else Path(args.db)
    existed = db.exists()
    try:
        code = int(args.run(args))
        if not existed and db.exists():  # say so: a mistyped --db or a deleted file is not silently a new database
            print(f"cx {args.command}: note: there was no database at {db}: started a new cx database there.",
                  file=sys.stderr)
        return code
    except BrokenPipeError:  # e.g. `| head`: the reader left, nothing to report.
        sys.stderr.close()
        return 0
    except CxError as exc:
        print(f"cx {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
