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
from cx.ingest import workbook
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
    sheet_layout: workbook.SheetLayout | None = None  # xlsx: the sheet read and where its table is

    @property
    def sheet(self) -> str | None:
        """Return the name of the workbook sheet read (None for a file that is not a workbook)."""
        return self.sheet_layout.name if self.sheet_layout else None

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
        if self.sheet:
            facts.append(("Sheet", self.sheet))
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
        if len(raw.decode("utf-8", errors="surrogateescape")) < len(raw):  # UTF-8 letters too: see decode_lines
            return "cp1252", f"{EIGHT_BIT_LABEL} and UTF-8, line by line"
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
    sheet: str | None = None,
) -> FileFormat:
    """Return how to read the file, detected from its first megabyte (given values win; `sheet`: a workbook's)."""
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
        return _sniff_xlsx(path, size, sheet=sheet, header=header, skip_rows=skip_rows)
    if kind == "parquet":
        return _sniff_parquet(path, size)
    if size == 0:
        raise EmptyFile(f"{path.name} is empty (0 bytes): export it again with a header row and data rows.")
    if encoding:
        codec, label = _text_codec(encoding), encoding
    else:
        codec, label = detect_encoding(raw)
    if is_eight_bit(codec):  # line by line, as staging reads the whole file (rewrite_utf8)
        cut = max(raw.rfind(b"\n"), raw.rfind(b"\r")) if size > SAMPLE_BYTES else -1
        text = decode_lines(raw[:cut + 1] if cut > 0 else raw, 0, _Evidence())
    else:
        try:
            text = codecs.getincrementaldecoder(codec)(errors="cx-cp1252").decode(raw, final=size <= SAMPLE_BYTES)
        except (UnicodeError, ValueError, TypeError) as exc:  # e.g. "utf-16" given for a file without a BOM
            raise IngestError(f"{path.name} cannot be read as {encoding!r} ({exc}): remove \"encoding\" from the "
                              "mapping to have it detected, or give the file's real encoding.") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text.strip("\x00")[:100] and codec.startswith("utf-8"):
        raise IngestError(f"{path.name} does not look like a text file (it holds NUL bytes): export it as CSV.")
    text = text.replace("\x00", "")  # further down, NUL bytes are removed (with a note) when the file is staged
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


def _sniff_xlsx(path: Path, size: int, *, sheet: str | None, header: bool | None,
                skip_rows: int | None) -> FileFormat:
    found = workbook.find_table(path, sheet=sheet, header=header, skip_rows=skip_rows)
    layout = found.layout
    names = found.names if found.header else [f"column {i}" for i in range(1, layout.width + 1)]
    columns, renamed = unique_names(names)
    return FileFormat(kind="xlsx", size=size, encoding="utf-8", encoding_label="(Excel workbook)", delimiter=",",
                      header=found.header, skip_rows=layout.header_row - 1, line_endings="", columns=tuple(columns),
                      notes=(*found.notes, *renamed), sheet_layout=layout)


def xlsx_to_csv(path: Path, target: Path, fmt: FileFormat, *, source: str | None = None) -> list[str]:
    """Write the table of the workbook sheet `fmt` read as a UTF-8 CSV from its header on (blank rows left out);
    return the notes on what the reader met."""
    if fmt.sheet_layout is None:
        raise IngestError(f"{source or path.name} was not read as an Excel workbook: export it as CSV.")
    return workbook.to_csv(path, target, fmt.sheet_layout, source=source)


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


# Codecs of one byte per Latin letter (and UTF-8): such a file is read line by line on each line's own
# evidence — a line that is valid UTF-8 as UTF-8, any other as Windows-1252 — so a file exported partly from an
# old system (Latin-1) and partly from a new one (UTF-8) keeps every accent (no "cafÃ©").
EIGHT_BIT_CODECS = frozenset({"utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252"})
EIGHT_BIT_LABEL = "Latin-1 (Windows-1252)"
_HIGH = re.compile(rb"[\x80-\xff]")
_SHOWN_RUNS = 6  # runs of lines named in the note; more are counted
_SHOWN_LINES = 5  # lines holding NUL named in the note; more are counted


def is_eight_bit(encoding: str) -> bool:
    """Return True when `encoding` is UTF-8, ASCII, Latin-1 or Windows-1252 (read line by line on evidence)."""
    try:
        return codecs.lookup(encoding).name in EIGHT_BIT_CODECS
    except LookupError:
        return False


