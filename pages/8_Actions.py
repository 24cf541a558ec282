"""Actions page: log what was done per touchpoint, see whether the score moved, send "You said, we did"."""

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from cx import actions, exports, report, ui
from cx.errors import CxError

ALL_UNITS = "(all local units)"
CONFIRM_KEY = "actions_confirm_delete"
FLASH_KEY = "actions_flash"
REPORT_KEY = "actions_report"

st.set_page_config(page_title="Actions · cx", page_icon="✅", layout="wide")
min_n = ui.sidebar_settings()
st.title("Actions")
st.caption("Close the loop: log what was done about a touchpoint, see whether its score moved afterwards, and "
           "tell customers and stores what changed.")

con = ui.connection()
dataset = ui.require_dataset(con)
filters = ui.sidebar_filters(con, dataset)
options = ui.filter_options(con, dataset)
ui.alert_actions(con, key="actions_alerts", dataset=dataset)  # fired alerts, each ready to become an action

with ui.Steps("Scoring the touchpoints") as status:
    status.step("every touchpoint's score, weakest first")
    ranked = ui.touchpoints_weakest_first(con, dataset, filters, min_n)
touchpoint = ui.touchpoint_picker(ranked)
chosen = next(t for t in ranked if t.touchpoint == touchpoint)
if chosen.score is not None:
    st.caption(f"Score now {chosen.score:.1f} of 10 (n = {chosen.n:,})" + (" · few answers" if chosen.low_n else "")
               + (" · weak" if chosen.weak else ""))

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    kind, message = flash
    (st.success if kind == "success" else st.error)(ui.escape_md(message))

# A keyed tab bar keeps its tab across reruns (logging, confirming a delete), even when a message appears above it.
effect_tab, log_tab, report_tab = st.tabs(["Effect of actions", "Log and edit actions", "You said, we did"],
                                          key="actions_tab", on_change="rerun")

# ------------------------------------------------------------ effect: trend with actions, before/after
with effect_tab:
    # The tab bar reruns the page when a tab is picked: skip these queries while the tab is hidden.
    show_effect = effect_tab.open is not False
    if show_effect:
        logged = actions.list_actions(con, dataset=dataset, touchpoint=touchpoint)
        # Cached per data version and filter: a rerun that moves no number reads no answer again.
        trend = ui.cached(actions.monthly_trend, dataset, touchpoint, filters=tuple(filters), min_n=min_n, con=con)
        if trend.empty:
            st.info("No dated answers for this touchpoint under the current filters: there is no trend to show.")
        else:
            st.altair_chart(report.trend_chart(trend, logged, min_n=min_n), width="stretch")
            st.caption(f"Monthly score (0–10) with its 95 % band; n per month in the tooltip "
                       f"({int(trend['n'].min()):,}–{int(trend['n'].max()):,} answers a month). Hollow diamonds: "
                       f"months with fewer than {min_n} answers. Purple lines: actions (solid done, dashed in "
                       "progress, dotted planned).")
        if not logged:
            st.info("No action logged for this touchpoint yet: log one in the next tab to mark it on the chart.")
        else:
            window = st.slider("Window before and after each action (days)", 14, 365, actions.DEFAULT_WINDOW_DAYS,
                               step=7, key="actions_window",
                               help="The score over this many days before the action's date, and from it on.")
            st.caption(f"Test: {actions.TEST_NAME}. The windows set the dates: the sidebar's date filter does not "
                       "apply here; its other filters do. An action at one local unit compares that unit only.")
            for action in logged:
                result = ui.cached(actions.before_after, action, dataset=dataset, window_days=window,
                                   filters=tuple(filters), min_n=min_n, con=con)
                with st.container(border=True):
                    st.text(f"{action.label(80)}  ·  {action.status}"
                            + (f"  ·  {action.owner}" if action.owner else "")
                            + (f"  ·  at {action.unit}" if action.unit else ""))
                    cols = st.columns(3)
                    cols[0].metric(f"Before ({window} days)", "—" if result.before.score is None
                                   else f"{result.before.score:.1f}")
                    cols[0].caption(result.before.describe())
                    cols[1].metric(f"After ({window} days)", "—" if result.after.score is None
                                   else f"{result.after.score:.1f}",
                                   delta=None if result.diff is None else f"{result.diff:+.1f}")
                    cols[1].caption(result.after.describe())
                    cols[2].metric("Change", result.verdict.capitalize())
                    if result.p is not None:
                        cols[2].caption(f"p {'< 0.001' if result.p < 0.001 else f'= {result.p:.3f}'}"
                                        f" · 95 % {result.diff_low:+.1f} to {result.diff_high:+.1f}")
                    st.text(result.sentence())

