"""One number, one computation: a touchpoint's score and interval are the same wherever they are shown.

Five answers 5, 5, 5, 5, 4 on 1–5 are 10, 10, 10, 10, 7.5 on 0–10: mean 9.5, sample sd √1.25,
SE √1.25 / √5 = 0.5, so 9.5 ± 1.959964 × 0.5 = 8.520018 … 10.479982, which leaves 0–10 and is
shown as 8.520018 … 10.0 everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import journeys, metrics, store
from cx.__main__ import main
from cx.engines import store_engine
from cx.models import Journey, JourneyStep
from tests.conftest import app_test_on, no_exceptions

Z = 1.959964
SCORE, LOW, HIGH = 9.5, 9.5 - Z * 0.5, 10.0
DATASET = "One number"
ROOT = Path(__file__).resolve().parent.parent


def _responses() -> pd.DataFrame:
    rows = [{"respondent": f"r{i}", "touchpoint": "Checkout", "score": s, "scale_min": 1.0, "scale_max": 5.0}
            for i, s in enumerate([5, 5, 5, 5, 4], start=1)]
    # "Mixed" was asked on 1–5 (4, 4 → 7.5 each) and on 0–10 (8): no single original-scale mean exists.
    rows += [{"respondent": "r1", "touchpoint": "Mixed", "score": 4.0, "scale_min": 1.0, "scale_max": 5.0},
             {"respondent": "r2", "touchpoint": "Mixed", "score": 4.0, "scale_min": 1.0, "scale_max": 5.0},
             {"respondent": "r3", "touchpoint": "Mixed", "score": 8.0, "scale_min": 0.0, "scale_max": 10.0}]
    return pd.DataFrame(rows).assign(channel=["web", "web", "web", "phone", "phone", "web", "web", "web"])


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("one") / "cx.duckdb"
    con = store.connect(path)
    store.save_dataset(con, DATASET, _responses())
    store.save_journey(con, Journey(name="Checkout journey", dataset=DATASET, steps=(
        JourneyStep(1, "Checkout"), JourneyStep(2, "Mixed"))))
    con.close()
    return path


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(list(args)) == 0
    out: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return out


def test_every_code_path_gives_the_same_score_and_bounded_interval(db: Path, capsys) -> None:
    con = store.connect(db)
    engine = store_engine(con)
    found: dict[str, tuple[float, float, float]] = {}
    stats = metrics.touchpoint_stats(engine, DATASET).set_index("touchpoint").loc["Checkout"]
    found["touchpoint_stats"] = (stats["score"], stats["low"], stats["high"])
    (registry,) = [r for r in metrics.compute(engine, ["mean_score"], dataset=DATASET, by="touchpoint")
                   if r.group == "Checkout"]
    found["registry by touchpoint"] = (registry.value, registry.low, registry.high)
    checkout = journeys.dataset_scores(con, DATASET).touchpoints[0]
    found["data set scores"] = (checkout.score, checkout.low, checkout.high)
    journey = journeys.journey_scores(con, "Checkout journey").touchpoints[0]
    found["journey"] = (journey.score, journey.low, journey.high)
    con.close()
    (cli_tp,) = [r for r in _cli(capsys, "touchpoints", "--dataset", DATASET, "--json", "--db", str(db))
                 if r["touchpoint"] == "Checkout"]
    found["cx touchpoints"] = (cli_tp["score"], cli_tp["low"], cli_tp["high"])
    (cli_m,) = [r for r in _cli(capsys, "metrics", "--dataset", DATASET, "--by", "touchpoint", "--metric",
                                "mean_score", "--json", "--db", str(db)) if r["touchpoint"] == "Checkout"]
    found["cx metrics --by touchpoint"] = (cli_m["value"], cli_m["low"], cli_m["high"])
    for where, values in found.items():
        assert values == pytest.approx((SCORE, LOW, HIGH), abs=1e-9), where


def test_the_pages_show_the_same_numbers(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with app_test_on(db, monkeypatch) as at:
        _pages_show_the_same_numbers(at)


def _pages_show_the_same_numbers(at: AppTest) -> None:
    at.run()
    at.switch_page("pages/1_Journey.py")
    at.query_params["journey"] = "Checkout journey"
    at.run()
    no_exceptions(at)
    row = at.dataframe[0].value.set_index("Touchpoint").loc["Checkout"]
    assert (row["Score (0–10)"], row["95 % low"], row["95 % high"]) == pytest.approx((SCORE, LOW, HIGH))

    at.switch_page("pages/3_Touchpoints.py")
    at.query_params["dataset"] = DATASET
    at.run()
    no_exceptions(at)
    table = at.dataframe[0].value.set_index("Touchpoint")
    assert (table.loc["Checkout", "95 % low"], table.loc["Checkout", "95 % high"]) == pytest.approx((LOW, HIGH))
    assert table.loc["Mixed", "Scale"] == "mixed scales (0–10, 1–5)"
    assert pd.isna(table.loc["Mixed", "Mean (original scale)"])

    at.switch_page("pages/2_Overview.py")
    at.query_params["dataset"] = DATASET
    at.run()
    at.selectbox(key="breakdown_by").set_value("touchpoint").run()
    at.selectbox(key="breakdown_metric").set_value("mean_score").run()
    no_exceptions(at)
    breakdown = at.dataframe[-1].value.set_index("touchpoint").loc["Checkout"]
    assert (breakdown["Mean score (0–10)"], breakdown["95 % low"], breakdown["95 % high"]) == pytest.approx(
        (SCORE, LOW, HIGH))


def test_mixed_scales_are_said_not_invented(db: Path, capsys) -> None:
    rows = {r["touchpoint"]: r for r in _cli(capsys, "touchpoints", "--dataset", DATASET, "--json", "--db", str(db))}
    mixed = rows["Mixed"]
    assert mixed["scale"] is None and mixed["mean"] is None
    assert mixed["scales"] == [[0.0, 10.0], [1.0, 5.0]]
    assert mixed["score"] == pytest.approx((7.5 + 7.5 + 8.0) / 3)
    assert rows["Checkout"]["scale"] == [1.0, 5.0] and rows["Checkout"]["scales"] == [[1.0, 5.0]]
    assert rows["Checkout"]["mean"] == pytest.approx(4.8)
    assert rows["Checkout"]["status"] == "low_n"


def test_intervals_never_leave_the_metric_range(db: Path) -> None:
    con = store.connect(db)
    for r in metrics.compute(store_engine(con), dataset=DATASET, by="touchpoint"):
        definition = metrics.metric(r.metric)
        if definition.bounds is not None and r.low is not None and r.high is not None:
            lo, hi = definition.bounds
            assert lo <= r.low <= r.high <= hi, r
    by_channel = metrics.touchpoint_stats(store_engine(con), DATASET, by="channel")
    assert by_channel["high"].dropna().le(10.0).all() and by_channel["low"].dropna().ge(0.0).all()
    con.close()
