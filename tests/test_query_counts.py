"""How many queries each page sends to DuckDB on one rerun, cold and warm: every number aggregated once.

Counted by DuckDB itself: its query log (`CALL enable_logging('QueryLog')`) is switched on for the app's one
connection, so every statement from every cursor of it (ours, ibis's schema look-ups) is counted and nothing in
cx changes for the test. Cold: Streamlit's data cache is emptied before the rerun (what a new filter or a new data
version costs). Warm: the same rerun again, as when a widget that changes no number is touched.

Each entry is (feedback, total) for cold and for warm: `feedback` counts the queries that read answers, outcomes,
segments or operational values (the aggregations: every one costs a scan at 10 M answers); `total` adds the small
ones. Those are, per rerun: the data-set list; the data version (one query per cache key built: it is what every
cached result is keyed by); the data set's mapping (CLV settings); the stored journey over the data set (name,
id, head, steps: 4); and, for each metric engine a computation opens, ibis's two SETs and a DESCRIBE per table it
reads. No feedback query may be sent twice in one rerun (the same aggregation twice). When a count changes, say
why in the comment beside it: a second query for a number the page already has is the waste this test catches.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cx import comments, seed, store
from cx.engines import store_engine
from cx.metrics import Filter
from tests import shapes
from tests.conftest import app_test_on, no_exceptions

Counts = tuple[tuple[int, int], tuple[int, int]]  # ((feedback, total) cold, (feedback, total) warm)

# Feedback queries common to every data-set page, once per data version (cached): the filter options, 4 —
# first and last answer date; segment values; channel, unit, stage and touchpoint values (one query); outcomes.
FILTER_OPTIONS = 4

# The seeded sample (data set "Retail sample": 9 touchpoints, 4 outcomes, channel, unit, persona, comments).
SAMPLE: dict[str, Counts] = {
    # The data-set table (answers and respondents of every data set; app.py reads it uncached) + the table counts.
    "app.py": ((1, 2), (1, 2)),
    # The product-launch journey reads no data set: its head, steps and assessment (the journey list, loaded one by
    # one) on every rerun; nothing feedback.
    "pages/1_Journey.py": ((0, 9), (0, 9)),
    # Filter options; every metric over the selection (answers, outcomes: 2); every metric by month (2), which
    # serves the tiles' change and the trend; the outcome tiles (1); CSAT and CES per touchpoint for the tile labels
    # (1); the breakdown (1). Besides: 7 data versions, the mapping 6 times (CLV settings), 7 engines (14 SETs).
    "pages/2_Overview.py": ((FILTER_OPTIONS + 7, 51), (0, 16)),
    # Filter options; the touchpoint scores (1); CSAT and CES (1 scan) and NPS of each touchpoint's respondents
    # (1), computed together; the operational metrics (1); the scores by channel (1). The stored journey gives the
    # order (4 store queries).
    "pages/3_Touchpoints.py": ((FILTER_OPTIONS + 5, 41), (0, 9)),
    # Filter options; the scores by channel (1) — computed again on every rerun (the page calls metrics directly).
    "pages/4_Channels.py": ((FILTER_OPTIONS + 1, 17), (1, 8)),
    # Filter options; every metric (2); the chosen metric per unit (1); the journey at the unit picked (1).
    "pages/5_Local_units.py": ((FILTER_OPTIONS + 4, 37), (0, 10)),
    # Filter options; the outcome list (1, passed to every analysis); the analysis: touchpoints with answers and the
    # correlation summary (2); the bootstrap: respondents, then their rows (2); segment values (1); the analysis of
    # segment A and of B (2 + 2); the moment comparison (1). 26 DESCRIBEs: ibis reads a table's schema per use.
    "pages/6_Drivers.py": ((FILTER_OPTIONS + 11, 48), (0, 5)),
    # Filter options; the data sets' kinds (1); the touchpoint scores (1); the texts read once for language and
    # sentiment (1); the comments on answers (1), the outcome whole-response comments compare with (1), those
    # comments (1); the answers behind the share (1). One touchpoint's comments are rows of these: no query.
    "pages/7_Comments.py": ((FILTER_OPTIONS + 7, 46), (0, 9)),
    # Filter options; outcome scales (1); respondents, ordered and longest path (1); the touchpoints met in time
    # (1); the paths with their outcome (1). Every journey is loaded one by one to list the linked ones first (two
    # on the sample: 7 store queries per rerun).
    "pages/12_Paths.py": ((FILTER_OPTIONS + 4, 32), (0, 15)),
    # The workshop's start view: the journeys and the running and closed workshops (store only). Pages 8, 9, 11,
    # 13 and 14 were being reworked when these counts were taken: add theirs once they settle.
    "pages/10_Workshop.py": ((0, 3), (0, 3)),
}

# Two shapes of tests/shapes.py (one database, 9 data sets, a journey each): dated long answers with a channel,
# unit, comment and recommend outcome; an undated wide file with a segment and a yes/no outcome.
SHAPES: dict[tuple[str, str], Counts] = {
    ("dated-long", "app.py"): ((1, 2), (1, 2)),
    # The journey over the data set: its touchpoint stats (1), the outcomes (1), CSAT over its touchpoints and per
    # touchpoint for the tile's label (2); the stats are computed again on every rerun (pages/1 calls cx directly).
    ("dated-long", "pages/1_Journey.py"): ((FILTER_OPTIONS, 33), (1, 20)),
    ("dated-long", "pages/2_Overview.py"): ((FILTER_OPTIONS + 7, 51), (0, 16)),
    ("dated-long", "pages/3_Touchpoints.py"): ((FILTER_OPTIONS + 5, 41), (0, 9)),
    ("dated-long", "pages/4_Channels.py"): ((FILTER_OPTIONS + 1, 17), (1, 8)),
    ("dated-long", "pages/5_Local_units.py"): ((FILTER_OPTIONS + 4, 37), (0, 10)),
    # Too few answers for a driver analysis: outcome list, touchpoints, correlation summary, then the refusal —
    # cached like a result, so the warm rerun refuses without a query.
    ("dated-long", "pages/6_Drivers.py"): ((FILTER_OPTIONS + 3, 21), (0, 5)),
    ("dated-long", "pages/7_Comments.py"): ((FILTER_OPTIONS + 7, 46), (0, 9)),
    # 9 journeys loaded one by one on every rerun (the linked ones are listed first): most of the 33.
    ("dated-long", "pages/12_Paths.py"): ((FILTER_OPTIONS + 4, 50), (0, 33)),
    ("undated-wide", "app.py"): ((1, 2), (1, 2)),
    ("undated-wide", "pages/1_Journey.py"): ((FILTER_OPTIONS, 33), (1, 20)),
    # No dates: no by-month aggregation (2 fewer), no first/last month to compare.
    ("undated-wide", "pages/2_Overview.py"): ((FILTER_OPTIONS + 5, 42), (0, 14)),
    ("undated-wide", "pages/3_Touchpoints.py"): ((FILTER_OPTIONS + 5, 41), (0, 9)),
    ("undated-wide", "pages/4_Channels.py"): ((FILTER_OPTIONS + 1, 17), (1, 8)),
    # No unit: the page stops after the filter options.
    ("undated-wide", "pages/5_Local_units.py"): ((FILTER_OPTIONS, 14), (0, 5)),
    ("undated-wide", "pages/6_Drivers.py"): ((FILTER_OPTIONS + 3, 21), (0, 5)),
    # No comment at all: the same queries, each finding none.
    ("undated-wide", "pages/7_Comments.py"): ((FILTER_OPTIONS + 7, 44), (0, 7)),
    # No dated answer: outcome scales and respondents (1 + 1); nobody has an order, so no path query.
    ("undated-wide", "pages/12_Paths.py"): ((FILTER_OPTIONS + 2, 46), (0, 33)),
}

FEEDBACK_TABLE = re.compile(r'\b(FROM|JOIN)\s+"?(responses|outcomes|segments|operational)"?(\s|$|\))', re.IGNORECASE)
VERSION_QUERY = 'SELECT (SELECT count(*) FROM "datasets")'


def is_feedback(query: str) -> bool:
    """Return whether a logged query reads feedback rows (not a schema look-up, a SET or the data version)."""
    head = query.lstrip().upper()
    if head.startswith(("DESCRIBE", "SET ", "CREATE TEMPORARY VIEW", "CALL ")) or query.startswith(VERSION_QUERY):
        return False
    return FEEDBACK_TABLE.search(query) is not None


class QueryLog:
    """DuckDB's query log of the app's connection: what ran since the last `take()`."""

    def __init__(self) -> None:
        self.con: duckdb.DuckDBPyConnection | None = None

    def open(self, path: Any = None, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = _open_store(path, **kwargs)
        con.execute("CALL enable_logging('QueryLog')")
        self.con = con
        return con

    def take(self) -> list[str]:
        """Return the queries logged since the last call (oldest first) and empty the log."""
        assert self.con is not None, "the app has not opened its database yet"
        cur = self.con.cursor()
        logged = [str(r[0]) for r in cur.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY timestamp, query_id").fetchall()]
        cur.execute("CALL truncate_duckdb_logs()")
        cur.close()
        return [q for q in logged if "duckdb_logs" not in q]


_open_store = seed.open_store


@pytest.fixture(scope="module")
def shapes_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a database holding every shape of tests/shapes.py (built once for this module)."""
    return shapes.build(tmp_path_factory.mktemp("counted-shapes") / "shapes.duckdb")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> QueryLog:
    """Return the query log the app's connection will write to (the connection is opened through it)."""
    log = QueryLog()
    monkeypatch.setattr(seed, "open_store", log.open)
    return log


