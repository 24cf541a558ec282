"""The journey JSON format (data/product_launch.json, the builder's export): read, check, convert, write.

Pure: no database. One object per journey: name, persona, goal, description, dataset and an
ordered list of touchpoints (a name, or an object with the fields in TOUCHPOINT_FILE_FIELDS).
`format_errors` is the one set of checks; `journey_from_dict` refuses a file that fails them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from cx import names
from cx.errors import InvalidInput
from cx.models import STAGES, Journey, JourneyStep

__all__ = [
    "JOURNEY_FILE_FIELDS",
    "STEP_FLAGS",
    "STEP_SCORES",
    "STEP_TEXT_FIELDS",
    "TEXT_FIELDS",
    "TOUCHPOINT_FILE_FIELDS",
    "dumps",
    "format_errors",
    "journey_from_dict",
    "journey_to_dict",
    "name_changes",
    "parse",
    "unknown_fields",
]

JOURNEY_FILE_FIELDS: tuple[str, ...] = ("name", "persona", "goal", "description", "dataset", "touchpoints")
TOUCHPOINT_FILE_FIELDS: tuple[str, ...] = (
    "touchpoint", "stage", "assessment", "note", "intentional", "controlled", "channel", "target", "owner",
    "operational",
)
TEXT_FIELDS: tuple[str, ...] = ("persona", "goal", "description", "dataset")
STEP_TEXT_FIELDS: tuple[str, ...] = ("stage", "channel", "owner", "note", "operational")
STEP_FLAGS: tuple[str, ...] = ("intentional", "controlled")
STEP_SCORES: tuple[str, ...] = ("assessment", "target")
# Single-line names (cx.names.clean_name): the journey's own, and per touchpoint. A description
# and a note keep their line breaks.
NAME_FIELDS: tuple[str, ...] = ("name", "persona", "goal", "dataset")
STEP_NAME_FIELDS: tuple[str, ...] = ("touchpoint", "channel", "owner", "operational")


def _clean(value: Any) -> Any:
    return names.clean_name(value) if isinstance(value, str) else value


def name_changes(data: Any) -> list[str]:
    """Return one note per name of a journey (file or draft) that is stored single-line and cleaned."""
    if not isinstance(data, dict):
        return []
    notes = [names.name_change_note(f"journey's {key}", data[key], _clean(data[key]))
             for key in NAME_FIELDS if isinstance(data.get(key), str)]
    for position, item in enumerate(data.get("touchpoints") or [], start=1):
        item = {"touchpoint": item} if isinstance(item, str) else item
        if isinstance(item, dict):
            notes += [names.name_change_note(f"touchpoint {position}'s {key}", item[key], _clean(item[key]))
                      for key in STEP_NAME_FIELDS if isinstance(item.get(key), str)]
    return [n for n in notes if n]


def parse(raw: bytes | str) -> Any:
    """Return the parsed JSON of a journey file, or raise InvalidInput saying where it breaks."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"The file is not UTF-8 text (byte {exc.start}): export it again as UTF-8 JSON.") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from exc


