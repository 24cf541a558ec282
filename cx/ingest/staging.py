"""Staging: the whole file read into a private in-memory database of text cells (c1 … cN).

DuckDB's own CSV reader streams the file (Excel is converted to CSV first, Parquet is read as is);
rows the reader cannot split (ragged rows, broken quotes, over-long lines) are kept aside with their
line number. Nothing in the store changes. Every identifier is generated (`c1 … cN`, the staging
database's name) and goes through `store.quote_ident`; every value is a bound parameter.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cx import db_file, store
from cx.db_file import MIN_MEMORY_BYTES, memory_size
from cx.errors import EmptyFile, FileTooLarge, IngestError
from cx.ingest.sniffing import FileFormat, is_clean_utf8, rewrite_utf8, sniff, xlsx_to_csv
from cx.mapping import Mapping

__all__ = [
    "MAX_COLUMNS", "check_width",
    "MAX_LINE_BYTES", "STAGE_MAX_AGE_S", "STAGE_PREFIX", "Progress", "Staged", "UploadSlot", "discard", "limit_memory",
    "preview", "remove_upload", "save_upload", "stage",
]

MAX_LINE_BYTES = 8 << 20  # one row may hold this much text (a long comment is fine)
STAGE_PREFIX = "cx_upload_"
STAGE_MAX_AGE_S = 6 * 3600  # staged uploads older than this are dropped when a new one arrives
STAGE_DIR, UPLOAD_DIR = "cx-stage-", "cx-upload-"  # prefixes of the temporary folders of staged files, uploads
MAX_SAVED_NAME = 120  # characters of an upload's name on disk
# Columns a file may have: past this, every query over its rows costs more per cell (bench/wide.py), so a file
# this wide is refused before any row is read.
MAX_COLUMNS = 2_000


@dataclass
class Staged:
    """A file read into a private staging database: text cells c1…cN, one row per record."""

    alias: str  # the attached in-memory database
    source: str  # the file's name, as shown to users
    fmt: FileFormat
    columns: tuple[str, ...]
    rows_parsed: int
    parse_rejected: int  # rows (file lines) the CSV reader could not split
    workdir: Path | None = None
    notes: list[str] = field(default_factory=list)
    verdicts_for: str | None = None  # the mapping whose verdicts are stored
    bad_for: str | None = None  # the mapping whose rejected rows are stored
    # Per date column: (number dates, first number above 12, second above 12) over the whole column
    # (gathered by the first verdict pass over the column, cx.ingest.verdicts.prepare): how 03/04/2024 is read.
    date_evidence: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # Per name column: its distinct cells (raw, as trimmed, rows), or None when there are too many
    # (cx.ingest.checks.survey_names, once per column).
    name_values: dict[str, tuple[tuple[str, str, int], ...] | None] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.rows_parsed + self.parse_rejected

    @property
    def shown_source(self) -> str:
        """Return the file's name to show: a name over 80 characters keeps its start and its end ('…' between)."""
        return self.source if len(self.source) <= 80 else f"{self.source[:52].rstrip()}…{self.source[-27:].lstrip()}"

    @property
    def raw(self) -> str:
        return f"{store.quote_ident(self.alias)}.raw"

    @property
    def rejects(self) -> str:
        return f"{store.quote_ident(self.alias)}.parse_rejects"

    def col(self, name: str) -> str:
        """Return the staging column (c1…) of a file column."""
        return f"c{self.columns.index(name) + 1}"


def _attach(con: duckdb.DuckDBPyConnection) -> str:
    _drop_stale(con)
    alias = f"{STAGE_PREFIX}{int(time.time())}_{secrets.token_hex(4)}"
    # Without the allocator's background threads, memory freed by a DETACH stays with the process
    # (measured: 3 staged files of 250 MB kept 570 MB after they were dropped; with them, back to 77 MB in 1.5 s).
    con.execute("SET allocator_background_threads = true")
    con.execute(f"ATTACH ':memory:' AS {store.quote_ident(alias)}")
    return alias


def _drop_stale(con: duckdb.DuckDBPyConnection) -> None:
    now = time.time()
    # Folders of uploads and staged files whose session never ended (a server stopped mid-upload) would stay in the
    # temp folder for good: those untouched for STAGE_MAX_AGE_S go, as their staged databases do.
    for folder in Path(tempfile.gettempdir()).glob("cx-*"):
        with suppress(OSError):
            if folder.name.startswith((STAGE_DIR, UPLOAD_DIR)) and now - folder.stat().st_mtime > STAGE_MAX_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
    for (name,) in con.execute("SELECT database_name FROM duckdb_databases() WHERE starts_with(database_name, ?)",
                               [STAGE_PREFIX]).fetchall():
        try:
            born = int(name[len(STAGE_PREFIX):].split("_")[0])
        except ValueError:
            continue
        if now - born > STAGE_MAX_AGE_S:
            con.execute(f"DETACH {store.quote_ident(name)}")


