"""Voice of the customer: comments with their score, language, sentiment, score band, and what people talk about.

Comments are read through the metric engine (ibis), so the sidebar filters select exactly the
answers the other pages count. Text work (language, sentiment, terms, themes) happens in Python on
the comments that come back: `cx.comments_text` reads each text in its own language (English and
Portuguese sentiment; any other language says so instead of a score), `cx.comments_themes` groups
comments into themes.

**One comment per respondent.** A wide file has one comment column per row, and the import copies
it onto each of the row's answers. A respondent whose every answer (two or more) carries the same
text therefore has one *respondent-level* comment (touchpoint None), compared with the respondent's
outcome (NPS, then a score, then yes/no; the first by name) or, without one, their overall score
(the mean of their answers on 0–10).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ibis
import numpy as np
import pandas as pd
from ibis.expr.types import Table

from cx import comments_text as text_tools
from cx import distinct
from cx.comments_text import CX_LEXICON, SENTIMENT_LANGUAGES, sentiment_unavailable, tokens
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
    "NEGATIVE_AT",
    "NO_SCORE",
    "OUTCOME_PREFERENCE",
    "POSITIVE_AT",
    "RECORD_FIELDS",
    "TABLE_ROWS",
    "SENTIMENT_METHOD",
    "TABLE_COLUMNS",
    "TERM_METHOD",
    "TermCounts",
    "TextReadings",
    "WHOLE_RESPONSE",
    "annotate",
    "answer_count",
    "at_touchpoint",
    "band_counts",
    "band_names",
    "bands_of",
    "comment_heading",
    "comment_records",
    "comments",
    "comments_table",
    "contradicts",
    "dataset_readings",
    "distinctive_terms",
    "language_counts",
    "read_texts",
    "score_band",
    "select_comments",
    "sentiment",
    "sentiment_label",
    "term_counts",
    "terms_of",
    "tokens",
    "whole_responses",
]

# text → (language, sentiment or None): computed once per data set (the app caches it by data version).
TextReadings = Mapping[str, tuple[str, float | None]]

SENTIMENT_METHOD = (
    "English: " + SENTIMENT_LANGUAGES["en"] + "; Portuguese: " + SENTIMENT_LANGUAGES["pt"]
    + " (a negation such as 'não' turns round the words after it). Both are rule-based word lists that run "
    "offline. Any other language: no sentiment (shown as not available, never as neutral). The language of "
    "each comment is detected offline (py3langid)"
)
# The VADER authors' thresholds on the compound score (−1…+1).
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# A comment contradicts its score when the text reads positive but the score is at most this
# (0–10 equivalent), or reads negative with a score of at least CONTRADICTION_HIGH. Scores in
# between (5–6 of 10) are too lukewarm to contradict anything.
CONTRADICTION_LOW = 4.0
CONTRADICTION_HIGH = 7.0

# Score bands: NPS-style on a 0–10 scale, low / middle / high (on the 0–10 equivalent) elsewhere.
DETRACTOR, PASSIVE, PROMOTER = "detractor", "passive", "promoter"
LOW, MIDDLE, HIGH = "low", "middle", "high"
NO_SCORE = "no score"
BANDS: tuple[str, ...] = (DETRACTOR, PASSIVE, PROMOTER, LOW, MIDDLE, HIGH, NO_SCORE)
LOW_BANDS = frozenset({DETRACTOR, LOW})
HIGH_BANDS = frozenset({PROMOTER, HIGH})

COMMENT_COLUMNS: tuple[str, ...] = (
    "answered_at", "touchpoint", "score", "scale_min", "scale_max", "reversed", "score10", "band", "language",
    "sentiment", "sentiment_label", "contradicts", "channel", "unit", "respondent", "comment",
)
# What `cx comments --json` prints per comment.
RECORD_FIELDS: tuple[str, ...] = ("respondent", "touchpoint", "score", "comment", "language", "sentiment")
# The outcome a respondent-level comment is compared with: the first kind present, then the first by name.
OUTCOME_PREFERENCE: tuple[str, ...] = ("nps", "score", "binary")

# ---------------------------------------------------------------- language and sentiment


@lru_cache(maxsize=200_000)
def sentiment(text: str, language: str = "en") -> float | None:
    """Return the compound sentiment of a text in `language`, −1 (negative) … +1 (positive), or None.

    None when cx has no sentiment for that language (anything but English and Portuguese).
    """
    if not text or not text.strip():
        return 0.0 if language in SENTIMENT_LANGUAGES else None
    return text_tools.sentiment_of(text, language)


def sentiment_label(compound: float | None, language: str = "en") -> str:
    """Return "positive", "negative" or "neutral" for a compound score; "not available for LANG" for None."""
    if compound is None or (isinstance(compound, float) and math.isnan(compound)):
        return sentiment_unavailable(language).removeprefix("sentiment ")
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def read_texts(texts: Iterable[str]) -> dict[str, tuple[str, float | None]]:
    """Return each distinct text's language and sentiment (None where cx cannot read the language).

    Pass all of a data set's comments at once: their mix of languages settles the short ones.
    """
    distinct = sorted(set(texts))
    languages = text_tools.detect_languages(distinct)
    return {t: (lang, sentiment(t, lang)) for t, lang in zip(distinct, languages, strict=True)}


def _text(table: Table) -> Any:
    """The comment, or null when it is missing or blank."""
    return ibis.ifelse(table.comment.strip() == "", ibis.null().cast("string"), table.comment)


def dataset_readings(engine: Engine, dataset: str) -> dict[str, tuple[str, float | None]]:
    """Return the language and sentiment of every distinct comment of a data set (see `read_texts`)."""
    table = engine.responses(dataset)
    table = table.mutate(text=_text(table))
    frame = table.filter(table.text.notnull()).select("text").distinct().execute()
    return read_texts(frame["text"].astype(str))


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


_SELECTED = ("answered_at", "touchpoint", "score", "scale_min", "scale_max", "reversed", "score10", "channel",
             "unit", "respondent", "comment")


def whole_responses(engine: Engine, dataset: str) -> pd.DataFrame:
    """Return the respondents (with their one text) whose every answer, two or more, carries the same comment.

    Columns respondent, comment: one whole-response comment each (see the module docstring), whatever the filters.
    """
    table = engine.responses(dataset)
    table = table.mutate(text=_text(table))
    # One text on every answer: its least and greatest are equal (a distinct count per respondent cost ~3 s of one
    # thread at 10 M answers).
    per = table.group_by("respondent").aggregate(
        answers=table.count(), commented=table.text.count(), least=table.text.min(), comment=table.text.max())
    whole = per.filter((per.answers >= 2) & (per.commented == per.answers) & (per.least == per.comment))
    return pd.DataFrame(whole.select("respondent", "comment").execute())


def _comparison_outcome(engine: Engine, dataset: str) -> tuple[str, str] | None:
    """Return (outcome, kind) a respondent-level comment is compared with, or None (then: the overall score)."""
    table = engine.outcomes(dataset)
    table = table.filter(table.value.notnull() & table.kind.isin(list(OUTCOME_PREFERENCE)))
    found = table.group_by(["outcome", "kind"]).aggregate(n=table.count()).execute()
    if found.empty:
        return None
    ranked = sorted(zip(found["kind"].astype(str), found["outcome"].astype(str), strict=True),
                    key=lambda ko: (OUTCOME_PREFERENCE.index(ko[0]), ko[1]))
    kind, outcome = ranked[0]
    return outcome, kind


_OUTCOME_SCALES = {"nps": (0.0, 10.0), "binary": (0.0, 1.0)}


def _respondent_comments(engine: Engine, dataset: str, filters: Sequence[Filter], whole: pd.DataFrame) -> pd.DataFrame:
    """Return the respondent-level comments (`whole`: `whole_responses`) of respondents with an answer that passes
    the filters."""
    chosen = ibis.memtable(whole).semi_join(filtered_responses(engine, dataset, filters), "respondent")
    # Only the chosen respondents' answers are grouped (a data set of answer-level comments has none).
    answers = with_score10(engine.responses(dataset)).semi_join(chosen, "respondent")
    info = answers.group_by("respondent").aggregate(
        answered_at=answers.answered_at.max(), channel=answers.channel.max(), unit=answers.unit.max(),
        overall=answers.score10.mean())
    rows = chosen.join(info, "respondent").select("respondent", "comment", "answered_at", "channel", "unit",
                                                  "overall")
    compared = _comparison_outcome(engine, dataset)
    if compared is not None:
        name, kind = compared
        outcomes = engine.outcomes(dataset)
        outcomes = outcomes.filter((outcomes.outcome == name) & outcomes.value.notnull()).select(
            who="respondent", o_value="value", o_min="scale_min", o_max="scale_max")
        rows = rows.left_join(outcomes, rows.respondent == outcomes.who).select(
            "respondent", "comment", "answered_at", "channel", "unit", "overall", "o_value", "o_min", "o_max")
    frame = rows.execute()
    if compared is None:
        frame["o_value"] = frame["o_min"] = frame["o_max"] = float("nan")
    lo_default, hi_default = _OUTCOME_SCALES.get(compared[1] if compared else "", (float("nan"), float("nan")))
    has_outcome = frame["o_value"].notna()
    o_min = frame["o_min"].astype("float64").fillna(lo_default)
    o_max = frame["o_max"].astype("float64").fillna(hi_default)
    frame["score"] = frame["o_value"].astype("float64").where(has_outcome, frame["overall"].astype("float64"))
    frame["scale_min"] = o_min.where(has_outcome, 0.0)
    frame["scale_max"] = o_max.where(has_outcome, 10.0)
    frame["reversed"] = False
    frame["score10"] = 10 * (frame["score"] - frame["scale_min"]) / (frame["scale_max"] - frame["scale_min"])
    frame["touchpoint"] = None
    return pd.DataFrame(frame.loc[:, list(_SELECTED)])


def comments(
    engine: Engine, dataset: str, filters: Sequence[Filter] = (), *, touchpoint: str | None = None,
    readings: TextReadings | None = None, whole: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return every comment that passes the filters, newest first, with language, sentiment and score band.

    Columns: COMMENT_COLUMNS. `score10` is the score on 0–10; `sentiment` the compound score (NaN where
    the language has none). A respondent-level comment (see the module docstring) is one row with
    touchpoint None; it is left out when a touchpoint is asked for, as it belongs to none.
    `readings`, `whole`: the data set's `dataset_readings` and `whole_responses` when already computed (the app
    caches them per data version; whole responses group every answer by respondent).
    """
    if whole is None:
        whole = whole_responses(engine, dataset)
    table = with_score10(filtered_responses(engine, dataset, filters))
    table = table.filter(table.comment.notnull() & (table.comment.strip() != ""))
    if touchpoint is not None:
        table = table.filter(table.touchpoint == touchpoint)
    if not whole.empty:
        table = table.anti_join(ibis.memtable(whole[["respondent"]]), "respondent")
    table = table.select(*_SELECTED)
    # Newest first, in the engine (sorting a million rows in pandas cost ~1 s): NULL dates last on DuckDB and Spark.
    frame = table.order_by([table.answered_at.desc(), table.touchpoint, table.respondent]).execute()
    extra = _respondent_comments(engine, dataset, filters, whole) if touchpoint is None and not whole.empty else None
    if extra is not None and not extra.empty:  # respondent-level comments go between the others, in the same order
        frame = pd.concat([p for p in (frame, extra) if not p.empty], ignore_index=True).sort_values(
            ["answered_at", "touchpoint", "respondent"], ascending=[False, True, True], na_position="last",
            kind="stable")
    if readings is None:
        readings = dataset_readings(engine, dataset)
    return annotate(frame, readings)


