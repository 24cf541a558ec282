"""Workshop: a facilitator runs a live scoring session; participants vote from their phones.

Three views on one page (one stable URL):
- /Workshop                          start a workshop, or join one with a code;
- /Workshop?code=CODE                a participant's voting form (narrow-screen friendly);
- /Workshop?code=CODE&view=present   the presenter view: join code, live results, close.
"""

from datetime import datetime
from typing import Any

import streamlit as st

from cx import builder, charts, journeys, store, ui, workshop
from cx.errors import CxError
from cx.models import JourneyScores

REFRESH_SECONDS = 2
code_param = st.query_params.get("code")
presenting = st.query_params.get("view") == "present"
voting = bool(code_param) and not presenting
st.set_page_config(page_title="Workshop · cx", page_icon="🗳️", layout="centered" if voting else "wide",
                   initial_sidebar_state="collapsed" if voting else "auto")
if not voting:  # participants on phones get the voting form only, never the server's settings
    ui.sidebar_settings()
con = ui.connection()


def go(**params: str) -> None:
    """Switch view: replace the query string and rerun."""
    st.query_params.clear()
    st.query_params.update(params)
    st.rerun()


def page_url() -> str | None:
    try:
        return st.context.url
    except Exception:  # no browser behind this session (tests, bare mode)
        return None


def participant_id() -> str:
    """Return this participant's id: kept in the session and in the link, so a reload keeps the same votes."""
    mine = st.query_params.get("me")
    pid = mine if workshop.is_participant_id(mine) else st.session_state.get("workshop_participant")
    if not workshop.is_participant_id(pid):
        pid = workshop.new_participant_id()
    st.session_state["workshop_participant"] = pid
    if st.query_params.get("me") != pid:
        st.query_params["me"] = pid
    return str(pid)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def find_workshop(text: str) -> workshop.Workshop:
    code = ui.run_safely(lambda: workshop.normalise_code(text), "Cannot open this workshop")
    return ui.run_safely(lambda: workshop.get_workshop(con, code), "Cannot open this workshop")


# ---------------------------------------------------------------- participants


def vote_view(text: str) -> None:
    session = find_workshop(text)
    code = session.code
    st.title(f"Workshop {code}")
    journey = store.load_journey(con, session.journey)
    st.caption(ui.escape_md(" · ".join(x for x in (journey.name, journey.persona and f"Persona: {journey.persona}")
                                       if x)))
    send_key = f"send_{code}"
    if not session.is_open:
        if st.session_state.get(send_key):  # they pressed Send after the facilitator closed the workshop
            st.error(f"Workshop {code} closed before your scores arrived: they were not counted. "
                     "Thank you for taking part!")
        else:
            st.info("This workshop is closed. Thank you for taking part!")
        st.stop()
    pid = participant_id()
    name, mine = workshop.participant_votes(con, code, pid)
    st.markdown("Score each touchpoint from **0** (very bad) to **10** (excellent), as customers experience it. "
                "Skip any you cannot judge. Send as often as you like: your latest score counts.")
    with st.form(f"vote_{code}"):
        display = st.text_input("Your name (optional)", value=name or "", max_chars=workshop.MAX_NAME,
                                placeholder="leave empty to stay anonymous")
        picked: dict[str, tuple[int | None, str]] = {}
        for step in journey.steps:
            before = mine.get(step.touchpoint)
            label = f"{step.position}. {builder.escape_markdown(step.touchpoint)}"
            if step.stage:
                label += f" · :gray[{builder.escape_markdown(step.stage)}]"
            score = st.pills(label, list(range(11)), default=None if before is None else int(before.score),
                             key=f"score_{code}_{step.position}")
            comment = st.text_input(
                f"Comment on {builder.escape_markdown(step.touchpoint)} (optional)", label_visibility="collapsed",
                value=(before.comment or "") if before else "", max_chars=workshop.MAX_COMMENT,
                placeholder="comment (optional)", key=f"comment_{code}_{step.position}")
            picked[step.touchpoint] = (score, comment)
        sent = st.form_submit_button("Send my scores", type="primary", width="stretch", key=send_key)
    if sent:
        votes = {tp: workshop.Vote(score, comment or None) for tp, (score, comment) in picked.items()
                 if score is not None}
        if not votes:
            st.warning("Pick a score for at least one touchpoint, then send.")
            return
        try:
            count = workshop.cast_votes(con, code, pid, votes, display_name=display)
        except workshop.WorkshopClosed as exc:
            st.error(ui.escape_md(f"{exc} Your scores arrived after it closed and were not counted."))
            return
        except CxError as exc:
            st.error(ui.escape_md(f"Your scores were not saved: {exc}"))
            return
        st.success(f"Thank you! {_count(count, 'score')} saved at {datetime.now():%H:%M:%S}. "
                   "Change any and send again to replace them.", icon=":material/check_circle:")


