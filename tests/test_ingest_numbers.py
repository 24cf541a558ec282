"""The number rule (cx/ingest/number_rule.py): which text cells hold a number, and which one.

It is written once but spelled twice — `parse_number` in Python, `number_sql` in SQL — so these
tests pin both to one table of tricky cells, check that they agree on any cell (hypothesis), and
check that the profile and the checks of a real import read numbers by that same rule.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx import ingest, mapping
from cx.ingest.number_rule import DECIMAL_COMMA_PATTERN, UNICODE_SPACES, number_sql, parse_number

# (cell, the number it holds with a decimal point, the number it holds with a decimal comma)
CELLS: list[tuple[str | None, float | None, float | None]] = [
    ("4", 4.0, 4.0),
    ("4,5", None, 4.5),
    ("4.5", 4.5, 4.5),  # with a decimal comma, a point still reads as one (exports mix them)
    (" 7 ", 7.0, 7.0),
    ("\t7\r\n", 7.0, 7.0),
    ("\v7\f", 7.0, 7.0),
    ("1e3", 1000.0, 1000.0),
    ("1E-2", 0.01, 0.01),
    ("1e+3", 1000.0, 1000.0),
    ("-3", -3.0, -3.0),
    ("+5", 5.0, 5.0),
    ("4.", 4.0, 4.0),
    (".5", 0.5, 0.5),
    ("-.5", -0.5, -0.5),
    ("007", 7.0, 7.0),
    ("1e-400", 0.0, 0.0),  # underflow is zero, a number
    ("", None, None),
    (" ", None, None),
    (None, None, None),
    ("abc", None, None),
    ("\u22123", None, None),  # a typographic minus sign is not a sign
    ("+-1", None, None),
    ("++1", None, None),
    (".", None, None),
    ("-", None, None),
    ("e3", None, None),
    ("1e", None, None),
    ("1_000", None, None),
    ("1,000", None, 1.0),
    ("1.000,5", None, None),
    ("1 000", None, None),
    ("4,5e1", None, 45.0),
    (",5", None, 0.5),
    ("5,", None, 5.0),
    ("nan", None, None),
    ("inf", None, None),
    ("-Infinity", None, None),
    ("1e400", None, None),  # overflow is infinity: not a number
    ("0x10", None, None),
    ("\u0663", None, None),  # ARABIC-INDIC DIGIT THREE
    ("\uff11", None, None),  # FULLWIDTH DIGIT ONE
    ("\u00a07\u2009", 7.0, 7.0),  # no-break and thin spaces are spaces
    ("\t\u00a07", None, None),  # … but only outside the blanks: a tab first keeps them in
    ("\u00a0\t7", 7.0, 7.0),
    ("\u200b7", None, None),  # a zero-width space is not a space
    ("5%", None, None),
    ('"5"', None, None),
    ("1.2.3", None, None),
]


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


def sql_number(con: duckdb.DuckDBPyConnection, cell: str | None, decimal: str) -> float | None:
    row = con.execute(f"SELECT {number_sql('v', decimal)} FROM (SELECT ?::VARCHAR AS v)", [cell]).fetchone()
    assert row is not None
    return None if row[0] is None else float(row[0])


@pytest.mark.parametrize(("cell", "point", "comma"), CELLS)
def test_parse_number_reads_each_cell(cell: str | None, point: float | None, comma: float | None) -> None:
    assert parse_number(cell) == point
    assert parse_number(cell, ",") == comma
    assert ingest.parse_number(cell) == point  # the public name


@pytest.mark.parametrize(("cell", "point", "comma"), CELLS)
def test_number_sql_reads_each_cell_as_parse_number_does(db: duckdb.DuckDBPyConnection, cell: str | None,
                                                         point: float | None, comma: float | None) -> None:
    assert sql_number(db, cell, ".") == point
    assert sql_number(db, cell, ",") == comma


def test_the_spaces_python_removes_are_the_ones_duckdb_trims(db: duckdb.DuckDBPyConnection) -> None:
    zs = "".join(c for c in map(chr, range(0x110000)) if unicodedata.category(c) == "Zs")
    assert zs == UNICODE_SPACES
    probe = [*UNICODE_SPACES, "\t", "\n", "\u200b", "\ufeff", "\u2028", "\u180e", "\u0085"]
    padded = [c + "7" + c for c in probe]
    trimmed = db.execute("SELECT list_transform(?::VARCHAR[], lambda x: trim(x))", [padded]).fetchone()
    assert trimmed is not None
    assert [c for c, t in zip(probe, trimmed[0], strict=True) if t == "7"] == list(UNICODE_SPACES)


NUMBERISH = st.text(alphabet=st.sampled_from(list("0123456789+-.,eE _ainfNAx\t\v\f\r\n") + ["\u0663", "\u2212",
                                                                                          "\u00a0"]), max_size=8)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(NUMBERISH, min_size=1, max_size=20), decimal=st.sampled_from([".", ","]))
def test_sql_number_rule_matches_parse_number(values: list[str], decimal: str) -> None:
    con = duckdb.connect()
    rows = con.execute(f"SELECT i, {number_sql('v', decimal)} FROM "
                       "(SELECT unnest(range(len(?::VARCHAR[]))) AS i, unnest(?::VARCHAR[]) AS v)",
                       [values, values]).fetchall()
    got = [x for _, x in sorted(rows)]
    assert got == [parse_number(v, decimal) for v in values]


# Cells a CSV file can carry as written (quoted), for an import end to end.
FILE_CELLS = [cell for cell, _, _ in CELLS if cell is not None]


def write_cells(tmp_path: Path) -> Path:
    path = tmp_path / "numbers.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(["id", "score"])
        writer.writerows([str(i), cell] for i, cell in enumerate(FILE_CELLS, start=1))
    return path


def test_the_profile_counts_numbers_by_the_rule(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    staged = ingest.stage(con, write_cells(tmp_path))
    try:
        assert ingest.preview(con, staged, len(FILE_CELLS))["score"].tolist() == [c or None for c in FILE_CELLS]
        score = next(p for p in ingest.profile(con, staged) if p.name == "score")
    finally:
        ingest.discard(con, staged)
    numbers = [x for x in map(parse_number, FILE_CELLS) if x is not None]
    assert score.numbers == len(numbers)
    assert (score.lo, score.hi) == (min(numbers), max(numbers))
    assert score.whole == sum(1 for x in numbers if x == round(x))
    assert score.comma_numbers == sum(1 for c in FILE_CELLS if re.fullmatch(DECIMAL_COMMA_PATTERN, c.strip(" ")))


@pytest.mark.parametrize("decimal", [".", ","])
def test_the_checks_load_and_reject_by_the_rule(tmp_path: Path, con: duckdb.DuckDBPyConnection,
                                                decimal: str) -> None:
    m = mapping.from_dict({"format": "wide", "respondent": "id", "touchpoints": ["score"], "scale": [-10000, 10000],
                           "decimal": decimal})
    staged = ingest.stage(con, write_cells(tmp_path))
    try:
        report = ingest.check(con, staged, m)
        rejected = set(ingest.rejected_rows(con, staged, m)["row"].tolist())
        ingest.load(con, staged, m, "Numbers", report=report)
    finally:
        ingest.discard(con, staged)
    # A blank cell is no answer (the row is valid); every other cell is a score or a rejected row.
    expected = {i: parse_number(cell, decimal) for i, cell in enumerate(FILE_CELLS, start=1) if cell.strip(" ")}
    assert rejected == {i for i, x in expected.items() if x is None}
    loaded = dict(con.execute("SELECT respondent::INTEGER, score FROM responses WHERE dataset = 'Numbers'").fetchall())
    assert loaded == {i: x for i, x in expected.items() if x is not None}
    assert report.rows_read == len(FILE_CELLS) == report.rows_valid + report.rows_rejected
