"""Shared helpers for the benchmarks: timing, and the app started in a subprocess."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of fn() over `repeat` warm runs (one warm-up first)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def start_app(db: Path, log: Path, extra: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """Start `streamlit run app.py` on a free port over the database `db` (server output to `log`).

    Return the process and its base URL once /_stcore/health answers; exit with a message pointing at the log if the
    app does not start within a minute. `extra`: more `streamlit run` options (e.g. --server.disconnectedSessionTTL).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CX_DB=str(db), PYTHONUNBUFFERED="1")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false", *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"The app did not start; see {log}")


# `python -c FRESH_PROCESS [--stdout FILE] MODULE ARGS…` (or `… -c CODE ARGS…`) runs the module (or the code) as
# __main__ in a fresh process, then prints that process's own peak RSS to stderr as "PEAK_KIB n".
FRESH_PROCESS = """
import runpy, sys
argv = sys.argv[1:]
if argv[0] == "--stdout":  # the command's output to a file, not through a pipe
    sys.stdout = open(argv[1], "w", encoding="utf-8")
    argv = argv[2:]
if argv[0] == "-c":
    sys.argv = ["-c", *argv[2:]]
    exec(compile(argv[1], "<floor>", "exec"), {"__name__": "__main__"})
else:
    sys.argv = [argv[0], *argv[1:]]
    try:
        runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
sys.stdout.flush()
# VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's peak over the fork and exec).
with open("/proc/self/status", encoding="ascii") as status:
    peak = [line.split()[1] for line in status if line.startswith("VmHWM:")][0]
print("PEAK_KIB", peak, file=sys.stderr)
"""
