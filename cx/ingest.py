"""Import a feedback file: file -> validated rows (+ rejected rows with their reasons) -> the store.

The path, in order, each step usable and testable on its own:

1. `sniff(path)`   reads the first megabyte in Python: encoding, delimiter, line endings, a
   preamble to skip, whether the first row is a header, and the column names.
2. `stage(con, path)` streams the whole file through DuckDB's own CSV reader into a staging table
   of text cells (`c1 … cN`) in a private in-memory database attached to the connection; rows the
   reader cannot split (ragged rows, broken quotes, over-long lines) are kept aside with their line
   number. Nothing in the store changes.
3. `profile(...)` / `mapping.guess_mapping(...)` describe the columns and propose a mapping.
4. `check(con, staged, mapping)` runs every check of the mapping in SQL and returns a `Report`:
   rows read = rows to load + rows rejected, with a count, the first rows and a fix per problem.
5. `load(...)` writes the valid rows in one transaction (INSERT … SELECT from the staging table, so
   a 10 M-row file never becomes a pandas frame); `rejected_rows(...)` returns the rest with a
   `reason` column.

This is a store-layer module: every SQL value is a bound parameter; the only identifiers are the
generated `c1 … cN`, the staging database's generated name and cx's own tables.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cx import exports, store
from cx.errors import InvalidInput
from cx.mapping import ColumnProfile, Mapping, MappingError, Outcome, ScoreRule, scale_label

SAMPLE_BYTES = 1 << 20
PROFILE_ROWS = 200_000
MAX_LINE_BYTES = 8 << 20  # one row may hold this much text (a long comment is fine)
STAGE_PREFIX = "cx_upload_"
STAGE_MAX_AGE_S = 6 * 3600  # staged uploads older than this are dropped when a new one arrives
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
NA_TOKENS = ("n/a", "na", "n.a.", "not applicable", "-", "–", "?", "dk", "don't know", "none", "null", "#n/a")
TEXT_TYPES = {".csv", ".tsv", ".txt", ".tab", ".dat", ""}
ROW_WORD = "row"


class IngestError(InvalidInput):
    """A file that cannot be imported as given; the message says why and what to do."""


class EmptyFile(IngestError):
    """The file has no data rows."""


class FileTooLarge(IngestError):
    """The file is larger than the limit of the page that received it."""


class NothingLoaded(IngestError):
    """Every row was rejected: nothing was written."""


# ---------------------------------------------------------------------- numbers (the reference rule)

_NUMBER = re.compile(r"[ \t\r\n]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\r\n]*")


def parse_number(text: str | None, decimal: str = ".") -> float | None:
    """Return the number a score cell holds, or None when it holds none.

    The same rule as the SQL checks: ASCII digits with an optional sign, decimal separator and
    exponent; surrounding blanks ignored; NaN, infinities and thousands separators are not numbers.
    With `decimal=","` a comma is the decimal separator (`4,5` is 4.5).
    """
    if text is None:
        return None
    if decimal == ",":
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------------- sniffing


@dataclass(frozen=True)
class FileFormat:
    """How a file is read: what `sniff` detected (or a mapping fixed)."""

    kind: str  # "csv", "xlsx" or "parquet"
    size: int
    encoding: str  # a Python codec name
    encoding_label: str  # what the page shows: "UTF-8", "UTF-8 with BOM", "UTF-16 LE", "Windows-1252"…
    delimiter: str
    header: bool
    skip_rows: int
    line_endings: str  # "LF", "CRLF", "CR", "mixed" or "" (not text)
    columns: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def delimiter_label(self) -> str:
        names = {",": "comma ( , )", ";": "semicolon ( ; )", "\t": "tab", "|": "pipe ( | )"}
        return names.get(self.delimiter, repr(self.delimiter))

    @property
    def needs_rewrite(self) -> bool:
        """Return True when DuckDB needs a UTF-8 copy with one kind of line ending."""
        return self.kind == "csv" and (
            self.encoding not in ("utf-8", "utf-8-sig", "ascii") or self.line_endings in ("CR", "mixed"))

    def facts(self) -> list[tuple[str, str]]:
        """Return (what, detected) pairs for the preview."""
        facts = [("File type", self.kind.upper()), ("Size", _size_label(self.size))]
        if self.kind == "csv":
            facts += [("Encoding", self.encoding_label), ("Delimiter", self.delimiter_label),
                      ("Line endings", self.line_endings)]
        facts += [("Header row", "yes" if self.header else "no (columns are numbered)"),
                  ("Lines skipped before the header", str(self.skip_rows)), ("Columns", str(len(self.columns)))]
        return facts


def _size_label(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:,.1f} {unit}"
    return f"{size} bytes"


def _file_kind(path: Path, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx"
    if head.startswith(b"PAR1") or path.suffix.lower() == ".parquet":
        return "parquet"
    return "csv"


def detect_encoding(raw: bytes) -> tuple[str, str]:
    """Return (Python codec, label) for the first bytes of a text file."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 with BOM"
    if raw.startswith(codecs.BOM_UTF32_LE) or raw.startswith(codecs.BOM_UTF32_BE):
        return "utf-32", "UTF-32"
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "UTF-16 LE"
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "UTF-16 BE"
    probe = raw[:4000]
    if len(probe) >= 4:
        odd = probe[1::2].count(0) / max(len(probe) // 2, 1)
        even = probe[0::2].count(0) / max(len(probe) // 2, 1)
        if odd > 0.3 and even < 0.05:
            return "utf-16-le", "UTF-16 LE (no BOM)"
        if even > 0.3 and odd < 0.05:
            return "utf-16-be", "UTF-16 BE (no BOM)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
    except UnicodeDecodeError:
        try:
            raw.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1", "Latin-1 (ISO-8859-1)"
        if any(0x80 <= b <= 0x9F for b in raw):
            return "cp1252", "Windows-1252"
        return "latin-1", "Latin-1 (ISO-8859-1)"
    return "utf-8", "UTF-8" if not raw.isascii() else "UTF-8 (plain ASCII)"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as Windows-1252 (Latin-1 where undefined)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error("cx-cp1252", _cp1252_fallback)


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _line_endings(text: str) -> str:
    """Return how lines end in a sample ("LF", "CRLF", "CR" or "mixed"); breaks inside quotes do not count."""
    text = _QUOTED.sub("", text)
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, count in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if count]
    if not kinds:
        return "LF"
    return kinds[0] if len(kinds) == 1 else "mixed"


def _records(text: str, delimiter: str, limit: int = 200) -> list[tuple[int, list[str]]]:
    """Return up to `limit` (line number before the record, fields) from a text sample."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=False)
    out: list[tuple[int, list[str]]] = []
    before = 0
    try:
        for fields in reader:
            if fields:
                out.append((before, fields))
                if len(out) >= limit:
                    break
            before = reader.line_num
    except csv.Error:
        pass
    return out


def _mode(values: Sequence[int]) -> tuple[int, float]:
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return best[0], best[1] / len(values)


def detect_delimiter(text: str) -> str:
    """Return the delimiter that splits the sample into the most consistent number (> 1) of fields."""
    best, best_key = ",", (-1.0, 0)
    for candidate in DELIMITER_CANDIDATES:
        records = _records(text, candidate, limit=100)
        if not records:
            continue
        width, share = _mode([len(f) for _, f in records])
        if width < 2:
            continue
        key = (round(share, 1), width)
        if key > best_key:
            best, best_key = candidate, key
    return best


def _looks_numeric(cell: str) -> bool:
    return parse_number(cell) is not None or parse_number(cell, ",") is not None


def _detect_header(first: list[str], data: list[list[str]]) -> bool:
    """Return False when the first row looks like data (numbers where the data has numbers)."""
    if not data:
        return True
    numeric_columns = []
    for j in range(len(first)):
        cells = [row[j] for row in data if j < len(row) and row[j].strip()]
        if cells and sum(map(_looks_numeric, cells)) / len(cells) >= 0.8:
            numeric_columns.append(j)
    if not numeric_columns:
        return True
    return not all(_looks_numeric(first[j]) for j in numeric_columns if first[j].strip())


def unique_names(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return column names made unique and non-empty, and notes on what was renamed."""
    out: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            name = f"column {position}"
            notes.append(f"Column {position} has no name in the header: it is called '{name}'.")
        if name in seen:
            k = 2
            while f"{name} ({k})" in seen:
                k += 1
            notes.append(f"Two columns are called '{name}': column {position} is called '{name} ({k})'.")
            name = f"{name} ({k})"
        seen.add(name)
        out.append(name)
    return out, notes


def sniff(
    path: str | Path,
    *,
    max_bytes: int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    header: bool | None = None,
    skip_rows: int | None = None,
) -> FileFormat:
    """Return how to read the file, detected from its first megabyte (given values win)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            raw = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        raise IngestError(f"Cannot read {path.name}: {exc.strerror or exc}. Check the path and permissions.") from exc
    if max_bytes is not None and size > max_bytes:
        raise FileTooLarge(
            f"{path.name} is {_size_label(size)}, over the upload limit of {_size_label(max_bytes)}: split the file, "
            f"or import it from a terminal with `python -m cx ingest {path.name} --mapping MAPPING.json`.")
    kind = _file_kind(path, raw[:8])
    if kind == "xlsx":
        return _sniff_xlsx(path, size)
    if kind == "parquet":
        return _sniff_parquet(path, size)
    if size == 0:
        raise EmptyFile(f"{path.name} is empty (0 bytes): export it again with a header row and data rows.")
    if encoding:
        codec, label = encoding, encoding
    else:
        codec, label = detect_encoding(raw)
    try:
        text = codecs.getincrementaldecoder(codec)(errors="cx-cp1252").decode(raw, final=size <= SAMPLE_BYTES)
    except LookupError as exc:
        raise IngestError(f"Unknown encoding {codec!r}: use e.g. \"utf-8\", \"cp1252\" or \"utf-16\".") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text.strip("\x00")[:100] and codec.startswith("utf-8"):
        raise IngestError(f"{path.name} does not look like a text file (it holds NUL bytes): export it as CSV.")
    if not text.strip():
        raise EmptyFile(f"{path.name} holds only blank lines: export it again with a header row and data rows.")
    endings = _line_endings(text)
    if size > SAMPLE_BYTES:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut + 1] if cut > 0 else text
    sep = delimiter or detect_delimiter(text)
    records = _records(text, sep)
    if not records:
        raise EmptyFile(f"{path.name} holds no rows: export it again with a header row and data rows.")
    widths = [len(f) for _, f in records]
    width, _share = _mode(widths)
    notes: list[str] = []
    if skip_rows is None:
        # Title or note lines before the table hold at most one non-blank cell; the header holds more.
        index = next((i for i, (_, f) in enumerate(records) if sum(1 for c in f if c.strip()) >= 2), 0)
        index = index if index <= 20 and width >= 2 else 0
        skip = records[index][0]
        if skip:
            notes.append(f"The first {skip} line(s) are not part of the table (a title or notes): they are skipped.")
    else:
        skip = skip_rows
        index = next((i for i, (before, _) in enumerate(records) if before >= skip), 0)
    first = records[index][1] if index < len(records) else []
    rest = [f for _, f in records[index + 1:]]
    has_header = _detect_header(first, rest) if header is None else header
    # The header row defines the columns: a data row with more or fewer fields is rejected as ragged.
    names = list(first) if has_header else [f"column {i}" for i in range(1, len(first) + 1)]
    columns, renamed = unique_names(names)
    notes += renamed
    if len(columns) == 1 and not delimiter:
        notes.append("Only one column was found: if the file uses another delimiter, pick it below.")
    return FileFormat(kind="csv", size=size, encoding=codec, encoding_label=label, delimiter=sep,
                      header=has_header, skip_rows=skip, line_endings=endings, columns=tuple(columns),
                      notes=tuple(notes))


def _sniff_xlsx(path: Path, size: int) -> FileFormat:
    header, sheets, title = _xlsx_header(path)
    columns, notes = unique_names([_cell_text(v) for v in header])
    if not columns:
        raise EmptyFile(f"The first sheet of {path.name} is empty: put the table on the first sheet.")
    if len(sheets) > 1:
        notes.insert(0, f"The workbook has {len(sheets)} sheets: the first one, '{title}', is read.")
    return FileFormat(kind="xlsx", size=size, encoding="utf-8", encoding_label="(Excel workbook)", delimiter=",",
                      header=True, skip_rows=0, line_endings="", columns=tuple(columns), notes=tuple(notes))


def _xlsx_header(path: Path) -> tuple[list[Any], list[str], str]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise IngestError(f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}): save it "
                          "again as .xlsx, or export it as CSV.") from exc
    try:
        sheet = book.worksheets[0]
        first = next(sheet.iter_rows(values_only=True), ())
        return list(first), list(book.sheetnames), str(sheet.title)
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    return str(value)


def _xlsx_to_csv(path: Path, target: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            for row in book.worksheets[0].iter_rows(values_only=True):
                if any(v is not None and str(v).strip() for v in row):
                    writer.writerow([_cell_text(v) for v in row])
    finally:
        book.close()


def _sniff_parquet(path: Path, size: int) -> FileFormat:
    con = duckdb.connect()
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
    except duckdb.Error as exc:
        raise IngestError(f"{path.name} cannot be read as Parquet ({str(exc).splitlines()[0]}): export it again, "
                          "or as CSV.") from exc
    finally:
        con.close()
    columns, notes = unique_names(names)
    return FileFormat(kind="parquet", size=size, encoding="utf-8", encoding_label="(Parquet)", delimiter=",",
                      header=True, skip_rows=0, line_endings="", columns=tuple(columns), notes=tuple(notes))


def rewrite_utf8(path: Path, target: Path, encoding: str, *, chunk: int = 1 << 22) -> int:
    """Write the file as UTF-8 with LF line endings; return how many bytes were not valid in `encoding`."""
    bad = 0

    def count(error: UnicodeError) -> tuple[str, int]:
        nonlocal bad
        assert isinstance(error, UnicodeDecodeError)
        bad += error.end - error.start
        return _cp1252_fallback(error)

    handler = f"cx-count-{secrets.token_hex(4)}"
    codecs.register_error(handler, count)
    with path.open("r", encoding=encoding, errors=handler, newline=None) as src, \
            target.open("w", encoding="utf-8", newline="\n") as out:
        while block := src.read(chunk):
            out.write(block.removeprefix("\ufeff") if out.tell() == 0 else block)
    return bad


# ---------------------------------------------------------------------- staging


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

    @property
    def rows_read(self) -> int:
        return self.rows_parsed + self.parse_rejected

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
    con.execute(f"ATTACH ':memory:' AS {store.quote_ident(alias)}")
    return alias


def _drop_stale(con: duckdb.DuckDBPyConnection) -> None:
    now = time.time()
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
    folder = Path(tempfile.mkdtemp(prefix="cx-upload-"))
    safe = re.sub(r"[^A-Za-z0-9._ -]+", "_", Path(filename).name).strip(" .") or "upload.csv"
    target = folder / safe
    target.write_bytes(data)
    return target


def remove_upload(path: Path) -> None:
    """Delete a file written by `save_upload` and its private folder."""
    if path.parent.name.startswith("cx-upload-"):
        shutil.rmtree(path.parent, ignore_errors=True)


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
        while thread.is_alive():
            thread.join(0.25)
            try:
                done = worker.query_progress()
            except duckdb.Error:
                done = -1.0
            if done >= 0:
                progress(min(done / 100.0, 1.0), label)
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
    return sql, [fmt.delimiter, fmt.header, fmt.skip_rows, columns]


def stage(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    fmt: FileFormat | None = None,
    mapping: Mapping | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> Staged:
    """Return the file read into a staging database (store untouched); raise IngestError when it cannot be."""
    path = Path(path)
    if fmt is None:
        fmt = sniff(path, max_bytes=max_bytes) if mapping is None else sniff(
            path, max_bytes=max_bytes, delimiter=mapping.delimiter, encoding=mapping.encoding, header=mapping.header,
            skip_rows=mapping.skip_rows)
    workdir = Path(tempfile.mkdtemp(prefix="cx-stage-"))
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
                _xlsx_to_csv(path, source_path)
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


def _stage_csv(con: duckdb.DuckDBPyConnection, staged: Staged, path: Path, progress: Progress | None) -> None:
    fmt = staged.fmt
    target = path
    rewritten = False
    if fmt.needs_rewrite:
        target = staged.workdir / "utf8.csv"  # type: ignore[operator]
        if progress:
            progress(0.0, "Converting to UTF-8")
        rewrite_utf8(path, target, fmt.encoding)
        rewritten = True
    for attempt in range(2):
        try:
            _read_into_stage(con, staged, target, progress)
        except duckdb.InvalidInputException as exc:
            if rewritten or attempt:
                raise IngestError(_reader_message(staged.source, exc)) from exc
            # Mixed line endings past the sample: normalise them, then read again.
            target = staged.workdir / "utf8.csv"  # type: ignore[operator]
            rewrite_utf8(path, target, "utf-8-sig" if fmt.encoding.startswith("utf-8") else fmt.encoding)
            rewritten = True
            staged.notes.append("Line endings were mixed: they were normalised before reading.")
            continue
        bad_encoding = con.execute(f"SELECT count(*) FROM {staged.rejects} WHERE kind = 'INVALID ENCODING'"
                                   ).fetchall()[0][0]
        if bad_encoding and not rewritten:
            target = staged.workdir / "utf8.csv"  # type: ignore[operator]
            bad = rewrite_utf8(path, target, "utf-8-sig")
            rewritten = True
            staged.notes.append(f"{bad} byte(s) further down the file are not UTF-8: they were read as "
                                "Windows-1252 (check accented letters).")
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


# ---------------------------------------------------------------------- preview and profile


def preview(con: duckdb.DuckDBPyConnection, staged: Staged, rows: int = 20) -> pd.DataFrame:
    """Return the first rows as read (text cells, the file's column names)."""
    frame = con.execute(f"SELECT * FROM {staged.raw} ORDER BY rowid LIMIT ?", [rows]).df()
    frame.columns = list(staged.columns)
    return frame.astype(object).where(frame.notna(), None)


def profile(con: duckdb.DuckDBPyConnection, staged: Staged, *, rows: int = PROFILE_ROWS) -> list[ColumnProfile]:
    """Return what each column holds (type, range, distinct values…), from its first `rows` rows."""
    parts: list[str] = []
    for i in range(1, len(staged.columns) + 1):
        v = f"nullif(trim(c{i}), '')"
        n = f"TRY_CAST(CASE WHEN contains({v}, '_') THEN NULL ELSE {v} END AS DOUBLE)"
        parts.append(
            f"count({v}), count(CASE WHEN isfinite({n}) THEN 1 END), "
            f"count(CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+,[0-9]+') THEN 1 END), "
            f"count(CASE WHEN isfinite({n}) AND {n} = round({n}) THEN 1 END), "
            f"min(CASE WHEN isfinite({n}) THEN {n} END), max(CASE WHEN isfinite({n}) THEN {n} END), "
            f"approx_count_distinct({v}), coalesce(max(length({v})), 0), coalesce(avg(length({v})), 0), "
            f"count(TRY_CAST({v} AS TIMESTAMP)), approx_top_k({v}, 12), "
            f"list_distinct(list(lower({v})) FILTER (WHERE list_contains(?::VARCHAR[], lower({v}))))"
        )
    params = [list(NA_TOKENS)] * len(staged.columns)
    row = con.execute(
        f"SELECT count(*), {', '.join(parts)} FROM (SELECT * FROM {staged.raw} WHERE rowid < ?)",
        [*params, rows],
    ).fetchall()[0]
    total = int(row[0])
    samples = preview(con, staged, 200)
    profiles = []
    for i, name in enumerate(staged.columns):
        vals = row[1 + 12 * i: 1 + 12 * (i + 1)]
        first = [str(v) for v in samples[name].tolist() if v is not None and str(v).strip()][:200]
        profiles.append(ColumnProfile(
            name=name, rows=total, filled=int(vals[0]), numbers=int(vals[1]), comma_numbers=int(vals[2]),
            whole=int(vals[3]), lo=None if vals[4] is None else float(vals[4]),
            hi=None if vals[5] is None else float(vals[5]), distinct=int(vals[6]), max_length=int(vals[7]),
            mean_length=float(vals[8]), dates=int(vals[9]), top=tuple(str(v) for v in (vals[10] or [])),
            na_tokens=tuple(sorted(vals[11] or [])), samples=tuple(first),
        ))
    return profiles


# ---------------------------------------------------------------------- the checks, as SQL


@dataclass(frozen=True)
class _ProblemDef:
    code: int
    kind: str
    column: str | None
    fix: str
    value_column: str | None  # the staging column whose value is shown as an example


@dataclass(frozen=True)
class Problem:
    """One kind of problem: how many rows have it, the first of them, and what to do."""

    kind: str
    column: str | None
    rows: int
    first_rows: tuple[int, ...]
    examples: tuple[str, ...]
    fix: str
    unit: str = "row"  # "row" (data row, header not counted) or "line" (line of the file)

    def sentence(self) -> str:
        """Return the problem in one line: where, how many, examples, the fix."""
        where = f"column '{self.column}': " if self.column else ""
        noun = self.unit if self.rows == 1 else f"{self.unit}s"
        shown = ", ".join(map(str, self.first_rows)) + (", …" if self.rows > len(self.first_rows) else "")
        examples = ""
        if self.examples:
            examples = " (e.g. " + ", ".join(repr(e) for e in self.examples[:3]) + ")"
        return f"{where}{self.kind} in {self.rows:,} {noun} ({self.unit} {shown}){examples}. {self.fix}"


@dataclass(frozen=True)
class Report:
    """What an import would do: row accounting, answers, and every problem."""

    rows_read: int
    rows_valid: int
    rows_rejected: int
    answers: int
    not_applicable: int
    blank: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    blank_as_na: bool = False  # long format: a blank score is an answer without a score

    def accounting(self) -> str:
        """Return the sentence that proves nothing is dropped."""
        return (f"Rows read {self.rows_read:,} = rows to load {self.rows_valid:,} + rows rejected "
                f"{self.rows_rejected:,}.")

    def summary(self) -> list[str]:
        lines = [self.accounting()]
        if self.not_applicable:
            lines.append(f"{self.not_applicable:,} answers carry a not-applicable code: they are loaded as "
                         "'not applicable' (no score), not rejected.")
        if self.blank and self.blank_as_na:
            lines.append(f"{self.blank:,} scores are blank: those answers are loaded as 'not applicable' (no score).")
        elif self.blank:
            lines.append(f"{self.blank:,} touchpoint cells are blank: no answer is stored for them.")
        return lines

    def problems_frame(self) -> pd.DataFrame:
        """Return one row per problem for display: what, where, how many, the first rows, the fix."""
        return pd.DataFrame([{
            "problem": p.kind, "column": p.column or "(whole row)", "count": p.rows,
            "first rows": f"{p.unit} " + ", ".join(map(str, p.first_rows)),
            "examples": " | ".join(p.examples[:3]), "what to do": p.fix,
        } for p in self.problems], columns=["problem", "column", "count", "first rows", "examples", "what to do"])


PARSE_PROBLEMS: dict[str, tuple[str, str]] = {
    "TOO MANY COLUMNS": ("ragged row: more fields than the header",
                         "A delimiter inside an unquoted cell splits it: put that cell in double quotes, or "
                         "remove the extra delimiter."),
    "MISSING COLUMNS": ("ragged row: fewer fields than the header",
                        "Cells are missing on that line (or a line break splits a row): add the missing "
                        "delimiters, or quote the cell holding the line break."),
    "UNQUOTED VALUE": ("broken quotes",
                       "A quote inside a cell is not doubled, or a quote is never closed (every line after it is "
                       "read as part of the cell): write \"\" for a quote inside a quoted cell."),
    "LINE SIZE OVER MAXIMUM": ("row longer than 8 MB", "Shorten that row or split the cell across rows."),
    "INVALID ENCODING": ("text that is not valid in the file's encoding",
                         "Save the file again as UTF-8 (in Excel: CSV UTF-8)."),
}


def na_condition(v: str, n: str, codes: Sequence[Any]) -> tuple[str, list[Any]]:
    """Return (SQL, params) true when a score cell holds a not-applicable code (FALSE when there are none)."""
    nums = [float(c) for c in codes if isinstance(c, float)]
    texts = [str(c).strip().lower() for c in codes if isinstance(c, str)]
    parts: list[str] = []
    params: list[Any] = []
    if texts:
        parts.append(f"coalesce(list_contains(?::VARCHAR[], lower({v})), false)")
        params.append(texts)
    if nums:
        parts.append(f"coalesce(list_contains(?::DOUBLE[], {n}), false)")
        params.append(nums)
    return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params


class _Plan:
    """The SQL of every check of a mapping over a staged file."""

    def __init__(self, staged: Staged, mapping: Mapping) -> None:
        self.staged = staged
        self.m = mapping
        self.defs: list[_ProblemDef] = []
        self.conds: list[tuple[str, list[Any]]] = []  # (condition SQL, params), one per problem code
        self.ok_conds: list[tuple[str, list[Any]]] = []  # what makes a row bad, cheap to evaluate on every row
        self.verdicts = f"{store.quote_ident(staged.alias)}.verdicts"
        self._build()

    # -------------------------------------------------------------- helpers

    def v(self, column: str) -> str:
        return "v" + self.staged.col(column)[1:]

    def n(self, column: str) -> str:
        return "n" + self.staged.col(column)[1:]

    def _problem(self, kind: str, column: str | None, fix: str, cond: str, params: Sequence[Any] = (),
                 value: str | None = None, ok: tuple[str, Sequence[Any]] | None | bool = True) -> None:
        """Add a problem: `cond` classifies a bad row; `ok` is the (cheaper) condition that makes a row bad
        (True: the same as `cond`; None: covered by another problem's condition)."""
        code = len(self.defs) + 1
        self.defs.append(_ProblemDef(code, kind, column, fix, value))
        self.conds.append((cond, list(params)))
        if ok is True:
            self.ok_conds.append((cond, list(params)))
        elif isinstance(ok, tuple):
            self.ok_conds.append((ok[0], list(ok[1])))

    def _number_sql(self, v: str) -> str:
        text = f"replace({v}, ',', '.')" if self.m.decimal == "," else v
        return f"TRY_CAST(CASE WHEN contains({v}, '_') THEN NULL ELSE {text} END AS DOUBLE)"

    # -------------------------------------------------------------- build

    def _build(self) -> None:
        m, s = self.m, self.staged
        m.check_columns(s.columns)
        used = m.columns_used()
        numeric = {c for c in (m.score, *(t.column for t in m.touchpoints), *(o.column for o in m.operational),
                               *(m.scale_columns or ()), *(o.column for o in m.outcomes)) if c is not None}
        # Trim what is compared or grouped; a long free text (comment) or a date is kept as read:
        # trimming millions of long cells costs more than the whole CSV parse.
        untrimmed = {m.comment, m.timestamp} - {None}
        texts = [f"{s.col(c)} AS {self.v(c)}" if c in untrimmed else f"nullif(trim({s.col(c)}), '') AS {self.v(c)}"
                 for c in used]
        nums = [f"{self._number_sql(self.v(c))} AS {self.n(c)}_raw" for c in used if c in numeric]
        finite = [f"CASE WHEN isfinite({self.n(c)}_raw) THEN {self.n(c)}_raw END AS {self.n(c)}"
                  for c in used if c in numeric]
        all_blank = "coalesce(" + ", ".join(f"c{i}" for i in range(1, len(s.columns) + 1)) + ") IS NULL"
        self.base = (f"SELECT rowid + 1 AS cx_row, {all_blank} AS cx_empty"
                     + "".join(f", {t}" for t in texts) + f" FROM {s.raw}")
        # NaN and infinities are not scores: a second step turns them into "not a number".
        self.numbers = ("SELECT *" + "".join(f", {x}" for x in finite) + " FROM (SELECT *"
                        + "".join(f", {x}" for x in nums) + " FROM base)")
        self._checks()

    def _score_checks(self, label: str | None, v: str, n: str, na: tuple[str, list[Any]],
                      bounds: tuple[str, str, list[Any]], guard: str = "TRUE") -> None:
        """Add the decimal-comma, not-a-number and out-of-scale checks of one score column."""
        na_sql, na_params = na
        lo, hi, bound_params = bounds
        comma = f"regexp_full_match({v}, '[+-]?[0-9]+,[0-9]+')"
        not_number = f"{v} IS NOT NULL AND {n} IS NULL AND NOT {na_sql}"
        if self.m.decimal == ".":
            self._problem("decimal comma", label,
                          "The score uses a decimal comma: set the decimal separator to ',' (or type 4.5).",
                          f"{not_number} AND {comma}", na_params, value=v, ok=None)
        self._problem(
            "not a number", label,
            "Type the score as a number (e.g. 4), or add this text to the not-applicable codes if it means "
            "'not applicable'.",
            not_number + (f" AND NOT {comma}" if self.m.decimal == "." else ""), na_params, value=v,
            ok=(not_number, na_params))
        self._problem(
            "out of scale", label,
            "Pick the right scale, add the value to the not-applicable codes, or fix the cell.",
            f"{n} IS NOT NULL AND NOT {na_sql} AND {guard} AND ({n} < {lo} OR {n} > {hi})",
            [*na_params, *bound_params], value=v)

    def _checks(self) -> None:
        m = self.m
        self._problem("empty row", None, "Every cell of the row is blank: delete the row.", "cx_empty")
        if m.respondent:
            self._problem("missing respondent id", m.respondent,
                          "Fill in the respondent id, or map no respondent column (rows are then numbered).",
                          f"{self.v(m.respondent)} IS NULL AND NOT cx_empty")
        if m.format == "wide":
            for item in m.touchpoints:
                rule = m.wide_rule(item)
                assert rule.scale is not None
                v, n = self.v(item.column), self.n(item.column)
                self._score_checks(item.column, v, n, self._na_sql(v, n, rule),
                                   ("?", "?", [rule.scale[0], rule.scale[1]]))
        else:
            tp, v, n = self.v(m.touchpoint or ""), self.v(m.score or ""), self.n(m.score or "")
            self._problem("missing touchpoint", m.touchpoint, "Fill in the touchpoint name, or delete the row.",
                          f"{tp} IS NULL AND NOT cx_empty")
            if m.scale_columns:
                for col in m.scale_columns:
                    self._problem("scale not a number", col, "Give the scale's bounds as numbers, e.g. 1 and 5.",
                                  f"{self.v(col)} IS NOT NULL AND {self.n(col)} IS NULL", value=self.v(col))
            self._problem("no scale", m.touchpoint,
                          "Set a scale for this touchpoint (or a default scale, or scale columns).",
                          f"{tp} IS NOT NULL AND (cx_lo IS NULL OR cx_hi IS NULL)", value=tp)
            self._problem("scale top not above bottom", m.touchpoint,
                          "The scale's top must be above its bottom: fix the scale columns or settings.",
                          "cx_lo IS NOT NULL AND cx_hi IS NOT NULL AND cx_hi <= cx_lo", value=tp)
            self._score_checks(m.score, v, n, ("cx_na", []), ("cx_lo", "cx_hi", []), guard="cx_hi > cx_lo")
        if m.timestamp:
            fmt = m.timestamp_format
            self._problem(
                "unknown date format", m.timestamp,
                f"Dates must look like {'the format ' + fmt if fmt else '2024-03-31 or 2024-03-31 14:05'}: "
                "set the date format in the mapping (e.g. %d/%m/%Y), or fix the cell.",
                f"{self.v(m.timestamp)} IS NOT NULL AND cx_ts IS NULL", value=self.v(m.timestamp))
        for outcome in m.outcomes:
            self._outcome_checks(outcome)
        for op in m.operational:
            self._problem("not a number", op.column, "Operational values are numbers (e.g. minutes): fix the cell.",
                          f"{self.v(op.column)} IS NOT NULL AND {self.n(op.column)} IS NULL", value=self.v(op.column))

    def _outcome_checks(self, o: Outcome) -> None:
        v, n = self.v(o.column), self.n(o.column)
        if o.kind == "binary":
            if o.negative:
                self._problem(
                    "neither positive nor negative", o.column,
                    f"Outcome values are {', '.join(o.positive)} (positive) or {', '.join(o.negative)}: fix the "
                    "cell, or add the value to the outcome's positive/negative values.",
                    f"{v} IS NOT NULL AND NOT list_contains(?::VARCHAR[], lower({v})) AND "
                    f"NOT list_contains(?::VARCHAR[], lower({v}))",
                    [[p.lower() for p in o.positive], [x.lower() for x in o.negative]], value=v)
            return
        self._problem("outcome not a number", o.column, "The outcome must be a number: fix the cell.",
                      f"{v} IS NOT NULL AND {n} IS NULL", value=v)
        if o.kind == "nps":
            self._problem("not a whole number 0–10", o.column,
                          "A recommend (NPS) answer is a whole number from 0 to 10: fix the cell, or map the column "
                          "as a 'score' outcome with its own scale.",
                          f"{n} IS NOT NULL AND ({n} < 0 OR {n} > 10 OR {n} <> round({n}))", value=v)
        elif o.kind == "score" and o.scale is not None:
            self._problem("outcome out of scale", o.column,
                          f"The outcome's scale is {scale_label(o.scale)}: pick the right scale or fix the cell.",
                          f"{n} IS NOT NULL AND ({n} < ? OR {n} > ?)", [o.scale[0], o.scale[1]], value=v)

    def _na_sql(self, v: str, n: str, rule: ScoreRule) -> tuple[str, list[Any]]:
        return na_condition(v, n, rule.not_applicable)

    # -------------------------------------------------------------- the checked rows

    def typed(self, *, only_rejected: bool = False) -> tuple[str, list[Any]]:
        """Return (SQL, params) of a query with one row per staged row, in file order: typed values.

        `only_rejected`: only the rows whose stored verdict is a rejection (the checks are evaluated
        again for those rows only: the row filter sits in the scan, under every expression).
        """
        m = self.m
        params: list[Any] = []
        join_params: list[Any] = []
        extra: list[str] = []
        join = ""
        if m.format == "long":
            tp, n = self.v(m.touchpoint or ""), self.n(m.score or "")
            rules = [(name, m.rule_for(name)) for name, _ in m.per_touchpoint]
            default = m.rule_for("\x00 no such touchpoint")
            d_nums = [float(c) for c in default.not_applicable if isinstance(c, float)]
            d_texts = [str(c).strip().lower() for c in default.not_applicable if isinstance(c, str)]
            if rules:
                values = ", ".join("(?, ?, ?, ?, ?::VARCHAR[], ?::DOUBLE[], ?, ?)" for _ in rules)
                join = (f" LEFT JOIN (VALUES {values}) AS rules(tp, lo, hi, rev, na_txt, na_num, stage, channel) "
                        f"ON rules.tp = {tp}")
                for name, rule in rules:
                    params_rule = [
                        name, rule.scale[0] if rule.scale else None, rule.scale[1] if rule.scale else None,
                        rule.reversed, [str(c).strip().lower() for c in rule.not_applicable if isinstance(c, str)],
                        [float(c) for c in rule.not_applicable if isinstance(c, float)], rule.stage, rule.channel,
                    ]
                    join_params += params_rule
                r_lo, r_hi, r_rev = "rules.lo", "rules.hi", "rules.rev"
                r_txt, r_num, r_stage, r_channel = "rules.na_txt", "rules.na_num", "rules.stage", "rules.channel"
            else:
                r_lo = r_hi = r_rev = r_txt = r_num = r_stage = r_channel = "NULL"
            lo_col = self.n(m.scale_columns[0]) if m.scale_columns else "NULL"
            hi_col = self.n(m.scale_columns[1]) if m.scale_columns else "NULL"
            lo_default = default.scale[0] if default.scale else None
            hi_default = default.scale[1] if default.scale else None
            extra += [
                f"coalesce({r_lo}, {lo_col}, ?::DOUBLE) AS cx_lo", f"coalesce({r_hi}, {hi_col}, ?::DOUBLE) AS cx_hi",
                f"coalesce({r_rev}, ?) AS cx_rev",
            ]
            params += [lo_default, hi_default, default.reversed]
            score_v = self.v(m.score or "")
            if rules:
                extra.append(
                    f"({score_v} IS NOT NULL AND (list_contains(coalesce({r_txt}, ?::VARCHAR[]), lower({score_v})) "
                    f"OR coalesce(list_contains(coalesce({r_num}, ?::DOUBLE[]), {n}), false))) AS cx_na")
                params += [d_texts, d_nums]
            else:
                na_sql, na_params = na_condition(score_v, n, default.not_applicable)
                extra.append(f"{na_sql} AS cx_na")
                params += na_params
            extra += [f"{r_stage} AS cx_rule_stage", f"{r_channel} AS cx_rule_channel"]
        if m.timestamp:
            v = self.v(m.timestamp)
            if m.timestamp_format:
                extra.append(f"try_strptime({v}, ?) AS cx_ts")
                params.append(m.timestamp_format)
            else:
                extra.append(f"TRY_CAST({v} AS TIMESTAMP) AS cx_ts")
        params += join_params
        base = self.base
        if only_rejected:
            base += f" WHERE rowid IN (SELECT cx_row - 1 FROM {self.verdicts} WHERE NOT cx_ok)"
        head = "WITH base AS (" + base + "), nums AS (" + self.numbers + "), "
        head += "typed AS (SELECT nums.*" + "".join(f", {x}" for x in extra) + f" FROM nums{join}), "
        respondent = (f"coalesce({self.v(m.respondent)}, '{ROW_WORD} ' || typed.cx_row)" if m.respondent
                      else f"'{ROW_WORD} ' || typed.cx_row")
        typed = head + f"rows AS (SELECT typed.*, {respondent} AS cx_respondent FROM typed) SELECT * FROM rows"
        return typed, params

    def ok_expression(self) -> tuple[str, list[Any]]:
        """Return (SQL, params) of the boolean over the typed columns: the row passes every check."""
        bad_parts = [f"coalesce({cond}, false)" for cond, _ in self.ok_conds]
        ok_params = [x for _, p in self.ok_conds for x in p]
        return ("NOT (" + " OR ".join(bad_parts) + ")" if bad_parts else "TRUE"), ok_params

    def count_columns(self) -> tuple[str, list[Any]]:
        """Return (", expr AS cx_answers, …", params): per-row counts of answers, n/a codes and blank scores."""
        m = self.m
        if m.format == "long":
            return (f", 1 AS cx_answers, cx_na::INTEGER AS cx_na_n, ({self.v(m.score or '')} IS NULL)::INTEGER "
                    "AS cx_blank_n"), []
        answers = " + ".join(f"({self.v(t.column)} IS NOT NULL)::INTEGER" for t in m.touchpoints)
        blank = " + ".join(f"({self.v(t.column)} IS NULL)::INTEGER" for t in m.touchpoints)
        na_parts, params = [], []
        for t in m.touchpoints:
            cond, cond_params = self._na_sql(self.v(t.column), self.n(t.column), m.wide_rule(t))
            na_parts.append(f"({cond})::INTEGER")
            params += cond_params
        return (f", {answers} AS cx_answers, {' + '.join(na_parts)} AS cx_na_n, {blank} AS cx_blank_n", params)

    def checked(self) -> tuple[str, list[Any]]:
        """Return (SQL, params): every staged row, typed, with `cx_ok` and `cx_dup_of` (needs `_prepare`)."""
        typed, params = self.typed()
        return (f"SELECT t.*, k.cx_ok, k.cx_dup_of FROM ({typed}) t POSITIONAL JOIN {self.verdicts} k", params)

    def bad(self) -> tuple[str, list[Any]]:
        """Return (SQL, params) of the rejected rows only, each with `cx_problems` (a list of problem codes)."""
        typed, params = self.typed(only_rejected=True)
        sql = (f"SELECT t.*, k.cx_ok, k.cx_dup_of FROM ({typed}) t "
               f"JOIN (SELECT cx_row, cx_ok, cx_dup_of FROM {self.verdicts} WHERE NOT cx_ok) k USING (cx_row)")
        cases = [f"CASE WHEN coalesce({cond}, false) THEN {d.code} END" for (cond, _), d in zip(self.conds, self.defs,
                                                                                                 strict=True)]
        case_params = [x for _, p in self.conds for x in p]
        cases.append(f"CASE WHEN cx_dup_of IS NOT NULL THEN {len(self.defs) + 1} END")
        problems = "list_filter([" + ", ".join(cases) + "], lambda x: x IS NOT NULL)"
        return f"SELECT *, {problems} AS cx_problems FROM ({sql})", case_params + params

    def dup_keys(self) -> list[str]:
        """Return the value columns whose equal values make two valid rows duplicates."""
        m = self.m
        if not m.respondent:
            return []
        if m.format == "wide":
            return [self.v(m.respondent)]
        keys = [self.v(m.respondent), self.v(m.touchpoint or "")]
        keys += [self.v(c) for c in (m.channel, m.unit, m.timestamp) if c]
        return keys


def _dup_problem(plan: _Plan) -> _ProblemDef:
    m = plan.m
    if m.format == "wide":
        return _ProblemDef(len(plan.defs) + 1, "duplicate respondent", m.respondent,
                           "This respondent id already has an earlier row (which is loaded): keep one row per "
                           "respondent, or give each respondent its own id.",
                           plan.v(m.respondent) if m.respondent else None)
    key = ", ".join(c for c in ("respondent", "touchpoint", m.channel and "channel", m.unit and "unit",
                                m.timestamp and "time") if c)
    return _ProblemDef(len(plan.defs) + 1, "duplicate answer", m.touchpoint,
                       f"An earlier row has the same {key} (it is loaded): delete the repeat.",
                       plan.v(m.touchpoint) if m.touchpoint else None)


def _prepare(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping) -> _Plan:
    """Return the plan with every row's verdict stored (once per mapping): passes, or a duplicate of row N.

    One pass evaluates every check into `verdicts` (cx_ok, cx_dup_of), in file order; the rows are
    then read back beside their verdict with a positional join, so no check is evaluated twice.
    Duplicates are looked for among rows that pass every other check (the first one stays valid).
    """
    plan = _Plan(staged, mapping)
    signature = repr(mapping.to_dict())
    if staged.verdicts_for == signature:
        return plan
    typed, params = plan.typed()
    ok, ok_params = plan.ok_expression()
    keys = plan.dup_keys()
    counts, count_params = plan.count_columns()
    hashed = f"hash({', '.join(keys)})" if keys else "NULL::UBIGINT"
    con.execute(f"CREATE OR REPLACE TABLE {plan.verdicts} AS SELECT cx_row, cx_ok, NULL::BIGINT AS cx_dup_of, "
                f"CASE WHEN cx_ok THEN cx_key END AS cx_key{counts} "
                f"FROM (SELECT *, {ok} AS cx_ok, {hashed} AS cx_key FROM ({typed}))",
                count_params + ok_params + params)
    if keys:
        sql, params = plan.checked()
        candidates = con.execute(
            f"SELECT count(*) FROM (SELECT cx_key FROM {plan.verdicts} WHERE cx_key IS NOT NULL GROUP BY cx_key "
            "HAVING count(*) > 1)").fetchall()[0][0]
        if candidates:
            partition = ", ".join(keys)
            con.execute(
                f"""UPDATE {plan.verdicts} SET cx_ok = false, cx_dup_of = d.first_row
                    FROM (WITH c AS (SELECT * FROM ({sql}) WHERE cx_ok),
                               hk AS (SELECT {hashed} AS h FROM c GROUP BY h HAVING count(*) > 1),
                               k AS (SELECT cx_row, min(cx_row) OVER (PARTITION BY {partition}) AS first_row
                                     FROM c WHERE {hashed} IN (SELECT h FROM hk))
                          SELECT cx_row, first_row FROM k WHERE cx_row > first_row) d
                    WHERE {plan.verdicts}.cx_row = d.cx_row""",
                params)
    staged.verdicts_for = signature
    return plan


def _bad_table(con: duckdb.DuckDBPyConnection, plan: _Plan) -> str:
    """Return the table of rejected rows with their problem codes (built once per mapping)."""
    table = f"{store.quote_ident(plan.staged.alias)}.bad"
    signature = "bad:" + repr(plan.m.to_dict())
    if plan.staged.bad_for != signature:
        sql, params = plan.bad()
        con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}", params)
        plan.staged.bad_for = signature
    return table


def _defs(plan: _Plan) -> list[_ProblemDef]:
    return [*plan.defs, _dup_problem(plan)]


def check(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping, *, examples: int = 5) -> Report:
    """Return what importing the staged file with this mapping would load and reject, and why."""
    plan = _prepare(con, staged, mapping)
    sql, params = plan.checked()
    m = mapping
    totals = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE cx_ok), sum(cx_answers) FILTER (WHERE cx_ok), "
        f"sum(cx_na_n) FILTER (WHERE cx_ok), sum(cx_blank_n) FILTER (WHERE cx_ok) FROM {plan.verdicts}"
    ).fetchall()[0]
    parsed, valid, n_answers, n_na, n_blank = (int(x or 0) for x in totals)
    problems = _parse_problems(con, staged, examples)
    defs = {d.code: d for d in _defs(plan)}
    bad_table = _bad_table(con, plan)
    rows = con.execute(
        f"""SELECT p, count(*), list(cx_row ORDER BY cx_row)[1:?]
            FROM (SELECT cx_row, unnest(cx_problems) AS p FROM {bad_table})
            GROUP BY p ORDER BY min(cx_row)""",
        [examples]).fetchall()
    for code, count, first in rows:
        d = defs[int(code)]
        values: tuple[str, ...] = ()
        if d.value_column:
            found = dict(con.execute(
                f"SELECT cx_row, {d.value_column} FROM {bad_table} WHERE cx_row IN (SELECT unnest(?::BIGINT[]))",
                [list(first)]).fetchall())
            values = tuple(str(found.get(r)) if found.get(r) is not None else "" for r in first)
        if d.kind in ("duplicate respondent", "duplicate answer"):
            dup_of = dict(con.execute(
                f"SELECT cx_row, cx_dup_of FROM {bad_table} WHERE cx_row IN (SELECT unnest(?::BIGINT[]))",
                [list(first)]).fetchall())
            values = tuple(f"{v} (as row {dup_of.get(r)})" for r, v in zip(first, values, strict=False))
        problems.append(Problem(kind=d.kind, column=d.column, rows=int(count), first_rows=tuple(int(r) for r in first),
                                examples=values, fix=d.fix))
    rejected = staged.parse_rejected + (parsed - valid)
    notes = list(staged.fmt.notes) + staged.notes
    if not m.respondent:
        notes.append("No respondent column is mapped: each row is its own respondent ('row 1', 'row 2', …).")
    return Report(rows_read=parsed + staged.parse_rejected, rows_valid=valid, rows_rejected=rejected,
                  answers=n_answers, not_applicable=n_na, blank=n_blank, problems=tuple(problems), notes=tuple(notes),
                  blank_as_na=m.format == "long")


