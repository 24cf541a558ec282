"""The Touchpoints view: the score table and CSAT / CES / NPS per touchpoint from one aggregation of the answers.

`touchpoint_view` must give exactly what `touchpoint_stats` and `compute(..., by="touchpoint")` give called
separately. The fixture is small enough to check by hand:

    respondent  touchpoint  score   scale        channel  plan   recommend
    a           Web         4       1–5          web      gold   10 (P)
    a           Web         5       1–5          web
    b           Web         2       1–5          web      gold   3 (D)
    c           Web         (none)  1–5          web      basic  9 (P)
    a           Desk        6       1–7 reversed store
    b           Desk        2       1–7 reversed store
    a           Call        8       0–10         phone
    b           Call        3       1–5          phone
    c           Visit       (none)  1–5          store         (an event: no score)

Web: 0–10 scores 7.5, 10, 2.5 → 20/3, raw mean 11/3, CSAT 2 of 3; NPS of a, b, c (P, D, P) = +33.3.
Desk: turned round 2 and 6 → CES 4, 0–10 scores 5/3 and 25/3 → 5. Call: 8 and 5 → 6.5, on two scales.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pandas as pd
import pytest

from cx import store
from cx.engines import store_engine
from cx.metrics import Filter, MetricResult, compute, touchpoint_stats
from cx.touchpoint_view import touchpoint_view

DATASET = "Desk"
NAMES = ("csat", "ces", "nps")


@pytest.fixture
def view_db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    answers = pd.DataFrame({
        "respondent": ["a", "a", "b", "c", "a", "b", "a", "b", "c"],
        "touchpoint": ["Web", "Web", "Web", "Web", "Desk", "Desk", "Call", "Call", "Visit"],
        "score": [4.0, 5.0, 2.0, None, 6.0, 2.0, 8.0, 3.0, None],
        "scale_min": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0],
        "scale_max": [5.0, 5.0, 5.0, 5.0, 7.0, 7.0, 10.0, 5.0, 5.0],
        "reversed": [False, False, False, False, True, True, False, False, False],
        "channel": ["web", "web", "web", "web", "store", "store", "phone", "phone", "store"],
    })
    outcomes = pd.DataFrame({"respondent": ["a", "b", "c"], "outcome": "Recommend", "kind": "nps", "role": None,
                             "value": [10.0, 3.0, 9.0], "scale_min": 0.0, "scale_max": 10.0})
    segments = pd.DataFrame({"respondent": ["a", "b", "c"], "name": "plan", "value": ["gold", "gold", "basic"]})
    store.save_dataset(con, DATASET, answers, outcomes=outcomes, segments=segments)
    return con


def _value(results: list[MetricResult], metric: str, touchpoint: str) -> MetricResult:
    (found,) = [r for r in results if r.metric == metric and r.group == touchpoint]
    return found


FILTERS: list[tuple[Filter, ...]] = [
    (),
    (Filter("channel", "in", ("web", "phone")),),
    (Filter("segment:plan", "in", ("gold",)),),
]


@pytest.mark.parametrize("filters", FILTERS, ids=["no filter", "channel", "segment"])
def test_the_view_is_touchpoint_stats_and_compute_called_apart(view_db: duckdb.DuckDBPyConnection,
                                                               filters: tuple[Filter, ...]) -> None:
    engine = store_engine(view_db)
    view = touchpoint_view(engine, NAMES, DATASET, filters, min_n=2)
    pd.testing.assert_frame_equal(view.stats, touchpoint_stats(engine, DATASET, filters))
    assert view.results == compute(engine, list(NAMES), dataset=DATASET, by="touchpoint", filters=filters, min_n=2)


def test_the_numbers_are_those_checked_by_hand(view_db: duckdb.DuckDBPyConnection) -> None:
    view = touchpoint_view(store_engine(view_db), NAMES, DATASET, min_n=1)
    stats = view.stats.set_index("touchpoint")
    assert list(stats.index) == ["Call", "Desk", "Web"]  # Visit has no scored answer: no score row
    web = stats.loc["Web"]
    assert (web["n"], web["respondents"]) == (3, 2)  # c answered Web without a score: not one of its respondents
    assert web["score"] == pytest.approx(20 / 3) and web["mean"] == pytest.approx(11 / 3)
    assert (web["scale_min"], web["scale_max"], web["reversed"]) == (1.0, 5.0, False)
    desk = stats.loc["Desk"]
    assert desk["score"] == pytest.approx(5.0) and desk["mean"] == pytest.approx(4.0) and desk["reversed"]
    call = stats.loc["Call"]
    assert call["score"] == pytest.approx(6.5) and pd.isna(call["mean"]) and pd.isna(call["scale_min"])
    assert call["scales"] == [(0.0, 10.0), (1.0, 5.0)]
    results = view.results
    assert [r.metric for r in results] == ["csat"] * 4 + ["ces"] * 4 + ["nps"] * 4  # no mean_score among them
    assert _value(results, "csat", "Web").value == pytest.approx(200 / 3)
    assert _value(results, "csat", "Call").value == 0.0  # only b's 3 is on 1–5
    assert _value(results, "ces", "Desk").value == pytest.approx(4.0)
    assert _value(results, "nps", "Web").value == pytest.approx(100 / 3)  # a, b, c: everyone who answered Web
    assert _value(results, "nps", "Visit").value == 100.0
    visit_csat = _value(results, "csat", "Visit")
    assert visit_csat.value is None and visit_csat.n == 0


def test_mean_score_asked_for_is_returned_once(view_db: duckdb.DuckDBPyConnection) -> None:
    engine = store_engine(view_db)
    view = touchpoint_view(engine, ["mean_score", "nps"], DATASET)
    assert view.results == compute(engine, ["mean_score", "nps"], dataset=DATASET, by="touchpoint")
    assert _value(view.results, "mean_score", "Web").value == pytest.approx(20 / 3)


def _logged(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY timestamp, query_id")
    return [str(r[0]) for r in rows.fetchall() if "duckdb_logs" not in str(r[0])]


@pytest.mark.parametrize("filters", FILTERS[:2], ids=["no filter", "channel"])
def test_the_answers_are_grouped_by_touchpoint_and_respondent_once(view_db: duckdb.DuckDBPyConnection,
                                                                   filters: tuple[Filter, ...]) -> None:
    engine = store_engine(view_db)
    view_db.execute("CALL enable_logging('QueryLog')")

    def groupings(run: Any) -> int:
        view_db.execute("CALL truncate_duckdb_logs()")
        run()
        # The first level: the answers grouped by two keys, (touchpoint or its group column, respondent).
        return sum(len(re.findall(r"GROUP BY 1, 2\)", q)) for q in _logged(view_db) if '"responses"' in q)

    apart = groupings(lambda: (touchpoint_stats(engine, DATASET, filters),
                               compute(engine, list(NAMES), dataset=DATASET, by="touchpoint", filters=filters)))
    together = groupings(lambda: touchpoint_view(engine, NAMES, DATASET, filters))
    assert (apart, together) == (2, 1)
