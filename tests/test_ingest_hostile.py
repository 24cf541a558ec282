"""The hostile-file corpus: every file gets exactly the outcome its manifest entry states.

Files and manifest: tests/fixtures/hostile/ (regenerate with make_hostile.py). Each case is either
an error whose message names the problem and the fix, or exact row accounting (rows read = loaded +
rejected), the problems by kind and column, and values as stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx import ingest, mapping, store
from cx.errors import CxError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
CASES: list[dict[str, Any]] = json.loads((HOSTILE / "manifest.json").read_text(encoding="utf-8"))


def test_the_corpus_has_at_least_30_hostile_files() -> None:
    files = {c["file"] for c in CASES}
    assert len(files) >= 30
    assert all((HOSTILE / f).exists() for f in files)


def _import(con: duckdb.DuckDBPyConnection, case: dict[str, Any], tmp_path: Path) -> tuple[Any, Any, Path | None]:
    path = HOSTILE / case["file"]
    m = mapping.from_dict(case["mapping"])
    if "max_bytes" in case:
        ingest.sniff(path, max_bytes=case["max_bytes"])
    return ingest.ingest_file(con, path, m, name="t", rejects=tmp_path / "rejected.csv")


def _stored(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return [r[0] for r in con.execute(sql).fetchall()]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_hostile_file(con: duckdb.DuckDBPyConnection, case: dict[str, Any], tmp_path: Path) -> None:
    if "detected" in case:
        fmt = ingest.sniff(HOSTILE / case["file"])
        for key, want in case["detected"].items():
            got = fmt.columns[0] if key == "first_column" else getattr(fmt, key)
            got = list(got) if isinstance(got, tuple) else got
            assert got == want, f"{key}: {got!r} != {want!r}"
    before = store.table_counts(con)
    if "error" in case and "rows_read" not in case:
        with pytest.raises(CxError, match=case["error"]) as info:
            _import(con, case, tmp_path)
        assert "\n" not in str(info.value).strip() or "Traceback" not in str(info.value)
        assert store.table_counts(con) == before, "a failed import must leave the database as it was"
        return
    result, report, rejects = _import(con, case, tmp_path)
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (
        case["rows_read"], case["rows_loaded"], case["rows_rejected"])
    assert report.rows_read == report.rows_valid + report.rows_rejected
    problems = {f"{p.kind}|{p.column or ''}": p.rows for p in report.problems}
    assert problems == case["problems"]
    assert {f"{p.kind}|{p.column}": p.rows for p in report.emptied} == case.get("emptied", {})
    for p in report.problems:  # every problem names where it is and what to do
        assert p.first_rows and p.fix
    if "error" in case:
        assert result is None
        assert case["error"] in ingest.nothing_loaded_message(case["file"], report)
        assert store.table_counts(con) == before
        return
    assert result is not None and result.rows_loaded == case["rows_loaded"]
    if case["rows_rejected"]:
        assert rejects is not None
        text = rejects.read_text(encoding="utf-8")
        assert "reason" in text.splitlines()[3]
        for needle in case.get("rejects_contains", []):
            assert needle in text
    else:
        assert rejects is None
    counts = _stored(con, "SELECT rows_read || '/' || rows_loaded || '/' || rows_rejected FROM datasets")
    assert counts == [f"{case['rows_read']}/{case['rows_loaded']}/{case['rows_rejected']}"]
    if "answers" in case:
        assert result.answers == case["answers"] == _stored(con, "SELECT count(*) FROM responses")[0]
    if "not_applicable" in case:
        assert report.not_applicable == case["not_applicable"]
        assert _stored(con, "SELECT count(*) FROM responses WHERE score IS NULL")[0] == \
            case["not_applicable"] + case.get("blank_scores", 0)
    if "comments" in case:
        assert _stored(con, "SELECT DISTINCT comment FROM responses WHERE comment IS NOT NULL ORDER BY min(rowid) "
                            "OVER (PARTITION BY comment)") == case["comments"]
    if "comment_lengths" in case:
        assert _stored(con, "SELECT DISTINCT length(comment) FROM responses") == case["comment_lengths"]
    if "segments" in case:
        assert _stored(con, "SELECT value FROM segments ORDER BY respondent") == case["segments"]
    if "scores" in case:
        assert _stored(con, "SELECT score FROM responses ORDER BY rowid") == case["scores"]
    if "outcomes" in case:
        assert _stored(con, "SELECT value FROM outcomes ORDER BY respondent") == case["outcomes"]
    if "units" in case:
        assert _stored(con, "SELECT unit FROM responses ORDER BY rowid") == case["units"]
    if "respondents" in case:
        assert _stored(con, "SELECT DISTINCT respondent FROM responses ORDER BY respondent") == case["respondents"]
    for needle in case.get("notes_contain", []):  # what the import changed is said, never done silently
        assert any(needle in note for note in report.notes), (needle, report.notes)
    if "touchpoints" in case:
        assert _stored(con, "SELECT touchpoint FROM responses ORDER BY rowid") == case["touchpoints"]
        assert store.table_counts(con)["responses"] == len(case["touchpoints"])  # the SQL-looking name did nothing


NAME_CASES = [c for c in CASES if c["file"] in ("control_names.csv", "lookalike_wide.csv")]


@pytest.mark.parametrize("case", NAME_CASES, ids=[c["case"] for c in NAME_CASES])
def test_names_are_cleaned_alike_when_a_column_has_too_many_distinct_cells_to_survey(
    con: duckdb.DuckDBPyConnection, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past MAX_SURVEYED distinct cells, SQL cleans every cell and counts the changes: the same outcome, except
    # that so many touchpoints of a long file are not compared for look-alikes.
    from cx.ingest import checks

    monkeypatch.setattr(checks, "MAX_SURVEYED", 0)
    if case["mapping"]["format"] == "long":
        case = {**case, "notes_contain": [n for n in case["notes_contain"] if "look alike" not in n]}
    test_hostile_file(con, case, tmp_path)
