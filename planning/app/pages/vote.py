"""居民投票 / Vote: opened from the QR code on a ballot slip (``?poll=<id>&code=<code>``).

Made for older residents on phones: very large text and buttons, Chinese first, one column.
The plans appear in an order drawn for this visitor (so no plan gains by always coming first;
the published result keeps the fixed order A, B, C …). Each plan is checked against the digest
sealed when the poll was created; a plan whose file was swapped is not shown and voting stops.
Every state of the page links to the result. Titles, plan names and descriptions are user text:
shown literally, never as Markdown or HTML.
"""
from __future__ import annotations

import secrets

import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    HASH_CSS,
    current_area,
    lang,
    needs_text,
    planning_errors,
    result_link,
    scenario_map_png,
    scenario_sentences,
    show_error,
    show_hash,
    show_list,
    show_notice,
    show_title,
    t,
    voting_service,
)
from planning.areas.build import DEFAULT_AREA
from planning.base.errors import PlanningError
from scenarios.voting.chain import short

VOTE_CSS = """
<style>
  .block-container { max-width: 720px; padding-top: 1.5rem; }
  .block-container p, .block-container li, .block-container label, .block-container input,
  .stCheckbox label p, .stRadio label p, .stSelectbox div { font-size: 1.45rem !important; line-height: 1.6; }
  h1 { font-size: 2.2rem !important; } h2, h3 { font-size: 1.8rem !important; }
  .stButton button { min-height: 4.2rem; font-size: 1.6rem !important; width: 100%; }
  .stButton button p { font-size: 1.6rem !important; }
  .stCheckbox [data-baseweb="checkbox"] > div:first-child { transform: scale(1.6); margin-right: 0.8rem; }
  .receipt { font-size: 1.6rem; font-weight: 700; word-break: break-all;
             background: #e8f5e9; border: 3px solid #1a9641; border-radius: 12px; padding: 1rem; }
  .receipt .code { font-size: 2.2rem; letter-spacing: 0.1em; }
</style>
"""

st.markdown(VOTE_CSS + HASH_CSS, unsafe_allow_html=True)
st.title(t("vote_title"))

try:
    poll_id = int(st.query_params.get("poll", ""))
except ValueError:
    poll_id = int(st.number_input(t("vote_poll_id"), min_value=1, step=1, value=1))

info = None
with planning_errors():
    info = voting_service().poll(poll_id)
if info is None:
    st.stop()

show_title(info.title)
result_link(info.id)
voted = st.session_state.get(f"voted_{info.id}")


def _cast(keys: list[str]) -> None:
    """The button's callback: cast, then forget the code and the choices (runs before the page is drawn)."""
    state = st.session_state
    state.pop("vote_error", None)
    if info.method == "approval":
        ballot = {"approve": [k for k in keys if state.get(f"approve_{info.id}_{k}")]}
    elif info.method == "score":
        ballot = {"scores": {k: state[f"score_{info.id}_{k}"] for k in keys if state.get(f"score_{info.id}_{k}")}}
    else:
        ballot = {"ranking": [state[f"rank_{info.id}_{n}"] for n in range(len(keys)) if state.get(f"rank_{info.id}_{n}")]}
    try:
        state[f"voted_{info.id}"] = voting_service().cast_ballot(info.id, state.get("vote_code", ""), ballot)
    except PlanningError as err:
        state["vote_error"] = err
        return
    state["vote_code"] = ""


if info.state == "published" or info.state == "evaluated":
    st.success(t("vote_published"), icon=ALERT_ICONS["success"])
    result_link(info.id, "vote_see_result_big")
elif info.state == "closed":
    st.info(t("vote_closed"), icon=ALERT_ICONS["info"])
elif info.state == "draft":
    st.info(t("vote_not_yet"), icon=ALERT_ICONS["info"])
elif info.state == "hearing":
    st.info(t("vote_hearing"), icon=ALERT_ICONS["info"])