def dumps(data: Mapping[str, Any]) -> bytes:
    """Return a journey in the file format as UTF-8 JSON bytes (indented, non-ASCII kept)."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _is_score(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= 10)


def format_errors(data: Any) -> list[str]:
    """Return what makes `data` an invalid journey (file format), one message per problem."""
    if not isinstance(data, dict):
        return ["A journey file holds one JSON object: {\"name\": …, \"touchpoints\": […]}."]
    errors = []
    name = _clean(data.get("name"))
    if not isinstance(name, str) or not name:
        errors.append("The journey needs a name.")
    label = f"Journey '{name}'" if isinstance(name, str) and name else "The journey"
    for key in TEXT_FIELDS:
        if data.get(key) is not None and not isinstance(data[key], str):
            errors.append(f"{label}: '{key}' must be text or null, not {json.dumps(data[key])}.")
    items = data.get("touchpoints")
    if not isinstance(items, list) or not items:
        errors.append(f"{label} has no touchpoints: add at least one.")
        return errors
    seen: dict[str, int] = {}
    for position, item in enumerate(items, start=1):
        if isinstance(item, str):
            item = {"touchpoint": item}
        if not isinstance(item, dict):
            errors.append(f"{label}, touchpoint {position}: must be an object with a 'touchpoint' name.")
            continue
        tp = _clean(item.get("touchpoint"))
        if not isinstance(tp, str) or not tp:
            errors.append(f"{label}, touchpoint {position}: needs a 'touchpoint' name.")
            continue
        where = f"{label}, touchpoint {position} ('{tp}')"
        if tp in seen:
            errors.append(f"{where}: '{tp}' is already touchpoint {seen[tp]}; keep it once.")
        seen.setdefault(tp, position)
        stage = item.get("stage")
        if stage is not None and stage not in STAGES:
            errors.append(f"{where}: stage {json.dumps(stage)} is not one of {', '.join(STAGES)} (or null).")
        for key in STEP_SCORES:
            if item.get(key) is not None and not _is_score(item[key]):
                errors.append(f"{where}: '{key}' is {json.dumps(item[key])}; use a number from 0 to 10, or null.")
        for key in STEP_FLAGS:
            if key in item and not isinstance(item[key], bool):
                errors.append(f"{where}: '{key}' is {json.dumps(item[key])}; use true or false.")
        for key in ("channel", "owner", "note", "operational"):
            if item.get(key) is not None and not isinstance(item[key], str):
                errors.append(f"{where}: '{key}' must be text or null, not {json.dumps(item[key])}.")
    return errors


def unknown_fields(data: Mapping[str, Any]) -> list[str]:
    """Return the fields of a journey file that cx does not read (reported, then ignored)."""
    extra = [k for k in data if k not in JOURNEY_FILE_FIELDS]
    for item in data.get("touchpoints") or []:
        if isinstance(item, dict):
            extra += [f"touchpoints[].{k}" for k in item if k not in TOUCHPOINT_FILE_FIELDS]
    return sorted(set(extra))


def journey_from_dict(data: Any) -> tuple[Journey, dict[str, float]]:
    """Return a journey and its assessment scores from the journey JSON format (InvalidInput if it breaks it).

    Names are stored single-line and cleaned (`name_changes` says which).
    """
    errors = format_errors(data)
    if errors:
        raise InvalidInput(" ".join(errors))
    steps = []
    scores: dict[str, float] = {}
    for position, raw in enumerate(data["touchpoints"], start=1):
        item: dict[str, Any] = {"touchpoint": raw} if isinstance(raw, str) else raw
        item = {**item, **{key: _clean(item[key]) or None for key in STEP_NAME_FIELDS[1:] if item.get(key)},
                "touchpoint": _clean(item["touchpoint"])}
        steps.append(JourneyStep(
            position=position, touchpoint=str(item["touchpoint"]), stage=item.get("stage"),
            channel=item.get("channel"), target=item.get("target"),
            intentional=bool(item.get("intentional", True)), controlled=bool(item.get("controlled", True)),
            owner=item.get("owner"), note=item.get("note"), operational=item.get("operational"),
        ))
        if item.get("assessment") is not None:
            scores[str(item["touchpoint"])] = float(item["assessment"])
    journey = Journey(
        name=_clean(str(data["name"])), persona=_clean(data.get("persona")) or None,
        goal=_clean(data.get("goal")) or None, dataset=_clean(data.get("dataset")) or None,
        description=data.get("description"), steps=tuple(steps),
    )
    return journey, scores


def journey_to_dict(journey: Journey, scores: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Return the journey JSON format (every field present); the inverse of journey_from_dict."""
    scores = scores or {}
    return {
        "name": journey.name, "persona": journey.persona, "goal": journey.goal,
        "description": journey.description, "dataset": journey.dataset,
        "touchpoints": [
            {
                "touchpoint": s.touchpoint, "stage": s.stage,
                "assessment": None if s.touchpoint not in scores else float(scores[s.touchpoint]),
                "note": s.note, "intentional": s.intentional, "controlled": s.controlled, "channel": s.channel,
                "target": None if s.target is None else float(s.target), "owner": s.owner,
                "operational": s.operational,
            }
            for s in journey.steps
        ],
    }
