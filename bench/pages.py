"""Benchmark: each data-set page's rerun, cold and warm, against its SQL floor, with the queries it sends.

    python bench/pages.py                                # 20,000 and 200,000 answers
    python bench/pages.py --answers 20000 2000000 10000000 --repeat 2 --workdir /tmp/pagesbench
    python bench/pages.py --answers 20000 1000000 --pages 2_Overview 6_Drivers

A store is generated per size (10 touchpoints on 1-5, 1-7 and 0-10 scales, 8 answers per respondent in time
order over 12 months, 3 channels, 12 units, a persona segment, a 0-10 recommend outcome, a wait-time operational
metric, a comment on about 10 % of the answers; kept in --workdir and reused by the next run), then every page
runs through app.py in AppTest, in this process: cold (Streamlit's data cache emptied first: what a new filter or
a new data version costs) and warm (the same rerun again). The queries are counted by DuckDB's own query log;
"feedback" are those reading answers, outcomes, segments or operational values.

The floor of a page is hand-written DuckDB SQL computing the numbers that page shows in its default view, run on
the same file in this process (a read-only connection under the app's DuckDB memory limit, warmed by one untimed
run, closed before the app opens the file). On the smallest store the floor's numbers are checked against cx's own
functions (the run stops when one differs). Where a page's cost is model work rather than SQL (Drivers'
bootstrap; Comments' language, sentiment and themes), the floor holds only its SQL and the model part is timed on
its own, calling the cx function that does it. Printed per page and size: the medians of `--repeat` cold + warm
reruns (after one untimed run of every page: imports, models; and one untimed run on each page's new connection),
wall and CPU seconds (CPU: this process, all threads), the floor, the model part, the queries, and the issue's
ratio cold / (cold at the smallest size + floor at this size), whose goal is <= 1.5.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from cx import seed, store  # noqa: E402

DATASET = "Bench"
PAGES = ("2_Overview", "3_Touchpoints", "4_Channels", "5_Local_units", "6_Drivers", "7_Comments", "12_Paths")
FEEDBACK = re.compile(r'\b(FROM|JOIN)\s+"?(responses|outcomes|segments|operational)"?(\s|$|\))', re.IGNORECASE)
# (touchpoint, stage, scale_min, scale_max): the order customers meet them in.
TOUCHPOINTS = (
    ("Ad", "Aware", 1, 5), ("Website", "Consider", 1, 5), ("Store visit", "Buy", 1, 7), ("Advice", "Buy", 0, 10),
    ("Checkout", "Buy", 1, 5), ("Delivery", "Receive", 0, 10), ("Unboxing", "Receive", 1, 5),
    ("Setup", "Use", 1, 7), ("Support", "Use", 0, 10), ("Renewal", "Stay", 1, 5),
)
COMMENTS = ("slow delivery and nobody called back", "great staff, very helpful advice", "the website kept crashing",
            "easy checkout, quick and simple", "setup took hours, manual unclear", "friendly support solved it fast",
            "shelves were empty again", "price was fair for the quality", "waited too long at the till",
            "love the product, works perfectly")


def generate(path: Path, answers: int) -> None:
    """Write a store of about `answers` answers (no sample data) to `path`."""
    respondents = max(answers // 8, 10)
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "bench")  # no sample data: only the generated set
    tps = ", ".join(f"({i}, '{t}', '{s}', {lo}, {hi})" for i, (t, s, lo, hi) in enumerate(TOUCHPOINTS))
    texts = "[" + ", ".join(f"'{c}'" for c in COMMENTS) + "]"
    with store.transaction(con):
        store.record_dataset(con, DATASET, source="bench/pages.py", rows_read=respondents * 8,
                             rows_loaded=respondents * 8, rows_rejected=0)
        # Each respondent skips 2 of the 10 touchpoints; a latent satisfaction drives scores and the outcome.
        store.insert_select(con, "responses", (
            "dataset", "respondent", "touchpoint", "score", "scale_min", "scale_max", "reversed", "channel", "stage",
            "unit", "answered_at", "comment"), f"""
            WITH p AS (SELECT r, (hash(r) % 1000) / 1000.0 AS sat FROM range(?) t(r)),
                 tp(i, name, stage, lo, hi) AS (VALUES {tps})
            SELECT ?, 'r' || r, name, round(lo + (hi - lo) * least(1, greatest(0, sat + ((hash(r, i) % 400)::INT - 200)
                       / 1000.0))), lo, hi, false, ['web', 'phone', 'store'][1 + (hash(r, i, 1) % 3)::INT], stage,
                   'Unit ' || (1 + hash(r) % 12), TIMESTAMP '2025-01-01' + to_days((hash(r) % 330)::INT)
                       + to_hours(i * 3),
                   CASE WHEN hash(r, i, 2) % 10 = 0 THEN {texts}[1 + (hash(r, i, 3) % {len(COMMENTS)})::INT] END
            FROM p, tp WHERE hash(r, i, 4) % 10 NOT IN (hash(r) % 10, (hash(r) + 5) % 10)""", [respondents, DATASET])
        store.insert_select(con, "outcomes", (
            "dataset", "respondent", "outcome", "kind", "value", "scale_min", "scale_max"), """
            SELECT ?, 'r' || r, 'Recommend', 'nps', round(10 * least(1, greatest(0, (hash(r) % 1000) / 1000.0
                       + ((hash(r, 7) % 300)::INT - 150) / 1000.0))), 0, 10 FROM range(?) t(r)""",
                            [DATASET, respondents])
        store.insert_select(con, "segments", ("dataset", "respondent", "name", "value"), """
            SELECT ?, 'r' || r, 'Persona', ['Saver', 'Family', 'Pro', 'Student'][1 + (hash(r, 9) % 4)::INT]
            FROM range(?) t(r)""", [DATASET, respondents])
        store.insert_select(con, "operational", ("dataset", "respondent", "touchpoint", "name", "value"), """
            SELECT ?, 'r' || r, 'Delivery', 'wait_days', 1 + hash(r, 11) % 9 FROM range(?) t(r)""",
                            [DATASET, respondents])
    con.close()



# ---------------------------------------------------------------- the SQL floor
# Hand-written DuckDB SQL for what each page shows in its default view (no filter, the first outcome, the default
# widgets), run on the same store file in this process (its own read-only connection, warmed by one untimed run).
# It reads what the page reads from the feedback tables; the page's small bookkeeping queries (data sets, mapping,
# journeys, settings) are left out. Where a page's cost is model work (the drivers' bootstrap, the comments'
# language, sentiment and themes) the floor is its SQL, and the model part is timed on its own (`model_parts`).

S10 = ("(CASE WHEN reversed THEN 10 - 10.0 * (score - scale_min) / (scale_max - scale_min)"
       " ELSE 10.0 * (score - scale_min) / (scale_max - scale_min) END)")
ORIENTED = "(CASE WHEN reversed THEN scale_min + scale_max - score ELSE score END)"


def _clustered(prefix: str, y: str, n: str) -> str:
    """Return the SQL sums over respondents that a respondent-clustered standard error of Σy / Σn needs."""
    return (f"sum({y}) AS {prefix}_y, sum({n}) AS {prefix}_n, sum({y} * {y}) AS {prefix}_yy, "
            f"sum({y} * {n}) AS {prefix}_yn, sum({n} * {n}) AS {prefix}_nn, count(*) FILTER ({n} > 0) AS {prefix}_g")


def portfolio_sql(group: str, outcomes: bool, where: str = "") -> str:
    """Return the registry's answer metrics (and NPS when `outcomes`) per value of the SQL expression `group`.

    Answers: per (group, respondent), then per group (the clustered sums); NPS: the outcome rows of the
    respondents in each group, joined to the same (group, respondent) pairs. One statement, as cx sends it.
    """
    answers = f"""
        a AS (SELECT {group} AS grp, respondent, scale_min AS lo, scale_max AS hi, {S10} AS s10, {ORIENTED} AS o
              FROM responses WHERE dataset = $ds AND score IS NOT NULL {where}),
        per AS (SELECT grp, respondent, count(*) AS n, sum(s10) AS s1,
                       count(*) FILTER (lo = 1 AND hi = 5) AS cn,
                       count(*) FILTER (lo = 1 AND hi = 5 AND s10 >= 7.5) AS top2,
                       count(*) FILTER (lo = 1 AND hi = 7) AS en, coalesce(sum(o) FILTER (lo = 1 AND hi = 7), 0) AS es,
                       count(*) FILTER (lo = 1 AND hi = 7 AND s10 >= 10 * 4 / 6 - 1e-9) AS easy
                FROM a GROUP BY grp, respondent),
        ans AS (SELECT grp, {_clustered('mean', 's1', 'n')}, {_clustered('csat', 'top2', 'cn')},
                       {_clustered('ces', 'es', 'en')}, {_clustered('easy', 'easy', 'en')}
                FROM per GROUP BY grp)"""
    if not outcomes:
        return f"WITH {answers} SELECT * FROM ans ORDER BY grp NULLS FIRST"
    people = "(SELECT grp, respondent FROM per)" if group != "NULL" else "(SELECT NULL AS grp)"  # per's keys
    join = "JOIN people p USING (respondent)" if group != "NULL" else ", people p"
    return f"""WITH {answers},
        people AS {people},
        outs AS (SELECT p.grp, count(*) AS nps_n, count(*) FILTER (value >= 9) AS nps_pro,
                        count(*) FILTER (value <= 6) AS nps_det
                 FROM outcomes {join}
                 WHERE dataset = $ds AND kind = 'nps' AND value IS NOT NULL GROUP BY p.grp)
        SELECT coalesce(ans.grp, outs.grp) AS grp, ans.* EXCLUDE (grp), outs.* EXCLUDE (grp)
        FROM ans FULL JOIN outs ON ans.grp IS NOT DISTINCT FROM outs.grp ORDER BY 1 NULLS FIRST"""


def described_sql(keys: str, where: str = "") -> str:
    """Return what describes each touchpoint per `keys`: raw score sum, scales, direction (a scan with few groups)."""
    return f"""SELECT {keys}, sum(score) AS raw, count(score) AS answers, min(scale_min) AS lo, max(scale_max) AS hi,
                      bool_or(reversed) AS rev
               FROM responses WHERE dataset = $ds AND score IS NOT NULL {where} GROUP BY ALL ORDER BY ALL"""


def touchpoint_sql(keys: str, where: str = "") -> str:
    """Return the per-touchpoint 0–10 score with its clustered sums, raw mean and scales, per `keys`."""
    return f"""
        WITH a AS (SELECT {keys}, respondent, {S10} AS s10
                   FROM responses WHERE dataset = $ds AND score IS NOT NULL {where}),
        per AS (SELECT {keys}, respondent, count(*) AS n, sum(s10) AS s1 FROM a GROUP BY ALL),
        scores AS (SELECT {keys}, {_clustered('mean', 's1', 'n')} FROM per GROUP BY ALL)
        SELECT * FROM scores JOIN ({described_sql(keys, where)}) USING ({keys}) ORDER BY {keys}"""


# Each touchpoint's score per channel: the Touchpoints page's by-channel view and the whole Channels page.
CHANNEL_SCORES_SQL = touchpoint_sql("touchpoint, channel", "AND channel IS NOT NULL")
OPTIONS_SQL = (
    """SELECT min(answered_at), max(answered_at), list(DISTINCT channel ORDER BY channel),
              list(DISTINCT unit ORDER BY unit), list(DISTINCT stage ORDER BY stage),
              list(DISTINCT touchpoint ORDER BY touchpoint) FROM responses WHERE dataset = $ds""",
    "SELECT DISTINCT name, value FROM segments WHERE dataset = $ds ORDER BY ALL",
    "SELECT DISTINCT outcome, kind FROM outcomes WHERE dataset = $ds ORDER BY ALL",
)
OUTCOME_RESULTS_SQL = """
    SELECT outcome, kind, count(*) AS n, sum(value) AS s1, sum(value * value) AS s2,
           count(*) FILTER (value >= 0.5) AS positive, count(*) FILTER (value >= 9) AS promoters,
           count(*) FILTER (value <= 6) AS detractors, min(scale_min), max(scale_max)
    FROM outcomes WHERE dataset = $ds AND value IS NOT NULL GROUP BY ALL ORDER BY ALL"""
BREAKDOWN_SQL = """
    SELECT s.value AS grp, count(*) AS n, count(*) FILTER (o.value >= 9) AS pro, count(*) FILTER (o.value <= 6) AS det
    FROM outcomes o JOIN segments s ON s.respondent = o.respondent AND s.dataset = o.dataset
    WHERE o.dataset = $ds AND s.name = 'Persona' AND o.kind = 'nps' AND o.value IS NOT NULL
    GROUP BY ALL ORDER BY ALL"""
OPERATIONAL_SQL = """
    SELECT touchpoint, name, count(value), avg(value) FROM operational
    WHERE dataset = $ds AND value IS NOT NULL GROUP BY ALL ORDER BY ALL"""
MONTH = "strftime(answered_at, '%Y-%m')"


SEGMENT = ("AND respondent IN (SELECT respondent FROM segments WHERE dataset = $ds AND name = 'Persona' "
           "AND value = $segment)")


def _wide_sql(touchpoints: list[str], where: str = "") -> str:
    """Return the respondent × touchpoint pivot (mean 0–10 score, NULL = no answer) joined to the outcome."""
    columns = ", ".join(f"avg(s10) FILTER (touchpoint = '{t}') AS t{j}" for j, t in enumerate(touchpoints))
    return f"""
        WITH a AS (SELECT respondent, touchpoint, {S10} AS s10 FROM responses
                   WHERE dataset = $ds AND score IS NOT NULL {where}),
        wide AS (SELECT respondent, {columns} FROM a GROUP BY respondent),
        y AS (SELECT respondent, avg(value) AS y FROM outcomes
              WHERE dataset = $ds AND outcome = 'Recommend' AND value IS NOT NULL {where} GROUP BY respondent)
        SELECT * FROM wide JOIN y USING (respondent)"""


def _correlation_sql(touchpoints: list[str], where: str = "") -> str:
    k = len(touchpoints)
    aggs = ["count(*)", "avg(y)", "stddev_pop(y)"]
    for i in range(k):
        aggs += [f"count(t{i})", f"avg(t{i})", f"stddev_pop(t{i})", f"corr(t{i}, y)"]
        for j in range(i + 1, k):
            aggs += [f"corr(t{i}, t{j})", f"sum((t{i} IS NOT NULL AND t{j} IS NOT NULL)::INT)"]
    return f"WITH w AS ({_wide_sql(touchpoints, where)}) SELECT {', '.join(aggs)} FROM w"


def _summary(row: tuple[Any, ...], k: int) -> dict[str, Any]:
    """Return the respondents, r with the outcome and performance of each touchpoint from a correlation row."""
    rxy, performance, i = [], [], 3
    for j in range(k):
        performance.append(row[i + 1])
        rxy.append(row[i + 3])
        i += 4 + 2 * (k - j - 1)
    return {"rxy": rxy, "performance": performance, "respondents": row[0]}


MOMENT_SQL = f"""
    WITH s AS (SELECT respondent, avg({S10}) AS s FROM responses
               WHERE dataset = $ds AND touchpoint = $touchpoint AND score IS NOT NULL GROUP BY respondent),
    y AS (SELECT respondent, avg(value) AS y FROM outcomes
          WHERE dataset = $ds AND outcome = 'Recommend' AND value IS NOT NULL GROUP BY respondent)
    SELECT s < 5 AS low, count(y), avg(y), stddev_samp(y), count(*) FILTER (y >= 9), count(*) FILTER (y <= 6)
    FROM s JOIN y USING (respondent) GROUP BY ALL ORDER BY ALL"""


def _paths_sql(touchpoints: list[str]) -> str:
    """Return each ordered respondent's path as a number (touchpoint codes 1…k as digits in base k + 1, first step
    most significant) with its outcome parts, one row per path, most frequent first (as cx keys its paths)."""
    codes = "[" + ", ".join("'" + t.replace("'", "''") + "'" for t in touchpoints) + "]"
    return f"""
    WITH a AS (SELECT respondent, touchpoint, answered_at FROM responses WHERE dataset = $ds),
    people AS (SELECT respondent, count(*) AS answers, count(answered_at) AS timed, min(answered_at) AS first,
                      max(answered_at) AS last FROM a GROUP BY respondent),
    steps AS (SELECT respondent, list_position({codes}, touchpoint) AS code,
                     row_number() OVER (PARTITION BY respondent ORDER BY answered_at, touchpoint) AS step
              FROM a SEMI JOIN (SELECT respondent FROM people
                                WHERE (timed >= 2 AND first < last) OR (answers = 1 AND timed = 1)) USING (respondent)
              WHERE answered_at IS NOT NULL),
    paths AS (SELECT respondent, max(step) AS steps,
                     sum(code * ({len(touchpoints) + 1}::HUGEINT ** (step - 1))::HUGEINT) AS path
              FROM steps GROUP BY respondent),
    y AS (SELECT respondent, avg(value) AS v FROM outcomes
          WHERE dataset = $ds AND outcome = 'Recommend' AND value IS NOT NULL GROUP BY respondent)
    SELECT path, any_value(steps) AS steps, count(*) AS n, count(v) AS o_n, count(*) FILTER (v >= 9) AS o_pro,
           count(*) FILTER (v <= 6) AS o_det
    FROM paths LEFT JOIN y USING (respondent) GROUP BY path ORDER BY n DESC, path"""


PEOPLE_SQL = """
    WITH people AS (SELECT respondent, count(*) AS answers, count(answered_at) AS timed,
                           min(answered_at) AS first, max(answered_at) AS last
                    FROM responses WHERE dataset = $ds GROUP BY respondent)
    SELECT count(*), count(*) FILTER ((timed >= 2 AND first < last) OR (answers = 1 AND timed = 1)),
           max(timed) FILTER ((timed >= 2 AND first < last) OR (answers = 1 AND timed = 1)) FROM people"""


def _q(con: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, {"ds": DATASET, **params}).fetchall()


def _rows(con: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    cur = con.execute(sql, {"ds": DATASET, **params})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _options(con: Any) -> dict[str, Any]:
    span = _q(con, OPTIONS_SQL[0])[0]
    return {"units": span[3], "touchpoints": span[5], "segments": _q(con, OPTIONS_SQL[1]),
            "outcomes": _q(con, OPTIONS_SQL[2])}


def floor_overview(con: Any) -> dict[str, Any]:
    _options(con)
    total = _rows(con, portfolio_sql("NULL", outcomes=True))[0]
    monthly = _rows(con, portfolio_sql(MONTH, outcomes=True))
    _q(con, OUTCOME_RESULTS_SQL)
    # The CSAT / CES tiles' labels ("CSAT of 4 touchpoints"): how many touchpoints have answers on each scale.
    _q(con, """SELECT count(DISTINCT touchpoint) FILTER (scale_min = 1 AND scale_max = 5),
                      count(DISTINCT touchpoint) FILTER (scale_min = 1 AND scale_max = 7)
               FROM responses WHERE dataset = $ds AND score IS NOT NULL""")
    _q(con, BREAKDOWN_SQL)
    return {"total": total, "monthly": monthly}


def floor_touchpoints(con: Any) -> dict[str, Any]:
    _options(con)
    # One grouping by (touchpoint, respondent) serves the scores and each touchpoint's CSAT, CES and NPS.
    per_tp = _rows(con, portfolio_sql("touchpoint", outcomes=True))
    described = {r["touchpoint"]: r for r in _rows(con, described_sql("touchpoint"))}
    scores = [{**r, "touchpoint": r["grp"], **described[r["grp"]]} for r in per_tp]
    _q(con, OPERATIONAL_SQL)
    _q(con, CHANNEL_SCORES_SQL)
    return {"scores": scores, "per_touchpoint": per_tp}


def floor_channels(con: Any) -> dict[str, Any]:
    _options(con)
    # Each touchpoint's 0–10 score per channel with its clustered sums (the page compares channels touchpoint by
    # touchpoint and flags the gaps: arithmetic on these rows).
    return {"scores": _rows(con, CHANNEL_SCORES_SQL)}


def floor_local_units(con: Any) -> dict[str, Any]:
    _options(con)
    _rows(con, portfolio_sql("NULL", outcomes=True))
    units = _rows(con, portfolio_sql("unit", outcomes=False, where="AND unit IS NOT NULL"))
    worst = min(units, key=lambda r: r["mean_y"] / r["mean_n"])["grp"]  # the page opens on the worst unit's journey
    _q(con, touchpoint_sql("touchpoint", "AND unit = $unit"), unit=worst)
    return {"units": units}


def floor_drivers(con: Any) -> dict[str, Any]:
    _q(con, OPTIONS_SQL[0])  # the sidebar's filters
    _q(con, OPTIONS_SQL[2])  # the outcomes
    touchpoints = [r[0] for r in _q(con, "SELECT DISTINCT touchpoint FROM responses WHERE dataset = $ds "
                                         "AND score IS NOT NULL ORDER BY 1")]
    k = len(touchpoints)
    found = _summary(_q(con, _correlation_sql(touchpoints))[0], k)
    # The bootstrap's rows: the pivot, a repeatable sample of at most 20,000 respondents, in respondent order.
    total = _q(con, f"SELECT count(*) FROM ({_wide_sql(touchpoints)})")[0][0]
    sample = "" if total <= 20_000 else f"USING SAMPLE {100 * 20_000 / total}% (bernoulli, 0)"
    con.execute(f"SELECT * FROM ({_wide_sql(touchpoints)}) {sample} ORDER BY respondent", {"ds": DATASET}).fetchnumpy()
    # "Compare two segments": the first two personas, each analysed as the whole set is.
    personas = [v for name, v in _q(con, OPTIONS_SQL[1]) if name == "Persona"]
    segments = {v: _summary(_q(con, _correlation_sql(touchpoints, SEGMENT), segment=v)[0], k) for v in personas[:2]}
    # "Moment comparison": the outcome of those who rated the first touchpoint low vs high (the page opens on its
    # top driver; any touchpoint reads the same rows). The touchpoint with the largest r stands in for it here.
    top = touchpoints[max(range(k), key=lambda j: found["rxy"][j])]
    _q(con, MOMENT_SQL, touchpoint=top)
    return {"touchpoints": touchpoints, **found, "segments": segments}


def floor_comments(con: Any) -> dict[str, Any]:
    _options(con)
    _q(con, touchpoint_sql("touchpoint"))
    texts = _q(con, "SELECT DISTINCT comment FROM responses WHERE dataset = $ds AND comment IS NOT NULL")
    frame = con.execute(f"""SELECT respondent, touchpoint, comment, score, {S10} AS score10, scale_min, scale_max,
                                   answered_at, channel, unit
                            FROM responses WHERE dataset = $ds AND comment IS NOT NULL
                            ORDER BY answered_at DESC NULLS LAST""", {"ds": DATASET}).df()
    answers = _q(con, "SELECT count(*) FROM responses WHERE dataset = $ds")[0][0]
    return {"comments": len(frame), "texts": len(texts), "answers": answers}


def floor_paths(con: Any) -> dict[str, Any]:
    _q(con, OPTIONS_SQL[0])
    _q(con, OPTIONS_SQL[2])
    people = _q(con, PEOPLE_SQL)[0]
    dated = [r[0] for r in _q(con, "SELECT DISTINCT touchpoint FROM responses WHERE dataset = $ds "
                                   "AND answered_at IS NOT NULL ORDER BY 1")]
    paths = _q(con, _paths_sql(dated))
    # With up to 20,000 different paths (as here) the transitions follow from the paths, as cx reads them.
    base, transitions = len(dated) + 1, collections.Counter[tuple[int, int]]()
    for key, steps, n, *_ in paths:
        codes = [int(key) // base ** i % base for i in range(int(steps))]
        for pair in zip(codes, codes[1:], strict=False):
            transitions[pair] += n
    return {"respondents": people[0], "ordered": people[1], "distinct": len(paths), "top": paths[0][2]}


FLOORS = {"2_Overview": floor_overview, "3_Touchpoints": floor_touchpoints, "4_Channels": floor_channels,
          "5_Local_units": floor_local_units,
          "6_Drivers": floor_drivers, "7_Comments": floor_comments, "12_Paths": floor_paths}



def _ratio(r: dict[str, Any], prefix: str) -> tuple[float, float]:
    """Return Σy / Σn and its respondent-clustered standard error from a floor row's sums."""
    y, n, g = (float(r[f"{prefix}_{k}"]) for k in ("y", "n", "g"))
    value = y / n
    residual = float(r[f"{prefix}_yy"]) - 2 * value * float(r[f"{prefix}_yn"]) + value ** 2 * float(r[f"{prefix}_nn"])
    return value, (g / (g - 1) * max(residual, 0.0) / (n * n)) ** 0.5


