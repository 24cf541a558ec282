"""The command line answers hostile input with one line naming the problem and the fix, and exit 2.

Mapping files run in a real `python -m cx` process (what a user sees: no "Traceback"); flags that take
a number refuse what means nothing (negative, zero, nan, infinity, a memory too small to work in).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cx.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
MAPPING = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort", "Wifi"], "scale": [1, 5],
           "not_applicable": [0], "segments": ["Class"],
           "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}, "comment": "comment"}


def _cx(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cx", *args, "--db", str(tmp_path / "cx.duckdb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _one_line(text: str) -> str:
    assert "Traceback" not in text
    assert text.endswith("\n") and text.count("\n") == 1, text
    return text


REFUSED_MAPPINGS = {
    "100,000 nested brackets": (b"[" * 100_000 + b"]" * 100_000,
                                "The mapping file nests brackets more than 20 deep: no mapping does; fix it or "
                                "download a fresh one from the Upload page."),
    "encoding base64": (json.dumps({**MAPPING, "encoding": "base64"}).encode(),
                        "'base64' is not a text encoding (it converts data, it does not read text): use e.g. "
                        "\"utf-8\", \"cp1252\" or \"utf-16\", or leave \"encoding\" out to have it detected."),
    "encoding rot13": (json.dumps({**MAPPING, "encoding": "rot13"}).encode(), "'rot13' is not a text encoding"),
    "encoding utf-16 on a UTF-8 file": (json.dumps({**MAPPING, "encoding": "utf-16"}).encode(),
                                        "five.csv cannot be read as 'utf-16' (UTF-16 stream does not start with "
                                        "BOM): remove \"encoding\" from the mapping to have it detected, or give "
                                        "the file's real encoding."),
    "UTF-16 without its byte-order mark": (json.dumps(MAPPING).encode("utf-16-le")[:-2],
                                           "The mapping file is not valid JSON"),
    "Latin-1 text": (json.dumps({**MAPPING, "x_note": "é"}, ensure_ascii=False).encode("latin-1"),
                     "The mapping file is not UTF-8 text (byte "),
}


@pytest.mark.parametrize("case", list(REFUSED_MAPPINGS))
def test_a_mapping_file_that_cannot_be_used_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    data, message = REFUSED_MAPPINGS[case]
    (tmp_path / "m.json").write_bytes(data)
    proc = _cx(tmp_path, "ingest", str(HOSTILE / "five.csv"), "--mapping", str(tmp_path / "m.json"))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert _one_line(proc.stderr).startswith("cx ingest: ") and message in proc.stderr
    assert not (tmp_path / "five.rejected.csv").exists()


def test_a_utf16_mapping_with_its_byte_order_mark_is_simply_read(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_bytes(json.dumps(MAPPING).encode("utf-16"))  # Windows Notepad's "Unicode"
    proc = _cx(tmp_path, "ingest", str(HOSTILE / "five.csv"), "--mapping", str(tmp_path / "m.json"), "--json",
               "--rejects", str(tmp_path / "r.csv"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows_loaded"] == 1


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Return the one line a refused command prints (argparse's refusals exit through SystemExit)."""
    try:
        code = main(argv)
    except SystemExit as exit_info:
        code = exit_info.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    return _one_line(err)


@pytest.mark.parametrize(("argv", "message"), [
    (["actions", "--window-days", "-5"], "argument --window-days: -5 is not a window of days before and after an "
                                         "action: give a whole number of at least 1, e.g. 90"),
    (["actions", "--effect", "--window-days", "0"], "argument --window-days: 0 is not a window"),
    (["report", "--journey", "Product launch", "--window-days", "0"], "argument --window-days: 0 is not a window"),
    (["comments", "--dataset", "Retail sample", "--max-score", "nan"],
     "argument --max-score: nan is not a score: give a number on the answers' scale, e.g. 2"),
    (["themes", "--dataset", "Retail sample", "--max-score=-inf"], "argument --max-score: -inf is not a score"),
    (["themes", "--dataset", "Retail sample", "--k", "0"], "--k 0: ask for at least 1 theme (default 5)."),
    (["paths", "--dataset", "Retail sample", "--top", "-5"], "--top -5: show at least one path (e.g. --top 10)."),
    (["touchpoints", "--journey", "Product launch", "--min-n", "-5"],
     "-5 is not a minimum number of answers: give a whole number of at least 1, e.g. 30"),
    (["metrics", "--dataset", "Retail sample", "--metric", "clv", "--margin", "-1"],
     "margin -1 is not a share of revenue: use a number above 0 and at most 1"),
    (["metrics", "--dataset", "Retail sample", "--metric", "clv", "--discount", "inf"],
     "discount inf is not a rate per period: use 0 (none) up to 1"),
    (["metrics", "--dataset", "Retail sample", "--by", "Nope"],
     "cx metrics: --by 'Nope': data set 'Retail sample' has no segment column named 'Nope'; known: customer_type, "
     "persona, region (or touchpoint, channel, stage, unit, month)."),
])
def test_a_number_or_a_choice_that_means_nothing_is_refused(seeded_db: Path, capsys: pytest.CaptureFixture[str],
                                                            argv: list[str], message: str) -> None:
    assert message in _refused(capsys, [*argv, "--db", str(seeded_db)])


@pytest.mark.parametrize(("limit", "message"), [
    ("0GB", "--memory-limit '0GB' is too little for an import: give at least 64MB (default 1GB)."),
    ("1KB", "--memory-limit '1KB' is too little for an import"),
    ("-1GB", "--memory-limit '-1GB': write a size such as 1GB, 512MB or 4GB."),
    ("lots", "--memory-limit 'lots': write a size such as 1GB, 512MB or 4GB."),
])
def test_a_memory_limit_that_cannot_work_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str,
                                                    message: str) -> None:
    (tmp_path / "m.json").write_text(json.dumps(MAPPING))
    line = _refused(capsys, ["ingest", str(HOSTILE / "five.csv"), "--mapping", str(tmp_path / "m.json"),
                             f"--memory-limit={limit}", "--db", str(tmp_path / "cx.duckdb")])
    assert message in line


def test_a_small_but_workable_memory_limit_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.json").write_text(json.dumps(MAPPING))
    code = main(["ingest", str(HOSTILE / "five.csv"), "--mapping", str(tmp_path / "m.json"), "--memory-limit",
                 "64MB", "--db", str(tmp_path / "cx.duckdb"), "--rejects", str(tmp_path / "r.csv")])
    assert code == 0, capsys.readouterr().err
