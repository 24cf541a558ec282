"""The Upload page's mapping form: editor rows from a mapping, and the mapping from what the widgets returned."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest

from cx import mapping_form as form
from cx.guesses import ColumnProfile, guess_mapping
from cx.mapping import (
    Mapping,
    Operational,
    Outcome,
    ScoreRule,
    TouchpointColumn,
    codes_to_text,
    from_dict,
)


def _ratings(name: str, lo: float, hi: float, rows: int = 20) -> ColumnProfile:
    """A whole-number rating column, every cell filled."""
    return ColumnProfile(name=name, rows=rows, filled=rows, numbers=rows, comma_numbers=0, whole=rows, lo=lo, hi=hi,
                         distinct=int(hi - lo) + 1, max_length=2, mean_length=1.0, dates=0)


def _text(name: str, top: Sequence[str], rows: int = 20, distinct: int | None = None) -> ColumnProfile:
    """A text column whose most frequent values are `top`."""
    return ColumnProfile(name=name, rows=rows, filled=rows, numbers=0, comma_numbers=0, whole=0, lo=None, hi=None,
                         distinct=len(top) if distinct is None else distinct, max_length=20, mean_length=8.0,
                         dates=0, top=tuple(top))


# A wide file: id, Class, two ratings (one with 0 = not rated), a yes/no outcome, a wait in minutes.
WIDE_PROFILES = [
    _text("id", [f"r{i}" for i in range(5)], distinct=20),
    _text("Class", ["Eco", "Business", "First"]),
    _ratings("Seat comfort", 0, 5),
    _ratings("Boarding", 1, 5),
    _text("satisfaction", ["satisfied", "dissatisfied"]),
    replace(_ratings("wait minutes", 0, 90), distinct=40),
]
# A long file: respondent, question (the touchpoint), score with 0 = not rated, comment.
LONG_PROFILES = [
    _text("respondent", [f"r{i}" for i in range(5)], distinct=10),
    _text("question", ["Checkout", "Delivery"]),
    _ratings("score", 0, 5),
    replace(_text("comment", ["late", "fine"], distinct=18), mean_length=30.0),
]


def _untouched(guess: Mapping, profiles: Sequence[ColumnProfile], values: Sequence[str] = ()) -> form.FormValues:
    """Return what the page's widgets return when the user changes nothing (their defaults)."""
    long = guess.format == "long"
    wide_rows = () if long else tuple(form.wide_editor_rows(guess, [t.column for t in guess.touchpoints], profiles))
    scale = guess.scale or form.DEFAULT_SCALE
    return form.FormValues(
        format=guess.format, respondent=guess.respondent, decimal=guess.decimal, wide_rows=wide_rows,
        touchpoint=guess.touchpoint, score=guess.score, scale_columns=guess.scale_columns,
        scale_min=scale[0], scale_max=scale[1], not_applicable=codes_to_text(guess.not_applicable),
        per_touchpoint_rows=tuple(form.per_touchpoint_editor_rows(guess, values)) if long else None,
        channel=guess.channel, stage=guess.stage, unit=guess.unit, timestamp=guess.timestamp,
        timestamp_format=guess.timestamp_format or "", comment=guess.comment, segments=guess.segments,
        outcomes=tuple(form.outcome_from_form(o.column, o.kind, positive=o.positive,
                                              values=(*o.positive, *o.negative), scale=o.scale)
                       for o in guess.outcomes),
        operational=tuple((o.column, o.touchpoint) for o in guess.operational),
    )


def _effective(m: Mapping) -> Mapping:
    """Return the mapping with every wide touchpoint's effective rule spelled out (mapping-wide defaults cleared)."""
    if m.format != "wide":
        return m
    return replace(m, touchpoints=tuple(replace(t, rule=m.wide_rule(t)) for t in m.touchpoints), scale=None,
                   not_applicable=())


# ---------------------------------------------------------------------- wide editor


