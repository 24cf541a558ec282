"""The command line starts light: commands that compute no metric never import ibis (nor Streamlit).

Each command runs in its own Python process, as a user runs it, on a tiny database or file; the process
then reports which of the heavy packages were imported. A metrics command, which needs ibis, still works
(and shows that the probe would see ibis if it were imported).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cx import choices, engines, metrics, store

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("ibis", "streamlit")
WATCHED = (*HEAVY, "pandas", "duckdb")  # --help loads neither the store nor the data frames
# Runs `python -m cx ARGS…` in this process, then writes the exit code and the heavy packages imported.
PROBE = """
import json, runpy, sys
args, report = sys.argv[1:-1], sys.argv[-1]
sys.argv = ["cx", *args]
try:
    runpy.run_module("cx", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
with open(report, "w", encoding="utf-8") as out:
    json.dump({"code": code, "imported": [m for m in WATCHED if m in sys.modules]}, out)
""".replace("WATCHED", repr(WATCHED))

AIRLINE = """id,Class,Seat comfort,Online boarding,satisfaction
1,Business,5,4,satisfied
2,Eco,2,0,neutral or dissatisfied
3,Eco,3,1,neutral or dissatisfied
4,Business,4,5,satisfied
"""
MAPPING = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Online boarding"],
           "scale": [0, 5], "not_applicable": [0], "segments": ["Class"],
           "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}}


def run_probe(tmp_path: Path, *args: str, watch: tuple[str, ...] = HEAVY) -> tuple[int, list[str], str]:
    """Return (exit code, the `watch` packages it imported, stdout) of `python -m cx ARGS…` in a fresh process."""
    report = tmp_path / "probe.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args, str(report)], cwd=ROOT, capture_output=True,
                          text=True)
    assert report.exists(), proc.stderr
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["code"], [m for m in found["imported"] if m in watch], proc.stdout


@pytest.fixture
def db(seeded_db: Path, tmp_path: Path) -> Path:
    """Return a copy of the seeded database (the commands below write to it)."""
    copy = tmp_path / "cx.duckdb"
    shutil.copy(seeded_db, copy)
    return copy


@pytest.fixture
def survey_file(tmp_path: Path) -> tuple[Path, Path]:
    """Return a four-row survey CSV and its mapping JSON."""
    data = tmp_path / "airline.csv"
    data.write_text(AIRLINE, encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    return data, mapping


def test_ingest_and_guess_never_import_ibis(tmp_path: Path, survey_file: tuple[Path, Path]) -> None:
    data, mapping = survey_file
    code, imported, out = run_probe(tmp_path, "guess", str(data), "--json")
    assert (code, imported) == (0, [])
    assert json.loads(out)["format"] == "wide"
    fresh = tmp_path / "new.duckdb"
    code, imported, out = run_probe(tmp_path, "ingest", str(data), "--mapping", str(mapping), "--dataset", "Airline",
                                    "--db", str(fresh), "--json")
    assert (code, imported) == (0, [])
    assert json.loads(out)["rows_loaded"] == 4


def test_ingest_into_a_data_set_with_an_alert_rule_never_imports_ibis(tmp_path: Path, db: Path,
                                                                       survey_file: tuple[Path, Path]) -> None:
    data, mapping = survey_file
    fresh = str(db)  # seeded already: a first run's sample would need the metrics (its example action)
    common = ["--mapping", str(mapping), "--dataset", "Airline", "--db", fresh]
    assert run_probe(tmp_path, "ingest", str(data), *common)[:2] == (0, [])
    code, imported, _ = run_probe(tmp_path, "alerts", "add", "--dataset", "Airline", "--touchpoint", "Seat comfort",
                                  "--at-most", "2", "--db", fresh)
    assert (code, imported) == (0, [])
    code, imported, _ = run_probe(tmp_path, "ingest", str(data), *common, "--replace")
    assert (code, imported) == (0, [])
    code, imported, out = run_probe(tmp_path, "alerts", "list", "--db", fresh, "--json")
    assert (code, imported) == (0, [])
    fired = json.loads(out)  # the re-import's answers were checked: respondent 2 scored Seat comfort 2
    assert [(a["rule_id"], a["message"]) for a in fired] == [
        (1, "Seat comfort: 1 answer at or below 2 on 0–5 (the lowest 2)")]


def test_listing_and_journey_files_never_import_ibis(tmp_path: Path, db: Path) -> None:
    for command in ("journeys", "datasets", "workshops"):
        code, imported, out = run_probe(tmp_path, command, "--db", str(db), "--json")
        assert (command, code, imported) == (command, 0, [])
        json.loads(out)
    exported = tmp_path / "retail.json"  # linked to the sample data set: the import checks its touchpoints
    code, imported, _ = run_probe(tmp_path, "journey-export", "--journey", "Retail store journey", "--out",
                                  str(exported), "--db", str(db))
    assert (code, imported) == (0, [])
    code, imported, out = run_probe(tmp_path, "journey-import", str(exported), "--as", "Retail copy",
                                    "--drop-unknown", "--db", str(db), "--json")
    assert (code, imported) == (0, [])
    assert json.loads(out) == {"journey": "Retail copy", "dropped": []}


def test_survey_links_and_alerts_never_import_ibis(tmp_path: Path, db: Path) -> None:
    code, imported, out = run_probe(tmp_path, "survey-links", "--dataset", "Live checkout", "--touchpoint",
                                    "Checkout", "--count", "2", "--db", str(db), "--json")
    assert (code, imported) == (0, [])
    assert len(json.loads(out)["links"]) == 2
    code, imported, out = run_probe(tmp_path, "alerts", "add", "--dataset", "Retail sample", "--touchpoint",
                                    "Support call", "--below", "3", "--db", str(db), "--json")
    assert (code, imported) == (0, [])
    rule = json.loads(out)["rule_id"]
    for args in (("rules",), ("list",), ("delete", "--rule", str(rule))):
        code, imported, _ = run_probe(tmp_path, "alerts", *args, "--db", str(db), "--json")
        assert (args, code, imported) == (args, 0, [])


@pytest.mark.parametrize("command", [
    (), ("ingest",), ("guess",), ("metrics",), ("touchpoints",), ("drivers",), ("themes",), ("report",),
    ("alerts",), ("alerts", "add"), ("survey-links",),
])
def test_help_imports_neither_ibis_nor_the_store(tmp_path: Path, command: tuple[str, ...]) -> None:
    code, imported, out = run_probe(tmp_path, *command, "--help", watch=WATCHED)
    assert (code, imported) == (0, [])
    assert "usage: cx" in out


def test_a_metrics_command_still_imports_ibis_and_works(tmp_path: Path, db: Path) -> None:
    code, imported, out = run_probe(tmp_path, "metrics", "--dataset", "Retail sample", "--metric", "responses",
                                    "--db", str(db), "--json", watch=WATCHED)
    assert (code, imported) == (0, ["ibis", "pandas", "duckdb"])  # what the probe sees when they are loaded
    rows = json.loads(out)
    assert [r["metric"] for r in rows] == ["responses"] and rows[0]["value"] > 0


def test_the_command_line_s_choices_are_the_registry_s_and_the_engines() -> None:
    assert tuple(metrics.REGISTRY) == choices.METRICS
    assert (metrics.OUTCOME, metrics.RESPONSE_FILTER_COLUMNS) == (choices.OUTCOME, choices.RESPONSE_FILTER_COLUMNS)
    assert engines.ENGINES == choices.ENGINES == ("duckdb", "spark")


def test_the_journey_import_s_inventory_is_the_data_set_s_touchpoints(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        names = store.touchpoint_names(con, "Retail sample")  # what builder.inventory reads, without ibis
        assert names == metrics.filter_options(engines.store_engine(con), "Retail sample")["touchpoint"]
        assert len(names) == 10 and names == sorted(names) and "Support call" in names
        assert store.touchpoint_names(con, "No such data set") == []
    finally:
        con.close()
