"""The DuckDB store: schema and migrations, the connection, and every write.

Values always travel as bound parameters; identifiers go through `quote_ident`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cx import db_file
from cx.errors import CxError, DatabaseLocked, InvalidInput, NotFound, SchemaTooNew
from cx.models import Journey, JourneyStep

__all__ = [
    "ACTION_FIELDS",
    "DATA_TABLES",
    "DEFAULT_DB",
    "MIGRATIONS",
    "OPERATIONAL_COLUMNS",
    "OUTCOME_COLUMNS",
    "REPO_ROOT",
    "RESPONSE_COLUMNS",
    "SCHEMA_VERSION",
    "SEGMENT_COLUMNS",
    "add_action",
    "add_workshop",
    "commit_count",
    "all_journeys",
    "assessments",
    "connect",
    "dataset_mapping",
    "dataset_names",
    "datasets",
    "default_db_path",
    "delete_action",
    "delete_dataset",
    "delete_journey",
    "duplicate_journey",
    "export_parquet",
    "get_setting",
    "has_dataset",
    "in_transaction",
    "insert_select",
    "journey_id",
    "journey_names",
    "journey_over",
    "journeys_linked_to",
    "load_journey",
    "migrate",
    "now",
    "operational_metrics",
    "quote_ident",
    "record_dataset",
    "rename_journey",
    "rows",
    "running_workshop_conflict",
    "save_assessment",
    "save_dataset",
    "save_journey",
    "save_workshop_votes",
    "schema_version",
    "set_setting",
    "set_workshop_status",
    "table_counts",
    "data_version",
    "CX_TABLES",
    "transaction",
    "unlinked_sentence",
    "update_action",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO_ROOT / "data" / "cx.duckdb"

RESPONSE_COLUMNS: tuple[str, ...] = (
    "dataset", "respondent", "touchpoint", "score", "scale_min", "scale_max", "reversed",
    "channel", "stage", "unit", "answered_at", "comment",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("dataset", "respondent", "name", "value")
OUTCOME_COLUMNS: tuple[str, ...] = (
    "dataset", "respondent", "outcome", "kind", "value", "scale_min", "scale_max", "role",
)
# Columns a frame given to save_dataset may leave out (they are stored as NULL / the default).
_OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"responses": RESPONSE_COLUMNS, "outcomes": ("role",)}
OPERATIONAL_COLUMNS: tuple[str, ...] = ("dataset", "respondent", "touchpoint", "name", "value")
# The tables a data set's rows live in, and their columns (what insert_select accepts).
DATA_TABLES: dict[str, tuple[str, ...]] = {
    "responses": RESPONSE_COLUMNS, "segments": SEGMENT_COLUMNS, "outcomes": OUTCOME_COLUMNS,
    "operational": OPERATIONAL_COLUMNS,
}
# The columns of an action that may be set after it was logged.
ACTION_FIELDS: tuple[str, ...] = ("dataset", "touchpoint", "unit", "title", "owner", "action_date", "status", "note")

# Each entry migrates the schema from version i to i + 1. Never edit a shipped entry:
# append a new one, so existing database files move forward.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE settings (
        key VARCHAR PRIMARY KEY,
        value VARCHAR
    );
    CREATE TABLE datasets (
        dataset VARCHAR PRIMARY KEY,
        source VARCHAR,
        kind VARCHAR NOT NULL DEFAULT 'import',
        imported_at TIMESTAMP NOT NULL,
        rows_read BIGINT NOT NULL DEFAULT 0,
        rows_loaded BIGINT NOT NULL DEFAULT 0,
        rows_rejected BIGINT NOT NULL DEFAULT 0,
        mapping VARCHAR
    );
    CREATE TABLE responses (
        dataset VARCHAR NOT NULL,
        respondent VARCHAR NOT NULL,
        touchpoint VARCHAR NOT NULL,
        score DOUBLE,
        scale_min DOUBLE NOT NULL,
        scale_max DOUBLE NOT NULL,
        reversed BOOLEAN NOT NULL DEFAULT false,
        channel VARCHAR,
        stage VARCHAR,
        unit VARCHAR,
        answered_at TIMESTAMP,
        comment VARCHAR
    );
    CREATE TABLE segments (
        dataset VARCHAR NOT NULL,
        respondent VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        value VARCHAR
    );
    CREATE TABLE outcomes (
        dataset VARCHAR NOT NULL,
        respondent VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        value DOUBLE,
        scale_min DOUBLE,
        scale_max DOUBLE
    );
    CREATE SEQUENCE journey_ids START 1;
    CREATE TABLE journeys (
        journey_id INTEGER PRIMARY KEY DEFAULT nextval('journey_ids'),
        name VARCHAR NOT NULL UNIQUE,
        persona VARCHAR,
        goal VARCHAR,
        description VARCHAR,
        dataset VARCHAR,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE journey_steps (
        journey_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        touchpoint VARCHAR NOT NULL,
        stage VARCHAR,
        channel VARCHAR,
        target DOUBLE,
        intentional BOOLEAN NOT NULL DEFAULT true,
        controlled BOOLEAN NOT NULL DEFAULT true,
        owner VARCHAR,
        note VARCHAR,
        PRIMARY KEY (journey_id, position)
    );
    CREATE TABLE assessments (
        journey_id INTEGER NOT NULL,
        touchpoint VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        votes INTEGER NOT NULL DEFAULT 1,
        assessed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (journey_id, touchpoint, source)
    );
    """,
    # 2: workshops and their votes, actions (closing the loop), operational metric values,
    #    and a link from a journey step to an operational metric.
    """
    CREATE TABLE workshops (
        code VARCHAR PRIMARY KEY,
        journey_id INTEGER NOT NULL,
        status VARCHAR NOT NULL DEFAULT 'open',
        started_at TIMESTAMP NOT NULL,
        closed_at TIMESTAMP
    );
    CREATE TABLE workshop_votes (
        code VARCHAR NOT NULL,
        participant VARCHAR NOT NULL,
        display_name VARCHAR,
        touchpoint VARCHAR NOT NULL,
        score DOUBLE NOT NULL,
        comment VARCHAR,
        voted_at TIMESTAMP NOT NULL,
        PRIMARY KEY (code, participant, touchpoint)
    );
    CREATE SEQUENCE action_ids START 1;
    CREATE TABLE actions (
        action_id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'),
        dataset VARCHAR,
        touchpoint VARCHAR NOT NULL,
        unit VARCHAR,
        title VARCHAR NOT NULL,
        owner VARCHAR,
        action_date DATE NOT NULL,
        status VARCHAR NOT NULL DEFAULT 'planned',
        note VARCHAR,
        created_at TIMESTAMP NOT NULL
    );
    CREATE TABLE operational (
        dataset VARCHAR NOT NULL,
        respondent VARCHAR NOT NULL,
        touchpoint VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        value DOUBLE
    );
    ALTER TABLE journey_steps ADD COLUMN operational VARCHAR;
    """,
    # 3: what an outcome stands for, as the user marked it ('churn', 'revenue' or NULL). Churn and CLV
    #    used to pick outcomes by name; rows written before this keep their numbers by that old rule.
    """
    ALTER TABLE outcomes ADD COLUMN role VARCHAR;
    UPDATE outcomes SET role = 'churn' WHERE kind = 'binary' AND contains(lower(outcome), 'churn');
    UPDATE outcomes SET role = 'revenue' WHERE kind = 'value' AND contains(lower(outcome), 'revenue');
    """,
    # 4: feedback collected at the touchpoint (survey links) and alerts when a touchpoint drops.
    #    A link is stored by the SHA-256 of its token, never the token itself: the database alone
    #    cannot answer a survey. A send is keyed (link, sender): a single-use link has the one sender
    #    '' so a second Send, even a concurrent one, breaks the key and stores nothing; a shared link
    #    has one sender per browser.
    """
    CREATE TABLE survey_links (
        token_hash VARCHAR PRIMARY KEY,
        dataset VARCHAR NOT NULL,
        touchpoint VARCHAR NOT NULL,
        shared BOOLEAN NOT NULL,
        scale_min DOUBLE NOT NULL,
        scale_max DOUBLE NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP
    );
    CREATE TABLE survey_sends (
        token_hash VARCHAR NOT NULL,
        sender VARCHAR NOT NULL,
        respondent VARCHAR NOT NULL,
        sent_at TIMESTAMP NOT NULL,
        PRIMARY KEY (token_hash, sender)
    );
    CREATE SEQUENCE alert_rule_ids START 1;
    CREATE TABLE alert_rules (
        rule_id INTEGER PRIMARY KEY DEFAULT nextval('alert_rule_ids'),
        dataset VARCHAR NOT NULL,
        touchpoint VARCHAR,
        outcome VARCHAR,
        kind VARCHAR NOT NULL,
        threshold DOUBLE NOT NULL,
        last_n INTEGER,
        webhook VARCHAR,
        firing BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMP NOT NULL
    );
    CREATE SEQUENCE alert_ids START 1;
    CREATE TABLE alerts (
        alert_id INTEGER PRIMARY KEY DEFAULT nextval('alert_ids'),
        rule_id INTEGER NOT NULL,
        dataset VARCHAR NOT NULL,
        touchpoint VARCHAR,
        outcome VARCHAR,
        value DOUBLE,
        n INTEGER NOT NULL,
        fired_at TIMESTAMP NOT NULL,
        webhook_status VARCHAR,
        webhook_attempts INTEGER NOT NULL DEFAULT 0,
        webhook_error VARCHAR,
        action_id INTEGER
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def quote_ident(name: str) -> str:
    """Return `name` as a safely quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def default_db_path() -> Path:
    """Return the database path: `CX_DB` if set, else data/cx.duckdb in the repo."""
    env = os.environ.get("CX_DB", "").strip()
    return Path(env).expanduser() if env else DEFAULT_DB


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Return an open connection to the store, migrated to the current schema.

    `":memory:"` gives a private in-memory store (tests). A file that is not a cx database (not
    DuckDB, or another application's DuckDB tables) is refused before anything is written to it;
    a missing file whose database was deleted while a program still uses it is not silently
    started afresh (cx.db_file).
    """
    target = str(path) if path is not None else str(default_db_path())
    if target != ":memory:":
        db_file.check_database_path(target)
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        if Path(target).is_file() and Path(target).stat().st_size == 0:
            Path(target).unlink()  # an empty file (e.g. from `touch`) holds nothing: DuckDB starts it afresh
    try:
        con = duckdb.connect(target)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLocked(
                f"The database {target} is in use by another program (usually a running "
                "`streamlit run app.py`). Stop that program, or pass another file with --db."
            ) from exc
        raise CxError(f"Cannot open the database {target}: {exc}") from exc
    except duckdb.Error as exc:
        raise CxError(
            f"Cannot open {target} as a cx database ({exc}). Pick another file with --db "
            "or CX_DB, or move this one aside to start afresh."
        ) from exc
    if target != ":memory:":
        db_file.refuse_other_applications(con, target)
    migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of the open database (0 when empty)."""
    con.execute("CREATE TABLE IF NOT EXISTS cx_schema (version INTEGER NOT NULL)")
    row = con.execute("SELECT max(version) FROM cx_schema").fetchall()[0]
    return int(row[0]) if row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema forward to SCHEMA_VERSION; return the version reached."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"This database uses schema version {current}, newer than this cx "
            f"({SCHEMA_VERSION}). Update cx (git pull; pip install -r requirements.txt)."
        )
    for version in range(current, SCHEMA_VERSION):
        with transaction(con):
            con.execute(MIGRATIONS[version])
            con.execute("INSERT INTO cx_schema VALUES (?)", [version + 1])
    return SCHEMA_VERSION


