"""Ingest benchmark: `cx ingest` against a bare DuckDB `read_csv` of the same long-format file.

    python bench/ingest.py [--rows 1000000 10000000] [--repeat 1] [--code DIR ...] [--workdir DIR] [--keep]
    python bench/ingest.py --rows 2000000 --statements     # where the time goes: CPU per SQL statement

For each size it writes a long-format CSV (respondent, touchpoint, score on 1–5, channel, unit,
answered_at; a few hundred rows carry problems: "N/A", out-of-scale 9, a decimal comma), then, each
in a fresh process and from the same run:

- baseline: `CREATE TABLE t AS SELECT * FROM read_csv(FILE)` into a new DuckDB file;
- layout: the least any import into cx's store can do — one `INSERT INTO responses … SELECT` straight from
  `read_csv` with the cells trimmed and cast, into a new store (schema made beforehand, not timed), no check,
  no rejected rows, no Python beyond duckdb: what writing the answers in the store's 12-column layout costs;
- narrow: the same INSERT into a table of the file's six columns only — the floor of a store that kept a data set's
  constants once instead of on every answer (not cx's layout today; measured to size that change);
- cx: `python -m cx ingest FILE --mapping M.json --db NEW.duckdb --json` (sniff, stage, check, load
  in one transaction, rejected rows written with reasons).

It prints the wall-time ratio cx / baseline (target ≤ 1.5 at 10 M rows), the same ratio of CPU
seconds (user + system, all threads: steadier than wall time on a shared machine) and each
process's peak memory (target ≤ 2 GiB for the import), and checks rows read = loaded + rejected.
`--code DIR` (repeatable) runs the same file through other checkouts' cx as well (e.g. one made
with `git worktree add /tmp/before HEAD~3`), each beside the same baseline; `--repeat N` alternates
the runs N times and reports medians. `--statements` instead imports the file once per checkout, in a
fresh process, and prints the wall and CPU seconds (all threads) of every SQL statement that took over
50 ms, in order: where the time goes. No assertions on time: the numbers are for reading.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
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
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(code, time.perf_counter() - t, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)")
BASELINE = ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); "
            "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]]); con.close()")

def _insert_floor(target: str, cells: str) -> str:
    """Return `python -c` code that inserts the file's rows into `target` (of the store at argv[2]): each row's
    `cells` (trimmed and cast), rows with a score on 1–5 only, no check, under the import's memory limit."""
    return ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); con.execute(\"SET memory_limit = '1GB'\"); "
            f"con.execute(\"INSERT INTO {target} SELECT {cells} FROM read_csv(?, all_varchar = true) "
            "WHERE TRY_CAST(score AS DOUBLE) BETWEEN 1 AND 5\", [sys.argv[1]]); con.close()")


# The store's layout floor: the answers written straight from read_csv into `responses`, trimmed and cast, no check.
LAYOUT = _insert_floor(
    "responses (dataset, respondent, touchpoint, score, scale_min, scale_max, reversed, channel, stage, unit, "
    "answered_at, comment)",
    "'bench', trim(respondent), trim(touchpoint), TRY_CAST(score AS DOUBLE), 1, 5, false, trim(channel), NULL, "
    "trim(unit), TRY_CAST(answered_at AS TIMESTAMP), NULL")
# A narrower layout's floor: the same INSERT into a table of the file's own six columns only, as a store that kept a
# data set's constants (data set, scale, direction, stage, no comment) once, not on every answer, would write.
NARROW_TABLE = ("CREATE TABLE answers (respondent VARCHAR, touchpoint VARCHAR, score DOUBLE, channel VARCHAR, "
                "unit VARCHAR, answered_at TIMESTAMP)")
NARROW = _insert_floor(
    "answers", "trim(respondent), trim(touchpoint), TRY_CAST(score AS DOUBLE), trim(channel), trim(unit), "
    "TRY_CAST(answered_at AS TIMESTAMP)")

