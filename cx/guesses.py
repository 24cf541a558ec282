"""The mapping proposal: what each column of a file holds, and the mapping that follows from it.

The Upload page and `python -m cx guess FILE` both call `propose(profiles)`; the user confirms it.
Every guess rests on a column's profile (`ColumnProfile`: its name, how many cells are numbers, whole
numbers, their range, distinct values, text lengths, dates) and reads it in this order:

- **what a column is** (`column_kind`): an id (named so, or unique whole numbers beyond a rating's
  range), a rating (whole numbers on a short scale: at least three points within 0–10, few distinct
  values), a flag (two values: 0/1, yes/no), a count (named so: qty, votes, items…, or whole numbers
  beyond 10), an amount (decimals, or named price, charges, value…), a date, a long text, a category;
- **the respondent**: a column named like a respondent or an id, else a column whose every value is
  different (wide files; long files repeat respondents);
- **the ratings** are the touchpoints, each on its observed range (`guess_scale`: 1–10 stays 1–10);
  a rating named only as an overall judgment (`overall_rating`, `review_score`, `Rating`) is an outcome;
- **the outcomes**: yes/no, 0–10 recommend, revenue and overall columns named like an outcome (at most
  one churn and one revenue); a file with no ratings says so and is proposed as an **outcome-only** data
  set (`"touchpoints": []`);
- **the comment**: the longest text among columns named like a comment or holding long text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cx import dates
from cx.mapping import NPS_SCALE, Code, Mapping, Outcome, ScoreRule, TouchpointColumn

__all__ = [
    "CHURN_WORDS", "COUNT_WORDS", "AMOUNT_WORDS", "EXCLUDED_RATING_WORDS", "GENERIC_RATING_WORDS", "ID_WORDS",
    "KINDS", "OUTCOME_WORDS", "POSITIVE_WORDS", "RESPONDENT_WORDS", "REVENUE_WORDS", "ROLE_WORDS", "SCORE_WORDS",
    "STANDARD_SCALES", "TOUCHPOINT_WORDS", "ColumnProfile", "Proposal", "column_kind", "guess_mapping",
    "guess_outcome", "guess_positive", "guess_scale", "propose", "two_scales_note", "words",
]


@dataclass(frozen=True)
class ColumnProfile:
    """What one column of an uploaded file holds (from its first rows): the facts guesses rest on."""

    name: str
    rows: int
    filled: int  # non-blank cells
    numbers: int  # cells that are numbers
    comma_numbers: int  # cells like 4,5
    whole: int  # numbers that are whole
    lo: float | None
    hi: float | None
    distinct: int  # approximate
    max_length: int
    mean_length: float
    dates: int  # cells that read as ISO dates/times
    top: tuple[str, ...] = ()  # most frequent values
    na_tokens: tuple[str, ...] = ()  # not-applicable-looking texts found (lower case)
    samples: tuple[str, ...] = ()  # first non-blank values
    unique: bool | None = None  # every filled cell differs from the others (exact); None: not counted
    at_five: int = 0  # numbers equal to 5
    above_five: int = 0  # numbers above 5 (with at_five: a 1–5 column with a few 1–10 answers in it)

    @property
    def number_share(self) -> float:
        return self.numbers / self.filled if self.filled else 0.0

    @property
    def distinct_share(self) -> float:
        """Return distinct values per filled cell (1.0: every value differs)."""
        return min(self.distinct / self.filled, 1.0) if self.filled else 0.0

    @property
    def all_different(self) -> bool:
        """Return True when every filled cell differs (the exact count when there is one)."""
        return self.unique if self.unique is not None else self.filled > 0 and self.distinct >= self.filled

    @cached_property
    def date_share(self) -> float:
        """Return the share of filled cells that hold a date by the date rule (from the samples)."""
        if self.samples:
            return dates.date_share(self.samples)
        return self.dates / self.filled if self.filled else 0.0

    @property
    def type_label(self) -> str:
        """Return the detected type in words, e.g. "whole number (3 % other)"."""
        if not self.filled:
            return "empty"
        other = 1.0 - self.number_share
        if self.number_share >= 0.8 and not _serial_dates(self):
            kind = "whole number" if self.whole == self.numbers else "decimal number"
            return kind + (f" ({other:.0%} other)" if other > 0 else "")
        if self.comma_numbers / self.filled >= 0.5:
            return "decimal number with comma"
        if self.date_share >= 0.8:
            return "date/time"
        if self.mean_length > 40:
            return "long text"
        return "text"


# ---------------------------------------------------------------------- words


RESPONDENT_WORDS = ("respondent", "customer", "client", "user", "passenger", "member", "participant", "response",
                    "reviewer")
ID_WORDS = ("id", "uuid", "guid", "key", "identifier")
CHURN_WORDS = ("churn", "cancel", "left")  # a yes/no outcome so named is proposed as role churn
REVENUE_WORDS = ("revenue", "spend", "spent", "amount", "charges", "sales")  # a number outcome: role revenue
OUTCOME_WORDS = ("satisfaction", "satisfied", "recommend", "nps", "loyal", "overall", "outcome", "likely",
                 *CHURN_WORDS, *REVENUE_WORDS)
TOUCHPOINT_WORDS = ("touchpoint", "question", "item", "aspect", "attribute", "service", "topic")
SCORE_WORDS = ("score", "rating", "answer", "value", "grade")
# A rating whose name has only these words is a judgment of the whole experience: an outcome.
GENERIC_RATING_WORDS = ("overall", "rating", "ratings", "rated", "score", "stars", "star", "review", "grade",
                        "total", "general", "customer", "your", "the", "of", "experience", "satisfaction", "csat")
COUNT_WORDS = ("count", "qty", "quantity", "votes", "vote", "num", "number", "items", "helpful", "likes", "clicks",
               "visits", "times", "days", "nights", "tenure", "months", "weeks", "hours", "minutes", "seconds",
               "size", "people", "children", "age", "year", "years", "distance", "delay", "index", "rank", "no")
AMOUNT_WORDS = ("price", "cost", "fee", "charges", "charge", "revenue", "amount", "value", "spend", "payment",
                "freight", "total", "balance", "income", "salary")
# Whole numbers on 0–10 so named are not ratings ("value for money" and "price" 1–5 are).
EXCLUDED_RATING_WORDS = (*ID_WORDS, *COUNT_WORDS, *(w for w in AMOUNT_WORDS if w not in ("value", "price", "total")),
                         "zip", "phone", "recommend", "nps", "scale")
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "medium", "via"),
    "stage": ("stage", "phase"),
    "unit": ("unit", "store", "branch", "shop", "site", "location", "outlet", "dealer", "restaurant", "airport"),
    "timestamp": ("date", "time", "timestamp", "answered", "submitted", "created", "when"),
    "comment": ("comment", "feedback", "verbatim", "text", "review", "content", "remark", "note", "body", "message"),
}
POSITIVE_WORDS = ("satisfied", "yes", "y", "true", "1", "promoter", "recommended", "positive", "loyal", "retained",
                  "good")
STANDARD_SCALES: tuple[tuple[float, float], ...] = ((1, 5), (0, 5), (1, 7), (1, 10), (0, 10), (0, 100))
KINDS = ("empty", "id", "rating", "flag", "count", "amount", "number", "date", "long text", "category", "text")

def words(name: str) -> list[str]:
    """Return the words of a column name, lower case: 'ReviewID' -> review, id; 'order_items_qty' -> order, items,
    qty; 'HTTPServer' -> http, server."""
    out: list[str] = []
    for part in re.split(r"[\W_]+", name):
        if not part:
            continue
        word = part[0]
        for prev, ch, nxt in zip(part, part[1:], [*part[2:], " "], strict=False):
            if (prev.islower() and ch.isupper()) or prev.isdigit() != ch.isdigit() or (
                    prev.isupper() and ch.isupper() and nxt.islower()):
                out.append(word.casefold())
                word = ch
            else:
                word += ch
        out.append(word.casefold())
    return out


def _named(name: str, vocabulary: Sequence[str]) -> bool:
    parts = words(name)
    joined = "".join(parts)
    return any(w in parts or (len(w) > 3 and w in joined) for w in vocabulary)


# ---------------------------------------------------------------------- what a column is


def _serial_dates(p: ColumnProfile) -> bool:
    """Return True for a column named like a date whose numbers are Excel serial days (1927–2173)."""
    return (_named(p.name, ROLE_WORDS["timestamp"]) and p.lo is not None and p.hi is not None
            and p.lo >= 10_000 and p.hi < 100_000)


def _is_flag(p: ColumnProfile) -> bool:
    """Return True for a yes/no column: two values, texts or two numbers a step apart (0/1, 1/2)."""
    if p.distinct != 2:
        return False
    if p.number_share < 0.5:
        return True
    return p.lo is not None and p.hi is not None and p.hi - p.lo <= 1


def _is_rating(p: ColumnProfile) -> bool:
    """Return True for whole numbers on a short scale (at least three points within 0–10), not named otherwise."""
    if not (p.filled and p.number_share >= 0.7 and p.whole >= 0.95 * p.numbers and p.lo is not None
            and p.hi is not None and p.lo >= 0 and p.hi <= 10 and p.hi - p.lo >= 2 and 2 <= p.distinct <= 11):
        return False
    if p.filled >= 30 and p.distinct_share > 0.5:  # nearly every value different: not answers on a scale
        return False
    return not _named(p.name, EXCLUDED_RATING_WORDS)


def column_kind(p: ColumnProfile) -> str:
    """Return what a column holds, one of KINDS, from its profile and name."""
    if not p.filled:
        return "empty"
    if _is_rating(p) and not _is_flag(p) and not _serial_dates(p):  # a few typos ("five") are rejected later
        return "rating"
    if p.number_share >= 0.8:
        if _serial_dates(p):
            return "date"
        if _is_flag(p):
            return "flag"
        whole = p.whole >= 0.95 * p.numbers
        if _named(p.name, ID_WORDS):
            return "id"
        if _named(p.name, AMOUNT_WORDS) or not whole:
            return "amount"
        if p.hi is not None and p.hi > 10 and p.all_different and p.filled >= 10:
            return "id"
        if _named(p.name, COUNT_WORDS) or (p.lo is not None and p.lo >= 0):
            return "count"
        return "number"
    if p.date_share >= 0.8:
        return "date"
    if _is_flag(p):
        return "flag"
    if p.mean_length > 40:
        return "long text"
    if p.all_different and p.filled >= 10 and (_named(p.name, ID_WORDS) or p.mean_length <= 40):
        return "id"
    if 2 <= p.distinct <= 50 and p.distinct <= max(0.5 * p.filled, min(p.filled - 1, 10)):
        return "category"
    return "text"


# ---------------------------------------------------------------------- scales and outcomes


def guess_scale(p: ColumnProfile) -> tuple[tuple[float, float] | None, tuple[Code, ...]]:
    """Return the scale the column's numbers were asked on, and the not-applicable codes it suggests.

    The observed range when it is a standard scale (1–10 stays 1–10), else the narrowest standard scale
    holding it; 0–10 for a recommend question. A 0 in a column whose other answers are 1–5 (or 1–7) reads
    as "not rated": the scale is 1–5 and 0 a not-applicable code. NA-looking texts (N/A, -, don't
    know…) become codes too.
    """
    codes: list[Code] = [t.upper() if t in ("n/a", "na", "dk", "#n/a") else t for t in p.na_tokens]
    if p.lo is None or p.hi is None:
        return None, tuple(codes)
    lo, hi = p.lo, p.hi
    if _named(p.name, ("recommend", "nps", "likely", "likelihood")) and lo >= 0 and hi <= 10:
        return NPS_SCALE, tuple(codes)
    if lo == 0 and 1 < hi <= 7:
        return (1.0, 5.0 if hi <= 5 else 7.0), (0.0, *codes)
    holding = [s for s in STANDARD_SCALES if s[0] <= lo and hi <= s[1]]
    if holding:
        best = min(holding, key=lambda s: (s[1] - s[0], -s[0]))
        return (float(best[0]), float(best[1])), tuple(codes)
    return ((lo, hi) if hi > lo else None), tuple(codes)


def guess_positive(p: ColumnProfile) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (positive, negative) values of a two-valued column, e.g. (("satisfied",), ("dissatisfied",))."""
    values = [v for v in p.top if v][:2]
    if len(values) < 2:
        return tuple(values), ()
    first, second = values
    for value, other in ((first, second), (second, first)):
        if value.strip().casefold() in POSITIVE_WORDS:
            return (value,), (other,)
    for value, other in ((first, second), (second, first)):
        if any(w in value.casefold() for w in ("dissatisf", "unsatisf", "not ", "no ", "neutral")):
            return (other,), (value,)
    return (first,), (second,)