def discard(con: duckdb.DuckDBPyConnection, staged: Staged | None) -> None:
    """Drop a staged upload (its in-memory database and temporary copy)."""
    if staged is None:
        return
    names = [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()]
    if staged.alias in names:
        con.execute(f"DETACH {store.quote_ident(staged.alias)}")
    if staged.workdir is not None:
        shutil.rmtree(staged.workdir, ignore_errors=True)


def save_upload(data: bytes, filename: str) -> Path:
    """Write uploaded bytes to a fresh private temporary folder; return the file's path."""
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_DIR))
    safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(filename).name).strip(" .") or "upload.csv"
    if len(safe) > MAX_SAVED_NAME:  # file systems take 255 bytes; the page keeps the whole name as the source
        suffix = Path(safe).suffix[:16]
        safe = safe[:MAX_SAVED_NAME - len(suffix)].rstrip(" .") + suffix
    target = folder / safe
    try:
        target.write_bytes(data)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if db_file.is_disk_full(exc):
            raise db_file.disk_full(where=f"the upload folder {folder.parent}") from exc
        raise
    return target


def remove_upload(path: Path) -> None:
    """Delete a file written by `save_upload` and its private folder."""
    if path.parent.name.startswith(UPLOAD_DIR):
        shutil.rmtree(path.parent, ignore_errors=True)


class UploadSlot:
    """One browser session's staged upload: freed when another file replaces it, after its import, at session end.

    The Upload page keeps the staged rows here instead of in session state, so whoever ends the session
    (Streamlit, on another thread) can free them: `release()` drops the staging database at once, or as
    soon as an import under way (`busy()`) has finished. Freeing takes a cursor of its own, kept from `hold`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursor: duckdb.DuckDBPyConnection | None = None
        self._busy = 0
        self.ended = False
        self.token: str | None = None  # the uploaded file (its id) the staged rows come from, or were imported from
        self.staged: Staged | None = None
        self.profiles: list[Any] = []  # the column profiles of the staged rows

    def hold(self, con: duckdb.DuckDBPyConnection, token: str, staged: Staged, profiles: Sequence[Any]) -> None:
        """Keep `staged` (read from the file `token`) in place of the upload held before, which is freed."""
        self.clear()
        with self._lock:
            ended = self.ended
            if not ended:
                self._cursor = con.cursor()
                self.token, self.staged, self.profiles = token, staged, list(profiles)
        if ended:  # the session ended while the file was being read
            discard(con, staged)

    def clear(self, *, keep_token: bool = False) -> None:
        """Free the staged upload; `keep_token`: it was imported, so the same file is not read again by itself."""
        with self._lock:
            staged, cursor = self.staged, self._cursor
            self.staged, self._cursor, self.profiles = None, None, []
            if not keep_token:
                self.token = None
        if staged is None or cursor is None:
            return
        try:
            discard(cursor, staged)
        except duckdb.Error:  # the connection is closed: its in-memory databases went with it
            if staged.workdir is not None:
                shutil.rmtree(staged.workdir, ignore_errors=True)
        finally:
            with suppress(duckdb.Error):
                cursor.close()

    def release(self) -> None:
        """The session ended: free the upload now, or when the import under way finishes. Safe from any thread."""
        with self._lock:
            self.ended = True
            if self._busy:
                return
        self.clear()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Keep the staged rows while the block runs (an import), even if the session ends meanwhile."""
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                free = self.ended and not self._busy
            if free:
                self.clear()


Progress = Callable[[float, str], None]


def _run_with_progress(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], None],
                       progress: Progress | None, label: str) -> None:
    """Run `work(cursor)` on a cursor of its own; while it runs, report DuckDB's progress (0–1) to `progress`."""
    worker = con.cursor()
    try:
        if progress is None:
            work(worker)
            return
        worker.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false; "
                       "SET progress_bar_time = 0")
        failure: list[BaseException] = []

        def run() -> None:
            try:
                work(worker)
            except BaseException as exc:  # handed to the caller's thread below
                failure.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.25)
                try:
                    done = worker.query_progress()
                except duckdb.Error:
                    done = -1.0
                if done >= 0:
                    progress(min(done / 100.0, 1.0), label)
        except BaseException:
            # The caller stopped waiting (Streamlit stops a script whose session ended at its next element,
            # here the progress bar): stop the query too instead of letting it run on unseen.
            worker.interrupt()
            thread.join()
            raise
        if failure:
            raise failure[0]
        progress(1.0, label)
    finally:
        worker.close()