def _parse_problems(con: duckdb.DuckDBPyConnection, staged: Staged, examples: int) -> list[Problem]:
    problems = []
    for kind, count, first, raw in con.execute(
        f"SELECT kind, count(*), list(line ORDER BY line)[1:?], list(raw_line ORDER BY line)[1:3] "
        f"FROM {staged.rejects} GROUP BY kind ORDER BY min(line)", [examples]).fetchall():
        title, fix = PARSE_PROBLEMS.get(kind, (kind.lower(), "Fix the line in the file."))
        problems.append(Problem(kind=title, column=None, rows=int(count), first_rows=tuple(int(x) for x in first),
                                examples=tuple(_clip(str(r).rstrip("\r\n")) for r in raw), fix=fix, unit="line"))
    return problems


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def rejected_rows(con: duckdb.DuckDBPyConnection, staged: Staged, mapping: Mapping) -> pd.DataFrame:
    """Return every rejected row: the file's columns as read, `row` / `line`, and a `reason` column."""
    plan = _prepare(con, staged, mapping)
    table = _bad_table(con, plan)
    defs = _defs(plan)
    reasons = "CASE " + " ".join(f"WHEN p = {d.code} THEN ?" for d in defs) + " END"
    reason_params = [(f"{d.column}: " if d.column else "") + d.kind for d in defs]
    cells = ", ".join(f"r.c{i}" for i in range(1, len(staged.columns) + 1))
    frame = con.execute(
        f"""WITH bad AS (SELECT cx_row, cx_problems FROM {table}),
                 why AS (SELECT cx_row, string_agg({reasons}, '; ' ORDER BY p) AS reason
                         FROM (SELECT cx_row, unnest(cx_problems) AS p FROM bad) GROUP BY cx_row)
            SELECT why.cx_row AS row, NULL::BIGINT AS line, why.reason, NULL::VARCHAR AS raw_line, {cells}
            FROM why JOIN {staged.raw} r ON r.rowid + 1 = why.cx_row ORDER BY why.cx_row""",
        reason_params).df()
    parsed = con.execute(f"SELECT line, kind, raw_line FROM {staged.rejects} ORDER BY line").fetchall()
    if parsed:
        extra = pd.DataFrame([{
            "row": None, "line": line, "reason": PARSE_PROBLEMS.get(kind, (kind.lower(), ""))[0],
            "raw_line": str(raw).rstrip("\r\n"),
        } for line, kind, raw in parsed])
        frame = pd.concat([extra, frame], ignore_index=True) if len(frame) else extra.reindex(columns=frame.columns)
    frame.columns = ["row", "line", "reason", "raw_line", *staged.columns]
    frame["row"] = frame["row"].astype("Int64")
    frame["line"] = frame["line"].astype("Int64")
    return frame


