"""What a browser user may reach on the server: only the data folder, with one refusal for everything else.

The sidebar's Feedback source and New database go through cx.data_folder: paths are resolved (`..`,
absolute, `~`, symbolic links) and refused outside the data folder with a message that is the same
whether the path exists or not; creating databases is off unless CX_MAX_DATABASES allows it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cx import data_folder, store
from cx.errors import InvalidInput, NotFound
from cx.exports import escape_markdown
from tests.conftest import app_test_on, no_exceptions

SOURCE_LABEL = "Parquet folder in the data folder (empty: the cx store)"
NEW_LABEL = "New database in the data folder"


@pytest.fixture
def folder(tmp_path: Path, seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a data folder (CX_DATA_DIR) holding a copy of the seeded database (CX_DB), next to an outside one."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(seeded_db, root / "cx.duckdb")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("not for browsers")
    monkeypatch.setenv(data_folder.DATA_DIR_ENV, str(root))
    monkeypatch.delenv(data_folder.MAX_DATABASES_ENV, raising=False)
    monkeypatch.delenv("CX_SOURCE", raising=False)
    monkeypatch.delenv("CX_ENGINE", raising=False)
    return root


@pytest.fixture
def home(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    with app_test_on(folder / "cx.duckdb", monkeypatch) as at:
        at.run()
        no_exceptions(at)
        yield at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _type_source(at: AppTest, text: str) -> list[str]:
    box = next(t for t in at.text_input if t.label == SOURCE_LABEL)
    box.input(text).run()
    no_exceptions(at)
    return _errors(at)


# ------------------------------------------------------------------ the rule, without Streamlit
@pytest.mark.parametrize("typed", [
    "..", "../outside", "../outside/secret.txt", "../missing/nowhere", "sub/../../outside", "/", "/etc",
    "/no/such/folder", "~", "~/x", "~root", "~nobody-here/x", "a\x00b", "",
])
def test_every_path_outside_the_data_folder_gets_the_same_refusal(folder: Path, typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        data_folder.inside(typed)
    assert str(caught.value) == data_folder.OUTSIDE


def test_absolute_paths_outside_are_refused_whether_they_exist_or_not(folder: Path, tmp_path: Path) -> None:
    messages = set()
    for typed in (str(tmp_path / "outside"), str(tmp_path / "outside" / "secret.txt"), str(tmp_path / "gone")):
        with pytest.raises(InvalidInput) as caught:
            data_folder.inside(typed)
        messages.add(str(caught.value))
    assert messages == {data_folder.OUTSIDE}


def test_a_link_that_leads_out_is_refused_and_one_that_stays_in_is_followed(folder: Path, tmp_path: Path) -> None:
    (folder / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    (folder / "exports").mkdir()
    (folder / "alias").symlink_to(folder / "exports", target_is_directory=True)
    with pytest.raises(InvalidInput, match="Only folders inside the data folder"):
        data_folder.inside("escape")
    with pytest.raises(InvalidInput, match="Only folders inside the data folder"):
        data_folder.inside("escape/secret.txt")
    assert data_folder.inside("alias") == (folder / "exports").resolve()
    assert data_folder.inside(str(folder / "exports")) == (folder / "exports").resolve()  # absolute but inside
    assert data_folder.inside("exports/../exports") == (folder / "exports").resolve()


def test_paths_are_shown_relative_to_the_data_folder(folder: Path, tmp_path: Path) -> None:
    assert data_folder.shown_path(folder / "cx.duckdb") == "cx.duckdb"
    assert data_folder.shown_path(folder / "exports" / "march") == "exports/march"
    # Only an operator's CX_DB / CX_SOURCE can be outside; it is shown as configured.
    assert data_folder.shown_path(tmp_path / "elsewhere.duckdb") == str(tmp_path / "elsewhere.duckdb")


def test_a_missing_folder_inside_is_named_relative_to_the_data_folder(folder: Path) -> None:
    with pytest.raises(NotFound) as caught:
        data_folder.source_folder("exports/march")
    assert str(caught.value).startswith("There is no folder exports/march in the data folder")
    assert str(folder) not in str(caught.value)


def test_database_names_are_sanitised_and_creation_is_capped(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="Creating databases from the browser is off"):
        data_folder.new_database("workshop")
    assert data_folder.new_database("cx") == folder / "cx.duckdb"  # an existing one opens even when creation is off
    monkeypatch.setenv(data_folder.MAX_DATABASES_ENV, "2")
    assert data_folder.new_database("../../etc/pass wd!") == folder / "etcpasswd.duckdb"
    assert data_folder.new_database("x" * 100) == folder / f"{'x' * data_folder.NAME_MAX}.duckdb"
    with pytest.raises(InvalidInput, match="needs letters or digits"):
        data_folder.new_database("../..")
    (folder / "second.duckdb").touch()
    with pytest.raises(InvalidInput, match="already holds 2 database files"):
        data_folder.new_database("third")
    monkeypatch.setenv(data_folder.MAX_DATABASES_ENV, "many")
    assert data_folder.max_databases() == 0


# ------------------------------------------------------------------ the sidebar, through AppTest
def test_the_sidebar_refuses_outside_paths_with_one_message(home: AppTest, folder: Path, tmp_path: Path) -> None:
    (folder / "escape").symlink_to(tmp_path / "outside", target_is_directory=True)
    seen = {}
    for typed in ("../outside", "../does-not-exist", str(tmp_path / "outside"), "/no/such/folder", "escape",
                  "escape/missing", "~", "~root"):
        seen[typed] = _type_source(home, typed)
    assert all(errors == [escape_markdown(data_folder.OUTSIDE)] for errors in seen.values()), seen
    assert home.session_state["cx_source"] is None  # the pages stay on the store


def test_the_sidebar_reads_a_parquet_folder_inside_and_shows_it_relative(
        home: AppTest, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.connect(folder / "cx.duckdb")
    store.export_parquet(con, "Retail sample", folder / "exports" / "lake")
    con.close()
    assert _type_source(home, "exports/missing") == [escape_markdown(
        "There is no folder exports/missing in the data folder: write one with `python -m cx export --dataset "
        "NAME --out DIR`, DIR inside the data folder.")]
    assert _type_source(home, "exports/../exports/lake") == []
    assert home.session_state["cx_source"] == str((folder / "exports" / "lake").resolve())
    home.switch_page("pages/2_Overview.py").run()
    no_exceptions(home)
    captions = [c.value for c in home.caption]
    assert "Computed on duckdb · Parquet at exports/lake" in captions
    assert not any(str(folder) in c for c in captions)


def test_database_creation_is_off_by_default(home: AppTest, folder: Path) -> None:
    assert NEW_LABEL not in [t.label for t in home.text_input]
    assert "Creating databases from the browser is off (CX_MAX_DATABASES)." in [c.value for c in home.caption]
    assert "Database: cx.duckdb" in [c.value for c in home.caption]
    assert home.selectbox(key="cx_db_input").options == ["cx.duckdb"]
    assert data_folder.databases() == [folder / "cx.duckdb"]


def test_database_creation_with_the_setting_uses_a_safe_name(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data_folder.MAX_DATABASES_ENV, "2")
    with app_test_on(folder / "cx.duckdb", monkeypatch) as at:
        at.run()
        box = next(t for t in at.text_input if t.label == NEW_LABEL)
        box.input("../../Work shop!").run()
        no_exceptions(at)
        assert "Using Workshop.duckdb" in [c.value for c in at.caption]
        assert "Database: Workshop.duckdb" in [c.value for c in at.caption]
        assert (folder / "Workshop.duckdb").is_file()
        assert not list(folder.parent.glob("*.duckdb"))  # nothing written outside the data folder
        # The folder now holds 2 files, the most allowed: a third is refused, the two stay usable.
        next(t for t in at.text_input if t.label == NEW_LABEL).input("third").run()
        no_exceptions(at)
        assert _errors(at) == [escape_markdown(
            "The data folder already holds 2 database files, the most CX_MAX_DATABASES allows: pick one of the list, "
            "or delete one on the server.")]
        assert not (folder / "third.duckdb").exists()
        assert at.selectbox(key="cx_db_input").options == ["cx.duckdb", "Workshop.duckdb"]
