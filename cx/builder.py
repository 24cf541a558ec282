"""Journey builder logic: drafts in the journey JSON format, editing steps, checks against the database, import.

A draft is a dict in the journey file format (cx.journey_file): the page keeps one in session
state, edits it through these pure functions, and saves it atomically. The same checks
(journey_file.format_errors, plus what this database knows) serve a draft being saved and a
file being imported.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cx import exports, names, store
from cx.errors import InvalidInput
from cx.journey_file import (
    STEP_FLAGS,
    STEP_SCORES,
    STEP_TEXT_FIELDS,
    TEXT_FIELDS,
    TOUCHPOINT_FILE_FIELDS,
    dumps,
    format_errors,
    journey_from_dict,
    journey_to_dict,
    name_changes,
    unknown_fields,
)

__all__ = [
    "EDITOR_COLUMNS",
    "TEAM",
    "Check",
    "add_touchpoints",
    "apply_editor_state",
    "blank_draft",
    "blank_step",
    "check_draft",
    "check_import",
    "editor_frame",
    "escape_markdown",
    "export_file_name",
    "import_journey",
    "inventory",
    "is_dirty",
    "journey_file",
    "journey_json",
    "move_touchpoint",
    "names_in",
    "remove_touchpoint",
    "save_draft",
    "set_fields",
    "unknown_touchpoints",
    "workshop_conflict",
]


TEAM = "team"
# The editable table's columns, in order (the touchpoint's position is the row order).
EDITOR_COLUMNS: tuple[str, ...] = (
    "touchpoint", "stage", "channel", "controlled", "intentional", "owner", "target", "operational",
    "assessment", "note",
)


def escape_markdown(text: str) -> str:
    """Return user text with Markdown syntax escaped, for widget labels and st.markdown."""
    return exports.escape_markdown(text)


def blank_draft(dataset: str | None = None) -> dict[str, Any]:
    """Return an empty draft for a new journey (optionally linked to a data set)."""
    return {"name": "", "persona": None, "goal": None, "description": None, "dataset": dataset, "touchpoints": []}


def blank_step(touchpoint: str, *, stage: str | None = None) -> dict[str, Any]:
    """Return a new touchpoint entry with the defaults of the journey file format."""
    return {"touchpoint": touchpoint, "stage": stage, "assessment": None, "note": None, "intentional": True,
            "controlled": True, "channel": None, "target": None, "owner": None, "operational": None}


def journey_file(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    """Return a stored journey and its team assessment in the journey file format."""
    journey = store.load_journey(con, name)
    scores = {tp: score for tp, (score, _) in store.assessments(con, name, TEAM).items()}
    return journey_to_dict(journey, scores)


def journey_json(con: duckdb.DuckDBPyConnection, name: str) -> bytes:
    """Return the export file of a journey (UTF-8 JSON, the format of data/product_launch.json)."""
    return dumps(journey_file(con, name))


def export_file_name(name: str) -> str:
    """Return a safe download file name for a journey's JSON export."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "journey"
    return f"journey-{slug}.json"


# ---------------------------------------------------------------- editing a draft


def names_in(draft: Mapping[str, Any]) -> list[str]:
    """Return the draft's touchpoint names in order."""
    return [str(t["touchpoint"]) for t in draft.get("touchpoints", [])]


