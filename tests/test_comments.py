"""Comments: score bands, sentiment, contradictions, search, distinctive terms, and the Comments page.

Hostile comment text (HTML, script, Markdown, formulas) must reach the page only as plain text.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cx import comments, store
from cx.engines import store_engine
from cx.metrics import Filter

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = (
    "<script>window.__cx_pwned = 1</script>",
    "<b>bold</b> and <img src=x onerror=\"window.__cx_pwned = 2\">",
    "**not bold** [a link](javascript:alert(1)) :red[not red] $x^2$",
    "=HYPERLINK(\"http://evil.example\", \"click\")",
)


# ---------------------------------------------------------------- bands, sentiment, contradictions


@pytest.mark.parametrize(("score10", "lo", "hi", "reversed_scale", "band"), [
    (0.0, 0, 10, False, "detractor"), (6.0, 0, 10, False, "detractor"), (7.0, 0, 10, False, "passive"),
    (8.0, 0, 10, False, "passive"), (9.0, 0, 10, False, "promoter"), (10.0, 0, 10, False, "promoter"),
    (0.0, 1, 5, False, "low"), (2.5, 1, 5, False, "low"), (5.0, 1, 5, False, "middle"), (7.5, 1, 5, False, "high"),
    (10 / 3, 1, 7, False, "low"), (5.0, 1, 7, False, "middle"), (20 / 3, 1, 7, False, "high"),
    (10.0, 1, 5, True, "high"), (6.0, 0, 10, True, "high"), (None, 0, 10, False, "no score"),
    (float("nan"), 1, 5, False, "no score"),
])
def test_score_bands(score10: float | None, lo: float, hi: float, reversed_scale: bool, band: str) -> None:
    assert comments.score_band(score10, lo, hi, reversed_scale) == band


def test_sentiment_reads_praise_and_complaints() -> None:
    assert comments.sentiment("Great comparison tool, saved me time.") > 0.5
    assert comments.sentiment("Card machine failed twice.") < -0.3
    assert comments.sentiment("") == 0.0
    assert [comments.sentiment_label(x) for x in (0.05, 0.049, -0.049, -0.05)] == [
        "positive", "neutral", "neutral", "negative"]


def test_customer_service_words_correct_vader() -> None:
    # Plain VADER reads "support" as praise and knows nothing of "late": the cx word list fixes both.
    assert comments.sentiment("Support read from a script.") == 0.0
    assert comments.sentiment("Parcel arrived late.") < -0.05
    assert comments.sentiment("Quick delivery.") > 0.05


@pytest.mark.parametrize(("label", "score10", "expected"), [
    ("positive", 4.0, True), ("positive", 4.5, False), ("negative", 7.0, True), ("negative", 6.9, False),
    ("neutral", 0.0, False), ("neutral", 10.0, False), ("positive", 10.0, False), ("negative", 0.0, False),
    ("positive", None, False), ("negative", float("nan"), False),
])
def test_contradiction_rule(label: str, score10: float | None, expected: bool) -> None:
    assert comments.contradicts(label, score10) is expected


# ---------------------------------------------------------------- reading comments from the store


def _rows(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["respondent", "touchpoint", "score", "scale_min", "scale_max", "channel",
                                        "unit", "answered_at", "comment"])
    frame["answered_at"] = pd.to_datetime(frame["answered_at"])
    return frame


@pytest.fixture
def small(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A data set of 7 answers: 5 comments (one blank, one missing), two touchpoints, two channels."""
    store.save_dataset(con, "Small", _rows([
        ("r1", "Till", 2.0, 0, 10, "store", "Leeds", "2026-01-05 10:00", "Queue was long, the Queue never moved."),
        ("r2", "Till", 10.0, 0, 10, "web", "Leeds", "2026-01-07 10:00", "Loved it, great and quick."),
        ("r3", "Till", 1.0, 0, 10, "store", "York", "2026-01-06 10:00", "Wonderful staff, great service."),
        ("r4", "Till", 8.0, 0, 10, "store", "York", "2026-01-08 10:00", "   "),
        ("r5", "Till", 9.0, 0, 10, "store", None, "2026-01-09 10:00", None),
        ("r6", "Web", 2.0, 1, 5, "web", None, "2026-01-10 10:00", "Page (v2) crashed*"),
        ("r7", "Web", 5.0, 1, 5, "web", None, "2026-01-04 10:00", "Terrible, awful, broken."),
    ]))
    return con


