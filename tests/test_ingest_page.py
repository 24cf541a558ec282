"""The Upload page through Streamlit's AppTest: preview, guesses, report, rejected rows, import, delete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx import store

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/11_Upload.py"
SURVEY = b"""id,Class,Seat comfort,Online boarding,satisfaction,comment
1,Business,5,4,satisfied,Great seat
2,Eco,2,0,neutral or dissatisfied,"Cramped, ""tiny"" legroom"
3,Eco,five,3,satisfied,=HYPERLINK("http://x.example")
4,Business,4,5,satisfied,
"""


@pytest.fixture
def app(upload_page: AppTest) -> AppTest:
    return upload_page


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _upload(at: AppTest, data: bytes, name: str = "survey.csv") -> AppTest:
    at.file_uploader(key="upload_file").upload(name, data, "text/csv").run()
    _ok(at)
    return at


def _button(at: AppTest, starts: str):  # noqa: ANN202 - AppTest's element type is private
    return next(b for b in at.button if b.label.startswith(starts))


def test_the_page_starts_with_an_invitation(app: AppTest) -> None:
    _ok(app)
    assert app.title[0].value == "Upload feedback"
    assert "Choose a file" in app.info[0].value
    assert "No data set yet." in [i.value for i in app.info]


def test_upload_preview_guesses_report_and_rejected_rows(app: AppTest) -> None:
    _upload(app, SURVEY)
    facts = dict(app.dataframe[0].value.values.tolist())
    assert facts["Delimiter"] == "comma ( , )" and facts["Rows read"] == "4" and facts["Columns"] == "6"
    preview = app.dataframe[1].value
    assert preview["comment"].tolist()[1] == 'Cramped, "tiny" legroom'
    # guesses: wide, respondent id, the two rating columns, Class as segment, satisfaction as binary outcome
    assert app.radio(key=next(r.key for r in app.radio if r.label == "Format")).value == "wide"
    assert app.multiselect[0].value == ["Seat comfort", "Online boarding"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"Rows read": "4", "Rows to load": "3", "Rows rejected": "1", "Answers to load": "6"}
    assert "Rows read 4 = rows to load 3 + rows rejected 1." in app.warning[0].value
    assert any("not-applicable code" in i.value for i in app.info)  # the 0 of respondent 2
    problems = next(d.value for d in app.dataframe if "what to do" in d.value.columns)
    assert problems[["problem", "column", "count", "first rows", "examples"]].values.tolist() == [
        ["not a number", "Seat comfort", 1, "row 3", "five"]]
    download = next(d for d in app.get("download_button") if "rejected rows" in d.proto.label)
    assert "1 rejected rows" in download.proto.label


def test_import_creates_the_data_set_and_its_journey(app: AppTest) -> None:
    _upload(app, SURVEY)
    _button(app, "Import 3 rows").click().run()
    _ok(app)
    assert "Imported data set 'survey': 3 of 4 rows loaded (6 answers), 1 rejected." in [s.value for s in app.success]
    listing = app.dataframe[-1].value
    assert listing[["dataset", "source", "rows_read", "rows_loaded", "rows_rejected"]].values.tolist() == [
        ["survey", "survey.csv", 4, 3, 1]]
    assert app.session_state["cx_dataset"] == "survey"
    app.switch_page("pages/1_Journey.py")
    app.query_params["journey"] = "survey"
    app.query_params["dataset"] = "survey"
    app.run()
    _ok(app)
    table = app.dataframe[-1].value
    assert table.iloc[:, 1].tolist() == ["Seat comfort", "Online boarding"]


def test_a_saved_mapping_is_reused(app: AppTest) -> None:
    mapping = {"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort"], "scale": [1, 5],
               "segments": [], "outcome": {"column": "satisfaction", "kind": "binary", "positive": "satisfied"}}
    app.file_uploader(key="upload_mapping").upload("m.json", json.dumps(mapping).encode(), "application/json")
    _upload(app, SURVEY)
    assert app.multiselect[0].value == ["Seat comfort"]
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Rows to load"], metrics["Answers to load"]) == ("3", "3")


def test_a_broken_mapping_file_is_explained(app: AppTest) -> None:
    app.file_uploader(key="upload_mapping").upload("m.json", b"{nope", "application/json").run()
    _ok(app)
    assert "not valid JSON" in app.error[0].value


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b"id,Class\n", "no data rows"),
])
def test_unusable_files_get_a_message_not_a_traceback(app: AppTest, data: bytes, message: str) -> None:
    _upload(app, data, "bad.csv")
    assert message in app.error[0].value


def test_delete_needs_confirmation(app: AppTest) -> None:
    _upload(app, SURVEY)
    _button(app, "Import").click().run()
    delete = next(b for b in app.button if b.key == "datasets_delete")
    assert delete.disabled
    app.checkbox(key="datasets_delete_confirm-survey").check().run()
    next(b for b in app.button if b.key == "datasets_delete").click().run()
    _ok(app)
    assert "No data set yet." in [i.value for i in app.info]


def test_after_a_delete_the_next_confirmation_starts_unticked(app: AppTest) -> None:
    _upload(app, SURVEY)
    _button(app, "Import").click().run()
    _upload(app, SURVEY, name="second.csv")
    _button(app, "Import").click().run()
    _ok(app)
    app.selectbox(key="datasets_delete_pick").set_value("survey").run()
    app.checkbox(key="datasets_delete_confirm-survey").check().run()
    next(b for b in app.button if b.key == "datasets_delete").click().run()
    _ok(app)
    box = next(c for c in app.checkbox if c.label.startswith("Yes, delete"))
    assert "second" in box.label and box.value is False
    assert next(b for b in app.button if b.key == "datasets_delete").disabled


def test_pick_lists_put_the_likely_columns_first_with_what_they_hold(app: AppTest) -> None:
    _upload(app, SURVEY)
    comment = next(s for s in app.selectbox if s.label == "Comment")
    assert comment.options[:2] == ["(none)", "comment · text"]  # the text columns before the numbers
    assert "Seat comfort · rating" in app.multiselect[0].options


def test_an_operational_column_proposes_its_touchpoint_by_name(app: AppTest) -> None:
    data = b"id,Check-in,Boarding,Check-in wait,Taxi time\n1,4,5,12,13\n2,3,4,30,18\n3,5,5,5,22\n"
    _upload(app, data)
    ops = next(m for m in app.multiselect if m.label == "Numeric operational columns")
    ops.set_value(["Check-in wait", "Taxi time"]).run()
    _ok(app)
    assert next(s for s in app.selectbox if s.label.startswith("'Check-in wait'")).value == "Check-in"
    taxi = next(s for s in app.selectbox if s.label.startswith("'Taxi time'"))
    assert taxi.value is None  # no touchpoint shares a word with it: the user picks, nothing defaults to the first
    assert any("needs a 'touchpoint'" in w.value for w in app.warning)
    assert next(e for e in app.expander if e.label.startswith("Operational metrics")).proto.expanded


def test_hostile_file_names_columns_and_names_are_shown_literally(app: AppTest) -> None:
    # The file name, its column names and the names in it reach messages, captions and labels: never as markup.
    from tests.test_shapes import rendered_markup

    hostile = ("id,Class :red[x],Seat comfort,stayed --dash--\n"
               "1,\"Gold **bold** [x](http://e.x)\",4,yes\n2,\"Plan\\t<img src=x onerror=alert(1)>\",\"5\",no\n")
    _upload(app, hostile.encode(), name="![x](http://evil.example) $y$.csv")
    assert rendered_markup(app) == []
    app.multiselect[0].set_value(["Seat comfort"]).run()
    app.multiselect[1].set_value(["Class :red[x]"]).run()
    app.multiselect[2].set_value(["stayed --dash--"]).run()
    _ok(app)
    assert any("stayed" in s.label and "dash" in s.label for s in app.selectbox)  # the payload is on the page
    assert any("evil.example" in c.value for c in app.caption)
    assert rendered_markup(app) == []
    name = "Survey **bold** :red[x]\nMarch"
    next(t for t in app.text_input if t.label == "Data set name").set_value(name).run()
    _button(app, "Import").click().run()
    _ok(app)
    assert rendered_markup(app) == []
    assert store.dataset_names(store.connect(app.session_state["cx_db_path"])) == ["Survey **bold** :red[x] March"]


def test_a_300_character_file_name_imports_under_a_shortened_name(app: AppTest) -> None:
    long_name = "Customer satisfaction survey export " * 8 + "final.csv"  # 297 characters: too long for a disk
    _upload(app, SURVEY, name=long_name)
    assert ("First rows of Customer satisfaction survey export Customer satisfa…ion survey export final.csv, as "
            "read (text exactly as in the file):") in [c.value for c in app.caption]  # its start and its end
    name = next(t for t in app.text_input if t.label == "Data set name").value
    assert name == "Customer satisfaction survey export Customer satisfaction survey export…"  # at a word break
    _button(app, "Import").click().run()
    _ok(app)
    listing = app.dataframe[-1].value
    assert listing[["dataset", "source"]].values.tolist() == [[name, long_name]]  # the whole name stays the source


def test_a_deeply_nested_mapping_file_is_explained_and_the_file_still_reads(app: AppTest) -> None:
    app.file_uploader(key="upload_mapping").upload("m.json", b"[" * 100_000 + b"]" * 100_000, "application/json")
    _upload(app, SURVEY)
    assert app.error[0].value.startswith("The mapping file cannot be used: The mapping file nests brackets more "
                                         "than 20 deep")
    assert app.multiselect[0].value == ["Seat comfort", "Online boarding"]  # the guesses stand in for it


def _import_racing_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every import find, just before it commits, the same name committed by another import."""
    record = store.record_dataset

    def racing(con, name, **kwargs):  # noqa: ANN001, ANN202 - store.record_dataset's own signature
        record(con, name, **kwargs)  # this import's row, not yet committed
        other = con.cursor()  # another browser tab, or the command line, committing first
        try:
            record(other, name, **{**kwargs, "source": "the other import"})
        finally:
            other.close()

    monkeypatch.setattr(store, "record_dataset", racing)