def at_touchpoint(frame: pd.DataFrame, touchpoint: str) -> pd.DataFrame:
    """Return what `comments(..., touchpoint=touchpoint)` returns, taken from `frame` = `comments(...)` of all.

    The same rows in the same order (respondent-level comments belong to no touchpoint), with no query.
    """
    return frame[frame["touchpoint"] == touchpoint].reset_index(drop=True)


def annotate(frame: pd.DataFrame, readings: TextReadings | None = None) -> pd.DataFrame:
    """Return comment rows with band, language, sentiment, sentiment_label and contradicts (COMMENT_COLUMNS order).

    Texts missing from `readings` are read here, together.
    """
    out = frame.copy()
    if "score10" not in out.columns:
        share = (out["score"] - out["scale_min"]) / (out["scale_max"] - out["scale_min"])
        flip = out.get("reversed", pd.Series(False, index=out.index)).fillna(False).astype(bool)
        out["score10"] = (10 * share).where(~flip, 10 - 10 * share)
    if "reversed" not in out.columns:
        out["reversed"] = False
    for column in ("channel", "unit", "respondent", "touchpoint", "answered_at"):
        if column not in out.columns:
            out[column] = None
    out["score10"] = out["score10"].astype("float64")
    out["reversed"] = out["reversed"].fillna(False).astype(bool)
    codes, texts = distinct.rows(out["comment"].astype(str))
    known = dict(readings or {})
    missing = [t for (t,) in texts if t not in known]
    if missing:
        known.update(read_texts(missing))
    read = [known[t] for (t,) in texts]
    out["language"] = pd.Series(np.asarray([r[0] for r in read], dtype=object)[codes], index=out.index, dtype="str")
    out["sentiment"] = pd.Series(np.asarray([np.nan if r[1] is None else r[1] for r in read], dtype="float64")[codes],
                                 index=out.index, dtype="float64")
    out["sentiment_label"] = pd.Series(distinct.each(sentiment_label, out["sentiment"], out["language"]),
                                       index=out.index, dtype="str")
    out["band"] = pd.Series(distinct.each(lambda s, lo, hi, r: score_band(s, lo, hi, bool(r)), out["score10"],
                                          out["scale_min"], out["scale_max"], out["reversed"]),
                            index=out.index, dtype="str")
    out["contradicts"] = pd.Series(distinct.each(contradicts, out["sentiment_label"], out["score10"]),
                                   index=out.index, dtype=bool)
    return out[list(COMMENT_COLUMNS)].reset_index(drop=True)


