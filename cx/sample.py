"""A deterministic, realistic sample feedback data set: a retail electronics journey.

`generate()` returns long-format answers, segments, outcomes and the journey definition for
several thousand shoppers over twelve months (2025-11-01 .. 2026-10-31). The numbers are
invented but tell a story the app must be able to find:

- "Stock availability" and "Support call" are the weak touchpoints, well below the journey
  average on 0–10, and they drive "Likelihood to recommend" (a driver analysis finds them);
- the Bristol store is clearly worse than the other stores at "Staff advice";
- "Support call" by phone scores lower than the same touchpoint by web chat ("web");
- "Stock availability" lifts clearly from 2026-06-01, when a stock-alert system went live;
- "Installation help" is rare (21 answers in all), so the small-sample flag shows;
- scales are mixed: CSAT-style 1–5, 0–10 and a CES-style 1–7 at "Checkout".

Only numpy and pandas: no Streamlit, no DuckDB. The same seed always gives identical frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "CHURNED",
    "COMMENTS",
    "CUSTOMER_TYPES",
    "DEFAULT_RESPONDENTS",
    "DEFAULT_SEED",
    "HOUR_WEIGHTS",
    "MONTH_WEIGHTS",
    "OPERATIONAL",
    "PERSONAS",
    "PERSONA_WEIGHTS",
    "RARE_ANSWERS",
    "RARE_TOUCHPOINT",
    "RECOMMEND",
    "REVENUE",
    "SAMPLE_DATASET",
    "SAMPLE_JOURNEY",
    "STOCK_ALERTS_LIVE",
    "STOCK_COMMENTS_BEFORE_ALERTS",
    "STORES",
    "STORE_WEIGHTS",
    "TOUCHPOINTS",
    "WEAK_STORE",
    "WINDOW_END",
    "WINDOW_START",
    "SampleData",
    "generate",
    "touchpoint_table",
    "wide_responses",
]


SAMPLE_DATASET = "Retail sample"
SAMPLE_JOURNEY = "Retail store journey"

DEFAULT_SEED = 20261125
DEFAULT_RESPONDENTS = 4000

WINDOW_START = pd.Timestamp("2025-11-01")
WINDOW_END = pd.Timestamp("2026-10-31 23:59:59")
# The stock-alert system went live on this day: "Stock availability" lifts from here on.
STOCK_ALERTS_LIVE = pd.Timestamp("2026-06-01")
# Installation help is booked by very few shoppers: a fixed count keeps it under n = 30.
RARE_TOUCHPOINT = "Installation help"
RARE_ANSWERS = 21

RECOMMEND = "Likelihood to recommend"
CHURNED = "Churned"
REVENUE = "Revenue"


@dataclass(frozen=True)
class _Touchpoint:
    name: str
    stage: str
    channel: str  # main channel
    lo: float
    hi: float
    base: float  # mean quality on 0–10 before clipping and rounding
    noise: float  # personal spread on 0–10 beyond the shopper's general mood
    target: float
    intentional: bool
    controlled: bool


TOUCHPOINTS: tuple[_Touchpoint, ...] = (
    _Touchpoint("Online ad", "attraction", "web", 0, 10, 7.3, 1.6, 6.5, True, True),
    _Touchpoint("Product website", "attraction", "web", 1, 5, 7.6, 1.7, 7.0, True, True),
    _Touchpoint("Store visit", "interaction", "store", 1, 5, 7.4, 1.7, 7.0, True, True),
    _Touchpoint("Staff advice", "interaction", "store", 0, 10, 7.3, 1.7, 6.5, True, True),
    _Touchpoint("Stock availability", "interaction", "store", 0, 10, 3.6, 1.8, 7.0, False, True),
    _Touchpoint("Checkout", "interaction", "store", 1, 7, 7.6, 1.5, 7.0, True, True),
    _Touchpoint("Delivery", "interaction", "web", 1, 5, 7.1, 1.9, 6.5, True, False),
    _Touchpoint("Installation help", "cultivation", "store", 0, 10, 6.8, 1.8, 6.5, True, True),
    _Touchpoint("Support call", "cultivation", "phone", 0, 10, 4.6, 1.8, 7.0, True, True),
    _Touchpoint("Loyalty email", "cultivation", "web", 1, 5, 6.9, 1.7, 6.0, True, True),
)

# Store -> region. Bristol is the store whose staff advice is clearly worse.
STORES: dict[str, str] = {
    "Leeds": "North England",
    "Manchester": "North England",
    "Newcastle": "North England",
    "Birmingham": "Midlands",
    "Nottingham": "Midlands",
    "Bristol": "South England",
    "Brighton": "South England",
    "Norwich": "East England",
    "Cardiff": "Wales",
    "Glasgow": "Scotland",
}
STORE_WEIGHTS = (0.13, 0.14, 0.08, 0.13, 0.08, 0.11, 0.08, 0.07, 0.08, 0.10)
WEAK_STORE = "Bristol"

PERSONAS = ("Bargain hunter", "Early adopter", "Family shopper", "Tech enthusiast")
PERSONA_WEIGHTS = (0.30, 0.20, 0.32, 0.18)
CUSTOMER_TYPES = ("New", "Returning")

# Survey volume by month from November 2025: Black Friday and Christmas are busy, August quiet.
MONTH_WEIGHTS = (1.45, 1.35, 0.95, 0.8, 0.85, 0.9, 0.95, 0.9, 0.85, 0.6, 0.9, 1.0)
# Survey starts per hour of the day from 07:00 to 22:00: lunchtime and evening peaks.
HOUR_WEIGHTS = (1, 2, 3, 4, 5, 7, 6, 5, 5, 6, 8, 10, 10, 9, 7, 4)

# Short comments per touchpoint: complaints, neutral remarks, praise.
COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Online ad": (
        ("The ad showed a price the shop would not honour.", "Same ad five times a day, very annoying.",
         "Advert was misleading about what was included."),
        ("Saw the ad on social media.", "The ad was fine, nothing special."),
        ("The launch ad is what got me interested.", "Clear ad, told me exactly what I needed.",
         "Loved the campaign video."),
    ),
    "Product website": (
        ("Specs on the website were wrong.", "Website kept crashing on my phone.",
         "Could not compare two models side by side."),
        ("Website does the job.", "Found the product page eventually."),
        ("Really clear product pages and reviews.", "Easy to find everything on the website.",
         "Great comparison tool, saved me time."),
    ),
    "Store visit": (
        ("Store was messy and hard to navigate.", "Queued for ages just to get in.",
         "Demo units were all switched off."),
        ("Normal store visit.", "Store was busy but okay."),
        ("Bright, tidy store and easy to find things.", "Lovely store, could try everything.",
         "Quick in and out, exactly what I wanted."),
    ),
    "Staff advice": (
        ("Staff could not answer basic questions.", "Nobody available to help for 20 minutes.",
         "Assistant just read the box to me.", "Felt pushed into buying an extended warranty."),
        ("Staff were polite but not very technical.", "Got an answer after a while."),
        ("The assistant really knew the product.", "Very helpful staff, explained every option.",
         "Honest advice, talked me out of the pricier model."),
    ),
    "Stock availability": (
        ("Signed up for the stock alert and never got a text.", "Alert said in stock, the shelf was empty.",
         "Still out of stock after two weeks."),
        ("Had to wait a few days for it.", "Only the black one was available."),
        ("Got a text as soon as it was back in stock.", "The stock alert worked perfectly.",
         "It was in stock exactly as the app said."),
    ),
    "Checkout": (
        ("Card machine failed twice.", "Only one till open on a Saturday.",
         "Online checkout forced me to create an account."),
        ("Checkout was ok.", "Paid without much fuss."),
        ("Checkout took a minute.", "Really easy to pay in the app.", "Quick and friendly at the till."),
    ),
    "Delivery": (
        ("Parcel arrived two days late.", "Courier left it in the rain.",
         "Delivery slot missed with no message."),
        ("Delivery came on the day.", "Tracking was a bit vague but it arrived."),
        ("Arrived next morning, great.", "Courier was careful and on time.",
         "Live tracking was spot on."),
    ),
    "Installation help": (
        ("Installer never turned up.", "Had to call three times to book installation."),
        ("Installation was fine.",),
        ("Installer set everything up and explained it.", "Wall mounting done neatly and fast."),
    ),
    "Support call": (
        ("On hold for 45 minutes.", "Passed between departments, nobody owned the problem.",
         "They hung up on me.", "Support read from a script and did not listen.",
         "Still waiting for the promised call back."),
        ("Took a while but got sorted.", "Support was okay in the end."),
        ("The agent fixed it on the first call.", "Web chat answered within a minute.",
         "Really patient support person."),
    ),
    "Loyalty email": (
        ("Too many emails, unsubscribed.", "Offers are never for things I own.",
         "The voucher had already expired."),
        ("Emails are fine.", "Sometimes read them."),
        ("Good offers for accessories.", "The voucher was a nice surprise.",
         "Useful setup tips after I bought."),
    ),
}

# Before the stock-alert system nobody could mention an alert.
STOCK_COMMENTS_BEFORE_ALERTS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    ("Website said in stock, the shelf was empty.", "Out of stock for three weeks.",
     "Drove to the store for nothing, they had none.", "No pre-orders and no idea when it comes back."),
    ("Had to wait a few days for it.", "Only the black one was available."),
    ("It was on the shelf, no problem.", "Reserved online and it was waiting for me."),
)


@dataclass(frozen=True)
class SampleData:
    """The generated sample: answers, segments, outcomes and the journey definition."""

    responses: pd.DataFrame  # long format, one row per answer
    segments: pd.DataFrame  # one row per respondent x segment attribute
    outcomes: pd.DataFrame  # one row per respondent x outcome
    touchpoints: pd.DataFrame  # the journey definition, in order
    operational: pd.DataFrame = field(default_factory=pd.DataFrame)  # respondent x touchpoint x metric value


def touchpoint_table() -> pd.DataFrame:
    """Return the sample journey definition: one row per touchpoint, in journey order."""
    return pd.DataFrame(
        {
            "position": np.arange(1, len(TOUCHPOINTS) + 1, dtype="int64"),
            "touchpoint": pd.Series([t.name for t in TOUCHPOINTS], dtype="str"),
            "stage": pd.Series([t.stage for t in TOUCHPOINTS], dtype="str"),
            "channel": pd.Series([t.channel for t in TOUCHPOINTS], dtype="str"),
            "target": np.array([t.target for t in TOUCHPOINTS], dtype="float64"),
            "intentional": np.array([t.intentional for t in TOUCHPOINTS], dtype=bool),
            "controlled": np.array([t.controlled for t in TOUCHPOINTS], dtype=bool),
            "operational": pd.Series([OPERATIONAL.get(t.name, (None,))[0] for t in TOUCHPOINTS], dtype="object"),
        }
    )


def generate(seed: int = DEFAULT_SEED, respondents: int = DEFAULT_RESPONDENTS) -> SampleData:
    """Return the sample data set for `respondents` shoppers; the same seed gives identical frames."""
    if respondents < 1:
        raise ValueError(f"respondents must be at least 1, got {respondents}: pass a positive count.")
    rng = np.random.default_rng(seed)
    n = respondents
    k = len(TOUCHPOINTS)
    col = {t.name: j for j, t in enumerate(TOUCHPOINTS)}
    ids = np.array([f"R{i:05d}" for i in range(1, n + 1)], dtype=object)

    # --- who the shoppers are
    store_names = np.array(list(STORES), dtype=object)
    store = rng.choice(store_names, size=n, p=_normalise(STORE_WEIGHTS))
    region = np.array([STORES[s] for s in store], dtype=object)
    persona = rng.choice(np.array(PERSONAS, dtype=object), size=n, p=_normalise(PERSONA_WEIGHTS))
    returning = rng.random(n) < 0.58
    online_buyer = rng.random(n) < np.where(persona == "Tech enthusiast", 0.55, 0.33)
    mood = rng.normal(0.0, 1.0, n)  # general disposition: it colours every answer a little

    # --- when they answered: one sitting, answers a minute or so apart, in journey order
    survey_start = _survey_starts(rng, n)
    seconds = np.cumsum(rng.integers(20, 150, size=(n, k)), axis=1).astype("timedelta64[s]")
    stock_after_alerts = survey_start + seconds[:, col["Stock availability"]] >= STOCK_ALERTS_LIVE.to_datetime64()

    # --- which touchpoints each shopper answered
    answer_rate = np.empty((n, k))
    answer_rate[:, col["Online ad"]] = 0.70
    answer_rate[:, col["Product website"]] = np.where(online_buyer, 0.95, 0.82)
    answer_rate[:, col["Store visit"]] = np.where(online_buyer, 0.55, 0.95)
    answer_rate[:, col["Staff advice"]] = np.where(online_buyer, 0.45, 0.88)
    answer_rate[:, col["Stock availability"]] = 0.86
    answer_rate[:, col["Checkout"]] = 0.92
    answer_rate[:, col["Delivery"]] = np.where(online_buyer, 0.95, 0.42)
    answer_rate[:, col["Installation help"]] = 0.0  # set below: a fixed, rare count
    answer_rate[:, col["Support call"]] = 0.58
    answer_rate[:, col["Loyalty email"]] = np.where(returning, 0.85, 0.38)
    answered = rng.random((n, k)) < answer_rate
    rare = rng.choice(n, size=min(RARE_ANSWERS, n), replace=False)
    answered[rare, col[RARE_TOUCHPOINT]] = True
    no_answer = ~answered.any(axis=1)
    answered[no_answer, col["Checkout"]] = True  # everyone who bought answered something

    # --- channels
    channel = np.empty((n, k), dtype=object)
    web_or_mobile = np.where(rng.random(n) < 0.6, "web", "mobile")
    channel[:, col["Online ad"]] = np.where(rng.random(n) < 0.45, "web", "mobile")
    channel[:, col["Product website"]] = np.where(rng.random(n) < 0.6, "web", "mobile")
    channel[:, col["Store visit"]] = "store"
    channel[:, col["Staff advice"]] = "store"
    channel[:, col["Stock availability"]] = np.where(online_buyer, web_or_mobile, "store")
    channel[:, col["Checkout"]] = np.where(online_buyer, web_or_mobile, "store")
    channel[:, col["Delivery"]] = np.where(rng.random(n) < 0.55, "web", "mobile")
    channel[:, col["Installation help"]] = np.where(rng.random(n) < 0.5, "store", "phone")
    channel[:, col["Support call"]] = np.where(rng.random(n) < 0.65, "phone", "web")
    channel[:, col["Loyalty email"]] = np.where(rng.random(n) < 0.5, "web", "mobile")

    # --- perceived quality on 0–10, before mapping onto each touchpoint's scale
    base = np.array([t.base for t in TOUCHPOINTS])
    noise = np.array([t.noise for t in TOUCHPOINTS])
    quality = base + 0.9 * mood[:, None] + rng.normal(0.0, 1.0, (n, k)) * noise
    quality[:, col["Staff advice"]] -= np.where(store == WEAK_STORE, 2.8, 0.0)
    quality[:, col["Stock availability"]] += np.where(stock_after_alerts, 2.6, 0.0)
    # Early adopters want the device on launch day: missing stock hurts them most.
    quality[:, col["Stock availability"]] -= np.where(persona == "Early adopter", 0.8, 0.0)
    is_phone_support = channel[:, col["Support call"]] == "phone"
    quality[:, col["Support call"]] += np.where(is_phone_support, -0.9, 1.6)
    quality[:, col["Checkout"]] += np.where(channel[:, col["Checkout"]] == "mobile", 0.4, 0.0)
    quality[:, col["Loyalty email"]] -= np.where(persona == "Bargain hunter", -0.6, 0.3)
    quality = np.clip(quality, 0.0, 10.0)

    lo = np.array([t.lo for t in TOUCHPOINTS], dtype="float64")
    hi = np.array([t.hi for t in TOUCHPOINTS], dtype="float64")
    score = np.clip(np.rint(lo + (hi - lo) * quality / 10.0), lo, hi)
    ten = 10.0 * (score - lo) / (hi - lo)

    # --- outcomes: recommend is driven by the weak touchpoints (a skipped one counts as neutral)
    stock_gap = np.where(answered[:, col["Stock availability"]], ten[:, col["Stock availability"]] - 5.0, 0.0)
    support_gap = np.where(answered[:, col["Support call"]], ten[:, col["Support call"]] - 5.0, 0.0)
    recommend_latent = (
        7.8
        + 0.55 * mood
        + 0.32 * stock_gap
        + 0.30 * support_gap
        + np.where(returning, 0.3, 0.0)
        + rng.normal(0.0, 1.1, n)
    )
    recommend = np.clip(np.rint(recommend_latent), 0.0, 10.0)
    churn_p = 1.0 / (1.0 + np.exp(-(-1.6 - 0.55 * (recommend - 7.0) - np.where(returning, 0.5, 0.0))))
    churned = (rng.random(n) < churn_p).astype("float64")
    persona_spend = {"Bargain hunter": 0.7, "Early adopter": 1.5, "Family shopper": 1.15, "Tech enthusiast": 1.35}
    spend = np.array([persona_spend[p] for p in persona])
    revenue = np.round(np.clip(np.exp(rng.normal(np.log(170.0), 0.65, n)) * spend, 20.0, 900.0), 2)

    # --- long-format answers, respondent by respondent in journey order
    rows_r, rows_k = np.nonzero(answered)
    m = rows_r.size
    stage = np.array([t.stage for t in TOUCHPOINTS], dtype=object)
    names = np.array([t.name for t in TOUCHPOINTS], dtype=object)
    ans_channel = channel[rows_r, rows_k]
    # A store is recorded where the answer happened in one; stock is held per store, so
    # "Stock availability" keeps the shopper's store even when checked online.
    has_unit = (ans_channel == "store") | (names[rows_k] == "Stock availability")
    unit = store[rows_r].copy()
    unit[~has_unit] = None
    answered_at = survey_start[rows_r] + seconds[rows_r, rows_k]
    comments = _comments(rng, names[rows_k], ten[rows_r, rows_k], stock_after_alerts[rows_r])

    responses = pd.DataFrame(
        {
            "respondent": pd.Series(ids[rows_r], dtype="str"),
            "touchpoint": pd.Series(names[rows_k], dtype="str"),
            "score": score[rows_r, rows_k].astype("float64"),
            "scale_min": lo[rows_k],
            "scale_max": hi[rows_k],
            "channel": pd.Series(ans_channel, dtype="str"),
            "stage": pd.Series(stage[rows_k], dtype="str"),
            "unit": pd.Series(unit, dtype="str"),
            "answered_at": pd.Series(answered_at.astype("datetime64[ns]")),
            "comment": pd.Series(comments, dtype="str"),
        }
    )
    assert len(responses) == m

    segments = pd.DataFrame(
        {
            "respondent": pd.Series(np.repeat(ids, 3), dtype="str"),
            "name": pd.Series(np.tile(np.array(["persona", "customer_type", "region"], dtype=object), n), dtype="str"),
            "value": pd.Series(
                np.column_stack([persona, np.where(returning, "Returning", "New"), region]).ravel(), dtype="str"
            ),
        }
    )

    nan = np.full(n, np.nan)
    outcomes = pd.DataFrame(
        {
            "respondent": pd.Series(np.repeat(ids, 3), dtype="str"),
            "outcome": pd.Series(np.tile(np.array([RECOMMEND, CHURNED, REVENUE], dtype=object), n), dtype="str"),
            "kind": pd.Series(np.tile(np.array(["nps", "binary", "value"], dtype=object), n), dtype="str"),
            "value": np.column_stack([recommend, churned, revenue]).ravel(),
            "scale_min": np.column_stack([np.zeros(n), np.zeros(n), nan]).ravel(),
            "scale_max": np.column_stack([np.full(n, 10.0), np.ones(n), nan]).ravel(),
            # Marked, as a user marks them at import: churn and CLV read the role, never the name.
            "role": pd.Series(np.tile(np.array([None, "churn", "revenue"], dtype=object), n), dtype="str"),
        }
    )
    return SampleData(responses=responses, segments=segments, outcomes=outcomes, touchpoints=touchpoint_table(),
                      operational=_operational(seed, responses))


# Operational metrics measured at a touchpoint, next to how customers rated it: (name, mean at
# the worst score, mean at the best score, spread). A separate random stream keeps the answers
# above unchanged.
OPERATIONAL: dict[str, tuple[str, float, float, float]] = {
    "Delivery": ("Delivery delay (days)", 4.0, 0.3, 0.8),
    "Support call": ("Wait time (minutes)", 22.0, 3.0, 3.0),
}


def _operational(seed: int, responses: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    frames = []
    for touchpoint, (name, worst, best, spread) in OPERATIONAL.items():
        rows = responses[responses["touchpoint"] == touchpoint]
        share = ((rows["score"] - rows["scale_min"]) / (rows["scale_max"] - rows["scale_min"])).to_numpy()
        value = np.clip(worst + (best - worst) * share + rng.normal(0.0, spread, len(rows)), 0.0, None)
        frames.append(pd.DataFrame({"respondent": rows["respondent"].to_numpy(), "touchpoint": touchpoint,
                                    "name": name, "value": np.round(value, 1)}))
    return pd.concat(frames, ignore_index=True)


def wide_responses(data: SampleData) -> pd.DataFrame:
    """Return the answers with each respondent's segments as columns and the recommend score as `recommend`."""
    segments = data.segments.pivot(index="respondent", columns="name", values="value")
    segments = segments.reindex(columns=["persona", "customer_type", "region"]).reset_index()
    segments.columns.name = None
    recommend = data.outcomes.loc[data.outcomes["outcome"] == RECOMMEND, ["respondent", "value"]]
    recommend = recommend.rename(columns={"value": "recommend"})
    wide = data.responses.merge(segments, on="respondent", how="left", validate="many_to_one")
    return wide.merge(recommend, on="respondent", how="left", validate="many_to_one")