def spot_checks(con: Any) -> list[tuple[str, float, float]]:
    """Return (what, floor, cx) for some numbers of each page: the floor's SQL against cx's own functions."""
    from cx import comments, driver_data, engines, metrics, paths

    engine = engines.store_engine(con)
    out: list[tuple[str, float, float]] = []
    overview = floor_overview(con)
    total = overview["total"]
    cx_total = {r.metric: r for r in metrics.compute(engine, dataset=DATASET)}
    mean, se = _ratio(total, "mean")
    out += [("Overview responses", total["mean_n"], cx_total["responses"].n),
            ("Overview mean score", mean, cx_total["mean_score"].value),
            ("Overview mean score se", se, cx_total["mean_score"].se),
            ("Overview CSAT", 100 * total["csat_y"] / total["csat_n"], cx_total["csat"].value),
            ("Overview CES", total["ces_y"] / total["ces_n"], cx_total["ces"].value),
            ("Overview CES easy", 100 * total["easy_y"] / total["easy_n"], cx_total["ces_easy"].value),
            ("Overview NPS", 100 * (total["nps_pro"] - total["nps_det"]) / total["nps_n"], cx_total["nps"].value)]
    cx_months = {(r.metric, r.group): r for r in metrics.compute(engine, ["mean_score", "nps"], dataset=DATASET,
                                                                 by="month")}
    for r in overview["monthly"][:2]:
        out += [(f"Overview {r['grp']} mean score", _ratio(r, "mean")[0], cx_months["mean_score", r["grp"]].value),
                (f"Overview {r['grp']} NPS", 100 * (r["nps_pro"] - r["nps_det"]) / r["nps_n"],
                 cx_months["nps", r["grp"]].value)]
    stats = metrics.touchpoint_stats(engine, DATASET).set_index("touchpoint")
    for r in floor_touchpoints(con)["scores"]:
        score, se = _ratio(r, "mean")
        cx_row = stats.loc[r["touchpoint"]]
        out += [(f"Touchpoints {r['touchpoint']} n", r["mean_n"], cx_row["n"]),
                (f"Touchpoints {r['touchpoint']} score", score, cx_row["score"]),
                (f"Touchpoints {r['touchpoint']} low", max(score - 1.959963984540054 * se, 0), cx_row["low"]),
                (f"Touchpoints {r['touchpoint']} mean", r["raw"] / r["mean_n"], cx_row["mean"])]
    by_channel = metrics.touchpoint_stats(engine, DATASET, by="channel").set_index(["touchpoint", "channel"])
    for r in floor_channels(con)["scores"][:3]:
        cx_row = by_channel.loc[(r["touchpoint"], r["channel"])]
        out += [(f"Channels {r['touchpoint']} / {r['channel']} n", r["mean_n"], cx_row["n"]),
                (f"Channels {r['touchpoint']} / {r['channel']} score", _ratio(r, "mean")[0], cx_row["score"])]
    cx_units = {r.group: r for r in metrics.compute(engine, ["mean_score"], dataset=DATASET, by="unit")}
    for r in floor_local_units(con)["units"]:
        out.append((f"Local units {r['grp']} mean score", _ratio(r, "mean")[0], cx_units[r["grp"]].value))
    drivers = floor_drivers(con)
    summary = driver_data.correlation_summary(engine, DATASET, "Recommend", drivers["touchpoints"])
    out.append(("Drivers respondents", drivers["respondents"], summary.respondents))
    for j, t in enumerate(drivers["touchpoints"]):
        out += [(f"Drivers r({t}, outcome)", drivers["rxy"][j], summary.rxy[j]),
                (f"Drivers performance {t}", drivers["performance"][j], summary.performance[j])]
    for value, found in drivers["segments"].items():
        within = driver_data.correlation_summary(engine, DATASET, "Recommend", drivers["touchpoints"],
                                                 [metrics.Filter("segment:Persona", "in", (value,))])
        out += [(f"Drivers {value} respondents", found["respondents"], within.respondents),
                (f"Drivers {value} r({drivers['touchpoints'][0]}, outcome)", found["rxy"][0], within.rxy[0])]
    found = floor_comments(con)
    out += [("Comments comments", found["comments"], len(comments.comments(engine, DATASET))),
            ("Comments answers", found["answers"], comments.answer_count(engine, DATASET))]
    view = paths.observed_paths(engine, DATASET)
    found = floor_paths(con)
    out += [("Paths respondents", found["respondents"], view.respondents),
            ("Paths ordered", found["ordered"], view.ordered),
            ("Paths distinct", found["distinct"], view.distinct_paths),
            ("Paths most frequent n", found["top"], view.paths[0].n)]
    return out


