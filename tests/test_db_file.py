"""The database file: other applications' files are refused untouched, a deleted or replaced file is detected
(in the app and on the command line), and a full disk is a message, not a crash page."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cx import __main__ as cli
from cx import db_file, seed, store, ui
from cx.errors import DatabaseFileGone, DiskFull, NotACxDatabase
from cx.models import Journey, JourneyStep
from tests.conftest import app_test_on, no_exceptions


def _fingerprint(folder: Path) -> dict[str, str]:
    """Return every file in the folder with the SHA-256 of its bytes (a WAL or temp file left behind shows)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _other_app_file(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (region VARCHAR, amount DOUBLE)")
    con.execute("INSERT INTO sales VALUES ('North', 12.5)")
    con.execute("CREATE VIEW big_sales AS SELECT * FROM sales WHERE amount > 10")
    con.close()
    return path


# ---------------------------------------------------------------- files that are not cx databases


def test_another_applications_duckdb_file_is_refused_and_left_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _other_app_file(tmp_path / "sales.duckdb")
    before = _fingerprint(tmp_path)
    with pytest.raises(NotACxDatabase) as refused:
        store.connect(path)
    assert str(refused.value) == (
        f"{path} is a DuckDB database of another application (it holds 'big_sales', 'sales' and no cx_schema). "
        "Nothing was written to it. Pick another file: --db PATH on the command line, CX_DB=PATH for the app (a "
        "new name starts a new cx database).")
    code, out, err = _cli(capsys, "journeys", "--db", str(path))
    assert (code, out) == (2, "")
    assert err == f"cx journeys: {refused.value}\n"  # one line, no traceback
    assert _cli(capsys, "ingest", "x.csv", "--mapping", "m.json", "--db", str(path))[0] == 2
    assert _fingerprint(tmp_path) == before  # same bytes, and no .wal or other file left beside it
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("sales",)]
    con.close()


@pytest.mark.parametrize(("kind", "said"), [("text", "is not a DuckDB database file"),
                                            ("sqlite", "is a SQLite database")])
def test_a_file_that_is_not_duckdb_is_refused_before_duckdb_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, said: str
) -> None:
    path = tmp_path / "cx.duckdb"
    if kind == "text":
        path.write_text("respondent,score\n1,5\n" * 20, encoding="utf-8")
    else:
        lite = sqlite3.connect(path)
        lite.execute("CREATE TABLE answers (x)")
        lite.commit()
        lite.close()
    before = _fingerprint(tmp_path)
    with pytest.raises(NotACxDatabase, match=f"{said}, so it is not a cx database. Nothing was written to it"):
        store.connect(path)
    code, _, err = _cli(capsys, "datasets", "--db", str(path))
    assert code == 2 and said in err and err.count("\n") == 1
    assert _fingerprint(tmp_path) == before


def test_new_empty_and_zero_byte_files_become_cx_databases(tmp_path: Path) -> None:
    empty_duckdb = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty_duckdb)).close()  # a DuckDB file with no tables
    zero = tmp_path / "zero.duckdb"
    zero.touch()
    for path in (empty_duckdb, zero, tmp_path / "new" / "fresh.duckdb"):
        con = store.connect(path)
        assert store.schema_version(con) == store.SCHEMA_VERSION
        con.close()
        con = store.connect(path)  # and it opens again as the cx database it now is
        assert store.table_counts(con)["journeys"] == 0
        con.close()


