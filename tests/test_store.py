"""Store: schema, migrations, round trips, atomic writes, first-run seeding."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from cx import seed, store
from cx.errors import DatabaseLocked, InvalidInput, NotFound, SchemaTooNew
from cx.models import Journey, JourneyStep
from tests.conftest import long_rows


def test_fresh_store_is_at_current_schema(con: duckdb.DuckDBPyConnection) -> None:
    assert store.schema_version(con) == store.SCHEMA_VERSION
    assert set(store.table_counts(con).values()) == {0}


def test_migrate_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    store.migrate(con)
    store.migrate(con)
    assert con.execute("SELECT count(*) FROM cx_schema").fetchall() == [(store.SCHEMA_VERSION,)]


def test_newer_schema_is_refused_with_the_fix(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("INSERT INTO cx_schema VALUES (?)", [store.SCHEMA_VERSION + 1])
    with pytest.raises(SchemaTooNew, match="Update cx"):
        store.migrate(con)


def test_quote_ident_doubles_quotes() -> None:
    assert store.quote_ident('a"; DROP TABLE x; --') == '"a""; DROP TABLE x; --"'


def test_journey_round_trip_keeps_order(con: duckdb.DuckDBPyConnection) -> None:
    journey = Journey(
        name="Delivery", persona="Busy parent", goal="Get it home", dataset=None, description="d",
        steps=(
            JourneyStep(1, "Order", stage="interaction", target=7.0),
            JourneyStep(2, "Dispatch", channel="web", intentional=False, controlled=False, owner="Ops"),
            JourneyStep(3, "Doorstep", note="late in winter"),
        ),
    )
    store.save_journey(con, journey)
    assert store.load_journey(con, "Delivery") == journey
    assert store.journey_names(con) == ["Delivery"]


def test_journey_validation_messages(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="no touchpoints"):
        store.save_journey(con, Journey(name="Empty"))
    twice = Journey(name="Twice", steps=(JourneyStep(1, "A"), JourneyStep(2, "A")))
    with pytest.raises(InvalidInput, match="lists 'A' twice"):
        store.save_journey(con, twice)
    store.save_journey(con, Journey(name="One", steps=(JourneyStep(1, "A"),)))
    with pytest.raises(InvalidInput, match="already exists"):
        store.save_journey(con, Journey(name="One", steps=(JourneyStep(1, "B"),)))
    with pytest.raises(NotFound, match="Known journeys: 'One'"):
        store.load_journey(con, "Missing")


def test_dataset_round_trip_and_delete(con: duckdb.DuckDBPyConnection) -> None:
    rows = long_rows("Checkout", [1, 2, 3], 1, 5, channel="web")
    outcomes = pd.DataFrame({"respondent": ["r1"], "outcome": ["Recommend"], "kind": ["nps"],
                             "value": [9.0], "scale_min": [0.0], "scale_max": [10.0]})
    store.save_dataset(con, "Survey", rows, outcomes=outcomes, source="s.csv", rows_read=4, rows_rejected=1,
                       mapping={"format": "long"})
    info = store.datasets(con).iloc[0]
    assert (info["dataset"], info["rows_read"], info["rows_loaded"], info["rows_rejected"]) == ("Survey", 4, 3, 1)
    assert info["answers"] == 3 and info["respondents"] == 3
    store.save_dataset(con, "Reviews", rows, kind="reviews")
    assert (store.dataset_kind(con, "Survey"), store.dataset_kind(con, "Reviews")) == ("import", "reviews")
    assert store.dataset_kind(con, "Missing") is None
    store.delete_dataset(con, "Reviews")
    got = con.execute("SELECT respondent, score, channel, reversed FROM responses ORDER BY respondent").fetchall()
    assert got == [("r1", 1.0, "web", False), ("r2", 2.0, "web", False), ("r3", 3.0, "web", False)]
    store.delete_dataset(con, "Survey")
    assert store.table_counts(con)["responses"] == 0 and store.table_counts(con)["outcomes"] == 0


def test_failed_dataset_write_leaves_nothing(con: duckdb.DuckDBPyConnection) -> None:
    bad = long_rows("Checkout", [1, 2], 1, 5).drop(columns=["scale_min"])
    with pytest.raises(duckdb.Error):
        store.save_dataset(con, "Broken", bad)
    assert set(store.table_counts(con).values()) == {0}


def test_product_launch_restore_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    seed.restore_product_launch(con)
    journey = store.load_journey(con, "Product launch")
    assert [s.touchpoint for s in journey.steps] == [
        "Product innovation", "Electronics store", "Marketing", "Product purchase", "Out of stock"]
    assert store.assessments(con, "Product launch") == {
        "Electronics store": (3.0, 1), "Marketing": (10.0, 1), "Product purchase": (10.0, 1),
        "Out of stock": (1.0, 1)}


def test_first_run_seeding_is_idempotent(tmp_path) -> None:
    path = tmp_path / "cx.duckdb"
    con = seed.open_store(path)
    first = store.table_counts(con)
    assert seed.seed(con) is False
    con.close()
    con = seed.open_store(path)
    assert store.table_counts(con) == first
    assert first["responses"] > 10_000 and first["journeys"] == 2
    con.close()


def test_committed_data_survives_a_killed_process(tmp_path) -> None:
    path = tmp_path / "crash.duckdb"
    script = (
        "import os, pandas as pd\n"
        "from cx import store\n"
        f"con = store.connect({str(path)!r})\n"
        "rows = pd.DataFrame({'respondent': ['a'], 'touchpoint': ['T'], 'score': [4.0],"
        " 'scale_min': [1.0], 'scale_max': [5.0]})\n"
        "store.save_dataset(con, 'Kept', rows)\n"
        "con.execute('BEGIN TRANSACTION')\n"
        "con.execute(\"INSERT INTO datasets (dataset, imported_at) VALUES ('Lost', now())\")\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=store.REPO_ROOT, capture_output=True)
    assert proc.returncode == -9
    con = store.connect(path)
    assert store.dataset_names(con) == ["Kept"]
    con.close()


def test_second_writer_gets_a_locked_message(tmp_path) -> None:
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(DatabaseLocked, match="Stop that program, or pass another file with --db"):
            store.connect(path)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_version_1_file_is_migrated_forward(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE cx_schema (version INTEGER NOT NULL)")
    old.execute(store.MIGRATIONS[0])
    old.execute("INSERT INTO cx_schema VALUES (1)")
    old.execute("INSERT INTO journeys (name, created_at) VALUES ('Kept', now())")
    old.execute("INSERT INTO journey_steps (journey_id, position, touchpoint) VALUES (1, 1, 'Shop')")
    old.close()
    con = store.connect(path)
    assert store.schema_version(con) == store.SCHEMA_VERSION >= 2
    assert store.load_journey(con, "Kept").steps[0].operational is None
    assert store.table_counts(con)["workshop_votes"] == 0
    con.close()


# ---------------------------------------------------------------- the write functions


def test_insert_select_takes_only_data_tables_and_their_columns(con: duckdb.DuckDBPyConnection) -> None:
    with store.transaction(con):
        store.record_dataset(con, "S", source=None, rows_read=1, rows_loaded=1, rows_rejected=0)
        added = store.insert_select(con, "segments", ("dataset", "respondent", "name", "value"),
                                    "SELECT ?, ?, ?, ?", ["S", "r1", "persona", "Student"])
    assert added == 1
    assert store.rows(con, "SELECT respondent, name, value FROM segments") == [("r1", "persona", "Student")]
    with pytest.raises(InvalidInput, match="'journeys' is not a data table"):
        store.insert_select(con, "journeys", ("name",), "SELECT 'x'")
    with pytest.raises(InvalidInput, match='segments has no column\\(s\\) "x'):
        store.insert_select(con, "segments", ('"x', "name"), "SELECT 1, 2")


def test_action_writes_say_when_the_action_is_gone(con: duckdb.DuckDBPyConnection) -> None:
    action_id = store.add_action(con, {"touchpoint": "Till", "title": "Faster tills", "action_date": "2026-06-01",
                                       "status": "planned"})
    assert store.update_action(con, action_id, {"status": "done", "owner": "Ops"})
    assert store.rows(con, "SELECT status, owner FROM actions WHERE action_id = ?", [action_id]) == [("done", "Ops")]
    with pytest.raises(InvalidInput, match="Actions have no field\\(s\\) created_at"):
        store.update_action(con, action_id, {"created_at": "2020-01-01"})
    assert store.delete_action(con, action_id)
    assert not store.delete_action(con, action_id)
    assert not store.update_action(con, action_id, {"status": "done"})


def test_workshop_votes_replace_earlier_ones_and_share_one_name(con: duckdb.DuckDBPyConnection) -> None:
    store.save_journey(con, Journey(name="J", steps=(JourneyStep(1, "A"), JourneyStep(2, "B"))))
    store.add_workshop(con, "ACDEF", store.journey_id(con, "J"), "open")
    store.save_workshop_votes(con, "ACDEF", "p1", {"A": (3.0, None), "B": (5.0, "slow")}, display_name="Ann")
    store.save_workshop_votes(con, "ACDEF", "p1", {"A": (7.0, "better")}, display_name="Anna")
    assert store.rows(con, "SELECT touchpoint, score, comment, display_name FROM workshop_votes ORDER BY 1") == [
        ("A", 7.0, "better", "Anna"), ("B", 5.0, "slow", "Anna")]
    store.set_workshop_status(con, "ACDEF", "closed", closed_at=store.now())
    assert store.rows(con, "SELECT status, closed_at IS NOT NULL FROM workshops") == [("closed", True)]