def _yes_no(p: ColumnProfile) -> bool:
    """Return True when a column's values are yes/no words (PhoneService: Yes / No is no touchpoint name)."""
    return bool(p.top) and all(v.strip().casefold() in ("yes", "no", "y", "n", "true", "false", "0", "1")
                               for v in p.top)


def _two_valued(p: ColumnProfile) -> bool:
    """Return True for a yes/no column: two values, texts or 0/1 (not two different scores)."""
    if p.distinct != 2 or len(p.top) < 2:
        return False
    return p.number_share < 0.5 or (p.lo, p.hi) == (0.0, 1.0)


def guess_outcome(p: ColumnProfile) -> Outcome:
    """Return a likely outcome definition for a column.

    The role is a proposal the user confirms: churn for a yes/no column named churn, cancel(led) or
    left; revenue for a number column named revenue, spend, amount, charges or sales.
    """
    if _two_valued(p):
        positive, negative = guess_positive(p)
        return Outcome(column=p.name, kind="binary", name=p.name, positive=positive, negative=negative,
                       role="churn" if _named(p.name, CHURN_WORDS) else None)
    if p.number_share >= 0.8 and _named(p.name, REVENUE_WORDS):
        return Outcome(column=p.name, kind="value", name=p.name, role="revenue")
    scale, _codes = guess_scale(p)
    if scale == NPS_SCALE and _named(p.name, ("recommend", "nps", "likely", "likelihood")):
        return Outcome(column=p.name, kind="nps", name=p.name)
    if p.number_share >= 0.8 and scale is not None and p.whole >= 0.95 * p.numbers and p.hi is not None \
            and p.hi <= 100:
        return Outcome(column=p.name, kind="score", name=p.name, scale=scale)
    return Outcome(column=p.name, kind="value", name=p.name)


