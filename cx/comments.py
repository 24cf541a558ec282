"""Voice of the customer: comments with their score, sentiment, score band, and what people talk about.

Comments are read through the metric engine (ibis), so the sidebar filters select exactly the
answers the other pages count. Text work (sentiment, terms) happens here in Python on the
comments that come back.

Sentiment is VADER (the `vaderSentiment` package): a rule-based lexicon that runs offline and
reads **English only** — text in other languages mostly scores as neutral. Its lexicon was built
for social media, so a short customer-service word list below corrects words it misreads in
feedback ("support" and "help" name a touchpoint, not a feeling; "late" and "queued" are
complaints). It scores words, not meaning: "they hung up on me" reads neutral. Treat it as a
pointer to comments worth reading, never as a metric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ibis
import pandas as pd
from ibis.expr.types import Table
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped,unused-ignore]

from cx.engines import Engine
from cx.metrics import Filter, filtered_responses, with_score10

__all__ = [
    "BANDS",
    "COMMENT_COLUMNS",
    "CONTRADICTION_HIGH",
    "CONTRADICTION_LOW",
    "CX_LEXICON",
    "HIGH_BANDS",
    "LOW_BANDS",
    "MIN_ODDS_RATIO",
    "NEGATIONS",
    "NEGATIVE_AT",
    "NO_SCORE",
    "POSITIVE_AT",
    "SENTIMENT_METHOD",
    "STOP_WORDS",
    "TABLE_COLUMNS",
    "TERM_METHOD",
    "TermCounts",
    "annotate",
    "answer_count",
    "band_counts",
    "band_names",
    "bands_of",
    "comment_heading",
    "comments",
    "comments_table",
    "contradicts",
    "distinctive_terms",
    "score_band",
    "select_comments",
    "sentiment",
    "sentiment_label",
    "term_counts",
    "terms_of",
    "tokens",
]


SENTIMENT_METHOD = (
    "VADER (vaderSentiment), a rule-based word list that runs offline, plus a short customer-service "
    "word list; English only — other languages mostly read as neutral"
)
# The VADER authors' thresholds on the compound score (−1…+1).
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# A comment contradicts its score when the text reads positive but the score is at most this
# (0–10 equivalent), or reads negative with a score of at least CONTRADICTION_HIGH. Scores in
# between (5–6 of 10) are too lukewarm to contradict anything.
CONTRADICTION_LOW = 4.0
CONTRADICTION_HIGH = 7.0

# Words VADER's social-media lexicon lacks or misreads in customer feedback (valence −4…+4).
CX_LEXICON: dict[str, float] = {
    # touchpoints and services, not feelings
    "support": 0.0, "help": 0.0, "alert": 0.0, "alerts": 0.0, "care": 0.0, "promised": 0.0,
    # complaints
    "late": -1.5, "queued": -1.0, "queue": -0.8, "queueing": -1.0, "crashing": -1.8, "crashed": -1.8,
    "crashes": -1.8, "unhelpful": -1.8, "overcharged": -2.0, "unsubscribed": -1.2, "expired": -1.0,
    "waited": -0.8, "slow": -1.2, "pushed": -0.8, "unanswered": -1.2,
    # praise
    "quick": 1.2, "fast": 1.2, "fixed": 1.2, "tidy": 1.2,
}

# Score bands: NPS-style on a 0–10 scale, low / middle / high (on the 0–10 equivalent) elsewhere.
DETRACTOR, PASSIVE, PROMOTER = "detractor", "passive", "promoter"
LOW, MIDDLE, HIGH = "low", "middle", "high"
NO_SCORE = "no score"
BANDS: tuple[str, ...] = (DETRACTOR, PASSIVE, PROMOTER, LOW, MIDDLE, HIGH, NO_SCORE)
LOW_BANDS = frozenset({DETRACTOR, LOW})
HIGH_BANDS = frozenset({PROMOTER, HIGH})

COMMENT_COLUMNS: tuple[str, ...] = (
    "answered_at", "touchpoint", "score", "scale_min", "scale_max", "reversed", "score10", "band",
    "sentiment", "sentiment_label", "contradicts", "channel", "unit", "respondent", "comment",
)

# ---------------------------------------------------------------- sentiment


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(CX_LEXICON)
    return analyzer


@lru_cache(maxsize=200_000)
def sentiment(text: str) -> float:
    """Return the VADER compound sentiment of a text, −1 (negative) … +1 (positive)."""
    if not text or not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(text)["compound"])


def sentiment_label(compound: float) -> str:
    """Return "positive", "negative" or "neutral" for a compound sentiment score."""
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score_band(score10: float | None, scale_min: float, scale_max: float, reversed_scale: bool = False) -> str:
    """Return the score band of one answer.

    On a plain 0–10 scale: detractor (0–6), passive (7–8), promoter (9–10). On any other scale,
    by the 0–10 equivalent: low (below 5), middle (5), high (above 5) — so 1–5 gives low 1–2,
    middle 3, high 4–5 (CSAT's top-2-box) and 1–7 gives high 5–7 (CES's "easy").
    """
    if score10 is None or (isinstance(score10, float) and math.isnan(score10)):
        return NO_SCORE
    if scale_min == 0 and scale_max == 10 and not reversed_scale:
        if score10 >= 9:
            return PROMOTER
        return PASSIVE if score10 >= 7 else DETRACTOR
    if abs(score10 - 5.0) < 1e-9:
        return MIDDLE
    return HIGH if score10 > 5.0 else LOW


def contradicts(label: str, score10: float | None) -> bool:
    """Return True when the text's sentiment says the opposite of the score."""
    if score10 is None or (isinstance(score10, float) and math.isnan(score10)):
        return False
    return (label == "positive" and score10 <= CONTRADICTION_LOW) or (
        label == "negative" and score10 >= CONTRADICTION_HIGH
    )