def test_comments_newest_first_with_band_sentiment_and_contradictions(small: duckdb.DuckDBPyConnection) -> None:
    frame = comments.comments(store_engine(small), "Small")
    assert frame.columns.tolist() == list(comments.COMMENT_COLUMNS)
    assert frame["respondent"].tolist() == ["r6", "r2", "r3", "r1", "r7"]  # blank and missing left out
    assert frame["band"].tolist() == ["low", "promoter", "detractor", "detractor", "high"]
    assert frame["score10"].tolist() == [2.5, 10.0, 1.0, 2.0, 10.0]
    assert frame["sentiment_label"].tolist() == ["negative", "positive", "positive", "negative", "negative"]
    # Praise with a 1 of 10, and "terrible" with 5 of 5, say the opposite of their score.
    assert frame["contradicts"].tolist() == [False, False, True, False, True]


def test_comments_follow_filters_and_touchpoint(small: duckdb.DuckDBPyConnection) -> None:
    engine = store_engine(small)
    stores_only = comments.comments(engine, "Small", [Filter("channel", "in", ("store",))])
    assert stores_only["respondent"].tolist() == ["r3", "r1"]
    till = comments.comments(engine, "Small", [Filter("answered_at", ">=", datetime(2026, 1, 6))], touchpoint="Till")
    assert till["respondent"].tolist() == ["r2", "r3"]
    assert comments.answer_count(engine, "Small", touchpoint="Till") == 5
    assert comments.answer_count(engine, "Small", [Filter("channel", "in", ("web",))]) == 3


def test_select_comments_search_bands_contradicting_and_term(small: duckdb.DuckDBPyConnection) -> None:
    frame = comments.comments(store_engine(small), "Small")

    def who(**kwargs: object) -> list[str]:
        return comments.select_comments(frame, **kwargs)["respondent"].tolist()  # type: ignore[arg-type]

    assert who(search="GREAT") == ["r2", "r3"]
    assert who(search="great staff") == ["r3"]  # every word must occur
    assert who(search="(v2) crashed*") == ["r6"]  # plain text: brackets and stars are no pattern
    assert who(search=".*") == []
    assert who(bands=["detractor", "low"]) == ["r6", "r3", "r1"]
    assert who(contradicting=True) == ["r3", "r7"]
    assert who(term="queue") == ["r1"]
    assert who(term="queue never") == []  # "never" is a stop word: no term, and it breaks phrases
    assert who(term="never") == []
    assert who(max_score=2.0) == ["r6", "r3", "r1"]  # on each comment's own scale
    assert who(search="great", bands=["promoter"], contradicting=False) == ["r2"]


def test_band_counts_table_and_headings(small: duckdb.DuckDBPyConnection) -> None:
    frame = comments.comments(store_engine(small), "Small")  # bands: low, promoter, detractor, detractor, high
    assert comments.band_counts(frame) == (3, 2)
    table = comments.comments_table(frame)
    assert list(table.columns) == list(comments.TABLE_COLUMNS)
    assert table["scale"].tolist() == ["1–5", "0–10", "0–10", "0–10", "1–5"]
    assert table["score"].tolist() == [2.0, 10.0, 1.0, 2.0, 5.0]  # numbers stay numbers
    assert comments.comments_table(frame.iloc[:0]).empty
    rows = frame.to_dict("records")
    assert comments.comment_heading(rows[0]) == "2026-01-10 · Web · score 2 of 1–5 (low) · en · reads negative"
    assert comments.comment_heading(rows[2]) == (
        "2026-01-06 · Till · score 1 of 0–10 (detractor) · en · reads positive · contradicts its score")
    undated = {**rows[0], "answered_at": pd.NaT, "score": math.nan, "scale_min": 0.5, "band": comments.NO_SCORE}
    assert comments.comment_heading(undated) == "Web · no score (no score) · en · reads negative"
    french = {**rows[0], "language": "fr", "sentiment": math.nan, "sentiment_label": "not available for fr"}
    assert comments.comment_heading(french).endswith("· fr · sentiment not available for fr")
    assert comments.comment_heading({**rows[0], "answered_at": None, "scale_min": 0.5}).startswith(
        "Web · score 2 of 0.5–5 ")


