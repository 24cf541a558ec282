"""cx home page: what cx does, where to go next, and a guard for an empty database."""

import streamlit as st

from cx import store, ui

st.set_page_config(page_title="cx · journey analysis", page_icon="🧭", layout="wide")
ui.sidebar_settings()

st.title("cx — customer-experience journeys")
st.markdown(
    "One average hides where a journey breaks. cx scores **every touchpoint in journey order** "
    "beside the aggregate, marks the weak points, and shows which of them matter most."
)

con = ui.connection()
counts = store.table_counts(con)
if counts["journeys"] == 0 and counts["datasets"] == 0:
    st.info(
        "This database has no journeys and no feedback yet. Upload a CSV on the Upload page, "
        "or restore the product-launch example below."
    )
    if st.button("Restore the product-launch journey"):
        ui.run_safely(lambda: store.restore_product_launch(con), "Could not restore the example")
        st.rerun()
    st.stop()

st.page_link("pages/1_Journey.py", label="Journey — each touchpoint's score beside the average", icon="🧭")

st.subheader("In this database")
left, right = st.columns(2)
left.metric("Journeys", counts["journeys"])
right.metric("Answers stored", f"{counts['responses']:,}")
st.dataframe(
    store.datasets(con)[["dataset", "kind", "source", "imported_at", "respondents", "answers"]],
    hide_index=True, width="stretch",
)
st.caption(f"Database: {ui.dataset_path_label(ui.db_path())}")