# ---------------------------------------------------------------- a file deleted under a running program


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """Yield a running program that holds a cx database open (as the app does), and the file's path."""
    path = tmp_path / "cx.duckdb"
    store.connect(path).close()
    program = subprocess.Popen(
        [sys.executable, "-c",
         f"import sys, time; sys.path.insert(0, {str(Path(__file__).parent.parent)!r}); from cx import store; "
         f"con = store.connect({str(path)!r}); "
         "store.set_setting(con, 'written_by', 'the app'); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    assert program.stdout is not None and program.stdout.readline().strip() == "ok"
    try:
        yield program, path
    finally:
        program.kill()
        program.wait()
        program.stdout.close()


def test_a_file_deleted_while_a_program_holds_it_is_not_started_afresh(
    holder: tuple[subprocess.Popen[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    program, path = holder
    path.unlink()
    with pytest.raises(DatabaseFileGone) as gone:
        store.connect(path)
    assert str(gone.value).startswith(f"The database file {path} was deleted while process {program.pid} (")
    assert "Restore the file" in str(gone.value) and "stop that program first" in str(gone.value)
    code, _, err = _cli(capsys, "journeys", "--db", str(path))
    assert code == 2 and f"was deleted while process {program.pid}" in err
    assert not path.exists(), "no second database was created beside the one the program still writes"

    program.kill()  # the program stops without closing: its write-ahead log stays behind
    program.wait()
    assert Path(f"{path}.wal").exists()
    with pytest.raises(DatabaseFileGone, match=r"is missing, but its write-ahead log .*cx\.duckdb\.wal is still "
                                               r"there.*move cx\.duckdb\.wal aside first"):
        store.connect(path)
    assert not path.exists() and Path(f"{path}.wal").exists()  # DuckDB would have dropped the log


def test_the_command_line_says_when_it_starts_a_new_database(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.duckdb"
    code, out, err = _cli(capsys, "ingest", "missing.csv", "--mapping", "missing.json", "--db", str(path))
    assert code == 2 and not path.exists()  # nothing opened, nothing created, nothing said about a database
    assert "started a new" not in err
    store.connect(tmp_path / "kept.duckdb").close()
    code, out, err = _cli(capsys, "journeys", "--db", str(tmp_path / "kept.duckdb"))
    assert (code, err) == (0, "")
    # A first run is still one command; it says so, so a mistyped --db does not pass unnoticed.
    code, out, err = _cli(capsys, "journeys", "--db", str(path))
    assert code == 0 and "Product launch" in out
    assert err == f"cx journeys: note: there was no database at {path}: started a new cx database there.\n"


# ---------------------------------------------------------------- the app: a deleted or replaced file


def test_the_app_says_when_its_database_file_was_deleted_and_starts_anew_only_when_asked(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_test_on(db, monkeypatch) as at:
        at.run()
        no_exceptions(at)
        db.unlink()
        at.switch_page("pages/9_Journey_builder.py").run()
        no_exceptions(at)
        assert at.error[0].value.startswith("The database file")
        assert "was deleted while the app was running" in at.error[0].value
        assert "nothing done from now on would be saved anywhere" in at.error[0].value
        assert not [b for b in at.button if b.label == "Save journey"], "the page stopped at the message"
        assert not db.exists(), "the app creates nothing by itself"
        at.button(key="cx_db_reopen").click().run()
        no_exceptions(at)
        assert db.exists() and not at.error
        assert at.title[0].value == "Journey builder"
        con = store.connect(db)
        assert store.get_setting(con, "seeded_at") is not None  # a new database, as on a first run
        con.close()


def test_the_app_says_when_its_database_file_was_replaced_and_opens_the_new_one(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    restored = tmp_path / "backup.duckdb"
    shutil.copy(db, restored)
    con = store.connect(restored)
    store.save_journey(con, Journey(name="Only in the backup", steps=(JourneyStep(1, "Checkout"),)))
    con.close()
    with app_test_on(db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/9_Journey_builder.py").run()
        no_exceptions(at)
        assert "Only in the backup" not in at.selectbox(key="builder_pick").options
        os.replace(restored, db)  # the file put back from a backup while the app runs
        at.run()
        no_exceptions(at)
        assert "was replaced by another file while the app was running" in at.error[0].value
        reopen = at.button(key="cx_db_reopen")
        assert reopen.label == "Open the file now at that path"
        reopen.click().run()
        no_exceptions(at)
        assert not at.error
        assert "Only in the backup" in at.selectbox(key="builder_pick").options


# ---------------------------------------------------------------- a full disk


@pytest.fixture
def full_disk_db(tmp_path: Path, seeded_db: Path) -> Iterator[Path]:
    """Return a copy of the seeded database whose write-ahead log is /dev/full: every commit finds no space."""
    if not Path("/dev/full").exists():
        pytest.fail("these tests need Linux's /dev/full")
    path = tmp_path / "cx.duckdb"
    shutil.copy(seeded_db, path)
    os.symlink("/dev/full", f"{path}.wal")
    yield path
    os.unlink(f"{path}.wal")


def test_a_write_on_a_full_disk_is_disk_full_and_saves_nothing(full_disk_db: Path) -> None:
    con = store.connect(full_disk_db)
    before = store.table_counts(con)
    with pytest.raises(DiskFull) as full:
        store.save_journey(con, Journey(name="New", steps=(JourneyStep(1, "Checkout"),)))
    assert str(full.value) == (f"The disk holding {full_disk_db} is full: free space and try again; nothing was "
                               "saved.")
    assert isinstance(full.value.__cause__, duckdb.TransactionException)  # DuckDB's own "No space left on device"
    with pytest.raises(DiskFull):
        store.set_setting(con, "k", "v")
    assert store.table_counts(con) == before and store.get_setting(con, "k") is None
    assert "New" not in store.journey_names(con)  # the connection still reads after the failed writes
    con.close()


def test_disk_full_is_recognised_in_duckdb_errors_and_os_errors() -> None:
    assert db_file.is_disk_full(duckdb.IOException('Could not write file "x": No space left on device'))
    assert db_file.is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not db_file.is_disk_full(duckdb.IOException("Could not set lock on file"))
    assert not db_file.is_disk_full(ValueError("No space left on device"))  # only errors of the disk


def test_a_write_inside_the_block_that_finds_the_disk_full_rolls_back(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write that fails in the block (a large insert spilling to the file) rather than at COMMIT.
    with pytest.raises(DiskFull, match="The disk holding the database is full"), store.transaction(con):
        store.set_setting(con, "half", "written")
        raise duckdb.IOException('Could not write file "/data/cx.duckdb": No space left on device')
    assert store.get_setting(con, "half") is None


def test_the_app_shows_the_full_disk_message_not_the_crash_page(full_disk_db: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with app_test_on(full_disk_db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/9_Journey_builder.py")
        at.query_params["journey"] = seed.PRODUCT_LAUNCH
        at.run()
        no_exceptions(at)
        next(b for b in at.button if b.label == "Duplicate").click().run()
        no_exceptions(at)
        assert [e.value for e in at.error] == [ui.escape_md(
            f"Could not duplicate: The disk holding {full_disk_db} is full: free space and try again; nothing was "
            "saved.")]


def test_an_import_on_a_full_disk_says_so_on_the_upload_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    con.close()
    os.symlink("/dev/full", f"{path}.wal")
    try:
        with app_test_on(path, monkeypatch) as at:
            at.run()
            at.switch_page("pages/11_Upload.py").run()
            at.file_uploader(key="upload_file").upload(
                "survey.csv", b"id,Seat comfort,Online boarding\n1,5,4\n2,2,3\n", "text/csv").run()
            no_exceptions(at)
            next(b for b in at.button if b.label.startswith("Import")).click().run()
            no_exceptions(at)
            assert at.error[0].value == ui.escape_md(f"The import failed and nothing was written: The disk holding "
                                                     f"{path} is full: free space and try again; nothing was saved.")
    finally:
        os.unlink(f"{path}.wal")
    con = store.connect(path)
    assert store.dataset_names(con) == []
    con.close()


def test_an_upload_that_cannot_be_saved_on_a_full_disk_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from cx import ingest

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def recorded(**kwargs: str) -> str:
        made.append(mkdtemp(**kwargs))
        return made[-1]

    monkeypatch.setattr(Path, "write_bytes", full)
    monkeypatch.setattr(tempfile, "mkdtemp", recorded)
    with pytest.raises(DiskFull) as raised:
        ingest.save_upload(b"id,score\n1,5\n", "survey.csv")
    assert str(raised.value) == (f"The disk holding the upload folder {tempfile.gettempdir()} is full: free space "
                                 "and try again; nothing was saved.")
    assert len(made) == 1 and not Path(made[0]).exists()  # its empty folder is gone too