_IN_TRANSACTION: set[int] = set()  # ids of cursors inside a transaction() block
_COMMITS = [0]  # transactions committed by this process (guarded by _COMMITS_LOCK)
_COMMITS_LOCK = threading.Lock()


def commit_count() -> int:
    """Return how many `transaction` blocks this process has committed: a data version read before it moved
    may be stale (the UI reads the version once per script run until then)."""
    return _COMMITS[0]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run the block atomically: everything is committed, or nothing is.

    A block nested in another on the same cursor joins the outer transaction, so writes
    such as save_journey + save_assessment compose into one atomic unit. A write that fails
    because the disk is full (in the block or at COMMIT) raises DiskFull, with nothing saved.
    """
    if id(con) in _IN_TRANSACTION:
        yield
        return
    con.execute("BEGIN TRANSACTION")
    _IN_TRANSACTION.add(id(con))
    try:
        yield
    except BaseException as exc:
        _IN_TRANSACTION.discard(id(con))
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            if not db_file.is_disk_full(exc):  # a failed write may have ended the transaction already
                raise
        if db_file.is_disk_full(exc):
            raise db_file.disk_full(con) from exc
        raise
    _IN_TRANSACTION.discard(id(con))
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        if db_file.is_disk_full(exc):  # DuckDB rolled the transaction back
            raise db_file.disk_full(con) from exc
        raise
    finally:
        with _COMMITS_LOCK:  # counted failed commits too: a needless fresh version is harmless, a stale one is not
            _COMMITS[0] += 1


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Return whether this cursor is inside a `transaction` block (a write under way)."""
    return id(con) in _IN_TRANSACTION


