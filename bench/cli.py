"""CLI benchmark on the embedded store: each data-set command against its SQL floor, at a small and big sizes.

    python bench/cli.py                                         # 20,000, 2 M and 10 M answers, 1 run each
    python bench/cli.py --answers 20000 2000000 --repeat 3 --commands touchpoints metrics
    python bench/cli.py --workdir /tmp/cx-cli                   # stores kept there and reused on the next run

A store per size is generated with bench/pages.py's generator (10 touchpoints on 1-5, 1-7 and 0-10 scales, 8 answers
per respondent over 12 months, a persona segment, a 0-10 recommend outcome, a wait-time operational metric, a comment
on about 10 % of the answers), plus a journey over the data set ("Bench journey") and one action on Delivery dated
2025-06-01. The stores stay in --workdir (default /tmp/cx-bench-cli) and are reused.

Each command runs in a fresh process, `python -m cx COMMAND ... --db STORE --json`, output to a temp file. Its
**floor** is a fresh DuckDB-only process (`import duckdb`, the store opened read-only, the same CX_MEMORY_LIMIT and
spill folder) running hand-written SQL that computes the numbers the command prints. Where a command does work that
is not SQL (comments: language and sentiment of every comment; themes: TF-IDF and NMF; report: distinctive terms and
the HTML; drivers: relative weights), the floor is the SQL part only: the output marks those commands with `*`. On
the smallest store the floor's numbers are checked against cx's JSON (a few values per command; a mismatch stops the
benchmark).

Per command and size: the median of --repeat runs of wall time and of CPU time (user + system, from
resource.getrusage(RUSAGE_CHILDREN) deltas), and the largest peak RSS (the process's own VmHWM). Printed per big
size: cx_small (the command on the smallest store), floor_big, cx_big, and issue 17's ratio
cx_big / (cx_small + floor_big), on wall and on CPU time (the machine is shared, CPU is the steadier one; target
≤ 1.5). --json-out writes every measurement as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _timing import FRESH_PROCESS  # bench/ is on the path when a benchmark runs as a script

ROOT = Path(__file__).resolve().parent.parent
DATASET = "Bench"
JOURNEY = "Bench journey"
ACTION_TOUCHPOINT = "Delivery"
ACTION_DAY = "2025-06-01"
WINDOW = 90  # days before and after the action (cx's default --window-days)
READY = "bench_cli_ready"  # store setting: the journey and the action are in


def build(path: Path, answers: int) -> float:
    """Write the store for `answers` answers at `path` unless a finished one is there; return the seconds it took."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from datetime import date

    from cx import actions, store
    from cx.models import Journey, JourneyStep

    if path.exists():
        con = store.connect(path)
        ready = store.get_setting(con, READY)
        con.close()
        if ready == "yes":
            return 0.0
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    import pages  # bench/pages.py: its store generator (imports streamlit, so only when a store is built)

    began = time.perf_counter()
    pages.generate(path, answers)
    con = store.connect(path)
    steps = tuple(JourneyStep(position=i, touchpoint=tp[0], stage=tp[1]) for i, tp in enumerate(pages.TOUCHPOINTS, 1))
    store.save_journey(con, Journey(name=JOURNEY, dataset=DATASET, steps=steps))
    actions.add_action(con, touchpoint=ACTION_TOUCHPOINT, title="New courier", action_date=date.fromisoformat(
        ACTION_DAY), dataset=DATASET)
    store.set_setting(con, READY, "yes")
    con.close()
    return time.perf_counter() - began


# ---------------------------------------------------------------- the floors: hand-written SQL per command

SCORE10 = ("CASE WHEN reversed THEN 10 - 10 * (score - scale_min) / (scale_max - scale_min) "
           "ELSE 10 * (score - scale_min) / (scale_max - scale_min) END")
