"""Comments in the customer's language: language, sentiment signs (with negation), themes, one comment per respondent.

The fixtures are small English and Portuguese comments whose sentiment sign and theme a reader can
check by eye; the numbers are VADER's formula worked by hand (valence v → v / √(v² + 15)).
"""

from __future__ import annotations

import gc
import json
import math
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import stopwordsiso

from cx import comments, comments_text, comments_themes, ingest, mapping, store
from cx.__main__ import main
from cx.engines import store_engine
from tests.conftest import comment_frame


def _vader(total: float) -> float:
    return total / math.sqrt(total * total + 15)


# ---------------------------------------------------------------- sentiment


@pytest.mark.parametrize(("text", "sign"), [
    ("Great service, the staff were lovely.", +1),
    ("Terrible queue and rude staff.", -1),
    ("I am not happy with the delivery.", -1),  # VADER's own negation works
    ("The app crashed twice.", -1),
])
def test_english_sentiment_signs(text: str, sign: int) -> None:
    value = comments.sentiment(text, "en")
    assert value is not None and value * sign > 0.05


@pytest.mark.parametrize(("text", "sign"), [
    ("Estou feliz", +1),
    ("Eu não estou feliz", -1),  # LeIA alone: +0.44
    ("não gostei do produto", -1),  # LeIA alone: +0.15
    ("gostei do produto", +1),
    ("não é ruim", +1),  # a negated complaint reads positive
    ("produto ruim", -1),
    ("sem problemas", +1),
    ("nunca chegou", -1),  # a denial that negates no sentiment word is a complaint
    ("Não recebi o produto", -1),
    ("Péssimo atendimento", -1),
    ("Ótima qualidade, recomendo!", +1),  # "ótima" is read through its lemma "ótimo"
    ("Não recomendo", -1),
    ("Produto veio quebrado", -1),
])
def test_portuguese_sentiment_signs(text: str, sign: int) -> None:
    value = comments.sentiment(text, "pt")
    assert value is not None and value * sign > 0.05, value


def test_portuguese_negation_by_hand() -> None:
    # "feliz" is +3.1 in LeIA's lexicon; "não" two words before turns it round: 3.1 × −0.74 = −2.294.
    assert comments_text.portuguese_sentiment("Eu não estou feliz") == pytest.approx(_vader(-2.294), abs=1e-4)
    assert comments_text.portuguese_sentiment("Eu estou feliz") == pytest.approx(_vader(3.1), abs=1e-4)
    # "gostei" +1.8 negated: −1.332. LeIA counted "não" itself as −1.2 and so never negated the next word.
    assert comments_text.portuguese_sentiment("não gostei do produto") == pytest.approx(_vader(-1.332), abs=1e-4)
    # A denial with no sentiment word after it counts LeIA's −1.2 for "não".
    assert comments_text.portuguese_sentiment("não recebi o produto") == pytest.approx(_vader(-1.2), abs=1e-4)
    # The window is 3 words: "bom" (+1.8) is 4 words after "não", so it is not turned round, and the denial counts.
    assert comments_text.portuguese_sentiment("não chegou no dia mas bom") > 0
    # Punctuation ends the negation: "não chegou, bom" is a complaint then praise, not negated praise.
    assert comments_text.portuguese_sentiment("não chegou. produto bom") == pytest.approx(
        _vader(-1.2 + 1.8), abs=1e-4)


def test_leia_alone_gets_negation_wrong() -> None:
    # Why cx scores Portuguese itself: LeIA's analyzer reads these negations as praise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # LeIA's module leaves its word-list files open
        from LeIA import SentimentIntensityAnalyzer

        leia = SentimentIntensityAnalyzer()
        gc.collect()
    assert leia.polarity_scores("Eu não estou feliz")["compound"] > 0
    assert comments.sentiment("Eu não estou feliz", "pt") < 0


def test_other_languages_have_no_sentiment_not_a_zero() -> None:
    assert comments.sentiment("Le colis est arrivé en retard, très déçu", "fr") is None
    assert comments.sentiment("El paquete llegó tarde", "es") is None
    assert comments.sentiment_label(None, "fr") == "not available for fr"
    assert comments.sentiment_label(float("nan"), "es") == "not available for es"
    assert comments_text.sentiment_unavailable("de") == "sentiment not available for de"
    assert comments.contradicts("not available for fr", 0.0) is False


# ---------------------------------------------------------------- language