def now() -> datetime:
    """Return the current time in UTC without a time zone (how every table stores its timestamps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Return every row of a query, its values bound as parameters."""
    return con.execute(sql, list(params)).fetchall()


# ---------------------------------------------------------------- data sets


def dataset_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the names of all data sets, oldest first."""
    return [r[0] for r in rows(con, "SELECT dataset FROM datasets ORDER BY imported_at, dataset")]


def datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return one row per data set with its source, time, row counts and mapping."""
    return con.execute(
        """
        SELECT d.dataset, d.source, d.kind, d.imported_at, d.rows_read, d.rows_loaded,
               d.rows_rejected, d.mapping,
               (SELECT count(*) FROM responses r WHERE r.dataset = d.dataset) AS answers,
               (SELECT count(DISTINCT respondent) FROM (
                    SELECT respondent FROM responses r WHERE r.dataset = d.dataset
                    UNION ALL SELECT respondent FROM outcomes o WHERE o.dataset = d.dataset
                    UNION ALL SELECT respondent FROM segments s WHERE s.dataset = d.dataset)) AS respondents
        FROM datasets d ORDER BY d.imported_at, d.dataset
        """
    ).df()


def touchpoint_names(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Return the touchpoints a stored data set has answers for, sorted."""
    return [str(r[0]) for r in rows(con, "SELECT DISTINCT touchpoint FROM responses WHERE dataset = ? ORDER BY 1",
                                    [dataset])]


def dataset_mapping(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """Return the mapping (JSON data) a data set was imported with, or None (sample, or no such data set)."""
    found = rows(con, "SELECT mapping FROM datasets WHERE dataset = ?", [name])
    if not found or found[0][0] is None:
        return None
    data = json.loads(found[0][0])
    return data if isinstance(data, dict) else None


def dataset_kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Return a data set's kind as saved (`save_dataset(kind=…)`: "import", "reviews"…), or None when there is none."""
    found = rows(con, "SELECT kind FROM datasets WHERE dataset = ?", [name])
    return None if not found or found[0][0] is None else str(found[0][0])


def has_dataset(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Return True when a data set of that name exists."""
    return bool(rows(con, "SELECT 1 FROM datasets WHERE dataset = ?", [name]))


def insert_select(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], select: str, params: Sequence[Any] = ()
) -> int:
    """Return how many rows `INSERT INTO table (columns) SELECT …` added to one of the DATA_TABLES.

    The one path by which bulk rows enter the data tables (a data frame here, a staged file on
    import). The table and columns are checked against the schema and quoted here; the SELECT's
    values travel as bound `params`. Call it inside `transaction`, after `record_dataset`.
    """
    known = DATA_TABLES.get(table)
    if known is None:
        raise InvalidInput(f"'{table}' is not a data table: rows go into one of {', '.join(DATA_TABLES)}.")
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise InvalidInput(f"{table} has no column(s) {', '.join(unknown)}: its columns are {', '.join(known)}.")
    cols = ", ".join(quote_ident(c) for c in columns)
    result = con.execute(f"INSERT INTO {quote_ident(table)} ({cols}) {select}", list(params)).fetchall()
    return int(result[0][0]) if result else 0


def _insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], frame: pd.DataFrame
) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{table}: columns {missing} are missing from the rows to load")
    view = f"cx_load_{table}"
    con.register(view, frame[list(columns)])
    try:
        cols = ", ".join(quote_ident(c) for c in columns)
        insert_select(con, table, columns, f"SELECT {cols} FROM {quote_ident(view)}")
    finally:
        con.unregister(view)


def save_dataset(
    con: duckdb.DuckDBPyConnection,
    name: str,
    responses: pd.DataFrame,
    *,
    segments: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    operational: pd.DataFrame | None = None,
    source: str | None = None,
    kind: str = "import",
    rows_read: int | None = None,
    rows_rejected: int = 0,
    mapping: dict[str, Any] | None = None,
    replace: bool = False,
) -> None:
    """Store a data set atomically: its responses, segments, outcomes and operational values, or nothing."""
    name = name.strip()
    if not name:
        raise InvalidInput("A data set needs a name: type one, e.g. 'Survey March'.")
    with transaction(con):
        if has_dataset(con, name):
            if not replace:
                raise InvalidInput(
                    f"A data set named '{name}' already exists: pick another name or delete it first."
                )
            _delete_dataset_rows(con, name)
        loaded = len(responses)
        con.execute(
            "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [name, source, kind, now(), rows_read if rows_read is not None else loaded,
             loaded, rows_rejected, json.dumps(mapping) if mapping is not None else None],
        )
        for table, columns, frame in (
            ("responses", RESPONSE_COLUMNS, responses),
            ("segments", SEGMENT_COLUMNS, segments),
            ("outcomes", OUTCOME_COLUMNS, outcomes),
            ("operational", OPERATIONAL_COLUMNS, operational),
        ):
            if frame is None or frame.empty:
                continue
            frame = frame.assign(dataset=name)
            if table == "responses" and "reversed" not in frame.columns:
                frame = frame.assign(reversed=False)
            for col in _OPTIONAL_COLUMNS.get(table, ()):
                if col not in frame.columns:
                    frame = frame.assign(**{col: None})
            _insert_frame(con, table, columns, frame)


def record_dataset(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    source: str | None,
    kind: str = "import",
    rows_read: int,
    rows_loaded: int,
    rows_rejected: int,
    mapping: dict[str, Any] | None = None,
    replace: bool = False,
) -> None:
    """Insert a data set's row in `datasets` (call inside `transaction`, before INSERT … SELECT of its rows)."""
    if has_dataset(con, name):
        if not replace:
            raise InvalidInput(f"A data set named '{name}' already exists: pick another name or delete it first.")
        _delete_dataset_rows(con, name)
    con.execute(
        "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [name, source, kind, now(), rows_read, rows_loaded, rows_rejected,
         json.dumps(mapping) if mapping is not None else None],
    )


def _delete_dataset_rows(con: duckdb.DuckDBPyConnection, name: str) -> None:
    for table in ("responses", "segments", "outcomes", "operational", "datasets"):
        con.execute(f"DELETE FROM {quote_ident(table)} WHERE dataset = ?", [name])


def delete_dataset(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """Delete a data set and all its rows; return the journeys that linked it (they keep their definition
    and lose the link)."""
    if not has_dataset(con, name):
        raise NotFound(f"No data set named '{name}'. Known: {', '.join(dataset_names(con)) or 'none'}.")
    with transaction(con):
        linked = journeys_linked_to(con, name)
        _delete_dataset_rows(con, name)
        con.execute("UPDATE journeys SET dataset = NULL WHERE dataset = ?", [name])
    return linked


def journeys_linked_to(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Return the names of the journeys that read this data set, in creation order."""
    return [str(r[0]) for r in rows(con, "SELECT name FROM journeys WHERE dataset = ? ORDER BY journey_id", [dataset])]


def unlinked_sentence(linked: Sequence[str], *, done: bool) -> str | None:
    """Return what deleting a data set does to the journeys that link it (before: `done` False), or None."""
    if not linked:
        return None
    listed = ", ".join(f"'{n}'" for n in linked)
    one = len(linked) == 1
    if done:
        return (f"Journey{'' if one else 's'} {listed} no longer {'has' if one else 'have'} a linked data set: "
                "link another in the Journey builder to see customer scores again.")
    return (f"Journey{'' if one else 's'} {listed} link{'s' if one else ''} this data set: "
            f"{'it keeps its' if one else 'they keep their'} touchpoints and team scores but lose{'s' if one else ''} "
            "the link and the customer scores.")


CX_TABLES: tuple[str, ...] = ("datasets", "responses", "segments", "outcomes", "operational", "journeys",
                              "journey_steps", "assessments", "workshops", "workshop_votes", "actions",
                              "survey_links", "survey_sends", "alert_rules", "alerts")


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return the row count of every cx table (for checks and the home page), in one query."""
    counts = ", ".join(f"(SELECT count(*) FROM {quote_ident(t)})" for t in CX_TABLES)
    return dict(zip(CX_TABLES, (int(c) for c in rows(con, f"SELECT {counts}")[0]), strict=True))


def data_version(con: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """Return a small key that changes whenever data sets, journeys, assessments or actions change (one query)."""
    counts = ", ".join(f"(SELECT count(*) FROM {quote_ident(t)})" for t in CX_TABLES)
    return tuple(rows(con, f"SELECT {counts}, (SELECT max(imported_at) FROM datasets), "
                           "(SELECT max(assessed_at) FROM assessments)")[0])


# ---------------------------------------------------------------- journeys


def journey_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return every journey name, in creation order."""
    return [r[0] for r in rows(con, "SELECT name FROM journeys ORDER BY journey_id")]


def journey_over(con: duckdb.DuckDBPyConnection, dataset: str) -> Journey | None:
    """Return the first journey (in creation order) that reads this data set, or None (one query)."""
    found = _journeys(con, "j.journey_id = (SELECT min(journey_id) FROM journeys WHERE dataset = ?)", [dataset])
    return found[0] if found else None


def journey_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Return the id of the journey with this name, or raise NotFound listing the known journeys."""
    found = rows(con, "SELECT journey_id FROM journeys WHERE name = ?", [name])
    if not found:
        raise _no_journey(con, name)
    return int(found[0][0])


def _no_journey(con: duckdb.DuckDBPyConnection, name: str) -> NotFound:
    known = ", ".join(repr(n) for n in journey_names(con)) or "none yet"
    return NotFound(f"No journey named '{name}'. Known journeys: {known}.")


def load_journey(con: duckdb.DuckDBPyConnection, name: str) -> Journey:
    """Return the journey with its steps in order (one query)."""
    found = _journeys(con, "j.name = ?", [name])
    if not found:
        raise _no_journey(con, name)
    return found[0]


def all_journeys(con: duckdb.DuckDBPyConnection) -> list[Journey]:
    """Return every journey with its data set and steps in order, in creation order (one query for them all)."""
    return _journeys(con, "true", [])


def _journeys(con: duckdb.DuckDBPyConnection, where: str, params: Sequence[Any]) -> list[Journey]:
    # Heads and steps in one query (a journey without steps still has its row): listing n journeys one by one
    # cost 3 queries each.
    found: dict[int, tuple[tuple[Any, ...], list[JourneyStep]]] = {}
    for r in rows(con, f"""
            SELECT j.journey_id, j.name, j.persona, j.goal, j.dataset, j.description,
                   s.position, s.touchpoint, s.stage, s.channel, s.target, s.intentional, s.controlled, s.owner,
                   s.note, s.operational
            FROM journeys j LEFT JOIN journey_steps s ON s.journey_id = j.journey_id
            WHERE {where} ORDER BY j.journey_id, s.position""", params):
        head, steps = found.setdefault(int(r[0]), (r[1:6], []))
        if r[6] is not None:
            steps.append(JourneyStep(position=int(r[6]), touchpoint=r[7], stage=r[8], channel=r[9], target=r[10],
                                     intentional=bool(r[11]), controlled=bool(r[12]), owner=r[13], note=r[14],
                                     operational=r[15]))
    return [Journey(name=head[0], persona=head[1], goal=head[2], dataset=head[3], description=head[4],
                    steps=tuple(steps)) for head, steps in found.values()]


def save_journey(con: duckdb.DuckDBPyConnection, journey: Journey, *, replace: bool = False) -> None:
    """Create (or with `replace`, overwrite) a journey and its ordered steps atomically."""
    name = journey.name.strip()
    if not name:
        raise InvalidInput("A journey needs a name.")
    if not journey.steps:
        raise InvalidInput(f"Journey '{name}' has no touchpoints: add at least one.")
    seen: set[str] = set()
    for step in journey.steps:
        if not step.touchpoint.strip():
            raise InvalidInput(f"Journey '{name}', position {step.position}: the touchpoint has no name.")
        if step.touchpoint in seen:
            raise InvalidInput(f"Journey '{name}' lists '{step.touchpoint}' twice: keep it once.")
        seen.add(step.touchpoint)
    with transaction(con):
        existing = rows(con, "SELECT journey_id FROM journeys WHERE name = ?", [name])
        if existing:
            if not replace:
                raise InvalidInput(f"A journey named '{name}' already exists: pick another name.")
            conflict = running_workshop_conflict(con, name, [s.touchpoint.strip() for s in journey.steps])
            if conflict:
                raise InvalidInput(conflict)
            jid = int(existing[0][0])
            con.execute("DELETE FROM journey_steps WHERE journey_id = ?", [jid])
            con.execute(
                "UPDATE journeys SET persona = ?, goal = ?, dataset = ?, description = ? WHERE journey_id = ?",
                [journey.persona, journey.goal, journey.dataset, journey.description, jid],
            )
        else:
            jid = int(rows(
                con,
                """INSERT INTO journeys (name, persona, goal, description, dataset, created_at)
                   VALUES (?, ?, ?, ?, ?, ?) RETURNING journey_id""",
                [name, journey.persona, journey.goal, journey.description, journey.dataset, now()],
            )[0][0])
        for position, step in enumerate(journey.steps, start=1):
            con.execute(
                "INSERT INTO journey_steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [jid, position, step.touchpoint.strip(), step.stage, step.channel, step.target,
                 step.intentional, step.controlled, step.owner, step.note, step.operational],
            )


def running_workshop_conflict(con: duckdb.DuckDBPyConnection, name: str, touchpoints: Sequence[str]) -> str | None:
    """Return why journey `name` cannot take these touchpoints now, or None.

    A running workshop keeps its votes under the touchpoint names, so while one runs a touchpoint
    may be added, moved or described, not renamed or removed (its votes would drop out of the tally
    and of the assessment saved at closing). save_journey refuses with this reason; the builder
    shows it before saving.
    """
    jid = rows(con, "SELECT journey_id FROM journeys WHERE name = ?", [name])
    if not jid:
        return None
    codes = [str(r[0]) for r in rows(con, "SELECT code FROM workshops WHERE journey_id = ? AND status = 'open' "
                                          "ORDER BY started_at, code", [jid[0][0]])]
    if not codes:
        return None
    kept = set(touchpoints)
    gone = [str(r[0]) for r in rows(con, "SELECT touchpoint FROM journey_steps WHERE journey_id = ? "
                                         "ORDER BY position", [jid[0][0]]) if str(r[0]) not in kept]
    if not gone:
        return None
    votes = int(rows(con, "SELECT count(*) FROM workshop_votes WHERE code IN (SELECT unnest(?::VARCHAR[])) "
                          "AND touchpoint IN (SELECT unnest(?::VARCHAR[]))", [codes, gone])[0][0])
    running = f"workshop {codes[0]} is" if len(codes) == 1 else f"workshops {', '.join(codes)} are"
    listed = ", ".join(f"'{t}'" for t in gone)
    return (f"Journey '{name}': {running} running, and its votes are kept under the touchpoint names, so "
            f"{listed} cannot be renamed or removed now ({votes} vote{'' if votes == 1 else 's'} on "
            f"{'it' if len(gone) == 1 else 'them'} so far). Touchpoints can be added, moved and described while it "
            "runs; close the workshop on the Workshop page first to rename or remove one.")


def delete_journey(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Delete a journey, its steps and its assessments."""
    jid = journey_id(con, name)
    with transaction(con):
        con.execute(
            "DELETE FROM workshop_votes WHERE code IN (SELECT code FROM workshops WHERE journey_id = ?)", [jid])
        for table in ("workshops", "assessments", "journey_steps", "journeys"):
            con.execute(f"DELETE FROM {quote_ident(table)} WHERE journey_id = ?", [jid])


def rename_journey(con: duckdb.DuckDBPyConnection, name: str, new_name: str) -> None:
    """Rename a journey; its steps, assessments and workshops follow it."""
    new_name = new_name.strip()
    if not new_name:
        raise InvalidInput("A journey needs a name: type one.")
    with transaction(con):
        jid = journey_id(con, name)
        if new_name != name and rows(con, "SELECT 1 FROM journeys WHERE name = ?", [new_name]):
            raise InvalidInput(f"A journey named '{new_name}' already exists: pick another name.")
        con.execute("UPDATE journeys SET name = ? WHERE journey_id = ?", [new_name, jid])


def duplicate_journey(con: duckdb.DuckDBPyConnection, name: str, new_name: str | None = None) -> str:
    """Copy a journey and its team assessment under a new name ("NAME (copy)" by default); return the name."""
    with transaction(con):
        journey = load_journey(con, name)
        taken = set(journey_names(con))
        if new_name is None:
            new_name, n = f"{name} (copy)", 2
            while new_name in taken:
                new_name, n = f"{name} (copy {n})", n + 1
        save_journey(con, Journey(name=new_name, persona=journey.persona, goal=journey.goal,
                                  dataset=journey.dataset, description=journey.description, steps=journey.steps))
        team = assessments(con, name)
        if team:
            save_assessment(con, new_name.strip(), {tp: score for tp, (score, _) in team.items()},
                            votes={tp: votes for tp, (_, votes) in team.items()})
    return new_name.strip()


def save_assessment(
    con: duckdb.DuckDBPyConnection,
    journey: str,
    scores: dict[str, float],
    *,
    source: str = "team",
    votes: dict[str, int] | None = None,
) -> None:
    """Store a team's 0–10 score per touchpoint for a journey (replacing that source's)."""
    jid = journey_id(con, journey)
    for touchpoint, score in scores.items():
        if not 0 <= score <= 10:
            raise InvalidInput(f"Assessment of '{touchpoint}': {score:g} is outside 0–10.")
    with transaction(con):
        con.execute("DELETE FROM assessments WHERE journey_id = ? AND source = ?", [jid, source])
        for touchpoint, score in scores.items():
            con.execute(
                "INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?)",
                [jid, touchpoint, source, float(score), (votes or {}).get(touchpoint, 1), now()],
            )


def assessments(con: duckdb.DuckDBPyConnection, journey: str, source: str = "team") -> dict[str, tuple[float, int]]:
    """Return {touchpoint: (score 0–10, votes)} of one assessment source of a journey."""
    jid = journey_id(con, journey)
    return {
        r[0]: (float(r[1]), int(r[2]))
        for r in rows(
            con,
            "SELECT touchpoint, score, votes FROM assessments WHERE journey_id = ? AND source = ?",
            [jid, source],
        )
    }


# ---------------------------------------------------------------- settings


def get_setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """Return a stored setting, or None."""
    found = rows(con, "SELECT value FROM settings WHERE key = ?", [key])
    return found[0][0] if found else None


def set_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Store a setting (insert or replace)."""
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [key, value])


# ---------------------------------------------------------------- workshops


def add_workshop(con: duckdb.DuckDBPyConnection, code: str, journey_id: int, status: str) -> None:
    """Store a new workshop of a journey under its join code, started now."""
    with transaction(con):
        con.execute("INSERT INTO workshops (code, journey_id, status, started_at) VALUES (?, ?, ?, ?)",
                    [code, journey_id, status, now()])


def set_workshop_status(
    con: duckdb.DuckDBPyConnection, code: str, status: str, *, closed_at: datetime | None
) -> None:
    """Set a workshop's status and closing time (None while it is open)."""
    with transaction(con):
        con.execute("UPDATE workshops SET status = ?, closed_at = ? WHERE code = ?", [status, closed_at, code])


def save_workshop_votes(
    con: duckdb.DuckDBPyConnection,
    code: str,
    participant: str,
    votes: Mapping[str, tuple[float, str | None]],
    *,
    display_name: str | None,
) -> None:
    """Store a participant's {touchpoint: (score, comment)} votes, each replacing their earlier one, atomically.

    The display name applies to all the participant's votes in the workshop (one name per person).
    """
    voted_at = now()
    with transaction(con):
        for touchpoint, (score, comment) in votes.items():
            # UPDATE, else INSERT: measured several times faster on DuckDB than INSERT … ON CONFLICT.
            changed = rows(con, """UPDATE workshop_votes SET display_name = ?, score = ?, comment = ?, voted_at = ?
                                   WHERE code = ? AND participant = ? AND touchpoint = ?""",
                           [display_name, score, comment, voted_at, code, participant, touchpoint])[0][0]
            if not changed:
                con.execute("""INSERT INTO workshop_votes
                                   (code, participant, display_name, touchpoint, score, comment, voted_at)
                               VALUES (?, ?, ?, ?, ?, ?, ?)""",
                            [code, participant, display_name, touchpoint, score, comment, voted_at])
        con.execute("UPDATE workshop_votes SET display_name = ? WHERE code = ? AND participant = ? "
                    "AND display_name IS DISTINCT FROM ?", [display_name, code, participant, display_name])


# ---------------------------------------------------------------- actions


def add_action(con: duckdb.DuckDBPyConnection, fields: Mapping[str, Any]) -> int:
    """Store a new action from its ACTION_FIELDS (validated by the caller), created now; return its id."""
    values = _action_values(fields)
    with transaction(con):
        cols = ", ".join(quote_ident(c) for c in values)
        found = rows(con, f"INSERT INTO actions ({cols}, created_at) VALUES ({', '.join('?' * len(values))}, ?) "
                          "RETURNING action_id", [*values.values(), now()])
    return int(found[0][0])


def update_action(con: duckdb.DuckDBPyConnection, action_id: int, fields: Mapping[str, Any]) -> bool:
    """Set some ACTION_FIELDS of an action; return False when there is no action with that id."""
    values = _action_values(fields)
    with transaction(con):
        if not rows(con, "SELECT 1 FROM actions WHERE action_id = ?", [int(action_id)]):
            return False
        if values:
            assignments = ", ".join(f"{quote_ident(k)} = ?" for k in values)
            con.execute(f"UPDATE actions SET {assignments} WHERE action_id = ?", [*values.values(), int(action_id)])
    return True


def delete_action(con: duckdb.DuckDBPyConnection, action_id: int) -> bool:
    """Delete an action; return False when there was no action with that id."""
    with transaction(con):
        if not rows(con, "SELECT 1 FROM actions WHERE action_id = ?", [int(action_id)]):
            return False
        con.execute("DELETE FROM actions WHERE action_id = ?", [int(action_id)])
    return True


def _action_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(ACTION_FIELDS))
    if unknown:
        raise InvalidInput(f"Actions have no field(s) {', '.join(unknown)}: use {', '.join(ACTION_FIELDS)}.")
    return {k: fields[k] for k in ACTION_FIELDS if k in fields}


# ---------------------------------------------------------------- operational metrics


def operational_metrics(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Return the names of the operational metrics a data set holds (what a journey step can link to)."""
    return [r[0] for r in rows(con, "SELECT DISTINCT name FROM operational WHERE dataset = ? ORDER BY 1",
                                [dataset])]


# ---------------------------------------------------------------- Parquet export


def export_parquet(con: duckdb.DuckDBPyConnection, dataset: str, out: str | Path) -> dict[str, int]:
    """Write a data set's feedback tables as Parquet under `out`, hive-partitioned by dataset.

    Layout: OUT/<table>/dataset=<name>/part-0.parquet for responses, outcomes, segments and
    operational; a data set's earlier export is replaced, other data sets are kept. Returns
    the rows written per table.
    """
    import pyarrow.dataset as pads

    if not has_dataset(con, dataset):
        raise NotFound(f"No data set named '{dataset}'. Known: {', '.join(dataset_names(con)) or 'none'}.")
    columns = {"responses": RESPONSE_COLUMNS, "outcomes": OUTCOME_COLUMNS, "segments": SEGMENT_COLUMNS,
               "operational": OPERATIONAL_COLUMNS}
    written: dict[str, int] = {}
    root = Path(out).expanduser()
    for table, cols in columns.items():
        count = int(rows(con, f"SELECT count(*) FROM {quote_ident(table)} WHERE dataset = ?", [dataset])[0][0])
        written[table] = count
        target = root / table
        part = target / _hive_dir(dataset)
        if part.exists():
            for old in part.glob("*.parquet"):
                old.unlink()
        if count == 0:
            continue
        # dataset last, as Spark's partition discovery puts it; streamed in record batches.
        ordered = [c for c in cols if c != "dataset"] + ["dataset"]
        reader = con.sql(
            f"SELECT {', '.join(quote_ident(c) for c in ordered)} FROM {quote_ident(table)} WHERE dataset = ?",
            params=[dataset],
        ).to_arrow_reader(262_144)
        pads.write_dataset(
            reader, target, format="parquet", partitioning=["dataset"], partitioning_flavor="hive",
            basename_template="part-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
        )
    return written


def _hive_dir(dataset: str) -> str:
    from urllib.parse import quote

    return "dataset=" + quote(dataset, safe="")
