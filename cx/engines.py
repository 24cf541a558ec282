"""Where metrics read from: the embedded store, Parquet on DuckDB, or Parquet on Spark.

Every engine offers the same long-schema tables (responses, outcomes, segments, operational)
as ibis expressions, so one metric definition runs unchanged on each of them. Journey
definitions always stay in the store; only feedback rows come from an engine.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
from ibis.expr.types import Table

from cx.choices import ENGINES
from cx.db_file import MIN_MEMORY_BYTES, memory_size
from cx.errors import EngineUnavailable, InvalidInput, NotFound

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "ENGINES",
    "FEEDBACK_TABLES",
    "Engine",
    "limit_memory",
    "memory_setting",
    "parquet_engine",
    "source_engine",
    "spark_conf",
    "spark_engine",
    "spark_session",
    "store_engine",
]


FEEDBACK_TABLES: tuple[str, ...] = ("responses", "outcomes", "segments", "operational")

# DuckDB's own default is 80 % of the machine's RAM: one large aggregation (a group per respondent ×
# touchpoint at 100 M answers) would take it all. Past this limit DuckDB spills to CX_TEMP_DIR.
DEFAULT_MEMORY_LIMIT = "1GB"


def memory_setting() -> tuple[str, str]:
    """Return (memory limit, spill folder) for metric queries on DuckDB, from CX_MEMORY_LIMIT and CX_TEMP_DIR.

    Defaults: 1GB, and cx-duckdb-spill in the system's temp folder.
    """
    raw = os.environ.get("CX_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    size = memory_size(raw)
    if size is None:
        raise InvalidInput(f"CX_MEMORY_LIMIT={raw!r}: write a size such as 1GB, 512MB or 4GB.")
    if size[1] < MIN_MEMORY_BYTES:
        raise InvalidInput(f"CX_MEMORY_LIMIT={raw!r} is too little for DuckDB: give at least 64MB (default 1GB).")
    spill = os.environ.get("CX_TEMP_DIR", "").strip() or str(Path(tempfile.gettempdir()) / "cx-duckdb-spill")
    return size[0], str(Path(spill).expanduser())


def limit_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Cap DuckDB's memory on this connection's database (memory_setting()); past it, queries spill to disk."""
    limit, spill = memory_setting()
    # SET takes no bound parameters: the limit is validated above and rebuilt from its parts; the folder is quoted.
    con.execute(f"SET memory_limit = '{limit}'")
    # A file opened again in the same process is the same DuckDB database, whose spill folder cannot change once a
    # query has spilled into it: set it only when it differs, and keep the one in use if DuckDB refuses.
    (current,) = con.execute("SELECT current_setting('temp_directory')").fetchall()[0]
    if current != spill:
        with suppress(duckdb.NotImplementedException):
            con.execute("SET temp_directory = " + "'" + spill.replace("'", "''") + "'")


@dataclass(frozen=True)
class Engine:
    """An ibis backend plus where its feedback rows live."""

    name: str  # "duckdb" or "spark"
    source: str  # "store" or a Parquet directory
    backend: Any

    def table(self, name: str, dataset: str | None = None) -> Table:
        """Return one long-schema table, limited to a data set when one is given."""
        table = self.backend.table(name)
        if name == "outcomes" and "role" not in table.columns:
            # An export written before outcomes carried a role: no outcome is marked (churn and CLV say so).
            table = table.mutate(role=ibis.null("string"))
        return table if dataset is None else table.filter(table.dataset == dataset)

    def responses(self, dataset: str | None = None) -> Table:
        return self.table("responses", dataset)

    def outcomes(self, dataset: str | None = None) -> Table:
        return self.table("outcomes", dataset)

    def segments(self, dataset: str | None = None) -> Table:
        return self.table("segments", dataset)

    def operational(self, dataset: str | None = None) -> Table:
        return self.table("operational", dataset)

    def dataset_names(self) -> list[str]:
        """Return the data sets present in this engine's responses."""
        table = self.backend.table("responses")
        frame = table.select("dataset").distinct().order_by("dataset").execute()
        return [str(x) for x in frame["dataset"]]

    @property
    def label(self) -> str:
        """Return a short statement of engine and source for page captions."""
        where = "the cx store" if self.source == "store" else f"Parquet at {self.source}"
        return f"{self.name} · {where}"


def store_engine(con: duckdb.DuckDBPyConnection) -> Engine:
    """Return an engine over the store; pass a cursor of its own per thread."""
    return Engine(name="duckdb", source="store", backend=ibis.duckdb.from_connection(con))


def _table_dirs(source: str | Path) -> dict[str, Path]:
    root = Path(source).expanduser()
    if not root.is_dir():
        raise NotFound(f"No Parquet source at {root}: run `python -m cx export --dataset NAME --out {root}` first.")
    dirs = {t: root / t for t in FEEDBACK_TABLES}
    if not any(dirs["responses"].rglob("*.parquet")):
        raise NotFound(f"{root} holds no responses/**/*.parquet: it is not a cx export (see README, 'Parquet schema').")
    return dirs


