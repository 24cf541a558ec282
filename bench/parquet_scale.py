"""Parquet scale benchmark: `cx touchpoints` and `cx metrics` over Parquet on DuckDB, time and peak memory.

For each size it writes N answers as a cx Parquet export (hive-partitioned by data set, as `cx export`
writes it) with DuckDB alone (range() and hash() for ids and scores), then runs, each in a fresh
process, one after the other:

  start-up    python -c "import cx.__main__"  (Python, ibis, cx: what every command pays first), and
              python -c "import duckdb" (what the floor pays first)
  floor       a DuckDB-only process running hand-written SQL that computes what the command computes
              (touchpoints: n, sums and the respondent-clustered sums per touchpoint; metrics: the same
              for the answer-level metrics, plus the outcome and outcome-metric aggregations), under the
              same memory limit
  cx          python -m cx touchpoints --dataset bench --source DIR --json
              python -m cx metrics --dataset bench --source DIR --json

and prints each command's wall time as a ratio to its floor, the same ratio beyond each side's start-up,
and every process's peak RSS (target for cx: ≤ 2 GiB at 100 M answers). Both sides run with CX_MEMORY_LIMIT
(default 1GB here, as cx's own default). A small size (--small, default 10,000 answers) is measured first, and
for each size issue 17's ratio is printed: cx_big / (cx_small + floor_big), on wall and on CPU time (user +
system, from getrusage(RUSAGE_CHILDREN) deltas; the steadier one on a shared machine), target ≤ 1.5.

    python bench/parquet_scale.py                          # 1 M and 10 M answers
    python bench/parquet_scale.py --answers 1e6 10e6 100e6 --repeat 1
    python bench/parquet_scale.py --answers 1e7 --memory-limit 512MB --keep --workdir /tmp/cx-pq
    python bench/parquet_scale.py --answers 1e7 --small 20000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import FRESH_PROCESS  # bench/ is on the path when a benchmark runs as a script

ROOT = Path(__file__).resolve().parent.parent
TOUCHPOINTS = 20
DATASET = "bench"
# Touchpoint j is asked on SCALES[j % 3], so CSAT (1-5), CES (1-7) and the 0-10 score all have answers.
SCALES = ((1.0, 5.0), (1.0, 7.0), (0.0, 10.0))


def generate(out: Path, answers: int, memory_limit: str) -> Path:
    """Write `answers` answers (10 per respondent) as a cx Parquet export under out/answers-N/; reuse it if present."""
    import duckdb

    root = out / f"answers-{answers}"
    if (root / "done").exists():
        return root
    people = max(answers // 10, 1)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    lo = "[" + ", ".join(str(s[0]) for s in SCALES) + f"][1 + (i * 7 + i // 10) % {TOUCHPOINTS} % 3]"
    hi = "[" + ", ".join(str(s[1]) for s in SCALES) + f"][1 + (i * 7 + i // 10) % {TOUCHPOINTS} % 3]"
    tables = {
        "responses": f"""
            SELECT 'R' || (i // 10)::VARCHAR AS respondent,
                   'T' || lpad(((i * 7 + i // 10) % {TOUCHPOINTS})::VARCHAR, 2, '0') AS touchpoint,
                   CASE WHEN hash(i) % 17 = 0 THEN NULL
                        ELSE {lo} + (hash(i * 3) % ({hi} - {lo} + 1)::UBIGINT)::DOUBLE END AS score,
                   {lo} AS scale_min, {hi} AS scale_max, false AS reversed,
                   ['web', 'store', 'phone'][1 + i % 3] AS channel, 'interaction' AS stage,
                   'U' || (i % 40)::VARCHAR AS unit,
                   TIMESTAMP '2026-01-01' + to_seconds((i % 31536000)::BIGINT) AS answered_at,
                   NULL::VARCHAR AS comment, '{DATASET}' AS dataset
            FROM range({answers}) t(i)""",
        "outcomes": f"""
            SELECT 'R' || i::VARCHAR AS respondent, 'Recommend' AS outcome, 'nps' AS kind,
                   (hash(i * 5) % 11)::DOUBLE AS value, 0.0 AS scale_min, 10.0 AS scale_max,
                   NULL::VARCHAR AS role, '{DATASET}' AS dataset
            FROM range({people}) t(i)""",
        "segments": f"""
            SELECT 'R' || i::VARCHAR AS respondent, 'persona' AS name,
                   ['A', 'B', 'C', 'D'][1 + i % 4] AS value, '{DATASET}' AS dataset
            FROM range({people}) t(i)""",
    }
    for table, sql in tables.items():
        target = root / table
        target.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet, PARTITION_BY (dataset), OVERWRITE_OR_IGNORE)")
    con.close()
    (root / "done").touch()
    return root


SCORE10 = ("CASE WHEN reversed THEN 10 - 10 * (score - scale_min) / (scale_max - scale_min) "
           "ELSE 10 * (score - scale_min) / (scale_max - scale_min) END")


def floor_queries(root: Path) -> dict[str, list[str]]:
    """Return, per command, the hand-written SQL computing the same statistics the command computes."""
    resp = f"read_parquet('{root}/responses/**/*.parquet', hive_partitioning=true)"
    outc = f"read_parquet('{root}/outcomes/**/*.parquet', hive_partitioning=true)"
    scored = f"(SELECT *, {SCORE10} AS score10 FROM {resp} WHERE dataset = '{DATASET}' AND score IS NOT NULL)"
    # Clustered by respondent: per (touchpoint, respondent) sums, then their sums and cross-products.
    touchpoints = f"""
        SELECT touchpoint, sum(n), sum(s1), sum(s2), sum(raw), sum(s1 * s1), sum(s1 * n), sum(n * n), count(*),
               min(lo), max(hi)
        FROM (SELECT touchpoint, respondent, count(score10) AS n, sum(score10) AS s1,
                     sum(score10 * score10) AS s2, sum(score) AS raw, min(scale_min) AS lo, max(scale_max) AS hi
              FROM {scored} GROUP BY touchpoint, respondent)
        GROUP BY touchpoint"""
    csat = "scale_min = 1 AND scale_max = 5"
    ces = "scale_min = 1 AND scale_max = 7"
    answers = f"""
        SELECT sum(n), sum(s1), sum(s2), sum(s1 * s1), sum(s1 * n), sum(n * n), count(*) FILTER (WHERE n > 0),
               sum(cn), sum(top2), sum(top2 * top2), sum(top2 * cn), sum(cn * cn), count(*) FILTER (WHERE cn > 0),
               sum(en), sum(e1), sum(e1 * e1), sum(e1 * en), sum(en * en), sum(easy), count(*) FILTER (WHERE en > 0)
        FROM (SELECT respondent, count(score10) AS n, sum(score10) AS s1, sum(score10 * score10) AS s2,
                     count(score10) FILTER (WHERE {csat}) AS cn,
                     count(score10) FILTER (WHERE {csat} AND score10 >= 7.5) AS top2,
                     count(score) FILTER (WHERE {ces}) AS en, sum(score) FILTER (WHERE {ces}) AS e1,
                     count(score) FILTER (WHERE {ces} AND score >= 5) AS easy
              FROM {scored} GROUP BY respondent)"""
    outcomes = f"""
        SELECT outcome, kind, count(value), sum(value), sum(value * value), count(value) FILTER (WHERE value >= 9),
               count(value) FILTER (WHERE value <= 6), min(scale_min), max(scale_max)
        FROM {outc} WHERE dataset = '{DATASET}' AND value IS NOT NULL GROUP BY outcome, kind"""
    return {"touchpoints": [touchpoints], "metrics": [outcomes, answers, outcomes]}




def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """Run `python -m MODULE ARGS` or `python -c CODE` in a fresh process; return (wall, peak RSS MiB, stdout, CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", FRESH_PROCESS, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])[:200]}… failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KIB ")]
    return wall, int(peak[-1].split()[1]) / 1024, proc.stdout, cpu


FLOOR = """
import duckdb, json, os, sys
con = duckdb.connect()
con.execute(f"SET memory_limit = '{os.environ['CX_MEMORY_LIMIT']}'")
con.execute(f"SET temp_directory = '{os.environ['CX_TEMP_DIR']}'")
for sql in json.loads(sys.argv[1]):
    print(con.execute(sql).fetchall())
"""


def best(runs: list[tuple[float, float, str, float]]) -> tuple[float, float, str, float]:
    """Return the median wall time of the runs, the largest peak, the last output and the median CPU time."""
    walls = sorted(r[0] for r in runs)
    cpus = sorted(r[3] for r in runs)
    return walls[len(walls) // 2], max(r[1] for r in runs), runs[-1][2], cpus[len(cpus) // 2]


def run_size(work: Path, answers: int, args: argparse.Namespace, env: dict[str, str],
             startup: tuple[float, float, str, float], duck: tuple[float, float, str, float],
             small: dict[str, tuple[float, float]] | None) -> dict[str, tuple[float, float]]:
    """Write and measure one size; print its table; return each command's cx (wall, CPU)."""
    began = time.perf_counter()
    root = generate(work, answers, args.memory_limit)
    size = sum(p.stat().st_size for p in root.rglob("*.parquet")) / 2**20
    written = time.perf_counter() - began
    print(f"\n== {answers:,} answers: {size:,.0f} MiB of Parquet, written in {written:.1f} s")
    print(f"{'command':<13}{'floor s':>9}{'cx s':>9}{'cx/floor':>10}{'beyond start-up':>17}"
          f"{'floor MiB':>11}{'cx MiB':>9}{'floor CPU':>11}{'cx CPU':>8}"
          + ("" if small is None else f"{'issue ratio':>13}{'CPU ratio':>11}"))
    ours_by_command = {}
    for command, sqls in floor_queries(root).items():
        floor = best([measured(["-c", FLOOR, json.dumps(sqls)], env) for _ in range(args.repeat)])
        cli = ["cx", command, "--dataset", DATASET, "--source", str(root), "--db", str(work / "cx.duckdb"),
               "--json"]
        ours = best([measured(cli, env) for _ in range(args.repeat)])
        json.loads(ours[2])  # the command printed its JSON
        beyond = (ours[0] - startup[0]) / max(floor[0] - duck[0], 1e-3)
        issue = "" if small is None else (f"{ours[0] / (small[command][0] + floor[0]):>13.2f}"
                                          f"{ours[3] / (small[command][1] + floor[3]):>11.2f}")
        print(f"{command:<13}{floor[0]:>9.2f}{ours[0]:>9.2f}{ours[0] / floor[0]:>10.2f}{beyond:>17.2f}"
              f"{floor[1]:>11.0f}{ours[1]:>9.0f}{floor[3]:>11.2f}{ours[3]:>8.2f}{issue}")
        ours_by_command[command] = (ours[0], ours[3])
    return ours_by_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", nargs="+", type=float, default=[1e6, 1e7], help="sizes, e.g. 1e6 1e7 1e8")
    parser.add_argument("--repeat", type=int, default=3, help="runs per process kind (median wall, max peak)")
    parser.add_argument("--small", type=float, default=1e4,
                        help="the small size the issue's ratio cx_big / (cx_small + floor_big) uses (default 1e4)")
    parser.add_argument("--memory-limit", default="1GB", help="CX_MEMORY_LIMIT for cx and the floor (default 1GB)")
    parser.add_argument("--workdir", type=Path, help="where to write the Parquet (default: a temp folder, deleted)")
    parser.add_argument("--keep", action="store_true", help="keep the Parquet and the store afterwards")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cx-parquet-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    spill = work / "spill"
    env = {**os.environ, "CX_MEMORY_LIMIT": args.memory_limit, "CX_TEMP_DIR": str(spill),
           "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            print(f"load average at start: {' '.join(f.read().split()[:3])}; memory limit {args.memory_limit}")
        startup = best([measured(["-c", "import cx.__main__"], env) for _ in range(args.repeat)])
        duck = best([measured(["-c", "import duckdb"], env) for _ in range(args.repeat)])
        print(f"start-up: import cx.__main__ {startup[0]:.2f} s (peak {startup[1]:.0f} MiB), "
              f"import duckdb {duck[0]:.2f} s (peak {duck[1]:.0f} MiB)")
        small = run_size(work, int(args.small), args, env, startup, duck, None)
        print(f"(the small size: issue 17's ratio below is cx / (cx at {int(args.small):,} answers + floor), "
              "target <= 1.5)")
        for answers in (int(a) for a in args.answers):
            run_size(work, answers, args, env, startup, duck, small)
        with open("/proc/loadavg", encoding="ascii") as f:
            print(f"\nload average at the end: {' '.join(f.read().split()[:3])}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
