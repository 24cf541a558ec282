"""Driver analysis through the engine: correctness against numpy/pandas, goldens, known structures,
the sample and an airline-like wide survey, the missing-data rules, the CLI contract and the page.

Independent references: pandas' own pairwise `DataFrame.corr()` and `dropna()` for the
correlations, and an eigen decomposition written here with numpy for the relative weights.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import driver_charts, driver_data, drivers, exports, store
from cx.__main__ import main
from cx.drivers import LISTWISE, PAIRWISE, CorrelationSummary
from cx.engines import parquet_engine, store_engine
from cx.metrics import Filter

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "drivers"
GOLDENS = Path(__file__).parent / "fixtures" / "goldens"
TOL = 1e-9
GOLD = 5e-5  # goldens are given to 4 decimals


# ---------------------------------------------------------------- helpers


def store_wide(
    con: duckdb.DuckDBPyConnection,
    name: str,
    frame: pd.DataFrame,
    touchpoints: list[str],
    scale: tuple[float, float],
    outcome: tuple[str, str, str, tuple[float, float]],
    *,
    not_applicable: tuple[float, ...] = (),
    segments: tuple[str, ...] = (),
    respondent: str = "id",
) -> None:
    """Store a wide survey (one row per respondent) in cx's long schema.

    `outcome` is (column, outcome name, kind, scale); not-applicable codes become NULL scores.
    """
    long = frame.melt(id_vars=[respondent], value_vars=touchpoints, var_name="touchpoint", value_name="score")
    score = long["score"].astype("float64")
    long["score"] = score.where(~score.isin(not_applicable))
    long["respondent"] = long[respondent].astype(str)
    long["scale_min"], long["scale_max"] = scale
    column, outcome_name, kind, (lo, hi) = outcome
    outcomes = pd.DataFrame({"respondent": frame[respondent].astype(str), "outcome": outcome_name, "kind": kind,
                             "value": frame[column].astype("float64"), "scale_min": lo, "scale_max": hi})
    seg = pd.concat([pd.DataFrame({"respondent": frame[respondent].astype(str), "name": s,
                                   "value": frame[s].astype(str)}) for s in segments]) if segments else None
    store.save_dataset(con, name, long[["respondent", "touchpoint", "score", "scale_min", "scale_max"]],
                       outcomes=outcomes, segments=seg)


def data_warnings(result: drivers.DriverAnalysis) -> list[str]:
    """Return the warnings about the data (not the ones naming a negative driver or a suppressor)."""
    named = {drivers.direction_warning(t) for t in result.touchpoints}
    return [w for w in result.warnings if w not in named]


def eigen_relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's raw weights written directly (independent of cx.drivers)."""
    values, vectors = np.linalg.eigh(rxx)
    lam = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta**2)


