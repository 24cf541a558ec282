"""Comments page: what customers say at a touchpoint — score, sentiment, and the terms behind low scores."""

import streamlit as st

from cx import comments, exports, store, ui

ALL = "(all touchpoints)"
TERM_KEY = "comments_term"  # (touchpoint, term) picked from "What people talk about"

st.set_page_config(page_title="Comments · cx", page_icon="💬", layout="wide")
min_n = ui.sidebar_settings()
st.title("Comments")

con = ui.connection()
dataset = ui.require_dataset(con)
filters = ui.sidebar_filters(con, dataset)
engine = ui.engine()

kinds = store.datasets(con).set_index("dataset")["kind"]
if kinds.get(dataset) == "reviews":
    st.info("Public reviews: an uncontrolled touchpoint source — the company does not run the site these "
            "ratings and texts come from, so read them beside (not instead of) the survey answers.", icon="🌐")

ranked = ui.touchpoints_weakest_first(con, dataset, filters, min_n)
touchpoint_choice = ui.touchpoint_picker(ranked, ALL)
touchpoint = None if touchpoint_choice == ALL else touchpoint_choice
chosen = next((t for t in ranked if t.touchpoint == touchpoint), None)

frame = ui.run_safely(
    lambda: comments.comments(engine, dataset, filters, touchpoint=touchpoint), "Could not read the comments")
answers = comments.answer_count(engine, dataset, filters, touchpoint=touchpoint)
if frame.empty:
    st.info("No comments here: none of the answers that match the filters has a comment. Pick another "
            "touchpoint or widen the filters in the sidebar.")
    st.stop()

tiles = st.columns(4)
tiles[0].metric("Comments", f"{len(frame):,}")
tiles[0].caption(f"{100 * len(frame) / answers:.0f} % of {answers:,} answers" if answers else "")
if chosen is not None and chosen.score is not None:
    tiles[1].metric("Score (0–10)", f"{chosen.score:.1f}")
    tiles[1].caption(f"n = {chosen.n:,}" + (" · few answers" if chosen.low_n else "")
                     + (" · weak" if chosen.weak else ""))
low_label, high_label = comments.band_names(frame)
low_count, high_count = comments.band_counts(frame)
tiles[2].metric("Low-score comments", f"{low_count:,}", help=f"Comments from {low_label}.")
tiles[2].caption(f"high-score: {high_count:,}")
tiles[3].metric("Contradict their score", f"{int(frame['contradicts'].sum()):,}",
                help="Text reads positive with a score of 4 of 10 or less, or negative with 7 of 10 or more.")
st.caption(f"Sentiment: {comments.SENTIMENT_METHOD}.")

# ------------------------------------------------------------ what people talk about
st.subheader("What people talk about")
st.caption(f"Terms typical of comments from {low_label} versus {high_label}. Pick one to read the comments "
           "that contain it.")
terms = comments.distinctive_terms(frame)
picked = st.session_state.get(TERM_KEY)
current_term = picked[1] if isinstance(picked, tuple) and picked[0] == touchpoint_choice else None


def _pick(side: str, touchpoint_shown: str) -> None:
    value = st.session_state.get(f"terms_{side}")
    other = "high" if side == "low" else "low"
    st.session_state[f"terms_{other}"] = None
    st.session_state[TERM_KEY] = (touchpoint_shown, value) if value else None


def _clear_term() -> None:
    st.session_state[TERM_KEY] = None
    st.session_state["terms_low"] = st.session_state["terms_high"] = None


if terms.empty:
    st.info("Too few low- and high-score comments with recurring words to compare (each term needs at least "
            "3 comments).")
