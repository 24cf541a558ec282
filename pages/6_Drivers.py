"""Drivers page: which touchpoints move the outcome, and which weak ones to fix first."""

from __future__ import annotations

from typing import Any, TypeVar

import streamlit as st

from cx import driver_charts, driver_data, drivers, exports, metrics, ui, views
from cx.engines import Engine
from cx.errors import CxError, TooLittleForDrivers

st.set_page_config(page_title="Drivers · cx", page_icon="🎯", layout="wide")
md = ui.escape_md  # user text (touchpoint, outcome, segment names) inside Markdown
min_n = ui.sidebar_settings()
st.title("Drivers")
st.caption("Which touchpoints move the outcome the business cares about — and which weak ones to fix first.")

con = ui.connection()
dataset = ui.require_dataset(con)
filters = ui.sidebar_filters(con, dataset)
engine = ui.engine()
# Results are cached per database, feedback source, data version, data set, outcome and filters.
data_key = ui.cache_key(con)
T = TypeVar("T")


def ok(found: T | CxError) -> T:
    """Return a cached result, or raise the refusal cached in its place (a rerun does not query to refuse again)."""
    if isinstance(found, CxError):
        raise found
    return found


@st.cache_data(show_spinner=False, max_entries=32)
def outcome_list(_engine: Engine, key: Any, dataset: str) -> list[driver_data.OutcomeInfo]:
    return driver_data.outcome_list(_engine, dataset)


@st.cache_data(show_spinner=False, max_entries=64)
def analysis_of(_engine: Engine, key: Any, dataset: str, outcome: str, filters: tuple[metrics.Filter, ...],
                min_n: int, rule: str) -> drivers.DriverAnalysis | CxError:
    try:
        return driver_data.analyse(_engine, dataset, outcome, filters=filters, min_n=min_n, rule=rule,
                                   outcomes=outcome_list(_engine, key, dataset))
    except CxError as exc:
        return exc


@st.cache_data(show_spinner=False, max_entries=32)
def intervals_of(_engine: Engine, key: Any, analysis: drivers.DriverAnalysis, filters: tuple[metrics.Filter, ...],
                 resamples: int) -> driver_data.Intervals | CxError:
    # The progress bar is made (and cleared) in here: a cache hit replays it, ending empty.
    text = f"Bootstrap: {resamples} resamples of respondents…"
    bar = st.progress(0.0, text=text)
    try:
        return driver_data.bootstrap_intervals(_engine, analysis, filters=filters, resamples=resamples,
                                               progress=lambda done: bar.progress(done, text=text))
    except CxError as exc:
        return exc
    finally:
        bar.empty()


@st.cache_data(show_spinner=False, max_entries=32)
def segments_of(_engine: Engine, key: Any, dataset: str) -> dict[str, list[str]]:
    return driver_data.segment_options(_engine, dataset)


@st.cache_data(show_spinner="Comparing…", max_entries=64)
def moment_of(_engine: Engine, key: Any, dataset: str, outcome: str, touchpoint: str, mode: str, cut: float,
              filters: tuple[metrics.Filter, ...]) -> driver_data.MomentComparison | CxError:
    try:
        return driver_data.moment_comparison(_engine, dataset, outcome, touchpoint, mode=mode, cut=cut,
                                             filters=filters, outcomes=outcome_list(_engine, key, dataset))
    except CxError as exc:
        return exc


outcomes = ui.run_safely(lambda: outcome_list(engine, data_key, dataset), "Could not read the outcomes")
if not outcomes:
    st.info(f"The data set '{md(dataset)}' has no outcome per respondent (a recommend score, overall satisfaction, "
            "churned yes/no, revenue), so there is nothing to explain. Upload a data set with an outcome column "
            "on the Upload page.")
    st.stop()

left, middle, right = st.columns([3, 2, 2])
with left:
    outcome = ui.query_choice(
        "Outcome", [o.name for o in outcomes], "outcome",
        help="What the touchpoints should explain: a 0–10 recommend score, overall satisfaction, a yes/no outcome.")