# ---------------------------------------------------------------- presenter


@st.cache_data(max_entries=64, show_spinner=False)
def chart_spec(scores: JourneyScores) -> dict[str, Any]:
    """Return the journey chart's Vega-Lite spec; cached by the scores, since building it takes ~0.4 s."""
    return charts.journey_chart(scores).to_dict()


def results(code: str) -> None:
    """Draw the workshop's scores so far: tiles, the journey curve, the table and the comments."""
    live_con = ui.connection()  # a fragment run gets its own cursor
    session = workshop.get_workshop(live_con, code)  # again: a fragment run must see the workshop close
    tally = workshop.tally(live_con, code)  # the votes read once: the table and the scores
    scores = workshop.live_scores(live_con, code, session=session, tallied=tally)
    tiles = st.columns(4)
    tiles[0].metric("Participants", workshop.participant_count(live_con, code))
    tiles[1].metric("Votes", int(tally["votes"].sum()))
    tiles[2].metric("Team average (0–10)", "—" if scores.aggregate is None else f"{scores.aggregate:.1f}",
                    help="Mean of the touchpoints' mean votes; touchpoints without votes are left out.")
    tiles[3].metric("Weak touchpoints", len(scores.weak))
    if scores.aggregate is None:
        st.info("No votes yet: participants join with the code above.")
        return
    sentence = journeys.hides_sentence(scores)
    (st.warning if scores.weak else st.success)(ui.escape_md(sentence))
    # The live view redraws every few seconds while votes arrive: reuse the chart until the scores change.
    st.vega_lite_chart(spec=chart_spec(scores), width="stretch")
    st.caption("Each point is the mean of the votes; n is the number of votes. ▼ marks weak touchpoints; "
               "the dashed line is the team's average.")
    status = charts.journey_frame(scores)[["position", "status", "why"]]
    table = tally.merge(status, on="position")[
        ["position", "touchpoint", "stage", "votes", "mean", "spread", "lowest", "highest", "status", "why"]]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "position": st.column_config.NumberColumn("#"),
        "touchpoint": st.column_config.TextColumn("Touchpoint"),
        "stage": st.column_config.TextColumn("Stage"),
        "status": st.column_config.TextColumn("Status"),
        "votes": st.column_config.NumberColumn("Votes (n)"),
        "mean": st.column_config.NumberColumn("Mean (0–10)", format="%.1f"),
        "spread": st.column_config.NumberColumn("Spread (SD)", format="%.1f",
                                                help="Standard deviation of the votes: high = the team disagrees."),
        "lowest": st.column_config.NumberColumn("Lowest", format="%.0f"),
        "highest": st.column_config.NumberColumn("Highest", format="%.0f"),
        "why": st.column_config.TextColumn("Why weak"),
    })
    notes = workshop.comments(live_con, code)
    with st.expander(f"Comments ({len(notes)})"):
        if notes.empty:
            st.caption("No comments yet.")
        else:
            st.dataframe(notes[["touchpoint", "name", "score", "comment"]], hide_index=True, width="stretch",
                         column_config={"touchpoint": "Touchpoint", "name": "Name",
                                        "score": st.column_config.NumberColumn("Score", format="%.0f"),
                                        "comment": "Comment"})
    if session.is_open:
        st.caption(f"Live: refreshes every {REFRESH_SECONDS} s · last update {datetime.now():%H:%M:%S}")


def present_view(text: str) -> None:
    session = find_workshop(text)
    code = session.code
    st.title(f"Workshop: {ui.escape_md(session.journey)}")
    if st.button("← All workshops"):
        go()
    for kind, message in st.session_state.pop("workshop_flash", []):
        getattr(st, kind)(ui.escape_md(message))
    if session.is_open:
        link = workshop.join_link(page_url(), code)
        left, right = st.columns([3, 1])
        with left:
            st.metric("Join code", code)
            st.markdown("Participants open this link (or scan the code) and vote on their phones:")
            st.code(link, language=None)
            if workshop.is_local_link(link):
                st.caption("This link points at this computer only, so phones cannot open it. Start the app with "
                           "`--server.address 0.0.0.0` and open it through this computer's network address "
                           "(for example http://192.168.1.20:8501).")
        right.image(workshop.join_qr_png(link), caption="Scan to vote", width=200)
        # A container of its own: the confirmation appearing must not shift the live view's elements,
        # or a click on "Yes" made while the page redraws can be lost (seen in the browser test).
        with st.container():
            close_controls(session)
        st.fragment(run_every=REFRESH_SECONDS)(results)(code)
    else:
        st.info(ui.escape_md(f"This workshop closed at {session.closed_at:%Y-%m-%d %H:%M} UTC; its scores are saved "
                             f"as the assessment '{session.source}' of the journey '{session.journey}'."))
        results(code)
        compare_with_customers(session)


