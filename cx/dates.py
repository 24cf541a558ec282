"""The date rule: which text cells hold a date, and which date. Written once, here.

A date column is read without a format (a mapping's `timestamp_format` is only for forms not listed):

- ISO: `2023-11-19`, `2023/11/19`, `2023-11-19 14:05`, `2023-11-19T14:05:00Z` (a zone or offset is
  dropped: times are read as written), `2023-11` (the 1st of the month);
- day, month name, year: `19th November 2023`, `19 Nov 2023`, `19-Nov-23`, `Sunday, 19 November 2023`;
- month name, day, year: `November 19, 2023`, `Nov 19th 2023`;
- month name and year: `November 2023` (the 1st of the month);
- numbers: `19/11/2023`, `19.11.2023`, `19-11-23` — day first or month first, decided from the whole
  column (`decide_order`): a first number above 12 shows day first, a second one above 12 month first;
  a column where neither shows is ambiguous, read day first unless the mapping says `"date_order": "mdy"`,
  and the report says so;
- Excel serial day numbers (five digits, 1927–2173): `45249` is 2023-11-19, `45249.5` its noon;
- any of these with a time after it: `14:05`, `14:05:30`, `2:05 pm`.

Month names are English, in any case, written out or as three letters (`Sept` too); two-digit years are
1969–2068. A cell that reads as none of these, or as a day that does not exist (`30/02/2023`), holds no date.

The rule has two spellings, like the number rule: `parse_date` in Python (guesses read the first rows
in Python) and `date_sql` in SQL (checks and imports run over every staged row in DuckDB);
tests/test_dates.py proves the two agree, cell by cell. The patterns are this module's constants, never
user text, so they are written into the SQL as literals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DATE_ORDERS", "DATE_PATTERN", "ISO_FAST", "MONTHS", "UNICODE_SPACES", "DateReading", "date_fields_sql",
    "date_from_fields_sql", "date_share", "date_sql", "decide_order", "normalise", "order_evidence",
    "order_evidence_counts_sql", "order_evidence_row_sql", "parse_date", "read_column",
]

DATE_ORDERS: dict[str, str] = {"dmy": "day first (19/11/2023)", "mdy": "month first (11/19/2023)"}

MONTHS: dict[str, int] = {}
for _number, _name in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                 "september", "october", "november", "december"), start=1):
    MONTHS[_name] = MONTHS[_name[:3]] = _number
MONTHS["sept"] = 9

_ORD = "(?:st|nd|rd|th)?"
# One pattern for every form (after `normalise`): an optional weekday, the date (one alternative per form),
# an optional time (hours:minutes[:seconds[.fraction]], am/pm, a zone that is dropped). Its groups, in
# order, are _FIELDS.
DATE_PATTERN = (
    r"^ *(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.? +)?(?:"
    r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"  # ISO: y m d
    r"|([0-9]{4})-([0-9]{1,2})"  # ISO month: y m
    r"|([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})"  # numbers: a b y
    rf"|([0-9]{{1,2}}){_ORD}[ .-]*([a-z]{{3,9}})\.?[ .-]*([0-9]{{4}}|[0-9]{{2}})"  # d month y
    rf"|([a-z]{{3,9}})\.?[ .-]*([0-9]{{1,2}}){_ORD}[ .-]+([0-9]{{4}})"  # month d y
    r"|([a-z]{3,9})\.?[ .-]*([0-9]{4})"  # month y
    r"|([0-9]{5}(?:\.[0-9]+)?))"  # Excel serial
    r"(?:(?: +|t)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?(?: *([ap])\.?m\.?)?"
    r"(?: *(?:z|utc|gmt|[+-][0-9]{2}(?::?[0-9]{2})?))?)? *$"
)
# Most files write ISO dates: a cell that matches this exactly is read by DuckDB's own cast, which gives
# the same date as the pattern, faster.
ISO_FAST = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?")
_FIELDS = ("iy", "im", "id", "my", "mm", "a", "b", "ny", "dd", "dmon", "dy", "mmon", "md", "mdy", "ymon", "yy",
           "serial", "hh", "mi", "ss", "frac", "ap")
_EXCEL_EPOCH = datetime(1899, 12, 30)
# What DuckDB's trim() removes from both ends (Unicode category Zs): the number rule's UNICODE_SPACES.
UNICODE_SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


# ---------------------------------------------------------------------- Python


def normalise(text: str) -> str:
    """Return a cell as the pattern reads it: no spaces around it, lower case, commas as spaces."""
    return text.strip(UNICODE_SPACES).lower().replace(",", " ")


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        return 2000 + y if y < 69 else 1900 + y
    return y


def _parts(text: str) -> dict[str, str] | None:
    found = re.fullmatch(DATE_PATTERN, normalise(text))
    if found is None:
        return None
    return dict(zip(_FIELDS, (g or "" for g in found.groups()), strict=True))


def parse_date(text: str | None, order: str = "dmy") -> datetime | None:
    """Return the date (and time) a text cell holds by the rule above, or None; `order` reads 19/11/2023."""
    if text is None:
        return None
    d = _parts(text)
    if d is None:
        return None
    if d["serial"]:
        if d["hh"]:
            return None
        return _EXCEL_EPOCH + timedelta(seconds=math.floor(float(d["serial"]) * 86400 + 0.5))
    if d["iy"]:
        y, m, day = int(d["iy"]), int(d["im"]), int(d["id"])
    elif d["my"]:
        y, m, day = int(d["my"]), int(d["mm"]), 1
    elif d["a"]:
        first, second = int(d["a"]), int(d["b"])
        y, (day, m) = _year(d["ny"]), (first, second) if order == "dmy" else (second, first)
    elif d["dd"]:
        y, m, day = _year(d["dy"]), MONTHS.get(d["dmon"], 0), int(d["dd"])
    elif d["mmon"]:
        y, m, day = int(d["mdy"]), MONTHS.get(d["mmon"], 0), int(d["md"])
    else:
        y, m, day = int(d["yy"]), MONTHS.get(d["ymon"], 0), 1
    hour, minute, second = _clock(d)
    if hour is None or y < 1:
        return None
    try:
        return datetime(y, m, day, hour, minute, second, int(d["frac"].ljust(6, "0")) if d["frac"] else 0)
    except ValueError:
        return None


def _clock(time: dict[str, str]) -> tuple[int | None, int, int]:
    if not time["hh"]:
        return 0, 0, 0
    hour, minute, second = int(time["hh"]), int(time["mi"]), int(time["ss"] or 0)
    if time["ap"]:
        if not 1 <= hour <= 12:
            return None, 0, 0
        hour = hour % 12 + (12 if time["ap"] == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None, 0, 0
    return hour, minute, second


def date_share(values: Iterable[str]) -> float:
    """Return the share of non-blank values that hold a date (read either way round)."""
    cells = [v for v in values if v and v.strip()]
    if not cells:
        return 0.0
    return sum(1 for v in cells if parse_date(v, "dmy") or parse_date(v, "mdy")) / len(cells)


def order_evidence(values: Iterable[str]) -> tuple[int, int, int]:
    """Return (number dates, with a first number above 12, with a second number above 12) of some cells."""
    numeric = first = second = 0
    for value in values:
        parts = _parts(value) if value else None
        if parts is None or not parts["a"]:
            continue
        numeric += 1
        first += int(parts["a"]) > 12
        second += int(parts["b"]) > 12
    return numeric, first, second


# ---------------------------------------------------------------------- which way round


@dataclass(frozen=True)
class DateReading:
    """How a column's number dates (19/11/2023) are read, and the evidence for it."""

    column: str
    order: str  # "dmy" or "mdy"
    numeric: int  # cells written as numbers a/b/y
    day_first: int  # of those, with a first number above 12 (only day first reads them)
    month_first: int  # with a second number above 12 (only month first reads them)
    given: bool = False  # the mapping's "date_order" chose it

    @property
    def ambiguous(self) -> bool:
        """Return True when the cells cannot tell day first from month first (and the mapping did not say)."""
        return self.numeric > 0 and not self.given and self.day_first == 0 and self.month_first == 0

    @property
    def contradicted(self) -> int:
        """Return how many number dates only the other order reads (they hold no date)."""
        return self.month_first if self.order == "dmy" else self.day_first

    def note(self) -> str | None:
        """Return the sentence the report shows about this column's number dates, or None when there are none."""
        if not self.numeric:
            return None
        other = "mdy" if self.order == "dmy" else "dmy"
        how = DATE_ORDERS[self.order]
        if self.ambiguous:
            return (f"Dates in '{self.column}' such as 03/04/2024 could be day first or month first, and no cell "
                    f"shows which ({self.numeric:,} number dates, none above 12 in either place): they are read "
                    f"{how}. If they are {DATE_ORDERS[other]}, set \"date_order\": \"{other}\" in the mapping.")
        if self.given:
            why = "as the mapping's \"date_order\" says"
        else:
            evidence = self.day_first if self.order == "dmy" else self.month_first
            place = "first" if self.order == "dmy" else "second"
            why = f"{evidence:,} of {self.numeric:,} number dates have a {place} number above 12"
        text = f"Dates in '{self.column}' are read {how}: {why}."
        if self.contradicted:
            text += f" {self.contradicted:,} read only {DATE_ORDERS[other]}: they hold no date (listed below)."
        return text


