"""Engines benchmark: cx metric definitions on DuckDB-over-Parquet and Spark vs raw DuckDB SQL.

Generates hive-partitioned Parquet in cx's long schema (responses, outcomes, segments) with N
answers, then times, from one run and on the same files:

  per-touchpoint   cx touchpoint_stats (n, mean, scale, 0–10 score, sd)  vs one hand-written DuckDB GROUP BY
  by segment       cx compute(mean_score, nps, by=segment)      vs one hand-written DuckDB join + GROUP BY
  correlations     cx driver correlation summary (k×k + r_xy)   vs one hand-written DuckDB pivot + corr()

and prints the ratios (target: DuckDB-over-Parquet / raw ≤ 1.2), Spark on 1 and 2 cores (session
start reported separately) and the peak memory (RSS) of the DuckDB path.

    python bench/engines.py --rows 1e6 10e6 [--spark] [--out /tmp/cx-bench]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb  # noqa: E402
from _timing import timed  # noqa: E402

TOUCHPOINTS = 20
DATASET = "bench"


def generate(out: Path, rows: int) -> Path:
    """Write `rows` answers (about 10 per respondent) as cx Parquet under out/<rows>/; reuse if present."""
    root = out / f"rows-{rows}"
    if (root / "responses").exists():
        return root
    people = max(rows // 10, 1)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    for table, sql in {
        "responses": f"""
            SELECT 'R' || (i // 10)::VARCHAR AS respondent,
                   'T' || lpad(((i * 7 + i // 10) % {TOUCHPOINTS})::VARCHAR, 2, '0') AS touchpoint,
                   CASE WHEN hash(i) % 17 = 0 THEN NULL ELSE (hash(i * 3) % 11)::DOUBLE END AS score,
                   0.0 AS scale_min, 10.0 AS scale_max, false AS reversed,
                   ['web', 'store', 'phone'][1 + i % 3] AS channel, 'interaction' AS stage,
                   'U' || (i % 40)::VARCHAR AS unit,
                   TIMESTAMP '2026-01-01' + to_seconds((i % 31536000)::BIGINT) AS answered_at,
                   NULL::VARCHAR AS comment, '{DATASET}' AS dataset
            FROM range({rows}) t(i)""",
        "outcomes": f"""
            SELECT 'R' || i::VARCHAR AS respondent, 'Recommend' AS outcome, 'nps' AS kind,
                   (hash(i * 5) % 11)::DOUBLE AS value, 0.0 AS scale_min, 10.0 AS scale_max,
                   '{DATASET}' AS dataset
            FROM range({people}) t(i)""",
        "segments": f"""
            SELECT 'R' || i::VARCHAR AS respondent, 'persona' AS name,
                   ['A', 'B', 'C', 'D'][1 + i % 4] AS value, '{DATASET}' AS dataset
            FROM range({people}) t(i)""",
    }.items():
        target = root / table
        target.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet, PARTITION_BY (dataset), OVERWRITE_OR_IGNORE)")
    return root




def raw_queries(root: Path) -> dict[str, str]:
    resp = f"read_parquet('{root}/responses/**/*.parquet', hive_partitioning=true)"
    outc = f"read_parquet('{root}/outcomes/**/*.parquet', hive_partitioning=true)"
    segs = f"read_parquet('{root}/segments/**/*.parquet', hive_partitioning=true)"
    score10 = ("CASE WHEN reversed THEN 10 - 10 * (score - scale_min) / (scale_max - scale_min) "
               "ELSE 10 * (score - scale_min) / (scale_max - scale_min) END")
    wide = ", ".join(f"avg({score10}) FILTER (WHERE touchpoint = 'T{j:02d}') AS t{j}" for j in range(TOUCHPOINTS))
    # The same statistics cx's driver summary asks for: per touchpoint n, mean, sd and r with the
    # outcome; per pair r and the n answering both; respondents and the outcome's mean and sd.
    stats = ["count(*)", "avg(y)", "stddev_pop(y)"]
    for i in range(TOUCHPOINTS):
        stats += [f"count(t{i})", f"avg(t{i})", f"stddev_pop(t{i})", f"corr(t{i}, y)"]
        for j in range(i + 1, TOUCHPOINTS):
            stats += [f"corr(t{i}, t{j})", f"count(t{i}) FILTER (WHERE t{j} IS NOT NULL)"]
    corrs = ", ".join(stats)
    return {
        "per-touchpoint": f"""
            SELECT touchpoint, count(score), avg(score), min(scale_min), max(scale_max), bool_or(reversed),
                   avg({score10}), stddev_samp({score10})
            FROM {resp} WHERE dataset = '{DATASET}' AND score IS NOT NULL GROUP BY touchpoint""",
        "by segment": f"""
            SELECT s.value, count(r.score10), sum(r.score10), sum(r.score10 * r.score10)
            FROM (SELECT respondent, {score10} AS score10 FROM {resp}
                  WHERE dataset = '{DATASET}' AND score IS NOT NULL) r
            JOIN (SELECT respondent, value FROM {segs} WHERE dataset = '{DATASET}' AND name = 'persona') s
            USING (respondent) GROUP BY s.value""",
        "correlations": f"""
            WITH w AS (SELECT respondent, {wide} FROM {resp} WHERE dataset = '{DATASET}' AND score IS NOT NULL
                       AND touchpoint LIKE 'T%' GROUP BY respondent),
            o AS (SELECT respondent, avg(value) AS y FROM {outc} WHERE dataset = '{DATASET}'
                  AND outcome = 'Recommend' GROUP BY respondent)
            SELECT {corrs} FROM w JOIN o USING (respondent)""",
    }


def cx_tasks(engine) -> dict[str, object]:
    from cx import driver_data, metrics

    touchpoints = [f"T{j:02d}" for j in range(TOUCHPOINTS)]
    return {
        "per-touchpoint": lambda: metrics.touchpoint_stats(engine, DATASET),
        "by segment": lambda: metrics.compute(engine, ["mean_score"], dataset=DATASET, by="segment:persona"),
        "correlations": lambda: driver_data.correlation_summary(engine, DATASET, "Recommend", touchpoints),
    }


def run_duckdb(root: Path, repeat: int) -> dict[str, tuple[float, float]]:
    from cx.engines import parquet_engine

    con = duckdb.connect()
    engine = parquet_engine(root)
    out = {}
    for name, sql in raw_queries(root).items():
        raw = timed(lambda sql=sql: con.execute(sql).fetchall(), repeat)
        ours = timed(cx_tasks(engine)[name], repeat)
        out[name] = (ours, raw)
    return out


def run_spark(root: Path, cores: int, repeat: int) -> dict[str, float]:
    os.environ["CX_SPARK_MASTER"] = f"local[{cores}]"
    from cx import engines

    start = time.perf_counter()
    engine = engines.spark_engine(root)
    out = {"session start": time.perf_counter() - start}
    for name, task in cx_tasks(engine).items():
        out[name] = timed(task, repeat)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", type=float, default=[1e6], help="answers per run, e.g. 1e6 10e6 100e6")
    parser.add_argument("--out", type=Path, default=Path("/tmp/cx-bench"), help="where to write the Parquet files")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", action="store_true",
                        help="also time local Spark with 1 and 2 cores (at the smallest --rows only: it is slow)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one engine run in its own process, so peak memory is its own
        kind, root, cores = args.child
        result = run_duckdb(Path(root), args.repeat) if kind == "duckdb" else run_spark(Path(root), int(cores),
                                                                                           args.repeat)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(repr({"result": result, "peak_mib": peak_mib}))
        return
    for rows in (int(r) for r in args.rows):
        start = time.perf_counter()
        root = generate(args.out, rows)
        print(f"\n== {rows:,} answers (Parquet at {root}, ready in {time.perf_counter() - start:.1f} s)")
        report = _child("duckdb", root, 0, args.repeat)
        print(f"{'task':<16}{'cx duckdb s':>12}{'raw SQL s':>11}{'ratio':>8}   (target ≤ 1.2)")
        for name, (ours, raw) in report["result"].items():
            print(f"{name:<16}{ours:>12.3f}{raw:>11.3f}{ours / raw:>8.2f}")
        print(f"peak memory of the DuckDB path: {report['peak_mib']:.0f} MiB (target ≤ 2048)")
        if args.spark and rows == int(min(args.rows)):
            for cores in (1, 2):
                spark = _child("spark", root, cores, 1)["result"]
                start_s = spark.pop("session start")
                line = ", ".join(f"{k} {v:.2f} s (×{v / report['result'][k][1]:.1f} raw)" for k, v in spark.items())
                print(f"spark local[{cores}]: session start {start_s:.1f} s; {line}")


def _child(kind: str, root: Path, cores: int, repeat: int) -> dict:
    cmd = [sys.executable, __file__, "--repeat", str(repeat), "--child", kind, str(root), str(cores)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{proc.stderr[-3000:]}")
    import ast

    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