def add_touchpoints(
    draft: Mapping[str, Any], touchpoints: Iterable[str], *, stage: str | None = None
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Return the draft with new touchpoints appended, the names added, and the names skipped (already in)."""
    result = copy.deepcopy(dict(draft))
    present = set(names_in(result))
    added, skipped = [], []
    for raw in touchpoints:
        name = names.clean_name(raw)
        if not name:
            continue
        if name in present:
            skipped.append(name)
            continue
        result["touchpoints"].append(blank_step(name, stage=stage))
        present.add(name)
        added.append(name)
    return result, added, skipped


def move_touchpoint(draft: Mapping[str, Any], index: int, delta: int) -> dict[str, Any]:
    """Return the draft with touchpoint `index` moved by `delta` places (clamped to the ends)."""
    result = copy.deepcopy(dict(draft))
    steps = result["touchpoints"]
    target = min(max(index + delta, 0), len(steps) - 1)
    if 0 <= index < len(steps) and target != index:
        steps.insert(target, steps.pop(index))
    return result


def remove_touchpoint(draft: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Return the draft without touchpoint `index`."""
    result = copy.deepcopy(dict(draft))
    if 0 <= index < len(result["touchpoints"]):
        del result["touchpoints"][index]
    return result


def editor_frame(draft: Mapping[str, Any]) -> pd.DataFrame:
    """Return the draft's touchpoints as the editable table (one row per touchpoint, in order)."""
    rows = [{column: step.get(column) for column in EDITOR_COLUMNS} for step in draft.get("touchpoints", [])]
    frame = pd.DataFrame(rows, columns=list(EDITOR_COLUMNS))
    for column in STEP_SCORES:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in STEP_FLAGS:
        frame[column] = frame[column].astype("bool")
    for column in ("touchpoint", *STEP_TEXT_FIELDS):
        frame[column] = frame[column].astype("object")
    return frame


def _cell(column: str, value: Any) -> Any:
    """Return a table cell as the journey file stores it: flags bool, scores float or None, text stripped."""
    if column in STEP_FLAGS:
        return bool(value)
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    if column in STEP_SCORES:
        return None if missing else float(value)
    text = "" if missing else str(value).strip()
    if column in ("touchpoint", "channel", "owner", "operational"):
        text = names.clean_name(text)  # names are one line of visible text
    if column == "touchpoint":
        return text  # an empty name stays empty, so the checks can name the row
    return text or None


def apply_editor_state(draft: Mapping[str, Any], state: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the draft with the edits of st.data_editor's state ({"edited_rows": {row: {column: value}}}).

    Applying the same state twice gives the same draft, so the page may sync on every run.
    """
    result = copy.deepcopy(dict(draft))
    if not state:
        return result
    steps = result["touchpoints"]
    for row, changes in (state.get("edited_rows") or {}).items():
        index = int(row)
        if not 0 <= index < len(steps):
            continue
        for column, value in changes.items():
            if column in EDITOR_COLUMNS:
                steps[index][column] = _cell(column, value)
    return result


def set_fields(draft: Mapping[str, Any], **fields: str | None) -> dict[str, Any]:
    """Return the draft with its name / persona / goal / description / dataset set (blank text → None)."""
    result = copy.deepcopy(dict(draft))
    for key, value in fields.items():
        text = (value or "").strip() if key == "description" else names.clean_name(value or "")
        result[key] = text if key == "name" else (text or None)
    return result


# ---------------------------------------------------------------- checks


def inventory(con: duckdb.DuckDBPyConnection, dataset: str | None) -> list[str] | None:
    """Return the touchpoints a data set has answers for; None without a data set (or when it is missing)."""
    if dataset is None or not store.has_dataset(con, dataset):
        return None
    return store.touchpoint_names(con, dataset)


def unknown_touchpoints(con: duckdb.DuckDBPyConnection, data: Mapping[str, Any]) -> list[str]:
    """Return the touchpoints of a journey (file or draft) that its linked data set has no answers for."""
    known = inventory(con, data.get("dataset"))
    if known is None:
        return []
    listed = [names.clean_name(str(t["touchpoint"] if isinstance(t, dict) else t))
              for t in data.get("touchpoints") or []]
    return [n for n in listed if n not in set(known)]


@dataclass(frozen=True)
class Check:
    """What saving or importing a journey would run into: errors block, warnings inform."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # touchpoints not in the linked data set
    name_taken: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _dataset_warnings(con: duckdb.DuckDBPyConnection, data: Mapping[str, Any], unknown: Sequence[str]) -> list[str]:
    dataset = data.get("dataset")
    if dataset is None:
        return []
    if not store.has_dataset(con, dataset):
        return [f"It links data set '{dataset}', which this database does not have: its touchpoints cannot be "
                "checked, and customer scores appear once a data set of that name is uploaded."]
    if unknown:
        listed = ", ".join(f"'{n}'" for n in unknown)
        return [f"{len(unknown)} touchpoint{'s are' if len(unknown) != 1 else ' is'} not in data set "
                f"'{dataset}': {listed}. {'They' if len(unknown) != 1 else 'It'} will show the team's "
                "assessment or \"no score\", never customer scores."]
    return []


def check_draft(con: duckdb.DuckDBPyConnection, draft: Mapping[str, Any], *, original: str | None) -> Check:
    """Return the checks for saving a draft (`original`: the stored name it was loaded from, None if new)."""
    errors = format_errors(draft)
    name = names.clean_name(str(draft.get("name") or ""))
    taken = bool(name) and name != original and name in store.journey_names(con)
    if taken:
        errors.append(f"A journey named '{name}' already exists: pick another name.")
    conflict = workshop_conflict(con, draft, original=original)
    if conflict:
        errors.append(conflict)
    unknown = unknown_touchpoints(con, draft) if not errors else []
    warnings = [*name_changes(draft), *_dataset_warnings(con, draft, unknown)]
    return Check(tuple(errors), tuple(warnings), tuple(unknown), taken)


def workshop_conflict(con: duckdb.DuckDBPyConnection, draft: Mapping[str, Any], *, original: str | None) -> str | None:
    """Return why the draft's touchpoints cannot be saved while a workshop of the stored journey runs, or None
    (store.running_workshop_conflict: a running workshop's touchpoints are not renamed or removed)."""
    if original is None:
        return None
    touchpoints = [names.clean_name(str(t.get("touchpoint") or "")) for t in draft.get("touchpoints") or []
                   if isinstance(t, dict)]
    return store.running_workshop_conflict(con, original, touchpoints)


def check_import(con: duckdb.DuckDBPyConnection, data: Any) -> Check:
    """Return the checks for importing a parsed journey file into this database."""
    errors = format_errors(data)
    if errors:
        return Check(tuple(errors), ())
    warnings = name_changes(data)
    extra = unknown_fields(data)
    if extra:
        warnings.append(f"Fields cx does not use will be ignored: {', '.join(extra)}.")
    unknown = unknown_touchpoints(con, data)
    warnings += _dataset_warnings(con, data, unknown)
    taken = names.clean_name(data["name"]) in store.journey_names(con)
    return Check((), tuple(warnings), tuple(unknown), taken)


# ---------------------------------------------------------------- saving


def _normalised(data: Mapping[str, Any], *, name: str | None = None, drop: Iterable[str] = ()) -> dict[str, Any]:
    """Return a clean journey dict: every field present, text stripped, dropped touchpoints left out."""
    dropped = set(drop)
    steps = []
    for item in data["touchpoints"]:
        item = {"touchpoint": item} if isinstance(item, str) else item
        step = blank_step(names.clean_name(item["touchpoint"]))
        for key in TOUCHPOINT_FILE_FIELDS[1:]:
            if key in item:
                step[key] = _cell(key, item[key]) if key not in STEP_FLAGS else item[key]
        if step["touchpoint"] not in dropped:
            steps.append(step)
    head = {key: names.clean_name(data.get(key) or "") or None for key in TEXT_FIELDS}
    if (data.get("description") or "").strip():
        head["description"] = data["description"]  # keep a description's line breaks and spacing exactly
    return {"name": names.clean_name(name if name is not None else data["name"]), **head, "touchpoints": steps}


def _save(con: duckdb.DuckDBPyConnection, data: Mapping[str, Any], *, original: str | None, replace: bool) -> str:
    journey, scores = journey_from_dict(dict(data))
    with store.transaction(con):
        if original is not None and original != journey.name:
            store.rename_journey(con, original, journey.name)
        old = store.assessments(con, journey.name, TEAM) if journey.name in store.journey_names(con) else {}
        store.save_journey(con, journey, replace=replace)
        votes = {tp: old[tp][1] if tp in old and old[tp][0] == score else 1 for tp, score in scores.items()}
        store.save_assessment(con, journey.name, scores, source=TEAM, votes=votes)
    return journey.name


def save_draft(con: duckdb.DuckDBPyConnection, draft: Mapping[str, Any], *, original: str | None) -> str:
    """Save a draft atomically (renaming the stored journey when its name changed); return the saved name.

    The journey, its steps and its team assessment are written in one transaction: all or nothing.
    """
    check = check_draft(con, draft, original=original)
    if not check.ok:
        raise InvalidInput(" ".join(check.errors))
    return _save(con, _normalised(draft), original=original, replace=original is not None)


def import_journey(
    con: duckdb.DuckDBPyConnection,
    data: Any,
    *,
    name: str | None = None,
    replace: bool = False,
    drop: Iterable[str] = (),
) -> str:
    """Import a parsed journey file atomically (under `name` if given, leaving out `drop`); return its name.

    With `replace`, a journey of the same name is overwritten (its workshops stay attached);
    otherwise a name clash is an error.
    """
    errors = format_errors(data)
    if errors:
        raise InvalidInput(" ".join(errors))
    clean = _normalised(data, name=name, drop=drop)
    if not clean["touchpoints"]:
        raise InvalidInput(f"Journey '{clean['name']}' would have no touchpoints left: keep at least one.")
    errors = format_errors(clean)
    if errors:
        raise InvalidInput(" ".join(errors))
    exists = clean["name"] in store.journey_names(con)
    if exists and not replace:
        raise InvalidInput(f"A journey named '{clean['name']}' already exists: import it under another name, "
                           "or choose to replace it.")
    return _save(con, clean, original=None, replace=exists)


def is_dirty(con: duckdb.DuckDBPyConnection, draft: Mapping[str, Any], original: str | None) -> bool:
    """Return True when the draft differs from what is stored (a new journey is dirty once it has content)."""
    if original is None or original not in store.journey_names(con):
        return bool(draft.get("name") or draft.get("touchpoints"))
    try:
        return _normalised(draft) != journey_file(con, original)
    except (KeyError, AttributeError, TypeError):
        return True
