"""The generated retail sample: its contracts, its determinism and the story it must tell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx import sample
from cx.sample import SampleData, generate

REPO_ROOT = Path(__file__).resolve().parent.parent
WEAK = ("Stock availability", "Support call")


@pytest.fixture(scope="module")
def data() -> SampleData:
    return generate()


@pytest.fixture(scope="module")
def answers(data: SampleData) -> pd.DataFrame:
    """Return the answers with their score on 0–10 as column `ten`."""
    r = data.responses
    return r.assign(ten=10.0 * (r["score"] - r["scale_min"]) / (r["scale_max"] - r["scale_min"]))


@pytest.fixture(scope="module")
def recommend(data: SampleData) -> pd.Series:
    o = data.outcomes
    return o.loc[o["outcome"] == "Likelihood to recommend"].set_index("respondent")["value"]


def _means(answers: pd.DataFrame) -> pd.Series:
    return answers.groupby("touchpoint")["ten"].mean()


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(data: SampleData) -> None:
    again = generate()
    for name in ("responses", "segments", "outcomes", "touchpoints"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(again, name))


def test_other_seed_gives_other_data(data: SampleData) -> None:
    other = generate(seed=7)
    assert not data.responses.equals(other.responses)
    assert not data.outcomes.equals(other.outcomes)


def test_respondent_count_is_honoured() -> None:
    small = generate(respondents=50)
    assert small.responses["respondent"].nunique() == 50
    assert len(small.segments) == 3 * 50
    assert len(small.outcomes) == 3 * 50
    with pytest.raises(ValueError, match="at least 1"):
        generate(respondents=0)


def test_default_is_several_thousand_respondents(data: SampleData) -> None:
    assert data.responses["respondent"].nunique() == 4000
    assert data.responses["respondent"].iloc[0] == "R00001"


# ---------------------------------------------------------------- contracts


def _is_str(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s) and not pd.api.types.is_numeric_dtype(s)


def test_response_columns_and_dtypes(data: SampleData) -> None:
    r = data.responses
    assert list(r.columns) == [
        "respondent", "touchpoint", "score", "scale_min", "scale_max", "channel", "stage", "unit",
        "answered_at", "comment",
    ]
    for col in ("respondent", "touchpoint", "channel", "stage", "unit", "comment"):
        assert _is_str(r[col]), col
    for col in ("score", "scale_min", "scale_max"):
        assert r[col].dtype == np.float64, col
    assert pd.api.types.is_datetime64_any_dtype(r["answered_at"])
    for col in ("respondent", "touchpoint", "score", "scale_min", "scale_max", "channel", "stage", "answered_at"):
        assert r[col].notna().all(), col
    assert set(r["channel"]) <= {"web", "mobile", "phone", "store"}
    assert set(r["stage"]) == {"attraction", "interaction", "cultivation"}
    assert not r.duplicated(["respondent", "touchpoint"]).any()


def test_scores_lie_on_their_scale(data: SampleData) -> None:
    r = data.responses
    assert r["score"].between(r["scale_min"], r["scale_max"]).all()
    assert (r["score"] == r["score"].round()).all()
    scales = r.groupby("touchpoint")[["scale_min", "scale_max"]].agg(["min", "max"])
    # one scale per touchpoint, and the three kinds of scale the brief asks for
    assert (scales[("scale_min", "min")] == scales[("scale_min", "max")]).all()
    assert (scales[("scale_max", "min")] == scales[("scale_max", "max")]).all()
    pairs = set(zip(scales[("scale_min", "min")], scales[("scale_max", "min")], strict=True))
    assert pairs == {(1.0, 5.0), (0.0, 10.0), (1.0, 7.0)}
    assert tuple(scales.loc["Checkout", [("scale_min", "min"), ("scale_max", "min")]]) == (1.0, 7.0)


def test_answers_fall_in_the_twelve_month_window(data: SampleData) -> None:
    at = data.responses["answered_at"]
    assert at.min() >= pd.Timestamp("2025-11-01")
    assert at.max() <= pd.Timestamp("2026-10-31 23:59:59")
    assert at.dt.to_period("M").nunique() == 12


def test_units_are_stores_and_online_answers_have_none(data: SampleData) -> None:
    r = data.responses
    stores = set(r["unit"].dropna())
    assert 8 <= len(stores) <= 12
    assert {"Leeds", "Bristol"} <= stores
    assert r.loc[r["channel"] == "store", "unit"].notna().all()
    assert r.loc[r["touchpoint"].isin(["Online ad", "Product website", "Loyalty email"]), "unit"].isna().all()


def test_touchpoints_define_the_journey_in_order(data: SampleData) -> None:
    t = data.touchpoints
    assert list(t.columns) == ["position", "touchpoint", "stage", "channel", "target", "intentional", "controlled",
                               "operational"]
    assert t["position"].tolist() == list(range(1, len(t) + 1))
    assert len(t) == 10
    assert t["touchpoint"].iloc[0] == "Online ad"
    assert t["target"].dtype == np.float64 and t["target"].between(0, 10).all()
    assert t["intentional"].dtype == bool and t["controlled"].dtype == bool
    assert not t["intentional"].all()  # the out-of-stock moment is unintentional
    assert set(t["touchpoint"]) == set(data.responses["touchpoint"])
    # answers come respondent by respondent, in journey order
    first = data.responses.loc[data.responses["respondent"] == "R00001", "touchpoint"]
    order = dict(zip(t["touchpoint"], t["position"], strict=True))
    assert first.map(order).is_monotonic_increasing


def test_segments_one_row_per_attribute(data: SampleData) -> None:
    s = data.segments
    assert list(s.columns) == ["respondent", "name", "value"]
    assert all(_is_str(s[c]) for c in s.columns)
    counts = s.groupby(["respondent", "name"]).size()
    assert (counts == 1).all() and len(counts) == 3 * 4000
    values = s.groupby("name")["value"].agg(set)
    assert values["customer_type"] == {"New", "Returning"}
    assert {"Bargain hunter", "Early adopter", "Family shopper"} <= values["persona"]
    assert len(values["region"]) >= 3


def test_outcomes_contract(data: SampleData, recommend: pd.Series) -> None:
    o = data.outcomes
    assert list(o.columns) == ["respondent", "outcome", "kind", "value", "scale_min", "scale_max", "role"]
    for col in ("value", "scale_min", "scale_max"):
        assert o[col].dtype == np.float64
    assert (o.groupby(["respondent", "outcome"]).size() == 1).all()
    kinds = dict(zip(o["outcome"], o["kind"], strict=False))
    assert kinds == {"Likelihood to recommend": "nps", "Churned": "binary", "Revenue": "value"}
    roles = dict(zip(o["outcome"], o["role"], strict=False))
    assert roles["Churned"] == "churn" and roles["Revenue"] == "revenue" and pd.isna(roles["Likelihood to recommend"])
    assert len(recommend) == 4000
    assert recommend.between(0, 10).all() and (recommend == recommend.round()).all()
    churn = o[o["outcome"] == "Churned"]
    assert set(churn["value"]) == {0.0, 1.0}
    assert (churn["scale_min"] == 0).all() and (churn["scale_max"] == 1).all()
    revenue = o[o["outcome"] == "Revenue"]
    assert revenue["value"].between(20, 900).all()
    assert revenue["scale_min"].isna().all() and revenue["scale_max"].isna().all()
    rec = o[o["outcome"] == "Likelihood to recommend"]
    assert (rec["scale_min"] == 0).all() and (rec["scale_max"] == 10).all()


def test_comments_are_a_minority_and_match_the_score_mostly(answers: pd.DataFrame) -> None:
    commented = answers[answers["comment"].notna()]
    assert 0.15 <= len(commented) / len(answers) <= 0.25
    pools = [*sample.COMMENTS.values(), sample.STOCK_COMMENTS_BEFORE_ALERTS]
    negative = {c for p in pools for c in p[0]}
    positive = {c for p in pools for c in p[2]}
    low, high = commented[commented["ten"] <= 4], commented[commented["ten"] >= 7]
    assert low["comment"].isin(negative).mean() > 0.85
    assert high["comment"].isin(positive).mean() > 0.85
    # a few contradict their score, for the sentiment explorer
    assert low["comment"].isin(positive).sum() >= 5
    assert high["comment"].isin(negative).sum() >= 5


# ---------------------------------------------------------------- the story


def test_every_touchpoint_but_the_rare_one_is_answered_by_most(data: SampleData) -> None:
    share = data.responses.groupby("touchpoint")["respondent"].nunique() / 4000
    common = share.drop("Installation help")
    assert common.between(0.55, 0.95).all(), common
    assert common.nunique() == len(common)  # n differs per touchpoint


def test_rare_touchpoint_has_low_n(answers: pd.DataFrame) -> None:
    n = int((answers["touchpoint"] == "Installation help").sum())
    assert 12 <= n < 30


def test_weak_touchpoints_sit_well_below_the_journey_average(answers: pd.DataFrame) -> None:
    means = _means(answers)
    gap = means - means.mean()
    for name in WEAK:
        assert gap[name] <= -1.5, (name, gap[name])
    assert set(gap[gap <= -1.5].index) == set(WEAK)


def test_bristol_is_worse_at_staff_advice(answers: pd.DataFrame) -> None:
    staff = answers[answers["touchpoint"] == "Staff advice"].groupby("unit")["ten"].mean()
    others = staff.drop("Bristol")
    assert staff["Bristol"] <= others.min() - 1.5


def test_support_by_phone_is_worse_than_by_web(answers: pd.DataFrame) -> None:
    support = answers[answers["touchpoint"] == "Support call"].groupby("channel")["ten"].mean()
    assert support["phone"] <= support["web"] - 1.0


def test_stock_availability_lifts_after_the_stock_alerts(answers: pd.DataFrame) -> None:
    stock = answers[answers["touchpoint"] == "Stock availability"]
    live = pd.Timestamp("2026-06-01")
    before = stock.loc[stock["answered_at"] < live, "ten"].mean()
    after = stock.loc[stock["answered_at"] >= live, "ten"].mean()
    assert after - before >= 1.5
    # other touchpoints do not move: the lift is the dated change, not a general drift
    checkout = answers[answers["touchpoint"] == "Checkout"]
    drift = (checkout.loc[checkout["answered_at"] >= live, "ten"].mean()
             - checkout.loc[checkout["answered_at"] < live, "ten"].mean())
    assert abs(drift) < 0.5


def test_low_stock_scores_go_with_lower_recommend(answers: pd.DataFrame, recommend: pd.Series) -> None:
    stock = answers[answers["touchpoint"] == "Stock availability"].set_index("respondent")["ten"]
    low = recommend[stock[stock <= 4].index].mean()
    high = recommend[stock[stock >= 7].index].mean()
    assert low < high - 1.0


def test_weak_touchpoints_are_the_strongest_drivers(answers: pd.DataFrame, recommend: pd.Series) -> None:
    wide = answers.pivot(index="respondent", columns="touchpoint", values="ten")
    corr = wide.corrwith(recommend.reindex(wide.index)).drop("Installation help")
    assert set(corr.nlargest(2).index) == set(WEAK)


# ---------------------------------------------------------------- the CSV script


def test_make_sample_writes_the_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "data/make_sample.py", "--out", str(out), "--respondents", "120", "--seed", "3"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out / "responses.csv")
    assert list(frame.columns) == [
        "respondent", "touchpoint", "score", "scale_min", "scale_max", "channel", "stage", "unit",
        "answered_at", "comment", "persona", "customer_type", "region", "recommend",
    ]
    expected = generate(seed=3, respondents=120)
    assert len(frame) == len(expected.responses)
    assert frame["respondent"].nunique() == 120
    assert frame["recommend"].between(0, 10).all()
    assert frame["persona"].notna().all()


def test_operational_values_follow_the_ratings(data: SampleData) -> None:
    ops = data.operational
    assert set(ops["name"]) == {"Delivery delay (days)", "Wait time (minutes)"}
    assert (ops["value"] >= 0).all()
    waits = ops[ops["touchpoint"] == "Support call"].merge(
        data.responses[data.responses["touchpoint"] == "Support call"], on="respondent")
    low, high = waits[waits["score"] <= 3]["value"].mean(), waits[waits["score"] >= 8]["value"].mean()
    assert low > high + 5  # unhappy callers waited longer
    linked = data.touchpoints.set_index("touchpoint")["operational"]
    assert linked["Support call"] == "Wait time (minutes)" and linked["Checkout"] is None