# ------------------------------------------------------------ log, edit, delete, export
# Writes run in callbacks, before the page is drawn again: the page then shows the new state in one run.
units = options["unit"]
NEW_FIELDS = {"new_action_title": "", "new_action_owner": "", "new_action_note": "", "new_action_unit": ALL_UNITS,
              "new_action_status": actions.PLANNED}


def _unit_index(unit: str | None) -> int:
    return 1 + units.index(unit) if unit in units else 0


def _write(what: str, done: str, write: Callable[[Any], object]) -> bool:
    """Run one write on a cursor of its own; leave a message for the next draw. Return True when it worked."""
    try:
        write(ui.connection())
    except CxError as exc:
        st.session_state[FLASH_KEY] = ("error", f"{what}: {exc}")
        return False
    st.session_state[FLASH_KEY] = ("success", done)
    return True


def _log_action(dataset: str, touchpoint: str) -> None:
    state = st.session_state
    unit = state["new_action_unit"]
    added: list[int] = []
    if _write("Could not log the action", "Action logged: it is marked on the chart in the first tab.",
              lambda c: added.append(actions.add_action(
                  c, dataset=dataset, touchpoint=touchpoint, title=state["new_action_title"],
                  owner=state["new_action_owner"], action_date=state["new_action_date"],
                  status=state["new_action_status"], unit=None if unit == ALL_UNITS else unit,
                  note=state["new_action_note"]))):
        state["actions_edit_pick"] = added[0]  # ready to edit below
        state.update(NEW_FIELDS)  # an empty form for the next one; kept as typed when it failed


def _save_action(action_id: int) -> None:
    state = st.session_state
    unit = state[f"edit_unit_{action_id}"]
    _write("Could not save the action", f"Action #{action_id} saved.", lambda c: actions.update_action(
        c, action_id, title=state[f"edit_title_{action_id}"], owner=state[f"edit_owner_{action_id}"],
        action_date=state[f"edit_date_{action_id}"], status=state[f"edit_status_{action_id}"],
        unit=None if unit == ALL_UNITS else unit, note=state[f"edit_note_{action_id}"]))


def _confirm_delete(action_id: int | None) -> None:
    st.session_state[CONFIRM_KEY] = action_id


def _delete_action(action_id: int) -> None:
    st.session_state[CONFIRM_KEY] = None
    _write("Could not delete the action", f"Action #{action_id} deleted.",
           lambda c: actions.delete_action(c, action_id))