SCORED = f"(SELECT *, {SCORE10} AS score10 FROM responses WHERE dataset = '{DATASET}' AND score IS NOT NULL)"
# Per touchpoint, clustered by respondent: per (touchpoint, respondent) sums, then their sums and cross-products;
# the describing columns (raw mean, scales) by touchpoint alone.
TOUCHPOINTS_SQL = f"""
    WITH per AS (SELECT touchpoint, respondent, count(score10) AS n, sum(score10) AS s1, sum(score10 * score10) AS s2
                 FROM {SCORED} GROUP BY touchpoint, respondent),
         clustered AS (SELECT touchpoint, sum(n) AS n, sum(s1) AS s1, sum(s2) AS s2, sum(s1 * s1) AS ss,
                              sum(s1 * n) AS sn, sum(n * n) AS nn, count(*) AS clusters FROM per GROUP BY touchpoint),
         described AS (SELECT touchpoint, avg(score) AS mean, min(scale_min) AS lo, max(scale_max) AS hi
                       FROM {SCORED} GROUP BY touchpoint)
    SELECT touchpoint, n, s1 / n AS score, mean, s2, ss, sn, nn, clusters, lo, hi
    FROM clustered JOIN described USING (touchpoint) ORDER BY touchpoint"""
JOURNEY_SQL = f"""SELECT s.position, s.touchpoint, s.target FROM journey_steps s JOIN journeys j USING (journey_id)
                  WHERE j.name = '{JOURNEY}' ORDER BY s.position"""
CSAT, CES = "scale_min = 1 AND scale_max = 5", "scale_min = 1 AND scale_max = 7"
METRICS_SQL = {
    "answers": f"""
        SELECT sum(n), sum(s1), sum(s2), sum(s1 * s1), sum(s1 * n), sum(n * n), count(*) FILTER (WHERE n > 0),
               sum(cn), sum(top2), sum(top2 * top2), sum(top2 * cn), sum(cn * cn), count(*) FILTER (WHERE cn > 0),
               sum(en), sum(e1), sum(e1 * e1), sum(e1 * en), sum(en * en), sum(easy), count(*) FILTER (WHERE en > 0),
               sum(rows)
        FROM (SELECT respondent, count(score10) AS n, sum(score10) AS s1, sum(score10 * score10) AS s2,
                     count(score10) FILTER (WHERE {CSAT}) AS cn,
                     count(score10) FILTER (WHERE {CSAT} AND score10 >= 7.5) AS top2,
                     count(score) FILTER (WHERE {CES}) AS en, sum(score) FILTER (WHERE {CES}) AS e1,
                     count(score) FILTER (WHERE {CES} AND score >= 5) AS easy, count(*) AS rows
              FROM (SELECT *, {SCORE10} AS score10 FROM responses WHERE dataset = '{DATASET}') GROUP BY respondent)""",
    "outcomes": f"""
        SELECT outcome, kind, role, count(value), sum(value), sum(value * value),
               count(value) FILTER (WHERE value >= 9), count(value) FILTER (WHERE value <= 6),
               min(scale_min), max(scale_max)
        FROM outcomes WHERE dataset = '{DATASET}' AND value IS NOT NULL GROUP BY outcome, kind, role""",
}
_NAMES = ("Ad", "Website", "Store visit", "Advice", "Checkout", "Delivery", "Unboxing", "Setup", "Support", "Renewal")
_PIVOT = ", ".join(f"avg(v) FILTER (WHERE touchpoint = '{t}') AS t{i}" for i, t in enumerate(_NAMES))
_PAIRS = [(i, j) for i in range(len(_NAMES)) for j in range(i + 1, len(_NAMES))]
DRIVERS_SQL = f"""
    WITH per AS (SELECT respondent, touchpoint, avg(score10) AS v FROM {SCORED} GROUP BY respondent, touchpoint),
         wide AS (SELECT respondent, {_PIVOT} FROM per GROUP BY respondent),
         joined AS (SELECT wide.*, o.value AS y FROM wide JOIN outcomes o
                    ON o.respondent = wide.respondent AND o.dataset = '{DATASET}' AND o.outcome = 'Recommend'
                    WHERE o.value IS NOT NULL)
    SELECT count(*), {", ".join(f"corr(t{i}, y), count(t{i}), avg(t{i})" for i in range(len(_NAMES)))},
           {", ".join(f"corr(t{i}, t{j}), count(t{i} + t{j})" for i, j in _PAIRS)}
    FROM joined"""
