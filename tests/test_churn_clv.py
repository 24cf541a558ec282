"""Churn, retention and CLV read the outcomes the user marked (role), and CLV cannot mislead.

Golden values are computed here from the raw numbers with numpy, independently of cx.metrics:
CLV = margin × mean revenue × (1 + d) / (d + churn rate), its 95 % interval on the log scale.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from cx import comparisons, guesses, ingest, mapping, mapping_form, metrics, store
from cx.__main__ import main
from cx.engines import parquet_engine, store_engine
from cx.errors import InvalidInput, MappingError
from cx.metrics import compute
from cx.models import ClvSettings
from tests.conftest import long_rows, no_exceptions

Z = 1.959964  # the z of a 95 % interval, as in GOLDENS.md


def _save(con: duckdb.DuckDBPyConnection, name: str, revenue: list[float] | None, churned: list[float] | None,
          *, churn_name: str = "Churned", segment: list[str] | None = None) -> None:
    """Store one data set: a revenue and a churn outcome per customer (either may be left out)."""
    n = len(revenue if revenue is not None else churned or [])
    people = [f"c{i}" for i in range(n)]
    frames = []
    if revenue is not None:
        frames.append(pd.DataFrame({"respondent": people, "outcome": "Revenue", "kind": "value", "value": revenue,
                                    "scale_min": None, "scale_max": None, "role": "revenue"}))
    if churned is not None:
        frames.append(pd.DataFrame({"respondent": people, "outcome": churn_name, "kind": "binary", "value": churned,
                                    "scale_min": 0.0, "scale_max": 1.0, "role": "churn"}))
    segments = None if segment is None else pd.DataFrame({"respondent": people, "name": "plan", "value": segment})
    store.save_dataset(con, name, long_rows("T", [3] * n, 1, 5).assign(respondent=people),
                       outcomes=pd.concat(frames), segments=segments)


def _expected(revenue: list[float], churned: list[float], margin: float = 1.0, d: float = 0.0
              ) -> tuple[float, float, float]:
    """Return (CLV, low, high) from the raw numbers: the formula and the log-scale delta-method interval."""
    r, c = np.asarray(revenue), float(np.mean(churned))
    value = margin * r.mean() * (1 + d) / (d + c)
    se_log = math.sqrt(r.var(ddof=1) / (len(r) * r.mean() ** 2) + c * (1 - c) / (len(churned) * (d + c) ** 2))
    return value, value * math.exp(-Z * se_log), value * math.exp(Z * se_log)


REVENUE_40 = [float(x) for x in np.random.default_rng(11).lognormal(np.log(200), 0.6, 40).round(2)]


def _clv(con: duckdb.DuckDBPyConnection, name: str, **kw: object) -> metrics.MetricResult:
    (result,) = compute(store_engine(con), ["clv"], dataset=name, **kw)  # type: ignore[arg-type]
    return result


# ---------------------------------------------------------------- CLV golden values


def test_clv_by_hand_with_many_churners(con: duckdb.DuckDBPyConnection) -> None:
    _save(con, "Four", [100.0, 200.0, 300.0, 400.0], [1.0, 0.0, 0.0, 0.0])
    clv = _clv(con, "Four")
    assert clv.value == pytest.approx(1000.0)  # mean revenue 250 per period ÷ churn rate 1/4
    churned = [1.0] * 10 + [0.0] * 30
    _save(con, "Forty", REVENUE_40, churned)
    clv = _clv(con, "Forty", min_n=10)
    value, low, high = _expected(REVENUE_40, churned)
    assert (clv.value, clv.low, clv.high) == pytest.approx((value, low, high), rel=1e-9)
    assert 0 < clv.low < clv.value < clv.high and not clv.low_n
    assert clv.value == pytest.approx(float(np.mean(REVENUE_40)) * 4)


def test_one_churner_in_forty_is_low_n_with_an_interval_above_zero(con: duckdb.DuckDBPyConnection) -> None:
    churned = [1.0] + [0.0] * 39
    _save(con, "One", REVENUE_40, churned)
    clv = _clv(con, "One")
    value, low, high = _expected(REVENUE_40, churned)
    assert clv.value == pytest.approx(float(np.mean(REVENUE_40)) * 40)  # lifetime 1 / (1/40) = 40 periods
    assert (clv.low, clv.high) == pytest.approx((low, high), rel=1e-9)
    assert clv.low > 0  # a Wald interval would go far below 0 here
    assert clv.high / clv.value == pytest.approx(clv.value / clv.low)  # symmetric on the log scale
    assert clv.low_n  # 40 customers, but one churned customer behind the rate


def test_few_churners_flag_low_n_even_with_many_customers(con: duckdb.DuckDBPyConnection) -> None:
    churned = [1.0] * 5 + [0.0] * 95
    _save(con, "Few", [100.0] * 50 + [300.0] * 50, churned)
    results = {r.metric: r for r in compute(store_engine(con), ["clv", "churn_rate"], dataset="Few")}
    assert results["churn_rate"].n == 100 and not results["churn_rate"].low_n
    assert results["clv"].value == pytest.approx(200.0 / 0.05) and results["clv"].low_n


def test_zero_churners_leave_clv_undefined_and_say_why(con: duckdb.DuckDBPyConnection) -> None:
    _save(con, "Loyal", [100.0, 200.0, 300.0], [0.0, 0.0, 0.0])
    clv = _clv(con, "Loyal")
    assert clv.value is None and clv.low is None
    assert clv.reason == "no churned customers in this selection: churn rate is 0, CLV is undefined"
    assert _clv(con, "Loyal", clv=ClvSettings(discount=0.1)).value is None  # a discount does not make 0 churn fine


def test_no_revenue_outcome_has_its_own_reason(con: duckdb.DuckDBPyConnection) -> None:
    _save(con, "Churn only", None, [1.0, 0.0])
    clv = _clv(con, "Churn only")
    assert clv.value is None and "marked as revenue" in (clv.reason or "") and "churned" not in (clv.reason or "")
    _save(con, "Revenue only", [10.0, 20.0], None)
    assert 'marked as churn (mapping: "role": "churn")' in (_clv(con, "Revenue only").reason or "")


def test_margin_and_discount_are_applied(con: duckdb.DuckDBPyConnection) -> None:
    churned = [1.0] * 10 + [0.0] * 30
    _save(con, "Settings", REVENUE_40, churned)
    settings = ClvSettings(margin=0.3, period="year", discount=0.1)
    clv = _clv(con, "Settings", clv=settings, min_n=10)
    value, low, high = _expected(REVENUE_40, churned, margin=0.3, d=0.1)
    assert (clv.value, clv.low, clv.high) == pytest.approx((value, low, high), rel=1e-9)
    assert clv.value == pytest.approx(0.3 * float(np.mean(REVENUE_40)) * 1.1 / 0.35)
    formula = metrics.clv_formula(clv, settings)
    assert formula.startswith("CLV = 0.3 × ") and "per year × (1 + 0.1) / (0.1 + 0.25)" in formula
    assert f"= {clv.value:,.2f}" in formula and "10 churned of 40" in formula


def test_the_settings_hold_for_a_group_and_the_rest_of_it(con: duckdb.DuckDBPyConnection) -> None:
    revenue = [100.0, 200.0, 300.0, 400.0, 50.0, 150.0, 250.0, 350.0]
    churned = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    _save(con, "Plans", revenue, churned, segment=["gold"] * 4 + ["basic"] * 4)
    settings = ClvSettings(margin=0.5, discount=0.2)
    engine = store_engine(con)
    (total,) = compute(engine, ["clv"], dataset="Plans", clv=settings)
    basic, gold = compute(engine, ["clv"], dataset="Plans", by="segment:plan", clv=settings)
    assert gold.value == pytest.approx(0.5 * 250.0 * 1.2 / (0.2 + 0.25))
    assert basic.value == pytest.approx(0.5 * 200.0 * 1.2 / (0.2 + 0.5))
    rest = comparisons.rest_of(total, gold)  # total − group statistics, finished by the registry's definition
    assert (rest.value, rest.low, rest.high) == pytest.approx((basic.value, basic.low, basic.high))


# ---------------------------------------------------------------- churn by role, not by name


def test_churn_reads_the_outcome_marked_churn_whatever_its_name(con: duckdb.DuckDBPyConnection) -> None:
    _save(con, "Cancelled", [100.0, 200.0, 300.0, 400.0], [1.0, 1.0, 0.0, 0.0], churn_name="Cancelled plan")
    results = {r.metric: r for r in compute(store_engine(con), ["churn_rate", "retention_rate", "clv"],
                                            dataset="Cancelled")}
    assert (results["churn_rate"].value, results["retention_rate"].value) == (50.0, 50.0)
    assert results["clv"].value == pytest.approx(250.0 / 0.5)


AIRLINE = "id,Seat comfort,churned,revenue\n1,4,yes,100\n2,2,no,200\n3,5,no,300\n4,1,yes,400\n"
BASE = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort"], "scale": [1, 5]}


def _import(con: duckdb.DuckDBPyConnection, tmp_path: Path, outcomes: list[dict[str, object]], name: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(AIRLINE, encoding="utf-8")
    result, _, _ = ingest.ingest_file(con, path, mapping.from_dict({**BASE, "outcomes": outcomes}), name=name)
    assert result is not None


def test_an_outcome_named_churn_but_not_marked_gives_no_churn_on_a_new_import(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    churn = {"column": "churned", "kind": "binary", "positive": "yes"}
    revenue = {"column": "revenue", "kind": "value"}
    _import(con, tmp_path, [churn, revenue], "Unmarked")
    results = {r.metric: r for r in compute(store_engine(con), ["churn_rate", "clv"], dataset="Unmarked")}
    assert results["churn_rate"].value is None
    assert 'a binary outcome marked as churn (mapping: "role": "churn")' in (results["churn_rate"].reason or "")
    assert results["clv"].value is None
    _import(con, tmp_path, [{**churn, "role": "churn"}, {**revenue, "role": "revenue"}], "Marked")
    results = {r.metric: r for r in compute(store_engine(con), ["churn_rate", "clv"], dataset="Marked")}
    assert results["churn_rate"].value == 50.0 and results["clv"].value == pytest.approx(250.0 / 0.5)
    assert con.execute("SELECT DISTINCT outcome, role FROM outcomes WHERE dataset = 'Marked' ORDER BY 1").fetchall() \
        == [("churned", "churn"), ("revenue", "revenue")]


# ---------------------------------------------------------------- the mapping


@pytest.mark.parametrize(("outcome", "words"), [
    ({"column": "left", "kind": "value", "role": "churn"}, ["outcome 'left'", "role 'churn' needs kind 'binary'",
                                                            "\"kind\": \"binary\" or remove the role"]),
    ({"column": "spend", "kind": "binary", "positive": "y", "role": "revenue"},
     ["outcome 'spend'", "role 'revenue' needs kind 'value'"]),
    ({"column": "x", "kind": "binary", "positive": "y", "role": "loyalty"}, ["outcome 'x'", "churn or revenue"]),
    ({"column": "x", "kind": "binary", "positive": "y", "role": 1}, ["outcome 'x'", "\"role\""]),
])
def test_a_wrong_role_is_a_mapping_error_naming_the_outcome_and_the_fix(outcome: dict[str, object],
                                                                       words: list[str]) -> None:
    with pytest.raises(MappingError) as caught:
        mapping.from_dict({**BASE, "outcome": outcome})
    for word in words:
        assert word in str(caught.value)


def test_two_outcomes_marked_churn_are_refused() -> None:
    two = [{"column": c, "kind": "binary", "positive": "y", "role": "churn"} for c in ("a", "b")]
    with pytest.raises(MappingError, match="'a' and 'b' are all marked"):
        mapping.from_dict({**BASE, "outcomes": two})


def test_role_and_clv_round_trip_and_old_mappings_still_read() -> None:
    data = {**BASE, "outcome": {"column": "churned", "kind": "binary", "positive": "yes", "role": "churn"},
            "clv": {"margin": 0.3, "period": "year", "discount": 0.1}}
    parsed = mapping.from_dict(data)
    assert parsed.outcomes[0].role == "churn" and parsed.clv == ClvSettings(0.3, "year", 0.1)
    again = mapping.from_dict(json.loads(json.dumps(parsed.to_dict())))
    assert again == parsed and again.to_dict()["clv"] == data["clv"]
    old = mapping.from_dict({**BASE, "outcome": {"column": "churned", "kind": "binary", "positive": "yes"}})
    assert old.outcomes[0].role is None and old.clv == ClvSettings() and "clv" not in old.to_dict()
    assert mapping.clv_of(None) == ClvSettings() and mapping.clv_of(parsed.to_dict()) == parsed.clv


@pytest.mark.parametrize("clv", [{"margin": 0}, {"margin": 1.5}, {"discount": -0.1}, {"period": " "},
                                 {"margin": "30 %"}, {"rate": 0.1}, [0.3]])
def test_bad_clv_settings_are_mapping_errors(clv: object) -> None:
    with pytest.raises(MappingError, match="clv"):
        mapping.from_dict({**BASE, "clv": clv})


def _profile(name: str, top: tuple[str, ...] = (), numbers: int = 0, lo: float | None = None,
             hi: float | None = None, distinct: int = 2) -> guesses.ColumnProfile:
    return guesses.ColumnProfile(name=name, rows=20, filled=20, numbers=numbers, comma_numbers=0, whole=numbers,
                                 lo=lo, hi=hi, distinct=distinct, max_length=5, mean_length=3.0, dates=0, top=top)


@pytest.mark.parametrize(("profile", "kind", "role"), [
    (_profile("Churned", ("yes", "no")), "binary", "churn"),
    (_profile("Cancelled", ("Y", "N")), "binary", "churn"),
    (_profile("has_left", ("1", "0"), numbers=20, lo=0, hi=1), "binary", "churn"),
    (_profile("satisfaction", ("satisfied", "dissatisfied")), "binary", None),
    (_profile("Revenue 2025", numbers=20, lo=20, hi=900, distinct=20), "value", "revenue"),
    (_profile("spend", numbers=20, lo=1, hi=5, distinct=5), "value", "revenue"),
    (_profile("Order amount", numbers=20, lo=3, hi=80, distinct=15), "value", "revenue"),
    (_profile("overall", numbers=20, lo=1, hi=5, distinct=5), "score", None),
])
def test_the_guess_proposes_a_role_from_the_name(profile: guesses.ColumnProfile, kind: str, role: str | None) -> None:
    guess = guesses.guess_outcome(profile)
    assert (guess.kind, guess.role) == (kind, role)


def test_the_guessed_mapping_proposes_churn_and_revenue_outcomes() -> None:
    profiles = [_profile("id", distinct=20), _profile("Seat", numbers=20, lo=1, hi=5, distinct=5),
                _profile("churned", ("yes", "no")), _profile("revenue", numbers=20, lo=20, hi=900, distinct=20)]
    guess = guesses.guess_mapping(profiles)
    assert {o.column: (o.kind, o.role) for o in guess.outcomes} == {"churned": ("binary", "churn"),
                                                                   "revenue": ("value", "revenue")}


def test_the_form_offers_the_role_its_kind_allows() -> None:
    assert mapping_form.role_choices("binary") == (None, "churn")
    assert mapping_form.role_choices("value") == (None, "revenue")
    assert mapping_form.role_choices("nps") == (None,)
    proposed = mapping.Outcome(column="churned", kind="binary", name="churned", positive=("yes",), role="churn")
    assert mapping_form.default_role(proposed, "binary") == "churn"
    assert mapping_form.default_role(proposed, "value") is None  # the user changed the kind: no role carried over
    kept = mapping_form.outcome_from_form("churned", "binary", positive=["yes"], values=["yes", "no"], role="churn")
    assert kept.role == "churn"
    assert mapping_form.outcome_from_form("churned", "score", scale=(1, 5), role="churn").role is None


# ---------------------------------------------------------------- store and engines


def test_an_old_database_keeps_its_churn_numbers(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE cx_schema (version INTEGER NOT NULL)")
    for version in (0, 1):
        old.execute(store.MIGRATIONS[version])
        old.execute("INSERT INTO cx_schema VALUES (?)", [version + 1])
    old.execute("INSERT INTO datasets (dataset, imported_at) VALUES ('Old', now())")
    old.execute("""INSERT INTO outcomes VALUES
        ('Old', 'a', 'Customer churned', 'binary', 1, 0, 1), ('Old', 'b', 'Customer churned', 'binary', 0, 0, 1),
        ('Old', 'a', 'Revenue', 'value', 100, NULL, NULL), ('Old', 'b', 'Revenue', 'value', 300, NULL, NULL),
        ('Old', 'a', 'Satisfied', 'binary', 1, 0, 1), ('Old', 'b', 'Spend', 'value', 5, NULL, NULL)""")
    old.close()
    con = store.connect(path)
    assert store.schema_version(con) == store.SCHEMA_VERSION
    roles = con.execute("SELECT DISTINCT outcome, role FROM outcomes ORDER BY 1").fetchall()
    assert roles == [("Customer churned", "churn"), ("Revenue", "revenue"), ("Satisfied", None), ("Spend", None)]
    results = {r.metric: r for r in compute(store_engine(con), ["churn_rate", "clv"], dataset="Old")}
    assert results["churn_rate"].value == 50.0 and results["clv"].value == pytest.approx(200.0 / 0.5)
    con.close()


def test_the_export_carries_the_role_and_an_older_export_reads_as_unmarked(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _save(con, "Lake", [100.0, 200.0, 300.0, 400.0], [1.0, 0.0, 0.0, 0.0])
    out = tmp_path / "lake"
    store.export_parquet(con, "Lake", out)
    (stored,) = compute(store_engine(con), ["clv"], dataset="Lake")
    (exported,) = compute(parquet_engine(out), ["clv"], dataset="Lake")
    assert exported.value == stored.value == pytest.approx(1000.0)
    for file in (out / "outcomes").rglob("*.parquet"):  # as an export written before outcomes had a role
        pq.write_table(pq.read_table(file).drop_columns(["role"]), file)
    engine = parquet_engine(out)
    assert "role" in engine.outcomes("Lake").columns
    assert engine.outcomes("Lake").role.isnull().all().execute()
    results = {r.metric: r for r in compute(engine, ["churn_rate", "clv"], dataset="Lake")}
    assert results["churn_rate"].value is None and results["clv"].value is None
    assert len(metrics.outcome_results(engine, "Lake")) == 2  # the outcomes themselves still show


def test_save_dataset_without_a_role_column_stores_none(con: duckdb.DuckDBPyConnection) -> None:
    outcomes = pd.DataFrame({"respondent": ["a"], "outcome": "churn", "kind": "binary", "value": [1.0],
                             "scale_min": 0.0, "scale_max": 1.0})
    store.save_dataset(con, "No role", long_rows("T", [3], 1, 5).assign(respondent=["a"]), outcomes=outcomes)
    assert con.execute("SELECT role FROM outcomes").fetchall() == [(None,)]


# ---------------------------------------------------------------- command line


def test_the_cli_takes_margin_discount_and_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.duckdb"
    con = store.connect(db)
    store.set_setting(con, "seeded_at", "never")
    _save(con, "Shop", [100.0, 200.0, 300.0, 400.0], [1.0, 0.0, 0.0, 0.0])
    con.close()
    code = main(["metrics", "--db", str(db), "--dataset", "Shop", "--metric", "clv", "--margin", "0.5",
                 "--discount", "0.1", "--period", "year", "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert code == 0 and row["value"] == pytest.approx(0.5 * 250.0 * 1.1 / 0.35)
    assert "per year × (1 + 0.1) / (0.1 + 0.25)" in row["formula"] and 0 < row["low"] < row["value"]
    assert main(["metrics", "--db", str(db), "--dataset", "Shop", "--metric", "clv", "--margin", "3"]) == 2
    assert "margin 3 is not a share of revenue" in capsys.readouterr().err


def test_clv_settings_say_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="discount 2 is not a rate per period"):
        ClvSettings(discount=2.0)


# ---------------------------------------------------------------- the Overview page


def _plain(app: AppTest) -> str:
    """Return the page's captions as read on screen (Markdown escapes removed)."""
    return " ".join(c.value for c in app.caption).replace("\\", "").replace("\u2060", "")


def test_the_overview_sidebar_overrides_clv_and_shows_the_formula(app: AppTest) -> None:
    app.run()
    app.switch_page("pages/2_Overview.py")
    app.run()
    no_exceptions(app)
    before = {m.label: m.value for m in app.metric}["CLV"]
    captions = _plain(app)
    assert "CLV = 1 × " in captions and "per period × (1 + 0) / (0 + " in captions
    app.number_input(key="clv_margin_Retail sample").set_value(0.5)
    app.number_input(key="clv_discount_Retail sample").set_value(0.1)
    app.text_input(key="clv_period_Retail sample").set_value("year")
    app.run()
    no_exceptions(app)
    after = {m.label: m.value for m in app.metric}["CLV"]
    assert before != after
    captions = _plain(app)
    assert "CLV = 0.5 × " in captions and "per year × (1 + 0.1) / (0.1 + " in captions
    assert "Typed here; the mapping says margin 1" in captions