def rejects_csv(frame: pd.DataFrame, source: str, report: Report | None = None) -> bytes:
    """Return rejected rows as a spreadsheet-safe CSV whose first lines say what it is."""
    notes = [f"Rejected rows of {source}", "row = data row (header not counted); line = line of the file"]
    if report is not None:
        notes.append(report.accounting())
    return exports.safe_csv(frame, notes=notes)


# ---------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    dataset: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    answers: int
    report: Report

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected}


def load(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    mapping: Mapping,
    name: str,
    *,
    replace: bool = False,
    report: Report | None = None,
) -> ImportResult:
    """Write the valid rows as data set `name` in one transaction; return the counts.

    Raises NothingLoaded (and writes nothing) when no row is valid.
    """
    name = name.strip()
    if not name:
        raise IngestError("A data set needs a name: type one, e.g. 'Survey March'.")
    report = report or check(con, staged, mapping)
    if report.rows_valid == 0:
        raise NothingLoaded(nothing_loaded_message(staged.source, report))
    plan = _prepare(con, staged, mapping)
    sql, params = plan.checked()
    saved = mapping.with_file(delimiter=staged.fmt.delimiter, encoding="utf-8" if staged.fmt.kind != "csv"
                              else staged.fmt.encoding, header=staged.fmt.header, skip_rows=staged.fmt.skip_rows)
    with store.transaction(con):
        store.record_dataset(
            con, name, source=staged.source, kind="import", rows_read=report.rows_read,
            rows_loaded=report.rows_valid, rows_rejected=report.rows_rejected, mapping=saved.to_dict(),
            replace=replace,
        )
        answers = _insert_responses(con, plan, sql, params, name)
        _insert_segments(con, plan, sql, params, name)
        _insert_outcomes(con, plan, sql, params, name)
        _insert_operational(con, plan, sql, params, name)
    return ImportResult(dataset=name, rows_read=report.rows_read, rows_loaded=report.rows_valid,
                        rows_rejected=report.rows_rejected, answers=answers, report=report)


