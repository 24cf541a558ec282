"""Names are single-line: one cleaning rule (cx.names) in Python and in DuckDB SQL, look-alike warnings,
and CSV exports whose every line is neutralised (the notes too)."""

from __future__ import annotations

import csv
import io

import duckdb
import pandas as pd
import pytest

from cx import exports, names

CASES: list[tuple[str, str]] = [
    ("Checkout", "Checkout"),
    ("  Checkout\t", "Checkout"),  # a trailing tab broke the link to a journey step
    ("Check\nout", "Check out"),
    ("Check\r\nout", "Check out"),
    ("a\x00b", "a b"),
    ("a\x1bb\x7fc\x85d", "a b c d"),  # C0, DEL, C1 (NEL)
    ("a\u2028b\u2029c", "a b c"),
    ("Seat\u00a0comfort", "Seat comfort"),
    ("Seat   comfort", "Seat comfort"),
    ("Check\u200bout", "Checkout"),  # zero-width space
    ("\ufeffCheckout", "Checkout"),  # byte-order mark
    ("Check\u2060out\u00ad", "Checkout"),  # word joiner, soft hyphen
    ("\u202eCheckout", "Checkout"),  # right-to-left override
    ("Caf\u0065\u0301", "Café"),  # NFD to NFC
    ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # zero-width joiners of an emoji sequence stay
    ("می\u200cخواهم", "می\u200cخواهم"),  # a Persian non-joiner stays
    ("Сheckout", "Сheckout"),  # a Cyrillic С is a different letter: kept, and warned about
    ("\t\n ", ""),
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_clean_name(raw: str, clean: str) -> None:
    assert names.clean_name(raw) == clean


def test_python_and_sql_clean_alike() -> None:
    con = duckdb.connect()
    try:
        raws = [raw for raw, _ in CASES] + [None]
        got = con.execute(f"SELECT {names.clean_name_sql('x')} FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(x, i) "
                          "ORDER BY i", [raws]).fetchall()
    finally:
        con.close()
    assert [g[0] for g in got] == [clean or None for _, clean in CASES] + [None]


def test_lookalikes_are_grouped() -> None:
    found = names.lookalikes(["Checkout", "Сheckout", "Wifi", "Ｗｉｆｉ", "wifi", "Delivery", "Pay"])
    assert found == [("Checkout", "Сheckout"), ("Wifi", "wifi", "Ｗｉｆｉ")]
    notes = names.lookalike_notes(["Checkout", "Сheckout", "Саfé", "Delivery"])
    assert len(notes) == 2 and "'Checkout' and 'Сheckout' look alike" in notes[0]
    assert "'Саfé' mixes Latin letters with Cyrillic" in notes[1]
    assert names.lookalike_notes(["Оплата", "Доставка", "Checkout"]) == []  # whole Cyrillic words are fine


def test_a_name_change_is_noted_unless_only_spaces_went() -> None:
    assert names.name_change_note("data set name", " Survey ", "Survey") is None
    note = names.name_change_note("data set name", "Survey\nMarch", "Survey March")
    assert note is not None and "'Survey March'" in note


def test_every_csv_line_is_neutralised_the_notes_too() -> None:
    frame = pd.DataFrame({"touchpoint": ["a\n=HYPERLINK(\"http://evil\")", "=1+1", "+1", "-2", "@x", "\tx", "ok"]})
    data = exports.safe_csv(frame, notes=["Data set: x\n=HYPERLINK(\"http://evil\",\"y\")", "Filter: a\r+1"])
    text = data.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Data set: x =HYPERLINK(\"http://evil\",\"y\")"
    assert lines[1] == "# Filter: a +1"
    cells = [row[0] for row in csv.reader(io.StringIO("\n".join(text.split("\n")[2:])))]
    assert cells[0] == "touchpoint"
    for cell in cells[1:]:
        assert not cell.startswith(exports.FORMULA_STARTS), cell
    # No line of the file starts a formula, even inside a quoted multi-line cell.
    assert not [line for line in lines if line.startswith(("=", "+", "-", "@"))]
