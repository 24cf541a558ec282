"""Survey links: tokens, live data sets, opening records nothing, exactly-once Send, shared links, page and CLI."""

from __future__ import annotations

import binascii
import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import alerts, exports, journeys, store, survey
from cx.__main__ import main
from cx.errors import CxError, InvalidInput
from cx.survey import AlreadyAnswered, LinkExpired, LinkNotFound, LinkStatus
from tests.conftest import ROOT, app_test_on, long_rows, no_exceptions

PAGE = "pages/13_Feedback.py"
# Markup that survived escaping: bold, a link, an image tag, TeX, a colour directive, a dash ligature, a bare URL.
RAW_MARKUP = re.compile(r"(?<!\\)\*\*bold|(?<!\\)\[x(?<!\\)\]\(|(?<!\\)<img|(?<!\\)\$y(?<!\\)\$|:red|--dash|://e")
T0 = datetime(2026, 3, 1, 9, 0, 0)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(store.rows(con, f"SELECT count(*) FROM {store.quote_ident(table)}")[0][0])


def _answers(con: duckdb.DuckDBPyConnection, dataset: str) -> list[tuple[object, ...]]:
    return store.rows(con, """SELECT respondent, touchpoint, score, scale_min, scale_max, reversed, channel,
                                     answered_at, comment FROM responses WHERE dataset = ? ORDER BY answered_at""",
                      [dataset])


def _one(con: duckdb.DuckDBPyConnection, dataset: str = "Shop live", touchpoint: str = "Checkout",
         **kwargs: object) -> survey.NewLink:
    return survey.create_links(con, dataset, touchpoint, **kwargs)[0]  # type: ignore[arg-type]


# ---------------------------------------------------------------- tokens and links


def test_tokens_are_unguessable_and_only_their_hash_is_stored(con: duckdb.DuckDBPyConnection) -> None:
    links = survey.create_links(con, "Shop live", "Checkout", count=50)
    tokens = [n.token for n in links]
    assert len(set(tokens)) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{31}", t) for t in tokens)  # 24 random bytes = 192 bits
    stored = store.rows(con, "SELECT token_hash FROM survey_links ORDER BY created_at")
    assert sorted(h for (h,) in stored) == sorted(survey.token_hash(t) for t in tokens)
    dump = " ".join(str(v) for table in ("survey_links", "survey_sends", "datasets")
                    for row in store.rows(con, f"SELECT * FROM {table}") for v in row)
    assert not any(t in dump for t in tokens)
    assert links[0].url == f"http://localhost:8501/Feedback?t={links[0].token}"


def test_a_new_data_set_is_created_live_with_no_rows_and_a_0_to_10_scale(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, "  Store  feedback ", " Checkout\n")
    assert (link.dataset, link.touchpoint, link.scale_min, link.scale_max) == ("Store feedback", "Checkout", 0.0, 10.0)
    assert store.rows(con, "SELECT dataset, kind, source, rows_loaded FROM datasets") == [
        ("Store feedback", "live", "survey links", 0)]
    assert _count(con, "responses") == 0
    assert survey.touchpoints_of(con, "Store feedback") == ["Checkout"]
    # A second batch for the same touchpoint keeps its scale; the data set is not created twice.
    assert _one(con, "Store feedback", "Checkout").scale_max == 10.0
    assert _one(con, "Store feedback", "Delivery", scale=(1, 5)).scale_max == 5.0
    assert _one(con, "Store feedback", "Delivery").scale_max == 5.0  # its links' scale now
    assert _count(con, "datasets") == 1


