"""Channels: the same touchpoint across channels, with inconsistent experiences flagged."""

import pandas as pd
import streamlit as st

from cx import charts, ui, views

page = ui.dataset_page("Channels", "🔀", intro=(
    "One touchpoint can be served by several channels; a customer should get the same experience on "
    "each. A gap between channels is a finding in itself."))
con, min_n, dataset, filters, notes = page.con, page.min_n, page.dataset, page.filters, page.notes

with ui.Steps("Comparing the channels") as status:
    status.step("every touchpoint's score per channel, with its interval")
    stats = ui.touchpoint_stats(con, dataset, filters, by="channel")  # once per filter
if stats.empty:
    st.info("These answers carry no channel. Map a channel column at import to compare channels.")
    st.stop()
min_gap = st.slider("Flag gaps of at least (points of 10)", 0.5, 3.0, 1.0, 0.5)
gaps = views.channel_gaps(stats, min_n=min_n, min_gap=min_gap)
flagged = gaps[gaps["inconsistent"]]
if flagged.empty:
    st.success("No touchpoint shows a significant gap between its channels.")
else:
    st.warning(ui.escape_md(f"{len(flagged)} touchpoint(s) differ between channels: "
                            + "; ".join(f"{r.touchpoint} ({r.note})" for r in flagged.itertuples())), icon="⚠️")

frame = stats.merge(gaps[["touchpoint", "inconsistent"]], on="touchpoint")
frame["gap_flag"] = frame["inconsistent"].map({True: "⚠ channel gap", False: ""})
ui.chart(charts.channel_chart(frame[["touchpoint", "channel", "score", "low", "high", "n", "gap_flag"]]),
         "channels", key="channel_chart")
st.caption(f"Dots are the 0–10 score per channel with 95 % intervals; channels with fewer than {min_n} answers "
           "are not compared. Gap test: two-sided z-test on the best and worst channel's means.")

table = pd.DataFrame({
    "Touchpoint": frame["touchpoint"], "Channel": frame["channel"], "n": frame["n"],
    "Score (0–10)": frame["score"], "95 % low": frame["low"], "95 % high": frame["high"],
    "Reliable": frame["n"].map(lambda n: "yes" if n >= min_n else f"no (< {min_n})"),
    "Channel gap": frame["gap_flag"],
})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.1f")
                            for c in ("Score (0–10)", "95 % low", "95 % high")})
ui.table_download(table, f"channels-{dataset}", notes, key="channels_csv")
st.dataframe(gaps.rename(columns={"touchpoint": "Touchpoint", "gap": "Gap (points)", "p": "p"}),
             hide_index=True, width="stretch",
             column_config={"Gap (points)": st.column_config.NumberColumn(format="%.1f"),
                            "p": st.column_config.NumberColumn(format="%.3f")})
