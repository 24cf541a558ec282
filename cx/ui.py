"""The one cx module that imports Streamlit: connection, caching, shared widgets."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from cx import store
from cx.engines import Engine, store_engine
from cx.errors import CxError
from cx.metrics import DEFAULT_MIN_N

T = TypeVar("T")
DB_KEY = "cx_db_path"
MIN_N_KEY = "cx_min_n"


def _keep(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def db_path() -> str:
    """Return the database path chosen in the sidebar, else $CX_DB, else data/cx.duckdb."""
    chosen = st.session_state.get(DB_KEY)
    return str(chosen) if chosen else str(store.default_db_path())


@st.cache_resource(show_spinner="Opening the database (the first run loads the sample data)…")
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    # One connection per process and file; every script run takes its own cursor.
    return store.open_store(path)


def connection() -> duckdb.DuckDBPyConnection:
    """Return a cursor of the shared connection for this script run, or stop with a message."""
    try:
        return _connection(db_path()).cursor()
    except CxError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


def engine() -> Engine:
    """Return the metric engine for this script run (the store on DuckDB)."""
    return store_engine(connection())


def run_safely(action: Callable[[], T], what: str) -> T:
    """Return action(); on a CxError show its message and stop the page instead of a traceback."""
    try:
        return action()
    except CxError as exc:
        st.error(f"{what}: {exc}")
        st.stop()
        raise


def data_version(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """Return a small key that changes whenever data sets, journeys or assessments change."""
    return tuple(store.table_counts(con).values()) + (
        con.execute("SELECT max(imported_at) FROM datasets").fetchall()[0][0],
        con.execute("SELECT max(assessed_at) FROM assessments").fetchall()[0][0],
    )


def sidebar_settings() -> int:
    """Draw the shared sidebar settings; return the minimum n for reliable scores."""
    with st.sidebar:
        st.caption("Settings")
        default = str(store.default_db_path())
        path = st.text_input(
            "Database file", value=st.session_state.get(DB_KEY, default), key="cx_db_input",
            help="An embedded DuckDB file, created on first use. Default: $CX_DB or data/cx.duckdb.",
        )
        if path.strip() and path.strip() != st.session_state.get(DB_KEY, default):
            st.session_state[DB_KEY] = path.strip()
        # Widget state is dropped when the user changes page; keep the value under our own key.
        st.session_state.setdefault(MIN_N_KEY, int(os.environ.get("CX_MIN_N", DEFAULT_MIN_N)))
        min_n = st.number_input(
            "Minimum answers for a reliable score", min_value=1, max_value=100_000, step=1,
            value=int(st.session_state[MIN_N_KEY]), key="min_n_input", on_change=_keep, args=("min_n_input", MIN_N_KEY),
            help="Scores with fewer answers are flagged as unreliable and never called weak.",
        )
    return int(min_n)


def query_choice(label: str, options: list[str], param: str, *, help: str | None = None) -> str | None:
    """Return a selectbox choice that is mirrored in the URL (`?param=value`) so links reproduce it."""
    if not options:
        return None
    wanted = st.query_params.get(param)
    index = options.index(wanted) if wanted in options else 0
    choice = st.selectbox(label, options, index=index, key=f"choice_{param}", help=help)
    if choice is not None and st.query_params.get(param) != choice:
        st.query_params[param] = choice
    return choice


def dataset_path_label(path: str) -> str:
    """Return a short form of a database path for captions."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)
