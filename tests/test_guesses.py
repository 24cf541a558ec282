"""The mapping proposal: each guess rule on hand-made profiles, then five look-alike exports end to end."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from cx import guesses, ingest
from cx.__main__ import main
from cx.guesses import ColumnProfile, column_kind, guess_scale, propose
from tests import lookalikes


def numbers(name: str, lo: float, hi: float, *, rows: int = 60, distinct: int | None = None, whole: bool = True,
            unique: bool | None = None) -> ColumnProfile:
    """A number column, every cell filled."""
    return ColumnProfile(name=name, rows=rows, filled=rows, numbers=rows, comma_numbers=0, whole=rows if whole else 0,
                         lo=lo, hi=hi, distinct=int(hi - lo) + 1 if distinct is None else distinct, max_length=4,
                         mean_length=2.0, dates=0, top=tuple(str(int(lo) + k) for k in range(2)), unique=unique)


def texts(name: str, top: tuple[str, ...], *, rows: int = 60, distinct: int | None = None, length: float = 8.0,
          unique: bool | None = None, samples: tuple[str, ...] = ()) -> ColumnProfile:
    """A text column whose most frequent values are `top`."""
    return ColumnProfile(name=name, rows=rows, filled=rows, numbers=0, comma_numbers=0, whole=0, lo=None, hi=None,
                         distinct=len(top) if distinct is None else distinct, max_length=int(length * 2),
                         mean_length=length, dates=0, top=top, unique=unique, samples=samples or top)


# ---------------------------------------------------------------------- words and kinds


@pytest.mark.parametrize(("name", "expected"), [
    ("ReviewID", ["review", "id"]), ("customerID", ["customer", "id"]), ("order_items_qty", ["order", "items", "qty"]),
    ("OverallRating", ["overall", "rating"]), ("Wifi&Connectivity", ["wifi", "connectivity"]),
    ("HTTPServer", ["http", "server"]), ("votes_2", ["votes", "2"]), ("Unnamed: 0", ["unnamed", "0"]),
])
def test_words_split_names_at_case_digits_and_punctuation(name: str, expected: list[str]) -> None:
    assert guesses.words(name) == expected


@pytest.mark.parametrize(("profile", "kind"), [
    (numbers("Seat comfort", 1, 5), "rating"),
    (numbers("Wifi", 0, 5), "rating"),
    (numbers("ValueForMoney", 1, 5), "rating"),  # "value" names an amount, but whole 1–5 answers are a rating
    (numbers("votes_delayed", 0, 3), "count"),  # named a count: not a rating although 0–3
    (numbers("order_items_qty", 1, 4), "count"),
    (numbers("tenure", 0, 72, distinct=50), "count"),  # whole numbers beyond 10
    (numbers("Unnamed: 0", 0, 59, distinct=60, unique=True), "id"),  # unique whole numbers beyond a scale
    (numbers("store_id", 1, 5), "id"),  # named an id, even on 1–5
    (numbers("SeniorCitizen", 0, 1), "flag"),
    (numbers("coded yes/no", 1, 2), "flag"),  # two values a step apart
    (numbers("MonthlyCharges", 18.25, 118.75, distinct=60, whole=False), "amount"),
    (numbers("Revenue", 20, 900, distinct=60, unique=True), "amount"),  # named an amount beats unique
    (numbers("answers", 1, 9, distinct=55), "count"),  # nearly every value different: not answers on a scale
    (texts("Churn", ("Yes", "No")), "flag"),
    (texts("Contract", ("Month-to-month", "One year", "Two year")), "category"),
    (texts("ReviewBody", ("…",), distinct=60, length=300.0), "long text"),
    (texts("ReviewID", ("R1", "R2"), distinct=60, unique=True), "id"),
    (texts("Datetime", ("19th November 2023", "3rd March 2024")), "date"),
    (replace(texts("empty", ()), filled=0), "empty"),
])
def test_each_column_kind(profile: ColumnProfile, kind: str) -> None:
    assert column_kind(profile) == kind


# ---------------------------------------------------------------------- scales


@pytest.mark.parametrize(("lo", "hi", "name", "scale", "codes"), [
    (1, 10, "OverallRating", (1.0, 10.0), ()),  # the observed range, when it is a standard scale
    (2, 10, "Staff", (1.0, 10.0), ()),  # else the narrowest standard scale holding it
    (0, 9, "Staff", (0.0, 10.0), ()),
    (1, 4, "Seat", (1.0, 5.0), ()),
    (3, 6, "Effort", (1.0, 7.0), ()),
    (0, 5, "Wifi", (1.0, 5.0), (0.0,)),  # 0 beside 1–5: "not rated"
    (2, 9, "Likelihood to recommend", (0.0, 10.0), ()),  # a recommend question is 0–10
    (3, 80, "Score", (0.0, 100.0), ()),
    (5, 400, "Points", (5.0, 400.0), ()),  # beyond every standard scale: the observed range
])
def test_the_scale_is_the_observed_range(lo: float, hi: float, name: str, scale: tuple[float, float],
                                         codes: tuple[float, ...]) -> None:
    assert guess_scale(numbers(name, lo, hi)) == (scale, codes)


# ---------------------------------------------------------------------- the proposal, rule by rule


def test_a_unique_column_is_the_respondent() -> None:
    # No column is named like a respondent or an id: the one whose every value differs is.
    profiles = [texts("Class", ("Eco", "Business")), texts("ticket", ("TK1", "TK2"), distinct=60, unique=True),
                numbers("Seat", 1, 5), numbers("Food", 1, 5)]
    assert propose(profiles).mapping.respondent == "ticket"


def test_a_named_id_wins_over_an_index_and_needs_to_be_unique_unless_named() -> None:
    index = numbers("Unnamed: 0", 0, 59, distinct=60, unique=True)
    named = texts("ReviewID", ("R1", "R2"), distinct=60, unique=True)
    assert propose([index, named, numbers("Seat", 1, 5)]).mapping.respondent == "ReviewID"
    assert propose([index, numbers("Seat", 1, 5)]).mapping.respondent == "Unnamed: 0"
    # Values that repeat are no respondent of a wide file (they would be rejected as duplicates).
    repeated = texts("author", ("Ann", "Bob"), distinct=40, unique=False)
    assert propose([repeated, numbers("Seat", 1, 5)]).mapping.respondent is None


def test_the_longest_text_is_the_comment() -> None:
    title = texts("ReviewHeader", ("Great",), distinct=55, length=25.0)
    body = texts("ReviewBody", ("It was…",), distinct=60, length=400.0)
    assert propose([title, body, numbers("Seat", 1, 5)]).mapping.comment == "ReviewBody"
    # A long text column is a comment even when its name does not say so; web addresses are not.
    content = texts("content", ("We were…",), distinct=60, length=300.0)
    link = texts("link", ("https://example.com/review/1",), distinct=60, length=80.0,
                 samples=("https://example.com/review/1", "https://example.com/review/2"))
    assert propose([link, replace(content, name="words")]).mapping.comment == "words"
    assert propose([link, numbers("Seat", 1, 5)]).mapping.comment is None


def test_counts_ids_flags_and_amounts_are_not_touchpoints() -> None:
    profiles = [numbers("order_items_qty", 1, 4), *(numbers(f"votes_{k}", 0, 3) for k in range(3)),
                numbers("SeniorCitizen", 0, 1), numbers("price", 3.5, 99.9, distinct=60, whole=False),
                numbers("Seat comfort", 1, 5)]
    found = propose(profiles)
    assert [t.column for t in found.mapping.touchpoints] == ["Seat comfort"]
    assert found.mapping.segments == ("SeniorCitizen",)  # a flag slices the data
    assert any("'votes_0' (count)" in note for note in found.notes)


def test_an_overall_rating_is_an_outcome_on_its_own_scale() -> None:
    found = propose([numbers("OverallRating", 1, 10), numbers("SeatComfort", 1, 5), numbers("Food", 1, 5)])
    assert [t.column for t in found.mapping.touchpoints] == ["SeatComfort", "Food"]
    outcome, = found.mapping.outcomes
    assert (outcome.column, outcome.kind, outcome.scale) == ("OverallRating", "score", (1.0, 10.0))


def test_a_file_without_ratings_is_proposed_as_outcome_only() -> None:
    profiles = [texts("customerID", ("7590-A", "7591-B"), distinct=60, unique=True), numbers("SeniorCitizen", 0, 1),
                texts("Contract", ("Month-to-month", "One year", "Two year")), numbers("tenure", 0, 72, distinct=50),
                numbers("MonthlyCharges", 18.2, 118.7, distinct=60, whole=False),
                numbers("TotalCharges", 18.2, 8000.5, distinct=60, whole=False), texts("Churn", ("No", "Yes"))]
    found = propose(profiles)
    m = found.mapping
    assert (m.format, m.respondent, m.touchpoints) == ("wide", "customerID", ())
    assert {o.column: (o.kind, o.role) for o in m.outcomes} == {"Churn": ("binary", "churn"),
                                                               "MonthlyCharges": ("value", "revenue")}
    assert m.outcomes[0].positive == ("Yes",)
    assert set(m.segments) == {"SeniorCitizen", "Contract"}
    assert any("outcome-only" in note for note in found.notes)


def test_a_file_with_nothing_to_map_says_so() -> None:
    found = propose([texts("name", ("a", "b"), distinct=60, unique=True), numbers("tenure", 0, 72, distinct=50)])
    assert found.mapping.touchpoints == () and found.mapping.outcomes == ()
    assert any("No outcome column was recognised either" in note for note in found.notes)


# ---------------------------------------------------------------------- five look-alike exports


EXPECTED: dict[str, dict[str, object]] = {
    "airline survey": {
        "respondent": "id", "touchpoints": ["Inflight wifi service", "Ease of Online booking", "Online boarding",
                                            "Seat comfort", "Baggage handling"],
        "scales": {"Inflight wifi service": ((1.0, 5.0), (0.0,)), "Online boarding": ((1.0, 5.0), (0.0,))},
        "comment": None, "outcomes": {"satisfaction": ("binary", None)}, "positive": ("satisfied",),
        "segments": ("Gender", "Customer Type", "Type of Travel", "Class"), "timestamp": None,
    },
    "airline reviews": {
        "respondent": "ReviewID", "touchpoints": ["SeatComfort", "CabinStaffService", "GroundService", "ValueForMoney",
                                                  "Wifi&Connectivity"],
        "scales": {"SeatComfort": ((1.0, 5.0), ())}, "comment": "ReviewBody",
        "outcomes": {"Recommended": ("binary", None), "OverallRating": ("score", (1.0, 10.0))},
        "positive": ("yes",), "timestamp": "Datetime",
    },
    "e-commerce orders": {
        "respondent": "order_id", "touchpoints": [], "comment": "review_comment_message",
        "outcomes": {"review_score": ("score", (1.0, 5.0))}, "timestamp": "order_purchase_timestamp",
    },
    "telecom churn": {
        "respondent": "customerID", "touchpoints": [], "comment": None,
        "outcomes": {"Churn": ("binary", "churn"), "MonthlyCharges": ("value", "revenue")}, "positive": ("Yes",),
        "timestamp": None,
    },
    "seat reviews": {
        "respondent": None, "touchpoints": ["seat_legroom_rating", "seat_recline_rating", "seat_width_rating",
                                            "aisle_space_rating", "viewing_tv_rating"],
        "scales": {"seat_legroom_rating": ((1.0, 5.0), (0.0,))}, "comment": "content",
        "outcomes": {"recommended": ("binary", None), "overall_rating": ("score", (1.0, 10.0))}, "positive": ("1",),
        "timestamp": "date",
    },
}


@pytest.mark.parametrize("export", sorted(EXPECTED))
def test_the_proposal_for_each_kind_of_export_needs_no_correction(export: str, tmp_path: Path) -> None:
    path = tmp_path / f"{export}.csv"
    path.write_text(lookalikes.EXPORTS[export](), encoding="utf-8")
    con = duckdb.connect()
    staged = ingest.stage(con, path)
    m = ingest.propose(con, staged).mapping
    want = EXPECTED[export]
    assert m.respondent == want["respondent"]
    assert [t.column for t in m.touchpoints] == want["touchpoints"]
    for column, (scale, codes) in want.get("scales", {}).items():  # type: ignore[attr-defined]
        rule = m.wide_rule(next(t for t in m.touchpoints if t.column == column))
        assert (rule.scale, rule.not_applicable) == (scale, codes), column
    assert m.comment == want["comment"] and m.timestamp == want["timestamp"]
    outcomes = {o.column: (o.kind, o.role if o.kind in ("binary", "value") else o.scale) for o in m.outcomes}
    assert outcomes == want["outcomes"]
    if "positive" in want:
        assert m.outcomes[0].positive == want["positive"]
    if "segments" in want:
        assert m.segments == want["segments"]
    ingest.discard(con, staged)


def test_cx_guess_prints_the_upload_proposal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(lookalikes.airline_reviews(), encoding="utf-8")
    assert main(["guess", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    con = duckdb.connect()
    staged = ingest.stage(con, path)
    assert printed == ingest.propose(con, staged, ingest.profile(con, staged)).mapping.to_dict()
    assert (printed["delimiter"], printed["header"]) == (",", True)  # it records how the file was read
    assert main(["guess", str(path)]) == 0
    text = capsys.readouterr().out
    assert "respondent: ReviewID" in text and "OverallRating (score)" in text


def test_cx_guess_notes_go_to_stderr_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "churn.csv"
    path.write_text(lookalikes.telecom_churn(), encoding="utf-8")
    assert main(["guess", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["touchpoints"] == []
    assert "cx guess: note: No column holds ratings" in captured.err


def test_cx_guess_on_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guess", str(tmp_path / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cx guess: ") and len(err.strip().splitlines()) == 1
