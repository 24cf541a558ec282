"""DuckDB engines run under an explicit memory limit and spill folder (CX_MEMORY_LIMIT, CX_TEMP_DIR)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cx import metrics, store
from cx.__main__ import engine_for
from cx.engines import parquet_engine
from cx.errors import InvalidInput


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    row = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchall()[0]
    return str(row[0]), str(row[1])


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    con = store.connect(":memory:")
    responses = pd.DataFrame({"respondent": ["r1", "r1", "r2", "r3"], "touchpoint": ["Web", "Store", "Web", "Web"],
                              "score": [4.0, 2.0, 5.0, 1.0], "scale_min": 1.0, "scale_max": 5.0})
    store.save_dataset(con, "Shop", responses)
    store.export_parquet(con, "Shop", tmp_path / "lake")
    con.close()
    return tmp_path / "lake"


def test_parquet_engine_defaults_to_1gb_and_a_spill_folder_in_the_temp_folder(
        export: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CX_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("CX_TEMP_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # what gettempdir() answers
    engine = parquet_engine(export)
    assert _settings(engine.backend.con) == ("953.6 MiB", str(tmp_path / "tmp" / "cx-duckdb-spill"))
    # The limit changes nothing in the numbers: Web's three answers on 1-5 are 4, 5, 1 -> 7.5, 10, 0 on 0-10.
    frame = metrics.touchpoint_stats(engine, "Shop")
    assert frame.set_index("touchpoint").loc["Web", "score"] == pytest.approx(17.5 / 3)


def test_parquet_engine_takes_cx_memory_limit_and_cx_temp_dir(
        export: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CX_MEMORY_LIMIT", "256MB")
    monkeypatch.setenv("CX_TEMP_DIR", str(tmp_path / "it's spill"))
    assert _settings(parquet_engine(export).backend.con) == ("244.1 MiB", str(tmp_path / "it's spill"))


@pytest.mark.parametrize(("value", "message"), [
    ("lots", "CX_MEMORY_LIMIT='lots': write a size such as 1GB, 512MB or 4GB."),
    ("1GB; SET threads = 1", "CX_MEMORY_LIMIT='1GB; SET threads = 1': write a size such as 1GB, 512MB or 4GB."),
    ("10MB", "CX_MEMORY_LIMIT='10MB' is too little for DuckDB: give at least 64MB (default 1GB)."),
])
def test_a_bad_memory_limit_is_refused_saying_what_to_write(
        export: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("CX_MEMORY_LIMIT", value)
    with pytest.raises(InvalidInput) as caught:
        parquet_engine(export)
    assert str(caught.value) == message


def test_the_cli_caps_the_store_connection_it_computes_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CX_MEMORY_LIMIT", "512MB")
    monkeypatch.setenv("CX_TEMP_DIR", str(tmp_path / "spill"))
    con = store.connect(":memory:")
    assert engine_for(argparse.Namespace(source=None, engine="duckdb"), con) is None  # the store's own engine
    assert _settings(con) == ("488.2 MiB", str(tmp_path / "spill"))


def test_the_apps_store_connection_runs_under_cx_memory_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cx import ui
    from tests.conftest import app_test_on

    monkeypatch.setenv("CX_MEMORY_LIMIT", "300MB")
    monkeypatch.setenv("CX_TEMP_DIR", str(tmp_path / "spill"))
    db = tmp_path / "app.duckdb"
    with app_test_on(db, monkeypatch) as at:
        at.run()
        assert not at.exception
        assert _settings(ui.connection()) == ("286.1 MiB", str(tmp_path / "spill"))


def test_a_bad_memory_limit_stops_the_app_with_what_to_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import app_test_on

    monkeypatch.setenv("CX_MEMORY_LIMIT", "lots")
    with app_test_on(tmp_path / "app.duckdb", monkeypatch) as at:
        at.run()
        assert not at.exception
        assert [e.value for e in at.error] == ["CX\\_MEMORY\\_LIMIT='lots': write a size such as 1GB, 512MB or 4GB."]


def test_a_store_opened_again_after_a_query_spilled_keeps_its_spill_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The app opens the file again after its caches are cleared; in one process that is the same DuckDB database,
    # whose spill folder cannot be set again once a query used it (DuckDB refused: "Cannot switch temporary
    # directory after the current one has been used").
    from cx.engines import limit_memory

    monkeypatch.setenv("CX_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("CX_TEMP_DIR", str(tmp_path / "spill"))
    con = store.connect(tmp_path / "cx.duckdb")
    limit_memory(con)
    (n,) = con.execute("SELECT count(DISTINCT h) FROM (SELECT md5(i::VARCHAR) AS h FROM range(2000000) t(i))"
                       ).fetchall()[0]
    assert n == 2_000_000
    assert (tmp_path / "spill").is_dir()  # the query spilled
    again = store.connect(tmp_path / "cx.duckdb")
    limit_memory(again)
    assert _settings(again) == ("61.0 MiB", str(tmp_path / "spill"))
    con.close()
    again.close()
