"""How many passes an import makes over the staged rows, and that the shortcuts give the same answers.

The verdict pass gathers each date column's day/month evidence as it types the rows (no pass of its own); a
column that turns out month first is typed once more, with every date, flag and derived value read that way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx import ingest, mapping, store
from cx.ingest import verdicts

WIDE: dict[str, Any] = {"format": "wide", "respondent": "id", "touchpoints": ["Seat"], "scale": [1, 5],
                        "timestamp": "when"}


def _counted_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = verdicts._verdict_pass

    def counting(con: duckdb.DuckDBPyConnection, plan: Any) -> None:
        calls.append(1)
        real(con, plan)

    monkeypatch.setattr(verdicts, "_verdict_pass", counting)
    return calls


def _import(tmp_path: Path, text: str, m: dict[str, Any]) -> tuple[duckdb.DuckDBPyConnection, ingest.Report]:
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    con = store.connect(tmp_path / "cx.duckdb")
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(m), name="d")
    assert result is not None
    return con, report


def test_a_day_first_file_is_typed_in_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted_passes(monkeypatch)
    text = "id,when,Seat\n1,03/04/2024,4\n2,25/12/2024,3\n3,2024-05-06 10:30,5\n4,soon,2\n"
    con, report = _import(tmp_path, text, WIDE)
    assert len(calls) == 1
    assert dict(con.execute("SELECT respondent, answered_at FROM responses").fetchall()) == {
        "1": datetime(2024, 4, 3), "2": datetime(2024, 12, 25), "3": datetime(2024, 5, 6, 10, 30), "4": None}
    assert any("read day first (19/11/2023): 1 of 2 number dates have a first number above 12" in n
               for n in report.notes)
    left, = report.emptied
    assert (left.kind, left.column, left.rows, left.first_rows, left.examples) == (
        "unreadable date", "when", 1, (4,), ("soon",))


def test_a_month_first_file_is_typed_again_month_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted_passes(monkeypatch)
    # Two second numbers above 12 against one first number: month first; 25/12/2024 then holds no date.
    text = ("id,when,back,Seat\n1,03/04/2024,03/14/2024,4\n2,12/25/2024,12/26/2024,3\n3,11/30/2024,12/01/2024,5\n"
            "4,25/12/2024,01/01/2025,2\n")
    m = {**WIDE, "derived": [{"name": "Days", "days_between": ["when", "back"]}],
         "operational": [{"column": "Days", "touchpoint": "Seat"}]}
    con, report = _import(tmp_path, text, m)
    assert len(calls) == 2
    assert dict(con.execute("SELECT respondent, answered_at FROM responses").fetchall()) == {
        "1": datetime(2024, 3, 4), "2": datetime(2024, 12, 25), "3": datetime(2024, 11, 30), "4": None}
    assert dict(con.execute("SELECT respondent, value FROM operational").fetchall()) == {"1": 10.0, "2": 1.0,
                                                                                          "3": 1.0}
    assert any("Dates in 'when' are read month first (11/19/2023): 2 of 4 number dates have a second number "
               "above 12. 1 read only day first (19/11/2023)" in n for n in report.notes)
    assert any("Dates in 'back' are read month first (11/19/2023): 2 of 4" in n for n in report.notes)
    left, = report.emptied
    assert (left.kind, left.column, left.rows, left.first_rows, left.examples) == (
        "unreadable date", "when", 1, (4,), ("25/12/2024",))


def test_the_mapping_date_order_needs_no_second_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counted_passes(monkeypatch)
    con, report = _import(tmp_path, "id,when,Seat\n1,03/04/2024,4\n2,05/06/2024,3\n", {**WIDE, "date_order": "mdy"})
    assert len(calls) == 1
    assert sorted(con.execute("SELECT answered_at FROM responses").fetchall()) == [
        (datetime(2024, 3, 4),), (datetime(2024, 5, 6),)]
    assert any("as the mapping's \"date_order\" says" in n for n in report.notes)


def test_another_mapping_of_the_same_staged_file_reads_its_own_date_column(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("id,when,back,Seat\n1,03/04/2024,03/14/2024,4\n2,05/06/2024,05/16/2024,3\n", encoding="utf-8")
    con = store.connect(tmp_path / "cx.duckdb")
    staged = ingest.stage(con, path)
    first = ingest.check(con, staged, mapping.from_dict(WIDE))
    assert any("Dates in 'when' such as 03/04/2024 could be day first or month first" in n for n in first.notes)
    second = ingest.check(con, staged, mapping.from_dict({**WIDE, "timestamp": "back"}))
    assert any("Dates in 'back' are read month first (11/19/2023): 2 of 2" in n for n in second.notes)
    assert second.rows_rejected == 0 and not second.emptied
    assert staged.date_evidence == {"when": (2, 0, 0), "back": (2, 0, 2)}
    ingest.discard(con, staged)


TRIM_CASES = ["", " ", "a", " a", "a ", "  a b  ", "\ta\t", "a\n", "\u00a0a", "a\u00a0", "\u3000x\u3000", "é", " é ",
              "é ", "\u200ba", "R000000001", "Store 12", "x" * 40 + " ", "\u2009", "a\u00a0b", None]


def test_the_cheap_trim_is_duckdbs_trim() -> None:
    from cx.ingest.number_rule import trim_sql

    con = duckdb.connect()
    rows = con.execute(f"SELECT x, {trim_sql('x')}, trim(x) FROM (SELECT unnest(?::VARCHAR[]) AS x)",
                       [TRIM_CASES]).fetchall()
    assert [(x, fast) for x, fast, _ in rows] == [(x, slow) for x, _, slow in rows]
    assert dict((x, fast) for x, fast, _ in rows)["\u3000x\u3000"] == "x"  # Unicode spaces go, tabs stay
    assert dict((x, fast) for x, fast, _ in rows)["\ta\t"] == "\ta\t"


def test_ids_and_names_are_trimmed_as_before(tmp_path: Path) -> None:
    filler = "".join(f"F{i},Shop,3\n" for i in range(8))  # a NUL in the first 100 characters means a binary file
    text = ("respondent,touchpoint,score\n R1 ,Website,4\n\u00a0R2,\u3000Website ,5\n" + filler
            + "R\x003,Website,3\nR1,Website ,2\n")
    m = {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score", "scale": [1, 5]}
    con, report = _import(tmp_path, text, m)
    assert sorted(con.execute("SELECT respondent, touchpoint, score FROM responses WHERE touchpoint <> 'Shop'"
                              ).fetchall()) == [("R1", "Website", 4.0), ("R2", "Website", 5.0), ("R3", "Website", 3.0)]
    assert any("1 line(s) held NUL bytes (line 12): they were removed" in n for n in report.notes)
    dup, = report.problems  # ' R1 ' and 'R1' are one respondent: the second answer is a repeat
    assert (dup.kind, dup.first_rows, dup.examples) == ("duplicate answer", (12,), ("Website (as row 1)",))


def test_parquet_ids_and_comments_with_a_nul_are_stored_without_it(tmp_path: Path) -> None:
    path = tmp_path / "answers.parquet"
    long_text = "a comment long enough to be stored apart " * 3
    duckdb.connect().execute(
        f"COPY (SELECT * FROM (VALUES ('R' || chr(0) || '1 ', 'Website', '4', ?), (' R2', 'Website', '5', "
        f"'x' || chr(0) || chr(0) || 'y'), ('R3', 'Website', '3', 'plain')) t(respondent, touchpoint, score, note)) "
        f"TO '{path}' (FORMAT parquet)", [long_text])
    con = store.connect(tmp_path / "cx.duckdb")
    m = {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score", "scale": [1, 5],
         "comment": "note"}
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(m), name="d")
    assert result is not None and report.rows_rejected == 0
    assert con.execute("SELECT respondent, comment FROM responses ORDER BY respondent").fetchall() == [
        ("R1", long_text), ("R2", "xy"), ("R3", "plain")]
    assert any("Column 'respondent': 1 cell(s) held NUL characters" in n for n in report.notes)
    assert any("Column 'note': 1 cell(s) held NUL characters" in n for n in report.notes)


LONG: dict[str, Any] = {"format": "long", "respondent": "id", "touchpoint": "tp", "score": "score", "scale": [0, 10],
                        "reversed": True}


@pytest.mark.parametrize(("extra", "scores", "na"), [
    ({}, [("1", "Web", 7.0), ("2", "Web", 3.0), ("3", "Shop", None)], 0),  # a blank score: an answer without one
    ({"not_applicable": ["N/A"]}, [("1", "Web", 7.0), ("2", "Web", None), ("3", "Shop", None)], 1),
])
def test_one_rule_for_every_touchpoint_is_stored_on_every_answer(tmp_path: Path, extra: dict[str, Any],
                                                                   scores: list[tuple[str, str, float | None]],
                                                                   na: int) -> None:
    text = "id,tp,score\n1,Web,7\n2,Web," + ("N/A" if extra else "3") + "\n3,Shop,\n"
    con, report = _import(tmp_path, text, {**LONG, **extra})
    assert report.not_applicable == na and report.rows_rejected == 0
    rows = con.execute("SELECT respondent, touchpoint, score, scale_min, scale_max, reversed, stage, channel "
                       "FROM responses ORDER BY respondent").fetchall()
    assert rows == [(*s, 0.0, 10.0, True, None, None) for s in scores]


def test_loaded_texts_are_the_checked_texts_row_by_row(tmp_path: Path) -> None:
    # Rows whose cells are stored as they are, beside rows whose cells are trimmed, cleaned or kept untrimmed.
    text = ('id,tp,score,unit,note,plan\n1,Web,4,North,fine,Gold\n2,"Check\nout",5,North ,  spaced  ,Gold\u00a0\n'
            '3,Web,3,,"",\n')  # a quoted empty cell is read as no value
    m = {"format": "long", "respondent": "id", "touchpoint": "tp", "score": "score", "scale": [1, 5], "unit": "unit",
         "comment": "note", "segments": ["plan"]}
    con, report = _import(tmp_path, text, m)
    assert report.rows_rejected == 0
    assert con.execute("SELECT respondent, touchpoint, unit, comment FROM responses ORDER BY respondent").fetchall() \
        == [("1", "Web", "North", "fine"), ("2", "Check out", "North", "  spaced  "), ("3", "Web", None, None)]
    assert sorted(con.execute("SELECT respondent, value FROM segments").fetchall()) == [("1", "Gold"), ("2", "Gold")]


def test_repeated_keys_are_found_among_valid_rows_only(tmp_path: Path) -> None:
    # Row 1 is out of scale (rejected for that), so row 2 is the first valid R1/Web; rows 3 and 5 repeat it.
    text = "id,tp,score\nR1,Web,9\nR1,Web,4\nR1,Web,5\nR2,Web,3\nR1 ,Web,2\nR2,Shop,1\n"
    m = {"format": "long", "respondent": "id", "touchpoint": "tp", "score": "score", "scale": [1, 5]}
    con, report = _import(tmp_path, text, m)
    assert (report.rows_valid, report.rows_rejected) == (3, 3)
    scale, dup = report.problems
    assert (scale.kind, scale.first_rows) == ("out of scale", (1,))
    assert (dup.kind, dup.rows, dup.first_rows, dup.examples) == (
        "duplicate answer", 2, (3, 5), ("Web (as row 2)", "Web (as row 2)"))
    assert sorted(con.execute("SELECT respondent, touchpoint, score FROM responses").fetchall()) == [
        ("R1", "Web", 4.0), ("R2", "Shop", 1.0), ("R2", "Web", 3.0)]