# ---------------------------------------------------------------- reading comments


def _comment_rows(engine: Engine, dataset: str, filters: Sequence[Filter], touchpoint: str | None) -> Table:
    table = with_score10(filtered_responses(engine, dataset, filters))
    table = table.filter(table.comment.notnull() & (table.comment.strip() != ""))
    if touchpoint is not None:
        table = table.filter(table.touchpoint == touchpoint)
    return table


def comments(
    engine: Engine, dataset: str, filters: Sequence[Filter] = (), *, touchpoint: str | None = None
) -> pd.DataFrame:
    """Return every comment that passes the filters, newest first, with score band and sentiment.

    Columns: COMMENT_COLUMNS. `score10` is the score on 0–10; `sentiment` the compound score.
    """
    table = _comment_rows(engine, dataset, filters, touchpoint)
    table = table.select(
        "answered_at", "touchpoint", "score", "scale_min", "scale_max", "reversed", "score10", "channel", "unit",
        "respondent", "comment",
    ).order_by([ibis.desc("answered_at"), "touchpoint", "respondent"])
    return annotate(table.execute())


def annotate(frame: pd.DataFrame) -> pd.DataFrame:
    """Return comment rows with band, sentiment, sentiment_label and contradicts added (COMMENT_COLUMNS order)."""
    out = frame.copy()
    if "score10" not in out.columns:
        share = (out["score"] - out["scale_min"]) / (out["scale_max"] - out["scale_min"])
        flip = out.get("reversed", pd.Series(False, index=out.index)).fillna(False).astype(bool)
        out["score10"] = (10 * share).where(~flip, 10 - 10 * share)
    if "reversed" not in out.columns:
        out["reversed"] = False
    for column in ("channel", "unit", "respondent"):
        if column not in out.columns:
            out[column] = None
    out["score10"] = out["score10"].astype("float64")
    texts = out["comment"].astype(str)
    scores = {text: sentiment(text) for text in texts.unique()}
    out["sentiment"] = texts.map(scores).astype("float64")
    out["sentiment_label"] = out["sentiment"].map(sentiment_label).astype("str")
    out["band"] = pd.Series(
        [score_band(s, lo, hi, bool(r)) for s, lo, hi, r in
         zip(out["score10"], out["scale_min"], out["scale_max"], out["reversed"], strict=True)],
        index=out.index, dtype="str",
    )
    out["contradicts"] = pd.Series(
        [contradicts(label, s) for label, s in zip(out["sentiment_label"], out["score10"], strict=True)],
        index=out.index, dtype=bool,
    )
    return out[list(COMMENT_COLUMNS)].reset_index(drop=True)


def answer_count(
    engine: Engine, dataset: str, filters: Sequence[Filter] = (), *, touchpoint: str | None = None
) -> int:
    """Return how many answers (with or without a comment) pass the filters."""
    table = filtered_responses(engine, dataset, filters)
    if touchpoint is not None:
        table = table.filter(table.touchpoint == touchpoint)
    return int(table.count().execute())


