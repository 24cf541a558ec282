"""Survey links: one question at the moment of a touchpoint, answered with one tap from a link or a QR code.

A link asks "How would you rate <touchpoint>?" on the touchpoint's scale and, on Send, stores the
answer in a data set at once (timestamped, channel `link` or `qr`), where every page reads it.

- **Single-use** links (one per customer: an e-mail, a receipt) take one answer in all.
  **Shared** links (a poster's QR code) take one answer per browser.
- **Opening a link records nothing**: e-mail scanners open every link. Only `send` writes.
- **Tokens** are `secrets.token_urlsafe(24)` (192 random bits). The store keeps only their
  SHA-256 (table `survey_links`, schema migration 4), so the database alone cannot answer a survey,
  and a link cannot be shown again after it was created.
- **Exactly once**: a send is keyed (link, sender) in `survey_sends`; a single-use link's sender is
  always '', so a second Send — even one racing the first from another thread — breaks the key and
  stores nothing. That row and the answer are written in one transaction.
- The respondent id of an answer is a hash (of the link's hash, and for a shared link of the
  sender), never the token or the browser's value: answers cannot be traced back to a link's token.

The alerts (cx.alerts.on_answers) run after the answer is committed; whatever they do, the answer
stays stored and the sender is thanked.
"""

from __future__ import annotations

import binascii
import hashlib
import logging
import math
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode, urlsplit, urlunsplit

import duckdb
import pandas as pd

from cx import alerts, names, store, workshop
from cx.choices import DEFAULT_BASE_URL, DEFAULT_EXPIRY_DAYS, MAX_LINKS
from cx.errors import CxError, InvalidInput, NotFound

__all__ = [
    "ANSWERED_MESSAGE",
    "CHANNEL_LINK",
    "CHANNEL_QR",
    "DEFAULT_BASE_URL",
    "DEFAULT_EXPIRY_DAYS",
    "DEFAULT_SCALE",
    "EXPIRED_MESSAGE",
    "FEEDBACK_PAGE",
    "LIVE_KIND",
    "MAX_COMMENT",
    "MAX_EXPIRY_DAYS",
    "MAX_LINKS",
    "MAX_SCALE_POINTS",
    "TOKEN_BYTES",
    "UNKNOWN_MESSAGE",
    "XSRF_COOKIES",
    "AlreadyAnswered",
    "Answer",
    "LinkExpired",
    "LinkNotFound",
    "LinkStatus",
    "Lookup",
    "NewLink",
    "SurveyLink",
    "base_url_of",
    "clean_base_url",
    "clean_comment",
    "create_links",
    "is_token",
    "link_summary",
    "link_url",
    "links_frame",
    "lookup",
    "new_token",
    "score_columns",
    "send",
    "sender_from_cookie",
    "session_sender",
    "token_hash",
    "touchpoint_scale",
    "touchpoints_of",
]

_log = logging.getLogger(__name__)

FEEDBACK_PAGE = "Feedback"  # URL path of pages/13_Feedback.py
LIVE_KIND = "live"  # datasets.kind of a data set created for survey links
LIVE_SOURCE = "survey links"
DEFAULT_SCALE = (0.0, 10.0)
MAX_SCALE_POINTS = 11  # one button per score: 0–10 at most
MAX_EXPIRY_DAYS = 3650
TOKEN_BYTES = 24  # 192 bits; token_urlsafe gives 32 characters
MAX_COMMENT = workshop.MAX_COMMENT
CHANNEL_LINK = "link"  # single-use links
CHANNEL_QR = "qr"  # shared links
SEND_ATTEMPTS = 8
# Streamlit's XSRF cookie: `_streamlit_xsrf` on its Starlette server (1.5x), `_xsrf` on the older Tornado one.
XSRF_COOKIES = ("_streamlit_xsrf", "_xsrf")

UNKNOWN_MESSAGE = "This feedback link is not valid. Check that the whole link was copied."
EXPIRED_MESSAGE = "This feedback link has expired, so it takes no more answers. Thank you for wanting to answer!"
ANSWERED_MESSAGE = "Already answered — thank you!"