with middle:
    rule = st.radio(
        "Missing answers", drivers.RULES, horizontal=True, key="drivers_rule",
        format_func=lambda r: "pairwise" if r == drivers.PAIRWISE else "listwise",
        help="Pairwise: each correlation uses everyone who answered both. Listwise: only respondents who "
             "answered every touchpoint.")
with right:
    st.session_state.setdefault("drivers_resamples", 300)
    resamples = st.select_slider("Bootstrap resamples", options=[100, 200, 300, 500, 1000],
                                 key="drivers_resamples", help="More resamples: steadier intervals, slower.")

assert outcome is not None  # the outcome list is not empty
frozen = tuple(filters)
with ui.Steps("Computing the drivers") as status:
    status.step("correlating each touchpoint with the outcome, then the relative weights")
    found = analysis_of(engine, data_key, dataset, outcome, frozen, min_n, rule)
    if isinstance(found, TooLittleForDrivers):  # a state of the data, not a fault: say what would do
        st.info(md(f"Not enough to analyse drivers yet: {found}."))
        ui.stop()
    analysis = ui.run_safely(lambda: ok(found), "Could not run the driver analysis")

tiles = st.columns(4)
tiles[0].metric(analysis.r2_label, f"{analysis.r2:.2f}",
                help="Share of the differences in the outcome that the touchpoints explain together (0–1).")
tiles[1].metric("Respondents", f"{analysis.respondents:,}",
                help="Respondents with the outcome and at least one answered touchpoint (after filters).")
tiles[2].metric("Touchpoints analysed", f"{len(analysis.touchpoints)} of "
                                        f"{len(analysis.touchpoints) + len(analysis.left_out)}")
tiles[3].metric("Missing answers", analysis.rule)
st.markdown(analysis.reading())
st.caption(analysis.rule_text() + f" Respondents behind one correlation: {analysis.pair_n[0]:,} to "
                                  f"{analysis.pair_n[1]:,}. Computed on {engine.label}.")
for warning in analysis.warnings:
    st.warning(md(warning), icon="⚠️")
if not analysis.higher_is_better:
    st.caption(f"Lower is better for '{md(outcome)}': a negative direction (higher scores, lower outcome) is what "
               "a lever looks like here; a negative driver is one whose higher scores go with more of it.")
if analysis.left_out:
    st.info("Left out, not silently:\n\n" + "\n".join(
        f"- **{md(lo.touchpoint)}**: {md(lo.reason)}" for lo in analysis.left_out))

# ---------------------------------------------------------------- quadrant lines

cuts = views.quadrant_cuts(analysis)
with st.sidebar:
    st.caption("Importance–performance")
    lines_at = st.radio("Quadrant lines at", ["the means", "my targets"], key="drivers_lines",
                        help="The means of the touchpoints shown, or targets you choose.")
    if lines_at == "my targets":
        performance_cut = st.number_input("Performance target (0–10)", 0.0, 10.0, 7.0, 0.5, key="drivers_target")
        importance_cut = st.number_input("Important from (% of explained variance)", 0.0, 100.0,
                                         round(cuts.importance, 1), 1.0, key="drivers_importance_cut")
    else:
        performance_cut, importance_cut = cuts.performance, cuts.importance

# ---------------------------------------------------------------- importance with intervals

st.subheader("Importance of each touchpoint")
# The point estimates show at once; the bootstrap intervals fill in when they are ready.
table_slot = st.empty()