def _opt(plan: _Plan, column: str | None) -> str:
    return plan.v(column) if column else "NULL"


def _insert_responses(con: duckdb.DuckDBPyConnection, plan: _Plan, sql: str, params: list[Any], name: str) -> int:
    m = plan.m
    cols = "dataset, respondent, touchpoint, score, scale_min, scale_max, reversed, channel, stage, unit, " \
           "answered_at, comment"
    ts = "cx_ts" if m.timestamp else "NULL"
    selects: list[str] = []
    args: list[Any] = []
    if m.format == "wide":
        for item in m.touchpoints:
            rule = m.wide_rule(item)
            assert rule.scale is not None
            v, n = plan.v(item.column), plan.n(item.column)
            na, na_params = plan._na_sql(v, n, rule)
            selects.append(
                f"SELECT ?, cx_respondent, ?, CASE WHEN {na} THEN NULL ELSE {n} END, ?, ?, ?, "
                f"coalesce({_opt(plan, m.channel)}, ?), coalesce({_opt(plan, m.stage)}, ?), {_opt(plan, m.unit)}, "
                f"{ts}, {_opt(plan, m.comment)} FROM ({sql}) WHERE cx_ok AND {v} IS NOT NULL")
            args += [name, item.name, *na_params, rule.scale[0], rule.scale[1], rule.reversed, rule.channel,
                     rule.stage, *params]
    else:
        n = plan.n(m.score or "")
        selects.append(
            f"SELECT ?, cx_respondent, {plan.v(m.touchpoint or '')}, CASE WHEN cx_na THEN NULL ELSE {n} END, "
            f"cx_lo, cx_hi, cx_rev, coalesce({_opt(plan, m.channel)}, cx_rule_channel), "
            f"coalesce({_opt(plan, m.stage)}, cx_rule_stage), {_opt(plan, m.unit)}, {ts}, {_opt(plan, m.comment)} "
            f"FROM ({sql}) WHERE cx_ok")
        args += [name, *params]
    result = con.execute(f"INSERT INTO responses ({cols}) " + " UNION ALL ".join(selects), args).fetchall()
    return int(result[0][0]) if result else 0