ENGLISH = [
    "The delivery was late and nobody called me back",
    "Staff were friendly and the queue was short",
    "The screen arrived broken and support never answered",
    "Great price, fast delivery, would order again",
]
PORTUGUESE = [
    "O produto chegou antes do prazo, muito bom",
    "Não recebi o produto até agora, estou muito insatisfeito",
    "Entrega atrasada e ninguém respondeu meus emails",
    "Comprei dois e veio só um, péssimo atendimento",
    "Produto de ótima qualidade, recomendo a loja",
]


def test_languages_of_a_mixed_data_set() -> None:
    texts = [*ENGLISH, *PORTUGUESE, "Muito bom", "Great", "👍👍", "El paquete llegó tarde y roto, no lo recomiendo"]
    assert comments_text.detect_languages(texts) == ["en"] * 4 + ["pt"] * 5 + ["pt", "en", "und", "es"]


def test_a_short_text_takes_its_data_sets_language() -> None:
    # "bom" alone is ambiguous (py3langid's top guess is not Portuguese); among Portuguese comments it is.
    assert comments_text.detect_languages([*PORTUGUESE, "bom"])[-1] == "pt"
    assert comments_text.detect_languages([*ENGLISH, "ok"])[-1] == "en"


# ---------------------------------------------------------------- themes

_frame = comment_frame

LATE_PT = ["A entrega atrasou muito", "Entrega atrasada de novo", "Entrega atrasada, reclamei no site",
           "Atrasou a entrega duas semanas", "A entrega atrasou e ninguém avisou", "Entrega muito atrasada"]
BROKEN_EN = ["The screen arrived broken", "Broken screen on arrival", "Screen was broken in the box",
             "My screen came broken", "Broken screen, sent it back", "The screen is broken"]
REFUND_PT = ["Pedi reembolso e nada", "O reembolso nunca veio", "Esperando o reembolso há um mês",
             "Reembolso negado sem motivo", "Quero meu reembolso", "Reembolso demorado demais"]


GROUPS = {"late": LATE_PT, "broken": BROKEN_EN, "refund": REFUND_PT}


@pytest.fixture
def three_themes() -> pd.DataFrame:
    return _frame([(t, 1.0) for t in LATE_PT] + [(t, 2.0) for t in BROKEN_EN] + [(t, 2.0) for t in REFUND_PT])


def test_themes_find_the_three_complaints(three_themes: pd.DataFrame) -> None:
    found = comments_themes.themes(three_themes, k=3)
    assert found.reason is None and found.comments == 18
    assert [t.n for t in found.themes] == [6, 6, 6]
    assert sum(t.n for t in found.themes) + found.without_theme == 18
    by_group = {}
    for theme in found.themes:
        group = next(g for g in ("late", "broken", "refund") if set(theme.examples) <= set(GROUPS[g]))
        by_group[group] = theme
    assert set(by_group) == {"late", "broken", "refund"}
    assert "entrega" in by_group["late"].terms and "reembolso" in by_group["refund"].terms
    assert {"broken", "screen"} <= set(by_group["broken"].terms)
    assert by_group["late"].mean_score == 1.0 and by_group["broken"].mean_score == 2.0
    assert by_group["broken"].share == pytest.approx(6 / 18) and by_group["broken"].scale == (1.0, 5.0)
    assert len(by_group["broken"].examples) == 3


def test_no_stop_word_among_theme_terms_in_either_language(three_themes: pd.DataFrame) -> None:
    stops = set(stopwordsiso.stopwords("en")) | set(stopwordsiso.stopwords("pt"))
    found = comments_themes.themes(three_themes, k=3)
    for theme in found.themes:
        words = {w for term in theme.terms for w in term.split()} | set(theme.label.replace(" · ", " ").split())
        assert not words & stops, (theme.label, words & stops)


def test_themes_are_deterministic(three_themes: pd.DataFrame) -> None:
    first = comments_themes.themes(three_themes, k=3)
    assert first == comments_themes.themes(three_themes, k=3)  # a fixed start: the same themes every time
    again = comments_themes.themes(three_themes.sample(frac=1.0, random_state=0).reset_index(drop=True), k=3)
    assert sorted(frozenset(t.examples) <= frozenset(LATE_PT) for t in first.themes) == sorted(
        frozenset(t.examples) <= frozenset(LATE_PT) for t in again.themes)  # in another order: the same groups


