"""Benchmark: the full driver analysis vs one raw DuckDB aggregation to the same correlation matrix.

    python bench/drivers.py                      # 1 M respondents x 20 touchpoints
    python bench/drivers.py --respondents 100000 --touchpoints 10 --repeat 5

Long-format answers are generated directly in DuckDB (about 85 % of touchpoints answered per
respondent, so pairwise deletion has work to do) with a 0-10 recommend outcome. The baseline is
one hand-written DuckDB query: pivot answers to one row per respondent (0-10 scores), join the
outcome, compute every pairwise correlation. The full analysis is `cx.driver_data.analyse`:
outcome lookup, touchpoint list, the one ibis aggregation (correlations plus pairwise n, means,
spreads), left-out checks, the consistency check and relative weights. Printed: median warm
wall-clock and CPU times (CPU of this process, DuckDB's threads included: steadier when other
work shares the machine), the ratio analysis / baseline (target <= 2), and the largest
difference between the two correlation matrices (they must agree).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cx import driver_data, store  # noqa: E402
from cx.engines import store_engine  # noqa: E402

DATASET = "Bench"
OUTCOME = "Recommend"


def generate(con: object, respondents: int, touchpoints: int, seed: float = 0.42) -> None:
    """Fill the store with long-format answers and one 0-10 outcome per respondent, in SQL."""
    con.execute("SELECT setseed(?)", [seed])
    con.execute(
        """
        INSERT INTO responses (dataset, respondent, touchpoint, score, scale_min, scale_max, reversed)
        WITH people AS (
            SELECT range AS r, sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS mood
            FROM range(?)
        ), tps AS (SELECT range AS t FROM range(?))
        SELECT ?, 'R' || r, 'TP' || lpad(t::VARCHAR, 2, '0'),
               round(least(10, greatest(0, 6 + 1.2 * mood
                     + 1.6 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))),
               0, 10, false
        FROM people, tps
        WHERE random() < 0.85
        """,
        [respondents, touchpoints, DATASET],
    )
    # The outcome leans on the first touchpoints most (weights 20, 19, …), plus noise.
    con.execute(
        """
        INSERT INTO outcomes (dataset, respondent, outcome, kind, value, scale_min, scale_max)
        SELECT ?, respondent, ?, 'nps',
               round(least(10, greatest(0,
                   sum(score * (? - CAST(substr(touchpoint, 3) AS INTEGER)))
                   / sum(? - CAST(substr(touchpoint, 3) AS INTEGER))
                   + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))),
               0, 10
        FROM responses WHERE dataset = ? GROUP BY respondent
        """,
        [DATASET, OUTCOME, touchpoints, touchpoints, DATASET],
    )


def baseline_sql(names: list[str]) -> str:
    """Return the hand-written DuckDB query for the same correlation matrix (names are safe: TP00…)."""
    score10 = ("CASE WHEN reversed THEN 10 - 10 * (score - scale_min) / (scale_max - scale_min) "
               "ELSE 10 * (score - scale_min) / (scale_max - scale_min) END")
    pivots = ",\n".join(f"avg({score10}) FILTER (WHERE touchpoint = '{name}') AS t{j}" for j, name in enumerate(names))
    cols = [f"t{j}" for j in range(len(names))]
    corrs = [f"corr({a}, {b})" for i, a in enumerate(cols) for b in cols[i + 1:]] + [f"corr({c}, y)" for c in cols]
    return f"""
        WITH wide AS (
            SELECT respondent, {pivots}
            FROM responses WHERE dataset = '{DATASET}' AND score IS NOT NULL GROUP BY respondent
        ), y AS (
            SELECT respondent, avg(value) AS y FROM outcomes
            WHERE dataset = '{DATASET}' AND outcome = '{OUTCOME}' AND value IS NOT NULL GROUP BY respondent
        )
        SELECT {", ".join(corrs)} FROM wide JOIN y USING (respondent)
    """


def timed(action: Callable[[], object]) -> tuple[float, float, object]:
    """Return (wall seconds, CPU seconds of this process incl. DuckDB's threads, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def interleaved(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float, object]]:
    """Return the median (wall, CPU) time and last result of each action, run in turns after a warm-up.

    Taking turns spreads whatever else the machine does over all of them alike.
    """
    for action in actions.values():
        action()
    runs: dict[str, list[tuple[float, float, object]]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            runs[name].append(timed(action))
    return {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs), rs[-1][2])
            for name, rs in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    con = store.connect(":memory:")
    start = time.perf_counter()
    generate(con, args.respondents, args.touchpoints)
    answers = con.execute("SELECT count(*) FROM responses").fetchall()[0][0]
    print(f"generated {answers:,} answers from {args.respondents:,} respondents x {args.touchpoints} touchpoints "
          f"in {time.perf_counter() - start:.1f} s")

    names = [f"TP{t:02d}" for t in range(args.touchpoints)]
    sql = baseline_sql(names)
    engine = store_engine(con)
    times = interleaved({
        "baseline": lambda: con.execute(sql).fetchall()[0],
        "aggregation": lambda: driver_data.correlation_summary(engine, DATASET, OUTCOME, names),
        "analysis": lambda: driver_data.analyse(engine, DATASET, OUTCOME, min_n=30),
    }, args.repeat)
    (base_wall, base_cpu, base_row), (agg_wall, agg_cpu, summary), (full_wall, full_cpu, result) = (
        times["baseline"], times["aggregation"], times["analysis"])

    k = len(names)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    base = np.array(base_row, dtype=float)
    ours = np.array([summary.rxx[i, j] for i, j in pairs] + list(summary.rxy))
    print(f"median of {args.repeat} warm runs, taking turns                     wall s    CPU s")
    print(f"baseline: one raw DuckDB aggregation to the correlation matrix  {base_wall:7.3f}  {base_cpu:7.3f}")
    print(f"cx: the ibis aggregation alone (+ pairwise n, means, spreads)   {agg_wall:7.3f}  {agg_cpu:7.3f}")
    print(f"cx: the full driver analysis (driver_data.analyse)              {full_wall:7.3f}  {full_cpu:7.3f}")
    print(f"ratio full analysis / baseline: wall {full_wall / base_wall:.2f}, CPU {full_cpu / base_cpu:.2f}  "
          "(target <= 2; on a busy machine the CPU ratio is the steadier one)")
    print(f"largest difference between the two correlation matrices: {np.abs(base - ours).max():.2e}")
    top = ", ".join(f"{t.touchpoint} {100 * t.importance:.1f} %" for t in result.touchpoints[:3])
    print(f"R² = {result.r2:.3f}; top drivers: {top}")


if __name__ == "__main__":
    main()