def model_parts(con: Any, pages: list[str]) -> dict[str, tuple[float, float, str]]:
    """Return {page: (wall s, CPU s, what)} of the model work a page does beyond SQL, timed on the cx functions."""
    from cx import comments, comments_text, comments_themes, driver_data, drivers, engines

    engine = engines.store_engine(con)
    out: dict[str, tuple[float, float, str]] = {}
    if "6_Drivers" in pages:
        names = floor_drivers(con)["touchpoints"]
        x, y, _, _ = driver_data.respondent_rows(engine, DATASET, "Recommend", names)
        wall, cpu = time.perf_counter(), time.process_time()
        drivers.bootstrap_importance(x, y, names, resamples=300, rule=drivers.PAIRWISE)
        out["6_Drivers"] = (time.perf_counter() - wall, time.process_time() - cpu,
                            f"drivers.bootstrap_importance, 300 resamples of {len(y):,} respondents")
    if "7_Comments" in pages:
        for cached in (comments.sentiment, comments.terms_of, comments_text.portuguese_sentiment,
                       comments_text.content_pairs, comments_text.lemma):
            cached.cache_clear()  # as a new data version finds them
        wall, cpu = time.perf_counter(), time.process_time()
        readings = comments.dataset_readings(engine, DATASET)
        frame = comments.comments(engine, DATASET, readings=readings)
        comments_themes.themes(frame[frame["band"].isin(comments.LOW_BANDS)])
        out["7_Comments"] = (time.perf_counter() - wall, time.process_time() - cpu,
                             f"comments.dataset_readings ({len(readings):,} texts) + comments.comments + "
                             "comments_themes.themes of the low-score ones")
    return out


