"""The choices the command line offers before anything is computed: light to import (no ibis, no pandas).

cx.metrics takes OUTCOME, RESPONSE_FILTER_COLUMNS and DEFAULT_MIN_N from here; METRICS lists its registry's
names in order (tests/test_cli_startup.py checks they agree), so `cx metrics --metric` and its --help offer
exactly the metrics there are.
"""

from __future__ import annotations

# The registry's metrics, in the order `cx metrics` prints them.
METRICS: tuple[str, ...] = ("responses", "mean_score", "nps", "csat", "ces", "ces_easy", "churn_rate",
                            "retention_rate", "clv")
# `--metric outcome`: every outcome of the data set, per respondent.
OUTCOME = "outcome"
# Response columns a filter or `--by` names directly (anything else is a segment column).
RESPONSE_FILTER_COLUMNS: tuple[str, ...] = ("touchpoint", "channel", "stage", "unit")
DEFAULT_MIN_N = 30
# `--engine`: where metrics are computed (cx.engines builds them; Spark needs a Parquet source).
ENGINES: tuple[str, ...] = ("duckdb", "spark")
# `survey-links`: the app's address, the links' lifetime in days and how many one request may create (cx.survey).
DEFAULT_BASE_URL = "http://localhost:8501"
DEFAULT_EXPIRY_DAYS = 30
MAX_LINKS = 10_000
