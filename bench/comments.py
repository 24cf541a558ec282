"""Benchmark: language, sentiment and themes of 100,000 generated comments vs plain VADER on every text.

    python bench/comments.py                     # 100,000 comments, 5 themes
    python bench/comments.py --comments 20000 --repeat 3

Comments are generated from English, Portuguese and Spanish phrase pools (about 55 / 40 / 5 %),
2–4 phrases each plus an order number, so nearly every text is distinct (as in a real export), with
some one-word ones ("ok", "bom"); each has a 1–5 score that leans on its tone. They are stored as a
long data set in an in-memory cx store. Timed (median of `--repeat` runs after a warm-up, with
cx's text caches emptied before each run, so every run reads every text again, as the app does
once per data version):

- **baseline**: VADER's compound score on every text (what the Comments page did before);
- **read**: `comments.dataset_readings`: language of every distinct text (py3langid, the data
  set's mix settling short ones) and sentiment in its language (VADER / LeIA with cx's negation);
- **comments**: `comments.comments` with those readings: the query (respondent-level detection
  included), bands and labels;
- **themes**: `comments_themes.themes` over all comments, and over the low-score ones (k = 5).

Printed: wall and CPU seconds per step, the ratio (read + comments + themes) / baseline, and the
process's peak RSS (target: under 2 GiB).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._timing import timed  # noqa: E402
from cx import comments, comments_text, comments_themes, store  # noqa: E402
from cx.engines import store_engine  # noqa: E402

DATASET = "Bench comments"
TOUCHPOINTS = ("Delivery", "Product", "Support", "Website", "Store")
POOLS = {
    "en": {
        "bad": ["the parcel arrived late", "nobody answered my emails", "the screen was broken",
                "rude staff at the till", "the app crashed at checkout", "I am not happy with the refund",
                "waited two weeks for a reply",
                "the shelf was empty again", "wrong size sent", "support never called back"],
        "good": ["fast delivery", "great price", "friendly staff", "easy checkout", "well packed",
                 "would order again", "the refund was quick", "lovely quality", "helpful support", "arrived early"],
    },
    "pt": {
        "bad": ["não recebi o produto", "a entrega atrasou muito", "produto veio quebrado", "péssimo atendimento",
                "não gostei da qualidade", "ninguém respondeu meus emails", "veio a cor errada", "quero meu reembolso",
                "a embalagem chegou amassada", "nunca mais compro nessa loja"],
        "good": ["chegou antes do prazo", "produto de ótima qualidade", "recomendo a loja", "entrega rápida",
                 "muito bom", "bem embalado", "gostei muito", "atendimento excelente", "preço justo", "tudo certo"],
    },
    "es": {
        "bad": ["el paquete llegó tarde", "nadie contestó", "llegó roto"],
        "good": ["entrega rápida", "muy buena calidad", "lo recomiendo"],
    },
}
SHORT = ["ok", "bom", "Muito bom", "Great", "top", "👍"]


def generate(n: int, seed: int = 7) -> pd.DataFrame:
    """Return n long-format answers with a comment each (a tone-leaning 1–5 score)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        roll = rng.random()
        language = "en" if roll < 0.55 else "pt" if roll < 0.95 else "es"
        tone = "bad" if rng.random() < 0.45 else "good"
        if rng.random() < 0.03:
            text = rng.choice(SHORT)
        else:
            phrases = [rng.choice(POOLS[language][tone if rng.random() < 0.85 else "good"]) for _ in range(
                rng.randint(2, 4))]
            text = ", ".join(phrases).capitalize() + f" (#{rng.randint(1000, 999_999)})"
        score = rng.choice((1, 1, 2, 2, 3)) if tone == "bad" else rng.choice((3, 4, 4, 5, 5))
        rows.append((f"R{i:07d}", TOUCHPOINTS[i % len(TOUCHPOINTS)], float(score), text))
    frame = pd.DataFrame(rows, columns=["respondent", "touchpoint", "score", "comment"])
    return frame.assign(scale_min=1.0, scale_max=5.0)


def _clear_text_caches() -> None:
    for cached in (comments.sentiment, comments.terms_of, comments_text.portuguese_sentiment,
                   comments_text.content_pairs, comments_text.lemma):
        cached.cache_clear()


def _measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return (median wall s, CPU s of the last run) of fn() with the text caches emptied first."""
    def run() -> object:
        _clear_text_caches()
        return fn()

    wall = timed(run, repeat)
    start = time.process_time()
    run()
    return wall, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per step after a warm-up (median)")
    parser.add_argument("--k", type=int, default=comments_themes.DEFAULT_K)
    args = parser.parse_args()

    con = store.connect(":memory:")
    started = time.perf_counter()
    store.save_dataset(con, DATASET, generate(args.comments))
    print(f"Generated and stored {args.comments:,} comments in {time.perf_counter() - started:.1f} s")
    engine = store_engine(con)
    texts = engine.responses(DATASET).select("comment").execute()["comment"].astype(str).tolist()

    baseline = _measure(lambda: [comments_text.english_sentiment(t) for t in texts], args.repeat)
    read = _measure(lambda: comments.dataset_readings(engine, DATASET), args.repeat)
    readings = comments.dataset_readings(engine, DATASET)
    listed = _measure(lambda: comments.comments(engine, DATASET, readings=readings), args.repeat)
    frame = comments.comments(engine, DATASET, readings=readings)
    low = frame[frame["band"].isin(comments.LOW_BANDS)]
    themes_all = _measure(lambda: comments_themes.themes(frame, k=args.k), args.repeat)
    themes_low = _measure(lambda: comments_themes.themes(low, k=args.k), args.repeat)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    languages = frame["language"].value_counts()
    print("Languages found: " + ", ".join(f"{lang} {n:,}" for lang, n in languages.head(6).items()))
    width = 46
    print(f"{'step':<{width}} {'wall s':>8} {'CPU s':>8}")
    for label, (wall, cpu) in (
        ("baseline: VADER on every text", baseline),
        ("read: language + sentiment of distinct texts", read),
        ("comments: query, bands, labels", listed),
        (f"themes: all {len(frame):,} comments", themes_all),
        (f"themes: {len(low):,} low-score comments", themes_low),
    ):
        print(f"{label:<{width}} {wall:>8.2f} {cpu:>8.2f}")
    total = read[0] + listed[0] + themes_all[0]
    print(f"cx (read + comments + themes of all) / baseline: {total / baseline[0]:.2f}")
    print(f"Peak RSS: {peak_mib:,.0f} MiB")
    found = comments_themes.themes(low, k=args.k)
    for theme in found.themes:
        print(f"  {theme.label}: n = {theme.n:,}, mean score {theme.mean_score}, terms {', '.join(theme.terms)}")


if __name__ == "__main__":
    main()