def mixed_fixture(seed: int = 7, n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (responses, outcomes, wide 0-10 reference) with blanks, three scales and repeated answers."""
    rng = np.random.default_rng(seed)
    k = 5
    mood = rng.normal(size=n)
    latent = 0.6 * mood[:, None] + rng.normal(size=(n, k))
    scales = [(1, 5), (0, 10), (1, 7), (1, 5), (0, 10)]
    names = ["Web", "Store", "Checkout", "Delivery", "Support"]
    rows = []
    for j, ((lo, hi), name) in enumerate(zip(scales, names, strict=True)):
        score = np.clip(np.rint(lo + (hi - lo) * (0.5 + latent[:, j] / 5)), lo, hi)
        answered = rng.random(n) < (0.9 if j < 3 else 0.6)
        for i in np.nonzero(answered)[0]:
            rows.append({"respondent": f"p{i}", "touchpoint": name, "score": float(score[i]),
                         "scale_min": float(lo), "scale_max": float(hi), "channel": "web" if i % 2 else "store"})
        # A few respondents answered a touchpoint twice (two visits): the analysis averages them.
        for i in np.nonzero(answered & (rng.random(n) < 0.05))[0]:
            rows.append({"respondent": f"p{i}", "touchpoint": name, "score": float(lo),
                         "scale_min": float(lo), "scale_max": float(hi), "channel": "web" if i % 2 else "store"})
        # Not-applicable answers: rows with a NULL score, never counted.
        for i in np.nonzero(~answered & (rng.random(n) < 0.3))[0]:
            rows.append({"respondent": f"p{i}", "touchpoint": name, "score": math.nan,
                         "scale_min": float(lo), "scale_max": float(hi), "channel": "web"})
    responses = pd.DataFrame(rows)
    recommend = np.clip(np.rint(7 + 1.2 * latent[:, 0] + 0.8 * latent[:, 3] + rng.normal(size=n)), 0, 10)
    has_outcome = rng.random(n) < 0.95
    outcomes = pd.DataFrame({"respondent": [f"p{i}" for i in range(n) if has_outcome[i]], "outcome": "Recommend",
                             "kind": "nps", "value": recommend[has_outcome], "scale_min": 0.0, "scale_max": 10.0})
    # The reference: one row per respondent on 0-10, computed with pandas, independently of the engine.
    r = responses.dropna(subset=["score"]).assign(
        score10=lambda f: 10 * (f["score"] - f["scale_min"]) / (f["scale_max"] - f["scale_min"]))
    wide = r.pivot_table(index="respondent", columns="touchpoint", values="score10", aggfunc="mean")
    wide = wide.join(outcomes.set_index("respondent")["value"].rename("y"), how="inner")
    return responses, outcomes, wide


@pytest.fixture
def mixed(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    responses, outcomes, wide = mixed_fixture()
    store.save_dataset(con, "Mixed", responses, outcomes=outcomes)
    return wide


# ---------------------------------------------------------------- engine path == numpy/pandas path


@pytest.mark.parametrize("rule", [PAIRWISE, LISTWISE])
def test_engine_summary_equals_pandas_on_the_same_rows(con: duckdb.DuckDBPyConnection, mixed: pd.DataFrame,
                                                       rule: str) -> None:
    names = sorted(c for c in mixed.columns if c != "y")
    summary = driver_data.correlation_summary(store_engine(con), "Mixed", "Recommend", names, rule=rule)
    ref = mixed.dropna() if rule == LISTWISE else mixed
    corr = ref[[*names, "y"]].corr()  # pandas: pairwise-complete Pearson r
    assert summary.respondents == len(ref)
    assert np.abs(summary.rxx - corr.loc[names, names].to_numpy()).max() < TOL
    assert np.abs(summary.rxy - corr.loc[names, "y"].to_numpy()).max() < TOL
    assert summary.n_pair.tolist() == [[int((ref[a].notna() & ref[b].notna()).sum()) for b in names] for a in names]
    assert np.abs(summary.performance - ref[names].mean().to_numpy()).max() < TOL
    assert summary.outcome_mean == pytest.approx(ref["y"].mean(), abs=TOL)


@pytest.mark.parametrize("rule", [PAIRWISE, LISTWISE])
def test_relative_weights_via_engine_equal_the_numpy_path(con: duckdb.DuckDBPyConnection, mixed: pd.DataFrame,
                                                          rule: str) -> None:
    result = driver_data.analyse(store_engine(con), "Mixed", "Recommend", min_n=30, rule=rule)
    assert not data_warnings(result) and not result.left_out
    names = sorted(c for c in mixed.columns if c != "y")
    ref = mixed.dropna() if rule == LISTWISE else mixed
    corr = ref[[*names, "y"]].corr().to_numpy()
    raw = eigen_relative_weights(corr[:-1, :-1], corr[:-1, -1])
    assert result.r2 == pytest.approx(raw.sum(), abs=TOL)
    for t in result.touchpoints:
        j = names.index(t.touchpoint)
        assert t.raw_weight == pytest.approx(raw[j], abs=TOL)
        assert t.importance == pytest.approx(raw[j] / raw.sum(), abs=TOL)
        assert t.n == int(ref[t.touchpoint].notna().sum())
    numpy_path = CorrelationSummary.from_rows(mixed[names].to_numpy(), mixed["y"].to_numpy(), names, rule)
    rw = drivers.relative_weights(numpy_path.rxx, numpy_path.rxy, names)
    assert max(abs(rw.shares[names.index(t.touchpoint)] - t.importance) for t in result.touchpoints) < TOL
    assert sum(t.importance for t in result.touchpoints) == pytest.approx(1.0, abs=1e-12)
    assert [t.importance for t in result.touchpoints] == sorted((t.importance for t in result.touchpoints),
                                                                reverse=True)


def _numbers(value: object, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _numbers(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _numbers(item, f"{path}[{i}]").items()}
    return {path: value}


def test_drivers_are_the_same_on_duckdb_over_parquet(con: duckdb.DuckDBPyConnection, mixed: pd.DataFrame,
                                                     tmp_path: Path) -> None:
    _moment_data(con)
    for name in ("Mixed", "Moments"):
        store.export_parquet(con, name, tmp_path / "lake")
    engines = (store_engine(con), parquet_engine(tmp_path / "lake"))
    web = [Filter("channel", "in", ("web",))]
    outputs = []
    for engine in engines:
        result = driver_data.analyse(engine, "Mixed", "Recommend", rule=LISTWISE, filters=web)
        moment = driver_data.moment_comparison(engine, "Moments", "Recommend", "Stock")
        bounds = driver_data.bootstrap_intervals(engine, result, resamples=40, filters=web).bounds
        outputs.append(_numbers({"drivers": result.as_dict(), "moment": [moment.diff, moment.se, moment.sentence],
                                 "bootstrap": {k: list(v) for k, v in bounds.items()}}))
    on_store, on_parquet = outputs
    assert on_store.keys() == on_parquet.keys()
    for key, value in on_store.items():
        if isinstance(value, float):
            assert on_parquet[key] == pytest.approx(value, abs=TOL), key
        else:
            assert on_parquet[key] == value, key


def test_pairwise_correlations_match_pandas_with_gaps() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(size=(300, 6))
    data[:, 1] += data[:, 0]
    data[rng.random(data.shape) < 0.35] = np.nan
    data[:, 5] = np.where(np.isnan(data[:, 5]), np.nan, 4.0)  # answered, but never varies
    r, n = drivers.pairwise_correlations(data)
    ref = pd.DataFrame(data).corr().to_numpy()
    assert np.nanmax(np.abs(r - ref)) < 1e-12
    assert np.isnan(r[5]).all() and np.isnan(r[:, 5]).all()
    present = ~np.isnan(data)
    assert n[0, 1] == int((present[:, 0] & present[:, 1]).sum())


# ---------------------------------------------------------------- goldens and known structures


def test_golden_relative_weights_from_a_wide_data_set(con: duckdb.DuckDBPyConnection) -> None:
    frame = pd.read_csv(GOLDENS / "rw_case.csv")
    store_wide(con, "RW golden", frame, ["x1_staff", "x2_speed", "x3_price"], (1, 10),
               ("y_overall", "Overall", "score", (0, 10)), respondent="resp_id")
    result = driver_data.analyse(store_engine(con), "RW golden", "Overall")
    got = {t.touchpoint: t for t in result.touchpoints}
    assert [t.touchpoint for t in result.touchpoints] == ["x1_staff", "x2_speed", "x3_price"]
    for name, raw, pct, r in (("x1_staff", 0.2455, 57.7371, 0.5917), ("x2_speed", 0.1397, 32.8639, 0.5004),
                              ("x3_price", 0.0400, 9.3991, 0.2990)):
        assert got[name].raw_weight == pytest.approx(raw, abs=GOLD)
        assert 100 * got[name].importance == pytest.approx(pct, abs=GOLD)
        assert got[name].correlation == pytest.approx(r, abs=GOLD)
        assert got[name].n == 200
    assert result.r2 == pytest.approx(0.4251, abs=GOLD)
    assert result.respondents == 200 and result.pair_n == (200, 200)
    # performance is the mean on 0-10 of a 1-10 scale: 10 * (6.125 - 1) / 9
    assert got["x1_staff"].performance == pytest.approx(10 * (6.125 - 1) / 9, abs=1e-12)


def test_known_structure_ranks_as_designed(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(42)
    n = 3000
    dominant, twin_source, other = rng.normal(size=(3, n))
    frame = pd.DataFrame({
        "id": np.arange(n),
        "dominant": dominant,
        "twin_a": twin_source + 0.15 * rng.normal(size=n),  # two collinear touchpoints (r about 0.98)
        "twin_b": twin_source + 0.15 * rng.normal(size=n),
        "moderate": other,
        "irrelevant": rng.normal(size=n),
    })
    frame["y"] = 1.0 * dominant + 0.35 * twin_source + 0.3 * other + rng.normal(size=n)
    tps = ["dominant", "twin_a", "twin_b", "moderate", "irrelevant"]
    frame[[*tps, "y"]] = (5 + frame[[*tps, "y"]]).clip(0, 10)
    store_wide(con, "Synthetic", frame, tps, (0, 10), ("y", "Outcome", "score", (0, 10)))
    shares = driver_data.analyse(store_engine(con), "Synthetic", "Outcome").shares()
    ranking = sorted(shares, key=shares.get, reverse=True)
    assert ranking[0] == "dominant" and shares["dominant"] > 0.6
    assert ranking[-1] == "irrelevant" and shares["irrelevant"] < 0.005
    # The collinear pair splits its weight evenly instead of one taking all (as OLS betas might).
    assert 0.8 < shares["twin_a"] / shares["twin_b"] < 1.25
    assert shares["twin_a"] + shares["twin_b"] > shares["moderate"]


def test_sample_data_ranks_stock_availability_and_support_call_first(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        result = driver_data.analyse(store_engine(con), "Retail sample", "Likelihood to recommend")
    finally:
        con.close()
    assert {t.touchpoint for t in result.touchpoints[:2]} == {"Stock availability", "Support call"}
    assert result.touchpoints[0].importance + result.touchpoints[1].importance > 0.6
    assert [(lo.touchpoint, lo.n) for lo in result.left_out] == [("Installation help", 21)]
    assert "fewer than 30" in result.left_out[0].reason
    assert result.respondents == 4000 and result.rule == PAIRWISE and result.kind == "nps"


@pytest.fixture
def airline(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / "airline_wide.csv")
    frame["satisfied"] = (frame["satisfaction"] == "satisfied").astype("float64")
    services = [c for c in frame.columns if c not in ("id", "Type of Travel", "Class", "satisfaction", "satisfied")]
    store_wide(con, "Airline", frame, services, (1, 5), ("satisfied", "Satisfied", "binary", (0, 1)),
               not_applicable=(0,), segments=("Type of Travel", "Class"))
    return frame


def test_airline_wide_survey_lands_on_the_published_drivers(con: duckdb.DuckDBPyConnection,
                                                            airline: pd.DataFrame) -> None:
    result = driver_data.analyse(store_engine(con), "Airline", "Satisfied")
    ranking = [t.touchpoint for t in result.touchpoints]
    shares = result.shares()
    assert ranking[0] == "Online boarding"
    assert {"Inflight wifi service", "Inflight entertainment", "Seat comfort"} <= set(ranking[1:5])
    assert set(ranking[-2:]) == {"Gate location", "Departure/Arrival time convenient"}
    assert shares["Gate location"] < 0.02 and shares["Departure/Arrival time convenient"] < 0.02
    # 0 = not applicable: counted as missing, never as a low score.
    wifi = next(t for t in result.touchpoints if t.touchpoint == "Inflight wifi service")
    assert wifi.n == int((airline["Inflight wifi service"] != 0).sum()) < len(airline)
    assert wifi.performance == pytest.approx(
        (10 * (airline.loc[airline["Inflight wifi service"] != 0, "Inflight wifi service"] - 1) / 4).mean(), abs=TOL)
    assert result.binary and result.r2_label.startswith("pseudo-R²") and "yes/no" in result.reading()


def test_segment_filter_changes_the_respondents(con: duckdb.DuckDBPyConnection, airline: pd.DataFrame) -> None:
    engine = store_engine(con)
    business = driver_data.analyse(engine, "Airline", "Satisfied",
                                   filters=[Filter("segment:Type of Travel", "in", ("Business travel",))])
    assert business.respondents == int((airline["Type of Travel"] == "Business travel").sum())
    assert driver_data.segment_options(engine, "Airline")["Class"] == ["Business", "Eco", "Eco Plus"]


# ---------------------------------------------------------------- missing data, left out, inconsistency


def _three_groups(con: duckdb.DuckDBPyConnection, name: str, complete: int) -> None:
    """Store answers whose pairwise correlations cannot fit together: A~B, B~C but A~-C.

    Three groups of 100 respondents each answer two of the three touchpoints; `complete` more
    answer all three (independent scores).
    """
    rng = np.random.default_rng(5)
    rows, outcome = [], []
    pairs = (("A", "B", 1.0), ("B", "C", 1.0), ("A", "C", -1.0))
    i = 0
    for first, second, sign in pairs:
        for _ in range(100):
            z = rng.normal()
            rows += [(f"r{i}", first, 5 + 2 * z + 0.1 * rng.normal()), (f"r{i}", second, 5 + sign * 2 * z)]
            outcome.append((f"r{i}", 5 + z + rng.normal()))
            i += 1
    for _ in range(complete):
        values = 5 + 2 * rng.normal(size=3)
        rows += [(f"r{i}", tp, v) for tp, v in zip("ABC", values, strict=True)]
        outcome.append((f"r{i}", 5 + 0.5 * values[0] + rng.normal()))
        i += 1
    responses = pd.DataFrame(rows, columns=["respondent", "touchpoint", "score"]).assign(scale_min=-10.0,
                                                                                          scale_max=20.0)
    outcomes = pd.DataFrame(outcome, columns=["respondent", "value"]).assign(
        outcome="Overall", kind="score", scale_min=0.0, scale_max=10.0)
    store.save_dataset(con, name, responses, outcomes=outcomes)


def test_inconsistent_pairwise_matrix_falls_back_to_listwise(con: duckdb.DuckDBPyConnection) -> None:
    _three_groups(con, "Patchy", complete=40)
    engine = store_engine(con)
    names = ["A", "B", "C"]
    pairwise = driver_data.correlation_summary(engine, "Patchy", "Overall", names)
    assert drivers.smallest_eigenvalue(pairwise.rxx, pairwise.rxy) < -0.1
    result = driver_data.analyse(engine, "Patchy", "Overall")
    assert result.rule == LISTWISE and result.respondents == 40
    notes = data_warnings(result)
    assert len(notes) == 1 and "listwise deletion was used instead" in notes[0]
    assert 0 < result.r2 < 1


def test_inconsistent_pairwise_matrix_without_enough_complete_rows_is_repaired(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _three_groups(con, "Patchy", complete=0)
    result = driver_data.analyse(store_engine(con), "Patchy", "Overall")
    assert result.rule == PAIRWISE
    assert data_warnings(result) == [drivers.INCONSISTENT_WARNING]
    assert 0 < result.r2 < 1 and sum(result.shares().values()) == pytest.approx(1.0)
    with pytest.raises(drivers.DriverInputError, match="only 0 respondents answered all 3 touchpoints"):
        driver_data.analyse(store_engine(con), "Patchy", "Overall", rule=LISTWISE)


def test_consistent_correlations_repair_gives_a_correlation_matrix() -> None:
    rxx = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    rxy = np.array([0.5, 0.5, 0.5])
    fixed_rxx, fixed_rxy, changed = drivers.consistent_correlations(rxx, rxy)
    assert changed
    assert np.allclose(np.diag(fixed_rxx), 1.0)
    assert drivers.smallest_eigenvalue(fixed_rxx, fixed_rxy) > 0
    same = drivers.consistent_correlations(np.eye(2), np.array([0.3, 0.2]))
    assert same[2] is False and same[0].tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_touchpoints_unfit_to_analyse_are_left_out_with_a_reason(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(9)
    n = 200
    frame = pd.DataFrame({"id": np.arange(n), "Main": rng.integers(0, 11, n).astype(float),
                          "Second": rng.integers(0, 11, n).astype(float)})
    frame["Rare"] = np.where(np.arange(n) < 12, rng.integers(0, 11, n), np.nan)  # 12 answers
    frame["Flat"] = 7.0  # everyone gave the same score
    frame["Early"] = np.where(np.arange(n) < 100, rng.integers(0, 11, n), np.nan)
    frame["Late"] = np.where(np.arange(n) >= 90, rng.integers(0, 11, n), np.nan)  # 10 in common with Early
    frame["y"] = (frame["Main"] + rng.normal(size=n)).clip(0, 10)
    store_wide(con, "Gaps", frame, ["Main", "Second", "Rare", "Flat", "Early", "Late"], (0, 10),
               ("y", "Overall", "score", (0, 10)))
    result = driver_data.analyse(store_engine(con), "Gaps", "Overall", min_n=30)
    reasons = {lo.touchpoint: (lo.n, lo.reason) for lo in result.left_out}
    assert reasons["Rare"] == (12, "only 12 answers from respondents with the outcome (fewer than 30)")
    assert reasons["Flat"][1].startswith("every respondent gave it the same score")
    # Early (100 answers) and Late (110) share 10 respondents: the one with fewer answers goes.
    assert reasons["Early"] == (100, "only 10 respondents answered both it and 'Late' (fewer than 30), "
                                     "so their correlation is not reliable")
    assert {t.touchpoint for t in result.touchpoints} == {"Main", "Second", "Late"}
    assert result.touchpoints[0].touchpoint == "Main"


def test_outcomes_are_listed_and_an_unknown_one_is_named(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        engine = store_engine(con)
        assert [(o.name, o.kind) for o in driver_data.outcome_list(engine, "Retail sample")] == [
            ("Likelihood to recommend", "nps"), ("Churned", "binary"), ("Revenue", "value")]
        with pytest.raises(driver_data.UnknownOutcome) as info:
            driver_data.analyse(engine, "Retail sample", "NPS")
    finally:
        con.close()
    assert str(info.value) == ("Data set 'Retail sample' has no outcome 'NPS'. Its outcomes: "
                               "'Likelihood to recommend' (nps), 'Churned' (binary), 'Revenue' (value).")


def test_bootstrap_intervals_cover_the_estimate_and_report_progress(con: duckdb.DuckDBPyConnection,
                                                                    mixed: pd.DataFrame) -> None:
    engine = store_engine(con)
    result = driver_data.analyse(engine, "Mixed", "Recommend")
    calls: list[float] = []
    first = driver_data.bootstrap_intervals(engine, result, resamples=60, seed=4, progress=calls.append)
    again = driver_data.bootstrap_intervals(engine, result, resamples=60, seed=4)
    assert first.bounds == again.bounds and calls[-1] == 1.0 and len(calls) == 60
    assert not first.sampled and first.respondents_used == result.respondents
    for t in result.touchpoints:
        low, high = first.bounds[t.touchpoint]
        assert low < t.importance < high
    sub = driver_data.bootstrap_intervals(engine, result, resamples=60, seed=4, limit=150)
    assert sub.sampled and sub.respondents_used < result.respondents and "random" in sub.note


def test_bootstrap_note_states_the_respondents_actually_resampled(con: duckdb.DuckDBPyConnection,
                                                                  mixed: pd.DataFrame) -> None:
    engine = store_engine(con)
    result = driver_data.analyse(engine, "Mixed", "Recommend", rule=LISTWISE)
    complete = len(mixed.dropna())  # pandas: respondents with every touchpoint and the outcome
    assert result.respondents == complete < len(mixed)
    full = driver_data.bootstrap_intervals(engine, result, resamples=40, seed=2)
    assert not full.sampled and full.respondents_used == full.respondents_total == complete
    assert f"bootstrap resamples of the {complete:,} respondents in the analysis" in full.note
    # Above the limit: a random subset of the *complete* respondents, every one of them used.
    part = driver_data.bootstrap_intervals(engine, result, resamples=40, seed=2, limit=60)
    x, y, total, sampled = driver_data.respondent_rows(engine, "Mixed", "Recommend",
                                                       [t.touchpoint for t in result.touchpoints],
                                                       limit=60, seed=2, rule=LISTWISE)
    used = int((np.isfinite(x).all(axis=1) & np.isfinite(y)).sum())
    assert sampled and total == complete and used == len(y) < complete
    assert part.sampled and (part.respondents_used, part.respondents_total) == (used, complete)
    assert f"a random {used:,} of the {complete:,} respondents in the analysis" in part.note
    # Pairwise: everyone with the outcome and an answer.
    pairwise = driver_data.analyse(engine, "Mixed", "Recommend")
    intervals = driver_data.bootstrap_intervals(engine, pairwise, resamples=40, seed=2)
    assert intervals.respondents_used == len(mixed) == pairwise.respondents
    assert f"of the {len(mixed):,} respondents in the analysis" in intervals.note


# ---------------------------------------------------------------- direction: negative drivers and suppressors


def planted_frame(n: int = 2000, seed: int = 21) -> pd.DataFrame:
    """Return a wide survey (scale -10..20) with a planted suppressor (x2) and negative driver (x3).

    x1 = t + e and x2 = e share the noise e; y = t + 0.1 e - 0.6 u + 0.2 v: x2 barely correlates
    with y but gets a negative weight next to x1; x3 = u pulls y down; x4 = v is a small lever.
    """
    rng = np.random.default_rng(seed)
    t, e, u, v, noise = rng.normal(size=(5, n))
    return pd.DataFrame({"id": np.arange(n), "x1": 5 + t + e, "x2": 2 + e, "x3": 1 + u, "x4": 2.5 + v,
                         "y": 5 + t + 0.1 * e - 0.6 * u + 0.2 * v + 0.5 * noise})


def store_planted(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    frame = planted_frame()
    store_wide(con, "Planted", frame, ["x1", "x2", "x3", "x4"], (-10, 20), ("y", "Overall", "score", (0, 10)))
    return frame


def _expected_signs(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pearson r and standardised betas by least squares, computed here."""
    x = frame[["x1", "x2", "x3", "x4"]].to_numpy()
    y = frame["y"].to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    beta, *_ = np.linalg.lstsq(z, (y - y.mean()) / y.std(), rcond=None)
    return frame[["x1", "x2", "x3", "x4"]].corrwith(frame["y"]).to_numpy(), beta


def test_cli_drivers_json_gives_direction_and_keeps_negative_drivers_out_of_fix_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "planted.duckdb"
    con = store.connect(db)
    store.set_setting(con, "seeded_at", "never")
    frame = store_planted(con)
    con.close()
    r, beta = _expected_signs(frame)
    assert r[1] > 0 > beta[1] and r[2] < 0 and beta[2] < 0  # the plant: x2 suppressor, x3 negative
    code, out, err = _cli(capsys, "drivers", "--dataset", "Planted", "--outcome", "Overall", "--json", "--db", str(db))
    assert code == 0, err
    payload = json.loads(out)
    rows = {row["touchpoint"]: row for row in payload["touchpoints"]}
    for j, name in enumerate(["x1", "x2", "x3", "x4"]):
        assert rows[name]["beta"] == pytest.approx(beta[j], abs=1e-9)
        assert rows[name]["direction"] == ("negative" if beta[j] < 0 else "positive")
        assert rows[name]["suppressor"] is bool(r[j] * beta[j] < 0)
    assert [rows[n]["suppressor"] for n in ("x1", "x2", "x3", "x4")] == [False, True, False, False]
    # The README's fields are all still there.
    assert {"touchpoint", "importance", "raw_weight", "correlation", "beta", "performance", "n"} <= set(rows["x1"])
    assert [w for w in payload["warnings"] if w.startswith("'x2' is a suppressor")]
    assert [w for w in payload["warnings"] if w.startswith("'x3' is a negative driver")]
    assert not [w for w in payload["warnings"] if w.startswith(("'x1'", "'x4'"))]
    assert {row["touchpoint"] for row in payload["fix_first"]} == {"x1", "x4"}
    assert payload["not_ranked"] == sorted(
        [{"touchpoint": "x2", "reason": "suppressor"}, {"touchpoint": "x3", "reason": "negative driver"}],
        key=lambda item: -rows[item["touchpoint"]]["importance"])
    # The order: quadrant first, as stated; the target is the mean performance of all four.
    mean = sum(row["performance"] for row in rows.values()) / 4
    assert payload["fix_first_target"] == pytest.approx(mean) and payload["fix_first_importance_cut"] == 0.25
    assert payload["fix_first_rule"] == drivers.FIX_FIRST_RULE
    quadrants = [row["quadrant"] for row in payload["fix_first"]]
    assert [drivers.FIX_FIRST_ORDER.index(q) for q in quadrants] == sorted(
        drivers.FIX_FIRST_ORDER.index(q) for q in quadrants)
    assert [row["rank"] for row in payload["fix_first"]] == [1, 2]
    x4 = next(row for row in payload["fix_first"] if row["touchpoint"] == "x4")
    assert x4["gap"] == pytest.approx(mean - rows["x4"]["performance"])


def test_driver_frame_and_csv_name_negative_drivers_and_carry_the_fix_first_rank(
    con: duckdb.DuckDBPyConnection,
) -> None:
    store_planted(con)
    result = driver_data.analyse(store_engine(con), "Planted", "Overall")
    share, target = result.cuts()
    frame = driver_charts.driver_frame(result, share, target)
    by_name = frame.set_index("touchpoint")
    assert by_name.loc["x2", "quadrant"] == drivers.SUPPRESSOR and by_name.loc["x2", "direction"] == "negative"
    assert by_name.loc["x3", "quadrant"] == drivers.NEGATIVE_DRIVER and by_name.loc["x3", "direction"] == "negative"
    assert by_name.loc[["x2", "x3"], "fix_first_rank"].isna().all()
    ranked = [item.touchpoint for item in result.fix_first(target, share)]
    assert by_name.loc[ranked, "fix_first_rank"].tolist() == list(range(1, len(ranked) + 1))
    csv = exports.safe_csv(frame).decode()
    assert "direction" in csv.splitlines()[0] and "fix_first_rank" in csv.splitlines()[0]
    assert ",suppressor," in csv and ",negative driver," in csv
    spec = json.dumps(driver_charts.ipa_chart(frame, 100 * share, target, result.respondents).to_dict())
    assert drivers.SUPPRESSOR in spec and drivers.NEGATIVE_DRIVER in spec


def test_on_the_churn_outcome_a_negative_beta_is_a_lever(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        engine = store_engine(con)
        churn = next(o for o in driver_data.outcome_list(engine, "Retail sample") if o.name == "Churned")
        result = driver_data.analyse(engine, "Retail sample", "Churned")
    finally:
        con.close()
    assert churn.role == "churn" and not churn.higher_is_better and not result.higher_is_better
    stock = next(t for t in result.touchpoints if t.touchpoint == "Stock availability")
    # Better stock, less churn: beta < 0 is the direction a lever has here, so it is ranked.
    assert stock.direction == "negative" and stock.correlation < 0 and stock.caution is None
    assert result.fix_first()[0].touchpoint == "Stock availability"
    assert not [w for w in result.warnings if w.startswith("'Stock availability'")]
    assert result.as_dict()["higher_is_better"] is False


def test_drivers_page_marks_negative_drivers_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "planted.duckdb"
    con = store.connect(db)
    store.set_setting(con, "seeded_at", "never")
    store_planted(con)
    con.close()
    monkeypatch.setenv("CX_DB", str(db))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "6_Drivers.py"), default_timeout=60)
        at.session_state["drivers_resamples"] = 100
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        table = at.dataframe[0].value.set_index("touchpoint")
        assert table.loc["x2", "quadrant"] == "suppressor" and table.loc["x3", "quadrant"] == "negative driver"
        assert table.loc["x3", "direction"] == "negative" and table.loc["x1", "direction"] == "positive"
        warnings = [_unescape(w.value) for w in at.warning]
        assert any(w.startswith("'x2' is a suppressor") for w in warnings)
        assert any(w.startswith("'x3' is a negative driver") for w in warnings)
        captions = [_unescape(c.value) for c in at.caption]
        assert any(c.startswith("Not ranked") and "x2 (suppressor)" in c and "x3 (negative driver)" in c
                   for c in captions)
        fix = _unescape(next(m.value for m in at.markdown if m.value.startswith("Ranked quadrant by quadrant")))
        assert "x4:" in fix and "x2:" not in fix and "x3:" not in fix
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


