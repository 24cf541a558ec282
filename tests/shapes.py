"""Small data sets of every shape a user can bring, loaded through cx's own import into one database.

Each shape is a few hand-readable rows (a CSV text and its mapping, as the Upload page would get
them); `build` writes them all into one database file with `cx.ingest`, and links a journey to each.
The page matrix (tests/test_shapes.py) opens every page on every shape.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cx import ingest, mapping, store
from cx.models import Journey, JourneyStep

# Markdown, HTML, emoji and right-to-left text: none of it may be rendered as markup anywhere.
MD = "**bold** [x](http://e.x)"
HTML = "<img src=x onerror=alert(1)>"
# Streamlit's own Markdown: an image from anywhere, a colour directive, a dash ligature, math, a bare URL.
STREAMLIT_MD = "![x](http://evil.example/x.png) :red[x] --dash-- $y$ http://evil.example/y"
HOSTILE_DATASET = f"{MD} {HTML} 🚀 مرحبا שלום {STREAMLIT_MD}"
HOSTILE_TOUCHPOINTS = (f"{MD} Checkout", HTML, "🚀 Delivery: fast?", "الدفع", f"תשלום $x$ {STREAMLIT_MD}")
HOSTILE_UNITS = (f"Store {MD}", f"{HTML} branch", f"فرع 🏬 {STREAMLIT_MD}")
HOSTILE_CHANNELS = ("web <b>", "تطبيق :red[x]")
HOSTILE_SEGMENT = f"Plan {MD} :red[x] --dash--"
HOSTILE_SEGMENT_VALUES = ("Gold 🥇", f"{HTML}", "עסקי")


@dataclass(frozen=True)
class Shape:
    """One data set: its name, its rows as CSV text and the mapping that reads them."""

    key: str  # test id
    dataset: str
    csv: str = ""
    mapping: dict[str, Any] = field(default_factory=dict)
    dated: bool = False
    has_outcome: bool = False
    has_scores: bool = True


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def _undated_wide() -> Shape:
    # One row per respondent, three 0–5 ratings (0 = not applicable), a plan segment, a yes/no outcome.
    rows = [
        (1, "Basic", 5, 4, 3, "yes"), (2, "Basic", 2, 0, 1, "no"), (3, "Plus", 4, 5, 4, "yes"),
        (4, "Plus", 1, 2, 2, "no"), (5, "Basic", 3, 3, 0, "yes"), (6, "Plus", 5, 5, 5, "yes"),
        (7, "Basic", 2, 1, 1, "no"), (8, "Plus", 4, 4, 3, "yes"),
    ]
    return Shape(
        "undated-wide", "Undated wide",
        _csv(["id", "Plan", "Booking", "Seat comfort", "Wifi", "Satisfied"], rows),
        {"format": "wide", "respondent": "id", "touchpoints": ["Booking", "Seat comfort", "Wifi"],
         "scale": [0, 5], "not_applicable": [0], "segments": ["Plan"],
         "outcome": {"column": "Satisfied", "kind": "binary", "positive": "yes"}},
        has_outcome=True,
    )


def _dated_long() -> Shape:
    # One row per answer over three months: channel, unit, comment, timestamp, and a 0–10 recommend answer.
    rows: list[tuple[Any, ...]] = []
    touchpoints = (("Order", "web"), ("Delivery", "phone"), ("Support", "store"))
    for i in range(1, 10):
        month = 1 + i % 3
        for k, (tp, channel) in enumerate(touchpoints):
            score = 1 + (i + k) % 5
            rows.append((f"r{i}", tp, score, channel, f"Unit {'AB'[i % 2]}", f"2024-0{month}-{10 + k} 09:30",
                         "slow and rude" if score <= 2 else "fine", (i * 3 + k) % 11))
    return Shape(
        "dated-long", "Dated long",
        _csv(["respondent", "touchpoint", "score", "channel", "unit", "answered", "comment", "recommend"], rows),
        {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score",
         "scale": [1, 5], "channel": "channel", "unit": "unit", "timestamp": "answered", "comment": "comment",
         "outcome": {"column": "recommend", "kind": "nps"}},
        dated=True, has_outcome=True,
    )


def _one_touchpoint() -> Shape:
    rows = [(i, s) for i, s in enumerate((4, 5, 2, 3, 5, 1), start=1)]
    return Shape("one-touchpoint", "One touchpoint", _csv(["id", "Checkout"], rows),
                 {"format": "wide", "respondent": "id", "touchpoints": ["Checkout"], "scale": [1, 5]})


def _three_respondents() -> Shape:
    rows = [("a", 4, 2, 9), ("b", 5, 3, 10), ("c", 2, 1, 3)]
    return Shape(
        "three-respondents", "Three respondents", _csv(["id", "Website", "Call centre", "recommend"], rows),
        {"format": "wide", "respondent": "id", "touchpoints": ["Website", "Call centre"], "scale": [1, 5],
         "outcome": {"column": "recommend", "kind": "nps"}},
        has_outcome=True,
    )


def _scales() -> Shape:
    # "Delivery" is asked on 1–5 in one wave and 0–10 in another; "Wait" runs 1–7 with 1 the best (reversed);
    # "Effort" is a 1–7 effort item.
    rows: list[tuple[Any, ...]] = []
    for i in range(1, 7):
        rows += [(f"r{i}", "Delivery", 1 + i % 5, 1, 5), (f"r{i + 10}", "Delivery", (i * 3) % 11, 0, 10),
                 (f"r{i}", "Wait", 1 + i % 7, 1, 7), (f"r{i}", "Effort", 1 + (i * 2) % 7, 1, 7)]
    return Shape(
        "scales", "Mixed scales", _csv(["respondent", "touchpoint", "score", "lo", "hi"], rows),
        {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score",
         "scale_columns": ["lo", "hi"], "per_touchpoint": {"Wait": {"reversed": True}}},
    )


def _hostile_names() -> Shape:
    rows: list[tuple[Any, ...]] = []
    for i in range(1, 9):
        for k, tp in enumerate(HOSTILE_TOUCHPOINTS):
            rows.append((f"{HTML}{i}", tp, 1 + (i + k) % 5, HOSTILE_CHANNELS[(i + k) % 2],
                         HOSTILE_UNITS[i % 3], f"2024-0{1 + i % 2}-0{1 + k} 10:00",
                         f"{MD} {HTML} 😡 سيء" if (i + k) % 5 < 2 else "ok 👍",
                         HOSTILE_SEGMENT_VALUES[i % 3], "yes" if i % 2 else "no"))
    return Shape(
        "hostile-names", HOSTILE_DATASET,
        _csv(["who", "touchpoint", "score", "channel", "unit", "when", "comment", HOSTILE_SEGMENT, "stayed"], rows),
        {"format": "long", "respondent": "who", "touchpoint": "touchpoint", "score": "score", "scale": [1, 5],
         "channel": "channel", "unit": "unit", "timestamp": "when", "comment": "comment",
         "segments": [HOSTILE_SEGMENT], "outcome": {"column": "stayed", "kind": "binary", "positive": "yes"}},
        dated=True, has_outcome=True,
    )


def _events_only() -> Shape:
    # Answers that record that something happened (a visit, a call), with no score.
    rows = [(f"r{i}", tp, None, f"2024-02-0{1 + i % 5} 12:00")
            for i in range(1, 7) for tp in ("Visited store", "Called support")]
    return Shape("events-only", "Events only", _csv(["respondent", "touchpoint", "score", "when"], rows),
                 {"format": "long", "respondent": "respondent", "touchpoint": "touchpoint", "score": "score",
                  "scale": [1, 5], "timestamp": "when"},
                 dated=True, has_scores=False)


def _outcome_only() -> Shape:
    # Written directly with store.save_dataset (beside it, the same kind of data imported through a mapping).
    return Shape("outcome-only", "Outcome only", has_outcome=True, has_scores=False)


def _outcome_only_imported() -> Shape:
    # A churn file with no ratings, imported with "touchpoints": []: outcomes and segments, no answers.
    rows = [(f"c{i}", ("Monthly", "Yearly")[i % 2], "Yes" if i % 3 == 0 else "No", 20 + 5 * i) for i in range(1, 10)]
    return Shape(
        "outcome-only-imported", "Outcome only imported", _csv(["customer", "Contract", "Churn", "Charges"], rows),
        {"format": "wide", "respondent": "customer", "touchpoints": [], "segments": ["Contract"],
         "outcomes": [{"column": "Churn", "kind": "binary", "positive": "Yes", "role": "churn"},
                      {"column": "Charges", "kind": "value", "role": "revenue"}]},
        has_outcome=True, has_scores=False,
    )


SHAPES: tuple[Shape, ...] = (
    _undated_wide(), _dated_long(), _one_touchpoint(), _three_respondents(), _scales(), _hostile_names(),
    _events_only(), _outcome_only(), _outcome_only_imported(),
)
BY_KEY = {s.key: s for s in SHAPES}


def _save_outcome_only(con: Any, shape: Shape) -> None:
    people = [f"p{i}" for i in range(1, 9)]
    outcomes = pd.DataFrame({
        "respondent": people * 2,
        "outcome": ["recommend"] * 8 + ["churned"] * 8,
        "kind": ["nps"] * 8 + ["binary"] * 8,
        "value": [10.0, 9.0, 7.0, 3.0, 8.0, 10.0, 0.0, 6.0] + [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        "scale_min": [0.0] * 16, "scale_max": [10.0] * 8 + [1.0] * 8,
        "role": [None] * 8 + ["churn"] * 8,
    })
    segments = pd.DataFrame({"respondent": people, "name": "Region", "value": ["North", "South"] * 4})
    empty = pd.DataFrame({c: [] for c in store.RESPONSE_COLUMNS if c != "dataset"})
    store.save_dataset(con, shape.dataset, empty, segments=segments, outcomes=outcomes, source="tests/shapes.py")
    # A journey laid out before any touchpoint was measured: its steps have no answers.
    store.save_journey(con, Journey(name=shape.dataset, dataset=shape.dataset, steps=(
        JourneyStep(position=1, touchpoint="Sign-up"), JourneyStep(position=2, touchpoint="First bill"))))


HOSTILE_PERSONA = f"Persona {MD} {STREAMLIT_MD}"
HOSTILE_GOAL = f"Goal {HTML} :red[x] --dash--"


def _hostile_journey_workshop_action(con: Any, shape: Shape) -> None:
    """Give the hostile shape's journey a hostile persona, goal and owner, a running workshop with a hostile
    vote, and an action with a hostile title: every page that shows them must show them as text."""
    from dataclasses import replace

    from cx import actions, workshop

    journey = store.load_journey(con, shape.dataset)
    steps = tuple(replace(s, owner=f"Owner {MD}", note=STREAMLIT_MD) for s in journey.steps)
    store.save_journey(con, replace(journey, persona=HOSTILE_PERSONA, goal=HOSTILE_GOAL, steps=steps), replace=True)
    session = workshop.start_workshop(con, shape.dataset)
    workshop.cast_votes(con, session.code, "p1", {journey.steps[0].touchpoint: workshop.Vote(3, f"{MD} {HTML}")},
                        display_name="Name :red[x] --dash-- [x](http://e.x)")
    actions.add_action(con, touchpoint=journey.steps[0].touchpoint, title=f"Fix {MD} {STREAMLIT_MD}",
                       action_date="2024-01-15", dataset=shape.dataset, owner=f"{HTML} team", note=STREAMLIT_MD)


def build(path: Path) -> Path:
    """Write every shape into a new database file at `path` (with a journey per shape); return the path."""
    con = store.connect(path)
    try:
        store.set_setting(con, "seeded_at", "never")  # the shapes only: no sample data, no shipped journeys
        for shape in SHAPES:
            if not shape.csv:
                _save_outcome_only(con, shape)
                continue
            file = path.parent / f"{shape.key}.csv"
            file.write_text(shape.csv, encoding="utf-8")
            result, report, _ = ingest.ingest_file(con, file, mapping.from_dict(shape.mapping), name=shape.dataset,
                                                   rejects=path.parent / f"{shape.key}.rejected.csv")
            assert result is not None and report.rows_rejected == 0, (shape.key, ingest.problems_text(report))
            ingest.create_journey(con, shape.dataset)
            if shape.key == "hostile-names":
                _hostile_journey_workshop_action(con, shape)
    finally:
        con.close()
    return path
