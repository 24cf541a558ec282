"""Comments page: what customers say, in their language — score, sentiment, themes, and the terms behind low scores."""

from typing import Any

import pandas as pd
import streamlit as st

from cx import comments, comments_text, comments_themes, exports, store, ui
from cx.metrics import Filter

ALL = "(all touchpoints)"
TERM_KEY = "comments_term"  # (touchpoint, term) picked from "What people talk about"


@st.cache_data(show_spinner="Finding the terms behind low and high scores…", max_entries=64)
def terms_of(_frame: pd.DataFrame, key: Any, dataset: str, filters: tuple[Filter, ...],
             touchpoint: str | None) -> pd.DataFrame:
    # `_frame` is ui.comments(...) of exactly these arguments: the key, not the frame, is hashed.
    return comments.distinctive_terms(_frame)


st.set_page_config(page_title="Comments · cx", page_icon="💬", layout="wide")
min_n = ui.sidebar_settings()
st.title("Comments")

con = ui.connection()
dataset = ui.require_dataset(con)
filters = ui.sidebar_filters(con, dataset)

if store.dataset_kind(con, dataset) == "reviews":  # not ui.datasets: its respondent counts read every answer
    st.info("Public reviews: an uncontrolled touchpoint source — the company does not run the site these "
            "ratings and texts come from, so read them beside (not instead of) the survey answers.", icon="🌐")

with ui.Steps("Reading the comments") as status:
    status.step("scoring the touchpoints")
    ranked = ui.touchpoints_weakest_first(con, dataset, filters, min_n)
    status.step("language and sentiment of every comment (once per data set), score bands")
    everything = ui.run_safely(lambda: ui.comments(con, dataset, filters), "Could not read the comments")
whole_n = int(everything["touchpoint"].isna().sum())  # respondent-level comments (one per respondent)
options = [t.touchpoint for t in ranked]
# A wide file's comments belong to whole responses, not to a touchpoint: open on all touchpoints then.
options = [ALL, *options] if whole_n and whole_n == len(everything) else [*options, ALL]
touchpoint_choice = ui.query_choice(
    "Touchpoint (weakest first)", options, "touchpoint",
    help="Touchpoints are listed from the lowest 0–10 score up; scores from too few answers come last.")
touchpoint = None if touchpoint_choice == ALL else touchpoint_choice
chosen = next((t for t in ranked if t.touchpoint == touchpoint), None)

frame = everything if touchpoint is None else ui.run_safely(
    lambda: ui.comments(con, dataset, filters, touchpoint=touchpoint), "Could not read the comments")
answers = ui.cached(comments.answer_count, dataset, tuple(filters), touchpoint=touchpoint, con=con)
whole_note = (f"{whole_n:,} comments belong to whole responses, one per respondent (the same text on each of a "
              f"respondent's answers, as a wide file gives): they are compared with the respondent's outcome or "
              f"overall score, not with a touchpoint.") if whole_n else ""
if frame.empty:
    st.info("No comments here: none of the answers that match the filters has a comment. Pick another "
            "touchpoint or widen the filters in the sidebar."
            + (f" {whole_note} Choose {ALL} to read them." if whole_note and touchpoint is not None else ""))
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
languages = comments.language_counts(frame)
st.caption("Languages: " + " · ".join(
    f"{comments_text.language_name(lang)} {n:,}" + ("" if has else " (no sentiment)") for lang, n, has in languages)
    + (f". {whole_note}" if whole_note and touchpoint is None else ""))
st.caption(f"Sentiment: {comments.SENTIMENT_METHOD}.")

# ------------------------------------------------------------ what people talk about
st.subheader("What people talk about")
st.caption(f"Terms typical of comments from {low_label} versus {high_label}. Pick one to read the comments "
           "that contain it.")