# ---------------------------------------------------------------- moment comparison


def _moment_data(con: duckdb.DuckDBPyConnection) -> None:
    # r1-r3 rated Stock low (1, 2, 4 on 0-10), r4-r6 high (6, 8, 10); r7-r8 never met Stock.
    stock = {"r1": 1, "r2": 2, "r3": 4, "r4": 6, "r5": 8, "r6": 10}
    responses = pd.DataFrame([(r, "Stock", float(s)) for r, s in stock.items()]
                             + [(f"r{i}", "Web", 5.0 + i % 3) for i in range(1, 9)],
                             columns=["respondent", "touchpoint", "score"]).assign(scale_min=0.0, scale_max=10.0)
    recommend = [3, 9, 5, 10, 9, 7, 10, 6]  # low: 1 promoter 2 detractors; high: 2 promoters 0 detractors
    churned = [1, 1, 0, 0, 0, 0, 1, 0]
    outcomes = pd.concat([
        pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "outcome": "Recommend", "kind": "nps",
                      "value": [float(v) for v in recommend], "scale_min": 0.0, "scale_max": 10.0}),
        pd.DataFrame({"respondent": [f"r{i}" for i in range(1, 9)], "outcome": "Churned", "kind": "binary",
                      "value": [float(v) for v in churned], "scale_min": 0.0, "scale_max": 1.0}),
    ])
    store.save_dataset(con, "Moments", responses, outcomes=outcomes)