_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,128}")  # at least 128 bits of base64url
# Control characters other than the line break (a comment may have several lines), and invisible ones.
_COMMENT_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class LinkNotFound(NotFound):
    """The token belongs to no survey link (mistyped, cut off, or never created here)."""


class LinkExpired(CxError):
    """The survey link is past its expiry time."""


class AlreadyAnswered(CxError):
    """The link (single-use) or this browser (shared link) has already answered."""


class LinkStatus(StrEnum):
    """What opening a link finds: it takes an answer, or why not."""

    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ANSWERED = "answered"


@dataclass(frozen=True)
class SurveyLink:
    """One survey link as stored (its token is not: only its hash)."""

    dataset: str
    touchpoint: str
    shared: bool
    scale_min: float
    scale_max: float
    created_at: datetime
    expires_at: datetime | None

    @property
    def channel(self) -> str:
        """Return the channel its answers are stored with: `qr` for a shared link, `link` for a single-use one."""
        return CHANNEL_QR if self.shared else CHANNEL_LINK

    @property
    def scores(self) -> tuple[int, ...]:
        """Return the scores a sender can pick, lowest first (one button each)."""
        return tuple(range(int(self.scale_min), int(self.scale_max) + 1))

    @property
    def question(self) -> str:
        """Return the question the page asks."""
        return f"How would you rate {self.touchpoint}?"

    def expired(self, at: datetime) -> bool:
        """Return True when the link no longer takes answers at `at` (UTC)."""
        return self.expires_at is not None and at >= self.expires_at


@dataclass(frozen=True)
class Lookup:
    """What a token opens: its status, and the link when it takes (or took) an answer."""

    status: LinkStatus
    link: SurveyLink | None = None  # None for unknown and expired links: nothing about them is shown

    @property
    def message(self) -> str:
        """Return what to tell the person who opened it (empty when the link takes an answer)."""
        return {LinkStatus.UNKNOWN: UNKNOWN_MESSAGE, LinkStatus.EXPIRED: EXPIRED_MESSAGE,
                LinkStatus.ANSWERED: ANSWERED_MESSAGE}.get(self.status, "")


@dataclass(frozen=True)
class NewLink:
    """A link just created: its token and URL exist only here (the store keeps the token's hash)."""

    token: str
    url: str
    dataset: str
    touchpoint: str
    shared: bool
    scale_min: float
    scale_max: float
    expires_at: datetime | None

    def as_dict(self) -> dict[str, str]:
        """Return the command line's JSON object of the link: token and url."""
        return {"token": self.token, "url": self.url}


@dataclass(frozen=True)
class Answer:
    """One answer stored from a link."""

    dataset: str
    touchpoint: str
    respondent: str
    score: float
    scale_min: float
    scale_max: float
    channel: str
    answered_at: datetime
    comment: str | None


# ---------------------------------------------------------------- tokens, senders and URLs


def new_token() -> str:
    """Return a new unguessable token (TOKEN_BYTES random bytes, URL-safe base64) that starts with a letter or digit.

    A token starting with `-` would be read as an option by a shell and be prefixed with `'` in a
    spreadsheet-safe CSV; drawing again costs nothing (62 of 64 first characters are kept).
    """
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if token[0].isalnum():
            return token


