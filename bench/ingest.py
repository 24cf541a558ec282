"""Ingest benchmark: `cx ingest` against a bare DuckDB `read_csv` of the same long-format file.

    python bench/ingest.py [--rows 1000000 10000000] [--workdir DIR] [--keep]

For each size it writes a long-format CSV (respondent, touchpoint, score on 1–5, channel, unit,
answered_at; a few hundred rows carry problems: "N/A", out-of-scale 9, a decimal comma), then, each
in a fresh process and from the same run:

- baseline: `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` into a new DuckDB file;
- cx: `python -m cx ingest FILE --mapping M.json --db NEW.duckdb --json` (sniff, stage, check, load
  in one transaction, rejected rows written with reasons).

It prints the wall-time ratio cx / baseline (target ≤ 1.5 at 10 M rows) and each process's peak
memory (target ≤ 2 GiB for the import), and checks rows read = loaded + rejected. No assertions on
time: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
TOUCHPOINTS = ["Online ad", "Website", "Store visit", "Staff advice", "Checkout", "Delivery", "Support call",
               "Installation"]
MAPPING = {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score",
           "scale": [1, 5], "channel": "channel", "unit": "unit", "timestamp": "answered_at"}
# Measures a child's peak RSS from a fresh parent (RUSAGE_CHILDREN covers only the one child).
PEAK = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
        "print(code, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
BASELINE = ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); "
            "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]]); con.close()")


def write_file(path: Path, rows: int) -> None:
    """Write a long-format file of `rows` answers (8 per respondent); every 50 000th row has a problem."""
    con = duckdb.connect()
    con.execute(
        """COPY (
             SELECT 'R' || lpad((i // 8)::VARCHAR, 9, '0') AS respondent,
                    (?::VARCHAR[])[(i % 8) + 1] AS touchpoint,
                    CASE WHEN i % 150000 = 7 THEN 'N/A' WHEN i % 150000 = 57 THEN '9'
                         WHEN i % 150000 = 107 THEN '4,5'
                         ELSE ((hash(i) % 5) + 1)::VARCHAR END AS score,
                    ['web', 'mobile', 'store'][(i % 3) + 1] AS channel,
                    'Store ' || (i % 40) AS unit,
                    TIMESTAMP '2025-01-01' + to_seconds((hash(i * 7) % 31536000)::BIGINT) AS answered_at
             FROM range(?) t(i)
           ) TO '""" + str(path).replace("'", "''") + "' (HEADER, DELIMITER ',')",
        [TOUCHPOINTS, rows],
    )
    con.close()


def measure(command: list[str]) -> tuple[int, float, int]:
    """Return (exit code, seconds, peak RSS in KiB) of one command in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True)
    code, seconds, peak = out.stdout.split()
    return int(code), float(seconds), int(peak)


def run(rows: int, workdir: Path) -> dict[str, float]:
    data = workdir / f"long-{rows}.csv"
    if not data.exists():
        started = time.perf_counter()
        write_file(data, rows)
        print(f"  wrote {data.name} ({data.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - started:.1f} s")
    mapping = workdir / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    base_db, cx_db = workdir / f"base-{rows}.duckdb", workdir / f"cx-{rows}.duckdb"
    for db in (base_db, cx_db):
        for path in (db, db.with_suffix(".duckdb.wal")):
            path.unlink(missing_ok=True)
    code, base_s, base_kib = measure([sys.executable, "-c", BASELINE, str(data), str(base_db)])
    assert code == 0, "baseline failed"
    rejects = workdir / f"long-{rows}.rejected.csv"
    command = [sys.executable, "-m", "cx", "ingest", str(data), "--mapping", str(mapping), "--db", str(cx_db),
               "--dataset", "bench", "--rejects", str(rejects), "--json"]
    code, cx_s, cx_kib = measure(command)
    assert code == 0, "cx ingest failed"
    con = duckdb.connect(str(cx_db), read_only=True)
    read, loaded, rejected = con.execute(
        "SELECT rows_read, rows_loaded, rows_rejected FROM datasets WHERE dataset = 'bench'").fetchall()[0]
    answers = con.execute("SELECT count(*) FROM responses WHERE dataset = 'bench'").fetchall()[0][0]
    con.close()
    assert read == rows and loaded + rejected == read, (read, loaded, rejected)
    print(f"  rows read {read:,} = loaded {loaded:,} + rejected {rejected:,}; answers stored {answers:,}")
    print(f"  baseline read_csv : {base_s:7.2f} s   peak {base_kib / 2**20:5.2f} GiB")
    print(f"  cx ingest         : {cx_s:7.2f} s   peak {cx_kib / 2**20:5.2f} GiB")
    print(f"  ratio cx / baseline = {cx_s / base_s:.2f}  (target <= 1.5 at 10 M rows; memory target <= 2 GiB)")
    return {"rows": rows, "baseline_s": base_s, "cx_s": cx_s, "ratio": cx_s / base_s, "peak_gib": cx_kib / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cx-bench-ingest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        for rows in args.rows:
            print(f"{rows:,} rows")
            results.append(run(rows, workdir))
        print(json.dumps(results))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