def _generic_rating(p: ColumnProfile) -> bool:
    """Return True for a rating named only as an overall judgment: overall_rating, review_score, Rating."""
    return bool(words(p.name)) and all(w in GENERIC_RATING_WORDS for w in words(p.name))


# ---------------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class Proposal:
    """A proposed mapping, what each column was read as, and what the user should know about it."""

    mapping: Mapping
    kinds: dict[str, str] = field(default_factory=dict)  # column -> one of KINDS
    notes: tuple[str, ...] = ()


def guess_mapping(profiles: Sequence[ColumnProfile]) -> Mapping:
    """Return a first mapping proposal for a file from its column profiles (the user confirms it)."""
    return propose(profiles).mapping


def propose(profiles: Sequence[ColumnProfile]) -> Proposal:
    """Return the mapping proposal for a file from its column profiles, with each column's kind and notes."""
    kinds = {p.name: column_kind(p) for p in profiles}
    by_name = {p.name: p for p in profiles}
    rows = max((p.rows for p in profiles), default=0)
    taken: set[str] = set()

    def pick(vocabulary: Sequence[str], test: Any = lambda p: True) -> str | None:
        for p in profiles:
            if p.name not in taken and p.filled and _named(p.name, vocabulary) and test(p):
                taken.add(p.name)
                return p.name
        return None

    touchpoint_col = pick(TOUCHPOINT_WORDS, lambda p: p.number_share < 0.5 and p.distinct <= 500
                          and kinds[p.name] in ("category", "text", "flag") and not _yes_no(p))
    score_col = pick(SCORE_WORDS, lambda p: p.number_share >= 0.8) if touchpoint_col else None
    fmt = "long" if touchpoint_col and score_col else "wide"
    if fmt == "wide":
        taken.discard(touchpoint_col or "")
        touchpoint_col = score_col = None
    respondent = _respondent(profiles, kinds, fmt, rows)
    if respondent:
        taken.add(respondent)
    scale_columns = None
    if fmt == "long":
        lo_col = next((p.name for p in profiles if words(p.name) in (["scale", "min"], ["min"], ["scale", "lo"])),
                      None)
        hi_col = next((p.name for p in profiles if words(p.name) in (["scale", "max"], ["max"], ["scale", "hi"])),
                      None)
        if lo_col and hi_col:
            scale_columns = (lo_col, hi_col)
            taken.update(scale_columns)
    roles: dict[str, str | None] = {}
    roles["timestamp"] = pick(ROLE_WORDS["timestamp"], lambda p: kinds[p.name] == "date") or next(
        (p.name for p in profiles if p.name not in taken and kinds[p.name] == "date"), None)
    taken.add(roles["timestamp"] or "")
    roles["comment"] = _comment(profiles, kinds, taken)
    taken.add(roles["comment"] or "")
    for role in ("channel", "stage", "unit"):
        roles[role] = pick(ROLE_WORDS[role], lambda p: p.number_share < 0.5 and kinds[p.name] != "long text")
    ratings = [p for p in profiles if p.name not in taken and kinds[p.name] == "rating"] if fmt == "wide" else []
    outcomes, notes = _outcomes(profiles, kinds, taken, ratings)
    taken.update(o.column for o in outcomes)
    ratings = [p for p in ratings if p.name not in taken]
    touchpoints: list[TouchpointColumn] = []
    scale: tuple[float, float] | None = None
    not_applicable: tuple[Code, ...] = ()
    if fmt == "wide":
        guesses = {p.name: guess_scale(p) for p in ratings}
        common = _most_common([g for g in guesses.values() if g[0] is not None])
        if common is not None:
            scale, not_applicable = common
        for p in ratings:
            taken.add(p.name)
            own_scale, own_codes = guesses[p.name]
            rule = ScoreRule() if (own_scale, own_codes) == (scale, not_applicable) else \
                ScoreRule(scale=own_scale, not_applicable=own_codes)
            touchpoints.append(TouchpointColumn(column=p.name, name=p.name, rule=rule))
        notes += _rating_notes(profiles, kinds, touchpoints, outcomes, respondent)
    else:
        score = by_name[score_col or ""]
        scale, not_applicable = guess_scale(score)
        if scale_columns is not None:
            scale = None
            not_applicable = tuple(c for c in not_applicable if isinstance(c, str))
    segments = tuple(p.name for p in profiles if p.name not in taken and kinds[p.name] in ("category", "flag")
                     and p.mean_length <= 40 and not _links(p)
                     and p.distinct <= max(0.5 * p.filled, min(p.filled - 1, 10)))
    decimal = "," if any(p.comma_numbers > p.numbers for p in profiles if p.filled and
                         p.name in {t.column for t in touchpoints} | {score_col}) else "."
    mapping = Mapping(
        format=fmt, respondent=respondent, touchpoints=tuple(touchpoints), touchpoint=touchpoint_col,
        score=score_col, scale_columns=scale_columns, scale=scale, not_applicable=not_applicable,
        segments=segments, outcomes=outcomes, channel=roles["channel"], stage=roles["stage"], unit=roles["unit"],
        timestamp=roles["timestamp"], comment=roles["comment"], decimal=decimal,
    )
    scored = [(by_name[t.column], t.rule.scale or scale) for t in touchpoints]
    scored += [(by_name[score_col], scale)] if score_col else []
    scored += [(by_name[o.column], o.scale) for o in outcomes if o.kind == "score"]
    notes += [note for p, on in scored if (note := two_scales_note(p, on))]
    return Proposal(mapping=mapping, kinds=kinds, notes=tuple(notes))