def test_wide_editor_rows_show_effective_rules_and_guesses_for_new_columns() -> None:
    guess = Mapping(format="wide", scale=(1.0, 5.0), not_applicable=(0.0,), touchpoints=(
        TouchpointColumn("Seat comfort", "Seats"),
        TouchpointColumn("Boarding", "Boarding", ScoreRule(scale=(0.0, 10.0), not_applicable=("N/A",),
                                                           reversed=True)),
    ))
    profiles = [_ratings("Seat comfort", 1, 5), _ratings("Boarding", 0, 10), _ratings("Wifi", 0, 7)]
    rows = form.wide_editor_rows(guess, ["Boarding", "Wifi", "Seat comfort"], profiles)
    assert rows == [
        {"column": "Boarding", "touchpoint": "Boarding", "scale min": 0.0, "scale max": 10.0,
         "not applicable codes": "N/A", "reversed": True},
        # new column: 0 with answers up to 7 reads as "not rated" on a 1–7 scale
        {"column": "Wifi", "touchpoint": "Wifi", "scale min": 1.0, "scale max": 7.0,
         "not applicable codes": "0", "reversed": False},
        {"column": "Seat comfort", "touchpoint": "Seats", "scale min": 1.0, "scale max": 5.0,
         "not applicable codes": "0", "reversed": False},
    ]
    assert list(rows[0]) == list(form.WIDE_EDITOR_COLUMNS)


def test_wide_editor_row_without_a_scale_is_blank() -> None:
    rows = form.wide_editor_rows(Mapping(format="wide"), ["Notes"], [_text("Notes", ["ok"])])
    assert (rows[0]["scale min"], rows[0]["scale max"], rows[0]["not applicable codes"]) == (None, None, "")


def _row(column: str = "c", name: object = "c", lo: object = 1.0, hi: object = 5.0, codes: object = "",
         reversed_: object = False) -> form.EditorRow:
    return {"column": column, "touchpoint": name, "scale min": lo, "scale max": hi, "not applicable codes": codes,
            "reversed": reversed_}


@pytest.mark.parametrize(("lo", "hi"), [(None, None), (math.nan, math.nan), (1.0, None), (math.nan, 5.0)])
def test_a_blank_scale_cell_means_no_scale(lo: object, hi: object) -> None:
    (item,) = form.touchpoints_from_editor([_row(lo=lo, hi=hi)])
    assert item.rule.scale is None


def test_touchpoints_from_editor_parse_codes_flags_and_names() -> None:
    rows = [
        _row("q1", "  Seat comfort  ", 0, 10, "0; N/A", True),
        _row("q2", "", 1, 5, None),
        _row("q3", None, 1, 7, "dk, 99"),
        _row("q4", "   ", 1, 5, ""),
    ]
    assert form.touchpoints_from_editor(rows) == (
        TouchpointColumn("q1", "Seat comfort", ScoreRule(scale=(0.0, 10.0), not_applicable=(0.0, "N/A"),
                                                         reversed=True)),
        TouchpointColumn("q2", "q2", ScoreRule(scale=(1.0, 5.0))),
        TouchpointColumn("q3", "q3", ScoreRule(scale=(1.0, 7.0), not_applicable=("dk", 99.0))),
        TouchpointColumn("q4", "q4", ScoreRule(scale=(1.0, 5.0))),
    )
    assert isinstance(form.touchpoints_from_editor([_row(lo=1, hi=5)])[0].rule.scale[0], float)  # type: ignore[index]


# ---------------------------------------------------------------------- long editor


def test_per_touchpoint_rows_show_own_settings_only() -> None:
    guess = Mapping(format="long", touchpoint="question", score="score", scale=(1.0, 5.0), not_applicable=(0.0,),
                    per_touchpoint=(("Delivery", ScoreRule(scale=(0.0, 10.0), reversed=True)),
                                    ("Returns", ScoreRule(not_applicable=("N/A",)))))
    assert form.per_touchpoint_editor_rows(guess, ["Checkout", "Delivery", "Returns"]) == [
        {"touchpoint": "Checkout", "scale min": None, "scale max": None, "not applicable codes": "",
         "reversed": False},
        {"touchpoint": "Delivery", "scale min": 0.0, "scale max": 10.0, "not applicable codes": "", "reversed": True},
        {"touchpoint": "Returns", "scale min": None, "scale max": None, "not applicable codes": "N/A",
         "reversed": False},
    ]


