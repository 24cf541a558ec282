"""The one cx module that imports Streamlit: connection, caching, shared widgets."""

from __future__ import annotations

import gc
import os
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from time import monotonic
from typing import Any, NoReturn, TypeVar

import duckdb
import pandas as pd
import streamlit as st
import threadpoolctl
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cx import comparisons, data_folder, db_file, exports, formats, journeys, metrics, seed, store
from cx import mapping as maps
from cx.comments_themes import DEFAULT_K, Themes
from cx.engines import ENGINES, Engine, limit_memory, source_engine, store_engine
from cx.errors import CxError, DatabaseFileGone, InvalidInput
from cx.ingest import UploadSlot
from cx.metrics import DEFAULT_MIN_N, Filter, MetricResult
from cx.models import ClvSettings, JourneyScores

__all__ = [
    "CLV_KEY",
    "DATASET_KEY",
    "DB_KEY",
    "ENGINE_KEY",
    "FILTER_PARAMS",
    "MIN_N_KEY",
    "SOURCE_KEY",
    "PageContext",
    "Steps",
    "alert_actions",
    "cache_key",
    "cached",
    "chart",
    "clv_settings",
    "clv_sidebar",
    "comment_themes",
    "comments",
    "compute",
    "connection",
    "data_version",
    "dataset_choice",
    "dataset_names",
    "dataset_page",
    "dataset_scores",
    "datasets",
    "db_path",
    "engine",
    "engine_caption",
    "escape_md",
    "hides_message",
    "filter_notes",
    "filter_options",
    "item_labels",
    "journey_table_columns",
    "metric_tile",
    "outcome_tiles",
    "outcomes",
    "query_choice",
    "require_dataset",
    "run_safely",
    "sidebar_filters",
    "sidebar_settings",
    "source_setting",
    "stop",
    "stops_with_session",
    "stored",
    "table_counts",
    "table_download",
    "touchpoint_picker",
    "touchpoint_stats",
    "touchpoints_weakest_first",
    "upload_slot",
]


T = TypeVar("T")
# The server's cores are shared by every session: one BLAS thread per matrix product (the driver bootstrap's) made a
# 26 k-respondent bootstrap 2.2–2.5× faster than OpenBLAS's two threads on the 2-core machine under load.
_BLAS_SETTING = os.environ.get("CX_BLAS_THREADS", "1").strip()
if not _BLAS_SETTING.isdigit() or int(_BLAS_SETTING) < 1:
    raise InvalidInput(f"CX_BLAS_THREADS is '{_BLAS_SETTING}': set it to a whole number of threads, 1 or more "
                       "(or unset it for 1).")
BLAS_THREADS = int(_BLAS_SETTING)
threadpoolctl.threadpool_limits(limits=BLAS_THREADS, user_api="blas")
DB_KEY = "cx_db_path"
MIN_N_KEY = "cx_min_n"
CLV_KEY = "cx_clv"  # {data set: the CLV settings typed in the Overview sidebar, where they differ from the mapping's}


