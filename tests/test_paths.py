"""Observed journeys on a planted event log whose right answers are worked out by hand below.

The log (minutes after 09:00; recommend 0–10 in brackets):
  a1–a4  Ad → Store → Checkout            (10, 9, 9, 6)   4 promoters-or-not: P 3, D 1 → NPS 50
  b1–b3  Web → Checkout                   (3, 5, 8)       P 0, D 2 of 3       → NPS −66.7
  c1–c2  Ad → Store → Ad → Checkout       (10, 10)        a repeat visit      → NPS 100
  d1     Store                            (7)             one dated answer: a one-step path
  e1     Web and Ad at 09:00, Checkout    (9)             a tie: name order → Ad → Web → Checkout
  u1–u2  Ad, Store, Checkout, all at 09:00 (0, 0)         one survey submitted at once: unordered
  u3     Ad, Checkout without any time    (0)             unordered
The unordered respondents score 0: if they leaked into a path or a total, the numbers would show it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import path_charts, paths, store
from cx.__main__ import main
from cx.engines import Engine, parquet_engine, store_engine
from cx.metrics import Filter
from cx.models import Journey, JourneyStep
from cx.stats import Z95, difference, holm, wilson_interval
from tests.conftest import ROOT, no_exceptions

DATASET = "Planted paths"
T0 = pd.Timestamp("2026-03-02 09:00")
PEOPLE: list[tuple[str, list[str], float, bool, list[float] | None]] = [
    # respondent, touchpoints, recommend, bought (yes/no), minutes (None: one every 10 minutes)
    *[(f"a{i}", ["Ad", "Store", "Checkout"], v, b, None) for i, (v, b) in enumerate(
        [(10, True), (9, True), (9, True), (6, False)], start=1)],
    *[(f"b{i}", ["Web", "Checkout"], v, b, None) for i, (v, b) in enumerate([(3, False), (5, False), (8, True)], 1)],
    *[(f"c{i}", ["Ad", "Store", "Ad", "Checkout"], 10, True, None) for i in (1, 2)],
    ("d1", ["Store"], 7, False, None),
    ("e1", ["Web", "Ad", "Checkout"], 9, True, [0, 0, 5]),
    ("u1", ["Ad", "Store", "Checkout"], 0, False, [0, 0, 0]),
    ("u2", ["Ad", "Store", "Checkout"], 0, False, [0, 0, 0]),
    ("u3", ["Ad", "Checkout"], 0, False, [math.nan, math.nan]),
]
DESIGNED = Journey(name="Designed launch", dataset=DATASET, steps=tuple(
    JourneyStep(position=i, touchpoint=t) for i, t in enumerate(["Store", "Ad", "Checkout", "Delivery"], start=1)))


def planted_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, outcomes = [], []
    for respondent, touchpoints, recommend, bought, minutes in PEOPLE:
        for k, touchpoint in enumerate(touchpoints):
            m = 10.0 * k if minutes is None else minutes[k]
            rows.append({"respondent": respondent, "touchpoint": touchpoint, "score": math.nan, "scale_min": 1.0,
                         "scale_max": 5.0, "channel": "web" if touchpoint == "Web" else "store",
                         "answered_at": pd.NaT if math.isnan(m) else T0 + pd.Timedelta(minutes=m)})
        outcomes += [
            {"respondent": respondent, "outcome": "Recommend", "kind": "nps", "value": float(recommend),
             "scale_min": 0.0, "scale_max": 10.0},
            {"respondent": respondent, "outcome": "Bought", "kind": "binary", "value": float(bought),
             "scale_min": 0.0, "scale_max": 1.0},
            {"respondent": respondent, "outcome": "Satisfaction", "kind": "score", "value": float(recommend) / 2,
             "scale_min": 0.0, "scale_max": 5.0},
        ]
    responses = pd.DataFrame(rows)
    responses["answered_at"] = pd.to_datetime(responses["answered_at"])
    return responses, pd.DataFrame(outcomes)


def save_planted(con: duckdb.DuckDBPyConnection) -> None:
    responses, outcomes = planted_frames()
    store.save_dataset(con, DATASET, responses, outcomes=outcomes)
    store.save_journey(con, DESIGNED)


@pytest.fixture(scope="module")
def planted() -> duckdb.DuckDBPyConnection:
    con = store.connect(":memory:")
    save_planted(con)
    return con


def view_of(engine: Engine, **kwargs: object) -> paths.PathsView:
    return paths.observed_paths(engine, DATASET, **{"journey": DESIGNED, "min_n": 2, **kwargs})  # type: ignore[arg-type]


def nps(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    p, d = promoters / n, detractors / n
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n)


# ---------------------------------------------------------------- golden values


def test_counts_and_the_unordered_group(planted) -> None:
    view = view_of(store_engine(planted))
    assert (view.respondents, view.unordered, view.ordered) == (14, 3, 11)
    assert view.distinct_paths == 5 and view.longest == 4
    assert view.outcome == "Recommend" and view.kind == "nps"  # the recommend outcome comes first by default


def test_path_variants_most_frequent_first_with_their_nps(planted) -> None:
    view = view_of(store_engine(planted))
    assert [(p.path, p.n) for p in view.paths] == [
        (("Ad", "Store", "Checkout"), 4),
        (("Web", "Checkout"), 3),
        (("Ad", "Store", "Ad", "Checkout"), 2),  # the repeat visit stays in the path
        (("Ad", "Web", "Checkout"), 1),  # e1's tie at 09:00 in name order
        (("Store",), 1),
    ]
    assert [p.share for p in view.paths] == pytest.approx([4 / 11, 3 / 11, 2 / 11, 1 / 11, 1 / 11])
    first, second, third, *_ = view.paths
    value, se = nps(3, 1, 4)
    assert (first.value, first.low, first.high) == pytest.approx((50.0, value - Z95 * se, 100.0))  # clipped at 100
    value, se = nps(0, 2, 3)
    assert (second.value, second.low, second.high) == pytest.approx((-200 / 3, -100.0, value + Z95 * se))
    assert (third.value, third.low, third.high) == pytest.approx((100.0, 100.0, 100.0))
    # Everyone with an order: promoters 10, 9, 9, 10, 10, 9; detractors 6, 3, 5 of 11. The unordered (all 0) are out.
    assert view.total is not None and view.total.value == pytest.approx(100 * 3 / 11) and view.total.n == 11
    assert [p.low_n for p in view.paths] == [False, False, False, True, True]


def test_each_path_is_tested_against_everyone_else_with_holm(planted) -> None:
    view = view_of(store_engine(planted))
    # Web → Checkout against the other 8: promoters 6, detractors 1 → NPS 62.5.
    path_value, path_se = nps(0, 2, 3)
    rest_value, rest_se = nps(6, 1, 8)
    second = view.paths[1]
    expected = difference(path_value, path_se, rest_value, rest_se)
    assert second.vs_rest == pytest.approx(-200 / 3 - 62.5) and second.p == pytest.approx(expected.p)
    tested = [p.p for p in view.paths]
    assert tested[3:] == [None, None]  # one respondent each: low n, not tested
    assert [p.p_holm for p in view.paths] == pytest.approx(holm(tested))  # type: ignore[arg-type]
    assert [p.mark for p in view.paths] == ["", paths.LOWER, paths.HIGHER, paths.LOW_N, paths.LOW_N]


def test_observed_order_by_mean_first_step(planted) -> None:
    view = view_of(store_engine(planted))
    # Ad: first at step 1 for a1–a4, c1–c2, e1. Web: b1–b3 at 1, e1 at 2. Store: a's and c's at 2, d1 at 1.
    # Checkout: a's at 3, b's at 2, c's at 4, e1 at 3 → (12 + 6 + 8 + 3) / 10.
    assert view.observed_order == ["Ad", "Web", "Store", "Checkout"]
    assert [s.mean_first_step for s in view.observed] == pytest.approx([1.0, 5 / 4, 13 / 7, 29 / 10])
    assert [s.respondents for s in view.observed] == [7, 4, 7, 10]
    assert [s.answers for s in view.observed] == [9, 4, 7, 10]  # Ad twice on c1 and c2's paths
    assert [s.note for s in view.observed] == [
        "designed 2nd, customers meet it 1st", "not in the journey", "designed 1st, customers meet it 2nd", ""]


def test_transitions_count_every_move(planted) -> None:
    view = view_of(store_engine(planted))
    assert [(t.source, t.target, t.n) for t in view.transitions] == [
        ("Ad", "Store", 6), ("Store", "Checkout", 4), ("Web", "Checkout", 4), ("Ad", "Checkout", 2),
        ("Store", "Ad", 2), ("Ad", "Web", 1)]
    assert view.transitions[0].share == pytest.approx(6 / 9)  # Ad → Store, of the 9 moves out of Ad


def test_drop_off_per_designed_step(planted) -> None:
    view = view_of(store_engine(planted))
    assert view.designed is not None
    assert [(d.touchpoint, d.observed_rank, d.reached, d.never_reached, d.through, d.drop_off)
            for d in view.designed] == [
        ("Store", 2, 7, 4, 7, 4),  # a, c, d met it; b and e never did
        ("Ad", 1, 7, 4, 6, 1),  # d1 met Store but never Ad
        ("Checkout", 3, 10, 1, 6, 0),
        ("Delivery", None, 0, 11, 0, 6),
    ]
    assert [d.disagrees for d in view.designed] == [True, True, False, False]
    assert view.designed[3].note == "no customer met it"


def test_flow_links_per_step_with_their_outcome(planted) -> None:
    view = view_of(store_engine(planted))
    links = {(f.step, f.source, f.target): f for f in view.flow}
    assert {k: f.n for k, f in links.items()} == {
        (1, "Ad", "Store"): 6, (1, "Ad", "Web"): 1, (1, "Store", None): 1, (1, "Web", "Checkout"): 3,
        (2, "Checkout", None): 3, (2, "Store", "Ad"): 2, (2, "Store", "Checkout"): 4, (2, "Web", "Checkout"): 1,
        (3, "Ad", "Checkout"): 2, (3, "Checkout", None): 5, (4, "Checkout", None): 2,
    }
    # Ad → Store at step 1: a1–a4 and c1–c2 → promoters 5, detractors 1 of 6.
    assert links[1, "Ad", "Store"].result.value == pytest.approx(100 * 4 / 6)  # type: ignore[union-attr]


def test_a_yes_no_outcome_is_a_share_with_its_wilson_interval(planted) -> None:
    view = view_of(store_engine(planted), outcome="Bought")
    first = view.paths[0]
    low, high = wilson_interval(3, 4)
    assert (first.value, first.low, first.high) == pytest.approx((75.0, 100 * low, 100 * high))  # type: ignore[operator]
    assert view.total is not None and view.total.value == pytest.approx(100 * 7 / 11)


def test_a_score_outcome_is_a_mean_inside_its_scale(planted) -> None:
    view = view_of(store_engine(planted), outcome="Satisfaction")
    third = view.paths[2]  # c1, c2: 5 and 5 → mean 5, no spread
    assert third.value == pytest.approx(5.0)
    first = view.paths[0]  # 5, 4.5, 4.5, 3 → mean 4.25, sd √0.75 → upper bound clipped at 5
    sd = math.sqrt(((0.75 ** 2) + 2 * (0.25 ** 2) + (1.25 ** 2)) / 3)
    assert (first.value, first.low, first.high) == pytest.approx((4.25, 4.25 - Z95 * sd / 2, 5.0))


def test_without_an_outcome_paths_still_count_and_low_n_is_by_respondents(planted) -> None:
    con = store.connect(":memory:")
    responses, _ = planted_frames()
    store.save_dataset(con, DATASET, responses)
    view = paths.observed_paths(store_engine(con), DATASET, min_n=3)
    assert view.outcome is None and view.total is None and view.designed is None
    assert [(p.n, p.value, p.low_n) for p in view.paths[:3]] == [(4, None, False), (3, None, False), (2, None, True)]
    assert view.as_dict()["paths"][0] == {"path": ["Ad", "Store", "Checkout"], "n": 4, "share": 4 / 11,
                                          "value": None, "low": None, "high": None, "low_n": False}


def test_filters_apply_to_the_answers(planted) -> None:
    view = view_of(store_engine(planted), filters=[Filter("channel", "in", ("store",))])
    # Without the Web answers: b1–b3 keep Checkout alone, e1 keeps Ad → Checkout.
    assert [(p.path, p.n) for p in view.paths][:3] == [
        (("Ad", "Store", "Checkout"), 4), (("Checkout",), 3), (("Ad", "Store", "Ad", "Checkout"), 2)]
    assert view.respondents == 14 and view.unordered == 3


def test_top_limits_the_paths_not_the_counts(planted) -> None:
    view = view_of(store_engine(planted), top=2)
    assert [p.n for p in view.paths] == [4, 3] and view.distinct_paths == 5
    assert sum(t.n for t in view.transitions) == 19


def test_unknown_outcome_names_the_known_ones(planted) -> None:
    with pytest.raises(Exception, match="Its outcomes: 'Bought', 'Recommend', 'Satisfaction'"):
        view_of(store_engine(planted), outcome="Nope")


def test_a_data_set_without_any_order_has_no_paths_and_no_invented_one() -> None:
    con = store.connect(":memory:")
    responses, outcomes = planted_frames()
    store.save_dataset(con, DATASET, responses.assign(answered_at=T0), outcomes=outcomes)  # one moment for all
    view = paths.observed_paths(store_engine(con), DATASET, journey=DESIGNED)
    assert (view.respondents, view.unordered) == (14, 13)  # d1's single answer is still a one-step path
    assert [p.path for p in view.paths] == [("Store",)]
    store.save_dataset(con, "Undated", responses.assign(answered_at=pd.NaT))
    empty = paths.observed_paths(store_engine(con), "Undated", journey=DESIGNED)
    assert (empty.respondents, empty.unordered, empty.paths, empty.transitions) == (14, 14, (), ())
    assert empty.designed is not None and [d.never_reached for d in empty.designed] == [0, 0, 0, 0]


def test_a_path_longer_than_one_key_is_spelt_exactly() -> None:
    # 3 touchpoints: base 4, 31 steps per exact key; 70 steps span three keys.
    long_path = [("A", "B", "C")[(k * k) % 3] for k in range(70)]
    rows = [{"respondent": r, "touchpoint": tp, "score": math.nan, "scale_min": 1.0, "scale_max": 5.0,
             "answered_at": T0 + pd.Timedelta(minutes=k)}
            for r, path in (("long", long_path), ("short", long_path[:31]), ("other", long_path[:32]))
            for k, tp in enumerate(path)]
    con = store.connect(":memory:")
    store.save_dataset(con, "Long", pd.DataFrame(rows))
    view = paths.observed_paths(store_engine(con), "Long")
    assert sorted(p.path for p in view.paths) == sorted([tuple(long_path), tuple(long_path[:31]),
                                                        tuple(long_path[:32])])
    assert view.longest == 70


def test_ordinals() -> None:
    assert [paths.ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]


# ---------------------------------------------------------------- the flow chart


def test_flow_layout_sizes_boxes_and_bands_by_respondents(planted) -> None:
    view = view_of(store_engine(planted))
    layout = path_charts.flow_layout(view)
    nodes = layout.nodes.set_index(["step", "touchpoint"])
    assert (nodes["y2"] - nodes["y"]).tolist() == pytest.approx(nodes["n"].astype(float).tolist())
    assert nodes.loc[(1, "Ad"), "n"] == 7 and nodes.loc[(2, "Store"), "n"] == 6
    # Boxes of a column are stacked in the observed order: Ad above Web above Store.
    assert nodes.loc[(1, "Ad"), "y"] < nodes.loc[(1, "Web"), "y"] < nodes.loc[(1, "Store"), "y"]
    bands = layout.ribbons
    assert (bands["y2"] - bands["y"]).tolist() == pytest.approx(bands["n"].astype(float).tolist())
    assert sorted(bands.groupby("link")["n"].first()) == [1, 1, 2, 2, 3, 4, 6]  # every move to a drawn next step
    # The bands leaving Ad at step 1 fill its box from the top: Ad → Web (Web ranks above Store), then Ad → Store.
    leaving = bands[(bands["step"] == 1) & (bands["source"] == "Ad") & (bands["x"] == bands["x"].min())]
    assert leaving.sort_values("y")[["target", "y", "y2"]].values.tolist() == [["Web", 0.0, 1.0], ["Store", 1.0, 7.0]]
    chart = path_charts.flow_chart(view).to_dict()
    assert [layer["mark"]["type"] for layer in chart["layer"]] == ["area", "rect", "text", "text"]


# ---------------------------------------------------------------- engines


def _everything(view: paths.PathsView) -> dict[str, object]:
    return {**view.as_dict(), "flow": [(f.step, f.source, f.target, f.n, None if f.result is None else f.result.value)
                                       for f in view.flow],
            "observed": [(s.touchpoint, s.mean_first_step, s.respondents, s.answers) for s in view.observed],
            "tests": [(p.vs_rest, p.p, p.p_holm, p.mark) for p in view.paths]}


def _same(a: object, b: object, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert isinstance(b, (int, float)) and abs(a - b) <= 1e-9, (where, a, b)
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def lake(planted, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paths-lake")
    store.export_parquet(planted, DATASET, out)
    return out


@pytest.mark.parametrize("outcome", ["Recommend", "Bought", "Satisfaction"])
def test_parquet_on_duckdb_equals_the_store(planted, lake: Path, outcome: str) -> None:
    _same(_everything(view_of(store_engine(planted), outcome=outcome)),
          _everything(view_of(parquet_engine(lake), outcome=outcome)))


@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning", "ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_equals_the_store(planted, lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark parity tests: pip install -r requirements-spark.txt")
        pytest.skip("pyspark is not installed (pip install -r requirements-spark.txt)")
    os.environ.setdefault("CX_SPARK_MASTER", "local[1]")
    from cx.engines import spark_engine

    spark = spark_engine(lake)
    _same(_everything(view_of(store_engine(planted))), _everything(view_of(spark)))
    monkeypatch.setattr(paths, "ALL_PATHS", 1)  # the second scan (many paths) on Spark too
    _same(_everything(view_of(store_engine(planted), top=2)), _everything(view_of(spark, top=2)))


# ---------------------------------------------------------------- command line


@pytest.fixture
def planted_db(tmp_path: Path) -> Path:
    path = tmp_path / "planted.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "never")  # the planted log only
    save_planted(con)
    con.close()
    return path


def test_cli_prints_the_documented_json(planted_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["paths", "--dataset", DATASET, "--journey", DESIGNED.name, "--min-n", "2", "--top", "3", "--json",
                 "--db", str(planted_db)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert list(out) == ["dataset", "outcome", "respondents", "unordered", "observed_order", "paths", "transitions",
                         "designed"]
    assert (out["respondents"], out["unordered"], out["outcome"]) == (14, 3, "Recommend")
    assert out["observed_order"] == ["Ad", "Web", "Store", "Checkout"]
    assert [p["path"] for p in out["paths"]] == [["Ad", "Store", "Checkout"], ["Web", "Checkout"],
                                                 ["Ad", "Store", "Ad", "Checkout"]]
    assert set(out["paths"][0]) == {"path", "n", "share", "value", "low", "high", "low_n"}
    assert out["transitions"][0] == {"from": "Ad", "to": "Store", "n": 6}
    assert [d["drop_off"] for d in out["designed"]] == [4, 1, 0, 6]


def test_cli_without_journey_has_no_designed_and_filters_work(planted_db: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["paths", "--dataset", DATASET, "--outcome", "Bought", "--filter", "channel=store", "--json",
                 "--db", str(planted_db)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and "designed" not in out and out["outcome"] == "Bought"
    assert out["paths"][1] == {"path": ["Checkout"], "n": 3, "share": 3 / 11, "value": pytest.approx(100 / 3),
                               "low": pytest.approx(100 * wilson_interval(1, 3)[0]),  # type: ignore[operator]
                               "high": pytest.approx(100 * wilson_interval(1, 3)[1]),  # type: ignore[operator]
                               "low_n": True}


def test_cli_unknown_outcome_exits_2_with_one_line(planted_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", "--dataset", DATASET, "--outcome", "Nope", "--db", str(planted_db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Its outcomes: 'Bought', 'Recommend', 'Satisfaction'" in err


# ---------------------------------------------------------------- the page


def test_the_page_on_the_sample_data(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/12_Paths.py").run()
    no_exceptions(app)
    assert app.selectbox(key="choice_journey").value == "Retail store journey"  # the journey linked to the data
    assert app.selectbox(key="choice_outcome").value == "Likelihood to recommend"
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["Respondents"] == "4,000" and tiles["With an observed order"] == "4,000"
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "rect", "text", "text"]
    assert [s.value for s in app.subheader] == [
        "Observed order beside the designed journey", "Flow", "Most common paths", "Drop-off per designed step",
        "Transitions"]
    variants = app.dataframe[1].value
    assert len(variants) == 10 and variants["Respondents"].is_monotonic_decreasing


def test_the_page_on_the_planted_log(db: Path) -> None:
    import streamlit as st

    con = store.connect(db)
    save_planted(con)
    con.close()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["dataset"] = DATASET
    at.run()
    at.switch_page("pages/12_Paths.py")
    at.query_params["dataset"] = DATASET
    at.run()
    at.sidebar.number_input(key="min_n_input").set_value(2).run()
    no_exceptions(at)
    assert at.selectbox(key="choice_journey").value == DESIGNED.name
    warning = at.warning[0].value
    assert "**Ad**: designed 2nd, customers meet it 1st" in warning
    assert "**Store**: designed 1st, customers meet it 2nd" in warning
    observed, variants, designed, moves = (d.value for d in at.dataframe)
    assert observed["Touchpoint"].tolist() == ["Ad", "Web", "Store", "Checkout"]
    assert variants["Path"].tolist()[:3] == ["Ad → Store → Checkout", "Web → Checkout", "Ad → Store → Ad → Checkout"]
    assert variants["Mark"].tolist() == ["", paths.LOWER, paths.HIGHER, paths.LOW_N, paths.LOW_N]
    assert moves["Moves"].tolist() == [6, 4, 4, 2, 2, 1]
    assert designed["Drop-off here"].tolist() == [4, 1, 0, 6]
    assert "3 unordered (21 %)" in [c.value for c in at.caption]
    at.selectbox(key="choice_journey").set_value("(no designed journey)").run()
    no_exceptions(at)
    assert "Pick a designed journey above" in at.info[0].value


# ---------------------------------------------------------------- every shape of data set

NO_ORDER = "No observed order: every respondent's answers share one timestamp"
ON_SHAPES = {
    **{key: NO_ORDER for key in ("undated-wide", "one-touchpoint", "three-respondents", "scales")},
    "events-only": NO_ORDER,  # both events of each respondent at one moment
    "outcome-only": "no touchpoint answers",
}


@pytest.fixture(scope="module")
def shapes_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import shapes

    return shapes.build(tmp_path_factory.mktemp("paths-shapes") / "shapes.duckdb")


@pytest.mark.parametrize("shape", ["undated-wide", "dated-long", "one-touchpoint", "three-respondents", "scales",
                                   "hostile-names", "events-only", "outcome-only"])
def test_the_page_says_why_a_shape_has_no_paths(shapes_db: Path, shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from tests import shapes

    monkeypatch.setenv("CX_DB", str(shapes_db))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()
    st.cache_data.clear()
    dataset = shapes.BY_KEY[shape].dataset
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["dataset"] = dataset
    at.run()
    at.switch_page("pages/12_Paths.py")
    at.query_params["dataset"] = dataset
    at.run()
    no_exceptions(at)
    infos = " ".join(str(i.value) for i in at.info)
    if shape in ON_SHAPES:
        assert ON_SHAPES[shape] in infos and not at.get("vega_lite_chart")
    else:  # dated: the flow and the tables
        assert at.get("vega_lite_chart") and len(at.dataframe) == 4
    st.cache_resource.clear()


def test_many_paths_take_a_second_scan_with_the_same_answers(planted, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = view_of(store_engine(planted), top=2)  # five paths: read whole, the flow follows from them
    monkeypatch.setattr(paths, "ALL_PATHS", 1)  # too many to read: the flow is aggregated in the engine
    scanned = view_of(store_engine(planted), top=2)
    _same(_everything(whole), _everything(scanned))
    assert [p.n for p in scanned.paths] == [4, 3] and scanned.distinct_paths == 5
