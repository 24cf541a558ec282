"""Themes: comments grouped into a handful of named themes (NMF over TF-IDF), each with its numbers.

Each comment becomes its terms in its own language (`comments_text.terms_in`: lemmas that are not
stop words, and phrases of two neighbouring ones). TF-IDF weighs the terms (a term in nearly every
comment says little); non-negative matrix factorisation (scikit-learn's NMF, a fixed start so the
same comments always give the same themes) finds k themes, each a weighted list of terms. A comment
belongs to the theme that weighs most in it; a comment with no recurring term belongs to none.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cx import distinct
from cx.comments_text import shown_forms, shown_term, terms_in

__all__ = [
    "DEFAULT_K",
    "MIN_COMMENTS",
    "THEME_COLUMNS",
    "THEME_METHOD",
    "Theme",
    "Themes",
    "themes",
    "themes_table",
]

DEFAULT_K = 5
MIN_COMMENTS = 10  # fewer comments with a recurring term than this: no themes (they would be noise)
TOP_TERMS = 6
EXAMPLES = 3
RANDOM_STATE = 0
THEME_METHOD = (
    "Themes: each comment's words in its own language, grouped by lemma (shown in the form customers wrote most) "
    "with stop words left out (stopwordsiso), plus two-word phrases; TF-IDF weights; non-negative matrix "
    "factorisation (scikit-learn NMF, fixed start) into at most k themes; a text written many times is read once and "
    "counts as often as it was written. A comment counts in the theme that "
    "weighs most in it; the examples are the comments it weighs most in. Named after its two leading terms."
)


@dataclass(frozen=True)
class Theme:
    """One theme: its name, its leading terms, how many comments are in it and their mean score."""

    label: str
    terms: tuple[str, ...]
    n: int  # comments in this theme
    share: float  # n / comments considered, 0…1
    mean_score: float | None  # mean score of its comments, on `scale`
    scale: tuple[float, float] | None  # the comments' own scale when they share one, else 0–10
    examples: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the theme as `cx themes --json` prints it."""
        return {"label": self.label, "terms": list(self.terms), "n": self.n, "share": self.share,
                "mean_score": self.mean_score, "scale": None if self.scale is None else list(self.scale),
                "examples": list(self.examples)}


@dataclass(frozen=True)
class Themes:
    """The themes of some comments, and what was considered."""

    themes: tuple[Theme, ...]
    comments: int  # comments considered
    without_theme: int  # of them, in no theme (no recurring term)
    reason: str | None = None  # why there are no themes, when there are none
    k: int = DEFAULT_K


def _label(terms: list[str]) -> str:
    picked: list[str] = []
    for term in terms:
        if not any(set(term.split()) & set(p.split()) for p in picked):
            picked.append(term)
        if len(picked) == 2:
            break
    return " · ".join(picked)


def _score_column(frame: pd.DataFrame) -> tuple[pd.Series, tuple[float, float] | None]:
    """Return the scores to average and their scale: the comments' own when they share one, else 0–10."""
    scored = frame[frame["score"].notna()]
    if scored.empty:
        return frame["score"].astype("float64"), None
    scales = scored[["scale_min", "scale_max"]].assign(reversed=scored["reversed"].astype(bool)).drop_duplicates()
    if len(scales) == 1:
        lo, hi = scales.iloc[0]["scale_min"], scales.iloc[0]["scale_max"]
        return frame["score"].astype("float64"), (float(lo), float(hi))
    return frame["score10"].astype("float64"), (0.0, 10.0)


MIN_DF = 2  # a term in fewer comments than this says nothing about a group
MAX_DF = 0.95  # nor one in more than this share of them
MAX_TERMS = 20_000


def _row_scale(times: np.ndarray) -> np.ndarray:
    """Return how much each distinct comment's row of `_weighted_tfidf` is multiplied by: √(times / mean times)."""
    scale: np.ndarray = np.sqrt(times / times.mean())
    return scale


def _weighted_tfidf(docs: list[list[str]], times: np.ndarray) -> tuple[Any, np.ndarray] | None:
    """Return the TF-IDF matrix of distinct comments, each row standing for `times` equal comments, and its terms.

    The same numbers as scikit-learn's TfidfVectorizer over every comment (smooth IDF, sublinear TF — each term
    counts once per comment — rows of unit length, min_df 2, max_df 0.95, the 20,000 commonest terms), with each
    distinct row multiplied by √times: the factorisation's squared error over them is its error over every comment,
    so a text written 4,000 times is one row, not 4,000. None when no term is left. (All rows are then divided by
    √(mean times), which changes no minimum: rows near unit length, as scikit-learn's start expects.)
    """
    from scipy import sparse

    vocabulary = sorted({term for doc in docs for term in doc})
    position = {term: i for i, term in enumerate(vocabulary)}
    columns = [position[term] for doc in docs for term in doc]
    starts = np.cumsum([0, *(len(doc) for doc in docs)])
    present = sparse.csr_matrix((np.ones(len(columns)), columns, starts), shape=(len(docs), len(vocabulary)))
    n = float(times.sum())
    df = present.T @ times  # comments containing each term
    kept = np.flatnonzero((df >= MIN_DF) & (df <= MAX_DF * n))
    if kept.size == 0:
        return None
    if kept.size > MAX_TERMS:
        kept = np.sort(kept[np.argsort(-df[kept], kind="stable")[:MAX_TERMS]])
    idf = np.log((1 + n) / (1 + df[kept])) + 1
    matrix = present[:, kept] @ sparse.diags(idf)
    length = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    length[length == 0] = 1.0
    return (sparse.diags(_row_scale(times) / length) @ matrix).tocsr(), np.asarray(vocabulary, dtype=object)[kept]