def test_moment_comparison_low_vs_high_on_nps(con: duckdb.DuckDBPyConnection) -> None:
    _moment_data(con)
    m = driver_data.moment_comparison(store_engine(con), "Moments", "Recommend", "Stock", cut=5.0)
    assert (m.a.n, m.b.n) == (3, 3)
    assert m.a.value == pytest.approx(100 * (1 - 2) / 3) and m.b.value == pytest.approx(100 * 2 / 3)
    se_a = 100 * math.sqrt((1 / 3 + 2 / 3 - (1 / 3 - 2 / 3) ** 2) / 3)
    se_b = 100 * math.sqrt((2 / 3 - (2 / 3) ** 2) / 3)
    assert m.diff == pytest.approx(-100.0) and m.se == pytest.approx(math.hypot(se_a, se_b))
    assert m.measure == "NPS" and "NPS" in m.test
    assert m.sentence.startswith(
        "Customers who rated Stock low (below 5 of 10) give an NPS of -33 on 'Recommend', 100 NPS points lower "
        "than customers who rated it 5 or higher (+67; n = 3 vs 3).")


def test_moment_comparison_went_through_vs_not_on_a_yes_no_outcome(con: duckdb.DuckDBPyConnection) -> None:
    _moment_data(con)
    m = driver_data.moment_comparison(store_engine(con), "Moments", "Churned", "Stock", mode=driver_data.THROUGH)
    assert (m.a.n, m.b.n) == (6, 2) and (m.a.successes, m.b.successes) == (2, 1)
    assert m.a.value == pytest.approx(100 / 3) and m.b.value == pytest.approx(50.0)
    expected = drivers.share_difference_test(2, 6, 1, 2)
    assert m.diff == pytest.approx(expected["diff"]) and m.p_two_sided == pytest.approx(expected["p_two_sided"])
    assert "percentage points less often" in m.sentence and "not statistically significant" in m.sentence