def test_terms_of_a_comment() -> None:
    # stopwordsiso's English list holds "never", "got", "text", "was" and "empty": only "shelf" is left.
    assert comments.terms_of("Never got a text, the shelf was EMPTY!", "en") == frozenset({"shelf"})
    # Lemmas ("pre-orders" → "pre-order"); a stop word between two words breaks the phrase.
    assert comments.terms_of("No pre-orders and no idea", "en") == frozenset({"pre-order", "idea"})
    assert comments.terms_of("rude staff at the checkout", "en") == frozenset(
        {"rude", "staff", "checkout", "rude staff"})
    assert comments.terms_of("Os produtos chegaram atrasados", "pt") == frozenset(
        {"produto", "chegar", "atrasado", "produto chegar", "chegar atrasado"})
    assert comments.terms_of("") == frozenset()
    assert comments.tokens("Don’t <b>panic</b>") == ["don't", "b", "panic", "b"]


def _band_frame(low: list[str], high: list[str], middle: tuple[str, ...] = ()) -> pd.DataFrame:
    texts = [*low, *high, *middle]
    bands = ["detractor"] * len(low) + ["promoter"] * len(high) + ["passive"] * len(middle)
    return pd.DataFrame({"comment": texts, "band": bands})


def _log_odds(a: int, n_a: int, c: int, n_c: int) -> tuple[float, float]:
    """Hand formula: ln((a+.5)(d+.5) / ((b+.5)(c+.5))) and its z, b = n_a − a, d = n_c − c."""
    cells = (a + 0.5, n_a - a + 0.5, c + 0.5, n_c - c + 0.5)
    value = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    return value, value / math.sqrt(sum(1 / x for x in cells))


def test_distinctive_terms_exact_counts_and_sides() -> None:
    frame = _band_frame(
        low=["long queue", "queue again", "queue", "rude staff"],
        high=["friendly staff", "friendly staff", "friendly", "queue fine"],
        middle=("queue queue queue",),  # passives count on neither side
    )
    terms = comments.distinctive_terms(frame, top=5, min_count=3)
    assert terms[["side", "term", "low_count", "low_n", "high_count", "high_n"]].values.tolist() == [
        ["low", "queue", 3, 4, 1, 4],
        ["high", "friendly", 0, 4, 3, 4],
    ]
    queue, friendly = terms.iloc[0], terms.iloc[1]
    assert (queue["log_odds"], queue["z"]) == pytest.approx(_log_odds(3, 4, 1, 4))
    assert queue["log_odds"] == pytest.approx(math.log(3.5 * 3.5 / (1.5 * 1.5)))
    assert (friendly["log_odds"], friendly["z"]) == pytest.approx(_log_odds(0, 4, 3, 4))
    assert queue["low_share"] == 75.0 and friendly["high_share"] == 75.0
    # "staff" (1 low, 2 high) is more common among promoters but in fewer than min_count of them.
    assert "staff" not in terms["term"].tolist()
    assert comments.distinctive_terms(frame, min_count=2)["term"].tolist() == [
        "queue", "friendly", "friendly staff", "staff"]


def test_distinctive_terms_need_twice_the_odds_and_show_one_sentence_once() -> None:
    # "stock" is in 3 of 4 low and 2 of 4 high comments: odds ratio (3.5·2.5)/(1.5·2.5) ≈ 2.33 ≥ 2.
    # "store" is in 3 of 4 low and 3 of 4 high: no side.
    frame = _band_frame(
        low=["No pre-orders in store, out of stock", "No pre-orders in store, stock gone",
             "No pre-orders in store, stock", "fine"],
        high=["stock store", "stock store", "store", "fine"],
    )
    terms = comments.distinctive_terms(frame, min_count=3)
    # "pre-order" and "store" are in the same low comments, but "store" is as common among promoters.
    assert terms["term"].tolist() == ["pre-order", "stock"]
    assert terms["shown"].tolist() == ["pre-orders", "stock"]  # as the customers wrote it
    assert terms["side"].tolist() == ["low", "low"]
    assert terms.iloc[1]["log_odds"] == pytest.approx(math.log(3.5 * 2.5 / (1.5 * 2.5)))


