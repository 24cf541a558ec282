"""Metrics benchmark: the per-touchpoint metric query through cx vs hand-written DuckDB and pandas.

Generates N answers (about 10 per respondent, 20 touchpoints, a 0–10 recommend outcome per
respondent) into a temporary cx store and times, from one run:

  (a) cx: metrics.compute(["responses", "mean_score", "nps"], by="touchpoint") on the store,
      divided by one hand-written DuckDB GROUP BY computing the same n / mean / NPS  (target ≤ 1.5)
  (b) the same result with a pandas groupby (data already in memory), divided by the cx time (target ≥ 5)

Each time is the median wall time of --repeat warm runs, with the process's CPU seconds (user +
system, every thread) beside it: on a shared machine the CPU figure moves less. Also printed, for
reading the ratios: cx with one query per table (how `compute` ran before the answer and outcome
sides shared their respondent × touchpoint pairs), and pandas computing everything cx returns
(per touchpoint and respondent first, for the respondents behind each mean and its clustered
standard error, which (b)'s pandas and the raw query leave out). The load average is printed
before and after each size.

    python bench/metrics.py --rows 1e6 10e6
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cx import metrics, store  # noqa: E402
from cx.engines import store_engine  # noqa: E402

TOUCHPOINTS = 20
DATASET = "bench"
WANTED = ["responses", "mean_score", "nps"]

RAW = """
WITH r AS (
    SELECT touchpoint, respondent,
           CASE WHEN reversed THEN 10 - 10 * (score - scale_min) / (scale_max - scale_min)
                ELSE 10 * (score - scale_min) / (scale_max - scale_min) END AS score10
    FROM responses WHERE dataset = $ds AND score IS NOT NULL),
o AS (SELECT respondent, value FROM outcomes WHERE dataset = $ds AND kind = 'nps' AND value IS NOT NULL)
SELECT touchpoint, n, s1 / n AS mean, nps_n, 100.0 * (promoters - detractors) / nps_n AS nps
FROM (SELECT touchpoint, count(score10) AS n, sum(score10) AS s1 FROM r GROUP BY touchpoint)
JOIN (SELECT touchpoint, count(value) AS nps_n, count(*) FILTER (WHERE value >= 9) AS promoters,
             count(*) FILTER (WHERE value <= 6) AS detractors
      FROM (SELECT DISTINCT touchpoint, respondent FROM r) JOIN o USING (respondent) GROUP BY touchpoint)
