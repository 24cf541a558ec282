"""Alerts: rules on a touchpoint's (or an outcome's) answers, fired when answers arrive.

Skeleton: the rules, their evaluation and webhook delivery are being written (issue 20).
`on_answers` is the one entry point the places where answers arrive call (survey links,
import, workshop close).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

__all__ = ["on_answers"]


def on_answers(con: duckdb.DuckDBPyConnection, dataset: str, touchpoints: Sequence[str] | None = None) -> int:
    """Return how many alerts fired after answers arrived in `dataset` (None: any touchpoint)."""
    return 0