def bands_of(frame: pd.DataFrame) -> list[str]:
    """Return the score bands present in a comment frame, in the fixed band order."""
    present = set(frame["band"]) if not frame.empty else set()
    return [b for b in BANDS if b in present]


def select_comments(
    frame: pd.DataFrame,
    *,
    search: str = "",
    bands: Iterable[str] = (),
    contradicting: bool = False,
    term: str | None = None,
) -> pd.DataFrame:
    """Return the comments that match every condition given.

    `search`: every word must occur in the comment (case-insensitive, plain text, no patterns);
    `bands`: keep these score bands (all when empty); `contradicting`: only comments whose
    sentiment contradicts the score; `term`: comments that contain this term (as counted by
    `distinctive_terms`).
    """
    keep = pd.Series(True, index=frame.index)
    text = frame["comment"].astype(str)
    for word in search.split():
        keep &= text.str.contains(word, case=False, regex=False)
    bands = list(bands)
    if bands:
        keep &= frame["band"].isin(bands)
    if contradicting:
        keep &= frame["contradicts"].astype(bool)
    if term:
        keep &= text.map(lambda t: term in terms_of(t))
    return frame[keep].reset_index(drop=True)


def band_counts(frame: pd.DataFrame) -> tuple[int, int]:
    """Return how many comments are low-score (detractors, low) and how many high-score (promoters, high)."""
    return int(frame["band"].isin(LOW_BANDS).sum()), int(frame["band"].isin(HIGH_BANDS).sum())


TABLE_COLUMNS: tuple[str, ...] = ("answered_at", "touchpoint", "score", "band", "comment", "sentiment_label",
                                  "sentiment", "contradicts", "channel", "unit", "scale")


def comments_table(view: pd.DataFrame) -> pd.DataFrame:
    """Return the comments as the page's table shows them: `TABLE_COLUMNS` in order, the scale as text ("1–5")."""
    scale = [f"{lo:g}–{hi:g}" for lo, hi in zip(view["scale_min"], view["scale_max"], strict=True)]
    return view.assign(scale=scale)[list(TABLE_COLUMNS)]


def comment_heading(row: dict[Hashable, Any]) -> str:
    """Return the line above a comment read in full: date, touchpoint, score on its scale, band, sentiment."""
    answered = row["answered_at"]
    when = "" if answered is None or str(answered) == "NaT" else f"{answered:%Y-%m-%d} · "
    score = row["score"]
    said = "no score" if pd.isna(score) else f"score {score:g} of {row['scale_min']:g}–{row['scale_max']:g}"
    return (f"{when}{row['touchpoint']} · {said} ({row['band']}) · reads {row['sentiment_label']}"
            + (" · contradicts its score" if row["contradicts"] else ""))


# ---------------------------------------------------------------- what people talk about

