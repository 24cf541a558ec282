"""Excel workbooks: which sheet holds the table, where it starts and ends, what Excel hides — read with bounded work.

An .xlsx file is a zip of XML parts. Before openpyxl touches one, `open_archive` checks what the zip
declares: how many parts, how large they unpack (Python's zipfile never unpacks a part past its declared
size, so the declared sizes bound the work) and how far each is compressed (a zip bomb unpacks a
thousand times; a real sheet about ten). Then, for the sheet chosen (`choose_sheet`: the one asked for,
else the visible sheet that was open when the workbook was saved, never a hidden one), one streaming pass
over its XML (`_scan`) finds the cells that really hold something — the sheet's declared `<dimension>`
is ignored, so `A1:XFD1048576` over three rows costs three rows —, the formula cells without a saved
value and the merged ranges. Only then does openpyxl read values, bounded by that real extent.

What a workbook hides is said in notes, never silently: hidden sheets, the sheet read and why, rows
above the header (blank or a title), formula cells read as empty, merged ranges (each cell of one takes
the top-left cell's value).
"""

from __future__ import annotations

import csv
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from cx.errors import EmptyFile, FileTooLarge, IngestError

__all__ = [
    "MAX_CELLS", "MAX_MERGED_RANGES", "MAX_PARTS", "MAX_RATIO", "MAX_UNPACKED_BYTES", "SheetLayout", "Sheets",
    "Table", "cell_text", "choose_sheet", "find_table", "looks_like_workbook", "open_archive", "sheets", "to_csv",
]

# Limits: a real survey export is far below each; a file beyond one is refused before any cell is read.
MAX_PARTS = 10_000  # parts in the zip (a workbook holds a few dozen)
MAX_UNPACKED_BYTES = 256 << 20  # all parts unpacked (about 9 million cells of sheet XML)
MAX_RATIO = 100  # unpacked / packed size of a part above RATIO_FROM_BYTES (sheet XML packs about 10 times)
RATIO_FROM_BYTES = 1 << 20
MAX_CELLS = 10_000_000  # rows × columns from A1 to the last row and column that hold a value
MAX_MERGED_RANGES = 100_000
MAX_INDEX_BYTES = 16 << 20  # workbook.xml and its relationships: a list of sheets
HEADER_SEARCH_ROWS = 20  # a title above the header is looked for in this many rows
EXAMPLES = 5  # cell references quoted in a note

FIX = ("export the sheet as CSV (in Excel: File › Save As › CSV UTF-8) and import that file instead — on the Upload "
       "page, or with `python -m cx ingest FILE.csv --mapping MAPPING.json`, which reads a CSV of any size")
RECALCULATE = ("The workbook was saved by a program that does not calculate formulas: open it in Excel or "
               "LibreOffice, save it, and upload it again")

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,9})")
_DATE_WARNING = re.compile(r"Cell (\S+) is marked as a date")


@dataclass(frozen=True)
class Sheets:
    """The sheets of a workbook, in tab order, and the one read when none is asked for."""

    visible: tuple[str, ...]  # visible worksheets: the choices offered
    hidden: tuple[str, ...]  # hidden and very hidden worksheets (read only when asked for by name)
    others: tuple[str, ...]  # chart sheets, dialog and macro sheets: no cells to read
    default: str  # the active visible sheet (open when the workbook was saved), else the first visible one
    default_reason: str
    parts: tuple[tuple[str, str], ...]  # (worksheet name, its XML part in the zip)

    @property
    def count(self) -> int:
        return len(self.visible) + len(self.hidden) + len(self.others)

    def part(self, name: str) -> str:
        return dict(self.parts)[name]


@dataclass(frozen=True)
class SheetLayout:
    """Where the table is on the sheet read: what staging needs to write it out as CSV."""

    name: str
    visible: tuple[str, ...]  # the visible worksheets of the workbook (the Upload page's choices)
    header_row: int  # sheet row of the header (of the first data row when the table has no header)
    last_row: int  # last sheet row that holds a value
    width: int  # columns from A to the last one that holds a value
    merged: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first column, last row, last column)


@dataclass(frozen=True)
class Table:
    """What `inspect` found: the layout, the header cells as text, and the notes on what the workbook hides."""

    layout: SheetLayout
    header: bool
    names: tuple[str, ...]  # the header row's cells as text ("" where blank); empty without a header
    notes: tuple[str, ...]