def _per_respondent(plan: _Plan, sql: str, value: str, extra_where: str = "") -> str:
    """Return a SELECT of (respondent, value) from valid rows: every row (wide), the first row (long)."""
    where = f"WHERE cx_ok AND {value} IS NOT NULL{extra_where}"
    if plan.m.format == "wide" or not plan.m.respondent:
        return f"SELECT cx_respondent AS respondent, {value} AS value FROM ({sql}) {where}"
    return (f"SELECT cx_respondent AS respondent, arg_min({value}, cx_row) AS value FROM ({sql}) {where} "
            "GROUP BY cx_respondent")


def _insert_segments(con: duckdb.DuckDBPyConnection, plan: _Plan, sql: str, params: list[Any], name: str) -> None:
    for column in plan.m.segments:
        inner = _per_respondent(plan, sql, plan.v(column))
        con.execute(f"INSERT INTO segments (dataset, respondent, name, value) SELECT ?, respondent, ?, value "
                    f"FROM ({inner})", [name, column, *params])


def _insert_outcomes(con: duckdb.DuckDBPyConnection, plan: _Plan, sql: str, params: list[Any], name: str) -> None:
    for o in plan.m.outcomes:
        v, n = plan.v(o.column), plan.n(o.column)
        value_args: list[Any] = []
        if o.kind == "binary":
            value = f"CASE WHEN list_contains(?::VARCHAR[], lower({v})) THEN 1.0 ELSE 0.0 END"
            value_args = [[p.lower() for p in o.positive]]
            inner = _per_respondent(plan, sql, v)
            select = (f"SELECT ?, respondent, ?, ?, {value.replace(f'lower({v})', 'lower(value)')}, ?, ? "
                      f"FROM ({inner})")
        else:
            inner = _per_respondent(plan, sql, n)
            select = "SELECT ?, respondent, ?, ?, value, ?, ? FROM (" + inner + ")"
        bounds = o.bounds or (None, None)
        con.execute(
            f"INSERT INTO outcomes (dataset, respondent, outcome, kind, value, scale_min, scale_max) {select}",
            [name, o.name, o.kind, *value_args, bounds[0], bounds[1], *params])