# One import in this process with every statement timed (a stand-in connection that times `execute`).
STATEMENTS = """
import re, resource, sys, time
sys.path.insert(0, ".")
started = time.perf_counter()
from cx import ingest, store
imported = time.perf_counter() - started
timed = []
class Timed:
    def __init__(self, con): self._con = con
    def __getattr__(self, name): return getattr(self._con, name)
    def cursor(self): return Timed(self._con.cursor())
    def execute(self, sql, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        result = self._con.execute(sql, *args)
        timed.append((time.perf_counter() - wall, time.process_time() - cpu, re.sub(r"\\s+", " ", sql)))
        return Timed(result) if isinstance(result, type(self._con)) else result
con = Timed(store.connect(sys.argv[3]))
con.execute("SET enable_progress_bar = false")
ingest.limit_memory(con, "1GB")
ingest.ingest_file(con, sys.argv[1], ingest.read_mapping_file(sys.argv[2]), name="bench", rejects=sys.argv[4])
con.close()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"    importing cx {imported:.2f} s; whole import {time.perf_counter() - started:.2f} s, "
      f"cpu {usage.ru_utime + usage.ru_stime:.2f} s")
for wall, cpu, sql in timed:
    if wall > 0.05:
        print(f"    {wall:6.2f} s  cpu {cpu:6.2f} s  {sql[:110]}")
"""


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