def rerun_counts(at: AppTest, log: QueryLog, page: str, dataset: str | None) -> tuple[list[str], list[str]]:
    """Return the queries of `page` on a cold rerun and on the warm rerun after it."""

    def run() -> None:
        if dataset is not None:
            at.query_params["dataset"] = dataset
        at.run()
        no_exceptions(at)

    run()  # the home page opens the connection (migrations, the first data version: not counted)
    if page != "app.py":
        at.switch_page(page)
    log.take()
    st.cache_data.clear()
    run()
    cold = log.take()
    run()
    return cold, log.take()


def summary(queries: list[str]) -> tuple[int, int]:
    return sum(map(is_feedback, queries)), len(queries)


def repeated(queries: list[str]) -> list[str]:
    """Return the feedback queries sent more than once (the same aggregation twice in one rerun)."""
    counts = Counter(q for q in queries if is_feedback(q))
    return [q for q, n in counts.items() if n > 1]


def explain(cold: list[str], warm: list[str]) -> str:
    """Return the queries of both reruns, one a line, feedback queries marked, for a failing assertion."""
    def lines(queries: list[str]) -> str:
        return "\n".join(("  * " if is_feedback(q) else "    ") + " ".join(q.split())[:160] for q in queries)
    return f"\ncold {summary(cold)}:\n{lines(cold)}\nwarm {summary(warm)}:\n{lines(warm)}"


