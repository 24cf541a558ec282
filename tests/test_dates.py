"""The date rule: every form people write, both spellings (Python and SQL) cell by cell, and imports that use it."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from cx import dates, ingest, mapping, store
from cx.ingest.number_rule import UNICODE_SPACES
from tests import lookalikes

NOV19 = datetime(2023, 11, 19)

FORMS: list[tuple[str, datetime | None]] = [
    # ISO, with or without a time; a zone or offset is dropped
    ("2023-11-19", NOV19), ("2023/11/19", NOV19), ("2023.11.19", NOV19),
    ("2023-11-19 14:05", datetime(2023, 11, 19, 14, 5)),
    ("2023-11-19T14:05:30", datetime(2023, 11, 19, 14, 5, 30)), ("2023-11-19T14:05:00Z", datetime(2023, 11, 19, 14, 5)),
    ("2023-11-19 14:05:00+02:00", datetime(2023, 11, 19, 14, 5)), ("2023-11-19 14:05:30.25",
                                                                    datetime(2023, 11, 19, 14, 5, 30, 250000)),
    ("2023-11", datetime(2023, 11, 1)),
    # day, month name, year
    ("19th November 2023", NOV19), ("19 November 2023", NOV19), ("19 Nov 2023", NOV19), ("19 nov. 2023", NOV19),
    ("19-Nov-2023", NOV19), ("19-Nov-23", NOV19), ("19nov2023", NOV19), ("1st Sept 2023", datetime(2023, 9, 1)),
    ("2nd May 2024", datetime(2024, 5, 2)), ("3rd March 2024", datetime(2024, 3, 3)),
    ("Sunday, 19 November 2023", NOV19), ("Sun 19 Nov 2023 08:30", datetime(2023, 11, 19, 8, 30)),
    # month name, day, year
    ("November 19, 2023", NOV19), ("Nov 19 2023", NOV19), ("Nov. 19th, 2023", NOV19), ("NOVEMBER 19, 2023", NOV19),
    ("November 19, 2023 2:05 pm", datetime(2023, 11, 19, 14, 5)),
    ("Nov 19, 2023 12:10 a.m.", datetime(2023, 11, 19, 0, 10)),
    # month name and year: the 1st
    ("November 2023", datetime(2023, 11, 1)), ("Nov-2023", datetime(2023, 11, 1)),
    # Excel serial day numbers
    ("45249", NOV19), ("45249.5", datetime(2023, 11, 19, 12, 0)), ("45249.75", datetime(2023, 11, 19, 18, 0)),
    # spaces around, runs of spaces
    ("  19   Nov   2023 ", NOV19), ("\u00a019 Nov 2023\u00a0", NOV19),
    # no date
    ("", None), ("x", None), ("12:00", None), ("19 November", None), ("30 February 2023", None), ("2023-02-29", None),
    ("2023-11-19 24:00", None), ("2023-11-19 23:60", None), ("Smarch 3 2023", None), ("45249 10:00", None),
    ("2023", None), ("1234", None), ("19/13/2023 13:00 pm", None), ("13:00 pm", None), ("2024-13-01", None),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[repr(t) for t, _ in FORMS])
def test_each_form_reads_the_same_either_way_round(text: str, expected: datetime | None) -> None:
    assert dates.parse_date(text, "dmy") == expected
    assert dates.parse_date(text, "mdy") == expected


@pytest.mark.parametrize(("text", "dmy", "mdy"), [
    ("19/11/2023", NOV19, None), ("11/19/2023", None, NOV19), ("03/04/2024", datetime(2024, 4, 3),
                                                               datetime(2024, 3, 4)),
    ("19.11.2023", NOV19, None), ("19-11-23", NOV19, None), ("1/2/2023 14:05", datetime(2023, 2, 1, 14, 5),
                                                               datetime(2023, 1, 2, 14, 5)),
    ("31/04/2024", None, None), ("19/11/68", datetime(2068, 11, 19), None), ("19/11/69", datetime(1969, 11, 19), None),
])
def test_number_dates_read_by_the_order(text: str, dmy: datetime | None, mdy: datetime | None) -> None:
    assert (dates.parse_date(text, "dmy"), dates.parse_date(text, "mdy")) == (dmy, mdy)


def _sql_dates(cells: list[str | None], order: str) -> list[datetime | None]:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    rows = con.execute(
        f"SELECT {dates.date_sql('x', order)} FROM (SELECT unnest(?::VARCHAR[]) AS x, generate_subscripts(?, 1) AS i) "
        "ORDER BY i", [cells, cells]).fetchall()
    return [r[0] for r in rows]


def _noise(rng: random.Random) -> str:
    """Return a cell made of pieces of dates: most hold no date, many nearly do."""
    pieces = ["19", "1", "31", "12", "13", "2023", "23", "99", "2024", "-", "/", ".", " ", ",", "nov", "November",
              "sept", "th", "st", "Sun", "T", "14:05", ":30", "pm", "a.m.", "Z", "+02:00", "45249", ".5", "\u00a0"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))


def test_python_and_sql_agree_cell_by_cell() -> None:
    rng = random.Random(7)
    cells: list[str | None] = [t for t, _ in FORMS] + [None] + [_noise(rng) for _ in range(3000)]
    cells += [f"{rng.randint(0, 40)}/{rng.randint(0, 40)}/{rng.choice(('23', '2023', '1999', '69'))}"
              for _ in range(300)]
    for order in dates.DATE_ORDERS:
        assert _sql_dates(cells, order) == [dates.parse_date(c, order) for c in cells], order
    assert sum(dates.parse_date(c) is not None for c in cells) > 100  # the noise does hold dates


def test_the_rule_trims_what_the_number_rule_trims() -> None:
    assert dates.UNICODE_SPACES == UNICODE_SPACES


# ---------------------------------------------------------------------- which way round


@pytest.mark.parametrize(("cells", "order", "ambiguous", "contradicted"), [
    (["19/11/2023", "03/04/2024", "25/12/2023"], "dmy", False, 0),  # first numbers above 12: day first
    (["11/19/2023", "03/04/2024", "12/25/2023"], "mdy", False, 0),  # second numbers above 12: month first
    (["03/04/2024", "01/02/2024"], "dmy", True, 0),  # nothing shows: day first, and the report says so
    (["19/11/2023", "25/12/2023", "11/19/2023"], "dmy", False, 1),  # the majority decides; the rest hold no date
    (["19 Nov 2023", "2023-11-19"], "dmy", False, 0),  # no number dates at all
])
def test_the_order_is_decided_from_the_whole_column(cells: list[str], order: str, ambiguous: bool,
                                                    contradicted: int) -> None:
    reading = dates.read_column("when", cells)
    assert (reading.order, reading.ambiguous, reading.contradicted) == (order, ambiguous, contradicted)
    note = reading.note()
    if reading.numeric == 0:
        assert note is None
    elif ambiguous:
        assert note is not None and "could be day first or month first" in note and '"date_order": "mdy"' in note
    else:
        assert note is not None and "are read" in note


def test_the_mapping_order_wins_and_is_said() -> None:
    reading = dates.read_column("when", ["03/04/2024"], given="mdy")
    assert (reading.order, reading.ambiguous) == ("mdy", False)
    assert "as the mapping's \"date_order\" says" in (reading.note() or "")


# ---------------------------------------------------------------------- imports


def _import(tmp_path: Path, text: str, m: dict[str, object], name: str = "d") -> tuple[duckdb.DuckDBPyConnection,
                                                                                         ingest.Report]:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    con = store.connect(tmp_path / f"{name}.duckdb")
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(m), name=name)
    assert result is not None
    return con, report


def test_a_reviews_file_with_ordinal_dates_imports_with_no_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(lookalikes.airline_reviews(), encoding="utf-8")
    con = store.connect(tmp_path / "cx.duckdb")
    staged = ingest.stage(con, path)
    proposal = ingest.propose(con, staged)
    ingest.discard(con, staged)
    assert proposal.mapping.timestamp == "Datetime" and proposal.mapping.timestamp_format is None
    result, report, _ = ingest.ingest_file(con, path, proposal.mapping, name="reviews")
    assert result is not None and (report.rows_read, report.rows_rejected) == (60, 0)
    first = con.execute("SELECT min(answered_at), max(answered_at), count(DISTINCT answered_at) FROM responses"
                        ).fetchall()[0]
    assert first == (datetime(2023, 1, 1), datetime(2023, 10, 23), 60)  # "1st January 2023" … every 5 days


WIDE = {"format": "wide", "respondent": "id", "touchpoints": ["Seat"], "scale": [1, 5], "timestamp": "when"}


def test_day_first_is_decided_from_the_whole_column(tmp_path: Path) -> None:
    # Only the last row shows the order (a first number above 12): every row is read day first.
    rows = "".join(f"{i},0{i}/0{i + 1}/2024,4\n" for i in range(1, 8)) + "8,25/12/2024,3\n"
    con, report = _import(tmp_path, "id,when,Seat\n" + rows, WIDE)
    assert report.rows_rejected == 0
    assert con.execute("SELECT answered_at FROM responses WHERE respondent = '1'").fetchall()[0][0] == \
        datetime(2024, 2, 1)
    assert any("read day first (19/11/2023): 1 of 8 number dates have a first number above 12" in n
               for n in report.notes)


def test_month_first_is_decided_from_the_whole_column(tmp_path: Path) -> None:
    rows = "".join(f"{i},0{i}/0{i + 1}/2024,4\n" for i in range(1, 8)) + "8,12/25/2024,3\n"
    con, report = _import(tmp_path, "id,when,Seat\n" + rows, WIDE)
    assert report.rows_rejected == 0
    assert con.execute("SELECT answered_at FROM responses WHERE respondent = '1'").fetchall()[0][0] == \
        datetime(2024, 1, 2)
    assert any("read month first (11/19/2023)" in n for n in report.notes)


def test_an_ambiguous_column_is_read_day_first_and_reported(tmp_path: Path) -> None:
    con, report = _import(tmp_path, "id,when,Seat\n1,03/04/2024,4\n2,05/06/2024,3\n", WIDE)
    assert con.execute("SELECT answered_at FROM responses ORDER BY respondent").fetchall() == [
        (datetime(2024, 4, 3),), (datetime(2024, 6, 5),)]
    assert any("could be day first or month first" in n for n in report.notes)
    con.close()
    con, report = _import(tmp_path, "id,when,Seat\n1,03/04/2024,4\n2,05/06/2024,3\n", {**WIDE, "date_order": "mdy"},
                          name="mdy")
    assert con.execute("SELECT answered_at FROM responses ORDER BY respondent").fetchall() == [
        (datetime(2024, 3, 4),), (datetime(2024, 5, 6),)]
    assert not any("could be" in n for n in report.notes)


def test_every_form_imports_in_one_column(tmp_path: Path) -> None:
    readable = [(t, d) for t, d in FORMS if d is not None and "," not in t and "\u00a0" not in t]
    text = "id,when,Seat\n" + "".join(f"{i},{t},3\n" for i, (t, _) in enumerate(readable, start=1))
    con, report = _import(tmp_path, text, WIDE)
    assert report.rows_rejected == 0
    stored = dict(con.execute("SELECT respondent, answered_at FROM responses").fetchall())
    assert stored == {str(i): d for i, (_, d) in enumerate(readable, start=1)}


def test_a_timestamp_format_still_reads_other_forms(tmp_path: Path) -> None:
    con, report = _import(tmp_path, "id,when,Seat\n1,20231119,4\n2,20231120,3\n",
                          {**WIDE, "timestamp_format": "%Y%m%d"})
    assert report.rows_rejected == 0
    assert con.execute("SELECT min(answered_at) FROM responses").fetchall()[0][0] == NOV19


def test_an_unreadable_date_is_named_with_the_forms_that_read(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,when,Seat\n1,19 Nov 2023,4\n2,sometime,3\n", encoding="utf-8")
    con = duckdb.connect()
    staged = ingest.stage(con, path)
    report = ingest.check(con, staged, mapping.from_dict(WIDE))
    left, = report.emptied  # the row loads without its date (tests/test_optional_cells.py)
    assert (left.kind, left.column, left.first_rows, left.examples) == ("unreadable date", "when", (2,), ("sometime",))
    assert "31st March 2024" in left.fix
