"""Import: sniffing, the mapping JSON, checks, atomic loads, the CLI — and properties (hypothesis)
of the parser and of the row accounting (rows read = loaded + rejected, always)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx import guesses, ingest, mapping, store
from cx.__main__ import main
from cx.errors import CxError, DiskFull
from cx.ingest import loading, sniffing

ROOT = Path(__file__).resolve().parent.parent
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Properties that run a whole import per example: fewer examples keep the suite fast.
IMPORTS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WIDE = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Online boarding"], "scale": [0, 5],
        "not_applicable": [0], "segments": ["Class"],
        "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}}
AIRLINE = """id,Class,Seat comfort,Online boarding,satisfaction
1,Business,5,4,satisfied
2,Eco,2,0,neutral or dissatisfied
3,Eco,3,1,neutral or dissatisfied
4,Business,4,5,satisfied
"""


def write(tmp_path: Path, text: str, name: str = "survey.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- the mapping JSON


def test_the_issue_example_mapping_round_trips() -> None:
    m = mapping.from_dict(WIDE)
    assert m.touchpoint_names() == ["Seat comfort", "Online boarding"]
    assert m.outcomes[0].positive == ("satisfied",) and m.outcomes[0].bounds == (0.0, 1.0)
    again = mapping.from_dict(m.to_dict())
    assert again.to_dict() == m.to_dict()
    assert {k: m.to_dict()[k] for k in WIDE} == WIDE


@pytest.mark.parametrize(("data", "message"), [
    ([], "is a JSON object"),
    ({"format": "tall"}, "must be \"wide\" or \"long\""),
    ({"format": "wide", "touchpoints": []}, "at least one touchpoint"),
    ({"format": "wide", "touchpoints": ["a"]}, "has no scale"),
    ({"format": "long", "touchpoint": "t", "score": "s"}, "needs a scale"),
    ({"format": "wide", "touchpoints": ["a"], "scale": [5, 1]}, "top above its bottom"),
    ({"format": "wide", "touchpoints": ["a"], "scale": [1, 5], "outcome": {"column": "o", "kind": "binary"}},
     "needs its 'positive' value"),
    ({"format": "wide", "touchpoints": ["a"], "scale": [1, 5], "outcome": {"column": "o", "kind": "stars"}},
     "kind must be one of"),
    ({"format": "wide", "touchpoints": ["a"], "scale": [1, 5], "colour": "red"}, "unknown keys"),
    ({"format": "wide", "touchpoints": ["a"], "scale": "1-5"}, "pair of numbers"),
    ({"format": "wide", "respondent": "a", "touchpoints": ["a"], "scale": [1, 5]}, "give it one role"),
])
def test_bad_mappings_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(mapping.MappingError, match=re.escape(message)):
        mapping.from_dict(data)


def test_invalid_json_mapping_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "{not json", "m.json")
    with pytest.raises(mapping.MappingError, match="not valid JSON"):
        ingest.read_mapping_file(bad)


def test_not_applicable_codes_from_text() -> None:
    assert mapping.codes_from_text("0; N/A, 99") == (0.0, "N/A", 99.0)
    assert mapping.codes_to_text((0.0, "N/A")) == "0; N/A"


# ---------------------------------------------------------------------- sniffing


def test_sniff_reports_what_the_preview_shows(tmp_path: Path) -> None:
    fmt = ingest.sniff(write(tmp_path, AIRLINE.replace(",", ";")))
    assert (fmt.delimiter, fmt.header, fmt.skip_rows, fmt.line_endings) == (";", True, 0, "LF")
    assert fmt.columns == ("id", "Class", "Seat comfort", "Online boarding", "satisfaction")
    assert dict(fmt.facts())["Delimiter"] == "semicolon ( ; )"


@pytest.mark.parametrize(("raw", "codec", "label"), [
    (b"a,b\n1,2\n", "utf-8", "UTF-8 (plain ASCII)"),
    ("a,b\n1,é\n".encode(), "utf-8", "UTF-8"),
    (b"\xef\xbb\xbfa,b\n", "utf-8-sig", "UTF-8 with BOM"),
    ("a,b\n1,é\n".encode("utf-16"), "utf-16", "UTF-16 LE"),
    ("a,b\n1,é\n".encode("utf-16-le"), "utf-16-le", "UTF-16 LE (no BOM)"),
    ("a,b\n1,é\n".encode("latin-1"), "latin-1", "Latin-1 (ISO-8859-1)"),
    ("a,b\n1,€ “q”\n".encode("cp1252"), "cp1252", "Windows-1252"),
])
def test_detect_encoding(raw: bytes, codec: str, label: str) -> None:
    assert ingest.detect_encoding(raw) == (codec, label)


def test_a_non_utf8_byte_past_the_sample_is_read_as_windows_1252(tmp_path: Path, con: duckdb.DuckDBPyConnection,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniffing, "SAMPLE_BYTES", 40)  # the sample sees only clean UTF-8 rows
    path = tmp_path / "late.csv"
    path.write_bytes(b"id,Class,Seat comfort,Online boarding,satisfaction\n1,Eco,4,4,satisfied\n"
                     + "2,Caf\u00e9,3,3,satisfied\n".encode("cp1252"))
    staged = ingest.stage(con, path)
    assert ingest.preview(con, staged)["Class"].tolist() == ["Eco", "Café"]
    assert any("Windows-1252" in note for note in staged.notes)
    ingest.discard(con, staged)


def test_staging_leaves_the_store_untouched_and_discard_detaches(tmp_path: Path,
                                                                 con: duckdb.DuckDBPyConnection) -> None:
    before = store.table_counts(con)
    staged = ingest.stage(con, write(tmp_path, AIRLINE))
    assert staged.rows_read == 4 and store.table_counts(con) == before
    ingest.discard(con, staged)
    names = [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()]
    assert staged.alias not in names and not staged.workdir.exists()  # type: ignore[union-attr]


# ---------------------------------------------------------------------- guesses


def test_guesses_for_an_airline_style_wide_file(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    staged = ingest.stage(con, write(tmp_path, AIRLINE))
    guess = guesses.guess_mapping(ingest.profile(con, staged))
    assert guess.format == "wide" and guess.respondent == "id"
    assert [t.column for t in guess.touchpoints] == ["Seat comfort", "Online boarding"]
    assert guess.segments == ("Class",)
    outcome = guess.outcomes[0]
    assert (outcome.column, outcome.kind, outcome.positive) == ("satisfaction", "binary", ("satisfied",))
    # 0 beside 1–5 answers reads as "not rated"
    assert guess.wide_rule(guess.touchpoints[1]).scale == (1.0, 5.0)
    assert guess.wide_rule(guess.touchpoints[1]).not_applicable == (0.0,)
    ingest.discard(con, staged)


def test_guesses_for_the_shipped_long_sample(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    text = ("respondent,touchpoint,score,scale_min,scale_max,channel,answered_at,comment,persona,recommend\n"
            "R1,Checkout,6,1,7,web,2026-01-02 10:00:00,fine,Early adopter,9\n"
            "R1,Delivery,4,1,5,post,2026-01-03 10:00:00,,Early adopter,9\n"
            "R2,Checkout,3,1,7,web,2026-01-04 10:00:00,slow,Bargain hunter,4\n")
    staged = ingest.stage(con, write(tmp_path, text))
    guess = guesses.guess_mapping(ingest.profile(con, staged))
    assert (guess.format, guess.respondent, guess.touchpoint, guess.score) == (
        "long", "respondent", "touchpoint", "score")
    assert guess.scale_columns == ("scale_min", "scale_max")
    assert (guess.channel, guess.timestamp, guess.comment) == ("channel", "answered_at", "comment")
    assert guess.outcomes[0].kind == "nps" and guess.segments == ("persona",)
    ingest.discard(con, staged)


@pytest.mark.parametrize(("lo", "hi", "name", "scale", "codes"), [
    (1, 5, "Wifi", (1.0, 5.0), ()),
    (0, 5, "Wifi", (1.0, 5.0), (0.0,)),
    (1, 7, "Effort", (1.0, 7.0), ()),
    (0, 10, "Staff", (0.0, 10.0), ()),
    (2, 10, "Likelihood to recommend", (0.0, 10.0), ()),
    (3, 80, "Score", (0.0, 100.0), ()),
])
def test_guess_scale(lo: float, hi: float, name: str, scale: tuple[float, float], codes: tuple) -> None:
    p = guesses.ColumnProfile(name=name, rows=10, filled=10, numbers=10, comma_numbers=0, whole=10, lo=lo, hi=hi,
                              distinct=5, max_length=2, mean_length=1.0, dates=0)
    assert guesses.guess_scale(p) == (scale, codes)


# ---------------------------------------------------------------------- import: wide and long


def test_wide_import_stores_the_long_schema_exactly(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    result, report, rejects = ingest.ingest_file(con, write(tmp_path, AIRLINE), mapping.from_dict(WIDE), name="Air")
    assert result is not None and rejects is None
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.answers) == (4, 4, 0, 8)
    assert report.not_applicable == 1  # respondent 2's Online boarding 0 = not applicable, not rejected
    rows = con.execute("SELECT respondent, touchpoint, score, scale_min, scale_max FROM responses "
                       "WHERE respondent = '2' ORDER BY touchpoint").fetchall()
    assert rows == [("2", "Online boarding", None, 0.0, 5.0), ("2", "Seat comfort", 2.0, 0.0, 5.0)]
    assert con.execute("SELECT respondent, value FROM outcomes ORDER BY respondent").fetchall() == [
        ("1", 1.0), ("2", 0.0), ("3", 0.0), ("4", 1.0)]
    assert con.execute("SELECT DISTINCT kind, scale_min, scale_max FROM outcomes").fetchall() == [("binary", 0.0, 1.0)]
    assert con.execute("SELECT name, value FROM segments WHERE respondent = '1'").fetchall() == [("Class", "Business")]
    saved = json.loads(con.execute("SELECT mapping FROM datasets").fetchall()[0][0])
    assert {k: saved[k] for k in WIDE} == WIDE and saved["delimiter"] == ","


def test_touchpoints_cli_after_an_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, path = tmp_path / "cx.duckdb", write(tmp_path, AIRLINE)
    (tmp_path / "m.json").write_text(json.dumps(WIDE))
    fresh = store.connect(db)
    store.set_setting(fresh, "seeded_at", "test")  # no sample data: only the import is in this database
    fresh.close()
    code = main(["ingest", str(path), "--mapping", str(tmp_path / "m.json"), "--dataset", "Air", "--db", str(db),
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and {k: out[k] for k in ("dataset", "rows_read", "rows_loaded", "rows_rejected")} == {
        "dataset": "Air", "rows_read": 4, "rows_loaded": 4, "rows_rejected": 0}
    assert main(["touchpoints", "--dataset", "Air", "--db", str(db), "--json"]) == 0
    scores = {r["touchpoint"]: r for r in json.loads(capsys.readouterr().out)}
    # Seat comfort: (5+2+3+4)/4 = 3.5 on 0–5 = 7.0/10; Online boarding: 0 is n/a, (4+1+5)/3 = 3.33…
    assert scores["Seat comfort"]["mean"] == 3.5 and scores["Seat comfort"]["score"] == 7.0
    assert scores["Online boarding"]["n"] == 3
    assert math.isclose(scores["Online boarding"]["mean"], 10 / 3)
    assert scores["Online boarding"]["scale"] == [0.0, 5.0]


def test_long_import_with_per_touchpoint_scales(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    text = "who,what,val,unit\nA,Checkout,6,Leeds\nA,Call,9,Leeds\nB,Checkout,8,York\nB,Call,-,York\n"
    m = mapping.from_dict({"format": "long", "respondent": "who", "touchpoint": "what", "score": "val",
                           "scale": [0, 10], "not_applicable": ["-"], "unit": "unit",
                           "per_touchpoint": {"Checkout": {"scale": [1, 7], "reversed": True, "stage": "interaction"}}})
    result, report, _ = ingest.ingest_file(con, write(tmp_path, text), m, name="L")
    assert result is not None and (report.rows_valid, report.rows_rejected) == (3, 1)
    assert [(p.kind, p.first_rows, p.examples) for p in report.problems] == [("out of scale", (3,), ("8",))]
    rows = con.execute("SELECT respondent, touchpoint, score, scale_min, scale_max, reversed, stage, unit "
                       "FROM responses ORDER BY rowid").fetchall()
    assert rows == [("A", "Checkout", 6.0, 1.0, 7.0, True, "interaction", "Leeds"),
                    ("A", "Call", 9.0, 0.0, 10.0, False, None, "Leeds"),
                    ("B", "Call", None, 0.0, 10.0, False, None, "York")]


def test_operational_values_are_stored_per_touchpoint(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    text = "id,Delivery,delay_min\n1,4,10\n2,2,45\n3,5,\n"
    m = mapping.from_dict({"format": "wide", "respondent": "id", "touchpoints": ["Delivery"], "scale": [1, 5],
                           "operational": [{"column": "delay_min", "touchpoint": "Delivery"}]})
    ingest.ingest_file(con, write(tmp_path, text), m, name="Ops")
    rows = con.execute("SELECT respondent, touchpoint, name, value FROM operational ORDER BY respondent").fetchall()
    assert rows == [("1", "Delivery", "delay_min", 10.0), ("2", "Delivery", "delay_min", 45.0)]


@pytest.mark.parametrize(("message", "raised"), [
    ("read error (simulated)", duckdb.IOException),
    ("No space left on device (simulated)", DiskFull),  # told as the disk being full, not as a crash
])
def test_a_failed_import_leaves_the_database_as_it_was(tmp_path: Path, con: duckdb.DuckDBPyConnection,
                                                      monkeypatch: pytest.MonkeyPatch, message: str,
                                                      raised: type[Exception]) -> None:
    staged = ingest.stage(con, write(tmp_path, AIRLINE))
    m = mapping.from_dict(WIDE)
    before = store.table_counts(con)

    def boom(*args: object) -> None:
        raise duckdb.IOException(message)

    monkeypatch.setattr(loading, "_insert_outcomes", boom)  # fails after responses and segments were inserted
    with pytest.raises(raised):
        ingest.load(con, staged, m, "Half")
    assert store.table_counts(con) == before and not store.has_dataset(con, "Half")
    ingest.discard(con, staged)


def test_an_existing_name_is_refused_before_any_work(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = write(tmp_path, AIRLINE)
    ingest.ingest_file(con, path, mapping.from_dict(WIDE), name="Air")
    with pytest.raises(CxError, match="already exists"):
        ingest.ingest_file(con, path, mapping.from_dict(WIDE), name="Air")
    result, _, _ = ingest.ingest_file(con, path, mapping.from_dict(WIDE), name="Air", replace=True)
    assert result is not None and store.table_counts(con)["responses"] == 8


def test_create_journey_in_file_order(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    ingest.ingest_file(con, write(tmp_path, AIRLINE), mapping.from_dict(WIDE), name="Air")
    assert ingest.create_journey(con, "Air") == "Air"
    assert [s.touchpoint for s in store.load_journey(con, "Air").steps] == ["Seat comfort", "Online boarding"]
    assert ingest.create_journey(con, "Air") is None  # never overwrites
    assert ingest.unused_name(con, "Air") == "Air (2)"


# ---------------------------------------------------------------------- the command line


def test_cli_nothing_loaded_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id,Seat comfort,Online boarding,Class,satisfaction\n1,x,9,Eco,satisfied\n")
    (tmp_path / "m.json").write_text(json.dumps(WIDE))
    proc = subprocess.run([sys.executable, "-m", "cx", "ingest", str(path), "--mapping", str(tmp_path / "m.json"),
                           "--db", str(tmp_path / "cx.duckdb")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "Nothing could be loaded from survey.csv" in proc.stderr and "survey.rejected.csv" in proc.stderr
    rejected = (tmp_path / "survey.rejected.csv").read_text()
    assert "Seat comfort: not a number; Online boarding: out of scale" in rejected


def test_cli_missing_mapping_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", str(write(tmp_path, AIRLINE)), "--mapping", str(tmp_path / "nope.json"),
                 "--db", str(tmp_path / "cx.duckdb")])
    assert code == 2 and "Cannot read the mapping file" in capsys.readouterr().err


def test_cli_rejects_path_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, AIRLINE + "5,Eco,five,3,satisfied\n")
    (tmp_path / "m.json").write_text(json.dumps(WIDE))
    code = main(["ingest", str(path), "--mapping", str(tmp_path / "m.json"), "--db", str(tmp_path / "cx.duckdb"),
                 "--rejects", str(tmp_path / "out" / "bad.csv")])
    out = capsys.readouterr()
    assert code == 2 and "Cannot write the rejected rows" in out.err  # the folder does not exist
    code = main(["ingest", str(path), "--mapping", str(tmp_path / "m.json"), "--db", str(tmp_path / "cx.duckdb"),
                 "--rejects", str(tmp_path / "bad.csv")])
    out = capsys.readouterr()
    assert code == 0 and "Loaded 4 of 5 rows" in out.out
    assert "Rows read 5 = rows to load 4 + rows rejected 1." in out.out
    assert "five" in (tmp_path / "bad.csv").read_text()


# ---------------------------------------------------------------------- properties (hypothesis)


# The number rule's property (Python and SQL agree on any cell) is in test_ingest_numbers.py.


CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(
    [",", ";", '"', "\n", "\r", " ", "é", "€"]), max_size=12)


@IMPORTS
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=15),
       sep=st.sampled_from([",", ";", "\t", "|"]), eol=st.sampled_from(["\n", "\r\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_every_cell_comes_back_as_written(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], sep: str,
                                         eol: str, encoding: str) -> None:
    """Quoted delimiters, quotes, line breaks and any text survive sniffing and DuckDB's reader."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=sep, lineterminator=eol, quoting=csv.QUOTE_ALL)
    writer.writerow(["first", "second", "third"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("prop") / "file.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    con = duckdb.connect()
    fmt = ingest.sniff(path, delimiter=sep, header=True)
    staged = ingest.stage(con, path, fmt=fmt)
    assert staged.rows_read == len(rows) and staged.parse_rejected == 0
    frame = ingest.preview(con, staged, rows=len(rows))
    # Line breaks inside cells become \n when the file had to be rewritten (UTF-16, or CR line breaks seen).
    expect = [[(c.replace("\r\n", "\n").replace("\r", "\n") if fmt.needs_rewrite else c) or None for c in row]
              for row in rows]
    assert frame.values.tolist() == expect
    con.close()


@PROPERTY
@given(rows=st.lists(st.lists(st.sampled_from(["0", "1", "3", "5", "12", "Eco", "x y"]), min_size=3, max_size=3),
                     min_size=2, max_size=20))
def test_the_delimiter_is_detected_when_cells_hold_no_delimiter(tmp_path_factory: pytest.TempPathFactory,
                                                                rows: list[list[str]]) -> None:
    for sep in (",", ";", "\t", "|"):
        path = tmp_path_factory.mktemp("sep") / "f.csv"
        path.write_text("a" + sep + "b" + sep + "c\n" + "".join(sep.join(r) + "\n" for r in rows))
        fmt = ingest.sniff(path)
        assert (fmt.delimiter, fmt.columns, fmt.header) == (sep, ("a", "b", "c"), True)


SCORE = st.sampled_from(["1", "3", "5", " 4 ", "0", "N/A", "five", "9", "4,5", "", "2.5", "-1", "nan"])


@IMPORTS
@given(rows=st.lists(st.tuples(st.sampled_from(["r1", "r2", "r3", "r4", ""]), SCORE, SCORE,
                               st.sampled_from(["ok", "ragged", "empty"])), min_size=1, max_size=25))
def test_rows_read_always_equal_loaded_plus_rejected(tmp_path_factory: pytest.TempPathFactory,
                                                     rows: list[tuple[str, str, str, str]]) -> None:
    lines = [["id", "Seat comfort", "Wifi"]]
    expected_loaded, expected_answers, seen = 0, 0, set()
    for respondent, a, b, shape in rows:
        if shape == "ragged":
            lines.append([respondent, a, b, "extra"])
            continue
        if shape == "empty":
            lines.append(["", "", ""])
            continue
        lines.append([respondent, a, b])
        good = [v.strip() in ("", "0", "N/A") or (ingest.parse_number(v) is not None
                                                   and 1 <= ingest.parse_number(v) <= 5) for v in (a, b)]  # type: ignore
        if respondent and all(good) and respondent not in seen:
            seen.add(respondent)
            expected_loaded += 1
            expected_answers += sum(1 for v in (a, b) if v.strip())
    path = tmp_path_factory.mktemp("acc") / "f.csv"
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    path.write_text(buffer.getvalue())
    con = store.connect(":memory:")
    m = mapping.from_dict({"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Wifi"],
                           "scale": [1, 5], "not_applicable": [0, "N/A"]})
    result, report, _ = ingest.ingest_file(con, path, m, name="p", rejects=path.with_suffix(".rej.csv"))
    assert report.rows_read == len(rows)
    assert report.rows_valid + report.rows_rejected == report.rows_read
    assert report.rows_valid == expected_loaded
    assert sum(p.rows for p in report.problems) >= report.rows_rejected  # every rejected row has a reason
    if result is None:
        assert expected_loaded == 0 and store.table_counts(con)["responses"] == 0
    else:
        assert result.answers == expected_answers == store.table_counts(con)["responses"]
        stored = con.execute("SELECT rows_read, rows_loaded, rows_rejected FROM datasets").fetchall()[0]
        assert stored == (report.rows_read, report.rows_valid, report.rows_rejected)
    if report.rows_rejected:
        text = path.with_suffix(".rej.csv").read_text()
        assert len(list(csv.reader(io.StringIO(text.split("\n", 3)[3])))) - 1 >= report.rows_rejected
    con.close()


def test_uploads_are_saved_privately_under_a_safe_name_and_removed() -> None:
    path = ingest.save_upload(b"a,b\n1,2\n", "../../etc/pass wd;rm -rf.csv")
    assert path.name == "pass wd_rm -rf.csv" and path.parent.name.startswith("cx-upload-")
    assert path.read_bytes() == b"a,b\n1,2\n"
    ingest.remove_upload(path)
    assert not path.parent.exists()


def test_memory_limit_is_validated_and_applied(con: duckdb.DuckDBPyConnection) -> None:
    ingest.limit_memory(con, "512MB")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] in ("488.2 MiB", "512.0 MB")
    with pytest.raises(CxError, match="write a size such as 1GB"):
        ingest.limit_memory(con, "1GB'; DROP TABLE responses; --")