def run_floors(db: Path, pages: list[str], repeat: int, check: bool) -> dict[str, dict[str, Any]]:
    """Return each page's floor (median wall and CPU of `repeat` runs after one untimed) and its model part."""
    from cx import engines

    con = duckdb.connect(str(db), read_only=True)
    engines.limit_memory(con)  # the app's memory limit (CX_MEMORY_LIMIT, default 1GB): past it, both spill alike
    try:
        if check:
            checks = spot_checks(con)
            bad = [(what, a, b) for what, a, b in checks
                   if b is None or abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(b)))]
            print(f"spot checks on {db.name}: {len(checks) - len(bad)} of {len(checks)} floor numbers equal cx's")
            for what, a, b in bad:
                print(f"  differs: {what}: floor {a!r}, cx {b!r}")
            if bad:
                raise SystemExit("the floor does not compute what the pages show")
            model_parts(con, pages)  # not counted: the first call loads the language models
        out: dict[str, dict[str, Any]] = {}
        for page in pages:
            FLOORS[page](con)  # warm: DuckDB's buffers and plans, as the page's own connection has them
            walls, cpus = [], []
            for _ in range(repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                FLOORS[page](con)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            out[page] = {"floor": statistics.median(walls), "floor_cpu": statistics.median(cpus)}
        for page, (wall, cpu, what) in model_parts(con, pages).items():
            out[page] |= {"model": wall, "model_cpu": cpu, "model_what": what}
        return out
    finally:
        con.close()


class Log:
    """DuckDB's query log of the app's connection (switched on where the app opens it)."""

    def __init__(self) -> None:
        self.con: Any = None
        self._open = seed.open_store
        seed.open_store = self.open  # type: ignore[assignment]

    def open(self, path: Any = None, **kwargs: Any) -> Any:
        self.con = self._open(path, **kwargs)
        self.con.execute("CALL enable_logging('QueryLog')")
        return self.con

    def take(self) -> tuple[int, int]:
        """Return (feedback, all) queries since the last call."""
        cur = self.con.cursor()
        logged = [str(r[0]) for r in cur.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall() if "duckdb_logs" not in r[0]]
        cur.execute("CALL truncate_duckdb_logs()")
        cur.close()
        feedback = [q for q in logged if FEEDBACK.search(q) and not q.lstrip().upper().startswith("DESCRIBE")
                    and not q.startswith('SELECT (SELECT count(*) FROM "datasets")')]
        return len(feedback), len(logged)


def run_page(db: Path, page: str, log: Log, repeat: int) -> dict[str, Any]:
    """Return the median cold and warm time (wall and CPU) of one page on the database `db` and the queries of each."""
    os.environ["CX_DB"] = str(db)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.run()
    at.switch_page(f"pages/{page}.py")
    # Not counted: the page's first run on this new connection reads the file into DuckDB's buffers, which the
    # app's one long-lived connection has done long before a user changes a filter (and the floor is warm too).
    at.run()
    times: dict[str, list[float]] = {"cold": [], "warm": [], "cold_cpu": [], "warm_cpu": []}
    out: dict[str, Any] = {}
    for _ in range(repeat):
        log.take()
        st.cache_data.clear()
        for phase in ("cold", "warm"):
            start, cpu = time.perf_counter(), time.process_time()
            at.run()
            times[phase].append(time.perf_counter() - start)
            times[f"{phase}_cpu"].append(time.process_time() - cpu)
            out[f"{phase}_queries"] = log.take()
            if at.exception:
                raise SystemExit(f"{page}: {at.exception[0].value}")
    st.cache_resource.clear()
    return {**out, **{phase: statistics.median(values) for phase, values in times.items()}}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), help="page file names without .py")
    parser.add_argument("--repeat", type=int, default=3, help="cold + warm reruns per page; medians are printed")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the stores go, kept and reused by the next run (default: a temp folder)")
    args = parser.parse_args()
    os.chdir(ROOT)
    log = Log()
    print(f"load average at the start: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results: dict[tuple[str, int], dict[str, Any]] = {}
        for answers in args.answers:
            db = workdir / f"pages-{answers}.duckdb"
            if not db.exists():
                generate(db, answers)
            # The floor first, on its own read-only connection (closed before the app opens the file).
            floors = run_floors(db, args.pages, args.repeat, check=answers == args.answers[0])
            if answers == args.answers[0]:
                for page in args.pages:  # not counted: the first run of a page imports libraries, loads models
                    run_page(db, page, log, 1)
            for page in args.pages:
                results[page, answers] = {**run_page(db, page, log, args.repeat), **floors[page]}
        print(f"{'page':<14}{'answers':>11}{'cold s':>8}{'(CPU)':>7}{'warm s':>8}{'floor s':>9}{'(CPU)':>7}"
              f"{'model s':>9}{'(CPU)':>7}{'queries cold':>14}{'warm':>8}{'ratio':>7}{'(CPU)':>7}")
        for page in args.pages:
            base = results[page, args.answers[0]]
            for answers in args.answers:
                r = results[page, answers]
                cold_q, warm_q = (f"{q[0]} / {q[1]}" for q in (r["cold_queries"], r["warm_queries"]))
                model = f"{r['model']:>9.2f}{r['model_cpu']:>7.2f}" if "model" in r else f"{'':>9}{'':>7}"
                # The ratio: the cold rerun at this size over (the smallest size's cold rerun + the floor here).
                ratio = r["cold"] / (base["cold"] + r["floor"])
                ratio_cpu = r["cold_cpu"] / (base["cold_cpu"] + r["floor_cpu"])
                print(f"{page:<14}{answers:>11,}{r['cold']:>8.2f}{r['cold_cpu']:>7.2f}{r['warm']:>8.2f}"
                      f"{r['floor']:>9.3f}{r['floor_cpu']:>7.2f}{model}{cold_q:>14}{warm_q:>8}{ratio:>7.2f}"
                      f"{ratio_cpu:>7.2f}")
        print("queries: feedback / all (feedback: reading answers, outcomes, segments or operational values)")
        print("ratio: cold / (cold at the smallest size + floor at this size), wall (CPU); the goal is <= 1.5")
        print("floor: hand-written DuckDB SQL for the numbers the page shows; model: the page's model work beyond")
        for page in args.pages:
            what = results[page, args.answers[-1]].get("model_what")
            if what:
                print(f"  model part of {page}: {what} (inside the page's cold time, not in its floor)")
        print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
