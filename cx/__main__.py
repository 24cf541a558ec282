"""The cx command line: `python -m cx COMMAND …` over the same functions as the app.

No Streamlit on this path. Bad arguments exit 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from cx import journeys, store
from cx.errors import CxError


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


def cmd_touchpoints(args: argparse.Namespace) -> int:
    con = store.open_store(args.db)
    if args.journey is None and args.dataset is None:
        raise CxError("Say what to score: --journey NAME or --dataset NAME (see `python -m cx journeys`).")
    if args.journey is not None:
        scores = journeys.journey_scores(con, args.journey, dataset=args.dataset, min_n=args.min_n)
    else:
        scores = journeys.dataset_scores(con, args.dataset, min_n=args.min_n)
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
    p.set_defaults(run=cmd_touchpoints)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CxError as exc:
        print(f"cx {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