def test_distinctive_terms_of_nothing_is_empty() -> None:
    empty = comments.distinctive_terms(pd.DataFrame({"comment": [], "band": []}))
    assert empty.empty and "term" in empty.columns
    assert comments.distinctive_terms(_band_frame(["a b"], ["c d"])).empty


def test_sample_weak_touchpoint_terms_and_contradictions(seeded_db: Path) -> None:
    con = store.connect(seeded_db)
    try:
        frame = comments.comments(store_engine(con), "Retail sample", touchpoint="Stock availability")
    finally:
        con.close()
    assert 500 < len(frame) < 800
    terms = comments.distinctive_terms(frame)
    low = terms[terms["side"] == "low"]["term"].tolist()
    high = terms[terms["side"] == "high"]["term"].tolist()
    assert "shelf" in low[:3]
    assert "stock alert" in high
    # The sample's contradictions are praise with a low score or a complaint with a high one.
    flagged = frame[frame["contradicts"]]
    assert len(flagged) >= 5
    assert all((flagged["score10"] <= 4) | (flagged["score10"] >= 7))


# ---------------------------------------------------------------- the page (AppTest)


@pytest.fixture
def app(seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("CX_DB", str(seeded_db))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    st.cache_resource.clear()


def _open(at: AppTest, **params: str) -> AppTest:
    at.run()
    at.switch_page("pages/7_Comments.py")
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _comments_shown(at: AppTest) -> pd.DataFrame:
    """Return the table of comments (the data frame with a comment column)."""
    return next(d.value for d in at.dataframe if "comment" in d.value.columns)


def _caption_with(at: AppTest, text: str) -> str:
    return next(c.value for c in at.caption if text in c.value)


def test_page_opens_on_the_weakest_touchpoint_with_its_terms(app: AppTest) -> None:
    at = _open(app)
    assert at.selectbox(key="choice_touchpoint").value == "Stock availability"
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Score (0–10)"] == "4.4"
    comments_n = int(tiles["Comments"].replace(",", ""))
    assert _caption_with(at, "newest first").startswith(f"{comments_n:,} of {comments_n:,} comments")
    low, high = at.pills
    assert low.label.startswith("In comments from detractors (0–6) (n = ")
    assert "few comments" in high.label  # 23 promoters: fewer than 30, flagged
    assert low.options[0].startswith("shelf · ")
    assert "Portuguese" in _caption_with(at, "Sentiment:")


def test_the_table_holds_the_newest_comments_up_to_its_limit_and_the_download_all(
        app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comments, "TABLE_ROWS", 25)  # the page reads the limit when it draws
    at = _open(app)
    comments_n = int({m.label: m.value for m in at.metric}["Comments"].replace(",", ""))
    assert comments_n > 25
    caption = _caption_with(at, "newest first")
    assert caption.startswith(f"{comments_n:,} of {comments_n:,} comments")
    assert "The table holds the newest 25: narrow the selection above, or download them all below." in caption
    shown = _comments_shown(at)
    assert len(shown) == 25
    assert shown["answered_at"].is_monotonic_decreasing
    assert any(d.proto.label == "Download these comments (CSV)" for d in at.get("download_button"))


def test_picking_a_term_shows_the_comments_that_contain_it(app: AppTest) -> None:
    at = _open(app)
    table = _comments_shown(at)
    expected = table["comment"].str.contains(r"\bshelf\b", case=False, regex=True).sum()
    at.pills[0].set_value("shelf").run()
    assert not at.exception
    shown = _comments_shown(at)
    assert len(shown) == expected > 50
    assert shown["comment"].str.contains("shelf", case=False).all()
    assert any(t.value == "Showing comments that contain the term: shelf" for t in at.text)
    at.button(key="comments_clear_term").click().run()
    assert len(_comments_shown(at)) == len(table)


def test_contradiction_switch_and_search(app: AppTest) -> None:
    at = _open(app)
    flagged = int(next(m.value for m in at.metric if m.label == "Contradict their score"))
    at.toggle(key="comments_contradicting").set_value(True).run()
    shown = _comments_shown(at)
    assert len(shown) == flagged > 0
    assert shown["contradicts"].all()
    at.toggle(key="comments_contradicting").set_value(False)
    at.text_input(key="comments_search").input("SHELF empty").run()
    shown = _comments_shown(at)
    assert len(shown) > 0
    assert (shown["comment"].str.contains("shelf", case=False) & shown["comment"].str.contains("empty")).all()


def _hostile_db(path: Path) -> Path:
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")  # no sample data: this database holds only the reviews
    store.save_dataset(con, "Hostile reviews", _rows([
        (f"h{i}", "Review site", float(score), 1, 5, "web", None, f"2026-02-0{i + 1} 12:00", text)
        for i, (score, text) in enumerate(zip((1, 5, 2, 4), HOSTILE, strict=True))
    ]), kind="reviews", source="review-site export")
    con.close()
    return path


def test_hostile_comments_render_as_plain_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CX_DB", str(_hostile_db(tmp_path / "hostile.duckdb")))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    try:
        at = _open(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), dataset="Hostile reviews")
        assert any("Public reviews: an uncontrolled touchpoint source" in i.value for i in at.info)
        assert at.selectbox(key="choice_touchpoint").value == "Review site"
        table = _comments_shown(at)
        assert sorted(table["comment"]) == sorted(HOSTILE)  # the exact text, nothing stripped or rendered
        texts = [t.value for t in at.text]
        for hostile in HOSTILE:
            assert hostile in texts  # "Read in full" shows each one with st.text
        # No user text reaches anything that renders Markdown or HTML.
        rendered = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
                    for e in at.get(kind)]
        for piece in ("__cx_pwned", "<b>", "not bold", "HYPERLINK", ":red["):
            assert not any(piece in str(value) for value in rendered), piece
        assert not at.get("html")
    finally:
        st.cache_resource.clear()