def draw_table(found: driver_data.Intervals | None) -> Any:
    shown = driver_charts.driver_frame(analysis, importance_cut / 100, performance_cut,
                                       found.bounds if found else None)
    table_slot.dataframe(
        shown.drop(columns=["raw_weight"]), hide_index=True, width="stretch",
        column_config={
            "touchpoint": st.column_config.TextColumn("Touchpoint"),
            "importance": st.column_config.NumberColumn(
                "Importance (%)", format="%.1f", help="Share of explained variance (relative weights), sums to 100."),
            "low": st.column_config.NumberColumn("95 % low", format="%.1f"),
            "high": st.column_config.NumberColumn("95 % high", format="%.1f"),
            "correlation": st.column_config.NumberColumn("Correlation", format="%.2f",
                                                         help="Pearson r with the outcome."),
            "beta": st.column_config.NumberColumn("β", format="%.2f",
                                                  help="Standardised regression weight, the others held fixed."),
            "direction": st.column_config.TextColumn(
                "Direction", help="The sign of β: positive, higher scores go with a higher outcome; negative, lower."),
            "performance": st.column_config.NumberColumn("Performance (0–10)", format="%.1f"),
            "n": st.column_config.NumberColumn("n", format="%d", help="Answers from respondents with the outcome."),
            "quadrant": st.column_config.TextColumn(
                "Quadrant", help="Negative driver (β and r below 0) or suppressor (β and r of opposite signs; "
                                 "a β within ±0.05 has no sign to read): never ranked in fix first."),
            "fix_first_rank": st.column_config.NumberColumn(
                "Fix-first rank", format="%d", help="Place in the fix-first list below; empty: not ranked."),
        },
    )
    return shown


frame = draw_table(None)
with ui.Steps("Bootstrap intervals") as status:
    status.step(f"{resamples} resamples of the respondents")
    try:
        intervals: driver_data.Intervals | None = ok(intervals_of(engine, data_key, analysis, frozen, resamples))
    except CxError as exc:
        intervals = None
        st.warning(f"No bootstrap intervals: {md(str(exc))}")
if intervals is not None:
    frame = draw_table(intervals)
    st.caption(intervals.note)
notes = [*ui.filter_notes(dataset, filters), f"Outcome: {outcome}", f"{analysis.r2_label}: {analysis.r2:.4f}",
         f"Missing answers: {analysis.rule} deletion", f"Minimum n: {min_n}",
         f"Fix-first rank: {drivers.FIX_FIRST_RULE} Target {performance_cut:.1f}; important from "
         f"{importance_cut:.1f} % of explained variance",
         *[f"Left out: {lo.touchpoint} ({lo.reason})" for lo in analysis.left_out]]
st.download_button("Download the drivers (CSV)", exports.safe_csv(frame, notes=notes),
                   file_name=f"drivers-{dataset}-{outcome}.csv", mime="text/csv")

st.altair_chart(driver_charts.ipa_chart(frame, importance_cut, performance_cut, analysis.respondents),
                width="stretch")
st.caption("Each touchpoint is placed by its performance (x) and importance (y). Dashed lines: "
           + ("the means of the touchpoints shown." if lines_at == "the means" else "your targets.")
           + " Shapes and names, not only colours, mark the quadrants.")

# ---------------------------------------------------------------- fix first

st.subheader("Fix first")
# The same list (same targets, same order) as the table's rank column, the CSV and `cx drivers --json`.
ranked = analysis.fix_first(performance_cut, importance_cut / 100)
below = [item for item in ranked if item.gap > 0]  # fix first, then low priority
if below:
    st.markdown(drivers.FIX_FIRST_RULE + "\n\n" + "\n".join(
        f"{i}. {md(item.sentence)}" for i, item in enumerate(below, start=1)))
else:
    st.caption(drivers.FIX_FIRST_RULE)
    st.success(f"Every touchpoint that can be ranked is at or above the target of {performance_cut:.1f}.")
above = [item for item in ranked if item.gap <= 0]  # keep up, then possible overkill
if above:
    st.caption("At or above target, in the same order: " + ", ".join(
        f"{i}. {md(item.touchpoint)} ({item.quadrant})" for i, item in enumerate(above, start=len(below) + 1)))
if analysis.not_ranked():
    st.caption("Not ranked (see the warnings above): " + ", ".join(
        f"{md(t.touchpoint)} ({t.caution})" for t in analysis.not_ranked()))

# ---------------------------------------------------------------- segments side by side

st.subheader("Compare two segments")
segments = ui.run_safely(lambda: segments_of(engine, data_key, dataset), "Could not read the segments")
usable = {name: values for name, values in segments.items() if len(values) >= 2}
if not usable:
    st.info("This data set has no segment with two or more values (persona, customer type, region…) to compare.")
