"""Metrics benchmark: the per-touchpoint metric query through cx vs hand-written DuckDB and pandas.

Generates N answers (about 10 per respondent, 20 touchpoints, a 0–10 recommend outcome per
respondent) into a temporary cx store and times, from one run:

  (a) cx: metrics.compute(["responses", "mean_score", "nps"], by="touchpoint") on the store,
      divided by one hand-written DuckDB GROUP BY computing the same n / mean / NPS  (target ≤ 1.5)
  (b) the same result with a pandas groupby (data already in memory), divided by the cx time (target ≥ 5)

    python bench/metrics.py --rows 1e6 10e6
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import timed  # noqa: E402

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
            cx_time = timed(lambda engine=engine: metrics.compute(engine, WANTED, dataset=DATASET, by="touchpoint"),
                            args.repeat)
            raw_time = timed(lambda: con.execute(RAW, {"ds": DATASET}).fetchall(), args.repeat)
            answers = con.execute("SELECT respondent, touchpoint, score FROM responses").df()
            outcome = con.execute("SELECT respondent, value FROM outcomes").df()

            def with_pandas(answers=answers, outcome=outcome):
                per = answers.groupby("touchpoint")["score"].agg(["count", "mean"])
                pairs = answers[["touchpoint", "respondent"]].drop_duplicates().merge(outcome, on="respondent")
                pairs["promoter"], pairs["detractor"] = pairs["value"] >= 9, pairs["value"] <= 6
                nps = pairs.groupby("touchpoint")[["promoter", "detractor"]].mean()
                return per.join((100 * (nps["promoter"] - nps["detractor"])).rename("nps"))

            pandas_time = timed(with_pandas, args.repeat)
            print(f"{rows:>12,} answers: cx {cx_time:.3f} s, raw DuckDB {raw_time:.3f} s, pandas {pandas_time:.3f} s"
                  f" | (a) cx/raw = {cx_time / raw_time:.2f} (target ≤ 1.5)"
                  f" | (b) pandas/cx = {pandas_time / cx_time:.1f} (target ≥ 5)")
        con.close()


if __name__ == "__main__":
    main()
