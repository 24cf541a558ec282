"""Shared fixtures: a fresh in-memory store per test, golden files, a seeded database file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import seed, store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
GOLDENS = FIXTURES / "goldens"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """Return an empty, migrated in-memory store."""
    connection = store.connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def expected() -> dict:
    """Return the golden values (copied from the team's hand-checked cases)."""
    return json.loads((GOLDENS / "expected.json").read_text())


def golden_csv(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDENS / name)


def comment_frame(rows: list[tuple[str, float]]) -> pd.DataFrame:
    """Return comments (text, score on 1–5) as `cx.comments.comments` gives them: with language, sentiment, band."""
    from cx import comments

    frame = pd.DataFrame(rows, columns=["comment", "score"]).assign(scale_min=1.0, scale_max=5.0, reversed=False)
    return comments.annotate(frame)


def long_rows(touchpoint: str, scores: list[float], lo: float, hi: float, **extra: object) -> pd.DataFrame:
    """Return response rows (one respondent per score) for one touchpoint."""
    return pd.DataFrame({
        "respondent": [f"r{i}" for i in range(1, len(scores) + 1)],
        "touchpoint": touchpoint, "score": [float(s) for s in scores],
        "scale_min": float(lo), "scale_max": float(hi), **extra,
    })


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the path of a database file seeded as on a first run (built once per session)."""
    path = tmp_path_factory.mktemp("db") / "cx.duckdb"
    seed.open_store(path).close()
    return path


@contextmanager
def app_test_on(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """Yield an AppTest of the home page on the database `db`, with Streamlit's caches cleared."""
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    st.cache_resource.clear()


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """Return a database with no journeys and no data, marked as seeded so the app does not restore the sample."""
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    con.close()
    return path


@pytest.fixture
def upload_page(empty_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """Return an AppTest on the Upload page of an empty database (nothing seeded: only what the test imports)."""
    with app_test_on(empty_db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/11_Upload.py").run()
        yield at


@pytest.fixture
def app(seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """Return an AppTest of the home page on the seeded database, with Streamlit's caches cleared."""
    with app_test_on(seeded_db, monkeypatch) as at:
        yield at


def no_exceptions(at: AppTest) -> None:
    """Fail with the messages of any exception the app showed."""
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def db(tmp_path: Path, seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Return a private copy of the seeded database (set as CX_DB) for page tests that write."""
    import shutil

    import streamlit as st

    path = tmp_path / "cx.duckdb"
    shutil.copy(seeded_db, path)
    monkeypatch.setenv("CX_DB", str(path))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()