else:
    left, right = st.columns(2)
    for column, side, label, n_side in ((left, "low", low_label, low_count), (right, "high", high_label, high_count)):
        part = terms[terms["side"] == side]
        share_col = "low_share" if side == "low" else "high_share"
        shares = dict(zip(part["term"], part[share_col], strict=True))
        with column:
            flag = f" — few comments (fewer than {min_n}), read with care" if n_side < min_n else ""
            if part.empty:
                st.caption(f"No term stands out in comments from {label} (n = {n_side:,}){flag}.")
                continue
            if st.session_state.get(f"terms_{side}") not in shares:
                st.session_state[f"terms_{side}"] = current_term if current_term in shares else None
            with st.container():  # inside a container (not straight in a column) the pills wrap onto more rows
                st.pills(
                    f"In comments from {label} (n = {n_side:,}){flag}", list(shares), selection_mode="single",
                    format_func=lambda term, s=shares: f"{term} · {s[term]:.0f} %", key=f"terms_{side}",
                    on_change=_pick, args=(side, touchpoint_choice),
                    help="The share is the % of these comments that contain the term.",
                )
    with st.expander("The numbers behind the terms"):
        st.dataframe(
            terms, hide_index=True, width="stretch",
            column_config={
                "low_share": st.column_config.NumberColumn("% of low", format="%.1f"),
                "high_share": st.column_config.NumberColumn("% of high", format="%.1f"),
                "log_odds": st.column_config.NumberColumn("log-odds (low vs high)", format="%.2f"),
                "z": st.column_config.NumberColumn("z", format="%.1f"),
            },
        )
        st.caption(comments.TERM_METHOD)

# ------------------------------------------------------------ the comments
st.subheader("Read the comments")
search_col, band_col, flip_col = st.columns([3, 3, 2])
search = search_col.text_input("Search the comments", key="comments_search",
                               help="Every word must appear (any case). Plain text: no patterns.")
bands = band_col.multiselect("Score band", comments.bands_of(frame), key=f"comments_bands_{touchpoint_choice}",
                             placeholder="all bands",
                             help="0–10 scales: detractors 0–6, passives 7–8, promoters 9–10. "
                                  "Other scales: low / middle / high on the 0–10 equivalent.")
contradicting = flip_col.toggle("Only contradicting", key="comments_contradicting",
                                help="Only comments whose sentiment contradicts their score: text that reads positive "
                                     "with a score of 4 of 10 or less, or negative with 7 of 10 or more.")
if current_term:
    term_col, clear_col = st.columns([5, 1])
    term_col.text(f"Showing comments that contain the term: {current_term}")
    clear_col.button("Clear the term", key="comments_clear_term", on_click=_clear_term)

view = comments.select_comments(frame, search=search, bands=bands, contradicting=contradicting, term=current_term)
st.caption(f"{len(view):,} of {len(frame):,} comments, newest first. Comments are shown as plain text.")
if view.empty:
    st.info("No comment matches: loosen the search, the band, the contradiction switch or the term.")
else:
    st.dataframe(
        comments.comments_table(view), hide_index=True, width="stretch", key="comments_table",
        column_config={
            "answered_at": st.column_config.DatetimeColumn("Answered", format="YYYY-MM-DD HH:mm"),
            "touchpoint": st.column_config.TextColumn("Touchpoint"),
            "score": st.column_config.NumberColumn("Score", format="%g"),
            "scale": st.column_config.TextColumn("Scale"),
            "band": st.column_config.TextColumn("Band"),
            "sentiment": st.column_config.NumberColumn("Sentiment", format="%+.2f",
                                                       help="VADER compound score, −1 negative … +1 positive"),
            "sentiment_label": st.column_config.TextColumn("Reads as"),
            "contradicts": st.column_config.CheckboxColumn("Contradicts score"),
            "channel": st.column_config.TextColumn("Channel"),
            "unit": st.column_config.TextColumn("Local unit"),
            "comment": st.column_config.TextColumn("Comment", width="large"),
        },
    )
    with st.expander(f"Read the newest {min(len(view), 20)} in full"):
        for row in view.head(20).to_dict("records"):
            st.text(comments.comment_heading(row))
            st.text(row["comment"])
    notes = [*ui.filter_notes(dataset, filters), f"Touchpoint: {touchpoint_choice}"]
    notes += [f"Search: {search}"] if search.strip() else []
    notes += [f"Bands: {', '.join(bands)}"] if bands else []
    notes += ["Only comments that contradict their score"] if contradicting else []
    notes += [f"Term: {current_term}"] if current_term else []
    st.download_button("Download these comments (CSV)", exports.safe_csv(view, notes=notes),
                       file_name=f"comments-{dataset}.csv", mime="text/csv", key="comments_download")

if touchpoint is not None:
    st.page_link("pages/8_Actions.py", label="Log an action for this touchpoint and track its effect", icon="✅",
                 query_params={"dataset": dataset, "touchpoint": touchpoint})