def two_scales_note(p: ColumnProfile, scale: tuple[float, float] | None) -> str | None:
    """Return a note when a column proposed on 1–10 (or 0–10) reads like two scales: nearly every answer 1–5, a few
    above, and far fewer above 5 than at 5 (a source that moved between 1–10 and 1–5); None otherwise."""
    if scale is None or scale[1] != 10 or p.numbers < 50 or not p.above_five:
        return None
    if p.above_five > 0.1 * p.numbers or p.at_five < 2 * p.above_five:
        return None
    return (f"'{p.name}': {p.numbers - p.above_five:,} of {p.numbers:,} answers read are at most 5 and only "
            f"{p.above_five:,} are 6–10 — perhaps two scales in one column (a source that moved between 1–10 and "
            f"1–5?). It is proposed on {scale[0]:g}–{scale[1]:g} as found, so a 4 of 5 would read as a low score. "
            "If most answers were given on 1–5, split the file (by date, for instance) or set this column's scale "
            "to 1–5: the 6–10 answers are then left empty as out of scale, listed with their rows.")


def _respondent(profiles: Sequence[ColumnProfile], kinds: dict[str, str], fmt: str, rows: int) -> str | None:
    """Return the respondent column: named like a respondent or an id, else (wide) a column of unique values.

    In a wide file a respondent has one row, so its id is (nearly) unique per row; in a long file it repeats.
    """
    usable = [p for p in profiles if p.filled >= 0.9 * rows and p.filled
              and kinds[p.name] not in ("rating", "date", "long text", "amount", "empty")]
    if fmt == "long":
        named = [p for p in usable if p.distinct >= 2 and (_named(p.name, RESPONDENT_WORDS) or
                                                           _named(p.name, ID_WORDS))]
        return named[0].name if named else None
    spread = [p for p in usable if p.distinct >= max(0.5 * p.filled, 2)]

    def code_like(p: ColumnProfile) -> bool:
        return kinds[p.name] in ("id", "count", "number") or " " not in "".join(p.samples[:20])

    tests: tuple[Callable[[ColumnProfile], bool], ...] = (
        lambda p: _named(p.name, RESPONDENT_WORDS) and p.all_different,
        lambda p: _named(p.name, ID_WORDS) and p.all_different,
        lambda p: _named(p.name, (*RESPONDENT_WORDS, *ID_WORDS)),
        lambda p: p.all_different and p.filled == rows and code_like(p),
    )
    for test in tests:
        found = [p for p in spread if test(p)]
        if found:
            return found[0].name
    return None


