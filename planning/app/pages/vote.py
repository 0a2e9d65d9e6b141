"""居民投票 / Vote: opened from the QR code on a ballot slip (``?poll=<id>&code=<code>``).

Made for older residents on phones: very large text and buttons, Chinese first, one column.
"""
from __future__ import annotations

import streamlit as st

from planning.app.common import (
    current_area,
    escape_markdown,
    labels,
    lang,
    planning_errors,
    scenario_dir,
    scenario_map_png,
    scenario_sentences,
    show_error,
    t,
    voting_service,
)
from planning.areas.build import DEFAULT_AREA
from planning.base.errors import PlanningError
from scenarios.scenario import load_scenario

VOTE_CSS = """
<style>
  .block-container { max-width: 720px; padding-top: 1.5rem; }
  .block-container p, .block-container li, .block-container label, .block-container input,
  .stCheckbox label p, .stRadio label p, .stSelectbox div { font-size: 1.45rem !important; line-height: 1.6; }
  h1 { font-size: 2.2rem !important; } h2, h3 { font-size: 1.8rem !important; }
  .stButton button { min-height: 4.2rem; font-size: 1.6rem !important; width: 100%; }
  .stButton button p { font-size: 1.6rem !important; }
  .stCheckbox [data-baseweb="checkbox"] > div:first-child { transform: scale(1.6); margin-right: 0.8rem; }
  .receipt { font-size: 2.2rem; font-weight: 700; letter-spacing: 0.1em; word-break: break-all;
             background: #e8f5e9; border: 3px solid #1a9641; border-radius: 12px; padding: 1rem; }
</style>
"""

st.markdown(VOTE_CSS, unsafe_allow_html=True)
st.title(t("vote_title"))

try:
    poll_id = int(st.query_params.get("poll", ""))
except ValueError:
    poll_id = st.number_input(t("vote_poll_id"), min_value=1, step=1, value=1)
code = st.text_input(t("vote_code"), value=st.query_params.get("code", ""), help=t("vote_code_help"))

info = None
with planning_errors():
    info = voting_service().poll(int(poll_id))
if info is None:
    st.stop()

st.header(escape_markdown(info.title))  # titles and option names are user text
if info.state != "voting":
    st.warning(t("vote_not_open", state=t(f"state_{info.state}")))

_, area_id = current_area()
area_key = area_id.split(":", 1)[1] if area_id.startswith("demo:") else DEFAULT_AREA
for option in info.options:
    with st.container(border=True):
        st.subheader(t("vote_option", key=option.key, title=escape_markdown(option.title)))
        try:
            scenario = load_scenario(scenario_dir() / option.scenario_file)
        except PlanningError as err:
            show_error(err)
            continue
        png = scenario_map_png(scenario, scenario.digest, area_key, lang())
        if png:
            st.image(png, width="stretch")
        for sentence in scenario_sentences(scenario):
            st.markdown(f"- {escape_markdown(sentence)}")

st.subheader(t("vote_your_choice"))
keys = [o.key for o in info.options]
if info.method == "approval":
    st.write(t("vote_approval_help"))
    ballot = {"approve": [k for k in keys if st.checkbox(t("vote_approve", key=k), key=f"approve_{k}")]}
elif info.method == "score":
    st.write(t("vote_score_help"))
    scores = {k: st.radio(t("vote_score", key=k), (None, 1, 2, 3, 4, 5), horizontal=True, key=f"score_{k}",
                          format_func=lambda v: "—" if v is None else "★" * v) for k in keys}
    ballot = {"scores": {k: v for k, v in scores.items() if v is not None}}
else:
    st.write(t("vote_ranked_help"))
    ranking: list[str] = []
    for place in range(len(keys)):
        left = [None, *[k for k in keys if k not in ranking]]
        pick = st.selectbox(t("vote_rank_place", n=place + 1), left, key=f"rank_{place}",
                            format_func=labels(left, lambda v: "—" if v is None else t("vote_option_short", key=v)))
        if pick is not None:
            ranking.append(pick)
    ballot = {"ranking": ranking}

if st.button(t("vote_submit"), type="primary", width="stretch", disabled=info.state != "voting"):
    try:
        st.session_state["receipt"] = (info.id, voting_service().cast_ballot(info.id, code, ballot).receipt)
    except PlanningError as err:
        show_error(err)

receipt = st.session_state.get("receipt")
if receipt and receipt[0] == info.id:
    st.success(t("vote_thanks"))
    st.markdown(f'<div class="receipt">{receipt[1]}</div>', unsafe_allow_html=True)
    st.write(t("vote_receipt_help"))
