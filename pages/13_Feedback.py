"""Feedback: customers answer one question about a touchpoint; the organiser creates the links.

Two views on one page (one stable URL):
- /Feedback?t=TOKEN   the answer view, phone first: the question, one button per score, an optional
                      comment, Send. Opening it records nothing; only Send does, once.
- /Feedback           the organiser view: single-use links (a CSV to mail) or a shared link with its QR code.
"""

from collections.abc import Sequence

import streamlit as st

from cx import store, survey, ui, workshop
from cx.errors import CxError

answering = "t" in st.query_params
st.set_page_config(page_title="Feedback · cx", page_icon="💬", layout="centered" if answering else "wide",
                   initial_sidebar_state="collapsed" if answering else "auto")
if not answering:  # customers get the question only, never the server's settings
    ui.sidebar_settings()
con = ui.connection()
THANKS = "Thank you! Your answer is saved."
# The customer view is the question only: no sidebar (its page list leads into the organiser's dashboards), and
# score buttons a thumb can hit (at least 48 px, in even rows: survey.score_columns). Constant CSS, no user text.
NO_SIDEBAR_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
  { display: none !important; }
</style>"""
SCORES_CSS = """<style>
[data-testid="stButtonGroup"] [role="radiogroup"]
  {{ display: grid; grid-template-columns: repeat({columns}, minmax(0, 1fr)); gap: 0.5rem; width: 100%;
     max-width: none; }}
[data-testid="stButtonGroup"] [role="radio"]
  {{ width: 100%; max-width: none; min-height: 3rem; border-radius: 0.75rem; font-size: 1.2rem;
     justify-content: center; }}
</style>"""


def page_url() -> str | None:
    try:
        return st.context.url
    except Exception:  # no browser behind this session (tests, bare mode)
        return None


def browser_sender() -> str:
    """Return this browser's sender id for shared links: from its XSRF cookie, else one per session."""
    try:
        cookie = next((st.context.cookies[name] for name in survey.XSRF_COOKIES if name in st.context.cookies), None)
    except Exception:  # no browser behind this session
        cookie = None
    sender = survey.sender_from_cookie(cookie) or st.session_state.get("feedback_sender") or survey.session_sender()
    st.session_state.setdefault("feedback_sender", sender)
    return str(sender)


# ---------------------------------------------------------------- customers


def send_answer(token: str, sender: str, keys: dict[str, str]) -> None:
    """Store the picked score and comment (the Send button's callback: runs before the page is drawn)."""
    score = st.session_state.get(keys["score"])
    if score is None:
        st.session_state[keys["problem"]] = "Pick a score first, then press Send."
        return
    try:
        survey.send(ui.connection(), token, score, st.session_state.get(keys["comment"]) or None, sender)
    except (survey.AlreadyAnswered, survey.LinkExpired, survey.LinkNotFound) as exc:
        st.session_state[keys["done"]] = str(exc)
    except CxError as exc:
        st.session_state[keys["problem"]] = f"Your answer was not saved: {exc}"
    else:
        st.session_state[keys["done"]] = THANKS


def answer_view(token: str) -> None:
    st.html(NO_SIDEBAR_CSS)
    sender = browser_sender()
    # Session keys from the link's hash: the token itself stays out of the page's state.
    tag = survey.token_hash(token)[:16] if survey.is_token(token) else "none"
    keys = {name: f"feedback_{name}_{tag}" for name in ("score", "comment", "done", "problem")}
    done = st.session_state.get(keys["done"])
    if done:
        (st.success if done == THANKS else st.info)(done)
        return
    found = survey.lookup(con, token, sender=sender)
    if found.status is survey.LinkStatus.ANSWERED:
        st.info(found.message)
        return
    if found.link is None:  # unknown or expired: nothing about the link is shown
        st.warning(found.message)
        return
    link = found.link
    st.html(SCORES_CSS.format(columns=survey.score_columns(len(link.scores))))
    st.header(ui.escape_md(link.question))
    lo, hi = link.scores[0], link.scores[-1]
    with st.form(f"feedback_{tag}", border=False):
        st.pills("Your score", link.scores, key=keys["score"], width="stretch")
        st.caption(f"{lo} = very poor · {hi} = excellent")
        st.text_area("Comment (optional)", key=keys["comment"], max_chars=survey.MAX_COMMENT,
                     placeholder="What made it so?")
        st.form_submit_button("Send", type="primary", width="stretch", on_click=send_answer,
                              args=(token, sender, keys))
    problem = st.session_state.pop(keys["problem"], None)
    if problem:
        st.warning(ui.escape_md(problem))


# ---------------------------------------------------------------- the organiser

NEW_DATASET = "New live data set…"
NEW_TOUCHPOINT = "Another touchpoint…"
SCALES = {"0–10": (0.0, 10.0), "1–5": (1.0, 5.0), "1–7": (1.0, 7.0)}
LINKS_KEY = "feedback_links"


def touchpoint_choice(dataset: str | None) -> str:
    known = ui.stored(survey.touchpoints_of, dataset, con=con) if dataset else []
    picked = st.selectbox("Touchpoint", [*known, NEW_TOUCHPOINT], key="feedback_touchpoint") if known \
        else NEW_TOUCHPOINT
    if picked != NEW_TOUCHPOINT:
        return str(picked)
    return st.text_input("Touchpoint name", key="feedback_touchpoint_name", placeholder="e.g. Checkout")


