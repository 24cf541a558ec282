"""Journey page: every touchpoint in order with its score, the average it hides, the weak points."""

import streamlit as st

from cx import charts, exports, journeys, metrics, store, ui, workshop

st.set_page_config(page_title="Journey · cx", page_icon="🧭", layout="wide")
min_n = ui.sidebar_settings()
st.title("Journey")

con = ui.connection()
names = store.journey_names(con)
if not names:
    st.info("There is no journey yet. Restore the product-launch example on the Home page, "
            "or build one on the Journey builder page.")
    st.stop()

top_left, top_right = st.columns([2, 2])
with top_left:
    name = ui.query_choice("Journey", names, "journey")
journey = store.load_journey(con, name)
datasets = ui.dataset_names(con)
own = journey.dataset if journey.dataset in datasets else None
with top_right:
    choices = ["(team assessment only)", *datasets]
    default = own or "(team assessment only)"
    wanted = st.query_params.get("dataset", default)
    picked = st.selectbox(
        "Customer feedback from", choices, index=choices.index(wanted) if wanted in choices else 0,
        help="Scores come from this data set's answers; touchpoints without answers use the team's assessment.",
    )
    if picked != default or "dataset" in st.query_params:
        st.query_params["dataset"] = picked
dataset = None if picked == "(team assessment only)" else picked

with st.sidebar:
    margin = st.slider("Weak when this far below the average (points of 10)", 0.0, 5.0, 1.0, 0.5)
    sources = [s for s, _, _ in workshop.assessment_sources(con, name)]
    source = st.selectbox("Team scores from", sources, help="The team's own assessment or a closed workshop; "
                          "newest first.") if len(sources) > 1 else (sources[0] if sources else "team")

# The data set's touchpoints aggregated once per data version (cached): this journey's scores and the team's gap
# below both come from them.
tp_filter = [metrics.Filter("touchpoint", "in", [s.touchpoint for s in journey.steps])]
stats = outcome_results = csat = csat_label = None
if dataset:
    with ui.Steps("Scoring the journey") as status:
        status.step("every touchpoint's score and interval")
        stats = ui.run_safely(lambda: ui.touchpoint_stats(con, dataset),
                              "Could not score this journey")
        status.step("the outcome and CSAT of the customers who answered its touchpoints")
        outcome_results = ui.outcomes(con, dataset, filters=tp_filter, min_n=min_n)
        (csat,) = ui.compute(con, ["csat"], dataset, filters=tp_filter, min_n=min_n)
        csat_label = ui.item_labels(con, dataset, tp_filter).get("csat")
scores = ui.run_safely(
    lambda: journeys.score_journey(journey, dataset=dataset, assessment=store.assessments(con, name, source),
                                   min_n=min_n, margin=margin, stats_frame=stats),
    "Could not score this journey",
)

if dataset:
    ui.engine_caption()
if journey.persona or journey.goal:
    st.caption(ui.escape_md(" · ".join(x for x in (f"Persona: {journey.persona}" if journey.persona else "",
                                                    f"Goal: {journey.goal}" if journey.goal else "") if x)))

# Headline numbers: the average, the weak count, and NPS / CSAT where the data has them.
# The outcome first (what the journey leads to), then the journey's own numbers.
if outcome_results is not None:
    st.caption("Outcome of the customers who answered this journey's touchpoints")
    ui.outcome_tiles(outcome_results)
tiles = st.columns(3)
scored = scores.scored
tiles[0].metric(
    "Journey average (0–10)", "—" if scores.aggregate is None else f"{scores.aggregate:.1f}",
    help="Mean of the scored touchpoints' 0–10 scores; unscored touchpoints are left out, never counted as 0.",
)
tiles[0].caption(f"{len(scored)} of {len(scores.touchpoints)} touchpoints scored")
tiles[1].metric("Weak touchpoints", len(scores.weak),
                help=f"Below their target, or at least {margin:.1f} points below the journey average; "
                     f"scores with fewer than {min_n} answers are flagged instead.")
if csat is not None:
    ui.metric_tile(tiles[2], csat, label=csat_label)

ui.hides_message(scores)

ui.chart(charts.journey_chart(scores), f"journey-{name}", key="journey_chart")
st.caption("Points joined in journey order; columns are shaded by stage. ▼ red triangles are weak "
           "touchpoints; the dashed line is the journey average; grey bars are 95 % intervals (customer "
           "answers only); green ticks are targets.")

table = charts.journey_table(scores)
st.dataframe(table, hide_index=True, width="stretch", column_config=ui.journey_table_columns())
st.download_button(
    "Download this table (CSV)",
    exports.safe_csv(table, notes=[f"Journey: {name}", f"Data: {dataset or 'team assessment'}",
                                   f"Minimum n: {min_n}", journeys.hides_sentence(scores)]),
    file_name=f"journey-{name}.csv", mime="text/csv",
)
if dataset and sources:
    st.subheader("The team says, customers say")
    report = ui.run_safely(lambda: workshop.assessment_gap(con, name, dataset=dataset, source=source, min_n=min_n,
                                                           customers=scores),
                           "Could not compare the team's scores with customer feedback")
    st.info(ui.escape_md(workshop.gap_sentence(report)))
    gaps = workshop.gap_frame(report)
    st.dataframe(gaps, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in ("team", "customers")}
                 | {"gap": st.column_config.NumberColumn("gap (team − customers)", format="%+.1f")})
    st.caption("The gap between inside-out (the team's assessment) and outside-in (customer answers) is the "
               "finding: a team that rates a touchpoint far above its customers does not see the problem.")

if journey.description:
    with st.expander("About this journey"):
        st.text(journey.description)
        for step in journey.steps:
            if step.note:
                st.text(f"{step.position}. {step.touchpoint}: {step.note}")
