"""The app's process gives each matrix product one BLAS thread: its sessions share the machine's cores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ("import threadpoolctl, cx.ui; "
         "print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas'}))")


def _blas_threads(setting: str | None) -> str:
    """Return the BLAS thread counts of a fresh process that imported the app's UI module, CX_BLAS_THREADS=setting."""
    env = {k: v for k, v in os.environ.items() if k != "CX_BLAS_THREADS"}
    if setting is not None:
        env["CX_BLAS_THREADS"] = setting
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_app_uses_one_blas_thread_by_default() -> None:
    assert _blas_threads(None) == "[1]"


def test_cx_blas_threads_sets_the_servers_count() -> None:
    assert _blas_threads("2") == "[2]"


def test_a_bad_cx_blas_threads_says_what_to_set() -> None:
    env = {**os.environ, "CX_BLAS_THREADS": "two"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "CX_BLAS_THREADS is 'two': set it to a whole number of threads, 1 or more" in done.stderr