def parquet_engine(source: str | Path) -> Engine:
    """Return an in-memory DuckDB engine reading a cx Parquet export (hive-partitioned by dataset)."""
    dirs = _table_dirs(source)
    backend = ibis.duckdb.connect()
    limit_memory(backend.con)
    for name, folder in dirs.items():
        if any(folder.rglob("*.parquet")):
            # hive_types_autocast off: a data set called "2024" stays a string.
            backend.read_parquet(str(folder / "**" / "*.parquet"), table_name=name,
                                 hive_partitioning=True, hive_types_autocast=False)
        else:
            _empty_table(backend, name)
    return Engine(name="duckdb", source=str(Path(source)), backend=backend)


def _empty_table(backend: Any, name: str) -> None:
    """Register an empty table with the long schema, for tables an export did not write."""
    backend.create_view(name, ibis.memtable(_EMPTY[name]()), overwrite=True)


def _empty_frames() -> dict[str, Any]:
    import pandas as pd

    def frame(columns: dict[str, str]) -> Any:
        return lambda: pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})

    return {
        "responses": frame({"respondent": "str", "touchpoint": "str", "score": "float64", "scale_min": "float64",
                            "scale_max": "float64", "reversed": "bool", "channel": "str", "stage": "str",
                            "unit": "str", "answered_at": "datetime64[us]", "comment": "str", "dataset": "str"}),
        "outcomes": frame({"respondent": "str", "outcome": "str", "kind": "str", "value": "float64",
                           "scale_min": "float64", "scale_max": "float64", "role": "str", "dataset": "str"}),
        "segments": frame({"respondent": "str", "name": "str", "value": "str", "dataset": "str"}),
        "operational": frame({"respondent": "str", "touchpoint": "str", "name": "str", "value": "float64",
                              "dataset": "str"}),
    }


_EMPTY = _empty_frames()

# ---------------------------------------------------------------- Spark

_SPARK_SESSION: list[Any] = []


def spark_conf() -> dict[str, str]:
    """Return extra spark.* settings from CX_SPARK_CONF (JSON object, or key=value;… , or a file of either)."""
    raw = os.environ.get("CX_SPARK_CONF", "").strip()
    if not raw:
        return {}
    if not raw.startswith("{") and Path(raw).expanduser().is_file():
        raw = Path(raw).expanduser().read_text(encoding="utf-8").strip()
    if raw.startswith("{"):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"CX_SPARK_CONF is not valid JSON ({exc.msg}): use {{\"spark.x\": \"v\"}}") from exc
        return {str(k): str(v) for k, v in data.items()}
    pairs = [p.strip() for p in raw.replace("\n", ";").split(";") if p.strip() and not p.strip().startswith("#")]
    conf = {}
    for pair in pairs:
        if "=" not in pair:
            raise InvalidInput(f"CX_SPARK_CONF entry {pair!r} is not key=value")
        key, value = pair.split("=", 1)
        conf[key.strip()] = value.strip()
    return conf


def spark_session() -> Any:
    """Return the process's Spark session (created once), or raise EngineUnavailable saying what to fix."""
    if _SPARK_SESSION:
        return _SPARK_SESSION[0]
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable(
            "The Spark engine needs pyspark: pip install -r requirements-spark.txt (and Java 17: "
            "apt-get install -y openjdk-17-jre-headless)."
        ) from exc
    remote = os.environ.get("CX_SPARK_REMOTE", "").strip()
    if not remote and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineUnavailable("The Spark engine needs Java 17: apt-get install -y openjdk-17-jre-headless "
                                "(or set JAVA_HOME).")
    builder = SparkSession.builder.appName("cx")
    builder = builder.remote(remote) if remote else builder.master(os.environ.get("CX_SPARK_MASTER", "local[*]"))
    defaults = {
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # Data set names are strings even when they look like numbers.
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    }
    for key, value in {**defaults, **spark_conf()}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # Java gateway errors, unreachable clusters: one line, no stack.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = remote or os.environ.get("CX_SPARK_MASTER", "local[*]")
        raise EngineUnavailable(f"Could not start Spark at {where}: {first[:300]} — check Java 17, "
                                "CX_SPARK_MASTER / CX_SPARK_REMOTE and that the cluster is reachable.") from exc
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    _SPARK_SESSION.append(session)
    return session


def spark_engine(source: str | Path) -> Engine:
    """Return an engine running on Spark over a cx Parquet export."""
    dirs = _table_dirs(source)
    session = spark_session()
    backend = ibis.pyspark.connect(session)
    for name, folder in dirs.items():
        if any(folder.rglob("*.parquet")):
            frame = session.read.option("basePath", str(folder.resolve())).parquet(str(folder.resolve()))
            frame.createOrReplaceTempView(name)
        else:
            backend.create_view(name, ibis.memtable(_EMPTY[name]()), overwrite=True)
    return Engine(name="spark", source=str(Path(source)), backend=backend)


def source_engine(engine: str, source: str | Path) -> Engine:
    """Return the engine of that name over a Parquet source."""
    if engine == "duckdb":
        return parquet_engine(source)
    if engine == "spark":
        return spark_engine(source)
    raise InvalidInput(f"Unknown engine '{engine}': use duckdb or spark.")
