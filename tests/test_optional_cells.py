"""An optional cell never costs the row's answers: unreadable dates, outcomes and operational values load as empty.

Only the respondent id, the touchpoint and the scores reject a row; every other cell that cannot be read is
left empty, counted and listed with its reason, and rows read = rows loaded + rows rejected still holds.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from cx import ingest, mapping, store
from cx.__main__ import main

WIDE = {"format": "wide", "respondent": "id", "touchpoints": ["Seat", "Food"], "scale": [1, 5], "timestamp": "when",
        "operational": [{"column": "wait", "touchpoint": "Seat"}],
        "outcomes": [{"column": "recommend", "kind": "nps"},
                     {"column": "stayed", "kind": "binary", "positive": "yes", "negative": "no"},
                     {"column": "overall", "kind": "score", "scale": [1, 10]}]}
ROWS = [
    # id, Seat, Food, when, wait, recommend, stayed, overall
    ("1", "4", "5", "19 Nov 2023", "12", "9", "yes", "8"),  # every cell readable
    ("2", "3", "2", "sometime", "12", "9", "yes", "8"),  # an unreadable date: the row loads without it
    ("3", "5", "4", "2023-11-20", "n/a", "eleven", "maybe", "11"),  # four unreadable optional cells
    ("4", "2", "1", "2023-11-21", "3", "11", "no", "0"),  # 11 is not 0–10, 0 not on 1–10
    ("", "4", "4", "2023-11-22", "3", "7", "yes", "5"),  # no respondent id: rejected
    ("6", "five", "4", "2023-11-23", "3", "7", "yes", "5"),  # a score that is not a number: rejected
    ("7", "9", "4", "not a date", "x", "x", "x", "x"),  # a score off the scale: rejected, its other cells too
]


def _file(tmp_path: Path, header: list[str], rows: list[tuple[str, ...]], name: str = "survey.csv") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _survey(tmp_path: Path) -> Path:
    return _file(tmp_path, ["id", "Seat", "Food", "when", "wait", "recommend", "stayed", "overall"], ROWS)


def test_only_the_id_and_the_scores_reject_a_row(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "cx.duckdb")
    result, report, _ = ingest.ingest_file(con, _survey(tmp_path), mapping.from_dict(WIDE), name="s")
    assert result is not None
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (7, 4, 3)
    assert report.rows_read == report.rows_valid + report.rows_rejected
    assert {(p.kind, p.column): p.first_rows for p in report.problems} == {
        ("missing respondent id", "id"): (5,), ("not a number", "Seat"): (6,), ("out of scale", "Seat"): (7,)}
    assert [(p.kind, p.column, p.rows, p.first_rows, p.examples) for p in report.emptied] == [
        ("unreadable date", "when", 1, (2,), ("sometime",)),
        ("outcome not a number", "recommend", 1, (3,), ("eleven",)),
        ("not a whole number 0–10", "recommend", 1, (4,), ("11",)),
        ("neither positive nor negative", "stayed", 1, (3,), ("maybe",)),
        ("outcome out of scale", "overall", 2, (3, 4), ("11", "0")),
        ("not a number", "wait", 1, (3,), ("n/a",)),
    ]
    assert report.cells_left_empty == 7
    assert "7 cells of those rows cannot be read and are left empty" in report.accounting()
    # the answers of every loaded row are there; the unreadable cells are not
    assert con.execute("SELECT count(*) FROM responses").fetchall()[0][0] == 8
    stamps = dict(con.execute("SELECT DISTINCT respondent, answered_at FROM responses").fetchall())
    assert stamps == {"1": datetime(2023, 11, 19), "2": None, "3": datetime(2023, 11, 20),
                      "4": datetime(2023, 11, 21)}
    outcomes = con.execute("SELECT outcome, respondent, value FROM outcomes ORDER BY 1, 2").fetchall()
    assert outcomes == [("overall", "1", 8.0), ("overall", "2", 8.0), ("recommend", "1", 9.0), ("recommend", "2", 9.0),
                        ("stayed", "1", 1.0), ("stayed", "2", 1.0), ("stayed", "4", 0.0)]
    assert con.execute("SELECT respondent, value FROM operational ORDER BY 1").fetchall() == [
        ("1", 12.0), ("2", 12.0), ("4", 3.0)]


def test_the_order_of_the_left_empty_list_follows_the_mapping(tmp_path: Path) -> None:
    con = duckdb.connect()
    staged = ingest.stage(con, _survey(tmp_path))
    report = ingest.check(con, staged, mapping.from_dict(WIDE))
    assert [p.column for p in report.emptied] == ["when", "recommend", "recommend", "stayed", "overall", "wait"]
    frame = report.emptied_frame()
    assert frame.columns.tolist() == ["left empty because", "column", "count", "first rows", "examples", "what to do"]
    assert frame.iloc[0].tolist()[:4] == ["unreadable date", "when", 1, "row 2"]
    assert all("loads without" in fix for fix in frame["what to do"])


def test_a_long_file_takes_each_respondents_first_readable_outcome(tmp_path: Path) -> None:
    rows = [("r1", "Checkout", "4", "x", "bad date"), ("r1", "Delivery", "3", "8", "2024-01-02"),
            ("r2", "Checkout", "5", "12", "2024-01-03"), ("r2", "Delivery", "2", "", "2024-01-04")]
    path = _file(tmp_path, ["respondent", "touchpoint", "score", "recommend", "when"], rows)
    m = {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score", "scale": [1, 5],
         "timestamp": "when", "outcome": {"column": "recommend", "kind": "nps"}}
    con = store.connect(tmp_path / "cx.duckdb")
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(m), name="l")
    assert result is not None and (report.rows_valid, report.rows_rejected, report.answers) == (4, 0, 4)
    assert {p.kind: p.first_rows for p in report.emptied} == {
        "unreadable date": (1,), "outcome not a number": (1,), "not a whole number 0–10": (3,)}
    assert con.execute("SELECT respondent, value FROM outcomes ORDER BY 1").fetchall() == [("r1", 8.0)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_read_equal_loaded_plus_rejected_and_every_empty_cell_is_counted(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows, expected_loaded, expected_empty = [], 0, {"when": 0, "recommend": 0, "wait": 0}
    for i in range(300):
        rid = "" if rng.random() < 0.05 else f"p{i}"
        seat = rng.choice(("1", "2", "3", "4", "5", "", "7", "x")) if rng.random() < 0.2 else str(rng.randint(1, 5))
        when = rng.choice(("soon", "31/02/2024", "")) if rng.random() < 0.2 else f"{rng.randint(1, 28)} Mar 2024"
        recommend = rng.choice(("11", "-1", "7.5", "n/a")) if rng.random() < 0.2 else str(rng.randint(0, 10))
        wait = rng.choice(("n/a", "1,5", "fast")) if rng.random() < 0.2 else str(rng.randint(0, 90))
        rows.append((rid, seat, when, recommend, wait))
        if rid and (seat == "" or seat in "12345"):
            expected_loaded += 1
            expected_empty["when"] += when in ("soon", "31/02/2024")
            expected_empty["recommend"] += recommend in ("11", "-1", "7.5", "n/a")
            expected_empty["wait"] += wait in ("n/a", "1,5", "fast")
    path = _file(tmp_path, ["id", "Seat", "when", "recommend", "wait"], rows)
    m = {"format": "wide", "respondent": "id", "touchpoints": ["Seat"], "scale": [1, 5], "timestamp": "when",
         "outcome": {"column": "recommend", "kind": "nps"}, "operational": [{"column": "wait", "touchpoint": "Seat"}]}
    con = duckdb.connect()
    staged = ingest.stage(con, path)
    report = ingest.check(con, staged, mapping.from_dict(m))
    assert report.rows_read == 300 == report.rows_valid + report.rows_rejected
    assert report.rows_valid == expected_loaded
    counted = {c: sum(p.rows for p in report.emptied if p.column == c) for c in expected_empty}
    assert counted == expected_empty
    assert report.cells_left_empty == sum(expected_empty.values())


def test_the_cli_reports_the_cells_left_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.json").write_text(json.dumps(WIDE), encoding="utf-8")
    assert main(["ingest", str(_survey(tmp_path)), "--mapping", str(tmp_path / "m.json"), "--db",
                 str(tmp_path / "cx.duckdb"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["rows_read"], printed["rows_loaded"], printed["rows_rejected"]) == (7, 4, 3)
    assert printed["cells_left_empty"] == 7
    assert printed["left_empty"][0] == {"reason": "unreadable date", "column": "when", "count": 1, "first": [2],
                                        "fix": printed["left_empty"][0]["fix"]}
    assert main(["ingest", str(_survey(tmp_path)), "--mapping", str(tmp_path / "m.json"), "--db",
                 str(tmp_path / "cx.duckdb"), "--dataset", "again"]) == 0
    text = capsys.readouterr().out
    assert "left empty: column 'when': unreadable date in 1 row (row 2) (e.g. 'sometime')." in text