_STOP_TEXT = """
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's
me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own
same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through to too under
until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your
yours yourself yourselves also get gets still even really one two us am pm ok okay via etc
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
# Negations may start a phrase ("never got", "no message") though they are not terms alone.
NEGATIONS = frozenset({"no", "not", "never", "nobody", "nothing", "can't", "cannot", "didn't", "don't",
                       "won't", "wasn't", "isn't", "couldn't", "doesn't"})
_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Return the lower-case words of a text (letters and digits; inner apostrophes and hyphens kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@lru_cache(maxsize=200_000)
def terms_of(text: str) -> frozenset[str]:
    """Return the terms of a comment: words that are not stop words, and two-word phrases.

    A phrase is two neighbouring words: the second neither a stop word nor a negation, the
    first not a stop word, or a negation ("never got"). Negations alone are no term.
    """
    words = tokens(text)
    found = {w for w in words if w not in STOP_WORDS and w not in NEGATIONS and len(w) > 1}
    for first, second in zip(words, words[1:], strict=False):
        if second in STOP_WORDS or second in NEGATIONS or len(second) < 2:
            continue
        if first in NEGATIONS or (first not in STOP_WORDS and len(first) > 1):
            found.add(f"{first} {second}")
    return frozenset(found)


@dataclass(frozen=True)
class TermCounts:
    """How often one term occurs in low-score and high-score comments, and how distinctive it is."""

    term: str
    low_count: int  # low-score comments containing the term
    low_n: int  # low-score comments in all
    high_count: int
    high_n: int
    log_odds: float  # ln odds ratio low vs high, 0.5 added to each cell (positive: more in low)
    z: float  # log_odds / its standard error


def term_counts(term: str, low_count: int, low_n: int, high_count: int, high_n: int) -> TermCounts:
    """Return the log-odds ratio (Haldane–Anscombe: +0.5 per cell) of a term, low vs high, and its z."""
    a, b = low_count + 0.5, low_n - low_count + 0.5
    c, d = high_count + 0.5, high_n - high_count + 0.5
    log_odds = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return TermCounts(term, low_count, low_n, high_count, high_n, log_odds, log_odds / se)


MIN_ODDS_RATIO = 2.0
TERM_METHOD = (
    "Terms are words (stop words left out) and two-word phrases, each counted once per comment. A term is "
    "typical of low-score comments when the odds of finding it there are at least twice those in high-score "
    "comments (odds ratio with 0.5 added to every count), and the other way round; the most frequent such "
    "terms are listed first. Terms found in exactly the same comments are shown once."
)


def distinctive_terms(frame: pd.DataFrame, *, top: int = 8, min_count: int = 3) -> pd.DataFrame:
    """Return the most frequent terms typical of low-score comments, and of high-score ones.

    Low = detractors or low band, high = promoters or high band (middle bands are left out).
    A term is typical of a side when its odds ratio towards that side is at least
    MIN_ODDS_RATIO and it occurs in at least `min_count` comments there. One row per term:
    side ("low"/"high"), counts, shares (%), log-odds (positive: more in low) and z; per side
    at most `top` terms, most frequent on that side first.
    """
    columns = ["side", "term", "low_count", "low_n", "low_share", "high_count", "high_n", "high_share",
               "log_odds", "z"]
    low_texts = frame.loc[frame["band"].isin(LOW_BANDS), "comment"].astype(str).tolist() if len(frame) else []
    high_texts = frame.loc[frame["band"].isin(HIGH_BANDS), "comment"].astype(str).tolist() if len(frame) else []
    low_n, high_n = len(low_texts), len(high_texts)
    where: dict[str, tuple[set[int], set[int]]] = {}
    for index, texts in ((0, low_texts), (1, high_texts)):
        for i, text in enumerate(texts):
            for term in terms_of(text):
                where.setdefault(term, (set(), set()))[index].add(i)
    threshold = math.log(MIN_ODDS_RATIO)
    candidates: dict[str, list[tuple[tuple[float, ...], TermCounts]]] = {"low": [], "high": []}
    for term, (lows, highs) in where.items():
        tc = term_counts(term, len(lows), low_n, len(highs), high_n)
        if tc.log_odds >= threshold and tc.low_count >= min_count:
            candidates["low"].append(((-tc.low_count, -tc.z, -len(term)), tc))
        elif tc.log_odds <= -threshold and tc.high_count >= min_count:
            candidates["high"].append(((-tc.high_count, tc.z, -len(term)), tc))
    rows = []
    for side in ("low", "high"):
        seen: set[tuple[frozenset[int], frozenset[int]]] = set()
        picked = 0
        for _, tc in sorted(candidates[side], key=lambda item: (item[0], item[1].term)):
            lows, highs = where[tc.term]
            key = (frozenset(lows), frozenset(highs))
            if key in seen:  # same comments as a term already listed: one sentence, said once
                continue
            seen.add(key)
            rows.append({
                "side": side, "term": tc.term, "low_count": tc.low_count, "low_n": low_n,
                "low_share": 100.0 * tc.low_count / low_n if low_n else 0.0,
                "high_count": tc.high_count, "high_n": high_n,
                "high_share": 100.0 * tc.high_count / high_n if high_n else 0.0,
                "log_odds": tc.log_odds, "z": tc.z,
            })
            picked += 1
            if picked == top:
                break
    return pd.DataFrame(rows, columns=columns)


def band_names(frame: pd.DataFrame) -> tuple[str, str]:
    """Return how to call the low and high sides for these comments ("detractors"/"promoters" or "low"/"high")."""
    present = set(frame["band"]) if not frame.empty else set()
    nps_like = bool(present & {DETRACTOR, PASSIVE, PROMOTER})
    plain = bool(present & {LOW, MIDDLE, HIGH})
    if nps_like and not plain:
        return "detractors (0–6)", "promoters (9–10)"
    if plain and not nps_like:
        return "low scores", "high scores"
    return "low scores and detractors", "high scores and promoters"