PATHS_SQL = {
    "paths": f"""
        WITH seq AS (SELECT respondent, string_agg(touchpoint, ' > ' ORDER BY answered_at, touchpoint) AS path
                     FROM responses WHERE dataset = '{DATASET}' AND answered_at IS NOT NULL GROUP BY respondent)
        SELECT path, count(*) AS n, count(o.value), avg(o.value), count(o.value) FILTER (WHERE o.value >= 9),
               count(o.value) FILTER (WHERE o.value <= 6)
        FROM seq LEFT JOIN outcomes o ON o.respondent = seq.respondent AND o.dataset = '{DATASET}'
                                     AND o.outcome = 'Recommend'
        GROUP BY path ORDER BY n DESC, path LIMIT 10""",
    "transitions": f"""
        SELECT touchpoint, nxt, count(*) AS n FROM (
            SELECT touchpoint, lead(touchpoint) OVER (PARTITION BY respondent ORDER BY answered_at, touchpoint) AS nxt
            FROM responses WHERE dataset = '{DATASET}' AND answered_at IS NOT NULL)
        WHERE nxt IS NOT NULL GROUP BY ALL ORDER BY n DESC""",
    "respondents": f"""SELECT count(DISTINCT respondent), count(DISTINCT respondent) FILTER (WHERE answered_at IS NULL)
                       FROM responses WHERE dataset = '{DATASET}'""",
}
COMMENTS_SQL = f"""SELECT respondent, touchpoint, score, scale_min, scale_max, comment FROM responses
                   WHERE dataset = '{DATASET}' AND comment IS NOT NULL"""
_BEFORE = f"answered_at >= DATE '{ACTION_DAY}' - INTERVAL {WINDOW} DAY AND answered_at < DATE '{ACTION_DAY}'"
_AFTER = f"answered_at >= DATE '{ACTION_DAY}' AND answered_at < DATE '{ACTION_DAY}' + INTERVAL {WINDOW} DAY"
EFFECT_SQL = f"""
    WITH per AS (SELECT respondent, CASE WHEN {_BEFORE} THEN 'before' ELSE 'after' END AS side, count(score10) AS n,
                        sum(score10) AS s1, sum(score10 * score10) AS s2, sum(score) AS raw
                 FROM {SCORED} WHERE touchpoint = '{ACTION_TOUCHPOINT}' AND (({_BEFORE}) OR ({_AFTER}))
                 GROUP BY ALL)
    SELECT side, sum(n), sum(s1) / sum(n), sum(s2), sum(s1 * s1), sum(s1 * n), sum(n * n), count(*), sum(raw) / sum(n)
    FROM per GROUP BY side ORDER BY side DESC"""
TREND_SQL = f"""
    SELECT month, sum(n), sum(s1) / sum(n), sum(s2), sum(s1 * s1), sum(s1 * n), sum(n * n), count(*)
    FROM (SELECT date_trunc('month', answered_at) AS month, respondent, count(score10) AS n, sum(score10) AS s1,
                 sum(score10 * score10) AS s2
          FROM {SCORED} WHERE touchpoint = '{ACTION_TOUCHPOINT}' GROUP BY ALL)
    GROUP BY month ORDER BY month"""
REPORT_SQL = {
    "touchpoints": TOUCHPOINTS_SQL, "journey": JOURNEY_SQL,
    "last": f"SELECT max(answered_at) FROM responses WHERE dataset = '{DATASET}'",
    "comments": f"{COMMENTS_SQL} AND touchpoint = '{ACTION_TOUCHPOINT}'",
    "trend": TREND_SQL, "effect": EFFECT_SQL,
    "actions": f"SELECT * FROM actions WHERE dataset = '{DATASET}' AND touchpoint = '{ACTION_TOUCHPOINT}'",
}
_EXPORTED = ("responses", "outcomes", "segments", "operational")


def export_sql(out: str) -> dict[str, str]:
    """Return the floor of `cx export`: DuckDB's own COPY of each feedback table, hive-partitioned by data set."""
    return {table: f"COPY (SELECT * EXCLUDE (dataset), dataset FROM {table} WHERE dataset = '{DATASET}') "
                   f"TO '{out}/{table}' (FORMAT parquet, PARTITION_BY (dataset), OVERWRITE_OR_IGNORE)"
            for table in _EXPORTED}


# ---------------------------------------------------------------- checks: the floor's numbers against cx's JSON


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))
    return bool(a == b)