def measure(command: list[str], cwd: Path = REPO) -> tuple[int, float, int, float]:
    """Return (exit code, wall seconds, peak RSS in KiB, CPU seconds) of one command in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True, cwd=cwd)
    code, seconds, peak, cpu = out.stdout.split()
    return int(code), float(seconds), int(peak), float(cpu)


def run(rows: int, workdir: Path, codes: list[Path], repeat: int) -> list[dict[str, object]]:
    data = workdir / f"long-{rows}.csv"
    if not data.exists():
        started = time.perf_counter()
        write_file(data, rows)
        print(f"  wrote {data.name} ({data.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - started:.1f} s")
    mapping = workdir / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    from cx import store

    runs: dict[str, list[tuple[int, float, int, float]]] = {"baseline": [], "layout": [], "narrow": [],
                                                            **{str(c): [] for c in codes}}
    for _ in range(repeat):
        base_db = workdir / f"base-{rows}.duckdb"
        _fresh(base_db)
        runs["baseline"].append(measure([sys.executable, "-c", BASELINE, str(data), str(base_db)]))
        assert runs["baseline"][-1][0] == 0, "baseline failed"
        layout_db = workdir / f"layout-{rows}.duckdb"
        _fresh(layout_db)
        store.connect(layout_db).close()  # the store's schema, made before the clock starts
        runs["layout"].append(measure([sys.executable, "-c", LAYOUT, str(data), str(layout_db)]))
        assert runs["layout"][-1][0] == 0, "layout floor failed"
        narrow_db = workdir / f"narrow-{rows}.duckdb"
        _fresh(narrow_db)
        with duckdb.connect(str(narrow_db)) as made:
            made.execute(NARROW_TABLE)
        runs["narrow"].append(measure([sys.executable, "-c", NARROW, str(data), str(narrow_db)]))
        assert runs["narrow"][-1][0] == 0, "narrow floor failed"
        for code in codes:
            runs[str(code)].append(_run_cx(rows, data, mapping, workdir, code))
    base_s = statistics.median(r[1] for r in runs["baseline"])
    base_cpu = statistics.median(r[3] for r in runs["baseline"])
    base_kib = max(r[2] for r in runs["baseline"])
    print(f"  baseline read_csv : {base_s:7.2f} s  cpu {base_cpu:7.2f} s   peak {base_kib / 2**20:5.2f} GiB")
    lay_s = statistics.median(r[1] for r in runs["layout"])
    lay_cpu = statistics.median(r[3] for r in runs["layout"])
    lay_gib = max(r[2] for r in runs["layout"]) / 2**20
    print(f"  store layout floor: {lay_s:7.2f} s  cpu {lay_cpu:7.2f} s   peak {lay_gib:5.2f} GiB   "
          f"ratio {lay_s / base_s:.2f} (cpu {lay_cpu / base_cpu:.2f})")
    nar_s = statistics.median(r[1] for r in runs["narrow"])
    nar_cpu = statistics.median(r[3] for r in runs["narrow"])
    print(f"  narrow layout floor: {nar_s:6.2f} s  cpu {nar_cpu:7.2f} s   (six columns)    "
          f"ratio {nar_s / base_s:.2f} (cpu {nar_cpu / base_cpu:.2f})")
    results: list[dict[str, object]] = []
    for code in codes:
        cx_s = statistics.median(r[1] for r in runs[str(code)])
        cx_cpu = statistics.median(r[3] for r in runs[str(code)])
        cx_kib = max(r[2] for r in runs[str(code)])
        label = "cx ingest" if code == REPO else f"cx ingest ({code})"
        print(f"  {label:18}: {cx_s:7.2f} s  cpu {cx_cpu:7.2f} s   peak {cx_kib / 2**20:5.2f} GiB   "
              f"ratio {cx_s / base_s:.2f} (cpu {cx_cpu / base_cpu:.2f}); over the layout floor "
              f"{cx_s / lay_s:.2f} (cpu {cx_cpu / lay_cpu:.2f})")
        results.append({"rows": rows, "code": str(code), "repeat": repeat, "baseline_s": base_s, "cx_s": cx_s,
                        "layout_s": lay_s, "layout_cpu_s": lay_cpu, "narrow_s": nar_s, "narrow_cpu_s": nar_cpu,
                        "ratio": cx_s / base_s, "baseline_cpu_s": base_cpu, "cx_cpu_s": cx_cpu,
                        "cpu_ratio": cx_cpu / base_cpu, "peak_gib": cx_kib / 2**20})
    print("  (target: ratio <= 1.5 at 10 M rows; memory <= 2 GiB)")
    return results


def statements(rows: int, workdir: Path, codes: list[Path]) -> None:
    """Print, per checkout, the time of each SQL statement of one import of the generated file."""
    data = workdir / f"long-{rows}.csv"
    if not data.exists():
        write_file(data, rows)
    mapping = workdir / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    for code in codes:
        db = workdir / f"statements-{rows}.duckdb"
        _fresh(db)
        print(f"  {code}:", flush=True)
        subprocess.run([sys.executable, "-c", STATEMENTS, str(data), str(mapping), str(db),
                        str(workdir / f"long-{rows}.rejected.csv")], check=True, cwd=code)


def _fresh(db: Path) -> None:
    for path in (db, db.with_suffix(".duckdb.wal")):
        path.unlink(missing_ok=True)


def _run_cx(rows: int, data: Path, mapping: Path, workdir: Path, code: Path) -> tuple[int, float, int, float]:
    """Import `data` with the cx of checkout `code` into a new database; check the accounting."""
    cx_db = workdir / f"cx-{rows}.duckdb"
    _fresh(cx_db)
    rejects = workdir / f"long-{rows}.rejected.csv"
    command = [sys.executable, "-m", "cx", "ingest", str(data), "--mapping", str(mapping), "--db", str(cx_db),
               "--dataset", "bench", "--rejects", str(rejects), "--json"]
    measured = measure(command, cwd=code)
    assert measured[0] == 0, f"cx ingest failed ({code})"
    con = duckdb.connect(str(cx_db), read_only=True)
    read, loaded, rejected = con.execute(
        "SELECT rows_read, rows_loaded, rows_rejected FROM datasets WHERE dataset = 'bench'").fetchall()[0]
    answers = con.execute("SELECT count(*) FROM responses WHERE dataset = 'bench'").fetchall()[0][0]
    con.close()
    assert read == rows and loaded + rejected == read, (read, loaded, rejected)
    print(f"  {code}: rows read {read:,} = loaded {loaded:,} + rejected {rejected:,}; answers stored {answers:,}")
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--code", type=Path, action="append",
                        help="a checkout whose cx to time as well (repeatable; this one is always timed)")
    parser.add_argument("--repeat", type=int, default=1, help="alternate the runs this many times (medians)")
    parser.add_argument("--statements", action="store_true",
                        help="time each SQL statement of one import per checkout instead (where the time goes)")
    args = parser.parse_args(argv)
    codes = [REPO, *(c.resolve() for c in args.code or [])]
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="cx-bench-ingest-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = []
        for rows in args.rows:
            print(f"{rows:,} rows")
            if args.statements:
                statements(rows, workdir, codes)
                continue
            results += run(rows, workdir, codes, max(args.repeat, 1))
        if results:
            print(json.dumps(results))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
