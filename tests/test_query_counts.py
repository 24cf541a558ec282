"""How many queries each page sends to DuckDB on one rerun, cold and warm: every number aggregated once.

Counted by DuckDB itself: its query log (`CALL enable_logging('QueryLog')`) is switched on for the app's one
connection, so every statement from every cursor of it (ours, ibis's schema look-ups) is counted and nothing in
cx changes for the test. Cold: Streamlit's data cache is emptied before the rerun (what a new filter or a new data
version costs). Warm: the same rerun again, as when a widget that changes no number is touched.

Each entry is (feedback, total) for cold and for warm: `feedback` counts the queries that read answers, outcomes,
segments or operational values (the aggregations: every one costs a scan at 10 M answers); `total` adds the small
ones. Those are, per rerun: the data-set list; the data version (once per script run: `ui.data_version` reads it
again only after a store transaction commits); for each metric engine a computation opens, ibis's two SETs and a
DESCRIBE per table it reads (a warm data-set page: the list, the version and the SETs of the engine its caption
names, 4). No feedback query may be sent twice in one rerun (the same aggregation twice). When a count changes, say
why in the comment beside it: a second query for a number the page already has is the waste this test catches.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
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
    # The data-set table (answers and respondents of every data set) and the table counts, cached by data version.
    "app.py": ((1, 3), (0, 1)),
    # The product-launch journey reads no data set: the journey list, the journey (1 query), its assessments and the
    # team's scores, on every rerun (store only).
    "pages/1_Journey.py": ((0, 7), (0, 7)),
    # Filter options; every metric over the selection (answers, outcomes: 2); every metric by month (1: answers and
    # outcomes in one query that reads the respondent × month pairs once, and one DESCRIBE less; was 2), which
    # serves the tiles' change and the trend; the outcome tiles (1); CSAT and CES per touchpoint for the tile labels
    # (1); the breakdown (1). Besides: the mapping once (CLV settings), 7 engines (14 SETs).
    "pages/2_Overview.py": ((FILTER_OPTIONS + 6, 38), (0, 4)),
    # Filter options; the touchpoint scores (1); CSAT and CES and NPS of each touchpoint's respondents in one query
    # that reads the respondent × touchpoint pairs once (1, and one DESCRIBE less; was 2); the operational metrics
    # (1); the scores by channel (1). The stored journey gives the order (1 store query).
    "pages/3_Touchpoints.py": ((FILTER_OPTIONS + 4, 32), (0, 4)),
    # Filter options; the scores by channel (1), cached like every other result.
    "pages/4_Channels.py": ((FILTER_OPTIONS + 1, 17), (0, 4)),
    # Filter options; every metric (2); the chosen metric per unit (1); the journey at the unit picked (1).
    "pages/5_Local_units.py": ((FILTER_OPTIONS + 4, 29), (0, 4)),
    # Filter options; the outcome list (1, passed to every analysis); the analysis: touchpoints with answers and the
    # correlation summary (2); the bootstrap: respondents, then their rows (2); segment values (1); the analysis of
    # segment A and of B (2 + 2); the moment comparison (1). 26 DESCRIBEs: ibis reads a table's schema per use.
    "pages/6_Drivers.py": ((FILTER_OPTIONS + 11, 47), (0, 4)),
    # Filter options; the touchpoint scores (1); the texts read once for language and sentiment (1); the
    # respondents whose every answer has one comment (1, once: the sample has none, so neither the outcome they
    # compare with nor their comments are asked for); the comments on answers (1); the answers behind the share (1).
    # The data set's kind is a store lookup on every rerun (not the data sets' summary, which counts every answer's
    # respondent). One touchpoint's comments are rows of these: no query. Warm: no engine is opened at all (3).
    "pages/7_Comments.py": ((FILTER_OPTIONS + 5, 31), (0, 3)),
    # Filter options; outcome scales (1); respondents, ordered and longest path (1); the touchpoints met in time
    # (1); the paths with their outcome (1). Every journey with its steps in one store query (the linked ones are
    # listed first), on every rerun; two engines (4 SETs).
    "pages/12_Paths.py": ((FILTER_OPTIONS + 4, 24), (0, 7)),
    # The workshop's start view: the journeys and the running and closed workshops (store only).
    "pages/10_Workshop.py": ((0, 3), (0, 3)),
}

# Two shapes of tests/shapes.py (one database, 9 data sets, a journey each): dated long answers with a channel,
# unit, comment and recommend outcome; an undated wide file with a segment and a yes/no outcome.
SHAPES: dict[tuple[str, str], Counts] = {
    ("dated-long", "app.py"): ((1, 3), (0, 1)),
    # The journey over the data set: its touchpoint stats (1, cached: the scores and the team-vs-customers gap both
    # come from them), the outcomes (1), CSAT over its touchpoints and per touchpoint for the tile's label (2).
    ("dated-long", "pages/1_Journey.py"): ((FILTER_OPTIONS, 28), (0, 10)),
    ("dated-long", "pages/2_Overview.py"): ((FILTER_OPTIONS + 6, 38), (0, 4)),
    ("dated-long", "pages/3_Touchpoints.py"): ((FILTER_OPTIONS + 4, 32), (0, 4)),
    ("dated-long", "pages/4_Channels.py"): ((FILTER_OPTIONS + 1, 17), (0, 4)),
    ("dated-long", "pages/5_Local_units.py"): ((FILTER_OPTIONS + 4, 29), (0, 4)),
    # Too few answers for a driver analysis: outcome list, touchpoints, correlation summary, then the refusal —
    # cached like a result, so the warm rerun refuses without a query.
    ("dated-long", "pages/6_Drivers.py"): ((FILTER_OPTIONS + 3, 20), (0, 4)),
    # Whole-response comments here: the outcome they compare with (1) and those comments (1) as well.
    ("dated-long", "pages/7_Comments.py"): ((FILTER_OPTIONS + 7, 39), (0, 3)),
    # 9 journeys, all in one store query (they were loaded one by one: 33 queries a rerun).
    ("dated-long", "pages/12_Paths.py"): ((FILTER_OPTIONS + 4, 24), (0, 7)),
    ("undated-wide", "app.py"): ((1, 3), (0, 1)),
    ("undated-wide", "pages/1_Journey.py"): ((FILTER_OPTIONS, 28), (0, 10)),
    # No dates: no by-month aggregation (1 fewer than dated-long), no first/last month to compare.
    ("undated-wide", "pages/2_Overview.py"): ((FILTER_OPTIONS + 5, 33), (0, 4)),
    # As dated-long: answers and outcomes per touchpoint in one query (was 2).
    ("undated-wide", "pages/3_Touchpoints.py"): ((FILTER_OPTIONS + 4, 32), (0, 4)),
    ("undated-wide", "pages/4_Channels.py"): ((FILTER_OPTIONS + 1, 17), (0, 4)),
    # No unit: the page stops after the filter options.
    ("undated-wide", "pages/5_Local_units.py"): ((FILTER_OPTIONS, 13), (0, 4)),
    ("undated-wide", "pages/6_Drivers.py"): ((FILTER_OPTIONS + 3, 20), (0, 4)),
    # No comment at all: the queries of the sample, each finding none.
    ("undated-wide", "pages/7_Comments.py"): ((FILTER_OPTIONS + 5, 31), (0, 3)),
    # No dated answer: outcome scales and respondents (1 + 1); nobody has an order, so no path query.
    ("undated-wide", "pages/12_Paths.py"): ((FILTER_OPTIONS + 2, 20), (0, 7)),
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


def rerun_counts(at: AppTest, log: QueryLog, page: str, dataset: str | None, *,
                 params: dict[str, str] | None = None,
                 before: Callable[[AppTest], None] | None = None) -> tuple[list[str], list[str]]:
    """Return the queries of `page` on a cold rerun and on the warm rerun after it.

    `params` go in the URL of every run; `before(at)` acts on the page (e.g. uploads a file) before counting.
    """

    def run() -> None:
        if dataset is not None:
            at.query_params["dataset"] = dataset
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.run()
        no_exceptions(at)

    run()  # the home page opens the connection (migrations, the first data version: not counted)
    if page != "app.py":
        at.switch_page(page)
    if before is not None:
        run()
        before(at)
        no_exceptions(at)
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


# The pages that read no data set's metrics (their own tables: journeys, workshops, actions, links, alerts), on a
# copy of the sample with a workshop running, a shared survey link and an alert rule.
SURVEY_FILE = b"id,Seat comfort,Wifi\n1,5,4\n2,3,2\n3,4,4\n"
OTHERS: dict[str, Counts] = {
    # Filter options; the touchpoint scores for the picker (1); the monthly trend (1); each logged action's score
    # before and after it (2 per action: 1 logged), all cached; the fired alerts, both action lists and the journeys.
    "pages/8_Actions.py": ((FILTER_OPTIONS + 4, 30), (0, 6)),
    # Store only: the journey list, the draft's journey and team scores (loaded, compared for "unsaved", exported),
    # the running-workshop check (made by the save check and again for the message shown at once), the names.
    "pages/9_Journey_builder.py": ((0, 20), (0, 17)),
    # With one workshop running: its participants (1) beside the start view's 3.
    "workshop start": ((0, 4), (0, 4)),
    # The workshop (read by the view and again by its live part, a fragment that reruns alone every 2 s), the
    # journey, the votes tallied once (the table and the scores), the participants.
    "workshop present": ((0, 5), (0, 5)),
    # A participant's form: the workshop, the journey, their own votes.
    "workshop vote": ((0, 3), (0, 3)),
    # The data-set table (answers and respondents counted, once per data version) and the journeys it links.
    "upload empty": ((1, 3), (0, 2)),
    # A file staged: its preview, verdict counts, rejected rows and problems and a NUL check (the staged copy, not
    # the store: not feedback), the data-set names for the proposed name, the data-set table.
    "upload a file": ((1, 9), (0, 8)),
    # The organiser: the data set's touchpoints and the picked one's scales (cached), the link summary.
    "pages/13_Feedback.py": ((2, 5), (0, 3)),
    # A customer's shared link: the link and whether this browser answered it. Nothing else.
    "feedback link": ((0, 2), (0, 2)),
    # The fired alerts, the rules, the data sets, the base URL; what a rule can watch and the target's scale
    # (touchpoints, outcomes, scales: 3, cached).
    "pages/14_Alerts.py": ((3, 8), (0, 5)),
}


@pytest.fixture(scope="module")
def organised(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """Return a copy of the sample with a running workshop, a shared link and an alert rule: (path, code, token)."""
    from cx import alerts, survey, workshop

    path = tmp_path_factory.mktemp("organised") / "cx.duckdb"
    shutil.copyfile(seeded_db, path)
    con = store.connect(path)
    try:
        code = workshop.start_workshop(con, store.journey_names(con)[0]).code
        token = survey.create_links(con, "Retail sample", "Checkout", shared=True)[0].token
        alerts.add_rule(con, dataset="Retail sample", touchpoint="Checkout", kind=alerts.AT_MOST, threshold=6)
    finally:
        con.close()
    return path, code, token


@pytest.mark.parametrize("state", list(OTHERS))
def test_queries_per_rerun_of_the_other_pages(organised: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch,
                                              counted: QueryLog, state: str) -> None:
    path, code, token = organised

    def upload(at: AppTest) -> None:
        at.file_uploader(key="upload_file").upload("survey.csv", SURVEY_FILE, "text/csv").run()

    page, params, before = {
        "workshop start": ("pages/10_Workshop.py", {}, None),
        "workshop present": ("pages/10_Workshop.py", {"code": code, "view": "present"}, None),
        "workshop vote": ("pages/10_Workshop.py", {"code": code}, None),
        "upload empty": ("pages/11_Upload.py", {}, None),
        "upload a file": ("pages/11_Upload.py", {}, upload),
        "feedback link": ("pages/13_Feedback.py", {"t": token}, None),
    }.get(state, (state, {}, None))
    with app_test_on(path, monkeypatch) as at:
        cold, warm = rerun_counts(at, counted, page, None, params=params, before=before)
    assert (summary(cold), summary(warm)) == OTHERS[state], explain(cold, warm)
    assert repeated(cold) == [], explain(cold, warm)


# ------------------------------------------------------------------ the data version: once per script run


@pytest.fixture
def fresh_seeded(seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Yield a writable copy of the seeded database as the app's CX_DB, with Streamlit's caches cleared."""
    path = tmp_path / "cx.duckdb"
    shutil.copyfile(seeded_db, path)
    monkeypatch.setenv("CX_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()


def test_the_data_version_is_read_once_per_run_and_again_after_a_write(
        fresh_seeded: Path, counted: QueryLog) -> None:
    # Every cached result of a run is keyed by the data version; a page that writes (an action saved, a data set
    # imported) must key what it draws after the write by the new version, or it shows the numbers of before.

    def script() -> None:
        from datetime import date

        import streamlit as st

        from cx import store, ui

        con = ui.connection()
        first, again = ui.data_version(con), ui.data_version(con)
        store.add_action(con, {"touchpoint": "Checkout", "title": "Open a second till",
                               "action_date": date(2026, 1, 5)})
        after = ui.data_version(con)
        st.text(repr([first == again, after != first, after == ui.data_version(con), after[10]]))

    at = AppTest.from_function(script, default_timeout=60)
    try:
        at.run()
        no_exceptions(at)
        first_run = at.text[0].value
        versions = [q for q in counted.take() if q.startswith(VERSION_QUERY)]
        # Read, read again only after the write's commit; the 11th count is the actions table's.
        assert first_run.startswith("[True, True, True, ") and len(versions) == 2
        # A write by no transaction of this process (another tool's cursor): the next run reads the version anew.
        raw = counted.con.cursor()  # type: ignore[union-attr]
        raw.execute("DELETE FROM actions WHERE title = 'Open a second till'")
        at.run()
        no_exceptions(at)
        assert at.text[0].value == first_run  # one action fewer before the write, so the same count after it
        assert len([q for q in counted.take() if q.startswith(VERSION_QUERY)]) == 2
    finally:
        st.cache_resource.clear()


def test_an_edit_that_keeps_every_row_count_is_a_new_data_version(fresh_seeded: Path) -> None:
    # An action's status, a renamed journey, an alert rule re-armed change no row count; a result cached before
    # such an edit must not be served after it.

    def script() -> None:
        from datetime import date

        import streamlit as st

        from cx import store, ui

        con = ui.connection()
        action = store.add_action(con, {"touchpoint": "Checkout", "title": "Open a second till",
                                        "action_date": date(2026, 1, 5)})
        before = ui.data_version(con)
        store.update_action(con, action, {"status": "done"})
        after = ui.data_version(con)
        st.text(repr([before[:-1] == after[:-1], before != after]))

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    no_exceptions(at)
    assert at.text[0].value == "[True, True]"  # the same counts, yet another version


# ------------------------------------------------------------------ every page's query stops with its session


def test_a_query_under_way_on_any_page_is_interrupted_when_the_session_ends(
        organised: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the Upload page registered its cursor; now ui.connection() does, for every page. The Workshop start
    # page's own cursor runs a query that would take minutes; ending the session (what Streamlit does when the
    # tab closes: it releases the session's resources) interrupts it, and the page goes on.
    import threading

    import duckdb

    from cx import ui, workshop

    endless = "SELECT sum(hash(range)) FROM range(200_000_000_000)"
    works: list[Any] = []
    watch = ui._SessionWork.watch
    monkeypatch.setattr(ui._SessionWork, "watch", lambda self, cursor: (works.append(self), watch(self, cursor))[1])
    outcome: list[str] = []
    running = threading.Event()  # set while the endless query runs: only it may be interrupted

    def endless_list(con: duckdb.DuckDBPyConnection, **kwargs: Any) -> list[workshop.Workshop]:
        running.set()
        try:
            con.execute(endless).fetchall()
            outcome.append("finished")
        except duckdb.InterruptException:
            outcome.append("interrupted")
        finally:
            running.clear()
        return []

    path, _, _ = organised
    with app_test_on(path, monkeypatch) as at:
        at.run()
        at.switch_page("pages/10_Workshop.py")
        monkeypatch.setattr(workshop, "list_workshops", endless_list)
        done = threading.Event()

        def end_sessions() -> None:  # repeated while the endless query runs (a loaded machine may be slow to start it)
            while not done.wait(0.05):
                if running.is_set():
                    for work in list(works):
                        work.end()

        ender = threading.Thread(target=end_sessions)
        ender.start()
        try:
            at.run()
        finally:
            done.set()
            ender.join()
    assert outcome == ["interrupted", "interrupted"]  # running and closed workshops: both lists stopped
    no_exceptions(at)


def test_the_team_beside_customers_from_the_scores_the_journey_page_has(seeded_db: Path, tmp_path: Path) -> None:
    # The Journey page passes its scores in: the same report as scoring the journey again, with no query for it.
    from cx import journeys, workshop

    shutil.copyfile(seeded_db, tmp_path / "cx.duckdb")
    con = store.connect(tmp_path / "cx.duckdb")
    try:
        name = next(j.name for j in store.all_journeys(con) if j.dataset == "Retail sample")
        journey = store.load_journey(con, name)
        store.save_assessment(con, name, {s.touchpoint: 9.0 for s in journey.steps[:3]})
        scores = journeys.score_journey(journey, engine=store_engine(con), dataset="Retail sample",
                                        assessment=store.assessments(con, name), margin=2.5)
        again = workshop.assessment_gap(con, name, dataset="Retail sample", source="team")
        given = workshop.assessment_gap(con, name, dataset="Retail sample", source="team", customers=scores)
        # DuckDB sums in parallel: two runs of one query may differ in the last bits of a mean
        assert _rounded(given) == _rounded(again) and any(g.gap is not None for g in given.gaps)
    finally:
        con.close()


def _rounded(value: Any) -> Any:
    """Return `value` with every float inside it (dataclasses, tuples, lists, dicts) rounded to 9 places."""
    import dataclasses

    if isinstance(value, float):
        return round(value, 9)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(_rounded(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, (list, tuple)):
        return tuple(_rounded(v) for v in value)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def test_pages_share_one_aggregation_of_the_touchpoints(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Journey, Actions and Touchpoints score the same touchpoints of the same data set: a page met before costs the
    # next one no aggregation (ui.touchpoint_stats, cached per data version and filter).
    from cx import metrics

    calls: list[tuple[Any, ...]] = []
    real = metrics.touchpoint_stats

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append((*args[1:], kwargs.get("by")))
        return real(*args, **kwargs)

    counting.__module__, counting.__qualname__ = real.__module__, real.__qualname__  # the same cache entry name
    monkeypatch.setattr(metrics, "touchpoint_stats", counting)
    app.run()
    for page in ("pages/1_Journey.py", "pages/8_Actions.py", "pages/3_Touchpoints.py"):
        app.switch_page(page)
        app.query_params["journey"] = "Retail store journey"
        app.run()
        no_exceptions(app)
    assert calls == [("Retail sample", (), None), ("Retail sample", (), "channel")]