def token_hash(token: str) -> str:
    """Return the SHA-256 (hex) under which a token's link is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_token(text: str | None) -> bool:
    """Return True when `text` has the form of a token (URL-safe base64, at least 128 bits)."""
    return bool(text) and _TOKEN.fullmatch(text or "") is not None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def sender_from_cookie(value: str | None) -> str | None:
    """Return a sender id for a shared link from a browser's XSRF cookie (XSRF_COOKIES), or None without one.

    Streamlit's XSRF cookie holds a random per-browser token, masked afresh each time the cookie is
    set (`2|mask|masked token|time`, a new mask on every page load); the unmasked token is what
    stays the same. Only a hash of it is used: the cookie (which guards the browser's uploads) is
    never stored. It is a session cookie: it lasts until the browser is closed.
    """
    if not value:
        return None
    text = value.strip().strip("\"'")
    token: bytes | None = None
    try:
        if text.startswith("2|"):
            _, mask_hex, masked_hex, _ = text.split("|")
            mask, masked = binascii.a2b_hex(mask_hex), binascii.a2b_hex(masked_hex)
            if len(mask) == 4 and masked:
                token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
        elif re.fullmatch(r"[0-9a-fA-F]{16,128}", text):  # version 1: the token in hex
            token = binascii.a2b_hex(text)
    except (ValueError, binascii.Error):
        token = None
    if not token:
        return None
    return "browser-" + hashlib.sha256(b"cx survey sender\x1f" + token).hexdigest()[:32]


def session_sender() -> str:
    """Return a random sender id for one browser session (when the browser sends no XSRF cookie)."""
    return "session-" + secrets.token_hex(16)


def clean_base_url(text: str | None) -> str:
    """Return the app's base URL (scheme, host, optional path; no trailing slash), or raise InvalidInput."""
    raw = (text or "").strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or any(ch.isspace() for ch in raw):
        raise InvalidInput("The base URL must be the address the app is reached at, such as "
                           f"{DEFAULT_BASE_URL} or https://cx.example.org (http or https, no query).")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def base_url_of(page_url: str | None) -> str | None:
    """Return the app's base URL from the address of one of its pages (None when it is not known)."""
    if not page_url:
        return None
    parts = urlsplit(page_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    return urlunsplit((parts.scheme, parts.netloc, head if last == FEEDBACK_PAGE else path, "", ""))


def link_url(base_url: str, token: str) -> str:
    """Return the link a customer opens: BASE/Feedback?t=TOKEN."""
    return f"{clean_base_url(base_url)}/{FEEDBACK_PAGE}?{urlencode({'t': token})}"


def score_columns(count: int) -> int:
    """Return how many score buttons a phone shows per row: all in one row up to 7, else two even rows (0–5, 6–10).

    Eleven buttons in one row of a 390 px phone are 30 px wide, under the 44 px a thumb needs;
    two rows keep every button at least 48 px wide and the scale in order, never one score alone.
    """
    return count if count <= 7 else math.ceil(count / 2)


def clean_comment(text: str | None) -> str | None:
    """Return a comment cleaned as workshop comments are (None when empty), or raise InvalidInput when too long.

    Control characters become spaces (line breaks stay), NUL and invisible characters go.
    """
    if text is None:
        return None
    cleaned = names.strip_nul(text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = _COMMENT_CONTROL.sub(" ", cleaned).strip()
    if len(cleaned) > MAX_COMMENT:
        raise InvalidInput(f"The comment is {len(cleaned)} characters long: keep it under {MAX_COMMENT}.")
    return cleaned or None


# ---------------------------------------------------------------- creating links


def _label(lo: float, hi: float) -> str:
    return f"{lo:g}–{hi:g}"


def _check_scale(scale: Sequence[float], where: str) -> tuple[float, float]:
    if len(scale) != 2:
        raise InvalidInput(f"{where}: a scale is two numbers, lowest and highest, e.g. 0 and 10.")
    lo, hi = float(scale[0]), float(scale[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo != int(lo) or hi != int(hi) or not lo < hi \
            or hi - lo + 1 > MAX_SCALE_POINTS:
        raise InvalidInput(f"{where}: the scale {_label(lo, hi)} cannot be answered with one button per score. "
                           f"Use whole numbers, lowest below highest, at most {MAX_SCALE_POINTS} scores "
                           "(e.g. 0–10, 1–5, 1–7).")
    return lo, hi


def touchpoint_scale(con: duckdb.DuckDBPyConnection, dataset: str, touchpoint: str) -> list[tuple[float, float]]:
    """Return the scales a touchpoint of a data set is asked on (its answers and its links), lowest first."""
    found = store.rows(con, """SELECT DISTINCT scale_min, scale_max FROM responses WHERE dataset = ? AND touchpoint = ?
                               UNION SELECT DISTINCT scale_min, scale_max FROM survey_links
                               WHERE dataset = ? AND touchpoint = ? ORDER BY 1, 2""",
                       [dataset, touchpoint, dataset, touchpoint])
    return [(float(lo), float(hi)) for lo, hi in found]


def touchpoints_of(con: duckdb.DuckDBPyConnection, dataset: str) -> list[str]:
    """Return the touchpoints of a data set (from its answers and its survey links), by name."""
    return [str(r[0]) for r in store.rows(con, """SELECT touchpoint FROM responses WHERE dataset = ?
                                                UNION SELECT touchpoint FROM survey_links WHERE dataset = ?
                                                ORDER BY 1""", [dataset, dataset])]


def _scale_for(con: duckdb.DuckDBPyConnection, dataset: str, touchpoint: str,
               scale: Sequence[float] | None) -> tuple[float, float]:
    if scale is not None:
        return _check_scale(scale, f"Links for '{touchpoint}'")
    known = touchpoint_scale(con, dataset, touchpoint)
    if len(known) > 1:
        raise InvalidInput(f"'{touchpoint}' is asked on several scales in '{dataset}' "
                           f"({', '.join(_label(*s) for s in known)}): pick the scale the links ask on.")
    if known:
        return _check_scale(known[0], f"'{touchpoint}' in '{dataset}'")
    return DEFAULT_SCALE


def create_links(
    con: duckdb.DuckDBPyConnection,
    dataset: str,
    touchpoint: str,
    *,
    count: int = 1,
    shared: bool = False,
    expires_days: float | None = DEFAULT_EXPIRY_DAYS,
    scale: Sequence[float] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    now: datetime | None = None,
) -> list[NewLink]:
    """Return `count` new links asking about a touchpoint of a data set (created as a live data set if needed).

    The scale is `scale` if given, else the one the touchpoint is already asked on in the data
    set, else 0–10. `expires_days` None: the links never expire. All links or none are stored.
    """
    dataset, touchpoint = names.clean_name(dataset or ""), names.clean_name(touchpoint or "")
    if not dataset:
        raise InvalidInput("Survey links need a data set: pick one, or type the name of a new live data set.")
    if not touchpoint:
        raise InvalidInput("Survey links need a touchpoint: pick one, or type its name, e.g. 'Checkout'.")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_LINKS:
        raise InvalidInput(f"Ask for 1 to {MAX_LINKS:,} links at a time (asked for {count}).")
    if expires_days is not None and not (math.isfinite(expires_days) and 0 < expires_days <= MAX_EXPIRY_DAYS):
        raise InvalidInput(f"Links expire after more than 0 and at most {MAX_EXPIRY_DAYS:,} days "
                           f"(asked for {expires_days:g}).")
    base = clean_base_url(base_url)
    created = now or store.now()
    expires = None if expires_days is None else created + timedelta(days=float(expires_days))
    tokens = [new_token() for _ in range(count)]
    with store.transaction(con):
        lo, hi = _scale_for(con, dataset, touchpoint, scale)
        if not store.has_dataset(con, dataset):
            store.record_dataset(con, dataset, source=LIVE_SOURCE, kind=LIVE_KIND, rows_read=0, rows_loaded=0,
                                 rows_rejected=0)
        con.executemany("INSERT INTO survey_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [[token_hash(t), dataset, touchpoint, shared, lo, hi, created, expires] for t in tokens])
    return [NewLink(token=t, url=link_url(base, t), dataset=dataset, touchpoint=touchpoint, shared=shared,
                    scale_min=lo, scale_max=hi, expires_at=expires) for t in tokens]


def links_frame(links: Sequence[NewLink]) -> pd.DataFrame:
    """Return new links as the page's table and its CSV: url, token, data set, touchpoint, kind, scale, expiry."""
    columns = ["url", "token", "dataset", "touchpoint", "kind", "scale", "expires_at"]
    return pd.DataFrame([{"url": n.url, "token": n.token, "dataset": n.dataset, "touchpoint": n.touchpoint,
                          "kind": "shared" if n.shared else "single-use", "scale": _label(n.scale_min, n.scale_max),
                          "expires_at": n.expires_at} for n in links], columns=columns)


def link_summary(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> pd.DataFrame:
    """Return the links created so far, one row per data set, touchpoint and kind: links, answers, expiry.

    Columns: dataset, touchpoint, kind, links, answers, open (single-use links that can still be
    answered; empty for shared links), first_created, last_expires, last_answer.
    """
    frame = con.execute(
        """
        SELECT l.dataset, l.touchpoint, CASE WHEN l.shared THEN 'shared' ELSE 'single-use' END AS kind,
               count(DISTINCT l.token_hash) AS links, count(s.token_hash) AS answers,
               CASE WHEN bool_and(l.shared) THEN NULL  -- a shared link is never used up: no count to show
                    ELSE count(DISTINCT l.token_hash) FILTER (WHERE s.token_hash IS NULL
                                                              AND (l.expires_at IS NULL OR l.expires_at > ?))
               END AS open,
               min(l.created_at) AS first_created, max(l.expires_at) AS last_expires, max(s.sent_at) AS last_answer
        FROM survey_links l LEFT JOIN survey_sends s ON s.token_hash = l.token_hash
        WHERE ? IS NULL OR l.dataset = ?
        GROUP BY ALL ORDER BY l.dataset, l.touchpoint, kind
        """,
        [store.now(), dataset, dataset],
    ).df()
    return frame.astype({"links": "int64", "answers": "int64", "open": "Int64"})


# ---------------------------------------------------------------- opening and answering


def _link(con: duckdb.DuckDBPyConnection, hashed: str) -> SurveyLink | None:
    found = store.rows(con, "SELECT dataset, touchpoint, shared, scale_min, scale_max, created_at, expires_at "
                            "FROM survey_links WHERE token_hash = ?", [hashed])
    if not found:
        return None
    ds, tp, shared, lo, hi, created, expires = found[0]
    return SurveyLink(dataset=str(ds), touchpoint=str(tp), shared=bool(shared), scale_min=float(lo),
                      scale_max=float(hi), created_at=created, expires_at=expires)


def _answered(con: duckdb.DuckDBPyConnection, hashed: str, sender: str) -> bool:
    return bool(store.rows(con, "SELECT 1 FROM survey_sends WHERE token_hash = ? AND sender = ?", [hashed, sender]))


def _sender(link: SurveyLink, sender: str | None) -> str:
    # A single-use link has the one sender '': whoever sends, the second send breaks the key.
    return (sender or "").strip() if link.shared else ""


def lookup(con: duckdb.DuckDBPyConnection, token: str | None, *, sender: str | None = None,
           now: datetime | None = None) -> Lookup:
    """Return what a token opens (records nothing): open, unknown, expired, or already answered.

    For a shared link, "answered" means this `sender` has answered (None: not asked).
    """
    if not is_token(token):
        return Lookup(LinkStatus.UNKNOWN)
    hashed = token_hash(str(token))
    link = _link(con, hashed)
    if link is None:
        return Lookup(LinkStatus.UNKNOWN)
    who = _sender(link, sender)
    if (not link.shared or who) and _answered(con, hashed, who):
        return Lookup(LinkStatus.ANSWERED, link)
    if link.expired(now or store.now()):
        return Lookup(LinkStatus.EXPIRED)
    return Lookup(LinkStatus.OPEN, link)


def _score(link: SurveyLink, score: float) -> float:
    number = isinstance(score, int | float) and not isinstance(score, bool)
    value = float(score) if number else math.nan
    if not math.isfinite(value) or value not in link.scores:
        raise InvalidInput(f"{score!r} is not a score of this question: pick one of "
                           f"{int(link.scale_min)}–{int(link.scale_max)}.")
    return value


def _respondent(link: SurveyLink, hashed: str, sender: str) -> str:
    if link.shared:
        return f"{CHANNEL_QR}-{_digest('respondent', hashed, sender)[:20]}"
    return f"{CHANNEL_LINK}-{_digest('respondent', hashed)[:20]}"


def send(
    con: duckdb.DuckDBPyConnection,
    token: str,
    score: float,
    comment: str | None = None,
    sender: str = "",
    *,
    now: datetime | None = None,
) -> Answer:
    """Store one answer from a link and return it; then run the alerts (they never undo or block it).

    One transaction writes the send (key: link, sender) and the answer. Raises LinkNotFound,
    LinkExpired, AlreadyAnswered (the link, or for a shared link this sender, has answered: a
    concurrent Send included — exactly one is stored) and InvalidInput (a score off the scale,
    a comment too long, a shared link without a sender).
    """
    if not is_token(token):
        raise LinkNotFound(UNKNOWN_MESSAGE)
    hashed = token_hash(token)
    cleaned = clean_comment(comment)
    answer: Answer | None = None
    for attempt in range(SEND_ATTEMPTS):
        link = None
        try:
            with store.transaction(con):
                link = _link(con, hashed)
                if link is None:
                    raise LinkNotFound(UNKNOWN_MESSAGE)
                who = _sender(link, sender)
                if link.shared and not who:
                    raise InvalidInput("A shared link needs the sender's id (one answer per browser).")
                if _answered(con, hashed, who):
                    raise AlreadyAnswered(ANSWERED_MESSAGE)
                at = now or store.now()
                if link.expired(at):
                    raise LinkExpired(EXPIRED_MESSAGE)
                value = _score(link, score)
                answer = Answer(dataset=link.dataset, touchpoint=link.touchpoint,
                                respondent=_respondent(link, hashed, who), score=value, scale_min=link.scale_min,
                                scale_max=link.scale_max, channel=link.channel, answered_at=at, comment=cleaned)
                con.execute("INSERT INTO survey_sends VALUES (?, ?, ?, ?)", [hashed, who, answer.respondent, at])
                store.insert_select(
                    con, "responses",
                    ("dataset", "respondent", "touchpoint", "score", "scale_min", "scale_max", "reversed", "channel",
                     "answered_at", "comment"),
                    "SELECT ?, ?, ?, ?, ?, ?, false, ?, ?, ?",
                    [answer.dataset, answer.respondent, answer.touchpoint, answer.score, answer.scale_min,
                     answer.scale_max, answer.channel, at, answer.comment])
            break
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            # The key was taken by another send (before this one, or committed while it ran): nothing
            # of this one is stored. Any other conflict: try again.
            if link is not None and _answered(con, hashed, _sender(link, sender)):
                raise AlreadyAnswered(ANSWERED_MESSAGE) from exc
            # DuckDB also refuses a key another send holds but has not committed yet: wait for it
            # to commit (then this one is "already answered") or roll back (then this one is stored).
            _log.debug("A survey answer met a write conflict and is tried again: %s", exc)
            answer = None
            time.sleep(min(0.2, 0.005 * 2 ** attempt))
    if answer is None:
        raise CxError("Your answer could not be saved just now: please press Send again.")
    _run_alerts(con, answer)
    return answer


def _run_alerts(con: duckdb.DuckDBPyConnection, answer: Answer) -> int:
    """Return how many alerts fired; a failing rule is logged, never raised (the answer is stored)."""
    try:
        # The respondent names this answer exactly: under concurrent Sends "the answer stored last" may be another's.
        return alerts.on_answers(con, answer.dataset, [answer.touchpoint], respondents=[answer.respondent])
    except Exception:  # whatever the alerts do, the answer stays stored and acknowledged
        _log.exception("Alerts after a survey answer in %r failed; the answer is stored.", answer.dataset)
        return 0