def test_rules_equal_to_the_default_are_dropped() -> None:
    rows = [
        {"touchpoint": "Checkout", "scale min": math.nan, "scale max": math.nan, "not applicable codes": None,
         "reversed": False},
        {"touchpoint": "Delivery", "scale min": 0, "scale max": 10, "not applicable codes": "", "reversed": False},
        {"touchpoint": "Returns", "scale min": None, "scale max": None, "not applicable codes": "0; N/A",
         "reversed": False},
        {"touchpoint": "Wrap", "scale min": None, "scale max": 3, "not applicable codes": "", "reversed": True},
    ]
    assert form.rules_from_editor(rows) == (
        ("Delivery", ScoreRule(scale=(0.0, 10.0))),
        ("Returns", ScoreRule(not_applicable=(0.0, "N/A"))),
        ("Wrap", ScoreRule(reversed=True)),
    )


# ---------------------------------------------------------------------- choices and outcomes


def test_free_columns_leave_out_every_role_and_touchpoint_column() -> None:
    columns = ["id", "when", "q1", "q2", "Class", "tp", "score", "lo", "hi"]
    wide = form.FormValues(format="wide", respondent="id", timestamp="when", wide_rows=(_row("q1"), _row("q2")),
                           touchpoint="tp", score="score")  # long-format values are ignored in wide format
    assert form.free_columns(columns, wide) == ["Class", "tp", "score", "lo", "hi"]
    long = form.FormValues(format="long", respondent="id", touchpoint="tp", score="score", scale_columns=("lo", "hi"),
                           wide_rows=(_row("q1"),))
    assert form.free_columns(columns, long) == ["when", "q1", "q2", "Class"]
    # one scale column picked, the other "(none)": no scale columns are used
    half = replace(long, scale_columns=("lo", None))
    assert form.free_columns(columns, half) == ["when", "q1", "q2", "Class", "lo", "hi"]


def test_operational_choices_are_numeric_free_untaken_columns() -> None:
    profiles = [*WIDE_PROFILES, replace(_text("delay", ["4,5"]), comma_numbers=12)]
    free = ["Class", "satisfaction", "wait minutes", "delay", "Boarding"]
    assert form.operational_choices(profiles, free, ["Boarding"]) == ["wait minutes", "delay"]


def test_default_outcome_prefers_the_mappings_own_and_always_offers_a_scale() -> None:
    own = Outcome(column="satisfaction", kind="binary", name="satisfaction", positive=("yes",))
    guess = Mapping(format="wide", outcomes=(own,))
    assert form.default_outcome(guess, WIDE_PROFILES, "satisfaction") == replace(own, scale=form.DEFAULT_SCALE)
    guessed = form.default_outcome(guess, WIDE_PROFILES, "Boarding")
    assert (guessed.kind, guessed.scale) == ("score", (1.0, 5.0))
    assert form.default_outcome(guess, [_text("region", ["n", "s", "e"])], "region").scale == form.DEFAULT_SCALE


def test_outcome_from_form() -> None:
    values = ["satisfied", "neutral", "dissatisfied"]
    assert form.outcome_from_form("sat", "binary", positive=["satisfied"], values=values) == Outcome(
        column="sat", kind="binary", name="sat", positive=("satisfied",), negative=("neutral", "dissatisfied"))
    many = [str(i) for i in range(11)]  # more than ten values: nothing is rejected
    assert form.outcome_from_form("n", "binary", positive=["1"], values=many).negative == ()
    assert form.outcome_from_form("o", "score", scale=(1, 7)).scale == (1.0, 7.0)
    assert form.outcome_from_form("nps", "nps", scale=(1, 7)) == Outcome(column="nps", kind="nps", name="nps")


# ---------------------------------------------------------------------- the mapping


def test_wide_round_trip_from_the_guess() -> None:
    guess = guess_mapping(WIDE_PROFILES)
    assert (guess.format, guess.respondent, guess.segments, [t.column for t in guess.touchpoints]) == (
        "wide", "id", ("Class",), ["Seat comfort", "Boarding"])
    assert guess.outcomes[0].positive == ("satisfied",)
    built = form.build_mapping(guess, _untouched(guess, WIDE_PROFILES))
    assert (built.scale, built.not_applicable) == (None, ())  # each touchpoint carries its whole rule
    assert [t.rule for t in built.touchpoints] == [ScoreRule(scale=(1.0, 5.0), not_applicable=(0.0,))] * 2
    assert _effective(built) == _effective(guess)
    built.check()