terms = terms_of(frame, ui.cache_key(con), dataset, tuple(filters), touchpoint)
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
        shown = dict(zip(part["term"], part["shown"], strict=True))
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
                    format_func=lambda term, s=shares, w=shown: f"{w[term]} · {s[term]:.0f} %", key=f"terms_{side}",
                    on_change=_pick, args=(side, touchpoint_choice),
                    help="The share is the % of these comments that contain the term.",
                )
    with st.expander("The numbers behind the terms"):
        st.dataframe(
            terms, hide_index=True, width="stretch",
            column_config={
                "term": st.column_config.TextColumn("term (lemmas)"),
                "shown": st.column_config.TextColumn("as written"),
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
    term_shown = dict(zip(terms["term"], terms["shown"], strict=True)).get(current_term, current_term)
    term_col.text(f"Showing comments that contain the term: {term_shown}")
    clear_col.button("Clear the term", key="comments_clear_term", on_click=_clear_term)

view = comments.select_comments(frame, search=search, bands=bands, contradicting=contradicting, term=current_term)
shown = view.head(comments.TABLE_ROWS)
st.caption(f"{len(view):,} of {len(frame):,} comments, newest first. Comments are shown as plain text."
           + (f" The table holds the newest {len(shown):,}: narrow the selection above, or download them all below."
              if len(shown) < len(view) else ""))
if view.empty:
    st.info("No comment matches: loosen the search, the band, the contradiction switch or the term.")
else:
    st.dataframe(
        comments.comments_table(shown), hide_index=True, width="stretch", key="comments_table",
        column_config={
            "answered_at": st.column_config.DatetimeColumn("Answered", format="YYYY-MM-DD HH:mm"),
            "touchpoint": st.column_config.TextColumn("Touchpoint", help=f"{comments.WHOLE_RESPONSE}: one comment "
                                                      "per respondent, compared with their outcome or overall score"),
            "language": st.column_config.TextColumn("Language"),
            "score": st.column_config.NumberColumn("Score", format="%g"),
            "scale": st.column_config.TextColumn("Scale"),
            "band": st.column_config.TextColumn("Band"),
            "sentiment": st.column_config.NumberColumn(
                "Sentiment", format="%+.2f", help="−1 negative … +1 positive; blank where the language has none"),
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
    # Written when the button is pressed, not on every rerun (a large selection takes seconds to make safe).
    st.download_button("Download these comments (CSV)", lambda: exports.safe_csv(view, notes=notes),
                       file_name=f"comments-{dataset}.csv", mime="text/csv", key="comments_download")

# ------------------------------------------------------------ themes
st.subheader("Themes")
theme_col, k_col = st.columns([3, 1])
themes_of = theme_col.radio("Themes of", ["low-score comments", "all comments"], horizontal=True,
                            key="comments_themes_of", help=f"Low-score comments: those from {low_label}.")
k = int(k_col.number_input("Themes (at most)", min_value=2, max_value=12, value=comments_themes.DEFAULT_K,
                           step=1, key="comments_themes_k"))
with ui.Steps("Finding the themes") as status:
    status.step("topic model of the comments (TF-IDF and NMF)")
    found = ui.comment_themes(con, dataset, filters, touchpoint=touchpoint, low_only=themes_of != "all comments",
                              k=k)
if found.reason:
    st.info(found.reason + (" Try all comments." if themes_of != "all comments" else ""))
else:
    st.caption(f"{len(found.themes)} themes in {found.comments:,} comments"
               + (f" ({found.without_theme:,} share no recurring word with the others)" if found.without_theme else "")
               + (f" — few comments (fewer than {min_n}), read with care" if found.comments < min_n else "") + ".")
    st.dataframe(
        comments_themes.themes_table(found), hide_index=True, width="stretch", key="comments_themes_table",
        column_config={
            "theme": st.column_config.TextColumn("Theme"),
            "terms": st.column_config.TextColumn("Leading terms", width="large"),
            "n": st.column_config.NumberColumn("Comments", format="%d"),
            "share": st.column_config.NumberColumn("Share", format="%.0f %%"),
            "mean_score": st.column_config.NumberColumn("Mean score", format="%.2f"),
            "scale": st.column_config.TextColumn("Scale"),
        },
    )
    for theme in found.themes:
        with st.expander(f"Examples: {ui.escape_md(theme.label)} (n = {theme.n:,})"):
            for example in theme.examples:
                st.text(example)
    st.caption(comments_themes.THEME_METHOD)

if touchpoint is not None:
    st.page_link("pages/8_Actions.py", label="Log an action for this touchpoint and track its effect", icon="✅",
                 query_params={"dataset": dataset, "touchpoint": touchpoint})