def scale_choice(dataset: str, touchpoint: str) -> tuple[float, float] | None:
    known = ui.stored(survey.touchpoint_scale, dataset, touchpoint, con=con) if dataset and touchpoint else []
    own = (f"as asked now ({known[0][0]:g}–{known[0][1]:g})" if len(known) == 1 else
           "0–10 (a new touchpoint)" if not known else "pick one: asked on several scales")
    picked = st.selectbox("Scale", [own, *SCALES], key="feedback_scale",
                          help="One button per score. The touchpoint's own scale keeps its answers comparable.")
    return SCALES.get(str(picked))


def show_links(links: Sequence[survey.NewLink]) -> None:
    first = links[0]
    st.subheader(f"{len(links)} {'shared' if first.shared else 'single-use'} link{'s' if len(links) != 1 else ''}")
    expiry = f"expire on {first.expires_at:%Y-%m-%d %H:%M} UTC" if first.expires_at else "never expire"
    st.caption(ui.escape_md(f"Data set '{first.dataset}' · touchpoint '{first.touchpoint}' · "
                            f"scale {first.scale_min:g}–{first.scale_max:g} · the links {expiry}"))
    st.warning("Copy or download these links now: cx keeps only a fingerprint of each token, so it cannot show "
               "them again.")
    frame = survey.links_frame(links)
    # On screen the link itself, whole (the caption says the rest); the CSV has every column.
    st.dataframe(frame, hide_index=True, width="stretch", column_order=("url",), column_config={
        "url": st.column_config.TextColumn("Link", width="large"), "token": "Token", "dataset": "Data set",
        "touchpoint": "Touchpoint", "kind": "Kind", "scale": "Scale",
        "expires_at": st.column_config.DatetimeColumn("Expires (UTC)", format="YYYY-MM-DD HH:mm")})
    ui.table_download(frame, "survey links", [f"Data set: {first.dataset}", f"Touchpoint: {first.touchpoint}"],
                      key="feedback_csv")
    if workshop.is_local_link(first.url):
        st.caption("These links point at this computer only: customers' phones cannot open them. Set the base "
                   "URL to the address the app is reached at from outside.")
    for number, link in enumerate([n for n in links if n.shared][:10], start=1):
        left, right = st.columns([3, 1])
        left.code(link.url, language=None)
        qr = workshop.join_qr_png(link.url)
        right.image(qr, caption="Scan to answer", width=200)
        right.download_button("Download QR code (PNG)", qr, file_name=f"feedback-qr-{number}.png", mime="image/png",
                              key=f"feedback_qr_{number}", help="For a poster or a receipt: print it large enough "
                              "to scan from a step away (5 cm or more).")


def organiser_view() -> None:
    st.title("Feedback links")
    st.caption("Ask customers one question at the moment of the touchpoint: single-use links for an e-mail or a "
               "receipt, or one shared link with a QR code for a poster. Answers land in the data set at once "
               "and show on every page; opening a link records nothing.")
    datasets = store.dataset_names(con)
    left, right = st.columns(2)
    with left:
        picked = st.selectbox("Data set the answers go to", [*datasets, NEW_DATASET], key="feedback_dataset")
        dataset = st.text_input("Name of the new live data set", key="feedback_new_dataset",
                                placeholder="e.g. Store feedback") if picked == NEW_DATASET else str(picked)
        touchpoint = touchpoint_choice(None if picked == NEW_DATASET else dataset)
        scale = scale_choice(dataset, touchpoint)
    with right:
        kind = st.radio("Kind of link", ["Single-use links (one answer each)",
                                         "Shared link + QR code (one answer per browser)"], key="feedback_kind")
        shared = kind.startswith("Shared")
        count = st.number_input("How many links", min_value=1, max_value=survey.MAX_LINKS, value=1, step=1,
                                key="feedback_count")
        days = st.number_input("Expire after (days)", min_value=1, max_value=survey.MAX_EXPIRY_DAYS,
                               value=survey.DEFAULT_EXPIRY_DAYS, step=1, key="feedback_days")
        base = st.text_input("Base URL (where customers reach this app)", key="feedback_base",
                             value=survey.base_url_of(page_url()) or survey.DEFAULT_BASE_URL)
    if st.button("Create links", type="primary"):
        st.session_state[LINKS_KEY] = ui.run_safely(
            lambda: survey.create_links(con, dataset, touchpoint, count=int(count), shared=shared,
                                        expires_days=float(days), scale=scale, base_url=base),
            "Could not create the links")
    links = st.session_state.get(LINKS_KEY)
    if links:
        show_links(links)
    st.subheader("Links so far")
    summary = survey.link_summary(con)
    if summary.empty:
        st.caption("None yet.")
        return
    st.dataframe(summary, hide_index=True, width="stretch", column_config={
        "dataset": "Data set", "touchpoint": "Touchpoint", "kind": "Kind",
        "links": st.column_config.NumberColumn("Links"), "answers": st.column_config.NumberColumn("Answers"),
        "open": st.column_config.NumberColumn("Single-use still open",
                                              help="Single-use links not answered and not expired (a shared link "
                                                   "takes answers until it expires)"),
        "first_created": st.column_config.DatetimeColumn("First created (UTC)", format="YYYY-MM-DD HH:mm"),
        "last_expires": st.column_config.DatetimeColumn("Last expiry (UTC)", format="YYYY-MM-DD HH:mm"),
        "last_answer": st.column_config.DatetimeColumn("Last answer (UTC)", format="YYYY-MM-DD HH:mm")})


if answering:
    answer_view(st.query_params.get("t") or "")
else:
    organiser_view()