def test_too_few_comments_give_a_reason_not_themes() -> None:
    found = comments_themes.themes(_frame([(t, 1.0) for t in LATE_PT[:4]]))
    assert found.themes == () and "Too few comments" in (found.reason or "")
    table = comments_themes.themes_table(found)
    assert list(table.columns) == list(comments_themes.THEME_COLUMNS) and table.empty


def test_typical_terms_use_the_same_cleaning() -> None:
    # Portuguese stop words ("de", "que", "um", "foi") never surface as typical terms.
    low = [f"O produto não chegou, foi um {w} que me deixou triste" for w in ("atraso", "erro", "atraso", "atraso")]
    high = ["Chegou rápido, produto de qualidade", "Produto de qualidade que chegou antes", "Gostei, qualidade",
            "Qualidade boa"]
    frame = _frame([(t, 1.0) for t in low] + [(t, 5.0) for t in high])
    terms = comments.distinctive_terms(frame, min_count=3)
    stops = set(stopwordsiso.stopwords("pt")) | set(stopwordsiso.stopwords("en"))
    assert {"atraso", "qualidade"} <= set(terms["term"])
    assert not {w for term in terms["shown"] for w in term.split()} & stops


# ---------------------------------------------------------------- one comment per respondent (wide files)

WIDE = """id,Delivery,Packaging,Review,recommend
1,1,2,Não recebi o produto,0
2,5,5,Chegou antes do prazo muito bom,10
3,4,,Produto bom mas caixa amassada,8
4,2,3,,3
"""


def _load(con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str, spec: dict[str, object], name: str) -> None:
    file = tmp_path / f"{name}.csv"
    file.write_text(text, encoding="utf-8")
    result, report, _ = ingest.ingest_file(con, file, mapping.from_dict(spec), name=name,
                                           rejects=tmp_path / f"{name}.rejected.csv")
    assert result is not None and report.rows_rejected == 0, ingest.problems_text(report)


WIDE_MAPPING = {"format": "wide", "respondent": "id", "touchpoints": ["Delivery", "Packaging"], "scale": [1, 5],
                "comment": "Review", "outcome": {"column": "recommend", "kind": "nps"}}


