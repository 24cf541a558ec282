"""Paths page: the order in which customers really met the touchpoints, beside the journey the team designed."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cx import metrics, path_charts, paths, store, ui
from cx.engines import Engine
from cx.models import Journey

NO_JOURNEY = "(no designed journey)"
NO_OUTCOME = "(no outcome)"
md = ui.escape_md  # user text (touchpoint, outcome, journey names) inside Markdown

page = ui.dataset_page("Paths", "🧭", intro=(
    "The path each customer really took — their answers and events in time order — beside the journey the team "
    "designed: the observed order, the most common paths with their outcome, the flow and where customers drop off."))
con, min_n, dataset, filters, notes = page.con, page.min_n, page.dataset, page.filters, page.notes
engine = ui.engine()
data_key = ui.cache_key(con)


@st.cache_data(show_spinner=False, max_entries=64)
def view_of(_engine: Engine, key: Any, dataset: str, outcome: str | None, journey: Journey | None,
            filters: tuple[metrics.Filter, ...], top: int, min_n: int) -> paths.PathsView:
    return paths.observed_paths(_engine, dataset, outcome=outcome, journey=journey, filters=filters, top=top,
                                min_n=min_n)


# Journeys linked to this data set come first: they are what the team designed for these customers.
journeys = {j.name: j for j in store.all_journeys(con)}  # one query for them all
linked = [name for name, j in journeys.items() if j.dataset == dataset]
journey_options = [*linked, NO_JOURNEY, *[name for name in journeys if name not in linked]]
outcome_kinds = ui.filter_options(con, dataset)["outcomes"]
outcome_names = [name for name, _ in outcome_kinds]
first_outcome = paths.default_outcome(outcome_kinds)
outcome_options = ([first_outcome] if first_outcome else []) + [n for n in outcome_names if n != first_outcome]

left, middle, right = st.columns([3, 3, 2])
with left:
    journey_choice = ui.query_choice("Designed journey", journey_options, "journey",
                                     help="The journey the team designed, to compare the observed order with.")
with middle:
    outcome_choice = ui.query_choice("Outcome per path", outcome_options or [NO_OUTCOME], "outcome",
                                     help="NPS for a 0–10 recommend outcome, % positive for yes/no, else the mean.")
with right:
    st.session_state.setdefault("paths_top", paths.DEFAULT_TOP)
    top = int(st.number_input("Paths shown", min_value=1, max_value=100, step=1, key="paths_top",
                              help="The most frequent paths; the rest are counted in the share."))

journey = None if journey_choice in (None, NO_JOURNEY) else journeys[journey_choice]
outcome = None if outcome_choice in (None, NO_OUTCOME) else outcome_choice
with ui.Steps("Following the paths") as status:
    status.step("every customer's answers and events in time order, the paths and their outcome")
    view = ui.run_safely(lambda: view_of(engine, data_key, dataset, outcome, journey, tuple(filters), top, min_n),
                         "Could not follow the paths")

tiles = st.columns(4)
tiles[0].metric("Respondents", f"{view.respondents:,}", help="Respondents with at least one answer or event.")
tiles[1].metric("With an observed order", f"{view.ordered:,}")
tiles[1].caption(f"{view.unordered:,} unordered" + (
    f" ({100 * view.unordered / view.respondents:.0f} %)" if view.respondents else ""))
tiles[2].metric("Different paths", f"{view.distinct_paths:,}")
tiles[2].caption(f"longest: {view.longest} steps" if view.longest else "")
if view.total is not None and view.total.value is not None:
    value = view.total.value
    shown = f"{value:+.0f}" if view.kind == "nps" else f"{value:.1f} %" if view.kind == "binary" else f"{value:,.2f}"
    tiles[3].metric(md(metrics.outcome_label(view.total)), shown, help=metrics.OUTCOME_MEANS.get(view.kind or "", ""))
    tiles[3].caption(f"{view.total.n:,} respondents with an observed order"
                     + (" · low n" if view.total.low_n else ""))
st.caption(paths.ORDER_RULE)

if view.respondents == 0:
    st.info(metrics.why_no_scores(engine, dataset) if not filters else metrics.NO_MATCH)
    st.stop()
if view.ordered == 0:
    st.info("No observed order: every respondent's answers share one timestamp (a survey submitted at once) or "
            "carry none, so there is no path to show — an order is never invented. Import answers or events with "
            "the time each happened (a timestamp column) to see the paths customers take.")
    st.stop()

# ---------------------------------------------------------------- observed vs designed order
st.subheader("Observed order" + ("" if journey is None else " beside the designed journey"))
disagree = [s for s in view.observed if s.note.startswith("designed")]
if journey is not None and disagree:
    st.warning("Customers meet these touchpoints at another place than designed:\n\n" + "\n".join(
        f"- **{md(s.touchpoint)}**: {md(s.note)}" for s in disagree), icon="🔀")
elif journey is not None:
    st.success(f"Customers meet the touchpoints of {md(journey.name)} in the designed order.")
st.caption("Touchpoints sorted by the mean step at which customers first meet them (1 = first; ties by name).")
observed = paths.observed_frame(view)
st.dataframe(observed, hide_index=True, width="stretch", column_config={
    "Mean first step": st.column_config.NumberColumn(format="%.2f"),
    "Note": st.column_config.TextColumn(width="large"),
})
ui.table_download(observed, f"observed-order-{dataset}", notes, key="paths_observed_csv")

# ---------------------------------------------------------------- flow
st.subheader("Flow")
ui.chart(path_charts.flow_chart(view), f"paths-flow-{dataset}", key="paths_flow")
st.caption(f"Each column is a step (the first {paths.FLOW_STEPS} at most); a box is the respondents at that "
           "touchpoint at that step, a band those moving on to the next one (its width = respondents). The part "
           "of a box no band leaves is where paths end. Colour: the outcome of those respondents (grey: none).")

# ---------------------------------------------------------------- variants
st.subheader("Most common paths")
variants = paths.paths_frame(view)
marked = int(variants["Mark"].isin([paths.HIGHER, paths.LOWER]).sum())
st.caption(f"The {len(variants)} most frequent of {view.distinct_paths:,} paths. Outcome: "
           + (md(metrics.outcome_label(view.total)) if view.total is not None else "none chosen")
           + f", 95 % interval; fewer than {min_n} respondents with an outcome: low n, not tested. Each path is "
           "compared with everyone else (two-sided test; yes/no outcomes with few events: Fisher's exact test), and "
           f"▲/▼ mark only the differences that stay significant after Holm's correction over the paths shown "
           f"({marked} marked).")
st.dataframe(variants, hide_index=True, width="stretch", column_config={
    "Path": st.column_config.TextColumn(width="large"),
    "Share %": st.column_config.NumberColumn(format="%.1f"),
    "Outcome": st.column_config.NumberColumn(format="%.1f"),
    "95 % low": st.column_config.NumberColumn(format="%.1f"),
    "95 % high": st.column_config.NumberColumn(format="%.1f"),
    "vs rest": st.column_config.NumberColumn(format="%+.1f"),
    "p (Holm)": st.column_config.NumberColumn(format="%.3f"),
})
ui.table_download(variants, f"paths-{dataset}", notes, key="paths_variants_csv")

# ---------------------------------------------------------------- drop-off and transitions
st.subheader("Drop-off per designed step")
if journey is None or view.designed is None:
    st.info("Pick a designed journey above to see how many customers never reach each of its steps.")
elif not view.designed:
    st.info(f"The journey {md(journey.name)} has no steps yet: add some on the Journey builder page.")
else:
    st.caption(f"Of the {view.ordered:,} respondents with an observed order: who met each step, who never did, who "
               "met it and every earlier step (in any order), and how many of those who got this far did not reach it.")
    designed = paths.designed_frame(view)
    st.dataframe(designed, hide_index=True, width="stretch", column_config={
        "Note": st.column_config.TextColumn(width="large")})
    ui.table_download(designed, f"drop-off-{dataset}", notes, key="paths_designed_csv")

st.subheader("Transitions")
st.caption("Every move from one touchpoint straight to the next, over all steps, most frequent first.")
moves = paths.transitions_frame(view)
st.dataframe(moves, hide_index=True, width="stretch",
             column_config={"% of moves from it": st.column_config.NumberColumn(format="%.1f")})
ui.table_download(moves, f"transitions-{dataset}", notes, key="paths_transitions_csv")