def test_moment_comparison_needs_two_per_group(con: duckdb.DuckDBPyConnection) -> None:
    _moment_data(con)
    with pytest.raises(drivers.DriverInputError, match="only 1 respondent"):
        driver_data.moment_comparison(store_engine(con), "Moments", "Recommend", "Stock", cut=2.0)


def test_sample_moment_comparison_finds_the_stock_story(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        m = driver_data.moment_comparison(store_engine(con), "Retail sample", "Likelihood to recommend",
                                          "Stock availability")
    finally:
        con.close()
    assert m.significant and m.diff < -30
    assert m.sentence.startswith("Customers who rated Stock availability low (below 5 of 10) give an NPS of")


def test_mean_and_share_difference_from_summaries() -> None:
    a, b = [4.0, 6.0, 8.0], [1.0, 2.0, 3.0, 6.0]
    from_stats = drivers.mean_difference_from_stats(np.mean(a), np.std(a, ddof=1), 3, np.mean(b), np.std(b, ddof=1), 4)
    assert from_stats == pytest.approx(drivers.mean_difference_test(a, b))
    share = drivers.share_difference_test(30, 100, 20, 100)
    assert share["diff"] == pytest.approx(10.0)
    assert share["se"] == pytest.approx(100 * math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100))


# ---------------------------------------------------------------- charts