def test_a_wide_files_comment_is_one_per_respondent_compared_with_the_outcome(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _load(con, tmp_path, WIDE, WIDE_MAPPING, "Wide reviews")
    frame = comments.comments(store_engine(con), "Wide reviews")
    # Respondent 1 and 2 answered both touchpoints: one comment each, at no touchpoint, scored by their NPS answer.
    # Respondent 3 answered only Delivery (Packaging blank): their comment stays with that one answer.
    by_who = frame.set_index("respondent")
    assert sorted(frame["respondent"]) == ["1", "2", "3"]
    assert by_who.loc["1", "touchpoint"] is None and by_who.loc["2", "touchpoint"] is None
    assert (by_who.loc["1", "score"], by_who.loc["1", "scale_max"], by_who.loc["1", "band"]) == (0.0, 10.0, "detractor")
    assert (by_who.loc["2", "score"], by_who.loc["2", "band"]) == (10.0, "promoter")
    assert (by_who.loc["3", "touchpoint"], by_who.loc["3", "score"]) == ("Delivery", 4.0)
    assert by_who.loc["1", "language"] == "pt" and by_who.loc["1", "sentiment"] < 0
    assert by_who.loc["2", "sentiment"] > 0
    # At a touchpoint, only the comments made there: a review body belongs to no sub-rating.
    at_delivery = comments.comments(store_engine(con), "Wide reviews", touchpoint="Delivery")
    assert at_delivery["respondent"].tolist() == ["3"]
    assert comments.comments_table(frame)["touchpoint"].tolist().count(comments.WHOLE_RESPONSE) == 2


def test_without_an_outcome_the_overall_score_is_compared(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    spec = {k: v for k, v in WIDE_MAPPING.items() if k != "outcome"}
    _load(con, tmp_path, WIDE, spec, "Wide, no outcome")
    frame = comments.comments(store_engine(con), "Wide, no outcome").set_index("respondent")
    # Respondent 1: Delivery 1 and Packaging 2 of 1–5 are 0 and 2.5 of 10: overall 1.25 on 0–10.
    assert frame.loc["1", "score"] == pytest.approx(1.25)
    assert (frame.loc["1", "scale_min"], frame.loc["1", "scale_max"]) == (0.0, 10.0)
    assert frame.loc["2", "score"] == pytest.approx(10.0)


def test_a_long_files_different_comments_stay_with_their_answers(con: duckdb.DuckDBPyConnection) -> None:
    rows = pd.DataFrame({
        "respondent": ["a", "a", "b", "b"], "touchpoint": ["Till", "Web", "Till", "Web"],
        "score": [1.0, 5.0, 2.0, 3.0], "scale_min": 1.0, "scale_max": 5.0,
        "comment": ["Queue too long", "Great website", "Same text twice", "Same text twice"],
    })
    store.save_dataset(con, "Long", rows)
    frame = comments.comments(store_engine(con), "Long")
    assert sorted(zip(frame["respondent"], frame["touchpoint"].fillna("-"), strict=True)) == [
        ("a", "Till"), ("a", "Web"), ("b", "-")]


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    path = tmp_path / "voices.duckdb"
    con = store.connect(path)
    store.set_setting(con, "seeded_at", "test")  # this database holds only the reviews
    _load(con, tmp_path, WIDE, WIDE_MAPPING, "Wide reviews")
    rows = [(f"r{i}", "Delivery", 1.0, text) for i, text in enumerate(LATE_PT)]
    rows += [(f"s{i}", "Delivery", 2.0, text) for i, text in enumerate(REFUND_PT)]
    rows += [(f"t{i}", "Screen", 2.0, text) for i, text in enumerate(BROKEN_EN)]
    rows += [("u1", "Screen", 5.0, "Écran parfait, livraison rapide")]
    store.save_dataset(con, "Shop", pd.DataFrame(rows, columns=["respondent", "touchpoint", "score", "comment"])
                       .assign(scale_min=1.0, scale_max=5.0))
    con.close()
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_comments_json(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "comments", "--dataset", "Wide reviews", "--json", "--db", str(cli_db))
    assert code == 0
    rows = json.loads(out)
    assert all(list(r) == list(comments.RECORD_FIELDS) for r in rows)
    whole = {r["respondent"]: r for r in rows if r["touchpoint"] is None}
    assert set(whole) == {"1", "2"} and whole["1"]["score"] == 0.0 and whole["1"]["language"] == "pt"
    assert whole["1"]["sentiment"] < 0 < whole["2"]["sentiment"]
    code, out, _ = _run(capsys, "comments", "--dataset", "Shop", "--touchpoint", "Screen", "--max-score", "2",
                        "--json", "--db", str(cli_db))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 6 and {r["touchpoint"] for r in rows} == {"Screen"}
    code, out, _ = _run(capsys, "comments", "--dataset", "Shop", "--touchpoint", "Screen", "--json", "--db",
                        str(cli_db))
    french = [r for r in json.loads(out) if r["respondent"] == "u1"]
    assert french == [{"respondent": "u1", "touchpoint": "Screen", "score": 5.0,
                       "comment": "Écran parfait, livraison rapide", "language": "fr", "sentiment": None}]
    code, out, _ = _run(capsys, "comments", "--dataset", "Shop", "--touchpoint", "Screen", "--db", str(cli_db))
    assert "sentiment not available for fr" in out


def test_cli_themes_json(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "themes", "--dataset", "Shop", "--max-score", "2", "--k", "3", "--json",
                        "--db", str(cli_db))
    assert code == 0
    payload = json.loads(out)
    assert list(payload) == ["themes"]
    assert [t["n"] for t in payload["themes"]] == [6, 6, 6]
    for theme in payload["themes"]:
        assert {"label", "terms", "n", "share", "mean_score", "examples"} <= set(theme)
        assert theme["share"] == pytest.approx(1 / 3)
    code, out, err = _run(capsys, "themes", "--dataset", "Shop", "--touchpoint", "Nowhere", "--json",
                          "--db", str(cli_db))
    assert code == 2 and "has no touchpoint 'Nowhere'" in err
    code, out, err = _run(capsys, "themes", "--dataset", "Wide reviews", "--json", "--db", str(cli_db))
    assert code == 0 and json.loads(out) == {"themes": []} and "Too few comments" in err


def test_every_language_the_model_can_answer_has_a_name() -> None:
    labels = set(comments_text._identifier().labels)
    assert labels - set(comments_text.LANGUAGE_NAMES) == set()
    assert [comments_text.language_name(c) for c in ("sr", "pt", "und", "xx")] == [
        "Serbian", "Portuguese", "unknown", "xx"]  # a code cx has no name for is shown as it is
