"""Derived columns in the mapping: days between two dates and bands of a number, as segments, outcomes, operational."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from cx import ingest, mapping, mapping_form, store
from cx.errors import MappingError
from tests import lookalikes

ROOT = Path(__file__).resolve().parent.parent
ISSUE = [{"name": "Delay days", "days_between": ["estimated", "delivered"]},
         {"name": "Delivery", "band": "Delay days", "edges": [0], "labels": ["on time", "late"]}]
BASE: dict[str, Any] = {"format": "wide", "respondent": "id", "touchpoints": ["Delivery rating"], "scale": [1, 5]}


def _file(tmp_path: Path, header: list[str], rows: list[tuple[Any, ...]]) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / "orders.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


ORDERS = [  # id, estimated, delivered, rating, weight
    ("1", "2024-03-10", "2024-03-08", "5", "2.5"),  # 2 days early: -2
    ("2", "2024-03-10", "2024-03-10 23:59", "4", "10"),  # the same day, whatever the time: 0 → on time
    ("3", "10 March 2024", "11/03/2024", "2", "7"),  # one day late, in two other forms: 1 → late
    ("4", "2024-03-10", "", "3", "x"),  # not delivered yet: no days, no band
    ("5", "2024-03-10", "soon", "1", ""),  # an unreadable date: no days, no band, the row still loads
    ("6", "2024-02-28", "2024-03-01", "1", "0"),  # across a leap day: 2
]


def _import(tmp_path: Path, m: dict[str, Any]) -> tuple[duckdb.DuckDBPyConnection, ingest.Report]:
    path = _file(tmp_path, ["id", "estimated", "delivered", "Delivery rating", "weight"], ORDERS)
    con = store.connect(tmp_path / "cx.duckdb")
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(m), name="orders")
    assert result is not None
    return con, report


def _segment(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, str]:
    return dict(con.execute("SELECT respondent, value FROM segments WHERE name = ?", [name]).fetchall())


# ---------------------------------------------------------------------- the JSON


def test_the_issue_example_reads_and_round_trips() -> None:
    m = mapping.from_dict({**BASE, "derived": ISSUE, "segments": ["Delivery"]})
    assert m.derived == (mapping.Derived(name="Delay days", days_between=("estimated", "delivered")),
                         mapping.Derived(name="Delivery", band="Delay days", edges=(0.0,), labels=("on time", "late")))
    assert m.to_dict()["derived"] == ISSUE
    assert mapping.from_dict(m.to_dict()) == m
    assert m.columns_used() == ["id", "Delivery rating", "estimated", "delivered"]  # inputs, not derived names


# ---------------------------------------------------------------------- the rules


@pytest.mark.parametrize(("value", "label"), [
    (-5.0, "early"), (0.0, "early"), (0.5, "on time"), (7.0, "on time"), (7.01, "late"), (30.0, "late"),
    (None, None),
])
def test_a_band_counts_the_edges_strictly_below_the_value(value: float | None, label: str | None) -> None:
    band = mapping.Derived(name="b", band="x", edges=(0.0, 7.0), labels=("early", "on time", "late"))
    assert band.label_for(value) == label


def test_days_between_and_bands_in_an_import(tmp_path: Path) -> None:
    m = {**BASE, "derived": ISSUE, "segments": ["Delivery"], "outcome": {"column": "Delay days", "kind": "value"}}
    con, report = _import(tmp_path, m)
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (6, 6, 0)
    days = dict(con.execute("SELECT respondent, value FROM outcomes").fetchall())
    assert days == {"1": -2.0, "2": 0.0, "3": 1.0, "6": 2.0}  # calendar days; none where a date is missing
    assert _segment(con, "Delivery") == {"1": "on time", "2": "on time", "3": "late", "6": "late"}  # 0 is on time
    left, = report.emptied  # the unreadable date, counted once, with the derived column it costs
    assert (left.kind, left.column, left.first_rows, left.examples) == ("unreadable date", "delivered", (5,),
                                                                         ("soon",))
    assert "'Delay days' is left empty" in left.fix


def test_python_and_sql_bands_agree(tmp_path: Path) -> None:
    band = {"name": "Weight band", "band": "weight", "edges": [0, 2.5, 7], "labels": ["none", "light", "mid", "heavy"]}
    con, report = _import(tmp_path, {**BASE, "derived": [band], "segments": ["Weight band"]})
    rule = mapping.derived_from_json(band)
    weights = {row[0]: row[4] for row in ORDERS}
    expected = {r: rule.label_for(float(w)) for r, w in weights.items() if w not in ("", "x")}
    assert _segment(con, "Weight band") == expected == {"1": "light", "2": "heavy", "3": "mid", "6": "none"}
    left, = report.emptied
    assert (left.kind, left.column, left.first_rows, left.examples) == ("not a number", "weight", (4,), ("x",))


def test_a_derived_column_as_an_operational_metric(tmp_path: Path) -> None:
    m = {**BASE, "derived": ISSUE[:1], "operational": [{"column": "Delay days", "touchpoint": "Delivery rating"}]}
    con, _ = _import(tmp_path, m)
    assert con.execute("SELECT touchpoint, name, respondent, value FROM operational ORDER BY respondent").fetchall() \
        == [("Delivery rating", "Delay days", r, v) for r, v in (("1", -2.0), ("2", 0.0), ("3", 1.0), ("6", 2.0))]


def test_a_band_as_a_yes_no_outcome(tmp_path: Path) -> None:
    m = {**BASE, "derived": ISSUE, "outcome": {"column": "Delivery", "kind": "binary", "positive": "late",
                                                 "negative": "on time"}}
    con, report = _import(tmp_path, m)
    assert dict(con.execute("SELECT respondent, value FROM outcomes").fetchall()) == {
        "1": 0.0, "2": 0.0, "3": 1.0, "6": 1.0}
    assert report.rows_rejected == 0


def test_late_deliveries_score_far_lower_on_the_orders_look_alike(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(lookalikes.ecommerce_orders(), encoding="utf-8")
    con = store.connect(tmp_path / "cx.duckdb")
    staged = ingest.stage(con, path)
    proposal = ingest.propose(con, staged).mapping
    ingest.discard(con, staged)
    data = proposal.to_dict()
    data["derived"] = [{"name": "Delay days", "days_between": ["order_estimated_delivery_date",
                                                               "order_delivered_customer_date"]},
                       {"name": "Delivery", "band": "Delay days", "edges": [0], "labels": ["on time", "late"]}]
    data["segments"] = [*data["segments"], "Delivery"]
    result, report, _ = ingest.ingest_file(con, path, mapping.from_dict(data), name="orders")
    assert result is not None and report.rows_rejected == 0
    means = dict(con.execute(
        "SELECT s.value, avg(o.value) FROM segments s JOIN outcomes o USING (dataset, respondent) "
        "WHERE s.name = 'Delivery' AND o.outcome = 'review_score' GROUP BY 1").fetchall())
    assert set(means) == {"late", "on time"} and means["late"] < means["on time"] - 2


# ---------------------------------------------------------------------- clear errors


@pytest.mark.parametrize(("derived", "extra", "message"), [
    ([{"name": "D", "days_between": ["estimated"]}], {}, r"\"days_between\" is two date column names"),
    ([{"name": "D", "days_between": ["estimated", "delivered"], "band": "x"}], {}, "takes one of"),
    ([{"days_between": ["estimated", "delivered"]}], {}, r"needs a \"name\""),
    ([{"name": "D", "days_between": ["estimated", "delivered"], "unit": "days"}], {}, "unknown keys"),
    ([{"name": "B", "band": "weight", "edges": [7, 0], "labels": ["a", "b", "c"]}], {}, "must rise"),
    ([{"name": "B", "band": "weight", "edges": [0], "labels": ["a"]}], {}, "is 2 texts for 1 edge"),
    ([{"name": "B", "band": "weight", "edges": ["zero"], "labels": ["a", "b"]}], {}, "a list of numbers"),
    ([{"name": "B", "band": "weight"}], {}, "a list of numbers"),
    ("Delay days", {}, r"\"derived\" must be a list"),
    ([ISSUE[0], ISSUE[0]], {}, "two derived columns are called 'Delay days'"),
    ([ISSUE[1], ISSUE[0]], {}, "defined after it"),
    ([*ISSUE, {"name": "Again", "band": "Delivery", "edges": [0], "labels": ["a", "b"]}], {}, "which is a band"),
    (ISSUE, {"timestamp": "Delay days"}, "mapped as timestamp: a derived column can be a segment, an outcome"),
    (ISSUE, {"outcome": {"column": "Delivery", "kind": "value"}}, r"is a band \(text labels\): make it kind"),
    (ISSUE, {"outcome": {"column": "Delay days", "kind": "binary", "positive": "1"}}, "is a number of days"),
    (ISSUE, {"operational": [{"column": "Delivery", "touchpoint": "Delivery rating"}]}, "operational metrics are"),
])
def test_bad_derived_columns_are_mapping_errors(derived: object, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        mapping.from_dict({**BASE, "derived": derived, **extra})


@pytest.mark.parametrize(("derived", "message"), [
    ([{"name": "D", "days_between": ["estimatd", "delivered"]}],
     "days_between reads 'estimatd' \\(did you mean 'estimated'\\?\\), which the file does not have"),
    ([{"name": "B", "band": "wieght", "edges": [0], "labels": ["a", "b"]}], "band reads 'wieght' \\(did you mean"),
    ([{"name": "weight", "days_between": ["estimated", "delivered"]}], "'weight' is also a column of the file"),
])
def test_bad_column_names_in_derived_columns_name_the_fix(tmp_path: Path, derived: object, message: str) -> None:
    m = mapping.from_dict({**BASE, "derived": derived})
    path = _file(tmp_path, ["id", "estimated", "delivered", "Delivery rating", "weight"], ORDERS)
    con = duckdb.connect()
    staged = ingest.stage(con, path)
    with pytest.raises(MappingError, match=message):
        ingest.check(con, staged, m)


def test_the_form_builds_derived_columns_and_says_what_is_wrong() -> None:
    days = mapping_form.derived_from_form("days_between", "Delay days", dates=("estimated", "delivered"))
    band = mapping_form.derived_from_form("band", "Delivery", source="Delay days", edges="0; 7",
                                          labels="on time; late; very late")
    assert band.edges == (0.0, 7.0) and band.labels == ("on time", "late", "very late")
    assert mapping_form.derived_label(band) == ("'Delivery': 'Delay days' up to 0 → on time, up to 7 → late, "
                                                "above → very late")
    assert "calendar days from the date in 'estimated'" in mapping_form.derived_label(days)
    with pytest.raises(MappingError, match="labels"):
        mapping_form.derived_from_form("band", "Delivery", source="Delay days", edges="0", labels="on time")
    with pytest.raises(MappingError, match="name"):
        mapping_form.derived_from_form("days_between", " ", dates=("estimated", "delivered"))
    values = mapping_form.FormValues(format="wide", respondent="id", derived=(days, band))
    assert mapping_form.free_columns(["id", "estimated"], values) == ["estimated", "Delay days", "Delivery"]
    assert mapping_form.derived_values((days, band), "Delivery") == ["on time", "late", "very late"]
    assert mapping_form.default_outcome(mapping.Mapping(format="wide"), [], "Delivery", (days, band)).positive == (
        "very late",)


# ---------------------------------------------------------------------- the Upload page offers both


@pytest.fixture
def upload(upload_page: AppTest) -> AppTest:
    return upload_page


def _by_label(elements: Any, label: str) -> Any:
    return next(e for e in elements if e.label == label)


def test_the_upload_page_derives_late_vs_on_time(upload: AppTest, tmp_path: Path) -> None:
    data = "\n".join(",".join(row) for row in [("id", "estimated", "delivered", "Delivery rating", "weight"),
                                                 *ORDERS]).encode()
    upload.file_uploader(key="upload_file").upload("orders.csv", data, "text/csv").run()
    assert not upload.exception
    _by_label(upload.selectbox, "From the date in").set_value("estimated")
    _by_label(upload.selectbox, "to the date in").set_value("delivered")
    _by_label(upload.text_input, "Name").set_value("Delay days")
    next(b for b in upload.button if b.label == "Add the derived column").click().run()
    assert not upload.exception
    _by_label(upload.radio, "Add").set_value("band").run()
    _by_label(upload.selectbox, "Band the numbers in").set_value("Delay days")
    _by_label(upload.text_input, "Name").set_value("Delivery")
    next(b for b in upload.button if b.label == "Add the derived column").click().run()
    assert not upload.exception
    captions = [c.value for c in upload.caption]
    assert any("calendar days from the date in" in c for c in captions)
    segments = _by_label(upload.multiselect, "Segment columns (to slice by: class, region, persona…)")
    assert "Delivery · derived" in segments.options and "Delay days · derived" in segments.options
    segments.set_value(["Delivery"]).run()
    next(b for b in upload.button if b.label.startswith("Import 6 rows")).click().run()
    assert not upload.exception
    con = store.connect(tmp_path / "cx.duckdb")  # the app's database, in this process
    assert _segment(con, "Delivery") == {"1": "on time", "2": "on time", "3": "late", "6": "late"}
