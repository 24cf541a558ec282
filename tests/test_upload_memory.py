"""Staged uploads are freed: when another file replaces them, after their import and when the session ends.

A staged upload is an in-memory DuckDB database attached to the app's one connection (plus a temporary
folder); it used to stay attached after the tab closed. The Upload page now keeps it in a session-scoped
`UploadSlot` that Streamlit releases when the session's connection drops.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.runtime import caching
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest

from cx import ingest, store
from cx.ingest import staging
from tests.conftest import no_exceptions

SURVEY = b"id,Seat comfort,Wifi\n1,5,4\n2,3,2\n3,4,4\n"
OTHER = b"id,Check-in,Lounge,Food\n1,2,3,4\n2,5,5,5\n"
APPTEST_SESSION = "test session id"  # the session id AppTest's script runs have (streamlit.testing)
# Long enough to be under way when interrupted (minutes if it were not): the range is never materialised.
ENDLESS = "SELECT sum(hash(range)) FROM range(200_000_000_000)"


def _staged_databases(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases() WHERE starts_with("
                                      "database_name, ?) ORDER BY 1", [ingest.STAGE_PREFIX]).fetchall()]


def _stage(con: duckdb.DuckDBPyConnection, tmp_path: Path, data: bytes = SURVEY) -> ingest.Staged:
    path = tmp_path / f"f{len(list(tmp_path.iterdir()))}.csv"
    path.write_bytes(data)
    return ingest.stage(con, path)


# ------------------------------------------------------------------ the slot, without Streamlit
def test_releasing_the_slot_drops_the_staging_database_its_folder_and_the_object(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    slot = ingest.UploadSlot()
    staged = _stage(con, tmp_path)
    alias, workdir = staged.alias, staged.workdir
    assert workdir is not None and workdir.is_dir()
    slot.hold(con, "file-1", staged, ["profile"])
    assert _staged_databases(con) == [alias]
    alive = weakref.ref(staged)
    del staged
    slot.release()
    gc.collect()
    assert _staged_databases(con) == []
    assert not workdir.exists()
    assert alive() is None
    assert (slot.staged, slot.token, slot.profiles, slot.ended) == (None, None, [], True)


def test_a_new_file_frees_the_one_before(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    slot = ingest.UploadSlot()
    first, second = _stage(con, tmp_path), _stage(con, tmp_path, OTHER)
    slot.hold(con, "file-1", first, [])
    slot.hold(con, "file-2", second, [])
    assert _staged_databases(con) == [second.alias]
    assert first.workdir is not None and not first.workdir.exists()
    assert slot.token == "file-2" and slot.staged is second


def test_after_an_import_the_rows_go_and_the_file_is_remembered(con: duckdb.DuckDBPyConnection,
                                                                 tmp_path: Path) -> None:
    slot = ingest.UploadSlot()
    slot.hold(con, "file-1", _stage(con, tmp_path), [])
    slot.clear(keep_token=True)
    assert _staged_databases(con) == [] and slot.staged is None and slot.token == "file-1"


def test_a_session_ending_during_an_import_frees_the_rows_when_it_finishes(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    slot = ingest.UploadSlot()
    staged = _stage(con, tmp_path)
    slot.hold(con, "file-1", staged, [])
    with slot.busy():
        released = threading.Thread(target=slot.release)  # Streamlit ends sessions on another thread
        released.start()
        released.join()
        assert _staged_databases(con) == [staged.alias]  # the import still reads them
    assert _staged_databases(con) == []


def test_a_file_read_after_the_session_ended_is_dropped_at_once(con: duckdb.DuckDBPyConnection,
                                                                  tmp_path: Path) -> None:
    slot = ingest.UploadSlot()
    slot.release()
    slot.hold(con, "file-1", _stage(con, tmp_path), [])
    assert _staged_databases(con) == [] and slot.staged is None


def test_a_slot_whose_connection_is_closed_still_removes_its_folder(tmp_path: Path) -> None:
    con = store.connect(":memory:")
    slot = ingest.UploadSlot()
    staged = _stage(con, tmp_path)
    slot.hold(con, "file-1", staged, [])
    con.close()
    slot.release()
    assert staged.workdir is not None and not staged.workdir.exists()


# ------------------------------------------------------------------ work that stops
def test_reading_stops_when_the_waiting_script_is_stopped(con: duckdb.DuckDBPyConnection) -> None:
    seen: list[str] = []

    def work(cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            cursor.execute(ENDLESS).fetchall()
        except duckdb.InterruptException:
            seen.append("interrupted")
            raise

    def progress(done: float, label: str) -> None:
        raise StopException  # what Streamlit raises at the progress bar once the session has ended

    with pytest.raises(StopException):
        staging._run_with_progress(con, work, progress, "Reading rows")
    assert seen == ["interrupted"]  # the query was stopped, not left running on its thread


def test_a_query_under_way_is_interrupted_when_the_session_ends(con: duckdb.DuckDBPyConnection) -> None:
    from cx import ui

    work = ui._SessionWork()
    cursor = con.cursor()
    work.watch(cursor)
    outcome: list[str] = []

    def check() -> None:
        try:
            cursor.execute(ENDLESS).fetchall()
            outcome.append("finished")
        except duckdb.InterruptException:
            outcome.append("interrupted")

    running = threading.Thread(target=check)
    running.start()
    while running.is_alive():  # ending is repeated until the query has started and stopped
        work.end()
        running.join(0.05)
    assert outcome == ["interrupted"]
    assert work.upload.ended


class _Files:
    def __init__(self) -> None:
        self.removed: list[str] = []

    def remove_session_files(self, session_id: str) -> None:
        self.removed.append(session_id)


class _Runtime:
    def __init__(self, active: set[str]) -> None:
        self.active = active

    def exists(self) -> bool:
        return True

    def get_instance(self) -> _Runtime:
        return self

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


@pytest.mark.parametrize(("ended_ago_s", "active", "removed"), [
    (130.0, set(), ["s1"]),  # gone for longer than the 120 s it may come back in: Streamlit's copy goes
    (130.0, {"s1"}, []),  # it came back
    (30.0, set(), []),  # it came back and left again 30 s ago: the later timer decides
])
def test_uploaded_bytes_of_a_session_that_never_came_back_are_removed(
        monkeypatch: pytest.MonkeyPatch, ended_ago_s: float, active: set[str], removed: list[str]) -> None:
    from time import monotonic

    from cx import ui

    monkeypatch.setattr(ui, "runtime", _Runtime(active))
    monkeypatch.setattr(ui, "_reconnect_window", lambda: 120.0)
    work = ui._SessionWork()
    files = _Files()
    work._session, work._files = "s1", files  # type: ignore[assignment]
    monkeypatch.setitem(ui._SESSION_ENDS, "s1", monotonic() - ended_ago_s)
    work._forget_files()
    assert files.removed == removed


# ------------------------------------------------------------------ the Upload page
@pytest.fixture
def page(upload_page: AppTest, empty_db: Path) -> Iterator[tuple[AppTest, duckdb.DuckDBPyConnection]]:
    """Return the Upload page on an empty database, and a connection to that database in this process."""
    no_exceptions(upload_page)
    seen = store.connect(empty_db)  # the same database instance as the app's (one per file and process)
    yield upload_page, seen
    seen.close()


def _upload(at: AppTest, data: bytes, name: str) -> None:
    at.file_uploader(key="upload_file").upload(name, data, "text/csv").run()
    no_exceptions(at)


def test_replacing_the_file_frees_the_first(page: tuple[AppTest, duckdb.DuckDBPyConnection]) -> None:
    at, con = page
    _upload(at, SURVEY, "survey.csv")
    first = _staged_databases(con)
    assert len(first) == 1
    _upload(at, OTHER, "other.csv")
    second = _staged_databases(con)
    assert len(second) == 1 and second != first
    assert at.dataframe[0].value.values.tolist()[-1] == ["Rows read", "2"]  # the second file is the one shown


def test_an_import_frees_the_rows_and_the_file_can_be_checked_again(
        page: tuple[AppTest, duckdb.DuckDBPyConnection]) -> None:
    at, con = page
    _upload(at, SURVEY, "survey.csv")
    next(b for b in at.button if b.label.startswith("Import 3 rows")).click().run()
    no_exceptions(at)
    assert _staged_databases(con) == []
    assert "Imported data set 'survey': 3 of 3 rows loaded (6 answers), 0 rejected." in [s.value for s in at.success]
    assert "The file's rows were freed from memory after the import." in [c.value for c in at.caption]
    at.button(key="upload_again").click().run()
    no_exceptions(at)
    assert len(_staged_databases(con)) == 1
    assert next(b for b in at.button if b.label.startswith("Import 3 rows"))


def test_the_session_ending_frees_the_staged_upload(page: tuple[AppTest, duckdb.DuckDBPyConnection]) -> None:
    at, con = page
    _upload(at, SURVEY, "survey.csv")
    assert len(_staged_databases(con)) == 1
    # What Streamlit does when a session's connection drops (AppSession.clear_session_caches).
    caching.clear_session_resource_cache(APPTEST_SESSION)
    assert _staged_databases(con) == []
    # The browser comes back to the same session: the file is read again, nothing is missing.
    at.run()
    no_exceptions(at)
    assert len(_staged_databases(con)) == 1
    assert {m.label: m.value for m in at.metric}["Rows to load"] == "3"


def test_folders_left_by_a_stopped_server_go_when_a_new_file_is_staged(
        con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile
    import time

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where mkdtemp and gettempdir point
    old = time.time() - staging.STAGE_MAX_AGE_S - 60
    left = {name: temp / name for name in ("cx-stage-old", "cx-upload-old", "cx-stage-recent", "cx-other-old")}
    for name, folder in left.items():
        folder.mkdir()
        (folder / "sheet.csv").write_text("a,b\n")
        if name.endswith("-old"):
            os.utime(folder, (old, old))
    files = tmp_path / "files"
    files.mkdir()
    staged = _stage(con, files)
    assert sorted(p.name for p in temp.iterdir() if p != staged.workdir) == ["cx-other-old", "cx-stage-recent"]
    ingest.discard(con, staged)