def looks_like_workbook(name: str, head: bytes) -> bool:
    """Return True for a file that is read as an Excel workbook (a zip, or named .xlsx / .xlsm)."""
    return head.startswith(b"PK\x03\x04") or PurePosixPath(name).suffix.lower() in (".xlsx", ".xlsm")


def _size(n: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}"
    return f"{n:,} bytes"


def _damaged(source: str, exc: BaseException) -> IngestError:
    return IngestError(f"{source} cannot be read as an Excel workbook ({type(exc).__name__}): save it again as .xlsx "
                       "in Excel or LibreOffice, or export it as CSV.")


def open_archive(file: str | Path | IO[bytes], source: str) -> zipfile.ZipFile:
    """Return the workbook's zip, opened; raise FileTooLarge when what it declares is over a limit."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError(f"{source} is not an Excel workbook (.xlsx is a zip archive, and this is not a complete "
                          "one): save it again as .xlsx in Excel or LibreOffice, or export it as CSV.") from exc
    try:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise FileTooLarge(f"{source} holds {len(parts):,} parts, over the limit of {MAX_PARTS:,} for an Excel "
                               f"workbook (a workbook holds a few dozen): {FIX}.")
        unpacked = sum(p.file_size for p in parts)
        if unpacked > MAX_UNPACKED_BYTES:
            raise FileTooLarge(f"{source} unpacks to {_size(unpacked)}, over the limit of {_size(MAX_UNPACKED_BYTES)} "
                               f"for an Excel workbook: {FIX}.")
        for p in parts:
            if p.file_size > RATIO_FROM_BYTES and p.file_size > MAX_RATIO * max(p.compress_size, 1):
                raise FileTooLarge(
                    f"{source}: its part '{p.filename}' unpacks to {_size(p.file_size)} from "
                    f"{_size(p.compress_size)} ({p.file_size / max(p.compress_size, 1):,.0f} times), over the limit "
                    f"of {MAX_RATIO} times for an Excel workbook (a sheet packs about 10 times; this is a zip bomb "
                    f"or no spreadsheet): {FIX}.")
    except BaseException:
        archive.close()
        raise
    return archive


def _xml(archive: zipfile.ZipFile, part: str, source: str) -> ElementTree.Element | None:
    """Return a small XML part parsed (None when the zip has no such part)."""
    try:
        info = archive.getinfo(part)
    except KeyError:
        return None
    if info.file_size > MAX_INDEX_BYTES:
        raise FileTooLarge(f"{source}: its part '{part}' is {_size(info.file_size)}, over the limit of "
                           f"{_size(MAX_INDEX_BYTES)} for a list of sheets: {FIX}.")
    try:
        return ElementTree.fromstring(archive.read(part))
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(source, exc) from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ElementTree.Element | None, name: str) -> Iterator[ElementTree.Element]:
    if element is not None:
        yield from (e for e in element.iter() if _local(e.tag) == name)


def _targets(archive: zipfile.ZipFile, part: str, source: str) -> dict[str, tuple[str, str]]:
    """Return {relationship id: (type's last word, target part)} of a part's relationships."""
    folder = PurePosixPath(part).parent
    rels = _xml(archive, str(folder / "_rels" / f"{PurePosixPath(part).name}.rels"), source)
    out: dict[str, tuple[str, str]] = {}
    for rel in _children(rels, "Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(folder / target)
        out[rel.get("Id", "")] = (rel.get("Type", "").rpartition("/")[2], _normal(path))
    return out


def _normal(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def sheets(file: str | Path | IO[bytes], source: str) -> Sheets:
    """Return the workbook's sheets and the one read by default (the zip is checked against the limits first)."""
    with open_archive(file, source) as archive:
        return _sheets(archive, source)


def _sheets(archive: zipfile.ZipFile, source: str) -> Sheets:
    main = next((target for kind, target in _targets(archive, "", source).values() if kind == "officeDocument"),
                "xl/workbook.xml")
    book = _xml(archive, main, source)
    if book is None:
        raise IngestError(f"{source} is a zip archive but not an Excel workbook (it has no {main}): save it as .xlsx "
                          "in Excel or LibreOffice, or export it as CSV.")
    targets = _targets(archive, main, source)
    listed: list[tuple[str, str, str, str]] = []  # name, state, kind, part
    for sheet in _children(book, "sheet"):
        kind, part = targets.get(sheet.get(_REL, ""), ("", ""))
        listed.append((sheet.get("name", ""), sheet.get("state", "visible"), kind, part))
    visible = tuple(n for n, state, kind, _ in listed if kind == "worksheet" and state == "visible")
    hidden = tuple(n for n, state, kind, _ in listed if kind == "worksheet" and state != "visible")
    others = tuple(n for n, _, kind, _ in listed if kind != "worksheet")
    view = next(_children(book, "workbookView"), None)
    try:
        active = int(view.get("activeTab", "0")) if view is not None else 0
    except ValueError:
        active = 0
    if 0 <= active < len(listed) and listed[active][0] in visible:
        default = listed[active][0]
        reason = "the sheet that was open when the workbook was saved"
    elif visible:
        default = visible[0]
        reason = "the first visible sheet"
    elif hidden:
        default = hidden[0]
        reason = "every sheet is hidden: the first one"
    else:
        raise EmptyFile(f"{source} has no worksheet (no sheet of cells): put the table on a sheet, or export it as "
                        "CSV.")
    return Sheets(visible=visible, hidden=hidden, others=others, default=default, default_reason=reason,
                  parts=tuple((n, part) for n, _, kind, part in listed if kind == "worksheet"))


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def choose_sheet(found: Sheets, wanted: str | None, source: str) -> tuple[str, list[str]]:
    """Return the sheet to read (the one wanted, else the default) and the notes that say which and why."""
    if wanted is None:
        name, why = found.default, found.default_reason
    else:
        every = (*found.visible, *found.hidden)
        name = next((n for n in every if n == wanted), None) or next(
            (n for n in every if n.strip().casefold() == wanted.strip().casefold()), "")
        if not name:
            charts = f" ({_quoted([n for n in found.others if n == wanted])} is a chart, not cells)" if (
                wanted in found.others) else ""
            listing = _quoted(found.visible) + (f"; hidden: {_quoted(found.hidden)}" if found.hidden else "")
            raise IngestError(f"{source} has no sheet '{wanted}'{charts}: its sheets are {listing}. Give one of them "
                              "(the command line: --sheet NAME; a mapping: \"sheet\").")
        why = "as asked"
    notes: list[str] = []
    if found.count > 1:
        hidden = f"; hidden sheets are not read unless asked for by name: {_quoted(found.hidden)}" if (
            found.hidden and name not in found.hidden) else ""
        where = "choose it under Sheet (the command line: --sheet NAME" if len(found.visible) > 1 else (
            "give its name (the command line: --sheet NAME")
        notes.append(f"The workbook has {found.count} sheets ({len(found.visible)} visible): '{name}' is read — "
                     f"{why}{hidden}. To read another, {where}; a mapping: \"sheet\").")
    elif name in found.hidden:
        notes.append(f"The workbook's only sheet, '{name}', is hidden: it is read.")
    return name, notes


@dataclass
class _Scan:
    """What one pass over a sheet's XML found."""

    first_row: int = 0  # first row holding a value (0: none)
    last_row: int = 0
    width: int = 0
    far_row: str = ""  # the cell that sets last_row, and the one that sets width (quoted when refused)
    far_column: str = ""
    formulas: int = 0  # formula cells without a saved value
    formula_cells: tuple[str, ...] = ()
    merged: tuple[tuple[int, int, int, int], ...] = ()


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _ref(row: int, column: int) -> str:
    return f"{_column_letters(column)}{row}"


def _range(text: str) -> tuple[int, int, int, int] | None:
    first, _, last = text.partition(":")
    a, b = _REF.fullmatch(first), _REF.fullmatch(last or first)
    if a is None or b is None:
        return None
    r1, c1, r2, c2 = int(a.group(2)), _column_number(a.group(1)), int(b.group(2)), _column_number(b.group(1))
    if min(r1, r2) < 1:
        return None
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _range_text(merge: tuple[int, int, int, int]) -> str:
    return f"{_ref(merge[0], merge[1])}:{_ref(merge[2], merge[3])}"


_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_ROW, _MERGE, _F, _V, _IS = ({f"{{{ns}}}{tag}" for ns in _MAIN} | {tag} for tag in ("row", "mergeCell", "f", "v", "is"))


def _scan(archive: zipfile.ZipFile, part: str, sheet: str, source: str) -> _Scan:
    """Return the real extent, formula cells without a value and merged ranges of a sheet, in one bounded pass."""
    found = _Scan()
    formulas: list[str] = []
    merged: list[tuple[int, int, int, int]] = []
    row = 0
    try:
        with archive.open(part) as handle:
            for _, element in ElementTree.iterparse(handle):  # end events only: a row comes with its cells
                tag = element.tag
                if tag in _ROW:
                    number = element.get("r")
                    row = int(number) if number and number.isdigit() else row + 1
                    _row(found, formulas, element, row, sheet, source)
                    element.clear()
                elif tag in _MERGE:
                    merge = _range(element.get("ref", ""))
                    if merge is not None:
                        merged.append(merge)
                    if len(merged) > MAX_MERGED_RANGES:
                        raise FileTooLarge(
                            f"Sheet '{sheet}' of {source} has more than {MAX_MERGED_RANGES:,} merged ranges: unmerge "
                            f"the cells (in Excel: Home › Merge & Center › Unmerge Cells), or {FIX}.")
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise _damaged(source, exc) from exc
    found.formula_cells = tuple(formulas)
    found.merged = tuple(merged)
    return found


def _row(found: _Scan, formulas: list[str], element: ElementTree.Element, row: int, sheet: str,
         source: str) -> None:
    """Count the cells of one row: which hold a value (or a formula), which are formulas without a saved value."""
    column = 0
    for cell in element:
        ref = cell.get("r")
        match = _REF.fullmatch(ref) if ref else None
        column = _column_number(match.group(1)) if match else column + 1
        kind = cell.get("t")
        formula = value = saved = False
        for child in cell:
            tag = child.tag
            if tag in _V:
                value = bool(child.text and not child.text.isspace())
                saved = value or kind == "str"  # a formula whose text result is "" saves an empty <v>
            elif tag in _F:
                formula = True
            elif tag in _IS:
                value = bool("".join(child.itertext()).strip())
        if formula and not saved:
            found.formulas += 1
            if len(formulas) < EXAMPLES:
                formulas.append(_ref(row, column))
        if not (value or formula):
            continue  # a formatted but empty cell: not part of the table
        if not found.first_row:
            found.first_row = row
        if row > found.last_row:
            found.last_row, found.far_row = row, _ref(row, column)
        if column > found.width:
            found.width, found.far_column = column, _ref(row, column)
            if found.last_row * found.width > MAX_CELLS:
                _too_many_cells(found, sheet, source)
    if found.last_row * found.width > MAX_CELLS:
        _too_many_cells(found, sheet, source)


def _too_many_cells(found: _Scan, sheet: str, source: str) -> None:
    raise FileTooLarge(
        f"Sheet '{sheet}' of {source} spans more than {MAX_CELLS:,} cells from A1 to its last row and column that "
        f"hold a value (row {found.last_row:,}: cell {found.far_row}; column {_column_letters(found.width)}: cell "
        f"{found.far_column}): delete what lies outside the table, or {FIX}.")


def cell_text(value: Any) -> str:
    """Return a cell's value as the text staged (numbers without a trailing .0, dates in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    return str(value)


Row = Callable[[int, list[str], list[str]], bool]  # (sheet row, cells as written, cells filled) -> go on?


def _read(path: Path, layout: SheetLayout, source: str, consume: Row, until: int | None = None) -> list[str]:
    """Pass each row of the sheet, up to row `until`, to `consume` (merged ranges filled from their top-left
    cell); return the notes on what openpyxl met. Bounded by the scanned extent, not the declared one."""
    import openpyxl

    width = layout.width
    stop = min(layout.last_row, until or layout.last_row)
    pending = iter(sorted(layout.merged))
    upcoming = next(pending, None)
    active: list[tuple[tuple[int, int, int, int], str]] = []
    # openpyxl warns (a date no calendar reaches, an extension it drops…): heard here, said as notes.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _damaged(source, exc) from exc
        try:
            sheet = book[layout.name]
            sheet.reset_dimensions()  # never trust the declared <dimension>: the scan found the real one
            for number, values in enumerate(sheet.iter_rows(max_row=stop, max_col=width, values_only=True), start=1):
                raw = [cell_text(v) for v in values] + [""] * (width - len(values))
                cells = raw
                while upcoming is not None and upcoming[0] <= number:
                    active.append((upcoming, raw[upcoming[1] - 1]))
                    upcoming = next(pending, None)
                if active:
                    active = [(m, v) for m, v in active if m[2] >= number]
                    cells = list(raw)
                    for (_, c1, _, c2), value in active:
                        for j in range(c1 - 1, min(c2, width)):
                            if not cells[j].strip():
                                cells[j] = value
                if not consume(number, raw, cells):
                    break
        except IngestError:
            raise
        except Exception as exc:
            raise _damaged(source, exc) from exc
        finally:
            book.close()
    dates = [m.group(1) for w in caught if (m := _DATE_WARNING.match(str(w.message)))]
    if not dates:
        return []
    more = " …" if len(dates) > EXAMPLES else ""
    return [f"Sheet '{layout.name}': {len(dates):,} cell(s) formatted as dates hold a number no calendar reaches "
            f"({', '.join(dates[:EXAMPLES])}{more}): they are read as #VALUE!. Fix the cells, or format them as "
            "numbers."]


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def find_table(path: str | Path, *, source: str | None = None, sheet: str | None = None,
               header: bool | None = None, skip_rows: int | None = None) -> Table:
    """Return where the table is on the sheet read and what the workbook hides; raise IngestError when it cannot be
    read, FileTooLarge over a limit and EmptyFile for a sheet without a value."""
    path = Path(path)
    source = source or path.name
    with open_archive(path, source) as archive:
        found = _sheets(archive, source)
        name, notes = choose_sheet(found, sheet, source)
        scan = _scan(archive, found.part(name), name, source)
    others = [n for n in found.visible if n != name]
    elsewhere = f" The table may be on {_quoted(others)}: choose it under Sheet (or --sheet NAME)." if others else ""
    if not scan.last_row:
        raise EmptyFile(f"Sheet '{name}' of {source} holds no value.{elsewhere} Put the table on a sheet, or export "
                        "it as CSV.")
    layout = SheetLayout(name=name, visible=found.visible, header_row=1, last_row=scan.last_row, width=scan.width,
                         merged=scan.merged)
    start = max(scan.first_row, (skip_rows or 0) + 1)
    head: list[tuple[int, list[str], list[str]]] = []  # the first rows that hold a value, from `start`

    def keep(number: int, raw: list[str], cells: list[str]) -> bool:
        if number >= start and _filled(raw):
            head.append((number, raw, cells))
        return True

    date_notes = _read(path, layout, source, keep, until=start + HEADER_SEARCH_ROWS)
    if not head:
        below = f" below its first {skip_rows:,} rows (lower \"skip_rows\" in the mapping, or leave it out)" if (
            skip_rows) else ""
        raise EmptyFile(f"Sheet '{name}' of {source} holds no value{below}.{elsewhere} Put the table on a sheet, or "
                        "export it as CSV.")
    row, _, names = head[0]
    if skip_rows is None and scan.width >= 2 and _filled(head[0][1]) < 2:
        # A title or a note above the table holds at most one cell (before merged ranges fill); the header more.
        row, _, names = next((h for h in head if _filled(h[1]) >= 2), head[0])
    has_header = True if header is None else header
    if row > 1:
        what = "the header" if has_header else "the first data row"
        then = f", so data row 1 is sheet row {row + 1}" if has_header else ""
        notes.append(f"Sheet '{name}': rows 1–{row - 1} are not part of the table (blank, or a title): {what} is "
                     f"row {row}{then}.")
    if scan.formulas:
        more = " …" if scan.formulas > len(scan.formula_cells) else ""
        notes.append(f"Sheet '{name}': {scan.formulas:,} formula cell(s) have no saved value "
                     f"({', '.join(scan.formula_cells)}{more}): they are read as empty. {RECALCULATE}.")
    inside = tuple(sorted(m for m in scan.merged if m[2] >= row))
    if inside:
        shown = ", ".join(_range_text(m) for m in inside[:EXAMPLES]) + (" …" if len(inside) > EXAMPLES else "")
        notes.append(f"Sheet '{name}': {len(inside):,} merged range(s) ({shown}): every cell of a range is read with "
                     "the value of its top-left cell.")
    notes += date_notes
    layout = SheetLayout(name=name, visible=found.visible, header_row=row, last_row=scan.last_row, width=scan.width,
                         merged=inside)
    return Table(layout=layout, header=has_header, names=tuple(names) if has_header else (), notes=tuple(notes))


def to_csv(path: str | Path, target: Path, layout: SheetLayout, *, source: str | None = None) -> list[str]:
    """Write the table of the sheet read as a UTF-8 CSV of text cells, from its header (or first data row) on,
    blank rows left out; return the notes on what the reader met (dates no calendar reaches)."""
    path = Path(path)
    source = source or path.name
    open_archive(path, source).close()  # the file may have changed since it was inspected
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")

        def write(number: int, raw: list[str], cells: list[str]) -> bool:
            if number >= layout.header_row and _filled(cells):
                writer.writerow(cells)
            return True

        return _read(path, layout, source, write)