def test_a_rating_column_on_two_scales_gets_a_note(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    # As in a real review export: most overall ratings on 1–5 (the site's scale now), a few older ones up to 10.
    scores = [1, 2, 3, 4, 5] * 18 + [5, 5, 5, 5, 5] + [6, 8, 9, 10]  # 99 answers: 23 fives, 4 above five
    lines = ["id,Seat comfort,overall_rating"] + [f"{i},{1 + i % 5},{s}" for i, s in enumerate(scores)]
    staged = ingest.stage(con, write(tmp_path, "\n".join(lines) + "\n"))
    profiles = {p.name: p for p in ingest.profile(con, staged)}
    assert (profiles["overall_rating"].at_five, profiles["overall_rating"].above_five) == (23, 4)
    assert (profiles["Seat comfort"].at_five, profiles["Seat comfort"].above_five) == (19, 0)
    proposal = guesses.propose(list(profiles.values()))
    overall = next(o for o in proposal.mapping.outcomes if o.column == "overall_rating")
    assert overall.scale == (1.0, 10.0)  # proposed as found: the note says why that may be wrong
    notes = [n for n in proposal.notes if "two scales" in n]
    assert notes == [
        "'overall_rating': 95 of 99 answers read are at most 5 and only 4 are 6–10 — perhaps two scales in one "
        "column (a source that moved between 1–10 and 1–5?). It is proposed on 1–10 as found, so a 4 of 5 would "
        "read as a low score. If most answers were given on 1–5, split the file (by date, for instance) or set this "
        "column's scale to 1–5: the 6–10 answers are then left empty as out of scale, listed with their rows."]
    ingest.discard(con, staged)


@pytest.mark.parametrize(("numbers", "at_five", "above_five", "scale", "noted"), [
    (2_259, 369, 67, (1.0, 10.0), True),  # the review export this rule was written for
    (2_259, 369, 67, (0.0, 10.0), True),
    (2_259, 369, 67, (1.0, 5.0), False),  # already on 1–5: the 6–10 answers are out of scale, said elsewhere
    (2_259, 369, 0, (1.0, 10.0), False),  # nothing above 5
    (2_259, 369, 300, (1.0, 10.0), False),  # 13 % above 5: an unhappy population on 1–10, not two scales
    (2_259, 100, 67, (1.0, 10.0), False),  # no cliff after 5
    (40, 12, 2, (1.0, 10.0), False),  # too few answers to tell
    (2_259, 369, 67, None, False),
])
def test_two_scales_note_needs_a_cliff_after_five(numbers: int, at_five: int, above_five: int,
                                                  scale: tuple[float, float] | None, noted: bool) -> None:
    p = guesses.ColumnProfile(name="overall", rows=numbers, filled=numbers, numbers=numbers, comma_numbers=0,
                              whole=numbers, lo=1.0, hi=10.0, distinct=10, max_length=2, mean_length=1.0, dates=0,
                              at_five=at_five, above_five=above_five)
    assert (guesses.two_scales_note(p, scale) is not None) == noted