with log_tab:
    st.subheader("Log an action")
    with st.form("new_action"):
        st.text(f"Touchpoint: {touchpoint}")  # user data: shown as text, never in a (Markdown) label
        st.text_input("What was done", key="new_action_title",
                      placeholder="e.g. Stock alerts by SMS when a device is back in store")
        left, middle, right = st.columns(3)
        left.text_input("Owner", key="new_action_owner", placeholder="team or person")
        middle.date_input("Date", value=date.today(), key="new_action_date")
        right.selectbox("Status", actions.STATUSES, key="new_action_status")
        st.selectbox("Local unit", [ALL_UNITS, *units], key="new_action_unit",
                     help="Leave at all units when the action was global.")
        st.text_area("Note (optional)", key="new_action_note")
        st.form_submit_button("Log the action", key="new_action_submit", on_click=_log_action,
                              args=(dataset, touchpoint))

    st.subheader("All actions in this data set")
    every = actions.list_actions(con, dataset=dataset)
    if not every:
        st.info("No action logged in this data set yet.")
    else:
        frame = actions.actions_frame(every)
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={"action_id": st.column_config.NumberColumn("Id"),
                                    "touchpoint": st.column_config.TextColumn("Touchpoint"),
                                    "unit": st.column_config.TextColumn("Local unit"),
                                    "title": st.column_config.TextColumn("What was done", width="large"),
                                    "owner": st.column_config.TextColumn("Owner"),
                                    "action_date": st.column_config.DateColumn("Date"),
                                    "status": st.column_config.TextColumn("Status"),
                                    "note": st.column_config.TextColumn("Note"),
                                    "dataset": st.column_config.TextColumn("Data set"),
                                    "created_at": st.column_config.DatetimeColumn("Logged", format="YYYY-MM-DD")})
        st.download_button("Download the actions (CSV)",
                           exports.safe_csv(frame, notes=[f"Data set: {dataset}", f"Actions: {len(frame)}"]),
                           file_name=f"actions-{dataset}.csv", mime="text/csv", key="actions_download")

        st.subheader("Edit or delete an action")
        by_id = {a.action_id: a for a in every}
        if st.session_state.get("actions_edit_pick") not in by_id:
            st.session_state.pop("actions_edit_pick", None)
        picked_id = st.selectbox("Action", sorted(by_id, reverse=True), key="actions_edit_pick",
                                 format_func=lambda i: f"#{i} {by_id[i].touchpoint}: {by_id[i].label(70)}")
        current = by_id[picked_id]
        with st.form(f"edit_action_{picked_id}"):
            st.text_input("What was done", value=current.title, key=f"edit_title_{picked_id}")
            left, middle, right = st.columns(3)
            left.text_input("Owner", value=current.owner or "", key=f"edit_owner_{picked_id}")
            middle.date_input("Date", value=current.action_date, key=f"edit_date_{picked_id}")
            right.selectbox("Status", actions.STATUSES, key=f"edit_status_{picked_id}",
                            index=actions.STATUSES.index(current.status) if current.status in actions.STATUSES else 0)
            st.selectbox("Local unit", [ALL_UNITS, *units], index=_unit_index(current.unit),
                         key=f"edit_unit_{picked_id}")
            st.text_area("Note (optional)", value=current.note or "", key=f"edit_note_{picked_id}")
            st.form_submit_button("Save the changes", key=f"edit_submit_{picked_id}", on_click=_save_action,
                                  args=(picked_id,))
        if st.session_state.get(CONFIRM_KEY) != picked_id:
            st.button("Delete this action…", key="actions_delete", on_click=_confirm_delete, args=(picked_id,))
        else:
            st.warning(f"Delete action #{picked_id}? This cannot be undone.")
            st.text(current.label(120))
            yes, no = st.columns([1, 5])
            yes.button("Yes, delete it", type="primary", key="actions_delete_yes", on_click=_delete_action,
                       args=(picked_id,))
            no.button("Cancel", key="actions_delete_no", on_click=_confirm_delete, args=(None,))

# ------------------------------------------------------------ "You said, we did"
with report_tab:
    st.caption("A one-page summary per journey: its weak touchpoints (and any with an action), what customers said "
               "about each, what was done, and what moved. Download it to send to stores or publish.")
    own = report.report_journeys(con, dataset)
    everything = f"(every touchpoint of {dataset})"
    journey_name = st.selectbox("Journey", [*own, everything], key="actions_report_journey")
    left, right = st.columns(2)
    with_quotes = left.checkbox("Include example comments", value=True, key="actions_report_quotes",
                                help="Check quotes for personal details before publishing.")
    report_window = right.number_input("Before/after window (days)", 14, 365, actions.DEFAULT_WINDOW_DAYS, step=7,
                                       key="actions_report_window")
    settings = (dataset, journey_name, with_quotes, int(report_window), min_n, tuple(filters))
    if st.button("Prepare the report", type="primary", key="actions_report_build"):
        built = ui.run_safely(lambda: report.build_report(
            con, None if journey_name == everything else journey_name, dataset=dataset, engine=ui.engine(),
            filters=filters, min_n=min_n, window_days=int(report_window), quotes=2 if with_quotes else 0,
            notes=ui.filter_notes(dataset, filters)), "Could not build the report")
        with st.spinner("Drawing the charts…"):
            st.session_state[REPORT_KEY] = (settings, built, report.report_html(built), report.report_markdown(built))
    saved = st.session_state.get(REPORT_KEY)
    if saved is not None and saved[0] == settings:
        _, built, html_text, md_text = saved
        st.dataframe(report.summary_frame(built), hide_index=True, width="stretch",
                     column_config={"score": st.column_config.NumberColumn("Score (0–10)", format="%.1f")})
        slug = (journey_name if journey_name != everything else dataset).replace(" ", "-").lower()
        left, right = st.columns(2)
        left.download_button("Download the report (HTML, with charts)", html_text.encode("utf-8"),
                             file_name=f"you-said-we-did-{slug}.html", mime="text/html", key="actions_report_html")
        right.download_button("Download the report (Markdown, text only)", md_text.encode("utf-8"),
                              file_name=f"you-said-we-did-{slug}.md", mime="text/markdown",
                              key="actions_report_md")