def _keep(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


def db_path() -> str:
    """Return the database path chosen in the sidebar, else $CX_DB, else data/cx.duckdb."""
    chosen = st.session_state.get(DB_KEY)
    return str(chosen) if chosen else str(store.default_db_path())


@dataclass(frozen=True)
class _Opened:
    con: duckdb.DuckDBPyConnection
    identity: tuple[int, int] | None  # the file's (device, inode) when it was opened


@st.cache_resource(show_spinner="Opening the database (the first run loads the sample data)…")
def _connection(path: str) -> _Opened:
    con = seed.open_store(path)  # one per process and file; every script run takes its own cursor
    try:
        limit_memory(con)  # queries spill past CX_MEMORY_LIMIT, as the CLI's do, instead of taking 80 % of the RAM
    except CxError:
        con.close()
        raise
    return _Opened(con, db_file.file_identity(path))


def _reopen(opened: _Opened, path: str) -> None:
    """Close the connection to a file that is gone and forget it, so the next run opens what is at `path` now."""
    opened.con.close()  # DuckDB would hand the deleted file back to a new connect while this one is open
    _connection.clear(path)
    st.cache_data.clear()


_frozen_modules = 0


def _freeze_long_lived_heap() -> None:
    # Streamlit runs a full gc.collect() after every script run (runner.postScriptGC); with pandas,
    # ibis and altair loaded that took ~0.35 s per run and held the GIL, so 50 workshop phones got
    # 2 runs/s in all. Freezing what is alive once the libraries are imported (again only when new
    # modules appear) leaves each run's collection with that run's own objects: ~0.05 s per run.
    # Measured with bench/workshop_load.py.
    global _frozen_modules
    if len(sys.modules) > _frozen_modules:
        _frozen_modules = len(sys.modules)
        gc.collect()
        gc.freeze()


def connection() -> duckdb.DuckDBPyConnection:
    """Return a cursor of the shared connection for this script run, or stop with a message.

    The cursor stops with the browser session: a query still under way when the tab closes is interrupted
    (`stops_with_session`), on every page.
    """
    _freeze_long_lived_heap()
    path = db_path()
    try:
        opened = _connection(path)
    except CxError as exc:
        st.error(escape_md(str(exc)))
        st.stop()
        raise  # unreachable: st.stop() raises
    try:
        # A cheap stat per run: the file deleted or replaced under the app would otherwise take its writes.
        db_file.check_same_file(path, opened.identity)
    except DatabaseFileGone as exc:
        st.error(escape_md(str(exc)))
        gone = db_file.file_identity(path) is None
        st.button("Start a new database there" if gone else "Open the file now at that path", type="primary",
                  on_click=_reopen, args=(opened, path), key="cx_db_reopen")
        st.stop()
    cursor = opened.con.cursor()
    # Only a script run has a session to end with (a download callable's thread has none).
    return cursor if get_script_run_ctx(suppress_warning=True) is None else stops_with_session(cursor)


SOURCE_KEY = "cx_source"
ENGINE_KEY = "cx_engine"


def source_setting() -> tuple[str, str | None]:
    """Return (engine, Parquet source or None for the store) from the sidebar or CX_ENGINE / CX_SOURCE."""
    source = st.session_state.get(SOURCE_KEY, os.environ.get("CX_SOURCE", "").strip() or None)
    name = st.session_state.get(ENGINE_KEY, os.environ.get("CX_ENGINE", "duckdb").strip() or "duckdb")
    return (name if source else "duckdb"), source


@st.cache_resource(show_spinner="Connecting to the feedback source (Spark takes a few seconds)…")
def _source_engine(name: str, source: str) -> Engine:
    return source_engine(name, source)


def engine() -> Engine:
    """Return the metric engine for this script run: the store, or Parquet on DuckDB or Spark."""
    name, source = source_setting()
    if source is None:
        return store_engine(connection())
    if name == "duckdb":
        # An in-memory DuckDB with views over the files: cheap, and private to this script run.
        return run_safely(lambda: source_engine(name, source), "Cannot read the feedback source")
    return run_safely(lambda: _source_engine(name, source), "Cannot start the Spark engine")


def engine_caption() -> None:
    """State on the page which engine and source its numbers come from."""
    used = engine()
    shown = used if used.source == "store" else replace(used, source=data_folder.shown_path(used.source))
    st.caption(f"Computed on {shown.label}")


def dataset_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the data sets of the active feedback source."""
    _, source = source_setting()
    return store.dataset_names(con) if source is None else engine().dataset_names()


def cache_key(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """Return what cached results depend on: database, source and data version."""
    return (db_path(), *source_setting(), data_version(con))


@st.cache_data(show_spinner="Computing…", max_entries=512)
def _compute(key: tuple[Any, ...], names: tuple[str, ...] | None, dataset: str, by: str | None,
             filters: tuple[Filter, ...], min_n: int, clv: ClvSettings) -> list[MetricResult]:
    return metrics.compute(engine(), names, dataset=dataset, by=by, filters=filters, min_n=min_n, clv=clv)


def compute(con: duckdb.DuckDBPyConnection, names: Sequence[str] | None, dataset: str, *, by: str | None = None,
            filters: Sequence[Filter] = (), min_n: int = DEFAULT_MIN_N) -> list[MetricResult]:
    """Return metrics.compute(...) cached per filter, so going back to a filter is instant.

    CLV uses the settings in force for the data set (`clv_settings`), on every page alike.
    """
    return _compute(cache_key(con), None if names is None else tuple(names), dataset, by, tuple(filters), min_n,
                    clv_settings(con, dataset))


@st.cache_data(show_spinner=False, max_entries=64)
def _stored_clv(key: tuple[Any, ...], dataset: str) -> ClvSettings:
    return maps.clv_of(store.dataset_mapping(connection(), dataset))


def _mapping_clv(con: duckdb.DuckDBPyConnection, dataset: str) -> ClvSettings:
    # Read once per data version: every metric computed on a page asks for it.
    return _stored_clv(cache_key(con), dataset)


def clv_settings(con: duckdb.DuckDBPyConnection, dataset: str) -> ClvSettings:
    """Return the CLV settings in force for a data set: those typed in the Overview sidebar, else its mapping's."""
    typed: dict[str, ClvSettings] = st.session_state.get(CLV_KEY, {})
    return typed.get(dataset) or _mapping_clv(con, dataset)


def clv_sidebar(con: duckdb.DuckDBPyConnection, dataset: str) -> ClvSettings:
    """Draw CLV's margin, period and discount rate in a sidebar expander; return the settings in force.

    They start from the data set's mapping ("clv"); what is typed here overrides it for this session.
    """
    from_mapping = _mapping_clv(con, dataset)
    current = clv_settings(con, dataset)
    with st.sidebar.expander("CLV settings"):
        margin = st.number_input("Margin (share of revenue kept)", min_value=0.0, max_value=1.0,
                                 value=float(current.margin), step=0.05, format="%.3f", key=f"clv_margin_{dataset}",
                                 help="0.3 keeps 30 % of revenue as margin; 1 counts all revenue.")
        period = st.text_input("Revenue period", value=current.period, key=f"clv_period_{dataset}",
                               help="What the revenue outcome and the churn outcome are measured over, e.g. year.")
        discount = st.number_input("Discount rate per period", min_value=0.0, max_value=1.0,
                                   value=float(current.discount), step=0.01, format="%.3f",
                                   key=f"clv_discount_{dataset}", help="0.1 discounts each later period by 10 %.")
        try:
            chosen = ClvSettings(margin=float(margin), period=period.strip() or from_mapping.period,
                                 discount=float(discount))
        except CxError as exc:
            st.error(escape_md(str(exc)))
            chosen = current
        st.caption("From the data set's mapping." if chosen == from_mapping else
                   f"Typed here; the mapping says margin {from_mapping.margin:g}, period "
                   f"{escape_md(from_mapping.period)}, discount {from_mapping.discount:g}.")
    typed = {k: v for k, v in st.session_state.get(CLV_KEY, {}).items() if k != dataset}
    st.session_state[CLV_KEY] = typed if chosen == from_mapping else {**typed, dataset: chosen}
    return chosen


@st.cache_data(show_spinner="Computing…", max_entries=256)
def _outcomes(key: tuple[Any, ...], dataset: str, by: str | None, filters: tuple[Filter, ...],
              min_n: int) -> list[MetricResult]:
    return metrics.outcome_results(engine(), dataset, by=by, filters=filters, min_n=min_n)


def outcomes(con: duckdb.DuckDBPyConnection, dataset: str, *, by: str | None = None,
             filters: Sequence[Filter] = (), min_n: int = DEFAULT_MIN_N) -> list[MetricResult]:
    """Return metrics.outcome_results(...) cached per filter: every outcome of the data set as a metric."""
    return _outcomes(cache_key(con), dataset, by, tuple(filters), min_n)


def item_labels(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter] = ()) -> dict[str, str]:
    """Return CSAT / CES labels that say what they pool: "CSAT of 14 touchpoints" (answers, not the outcome)."""
    counts = cached(metrics.pooled_touchpoints, dataset, ("csat", "ces"), filters=tuple(filters), con=con)
    return {name: f"{metrics.metric(name).label} of {k} touchpoint{'s' if k != 1 else ''}"
            for name, k in counts.items() if k}


