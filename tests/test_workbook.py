"""Excel workbooks that lie, read with bounded work (cx/ingest/workbook.py): on the command line and the Upload page.

The hostile workbooks are in tests/fixtures/hostile/ (make_hostile.py writes them; manifest.json holds the exact
row accounting and stored values of each, run by test_ingest_hostile.py). Here: the exact notes, the sheet choice,
the limits refusing before any cell is read, and the same notes printed by the CLI and shown by the Upload page.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from cx import ingest
from cx.__main__ import main
from cx.errors import EmptyFile, FileTooLarge, IngestError
from cx.ingest import workbook

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
HEAD = ["id", "Class", "Seat comfort", "Wifi", "satisfaction", "comment"]
WIDE = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Wifi"], "scale": [1, 5],
        "not_applicable": [0], "segments": ["Class"],
        "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}, "comment": "comment"}
RECALCULATE = ("The workbook was saved by a program that does not calculate formulas: open it in Excel or "
               "LibreOffice, save it, and upload it again.")
FORMULA_NOTE = f"Sheet 'Scores': 2 formula cell(s) have no saved value (D2, D3): they are read as empty. {RECALCULATE}"
MERGED_NOTE = ("Sheet 'Sheet': 2 merged range(s) (B2:B3, F3:F4): every cell of a range is read with the value of its "
               "top-left cell.")
HIDDEN_NOTE = ("The workbook has 3 sheets (2 visible): 'Responses' is read — the sheet that was open when the workbook "
               "was saved; hidden sheets are not read unless asked for by name: 'Lookup'. To read another, choose it "
               "under Sheet (the command line: --sheet NAME; a mapping: \"sheet\").")
BLANK_NOTE = ("Sheet 'Sheet': rows 1–3 are not part of the table (blank, or a title): the header is row 4, so data row "
              "1 is sheet row 5.")


def _rows(path: Path, **given: object) -> tuple[ingest.FileFormat, list[list[str]]]:
    """Return how a workbook is read and its staged rows, as text."""
    con = duckdb.connect()
    staged = ingest.stage(con, path, **given)  # type: ignore[arg-type]
    try:
        return staged.fmt, ingest.preview(con, staged, 100).fillna("").values.tolist()
    finally:
        ingest.discard(con, staged)


def _book(path: Path, sheets: dict[str, list[list[object]]], *, active: int = 0,
          hidden: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.active = active
    book.save(path)
    return path


# ---------------------------------------------------------------------- what a workbook hides, said in notes


def test_formula_cells_without_a_saved_value_are_read_empty_and_named() -> None:
    fmt, rows = _rows(HOSTILE / "formulas_no_value.xlsx")
    assert FORMULA_NOTE in fmt.notes
    assert [r[3] for r in rows] == ["", "", "2"]  # D2 and D3 hold formulas with no value; D4 the number 2


def test_a_formula_whose_saved_value_is_empty_text_is_not_reported(tmp_path: Path) -> None:
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>x</t></is></c>'
             '</row><row r="2"><c r="A2"><v>1</v></c><c r="B2" t="str"><f>""</f><v></v></c></row>'
             '<row r="3"><c r="A3"><v>2</v></c><c r="B3"><f>A3*2</f><v>4</v></c></row></sheetData></worksheet>')
    path = _by_hand(tmp_path / "saved.xlsx", sheet)
    fmt, rows = _rows(path)
    assert not [n for n in fmt.notes if "formula" in n]
    assert rows == [["1", ""], ["2", "4"]]


def test_merged_ranges_take_their_top_left_value_and_are_named() -> None:
    fmt, rows = _rows(HOSTILE / "merged_cells.xlsx")
    assert MERGED_NOTE in fmt.notes
    assert [(r[0], r[1], r[5]) for r in rows] == [
        ("1", "Eco", "from Excel"), ("2", "Eco", "same for both"), ("3", "Eco", "same for both")]


def test_a_merged_header_names_each_column_it_covers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["id", "Scores", None], [1, 4, 5]]:
        sheet.append(row)
    sheet.merge_cells("B1:C1")
    book.save(tmp_path / "header.xlsx")
    fmt, rows = _rows(tmp_path / "header.xlsx")
    assert fmt.columns == ("id", "Scores", "Scores (2)")
    assert rows == [["1", "4", "5"]]


def test_the_visible_active_sheet_is_read_never_a_hidden_first_one() -> None:
    fmt, rows = _rows(HOSTILE / "hidden_first_sheet.xlsx")
    assert fmt.sheet == "Responses" and list(fmt.columns) == HEAD and HIDDEN_NOTE in fmt.notes
    assert ("Sheet", "Responses") in fmt.facts()
    assert [r[0] for r in rows] == ["1", "2", "3"]
    listing = workbook.sheets(HOSTILE / "hidden_first_sheet.xlsx", "book")
    assert (listing.visible, listing.hidden, listing.default) == (("Responses", "Notes"), ("Lookup",), "Responses")


def test_a_hidden_active_sheet_gives_way_to_the_first_visible_one(tmp_path: Path) -> None:
    saved = _book(tmp_path / "b.xlsx", {"Old": [["a", "b"], [1, 2]], "New": [["c", "d"], [3, 4]],
                                        "Other": [["e", "f"], [5, 6]]}, active=2, hidden=("Old",))
    path = tmp_path / "hidden_active.xlsx"  # openpyxl never saves a hidden active sheet; other programs do
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                assert b'activeTab="2"' in data
                data = data.replace(b'activeTab="2"', b'activeTab="0"')
            out.writestr(item, data)
    fmt, rows = _rows(path)
    assert fmt.sheet == "New" and rows == [["3", "4"]]
    assert fmt.notes[0].startswith("The workbook has 3 sheets (2 visible): 'New' is read — the first visible sheet;")


def test_a_sheet_is_read_by_name_a_hidden_one_too_and_an_unknown_name_lists_the_sheets() -> None:
    fmt, rows = _rows(HOSTILE / "hidden_first_sheet.xlsx", sheet="Lookup")
    assert fmt.sheet == "Lookup" and fmt.columns == ("code", "label", "churned") and len(rows) == 2
    assert fmt.notes[0].startswith("The workbook has 3 sheets (2 visible): 'Lookup' is read — as asked.")
    with pytest.raises(IngestError) as info:
        _rows(HOSTILE / "hidden_first_sheet.xlsx", sheet="Answers")
    assert str(info.value) == (
        "hidden_first_sheet.xlsx has no sheet 'Answers': its sheets are 'Responses', 'Notes'; hidden: 'Lookup'. "
        "Give one of them (the command line: --sheet NAME; a mapping: \"sheet\").")


def test_an_empty_active_sheet_says_where_the_table_may_be(tmp_path: Path) -> None:
    path = _book(tmp_path / "b.xlsx", {"Cover": [], "Data": [["a", "b"], [1, 2]]}, active=0)
    with pytest.raises(EmptyFile) as info:
        _rows(path)
    assert str(info.value) == ("Sheet 'Cover' of b.xlsx holds no value. The table may be on 'Data': choose it under "
                               "Sheet (or --sheet NAME). Put the table on a sheet, or export it as CSV.")


def test_the_header_is_the_first_row_of_the_table_below_blank_rows_and_a_title() -> None:
    fmt, rows = _rows(HOSTILE / "blank_first_rows.xlsx")
    assert list(fmt.columns) == HEAD and fmt.skip_rows == 3 and BLANK_NOTE in fmt.notes
    assert [r[0] for r in rows] == ["1", "2", "3"]


def test_a_saved_skip_rows_still_finds_the_header_below_blank_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for r, row in enumerate([HEAD, [1, "Eco", 4, 3, "satisfied", None]], start=3):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    book.save(tmp_path / "b.xlsx")
    fmt, rows = _rows(tmp_path / "b.xlsx", mapping=ingest.load_mapping_json(json.dumps(
        {**WIDE, "skip_rows": 0}).encode()))
    assert list(fmt.columns) == HEAD and fmt.skip_rows == 2 and rows == [["1", "Eco", "4", "3", "satisfied", ""]]


# ---------------------------------------------------------------------- bounded work


def _by_hand(path: Path, sheet_xml: str, **extra: bytes) -> Path:
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-'
                         'types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                         'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                         f'PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/><Override PartName="/xl/'
                         f'worksheets/sheet1.xml" ContentType="{main}.worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                        f'relationships"><Relationship Id="rId1" Type="{rels}/officeDocument" '
                                        'Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                            f'main" xmlns:r="{rels}"><sheets><sheet name="Data" sheetId="1" '
                                            'r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/'
                                                       f'package/2006/relationships"><Relationship Id="rId1" '
                                                       f'Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
                                                       '</Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in extra.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def no_cell_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if openpyxl opens the workbook: a refusal must come before any cell is read."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was asked to read a workbook over a limit")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_a_declared_dimension_of_the_whole_grid_costs_only_the_cells_there(tmp_path: Path) -> None:
    fmt, rows = _rows(HOSTILE / "dimension_bomb.xlsx")
    assert list(fmt.columns) == HEAD and len(rows) == 3
    book = openpyxl.Workbook()  # a declared dimension wider than the table adds no empty columns
    for row in [["id", "x"], [1, 2]]:
        book.active.append(row)
    book.save(tmp_path / "wide.xlsx")
    with zipfile.ZipFile(tmp_path / "wide.xlsx") as src, zipfile.ZipFile(tmp_path / "lies.xlsx", "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:Z900"')
                assert b"A1:Z900" in data
            out.writestr(item, data)
    fmt, rows = _rows(tmp_path / "lies.xlsx")
    assert fmt.columns == ("id", "x") and rows == [["1", "2"]] and not fmt.notes


def test_a_value_far_from_the_table_is_refused_before_any_cell_is_read(no_cell_read: None) -> None:
    with pytest.raises(FileTooLarge) as info:
        ingest.sniff(HOSTILE / "far_cell.xlsx")
    assert str(info.value) == (
        "Sheet 'Data' of far_cell.xlsx spans more than 10,000,000 cells from A1 to its last row and column that hold a "
        "value (row 1,048,576: cell XFD1048576; column XFD: cell XFD1048576): delete what lies outside the table, or "
        "export the sheet as CSV (in Excel: File › Save As › CSV UTF-8) and import that file instead — on the Upload "
        "page, or with `python -m cx ingest FILE.csv --mapping MAPPING.json`, which reads a CSV of any size.")


def test_a_zip_bomb_is_refused_from_what_the_zip_declares(no_cell_read: None) -> None:
    with pytest.raises(FileTooLarge) as info:
        ingest.sniff(HOSTILE / "zip_bomb.xlsx")
    packed = zipfile.ZipFile(HOSTILE / "zip_bomb.xlsx").getinfo("xl/worksheets/sheet1.xml").compress_size
    assert str(info.value).startswith(
        f"zip_bomb.xlsx: its part 'xl/worksheets/sheet1.xml' unpacks to 4.0 MB from {packed / 1024:,.1f} KB "
        f"({(4 << 20) // packed + ((4 << 20) % packed * 2 >= packed)} times")  # rounded as the message rounds
    assert "over the limit of 100 times for an Excel workbook (a sheet packs about 10 times; this is a zip bomb or " \
           "no spreadsheet): export the sheet as CSV" in str(info.value)


def test_too_many_parts_or_too_much_unpacked_is_refused(monkeypatch: pytest.MonkeyPatch, no_cell_read: None) -> None:
    monkeypatch.setattr(workbook, "MAX_PARTS", 3)
    with pytest.raises(FileTooLarge, match=r"^workbook.xlsx holds 9 parts, over the limit of 3 for an Excel "
                                           r"workbook \(a workbook holds a few dozen\): export the sheet as CSV"):
        ingest.sniff(HOSTILE / "workbook.xlsx")
    monkeypatch.setattr(workbook, "MAX_PARTS", 10_000)
    monkeypatch.setattr(workbook, "MAX_UNPACKED_BYTES", 4096)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(HOSTILE / "workbook.xlsx").infolist())
    with pytest.raises(FileTooLarge) as info:
        ingest.sniff(HOSTILE / "workbook.xlsx")
    assert str(info.value).startswith(f"workbook.xlsx unpacks to {unpacked / 1024:,.1f} KB, over the limit of 4.0 KB "
                                      "for an Excel workbook: export the sheet as CSV")


def test_too_many_merged_ranges_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            no_cell_read: None) -> None:
    monkeypatch.setattr(workbook, "MAX_MERGED_RANGES", 1)
    with pytest.raises(FileTooLarge, match=r"^Sheet 'Sheet' of merged_cells.xlsx has more than 1 merged ranges: "
                                           r"unmerge the cells"):
        ingest.sniff(HOSTILE / "merged_cells.xlsx")


@pytest.mark.parametrize(("file", "message"), [
    ("not_a_workbook.xlsx", "not_a_workbook.xlsx is a zip archive but not an Excel workbook (it has no "
                            "xl/workbook.xml): save it as .xlsx in Excel or LibreOffice, or export it as CSV."),
    ("truncated.xlsx", "truncated.xlsx is not an Excel workbook (.xlsx is a zip archive, and this is not a complete "
                       "one): save it again as .xlsx in Excel or LibreOffice, or export it as CSV."),
])
def test_a_broken_workbook_is_one_sentence(file: str, message: str) -> None:
    with pytest.raises(IngestError) as info:
        ingest.sniff(HOSTILE / file)
    assert str(info.value) == message


def test_rows_read_is_rows_loaded_plus_rejected_on_a_workbook_with_every_finding(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover.sheet_state = "hidden"
    sheet = book.create_sheet("Answers")
    sheet["A2"] = "Export"
    for r, row in enumerate([HEAD, [1, "Eco", 4, "=C4", "satisfied", "a"], [2, None, 9, 3, "satisfied", "b"],
                             [3, None, 5, 5, "dissatisfied", None]], start=3):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    sheet.merge_cells("B4:B6")
    book.active = 1
    book.save(tmp_path / "all.xlsx")
    result, report, _ = ingest.ingest_file(con, tmp_path / "all.xlsx", ingest.load_mapping_json(json.dumps(
        WIDE).encode()), name="all", rejects=tmp_path / "rejected.csv")
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (3, 2, 1)  # 9 is off the 1–5 scale
    assert result is not None and result.answers == 3  # 4 (row 1), 5 and 5 (row 3); row 1's Wifi formula is empty
    assert [r[0] for r in con.execute("SELECT value FROM segments ORDER BY respondent").fetchall()] == ["Eco", "Eco"]
    notes = "\n".join(report.notes)
    for needle in ("'Answers' is read — the sheet that was open", "rows 1–2 are not part of the table",
                   "1 formula cell(s) have no saved value (D4)", "1 merged range(s) (B4:B6)"):
        assert needle in notes
    mapping = json.loads(con.execute("SELECT mapping FROM datasets").fetchall()[0][0])
    assert (mapping["sheet"], mapping["skip_rows"]) == ("Answers", 2)  # a reuse reads the same sheet and rows


# ---------------------------------------------------------------------- the command line


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _mapping(tmp_path: Path, **more: object) -> str:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**WIDE, **more}), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("file", "note"), [("formulas_no_value.xlsx", FORMULA_NOTE),
                                            ("merged_cells.xlsx", MERGED_NOTE),
                                            ("hidden_first_sheet.xlsx", HIDDEN_NOTE),
                                            ("blank_first_rows.xlsx", BLANK_NOTE)])
def test_cx_ingest_and_cx_guess_print_the_workbook_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         file: str, note: str) -> None:
    code, out, _ = _cli(capsys, "ingest", str(HOSTILE / file), "--mapping", _mapping(tmp_path), "--db",
                        str(tmp_path / "cx.duckdb"), "--rejects", str(tmp_path / "r.csv"))
    assert code == 0 and f"note: {note}" in out.splitlines()
    assert out.startswith("Loaded 3 of 3 rows into data set")
    code, out, _ = _cli(capsys, "guess", str(HOSTILE / file))
    assert code == 0 and f"note: {note}" in out.splitlines()
    code, out, err = _cli(capsys, "guess", str(HOSTILE / file), "--json")
    assert code == 0 and f"cx guess: note: {note}" in err.splitlines() and json.loads(out)["format"] == "wide"


def test_cx_sheet_flag_reads_the_sheet_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "guess", str(HOSTILE / "hidden_first_sheet.xlsx"), "--sheet", "Lookup", "--json")
    assert code == 0 and json.loads(out)["sheet"] == "Lookup"
    code, out, _ = _cli(capsys, "guess", str(HOSTILE / "hidden_first_sheet.xlsx"), "--json")
    assert code == 0 and json.loads(out)["sheet"] == "Responses"  # the proposal records the sheet it read
    lookup = _mapping(tmp_path, respondent="code", touchpoints=[], segments=["label"],
                      outcome={"column": "churned", "kind": "binary", "positive": "yes"}, comment=None)
    code, out, err = _cli(capsys, "ingest", str(HOSTILE / "hidden_first_sheet.xlsx"), "--mapping", lookup, "--sheet",
                          "Lookup", "--db", str(tmp_path / "cx.duckdb"), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert (payload["rows_read"], payload["rows_loaded"]) == (2, 2)
    assert payload["notes"][0].startswith("The workbook has 3 sheets (2 visible): 'Lookup' is read — as asked.")


def test_cx_refuses_limits_and_a_sheet_flag_on_a_csv_in_one_line(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["ingest", str(HOSTILE / "zip_bomb.xlsx"), "--mapping", _mapping(tmp_path)],
                 ["guess", str(HOSTILE / "far_cell.xlsx")],
                 ["guess", str(HOSTILE / "hidden_first_sheet.xlsx"), "--sheet", "Answers"]):
        code, out, err = _cli(capsys, *args, *(["--db", str(tmp_path / "cx.duckdb")] if args[0] == "ingest" else []))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "over the limit of 100 times" in _cli(capsys, "guess", str(HOSTILE / "zip_bomb.xlsx"))[2]
    code, _, err = _cli(capsys, "guess", str(HOSTILE / "five.csv"), "--sheet", "Data")
    assert code == 2 and err.strip() == (f"cx guess: --sheet 'Data': {HOSTILE / 'five.csv'} is not an Excel workbook "
                                         "(.xlsx); leave --sheet out.")


# ---------------------------------------------------------------------- the Upload page


@pytest.fixture
def app(upload_page: AppTest) -> AppTest:
    return upload_page


def _upload(at: AppTest, path: Path, name: str | None = None) -> AppTest:
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    at.file_uploader(key="upload_file").upload(name or path.name, path.read_bytes(), mime).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _facts(at: AppTest) -> dict[str, str]:
    return dict(at.dataframe[0].value.values.tolist())


@pytest.mark.parametrize(("file", "note"), [("formulas_no_value.xlsx", FORMULA_NOTE),
                                            ("merged_cells.xlsx", MERGED_NOTE),
                                            ("hidden_first_sheet.xlsx", HIDDEN_NOTE),
                                            ("blank_first_rows.xlsx", BLANK_NOTE)])
def test_the_upload_page_shows_the_workbook_notes(app: AppTest, file: str, note: str) -> None:
    _upload(app, HOSTILE / file)
    shown = [i.value for i in app.info]
    assert any(note.replace("'", "") in s.replace("\\", "").replace("'", "").replace("\u2060", "") for s in shown), \
        shown
    assert _facts(app)["Rows read"] == "3"


def test_the_upload_page_offers_the_visible_sheets_and_reads_the_one_picked(app: AppTest, tmp_path: Path) -> None:
    march = [[1, "Eco", 4, 3, "satisfied", "m"], [2, "Business", 5, 1, "satisfied", None],
             [3, "Eco", 2, 5, "dissatisfied", "x"], [4, "Eco", 3, 2, "satisfied", None]]
    path = _book(tmp_path / "months.xlsx", {"March": [HEAD, *march],
                                            "Lookup": [["code"], [1]],
                                            "April": [HEAD, [7, "Eco", 5, 4, "satisfied", "a"],
                                                      [8, "Business", 2, 2, "dissatisfied", "b"]]},
                 active=2, hidden=("Lookup",))
    _upload(app, path)
    picker = app.selectbox(key=next(s.key for s in app.selectbox if s.label == "Sheet"))
    assert picker.options == ["March", "April"] and picker.value == "April"
    assert _facts(app)["Sheet"] == "April" and _facts(app)["Rows read"] == "2"
    picker.set_value("March").run()
    assert not app.exception, [e.value for e in app.exception]
    assert _facts(app)["Sheet"] == "March" and _facts(app)["Rows read"] == "4"
    assert app.dataframe[1].value["id"].tolist() == ["1", "2", "3", "4"]
    next(b for b in app.button if b.label.startswith("Import 4 rows")).click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Imported data set 'months': 4 of 4 rows loaded (8 answers), 0 rejected." in [s.value for s in app.success]
    stored = app.dataframe[-1].value
    assert stored[["dataset", "rows_read", "rows_loaded"]].values.tolist() == [["months", 4, 4]]


def test_the_upload_page_refuses_a_zip_bomb_with_the_message(app: AppTest) -> None:
    _upload(app, HOSTILE / "zip_bomb.xlsx")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "over the limit of 100 times for an Excel workbook" in errors[0]
    assert errors[0].startswith("Could not read zip\\_bomb.xlsx: zip\\_bomb.xlsx: its part")


def test_the_upload_page_refuses_a_far_cell_with_the_message(app: AppTest) -> None:
    _upload(app, HOSTILE / "far_cell.xlsx")
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and "spans more than 10,000,000 cells" in errors[0]
