"""The database file: what may be opened as a cx database, whether it is still the file opened, a full disk.

Below the store (only cx.errors): `cx.store.connect` refuses what `check_database_path` and
`refuse_other_applications` refuse, and `store.transaction` turns a full disk into DiskFull; the
app checks `check_same_file` on every script run (cx/ui.py).

Why: DuckDB writes happily into another application's DuckDB file (cx's tables beside its own);
a file deleted under a running program stays open in it, so the program keeps "saving" into a file
no one can see while the next program to open the path starts a second, empty database there.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import duckdb

from cx.errors import DatabaseFileGone, DiskFull, NotACxDatabase

__all__ = [
    "MIN_MEMORY_BYTES",
    "check_database_path",
    "check_same_file",
    "deleted_file_holders",
    "disk_full",
    "file_identity",
    "is_disk_full",
    "memory_size",
    "refuse_other_applications",
]

_PICK_ANOTHER = ("Nothing was written to it. Pick another file: --db PATH on the command line, CX_DB=PATH for the "
                 "app (a new name starts a new cx database).")
_DUCKDB_MAGIC = b"DUCK"  # bytes 8–11 of every DuckDB database file


def check_database_path(path: str | Path) -> None:
    """Raise unless `path` may be opened as a cx database: an existing DuckDB file, or a new one.

    Refused, each with what happened and the fix: a file that is not DuckDB (NotACxDatabase, read
    before DuckDB touches it), and a missing file whose database is still open, deleted, in a running
    program (Linux: /proc shows it) or left its write-ahead log behind (DatabaseFileGone): opening a
    new database there would hide what that program writes, and DuckDB would drop the log.
    """
    file = Path(path)
    if file.is_dir():
        raise NotACxDatabase(f"{file} is a folder, not a database file. {_PICK_ANOTHER}")
    if file.exists():
        with file.open("rb") as handle:
            head = handle.read(16)
        if head and head[8:12] != _DUCKDB_MAGIC:
            kind = "a SQLite database" if head.startswith(b"SQLite format 3") else "not a DuckDB database file"
            raise NotACxDatabase(f"{file} is {kind}, so it is not a cx database. {_PICK_ANOTHER}")
        return
    holders = deleted_file_holders(file)
    if holders:
        raise DatabaseFileGone(
            f"The database file {file} was deleted while {'; '.join(holders)} still has it open: that program "
            "keeps writing into a file no one else can see, and its work is lost when it stops. Restore the file "
            "(from where it went, or a backup) and restart that program; or, to start a new database there, stop "
            "that program first.")
    wal = Path(f"{file}.wal")
    if wal.exists():
        raise DatabaseFileGone(
            f"The database file {file} is missing, but its write-ahead log {wal} is still there: the file was "
            "deleted or moved while a program was using it. Restore the file (from where it went, or a backup); "
            f"or, to start a new database there, move {wal.name} aside first.")


def deleted_file_holders(path: str | Path) -> list[str]:
    """Return the running programs ("process 123 (python -m streamlit run app.py)") that hold `path` open
    although it was deleted. Linux only (/proc); elsewhere, and for other users' programs, nothing is found."""
    gone = f"{Path(path).resolve()} (deleted)"
    proc = Path("/proc")
    found: list[str] = []
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not any(os.readlink(fd) == gone for fd in (entry / "fd").iterdir()):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:  # gone meanwhile, or another user's
            continue
        found.append(f"process {entry.name}" + (f" ({command[:80]})" if command else ""))
    return found


def refuse_other_applications(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """Close `con` and raise NotACxDatabase when the file holds tables or views but no cx_schema."""
    found = [str(r[0]) for r in con.execute(
        """SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary
                UNION ALL SELECT view_name FROM duckdb_views()
                WHERE database_name = current_database() AND NOT internal AND NOT temporary""").fetchall()]
    if not found or "cx_schema" in found:
        return
    con.close()
    listed = ", ".join(f"'{n}'" for n in sorted(found)[:5]) + (", …" if len(found) > 5 else "")
    raise NotACxDatabase(f"{target} is a DuckDB database of another application (it holds {listed} and no "
                         f"cx_schema). {_PICK_ANOTHER}")


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """Return the (device, inode) of the file at `path`, or None when there is none: what tells one file from
    another put at the same path."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def check_same_file(path: str | Path, identity: tuple[int, int] | None) -> None:
    """Raise DatabaseFileGone when the file at `path` is no longer the one opened (`identity`, from
    file_identity at open): it was deleted, or another file was put in its place, while it was open."""
    if identity is None:
        return
    now_there = file_identity(path)
    if now_there == identity:
        return
    if now_there is None:
        raise DatabaseFileGone(
            f"The database file {path} was deleted while the app was running: the app still holds the deleted "
            "copy, so nothing done from now on would be saved anywhere. Restore the file (from where it went, or "
            "a backup) and reload the page, or restart the app; or start a new, empty database there below.")
    raise DatabaseFileGone(
        f"The database file {path} was replaced by another file while the app was running: the app was still "
        "using the old one, which is no longer on disk. Open the file now at that path below (or restart the app).")


_DISK_FULL = ("no space left on device", "disk full", "disk is full", "not enough space on the disk",
              "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """Return True when a DuckDB error or an OSError says the disk (or the user's quota) is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, duckdb.Error) and any(s in str(exc).lower() for s in _DISK_FULL)


def disk_full(con: duckdb.DuckDBPyConnection | None = None, where: str | None = None) -> DiskFull:
    """Return the DiskFull error for a write that found the disk full (`where`: the file; default: con's)."""
    if where is None and con is not None:
        try:
            found = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                                ).fetchall()
            where = str(found[0][0]) if found and found[0][0] else None
        except duckdb.Error:
            where = None
    return DiskFull(f"The disk holding {where or 'the database'} is full: free space and try again; nothing was "
                    "saved.")


MIN_MEMORY_BYTES = 64 << 20  # below this DuckDB cannot even read a file's first block
_MEMORY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


def memory_size(text: str) -> tuple[str, float] | None:
    """Return (the size as DuckDB's `SET memory_limit` takes it, its bytes) of '1GB', ' 512 MiB'…; None when
    `text` is not a size. The returned text is rebuilt from digits and a unit only: safe inside a SET."""
    match = _MEMORY.fullmatch(text)
    if not match:
        return None
    unit = match.group(2).upper().replace("I", "")
    return f"{match.group(1)}{match.group(2)}", float(match.group(1)) * 1024 ** ("KMGT".index(unit[0]) + 1)
