"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from cx import names

__all__ = [
    "FORMULA_STARTS",
    "WORD_JOINER",
    "chart_image",
    "escape_markdown",
    "neutralise",
    "safe_csv",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters that are Markdown wherever they stand (emphasis, code, links and images, HTML and
# autolinks, headings, tables, strike-through, math, entities, hard line breaks) get a backslash,
# which CommonMark allows before any ASCII punctuation: the text renders as typed. `!`, `(` and `)`
# need none: an image or a link needs a `[`, escaped here; HTML and autolinks need a `<`.
_ALWAYS = frozenset("\\`*_[]<|~$&")
# Headings, quotes, list items, thematic breaks and setext headings start a line: `#`, `>`, `-`, `+`,
# `=` there, and a number followed by `.` or `)`.
_LINE_START = re.compile(r"(?m)^([ \u00a0]*)([-+=#>])")
_ORDERED_ITEM = re.compile(r"(?m)^([ \u00a0]*\d+)([.)])")
_INDENT = re.compile(r"(?m)^[ \t]+")
# Some rules of Streamlit's renderer work on the text *after* escapes are resolved: bare URLs and
# e-mail addresses become links, `:red[…]` colours, `:smile:` / `:material/…:` become icons, `--`
# becomes a dash. An invisible word joiner breaks each pattern (after a `:` that touches the next
# character, after `@` and `www`, between two `-`) while the text still reads the same.
WORD_JOINER = "\u2060"
_WWW = re.compile(r"(?i)(www)(?=\.)")


def escape_markdown(text: str) -> str:
    """Return user text escaped so Markdown-rendering elements show it literally.

    No link, image, HTML, emphasis, heading, list, table, code, math, colour directive, icon or
    dash ligature survives; the rendered text is the original (with invisible word joiners in
    `://`, `www.`, `@`, `:name` and `--`). Checked with markdown-it-py (tests/test_markup.py) and in
    Streamlit's own renderer in chromium (tests/browser/test_markup.py).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Leading spaces would make an indented code block: no-break spaces are not indentation.
    text = _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), text).replace("\t", " ")
    out: list[str] = []
    for i, ch in enumerate(text):
        after = text[i + 1:i + 2]
        if ch in _ALWAYS:
            out.append("\\" + ch)
        elif ch == ":" and after.strip():
            out.append("\\:" + WORD_JOINER)
        elif ch == "@" or (ch == "-" and after == "-"):
            out.append(ch + WORD_JOINER)
        else:
            out.append(ch)
    escaped = _WWW.sub(lambda m: m.group(1) + WORD_JOINER, "".join(out))
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    return _ORDERED_ITEM.sub(r"\1\\\2", escaped)


def neutralise(value: object) -> object:
    """Return a text cell prefixed with ' when a spreadsheet would run it as a formula.

    Each line of a multi-line cell is treated the same: a reader that splits the file at line
    breaks (or a quote the cell lost on the way) must not find a formula at a line's start either.
    """
    if not isinstance(value, str):
        return value
    if "\n" in value or "\r" in value:
        return "".join("'" + line if line.startswith(FORMULA_STARTS) else line
                       for line in value.splitlines(keepends=True))
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_csv(frame: pd.DataFrame, notes: Sequence[str] = ()) -> bytes:
    """Return the frame as UTF-8 CSV with formula-looking text neutralised.

    `notes` (e.g. the active filters) go first as `# ` lines so the file says what it holds; each
    note is made one line first, so a line break inside a name cannot start a line of its own (with
    a formula such as `=HYPERLINK(…)` at its start).
    """
    clean = frame.copy()
    for column in clean.columns:
        if clean[column].dtype == object or pd.api.types.is_string_dtype(clean[column]):
            clean[column] = clean[column].map(neutralise)
    clean.columns = [str(neutralise(str(c))) for c in clean.columns]
    head = "".join(f"# {str(neutralise(names.one_line(str(n))))}\n" for n in notes)
    return (head + clean.to_csv(index=False)).encode("utf-8")


def chart_image(chart: object, fmt: str) -> bytes:
    """Return an Altair chart rendered offline as PNG or SVG bytes (vl-convert)."""
    import vl_convert as vlc

    spec = chart.to_dict()  # type: ignore[attr-defined]
    if fmt == "png":
        return bytes(vlc.vegalite_to_png(spec, scale=2))
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"unknown image format {fmt!r}: use png or svg")