def _none(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT else value


def comment_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return one object per comment as `cx comments --json` prints it (RECORD_FIELDS; null where absent)."""
    # Column by column: turning every column of a million comments into row dicts cost ~20 s (bench/cli.py).
    def listed(name: str, number: bool) -> list[Any]:
        column = (frame[name].astype("float64") if number else frame[name]).astype(object)
        return column.where(column.notna(), None).tolist()  # NaN, NA and NaT as None

    numbers = {"score", "sentiment"}
    columns = [listed(name, name in numbers) if name not in ("comment", "language") else frame[name].tolist()
               for name in RECORD_FIELDS]
    return [dict(zip(RECORD_FIELDS, values, strict=True)) for values in zip(*columns, strict=True)]


def language_counts(frame: pd.DataFrame) -> list[tuple[str, int, bool]]:
    """Return (language, comments, has sentiment) for the languages in a comment frame, most comments first."""
    if frame.empty:
        return []
    counts = frame["language"].value_counts()
    return sorted(((str(lang), int(n), lang in SENTIMENT_LANGUAGES) for lang, n in counts.items()),
                  key=lambda item: (-item[1], item[0]))


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
    max_score: float | None = None,
) -> pd.DataFrame:
    """Return the comments that match every condition given.

    `search`: every word must occur in the comment (case-insensitive, plain text, no patterns);
    `bands`: keep these score bands (all when empty); `contradicting`: only comments whose
    sentiment contradicts the score; `term`: comments that contain this term (as counted by
    `distinctive_terms`); `max_score`: comments scored at most this, on their own scale.
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
        keep &= pd.Series(distinct.each(lambda t, lang: term in terms_of(t, lang), text, _languages(frame)),
                          index=frame.index, dtype=bool)
    if max_score is not None:
        keep &= frame["score"].astype("float64") <= max_score
    return frame[keep].reset_index(drop=True)


def band_counts(frame: pd.DataFrame) -> tuple[int, int]:
    """Return how many comments are low-score (detractors, low) and how many high-score (promoters, high)."""
    return int(frame["band"].isin(LOW_BANDS).sum()), int(frame["band"].isin(HIGH_BANDS).sum())


TABLE_COLUMNS: tuple[str, ...] = ("answered_at", "touchpoint", "score", "band", "comment", "language",
                                  "sentiment_label", "sentiment", "contradicts", "channel", "unit", "scale")
# The comments table on the page shows at most this many rows, newest first (a million comments would be ~100 MB
# sent to the browser, which draws for seconds); the download holds every one.
TABLE_ROWS = 10_000
WHOLE_RESPONSE = "(whole response)"  # how a table shows the touchpoint of a respondent-level comment


def comments_table(view: pd.DataFrame) -> pd.DataFrame:
    """Return the comments as the page's table shows them: `TABLE_COLUMNS` in order, the scale as text ("1–5")."""
    scale = ["" if pd.isna(lo) or pd.isna(hi) else f"{lo:g}–{hi:g}"
             for lo, hi in zip(view["scale_min"], view["scale_max"], strict=True)]
    touchpoint = view["touchpoint"].astype(object).where(view["touchpoint"].notna(), WHOLE_RESPONSE)
    return view.assign(scale=scale, touchpoint=touchpoint)[list(TABLE_COLUMNS)]


def comment_heading(row: dict[Hashable, Any]) -> str:
    """Return the line above a comment read in full: date, touchpoint, score on its scale, band, sentiment."""
    answered = row["answered_at"]
    when = "" if answered is None or str(answered) == "NaT" else f"{answered:%Y-%m-%d} · "
    score = row["score"]
    said = "no score" if pd.isna(score) else f"score {score:g} of {row['scale_min']:g}–{row['scale_max']:g}"
    where = WHOLE_RESPONSE if _none(row.get("touchpoint")) is None else row["touchpoint"]
    label = str(row["sentiment_label"])
    reads = f"sentiment {label}" if label.startswith("not available") else f"reads {label}"
    language = _none(row.get("language"))
    return (f"{when}{where} · {said} ({row['band']}) · " + (f"{language} · " if language else "") + reads
            + (" · contradicts its score" if row["contradicts"] else ""))


# ---------------------------------------------------------------- what people talk about

def _languages(frame: pd.DataFrame) -> list[str]:
    """Return each comment's language: the frame's column, else detected over the frame's texts together."""
    if "language" in frame.columns:
        return frame["language"].astype(str).tolist()
    return text_tools.detect_languages(frame["comment"].astype(str).tolist())


@lru_cache(maxsize=200_000)
def terms_of(text: str, language: str | None = None) -> frozenset[str]:
    """Return the terms of a comment: lemmas of its words that are not stop words, and two-word phrases.

    Words are cleaned in the comment's language (detected when None), as themes clean them: stop
    words of that language and of English and Portuguese left out (stopwordsiso), the rest as lemmas
    (simplemma: "shelves" → "shelf", "chegaram" → "chegar"). A phrase is two neighbouring content
    words ("empty shelf"); a stop word between two words breaks the phrase.
    """
    return text_tools.terms_in(text, language or text_tools.detect_language(text))


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
    "Terms are the words of each comment in its own language as lemmas (stop words left out: stopwordsiso's lists "
    "for the comment's language, English and Portuguese) and phrases of two neighbouring such words, each counted "
    "once per comment. A term is "
    "typical of low-score comments when the odds of finding it there are at least twice those in high-score "
    "comments (odds ratio with 0.5 added to every count), and the other way round; the most frequent such "
    "terms are listed first. Terms found in exactly the same comments are shown once."
)


