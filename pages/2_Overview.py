"""Overview: the metric portfolio with intervals, change against last month, trend and breakdown."""

import pandas as pd
import streamlit as st

from cx import charts, comparisons, metrics, ui, views

page = ui.dataset_page("Overview", "📊")
con, min_n, dataset, filters, notes = page.con, page.min_n, page.dataset, page.filters, page.notes
clv = ui.clv_sidebar(con, dataset)  # margin, period, discount rate: the mapping's, or typed in the sidebar

with ui.Steps("Computing the metrics") as status:
    status.step("every metric over the selection")
    results = {r.metric: r for r in ui.compute(con, None, dataset, filters=filters, min_n=min_n)}
    if not any(r.n for r in results.values()):
        st.info(metrics.why_no_scores(ui.engine(), dataset))
        ui.stop()
    if results["responses"].n == 0:
        # Outcomes without touchpoint answers: the outcome metrics apply, the touchpoint ones show "—".
        st.info("No scored touchpoint answers here: only the outcome metrics (NPS, churn…) apply.")

    # Change against the previous month: the last month in the selected range vs the month before it.
    options = ui.filter_options(con, dataset)
    last = next((f.value for f in filters if f.column == "answered_at" and f.op == "<="), options["last"])
    windows = comparisons.month_windows(last)
    current: dict[str, metrics.MetricResult] = {}
    previous: dict[str, metrics.MetricResult] = {}
    period = ""
    monthly_all: list[metrics.MetricResult] = []
    if windows is not None:
        status.step("every metric by month")
        # One aggregation by month serves the change against last month and the trend.
        monthly_all = ui.compute(con, None, dataset, by="month", filters=filters, min_n=min_n)
        (cur_start, _, cur_label), (prev_start, _, prev_label) = windows
        current = comparisons.in_month(monthly_all, cur_start)
        previous = comparisons.in_month(monthly_all, prev_start)
        period = f"{cur_label} vs {prev_label}"
    status.step("the outcomes")
    outcome_results = ui.outcomes(con, dataset, filters=filters, min_n=min_n)
    status.step("CSAT and CES per touchpoint")
    labels = ui.item_labels(con, dataset, filters)

st.subheader("Outcome")
st.caption("What the journey leads to, per respondent: first, before the touchpoint metrics.")
ui.outcome_tiles(outcome_results)

st.subheader("Key metrics")
if windows is None:
    st.caption("Values over the selected answers. No dates: the change against last month needs a date column "
               "(map a timestamp column at import).")
else:
    st.caption(f"Values over the selected answers; the arrow is the change {period} (shown only where both months "
               "have answers), with a two-sided z-test at 95 %.")
headline = ["nps", "csat", "ces", "responses", "churn_rate"]
more = [m for m in metrics.REGISTRY if m not in headline]
for row in (headline, more):
    for column, name in zip(st.columns(len(row)), row, strict=True):
        ui.metric_tile(column, results[name], current=current.get(name), previous=previous.get(name), period=period,
                       label=labels.get(name), clv=clv)

with st.expander("How each metric is computed"):
    for definition in metrics.REGISTRY.values():
        st.markdown(f"**{definition.label}** — {definition.measures}")
        st.caption(f"Input: {definition.input}. Formula: {definition.formula}. Interval: {definition.interval}. "
                   f"{'Higher' if definition.higher_is_better else 'Lower'} is better.")

st.subheader("Monthly trend")
available = [m for m in metrics.REGISTRY if results[m].value is not None]
if windows is None:
    st.info("No dates: the trend needs a date column. Map a timestamp column at import to see one.")
else:
    trend_metric = st.selectbox("Metric", available, format_func=lambda m: metrics.metric(m).label,
                                key="trend_metric", index=available.index("nps") if "nps" in available else 0)
    monthly = [r for r in monthly_all if r.metric == trend_metric]
    trend = pd.DataFrame([{"month": r.group, "value": r.value, "low": r.low, "high": r.high, "n": r.n}
                          for r in monthly if r.group is not None and r.value is not None])
    if trend.empty:
        st.info("No month has a value of this metric under the current filters: pick another metric.")
    else:
        label = metrics.metric(trend_metric).label
        small = trend[trend["n"] < min_n]
        if not small.empty:
            st.warning(f"{len(small)} month(s) have fewer than {min_n} answers and are unreliable: "
                       + ", ".join(small["month"]) + " (hollow diamonds).")
        ui.chart(charts.trend_chart(trend, label, min_n=min_n), f"trend-{trend_metric}", key="trend_chart")
        ui.table_download(trend, f"{label} by month", notes, key="trend_csv")

st.subheader("Breakdown")
dimensions = {f"segment:{name}": name for name in options["segments"]}
dimensions.update({c: c for c in ("channel", "unit", "stage", "touchpoint") if len(options[c]) > 1})
if not dimensions:
    st.info("This data set has no segment, channel or unit columns to break down by.")
    st.stop()
left, right = st.columns(2)
by = left.selectbox("Break down by", list(dimensions), format_func=lambda d: dimensions[d], key="breakdown_by")
breakdown_metric = right.selectbox("Metric", available, format_func=lambda m: metrics.metric(m).label,
                                   key="breakdown_metric", index=available.index("nps") if "nps" in available else 0)
with ui.Steps("Breaking down") as status:
    status.step("the metric per group")
    groups = ui.compute(con, [breakdown_metric], dataset, by=by, filters=filters, min_n=min_n)
frame = views.breakdown(groups, results[breakdown_metric], min_n)
if frame.empty:
    st.info("No group has answers for this metric under the current filters.")
    st.stop()
label = metrics.metric(breakdown_metric).label
ui.chart(charts.breakdown_chart(frame, label, dimensions[by]), f"breakdown-{breakdown_metric}", key="breakdown_chart")
st.caption("Each group is compared with everyone else in the selection (two-sided test at 95 %; shares with few "
           "events use Fisher's exact test). With many groups some differ by chance, so ▲/▼ mark only the "
           "differences that stay significant after Holm's correction over all tested groups (p (Holm) < 0.05). "
           f"Groups with fewer than {min_n} answers are flagged and not tested."
           + (" Outcome metrics count a respondent in every group they have answers in (e.g. every unit visited)."
              if breakdown_metric in metrics.OUTCOME_METRICS else ""))
st.dataframe(frame.rename(columns={"group": dimensions[by], "value": label, "low": "95 % low", "high": "95 % high",
                                   "vs rest": "difference vs rest", "mark": "significant?"}),
             hide_index=True, width="stretch",
             column_config={label: st.column_config.NumberColumn(format="%.1f"),
                            "95 % low": st.column_config.NumberColumn(format="%.1f"),
                            "95 % high": st.column_config.NumberColumn(format="%.1f"),
                            "difference vs rest": st.column_config.NumberColumn(format="%+.1f"),
                            "p": st.column_config.NumberColumn(format="%.3f"),
                            "p (Holm)": st.column_config.NumberColumn(format="%.3f")})
ui.table_download(frame, f"{label} by {dimensions[by]}", notes, key="breakdown_csv")
