"""Workshop sessions: join codes, participants' votes, the live tally, and closing into an assessment.

The rules and reads of the tables `workshops` and `workshop_votes` (schema migration 2; the writes
are store functions), plus the comparison of a team's assessment with customer feedback ("the
team says 8, customers say 3").

Why a lock: DuckDB isolates transactions by snapshot and detects only write-write conflicts.
Without one, a vote that had read "open" could commit just after a close took its snapshot:
acknowledged to the participant, yet missing from the assessment. Every vote and every close
therefore runs under one process-wide lock, which makes the order simple: a vote acknowledged
to a participant is committed before the close reads the votes, and a vote arriving after the
close sees "closed" and is refused. One process suffices: DuckDB lets only one process write a
database file. A vote holds the lock for one short transaction (about a millisecond).
"""

from __future__ import annotations

import io
import math
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import duckdb
import pandas as pd

from cx import journeys, store
from cx.choices import DEFAULT_MIN_N
from cx.errors import InvalidInput, NotFound, WorkshopClosed
from cx.models import Journey, JourneyScores

if TYPE_CHECKING:  # the engine and the metrics load ibis: imported where customers' scores are computed
    from cx.engines import Engine
    from cx.metrics import Filter

__all__ = [
    "ANONYMOUS",
    "CLOSED",
    "CODE_LENGTH",
    "JOIN_ALPHABET",
    "MAX_COMMENT",
    "MAX_NAME",
    "OPEN",
    "SOURCE_PREFIX",
    "WORKSHOP_PAGE",
    "Gap",
    "GapReport",
    "Vote",
    "Workshop",
    "assessment_gap",
    "assessment_sources",
    "cast_votes",
    "close_workshop",
    "comments",
    "compare",
    "gap_frame",
    "gap_sentence",
    "get_workshop",
    "is_local_link",
    "is_participant_id",
    "join_link",
    "join_qr_png",
    "list_workshops",
    "live_scores",
    "new_code",
    "new_participant_id",
    "normalise_code",
    "participant_count",
    "participant_votes",
    "source_name",
    "start_workshop",
    "tally",
    "workshop_assessment",
]


JOIN_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no look-alikes: 0/O, 1/I/L, 2/Z, 5/S, 8/B
CODE_LENGTH = 5
OPEN = "open"
CLOSED = "closed"
SOURCE_PREFIX = "workshop "
WORKSHOP_PAGE = "Workshop"  # URL path of pages/10_Workshop.py
MAX_NAME = 60
MAX_COMMENT = 500
ANONYMOUS = "anonymous"

_WRITE_LOCK = threading.Lock()



@dataclass(frozen=True)
class Workshop:
    """One workshop session of a journey."""

    code: str
    journey: str
    status: str
    started_at: datetime
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def source(self) -> str:
        """The assessment source its scores are saved under."""
        return source_name(self.code)


@dataclass(frozen=True)
class Vote:
    """One participant's 0–10 score of one touchpoint, with an optional comment."""

    score: float
    comment: str | None = None


def source_name(code: str) -> str:
    """Return the assessment source a workshop's scores are saved under ("workshop CODE")."""
    return SOURCE_PREFIX + code


# ---------------------------------------------------------------- codes and links