def test_hostile_comments_in_the_csv_cannot_run_as_formulas() -> None:
    from cx import exports

    frame = comments.annotate(pd.DataFrame({
        "touchpoint": ["Review site"] * 2, "score": [1.0, 5.0], "scale_min": [1.0, 1.0], "scale_max": [5.0, 5.0],
        "answered_at": pd.to_datetime(["2026-02-01", "2026-02-02"]), "comment": [HOSTILE[3], "+1 great"],
    }))
    text = exports.safe_csv(frame).decode("utf-8")
    assert "'=HYPERLINK" in text and "'+1 great" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


# ---------------------------------------------------------------- languages, themes and whole responses on the page


def test_page_shows_themes_of_low_score_comments_without_stop_words(app: AppTest) -> None:
    import stopwordsiso

    at = _open(app)
    themes = next(d.value for d in at.dataframe if "theme" in d.value.columns)
    assert 1 <= len(themes) <= 5 and themes["n"].sum() > 0
    stops = set(stopwordsiso.stopwords("en")) | set(stopwordsiso.stopwords("pt"))
    words = {w for terms in themes["terms"] for term in terms.split(" · ") for w in term.split()}
    assert words and not words & stops
    assert any(e.label.startswith("Examples: ") for e in at.expander)
    assert "English" in _caption_with(at, "Languages:")
    at.radio(key="comments_themes_of").set_value("all comments").run()
    assert not at.exception
    everything = next(d.value for d in at.dataframe if "theme" in d.value.columns)
    assert everything["n"].sum() > themes["n"].sum()