def test_ipa_chart_labels_every_point_and_names_the_quadrants(con: duckdb.DuckDBPyConnection,
                                                              mixed: pd.DataFrame) -> None:
    result = driver_data.analyse(store_engine(con), "Mixed", "Recommend")
    frame = driver_charts.driver_frame(result, 0.2, 5.0)
    spec = driver_charts.ipa_chart(frame, 20.0, 5.0, result.respondents).to_dict()
    text = json.dumps(spec)
    for quadrant in drivers.QUADRANTS:
        assert quadrant in text
    layers = spec["layer"]
    assert any(layer["mark"].get("type") == "text" and layer["encoding"]["text"]["field"] == "touchpoint"
               for layer in layers)
    assert f"n = {result.respondents:,} respondents" in text


# ---------------------------------------------------------------- command line


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_drivers_json_contract(seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "drivers", "--dataset", "Retail sample", "--outcome", "Likelihood to recommend",
                          "--json", "--db", str(seeded_db))
    assert code == 0, err
    payload = json.loads(out)
    assert {"dataset", "outcome", "kind", "rule", "r2", "respondents", "touchpoints", "left_out"} <= set(payload)
    assert payload["dataset"] == "Retail sample" and payload["rule"] == "pairwise"
    rows = payload["touchpoints"]
    assert {"touchpoint", "importance", "correlation", "performance", "n"} <= set(rows[0])
    assert [r["touchpoint"] for r in rows[:2]] == ["Stock availability", "Support call"]
    assert sum(r["importance"] for r in rows) == pytest.approx(1.0, abs=1e-12)
    assert [r["importance"] for r in rows] == sorted((r["importance"] for r in rows), reverse=True)
    assert all(0 <= r["performance"] <= 10 and r["n"] >= 30 for r in rows)
    assert 0 < payload["r2"] < 1
    assert payload["left_out"] == [{"touchpoint": "Installation help", "n": 21,
                                    "reason": "only 21 answers from respondents with the outcome (fewer than 30)"}]


