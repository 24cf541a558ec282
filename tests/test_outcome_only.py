"""Outcome-only data sets: a mapping with "touchpoints": [] and an outcome imports outcomes and segments, no answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx import ingest, mapping, store
from cx.__main__ import main
from cx.errors import MappingError
from tests import lookalikes

ROOT = Path(__file__).resolve().parent.parent
CHURN = {"format": "wide", "respondent": "customerID", "touchpoints": [], "segments": ["Contract", "SeniorCitizen"],
         "outcomes": [{"column": "Churn", "kind": "binary", "positive": "Yes", "negative": "No", "role": "churn"},
                      {"column": "MonthlyCharges", "kind": "value", "role": "revenue"}]}


def churn_file(tmp_path: Path) -> Path:
    path = tmp_path / "churn.csv"
    path.write_text(lookalikes.telecom_churn(), encoding="utf-8")
    return path


def test_touchpoints_may_be_empty_when_there_is_an_outcome() -> None:
    m = mapping.from_dict(CHURN)
    assert m.touchpoints == () and len(m.outcomes) == 2
    assert m.to_dict()["touchpoints"] == []
    assert mapping.from_dict(m.to_dict()) == m


def test_no_touchpoint_and_no_outcome_is_an_error_that_names_both_ways() -> None:
    with pytest.raises(MappingError, match=r"at least one touchpoint column .* outcome-only data set"):
        mapping.from_dict({"format": "wide", "respondent": "customerID", "touchpoints": []})


def test_the_guess_for_a_churn_file_imports_as_it_stands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = churn_file(tmp_path)
    assert main(["guess", str(path), "--json"]) == 0
    (tmp_path / "churn.mapping.json").write_text(capsys.readouterr().out, encoding="utf-8")
    db = tmp_path / "cx.duckdb"
    assert main(["ingest", str(path), "--mapping", str(tmp_path / "churn.mapping.json"), "--db", str(db),
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    counts = (printed["rows_read"], printed["rows_loaded"], printed["rows_rejected"], printed["answers"])
    assert counts == (60, 60, 0, 0)
    con = store.connect(db)
    listed = store.datasets(con).iloc[0]
    assert (listed["answers"], listed["respondents"]) == (0, 60)
    churn = con.execute("SELECT outcome, role, count(*), sum(value) FROM outcomes GROUP BY ALL ORDER BY 1").fetchall()
    assert churn[0] == ("Churn", "churn", 60, 15.0)
    assert con.execute("SELECT count(DISTINCT name) FROM segments").fetchall()[0][0] == 9
    con.close()


def test_churn_by_segment_with_intervals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = store.connect(tmp_path / "cx.duckdb")
    result, report, _ = ingest.ingest_file(con, churn_file(tmp_path), mapping.from_dict(CHURN), name="Churn")
    assert result is not None and (report.rows_valid, report.answers) == (60, 0)
    churned = dict(con.execute("SELECT s.value, avg(o.value) FROM outcomes o JOIN segments s USING (dataset, "
                               "respondent) WHERE s.name = 'Contract' AND o.outcome = 'Churn' GROUP BY 1").fetchall())
    con.close()
    assert main(["metrics", "--dataset", "Churn", "--by", "Contract", "--metric", "churn_rate", "--json",
                 "--db", str(tmp_path / "cx.duckdb")]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_contract = {r["Contract"]: r for r in rows if r["metric"] == "churn_rate"}
    assert set(by_contract) == set(churned)
    for contract, row in by_contract.items():
        assert row["value"] == pytest.approx(100 * churned[contract])
        assert row["low"] <= row["value"] <= row["high"]
    assert sum(r["n"] for r in by_contract.values()) == 60


@pytest.fixture
def upload(upload_page: AppTest) -> AppTest:
    return upload_page


def test_the_upload_page_imports_a_churn_file_as_outcome_only(upload: AppTest) -> None:
    upload.file_uploader(key="upload_file").upload("churn.csv", lookalikes.telecom_churn().encode(), "text/csv").run()
    assert not upload.exception
    assert any("outcome-only data set" in i.value for i in upload.info)
    assert upload.multiselect[0].value == []  # no touchpoint column proposed
    assert not [c for c in upload.checkbox if c.label.startswith("Also create a journey")]
    next(b for b in upload.button if b.label.startswith("Import 60 rows")).click().run()
    assert not upload.exception
    assert "Imported data set 'churn': 60 of 60 rows loaded (0 answers), 0 rejected." in [s.value for s in
                                                                                         upload.success]
