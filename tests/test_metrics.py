"""Metric registry: golden NPS, CSAT, CES values, intervals, grouping, filters, unavailable inputs."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from cx import comparisons, metrics, store
from cx.engines import store_engine
from cx.metrics import Filter, compute
from tests.conftest import golden_csv, long_rows


def _outcomes(values: list[float], prefix: str = "r") -> pd.DataFrame:
    return pd.DataFrame({"respondent": [f"{prefix}{i}" for i in range(1, len(values) + 1)],
                         "outcome": "Likelihood to recommend", "kind": "nps", "value": values,
                         "scale_min": 0.0, "scale_max": 10.0})


def _one(results, name):
    (result,) = [r for r in results if r.metric == name]
    return result


def test_nps_golden_cases(con: duckdb.DuckDBPyConnection, expected) -> None:
    for file, key in (("nps_case.csv", "group_A"), ("nps_case_b.csv", "group_B")):
        values = golden_csv(file)["ltr"].astype(float).tolist()
        name = key
        store.save_dataset(con, name, long_rows("Any", [3] * len(values), 1, 5), outcomes=_outcomes(values))
        result = _one(compute(store_engine(con), ["nps"], dataset=name), "nps")
        golden = expected["B1_nps"][key]
        assert result.value == pytest.approx(golden["nps"], abs=1e-4)
        assert [result.low, result.high] == pytest.approx(golden["ci95_wald_points_z1.959964"], abs=1e-4)
        assert result.n == 10 and result.low_n


def test_nps_standard_error_formula(expected) -> None:
    value, se = metrics.nps_value(5, 3, 10)
    assert (value, round(se, 4)) == (20.0, expected["B1_nps"]["group_A"]["se_points"])


def test_csat_golden_case(con: duckdb.DuckDBPyConnection, expected) -> None:
    scores = golden_csv("csat_case.csv")["csat"].tolist()
    store.save_dataset(con, "C", long_rows("Checkout", scores, 1, 5))
    results = compute(store_engine(con), ["csat", "mean_score"], dataset="C")
    csat, mean = _one(results, "csat"), _one(results, "mean_score")
    golden = expected["B2_csat"]
    assert csat.value == pytest.approx(golden["csat_pct"], abs=1e-4)
    assert [csat.low, csat.high] == pytest.approx([100 * x for x in golden["wilson95_z1.959964"]], abs=1e-2)
    assert mean.value == pytest.approx(golden["mean_on_0to10"], abs=1e-4)


def test_wilson_interval_to_four_decimals(expected) -> None:
    assert metrics.wilson_interval(7, 10) == pytest.approx(expected["B2_csat"]["wilson95_z1.959964"], abs=1e-4)
    assert metrics.wilson_interval(6, 10) == pytest.approx(expected["B2_ces"]["agree_wilson95"], abs=1e-4)


def test_ces_golden_case(con: duckdb.DuckDBPyConnection, expected) -> None:
    scores = golden_csv("ces_case.csv")["ces"].tolist()
    store.save_dataset(con, "E", long_rows("Returns", scores, 1, 7))
    results = compute(store_engine(con), ["ces", "ces_easy", "mean_score"], dataset="E")
    golden = expected["B2_ces"]
    assert _one(results, "ces").value == pytest.approx(golden["mean_1to7"], abs=1e-4)
    assert _one(results, "ces_easy").value == pytest.approx(100 * golden["agree_5to7_share"], abs=1e-4)
    assert _one(results, "mean_score").value == pytest.approx(golden["mean_on_0to10"], abs=1e-4)


def test_missing_inputs_are_unavailable_with_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    store.save_dataset(con, "Only 0-10", long_rows("Web", [7, 8], 0, 10))
    results = {r.metric: r for r in compute(store_engine(con), dataset="Only 0-10")}
    assert results["nps"].value is None and "recommend outcome" in (results["nps"].reason or "")
    assert results["csat"].value is None and results["churn_rate"].value is None
    assert results["responses"].value == 2


def test_group_by_and_filter(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.concat([
        long_rows("Checkout", [5, 5, 1], 1, 5, channel="web"),
        long_rows("Checkout", [4, 2], 1, 5, channel="store").assign(respondent=["s1", "s2"]),
    ])
    store.save_dataset(con, "G", frame)
    engine = store_engine(con)
    by_channel = compute(engine, ["csat"], dataset="G", by="channel")
    assert [(r.group, r.value, r.n) for r in by_channel] == [
        ("store", 50.0, 2), ("web", pytest.approx(200 / 3), 3)]
    only_web = compute(engine, ["responses"], dataset="G", filters=[Filter("channel", "in", ["web"])])
    assert only_web[0].value == 3


def test_churn_and_retention(con: duckdb.DuckDBPyConnection) -> None:
    outcomes = pd.DataFrame({"respondent": ["a", "b", "c", "d"], "outcome": "Churned", "kind": "binary",
                             "value": [1.0, 0.0, 0.0, 0.0], "scale_min": 0.0, "scale_max": 1.0, "role": "churn"})
    store.save_dataset(con, "Ch", long_rows("T", [1, 2, 3, 4], 1, 5).assign(respondent=list("abcd")),
                       outcomes=outcomes)
    results = {r.metric: r for r in compute(store_engine(con), ["churn_rate", "retention_rate"], dataset="Ch")}
    assert results["churn_rate"].value == 25.0 and results["retention_rate"].value == 75.0


def test_unknown_group_column_says_what_to_use(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(Exception, match="segment:NAME"):
        compute(store_engine(con), ["responses"], by="shoe size")


def test_nps_difference_golden(con: duckdb.DuckDBPyConnection, expected) -> None:
    a = golden_csv("nps_case.csv")["ltr"].astype(float).tolist()
    b = golden_csv("nps_case_b.csv")["ltr"].astype(float).tolist()
    frame = pd.concat([_outcomes(a, "a"), _outcomes(b, "b")])
    segments = pd.DataFrame({"respondent": frame["respondent"], "name": "group",
                             "value": ["A"] * 10 + ["B"] * 10})
    rows = long_rows("Any", [3] * 20, 1, 5).assign(respondent=frame["respondent"].tolist())
    store.save_dataset(con, "AB", rows, segments=segments, outcomes=frame)
    by_group = compute(store_engine(con), ["nps"], dataset="AB", by="segment:group")
    group_a, group_b = by_group
    diff = comparisons.difference(group_a, group_b)
    golden = expected["B1_nps"]["A_minus_B"]
    assert diff is not None
    assert (round(diff.diff, 4), round(diff.se, 4), round(diff.z, 4), round(diff.p, 4)) == (
        golden["diff_points"], golden["se_diff_points"], golden["z"], golden["p_two_sided"])
    assert not diff.significant
    # The rest of A is B: statistics are additive, so no second query is needed.
    (total,) = compute(store_engine(con), ["nps"], dataset="AB")
    rest = comparisons.rest_of(total, group_a)
    assert (rest.value, rest.n, rest.se) == (group_b.value, group_b.n, group_b.se)


def test_mean_interval_from_sums_matches_the_sample_sd(con: duckdb.DuckDBPyConnection) -> None:
    store.save_dataset(con, "M", long_rows("T", [0, 10, 10, 0], 0, 10))
    (mean,) = compute(store_engine(con), ["mean_score"], dataset="M")
    sd = (100 / 3) ** 0.5  # sample sd of 0, 10, 10, 0: squares sum to 4 × 25 = 100, over n − 1 = 3
    assert mean.value == 5.0 and mean.se == pytest.approx(sd / 2)
    # 5 ± 5.66 would leave 0–10: the interval is clipped to the scale, the standard error is not.
    assert (mean.low, mean.high) == (0.0, 10.0)
    store.save_dataset(con, "N", long_rows("T", [4, 6, 6, 4], 0, 10))
    (narrow,) = compute(store_engine(con), ["mean_score"], dataset="N")
    sd = (4 / 3) ** 0.5
    assert (narrow.low, narrow.high) == pytest.approx((5 - 1.959964 * sd / 2, 5 + 1.959964 * sd / 2))


def test_clv_from_revenue_and_churn(con: duckdb.DuckDBPyConnection) -> None:
    people = list("abcd")
    outcomes = pd.concat([
        pd.DataFrame({"respondent": people, "outcome": "Revenue", "kind": "value", "role": "revenue",
                      "value": [100.0, 200.0, 300.0, 400.0]}),
        pd.DataFrame({"respondent": people, "outcome": "Churned", "kind": "binary", "role": "churn",
                      "value": [1.0, 0.0, 0.0, 0.0]}),
    ]).assign(scale_min=None, scale_max=None)
    store.save_dataset(con, "V", long_rows("T", [1, 2, 3, 4], 1, 5).assign(respondent=people), outcomes=outcomes)
    (clv,) = compute(store_engine(con), ["clv"], dataset="V")
    assert clv.value == pytest.approx(250.0 / 0.25)  # mean revenue 250 per period, lifetime 1 / 0.25 periods
    assert 0 < clv.low < clv.value < clv.high


def test_pooled_touchpoints_counts_the_touchpoints_each_answer_metric_reads() -> None:
    # A and B on 1-5, C on 1-7, D on 0-10; B's answers are all "not applicable" (no score): CSAT pools A only.
    con = store.connect(":memory:")
    answers = pd.DataFrame({
        "respondent": ["r1", "r2", "r1", "r2", "r1", "r2", "r1"],
        "touchpoint": ["A", "A", "B", "B", "C", "C", "D"],
        "score": [4.0, 2.0, None, None, 6.0, 3.0, 9.0],
        "scale_min": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
        "scale_max": [5.0, 5.0, 5.0, 5.0, 7.0, 7.0, 10.0],
    })
    store.save_dataset(con, "Shop", answers)
    engine = store_engine(con)
    assert metrics.pooled_touchpoints(engine, "Shop", ["csat", "ces", "nps"]) == {"csat": 1, "ces": 1}
    only_c = [metrics.Filter("touchpoint", "in", ("C", "D"))]
    assert metrics.pooled_touchpoints(engine, "Shop", ["csat", "ces"], only_c) == {"csat": 0, "ces": 1}
    # The same touchpoints the per-touchpoint values exist for.
    valued = {(r.metric, r.group) for r in metrics.compute(engine, ["csat", "ces"], dataset="Shop", by="touchpoint")
              if r.value is not None}
    assert valued == {("csat", "A"), ("ces", "C")}


def test_month_change_signs_the_change_and_names_its_test() -> None:
    def csat(value: float, se: float, low_n: bool = False) -> metrics.MetricResult:
        return metrics.MetricResult("csat", value, None, None, 100, se=se, low_n=low_n)

    # 80 % against 70 %, SE 3 and 4: the difference 10 has SE 5, z = 2, p = 0.0455.
    assert comparisons.month_change(csat(80, 3), csat(70, 4), "Mar vs Feb") == (
        "+10 %", "Mar vs Feb: significant (z-test, p = 0.05)")
    assert comparisons.month_change(csat(66, 3), csat(70, 4), "Mar vs Feb") == (
        "-4 %", "Mar vs Feb: not significant (z-test, p = 0.42)")
    assert comparisons.month_change(csat(80, 3, low_n=True), csat(70, 4), "Mar vs Feb") == (
        "+10 %", "Mar vs Feb: too few answers to test")
    assert comparisons.month_change(csat(80, 3), None, "Mar vs Feb") == (None, "")
