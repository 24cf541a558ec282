"""Wide-file benchmark: the same number of cells in different shapes, phase by phase.

    python bench/wide.py [--cells 1000000] [--shapes 1 99 999 4999] [--timeout 300] [--workdir DIR] [--keep]

For each shape (a respondent id column plus K score columns, rows = cells / (K + 1)) it writes one
CSV in the same run (scores 1–5; about 1 cell in 50 blank, 1 in 500 'N/A', 1 in 2,000 an 'x', which
rejects its row) and measures, each shape in fresh processes:

- **library** (what the Upload page calls, in order): `sniff`, `stage`, `profile`, `propose`
  (cx.guesses), `check` (checks + verdicts: the report), `rejected_rows` (the rejected-rows table the
  page shows), `load` (one transaction into an in-memory store) — wall time per phase and the
  process's peak RSS;
- **CLI**: `python -m cx guess FILE --json` (its mapping is then used by) `python -m cx ingest FILE
  --mapping M --db NEW --json` — wall time and peak RSS of each.

It prints each shape's cost as a ratio to the first (long) shape, and checks that every answer
arrives: rows read = loaded + rejected and answers stored = non-blank score cells of loaded rows.
A phase past `--timeout` seconds is shown as `>T` (the child is killed). No assertions on time.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PHASES = ("sniff", "stage", "profile", "propose", "check", "rejected", "load")
# Measures a child's peak RSS from a fresh parent (RUSAGE_CHILDREN covers only the one child).
PEAK = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
        "print(code, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def write_file(path: Path, rows: int, scores: int, seed: int = 7) -> int:
    """Write `rows` respondents × `scores` score columns; return the non-blank, readable answers expected to load
    (blank cells are no answer; 'N/A' is loaded as not applicable; an 'x' rejects its row)."""
    rng = random.Random(seed)
    expected = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["respondent_id", *(f"q{j}" for j in range(1, scores + 1))])
        for i in range(rows):
            cells, answers, bad = [], 0, False
            for _ in range(scores):
                roll = rng.random()
                if roll < 0.02:
                    cells.append("")
                    continue
                if roll < 0.022:
                    cells.append("N/A")
                elif roll < 0.0225:
                    cells.append("x")
                    bad = True
                else:
                    cells.append(str(rng.randint(1, 5)))
                answers += 1
            out.writerow([f"R{i:07d}", *cells])
            expected += 0 if bad else answers
    return expected


def child(path: Path, code: Path) -> None:
    """Time each phase of the Upload page's path on one file; print one JSON line per phase as it ends."""
    sys.path.insert(0, str(code))
    from cx import ingest, store
    from cx.errors import CxError

    def done(phase: str, started: float, **extra: object) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"phase": phase, "s": time.perf_counter() - started, "peak_kib": peak, **extra}), flush=True)

    con = store.connect(":memory:")
    t = time.perf_counter()
    fmt = ingest.sniff(path)
    done("sniff", t)
    t = time.perf_counter()
    try:
        staged = ingest.stage(con, path, fmt=fmt)
    except CxError as exc:  # e.g. past the column limit
        done("refused", t, message=str(exc))
        return
    done("stage", t)
    t = time.perf_counter()
    profiles = ingest.profile(con, staged)
    done("profile", t)
    t = time.perf_counter()
    proposal = ingest.propose(con, staged, profiles)
    done("propose", t, touchpoints=len(proposal.mapping.touchpoints), respondent=proposal.mapping.respondent)
    t = time.perf_counter()
    report = ingest.check(con, staged, proposal.mapping)
    done("check", t, read=report.rows_read, valid=report.rows_valid, rejected=report.rows_rejected,
         answers=report.answers)
    t = time.perf_counter()
    rejected = ingest.rejected_rows(con, staged, proposal.mapping)
    done("rejected", t, rows=len(rejected))
    t = time.perf_counter()
    result = ingest.load(con, staged, proposal.mapping, "bench", report=report)
    stored = con.execute("SELECT count(*) FROM responses WHERE dataset = 'bench'").fetchall()[0][0]
    done("load", t, loaded=result.rows_loaded, stored=stored)


def run_child(path: Path, timeout: float, code: Path) -> tuple[dict[str, dict[str, object]], bool]:
    """Return each finished phase's line, and whether the child ran out of time (it is then killed)."""
    found: dict[str, dict[str, object]] = {}
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(path), "--code", str(code)],
                            stdout=subprocess.PIPE, text=True, cwd=code)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            item = json.loads(line)
            found[str(item["phase"])] = item

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        reader.join(5)
        return found, True
    reader.join(5)
    if proc.returncode != 0:
        raise SystemExit(f"the library run on {path.name} failed (exit {proc.returncode})")
    return found, False


def measure(command: list[str], timeout: float, code: Path) -> tuple[int, float, int] | None:
    """Return (exit code, seconds, peak RSS in KiB) of one command in a fresh process, or None past `timeout`."""
    try:
        out = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True,
                             timeout=timeout, cwd=code)
    except subprocess.TimeoutExpired:
        return None
    code, seconds, peak = out.stdout.split()
    return int(code), float(seconds), int(peak)


