"""cx home page: what cx does, where to go next, and a guard for an empty database."""

from pathlib import Path

import streamlit as st

from cx import data_folder, seed, ui

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="cx · journey analysis", page_icon="🧭", layout="wide")
ui.sidebar_settings()

st.title("cx — customer-experience journeys")
st.markdown(
    "One average hides where a journey breaks. cx scores **every touchpoint in journey order** "
    "beside the aggregate, marks the weak points, and shows which of them matter most."
)

con = ui.connection()
counts = ui.table_counts(con)
if counts["journeys"] == 0 and counts["datasets"] == 0:
    st.info(
        "This database has no journeys and no feedback yet. Upload a CSV on the Upload page, "
        "or restore the product-launch example below."
    )
    if st.button("Restore the product-launch journey"):
        ui.run_safely(lambda: seed.restore_product_launch(con), "Could not restore the example")
        st.rerun()
    st.stop()

PAGES = (
    ("pages/1_Journey.py", "Journey", "each touchpoint's score in order, beside the average it hides"),
    ("pages/2_Overview.py", "Overview", "NPS, CSAT, CES, churn and CLV with intervals, trend and breakdown"),
    ("pages/3_Touchpoints.py", "Touchpoints", "the touchpoint inventory with every metric side by side"),
    ("pages/4_Channels.py", "Channels", "the same touchpoint across web, phone and store"),
    ("pages/5_Local_units.py", "Local units", "stores and branches ranked, small ones flagged"),
    ("pages/6_Drivers.py", "Drivers", "which weak touchpoints move the outcome: fix first"),
    ("pages/7_Comments.py", "Comments", "what customers say, and why a touchpoint is weak"),
    ("pages/8_Actions.py", "Actions", "what was done, and whether the score moved"),
    ("pages/9_Journey_builder.py", "Journey builder", "lay out journeys and their touchpoints"),
    ("pages/10_Workshop.py", "Workshop", "a room scores a journey live"),
    ("pages/11_Upload.py", "Upload", "bring your own CSV, map it, import it with nothing lost"),
    ("pages/13_Feedback.py", "Feedback", "survey links and a QR code: customers answer at the touchpoint"),
    ("pages/14_Alerts.py", "Alerts", "a rule per touchpoint: an alert (and a webhook) when it drops"),
)
for path, label, what in PAGES:
    if (ROOT / path).exists():
        st.page_link(path, label=f"**{label}** — {what}")

st.subheader("In this database")
left, right = st.columns(2)
left.metric("Journeys", counts["journeys"])
right.metric("Answers stored", f"{counts['responses']:,}")
st.dataframe(
    ui.datasets(con)[["dataset", "kind", "source", "imported_at", "respondents", "answers"]],
    hide_index=True, width="stretch",
    column_config={
        "dataset": "Data set", "kind": "Kind", "source": "Source",
        "imported_at": st.column_config.DatetimeColumn("Imported (UTC)", format="YYYY-MM-DD HH:mm"),
        "respondents": st.column_config.NumberColumn("Respondents", format="localized"),
        "answers": st.column_config.NumberColumn("Answers", format="localized"),
    },
)
st.caption(f"Database: {data_folder.shown_path(ui.db_path())}")
