"""Journey builder: the JSON format round trip, editing a draft, validation, atomic saves, and the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from cx import builder, journey_file, seed, store, workshop
from cx.errors import InvalidInput, NotFound
from cx.models import STAGES
from cx.names import clean_name

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/9_Journey_builder.py"


def _survey(con: duckdb.DuckDBPyConnection, touchpoints: tuple[str, ...] = ("Store", "Checkout", "Delivery")) -> None:
    rows = pd.DataFrame({"respondent": [f"r{i}" for i in range(len(touchpoints))], "touchpoint": list(touchpoints),
                         "score": 5.0, "scale_min": 0.0, "scale_max": 10.0})
    store.save_dataset(con, "Survey", rows)


def _file(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Delivery", "persona": "Busy parent", "goal": "Get it home", "description": "Two lines\n  kept.",
        "dataset": "Survey",
        "touchpoints": [
            {"touchpoint": "Store", "stage": "attraction", "assessment": 7.5, "note": "busy", "intentional": True,
             "controlled": True, "channel": "in-store", "target": 8.0, "owner": "Retail", "operational": None},
            {"touchpoint": "Delivery", "stage": "cultivation", "assessment": None, "note": None,
             "intentional": False, "controlled": False, "channel": "post, courier", "target": None, "owner": None,
             "operational": "delay_days"},
        ],
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- the JSON format


def test_journey_to_dict_is_the_exact_inverse_of_journey_from_dict() -> None:
    data = _file()
    assert journey_file.journey_to_dict(*journey_file.journey_from_dict(data)) == data


def test_the_shipped_file_reads_back_with_every_field_filled_in() -> None:
    shipped = json.loads(seed.PRODUCT_LAUNCH_FILE.read_text(encoding="utf-8"))
    full = journey_file.journey_to_dict(*journey_file.journey_from_dict(shipped))
    assert list(full) == list(journey_file.JOURNEY_FILE_FIELDS)
    assert [list(t) for t in full["touchpoints"]] == [list(journey_file.TOUCHPOINT_FILE_FIELDS)] * 5
    assert [t["assessment"] for t in full["touchpoints"]] == [None, 3.0, 10.0, 10.0, 1.0]
    assert [t["intentional"] for t in full["touchpoints"]] == [True, True, True, True, False]
    assert journey_file.journey_to_dict(*journey_file.journey_from_dict(full)) == full


def test_journey_from_dict_refuses_a_file_that_format_errors_rejects() -> None:
    with pytest.raises(InvalidInput, match="stage \"retention\" is not one of attraction"):
        journey_file.journey_from_dict({"name": "J", "touchpoints": [{"touchpoint": "A", "stage": "retention"}]})
    with pytest.raises(InvalidInput, match="Journey 'J' has no touchpoints"):
        journey_file.journey_from_dict({"name": "J", "touchpoints": []})


def test_export_then_import_into_another_database_is_exact(con: duckdb.DuckDBPyConnection) -> None:
    _survey(con)
    builder.import_journey(con, _file())
    exported = builder.journey_json(con, "Delivery")
    other = store.connect(":memory:")
    try:
        _survey(other)
        assert builder.import_journey(other, json.loads(exported)) == "Delivery"
        assert builder.journey_json(other, "Delivery") == exported
        assert json.loads(exported) == _file()
    finally:
        other.close()


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_name = _text.map(clean_name).filter(bool)  # names are single-line: see the test of dirty names below
_score = st.one_of(st.none(), st.integers(0, 20).map(lambda x: x / 2))


@st.composite
def journey_files(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(_name, min_size=1, max_size=6, unique=True))
    optional = st.one_of(st.none(), _name)
    return {
        "name": draw(_name), "persona": draw(optional), "goal": draw(optional), "description": draw(optional),
        "dataset": draw(optional),
        "touchpoints": [
            {"touchpoint": n, "stage": draw(st.one_of(st.none(), st.sampled_from(STAGES))),
             "assessment": draw(_score), "note": draw(optional), "intentional": draw(st.booleans()),
             "controlled": draw(st.booleans()), "channel": draw(optional), "target": draw(_score),
             "owner": draw(optional), "operational": draw(optional)}
            for n in names
        ],
    }


@pytest.fixture(scope="module")
def shared() -> Iterator[duckdb.DuckDBPyConnection]:
    """One store for the property test's examples (each example deletes what it wrote)."""
    connection = store.connect(":memory:")
    yield connection
    connection.close()