def test_language_and_sentiment_are_read_once_per_data_set(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    calls: list[str] = []
    real = comments.dataset_readings

    def counted(engine: object, dataset: str) -> object:
        calls.append(dataset)
        return real(engine, dataset)  # type: ignore[arg-type]

    st.cache_data.clear()
    monkeypatch.setattr(comments, "dataset_readings", counted)
    at = _open(app)
    at.selectbox(key="choice_touchpoint").set_value("Checkout").run()
    at.text_input(key="comments_search").input("slow").run()
    at.selectbox(key="choice_touchpoint").set_value("(all touchpoints)").run()
    assert not at.exception
    assert calls == ["Retail sample"]


WIDE_PT = """id,Entrega,Produto,Avaliacao,recomenda
1,1,2,Não recebi o produto,0
2,5,5,Chegou antes do prazo muito bom,10
3,2,1,Produto veio quebrado e ninguém respondeu,2
4,4,5,Gostei muito,9
"""


def test_a_wide_review_file_opens_on_whole_responses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cx import ingest, mapping

    path = tmp_path / "wide.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")
    file = tmp_path / "wide.csv"
    file.write_text(WIDE_PT, encoding="utf-8")
    spec = {"format": "wide", "respondent": "id", "touchpoints": ["Entrega", "Produto"], "scale": [1, 5],
            "comment": "Avaliacao", "outcome": {"column": "recomenda", "kind": "nps"}}
    result, _, _ = ingest.ingest_file(con, file, mapping.from_dict(spec), name="Avaliações",
                                      rejects=tmp_path / "wide.rejected.csv")
    assert result is not None
    con.close()
    monkeypatch.setenv("CX_DB", str(path))
    monkeypatch.chdir(ROOT)
    import streamlit as st

    st.cache_resource.clear()
    try:
        at = _open(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), dataset="Avaliações")
        assert at.selectbox(key="choice_touchpoint").value == "(all touchpoints)"
        shown = _comments_shown(at)
        assert len(shown) == 4  # one per respondent, not one per sub-rating
        assert set(shown["touchpoint"]) == {comments.WHOLE_RESPONSE} and set(shown["language"]) == {"pt"}
        by_comment = dict(zip(shown["comment"], shown["sentiment"], strict=True))
        assert by_comment["Não recebi o produto"] < 0 < by_comment["Chegou antes do prazo muito bom"]
        assert "Portuguese 4" in _caption_with(at, "Languages:")
        at.selectbox(key="choice_touchpoint").set_value("Entrega").run()
        assert any("4 comments belong to whole responses" in i.value for i in at.info)
    finally:
        st.cache_resource.clear()


def test_themes_of_a_few_stock_answers_repeated_are_those_answers() -> None:
    # 5 answers, 4,000 times each: the factorisation fits them exactly (scikit-learn once warned of a square root of
    # a rounding-negative number here, which pytest turns into an error).
    from cx import comments_themes

    answers = ["the website kept crashing", "setup took hours, manual unclear", "slow delivery and nobody called back",
               "shelves were empty again", "waited too long at the till"]
    frame = pd.DataFrame({"comment": [answers[i % 5] for i in range(20_000)], "language": "en",
                          "score": [1.0 + i % 5 for i in range(20_000)], "scale_min": 1.0, "scale_max": 5.0,
                          "reversed": False})
    frame["score10"] = (frame["score"] - 1) * 2.5
    found = comments_themes.themes(frame, k=5)
    assert sorted(t.n for t in found.themes) == [4_000] * 5
    assert sorted(t.examples[0] for t in found.themes) == sorted(answers)
    assert {t.mean_score for t in found.themes} == {1.0, 2.0, 3.0, 4.0, 5.0}  # each answer came with one score


def test_a_comment_on_every_answer_of_a_respondent_is_one_whole_response_comment() -> None:
    # A: the same text on all 3 answers (one respondent-level comment); B: two texts; C: a text and a blank answer;
    # D: one answer. Only A's is the whole response's; the others stay at their touchpoints.
    con = store.connect(":memory:")
    rows = [("A", "Web", "same"), ("A", "Shop", "same"), ("A", "Call", "same"), ("B", "Web", "x"), ("B", "Shop", "y"),
            ("C", "Web", "z"), ("C", "Shop", None), ("D", "Web", "w")]
    store.save_dataset(con, "Shop", pd.DataFrame({
        "respondent": [r[0] for r in rows], "touchpoint": [r[1] for r in rows], "score": 4.0, "scale_min": 1.0,
        "scale_max": 5.0, "comment": [r[2] for r in rows]}))
    found = comments.comments(store_engine(con), "Shop")
    got = sorted((r, t if isinstance(t, str) else None, c) for r, t, c in
                 zip(found["respondent"], found["touchpoint"], found["comment"], strict=True))
    assert got == [("A", None, "same"), ("B", "Shop", "y"), ("B", "Web", "x"), ("C", "Web", "z"), ("D", "Web", "w")]
