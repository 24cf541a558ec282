"""Parity: every registered metric, the touchpoint scores (and drivers) are equal on the store,
on DuckDB over an exported Parquet directory and on local Spark over the same files."""

from __future__ import annotations

import math
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cx import driver_data, journeys, metrics, store
from cx.engines import Engine, parquet_engine, store_engine
from cx.errors import NotFound

TOL = 1e-9


def _fixture_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return a small data set with blanks (not applicable), three scales, channels and two segments."""
    rows = []
    plan = {  # touchpoint: (scale, scores per respondent r1..r8; None = not applicable)
        "Web": ((1, 5), [5, 4, None, 2, 1, 4, 5, 3]),
        "Store": ((0, 10), [9, 10, 6, None, 3, 8, 7, 10]),
        "Checkout": ((1, 7), [7, 6, 5, 4, None, 2, 6, 7]),
    }
    channels = ["web", "store"]
    for tp, ((lo, hi), scores) in plan.items():
        for i, score in enumerate(scores, start=1):
            rows.append({"respondent": f"r{i}", "touchpoint": tp, "score": score, "scale_min": float(lo),
                         "scale_max": float(hi), "channel": channels[i % 2], "unit": f"U{i % 3}",
                         "answered_at": pd.Timestamp(2026, 1 + i % 3, 10 + i)})
    responses = pd.DataFrame(rows)
    responses["score"] = responses["score"].astype("float64")
    segments = pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "name": "plan",
                             "value": ["gold", "basic"] * 4})
    nps = [10, 9, 9, 10, 8, 7, 6, 3]
    outcomes = pd.concat([
        pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "outcome": "Recommend", "kind": "nps",
                      "value": [float(v) for v in nps], "scale_min": 0.0, "scale_max": 10.0}),
        pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "outcome": "Churned", "kind": "binary",
                      "value": [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], "scale_min": 0.0, "scale_max": 1.0,
                      "role": "churn"}),
        pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "outcome": "Revenue", "kind": "value",
                      "value": [100.0, 250.0, 80.0, 40.0, 300.0, 120.0, 90.0, 60.0],
                      "scale_min": math.nan, "scale_max": math.nan, "role": "revenue"}),
    ])
    return responses, segments, outcomes


DATASET = "Parity 'set'; 2026"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    con = store.connect(":memory:")
    responses, segments, outcomes = _fixture_frames()
    store.save_dataset(con, DATASET, responses, segments=segments, outcomes=outcomes)
    store.save_dataset(con, "Other", responses.assign(score=1.0))
    out = tmp_path_factory.mktemp("parquet")
    written = store.export_parquet(con, DATASET, out)
    assert written == {"responses": 24, "outcomes": 24, "segments": 8, "operational": 0}
    store.export_parquet(con, "Other", out)
    return con, out


def _snapshot(engine: Engine, con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    out: dict[str, object] = {}
    for by in (None, "segment:plan", "channel", "month"):
        for r in metrics.compute(engine, dataset=DATASET, by=by):
            out[f"{r.metric}|{by}|{r.group}"] = (r.value, r.low, r.high, r.n)
    stats = metrics.touchpoint_stats(engine, DATASET)
    for row in stats.to_dict("records"):
        out[f"tp|{row['touchpoint']}"] = tuple(row[k] for k in ("n", "mean", "score", "low", "high"))
    scores = journeys.dataset_scores(con, DATASET, engine=engine)
    out["journey"] = journeys.touchpoint_records(scores)
    # Drivers: relative weights of the three touchpoints on the recommend outcome (min n 5: tiny fixture).
    out["drivers"] = driver_data.analyse(engine, DATASET, "Recommend", min_n=5).as_dict()
    return out


def _assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        _close(a[key], b[key], key)


def _close(x: object, y: object, where: str) -> None:
    if isinstance(x, (list, tuple)):
        assert isinstance(y, (list, tuple)) and len(x) == len(y), where
        for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
            _close(xi, yi, f"{where}[{i}]")
    elif isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), where
        for k in x:
            _close(x[k], y[k], f"{where}.{k}")
    elif isinstance(x, float) and not (x is None or math.isnan(x)):
        assert isinstance(y, (int, float)) and abs(x - y) <= TOL, (where, x, y)
    else:
        assert x == y or (x is None and y is None), (where, x, y)


def test_hand_computed_nps_on_every_engine(stored) -> None:
    con, out = stored
    # 10, 9, 9, 10, 8, 7, 6, 3 -> 4 promoters, 2 detractors of 8 -> NPS 25.
    for engine in (store_engine(con), parquet_engine(out)):
        (nps,) = metrics.compute(engine, ["nps"], dataset=DATASET)
        assert nps.value == pytest.approx(25.0, abs=TOL) and nps.n == 8


def test_parquet_on_duckdb_equals_the_store(stored) -> None:
    con, out = stored
    _assert_same(_snapshot(store_engine(con), con), _snapshot(parquet_engine(out), con))


def test_every_registered_metric_is_in_the_parity_snapshot(stored) -> None:
    con, _ = stored
    names = {key.split("|")[0] for key in _snapshot(store_engine(con), con) if "|" in key}
    assert set(metrics.REGISTRY) <= names


def test_missing_source_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="cx export"):
        parquet_engine(tmp_path / "nothing")


@pytest.fixture(scope="module")
def spark_engine_factory():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark parity tests: pip install -r requirements-spark.txt "
                        "and apt-get install -y openjdk-17-jre-headless")
        pytest.skip("pyspark is not installed (pip install -r requirements-spark.txt)")
    os.environ.setdefault("CX_SPARK_MASTER", "local[1]")
    from cx.engines import spark_engine

    return spark_engine


# pyspark 4.0 passes pandas 3 a deprecated `copy=` and leaves py4j sockets to the collector.
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning", "ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_equals_the_store(stored, spark_engine_factory) -> None:
    con, out = stored
    _assert_same(_snapshot(store_engine(con), con), _snapshot(spark_engine_factory(out), con))


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning", "ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("engine_name", ["duckdb", "spark"])
def test_the_journey_page_can_read_a_parquet_source(engine_name: str, seeded_db: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, request) -> None:
    if engine_name == "spark":
        request.getfixturevalue("spark_engine_factory")
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT, no_exceptions

    con = store.connect(seeded_db)
    store.export_parquet(con, "Retail sample", tmp_path / "lake")
    expected = journeys.hides_sentence(journeys.journey_scores(con, "Retail store journey"))
    con.close()
    monkeypatch.setenv("CX_DB", str(seeded_db))
    monkeypatch.setenv("CX_SOURCE", str(tmp_path / "lake"))
    monkeypatch.setenv("CX_ENGINE", engine_name)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "pages" / "1_Journey.py"), default_timeout=180)
    at.query_params["journey"] = "Retail store journey"
    at.run()
    no_exceptions(at)
    assert f"Computed on {engine_name} · Parquet at {tmp_path / 'lake'}" in [c.value for c in at.caption]
    assert [w.value for w in at.warning] == [expected]
    st.cache_resource.clear()