order = st.session_state.setdefault(f"vote_order_{info.id}",
                                    secrets.SystemRandom().sample([o.key for o in info.options], len(info.options)))
options = {o.key: o for o in info.options}
_, area_id = current_area()
area_key = area_id.split(":", 1)[1] if area_id.startswith("demo:") else DEFAULT_AREA
blocked = False
voting = info.state == "voting"
for key in order:
    option = options[key]
    with st.container(border=True):
        show_title(option.title, 3)
        st.caption(t("vote_option_key", key=key))
        try:
            scenario = voting_service().sealed_scenario(info.id, key)
        except PlanningError as err:
            show_error(err)
            blocked = True
            continue
        png = scenario_map_png(scenario, scenario.digest, area_key, lang())
        if png:
            st.image(png, width="stretch")
        show_list(scenario_sentences(scenario))
        if scenario.needs is not None:  # 民情征集: how many of the residents' stated needs this plan answers
            show_notice(needs_text("vote_needs_answered", key=key, answered=scenario.needs.answered,
                                   total=scenario.needs.total), "note")
        # the choice sits with the plan it is about; labels are our words and the option's letter only
        if voting and info.method == "approval":
            st.checkbox(t("vote_approve", key=key), key=f"approve_{info.id}_{key}", disabled=bool(voted))
        elif voting and info.method == "score":
            st.radio(t("vote_score", key=key), (None, 1, 2, 3, 4, 5), horizontal=True, key=f"score_{info.id}_{key}",
                     disabled=bool(voted), format_func=lambda v: "—" if v is None else "★" * v)

if info.state == "hearing":
    with st.form("comment", clear_on_submit=True):
        st.subheader(t("vote_comment_title"))
        about = st.selectbox(t("vote_comment_about"), [None, *order],
                             format_func=lambda k: t("vote_comment_all") if k is None else t("vote_option_key", key=k))
        comment = st.text_area(t("vote_comment"), max_chars=2000)
        if st.form_submit_button(t("vote_comment_send")):
            with planning_errors():
                voting_service().add_comment(info.id, comment, about)
                st.success(t("vote_comment_thanks"), icon=ALERT_ICONS["success"])

if info.state == "voting":
    if blocked:
        st.error(t("vote_blocked"), icon=ALERT_ICONS["error"])
    st.subheader(t("vote_your_choice"))
    st.session_state.setdefault("vote_code", st.query_params.get("code", ""))
    st.text_input(t("vote_code"), key="vote_code", help=t("vote_code_help"), disabled=bool(voted))
    st.write(t({"approval": "vote_approval_help", "score": "vote_score_help", "ranked": "vote_ranked_help"}[info.method]))
    if info.method == "ranked":
        for place in range(len(order)):
            st.selectbox(t("vote_rank_place", n=place + 1), [None, *order], key=f"rank_{info.id}_{place}",
                         disabled=bool(voted),
                         format_func=lambda k: "—" if k is None else t("vote_option_key", key=k))
    st.button(t("vote_submit"), type="primary", width="stretch", disabled=bool(voted) or blocked,
              on_click=_cast, args=(order,))

error = st.session_state.get("vote_error")
if error is not None and not voted:
    show_error(error)
if voted:
    if "code" in st.query_params:
        del st.query_params["code"]  # a reload must not offer the used code again
    st.success(t("vote_thanks"), icon=ALERT_ICONS["success"])
    receipt_line = (f'<div class="code">{voted.receipt}</div>' if voted.published else "")
    st.markdown(f'<div class="receipt">{receipt_line}<div>{t("vote_position", n=voted.position)}</div>'
                f'<div>{t("vote_chain_value", value=short(voted.chain_value))}</div></div>', unsafe_allow_html=True)
    st.write(t("vote_receipt_help" if voted.published else "vote_receipt_help_secret"))
    show_hash(voted.chain_value)
    result_link(info.id, "vote_see_result_big")