@settings(max_examples=25, deadline=None)
@given(data=journey_files())
def test_any_valid_journey_round_trips_through_a_file_and_the_store(
    shared: duckdb.DuckDBPyConnection, data: dict[str, Any]
) -> None:
    assert journey_file.format_errors(data) == []
    assert journey_file.journey_to_dict(*journey_file.journey_from_dict(data)) == data
    builder.import_journey(shared, json.loads(json.dumps(data)))
    try:
        assert builder.journey_file(shared, data["name"]) == data
    finally:
        store.delete_journey(shared, data["name"])


def test_names_with_control_and_invisible_characters_are_stored_single_line(con: duckdb.DuckDBPyConnection) -> None:
    data = {"name": "Launch\n=HYPERLINK(\"x\")", "persona": "Early\tadopter", "goal": None,
            "description": "Line one\nLine two", "dataset": None,
            "touchpoints": ["Checkout\t", {"touchpoint": "Check\u200bout "}, {"touchpoint": "Cafe\u0301",
                                                                            "owner": "Ann\x00", "channel": "web\r\n"}]}
    # "Checkout\t" and "Check\u200bout" are one touchpoint once cleaned: kept once, as the format says.
    assert journey_file.format_errors(data) == [
        "Journey 'Launch =HYPERLINK(\"x\")', touchpoint 2 ('Checkout'): 'Checkout' is already touchpoint 1; "
        "keep it once."]
    del data["touchpoints"][1]
    check = builder.check_import(con, data)
    assert check.ok
    changed = [w for w in check.warnings if "is stored as" in w]
    assert len(changed) == 6 and "'Launch =HYPERLINK(\"x\")'" in changed[0]
    name = builder.import_journey(con, data)
    journey = store.load_journey(con, name)
    assert (journey.name, journey.persona, journey.description) == (
        'Launch =HYPERLINK("x")', "Early adopter", "Line one\nLine two")  # a description keeps its line breaks
    assert [(s.touchpoint, s.owner, s.channel) for s in journey.steps] == [
        ("Checkout", None, None), ("Café", "Ann", "web")]
    draft, added, _ = builder.add_touchpoints(builder.blank_draft(), ["Pay\tment", "\u200b"])
    assert added == ["Pay ment"] and builder.names_in(draft) == ["Pay ment"]
    assert builder.set_fields(draft, name=" A\nB ", persona="\t")["name"] == "A B"


def test_export_file_names_are_safe() -> None:
    assert builder.export_file_name("Product launch") == "journey-product-launch.json"
    assert builder.export_file_name("../../etc/passwd") == "journey-etc-passwd.json"
    assert builder.export_file_name("ÄÖ") == "journey-journey.json"


# ---------------------------------------------------------------- rename, duplicate