@pytest.mark.parametrize("page", list(SAMPLE))
def test_queries_per_rerun_on_the_sample(seeded_db: Path, monkeypatch: pytest.MonkeyPatch, counted: QueryLog,
                                         page: str) -> None:
    with app_test_on(seeded_db, monkeypatch) as at:
        cold, warm = rerun_counts(at, counted, page, None)
    assert (summary(cold), summary(warm)) == SAMPLE[page], explain(cold, warm)
    assert repeated(cold) == [], explain(cold, warm)


@pytest.mark.parametrize(("shape", "page"), list(SHAPES))
def test_queries_per_rerun_on_shapes(shapes_file: Path, monkeypatch: pytest.MonkeyPatch, counted: QueryLog,
                                     shape: str, page: str) -> None:
    with app_test_on(shapes_file, monkeypatch) as at:
        cold, warm = rerun_counts(at, counted, page, shapes.BY_KEY[shape].dataset)
    assert (summary(cold), summary(warm)) == SHAPES[shape, page], explain(cold, warm)
    assert repeated(cold) == [], explain(cold, warm)


def test_the_log_counts_what_the_app_sends(tmp_path: Path, counted: QueryLog) -> None:
    # The counter itself: every statement of every cursor, in order; feedback told from the rest.
    con = counted.open(tmp_path / "cx.duckdb", seed_if_empty=False)
    counted.take()
    cur = con.cursor()
    cur.execute("SELECT count(*) FROM responses").fetchall()
    cur.execute('DESCRIBE "outcomes"').fetchall()
    con.cursor().execute("SELECT dataset FROM datasets").fetchall()
    assert counted.take() == ["SELECT count(*) FROM responses", 'DESCRIBE "outcomes"', "SELECT dataset FROM datasets"]
    assert counted.take() == []
    assert repeated(["SELECT 1 FROM responses", "SELECT 2 FROM responses", "SELECT 1 FROM responses", 'DESCRIBE "t"',
                     'DESCRIBE "t"']) == ["SELECT 1 FROM responses"]
    assert [is_feedback(q) for q in ("SELECT count(*) FROM responses", 'DESCRIBE "outcomes"',
                                     "SELECT dataset FROM datasets", VERSION_QUERY + ", 1",
                                     'SELECT * FROM "segments" AS "t0"', "SELECT name FROM journeys")] == [
        True, False, False, False, True, False]


def test_one_touchpoints_comments_are_the_rows_of_everyones(seeded_db: Path) -> None:
    # Why the Comments page needs no query for the touchpoint picked: the same rows, in the same order.
    con = store.connect(seeded_db)
    try:
        engine = store_engine(con)
        for filters in ((), (Filter("channel", "in", ("store",)),)):
            everyone = comments.comments(engine, "Retail sample", filters)
            picked = sorted(everyone["touchpoint"].dropna().unique())
            assert len(picked) >= 3
            for touchpoint in picked:
                pd.testing.assert_frame_equal(comments.at_touchpoint(everyone, touchpoint), comments.comments(
                    engine, "Retail sample", filters, touchpoint=touchpoint))
    finally:
        con.close()


def test_a_comments_rerun_builds_no_csv_until_the_download_is_asked_for(app: AppTest) -> None:
    # Making every cell of a large selection spreadsheet-safe took seconds on each rerun; now only on a click.
    app.run()
    app.switch_page("pages/7_Comments.py").run()
    no_exceptions(app)
    button = next(b.proto for b in app.get("download_button") if b.proto.label == "Download these comments (CSV)")
    assert button.deferred_file_id and not button.url