def _normalise(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype="float64")
    shares: np.ndarray = w / w.sum()
    return shares


def _survey_starts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return one survey start time per respondent inside the 12-month window (datetime64[s])."""
    month_starts = pd.date_range(WINDOW_START, periods=13, freq="MS").values.astype("datetime64[D]")
    month = rng.choice(12, size=n, p=_normalise(MONTH_WEIGHTS))
    days = (month_starts[month + 1] - month_starts[month]).astype("int64")
    day = month_starts[month] + (rng.random(n) * days).astype("int64").astype("timedelta64[D]")
    # People answer between 07:00 and 22:59, most in the evening; the last answer of a sitting
    # comes at most 25 minutes later, so every answer stays inside the window.
    hour = 7 + rng.choice(16, size=n, p=_normalise(HOUR_WEIGHTS))
    second = hour * 3600 + rng.integers(0, 3600, size=n)
    starts: np.ndarray = day.astype("datetime64[s]") + second.astype("timedelta64[s]")
    return starts


def _comments(
    rng: np.random.Generator, touchpoint: np.ndarray, ten: np.ndarray, after_alerts: np.ndarray
) -> np.ndarray:
    """Return a comment or None per answer: about a fifth comment, mostly in line with the score."""
    m = touchpoint.size
    extremity = np.abs(ten - 5.5) / 4.5  # unhappy and delighted shoppers write more
    has_comment = rng.random(m) < 0.10 + 0.16 * extremity
    sentiment = np.where(ten <= 4.0, 0, np.where(ten >= 7.0, 2, 1))
    # A few say the opposite of their score (sarcasm, a wrong click): the sentiment explorer's test.
    contradicts = (rng.random(m) < 0.05) & (sentiment != 1)
    sentiment = np.where(contradicts, 2 - sentiment, sentiment)
    pick = rng.random(m)
    out = np.full(m, None, dtype=object)
    stock = touchpoint == "Stock availability"
    groups = [(touchpoint == name, pools) for name, pools in COMMENTS.items() if name != "Stock availability"]
    groups.append((stock & after_alerts, COMMENTS["Stock availability"]))
    groups.append((stock & ~after_alerts, STOCK_COMMENTS_BEFORE_ALERTS))
    for in_group, pools in groups:
        for s, pool in enumerate(pools):
            rows = np.nonzero(has_comment & in_group & (sentiment == s))[0]
            if rows.size:
                idx = np.minimum((pick[rows] * len(pool)).astype("int64"), len(pool) - 1)
                out[rows] = np.array(pool, dtype=object)[idx]
    return out