def test_cli_drivers_filter_and_listwise(seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "drivers", "--dataset", "Retail sample", "--outcome", "Likelihood to recommend",
                        "--json", "--db", str(seeded_db), "--filter", "persona=Early adopter", "--rule", "listwise")
    payload = json.loads(out)
    assert code == 0 and payload["rule"] == "listwise"
    assert payload["filters"] == [{"column": "segment:persona", "values": ["Early adopter"]}]
    assert payload["pair_n"]["min"] == payload["pair_n"]["max"] == payload["respondents"] < 800


def test_cli_drivers_on_an_imported_wide_survey(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "air.duckdb")
    con = store.connect(db)
    store.set_setting(con, "seeded_at", "never")  # no sample data: only the imported survey
    con.close()
    code, _, err = _cli(capsys, "ingest", str(FIXTURES / "airline_wide.csv"), "--mapping",
                        str(FIXTURES / "airline_mapping.json"), "--dataset", "Airline", "--db", db)
    assert code == 0, err
    code, out, err = _cli(capsys, "drivers", "--dataset", "Airline", "--outcome", "satisfaction", "--json",
                          "--db", db)
    assert code == 0, err
    payload = json.loads(out)
    ranking = [r["touchpoint"] for r in payload["touchpoints"]]
    assert payload["kind"] == "binary" and payload["r2_label"] == "pseudo-R² (linear probability)"
    assert ranking[0] == "Online boarding" and len(ranking) == 14
    assert set(ranking[-2:]) == {"Gate location", "Departure/Arrival time convenient"}
    wifi = next(r for r in payload["touchpoints"] if r["touchpoint"] == "Inflight wifi service")
    assert wifi["n"] == int((pd.read_csv(FIXTURES / "airline_wide.csv")["Inflight wifi service"] != 0).sum())