def test_two_imports_of_one_name_at_once_leave_the_first_and_explain_the_second(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _upload(app, SURVEY)
    _import_racing_another(monkeypatch)
    _button(app, "Import").click().run()
    _ok(app)
    assert app.error[0].value == ("The import failed and nothing was written: Another import named 'survey' finished "
                                  "while this one ran, so nothing of this one was written: pick another name and "
                                  "import again (or delete that data set first).")
    listing = store.datasets(store.connect(app.session_state["cx_db_path"]))  # the page stopped at the message
    assert listing[["dataset", "source", "answers"]].values.tolist() == [["survey", "the other import", 0]]


def test_two_threads_importing_one_name_one_wins_the_other_is_told(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from cx import ingest, mapping

    con = store.connect(tmp_path / "cx.duckdb")
    (tmp_path / "survey.csv").write_bytes(SURVEY)
    m = mapping.from_dict({"format": "wide", "respondent": "id", "touchpoints": ["Seat comfort"], "scale": [1, 5]})
    both_checked = threading.Barrier(2, timeout=30)
    record = store.record_dataset

    def record_then_wait(cursor, name, **kwargs):  # noqa: ANN001, ANN202
        record(cursor, name, **kwargs)
        both_checked.wait()  # both found the name free and wrote their row: one commit must lose

    outcomes: list[str] = []

    def run() -> None:
        cursor = con.cursor()  # a cursor per session, as the app has
        staged = ingest.stage(cursor, tmp_path / "survey.csv")
        try:
            outcomes.append(ingest.load(cursor, staged, m, "Survey").dataset)
        except Exception as exc:  # noqa: BLE001 - the test reports whatever escaped
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            ingest.discard(cursor, staged)
            cursor.close()

    monkeypatch.setattr(store, "record_dataset", record_then_wait)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["InvalidInput: Another import named 'Survey' finished while this one ran, so "
                                "nothing of this one was written: pick another name and import again (or delete "
                                "that data set first).", "Survey"]
    assert store.table_counts(con)["responses"] == 3 and store.dataset_names(con) == ["Survey"]  # once, not twice
