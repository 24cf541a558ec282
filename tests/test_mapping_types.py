"""Mapping values are type-checked: a wrong type is a MappingError naming the key and the fix, never a silent repr.

Before, `"reversed": "false"` reversed every score (`bool("false")` is true), a list or object as a stage,
channel or name was stored as its Python repr, and `"scale": [-1e308, 1e308]` made every score 0.
"""

from __future__ import annotations

from typing import Any

import pytest

from cx import mapping
from cx.errors import MappingError

WIDE: dict[str, Any] = {"format": "wide", "respondent": "id", "touchpoints": ["Seat"], "scale": [1, 5]}
LONG: dict[str, Any] = {"format": "long", "respondent": "id", "touchpoint": "tp", "score": "score", "scale": [1, 5]}


def _wide(**changes: Any) -> dict[str, Any]:
    return {**WIDE, **changes}


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("reversed as text", _wide(reversed="false"),
     r'"reversed" is true or false \(a JSON boolean, without quotes\); got "false": write "reversed": true'),
    ("reversed as a number", _wide(reversed=0), r'"reversed" is true or false .*got 0'),
    ("a touchpoint's reversed as text", _wide(touchpoints=[{"column": "Seat", "reversed": "true"}]),
     r"touchpoint column 'Seat': \"reversed\" is true or false"),
    ("per touchpoint reversed as text", {**LONG, "per_touchpoint": {"Checkout": {"reversed": "no"}}},
     r"per_touchpoint 'Checkout': \"reversed\" is true or false"),
    ("a stage as a list", {**LONG, "per_touchpoint": {"Checkout": {"stage": ["x"]}}},
     r"per_touchpoint 'Checkout': \"stage\" is a text, e.g. \"stage\": \"interaction\"; got \[\"x\"\]"),
    ("a channel as an object", _wide(touchpoints=[{"column": "Seat", "channel": {"a": 1}}]),
     r"touchpoint column 'Seat': \"channel\" is a text, e.g. \"channel\": \"web\"; got \{\"a\": 1\}"),
    ("a touchpoint name as an object", _wide(touchpoints=[{"column": "Seat", "name": {"x": 1}}]),
     r"touchpoint column 'Seat': \"name\" is a text"),
    ("an outcome name as a list", _wide(outcome={"column": "nps", "kind": "nps", "name": ["a"]}),
     r"outcome 'nps': \"name\" is a text"),
    ("an outcome kind as a list", _wide(outcome={"column": "nps", "kind": ["nps"]}),
     r"outcome 'nps': \"kind\" is a text"),
    ("a positive value as an object", _wide(outcome={"column": "ok", "kind": "binary", "positive": {"y": 1}}),
     r"outcome 'ok': \"positive\" is a value or a list of values"),
    ("a negative value as a nested list",
     _wide(outcome={"column": "ok", "kind": "binary", "positive": "y", "negative": [["n"]]}),
     r"outcome 'ok': \"negative\" is a value or a list of values"),
    ("an operational name as a number", _wide(operational=[{"column": "wait", "touchpoint": "Seat", "name": 3}]),
     r"operational column 'wait': \"name\" is a text"),
    ("an operational touchpoint as a list", _wide(operational=[{"column": "wait", "touchpoint": ["Seat"]}]),
     r"operational column 'wait': \"touchpoint\" is a text"),
    ("a scale that overflows", _wide(scale=[-1e308, 1e308]), r'"scale" \[-1e\+308, 1e\+308\] is no answer scale'),
    ("a touchpoint scale beyond a billion", _wide(touchpoints=[{"column": "Seat", "scale": [0, 1e12]}]),
     r"is no answer scale: its bounds are within ±1,000,000,000"),
    ("an outcome scale that overflows", _wide(outcome={"column": "o", "kind": "score", "scale": [0, 1e300]}),
     r"is no answer scale"),
    ("a decimal as a list", _wide(decimal=[","]), r'"decimal" is a text'),
    ("a typo in a touchpoint's keys", _wide(touchpoints=[{"column": "Seat", "reverse": True}]),
     r"touchpoint column 'Seat': has unknown keys \['reverse'\]"),
    ("a typo in an outcome's keys", _wide(outcome={"column": "ok", "kind": "binary", "postive": "y"}),
     r"outcome 'ok': has unknown keys \['postive'\]"),
    ("a typo in a per-touchpoint rule", {**LONG, "per_touchpoint": {"Checkout": {"scales": [1, 7]}}},
     r"per_touchpoint 'Checkout': has unknown keys \['scales'\]"),
]


@pytest.mark.parametrize(("data", "message"), [(d, m) for _, d, m in CASES], ids=[c[0] for c in CASES])
def test_a_wrong_type_names_the_key_and_the_fix(data: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        mapping.from_dict(data)


def test_booleans_and_texts_of_the_right_type_are_read() -> None:
    m = mapping.from_dict(_wide(reversed=False, touchpoints=[
        {"column": "Seat", "name": " Seats ", "reversed": True, "stage": "interaction", "channel": "web",
         "x_note": "kept out of the way"}],
        outcome={"column": "ok", "kind": "binary", "positive": ["Yes", 1, True], "name": "Satisfied"},
        operational=[{"column": "wait", "touchpoint": "Seats", "name": "Wait"}], scale=[-1e9, 1e9]))
    assert (m.reversed, m.touchpoints[0].name, m.touchpoints[0].rule.reversed) == (False, "Seats", True)
    assert (m.touchpoints[0].rule.stage, m.touchpoints[0].rule.channel) == ("interaction", "web")
    assert m.outcomes[0].positive == ("Yes", "1", "True") and m.outcomes[0].name == "Satisfied"
    assert m.operational[0].name == "Wait" and m.scale == (-1e9, 1e9)


def test_reversed_false_as_json_still_reads_the_scores_the_right_way_round() -> None:
    assert mapping.from_dict(_wide(reversed=False)).reversed is False
    assert mapping.from_dict(_wide(reversed=True)).reversed is True
    assert mapping.from_dict(WIDE).reversed is False
