"""Wide files: a file of hundreds of columns profiles, checks and imports like a long one (one pass per file, not
one per column), and a file past the column limit is refused before any row is read, with the count, the limit
and the fix — by the library, the command line and the Upload page."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from cx import ingest, store
from cx.__main__ import main
from cx.errors import FileTooLarge

SCORES = 499  # q1 … q499 beside the respondent id: 500 columns
ROWS = 12


def score(i: int, j: int) -> int:
    """The answer of respondent i (1…12) to q j (1…499): 1…5."""
    return (i + j) % 5 + 1


def cell(i: int, j: int) -> str:
    """Row 3 answers q7 'N/A' (not applicable), row 5 answers q250 'x' (not a number: the row is rejected), row 8
    leaves q3 and q4 blank; every other cell is `score(i, j)`."""
    special = {(3, 7): "N/A", (5, 250): "x", (8, 3): "", (8, 4): ""}
    return special.get((i, j), str(score(i, j)))


def wide_file(tmp_path: Path) -> Path:
    lines = [",".join(["respondent_id", *(f"q{j}" for j in range(1, SCORES + 1))])]
    lines += [",".join([f"R{i:02d}", *(cell(i, j) for j in range(1, SCORES + 1))]) for i in range(1, ROWS + 1)]
    path = tmp_path / "wide500.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def too_wide(tmp_path: Path, columns: int) -> Path:
    path = tmp_path / f"wide{columns}.csv"
    header = ",".join(["respondent_id", *(f"q{j}" for j in range(1, columns))])
    path.write_text(header + "\n" + ",".join(["R1", *(["3"] * (columns - 1))]) + "\n", encoding="utf-8")
    return path


def refusal(columns: int) -> str:
    return (f"wide{columns}.csv has {columns:,} columns, over the 2,000 columns cx reads from one file: keep only "
            "the columns you need (the respondent id, the ratings, the outcomes and segments you will use) and "
            "import that file, or export the answers in long format (one row per answer: respondent, touchpoint, "
            "score), which has no column limit.")


def test_a_500_column_file_profiles_checks_and_imports_every_answer(tmp_path: Path) -> None:
    con = store.connect(":memory:")
    staged = ingest.stage(con, wide_file(tmp_path))
    assert len(staged.columns) == 500 and staged.rows_read == ROWS
    profiles = ingest.profile(con, staged)
    assert len(profiles) == 500 and ingest.profile_rows(staged) == 8_000  # 4,000,000 cells / 500 columns
    q7 = next(p for p in profiles if p.name == "q7")
    assert (q7.filled, q7.numbers, q7.lo, q7.hi, q7.na_tokens) == (12, 11, 1.0, 5.0, ("n/a",))
    proposal = ingest.propose(con, staged, profiles)
    m = proposal.mapping
    assert m.format == "wide" and m.respondent == "respondent_id"
    assert [t.column for t in m.touchpoints] == [f"q{j}" for j in range(1, SCORES + 1)]
    assert m.scale == (1.0, 5.0)

    report = ingest.check(con, staged, m)
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (12, 11, 1)
    # 11 loaded rows × 499 cells, less the two blank ones; the N/A is an answer without a score
    assert (report.answers, report.not_applicable, report.blank) == (11 * 499 - 2, 1, 2)
    [problem] = report.problems
    assert (problem.kind, problem.column, problem.rows, problem.first_rows, problem.examples) == (
        "not a number", "q250", 1, (5,), ("x",))
    rejected = ingest.rejected_rows(con, staged, m)
    assert rejected["row"].tolist() == [5] and rejected["reason"].tolist() == ["q250: not a number"]

    result = ingest.load(con, staged, m, "Wide 500", report=report)
    assert (result.rows_loaded, result.rows_rejected, result.answers) == (11, 1, 11 * 499 - 2)
    n, scored, respondents, touchpoints = con.execute(
        "SELECT count(*), count(score), count(DISTINCT respondent), count(DISTINCT touchpoint) FROM responses "
        "WHERE dataset = 'Wide 500'").fetchall()[0]
    assert (n, scored, respondents, touchpoints) == (11 * 499 - 2, 11 * 499 - 3, 11, 499)
    loaded = [i for i in range(1, ROWS + 1) if i != 5]
    for j in (1, 3, 7, 250, 499):
        got = con.execute("SELECT count(*), count(score), sum(score) FROM responses WHERE dataset = 'Wide 500' "
                          "AND touchpoint = ?", [f"q{j}"]).fetchall()[0]
        cells = [cell(i, j) for i in loaded]
        values = [float(c) for c in cells if c not in ("", "N/A")]
        assert got == (sum(1 for c in cells if c), len(values), sum(values)), j
    assert con.execute("SELECT score FROM responses WHERE respondent = 'R03' AND touchpoint = 'q7'").fetchall() == [
        (None,)]
    journey = ingest.create_journey(con, "Wide 500")
    steps = store.load_journey(con, journey).steps if journey else ()
    assert [s.touchpoint for s in steps] == [f"q{j}" for j in range(1, SCORES + 1)]  # file order


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    con = duckdb.connect()
    staged = ingest.stage(con, too_wide(tmp_path, ingest.MAX_COLUMNS))
    assert len(staged.columns) == 2_000 and staged.rows_read == 1
    ingest.discard(con, staged)


def test_a_file_past_the_column_limit_is_refused_before_any_row_is_read(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(FileTooLarge) as caught:
        ingest.stage(con, too_wide(tmp_path, 2_001))
    assert str(caught.value) == refusal(2_001)
    # nothing was staged
    assert not [r for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
                if r[0].startswith(ingest.STAGE_PREFIX)]


def test_the_command_line_refuses_a_5000_column_file_in_one_line(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = too_wide(tmp_path, 5_000)
    assert main(["guess", str(path)]) == 2
    assert capsys.readouterr().err == f"cx guess: {refusal(5_000)}\n"
    mapping = tmp_path / "m.json"
    mapping.write_text('{"format": "wide", "respondent": "respondent_id", "touchpoints": ["q1"], "scale": [1, 5]}')
    db = tmp_path / "cx.duckdb"
    assert main(["ingest", str(path), "--mapping", str(mapping), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert f"cx ingest: {refusal(5_000)}" in err


def test_the_upload_page_refuses_a_5000_column_file_with_the_message(upload_page: AppTest) -> None:
    at = upload_page
    header = ",".join(["respondent_id", *(f"q{j}" for j in range(1, 5_000))])
    data = (header + "\n" + ",".join(["R1", *(["3"] * 4_999)]) + "\n").encode()
    at.file_uploader(key="upload_file").upload("wide5000.csv", data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in at.error]  # the message is shown as text (escaped Markdown)
    assert shown == [f"Could not read wide5000.csv: {refusal(5_000)}"]
    assert not at.metric  # no check ran
