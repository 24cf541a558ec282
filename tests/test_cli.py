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


# ---------------------------------------------------------------- hostile arguments and mapping files

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
FIVE_MAPPING = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Wifi"], "scale": [1, 5],
                "not_applicable": [0], "segments": ["Class"],
                "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}, "comment": "comment"}


def _mapping_file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


MAPPING_FILES = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nests brackets more than"),
    "not UTF-8": ("{\"format\": \"wide\", \"respondent\": \"é\"}".encode("latin-1"), "not UTF-8 text"),
    "not JSON": (b"format: wide\n", "not valid JSON"),
    "encoding base64": (json.dumps({**FIVE_MAPPING, "encoding": "base64"}).encode(), "'base64' is not a text encoding"),
    "encoding rot13": (json.dumps({**FIVE_MAPPING, "encoding": "rot13"}).encode(), "'rot13' is not a text encoding"),
    "encoding utf-16 on a UTF-8 file": (json.dumps({**FIVE_MAPPING, "encoding": "utf-16"}).encode(),
                                        "cannot be read as 'utf-16'"),
    "an unknown encoding": (json.dumps({**FIVE_MAPPING, "encoding": "klingon"}).encode(), "Unknown encoding"),
    "over 1 MB": (b" " * (2 << 20) + b"{}", "over the 1,048,576 a mapping can be"),
}


@pytest.mark.parametrize("case", sorted(MAPPING_FILES))
def test_a_hostile_mapping_file_gives_one_line_and_exit_2(tmp_path: Path, capsys, case: str) -> None:
    data, words = MAPPING_FILES[case]
    mapping = _mapping_file(tmp_path, "m.json", data)
    code, out, err = run_cli(capsys, "ingest", str(HOSTILE / "five.csv"), "--mapping", mapping,
                             "--db", str(tmp_path / "t.duckdb"), "--rejects", str(tmp_path / "r.csv"))
    assert (code, out) == (2, "")
    assert err.strip().count("\n") == 0 and words in err and "Traceback" not in err


def test_a_nested_mapping_in_a_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    mapping = _mapping_file(tmp_path, "m.json", b"[" * 100_000 + b"]" * 100_000)
    proc = subprocess.run([sys.executable, "-m", "cx", "ingest", str(HOSTILE / "five.csv"), "--mapping", mapping,
                           "--db", str(tmp_path / "t.duckdb")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "nests brackets" in proc.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32", "brackets in a string"])
def test_a_mapping_file_with_a_byte_order_mark_is_read(tmp_path: Path, capsys, encoding: str) -> None:
    # The Upload page reads these (json.loads detects them); the command line reads them the same way.
    # Brackets inside a string are text, not nesting.
    data = json.dumps(FIVE_MAPPING).encode(encoding) if encoding != "brackets in a string" else \
        json.dumps({**FIVE_MAPPING, "x_note": "{[\\\"" * 500}).encode()
    mapping = _mapping_file(tmp_path, "m.json", data)
    code, out, err = run_cli(capsys, "ingest", str(HOSTILE / "five.csv"), "--mapping", mapping, "--json",
                             "--db", str(tmp_path / "t.duckdb"), "--rejects", str(tmp_path / "r.csv"))
    assert code == 0, err
    assert json.loads(out)["rows_loaded"] == 1


def test_ingest_cleans_the_data_set_name_and_prints_the_notes(tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(capsys, "ingest", str(HOSTILE / "control_names.csv"), "--mapping",
                           _mapping_file(tmp_path, "m.json", json.dumps(next(
                               c["mapping"] for c in json.loads((HOSTILE / "manifest.json").read_text("utf-8"))
                               if c["file"] == "control_names.csv")).encode()),
                           "--dataset", "Survey\nMarch\t\u200b", "--db", str(tmp_path / "t.duckdb"))
    assert code == 0
    assert "into data set 'Survey March'" in out
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert any("data set name 'Survey\\nMarch\\t\\u200b'" in n and "stored as 'Survey March'" in n for n in notes)
    assert any("'Checkout' and 'Сheckout' look alike" in n for n in notes)
    code, out, _ = run_cli(capsys, "datasets", "--json", "--db", str(tmp_path / "t.duckdb"))
    assert "Survey March" in [r["dataset"] for r in json.loads(out)]


@pytest.mark.parametrize("command", [["metrics", "--dataset", "Retail sample"], ["touchpoints", "--journey",
                                     "Product launch"], ["actions"], ["report", "--journey", "Product launch"]])
@pytest.mark.parametrize("value", ["-5", "0"])
def test_a_minimum_n_below_1_is_refused(seeded_db: Path, capsys, command: list[str], value: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--min-n", value, "--db", str(seeded_db)])
    _, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert err.strip().count("\n") == 0 and f"{value} is not a minimum number of answers" in err


def test_an_unknown_by_segment_names_the_known_ones(seeded_db: Path, capsys) -> None:
    code, out, err = run_cli(capsys, "metrics", "--dataset", "Retail sample", "--by", "Nope", "--db", str(seeded_db))
    assert (code, out) == (2, "")
    assert "no segment column named 'Nope'; known: " in err and "recommend" not in err
    assert err.strip().count("\n") == 0


def test_a_long_json_list_prints_one_item_per_line(tmp_path: Path, capsys) -> None:
    # 1,200 commented answers: the list is printed item by item (fast), and is the same JSON.
    import pandas as pd

    from cx import store
    from cx.__main__ import LONG_LIST

    con = store.connect(tmp_path / "cx.duckdb")
    store.set_setting(con, "seeded_at", "test")
    n = LONG_LIST + 200
    store.save_dataset(con, "Shop", pd.DataFrame({
        "respondent": [f"r{i}" for i in range(n)], "touchpoint": "Web", "score": [1.0 + i % 5 for i in range(n)],
        "scale_min": 1.0, "scale_max": 5.0, "comment": [f"comment number {i}" for i in range(n)]}))
    con.close()
    code, out, _ = run_cli(capsys, "comments", "--dataset", "Shop", "--json", "--db", str(tmp_path / "cx.duckdb"))
    assert code == 0
    records = json.loads(out)
    assert len(records) == n
    assert {r["comment"] for r in records} == {f"comment number {i}" for i in range(n)}
    lines = out.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == n + 2
    assert json.loads(lines[1].strip().rstrip(",")) == records[0]