def distinctive_terms(frame: pd.DataFrame, *, top: int = 8, min_count: int = 3) -> pd.DataFrame:
    """Return the most frequent terms typical of low-score comments, and of high-score ones.

    Low = detractors or low band, high = promoters or high band (middle bands are left out).
    A term is typical of a side when its odds ratio towards that side is at least
    MIN_ODDS_RATIO and it occurs in at least `min_count` comments there. One row per term:
    side ("low"/"high"), term (lemmas), shown (as customers wrote it most), counts, shares (%),
    log-odds (positive: more in low) and z; per side at most `top` terms, most frequent there first.
    """
    columns = ["side", "term", "shown", "low_count", "low_n", "low_share", "high_count", "high_n", "high_share",
               "log_odds", "z"]
    # Per distinct (text, band, language) with how many comments it stands for: a repeated text is read once.
    codes, keys = (distinct.rows(frame["comment"].astype(str), frame["band"], _languages(frame)) if len(frame)
                   else (np.zeros(0, dtype=np.intp), []))
    times = np.bincount(codes, minlength=len(keys)).tolist()
    sides = [[(j, text, language) for j, (text, band, language) in enumerate(keys) if band in bands]
             for bands in (LOW_BANDS, HIGH_BANDS)]
    low_n, high_n = (sum(times[j] for j, _, _ in side) for side in sides)
    both = [entry for side in sides for entry in side]
    forms = text_tools.shown_forms([t for _, t, _ in both], [lang for _, _, lang in both],
                                   [times[j] for j, _, _ in both])
    # term → the distinct rows it occurs in, low side and high side (the same rows: the same comments)
    where: dict[str, tuple[set[int], set[int]]] = {}
    for index, entries in enumerate(sides):
        for j, text, language in entries:
            for term in terms_of(text, language):
                where.setdefault(term, (set(), set()))[index].add(j)

    def comments_in(found: set[int]) -> int:
        return sum(times[j] for j in found)

    threshold = math.log(MIN_ODDS_RATIO)
    candidates: dict[str, list[tuple[tuple[float, ...], TermCounts]]] = {"low": [], "high": []}
    for term, (lows, highs) in where.items():
        tc = term_counts(term, comments_in(lows), low_n, comments_in(highs), high_n)
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
                "side": side, "term": tc.term, "shown": text_tools.shown_term(tc.term, forms),
                "low_count": tc.low_count, "low_n": low_n,
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
