"""The cx command line: `python -m cx COMMAND …` over the same functions as the app.

No Streamlit on this path. Bad arguments exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from cx import journeys, metrics, store
from cx.engines import ENGINES, Engine, source_engine, store_engine
from cx.errors import CxError, InvalidInput


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _print(payload: Any, as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(line)


def cmd_journeys(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
    rows = []
    for name in store.journey_names(con):
        j = store.load_journey(con, name)
        rows.append({"journey": j.name, "persona": j.persona, "goal": j.goal, "dataset": j.dataset,
                     "touchpoints": [s.touchpoint for s in j.steps]})
    _print(rows, args.json,
           [f"{r['journey']}: {len(r['touchpoints'])} touchpoints"
            + (f" (data set {r['dataset']})" if r["dataset"] else "") for r in rows])
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
    frame = store.datasets(con).drop(columns=["mapping"])
    rows = json.loads(frame.to_json(orient="records", date_format="iso"))
    _print(rows, args.json, [f"{r['dataset']}: {r['answers']} answers from {r['respondents']} respondents"
                             for r in rows])
    return 0


def engine_for(args: argparse.Namespace, con: Any) -> Engine | None:
    """Return the engine chosen by --engine/--source, or None for the store's own."""
    source = getattr(args, "source", None)
    if source is None:
        if getattr(args, "engine", "duckdb") != "duckdb":
            raise InvalidInput("Spark reads a Parquet export: add --source DIR (write one with `cx export`).")
        return None
    return source_engine(args.engine, source)


def _engine_or_store(args: argparse.Namespace, con: Any, dataset: str | None) -> Engine:
    engine = engine_for(args, con)
    if engine is None:
        if dataset is not None and not store.has_dataset(con, dataset):
            known = ", ".join(store.dataset_names(con)) or "none"
            raise store.NotFound(f"No data set named '{dataset}'. Known data sets: {known}.")
        return store_engine(con)
    if dataset is not None and dataset not in engine.dataset_names():
        raise store.NotFound(f"The source {args.source} has no data set '{dataset}'. "
                             f"It has: {', '.join(engine.dataset_names()) or 'none'}.")
    return engine


def cmd_touchpoints(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
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
    if by is None or by.startswith("segment:") or by in (*metrics.RESPONSE_FILTER_COLUMNS, "month"):
        return by
    return f"segment:{by}"


def cmd_metrics(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
    dataset = args.dataset
    if dataset is None:
        names = store.dataset_names(con) if args.source is None else engine_for(args, con).dataset_names()
        if len(names) != 1:
            raise InvalidInput(f"Say which data set: --dataset NAME (one of: {', '.join(names) or 'none'}).")
        dataset = names[0]
    engine = _engine_or_store(args, con, dataset)
    names_wanted = args.metric or None
    results = metrics.compute(engine, names_wanted, dataset=dataset, by=_group_by(args.by), min_n=args.min_n)
    group_field = None if args.by is None else args.by.removeprefix("segment:")
    rows = [r.as_dict(group_field) for r in results]
    lines = []
    for r in results:
        label = metrics.metric(r.metric).label + (f" [{r.group}]" if args.by else "")
        if r.value is None:
            lines.append(f"{label}: {r.reason}")
        else:
            interval = "" if r.low is None else f"  95 % {r.low:.2f} to {r.high:.2f}"
            lines.append(f"{label}: {r.value:.2f}{interval}  n={r.n}" + ("  (low n)" if r.low_n else ""))
    _print(rows, args.json, lines)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
    written = store.export_parquet(con, args.dataset, args.out)
    payload = {"dataset": args.dataset, "out": str(args.out), "rows": written}
    _print(payload, args.json, [f"{args.dataset}: wrote {n:,} {t} rows under {args.out}/{t}/"
                                for t, n in written.items()])
    return 0


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="compute on DuckDB (default) or Spark; Spark needs --source")
    p.add_argument("--source", help="a Parquet directory written by `cx export` (default: the store)")


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
    p = command("touchpoints", "Score each touchpoint of a journey (or a data set) in order.")
    p.add_argument("--journey", help="journey name, e.g. 'Product launch'")
    p.add_argument("--dataset", help="data set name (scores the journey on it, or all its touchpoints)")
    p.add_argument("--min-n", type=int, default=30, help="fewer answers than this are flagged (default 30)")
    _source_options(p)
    p.set_defaults(run=cmd_touchpoints)
    p = command("metrics", "Compute the metric portfolio (NPS, CSAT, CES, churn…) of a data set.")
    p.add_argument("--dataset", help="data set name (needed when there is more than one)")
    p.add_argument("--by", help="group by touchpoint, channel, stage, unit, month or a segment column")
    p.add_argument("--metric", action="append", choices=list(metrics.REGISTRY),
                   help="only this metric (repeatable); default: all")
    p.add_argument("--min-n", type=int, default=30, help="fewer answers than this are flagged (default 30)")
    _source_options(p)
    p.set_defaults(run=cmd_metrics)
    p = command("export", "Write a data set as hive-partitioned Parquet (cx's long schema).")
    p.add_argument("--dataset", required=True, help="data set name")
    p.add_argument("--out", required=True, help="directory to write into (created if needed)")
    p.set_defaults(run=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # e.g. `| head`: the reader left, nothing to report.
        sys.stderr.close()
        return 0
    except CxError as exc:
        print(f"cx {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
