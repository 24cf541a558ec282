"""Local units: stores and branches ranked by a metric with intervals; small units flagged, not ranked."""

import altair as alt
import streamlit as st

from cx import charts, formats, metrics, ui, views

page = ui.dataset_page("Local units", "🏬",
                       intro="Stores, branches or dealerships: the level where people can be held accountable.")
con, min_n, dataset, filters, notes = page.con, page.min_n, page.dataset, page.filters, page.notes

options = ui.filter_options(con, dataset)
if not options["unit"]:
    st.info("These answers name no local unit. Map a store/branch column at import to rank units.")
    st.stop()

with ui.Steps("Ranking the local units") as status:
    status.step("every metric over the selection")
    totals = {r.metric: r for r in ui.compute(con, None, dataset, filters=filters, min_n=min_n)}
    available = [m for m in metrics.REGISTRY if totals[m].value is not None and m != "responses"]
    left, right = st.columns(2)
    chosen = left.selectbox("Rank by", available, format_func=lambda m: metrics.metric(m).label, key="unit_metric",
                            index=available.index("mean_score") if "mean_score" in available else 0)
    touchpoint = right.selectbox("At touchpoint", ["(all touchpoints)", *options["touchpoint"]],
                                 key="unit_touchpoint")
    unit_filters = list(filters)
    if touchpoint != "(all touchpoints)":
        unit_filters.append(metrics.Filter("touchpoint", "in", (touchpoint,)))
    definition = metrics.metric(chosen)
    status.step("the chosen metric per unit")
    results = [r for r in ui.compute(con, [chosen], dataset, by="unit", filters=unit_filters, min_n=min_n)
               if r.group is not None and r.value is not None]
    if not results:
        st.info("No local unit has answers for this metric under the current filters.")
        ui.stop()

table = views.unit_ranking(results, higher_is_better=definition.higher_is_better)
ranked, small = table[table["status"] == views.RANKED], table[table["status"] != views.RANKED]
if not ranked.empty:
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    st.markdown(ui.escape_md(
        f"Best: {best['unit']} ({formats.metric_value(chosen, best['value'])}, n = {best['n']:,}); "
        f"worst: {worst['unit']} ({formats.metric_value(chosen, worst['value'])}, n = {worst['n']:,})."))
if not small.empty:
    st.warning(f"{len(small)} unit(s) have fewer than {min_n} answers and are not ranked: "
               + ", ".join(ui.escape_md(str(u)) for u in small["unit"]))

pick = alt.selection_point(name="pick", fields=["unit"], on="click")
event = ui.chart(charts.ranking_chart(table, definition.label, pick), f"units-{chosen}", key="unit_chart",
                 on_select="rerun", selection_mode="pick")
st.caption("Dots are values with 95 % intervals; hollow diamonds have too few answers to rank. Click a unit to see "
           "its journey below.")

st.dataframe(table.rename(columns={"unit": "Unit", "value": definition.label, "low": "95 % low",
                                   "high": "95 % high", "status": "Status", "rank": "Rank"}),
             hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.1f")
                            for c in (definition.label, "95 % low", "95 % high")})
ui.table_download(table, f"units-{chosen}", notes, key="units_csv")

picked = None
selection = getattr(event, "selection", None) or {}
if selection.get("pick"):
    picked = selection["pick"][0].get("unit")
units = sorted(table["unit"].tolist())
if picked is None and not ranked.empty:
    picked = ranked.iloc[-1]["unit"]  # start with the unit that needs attention most
picked = st.selectbox("Journey of unit", units, index=units.index(picked) if picked in units else 0,
                      key=f"unit_pick_{picked}")
scores = ui.dataset_scores(con, dataset, [*filters, metrics.Filter("unit", "in", (picked,))], min_n)
st.subheader(f"Journey at {ui.escape_md(str(picked))}")
ui.hides_message(scores)
ui.chart(charts.journey_chart(scores), f"journey-{picked}", key="unit_journey_chart")
st.caption("Only touchpoints answered at this unit appear (online touchpoints carry no unit).")