def outcome_tiles(results: Sequence[MetricResult]) -> None:
    """Draw one tile per outcome (value, 95 % interval, respondents); say so when the data set has none."""
    if not results:
        st.info("This data set has no outcome per respondent (satisfied yes/no, recommend 0–10, churned, "
                "revenue): map one at import to see what the touchpoints lead to.")
        return
    for column, result in zip(st.columns(min(len(results), 4)), results, strict=False):
        value = "—" if result.value is None else (
            f"{result.value:+.0f}" if result.kind == "nps" else
            f"{result.value:.1f} %" if result.kind == "binary" else f"{result.value:,.2f}")
        column.metric(escape_md(metrics.outcome_label(result)), value,
                      help=metrics.OUTCOME_MEANS.get(result.kind or "", ""))
        interval = "" if result.low is None or result.high is None else (
            f"95 % {result.low:,.1f} to {result.high:,.1f} · ")
        scale = "" if result.scale is None else f" · on {result.scale[0]:g}–{result.scale[1]:g}"
        column.caption(f"{interval}{result.n:,} respondents{scale}" + (" · low n" if result.low_n else ""))
    if len(results) > 4:
        st.caption(f"{len(results) - 4} more outcome(s): see the breakdown below or `python -m cx metrics`.")


@st.cache_data(show_spinner=False, max_entries=64)
def _filter_options(key: tuple[Any, ...], dataset: str) -> dict[str, Any]:
    return metrics.filter_options(engine(), dataset)


def filter_options(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, Any]:
    """Return what the data set can be filtered by (cached)."""
    return _filter_options(cache_key(con), dataset)


@st.cache_data(show_spinner="Reading the comments: language and sentiment, once per data set…", max_entries=16)
def _comment_readings(key: tuple[Any, ...], dataset: str) -> tuple[dict[str, tuple[str, float | None]], pd.DataFrame]:
    from cx import comments  # once per data set: each text's language and sentiment, and the whole responses' texts

    found = engine()
    return comments.dataset_readings(found, dataset), comments.whole_responses(found, dataset)


@st.cache_data(show_spinner="Reading the comments…", max_entries=128)
def _comments(key: tuple[Any, ...], dataset: str, filters: tuple[Filter, ...], touchpoint: str | None) -> pd.DataFrame:
    from cx import comments

    if touchpoint is not None:  # one touchpoint's comments are rows of everyone's: no second query
        return comments.at_touchpoint(_comments(key, dataset, filters, None), touchpoint)
    readings, whole = _comment_readings(key, dataset)
    return comments.comments(engine(), dataset, filters, readings=readings, whole=whole)


def comments(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter] = (), *,
             touchpoint: str | None = None) -> pd.DataFrame:
    """Return cx.comments.comments(...) cached per data version and filter.

    Language and sentiment, and which comments belong to whole responses, are read once per data set (by data
    version), not on every rerun.
    """
    return _comments(cache_key(con), dataset, tuple(filters), touchpoint)


@st.cache_data(show_spinner="Finding the themes…", max_entries=128)
def _comment_themes(key: tuple[Any, ...], dataset: str, filters: tuple[Filter, ...], touchpoint: str | None,
                    low_only: bool, k: int) -> Themes:
    from cx import comments, comments_themes

    frame = _comments(key, dataset, filters, touchpoint)
    if low_only:
        frame = frame[frame["band"].isin(comments.LOW_BANDS)]
    return comments_themes.themes(frame, k=k)