def _insert_operational(con: duckdb.DuckDBPyConnection, plan: _Plan, sql: str, params: list[Any], name: str) -> None:
    m = plan.m
    for op in m.operational:
        n = plan.n(op.column)
        if op.touchpoint or m.format == "wide":
            touchpoint, args = "?", [op.touchpoint or op.column]
        else:
            touchpoint, args = plan.v(m.touchpoint or ""), []
        con.execute(
            f"INSERT INTO operational (dataset, respondent, touchpoint, name, value) "
            f"SELECT ?, cx_respondent, {touchpoint}, ?, {n} FROM ({sql}) WHERE cx_ok AND {n} IS NOT NULL",
            [name, *args, op.name, *params])


def nothing_loaded_message(source: str, report: Report) -> str:
    """Return the one-paragraph message for an import where every row was rejected."""
    top = sorted(report.problems, key=lambda p: -p.rows)[:3]
    listed = "; ".join(p.sentence() for p in top) or "no usable rows"
    return (f"Nothing could be loaded from {source}: all {report.rows_read:,} rows were rejected. Main problems: "
            f"{listed}")


def default_name(source: str) -> str:
    """Return a data set name from a file name: 'lounge-reviews.csv' -> 'lounge-reviews'."""
    return Path(source).stem.strip() or "Import"


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    mapping: Mapping,
    *,
    name: str | None = None,
    replace: bool = False,
    rejects: str | Path | None = None,
) -> tuple[ImportResult | None, Report, Path | None]:
    """Read, check and load one file with a mapping; write rejected rows to `rejects` (if any).

    Returns (result or None when nothing loaded, the report, the rejects file or None).
    """
    path = Path(path)
    name = (name or default_name(path.name)).strip()
    if not replace and store.has_dataset(con, name):
        raise IngestError(f"A data set named '{name}' already exists: pass another --dataset NAME, or --replace.")
    try:
        return _ingest_staged(con, path, mapping, name, replace, rejects)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise IngestError(f"The import of {path.name} stopped and nothing was written ({first}). If the message "
                          "names a column or value, fix it in the file or the mapping; otherwise report it.") from exc