def decide_order(column: str, numeric: int, day_first: int, month_first: int, given: str | None = None
                 ) -> DateReading:
    """Return how a column's number dates are read: the mapping's order, else what the cells show (day first
    when they show nothing, or more of them show it)."""
    if given is not None:
        return DateReading(column, given, numeric, day_first, month_first, given=True)
    order = "mdy" if month_first > day_first else "dmy"
    return DateReading(column, order, numeric, day_first, month_first)


def read_column(column: str, values: Iterable[str], given: str | None = None) -> DateReading:
    """Return the reading of a column's number dates from its cells (in Python)."""
    return decide_order(column, *order_evidence(values), given=given)


# ---------------------------------------------------------------------- SQL


def _normalise_sql(cell: str) -> str:
    return f"replace(lower(trim({cell})), ',', ' ')"


def _fields(names: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{n}'" for n in names) + "]"


def date_fields_sql(cell: str) -> str:
    """Return the SQL of a STRUCT: the pattern's fields of a cell ('' where a group matched nothing, every
    field '' when the cell does not match; NULL for a plain ISO cell); `a` and `b` are the numbers of 19/11/2023."""
    return (f"CASE WHEN regexp_full_match({cell}, '{ISO_FAST}') THEN NULL "
            f"ELSE regexp_extract({_normalise_sql(cell)}, '{DATE_PATTERN}', {_fields(_FIELDS)}) END")


def _int(field: str) -> str:
    return f"TRY_CAST(nullif({field}, '') AS BIGINT)"


def _year_sql(field: str) -> str:
    return (f"CASE WHEN length({field}) = 2 THEN CASE WHEN {_int(field)} < 69 THEN 2000 ELSE 1900 END "
            f"+ {_int(field)} ELSE {_int(field)} END")


def _month_sql(field: str) -> str:
    names = "[" + ", ".join(f"'{n}'" for n in MONTHS) + "]"
    numbers = "[" + ", ".join(str(v) for v in MONTHS.values()) + "]"
    return f"{numbers}[list_position({names}, {field})]"


def date_sql(cell: str, order: str = "dmy") -> str:
    """Return the SQL (a TIMESTAMP, NULL when the cell holds no date) of the rule above.

    `cell` is an SQL expression of type VARCHAR (it may be NULL); `order` ("dmy" or "mdy") reads number dates.
    Over many rows, select `date_fields_sql(cell)` in a subquery and `date_from_fields_sql` over it: faster.
    """
    return f"list_transform([{date_fields_sql(cell)}], lambda d: {date_from_fields_sql(cell, 'd', order)})[1]"


def date_from_fields_sql(cell: str, fields: str, order: str = "dmy") -> str:
    """Return the SQL (a TIMESTAMP or NULL) of a cell from its `date_fields_sql` STRUCT, the SQL `fields`."""
    if order not in DATE_ORDERS:
        raise ValueError(f"order is one of {', '.join(DATE_ORDERS)}, not {order!r}")

    def f(name: str) -> str:
        return f"{fields}.{name}"

    def num(name: str) -> str:
        return _int(f(name))

    day_a, month_a = ("a", "b") if order == "dmy" else ("b", "a")
    year = (f"coalesce({num('iy')}, {num('my')}, {_year_sql(f('ny'))}, {_year_sql(f('dy'))}, {num('mdy')}, "
            f"{num('yy')})")
    month = (f"coalesce({num('im')}, {num('mm')}, {num(month_a)}, {_month_sql(f('dmon'))}, "
             f"{_month_sql(f('mmon'))}, {_month_sql(f('ymon'))})")
    day = (f"coalesce({num('id')}, {num(day_a)}, {num('dd')}, {num('md')}, "
           f"CASE WHEN {f('my')} <> '' OR {f('ymon')} <> '' THEN 1 END)")
    hour = (f"CASE WHEN {f('hh')} = '' THEN 0 WHEN {f('ap')} = '' THEN {num('hh')} "
            f"WHEN {num('hh')} BETWEEN 1 AND 12 THEN {num('hh')} % 12 + CASE WHEN {f('ap')} = 'p' THEN 12 ELSE 0 "
            "END END")
    minute, second = f"coalesce({num('mi')}, 0)", f"coalesce({num('ss')}, 0)"
    micro = f"CASE WHEN {f('frac')} = '' THEN 0 ELSE TRY_CAST(rpad({f('frac')}, 6, '0') AS BIGINT) END"
    clock_ok = f"{hour} <= 23 AND {minute} <= 59 AND {second} <= 59"
    stamp = (f"CASE WHEN {year} >= 1 AND {clock_ok} THEN try(make_timestamp({year}, {month}, {day}, {hour}, "
             f"{minute}, 0)) + to_seconds({second}) + to_microseconds({micro}) END")
    serial = (f"CASE WHEN {f('hh')} = '' THEN TIMESTAMP '1899-12-30' + "
              f"to_seconds(floor(TRY_CAST({f('serial')} AS DOUBLE) * 86400 + 0.5)::BIGINT) END")
    # Every alternative captures something: all fields blank means the cell is no date.
    matched = " OR ".join(f"{f(name)} <> ''" for name in ("iy", "my", "a", "dd", "mmon", "ymon", "serial"))
    return (f"CASE WHEN {fields} IS NULL THEN TRY_CAST({cell} AS TIMESTAMP) WHEN {f('serial')} <> '' THEN {serial} "
            f"WHEN {matched} THEN {stamp} END")


def order_evidence_row_sql(fields: str) -> str:
    """Return the SQL of one row's evidence on how 03/04/2024 reads, from `fields` (a `date_fields_sql` STRUCT):
    NULL unless the cell is a number date, else 1 when its first number is above 12, plus 2 when its second is."""
    a, b = _int(f"{fields}.a"), _int(f"{fields}.b")
    return f"CASE WHEN {a} IS NOT NULL THEN ({a} > 12)::UTINYINT + 2 * coalesce({b} > 12, false)::UTINYINT END"


def order_evidence_counts_sql(evidence: str) -> str:
    """Return the SQL of three aggregates over `evidence` (an `order_evidence_row_sql` column): number dates,
    first number above 12, second number above 12 (what `decide_order` takes)."""
    return f"count({evidence}), count(*) FILTER (WHERE {evidence} IN (1, 3)), count(*) FILTER (WHERE {evidence} >= 2)"
