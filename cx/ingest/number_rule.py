"""The number rule: which text cells hold a number, and which number. Written once, here.

A score, an outcome, an operational value or a scale bound is read from a text cell by one rule:

- spaces around the cell are removed (Unicode spaces: space, no-break space, thin space…, what
  DuckDB's `trim` removes), then ASCII blanks around it are ignored (tab, line breaks, vertical
  tab, form feed, space);
- what is left is ASCII digits with at most one sign, an optional decimal separator and an
  optional exponent: `7`, `-3`, `+5`, `4.`, `.5`, `1e3`, `1E-2`;
- with the decimal comma (`decimal=","`) a comma is the decimal separator: `4,5` is 4.5;
- not numbers: NaN, infinities, overflow (`1e400`), thousands separators (`1,000` with a decimal
  point, `1 000`), digit-group underscores (`1_000`), two signs (`+-1`), a typographic minus
  (`−3`), other scripts' digits (`٣`).

The rule has two spellings because it runs in two places: `parse_number` in Python (sniffing
reads the first megabyte in Python) and `number_sql` in SQL (the profile and the checks run over
every staged row in DuckDB). tests/test_ingest_numbers.py proves the two agree, cell by cell.
"""

from __future__ import annotations

import math
import re

__all__ = ["DECIMAL_COMMA_PATTERN", "UNICODE_SPACES", "decimal_comma_sql", "number_sql", "parse_number", "trim_sql"]

# Unicode category Zs: the characters DuckDB's trim() removes from both ends of a text.
UNICODE_SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"

_NUMBER = re.compile(r"[ \t\n\v\f\r]*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\v\f\r]*")

# A number written with a decimal comma ("4,5"): the checks name this problem, the profile counts it.
DECIMAL_COMMA_PATTERN = "[+-]?[0-9]+,[0-9]+"


def parse_number(text: str | None, decimal: str = ".") -> float | None:
    """Return the number a text cell holds, or None when it holds none (the rule above, in Python)."""
    if text is None:
        return None
    text = text.strip(UNICODE_SPACES)
    if decimal == ",":
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def number_sql(cell: str, decimal: str = ".") -> str:
    """Return the SQL (a DOUBLE, NULL when the cell holds no number) of the rule above.

    `cell` is an SQL expression of type VARCHAR, e.g. a staging column `c3`; it may be NULL.
    """
    text = trim_sql(cell)  # when the caller also selects trim_sql(cell), DuckDB computes it once
    separated = f"replace({text}, ',', '.')" if decimal == "," else text
    # DuckDB's cast reads more than the rule: digit groups ("1_000") and two signs ("+-1") are refused
    # before it. It ignores the same ASCII blanks and refuses the rest ("1,5", "0x10", "−3", "٣").
    cast = (f"TRY_CAST(CASE WHEN contains({text}, '_') OR contains({text}, '+-') THEN NULL ELSE {separated} END "
            "AS DOUBLE)")
    # NaN, infinities and overflow are not numbers. DuckDB computes the repeated cast once.
    return f"CASE WHEN isfinite({cast}) THEN {cast} END"


def trim_sql(cell: str) -> str:
    """Return the SQL of DuckDB's `trim(cell)` (UNICODE_SPACES removed from both ends), cheaper on most cells.

    A cell of ASCII characters only (as many bytes as characters) that starts and ends with no space is
    already trimmed (the only ASCII character trim removes is the space): it is taken as it is, without
    trim's character-by-character Unicode reading (about a quarter of its cost on short cells). `cell` is a
    column or another cheap expression (it is repeated).
    """
    return (f"CASE WHEN strlen({cell}) = length({cell}) AND NOT starts_with({cell}, ' ') "
            f"AND NOT ends_with({cell}, ' ') THEN {cell} ELSE trim({cell}) END")


def decimal_comma_sql(text: str) -> str:
    """Return the SQL (a BOOLEAN) true when `text`, an SQL expression of trimmed text, is a number written
    with a decimal comma ("4,5")."""
    return f"regexp_full_match({text}, '{DECIMAL_COMMA_PATTERN}')"