def new_code() -> str:
    """Return a random join code of CODE_LENGTH characters from JOIN_ALPHABET."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """Return a typed join code in canonical form (upper case, no spaces or dashes), or raise InvalidInput."""
    code = re.sub(r"[\s\-]", "", text or "").upper()
    if len(code) != CODE_LENGTH or any(c not in JOIN_ALPHABET for c in code):
        # The text may come from a link (`?code=`): quote it only when it looks like a mistyped code,
        # never a link, markup or a sentence someone else wrote.
        shown = f"'{text.strip()}'" if _TYPED_CODE.fullmatch(text or "") else "This"
        raise InvalidInput(
            f"{shown} is not a workshop code: a code is {CODE_LENGTH} letters and digits such as "
            f"'{JOIN_ALPHABET[3:3 + CODE_LENGTH]}'. Check the code on the facilitator's screen."
        )
    return code


_TYPED_CODE = re.compile(r"[A-Za-z0-9 -]{1,12}")


def join_link(page_url: str | None, code: str) -> str:
    """Return the participants' link `…/Workshop?code=CODE`, absolute when the current page's URL is known."""
    query = urlencode({"code": code})
    if not page_url:
        return f"/{WORKSHOP_PAGE}?{query}"
    parts = urlsplit(page_url)
    path = parts.path.rstrip("/")
    head = path.rsplit("/", 1)[0] if path.rsplit("/", 1)[-1] == WORKSHOP_PAGE else path
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/{WORKSHOP_PAGE}", query, ""))


def is_local_link(link: str) -> bool:
    """Return True when a join link points at this machine only (phones in the room cannot open it)."""
    host = urlsplit(link).hostname
    return host is None or host in ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def new_participant_id() -> str:
    """Return a random participant id (kept in the participant's session and link, never shown)."""
    return secrets.token_hex(6)


def is_participant_id(text: str | None) -> bool:
    """Return True when `text` looks like an id from new_participant_id (12 lower-case hex digits)."""
    return bool(text) and re.fullmatch(r"[0-9a-f]{12}", text or "") is not None


def join_qr_png(link: str, *, scale: int = 8) -> bytes:
    """Return a QR code of the join link as PNG bytes (phones scan it from the projected screen)."""
    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


# ---------------------------------------------------------------- sessions


def start_workshop(con: duckdb.DuckDBPyConnection, journey: str) -> Workshop:
    """Open a new workshop for a journey under a fresh join code; return it."""
    with store.transaction(con):
        jid = store.journey_id(con, journey)
        if not store.rows(con, "SELECT 1 FROM journey_steps WHERE journey_id = ?", [jid]):
            raise InvalidInput(f"Journey '{journey}' has no touchpoints to score: add some in the Journey builder.")
        code = new_code()
        while store.rows(con, "SELECT 1 FROM workshops WHERE code = ?", [code]):
            code = new_code()
        store.add_workshop(con, code, jid, OPEN)
    return get_workshop(con, code)


_WORKSHOP_SQL = """
    SELECT w.code, j.name, w.status, w.started_at, w.closed_at
    FROM workshops w JOIN journeys j ON j.journey_id = w.journey_id
"""


def _workshop(row: tuple[Any, ...]) -> Workshop:
    code, journey, status, started, closed = row
    return Workshop(code=str(code), journey=str(journey), status=str(status), started_at=started, closed_at=closed)


def get_workshop(con: duckdb.DuckDBPyConnection, code: str) -> Workshop:
    """Return the workshop with this join code, or raise NotFound."""
    rows = store.rows(con, _WORKSHOP_SQL + " WHERE w.code = ?", [code])
    if not rows:
        raise NotFound(f"There is no workshop with code '{code}': check the code on the facilitator's screen.")
    return _workshop(rows[0])


def list_workshops(
    con: duckdb.DuckDBPyConnection, *, journey: str | None = None, status: str | None = None
) -> list[Workshop]:
    """Return workshops, newest first, optionally of one journey and/or one status."""
    sql, params = _WORKSHOP_SQL + " WHERE true", list[str]()
    if journey is not None:
        sql, params = sql + " AND j.name = ?", [*params, journey]
    if status is not None:
        sql, params = sql + " AND w.status = ?", [*params, status]
    return [_workshop(r) for r in store.rows(con, sql + " ORDER BY w.started_at DESC, w.code", params)]


def _clean_text(value: str | None, limit: int, what: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > limit:
        raise InvalidInput(f"The {what} is {len(text)} characters long: keep it under {limit}.")
    return text or None


def cast_votes(
    con: duckdb.DuckDBPyConnection,
    code: str,
    participant: str,
    votes: Mapping[str, Vote],
    *,
    display_name: str | None = None,
) -> int:
    """Store a participant's votes (each replaces their earlier vote on that touchpoint); return how many.

    All or nothing: when this returns, every vote is committed (the participant may be told so).
    Raises WorkshopClosed when the workshop no longer takes votes, InvalidInput for a score
    outside 0–10 or a touchpoint that is not in the workshop's journey.
    """
    participant = participant.strip()
    if not participant or len(participant) > 64:
        raise InvalidInput("A vote needs a participant id of 1–64 characters.")
    name = _clean_text(display_name, MAX_NAME, "name")
    cleaned: dict[str, tuple[float, str | None]] = {}
    for touchpoint, vote in votes.items():
        score = float(vote.score)
        if not (math.isfinite(score) and 0 <= score <= 10):
            raise InvalidInput(f"The score of '{touchpoint}' is {vote.score}: scores go from 0 to 10.")
        cleaned[touchpoint] = (score, _clean_text(vote.comment, MAX_COMMENT, f"comment on '{touchpoint}'"))
    with _WRITE_LOCK, store.transaction(con):
        rows = store.rows(con, """SELECT w.status, s.touchpoint FROM workshops w
                              LEFT JOIN journey_steps s ON s.journey_id = w.journey_id WHERE w.code = ?""", [code])
        if not rows:
            raise NotFound(f"There is no workshop with code '{code}': check the code on the facilitator's screen.")
        if rows[0][0] != OPEN:
            raise WorkshopClosed(f"Workshop {code} is closed: it takes no more votes. Thank you for taking part!")
        unknown = sorted(set(cleaned) - {str(r[1]) for r in rows})
        if unknown:
            raise InvalidInput(f"Workshop {code} does not score {', '.join(map(repr, unknown))}: "
                               "reload the page to see the current touchpoints.")
        store.save_workshop_votes(con, code, participant, cleaned, display_name=name)
    return len(cleaned)


def participant_votes(
    con: duckdb.DuckDBPyConnection, code: str, participant: str
) -> tuple[str | None, dict[str, Vote]]:
    """Return a participant's display name and their current votes by touchpoint."""
    rows = store.rows(con, "SELECT display_name, touchpoint, score, comment FROM workshop_votes "
                      "WHERE code = ? AND participant = ?", [code, participant])
    name = next((str(r[0]) for r in rows if r[0] is not None), None)
    return name, {str(r[1]): Vote(float(r[2]), None if r[3] is None else str(r[3])) for r in rows}


def tally(con: duckdb.DuckDBPyConnection, code: str) -> pd.DataFrame:
    """Return one row per journey touchpoint in order: votes, mean, spread (SD) and range of the scores.

    Columns: position, touchpoint, stage, votes, mean, spread, lowest, highest (NaN without votes).
    """
    return con.execute(
        """
        SELECT s.position, s.touchpoint, s.stage, count(v.score) AS votes, avg(v.score) AS mean,
               stddev_pop(v.score) AS spread, min(v.score) AS lowest, max(v.score) AS highest
        FROM workshops w
        JOIN journey_steps s ON s.journey_id = w.journey_id
        LEFT JOIN workshop_votes v ON v.code = w.code AND v.touchpoint = s.touchpoint
        WHERE w.code = ?
        GROUP BY s.position, s.touchpoint, s.stage
        ORDER BY s.position
        """,
        [code],
    ).df().astype({"votes": "int64", "mean": "float64", "spread": "float64", "lowest": "float64",
                   "highest": "float64"})


def workshop_assessment(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, tuple[float, int]]:
    """Return {touchpoint: (mean score, votes)} over the touchpoints that have votes."""
    return _assessment_of(tally(con, code))


def _assessment_of(tallied: pd.DataFrame) -> dict[str, tuple[float, int]]:
    voted = tallied.query("votes > 0")
    return {str(tp): (float(mean), int(votes))
            for tp, mean, votes in zip(voted["touchpoint"], voted["mean"], voted["votes"], strict=True)}


def participant_count(con: duckdb.DuckDBPyConnection, code: str) -> int:
    """Return how many participants have voted in the workshop."""
    return int(store.rows(con, "SELECT count(DISTINCT participant) FROM workshop_votes WHERE code = ?", [code])[0][0])


def comments(con: duckdb.DuckDBPyConnection, code: str) -> pd.DataFrame:
    """Return the votes that carry a comment, in journey order: touchpoint, name, score, comment."""
    return con.execute(
        """
        SELECT s.position, v.touchpoint, coalesce(v.display_name, ?) AS name, v.score, v.comment
        FROM workshop_votes v
        JOIN workshops w ON w.code = v.code
        LEFT JOIN journey_steps s ON s.journey_id = w.journey_id AND s.touchpoint = v.touchpoint
        WHERE v.code = ? AND v.comment IS NOT NULL
        ORDER BY s.position, v.voted_at
        """,
        [ANONYMOUS, code],
    ).df()


def live_scores(con: duckdb.DuckDBPyConnection, code: str, *, margin: float = journeys.DEFAULT_MARGIN,
                session: Workshop | None = None, tallied: pd.DataFrame | None = None) -> JourneyScores:
    """Return the journey scored by the workshop's votes so far (aggregate and weak points as on the Journey page).

    `session` and `tallied` (`get_workshop`, `tally` of this code) when the caller has them: not read again.
    """
    workshop = session or get_workshop(con, code)
    journey = store.load_journey(con, workshop.journey)
    return journeys.score_journey(journey, assessment=_assessment_of(tally(con, code) if tallied is None else tallied),
                                  margin=margin)


def close_workshop(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, tuple[float, int]]:
    """Close a workshop and save its scores as the journey's assessment "workshop CODE"; return them.

    Atomic, and ordered after every acknowledged vote (see the module docstring). A workshop
    without votes is closed without an assessment.
    """
    with _WRITE_LOCK, store.transaction(con):
        workshop = get_workshop(con, code)
        if not workshop.is_open:
            raise WorkshopClosed(f"Workshop {code} was already closed at {workshop.closed_at:%H:%M}.")
        scores = workshop_assessment(con, code)
        store.set_workshop_status(con, code, CLOSED, closed_at=store.now())
        if scores:
            store.save_assessment(
                con, workshop.journey, {tp: mean for tp, (mean, _) in scores.items()},
                source=source_name(code), votes={tp: votes for tp, (_, votes) in scores.items()},
            )
    dataset = store.load_journey(con, workshop.journey).dataset
    if scores and dataset is not None:
        from cx import alerts

        # The votes arrive as answers for the linked data set's alert rules (see cx.alerts).
        alerts.on_answers(con, dataset, list(scores), workshop=code)
    return scores


# ---------------------------------------------------------------- team vs customers


@dataclass(frozen=True)
class Gap:
    """One touchpoint: what the team says beside what customers say, both on 0–10."""

    position: int
    touchpoint: str
    stage: str | None
    team: float | None
    team_votes: int
    customers: float | None
    customer_n: int
    low_n: bool  # too few customer answers to trust the customers' score

    @property
    def gap(self) -> float | None:
        """Team minus customers: positive when the team sees the touchpoint rosier than customers do."""
        if self.team is None or self.customers is None:
            return None
        return self.team - self.customers


@dataclass(frozen=True)
class GapReport:
    """The comparison of one assessment with one data set's customer feedback, per journey touchpoint."""

    journey: str
    source: str | None  # the assessment compared ("team", "workshop CODE"); None when there is none
    dataset: str | None  # None when the journey has no customer feedback to compare with
    gaps: tuple[Gap, ...]
    min_n: int


def assessment_sources(con: duckdb.DuckDBPyConnection, journey: str) -> list[tuple[str, datetime, int]]:
    """Return the assessments of a journey, newest first: (source, assessed at, touchpoints scored)."""
    jid = store.journey_id(con, journey)
    return [
        (str(r[0]), r[1], int(r[2]))
        for r in store.rows(
            con,
            """SELECT source, max(assessed_at) AS latest, count(*) FROM assessments WHERE journey_id = ?
               GROUP BY source ORDER BY latest DESC, source""",
            [jid],
        )
    ]


def compare(journey: Journey, team: Mapping[str, tuple[float, int]], customers: JourneyScores | None) -> list[Gap]:
    """Return one Gap per journey touchpoint in order, from an assessment and customers' journey scores."""
    by_touchpoint = {t.touchpoint: t for t in customers.touchpoints} if customers is not None else {}
    gaps = []
    for step in journey.steps:
        said = team.get(step.touchpoint)
        customer = by_touchpoint.get(step.touchpoint)
        from_customers = customer is not None and customer.source == "responses" and customer.score is not None
        gaps.append(Gap(
            position=step.position, touchpoint=step.touchpoint, stage=step.stage,
            team=None if said is None else float(said[0]), team_votes=0 if said is None else int(said[1]),
            customers=customer.score if from_customers and customer else None,
            customer_n=customer.n if from_customers and customer else 0,
            low_n=bool(from_customers and customer and customer.low_n),
        ))
    return gaps


def assessment_gap(
    con: duckdb.DuckDBPyConnection,
    journey: str,
    *,
    dataset: str | None = None,
    source: str | None = None,
    engine: Engine | None = None,
    filters: Sequence[Filter] = (),
    min_n: int = DEFAULT_MIN_N,
    customers: JourneyScores | None = None,
) -> GapReport:
    """Return the team's assessment beside customer feedback for each touchpoint of a stored journey.

    `source` defaults to the journey's newest assessment (a closed workshop or the team's
    scores); `dataset` to the journey's own data set. Customers' scores use the same filters
    and minimum n as the Journey page; `engine` defaults to the store (pass the page's engine
    when it reads Parquet or Spark). `customers`: this journey already scored on `dataset` with these filters and
    minimum n (the Journey page has it), so the answers are not aggregated again; only its customer scores count.
    """
    loaded = store.load_journey(con, journey)
    if source is None:
        sources = assessment_sources(con, journey)
        source = sources[0][0] if sources else None
    team = store.assessments(con, journey, source) if source is not None else {}
    explicit = dataset is not None
    dataset = dataset or loaded.dataset
    if dataset is not None and engine is None and customers is None:
        if store.has_dataset(con, dataset):
            from cx.engines import store_engine

            engine = store_engine(con)
        elif explicit:
            known = ", ".join(store.dataset_names(con)) or "none"
            raise NotFound(f"No data set named '{dataset}'. Known data sets: {known}.")
        else:  # the journey links a data set this database does not have (yet): no customer side
            dataset = None
    if dataset is None:
        customers = None
    elif customers is None:
        customers = journeys.score_journey(loaded, engine=engine, dataset=dataset, filters=filters, min_n=min_n)
    return GapReport(journey=journey, source=source, dataset=dataset, gaps=tuple(compare(loaded, team, customers)),
                     min_n=min_n)


def gap_sentence(report: GapReport) -> str:
    """Return the finding in plain words: where the team and customers disagree most."""
    if report.source is None:
        return "This journey has no assessment yet: run a workshop or enter the team's scores in the Journey builder."
    if report.dataset is None:
        return ("This journey has no customer feedback to compare with: link a data set to it in the "
                "Journey builder.")
    both = [g for g in report.gaps if g.gap is not None]
    if not both:
        return (f"No touchpoint has both an assessment ({report.source}) and customer answers in "
                f"'{report.dataset}': nothing to compare yet.")
    reliable = [g for g in both if not g.low_n]
    if not reliable:
        return (f"Every touchpoint with both scores has fewer than {report.min_n} customer answers: "
                "the comparison is not reliable yet.")
    worst = max(reliable, key=lambda g: (abs(g.gap or 0.0), -g.position))
    if abs(worst.gap or 0.0) < 1.0:
        return (f"The team ({report.source}) and customers agree within a point on every touchpoint "
                "with enough answers.")
    direction = "rosier than" if (worst.gap or 0.0) > 0 else "harsher than"
    return (f"Biggest gap at {worst.touchpoint}: the team says {worst.team:.1f}, customers say "
            f"{worst.customers:.1f} (n = {worst.customer_n:,}) — the team sees it {direction} customers do.")


def gap_frame(report: GapReport) -> pd.DataFrame:
    """Return the comparison as a table: one row per touchpoint with team, customers, n and gap."""
    rows = [
        {
            "position": g.position, "touchpoint": g.touchpoint, "stage": g.stage or "—",
            "team": g.team, "team_votes": g.team_votes, "customers": g.customers, "n": g.customer_n,
            "gap": g.gap,
            "status": ("no assessment" if g.team is None else "no customer answers" if g.customers is None
                       else f"low n (< {report.min_n})" if g.low_n else "ok"),
        }
        for g in report.gaps
    ]
    columns = ["position", "touchpoint", "stage", "team", "team_votes", "customers", "n", "gap", "status"]
    return pd.DataFrame(rows, columns=columns).astype({"team": "float64", "customers": "float64", "gap": "float64"})