USING (touchpoint)
"""


def generate(con, rows: int) -> None:
    people = max(rows // 10, 1)
    con.execute("DELETE FROM responses; DELETE FROM outcomes; DELETE FROM datasets")
    con.execute("INSERT INTO datasets (dataset, imported_at) VALUES ($ds, now())", {"ds": DATASET})
    con.execute(f"""
        INSERT INTO responses (dataset, respondent, touchpoint, score, scale_min, scale_max, reversed)
        SELECT $ds, 'R' || (i // 10)::VARCHAR, 'T' || lpad(((i * 7 + i // 10) % {TOUCHPOINTS})::VARCHAR, 2, '0'),
               (hash(i * 3) % 11)::DOUBLE, 0, 10, false
        FROM range({rows}) t(i)""", {"ds": DATASET})
    con.execute(f"""
        INSERT INTO outcomes (dataset, respondent, outcome, kind, value, scale_min, scale_max)
        SELECT $ds, 'R' || i::VARCHAR, 'Recommend', 'nps', (hash(i * 5) % 11)::DOUBLE, 0, 10
        FROM range({people}) t(i)""", {"ds": DATASET})




def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return the median (wall, CPU) seconds of fn() over `repeat` warm runs (one warm-up first)."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        start, used = time.perf_counter(), _cpu()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(_cpu() - used)
    return statistics.median(wall), statistics.median(cpu)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # DuckDB's threads are this process's
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def with_pandas(answers, outcome):
    """Return n, mean and NPS per touchpoint, as the raw query computes them."""
    per = answers.groupby("touchpoint")["score"].agg(["count", "mean"])
    pairs = answers[["touchpoint", "respondent"]].drop_duplicates().merge(outcome, on="respondent")
    pairs["promoter"], pairs["detractor"] = pairs["value"] >= 9, pairs["value"] <= 6
    nps = pairs.groupby("touchpoint")[["promoter", "detractor"]].mean()
    return per.join((100 * (nps["promoter"] - nps["detractor"])).rename("nps"))


def with_pandas_as_cx(answers, outcome):
    """Return what cx returns per touchpoint: n, respondents, mean with its clustered SE, NPS with its n."""
    scored = answers[answers["score"].notna()]
    per = scored.groupby(["touchpoint", "respondent"])["score"].agg(n="count", s1="sum")
    per["yy"], per["yn"], per["nn"] = per["s1"] ** 2, per["s1"] * per["n"], per["n"] ** 2
    sums = per.groupby("touchpoint").agg(n=("n", "sum"), s1=("s1", "sum"), yy=("yy", "sum"), yn=("yn", "sum"),
                                         nn=("nn", "sum"), g=("n", "count"))
    mean = sums["s1"] / sums["n"]
    residual = sums["yy"] - 2 * mean * sums["yn"] + mean ** 2 * sums["nn"]
    sums["mean"], sums["se"] = mean, (sums["g"] / (sums["g"] - 1) * residual).clip(lower=0) ** 0.5 / sums["n"]
    pairs = answers[["touchpoint", "respondent"]].drop_duplicates().merge(outcome, on="respondent")
    pairs["promoter"], pairs["detractor"] = pairs["value"] >= 9, pairs["value"] <= 6
    nps = pairs.groupby("touchpoint").agg(nps_n=("value", "count"), p=("promoter", "mean"), d=("detractor", "mean"))
    return sums.join((100 * (nps["p"] - nps["d"])).rename("nps")).join(nps["nps_n"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", type=float, default=[1e6, 10e6])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "bench.duckdb")
        for rows in (int(r) for r in args.rows):
            generate(con, rows)
            engine = store_engine(con)
            print(f"{rows:>12,} answers, {_load()}")

            def cx(engine=engine):
                return metrics.compute(engine, WANTED, dataset=DATASET, by="touchpoint")

            cx_time = timed(cx, args.repeat)
            shares = metrics._shares_pairs  # the one-query path, switched off for the "before" figure
            metrics._shares_pairs = lambda *a: False
            try:
                per_table_time = timed(cx, args.repeat)
            finally:
                metrics._shares_pairs = shares
            raw_time = timed(lambda: con.execute(RAW, {"ds": DATASET}).fetchall(), args.repeat)
            answers = con.execute("SELECT respondent, touchpoint, score FROM responses").df()
            outcome = con.execute("SELECT respondent, value FROM outcomes").df()
            pandas_time = timed(lambda a=answers, o=outcome: with_pandas(a, o), args.repeat)
            pandas_cx_time = timed(lambda a=answers, o=outcome: with_pandas_as_cx(a, o), args.repeat)
            for label, (wall, cpu) in (("cx", cx_time), ("cx, one query per table", per_table_time),
                                       ("raw DuckDB", raw_time), ("pandas", pandas_time),
                                       ("pandas, all cx computes", pandas_cx_time)):
                print(f"    {label:<24} {wall:7.3f} s wall {cpu:7.3f} s CPU")
            print(f"    (a) cx/raw = {cx_time[0] / raw_time[0]:.2f} wall, {cx_time[1] / raw_time[1]:.2f} CPU"
                  " (target ≤ 1.5)")
            print(f"    (b) pandas/cx = {pandas_time[0] / cx_time[0]:.1f} wall, {pandas_time[1] / cx_time[1]:.1f} CPU"
                  " (target ≥ 5)")
            print(f"    pandas computing all cx computes / cx = {pandas_cx_time[0] / cx_time[0]:.1f} wall, "
                  f"{pandas_cx_time[1] / cx_time[1]:.1f} CPU; one query per table / cx = "
                  f"{per_table_time[0] / cx_time[0]:.2f} wall, {per_table_time[1] / cx_time[1]:.2f} CPU")
            print(f"    {_load()}")
        con.close()


if __name__ == "__main__":
    main()