else:
    seg_cols = st.columns(3)
    segment = seg_cols[0].selectbox("Segment", list(usable), key="drivers_segment")
    values = usable[segment]
    value_a = seg_cols[1].selectbox("A", values, index=0, key=f"drivers_a_{segment}")
    value_b = seg_cols[2].selectbox("B", values, index=1, key=f"drivers_b_{segment}")
    if value_a == value_b:
        st.info("Pick two different values to compare.")
    else:
        results: dict[str, drivers.DriverAnalysis] = {}
        with ui.Steps("Comparing the segments") as status:
            for side, value in (("A", value_a), ("B", value_b)):
                status.step(f"the drivers of {side}")
                extra = (*frozen, metrics.Filter(f"segment:{segment}", "in", (value,)))
                try:
                    results[value] = ok(analysis_of(engine, data_key, dataset, outcome, extra, min_n, rule))
                except CxError as exc:
                    st.warning(f"{md(segment)} = {md(value)}: {md(str(exc))}")
        if len(results) == 2:
            a, b = results[value_a], results[value_b]
            cols = st.columns(2)
            for col, label, result in ((cols[0], value_a, a), (cols[1], value_b, b)):
                col.metric(f"{result.r2_label} · {md(label)}", f"{result.r2:.2f}")
                col.caption(f"n = {result.respondents:,} respondents · top driver: "
                            f"{md(result.touchpoints[0].touchpoint)}")
            st.altair_chart(driver_charts.comparison_chart(a, b, value_a, value_b), width="stretch")
            st.dataframe(driver_charts.comparison_frame(a, b, value_a, value_b), hide_index=True, width="stretch")

# ---------------------------------------------------------------- moment comparison

st.subheader("Moment comparison")
st.caption("The outcome of customers who rated one touchpoint low versus high — or who went through it versus not.")
names = [t.touchpoint for t in analysis.touchpoints] + [lo.touchpoint for lo in analysis.left_out]
m_cols = st.columns([3, 3, 2])
touchpoint = m_cols[0].selectbox("Touchpoint", names, key="drivers_moment_tp")
mode = m_cols[1].radio("Compare", [driver_data.LOW_HIGH, driver_data.THROUGH], horizontal=True, key="drivers_mode",
                       format_func=lambda m: "rated low vs high" if m == driver_data.LOW_HIGH
                       else "went through it vs not")
cut = m_cols[2].slider("Low is below (0–10)", 0.5, 10.0, 5.0, 0.5, key="drivers_cut",
                       disabled=mode != driver_data.LOW_HIGH)
try:
    moment = ok(moment_of(engine, data_key, dataset, outcome, touchpoint, mode, float(cut), frozen))
except CxError as exc:
    st.warning(f"No comparison: {md(str(exc))}")
else:
    fmt = ("{:+.0f}" if moment.measure == "NPS" else "{:.0f} %" if moment.measure == "% yes" else "{:.2f}")
    g_cols = st.columns(3)
    g_cols[0].metric(f"{moment.measure} · {md(moment.a.label)}", fmt.format(moment.a.value))
    g_cols[0].caption(f"n = {moment.a.n:,}")
    g_cols[1].metric(f"{moment.measure} · {md(moment.b.label)}", fmt.format(moment.b.value))
    g_cols[1].caption(f"n = {moment.b.n:,}")
    g_cols[2].metric(f"Difference ({moment.unit})", f"{moment.diff:+.1f}",
                     help=f"A − B ± {1.96 * moment.se:.1f} (95 %). Test: {moment.test}.")
    verdict = "significant" if moment.significant else "not significant"
    g_cols[2].caption(f"{verdict} (p = {moment.p_two_sided:.3f})" if moment.p_two_sided >= 0.001
                      else f"{verdict} (p < 0.001)")
    (st.warning if moment.significant else st.info)(md(moment.sentence))
    st.altair_chart(driver_charts.moment_chart((moment.a.short, moment.b.short), (moment.a.value, moment.b.value),
                                               (moment.a.n, moment.b.n), moment.measure), width="stretch")
