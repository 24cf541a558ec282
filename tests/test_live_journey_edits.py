"""Editing a journey while a workshop of it runs, and deleting a data set journeys link: nothing is lost silently.

A running workshop keeps its votes under the touchpoint names, so its touchpoints may be added, moved and
described but not renamed or removed until it closes — refused in store.save_journey (the builder page, the
journey-import command and restoring the example all go through it), with the reason on the builder page.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import __main__ as cli
from cx import builder, seed, store, ui, workshop
from cx.errors import InvalidInput
from cx.models import Journey, JourneyStep
from cx.workshop import Vote
from tests.conftest import app_test_on, long_rows, no_exceptions

STEPS = ("Search", "Checkout", "Delivery")


def _journey(con: duckdb.DuckDBPyConnection, steps: tuple[str, ...] = STEPS, name: str = "Shop") -> Journey:
    journey = Journey(name=name, steps=tuple(JourneyStep(i, t) for i, t in enumerate(steps, start=1)))
    store.save_journey(con, journey, replace=name in store.journey_names(con))
    return journey


def _live(con: duckdb.DuckDBPyConnection) -> str:
    """Return the code of a running workshop of "Shop" with 3 votes on Checkout (4, 6, 8) and 1 on Search (5)."""
    _journey(con)
    code = workshop.start_workshop(con, "Shop").code
    for participant, score in (("a", 4), ("b", 6), ("c", 8)):
        workshop.cast_votes(con, code, participant, {"Checkout": Vote(score)})
    workshop.cast_votes(con, code, "a", {"Search": Vote(5)})
    return code


def _votes(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, int]:
    return dict(zip(*(workshop.tally(con, code)[c] for c in ("touchpoint", "votes")), strict=True))


def test_renaming_a_voted_touchpoint_during_a_workshop_is_refused_with_the_reason(
    con: duckdb.DuckDBPyConnection
) -> None:
    code = _live(con)
    with pytest.raises(InvalidInput) as refused:
        _journey(con, ("Search", "Payment", "Delivery"))
    assert str(refused.value) == (
        f"Journey 'Shop': workshop {code} is running, and its votes are kept under the touchpoint names, so "
        "'Checkout' cannot be renamed or removed now (3 votes on it so far). Touchpoints can be added, moved and "
        "described while it runs; close the workshop on the Workshop page first to rename or remove one.")
    with pytest.raises(InvalidInput, match=r"'Search', 'Delivery' cannot be renamed or removed now \(1 vote on "
                                           r"them so far\)"):
        _journey(con, ("Checkout",))
    assert [s.touchpoint for s in store.load_journey(con, "Shop").steps] == list(STEPS)
    assert _votes(con, code) == {"Search": 1, "Checkout": 3, "Delivery": 0}


def test_moving_and_adding_touchpoints_during_a_workshop_keeps_every_vote(con: duckdb.DuckDBPyConnection) -> None:
    code = _live(con)
    _journey(con, ("Checkout", "Search", "Delivery", "Returns"))
    assert _votes(con, code) == {"Checkout": 3, "Search": 1, "Delivery": 0, "Returns": 0}
    assert workshop.close_workshop(con, code) == {"Checkout": (6.0, 3), "Search": (5.0, 1)}
    _journey(con, ("Search", "Payment"))  # closed: the journey is free to change again
    assert [s.touchpoint for s in store.load_journey(con, "Shop").steps] == ["Search", "Payment"]
    assert store.assessments(con, "Shop", workshop.source_name(code)) == {"Checkout": (6.0, 3), "Search": (5.0, 1)}


def test_every_path_that_rewrites_a_journey_obeys_the_running_workshop(con: duckdb.DuckDBPyConnection) -> None:
    code = _live(con)
    draft = builder.journey_file(con, "Shop")
    draft["touchpoints"][1]["touchpoint"] = "Payment"
    check = builder.check_draft(con, draft, original="Shop")
    assert not check.ok and check.errors == (builder.workshop_conflict(con, draft, original="Shop"),)
    with pytest.raises(InvalidInput, match="'Checkout' cannot be renamed or removed now"):
        builder.save_draft(con, draft, original="Shop")
    with pytest.raises(InvalidInput, match="'Checkout' cannot be renamed or removed now"):
        builder.import_journey(con, draft, replace=True)
    renamed = {**builder.journey_file(con, "Shop"), "name": "Shop (renamed)"}
    builder.save_draft(con, renamed, original="Shop")  # the journey's own name may change: votes follow its id
    assert workshop.get_workshop(con, code).journey == "Shop (renamed)"
    assert _votes(con, code) == {"Search": 1, "Checkout": 3, "Delivery": 0}


def test_the_command_line_refuses_a_journey_import_that_would_drop_votes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    code = _live(con)
    edited = builder.journey_file(con, "Shop")
    edited["touchpoints"][1]["touchpoint"] = "Payment"
    con.close()
    (tmp_path / "shop.json").write_text(json.dumps(edited), encoding="utf-8")
    status = cli.main(["journey-import", str(tmp_path / "shop.json"), "--replace", "--db", str(path)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert f"cx journey-import: Journey 'Shop': workshop {code} is running" in err
    con = store.connect(path)
    assert _votes(con, code) == {"Search": 1, "Checkout": 3, "Delivery": 0}
    con.close()


def test_the_builder_page_says_why_a_running_workshops_touchpoint_cannot_be_renamed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = store.connect(db)
    code = _live(con)
    con.close()
    with app_test_on(db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/9_Journey_builder.py")
        at.query_params["journey"] = "Shop"
        at.run()
        no_exceptions(at)
        assert any(f"Workshop {code} is running for this journey" in i.value for i in at.info)
        key = f"builder_editor_{at.session_state['builder_gen']}_{at.session_state['builder_ver']}"
        at.session_state[key] = {"edited_rows": {1: {"touchpoint": "Payment"}}, "added_rows": [],
                                 "deleted_rows": []}
        at.run()
        no_exceptions(at)
        con = store.connect(db)
        reason = ui.escape_md(store.running_workshop_conflict(con, "Shop", ["Search", "Payment", "Delivery"]) or "")
        assert reason.startswith("Journey 'Shop': workshop") and [e.value for e in at.error] == [reason]
        next(b for b in at.button if b.label == "Save journey").click().run()
        no_exceptions(at)
        assert [e.value for e in at.error] == [reason]  # said once, and nothing saved
        assert not at.success
        assert [s.touchpoint for s in store.load_journey(con, "Shop").steps] == list(STEPS)
        assert _votes(con, code) == {"Search": 1, "Checkout": 3, "Delivery": 0}
        con.close()


# ---------------------------------------------------------------- deleting a data set journeys link


def _dataset(con: duckdb.DuckDBPyConnection, name: str = "Survey") -> None:
    store.save_dataset(con, name, pd.concat([long_rows("Checkout", [4, 5], 1, 5), long_rows("Search", [3], 1, 5)]))


def test_deleting_a_data_set_names_the_journeys_that_lose_their_link(con: duckdb.DuckDBPyConnection) -> None:
    _dataset(con)
    _dataset(con, "Other")
    for name, dataset in (("Shop", "Survey"), ("Return", "Survey"), ("Elsewhere", "Other")):
        store.save_journey(con, Journey(name=name, dataset=dataset, steps=(JourneyStep(1, "Checkout"),)))
    assert store.journeys_linked_to(con, "Survey") == ["Shop", "Return"]
    assert store.unlinked_sentence(["Shop", "Return"], done=False) == (
        "Journeys 'Shop', 'Return' link this data set: they keep their touchpoints and team scores but lose the link "
        "and the customer scores.")
    assert store.delete_dataset(con, "Survey") == ["Shop", "Return"]
    assert [store.load_journey(con, n).dataset for n in ("Shop", "Return", "Elsewhere")] == [None, None, "Other"]
    assert store.delete_dataset(con, "Other") == ["Elsewhere"]
    assert store.unlinked_sentence(["Elsewhere"], done=True) == (
        "Journey 'Elsewhere' no longer has a linked data set: link another in the Journey builder to see customer "
        "scores again.")
    assert store.unlinked_sentence([], done=True) is None


def test_the_upload_page_says_which_journeys_lose_their_link_before_and_after_a_delete(upload_page: AppTest) -> None:
    at = upload_page
    db = store.connect(store.default_db_path())  # the page's own database (CX_DB)
    _dataset(db)
    store.save_journey(db, Journey(name="Shop", dataset="Survey", steps=(JourneyStep(1, "Checkout"),)))
    db.close()
    at.run()
    no_exceptions(at)
    assert [w.value for w in at.warning] == [ui.escape_md(store.unlinked_sentence(["Shop"], done=False) or "")]
    at.checkbox(key="datasets_delete_confirm-Survey").check().run()
    next(b for b in at.button if b.key == "datasets_delete").click().run()
    no_exceptions(at)
    assert [s.value for s in at.success] == [ui.escape_md(
        "Deleted 'Survey'. Journey 'Shop' no longer has a linked data set: link another in the Journey builder to "
        "see customer scores again.")]
    assert not at.warning


def test_restoring_the_example_during_its_workshop_keeps_the_votes(con: duckdb.DuckDBPyConnection) -> None:
    seed.restore_product_launch(con)
    code = workshop.start_workshop(con, seed.PRODUCT_LAUNCH).code
    workshop.cast_votes(con, code, "p", {"Marketing": Vote(9)})
    seed.restore_product_launch(con)  # the same touchpoints: allowed, and the vote stays
    assert workshop.workshop_assessment(con, code) == {"Marketing": (9.0, 1)}