def themes(frame: pd.DataFrame, *, k: int = DEFAULT_K, examples: int = EXAMPLES) -> Themes:
    """Return at most `k` themes of the comments in `frame` (columns comment, language, score, score10, scale).

    Themes are ordered by size (then name). `share` is of all comments in `frame`. Deterministic:
    the same comments give the same themes.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    if k < 1:
        raise ValueError("k must be at least 1")
    total = len(frame)
    texts = frame["comment"].astype(str)
    languages = frame["language"].astype(str) if "language" in frame.columns else pd.Series(["en"] * total)
    # One row per distinct (text, language), weighted by how many comments it stands for (see `_weighted_tfidf`).
    codes, keys = distinct.rows(texts, languages)
    times = np.bincount(codes, minlength=len(keys)).astype("float64")
    docs = [sorted(terms_in(text, language)) for text, language in keys]
    with_terms = int(sum(n for n, d in zip(times, docs, strict=True) if d))
    if with_terms < MIN_COMMENTS:
        return Themes((), total, total, f"Too few comments with words to group ({with_terms}; themes need at least "
                                        f"{MIN_COMMENTS}).", k)
    weighted = _weighted_tfidf(docs, times)
    if weighted is None:
        return Themes((), total, total, "No word recurs across these comments: nothing to group.", k)
    matrix, vocabulary = weighted
    forms = shown_forms([t for t, _ in keys], [lang for _, lang in keys], times.astype(int).tolist())
    k_used = max(1, min(k, matrix.shape[0], matrix.shape[1], with_terms // 5))
    model = NMF(n_components=k_used, init="nndsvda", random_state=RANDOM_STATE, max_iter=400)
    # A near-exact fit (a few stock answers repeated) can make scikit-learn's reconstruction error the square root of
    # a rounding-negative number: NaN in a figure cx never reads, not a problem with the themes.
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix) / _row_scale(times)[:, None]  # each comment's own weights
    components = model.components_
    strongest = weights.max(axis=1)
    assigned_text = np.where(strongest > 0, weights.argmax(axis=1), -1)
    assigned = assigned_text[codes]  # per comment
    scores, scale = _score_column(frame)
    score_values = scores.to_numpy(dtype="float64", na_value=np.nan)
    found: list[Theme] = []
    for t in range(k_used):
        members = np.flatnonzero(assigned == t)
        if members.size == 0:
            continue
        order = np.argsort(-components[t], kind="stable")
        terms = [shown_term(str(vocabulary[i]), forms) for i in order[:TOP_TERMS] if components[t, i] > 0]
        member_scores = score_values[members]
        member_scores = member_scores[~np.isnan(member_scores)]
        mean = float(member_scores.mean()) if member_scores.size else None
        picked: list[str] = []
        in_theme = np.flatnonzero(assigned_text == t)
        for i in in_theme[np.argsort(-weights[in_theme, t], kind="stable")]:
            if keys[i][0] not in picked:
                picked.append(keys[i][0])
            if len(picked) == examples:
                break
        found.append(Theme(
            label=_label(terms), terms=tuple(terms), n=int(members.size), share=members.size / total,
            mean_score=None if mean is None or math.isnan(mean) else round(mean, 4), scale=scale,
            examples=tuple(picked)))
    found.sort(key=lambda theme: (-theme.n, theme.label))
    return Themes(tuple(found), total, int((assigned < 0).sum()), None, k)


THEME_COLUMNS: tuple[str, ...] = ("theme", "terms", "n", "share", "mean_score", "scale")


def themes_table(result: Themes) -> pd.DataFrame:
    """Return the themes as the page's table shows them: THEME_COLUMNS, share in %, terms and scale as text."""
    rows = [{
        "theme": t.label, "terms": " · ".join(t.terms), "n": t.n, "share": 100.0 * t.share,
        "mean_score": t.mean_score, "scale": "" if t.scale is None else f"{t.scale[0]:g}–{t.scale[1]:g}",
    } for t in result.themes]
    return pd.DataFrame(rows, columns=list(THEME_COLUMNS))
