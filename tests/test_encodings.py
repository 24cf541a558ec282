"""Encodings decided from the whole file, line by line, and NUL bytes removed with a note naming the lines.

The hostile corpus (tests/fixtures/hostile/, mixed_encoding.csv, utf8_then_latin1.csv, nul_bytes.csv) checks
the stored values of whole imports; here: the rewrite itself (exact text and notes, any chunk size, many
runs), the sniff of a mixed file, and that `cx ingest` prints exactly the notes the Upload page shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from cx import exports, ingest
from cx.__main__ import main
from cx.ingest import sniffing

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
CASES = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))
WIDE = next(c["mapping"] for c in CASES if c["file"] == "five.csv")

LATIN = "1,Économie,café\n2,Señor,Müller\n".encode("latin-1")
UTF8 = "3,plain,ascii\n4,Première,brûlée – ok\n".encode()


def _rewrite(tmp_path: Path, data: bytes, encoding: str = "utf-8", **kwargs: int) -> tuple[str, tuple[str, ...]]:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(data)
    notes = sniffing.rewrite_utf8(source, target, encoding, **kwargs).notes
    return target.read_text(encoding="utf-8"), notes


def test_a_mixed_file_keeps_every_accent_and_says_which_lines_were_read_how(tmp_path: Path) -> None:
    text, notes = _rewrite(tmp_path, b"id,a,b\n" + LATIN + UTF8, "latin-1")
    assert text == "id,a,b\n1,Économie,café\n2,Señor,Müller\n3,plain,ascii\n4,Première,brûlée – ok\n"
    assert notes == ("The file mixes encodings, so each line was read in the one its bytes are in: lines 2–3 as "
                     "Latin-1 (Windows-1252), line 5 as UTF-8; plain ASCII reads the same in both. Check the "
                     "accented letters there, or export the file again as UTF-8.",)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 13, 64, 1 << 22])
def test_the_rewrite_is_the_same_whatever_the_chunk_size(tmp_path: Path, chunk: int) -> None:
    # Chunks cut lines, CRLF pairs and UTF-8 letters anywhere: only whole lines are decoded.
    data = (b"\xef\xbb\xbfid,a\r\n" + LATIN.replace(b"\n", b"\r\n") + b"5,\x00x\r6,y\n" + UTF8
            + "7,€ “q”\n".encode("cp1252") + b"8,last")
    text, notes = _rewrite(tmp_path, data, chunk=chunk)
    assert text == ("id,a\n1,Économie,café\n2,Señor,Müller\n5,x\n6,y\n3,plain,ascii\n4,Première,brûlée – ok\n"
                    "7,€ “q”\n8,last")
    assert notes == (
        "The file mixes encodings, so each line was read in the one its bytes are in: lines 2–3 as Latin-1 "
        "(Windows-1252), line 7 as UTF-8, line 8 as Latin-1 (Windows-1252); plain ASCII reads the same in both. "
        "Check the accented letters there, or export the file again as UTF-8.",
        "1 line(s) held NUL bytes (line 4): they were removed (a NUL is not text; it comes from a broken export).")


def test_a_clean_utf8_file_needs_no_rewrite_and_anything_else_does(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    for data, clean in ((b"a,b\n" + UTF8, True), (b"a,b\n" + LATIN, False), (b"a,b\n1,x\x00\n", False),
                        (b"\xef\xbb\xbfa,b\n1,\xc3", False)):
        path.write_bytes(data)
        assert sniffing.is_clean_utf8(path) is clean
        assert sniffing.is_clean_utf8(path, chunk=1) is clean  # a letter split between two reads is still one


def test_many_changes_of_encoding_name_the_first_runs_and_count_the_rest(tmp_path: Path) -> None:
    lines = b"".join(("é\n".encode("latin-1") if i % 2 else "é\n".encode()) for i in range(20))
    text, notes = _rewrite(tmp_path, lines)
    assert text == "é\n" * 20
    assert notes[0].startswith("The file mixes encodings, so each line was read in the one its bytes are in: "
                               "line 1 as UTF-8, line 2 as Latin-1 (Windows-1252), line 3 as UTF-8, line 4 as "
                               "Latin-1 (Windows-1252), line 5 as UTF-8, line 6 as Latin-1 (Windows-1252) and 14 "
                               "more changes; plain ASCII")


def test_nul_bytes_on_many_lines_name_the_first_five(tmp_path: Path) -> None:
    text, notes = _rewrite(tmp_path, b"id\n" + b"".join(b"%d\x00\x00\n" % i for i in range(8)))
    assert text == "id\n" + "".join(f"{i}\n" for i in range(8))
    assert notes == ("8 line(s) held NUL bytes (lines 2, 3, 4, 5, 6 and 3 more): they were removed (a NUL is not "
                     "text; it comes from a broken export).",)


def test_a_nul_character_in_utf16_is_removed_too(tmp_path: Path) -> None:
    text, notes = _rewrite(tmp_path, "id,c\n1,a\x00b\n".encode("utf-16"), "utf-16")
    assert text == "id,c\n1,ab\n"
    assert notes == ("1 line(s) held NUL bytes (line 2): they were removed (a NUL is not text; it comes from a "
                     "broken export).",)


def test_latin1_after_ascii_is_noted_and_utf8_where_latin1_was_said_too(tmp_path: Path) -> None:
    assert _rewrite(tmp_path, b"id,a\n" + LATIN)[1] == (
        "Some lines are not UTF-8 and were read as Latin-1 (Windows-1252): lines 2–3. Check the accented letters "
        "there, or export the file again as UTF-8.",)
    assert _rewrite(tmp_path, b"id,a\n" + LATIN, "latin-1")[1] == ()  # what the sniff said: nothing to add
    assert _rewrite(tmp_path, b"id,a\n" + UTF8, "latin-1")[1] == (
        "The file is UTF-8, not Latin-1 (see line 3): it was read as UTF-8. Remove \"encoding\" from the mapping to "
        "have it detected.",)


def test_a_utf8_header_over_latin1_rows_gives_the_right_column_names(tmp_path: Path,
                                                                     con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("id,Qualité,Café\n".encode() + "1,très,bien\n".encode("latin-1"))
    fmt = ingest.sniff(path)
    assert (fmt.encoding, fmt.encoding_label) == ("cp1252", "Latin-1 (Windows-1252) and UTF-8, line by line")
    assert fmt.columns == ("id", "Qualité", "Café")
    staged = ingest.stage(con, path, fmt=fmt)
    assert ingest.preview(con, staged).values.tolist() == [["1", "très", "bien"]]
    ingest.discard(con, staged)


def _cli_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> list[str]:
    (tmp_path / "m.json").write_text(json.dumps(WIDE), encoding="utf-8")
    code = main(["ingest", str(HOSTILE / name), "--mapping", str(tmp_path / "m.json"), "--db",
                 str(tmp_path / "cli.duckdb"), "--rejects", str(tmp_path / "r.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    return [line.removeprefix("note: ") for line in out.splitlines() if line.startswith("note: ")]


@pytest.mark.parametrize(("name", "needle"), [("mixed_encoding.csv", "The file mixes encodings"),
                                              ("nul_bytes.csv", "held NUL bytes (lines 3, 4, 5)")])
def test_the_command_line_prints_the_notes_the_upload_page_shows(
    upload_page: AppTest, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, needle: str
) -> None:
    notes = _cli_notes(tmp_path, capsys, name)
    assert any(needle in note for note in notes)
    at = upload_page
    at.file_uploader(key="upload_mapping").upload("m.json", json.dumps(WIDE).encode(), "application/json")
    at.file_uploader(key="upload_file").upload(name, (HOSTILE / name).read_bytes(), "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [i.value for i in at.info]
    assert [exports.escape_markdown(n) for n in notes] == [i for i in shown if i in
                                                           {exports.escape_markdown(n) for n in notes}]
    assert all(exports.escape_markdown(n) in shown for n in notes)
