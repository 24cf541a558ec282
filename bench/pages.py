"""Benchmark: each data-set page's rerun, cold and warm, with the queries it sends, at two or more sizes.

    python bench/pages.py                                # 20,000 and 200,000 answers
    python bench/pages.py --answers 20000 1000000 --pages 2_Overview 6_Drivers

A store is generated per size (10 touchpoints on 1-5, 1-7 and 0-10 scales, 8 answers per respondent in time
order over 12 months, 3 channels, 12 units, a persona segment, a 0-10 recommend outcome, a wait-time operational
metric, a comment on about 10 % of the answers), then every page runs through app.py in AppTest, in this process:
cold (Streamlit's data cache emptied first: what a new filter or a new data version costs) and warm (the same rerun
again). The queries are counted by DuckDB's own query log; "feedback" are those reading answers, outcomes, segments
or operational values. Printed per page: the median times of `--repeat` cold + warm reruns (after one untimed run
of every page: imports, models), the queries, and the cold time at each size over the smallest size's (the fixed
cost of a page against what grows with the data).
"""

from __future__ import annotations

import argparse
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

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from cx import seed, store  # noqa: E402

DATASET = "Bench"
PAGES = ("2_Overview", "3_Touchpoints", "5_Local_units", "6_Drivers", "7_Comments", "12_Paths")
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
    """Return the median cold and warm time of one page on the database `db` and the queries of each."""
    os.environ["CX_DB"] = str(db)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1800)
    at.run()
    at.switch_page(f"pages/{page}.py")
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    out: dict[str, Any] = {}
    for _ in range(repeat):
        log.take()
        st.cache_data.clear()
        for phase in ("cold", "warm"):
            start = time.perf_counter()
            at.run()
            times[phase].append(time.perf_counter() - start)
            out[f"{phase}_queries"] = log.take()
            if at.exception:
                raise SystemExit(f"{page}: {at.exception[0].value}")
    st.cache_resource.clear()
    return {**out, **{phase: statistics.median(values) for phase, values in times.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), help="page file names without .py")
    parser.add_argument("--repeat", type=int, default=3, help="cold + warm reruns per page; medians are printed")
    parser.add_argument("--workdir", type=Path, default=None, help="where the stores go (default: a temp folder)")
    args = parser.parse_args()
    os.chdir(ROOT)
    log = Log()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results: dict[tuple[str, int], dict[str, Any]] = {}
        for answers in args.answers:
            db = workdir / f"pages-{answers}.duckdb"
            if not db.exists():
                generate(db, answers)
            if answers == args.answers[0]:
                for page in args.pages:  # not counted: the first run of a page imports libraries, loads models
                    run_page(db, page, log, 1)
            for page in args.pages:
                results[page, answers] = run_page(db, page, log, args.repeat)
        print(f"{'page':<16}{'answers':>10}{'cold s':>9}{'warm s':>9}{'queries cold':>16}{'warm':>10}"
              f"{'cold / smallest':>17}")
        for page in args.pages:
            base = results[page, args.answers[0]]["cold"]
            for answers in args.answers:
                r = results[page, answers]
                cold_q, warm_q = (f"{q[0]} / {q[1]}" for q in (r["cold_queries"], r["warm_queries"]))
                print(f"{page:<16}{answers:>10,}{r['cold']:>9.2f}{r['warm']:>9.2f}{cold_q:>16}{warm_q:>10}"
                      f"{r['cold'] / base:>17.2f}")
        print("queries: feedback / all (feedback: reading answers, outcomes, segments or operational values)")


if __name__ == "__main__":
    main()
