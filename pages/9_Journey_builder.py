"""Journey builder: create, rename, duplicate and delete journeys; order and describe their touchpoints."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from cx import builder, journey_file, seed, store, ui, workshop
from cx.models import STAGES

st.set_page_config(page_title="Journey builder · cx", page_icon="🛠️", layout="wide")
ui.sidebar_settings()
st.title("Journey builder")
st.caption("A journey is the ordered list of touchpoints one persona goes through for one goal. "
           "Edit it here; the Journey page scores it.")

con = ui.connection()
NEW = "➕ New journey"
NO_DATASET = "(no data set)"
DRAFT, ORIGIN, LOADED, GEN, VER = "builder_draft", "builder_origin", "builder_loaded", "builder_gen", "builder_ver"
FIELDS = ("name", "persona", "goal", "description")


def flash(kind: str, message: str) -> None:
    st.session_state.setdefault("builder_flash", []).append((kind, message))


def editor_key() -> str:
    return f"builder_editor_{st.session_state[GEN]}_{st.session_state[VER]}"


def sync() -> None:
    """Fold the header widgets and the table's edits into the draft (idempotent)."""
    gen = st.session_state[GEN]
    fields: dict[str, str | None] = {f: st.session_state[f"builder_{f}_{gen}"] for f in FIELDS
                                     if f"builder_{f}_{gen}" in st.session_state}
    if f"builder_dataset_{gen}" in st.session_state:
        picked = st.session_state[f"builder_dataset_{gen}"]
        fields["dataset"] = None if picked == NO_DATASET else picked
    draft = builder.set_fields(st.session_state[DRAFT], **fields)
    st.session_state[DRAFT] = builder.apply_editor_state(draft, st.session_state.get(editor_key()))