def test_cli_unknown_outcome_lists_the_outcomes(seeded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "drivers", "--dataset", "Retail sample", "--outcome", "Loyalty",
                          "--db", str(seeded_db))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0
    assert "no outcome 'Loyalty'" in err and "'Likelihood to recommend' (nps)" in err


# ---------------------------------------------------------------- the Drivers page (AppTest)


@pytest.fixture
def drivers_app(seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CX_DB", str(seeded_db))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.session_state["drivers_resamples"] = 100  # fewer bootstrap resamples: a faster test
    at.switch_page("pages/6_Drivers.py")
    yield at
    st.cache_resource.clear()
    st.cache_data.clear()


def _unescape(text: str) -> str:
    # Markdown escapes: backslashes, and the invisible word joiners that break links and icons.
    return text.replace("\\", "").replace("\u2060", "")


def test_drivers_page_shows_chart_table_and_fix_first(drivers_app: AppTest) -> None:
    drivers_app.run()
    assert not drivers_app.exception, [e.value for e in drivers_app.exception]
    assert drivers_app.selectbox(key="choice_outcome").value == "Likelihood to recommend"
    tiles = {m.label: m.value for m in drivers_app.metric}
    assert tiles["Touchpoints analysed"] == "9 of 10" and tiles["Respondents"] == "4,000"
    assert float(tiles["R²"]) > 0.3
    table = drivers_app.dataframe[0].value
    assert table["touchpoint"].tolist()[:2] == ["Stock availability", "Support call"]
    assert table["importance"].sum() == pytest.approx(100.0)
    assert (table["low"] < table["importance"]).all() and (table["importance"] < table["high"]).all()
    chart = drivers_app.get("vega_lite_chart")[0].proto
    assert "fix first" in chart.spec and "possible overkill" in chart.spec
    data = " ".join(str(d.data) for d in chart.datasets)
    assert "Stock availability" in data
    fix = _unescape(next(m.value for m in drivers_app.markdown if m.value.startswith("Ranked quadrant by quadrant")))
    assert fix.startswith(_unescape(drivers.FIX_FIRST_RULE))  # the rule, in one sentence, above the list
    assert "1. Stock availability: important (" in fix and "below target" in fix and "— fix first" in fix
    assert any("Installation help" in i.value and "fewer than 30" in i.value for i in drivers_app.info)
    assert any("Missing answers: pairwise deletion" in c.value for c in drivers_app.caption)


def test_drivers_page_compares_segments_and_moments(drivers_app: AppTest) -> None:
    drivers_app.run()
    drivers_app.selectbox(key="drivers_segment").set_value("customer_type").run()
    assert not drivers_app.exception, [e.value for e in drivers_app.exception]
    labels = [m.label for m in drivers_app.metric]
    assert "R² · New" in labels and "R² · Returning" in labels
    specs = [c.proto.spec for c in drivers_app.get("vega_lite_chart")]
    assert any("Drivers side by side" in s for s in specs)
    moment = _unescape(next(w.value for w in drivers_app.warning if "Customers who rated" in w.value))
    assert moment.startswith("Customers who rated Stock availability low (below 5 of 10) give an NPS of")
    assert "statistically significant" in moment
    drivers_app.radio(key="drivers_mode").set_value(driver_data.THROUGH).run()
    assert not drivers_app.exception
    assert any("went through Stock availability" in _unescape(m.label) for m in drivers_app.metric)


def test_drivers_page_with_targets_and_a_yes_no_outcome(drivers_app: AppTest) -> None:
    drivers_app.query_params["outcome"] = "Churned"
    drivers_app.session_state["drivers_lines"] = "my targets"
    drivers_app.run()
    drivers_app.number_input(key="drivers_target").set_value(8.0).run()
    assert not drivers_app.exception, [e.value for e in drivers_app.exception]
    assert drivers_app.selectbox(key="choice_outcome").value == "Churned"
    assert "pseudo-R² (linear probability)" in {m.label for m in drivers_app.metric}
    assert any("The outcome is yes/no" in m.value for m in drivers_app.markdown)
    fix = _unescape(next(m.value for m in drivers_app.markdown if m.value.startswith("Ranked quadrant by quadrant")))
    assert "vs 8.0)" in fix  # every gap is measured to the user's target