def is_clean_utf8(path: Path, *, chunk: int = 1 << 22) -> bool:
    """Return True when the whole file is valid UTF-8 and holds no NUL byte (one streaming pass)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(chunk):
                if b"\x00" in block:
                    return False
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _lines_label(lines: Sequence[int], total: int) -> str:
    shown = ", ".join(f"{n:,}" for n in lines)
    more = f" and {total - len(lines):,} more" if total > len(lines) else ""
    return f"line {shown}" if total == 1 else f"lines {shown}{more}"


def _span(first: int, last: int) -> str:
    return f"line {first:,}" if first == last else f"lines {first:,}–{last:,}"


class _Evidence:
    """What a rewrite saw, line by line: runs of lines read as UTF-8 or as Windows-1252, lines holding NUL."""

    def __init__(self) -> None:
        self.runs: list[list[Any]] = []  # [kind, first line, last line]; kind "utf-8" or "8-bit"
        self.more_runs = 0
        self.kinds: set[str] = set()
        self.last_kind = ""
        self.nul_lines: list[int] = []
        self.nul_total = 0
        self.bad_bytes = 0

    def saw(self, kind: str, first: int, last: int) -> None:
        self.kinds.add(kind)
        if kind == self.last_kind:
            if not self.more_runs:
                self.runs[-1][2] = last
        elif len(self.runs) < _SHOWN_RUNS and not self.more_runs:
            self.runs.append([kind, first, last])
        else:
            self.more_runs += 1
        self.last_kind = kind

    def saw_nul(self, line: int) -> None:
        self.nul_total += 1
        if len(self.nul_lines) < _SHOWN_LINES:
            self.nul_lines.append(line)

    def notes(self, encoding: str) -> list[str]:
        """Return the notes for a file read as `encoding` (the detected or given one)."""
        notes: list[str] = []
        declared_utf8 = encoding.lower().replace("_", "-").startswith(("utf-8", "utf8", "ascii"))
        named = {"utf-8": "UTF-8", "8-bit": EIGHT_BIT_LABEL}
        more = f" and {self.more_runs:,} more changes" if self.more_runs else ""
        spans = ", ".join(f"{_span(first, last)} as {named[kind]}" for kind, first, last in self.runs) + more
        ranges = ", ".join(_span(first, last) for _, first, last in self.runs) + more
        if self.kinds == {"utf-8", "8-bit"}:
            notes.append(f"The file mixes encodings, so each line was read in the one its bytes are in: {spans}; "
                         "plain ASCII reads the same in both. Check the accented letters there, or export the file "
                         "again as UTF-8.")
        elif self.kinds == {"8-bit"} and declared_utf8:
            notes.append(f"Some lines are not UTF-8 and were read as {EIGHT_BIT_LABEL}: {ranges}. Check the accented "
                         "letters there, or export the file again as UTF-8.")
        elif self.kinds == {"utf-8"} and not declared_utf8:
            said = {"iso8859-1": "Latin-1", "latin-1": "Latin-1", "cp1252": "Windows-1252"}.get(encoding, encoding)
            notes.append(f"The file is UTF-8, not {said} (see {ranges}): it was read as UTF-8. Remove \"encoding\" "
                         "from the mapping to have it detected.")
        if self.bad_bytes:
            notes.append(f"{self.bad_bytes:,} byte(s) are not valid {encoding}: they were read as "
                         f"{EIGHT_BIT_LABEL} (check the letters there).")
        if self.nul_total:
            notes.append(f"{self.nul_total:,} line(s) held NUL bytes ({_lines_label(self.nul_lines, self.nul_total)}"
                         "): they were removed (a NUL is not text; it comes from a broken export).")
        return notes


def _line_of(block: bytes | str, pos: int, base: int) -> int:
    newline: Any = b"\n" if isinstance(block, bytes) else "\n"
    return base + block.count(newline, 0, pos) + 1


def _strip_nul(block: bytes, base: int, evidence: _Evidence) -> bytes:
    """Return the block without NUL bytes, each line holding one noted (`base`: lines before the block)."""
    pos = block.find(b"\x00")
    line, counted = base + 1, 0
    while pos != -1:
        line += block.count(b"\n", counted, pos)
        counted = pos
        evidence.saw_nul(line)
        end = block.find(b"\n", pos)
        if end == -1:
            break
        pos = block.find(b"\x00", end)
    return block.replace(b"\x00", b"")


def _strip_nul_text(block: str, base: int, evidence: _Evidence) -> str:
    pos = block.find("\x00")
    line, counted = base + 1, 0
    while pos != -1:
        line += block.count("\n", counted, pos)
        counted = pos
        evidence.saw_nul(line)
        end = block.find("\n", pos)
        if end == -1:
            break
        pos = block.find("\x00", end)
    return block.replace("\x00", "")


def _decode_8bit(data: bytes) -> str:
    return data.decode("cp1252", errors="cx-cp1252")


def decode_lines(block: bytes, base: int, evidence: _Evidence) -> str:
    """Return a block of whole lines (LF) decoded line by line: UTF-8 where a line is UTF-8, else Windows-1252.

    `base` is the number of lines before the block; what each line was read as goes to `evidence`.
    """
    if block.isascii():
        return block.decode("ascii")
    try:
        text = block.decode("utf-8")
        kind = "utf-8"
    except UnicodeDecodeError:
        # Each invalid byte stays one character, each UTF-8 sequence of k bytes becomes one: fewer characters
        # than bytes means some UTF-8 letter is there too.
        if len(block.decode("utf-8", errors="surrogateescape")) < len(block):  # both kinds: line by line
            return "\n".join(_decode_line(line, number, evidence)
                             for number, line in enumerate(block.split(b"\n"), start=base + 1))
        text, kind = _decode_8bit(block), "8-bit"
    first = _HIGH.search(block)
    last = _HIGH.search(block[::-1])  # its line counted from the end: the block is not counted twice
    assert first is not None and last is not None
    lines_after = block.count(b"\n", len(block) - last.start())
    evidence.saw(kind, _line_of(block, first.start(), base), base + block.count(b"\n") - lines_after + 1)
    return text


def _decode_line(line: bytes, number: int, evidence: _Evidence) -> str:
    if line.isascii():
        return line.decode("ascii")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        evidence.saw("8-bit", number, number)
        return _decode_8bit(line)
    evidence.saw("utf-8", number, number)
    return text


@dataclass(frozen=True)
class Rewritten:
    """What rewriting a file as UTF-8 found, as notes for the report (lines read as which encoding, NULs)."""

    notes: tuple[str, ...] = ()


def rewrite_utf8(path: Path, target: Path, encoding: str, *, chunk: int = 1 << 22) -> Rewritten:
    """Write the file as UTF-8 with LF line endings and no NUL bytes, in one streaming pass; return its notes.

    UTF-8, Latin-1 and Windows-1252 files are decoded line by line on each line's evidence (see
    `decode_lines`); other encodings as given, bytes invalid in them read as Windows-1252.
    """
    evidence = _Evidence()
    if is_eight_bit(encoding):
        with path.open("rb") as src, target.open("wb") as out:
            _rewrite_eight_bit(src, out, evidence, chunk)
    else:
        _rewrite_text(path, target, encoding, evidence, chunk)
    return Rewritten(notes=tuple(evidence.notes(encoding)))


def _rewrite_eight_bit(src: Any, out: Any, evidence: _Evidence, chunk: int) -> None:
    base, carry, start = 0, b"", True
    while True:
        data = src.read(chunk)
        block = carry + data
        # Whole lines only (a CR at the very end may be the first half of a CRLF): the rest waits for more.
        cut = len(block) if not data else max(block.rfind(b"\n"), block.rfind(b"\r", 0, len(block) - 1)) + 1
        if data and cut == 0:
            carry = block
            continue
        block, carry = block[:cut], block[cut:]
        if start:
            block, start = block.removeprefix(codecs.BOM_UTF8), False
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\x00" in block:
            block = _strip_nul(block, base, evidence)
        out.write(decode_lines(block, base, evidence).encode("utf-8"))
        base += block.count(b"\n")
        if not data:
            return


def _rewrite_text(path: Path, target: Path, encoding: str, evidence: _Evidence, chunk: int) -> None:
    def count(error: UnicodeError) -> tuple[str, int]:
        assert isinstance(error, UnicodeDecodeError)
        evidence.bad_bytes += error.end - error.start
        return _cp1252_fallback(error)

    handler = f"cx-count-{secrets.token_hex(4)}"
    codecs.register_error(handler, count)
    base = 0
    with path.open("r", encoding=encoding, errors=handler, newline=None) as src, \
            target.open("w", encoding="utf-8", newline="\n") as out:
        while block := src.read(chunk):
            block = block.removeprefix("\ufeff") if out.tell() == 0 else block
            if "\x00" in block:
                block = _strip_nul_text(block, base, evidence)
            out.write(block)
            base += block.count("\n")
