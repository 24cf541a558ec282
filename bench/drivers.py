"""Benchmark: the full driver analysis vs one raw DuckDB aggregation to the same correlation matrix.

    python bench/drivers.py                      # 1 M respondents x 20 touchpoints
    python bench/drivers.py --respondents 100000 --touchpoints 10 --repeat 5
    python bench/drivers.py --bootstrap            # bootstrap: row by row vs from sums, 2k / 26k / 100k x 10

Long-format answers are generated directly in DuckDB (about 85 % of touchpoints answered per
respondent, so pairwise deletion has work to do) with a 0-10 recommend outcome. The baseline is
one hand-written DuckDB query: pivot answers to one row per respondent (0-10 scores), join the
outcome, compute every pairwise correlation. The full analysis is `cx.driver_data.analyse`:
outcome lookup, touchpoint list, the one ibis aggregation (correlations plus pairwise n, means,
spreads), left-out checks, the consistency check and relative weights. Printed: median warm
wall-clock and CPU times (CPU of this process, DuckDB's threads included: steadier when other
work shares the machine), the ratio analysis / baseline (target <= 2), and the largest
difference between the two correlation matrices (they must agree).

``--bootstrap`` times the bootstrap intervals alone (`cx.drivers.bootstrap_importance`, from
each resample's sums) against the row-by-row bootstrap cx ran before (the reference copy in
tests/test_bootstrap_summary.py), on numpy rows generated like the store above, for both
missing-data rules, and prints the ratio old / new and the largest difference of the intervals.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cx import driver_data, drivers, store  # noqa: E402
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


def survey_rows(respondents: int, touchpoints: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Return 0-10 scores (NaN = not answered, about 15 %) and a 0-10 outcome, like `generate`."""
    rng = np.random.default_rng(seed)
    mood = rng.normal(size=(respondents, 1))
    x = np.round(np.clip(6 + 1.2 * mood + 1.6 * rng.normal(size=(respondents, touchpoints)), 0, 10))
    x[rng.random(x.shape) >= 0.85] = np.nan
    weights = touchpoints - np.arange(touchpoints, dtype=float)
    answered = np.isfinite(x)
    lean = np.where(answered, x, 0.0) @ weights / np.maximum(answered @ weights, 1.0)
    y = np.round(np.clip(lean + 1.2 * rng.normal(size=respondents), 0, 10))
    return x, y


def bootstrap_bench(sizes: list[int], touchpoints: int, resamples: int, repeat: int) -> None:
    """Print old (row by row) vs new (from sums) bootstrap times and their ratio, per size and rule."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_bootstrap_summary import reference_bootstrap  # the row-by-row bootstrap, kept as the reference

    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"bootstrap of {resamples} resamples, {touchpoints} touchpoints; median of {repeat} run(s) taking turns; "
          f"BLAS threads: {blas}")
    print("respondents  rule      resampled   old wall s  new wall s  ratio   old CPU s  new CPU s  ratio   max diff")
    names = tuple(f"TP{t:02d}" for t in range(touchpoints))
    for size in sizes:
        x, y = survey_rows(size, touchpoints)
        for rule in drivers.RULES:
            runs: dict[str, list[tuple[float, float, object]]] = {"old": [], "new": []}
            old_run = functools.partial(reference_bootstrap, x, y, names, resamples, 0, rule)
            new_run = functools.partial(drivers.bootstrap_importance, x, y, names, resamples=resamples, seed=0,
                                        rule=rule)
            reference_bootstrap(x, y, names, 2, 0, rule)  # warm-up: first calls into BLAS and LAPACK
            drivers.bootstrap_importance(x, y, names, resamples=2, seed=0, rule=rule)
            for _ in range(repeat):
                runs["old"].append(timed(lambda f=old_run: f()[0]))
                runs["new"].append(timed(new_run))
            (ow, oc), (nw, nc) = ((statistics.median(t[0] for t in runs[k]), statistics.median(t[1] for t in runs[k]))
                                  for k in ("old", "new"))
            old, new = runs["old"][-1][2], runs["new"][-1][2]
            assert isinstance(old, dict) and isinstance(new, dict)
            diff = max(abs(a - b) for name in names for a, b in zip(old[name], new[name], strict=True))
            used = drivers.respondents_resampled(x, y, names, rule)
            print(f"{size:>11,}  {rule:<8}  {used:>9,}   {ow:10.3f}  {nw:10.3f}  {ow / nw:5.1f}   "
                  f"{oc:9.3f}  {nc:9.3f}  {oc / nc:5.1f}   {diff:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--touchpoints", type=int, help="default 20 (10 with --bootstrap)")
    parser.add_argument("--repeat", type=int, help="default 3 (1 with --bootstrap)")
    parser.add_argument("--bootstrap", action="store_true", help="time the bootstrap intervals only: old vs new")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 26_000, 100_000],
                        help="respondents per run with --bootstrap")
    parser.add_argument("--resamples", type=int, default=100, help="bootstrap resamples with --bootstrap")
    args = parser.parse_args()
    if args.bootstrap:
        bootstrap_bench(args.sizes, args.touchpoints or 10, args.resamples, args.repeat or 1)
        return
    args.touchpoints, args.repeat = args.touchpoints or 20, args.repeat or 3

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