def _ingest_staged(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping, name: str, replace: bool,
                   rejects: str | Path | None) -> tuple[ImportResult | None, Report, Path | None]:
    staged = stage(con, path, mapping=mapping)
    try:
        report = check(con, staged, mapping)
        written: Path | None = None
        if report.rows_rejected:
            written = Path(rejects) if rejects else path.with_name(f"{path.stem}.rejected.csv")
            try:
                written.write_bytes(rejects_csv(rejected_rows(con, staged, mapping), staged.source, report))
            except OSError as exc:
                raise IngestError(f"Cannot write the rejected rows to {written}: {exc.strerror or exc}. "
                                  "Pass another file with --rejects PATH.") from exc
        if report.rows_valid == 0:
            return None, report, written
        result = load(con, staged, mapping, name, replace=replace, report=report)
        return result, report, written
    finally:
        discard(con, staged)


def problems_text(report: Report) -> list[str]:
    """Return one line per problem (CLI and logs)."""
    return [p.sentence() for p in report.problems]


def load_mapping_json(text: str | bytes) -> Mapping:
    """Return the Mapping in a JSON document; raise MappingError saying what is wrong."""
    import json

    from cx.mapping import from_dict

    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MappingError(f"The mapping file is not valid JSON ({exc}): fix it or download a fresh one.") from exc
    return from_dict(data)