def test_long_round_trip_from_the_guess() -> None:
    guess = guess_mapping(LONG_PROFILES)
    assert (guess.format, guess.respondent, guess.touchpoint, guess.score, guess.comment, guess.scale,
            guess.not_applicable) == ("long", "respondent", "question", "score", "comment", (1.0, 5.0), (0.0,))
    assert form.build_mapping(guess, _untouched(guess, LONG_PROFILES, ["Checkout", "Delivery"])) == guess


def test_saved_mapping_round_trip_keeps_rules_file_settings_and_unknown_keys() -> None:
    saved = from_dict({
        "format": "long", "respondent": "respondent", "touchpoint": "question", "score": "score",
        "scale": [1, 5], "not_applicable": [0, "N/A"], "timestamp": "when", "timestamp_format": "%d/%m/%Y",
        "per_touchpoint": {"Delivery": {"scale": [0, 10]}, "Returns": {"reversed": True}},
        "operational": [{"column": "wait"}], "delimiter": ";", "x_note": "kept",
    })
    values = ["Checkout", "Delivery", "Returns"]
    built = form.build_mapping(saved, _untouched(saved, LONG_PROFILES, values))
    assert built == saved
    assert built.to_dict() == saved.to_dict()
    # no touchpoint column picked yet: no editor, the saved rules stay
    no_editor = replace(_untouched(saved, LONG_PROFILES, values), per_touchpoint_rows=None)
    assert form.build_mapping(saved, no_editor).per_touchpoint == saved.per_touchpoint


def test_build_mapping_reads_the_edits() -> None:
    guess = guess_mapping(WIDE_PROFILES)
    untouched = _untouched(guess, WIDE_PROFILES)
    seats, boarding = untouched.wide_rows
    edited = replace(
        untouched, wide_rows=({**seats, "touchpoint": " Seats ", "reversed": True},
                              {**boarding, "scale min": None, "not applicable codes": "N/A"}),
        timestamp="id", timestamp_format="  ", operational=(("wait minutes", "Seats"),), segments=(),
    )
    built = form.build_mapping(guess, edited)
    assert built.touchpoints == (
        TouchpointColumn("Seat comfort", "Seats", ScoreRule(scale=(1.0, 5.0), not_applicable=(0.0,), reversed=True)),
        TouchpointColumn("Boarding", "Boarding", ScoreRule(not_applicable=("N/A",))),
    )
    assert (built.timestamp, built.timestamp_format, built.segments) == ("id", None, ())
    assert built.operational == (Operational(column="wait minutes", name="wait minutes", touchpoint="Seats"),)
    # a date format typed and then the date column set back to "(none)": no format
    assert form.build_mapping(guess, replace(untouched, timestamp_format="%d/%m/%Y")).timestamp_format is None


def test_switching_a_wide_guess_to_long_clears_the_wide_parts() -> None:
    guess = guess_mapping(WIDE_PROFILES)
    values = form.FormValues(format="long", respondent="id", touchpoint="Class", score="Boarding",
                             scale_columns=("Seat comfort", None), scale_min=0, scale_max=10, not_applicable=" ; ",
                             per_touchpoint_rows=())
    built = form.build_mapping(guess, values)
    assert (built.touchpoints, built.scale_columns, built.scale, built.not_applicable, built.per_touchpoint) == (
        (), None, (0.0, 10.0), (), ())
    assert (built.outcomes, built.segments) == ((), ())


# ---------------------------------------------------------------------- pick lists


def test_pick_lists_put_the_kinds_a_role_takes_first() -> None:
    kinds = {"id": "id", "Seat": "rating", "when": "date", "body": "long text", "plan": "category"}
    columns = list(kinds)
    assert form.pick_options(columns, kinds, "timestamp") == ["when", "id", "Seat", "body", "plan"]
    assert form.pick_options(columns, kinds, "comment") == ["body", "id", "Seat", "when", "plan"]
    assert form.pick_options(columns, kinds, "unknown role") == columns
    assert form.column_label("body", kinds) == "body · long text"
    assert form.column_label("Delay days", kinds) == "Delay days · derived"


