"""Look-alike names in a long file's cells: touchpoints, channels, stages, units and segment values each get a note
(in the import report, on the Upload page and from `cx ingest`), and names that clean to one (a trailing tab, a
zero-width space, NFD accents) are stored as one, so a journey step finds its answers."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from cx import __main__ as cli
from cx import builder, ingest, store, ui
from cx import mapping as maps
from tests.conftest import no_exceptions

# Cyrillic е in "Wеb", Cyrillic о in "Lisbоa", a full-width Ｎ in "Ｎorth"; "PURCHASE" differs only in case.
ROWS = [
    ("respondent", "touchpoint", "score", "channel", "stage", "unit", "region"),
    ("R1", "Checkout\t", "4", "Web", "Purchase", "Lisboa", "North"),
    ("R2", "Checkout", "5", "W\u0435b", "Purchase", "Lisb\u043ea", "North"),
    ("R3", "Search\u200b", "3", "Web", "PURCHASE", "Lisboa", "\uff2eorth"),
    ("R4", "Cafe\u0301", "2", "Web", "Discovery", "Porto", "South"),
    ("R5", "Café", "5", "Web", "Discovery", "Porto", "South"),
]
MAPPING = {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score",
           "scale": [1, 5], "channel": "channel", "stage": "stage", "unit": "unit", "segments": ["region"]}
LOOK_ALIKE = {
    "channel": "The channels 'Web' and 'W\u0435b' look alike but are different names",
    "stage": "The stages 'PURCHASE' and 'Purchase' look alike but are different names",
    "unit": "The units 'Lisboa' and 'Lisb\u043ea' look alike but are different names",
    "region": "The values of segment 'region' 'North' and '\uff2eorth' look alike but are different names",
}


def _csv(path: Path) -> Path:
    lines = [",".join(f'"{cell}"' for cell in row) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _notes_with(notes: list[str] | tuple[str, ...], text: str) -> list[str]:
    return [n for n in notes if text in n]


def test_each_name_column_gets_its_look_alike_note(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    result, report, _ = ingest.ingest_file(con, _csv(tmp_path / "shop.csv"), maps.from_dict(MAPPING),
                                           name="Shop")
    assert result is not None and result.rows_loaded == 5
    for column, said in LOOK_ALIKE.items():
        found = _notes_with(report.notes, said)
        assert len(found) == 1, column
        assert found[0].endswith("make the names the same in the file.")
    assert _notes_with(report.notes, "If they are one unit, make the names the same")
    # No look-alike note for the touchpoints: cleaning made "Checkout\t" one with "Checkout", "Search\u200b" plain
    # "Search" and the two spellings of "Café" one; the cleaning note says so.
    assert not _notes_with(report.notes, "The touchpoints")
    assert _notes_with(report.notes, "Column 'touchpoint': 3 cell(s) held line breaks, tabs, control or invisible")
    touchpoints = store.rows(con, "SELECT touchpoint, count(*) FROM responses GROUP BY 1 ORDER BY 1")
    assert touchpoints == [("Café", 2), ("Checkout", 2), ("Search", 1)]


def test_a_trailing_tab_in_a_long_files_touchpoint_keeps_the_link_to_the_journey_step(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    ingest.ingest_file(con, _csv(tmp_path / "shop.csv"), maps.from_dict(MAPPING), name="Shop")
    draft = {**builder.blank_draft("Shop"), "name": "Buy", "touchpoints": [builder.blank_step("Checkout"),
                                                                          builder.blank_step("Café")]}
    assert builder.unknown_touchpoints(con, draft) == []
    assert builder.check_draft(con, draft, original=None).warnings == ()


def test_the_command_line_prints_the_look_alike_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    code = cli.main(["ingest", str(_csv(tmp_path / "shop.csv")), "--mapping", str(mapping), "--db",
                     str(tmp_path / "t.duckdb")])
    out = capsys.readouterr().out
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    for said in LOOK_ALIKE.values():
        assert len(_notes_with(notes, said)) == 1


def test_the_upload_page_shows_the_look_alike_notes(upload_page: AppTest, tmp_path: Path) -> None:
    at = upload_page
    at.file_uploader(key="upload_mapping").upload("m.json", json.dumps(MAPPING).encode(), "application/json").run()
    at.file_uploader(key="upload_file").upload("shop.csv", _csv(tmp_path / "shop.csv").read_bytes(), "text/csv")
    at.run()
    no_exceptions(at)
    shown = [i.value for i in at.info]
    for said in LOOK_ALIKE.values():
        assert len(_notes_with(shown, ui.escape_md(said))) == 1
