"""Escaped user text in Streamlit's real Markdown renderer: every payload reads as its literal text.

tests/test_markup.py checks `escape_markdown` against CommonMark (markdown-it-py) and the patterns
Streamlit applies after parsing; here a tiny Streamlit script draws each payload, escaped, in the
elements pages put user text into (markdown, caption, a message, a widget label, a metric label),
and chromium shows what Streamlit's own renderer makes of it: no link, image, emphasis, list,
heading, code, colour, icon or math element, and the text itself unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from browser_harness import AppServer, launch_app_server, open_app
from playwright.sync_api import Page

from tests.test_markup import PAYLOADS

SCRIPT = '''
import json
import streamlit as st
from cx.exports import escape_markdown

for i, payload in enumerate(json.loads(open({payloads!r}, encoding="utf-8").read())):
    text = escape_markdown(payload)
    with st.container(key=f"payload-{{i}}"):
        st.markdown(text)
        st.caption(text)
        st.info(text)
        st.checkbox(text, key=f"box-{{i}}")
        st.metric(text, i)
'''
# What a rendered payload must not contain: elements Markdown, GFM, math or Streamlit's extensions make.
MARKUP = ("a", "img", "strong", "em", "del", "code", "pre", "ol", "ul", "li", "h1", "h2", "h3", "h4", "h5", "h6",
          "hr", "blockquote", "table", "script", "b", "i", ".katex", ".stMarkdownColoredText",
          ".stMarkdownColoredBackground", "[role=img]")
# The rendered Markdown of each element, in the script's order (the metric's value comes last, unused).
PARTS = ("markdown", "caption", "info", "checkbox label", "metric label")
ROOTS = "[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]"


@pytest.fixture(scope="module")
def markup_server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[AppServer]:
    workdir = tmp_path_factory.mktemp("markup")
    payloads = workdir / "payloads.json"
    payloads.write_text(json.dumps(PAYLOADS), encoding="utf-8")
    script = workdir / "markup_app.py"
    script.write_text(SCRIPT.format(payloads=str(payloads)), encoding="utf-8")
    server = launch_app_server(workdir, script=str(script))
    try:
        yield server
    finally:
        server.stop()


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2060", "")).strip()


# One round trip: per payload and element, the markup elements found and the text shown.
READ_ALL = """([count, roots, markup]) => Array.from({length: count}, (_, i) =>
    [...document.querySelectorAll(`.st-key-payload-${i}`)[0].querySelectorAll(roots)].slice(0, 5).map(root => ({
        markup: markup.flatMap(sel => [...root.querySelectorAll(sel)].map(e => e.outerHTML)),
        text: root.innerText})))"""


def test_escaped_payloads_render_as_literal_text(page: Page, markup_server: AppServer) -> None:
    open_app(page, markup_server.url)
    page.locator(f".st-key-payload-{len(PAYLOADS) - 1} [data-testid=stMetric]").wait_for()
    seen = page.evaluate(READ_ALL, [len(PAYLOADS), ROOTS, list(MARKUP)])
    failures: list[str] = []
    for payload, parts in zip(PAYLOADS, seen, strict=True):
        assert len(parts) == len(PARTS)
        for part, found in zip(PARTS, parts, strict=True):
            if found["markup"]:
                failures.append(f"{payload!r} in the {part}: {found['markup']}")
            if _words(found["text"]) != _words(payload):
                failures.append(f"{payload!r} in the {part} reads {found['text']!r}")
    assert failures == []
