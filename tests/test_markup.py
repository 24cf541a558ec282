"""User text in Markdown elements renders as the literal text: `exports.escape_markdown` over a payload list.

Two checks per payload, because Streamlit's renderer has two kinds of rules: CommonMark / GFM syntax
(links, images, emphasis, HTML, lists, headings, tables, math), checked by rendering the escaped
text with markdown-it-py; and rules that work on the text after parsing (bare URLs and e-mail
addresses become links, `:smile:` / `:material/…:` become icons, `:red[…]` colours, `--` becomes a
dash), checked on the rendered text: each pattern is broken by an invisible word joiner. The real
renderer is checked in a browser by tests/browser/test_markup.py.
"""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from cx import exports, ui
from cx.exports import WORD_JOINER, escape_markdown

PAYLOADS: tuple[str, ...] = (
    "[x](http://evil/x)",
    "![x](http://evil/x.png)",
    ":red[x]",
    ":blue-background[x] :rainbow[y]",
    "<img src=x onerror=alert(1)>",
    "<b>bold</b> <script>alert(1)</script>",
    "**b**",
    "__b__ *i* _i_",
    "a -- b",
    "a --- b",
    "---",
    "***",
    "$x$",
    "$$x^2$$",
    "http://evil.example/x",
    "see https://evil.example/x?a=1 now",
    "www.evil.example",
    "WWW.EVIL.EXAMPLE",
    "mail bob@evil.example",
    ":smile: :material/home:",
    "1. first",
    "2024) a year",
    "- item",
    "+ item",
    "* item",
    "# heading",
    "> quote",
    "| a | b |",
    "~~strike~~",
    "`code`",
    "```fence",
    "    indented code",
    "\tindented by a tab",
    "&amp; &lt;b&gt; &#60;i&#62;",
    "a\\b \\* c",
    "[ref]: http://evil/x",
    "<http://evil/x>",
    "{#id .class}",
    "x = y",
    "Dr. Who's \"quote\" (1.5) 100% ?!",
    "Delivery: fast?",
    "Checkout 🚀 مرحبا שלום",
    "a\n=HYPERLINK(\"http://evil\")",
    "a\nb\n===",
    "a\n- item\n+ item\n= x",
    "text\n---",
    "text\n- - -",
    "  - nested",
    "a\n2. b\n3) c",
    ":+1: :-1: :100:",
    "Time 10:30, ratio 1:2, C:\\path",
    "Note: see below:",
    "x![y](z)",
    "[x]: <http://evil>",
)
_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# Streamlit's rules that apply to the text after parsing, each matched the way the renderer does.
TEXT_RULES = {
    "URL": re.compile(r"(?i)[a-z][a-z0-9+.-]*://"),
    "www link": re.compile(r"(?i)www\."),
    "e-mail link": re.compile(r"\w@\w"),
    "directive, emoji or icon": re.compile(r":[\w/-]"),
    "dash": re.compile(r"--"),
}


def _rendered(markdown: str) -> str:
    """Return the HTML markdown-it-py renders for `markdown` (CommonMark with GFM tables and strike-through)."""
    return _MD.render(markdown)


def _text_of(rendered: str) -> str:
    """Return the visible text of rendered HTML made of paragraphs and line breaks only."""
    text = re.sub(r"</p>\n?<p>", "\n", rendered.strip())
    text = text.removeprefix("<p>").removesuffix("</p>")
    return html.unescape(text)


def _literal(payload: str) -> str:
    """Return what the payload should read as: its text, line endings and indentation as plain spaces."""
    lines = [line.replace("\t", " ").strip(" ") for line in payload.split("\n")]
    return "\n".join(line for line in lines)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_user_text_renders_as_its_literal_text(payload: str) -> None:
    rendered = _rendered(escape_markdown(payload))
    tags = set(re.findall(r"</?([a-z0-9]+)", rendered))
    assert tags <= {"p"}, f"{payload!r} renders as markup: {rendered!r}"
    text = _text_of(rendered)
    assert _literal(text.replace(WORD_JOINER, "").replace("\u00a0", " ")) == _literal(payload)
    for rule, pattern in TEXT_RULES.items():
        assert not pattern.search(text), f"{payload!r}: Streamlit would still apply its {rule} rule to {text!r}"


def test_the_old_gaps_are_closed() -> None:
    # What the red team found: URLs auto-linked, :red[…] eaten, -- turned into a dash, images loaded.
    assert escape_markdown(":red[x]") == "\\:" + WORD_JOINER + "red\\[x\\]"
    assert escape_markdown("a -- b") == "a -" + WORD_JOINER + "- b"
    assert escape_markdown("http://e.x") == "http\\:" + WORD_JOINER + "//e.x"
    assert "<img" not in _rendered(escape_markdown("![x](http://evil/x.png)"))
    # Prose stays readable: punctuation that means nothing where it stands is left alone.
    assert escape_markdown("Plain words (e.g. 4, e-mail): stay plain!") == "Plain words (e.g. 4, e-mail): stay plain!"


def test_ui_escape_md_is_the_same_rule() -> None:
    assert ui.escape_md(PAYLOADS[0]) == exports.escape_markdown(PAYLOADS[0])