def _reader_sql(fmt: FileFormat, width: int) -> tuple[str, list[Any]]:
    columns = {f"c{i}": "VARCHAR" for i in range(1, width + 1)}
    sql = ("SELECT * FROM read_csv(?, delim = ?, quote = '\"', escape = '\"', header = ?, skip = ?, columns = ?, "
           "auto_detect = false, strict_mode = true, null_padding = false, store_rejects = true, "
           "rejects_table = ?, rejects_scan = ?, max_line_size = ?)")
    skip = 0 if fmt.kind == "xlsx" else fmt.skip_rows  # a workbook's CSV starts at its header
    return sql, [fmt.delimiter, fmt.header, skip, columns]


def stage(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    fmt: FileFormat | None = None,
    mapping: Mapping | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
    sheet: str | None = None,
) -> Staged:
    """Return the file read into a staging database (store untouched); raise IngestError when it cannot be.

    `sheet`: the workbook sheet to read (else the mapping's "sheet", else the active visible one)."""
    path = Path(path)
    if fmt is None:
        fmt = sniff(path, max_bytes=max_bytes, sheet=sheet) if mapping is None else sniff(
            path, max_bytes=max_bytes, delimiter=mapping.delimiter, encoding=mapping.encoding, header=mapping.header,
            skip_rows=mapping.skip_rows, sheet=sheet or mapping.sheet)
    check_width(fmt, source or path.name)
    workdir = Path(tempfile.mkdtemp(prefix=STAGE_DIR))
    alias = _attach(con)
    staged = Staged(alias=alias, source=source or path.name, fmt=fmt, columns=fmt.columns, rows_parsed=0,
                    parse_rejected=0, workdir=workdir)
    try:
        if fmt.kind == "parquet":
            _stage_parquet(con, staged, path, progress)
        else:
            source_path = path
            if fmt.kind == "xlsx":
                source_path = workdir / "sheet.csv"
                if progress:
                    progress(0.0, "Reading the workbook")
                staged.notes += xlsx_to_csv(path, source_path, fmt, source=staged.source)
            _stage_csv(con, staged, source_path, progress)
    except BaseException:
        discard(con, staged)
        raise
    if staged.rows_read == 0:
        discard(con, staged)
        shown = ", ".join(staged.columns[:8]) + (" …" if len(staged.columns) > 8 else "")
        what = f"a header row ({shown}) but no data rows" if fmt.header else "no data rows"
        raise EmptyFile(f"{staged.source} has {what}: export it again with its data.")
    return staged


def check_width(fmt: FileFormat, source: str) -> None:
    """Raise FileTooLarge when the file has more than MAX_COLUMNS columns (nothing is read past its header)."""
    if len(fmt.columns) > MAX_COLUMNS:
        raise FileTooLarge(
            f"{source} has {len(fmt.columns):,} columns, over the {MAX_COLUMNS:,} columns cx reads from one file: "
            "keep only the columns you need (the respondent id, the ratings, the outcomes and segments you will use) "
            "and import that file, or export the answers in long format (one row per answer: respondent, touchpoint, "
            "score), which has no column limit.")


def _stage_csv(con: duckdb.DuckDBPyConnection, staged: Staged, path: Path, progress: Progress | None) -> None:
    fmt = staged.fmt
    target = path
    rewritten = False
    # Decided from the whole file (one streaming pass): DuckDB reads a file as it is only when it is UTF-8
    # throughout without NUL bytes; any other is rewritten, line by line, with notes on what was read how.
    if fmt.needs_rewrite or not is_clean_utf8(path):
        target = staged.workdir / "utf8.csv"  # type: ignore[operator]
        if progress:
            progress(0.0, "Converting to UTF-8")
        staged.notes += rewrite_utf8(path, target, fmt.encoding).notes
        rewritten = True
    for attempt in range(2):
        try:
            _read_into_stage(con, staged, target, progress)
        except duckdb.InvalidInputException as exc:
            if rewritten or attempt:
                raise IngestError(_reader_message(staged.source, exc)) from exc
            # Mixed line endings past the sample: normalise them, then read again.
            target = staged.workdir / "utf8.csv"  # type: ignore[operator]
            staged.notes += rewrite_utf8(path, target, fmt.encoding).notes
            rewritten = True
            staged.notes.append("Line endings were mixed: they were normalised before reading.")
            continue
        bad_encoding = con.execute(f"SELECT count(*) FROM {staged.rejects} WHERE kind = 'INVALID ENCODING'"
                                   ).fetchall()[0][0]
        if bad_encoding and not rewritten:  # what the whole-file pass let through: read line by line
            target = staged.workdir / "utf8.csv"  # type: ignore[operator]
            staged.notes += rewrite_utf8(path, target, "utf-8").notes
            rewritten = True
            continue
        return