def comment_themes(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter] = (), *,
                   touchpoint: str | None = None, low_only: bool = True, k: int = DEFAULT_K) -> Themes:
    """Return the themes (cx.comments_themes.Themes) of the comments, or of their low-score ones, cached."""
    return _comment_themes(cache_key(con), dataset, tuple(filters), touchpoint, low_only, k)


@st.cache_data(show_spinner=False, max_entries=512)
def _engine_call(key: tuple[Any, ...], name: str, _function: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return _function(engine(), *args, **dict(kwargs))


def _call(key: tuple[Any, ...], function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    result: T = _engine_call(key, f"{function.__module__}.{function.__qualname__}", function, args,
                             tuple(sorted(kwargs.items())))
    return result


def cached(function: Callable[..., T], *args: Any, con: duckdb.DuckDBPyConnection, **kwargs: Any) -> T:
    """Return function(engine(), *args, **kwargs), cached per data version and arguments.

    For cx functions of the metric engine (metrics.operational_stats, comments.answer_count…): a rerun
    that changes none of their arguments reads none of the rows again. Arguments must be hashable data.
    """
    return _call(cache_key(con), function, args, kwargs)


def touchpoint_stats(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter] = (), *,
                     by: str | None = None) -> pd.DataFrame:
    """Return metrics.touchpoint_stats(...), cached per data version and filter: one aggregation shared by every page
    that scores the touchpoints (Journey, and through `dataset_scores` Touchpoints, Local units, Comments, Actions)."""
    return _touchpoint_stats(cache_key(con), dataset, tuple(filters), by)


def _touchpoint_stats(key: tuple[Any, ...], dataset: str, filters: tuple[Filter, ...], by: str | None) -> pd.DataFrame:
    return _call(key, metrics.touchpoint_stats, (dataset, filters), {"by": by})


@st.cache_data(show_spinner=False, max_entries=256)
def _store_call(key: tuple[Any, ...], name: str, _function: Callable[..., Any], args: tuple[Any, ...],
                kwargs: tuple[tuple[str, Any], ...]) -> Any:
    return _function(connection(), *args, **dict(kwargs))


def stored(function: Callable[..., T], *args: Any, con: duckdb.DuckDBPyConnection, **kwargs: Any) -> T:
    """Return function(<this run's cursor>, *args, **kwargs), cached per data version and arguments.

    `cached` for cx functions that read the store itself (survey.touchpoints_of, alerts.rule_targets…): for reads
    that scan the answers. Only what the data version covers may be read this way (every table's row count).
    """
    name = f"{function.__module__}.{function.__qualname__}"
    result: T = _store_call(cache_key(con), name, function, args, tuple(sorted(kwargs.items())))
    return result


@st.cache_data(show_spinner=False, max_entries=256)
def _dataset_scores(key: tuple[Any, ...], dataset: str, filters: tuple[Filter, ...], min_n: int) -> Any:
    stats = _touchpoint_stats(key, dataset, filters, None)  # shared with the other pages
    return journeys.dataset_scores(connection(), dataset, filters=filters, min_n=min_n, stats_frame=stats)


def dataset_scores(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter] = (),
                   min_n: int = DEFAULT_MIN_N) -> Any:
    """Return journeys.dataset_scores(...) (every touchpoint of the data set scored), cached per filter."""
    return _dataset_scores(cache_key(con), dataset, tuple(filters), min_n)


@st.cache_data(show_spinner=False, max_entries=16)
def _datasets(key: tuple[Any, ...]) -> pd.DataFrame:
    return store.datasets(connection())


def datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return store.datasets(...) (each data set with its kind, answers and respondents), cached per data version."""
    return _datasets(cache_key(con))


@st.cache_data(show_spinner=False, max_entries=16)
def _table_counts(key: tuple[Any, ...]) -> dict[str, int]:
    return store.table_counts(connection())


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return store.table_counts(...) (the rows of every cx table), cached per data version."""
    return _table_counts(cache_key(con))


