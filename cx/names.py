"""Names are single-line and look like what they are: the one cleaning rule for the names users bring.

A name (of a data set, journey, touchpoint, segment, unit, channel or stage) is read in a label or
a chart and typed again to find things, so before it is stored it is
- made single-line: control characters (C0 and C1: line break, tab, CR, NUL, …), line and
  paragraph separators and other spaces (no-break, em space, …) become one plain space, and the
  spaces around it go;
- stripped of invisible characters that make two equal-looking names differ: zero-width spaces,
  word joiners, byte-order marks, soft hyphens, direction marks and overrides, Hangul fillers.
  (Zero-width joiners and non-joiners stay: emoji sequences and Persian or Indic spelling need them.)
- NFC-normalised: "é" typed as e + a combining accent and "é" typed as one letter are one name.

`clean_name` does it in Python, `clean_name_sql` in DuckDB SQL for the import of millions of cells;
they agree (tests/test_names.py). `lookalikes` finds names that still differ only by look-alike
letters (a Cyrillic "а" among Latin ones), case or width, so the import can warn about them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "INVISIBLE",
    "SPACES",
    "clean_name",
    "clean_name_sql",
    "lookalike_key",
    "lookalike_notes",
    "lookalikes",
    "name_change_note",
    "one_line",
    "strip_nul",
    "strip_nul_sql",
]

# (first, last) code points, inclusive.
SPACES: tuple[tuple[int, int], ...] = (
    (0x00, 0x20), (0x7F, 0x9F), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029),
    (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)
INVISIBLE: tuple[tuple[int, int], ...] = (
    (0xAD, 0xAD), (0x34F, 0x34F), (0x61C, 0x61C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180E, 0x180E),
    (0x200B, 0x200B), (0x200E, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x2069), (0x3164, 0x3164),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
)
_JOINERS = "\u200c\u200d"  # kept in names, ignored when comparing look-alikes


def _python_class(ranges: Sequence[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\U{a:08x}" + (f"-\\U{b:08x}" if b != a else "") for a, b in ranges) + "]"


def _sql_class(ranges: Sequence[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\x{{{a:04X}}}" + (f"-\\x{{{b:04X}}}" if b != a else "") for a, b in ranges) + "]"


_SPACE_RUN = re.compile(_python_class(SPACES) + "+")
_INVISIBLE = re.compile(_python_class(INVISIBLE))
# The cheap test that lets most cells skip the regular expressions: printable ASCII, no double space.
_NEEDS_WORK_SQL = "regexp_matches({x}, '[^ -~]|  ')"


def clean_name(text: str) -> str:
    """Return a name single-line, without invisible characters, NFC-normalised and stripped."""
    cleaned = _SPACE_RUN.sub(" ", _INVISIBLE.sub("", text)).strip(" ")
    return unicodedata.normalize("NFC", cleaned)


def clean_name_sql(expr: str) -> str:
    """Return DuckDB SQL for `clean_name(expr)`, NULL for an empty name (`expr` is a column or expression)."""
    full = (f"nfc_normalize(trim(regexp_replace(regexp_replace({expr}, '{_sql_class(INVISIBLE)}', '', 'g'), "
            f"'{_sql_class(SPACES)}+', ' ', 'g')))")
    return f"nullif(CASE WHEN {_NEEDS_WORK_SQL.format(x=expr)} THEN {full} ELSE trim({expr}) END, '')"


def one_line(text: str) -> str:
    """Return text on one line: every run of control characters, line breaks and spaces becomes one space."""
    return _SPACE_RUN.sub(" ", text)


def strip_nul(text: str) -> str:
    """Return text without NUL characters (ids and comments: NUL has no meaning in text)."""
    return text.replace("\x00", "")


def strip_nul_sql(expr: str) -> str:
    """Return DuckDB SQL for `strip_nul(expr)`."""
    return f"replace({expr}, chr(0), '')"


def name_change_note(what: str, before: str, after: str) -> str | None:
    """Return the note that a name was changed by `clean_name` (None when only surrounding spaces went).

    `what` names the name: "data set name", "touchpoint 2's owner"…
    """
    if after == before.strip(" "):
        return None
    return (f"The {what} {before!r} held line breaks, tabs, control or invisible characters, or another "
            f"Unicode form: it is stored as '{after}'.")


# Letters of other scripts that look like Latin ones (Unicode's confusables, the common ones).
_CONFUSABLE = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "ë", "з": "3", "і": "i", "ї": "ï", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w",
    "ѵ": "v", "ӏ": "l", "А": "A", "В": "B", "Е": "E", "Ё": "Ë", "І": "I", "Ї": "Ï", "Ј": "J", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "Ԁ": "D", "Һ": "H", "Ԛ": "Q",
    "Ԝ": "W", "Ѵ": "V", "Ӏ": "I",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ε": "e",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    # Latin look-alikes of other letters
    "ı": "i", "ɡ": "g", "ʏ": "y",
})


def lookalike_key(name: str) -> str:
    """Return what a name looks like: NFKC, look-alike letters mapped to Latin, joiners dropped, case folded."""
    text = unicodedata.normalize("NFKC", clean_name(name)).translate(_CONFUSABLE)
    return "".join(ch for ch in text if ch not in _JOINERS).casefold()


def lookalikes(names: Iterable[str]) -> list[tuple[str, ...]]:
    """Return the groups of different names that look alike (each group sorted, groups in first-seen order)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        group = groups.setdefault(lookalike_key(name), [])
        if name not in group:
            group.append(name)
    return [tuple(sorted(g)) for g in groups.values() if len(g) > 1]


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    return unicodedata.name(ch, "?").split(" ")[0]


def _mixed_scripts(name: str) -> bool:
    # A word mixing Latin with Cyrillic or Greek letters ("Сheckout") is almost always a look-alike.
    for word in name.split():
        scripts = {s for s in map(_script, word) if s is not None}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            return True
    return False


def lookalike_notes(names: Sequence[str], what: str = "touchpoint", *, plural: str | None = None) -> list[str]:
    """Return one note per group of look-alike names, and per name mixing Latin with Cyrillic or Greek letters.

    `what` says what the names are ("touchpoint", "unit", "value of segment 'region'"), `plural` its
    plural (default: `what` + "s").
    """
    notes = []
    grouped: set[str] = set()
    for group in lookalikes(names):
        grouped.update(group)
        listed = " and ".join(f"'{n}'" for n in group)
        notes.append(f"The {plural or what + 's'} {listed} look alike but are different names (they differ in "
                     f"look-alike letters from another alphabet, in case or in width): their answers are counted "
                     f"apart. If they are one {what}, make the names the same in the file.")
    for name in names:
        if name not in grouped and _mixed_scripts(name):
            notes.append(f"The {what} '{name}' mixes Latin letters with Cyrillic or Greek ones in one word: "
                         f"check that it is typed as intended.")
    return notes
