"""Work once per distinct row (cx.distinct) and what the comment tools built on it give for repeated texts.

A form's stock answers and short reviews ("Good", "ok") repeat thousands of times; the labels, typical terms and
themes are computed once per distinct text, weighted by how many comments it stands for. These tests pin that the
weighted form gives the numbers the comment-by-comment definition gives.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from cx import comments, comments_themes, distinct
from cx.comments_text import terms_in
from tests.conftest import comment_frame
from tests.test_comments_language import BROKEN_EN as BROKEN


def test_rows_numbers_distinct_rows_in_order_of_first_appearance() -> None:
    codes, keys = distinct.rows(pd.Series(["b", "a", "b", "a", "c"]), pd.Series([1.0, 2.0, 1.0, 3.0, float("nan")]))
    assert codes.tolist() == [0, 1, 0, 2, 3]
    assert keys[:3] == [("b", 1.0), ("a", 2.0), ("a", 3.0)]
    assert keys[3][0] == "c" and math.isnan(keys[3][1])  # a missing value is a value like any other


def test_rows_keep_missing_values_apart_from_each_other_and_from_text() -> None:
    codes, keys = distinct.rows(["x", None, "None", None, "x"])
    assert codes.tolist() == [0, 1, 2, 1, 0]
    assert keys == [("x",), (None,), ("None",)]


def test_rows_of_nothing_and_of_columns_that_differ_in_length() -> None:
    codes, keys = distinct.rows(pd.Series([], dtype="float64"))
    assert codes.tolist() == [] and keys == []
    with pytest.raises(ValueError, match="differ in length"):
        distinct.rows([1, 2], [1])
    with pytest.raises(ValueError, match="at least one column"):
        distinct.rows()


def test_each_calls_the_function_once_per_distinct_row() -> None:
    calls: list[tuple[object, ...]] = []

    def label(score: float, scale: int) -> str:
        calls.append((score, scale))
        return f"{score:g}/{scale}"

    scores = pd.Series([1.0, 5.0, 1.0, 1.0, 5.0] * 1_000)
    scales = pd.Series([5, 5, 5, 7, 5] * 1_000)
    found = distinct.each(label, scores, scales)
    assert found.tolist() == ["1/5", "5/5", "1/5", "1/7", "5/5"] * 1_000
    assert sorted(calls) == [(1.0, 5), (1.0, 7), (5.0, 5)]


def test_weighted_tfidf_is_scikit_learns_over_every_comment() -> None:
    # Independent check: scikit-learn's TfidfVectorizer over the comments written out one by one.
    texts = ["late delivery again", "late delivery", "broken screen", "screen broken on arrival", "late"]
    times = np.array([3.0, 1.0, 2.0, 1.0, 4.0])
    docs = [sorted(terms_in(t, "en")) for t in texts]
    weighted = comments_themes._weighted_tfidf(docs, times)
    assert weighted is not None
    matrix, vocabulary = weighted
    every = [doc for doc, n in zip(docs, times, strict=True) for _ in range(int(n))]
    reference = TfidfVectorizer(analyzer=lambda doc: doc, min_df=2, max_df=0.95, sublinear_tf=True,
                                max_features=20_000)
    expected = reference.fit_transform(every).toarray()
    assert list(vocabulary) == list(reference.get_feature_names_out())
    first = np.cumsum([0, *times[:-1]]).astype(int)  # the first copy of each distinct comment
    scale = np.sqrt(times / times.mean())
    assert matrix.toarray() == pytest.approx(expected[first] * scale[:, None])
    # The squared error of any fit over the distinct rows is its error over every comment (up to the constant).
    assert (matrix.T @ matrix).toarray() == pytest.approx((expected.T @ expected) / times.mean())


def test_weighted_tfidf_of_terms_in_one_comment_each_is_nothing() -> None:
    assert comments_themes._weighted_tfidf([["a"], ["b"]], np.array([1.0, 1.0])) is None


_frame = comment_frame
LATE = ["The delivery was late again", "Late delivery, nobody called", "Delivery late by a week",
        "Late delivery and no apology", "My delivery came late", "Delivery two weeks late"]


def test_themes_of_repeated_comments_count_every_comment() -> None:
    once = _frame([(t, 1.0) for t in LATE] + [(t, 2.0) for t in BROKEN])
    thrice = pd.concat([once] * 3, ignore_index=True)
    first, again = comments_themes.themes(once, k=2), comments_themes.themes(thrice, k=2)
    assert [t.n for t in first.themes] == [6, 6] and [t.n for t in again.themes] == [18, 18]
    assert again.comments == 36 and again.without_theme == 0
    assert {frozenset(t.examples) <= frozenset(LATE) for t in again.themes} == {True, False}
    assert sorted(t.mean_score for t in again.themes) == [1.0, 2.0]
    assert [(t.label, t.share) for t in first.themes] == [(t.label, t.share) for t in again.themes]


def test_a_theme_counts_a_repeated_text_once_per_comment_and_shows_it_once() -> None:
    frame = _frame([("Late delivery again", 1.0)] * 50 + [(t, 2.0) for t in BROKEN])
    found = comments_themes.themes(frame, k=2)
    late = next(t for t in found.themes if "Late delivery again" in t.examples)
    assert late.n == 50 and late.examples == ("Late delivery again",) and late.mean_score == 1.0
    assert sum(t.n for t in found.themes) + found.without_theme == 56


def test_distinctive_terms_count_each_repeated_comment() -> None:
    # 3 × "slow queue" + "queue again" low, 4 × "friendly staff" high: queue in 4 of 4 low comments, 0 of 4 high.
    frame = pd.DataFrame({"comment": ["slow queue"] * 3 + ["queue again"] + ["friendly staff"] * 4,
                          "band": ["detractor"] * 4 + ["promoter"] * 4})
    terms = comments.distinctive_terms(frame, min_count=3).set_index("term")
    assert terms.loc["queue", ["low_count", "low_n", "high_count", "high_n"]].tolist() == [4, 4, 0, 4]
    assert terms.loc["slow queue", "low_count"] == 3
    # "friendly" and "staff" and "friendly staff" are in the same 4 comments: one sentence, listed once.
    assert [t for t in terms.index if terms.loc[t, "side"] == "high"] == ["friendly staff"]
    log_odds = math.log(4.5 * 4.5 / (0.5 * 0.5))
    assert terms.loc["queue", "log_odds"] == pytest.approx(log_odds)


def test_annotate_reads_each_distinct_text_once_and_labels_every_comment() -> None:
    frame = _frame([("Great service", 5.0), ("Terrible, never again", 5.0), ("Great service", 1.0)] * 2_000)
    assert len(frame) == 6_000
    assert frame["sentiment_label"].tolist()[:3] == ["positive", "negative", "positive"]
    assert frame["band"].tolist()[:3] == ["high", "high", "low"]
    assert frame["contradicts"].tolist()[:3] == [False, True, True]
    assert frame["language"].eq("en").all()