@pytest.mark.parametrize(("column", "expected"), [
    ("Departure Delay in Minutes", "Departure/Arrival time convenient"),
    ("Arrival Delay in Minutes", "Departure/Arrival time convenient"),
    ("Check-in wait", "Check-in"),
    ("Taxi minutes", None),  # no word in common: nothing is proposed (never the first touchpoint by default)
    ("wifi speed", "Inflight wifi service"),
])
def test_an_operational_column_proposes_the_touchpoint_sharing_its_words(column: str, expected: str | None) -> None:
    touchpoints = ["Inflight wifi service", "Departure/Arrival time convenient", "Online boarding", "Check-in"]
    assert form.default_touchpoint(column, touchpoints) == expected


# ---------------------------------------------------------------------- direction and settings the editor does not show


def test_long_a_default_reversed_can_be_undone_per_touchpoint_and_stage_and_channel_stay() -> None:
    saved = from_dict({
        "format": "long", "respondent": "respondent", "touchpoint": "question", "score": "score",
        "scale": [1, 5], "reversed": True,
        "per_touchpoint": {"Checkout": {"stage": "purchase", "channel": "web"}},
    })
    values = ["Checkout", "Delivery"]
    untouched = _untouched(saved, LONG_PROFILES, values)
    # The editor shows what applies: both touchpoints read reversed by the mapping's default.
    assert [row["reversed"] for row in untouched.per_touchpoint_rows or ()] == [True, True]
    checkout, delivery = untouched.per_touchpoint_rows or ()
    built = form.build_mapping(saved, replace(untouched, per_touchpoint_rows=({**checkout, "reversed": False},
                                                                               delivery)))
    assert built.rule_for("Checkout") == ScoreRule(scale=(1.0, 5.0), reversed=False, stage="purchase", channel="web")
    assert built.rule_for("Delivery").reversed is True  # still the default
    assert built.to_dict()["per_touchpoint"] == {"Checkout": {"reversed": False, "stage": "purchase",
                                                              "channel": "web"}}
    assert from_dict(built.to_dict()) == built  # the undone direction survives saving the mapping
    # Nothing changed: the same mapping back, stage and channel included.
    assert form.build_mapping(saved, untouched) == saved


def test_wide_a_default_reversed_can_be_undone_per_column_and_stage_and_channel_stay() -> None:
    saved = from_dict({
        "format": "wide", "respondent": "id", "scale": [1, 5], "reversed": True,
        "touchpoints": [{"column": "Seat comfort", "name": "Seats", "stage": "flight", "channel": "cabin"},
                        {"column": "Boarding"}],
    })
    untouched = _untouched(saved, WIDE_PROFILES)
    assert [row["reversed"] for row in untouched.wide_rows] == [True, True]
    seats, boarding = untouched.wide_rows
    built = form.build_mapping(saved, replace(untouched, wide_rows=({**seats, "reversed": False}, boarding)))
    by_column = {t.column: built.wide_rule(t) for t in built.touchpoints}
    assert by_column["Seat comfort"] == ScoreRule(scale=(1.0, 5.0), reversed=False, stage="flight", channel="cabin")
    assert by_column["Boarding"].reversed is True
    # Nothing changed: every column reads as before.
    same = form.build_mapping(saved, untouched)
    assert [same.wide_rule(t) for t in same.touchpoints] == [saved.wide_rule(t) for t in saved.touchpoints]


def test_a_per_touchpoint_false_in_json_overrides_the_default_and_an_absent_one_inherits() -> None:
    m = from_dict({"format": "long", "respondent": "r", "touchpoint": "tp", "score": "s", "scale": [1, 5],
                   "reversed": True, "per_touchpoint": {"A": {"reversed": False}, "B": {"scale": [0, 10]}}})
    assert (m.rule_for("A").reversed, m.rule_for("B").reversed, m.rule_for("C").reversed) == (False, True, True)
