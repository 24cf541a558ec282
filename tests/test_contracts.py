"""README's contracts against the code: CLI commands and flags, mapping JSON keys, journey file fields.

The README is parsed (fenced code blocks, inline code, tables); nothing is copied into this test,
so a renamed flag or key fails here until the README says the same as the code.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from cx import journey_file, mapping
from cx.__main__ import build_parser
from cx.errors import MappingError

README = Path(__file__).resolve().parent.parent / "README.md"
CLI = "python -m cx "
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9.-]*)?")
# Flags the README mentions that belong to other programs, not to `python -m cx`.
FOREIGN_FLAGS = {
    "--server.address": "streamlit run",
    "--think": "bench/workshop_load.py",
    "--dist": "pytest (pytest-xdist)",
}


@dataclass(frozen=True)
class Section:
    title: str
    text: str  # the section's lines outside fenced code blocks
    blocks: tuple[tuple[str, str], ...]  # (language, body) of its fenced code blocks


def readme_sections() -> list[Section]:
    """Return README's sections (split at every heading outside code blocks), in order."""
    sections: list[Section] = []
    title, text, blocks = "", [], []
    fence: list[str] | None = None
    language = ""
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if fence is None:
                fence, language = [], line[3:].strip()
            else:
                blocks.append((language, "\n".join(fence)))
                fence = None
        elif fence is not None:
            fence.append(line)
        elif line.startswith("#"):
            sections.append(Section(title, "\n".join(text), tuple(blocks)))
            title, text, blocks = line.lstrip("#").strip(), [], []
        else:
            text.append(line)
    sections.append(Section(title, "\n".join(text), tuple(blocks)))
    return sections


def section(title: str) -> Section:
    """Return the README section whose heading contains `title`."""
    found = [s for s in readme_sections() if title.lower() in s.title.lower()]
    assert len(found) == 1, f"README should have one section titled '{title}', found {[s.title for s in found]}"
    return found[0]


def inline_code(text: str) -> list[str]:
    """Return the `inline code` spans of Markdown text."""
    return re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)


def table_keys(text: str) -> set[str]:
    """Return the backticked names in the first column of every Markdown table row (header and rule skipped)."""
    keys: set[str] = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or not cells or set(cells[0]) <= set("-: "):
            continue
        keys.update(inline_code(cells[0]))
    return keys