class _SessionWork:
    """What one browser session has under way on the server: its staged upload and its script runs' cursors."""

    def __init__(self) -> None:
        self.upload = UploadSlot()
        self._cursors: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        ctx = get_script_run_ctx()
        self._session = None if ctx is None else ctx.session_id
        self._files = None if ctx is None else ctx.uploaded_file_mgr

    def watch(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursors.add(cursor)

    def end(self) -> None:
        # Streamlit stops a script whose session ended only at its next element: a DuckDB query under
        # way would run on unseen. Interrupt it (its script then ends with the error), then free the upload.
        # A write under way (a Send, a saved action) finishes: it is one short transaction the user asked for.
        for cursor in list(self._cursors):
            if store.in_transaction(cursor):
                continue
            with suppress(duckdb.Error):  # a cursor already closed
                cursor.interrupt()
        self.upload.release()
        self._forget_files_later()

    def _forget_files_later(self) -> None:
        # Streamlit (1.67) never shuts down a session it drops from its disconnected-session storage, so
        # the uploaded bytes stay in its file manager for good (streamlit/streamlit#12506). Once the time a
        # session may come back has passed and it has not, remove them as its shutdown would.
        if self._session is None or self._files is None or not runtime.exists():
            return
        _SESSION_ENDS[self._session] = monotonic()
        timer = threading.Timer(_reconnect_window() + 5, self._forget_files)
        timer.daemon = True
        timer.start()

    def _forget_files(self) -> None:
        session, files = self._session, self._files
        if session is None or files is None or not runtime.exists():
            return
        ended = _SESSION_ENDS.get(session)
        if ended is None or monotonic() - ended < _reconnect_window() or runtime.get_instance().is_active_session(
                session):
            return  # it came back (and may have left again since: the later timer decides)
        _SESSION_ENDS.pop(session, None)
        files.remove_session_files(session)


_SESSION_ENDS: dict[str, float] = {}  # session id -> when its connection last dropped (monotonic s)


def _reconnect_window() -> float:
    return float(st.get_option("server.disconnectedSessionTTL"))


# Session scope: Streamlit calls on_release when the session's connection drops (tab closed, network lost)
# and when the caches are cleared; a browser that comes back gets a new, empty one.
@st.cache_resource(scope="session", on_release=_SessionWork.end, show_spinner=False)
def _session_work() -> _SessionWork:
    return _SessionWork()


def upload_slot() -> UploadSlot:
    """Return this browser session's upload slot (cx.ingest.UploadSlot), freed when the session ends."""
    return _session_work().upload


def stops_with_session(cursor: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Return `cursor`, registered to be interrupted when this browser session ends (long checks stop)."""
    _session_work().watch(cursor)
    return cursor


def run_safely(action: Callable[[], T], what: str) -> T:
    """Return action(); on a CxError show its message and stop the page instead of a traceback.

    The message is shown as text: it may quote names, file contents or a URL parameter.
    """
    try:
        return action()
    except CxError as exc:
        st.error(escape_md(f"{what}: {exc}"))
        stop()


def data_version(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """Return a small key that changes whenever data sets, journeys or assessments change.

    Read once per script run (every cache key of the run uses it), and again as soon as a store transaction
    commits (`store.commit_count`): a page that writes sees its own write, as do other sessions' runs.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return store.data_version(con)
    # ScriptRunContext.reset() gives every script run (fragment runs too) a new `cursors` dict: the memo holds
    # that dict, so it cannot outlive its run (nor be confused with a later run's). Read the count first: a
    # commit during the query leaves the memo stale by its count, never current.
    run, commits, path = ctx.cursors, store.commit_count(), db_path()
    memo = getattr(ctx, "_cx_data_version", None)
    if memo is not None and memo[0] is run and memo[1:3] == (commits, path):
        return tuple(memo[3])
    # The process's commit count is part of the key: an edit that keeps every row count (an action's status, a
    # journey renamed, an alert rule re-armed) is still a new version. The app is the one writer of its file
    # (DuckDB's lock), so every write anyone can make to it moves this count.
    version = (*store.data_version(con), commits)
    ctx._cx_data_version = (run, commits, path, version)  # type: ignore[attr-defined]
    return version


def sidebar_settings() -> int:
    """Draw the shared sidebar settings; return the minimum n for reliable scores."""
    with st.sidebar:
        st.caption("Settings")
        # Only the configured file and databases in the data folder can be picked; a new one only when
        # CX_MAX_DATABASES allows it (cx.data_folder): a browser user must not reach files elsewhere.
        default = str(store.default_db_path())
        others = [str(p) for p in data_folder.databases() if str(p) != default]
        choices = [default, *others]
        current = st.session_state.get(DB_KEY, default)
        picked = st.selectbox(
            "Database", choices, index=choices.index(current) if current in choices else 0,
            format_func=data_folder.shown_path, key="cx_db_input",
            help="The embedded DuckDB file: $CX_DB or data/cx.duckdb, or another .duckdb file in the data folder.",
        )
        if data_folder.max_databases() == 0:
            st.caption(f"Creating databases from the browser is off ({data_folder.MAX_DATABASES_ENV}).")
        elif new_name := st.text_input(
                "New database in the data folder", key="cx_db_new", placeholder="e.g. workshop-march",
                help=f"Letters, digits, - and _ only (at most {data_folder.NAME_MAX}); created (with the sample "
                     "data) on first use.").strip():
            try:
                picked = str(data_folder.new_database(new_name))
            except CxError as exc:
                st.error(escape_md(str(exc)))
            else:
                st.caption(f"Using {escape_md(data_folder.shown_path(picked))}")
        st.session_state[DB_KEY] = picked
        # Widget state is dropped when the user changes page; keep the value under our own key.
        st.session_state.setdefault(MIN_N_KEY, int(os.environ.get("CX_MIN_N", DEFAULT_MIN_N)))
        min_n = st.number_input(
            "Minimum answers for a reliable score", min_value=1, max_value=100_000, step=1,
            value=int(st.session_state[MIN_N_KEY]), key="min_n_input", on_change=_keep, args=("min_n_input", MIN_N_KEY),
            help="Scores with fewer answers are flagged as unreliable and never called weak.",
        )
        with st.expander("Feedback source"):
            current_source = source_setting()[1]
            typed = st.text_input(
                "Parquet folder in the data folder (empty: the cx store)",
                value="" if current_source is None else data_folder.shown_path(current_source),
                help="A folder written by `python -m cx export`, as a path inside the data folder; journeys stay "
                     "in the store.",
            ).strip()
            st.session_state[SOURCE_KEY] = _typed_source(typed)
            current = st.session_state.get(ENGINE_KEY, os.environ.get("CX_ENGINE", "duckdb"))
            st.session_state[ENGINE_KEY] = st.radio(
                "Engine", ENGINES, index=ENGINES.index(current) if current in ENGINES else 0, horizontal=True,
                disabled=st.session_state[SOURCE_KEY] is None,
                help="Spark uses CX_SPARK_MASTER / CX_SPARK_REMOTE / CX_SPARK_CONF.",
            )
    return int(min_n)


def _typed_source(typed: str) -> str | None:
    # The operator's CX_SOURCE may lie anywhere; what a browser user types must be inside the data folder.
    configured = os.environ.get("CX_SOURCE", "").strip()
    if not typed:
        return None
    if configured and typed == data_folder.shown_path(configured):
        return configured
    try:
        return str(data_folder.source_folder(typed))
    except CxError as exc:
        st.error(escape_md(str(exc)))
        return None


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


DATASET_KEY = "cx_dataset"


def dataset_choice(con: duckdb.DuckDBPyConnection, *, label: str = "Data set") -> str | None:
    """Return the data set picked in the sidebar (kept across pages and in `?dataset=`)."""
    names = dataset_names(con)
    if not names:
        return None
    wanted = st.query_params.get("dataset") or st.session_state.get(DATASET_KEY)
    index = names.index(wanted) if wanted in names else 0
    with st.sidebar:
        choice = st.selectbox(label, names, index=index, key="dataset_input",
                              help="Every page can show any stored data set; upload more on the Upload page.")
    st.session_state[DATASET_KEY] = choice
    if st.query_params.get("dataset") != choice:
        st.query_params["dataset"] = choice
    return str(choice)


def require_dataset(con: duckdb.DuckDBPyConnection) -> str:
    """Return the chosen data set, or stop the page with a friendly message when there is none."""
    dataset = dataset_choice(con)
    if dataset is None:
        st.info("There is no feedback data yet. Upload a CSV on the Upload page to get started.")
        st.stop()
    return str(dataset)


def _list_param(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v]


def sidebar_filters(con: duckdb.DuckDBPyConnection, dataset: str) -> list[Filter]:
    """Draw the shared filters (dates, channel, unit, segment) and mirror them in the URL.

    Returns the filters as data; a link with the same query string reproduces the view.
    """
    options = filter_options(con, dataset)
    filters: list[Filter] = []
    params: dict[str, list[str] | str] = {}
    with st.sidebar:
        st.caption("Filters")
        if options["first"] is not None and options["last"] is not None and options["first"] < options["last"]:
            lo, hi = options["first"].date(), options["last"].date()
            start = _date_param("from", lo, lo, hi)
            end = _date_param("to", hi, lo, hi)
            picked = st.date_input("Answered between", value=(start, end), min_value=lo, max_value=hi,
                                   key=f"dates_{dataset}")
            if isinstance(picked, tuple) and len(picked) == 2:
                start, end = picked
            if start > lo:
                filters.append(Filter("answered_at", ">=", datetime.combine(start, time.min)))
                params["from"] = start.isoformat()
            if end < hi:
                filters.append(Filter("answered_at", "<=", datetime.combine(end, time.max)))
                params["to"] = end.isoformat()
        for column, label in (("channel", "Channel"), ("unit", "Local unit")):
            if len(options[column]) > 1:
                default = [v for v in _list_param(column) if v in options[column]]
                chosen = st.multiselect(label, options[column], default=default, key=f"{column}_{dataset}",
                                        placeholder="all")
                if chosen:
                    filters.append(Filter(column, "in", tuple(chosen)))
                    params[column] = chosen
        segments = options["segments"]
        if segments:
            names = ["(none)", *segments]
            wanted = st.query_params.get("segment")
            name = st.selectbox("Segment", names, index=names.index(wanted) if wanted in names else 0,
                                key=f"segment_{dataset}")
            if name != "(none)":
                default = [v for v in _list_param("segment_value") if v in segments[name]]
                values = st.multiselect(f"{escape_md(name)} is", segments[name], default=default,
                                        key=f"segment_values_{dataset}_{name}", placeholder="all")
                params["segment"] = name
                if values:
                    filters.append(Filter(f"segment:{name}", "in", tuple(values)))
                    params["segment_value"] = values
    _mirror(params)
    return filters


FILTER_PARAMS = ("from", "to", "channel", "unit", "segment", "segment_value")


def _mirror(params: dict[str, list[str] | str]) -> None:
    for key in FILTER_PARAMS:
        if key in params:
            value = params[key]
            current = st.query_params.get_all(key)
            wanted = value if isinstance(value, list) else [value]
            if current != wanted:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def _date_param(name: str, default: date, lo: date, hi: date) -> date:
    try:
        value = date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return default
    return min(max(value, lo), hi)


def filter_notes(dataset: str, filters: list[Filter]) -> list[str]:
    """Return plain-words lines that state the data set and active filters (for exports and captions)."""
    lines = [f"Data set: {dataset}"]
    for f in filters:
        value = ", ".join(map(str, f.value)) if f.op == "in" else str(f.value)
        column = f.column.replace("segment:", "")
        lines.append(f"Filter: {column} {'is' if f.op == 'in' else f.op} {value}")
    if len(lines) == 1:
        lines.append("Filters: none (all answers)")
    return lines


def chart(chart_obj: Any, name: str, *, key: str | None = None, **kwargs: Any) -> Any:
    """Draw an Altair chart with PNG and SVG download buttons; return the selection event if any."""
    from cx import exports

    height = getattr(chart_obj, "height", None)
    if isinstance(height, int) and "height" not in kwargs:
        # Give Streamlit the chart's own height: a band-scale chart is squeezed otherwise.
        kwargs["height"] = height + 120
    event = st.altair_chart(chart_obj, width="stretch", key=key, **kwargs)
    left, right, _ = st.columns([1, 1, 10], gap="small")
    left.download_button("PNG", lambda: exports.chart_image(chart_obj, "png"), file_name=f"{name}.png",
                         mime="image/png", key=f"png_{key or name}", help="Save this chart as a PNG image")
    right.download_button("SVG", lambda: exports.chart_image(chart_obj, "svg"), file_name=f"{name}.svg",
                          mime="image/svg+xml", key=f"svg_{key or name}", help="Save this chart as an SVG image")
    return event


def table_download(frame: pd.DataFrame, name: str, notes: Sequence[str], *, key: str | None = None) -> None:
    """Offer a table as a spreadsheet-safe CSV whose first lines state the active filters."""
    from cx import exports

    st.download_button(f"Download {escape_md(name)} (CSV)", exports.safe_csv(frame, notes=notes),
                       file_name=f"{name.replace(' ', '-')}.csv", mime="text/csv", key=key or f"csv_{name}")


def metric_tile(container: Any, result: MetricResult, *, current: MetricResult | None = None,
                previous: MetricResult | None = None, period: str = "", label: str | None = None,
                clv: ClvSettings | None = None) -> None:
    """Draw one KPI tile: value, 95 % interval and n, plus the change from `previous` to `current`.

    A CLV tile also shows its formula with the numbers of `clv`'s settings (margin, period, discount).
    """
    definition = metrics.metric(result.metric) if result.metric != "clv" or clv is None else metrics.clv_metric(clv)
    formula = f"  \n{escape_md(metrics.clv_formula(result, clv))}" if result.metric == "clv" and clv else ""
    if result.value is None:
        container.metric(label or definition.label, "—", help=definition.help())
        # A reason of its own (CLV: no churned customer is not "no revenue outcome"), else what is needed.
        why = result.reason if definition.unavailable is not None and result.reason else \
            f"not available: needs {definition.needs}"
        container.caption(escape_md(why) + formula)
        return
    delta, note = comparisons.month_change(current, previous, period)
    container.metric(label or definition.label, formats.metric_value(result.metric, result.value), delta=delta,
                     delta_color="normal" if definition.higher_is_better else "inverse", help=definition.help())
    low, high = (formats.metric_value(result.metric, v) for v in (result.low, result.high))
    parts = [] if result.low is None else [f"95 % {low} to {high}"]
    parts.append(result.sample + (" · low n" if result.low_n else ""))
    container.caption(" · ".join(parts) + (f"  \n{note}" if note else "") + formula)


def journey_table_columns() -> dict[str, Any]:
    """Return the display formats of `charts.journey_table` (the numbers stay numbers in the download)."""
    return {
        "#": st.column_config.NumberColumn(width="small"),
        "Score (0–10)": st.column_config.NumberColumn(format="%.1f", help="Blank: no score."),
        "95 % low": st.column_config.NumberColumn(format="%.1f"),
        "95 % high": st.column_config.NumberColumn(format="%.1f"),
        "Mean (original scale)": st.column_config.NumberColumn(
            format="%.2f", help="Blank when the touchpoint was asked on several scales: no single mean exists."),
        "n": st.column_config.NumberColumn(format="%d"),
        "Target": st.column_config.NumberColumn(format="%.1f"),
        "Why": st.column_config.TextColumn(width="large"),
    }


def hides_message(scores: JourneyScores) -> None:
    """Draw what the average hides, in the tone `journeys.hides_tone` gives (weak: warning; nothing to judge: info)."""
    sentence = escape_md(journeys.hides_sentence(scores))
    tone = journeys.hides_tone(scores)
    if tone == "warning":
        st.warning(sentence, icon="⚠️")
    elif tone == "info":
        st.info(sentence)
    else:
        st.success(sentence)


def escape_md(text: str) -> str:
    """Return user text escaped for st.markdown-based elements (see exports.escape_markdown)."""
    return exports.escape_markdown(text)


@dataclass(frozen=True)
class PageContext:
    """What a data-set page needs: the cursor, min n, the chosen data set, its filters and their notes."""

    con: duckdb.DuckDBPyConnection
    min_n: int
    dataset: str
    filters: list[Filter]
    notes: list[str]


def dataset_page(title: str, icon: str, *, intro: str | None = None, filters: bool = True) -> PageContext:
    """Set up a page over one data set: config, title, sidebar settings, data set picker and filters.

    States the engine, data set and active filters under the title; stops with a friendly
    message when there is no data set yet.
    """
    st.set_page_config(page_title=f"{title} · cx", page_icon=icon, layout="wide")
    min_n = sidebar_settings()
    st.title(title)
    if intro:
        st.caption(intro)
    con = connection()
    dataset = require_dataset(con)
    active = sidebar_filters(con, dataset) if filters else []
    notes = filter_notes(dataset, active)
    engine_caption()
    st.caption(escape_md(" · ".join(notes)))
    return PageContext(con=con, min_n=min_n, dataset=dataset, filters=active, notes=notes)


def touchpoints_weakest_first(con: duckdb.DuckDBPyConnection, dataset: str, filters: Sequence[Filter],
                              min_n: int) -> list[Any]:
    """Return the data set's touchpoint scores, lowest score first (unreliable and unscored last).

    Stops the page with a message when no scored answer matches the filters (saying why).
    """
    scores = run_safely(lambda: dataset_scores(con, dataset, filters, min_n), "Could not score the touchpoints")
    ranked = sorted(scores.touchpoints, key=lambda t: (t.score is None, t.low_n, t.score or 0.0, t.touchpoint))
    if not ranked:
        st.info(escape_md(metrics.why_no_scores(engine(), dataset)))
        stop()
    return ranked


def touchpoint_picker(ranked: Sequence[Any], *extra: str) -> str | None:
    """Return the touchpoint picked from a weakest-first list (mirrored in `?touchpoint=`)."""
    return query_choice(
        "Touchpoint (weakest first)", [t.touchpoint for t in ranked] + list(extra), "touchpoint",
        help="Touchpoints are listed from the lowest 0–10 score up; scores from too few answers come last.",
    )


def alert_actions(con: duckdb.DuckDBPyConnection, *, key: str, dataset: str | None = None) -> int:
    """Draw the fired alerts not yet turned into actions, each with "Make an action"; return how many wait.

    The action gets an owner and a title prefilled from the alert (both editable); the alert then
    records the action's id and leaves this list. Used by the Alerts and the Actions page.
    """
    from cx import alerts

    flash = st.session_state.pop(f"{key}_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(escape_md(flash[1]))
    waiting = alerts.fired_alerts(con, dataset=dataset, open_only=True)
    if not waiting:
        st.caption("No fired alert is waiting for an action.")
        return 0

    def make(alert_id: int) -> None:
        state = st.session_state
        try:
            made = alerts.make_action(connection(), alert_id, owner=state.get(f"{key}_owner_{alert_id}") or None,
                                      title=state.get(f"{key}_title_{alert_id}") or None)
        except CxError as exc:
            state[f"{key}_flash"] = ("error", f"Could not make the action: {exc}")
        else:
            state[f"{key}_flash"] = ("success", f"Action #{made} made from alert #{alert_id}: it is on the Actions "
                                                "page.")

    st.caption(f"Fired alerts waiting for an action: {len(waiting):,}" + (" (the 20 newest below)"
                                                                            if len(waiting) > 20 else ""))
    for alert in waiting[:20]:
        # The label says what happened (escaped: touchpoint names are user text), so no alert must be opened to see.
        with st.expander(escape_md(f"Alert #{alert.alert_id} · {alert.message()} · {alert.fired_at:%Y-%m-%d %H:%M} "
                                   "UTC")):
            st.text(f"{alert.dataset}: {alert.message()}")  # user text: shown as text
            left, right = st.columns([1, 3])
            left.text_input("Owner", key=f"{key}_owner_{alert.alert_id}", placeholder="team or person")
            right.text_input("What to do", value=alert.action_title(), key=f"{key}_title_{alert.alert_id}")
            st.button("Make an action", key=f"{key}_make_{alert.alert_id}", on_click=make, args=(alert.alert_id,))
    return len(waiting)


_open_steps: ContextVar[tuple[Steps, ...]] = ContextVar("cx_open_steps", default=())


def stop() -> NoReturn:
    """Stop the page (st.stop) once every open `Steps` box says it stopped: after st.stop() nothing can."""
    for box in _open_steps.get():
        box.end("stopped")
    st.stop()
    raise AssertionError("unreachable: st.stop() raises")


class Steps:
    """A status box that says which expensive step runs now, and ends complete when its block does.

    `with ui.Steps("Computing the drivers") as status: status.step("reading the outcomes") …` — the box
    shows "Computing the drivers: reading the outcomes…" while that step runs and "Computing the drivers:
    done" after the block (each step listed inside); "…: stopped" (complete) when the page stopped with its
    own message through `ui.stop()` / `run_safely` (stop with those inside a block, not with st.stop(): after
    st.stop() nothing can be drawn, so the box would spin on), "…: failed" (error) when the block raised.
    Elements drawn in the block go to the page, not into the box. Step labels are Markdown: no user text.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._box: Any = None
        self._ended = False

    def __enter__(self) -> Steps:
        self._box = st.status(f"{self.title}…", expanded=False)
        _open_steps.set((*_open_steps.get(), self))
        return self

    def step(self, label: str) -> None:
        """Say that `label` runs now (it stays listed in the box once the block is done)."""
        self._box.update(label=f"{self.title}: {label}…", state="running")
        self._box.caption(label)

    def end(self, ending: str, *, failed: bool = False) -> None:
        """Close the box: "<title>: <ending>", complete (or error when `failed`)."""
        if not self._ended:
            self._ended = True
            self._box.update(label=f"{self.title}: {ending}", state="error" if failed else "complete",
                             expanded=False)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        _open_steps.set(tuple(b for b in _open_steps.get() if b is not self))
        if exc is None:
            self.end("done")
        elif isinstance(exc, Exception):
            self.end("failed", failed=True)
        # else st.stop() / st.rerun(): nothing can be drawn any more; ui.stop() ended the box before stopping.