def test_rename_keeps_assessments_and_workshops(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    code = workshop.start_workshop(con, seed.PRODUCT_LAUNCH).code
    store.rename_journey(con, seed.PRODUCT_LAUNCH, "  Launch 2026 ")
    assert store.journey_names(con) == ["Launch 2026"]
    assert store.assessments(con, "Launch 2026")["Out of stock"] == (1.0, 1)
    assert workshop.get_workshop(con, code).journey == "Launch 2026"
    store.rename_journey(con, "Launch 2026", "Launch 2026")  # same name: fine


def test_rename_refuses_a_taken_or_empty_name(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    builder.import_journey(con, _file(dataset=None))
    with pytest.raises(InvalidInput, match="A journey named 'Delivery' already exists"):
        store.rename_journey(con, seed.PRODUCT_LAUNCH, "Delivery")
    with pytest.raises(InvalidInput, match="needs a name"):
        store.rename_journey(con, seed.PRODUCT_LAUNCH, "  ")
    with pytest.raises(NotFound, match="No journey named 'Nope'"):
        store.rename_journey(con, "Nope", "Other")
    assert store.journey_names(con) == [seed.PRODUCT_LAUNCH, "Delivery"]


def test_duplicate_copies_steps_and_team_scores_under_a_free_name(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    assert store.duplicate_journey(con, seed.PRODUCT_LAUNCH) == "Product launch (copy)"
    assert store.duplicate_journey(con, seed.PRODUCT_LAUNCH) == "Product launch (copy 2)"
    assert store.duplicate_journey(con, seed.PRODUCT_LAUNCH, "Mine") == "Mine"
    original = builder.journey_file(con, seed.PRODUCT_LAUNCH)
    assert builder.journey_file(con, "Mine") == {**original, "name": "Mine"}


# ---------------------------------------------------------------- editing a draft


def _draft(*names: str) -> dict[str, Any]:
    return builder.add_touchpoints(builder.blank_draft(), names)[0]


def test_add_move_and_remove_touchpoints() -> None:
    draft, added, skipped = builder.add_touchpoints(_draft("A", "B"), [" C ", "A", "", "D"], stage="cultivation")
    assert (added, skipped) == (["C", "D"], ["A"])
    assert builder.names_in(draft) == ["A", "B", "C", "D"]
    assert draft["touchpoints"][2] == builder.blank_step("C", stage="cultivation")
    assert builder.names_in(builder.move_touchpoint(draft, 2, -1)) == ["A", "C", "B", "D"]
    assert builder.names_in(builder.move_touchpoint(draft, 0, -1)) == ["A", "B", "C", "D"]  # already first
    assert builder.names_in(builder.move_touchpoint(draft, 3, 1)) == ["A", "B", "C", "D"]  # already last
    assert builder.names_in(builder.move_touchpoint(draft, 0, 1)) == ["B", "A", "C", "D"]
    assert builder.names_in(builder.remove_touchpoint(draft, 1)) == ["A", "C", "D"]
    assert builder.names_in(draft) == ["A", "B", "C", "D"]  # the functions never change their input


def test_table_edits_fold_into_the_draft_idempotently() -> None:
    draft = _draft("A", "B")
    frame = builder.editor_frame(draft)
    assert list(frame.columns) == list(builder.EDITOR_COLUMNS)
    assert frame["controlled"].tolist() == [True, True]
    state = {"edited_rows": {"1": {"owner": "  Ops ", "target": 7, "assessment": None, "controlled": False,
                                   "stage": "interaction", "note": ""}, 9: {"owner": "ghost"}}}
    once = builder.apply_editor_state(draft, state)
    assert once["touchpoints"][1] == {**builder.blank_step("B"), "owner": "Ops", "target": 7.0,
                                      "controlled": False, "stage": "interaction"}
    assert builder.apply_editor_state(once, state) == once
    assert builder.apply_editor_state(draft, None) == draft


def test_set_fields_trims_text_and_blanks_become_null() -> None:
    draft = builder.set_fields(builder.blank_draft(), name="  Trip ", persona=" ", goal="Go", dataset=None)
    assert (draft["name"], draft["persona"], draft["goal"], draft["dataset"]) == ("Trip", None, "Go", None)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(("data", "message"), [
    ([], "A journey file holds one JSON object"),
    ({"touchpoints": ["A"]}, "The journey needs a name."),
    ({"name": "J", "touchpoints": []}, "Journey 'J' has no touchpoints: add at least one."),
    ({"name": "J"}, "Journey 'J' has no touchpoints"),
    ({"name": "J", "touchpoints": ["A", {"touchpoint": " A"}]},
     "Journey 'J', touchpoint 2 ('A'): 'A' is already touchpoint 1; keep it once."),
    ({"name": "J", "touchpoints": [{"touchpoint": "A", "stage": "retention"}]},
     "stage \"retention\" is not one of attraction, interaction, cultivation"),
    ({"name": "J", "touchpoints": [{"touchpoint": "A", "assessment": 11}]},
     "'assessment' is 11; use a number from 0 to 10"),
    ({"name": "J", "touchpoints": [{"touchpoint": "A", "target": "8"}]}, "'target' is \"8\""),
    ({"name": "J", "touchpoints": [{"touchpoint": "A", "intentional": "false"}]},
     "'intentional' is \"false\"; use true or false"),
    ({"name": "J", "touchpoints": [{"touchpoint": ""}]}, "touchpoint 1: needs a 'touchpoint' name"),
    ({"name": "J", "persona": 3, "touchpoints": ["A"]}, "'persona' must be text or null"),
    ({"name": "J", "touchpoints": [{"touchpoint": "A", "owner": ["x"]}]}, "'owner' must be text or null"),
])
def test_format_errors_say_what_is_wrong_and_where(data: Any, message: str) -> None:
    assert any(message in e for e in journey_file.format_errors(data)), journey_file.format_errors(data)


def test_read_journey_file_points_at_broken_json() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON: Expecting ':' delimiter at line 2, column 12"):
        journey_file.parse(b'{"name": "J",\n "persona" "x"}')
    with pytest.raises(InvalidInput, match="not UTF-8 text"):
        journey_file.parse(b'{"name": "\xe9"}')
    assert journey_file.parse('\ufeff{"name": "J"}'.encode()) == {"name": "J"}


def test_check_import_warns_about_unknown_touchpoints_fields_and_data_sets(con: duckdb.DuckDBPyConnection) -> None:
    _survey(con, ("Store", "Checkout"))
    data = _file()
    data["touchpoints"][0]["colour"] = "red"
    data["extra"] = 1
    check = builder.check_import(con, data)
    assert check.ok and not check.name_taken
    assert check.unknown == ("Delivery",)
    assert check.warnings == (
        "Fields cx does not use will be ignored: extra, touchpoints[].colour.",
        "1 touchpoint is not in data set 'Survey': 'Delivery'. It will show the team's assessment or "
        "\"no score\", never customer scores.",
    )
    missing = builder.check_import(con, _file(dataset="Elsewhere"))
    assert missing.unknown == () and "links data set 'Elsewhere', which this database does not have" in \
        missing.warnings[0]
    assert builder.check_import(con, {"name": "J"}).errors == ("Journey 'J' has no touchpoints: add at least one.",)


def test_import_can_leave_unknown_touchpoints_out_and_rename_or_replace(con: duckdb.DuckDBPyConnection) -> None:
    _survey(con, ("Store", "Checkout"))
    assert builder.import_journey(con, _file(), drop=["Delivery"]) == "Delivery"
    assert builder.names_in(builder.journey_file(con, "Delivery")) == ["Store"]
    assert builder.check_import(con, _file()).name_taken
    with pytest.raises(InvalidInput, match="A journey named 'Delivery' already exists: import it under another"):
        builder.import_journey(con, _file())
    assert builder.import_journey(con, _file(), name="Delivery B") == "Delivery B"
    builder.import_journey(con, _file(persona="Student"), replace=True)
    assert builder.journey_file(con, "Delivery") == {**_file(), "persona": "Student"}
    with pytest.raises(InvalidInput, match="would have no touchpoints left"):
        builder.import_journey(con, _file(), name="Empty", drop=["Store", "Delivery"])


def test_nothing_is_half_saved(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    seed.restore_product_launch(con)
    before = store.table_counts(con)
    snapshot = builder.journey_file(con, seed.PRODUCT_LAUNCH)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "save_assessment", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        builder.import_journey(con, _file(dataset=None))
    draft = builder.set_fields(builder.move_touchpoint(snapshot, 0, 2), name="Renamed")
    with pytest.raises(RuntimeError, match="disk full"):
        builder.save_draft(con, draft, original=seed.PRODUCT_LAUNCH)
    monkeypatch.undo()
    assert store.table_counts(con) == before
    assert builder.journey_file(con, seed.PRODUCT_LAUNCH) == snapshot
    # and a nested transaction() joins the outer one, on the success path too
    builder.save_draft(con, draft, original=seed.PRODUCT_LAUNCH)
    assert store.journey_names(con) == ["Renamed"]


def test_save_draft_renames_reorders_and_keeps_vote_counts(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    store.save_assessment(con, seed.PRODUCT_LAUNCH, {"Marketing": 9.0, "Out of stock": 1.0},
                          votes={"Marketing": 6, "Out of stock": 6})
    draft = builder.journey_file(con, seed.PRODUCT_LAUNCH)
    draft = builder.move_touchpoint(draft, 4, -4)
    draft = builder.apply_editor_state(draft, {"edited_rows": {0: {"assessment": 2.0, "owner": "Supply"}}})
    draft = builder.set_fields(draft, name="Launch")
    assert builder.is_dirty(con, draft, seed.PRODUCT_LAUNCH)
    assert builder.save_draft(con, draft, original=seed.PRODUCT_LAUNCH) == "Launch"
    saved = builder.journey_file(con, "Launch")
    assert builder.names_in(saved)[:2] == ["Out of stock", "Product innovation"]
    assert saved["touchpoints"][0]["owner"] == "Supply"
    assert store.assessments(con, "Launch") == {"Out of stock": (2.0, 1), "Marketing": (9.0, 6)}
    assert not builder.is_dirty(con, saved, "Launch")


def test_check_draft_blocks_taken_names_and_empty_journeys(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    taken = builder.check_draft(con, _draft("A") | {"name": seed.PRODUCT_LAUNCH}, original=None)
    assert taken.errors == ("A journey named 'Product launch' already exists: pick another name.",)
    empty = builder.check_draft(con, builder.blank_draft() | {"name": "New"}, original=None)
    assert empty.errors == ("Journey 'New' has no touchpoints: add at least one.",)
    with pytest.raises(InvalidInput, match="has no touchpoints"):
        builder.save_draft(con, builder.blank_draft() | {"name": "New"}, original=None)
    assert store.journey_names(con) == [seed.PRODUCT_LAUNCH]


def test_operational_metrics_of_a_data_set(con: duckdb.DuckDBPyConnection) -> None:
    rows = pd.DataFrame({"respondent": ["r1"], "touchpoint": ["Delivery"], "score": [4.0], "scale_min": [1.0],
                         "scale_max": [5.0]})
    ops = pd.DataFrame({"respondent": ["r1", "r1"], "touchpoint": ["Delivery"] * 2, "name": ["delay_days", "cost"],
                        "value": [2.0, 5.0]})
    store.save_dataset(con, "Ops", rows, operational=ops)
    assert store.operational_metrics(con, "Ops") == ["cost", "delay_days"]
    assert store.operational_metrics(con, "Other") == []


# ---------------------------------------------------------------- the page


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page(PAGE)
    for key, value in params.items():
        at.query_params[key] = value
    return _ok(at.run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str, nth: int = 0):
    return [b for b in at.button if b.label == label][nth]


def _stored(db: Path, name: str) -> dict[str, Any]:
    con = store.connect(db)
    try:
        return builder.journey_file(con, name)
    finally:
        con.close()


def _order(at: AppTest) -> list[str]:
    return [m.value.split("  \n")[0] for m in at.markdown if "  \n:gray[" in m.value]


def test_page_edits_reorders_and_saves_a_journey(db: Path) -> None:
    at = _page(journey=seed.PRODUCT_LAUNCH)
    assert at.selectbox(key="builder_pick").value == seed.PRODUCT_LAUNCH
    assert _order(at) == ["Product innovation", "Electronics store", "Marketing", "Product purchase", "Out of stock"]
    assert at.caption[-1].value == "All changes saved." or any(c.value == "All changes saved." for c in at.caption)

    _ok(_button(at, "↑", 4).click().run())  # "Out of stock" up one place (the first ↑ is disabled)
    assert _order(at)[3:] == ["Out of stock", "Product purchase"]
    _ok(_button(at, "✕", 0).click().run())  # remove "Product innovation"
    at.text_input(key=f"builder_persona_{at.session_state['builder_gen']}").set_value("Gadget fan")
    _ok(at.run())
    new_form = [t for t in at.text_input if t.label == "New touchpoint"][0]
    new_form.set_value("Review site")
    _ok(_button(at, "Add").click().run())
    assert _order(at)[-1] == "Review site"
    assert any(c.value == "● Unsaved changes" for c in at.caption)
    _ok(_button(at, "Save journey").click().run())
    assert at.success[0].value == "Saved the journey 'Product launch' (5 touchpoints)."

    saved = _stored(db, seed.PRODUCT_LAUNCH)
    assert builder.names_in(saved) == ["Electronics store", "Marketing", "Out of stock", "Product purchase",
                                       "Review site"]
    assert saved["persona"] == "Gadget fan"
    assert [t["assessment"] for t in saved["touchpoints"]] == [3.0, 10.0, 1.0, 10.0, None]


def test_page_table_edits_are_saved(db: Path) -> None:
    at = _page(journey=seed.PRODUCT_LAUNCH)
    key = f"builder_editor_{at.session_state['builder_gen']}_{at.session_state['builder_ver']}"
    at.session_state[key] = {"edited_rows": {0: {"assessment": 8.0, "owner": "Product team", "target": 7.5}},
                             "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    _ok(_button(at, "Save journey").click().run())
    first = _stored(db, seed.PRODUCT_LAUNCH)["touchpoints"][0]
    assert (first["assessment"], first["owner"], first["target"]) == (8.0, "Product team", 7.5)


def test_a_new_unsaved_journey_never_says_all_changes_saved(db: Path) -> None:
    at = _page()
    at.selectbox(key="builder_pick").set_value("➕ New journey")
    _ok(at.run())
    captions = [c.value for c in at.caption]
    assert "A new journey: not saved yet." in captions and "All changes saved." not in captions


def test_page_creates_a_journey_from_the_data_set_inventory(db: Path) -> None:
    at = _page()
    at.selectbox(key="builder_pick").set_value("➕ New journey")
    _ok(at.run())
    gen = at.session_state["builder_gen"]
    at.text_input(key=f"builder_name_{gen}").set_value("Store visit")
    at.selectbox(key=f"builder_dataset_{gen}").set_value("Retail sample")
    _ok(at.run())
    picker = [m for m in at.multiselect if m.label == "From data set 'Retail sample'"][0]
    assert "Staff advice" in picker.options
    picker.select("Staff advice").select("Checkout")
    _ok(_button(at, "Add selected").click().run())
    assert _order(at) == ["Staff advice", "Checkout"]
    at.text_input(key=f"builder_name_{gen}").set_value(seed.PRODUCT_LAUNCH)
    _ok(_button(at, "Save journey").click().run())
    assert at.error[0].value == "A journey named 'Product launch' already exists: pick another name."
    at.text_input(key=f"builder_name_{gen}").set_value("Store visit")
    _ok(_button(at, "Save journey").click().run())
    assert at.selectbox(key="builder_pick").value == "Store visit"
    saved = _stored(db, "Store visit")
    assert builder.names_in(saved) == ["Staff advice", "Checkout"] and saved["dataset"] == "Retail sample"


def test_page_deletes_only_after_confirmation_and_restores_the_example(db: Path) -> None:
    at = _page(journey=seed.PRODUCT_LAUNCH)
    _ok(_button(at, "Delete…").click().run())
    assert "Delete the journey 'Product launch'" in at.warning[0].value
    _ok(_button(at, "Cancel").click().run())
    assert seed.PRODUCT_LAUNCH in at.selectbox(key="builder_pick").options
    _ok(_button(at, "Delete…").click().run())
    _ok(_button(at, "Yes, delete it").click().run())
    assert at.success[0].value == "Deleted the journey 'Product launch'."
    assert seed.PRODUCT_LAUNCH not in at.selectbox(key="builder_pick").options
    _ok(_button(at, "Restore the product-launch journey").click().run())
    assert at.selectbox(key="builder_pick").value == seed.PRODUCT_LAUNCH
    assert _stored(db, seed.PRODUCT_LAUNCH) == journey_file.journey_to_dict(
        *journey_file.journey_from_dict(json.loads(seed.PRODUCT_LAUNCH_FILE.read_text(encoding="utf-8"))))


def test_page_duplicates_and_exports(db: Path) -> None:
    at = _page(journey=seed.PRODUCT_LAUNCH)
    exported = at.get("download_button")[0]
    assert exported.proto.label == "Export JSON"
    _ok(_button(at, "Duplicate").click().run())
    assert at.success[0].value == "Duplicated 'Product launch' as 'Product launch (copy)'."
    assert at.selectbox(key="builder_pick").value == "Product launch (copy)"


def test_page_imports_a_file_and_lets_the_user_decide_about_unknown_touchpoints(db: Path) -> None:
    data = _file(name="Home delivery", dataset="Retail sample")
    data["touchpoints"][0]["touchpoint"] = "Checkout"  # in the sample data; "Parcel locker" is not
    data["touchpoints"][1]["touchpoint"] = "Parcel locker"
    at = _page()
    at.file_uploader[0].set_value(("delivery.json", json.dumps(data).encode(), "application/json"))
    _ok(at.run())
    assert any("1 touchpoint is not in data set 'Retail sample': 'Parcel locker'" in w.value for w in at.warning)
    at.radio[0].set_value("Leave them out")
    _ok(_button(at, "Import").click().run())
    assert at.success[0].value == "Imported the journey 'Home delivery'."
    assert at.selectbox(key="builder_pick").value == "Home delivery"
    assert builder.names_in(_stored(db, "Home delivery")) == ["Checkout"]

    at.file_uploader[0].set_value(("delivery.json", json.dumps(data).encode(), "application/json"))
    _ok(at.run())
    import_button = _button(at, "Import")
    assert import_button.disabled  # the name is taken: rename or tick "Replace"
    at.checkbox[0].check()
    _ok(at.run())
    _ok(_button(at, "Import").click().run())
    assert builder.names_in(_stored(db, "Home delivery")) == ["Checkout", "Parcel locker"]


def test_page_shows_why_a_file_cannot_be_imported(db: Path) -> None:
    at = _page()
    at.file_uploader[0].set_value(("bad.json", b'{"name": "X", "touchpoints": [{"touchpoint": "A", "stage": "z"}]}',
                                   "application/json"))
    _ok(at.run())
    assert "stage \"z\" is not one of attraction, interaction, cultivation" in at.error[0].value
    at.file_uploader[0].set_value(("bad.json", b"{oops", "application/json"))
    _ok(at.run())
    assert at.error[0].value.startswith("Cannot read this file: The file is not valid JSON")


# ---------------------------------------------------------------- the command line


def test_cli_exports_and_imports_journeys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cx.__main__ import main

    source, target = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path in (source, target):
        con = store.connect(path)
        store.set_setting(con, "seeded_at", "never")  # no sample data: this test needs none
        con.close()
    con = store.connect(source)
    seed.restore_product_launch(con)
    con.close()
    out = tmp_path / "launch.json"
    assert main(["journey-export", "--db", str(source), "--journey", seed.PRODUCT_LAUNCH, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["journey-import", str(out), "--db", str(target), "--as", "Launch copy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"journey": "Launch copy", "dropped": []}
    assert main(["journey-export", "--db", str(target), "--journey", "Launch copy"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported == {**json.loads(out.read_text(encoding="utf-8")), "name": "Launch copy"}
    assert main(["journey-import", str(out), "--db", str(target), "--as", "Launch copy"]) == 2
    assert "already exists: import it under another name" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "X", "touchpoints": [{"touchpoint": "A", "target": 12}]}', encoding="utf-8")
    assert main(["journey-import", str(bad), "--db", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'target' is 12; use a number from 0 to 10" in err