def check_touchpoints(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    by_name = {r["touchpoint"]: r for r in out}
    pairs = []
    for row in floor["touchpoints"]:
        cx = by_name[row[0]]
        pairs += [(f"{row[0]} n", row[1], cx["n"]), (f"{row[0]} score", row[2], cx["score"]),
                  (f"{row[0]} mean", row[3], cx["mean"])]
    return pairs


def check_metrics(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    got = {r["metric"]: r for r in out}
    a = floor["answers"][0]
    nps = floor["outcomes"][0]
    return [("responses", a[20], got["responses"]["value"]), ("mean_score n", a[0], got["mean_score"]["n"]),
            ("mean_score", a[1] / a[0], got["mean_score"]["value"]), ("csat n", a[7], got["csat"]["n"]),
            ("csat", 100 * a[8] / a[7], got["csat"]["value"]), ("ces", a[14] / a[13], got["ces"]["value"]),
            ("ces_easy", 100 * a[18] / a[13], got["ces_easy"]["value"]),
            ("outcome n", nps[3], got["outcome"]["n"]), ("nps", 100 * (nps[6] - nps[7]) / nps[3], got["nps"]["value"])]


def check_drivers(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    row = floor["drivers"][0]
    by_name = {t["touchpoint"]: t for t in out["touchpoints"]}
    pairs: list[tuple[str, Any, Any]] = [("respondents", row[0], out["respondents"])]
    for i, name in enumerate(_NAMES[:3]):
        pairs += [(f"{name} r", row[1 + 3 * i], by_name[name]["correlation"]),
                  (f"{name} n", row[2 + 3 * i], by_name[name]["n"])]
    return pairs


def check_paths(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    top = floor["paths"][0]
    first = floor["transitions"][0]
    return [("respondents", floor["respondents"][0][0], out["respondents"]),
            ("unordered", floor["respondents"][0][1], out["unordered"]),
            ("top path", top[0], " > ".join(out["paths"][0]["path"])), ("top path n", top[1], out["paths"][0]["n"]),
            ("top path NPS", 100 * (top[4] - top[5]) / top[2], out["paths"][0]["value"]),
            ("top transition", f"{first[0]} > {first[1]}", f"{out['transitions'][0]['from']} > "
                                                             f"{out['transitions'][0]['to']}"),
            ("top transition n", first[2], out["transitions"][0]["n"])]


def check_comments(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    return [("comments", len(floor["comments"]), len(out)),
            ("comments text", sorted(r[5] for r in floor["comments"]), sorted(r["comment"] for r in out))]


def check_themes(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    # NMF assigns each comment to at most one theme: the themes cannot hold more comments than the SQL returns.
    held = sum(t["n"] for t in out["themes"])
    return [("comments in themes <= comments", True, held <= len(floor["comments"]))]


def check_effect(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    effect = out[0]["effect"]
    before, after = floor["effect"]
    return [("before n", before[1], effect["before"]["n"]), ("before score", before[2], effect["before"]["score"]),
            ("after n", after[1], effect["after"]["n"]), ("after score", after[2], effect["after"]["score"]),
            ("diff", after[2] - before[2], effect["diff"])]


def check_report(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    # The report's numbers are the touchpoint scores and the action's windows (checked above); here: it covers the
    # touchpoint with the action.
    return [("reports the action's touchpoint", True, ACTION_TOUCHPOINT in out["touchpoints"])]


def check_export(floor: dict[str, list[list[Any]]], out: Any) -> list[tuple[str, Any, Any]]:
    return [(f"{table} rows", floor[table][0][0], out["rows"][table]) for table in _EXPORTED]


@dataclass(frozen=True)
class Command:
    """One command line to time, its floor (named SQL statements) and how to check the floor against its JSON."""

    name: str
    args: tuple[str, ...]
    floor: Callable[[Path], dict[str, str]]
    check: Callable[[dict[str, list[list[Any]]], Any], list[tuple[str, Any, Any]]]
    sql_only_floor: bool = True  # False: the command also does model work the floor leaves out


def commands() -> list[Command]:
    """Return the data-set commands that read answers, cheapest first."""
    return [
        Command("touchpoints --dataset", ("touchpoints", "--dataset", DATASET),
                lambda _: {"touchpoints": TOUCHPOINTS_SQL}, check_touchpoints),
        Command("touchpoints --journey", ("touchpoints", "--journey", JOURNEY),
                lambda _: {"touchpoints": TOUCHPOINTS_SQL, "journey": JOURNEY_SQL}, check_touchpoints),
        Command("metrics", ("metrics", "--dataset", DATASET), lambda _: dict(METRICS_SQL), check_metrics),
        Command("actions --effect", ("actions", "--dataset", DATASET, "--effect"),
                lambda _: {"effect": EFFECT_SQL}, check_effect),
        Command("drivers", ("drivers", "--dataset", DATASET, "--outcome", "Recommend"),
                lambda _: {"drivers": DRIVERS_SQL}, check_drivers, sql_only_floor=False),
        Command("paths", ("paths", "--dataset", DATASET), lambda _: dict(PATHS_SQL), check_paths),
        Command("export", ("export", "--dataset", DATASET, "--out", "{out}"), lambda out: export_sql(str(out)),
                check_export),
        Command("report", ("report", "--journey", JOURNEY, "--out", "{out}/report.html"),
                lambda _: dict(REPORT_SQL), check_report, sql_only_floor=False),
        Command("comments", ("comments", "--dataset", DATASET), lambda _: {"comments": COMMENTS_SQL},
                check_comments, sql_only_floor=False),
        Command("themes", ("themes", "--dataset", DATASET), lambda _: {"comments": COMMENTS_SQL},
                check_themes, sql_only_floor=False),
    ]


# ---------------------------------------------------------------- running fresh processes


# The floor: DuckDB alone, the store read-only, each statement's rows fetched (as cx fetches its results).
FLOOR = """
import duckdb, json, os, sys
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute(f"SET memory_limit = '{os.environ['CX_MEMORY_LIMIT']}'")
con.execute(f"SET temp_directory = '{os.environ['CX_TEMP_DIR']}'")
out = {}
for name, sql in json.loads(sys.argv[2]).items():
    out[name] = [list(r) for r in con.execute(sql).fetchall()]  # COPY returns the rows it wrote
with open(sys.argv[3], "w", encoding="utf-8") as f:
    json.dump(out, f, default=str)
"""


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float


def measured(args: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run `python -m MODULE ARGS` or `python -c CODE ARGS` in a fresh process; return its wall, CPU and peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", FRESH_PROCESS, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, timeout=timeout)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])[:200]}… failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KIB ")]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, int(peak[-1].split()[1]) / 1024)


def median_run(runs: list[Run]) -> Run:
    """Return the median wall and the median CPU time of the runs, and their largest peak."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
               max(r.peak_mib for r in runs))


def run_command(command: Command, db: Path, scratch: Path, env: dict[str, str], repeat: int,
                timeout: float) -> tuple[Run, Run, Any, dict[str, list[list[Any]]]]:
    """Time the command and its floor on one store; return both and their last outputs (cx's JSON, floor's rows)."""
    out_dir = scratch / "out"
    cx_json = scratch / "cx.json"
    floor_json = scratch / "floor.json"
    argv = [a.replace("{out}", str(out_dir)) for a in command.args]
    cx_runs, floor_runs = [], []
    for _ in range(repeat):
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        cx_runs.append(measured(["--stdout", str(cx_json), "cx", *argv, "--db", str(db), "--json"], env, timeout))
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        sqls = json.dumps(command.floor(out_dir))
        floor_runs.append(measured(["-c", FLOOR, str(db), sqls, str(floor_json)], env, timeout))
    shutil.rmtree(out_dir, ignore_errors=True)
    return (median_run(cx_runs), median_run(floor_runs), json.loads(cx_json.read_text(encoding="utf-8")),
            json.loads(floor_json.read_text(encoding="utf-8")))


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", nargs="+", type=float, default=[2e4, 2e6, 1e7],
                        help="sizes; the first is the small one the others are compared with")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per command and side (median)")
    parser.add_argument("--commands", nargs="+", help="only the commands whose name starts with one of these")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cx-bench-cli",
                        help="where the stores are kept and reused (default: /tmp/cx-bench-cli)")
    parser.add_argument("--memory-limit", default="1GB", help="CX_MEMORY_LIMIT for cx and the floor (default 1GB)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one process may take (default 1800)")
    parser.add_argument("--json-out", type=Path, help="also write every measurement to this JSON file")
    args = parser.parse_args()
    sizes = [int(a) for a in args.answers]
    chosen = [c for c in commands() if not args.commands or any(c.name.startswith(p) for p in args.commands)]
    if not chosen:
        raise SystemExit(f"--commands matched none of: {', '.join(c.name for c in commands())}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    spill = args.workdir / "spill"
    env = {**os.environ, "CX_MEMORY_LIMIT": args.memory_limit, "CX_TEMP_DIR": str(spill),
           "PYTHONPATH": str(ROOT)}
    print(f"load average at start: {load()}; memory limit {args.memory_limit}; repeat {args.repeat}", flush=True)
    stores = {}
    for answers in sizes:
        stores[answers] = args.workdir / f"store-{answers}.duckdb"
        took = build(stores[answers], answers)
        if took:
            print(f"built the {answers:,}-answer store in {took:.1f} s", flush=True)
    results: dict[str, dict[int, dict[str, Run]]] = {}
    print(f"\n{'command':<23}{'answers':>12}{'cx wall':>9}{'cx CPU':>8}{'floor wall':>11}{'floor CPU':>10}"
          f"{'cx MiB':>8}{'floor MiB':>10}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cx-bench-cli-") as tmp:
        for command in chosen:
            results[command.name] = {}
            for answers in sizes:
                cx, floor, out, rows = run_command(command, stores[answers], Path(tmp), env, args.repeat,
                                                   args.timeout)
                results[command.name][answers] = {"cx": cx, "floor": floor}
                checked = ""
                if answers == sizes[0]:
                    pairs = command.check(rows, out)
                    checked = f"  (floor = cx on {len(pairs)} values)"
                    wrong = [(label, f, c) for label, f, c in pairs if not _close(f, c)]
                    if wrong:
                        raise SystemExit(f"{command.name}: the floor does not compute what cx prints: "
                                         + "; ".join(f"{label}: floor {f!r}, cx {c!r}" for label, f, c in wrong[:5]))
                print(f"{command.name:<23}{answers:>12,}{cx.wall:>9.2f}{cx.cpu:>8.2f}{floor.wall:>11.2f}"
                      f"{floor.cpu:>10.2f}{cx.peak_mib:>8.0f}{floor.peak_mib:>10.0f}{checked}", flush=True)
    print(f"\nissue 17's ratio: cx_big / (cx_small + floor_big), target <= 1.5 "
          f"(small = {sizes[0]:,} answers; * = the floor is the SQL part only, model work not included)")
    print(f"{'command':<23}{'answers':>12}{'cx_small':>9}{'floor_big':>10}{'cx_big':>8}{'ratio':>7}"
          f"{'CPU: cx_small':>14}{'floor_big':>10}{'cx_big':>8}{'ratio':>7}")
    table = []
    for command in chosen:
        small = results[command.name][sizes[0]]["cx"]
        for answers in sizes[1:]:
            big, floor = results[command.name][answers]["cx"], results[command.name][answers]["floor"]
            wall_ratio = big.wall / (small.wall + floor.wall)
            cpu_ratio = big.cpu / (small.cpu + floor.cpu)
            mark = "" if command.sql_only_floor else " *"
            print(f"{command.name + mark:<23}{answers:>12,}{small.wall:>9.2f}{floor.wall:>10.2f}{big.wall:>8.2f}"
                  f"{wall_ratio:>7.2f}{small.cpu:>14.2f}{floor.cpu:>10.2f}{big.cpu:>8.2f}{cpu_ratio:>7.2f}")
            table.append({"command": command.name, "answers": answers, "sql_only_floor": command.sql_only_floor,
                          "cx_small": vars(small), "floor_big": vars(floor), "cx_big": vars(big),
                          "ratio_wall": wall_ratio, "ratio_cpu": cpu_ratio})
    print(f"\nload average at the end: {load()}")
    if args.json_out:
        args.json_out.write_text(json.dumps({"sizes": sizes, "repeat": args.repeat, "results": table,
                                             "all": {c: {str(a): {k: vars(v) for k, v in r.items()}
                                                         for a, r in per.items()} for c, per in results.items()}},
                                            indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