def read_mapping_file(path: str | Path) -> Mapping:
    """Return the mapping stored in a JSON file; raise MappingError when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(f"Cannot read the mapping file {path}: {exc.strerror or exc}.") from exc
    return load_mapping_json(text)


def distinct_values(con: duckdb.DuckDBPyConnection, staged: Staged, column: str, *, limit: int = 200) -> list[str]:
    """Return a column's distinct non-blank values in order of first appearance (at most `limit`)."""
    c = staged.col(column)
    return [r[0] for r in con.execute(
        f"SELECT v FROM (SELECT trim({c}) AS v, min(rowid) AS first FROM {staged.raw} WHERE nullif(trim({c}), '') "
        "IS NOT NULL GROUP BY v) ORDER BY first LIMIT ?", [limit]).fetchall()]


def create_journey(con: duckdb.DuckDBPyConnection, dataset: str) -> str | None:
    """Create a journey named after the data set with its touchpoints in file order; return its name.

    Returns None (and changes nothing) when a journey of that name already exists.
    """
    from cx.models import Journey, JourneyStep

    if dataset in store.journey_names(con):
        return None
    rows = con.execute(
        """SELECT touchpoint, mode(stage) AS stage, mode(channel) AS channel FROM responses WHERE dataset = ?
           GROUP BY touchpoint ORDER BY min(rowid)""", [dataset]).fetchall()
    if not rows:
        return None
    steps = tuple(JourneyStep(position=i, touchpoint=str(tp), stage=stage, channel=channel)
                  for i, (tp, stage, channel) in enumerate(rows, start=1))
    store.save_journey(con, Journey(name=dataset, dataset=dataset, steps=steps,
                                    description=f"Created on import: the touchpoints of '{dataset}' in file order."))
    return dataset


def unused_name(con: duckdb.DuckDBPyConnection, wanted: str) -> str:
    """Return `wanted`, or `wanted (2)`, `(3)`… when a data set of that name exists."""
    names = set(store.dataset_names(con))
    if wanted not in names:
        return wanted
    k = 2
    while f"{wanted} ({k})" in names:
        k += 1
    return f"{wanted} ({k})"


_MEMORY = re.compile(r"\s*([0-9]+(\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory for this connection (e.g. "1GB"); past it, staging spills to disk."""
    match = _MEMORY.fullmatch(limit)
    if not match:
        raise IngestError(f"--memory-limit {limit!r}: write a size such as 1GB, 512MB or 4GB.")
    # SET takes no bound parameters: the value is validated above and rebuilt from its parts.
    con.execute(f"SET memory_limit = '{match.group(1)}{match.group(3)}'")