def _comment(profiles: Sequence[ColumnProfile], kinds: dict[str, str], taken: set[str]) -> str | None:
    """Return the longest text among columns named like a comment or holding long text (a body beats a title)."""
    candidates = [p for p in profiles if p.name not in taken and p.filled and p.number_share < 0.5
                  and kinds[p.name] != "date" and not _links(p)
                  and (_named(p.name, ROLE_WORDS["comment"]) or (kinds[p.name] == "long text"
                                                                 and p.distinct_share >= 0.5))]
    return max(candidates, key=lambda p: p.mean_length).name if candidates else None


def _links(p: ColumnProfile) -> bool:
    """Return True when the column's first values are web addresses or paths (not comments)."""
    shown = [v.strip() for v in p.samples[:20] if v.strip()]
    return bool(shown) and all(v.startswith(("http://", "https://", "www.", "/")) for v in shown)


def _outcomes(profiles: Sequence[ColumnProfile], kinds: dict[str, str], taken: set[str],
              ratings: Sequence[ColumnProfile]) -> tuple[tuple[Outcome, ...], list[str]]:
    """Return the proposed outcomes (at most three, one churn, one revenue) and a note on how they were found."""
    notes: list[str] = []
    candidates = [p for p in profiles if p.name not in taken and p.filled and _named(p.name, OUTCOME_WORDS)
                  and kinds[p.name] in ("flag", "rating", "amount", "count", "number")
                  and not _named(p.name, ("votes", "vote", "count", "qty", "quantity", "num", "number"))
                  and (_two_valued(p) or p.number_share >= 0.8)]
    overall = [p for p in ratings if _generic_rating(p) and p not in candidates]
    candidates += overall
    candidates.sort(key=lambda p: (not _two_valued(p), not _named(p.name, ("recommend", "nps", "likely"))))
    if overall:
        shown = ", ".join(f"'{p.name}'" for p in overall)
        notes.append(f"{shown} rate{'s' if len(overall) == 1 else ''} the whole experience: proposed as an outcome, "
                     "not a touchpoint.")
    outcomes: list[Outcome] = []
    roles: set[str] = set()
    for p in candidates:
        outcome = guess_outcome(p)
        if outcome.role in roles:  # a second churn or revenue column (TotalCharges beside MonthlyCharges)
            continue
        if outcome.role:
            roles.add(outcome.role)
        outcomes.append(outcome)
        if len(outcomes) == 3:
            break
    return tuple(outcomes), notes


def _rating_notes(profiles: Sequence[ColumnProfile], kinds: dict[str, str], touchpoints: Sequence[TouchpointColumn],
                  outcomes: Sequence[Outcome], respondent: str | None) -> list[str]:
    notes: list[str] = []
    if not touchpoints:
        what = ("" if outcomes else " No outcome column was recognised either: pick the outcomes below.")
        notes.append("No column holds ratings (whole numbers on a short scale such as 1–5 or 0–10): the proposal is "
                     "an outcome-only data set — outcomes and segments, no touchpoint scores." + what)
    numeric = [p.name for p in profiles if kinds[p.name] in ("count", "id", "amount") and p.number_share >= 0.8
               and p.name not in {respondent, *(o.column for o in outcomes)}]
    if numeric:
        shown = ", ".join(f"'{n}' ({kinds[n]})" for n in numeric[:8]) + (" …" if len(numeric) > 8 else "")
        notes.append(f"Number columns not proposed as ratings: {shown}.")
    return notes


def _most_common(items: Sequence[tuple[Any, Any]]) -> tuple[Any, Any] | None:
    if not items:
        return None
    counts: dict[Any, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    best: tuple[Any, Any] = max(counts.items(), key=lambda kv: kv[1])[0]
    return best
