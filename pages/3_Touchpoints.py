"""Touchpoints: the inventory of a data set with every metric side by side, weak ones marked."""

import streamlit as st

from cx import charts, metrics, ui

page = ui.dataset_page("Touchpoints", "📍")
con, min_n, dataset, filters, notes = page.con, page.min_n, page.dataset, page.filters, page.notes

with ui.Steps("Scoring the touchpoints") as status:
    status.step("scores and intervals per touchpoint")
    scores = ui.run_safely(lambda: ui.dataset_scores(con, dataset, filters, min_n), "Could not score the touchpoints")
    if not scores.touchpoints:
        st.info(metrics.why_no_scores(ui.engine(), dataset))
        ui.stop()
    status.step("CSAT, CES and NPS per touchpoint")
    # One computation of the three: CSAT and CES share one scan of the answers.
    results = ui.compute(con, ["csat", "ces", "nps"], dataset, by="touchpoint", filters=filters, min_n=min_n)
    by_touchpoint = {name: [r for r in results if r.metric == name] for name in ("csat", "ces", "nps")}
    status.step("operational metrics and channels")
    operational = ui.cached(metrics.operational_stats, dataset, tuple(filters), con=con)
    by_channel = ui.touchpoint_stats(con, dataset, filters, by="channel")
table = charts.touchpoints_table(scores, by_touchpoint, operational=operational, by_channel=by_channel)
ui.hides_message(scores)
st.caption("Click a column header to sort. Status uses the Journey page's rule: below target, or at least "
           f"{scores.margin:.1f} points below the average of the touchpoints; fewer than {min_n} answers are "
           "flagged instead. CSAT is shown for 1–5 items, CES for 1–7 items; NPS is that of the respondents who "
           "answered the touchpoint. Blank: not measured, or too few answers.")
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        **ui.journey_table_columns(),
        "Score (0–10)": st.column_config.ProgressColumn(min_value=0, max_value=10, format="%.1f"),
        "CSAT %": st.column_config.NumberColumn(format="%.0f", help=metrics.metric("csat").help()),
        "CES": st.column_config.NumberColumn(format="%.2f", help=metrics.metric("ces").help()),
        "NPS of its customers": st.column_config.NumberColumn(format="%+.0f", help=metrics.metric("nps").help()),
        "Operational": st.column_config.TextColumn(
            "Operational metric", help="Numeric columns declared operational at import (wait time, delay…)"),
        "Why": st.column_config.TextColumn(width="medium"),
    },
)
ui.table_download(table, f"touchpoints-{dataset}", notes, key="touchpoints_csv")
with st.expander("How these numbers are computed"):
    for name in ("mean_score", "csat", "ces", "nps"):
        st.caption(metrics.metric(name).help())