def _reader_message(source: str, exc: duckdb.Error) -> str:
    first = str(exc).splitlines()[0].replace("Invalid Input Error: ", "")
    return (f"{source} could not be read as a delimited text file ({first}). Check that it is a CSV export; "
            "if it is, open it in a spreadsheet and save it again as CSV UTF-8.")


def _read_into_stage(con: duckdb.DuckDBPyConnection, staged: Staged, path: Path, progress: Progress | None) -> None:
    width = len(staged.columns)
    reader, params = _reader_sql(staged.fmt, width)
    con.execute(f"DROP TABLE IF EXISTS {staged.raw}")
    con.execute(f"DROP TABLE IF EXISTS {staged.rejects}")
    errors, scans = f"cx_rej_{staged.alias}", f"cx_scan_{staged.alias}"
    sql = f"CREATE TABLE {staged.raw} AS {reader}"
    args = [str(path), *params, errors, scans, MAX_LINE_BYTES]

    def work(cursor: duckdb.DuckDBPyConnection) -> None:
        # The reader's reject tables are temporary tables of this cursor: copy them before it closes.
        try:
            cursor.execute(sql, args)
            cursor.execute(
                f"""CREATE TABLE {staged.rejects} AS
                    SELECT line, first(error_type ORDER BY column_idx) AS kind,
                           string_agg(DISTINCT error_message, '; ') AS message,
                           first(csv_line) AS raw_line
                    FROM {store.quote_ident(errors)} GROUP BY line ORDER BY line"""
            )
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {store.quote_ident(errors)}")
            cursor.execute(f"DROP TABLE IF EXISTS {store.quote_ident(scans)}")

    _run_with_progress(con, work, progress, "Reading rows")
    staged.rows_parsed = int(con.execute(f"SELECT count(*) FROM {staged.raw}").fetchall()[0][0])
    staged.parse_rejected = int(con.execute(f"SELECT count(*) FROM {staged.rejects}").fetchall()[0][0])


def _stage_parquet(con: duckdb.DuckDBPyConnection, staged: Staged, path: Path, progress: Progress | None) -> None:
    names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    casts = ", ".join(f"CAST({store.quote_ident(n)} AS VARCHAR) AS c{i}" for i, n in enumerate(names, start=1))
    def work(cursor: duckdb.DuckDBPyConnection) -> None:
        cursor.execute(f"CREATE TABLE {staged.raw} AS SELECT {casts} FROM read_parquet(?)", [str(path)])

    _run_with_progress(con, work, progress, "Reading rows")
    con.execute(f"CREATE TABLE {staged.rejects} (line BIGINT, kind VARCHAR, message VARCHAR, raw_line VARCHAR)")
    staged.rows_parsed = int(con.execute(f"SELECT count(*) FROM {staged.raw}").fetchall()[0][0])


def preview(con: duckdb.DuckDBPyConnection, staged: Staged, rows: int = 20) -> pd.DataFrame:
    """Return the first rows as read (text cells, the file's column names)."""
    frame = con.execute(f"SELECT * FROM {staged.raw} ORDER BY rowid LIMIT ?", [rows]).df()
    frame.columns = list(staged.columns)
    return frame.astype(object).where(frame.notna(), None)


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory for this connection (e.g. "1GB"); past it, staging spills to disk."""
    size = memory_size(limit)
    if size is None:
        raise IngestError(f"--memory-limit {limit!r}: write a size such as 1GB, 512MB or 4GB.")
    if size[1] < MIN_MEMORY_BYTES:
        raise IngestError(f"--memory-limit {limit!r} is too little for an import: give at least 64MB (default 1GB).")
    # SET takes no bound parameters: the value is validated above and rebuilt from its parts.
    con.execute(f"SET memory_limit = '{size[0]}'")