def documented_commands() -> list[list[str]]:
    """Return the argv of every `python -m cx …` line in README's shell code blocks (continuations joined)."""
    commands = []
    for s in readme_sections():
        for language, body in s.blocks:
            if language not in ("bash", "sh", "shell", ""):
                continue
            for line in body.replace("\\\n", " ").splitlines():
                if line.strip().startswith(CLI):
                    commands.append(shlex.split(line.strip()[len(CLI):], comments=True))
    return commands


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Return {sub-command: its parser} of the command line."""
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("cx.__main__.build_parser() has no sub-commands")


def options(parser: argparse.ArgumentParser) -> set[str]:
    """Return the flags of a sub-command, with those of its own sub-commands (`alerts add --below`)."""
    found = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found |= set().union(*(options(nested) for nested in action.choices.values()))
    return found


def mentioned_commands() -> list[tuple[str, set[str]]]:
    """Return (sub-command, flags) for inline code naming a sub-command: `python -m cx SUB …` or `SUB --…`."""
    names = set(subcommands())
    found = []
    for s in readme_sections():
        for span in inline_code(s.text):
            words = span.removeprefix(CLI).split()
            if words and words[0] in names and (span.startswith(CLI) or "--" in span):
                found.append((words[0], set(FLAG.findall(span))))
    return found


# ---------------------------------------------------------------- command line


def test_the_command_line_section_shows_commands() -> None:
    commands = [c for c in documented_commands() if c]
    shown = [block for _, block in section("Command line").blocks]
    assert shown and sum(body.count(CLI) for body in shown) >= 5
    assert len(commands) >= 10


@pytest.mark.parametrize("argv", documented_commands(), ids=lambda argv: " ".join(argv))
def test_every_documented_command_parses(argv: list[str]) -> None:
    commands = subcommands()
    assert argv and argv[0] in commands, f"README runs `cx {argv[0] if argv else ''}`: no such sub-command"
    unknown = {f.split("=")[0] for f in argv[1:] if f.startswith("--")} - options(commands[argv[0]])
    assert not unknown, f"`cx {argv[0]}` does not accept {sorted(unknown)} (README shows them)"
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"README's `cx {' '.join(argv)}` does not parse (exit {exc.code}): {errors.getvalue()}")


def test_every_sub_command_named_in_the_text_takes_the_flags_shown_with_it() -> None:
    commands = subcommands()
    mentioned = mentioned_commands()
    assert mentioned
    wrong = [(name, sorted(flags - options(commands[name]))) for name, flags in mentioned
             if flags - options(commands[name])]
    assert wrong == [], f"README shows flags these sub-commands do not accept: {wrong}"


def test_every_flag_in_the_text_is_a_cx_flag() -> None:
    known = set().union(*(options(p) for p in subcommands().values()))
    titles = [s.title for s in readme_sections()]
    documented = readme_sections()[titles.index(section("Command line").title):]
    spans = [span for s in documented for span in inline_code(s.text)
             if not (span.startswith("python ") and not span.startswith(CLI)) and not span.startswith("pip ")]
    flags = {flag for span in spans for flag in FLAG.findall(span.replace("/", " "))}
    assert "--db" in flags  # the parsing found the prose flags
    assert sorted(flags - known - set(FOREIGN_FLAGS)) == []


def test_every_sub_command_is_documented() -> None:
    shown = {argv[0] for argv in documented_commands() if argv} | {name for name, _ in mentioned_commands()}
    assert sorted(set(subcommands()) - shown) == [], "sub-commands the README never shows"


# ---------------------------------------------------------------- mapping JSON


def test_the_mapping_table_lists_exactly_the_keys_the_parser_accepts() -> None:
    documented = table_keys(section("Mapping JSON").text)
    assert {"format", "touchpoints"} <= documented  # the table was found
    assert sorted(documented - mapping.KNOWN_KEYS) == [], "README documents keys the mapping parser refuses"
    assert sorted(mapping.KNOWN_KEYS - documented) == [], "the mapping parser accepts keys README does not list"


def test_the_parser_enforces_the_documented_keys_and_keeps_the_ignored_ones() -> None:
    text = section("Mapping JSON").text
    sentence = next(s for s in re.split(r"(?<=\.)\s", text) if "ignored" in s)
    ignored = inline_code(sentence)
    assert "x_" in ignored and len(ignored) > 1
    base = {"format": "wide", "touchpoints": ["A"], "scale": [1, 5]}
    kept = mapping.from_dict({**base, **{("x_note" if k == "x_" else k): "kept" for k in ignored}})
    assert set(kept.extra) == {"x_note" if k == "x_" else k for k in ignored}
    undocumented = "touchpoint_columns"
    assert undocumented not in table_keys(text)
    with pytest.raises(MappingError, match=undocumented):
        mapping.from_dict({**base, undocumented: ["A"]})


def test_the_mapping_example_is_a_valid_mapping() -> None:
    examples = [body for language, body in section("Mapping JSON").blocks if language == "json"]
    assert examples
    for body in examples:
        data = json.loads(body)
        assert set(data) <= table_keys(section("Mapping JSON").text)
        assert mapping.from_dict(data).format == data["format"]


# ---------------------------------------------------------------- journey file


def test_the_journey_file_table_lists_exactly_the_fields_of_the_format() -> None:
    documented = table_keys(section("The journey file").text)
    fields = set(journey_file.JOURNEY_FILE_FIELDS) | set(journey_file.TOUCHPOINT_FILE_FIELDS)
    assert sorted(documented - fields) == [], "README documents journey file fields cx does not read"
    assert sorted(fields - documented) == [], "the journey file has fields README does not list"


def test_the_journey_file_example_reads() -> None:
    examples = [body for language, body in section("The journey file").blocks if language == "json"]
    assert examples
    for body in examples:
        data = json.loads(body.replace("…", ""))
        assert journey_file.format_errors(data) == []
        journey, _ = journey_file.journey_from_dict(data)
        assert journey_file.journey_to_dict(*journey_file.journey_from_dict(data)) == data
        assert journey.name == data["name"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run's last command is README's test command: what a newcomer runs is what CI checks."""
    section = next(s for s in readme_sections() if s.title == "Test it")
    command = next(body for lang, body in section.blocks if lang == "bash").strip()
    ci_lines = [line.strip() for line in (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert ci_lines[-1] == command
    assert command.startswith("python -m pytest")