def restructure(change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Apply a change to the touchpoint list; the table starts afresh because its row numbers moved."""
    sync()
    st.session_state[DRAFT] = change(st.session_state[DRAFT])
    st.session_state[VER] += 1


def move(index: int, delta: int) -> None:
    restructure(lambda d: builder.move_touchpoint(d, index, delta))


def remove(index: int) -> None:
    restructure(lambda d: builder.remove_touchpoint(d, index))


# ---------------------------------------------------------------- which journey

names = store.journey_names(con)
datasets = store.dataset_names(con)
options = [*names, NEW]
target = st.session_state.pop("builder_target", None)
if target in options:
    st.session_state["builder_pick"] = target
elif st.session_state.get("builder_pick") not in options:
    wanted = st.session_state.get(LOADED) or st.query_params.get("journey")
    st.session_state["builder_pick"] = wanted if wanted in options else (names[0] if names else NEW)
picked = st.selectbox("Journey", options, key="builder_pick",
                      help="Pick a journey to edit, or start a new one.")
if picked != NEW and st.query_params.get("journey") != picked:
    st.query_params["journey"] = picked

if st.session_state.get(LOADED) != picked or DRAFT not in st.session_state:
    if picked == NEW:
        default = st.session_state.get(ui.DATASET_KEY)
        st.session_state[DRAFT] = builder.blank_draft(default if default in datasets else None)
        st.session_state[ORIGIN] = None
    else:
        st.session_state[DRAFT] = builder.journey_file(con, picked)
        st.session_state[ORIGIN] = picked
    st.session_state[LOADED] = picked
    st.session_state[GEN] = st.session_state.get(GEN, 0) + 1
    st.session_state[VER] = 0
    st.session_state.pop("builder_confirm", None)

for kind, message in st.session_state.pop("builder_flash", []):
    getattr(st, kind)(ui.escape_md(message))

gen = st.session_state[GEN]
origin: str | None = st.session_state[ORIGIN]
sync()

# ---------------------------------------------------------------- journey actions

if origin is not None:
    actions = st.columns(4)
    if actions[0].button("Duplicate", help="Copy the saved journey and its team scores under a new name."):
        copy_name = ui.run_safely(lambda: store.duplicate_journey(con, origin), "Could not duplicate")
        flash("success", f"Duplicated '{origin}' as '{copy_name}'.")
        st.session_state["builder_target"] = copy_name
        st.rerun()
    if actions[1].button("Delete…", help="Asks for confirmation first."):
        st.session_state["builder_confirm"] = origin
    actions[2].download_button(
        "Export JSON", builder.journey_json(con, origin), file_name=builder.export_file_name(origin),
        mime="application/json", help="The saved journey and its team scores, in the format Import reads.",
    )
    if st.session_state.get("builder_confirm") == origin:
        running = workshop.list_workshops(con, journey=origin, status=workshop.OPEN)
        extra = (f" {len(running)} workshop(s) still running for it will be deleted with their votes."
                 if running else "")
        st.warning(ui.escape_md(f"Delete the journey '{origin}', its assessments and its workshops? This cannot be "
                                "undone." + extra))
        yes, no = st.columns(2)
        if yes.button("Yes, delete it", type="primary"):
            ui.run_safely(lambda: store.delete_journey(con, origin), "Could not delete")
            st.session_state.pop("builder_confirm", None)
            st.session_state[LOADED] = None
            remaining = [n for n in names if n != origin]
            st.session_state["builder_target"] = remaining[0] if remaining else NEW
            flash("success", f"Deleted the journey '{origin}'.")
            st.rerun()
        if no.button("Cancel"):
            st.session_state.pop("builder_confirm", None)
            st.rerun()

# ---------------------------------------------------------------- name, persona, goal, data set

draft = st.session_state[DRAFT]
for field in (*FIELDS, "dataset"):
    key = f"builder_{field}_{gen}"
    if key not in st.session_state:
        value = draft.get(field)
        st.session_state[key] = (value or NO_DATASET) if field == "dataset" else (value or "")

left, right = st.columns(2)
left.text_input("Name", key=f"builder_name_{gen}", max_chars=120,
                help="Renaming keeps the journey's assessments and workshops.")
right.text_input("Persona", key=f"builder_persona_{gen}", placeholder="e.g. Early adopter")
left.text_input("Goal", key=f"builder_goal_{gen}", placeholder="e.g. Buy the new device at launch")
dataset_options = [NO_DATASET, *datasets]
if draft.get("dataset") and draft["dataset"] not in datasets:
    dataset_options.append(draft["dataset"])
right.selectbox("Linked data set (optional)", dataset_options, key=f"builder_dataset_{gen}",
                help="Customer answers from this data set score the touchpoints on the Journey page.")
st.text_area("Description (optional)", key=f"builder_description_{gen}", height=80)
sync()
draft = st.session_state[DRAFT]
dataset = draft.get("dataset")
known = builder.inventory(con, dataset)

# ---------------------------------------------------------------- adding touchpoints

st.subheader("Touchpoints")
running_now = workshop.list_workshops(con, journey=origin, status=workshop.OPEN) if origin is not None else []
if running_now:
    st.info(ui.escape_md(f"Workshop {', '.join(w.code for w in running_now)} is running for this journey: touchpoints "
                         "can be added, moved and described, not renamed or removed until it closes (its votes are "
                         "kept under the touchpoint names)."), icon="🗳️")
add_left, add_right = st.columns(2)
added: list[str] = []
skipped: list[str] = []
with add_left:
    if known is not None:
        free = [t for t in known if t not in builder.names_in(draft)]
        with st.form(f"builder_add_known_{gen}", clear_on_submit=True, border=True):
            chosen = st.multiselect(f"From data set '{ui.escape_md(dataset)}'", free, placeholder="pick touchpoints",
                                    help="Touchpoints this data set has answers for; added in the order picked.")
            if st.form_submit_button("Add selected", disabled=not free):
                sync()
                new, added, skipped = builder.add_touchpoints(st.session_state[DRAFT], chosen)
                st.session_state[DRAFT] = new
    else:
        st.info("Link a data set above to add touchpoints from its inventory, or add new ones on the right.")
with add_right, st.form(f"builder_add_new_{gen}", clear_on_submit=True, border=True):
    typed = st.text_input("New touchpoint", placeholder="e.g. Out of stock",
                          help="Also unintentional ones the company does not design: a review site, a friend's advice.")
    stage = st.selectbox("Stage", ["(none)", *STAGES], key=f"builder_new_stage_{gen}")
    if st.form_submit_button("Add"):
        sync()
        new, added, skipped = builder.add_touchpoints(st.session_state[DRAFT], [typed],
                                                      stage=None if stage == "(none)" else stage)
        st.session_state[DRAFT] = new
if added:
    st.session_state[VER] += 1
if skipped:
    st.warning(ui.escape_md(f"Already in this journey: {', '.join(skipped)}."))

draft = st.session_state[DRAFT]
steps = draft["touchpoints"]
if not steps:
    st.info("This journey has no touchpoints yet: add at least one above.")
else:
    st.caption("Order: the journey runs top to bottom. ↑ ↓ move a touchpoint, ✕ removes it.")
    ver = st.session_state[VER]
    for i, step in enumerate(steps):
        cols = st.columns([0.5, 6, 0.7, 0.7, 0.7], vertical_alignment="center")
        cols[0].markdown(f"**{i + 1}**")
        facts = [step.get("stage") or "no stage"]
        if known is not None and step["touchpoint"] not in known:
            facts.append("not in the data set")
        if not step.get("intentional", True):
            facts.append("unintentional")
        cols[1].markdown(f"{builder.escape_markdown(step['touchpoint'])}  \n"
                         f":gray[{builder.escape_markdown(' · '.join(facts))}]")
        cols[2].button("↑", key=f"builder_up_{gen}_{ver}_{i}", on_click=move, args=(i, -1), disabled=i == 0,
                       help=f"Move touchpoint {i + 1} up")
        cols[3].button("↓", key=f"builder_down_{gen}_{ver}_{i}", on_click=move, args=(i, 1),
                       disabled=i == len(steps) - 1, help=f"Move touchpoint {i + 1} down")
        cols[4].button("✕", key=f"builder_remove_{gen}_{ver}_{i}", on_click=remove, args=(i,),
                       help=f"Remove touchpoint {i + 1}")

    st.markdown("**Details per touchpoint** (click a cell to edit)")
    operational = store.operational_metrics(con, dataset) if dataset in datasets else []
    in_use = sorted({s["operational"] for s in steps if s.get("operational")})
    column_config = {
        "touchpoint": st.column_config.TextColumn("Touchpoint", required=True),
        "stage": st.column_config.SelectboxColumn("Stage", options=list(STAGES)),
        "channel": st.column_config.TextColumn("Channels", help="Comma-separated, e.g. web, in-store."),
        "controlled": st.column_config.CheckboxColumn("Controlled", help="Run by the company (its website) or not "
                                                                         "(a review site, word of mouth)."),
        "intentional": st.column_config.CheckboxColumn("Intentional", help="Designed by the company; "
                                                                           "unintentional: an out-of-stock notice."),
        "owner": st.column_config.TextColumn("Owner"),
        "target": st.column_config.NumberColumn("Target (0–10)", min_value=0.0, max_value=10.0, step=0.5,
                                                format="%.1f"),
        "operational": (st.column_config.SelectboxColumn("Operational metric", options=sorted({*operational, *in_use}),
                                                         help="An operational metric of the linked data set.")
                        if operational else
                        st.column_config.TextColumn("Operational metric", help="Name of an operational metric, "
                                                    "e.g. delivery delay (days).")),
        "assessment": st.column_config.NumberColumn("Team score (0–10)", min_value=0.0, max_value=10.0, step=0.5,
                                                    format="%.1f", help="The team's own score; used where "
                                                    "customers have no answers. Empty = no score."),
        "note": st.column_config.TextColumn("Note"),
    }
    st.data_editor(builder.editor_frame(draft), key=editor_key(), hide_index=True, num_rows="fixed",
                   column_config=column_config, width="stretch")
    sync()

# ---------------------------------------------------------------- saving

draft = st.session_state[DRAFT]
check = builder.check_draft(con, draft, original=origin)
for message in check.warnings:
    st.warning(ui.escape_md(message), icon="⚠️")
conflict = builder.workshop_conflict(con, draft, original=origin)
if conflict:  # shown at once, not only on Save: the edit that caused it is still on screen
    st.error(ui.escape_md(conflict))
dirty = builder.is_dirty(con, draft, origin)
save_col, state_col = st.columns([1, 3], vertical_alignment="center")
saved = origin is not None and origin in store.journey_names(con)
state_col.caption("● Unsaved changes" if dirty else "All changes saved." if saved else "A new journey: not saved yet.")
if save_col.button("Save journey", type="primary", disabled=not dirty):
    if not check.ok:
        for message in check.errors:
            if message != conflict:
                st.error(ui.escape_md(message))
    else:
        saved = ui.run_safely(lambda: builder.save_draft(con, draft, original=origin), "Could not save")
        flash("success", f"Saved the journey '{saved}' ({len(draft['touchpoints'])} touchpoints).")
        st.session_state[LOADED] = None
        st.session_state["builder_target"] = saved
        st.rerun()

# ---------------------------------------------------------------- import and the shipped example

st.divider()
with st.expander("Import a journey file (JSON)"):
    st.caption("The format of Export JSON and of data/product_launch.json: {name, persona, goal, description, "
               "dataset, touchpoints: [{touchpoint, stage, assessment, note, intentional, controlled, channel, "
               "target, owner, operational}]}.")
    upload_key = f"builder_upload_{st.session_state.get('builder_upload_n', 0)}"
    upload = st.file_uploader("Journey file", type=["json"], key=upload_key)
    if upload is not None:
        data = ui.run_safely(lambda: journey_file.parse(upload.getvalue()), "Cannot read this file")
        result = builder.check_import(con, data)
        for message in result.errors:
            st.error(ui.escape_md(message))
        if result.ok:
            for message in result.warnings:
                st.warning(ui.escape_md(message), icon="⚠️")
            file_name = data["name"].strip()
            import_name = st.text_input("Import as", value=file_name, key=f"{upload_key}_name")
            replace = False
            if import_name.strip() in names:
                replace = st.checkbox(f"Replace the existing journey '{ui.escape_md(import_name.strip())}' (its "
                                      "steps and team scores; its workshops stay)", key=f"{upload_key}_replace")
            drop: list[str] = []
            if result.unknown:
                keep = st.radio("Touchpoints that are not in the data set", [
                    "Keep them (they will have no customer scores)", "Leave them out"], key=f"{upload_key}_unknown")
                drop = [] if keep.startswith("Keep") else list(result.unknown)
            if st.button("Import", type="primary", disabled=import_name.strip() in names and not replace):
                imported = ui.run_safely(
                    lambda: builder.import_journey(con, data, name=import_name, replace=replace, drop=drop),
                    "Could not import")
                flash("success", f"Imported the journey '{imported}'.")
                st.session_state["builder_upload_n"] = st.session_state.get("builder_upload_n", 0) + 1
                st.session_state[LOADED] = None
                st.session_state["builder_target"] = imported
                st.rerun()

with st.expander("The product-launch example"):
    st.caption("The journey that ships with cx: an electronics launch that reached only 50 % of its revenue goal "
               "while its average touchpoint score looked fine.")
    exists = seed.PRODUCT_LAUNCH in names
    sure = True
    if exists:
        sure = st.checkbox(f"Replace the current '{seed.PRODUCT_LAUNCH}' journey and its team scores with the "
                           "original", key="builder_restore_sure")
    if st.button("Restore the product-launch journey", disabled=not sure):
        ui.run_safely(lambda: seed.restore_product_launch(con), "Could not restore the example")
        flash("success", f"Restored the journey '{seed.PRODUCT_LAUNCH}'.")
        st.session_state[LOADED] = None
        st.session_state["builder_target"] = seed.PRODUCT_LAUNCH
        st.rerun()
