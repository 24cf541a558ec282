"""Sniffing: how to read a file, from its first megabyte — kind, encoding, delimiter, line endings,
lines to skip, header, column names — and the Excel and encoding conversions staging needs."""

from __future__ import annotations

import codecs
import csv
import io
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cx.errors import EmptyFile, FileTooLarge, IngestError
from cx.ingest.number_rule import parse_number

__all__ = [
    "DELIMITER_CANDIDATES", "SAMPLE_BYTES", "TEXT_TYPES", "FileFormat", "detect_delimiter", "detect_encoding",
    "rewrite_utf8", "sniff", "unique_names", "xlsx_to_csv",
]

SAMPLE_BYTES = 1 << 20
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
TEXT_TYPES = {".csv", ".tsv", ".txt", ".tab", ".dat", ""}


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


def _text_codec(encoding: str) -> str:
    """Return a given encoding's codec name, or raise IngestError when it is unknown or not a text encoding."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError) as exc:
        raise IngestError(f"Unknown encoding {encoding!r}: use e.g. \"utf-8\", \"cp1252\" or \"utf-16\".") from exc
    # base64, rot13, zlib, hex… are codecs, but they turn bytes into bytes (or text into text), not a file into text.
    if not getattr(info, "_is_text_encoding", True):
        raise IngestError(f"{encoding!r} is not a text encoding (it converts data, it does not read text): use e.g. "
                          "\"utf-8\", \"cp1252\" or \"utf-16\", or leave \"encoding\" out to have it detected.")
    return info.name


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
        codec, label = _text_codec(encoding), encoding
    else:
        codec, label = detect_encoding(raw)
    try:
        text = codecs.getincrementaldecoder(codec)(errors="cx-cp1252").decode(raw, final=size <= SAMPLE_BYTES)
    except (UnicodeError, ValueError, TypeError) as exc:  # e.g. "utf-16" given for a file without a BOM
        raise IngestError(f"{path.name} cannot be read as {encoding!r} ({exc}): remove \"encoding\" from the "
                          "mapping to have it detected, or give the file's real encoding.") from exc
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


def xlsx_to_csv(path: Path, target: Path) -> None:
    """Write the first sheet of a workbook as a UTF-8 CSV of text cells (blank rows left out)."""
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
