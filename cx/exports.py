"""Exports that are safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "FORMULA_STARTS",
    "chart_image",
    "escape_markdown",
    "neutralise",
    "safe_csv",
]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = "\\`*_[]<>#|~$"


def escape_markdown(text: str) -> str:
    """Return user text escaped so Markdown-rendering elements show it literally (no links, bold, HTML)."""
    escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)
    # Bare URLs would become links: break the patterns GitHub-flavoured Markdown links up.
    return escaped.replace("://", "\\:\\/\\/").replace("www.", "www\\.")


def neutralise(value: object) -> object:
    """Return a text cell prefixed with ' when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame, notes: Sequence[str] = ()) -> bytes:
    """Return the frame as UTF-8 CSV with formula-looking text neutralised.

    `notes` (e.g. the active filters) go first as `# ` lines so the file says what it holds.
    """
    clean = frame.copy()
    for column in clean.columns:
        if clean[column].dtype == object or pd.api.types.is_string_dtype(clean[column]):
            clean[column] = clean[column].map(neutralise)
    clean.columns = [str(neutralise(str(c))) for c in clean.columns]
    head = "".join(f"# {str(neutralise(n))}\n" for n in notes)
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