def test_an_existing_touchpoint_keeps_its_scale_unless_one_is_given(con: duckdb.DuckDBPyConnection) -> None:
    store.save_dataset(con, "Survey", pd.concat([long_rows("Effort", [2, 6], 1, 7), long_rows("Mixed", [3], 1, 5),
                                                 long_rows("Mixed", [8], 0, 10).assign(respondent="r9")]))
    assert (_one(con, "Survey", "Effort").scale_min, _one(con, "Survey", "Effort").scale_max) == (1.0, 7.0)
    assert _one(con, "Survey", "Effort", scale=[0, 10]).scale_max == 10.0
    with pytest.raises(InvalidInput, match=r"'Mixed' is asked on several scales in 'Survey' \(0–10, 1–5\): pick"):
        _one(con, "Survey", "Mixed")
    assert _one(con, "Survey", "Mixed", scale=(1, 5)).scale_max == 5.0
    assert store.rows(con, "SELECT kind FROM datasets") == [("import",)]  # answers go to the imported data set


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"count": 0}, r"Ask for 1 to 10,000 links at a time \(asked for 0\)"),
    ({"count": 10_001}, "asked for 10001"),
    ({"expires_days": 0}, r"more than 0 and at most 3,650 days \(asked for 0\)"),
    ({"expires_days": -2}, "asked for -2"),
    ({"expires_days": float("nan")}, "asked for nan"),
    ({"scale": (0, 100)}, "the scale 0–100 cannot be answered with one button per score"),
    ({"scale": (1.5, 5)}, "Use whole numbers"),
    ({"scale": (5, 1)}, "lowest below highest"),
    ({"base_url": "ftp://cx.example.org"}, "The base URL must be the address the app is reached at"),
    ({"base_url": "https://cx.example.org/?x=1"}, "no query"),
])
def test_bad_link_requests_are_refused_and_store_nothing(
    con: duckdb.DuckDBPyConnection, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _one(con, **kwargs)
    assert _count(con, "survey_links") == 0 and _count(con, "datasets") == 0


def test_a_link_needs_a_data_set_and_a_touchpoint(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="Survey links need a data set"):
        _one(con, " ", "Checkout")
    with pytest.raises(InvalidInput, match="Survey links need a touchpoint"):
        _one(con, "Shop", "\t")


@pytest.mark.parametrize(("url", "base"), [
    ("http://10.0.0.5:8501/Feedback", "http://10.0.0.5:8501"),
    ("https://cx.example.org/team/Feedback?x=1", "https://cx.example.org/team"),
    ("https://cx.example.org/team/", "https://cx.example.org/team"),
    ("http://localhost:8501/", "http://localhost:8501"),
    (None, None), ("not a url", None),
])
def test_the_base_url_comes_from_the_page_address(url: str | None, base: str | None) -> None:
    assert survey.base_url_of(url) == base


def test_link_urls_join_the_base_url_and_the_token() -> None:
    assert survey.link_url("https://cx.example.org/team/", "Abc123_-xyzXYZ0123456789") == \
        "https://cx.example.org/team/Feedback?t=Abc123_-xyzXYZ0123456789"


# ---------------------------------------------------------------- opening records nothing


def test_opening_a_link_says_what_it_is_and_records_nothing(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, now=T0, expires_days=7)
    for _ in range(20):  # an e-mail scanner, a preview, the customer twice
        found = survey.lookup(con, link.token, now=T0 + timedelta(days=1))
        assert found.status is LinkStatus.OPEN and found.message == ""
    assert found.link is not None and found.link.question == "How would you rate Checkout?"
    assert found.link.scores == tuple(range(11)) and found.link.channel == "link"
    assert _count(con, "survey_sends") == 0 and _count(con, "responses") == 0


@pytest.mark.parametrize("token", [None, "", "short", "x" * 200, "<img src=x onerror=alert(1)>",
                                   "A" * 32, "../../etc/passwd" + "a" * 20])
def test_unknown_tokens_say_only_that_the_link_is_not_valid(con: duckdb.DuckDBPyConnection, token: str | None) -> None:
    _one(con)
    found = survey.lookup(con, token)
    assert found.status is LinkStatus.UNKNOWN and found.link is None
    assert found.message == "This feedback link is not valid. Check that the whole link was copied."
    with pytest.raises(LinkNotFound, match="^This feedback link is not valid"):
        survey.send(con, token or "", 5)
    assert _count(con, "survey_sends") == 0


def test_an_expired_link_takes_no_answer(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, now=T0, expires_days=1.5)
    assert survey.lookup(con, link.token, now=T0 + timedelta(hours=35)).status is LinkStatus.OPEN
    late = T0 + timedelta(hours=36)
    found = survey.lookup(con, link.token, now=late)
    assert found.status is LinkStatus.EXPIRED and found.link is None  # nothing about it is shown
    assert found.message.startswith("This feedback link has expired")
    with pytest.raises(LinkExpired, match="has expired"):
        survey.send(con, link.token, 7, now=late)
    assert _count(con, "responses") == 0 and _count(con, "survey_sends") == 0
    never = _one(con, now=T0, expires_days=None)
    assert survey.lookup(con, never.token, now=T0 + timedelta(days=9000)).status is LinkStatus.OPEN


# ---------------------------------------------------------------- sending


def test_send_stores_one_answer_and_a_second_send_stores_nothing(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, now=T0)
    answer = survey.send(con, link.token, 3, "  queue was \x00long\x07\r\nand slow  ", now=T0 + timedelta(hours=2))
    assert answer.comment == "queue was long \nand slow" and answer.channel == "link"
    rows = _answers(con, "Shop live")
    assert rows == [(answer.respondent, "Checkout", 3.0, 0.0, 10.0, False, "link", T0 + timedelta(hours=2),
                     "queue was long \nand slow")]
    respondent = answer.respondent
    assert re.fullmatch(r"link-[0-9a-f]{20}", respondent)
    assert link.token not in respondent and survey.token_hash(link.token)[:20] not in respondent
    assert survey.lookup(con, link.token).status is LinkStatus.ANSWERED
    assert survey.lookup(con, link.token).message == "Already answered — thank you!"
    with pytest.raises(AlreadyAnswered, match="^Already answered — thank you!$"):
        survey.send(con, link.token, 9, "changed my mind", sender="someone else")
    assert _answers(con, "Shop live") == rows  # the first answer stands, nothing more was stored
    assert store.rows(con, "SELECT sender, respondent FROM survey_sends") == [("", respondent)]
    # An answered single-use link past its expiry still says "answered" (not "expired").
    assert survey.lookup(con, link.token, now=T0 + timedelta(days=99)).status is LinkStatus.ANSWERED


@pytest.mark.parametrize(("score", "message"), [
    (11, "11 is not a score of this question: pick one of 0–10"), (-1, "pick one of 0–10"),
    (4.5, "4.5 is not a score"), (float("nan"), "nan is not a score"), (True, "True is not a score"),
    ("7", "'7' is not a score"),
])
def test_a_score_off_the_scale_is_refused_and_the_link_stays_open(
    con: duckdb.DuckDBPyConnection, score: object, message: str
) -> None:
    link = _one(con)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        survey.send(con, link.token, score, None)  # type: ignore[arg-type]
    assert survey.lookup(con, link.token).status is LinkStatus.OPEN
    assert _count(con, "responses") == 0


def test_a_long_comment_is_refused_and_an_empty_one_is_none(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con)
    with pytest.raises(InvalidInput, match="The comment is 501 characters long: keep it under 500"):
        survey.send(con, link.token, 5, "x" * 501)
    assert survey.send(con, link.token, 5, " \t\x00 ").comment is None


def test_a_1_to_5_link_stores_the_answer_on_its_scale(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, scale=(1, 5))
    with pytest.raises(InvalidInput, match="pick one of 1–5"):
        survey.send(con, link.token, 0)
    survey.send(con, link.token, 5)
    assert [(r[2], r[3], r[4]) for r in _answers(con, "Shop live")] == [(5.0, 1.0, 5.0)]


def test_a_shared_link_takes_one_answer_per_sender(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, shared=True)
    first = survey.send(con, link.token, 8, sender="browser-a")
    second = survey.send(con, link.token, 2, sender="browser-b")
    assert first.channel == second.channel == "qr"
    assert first.respondent != second.respondent and re.fullmatch(r"qr-[0-9a-f]{20}", first.respondent)
    assert "browser-a" not in first.respondent
    assert survey.lookup(con, link.token, sender="browser-a").status is LinkStatus.ANSWERED
    assert survey.lookup(con, link.token, sender="browser-c").status is LinkStatus.OPEN
    assert survey.lookup(con, link.token).status is LinkStatus.OPEN  # the poster itself stays open
    with pytest.raises(AlreadyAnswered):
        survey.send(con, link.token, 10, sender="browser-a")
    with pytest.raises(InvalidInput, match="A shared link needs the sender's id"):
        survey.send(con, link.token, 10, sender=" ")
    assert sorted(r[2] for r in _answers(con, "Shop live")) == [2.0, 8.0]
    assert survey.send(con, link.token, 9, sender="browser-a2").respondent not in (first.respondent,
                                                                                    second.respondent)


def test_answers_appear_in_the_data_sets_scores_at_once(con: duckdb.DuckDBPyConnection) -> None:
    links = survey.create_links(con, "Shop live", "Checkout", count=3)
    assert journeys.dataset_scores(con, "Shop live").touchpoints == ()
    for link, score in zip(links, (4, 8, 9), strict=True):
        survey.send(con, link.token, score)
    shared = _one(con, "Shop live", "Delivery", shared=True, scale=(1, 5))
    for sender, score in (("a", 2), ("b", 4)):
        survey.send(con, shared.token, score, sender=sender)
    scores = {t.touchpoint: t for t in journeys.dataset_scores(con, "Shop live", min_n=1).touchpoints}
    assert (scores["Checkout"].n, scores["Checkout"].mean, scores["Checkout"].score) == (3, 7.0, 7.0)
    assert (scores["Delivery"].n, scores["Delivery"].mean, scores["Delivery"].score) == (2, 3.0, 5.0)
    summary = survey.link_summary(con)
    assert summary[["touchpoint", "kind", "links", "answers"]].values.tolist() == [
        ["Checkout", "single-use", 3, 3], ["Delivery", "shared", 1, 2]]
    assert summary["open"].tolist() == [0, pd.NA]  # a shared link is never used up: no count


# ---------------------------------------------------------------- alerts after the commit


def test_alerts_run_after_the_commit_with_the_data_set_and_touchpoint(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = _one(con)
    calls: list[tuple[str, list[str], list[str], int]] = []

    def on_answers(cursor: duckdb.DuckDBPyConnection, dataset: str, touchpoints: list[str], *,
                   respondents: list[str]) -> int:
        other = con.cursor()  # another session sees the answer: it is committed
        calls.append((dataset, list(touchpoints), list(respondents), _count(other, "responses")))
        other.close()
        return 1

    monkeypatch.setattr(alerts, "on_answers", on_answers)
    answer = survey.send(con, link.token, 2)
    # the answer is named by its respondent: under concurrent Sends the last one stored may be another's
    assert calls == [("Shop live", ["Checkout"], [answer.respondent], 1)]


@pytest.mark.parametrize("error", [CxError("webhook rule broken"), RuntimeError("bug in a rule")])
def test_failing_alerts_never_undo_or_block_an_answer(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    link = _one(con)

    def on_answers(*_: object, **__: object) -> int:
        raise error

    monkeypatch.setattr(alerts, "on_answers", on_answers)
    answer = survey.send(con, link.token, 1, "awful")
    assert answer.score == 1.0 and _count(con, "responses") == 1
    assert "Alerts after a survey answer in 'Shop live' failed; the answer is stored." in caplog.text
    assert str(error) in caplog.text


# ---------------------------------------------------------------- concurrency


def _race(count: int, target) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_sends_on_one_single_use_link_store_exactly_one(con: duckdb.DuckDBPyConnection, round_: int) -> None:
    link = _one(con)
    stored: list[float] = []
    lock = threading.Lock()

    def sender(i: int) -> None:
        cursor = con.cursor()  # each session its own cursor, as on the page
        try:
            answer = survey.send(cursor, link.token, i % 11, f"phone {i}", sender=f"s{i}")
            with lock:
                stored.append(answer.score)
        finally:
            cursor.close()

    errors = _race(16, sender)
    assert len(stored) == 1 and len(errors) == 15
    assert all(isinstance(e, AlreadyAnswered) for e in errors), errors
    rows = _answers(con, "Shop live")
    assert len(rows) == 1 and rows[0][2] == stored[0] and _count(con, "survey_sends") == 1


def test_many_browsers_on_one_shared_link_at_once_are_all_stored(con: duckdb.DuckDBPyConnection) -> None:
    link = _one(con, shared=True)

    def browser(i: int) -> None:
        cursor = con.cursor()
        try:
            survey.send(cursor, link.token, i % 11, sender=f"browser-{i}")
            with pytest.raises(AlreadyAnswered):  # the same browser again
                survey.send(cursor, link.token, 0, sender=f"browser-{i}")
        finally:
            cursor.close()

    assert _race(24, browser) == []
    assert sorted(r[2] for r in _answers(con, "Shop live")) == sorted(float(i % 11) for i in range(24))
    assert _count(con, "survey_sends") == 24


# ---------------------------------------------------------------- one answer per browser


def _xsrf(token: bytes, mask: bytes, stamp: int = 1767225600) -> str:
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{binascii.b2a_hex(mask).decode()}|{binascii.b2a_hex(masked).decode()}|{stamp}"


def test_the_sender_of_a_browser_stays_the_same_when_its_cookie_is_masked_afresh() -> None:
    token = os.urandom(16)
    first = survey.sender_from_cookie(_xsrf(token, b"\x01\x02\x03\x04"))
    assert first is not None and re.fullmatch(r"browser-[0-9a-f]{32}", first)
    assert survey.sender_from_cookie(_xsrf(token, b"\xff\x00\x10\x7f", stamp=1)) == first
    assert survey.sender_from_cookie(f'"{_xsrf(token, b"abcd")}"') == first
    assert survey.sender_from_cookie(_xsrf(os.urandom(16), b"\x01\x02\x03\x04")) != first
    assert binascii.b2a_hex(token).decode() not in first
    assert survey.sender_from_cookie(binascii.b2a_hex(token).decode()) == first  # version 1: the token in hex
    for junk in (None, "", "2|zz|zz|1", "2|0102|", "hello", "2|01020304||5"):
        assert survey.sender_from_cookie(junk) is None
    sessions = {survey.session_sender() for _ in range(20)}
    assert len(sessions) == 20 and all(s.startswith("session-") for s in sessions)


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "never")  # no sample data: these tests need none
    con.close()
    return path


def test_cli_prints_the_links_json_contract(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["survey-links", "--dataset", "Shop live", "--touchpoint", "Checkout", "--count", "3",
                 "--db", str(cli_db), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["links"] and len(payload["links"]) == 3
    for item in payload["links"]:
        assert list(item) == ["token", "url"]
        assert item["url"] == f"http://localhost:8501/Feedback?t={item['token']}"
    assert main(["survey-links", "--dataset", "Shop live", "--touchpoint", "Poster", "--shared", "--expires", "2",
                 "--base-url", "https://cx.example.org/shop/", "--db", str(cli_db), "--json"]) == 0
    shared = json.loads(capsys.readouterr().out)["links"]
    assert [link["url"] for link in shared] == [f"https://cx.example.org/shop/Feedback?t={shared[0]['token']}"]
    assert main(["survey-links", "--dataset", "Shop live", "--touchpoint", "Checkout", "--db", str(cli_db)]) == 0
    plain = capsys.readouterr().out.splitlines()
    assert len(plain) == 1 and plain[0].startswith("http://localhost:8501/Feedback?t=")
    con = store.connect(cli_db)
    try:
        assert store.rows(con, "SELECT touchpoint, shared, count(*) FROM survey_links GROUP BY ALL ORDER BY 1") == [
            ("Checkout", False, 4), ("Poster", True, 1)]
        created, expires = store.rows(con, "SELECT created_at, expires_at FROM survey_links WHERE shared")[0]
        assert expires - created == timedelta(days=2)
        assert survey.lookup(con, payload["links"][0]["token"]).status is LinkStatus.OPEN
        assert store.rows(con, "SELECT kind FROM datasets") == [("live",)]
    finally:
        con.close()


@pytest.mark.parametrize(("flags", "message"), [
    (["--count", "0"], "Ask for 1 to 10,000 links at a time (asked for 0)."),
    (["--count", "10001"], "Ask for 1 to 10,000 links at a time (asked for 10001)."),
    (["--expires", "0"], "Links expire after more than 0 and at most 3,650 days (asked for 0)."),
    (["--expires", "-1"], "(asked for -1)"),
    (["--base-url", "localhost:8501"], "The base URL must be the address the app is reached at"),
    (["--count", "many"], "invalid int value: 'many'"),
])
def test_cli_refuses_bad_flags_in_one_line_with_exit_2(
    cli_db: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    argv = ["survey-links", "--dataset", "Shop live", "--touchpoint", "Checkout", *flags, "--db", str(cli_db)]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and message in err
    con = store.connect(cli_db)
    assert _count(con, "survey_links") == 0
    con.close()


# ---------------------------------------------------------------- the page


@pytest.fixture
def page_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database with the data set 'Shop' (Checkout answered on 1–5) and nothing seeded."""
    path = tmp_path / "cx.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    store.save_dataset(con, "Shop", long_rows("Checkout", [2, 4], 1, 5))
    con.close()
    with app_test_on(path, monkeypatch):
        yield path


def _links(db: Path, *args: str, **kwargs: object) -> list[survey.NewLink]:
    con = store.connect(db)
    try:
        return survey.create_links(con, *args, **kwargs)  # type: ignore[arg-type]
    finally:
        con.close()


def _counts(db: Path) -> tuple[int, int]:
    con = store.connect(db)
    try:
        return _count(con, "survey_sends"), _count(con, "responses")
    finally:
        con.close()


def _open(token: str | None = None, *, url: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if url is not None:
        at.context["url"] = url  # the address the browser shows (st.context.url)
    at.run()
    at.switch_page(PAGE)
    if token is not None:
        at.query_params["t"] = token
    at.run()
    no_exceptions(at)
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace(exports.WORD_JOINER, "")


def test_opening_a_link_on_the_page_many_times_records_nothing(page_db: Path) -> None:
    link = _links(page_db, "Shop", "Checkout")[0]
    for _ in range(5):  # a scanner opens it again and again, each time as a new session
        at = _open(link.token)
        assert _plain(at.header[0].value) == "How would you rate Checkout?"
    assert _counts(page_db) == (0, 2)  # the two imported answers, nothing more
    assert not at.sidebar.selectbox and not at.sidebar.number_input  # no settings for customers
    assert list(at.get("button_group")[0].options) == ["1", "2", "3", "4", "5"]  # the touchpoint's 1–5 scale


def test_a_customer_answers_once_and_a_reload_says_already_answered(page_db: Path) -> None:
    link = _links(page_db, "Shop", "Checkout")[0]
    at = _open(link.token)
    _button(at, "Send").click().run()  # no score picked yet
    assert at.warning[0].value == "Pick a score first, then press Send."
    assert _counts(page_db) == (0, 2)
    at.get("button_group")[0].set_value(4)
    at.text_area[0].set_value("friendly **staff**")
    _button(at, "Send").click().run()
    no_exceptions(at)
    assert at.success[0].value == "Thank you! Your answer is saved."
    assert not at.get("button_group") and not at.text_area  # the form is gone
    assert _counts(page_db) == (1, 3)
    con = store.connect(page_db)
    assert store.rows(con, "SELECT score, scale_max, channel, comment FROM responses WHERE channel = 'link'") == [
        (4.0, 5.0, "link", "friendly **staff**")]
    con.close()
    again = _open(link.token)  # a reload: a new session on the same link
    assert again.info[0].value == "Already answered — thank you!"
    assert not again.get("button_group") and _counts(page_db) == (1, 3)


def test_a_shared_link_on_the_page_takes_one_answer_per_session_without_a_cookie(page_db: Path) -> None:
    link = _links(page_db, "Shop", "Poster", shared=True)[0]
    for score in (7, 3):
        at = _open(link.token)
        assert list(at.get("button_group")[0].options) == [str(i) for i in range(11)]
        at.get("button_group")[0].set_value(score)
        _button(at, "Send").click().run()
        assert at.success[0].value == "Thank you! Your answer is saved."
        at.run()  # the same session again: thanked, never asked twice
        assert at.success[0].value == "Thank you! Your answer is saved." and not at.get("button_group")
    con = store.connect(page_db)
    assert store.rows(con, "SELECT score, channel FROM responses WHERE touchpoint = 'Poster' ORDER BY 1") == [
        (3.0, "qr"), (7.0, "qr")]
    con.close()


@pytest.mark.parametrize("token", ["", "nope", "<img src=x onerror=alert(1)>", "[x](http://evil.example/x)",
                                   ":red[x]" * 5, "A" * 32])
def test_an_unknown_token_says_so_and_reflects_nothing(page_db: Path, token: str) -> None:
    at = _open(token)
    assert [w.value for w in at.warning] == ["This feedback link is not valid. Check that the whole link was copied."]
    assert not at.header and not at.sidebar.selectbox
    shown = " ".join(str(e.value) for kind in ("title", "header", "markdown", "caption", "warning", "info", "error")
                     for e in getattr(at, kind))
    assert (not token or token not in shown) and "evil" not in shown and "cx.duckdb" not in shown


def test_an_expired_link_on_the_page_says_so(page_db: Path) -> None:
    link = _links(page_db, "Shop", "Checkout", now=datetime(2020, 1, 1), expires_days=1)[0]
    at = _open(link.token)
    assert at.warning[0].value.startswith("This feedback link has expired")
    assert not at.header and _counts(page_db) == (0, 2)


def test_a_hostile_touchpoint_name_is_shown_literally(page_db: Path) -> None:
    hostile = "**bold** [x](http://e.x) <img src=x onerror=alert(1)> :red[x] --dash-- $y$"
    assert RAW_MARKUP.search(hostile)  # the check finds the markup when it is not escaped
    link = _links(page_db, "Shop", hostile)[0]
    at = _open(link.token)
    header = at.header[0].value
    assert _plain(header) == f"How would you rate {hostile}?"
    assert not RAW_MARKUP.search(header)
    at.get("button_group")[0].set_value(0)
    _button(at, "Send").click().run()
    assert at.success[0].value == "Thank you! Your answer is saved."


def test_an_answer_shows_at_once_on_a_page_already_open(page_db: Path) -> None:
    link = _links(page_db, "Shop", "Checkout")[0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/3_Touchpoints.py")
    at.query_params["dataset"] = "Shop"
    at.run()
    no_exceptions(at)
    row = at.dataframe[0].value.set_index("Touchpoint").loc["Checkout"]
    assert (row["n"], row["Mean (original scale)"]) == (2, 3.0)  # the imported 2 and 4 on 1–5
    phone = _open(link.token)
    phone.get("button_group")[0].set_value(5)
    _button(phone, "Send").click().run()
    assert phone.success[0].value == "Thank you! Your answer is saved."
    at.run()  # the same open page, its results cached by the data's version
    row = at.dataframe[0].value.set_index("Touchpoint").loc["Checkout"]
    assert (row["n"], row["Mean (original scale)"]) == (3, pytest.approx(11 / 3))


def test_the_organiser_creates_links_and_downloads_them_as_a_safe_csv(page_db: Path) -> None:
    at = _open()
    assert at.title[0].value == "Feedback links" and at.sidebar.selectbox  # the settings, as on other pages
    assert at.selectbox(key="feedback_dataset").options == ["Shop", "New live data set…"]
    assert at.selectbox(key="feedback_touchpoint").options == ["Checkout", "Another touchpoint…"]
    assert at.selectbox(key="feedback_scale").options[0] == "as asked now (1–5)"
    assert "None yet." in [c.value for c in at.main.caption]
    at.number_input(key="feedback_count").set_value(3)
    at.number_input(key="feedback_days").set_value(14)
    at.text_input(key="feedback_base").set_value("https://cx.example.org")
    _button(at, "Create links").click().run()
    no_exceptions(at)
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["kind"]) == {"single-use"} and set(table["scale"]) == {"1–5"}
    assert all(url == f"https://cx.example.org/Feedback?t={token}" for url, token in zip(table["url"], table["token"],
                                                                                         strict=True))
    assert any("cannot show them again" in w.value for w in at.warning)
    csv = at.get("download_button")[0].proto
    assert csv.label == "Download survey links (CSV)"
    summary = at.dataframe[1].value
    assert summary[["dataset", "touchpoint", "kind", "links", "answers", "open"]].values.tolist() == [
        ["Shop", "Checkout", "single-use", 3, 0, 3]]
    con = store.connect(page_db)
    try:
        for token in table["token"]:
            assert survey.lookup(con, token).status is LinkStatus.OPEN
        (expires,) = {r[0] - r[1] for r in store.rows(con, "SELECT expires_at, created_at FROM survey_links")}
        assert expires == timedelta(days=14)
    finally:
        con.close()


def test_the_organiser_creates_a_shared_link_for_a_new_live_data_set_with_a_qr_code(
    page_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[bytes] = []
    real_csv = exports.safe_csv

    def recording_csv(frame: pd.DataFrame, notes: tuple[str, ...] = ()) -> bytes:
        downloads.append(real_csv(frame, notes))
        return downloads[-1]

    monkeypatch.setattr(exports, "safe_csv", recording_csv)
    at = _open()
    at.selectbox(key="feedback_dataset").set_value("New live data set…").run()
    at.text_input(key="feedback_new_dataset").set_value('=HYPERLINK("http://evil.example")').run()
    at.text_input(key="feedback_touchpoint_name").set_value("-Poster")
    at.radio(key="feedback_kind").set_value("Shared link + QR code (one answer per browser)")
    _button(at, "Create links").click().run()
    no_exceptions(at)
    table = at.dataframe[0].value
    assert table["kind"].tolist() == ["shared"] and table["scale"].tolist() == ["0–10"]
    url, token = table["url"][0], table["token"][0]
    assert url == f"{survey.DEFAULT_BASE_URL}/Feedback?t={token}"  # no browser behind AppTest: the default
    assert at.code[0].value == url
    assert len(at.get("image")) == 1  # the QR code, ready to print
    qr = next(b.proto for b in at.get("download_button") if b.proto.label == "Download QR code (PNG)")
    assert qr.url  # served by the app, as the image is
    summary = at.dataframe[1].value  # a shared link is never used up: no "still open" count
    assert summary[["kind", "links", "answers"]].values.tolist() == [["shared", 1, 0]]
    assert summary["open"].isna().tolist() == [True]
    assert any("point at this computer only" in c.value for c in at.caption)
    # The download holds the same rows, every formula-looking cell neutralised.
    lines = downloads[-1].decode("utf-8").splitlines()
    assert lines[:2] == ['# Data set: =HYPERLINK("http://evil.example")', "# Touchpoint: -Poster"]  # "#" first
    assert lines[2] == "url,token,dataset,touchpoint,kind,scale,expires_at"
    assert lines[3].startswith(f'{url},{token},"\'=HYPERLINK(""http://evil.example"")",\'-Poster,shared,0–10,')
    con = store.connect(page_db)
    try:
        assert store.rows(con, "SELECT kind FROM datasets WHERE dataset = ?", ['=HYPERLINK("http://evil.example")']) \
            == [("live",)]
    finally:
        con.close()


def test_the_base_url_defaults_to_the_address_the_organiser_page_is_open_at(page_db: Path) -> None:
    at = _open(url="https://cx.example.org/shop/Feedback")
    assert at.text_input(key="feedback_base").value == "https://cx.example.org/shop"
    _button(at, "Create links").click().run()
    url, token = at.dataframe[0].value[["url", "token"]].iloc[0]
    assert url == f"https://cx.example.org/shop/Feedback?t={token}"
    assert not any("point at this computer only" in c.value for c in at.caption)


def test_the_organiser_sees_why_links_cannot_be_created(page_db: Path) -> None:
    at = _open()
    at.selectbox(key="feedback_dataset").set_value("New live data set…").run()
    _button(at, "Create links").click().run()
    assert at.error[0].value.startswith("Could not create the links: Survey links need a data set")


@pytest.mark.parametrize(("count", "columns"), [(5, 5), (7, 7), (10, 5), (11, 6)])
def test_score_buttons_sit_in_one_row_up_to_seven_else_two_even_rows(count: int, columns: int) -> None:
    assert survey.score_columns(count) == columns
