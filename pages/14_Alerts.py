"""Alerts page: rules that watch a touchpoint or an outcome, the alerts they fired, and actions made from them."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from cx import alerts, store, ui
from cx.errors import CxError

FLASH_KEY = "alerts_flash"
CONFIRM_KEY = "alerts_confirm_delete"
KIND_LABELS = {alerts.AT_MOST: "One answer at or below X (e.g. a detractor: 6 on 0–10)",
               alerts.BELOW: "The mean of the last N answers below X"}
TOUCHPOINT, OUTCOME = "Touchpoint", "Outcome"

st.set_page_config(page_title="Alerts · cx", page_icon="🔔", layout="wide")
ui.sidebar_settings()
st.title("Alerts")
st.caption("A rule watches a touchpoint (or an outcome) of a data set and is checked whenever answers arrive: a "
           "survey-link send, an import, a workshop close. X is on the touchpoint's own scale. A large import fires "
           "at most one alert per rule; a mean that stays low fires once, and again only after it has recovered.")

con = ui.connection()
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(ui.escape_md(flash[1]))


def _write(what: str, done: str | Callable[[Any], str], write: Callable[[Any], Any]) -> None:
    """Run one write on a cursor of its own; leave a message for the next draw (`done` may word its result)."""
    try:
        result = write(ui.connection())
    except CxError as exc:
        st.session_state[FLASH_KEY] = ("error", f"{what}: {exc}")
    else:
        st.session_state[FLASH_KEY] = ("success", done if isinstance(done, str) else done(result))


def _added(rule: alerts.Rule) -> str:
    return f"Rule #{rule.rule_id} added — {rule.dataset}: {rule.describe()}. It is checked whenever answers arrive."


def _add_rule(dataset: str, watch: str, target: str, x_key: str) -> None:
    state = st.session_state
    kind = state["alert_kind"]
    _write("Could not add the rule", _added, lambda c: alerts.add_rule(
        c, dataset=dataset, kind=kind, threshold=state[x_key],
        touchpoint=target if watch == TOUCHPOINT else None, outcome=target if watch == OUTCOME else None,
        window=int(state["alert_n"]) if kind == alerts.BELOW else None, webhook=state.get("alert_webhook"),
        fields=alerts.PAGE_FIELDS))


def _confirm_delete(rule_id: int) -> None:
    st.session_state[CONFIRM_KEY] = rule_id


def _cancel_delete() -> None:
    st.session_state[CONFIRM_KEY] = None


def _delete_rule(rule_id: int) -> None:
    st.session_state[CONFIRM_KEY] = None
    _write("Could not delete the rule", f"Rule #{rule_id} deleted; the alerts it fired stay.",
           lambda c: alerts.delete_rule(c, rule_id))


def _retry() -> None:
    _write("Could not retry", "The failed webhooks are being sent again: reload in a few seconds.",
           lambda c: alerts.retry_webhooks(c))


def _save_base_url() -> None:
    _write("Could not save the address", "Saved: new alerts link to the Alerts view there.",
           lambda c: alerts.set_base_url(c, st.session_state["alert_base_url"], alerts.PAGE_FIELDS))


# ------------------------------------------------------------ fired alerts
st.subheader("Fired alerts")
fired = alerts.fired_alerts(con)
wanted = st.query_params.get("alert", "")
linked = next((a for a in fired if wanted.isdigit() and a.alert_id == int(wanted)), None)
if linked is not None:  # opened from a webhook's link: that alert first (the URL's text is never shown)
    st.info(f"Alert #{linked.alert_id}, fired {linked.fired_at:%Y-%m-%d %H:%M} UTC:")
    st.text(f"{linked.dataset}: {linked.message()}")
if not fired:
    st.info("No alert has fired yet. Add a rule below: it is checked when the next answers arrive.")
else:
    st.dataframe(alerts.alerts_frame(fired), hide_index=True, width="stretch", column_order=(
        "alert_id", "fired_at", "dataset", "message", "n", "webhook", "action_id"), column_config={
        "alert_id": st.column_config.NumberColumn("Alert"),
        "fired_at": st.column_config.DatetimeColumn("Fired (UTC)", format="YYYY-MM-DD HH:mm"),
        "dataset": st.column_config.TextColumn("Data set"),
        "message": st.column_config.TextColumn("What happened", width="large"),
        "value": st.column_config.NumberColumn("Value", format="%.2f",
                                               help="The lowest answer, or the window's mean (own scale)"),
        "n": st.column_config.NumberColumn("n", help="Answers at or below X, or the window's size"),
        "webhook": st.column_config.TextColumn("Webhook", width="medium"),
        "webhook_status": st.column_config.TextColumn("Webhook status"),
        "webhook_attempts": st.column_config.NumberColumn("Attempts"),
        "webhook_error": st.column_config.TextColumn("Webhook error"),
        "action_id": st.column_config.NumberColumn("Action"),
        "rule_id": st.column_config.NumberColumn("Rule")})
    failed = alerts.failed_webhooks_message(con, fired)
    if failed:
        st.warning(ui.escape_md(failed))  # webhook addresses were typed by users
        st.button("Retry the failed webhooks", key="alerts_retry", on_click=_retry)
    st.subheader("Turn an alert into an action")
    ui.alert_actions(con, key="alerts_page")

# ------------------------------------------------------------ rules
st.subheader("Rules")
listed = alerts.rules(con)
if not listed:
    st.info("No rule yet: add one below.")
else:
    st.dataframe(alerts.rules_frame(listed), hide_index=True, width="stretch", column_order=(
        "rule_id", "dataset", "rule", "webhook", "state", "created_at"), column_config={
        "rule_id": st.column_config.NumberColumn("Rule"), "dataset": st.column_config.TextColumn("Data set"),
        "watches": st.column_config.TextColumn("Watches"),
        "rule": st.column_config.TextColumn("Fires on", width="large"),
        "threshold": st.column_config.NumberColumn("X"), "window": st.column_config.NumberColumn("N"),
        "webhook": st.column_config.TextColumn("Webhook"),
        "firing": st.column_config.CheckboxColumn("Mean below X now"),
        "state": st.column_config.TextColumn("Now"),
        "created_at": st.column_config.DatetimeColumn("Added (UTC)", format="YYYY-MM-DD")})
    by_id = {r.rule_id: r for r in listed}
    left, right = st.columns([3, 1])
    picked = left.selectbox("Rule", list(by_id), key="alerts_rule_pick",
                            format_func=lambda i: f"#{i} {by_id[i].dataset}: {by_id[i].describe()}")
    if st.session_state.get(CONFIRM_KEY) != picked:
        right.button("Delete this rule…", key="alerts_rule_delete", on_click=_confirm_delete, args=(picked,),
                     help="The alerts it fired stay, and so do actions made from them.")
    else:
        st.warning(f"Delete rule #{picked}? It stops watching; the alerts it fired and their actions stay.")
        st.text(f"{by_id[picked].dataset}: {by_id[picked].describe()}")
        yes, no = st.columns([1, 5])
        yes.button("Yes, delete it", type="primary", key="alerts_rule_delete_yes", on_click=_delete_rule,
                   args=(picked,))
        no.button("Keep it", key="alerts_rule_delete_no", on_click=_cancel_delete)

# ------------------------------------------------------------ add a rule
st.subheader("Add a rule")
names = store.dataset_names(con)
if not names:
    st.info("There is no data set yet: import one on the Upload page, or create survey links on the Feedback page.")
    st.stop()
current = st.session_state.get(ui.DATASET_KEY)
dataset = st.selectbox("Data set", names, index=names.index(current) if current in names else 0, key="alert_dataset")
touchpoints, outcomes = ui.stored(alerts.rule_targets, dataset, con=con)  # scans the answers
if not touchpoints and not outcomes:
    st.info("This data set has no touchpoint and no outcome yet: create a survey link for a touchpoint on the "
            "Feedback page, or pick another data set.")
    st.stop()
watch = st.radio("Watch", [w for w, some in ((TOUCHPOINT, touchpoints), (OUTCOME, outcomes)) if some],
                 horizontal=True, key="alert_watch")
options = touchpoints if watch == TOUCHPOINT else outcomes
target = st.selectbox(watch, options, key=f"alert_target_{watch}_{dataset}")
scale = ui.stored(alerts.target_scale, dataset, con=con,
                  **({"touchpoint": target} if watch == TOUCHPOINT else {"outcome": target}))
on_scale = "any number" if scale is None else f"{scale[0]:g}–{scale[1]:g}"
st.caption(f"Its scale: {on_scale}. X is on this scale.")
kind = st.radio("Fire when", list(KIND_LABELS), format_func=KIND_LABELS.__getitem__, key="alert_kind")
left, right = st.columns(2)
# X starts from a sensible value on this target's scale, for each target and kind (a 1 kept from a 1–7
# touchpoint would mean "only the worst answer" on 0–10).
x_key = f"alert_x_{dataset}_{watch}_{target}_{kind}"
left.number_input(f"X ({on_scale})", value=alerts.default_threshold(scale, kind), step=1.0, format="%g", key=x_key,
                  help="One answer at or below X fires; or the mean of the last N answers below X.")
right.number_input("N (the last N answers)", min_value=1, value=alerts.DEFAULT_WINDOW, step=1, key="alert_n",
                   disabled=kind != alerts.BELOW)
st.text_input("Webhook URL (optional)", key="alert_webhook", placeholder="https://hooks.example.com/cx",
              help="Each alert is POSTed there as JSON: rule, dataset, touchpoint, value, n, fired_at, link. "
                   f"Up to {alerts.WEBHOOK_ATTEMPTS} attempts; a failure is shown above, never blocks an answer.")
st.button("Add the rule", type="primary", key="alert_add", on_click=_add_rule, args=(dataset, watch, target, x_key))

with st.expander("Address of this app (for the alerts' links)"):
    st.text_input("Link base URL", value=alerts.base_url(con), key="alert_base_url",
                  help="Webhooks link to the Alerts view at this address, e.g. https://cx.example.com.")
    st.button("Save the address", key="alert_base_url_save", on_click=_save_base_url)