def close_controls(session: workshop.Workshop) -> None:
    # Callbacks, not `if st.button(...): … st.rerun()`: one script run per click.
    key = f"workshop_confirm_{session.code}"
    if not st.session_state.get(key):
        st.button("Close the workshop…", help="Stops voting and saves the scores as an assessment.",
                  on_click=st.session_state.update, args=({key: True},))
        return
    st.warning(ui.escape_md(f"Close workshop {session.code} now? Voting stops, and the scores are saved as the "
                            f"assessment '{session.source}' of '{session.journey}'."))
    yes, no = st.columns(2)
    yes.button("Yes, close and save", type="primary", on_click=close, args=(session,))
    no.button("Cancel", on_click=st.session_state.update, args=({key: False},))


def close(session: workshop.Workshop) -> None:
    """Close the workshop (a button callback: runs before the page is drawn)."""
    st.session_state[f"workshop_confirm_{session.code}"] = False
    flash = st.session_state.setdefault("workshop_flash", [])
    try:
        scores = workshop.close_workshop(ui.connection(), session.code)
    except CxError as exc:
        flash.append(("error", f"Could not close the workshop: {exc}"))
        return
    votes = sum(n for _, n in scores.values())
    flash.append(("success", f"Closed. {_count(votes, 'vote')} on {_count(len(scores), 'touchpoint')} saved as "
                             f"'{session.source}'." if scores else "Closed. Nobody voted, so no assessment was saved."))


def compare_with_customers(session: workshop.Workshop) -> None:
    st.subheader("The team beside customers")
    report = ui.run_safely(lambda: workshop.assessment_gap(con, session.journey, source=session.source),
                           "Could not compare with customer feedback")
    st.markdown(builder.escape_markdown(workshop.gap_sentence(report)))
    if report.dataset is not None:
        st.dataframe(workshop.gap_frame(report), hide_index=True, width="stretch", column_config={
            "position": st.column_config.NumberColumn("#"),
            "touchpoint": "Touchpoint", "stage": "Stage", "status": "Status",
            "team": st.column_config.NumberColumn("Team says (0–10)", format="%.1f"),
            "team_votes": st.column_config.NumberColumn("Votes"),
            "customers": st.column_config.NumberColumn("Customers say (0–10)", format="%.1f"),
            "n": st.column_config.NumberColumn("Customer answers (n)"),
            "gap": st.column_config.NumberColumn("Gap (team − customers)", format="%+.1f"),
        })
    st.page_link("pages/1_Journey.py", label="Open the journey on the Journey page", icon="🧭",
                 query_params={"journey": session.journey})


# ---------------------------------------------------------------- facilitator's start page


def start_view() -> None:
    st.title("Workshop")
    st.caption("Score a journey together: everyone votes on their phone, the screen shows the result live, "
               "and closing the workshop saves it beside customer feedback.")
    join, run = st.columns(2)
    with join, st.form("workshop_join"):
        typed = st.text_input("Join a workshop", placeholder="code from the screen, e.g. K7MQD", max_chars=12)
        if st.form_submit_button("Join"):
            code = ui.run_safely(lambda: workshop.normalise_code(typed), "Cannot join")
            go(code=code)
    names = store.journey_names(con)
    with run:
        if not names:
            st.info("There is no journey to score yet: build one on the Journey builder page.")
        else:
            with st.form("workshop_start"):
                journey = st.selectbox("Journey to score", names)
                if st.form_submit_button("Start a workshop", type="primary"):
                    session = ui.run_safely(lambda: workshop.start_workshop(con, journey), "Could not start")
                    go(code=session.code, view="present")
    running = workshop.list_workshops(con, status=workshop.OPEN)
    st.subheader("Running workshops")
    if not running:
        st.caption("None at the moment.")
    for session in running:
        cols = st.columns([1, 3, 2, 1], vertical_alignment="center")
        cols[0].markdown(f"**{session.code}**")
        cols[1].markdown(builder.escape_markdown(session.journey))
        cols[2].caption(f"started {session.started_at:%Y-%m-%d %H:%M} UTC · "
                        f"{workshop.participant_count(con, session.code)} participants")
        if cols[3].button("Present", key=f"present_{session.code}"):
            go(code=session.code, view="present")
    closed = workshop.list_workshops(con, status=workshop.CLOSED)
    if closed:
        st.subheader("Closed workshops")
        for session in closed:
            cols = st.columns([1, 3, 2, 1], vertical_alignment="center")
            cols[0].markdown(f"**{session.code}**")
            cols[1].markdown(builder.escape_markdown(session.journey))
            cols[2].caption(f"closed {session.closed_at:%Y-%m-%d %H:%M} UTC")
            if cols[3].button("Results", key=f"results_{session.code}"):
                go(code=session.code, view="present")


if presenting and code_param:
    present_view(code_param)
elif voting and code_param:
    vote_view(code_param)
else:
    start_view()
