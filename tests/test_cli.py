"""The command line: JSON contracts, --db, and one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cx.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_journeys_json(seeded_db: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "journeys", "--json", "--db", str(seeded_db))
    assert code == 0
    rows = json.loads(out)
    assert [r["journey"] for r in rows] == ["Product launch", "Retail store journey"]
    assert rows[0]["touchpoints"][1] == "Electronics store"


def test_touchpoints_json_for_product_launch(seeded_db: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "touchpoints", "--journey", "Product launch", "--json", "--db", str(seeded_db))
    assert code == 0
    rows = json.loads(out)
    assert [(r["position"], r["touchpoint"], r["score"], r["weak"]) for r in rows] == [
        (1, "Product innovation", None, False), (2, "Electronics store", 3.0, True), (3, "Marketing", 10.0, False),
        (4, "Product purchase", 10.0, False), (5, "Out of stock", 1.0, True)]
    assert {"position", "touchpoint", "n", "mean", "score", "weak"} <= set(rows[0])


def test_touchpoints_for_a_dataset_have_n_and_original_mean(seeded_db: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "touchpoints", "--dataset", "Retail sample", "--json", "--db", str(seeded_db))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 10
    for r in rows:
        lo, hi = r["scale"]
        assert lo <= r["mean"] <= hi and 0 <= r["score"] <= 10 and r["n"] > 0


def test_unknown_journey_exits_2_with_one_line(seeded_db: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "touchpoints", "--journey", "Nope", "--db", str(seeded_db))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "No journey named 'Nope'" in err and "Product launch" in err


def test_bad_arguments_exit_2_in_a_subprocess(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "cx", "touchpoints", "--min-n", "many"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "invalid int value" in proc.stderr


def test_cli_never_imports_streamlit(seeded_db: Path) -> None:
    code = (f"import sys; from cx.__main__ import main; main(['journeys', '--db', {str(seeded_db)!r}]); "
            "sys.exit(1 if 'streamlit' in sys.modules else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