def run_cli(path: Path, workdir: Path, timeout: float, code: Path) -> dict[str, object]:
    mapping = workdir / f"{path.stem}.mapping.json"
    out: dict[str, object] = {}
    out["guess"] = measure([sys.executable, "-m", "cx", "guess", str(path), "--json"], timeout, code)
    try:
        guess = subprocess.run([sys.executable, "-m", "cx", "guess", str(path), "--json"], capture_output=True,
                               text=True, cwd=code, timeout=timeout)
    except subprocess.TimeoutExpired:
        return out
    if guess.returncode != 0:
        out["refused"] = guess.stderr.strip()
        return out
    mapping.write_text(guess.stdout)
    db = workdir / f"{path.stem}.duckdb"
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    out["ingest"] = measure([sys.executable, "-m", "cx", "ingest", str(path), "--mapping", str(mapping), "--db",
                             str(db), "--dataset", "bench", "--rejects", str(workdir / f"{path.stem}.rej.csv"),
                             "--json"], timeout, code)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000, help="cells per file (id column included)")
    parser.add_argument("--shapes", type=int, nargs="+", default=[1, 99, 999, 4999],
                        help="score columns per shape; the first is the baseline")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per process before it is killed")
    parser.add_argument("--no-cli", action="store_true", help="skip the command-line runs")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--code", type=Path, default=REPO,
                        help="the cx checkout to measure (e.g. an export of an older commit: before/after)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    code = args.code.resolve()
    if args.child:
        child(args.child, code)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cx-bench-wide-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for scores in args.shapes:
            rows = args.cells // (scores + 1)
            path = workdir / f"wide-{rows}x{scores + 1}.csv"
            expected = write_file(path, rows, scores)
            print(f"{rows:,} rows × {scores + 1:,} columns ({rows * (scores + 1):,} cells, "
                  f"{path.stat().st_size / 2**20:,.1f} MiB)", flush=True)
            phases, timed_out = run_child(path, args.timeout, code)
            if "refused" in phases:
                print(f"  refused: {phases['refused']['message']}")
            total = sum(float(p["s"]) for p in phases.values())  # type: ignore[arg-type]
            peak = max((int(p["peak_kib"]) for p in phases.values()), default=0)  # type: ignore[call-overload]
            line = "  " + "  ".join(f"{k} {float(phases[k]['s']):.2f}s" if k in phases else f"{k} -"  # type: ignore
                                    for k in PHASES)
            print(line + f"  | total {total:.2f}s{' (TIMED OUT)' if timed_out else ''}  peak {peak / 1024:,.0f} MiB")
            if "load" in phases:
                check, load = phases["check"], phases["load"]
                ok = check["read"] == rows and int(check["valid"]) + int(check["rejected"]) == rows  # type: ignore
                ok = ok and load["stored"] == expected
                print(f"  rows read {check['read']:,} = loaded {check['valid']:,} + rejected {check['rejected']:,};"
                      f" answers stored {load['stored']:,} (expected {expected:,}) {'ok' if ok else 'MISMATCH'}")
            cli = {} if args.no_cli else run_cli(path, workdir, args.timeout, code)
            for name, value in cli.items():
                if name == "refused":
                    continue
                shown = value if not isinstance(value, tuple) else (
                    f"{value[1]:.2f}s peak {value[2] / 1024:,.0f} MiB (exit {value[0]})")
                print(f"  cli {name}: {shown if value is not None else f'>{args.timeout:.0f}s (killed)'}")
            results.append({"shape": f"{rows}x{scores + 1}", "phases": phases, "timed_out": timed_out,
                            "total": total, "peak_kib": peak, "cli": cli})
        base = results[0]
        print("\nratio to the baseline shape " + base["shape"] + " (same cells; >1 costs more per cell)")
        print("shape".ljust(14) + "".join(k.rjust(9) for k in (*PHASES, "total", "peak")) + "   cli guess  ingest")
        for r in results:
            if "refused" in r["phases"]:
                print(r["shape"].ljust(14) + "   refused before any row was read (past the column limit)")
                continue
            cells = []
            for k in PHASES:
                have, ref = r["phases"].get(k), base["phases"].get(k)
                cells.append(f"{float(have['s']) / max(float(ref['s']), 1e-3):.1f}" if have and ref else "-")
            cells.append(f"{r['total'] / base['total']:.1f}" + ("+" if r["timed_out"] else ""))
            cells.append(f"{r['peak_kib'] / base['peak_kib']:.1f}")
            cli_ratio = []
            for name in ("guess", "ingest"):
                have, ref = r["cli"].get(name), base["cli"].get(name)
                if isinstance(have, tuple) and isinstance(ref, tuple):
                    cli_ratio.append(f"{have[1] / ref[1]:.1f}")
                else:
                    cli_ratio.append(f">{args.timeout:.0f}s" if name in r["cli"] and have is None else "-")
            print(r["shape"].ljust(14) + "".join(c.rjust(9) for c in cells) + "   " + "  ".join(
                c.rjust(7) for c in cli_ratio))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
