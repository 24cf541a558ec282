"""Where metrics read from: the embedded store, or Parquet files on DuckDB (Spark later).

Every engine offers the same three tables in cx's long schema (see README), as ibis
expressions, so one metric definition runs unchanged on each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
from ibis.expr.types import Table


@dataclass(frozen=True)
class Engine:
    """An ibis backend plus where its feedback rows live."""

    name: str  # "duckdb" or "spark"
    source: str  # "store" or a Parquet directory
    backend: Any

    def table(self, name: str, dataset: str | None = None) -> Table:
        """Return one long-schema table, limited to a data set when one is given."""
        table = self.backend.table(name)
        return table if dataset is None else table.filter(table.dataset == dataset)

    def responses(self, dataset: str | None = None) -> Table:
        return self.table("responses", dataset)

    def outcomes(self, dataset: str | None = None) -> Table:
        return self.table("outcomes", dataset)

    def segments(self, dataset: str | None = None) -> Table:
        return self.table("segments", dataset)

    @property
    def label(self) -> str:
        """Return a short statement of engine and source for page captions."""
        where = "the cx store" if self.source == "store" else self.source
        return f"{self.name} · {where}"


def store_engine(con: duckdb.DuckDBPyConnection) -> Engine:
    """Return an engine over the store; pass a cursor of its own per thread."""
    return Engine(name="duckdb", source="store", backend=ibis.duckdb.from_connection(con))
