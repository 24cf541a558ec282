"""Feedback load check: many phones press Send at once on survey links; answers sent = answers stored.

Creates a fresh database file with a live data set, single-use links and one shared link (a
poster), then lets N sender threads — each with its own DuckDB cursor, as each Streamlit session
has — work through a shuffled queue of Sends:
- every single-use link is sent `--racers` times (a customer tapping twice, a mail client and a
  phone): exactly one may be stored, the others must be told "already answered";
- the shared link is answered by `--browsers` different browsers, each sending `--racers` times:
  one answer per browser.
Each Send is `cx.survey.send` (one transaction: the send row and the answer, then the alerts).

Afterwards the database must hold exactly the acknowledged answers: one per single-use link, one
per browser, none lost, none extra, no error. The baseline is one sender alone on fresh links,
measured first in the same run; throughput and latency are printed against it.

    python bench/feedback_load.py [--senders 50] [--links 2000] [--browsers 2000] [--racers 2] [--no-alerts]
                                  [--keep DIR]

Exit status 0 when answers sent = answers stored, 1 otherwise.
"""

from __future__ import annotations

import argparse
import queue
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402

from cx import alerts, store, survey  # noqa: E402

DATASET = "Feedback load check"


@dataclass
class Outcome:
    """What the senders were told, and how long each Send took."""

    stored: dict[tuple[str, str], float] = field(default_factory=dict)  # (token, sender) -> score acknowledged
    already: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_senders(con: duckdb.DuckDBPyConnection, sends: list[tuple[str, str, int]],
                threads: int) -> tuple[Outcome, float]:
    """Send every (token, sender, score) from `threads` threads, a cursor each; return what happened, and the time."""
    work: queue.Queue[tuple[str, str, int]] = queue.Queue()
    for item in sends:
        work.put(item)
    outcome = Outcome()
    start = threading.Barrier(threads + 1)

    def sender() -> None:
        cursor = con.cursor()
        try:
            start.wait()
            while True:
                try:
                    token, who, score = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    survey.send(cursor, token, score, f"load check {who}", sender=who)
                except survey.AlreadyAnswered:
                    with outcome.lock:
                        outcome.already += 1
                except Exception as exc:  # reported, never hidden
                    with outcome.lock:
                        outcome.failures.append(repr(exc))
                else:
                    with outcome.lock:
                        outcome.stored[(token, who)] = float(score)
                finally:
                    with outcome.lock:
                        outcome.seconds.append(time.perf_counter() - began)
        finally:
            cursor.close()

    workers = [threading.Thread(target=sender) for _ in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    return outcome, time.perf_counter() - began


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=50, help="concurrent sender threads (default 50)")
    parser.add_argument("--links", type=int, default=2000, help="single-use links (default 2000)")
    parser.add_argument("--browsers", type=int, default=2000, help="browsers answering the shared link (default 2000)")
    parser.add_argument("--racers", type=int, default=2, help="Sends per link or browser (default 2)")
    parser.add_argument("--baseline-sends", type=int, default=300, help="Sends of the lone sender (default 300)")
    parser.add_argument("--no-alerts", action="store_true",
                        help="leave out the alert rules' evaluation after each Send (to see its share of the time)")
    parser.add_argument("--keep", help="keep the database in this folder")
    args = parser.parse_args(argv)
    if args.no_alerts:
        alerts.on_answers = lambda *_, **__: 0  # type: ignore[assignment]

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="cx-feedback-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "cx.duckdb"
    con = store.connect(db)
    rng = random.Random(20)
    warmup = survey.create_links(con, DATASET, "Warm-up", count=args.baseline_sends)
    single = survey.create_links(con, DATASET, "Checkout", count=args.links)
    poster = survey.create_links(con, DATASET, "Store visit", shared=True)[0]

    base, base_elapsed = run_senders(con, [(n.token, "", rng.randint(0, 10)) for n in warmup], 1)
    sends = [(n.token, f"racer {r}", rng.randint(0, 10)) for n in single for r in range(args.racers)]
    sends += [(poster.token, f"browser {b}", rng.randint(0, 10)) for b in range(args.browsers)
              for _ in range(args.racers)]
    rng.shuffle(sends)
    print(f"{len(sends):,} Sends from {args.senders} threads: {args.links:,} single-use links and one shared link "
          f"answered by {args.browsers:,} browsers, each sent {args.racers}× "
          f"(database {db}, cursor per thread, alerts {'off' if args.no_alerts else 'on'})")
    load, elapsed = run_senders(con, sends, args.senders)

    rows = store.rows(con, """SELECT touchpoint, channel, count(*), count(DISTINCT respondent) FROM responses
                              WHERE dataset = ? GROUP BY ALL ORDER BY 1""", [DATASET])
    per_link = store.rows(con, """SELECT max(n) FROM (SELECT count(*) AS n FROM survey_sends s
                                  JOIN survey_links l USING (token_hash) WHERE NOT l.shared GROUP BY s.token_hash)""")
    stored = {tp: (channel, n, respondents) for tp, channel, n, respondents in rows}
    con.close()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)

    acknowledged = len(load.stored)
    single_ok = sum(1 for token, _ in load.stored if token != poster.token)
    shared_ok = acknowledged - single_ok
    in_db = sum(n for tp, (_, n, _) in stored.items() if tp != "Warm-up")
    print(f"\nSends: {len(sends):,} in {elapsed:.2f} s; acknowledged {acknowledged:,} "
          f"({single_ok:,} single-use, {shared_ok:,} shared), told 'already answered' {load.already:,}, "
          f"failed {len(load.failures):,}")
    print(f"Answers stored: {in_db:,} (Checkout {stored.get('Checkout', ('', 0, 0))[1]:,} on channel "
          f"'{stored.get('Checkout', ('?',))[0]}', Store visit {stored.get('Store visit', ('', 0, 0))[1]:,} on "
          f"channel '{stored.get('Store visit', ('?',))[0]}'); most answers on one single-use link: {per_link[0][0]}")
    b_rate = len(base.seconds) / base_elapsed
    rate = len(load.seconds) / elapsed
    print(f"\nThroughput: {rate:,.0f} Sends/s under load, {acknowledged / elapsed:,.0f} answers stored/s; "
          f"one sender alone: {b_rate:,.0f} Sends/s ({rate / b_rate:.2f}× the lone sender)")
    b50 = statistics.median(base.seconds)
    print(f"Latency of one Send: alone median {1000 * b50:.1f} ms; under load median "
          f"{1000 * statistics.median(load.seconds):.1f} ms ({statistics.median(load.seconds) / b50:.1f}×), "
          f"p95 {1000 * _pct(load.seconds, 0.95):.1f} ms, slowest {1000 * max(load.seconds):.1f} ms")
    for line in (base.failures + load.failures)[:10]:
        print("  FAILURE", line)
    ok = (not load.failures and not base.failures and in_db == acknowledged and single_ok == args.links
          and shared_ok == args.browsers and load.already == len(sends) - acknowledged and per_link[0][0] == 1
          and stored.get("Store visit", ("", 0, 0))[2] == args.browsers)
    print("\nRESULT:", "OK: answers sent = answers stored, one per single-use link and one per browser"
          if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
