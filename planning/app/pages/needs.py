"""民情征集 / Needs survey: opened from a QR code (``?survey=<id>[&code=<code>]``) on a phone.

Large text, Chinese first, one column. The resident taps the map where the need is (or picks the
小区/楼栋 from a list), chooses the kind of need, adds a sentence and sends — once per code, or
without a code in an anonymous survey. In the 成效评议 the same code says whether the need was met.
What the resident types is shown back as plain text, never as Markdown or HTML.
"""
from __future__ import annotations

import time

import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    HASH_CSS,
    lang,
    markdown_literal,
    needs_service,
    needs_text,
    planning_errors,
    show_error,
    show_plain,
    show_title,
)
from planning.base.errors import PlanningError
from planning.base.needs import load_need_types
from scenarios.voting.needs import AGE_GROUPS, FOLLOWUPS

NEEDS_CSS = """
<style>
  .block-container { max-width: 720px; padding-top: 1.5rem; }
  .block-container p, .block-container li, .block-container label, .block-container input,
  .block-container textarea, .stRadio label p, .stSelectbox div { font-size: 1.45rem !important; line-height: 1.6; }
  h1 { font-size: 2.2rem !important; } h2, h3 { font-size: 1.8rem !important; }
  .stButton button { min-height: 4.2rem; font-size: 1.6rem !important; width: 100%; }
  .stButton button p { font-size: 1.6rem !important; }
  .need-done { font-size: 1.6rem; font-weight: 700; background: #e8f5e9; border: 3px solid #1a9641;
               border-radius: 12px; padding: 1rem; overflow-wrap: anywhere; }
  .need-code { font-family: monospace; font-size: 2rem; letter-spacing: 0.08em; word-break: break-all; }
  .need-where { font-size: 1.4rem; background: #eef4fb; border-radius: 8px; padding: 0.6rem 0.8rem; }
</style>
"""
COOLDOWN_SECONDS = 20  # one browser sends at most one anonymous answer in this time


def tn(key: str, /, **params) -> str:
    return needs_text(key, **params)


st.markdown(NEEDS_CSS + HASH_CSS, unsafe_allow_html=True)
st.title(tn("needs_title"))
try:
    survey_id = int(st.query_params.get("survey", ""))
except ValueError:
    survey_id = int(st.number_input(tn("needs_survey_id"), min_value=1, step=1, value=1))

service = needs_service()
info = None
with planning_errors():
    info = service.survey(survey_id)
if info is None:
    st.stop()
show_title(info.title)
st.caption(tn("needs_area", area=markdown_literal(info.area_name)))
kinds = load_need_types()
done = st.session_state.get(f"need_done_{info.id}")


def _where_map() -> None:
    """The map: 社区 outlines; a tap puts the pin (kept in session state)."""
    from planning.app.map_widgets import show_map
    from planning.base.settings import MapSettings, load_map_settings
    from planning.outputs.maps.basemaps import resolve_basemap
    from planning.outputs.maps.needs import pin_map, tapped_point

    try:
        stored = load_map_settings()  # the base map the organiser chose on this computer
    except PlanningError:  # a damaged settings file is the organiser's to mend (their pages say so), not a resident's
        stored = MapSettings()
    basemap, key, _ = resolve_basemap(stored.basemap, stored.tianditu_key)
    pin = st.session_state.get(f"need_pin_{info.id}")
    m, datum = pin_map(info.outline, info.bounds, pin, tn("needs_pin_label"), basemap, key)
    clicked = show_map(m, key=f"need_map_{info.id}", returned_objects=["last_clicked"], height=420)
    point = tapped_point(clicked, datum)
    if point is not None and point != pin:
        st.session_state[f"need_pin_{info.id}"] = point
        st.rerun()


def _send() -> None:
    """The button's callback: store the answer, then forget the code and the sentence."""
    state = st.session_state
    state.pop("need_error", None)
    last = state.get("need_sent_at", 0.0)
    if info.mode == "anonymous" and time.monotonic() - last < COOLDOWN_SECONDS:
        state["need_error"] = PlanningError("survey_busy", per_minute=info.per_minute)
        return
    use_list = state.get(f"need_how_{info.id}") == "list"
    pin = state.get(f"need_pin_{info.id}")
    try:
        receipt = service.submit_need(
            info.id, state.get(f"need_kind_{info.id}") or "",
            lon=None if use_list or pin is None else pin[0], lat=None if use_list or pin is None else pin[1],
            place=state.get(f"need_place_{info.id}") if use_list else None,
            text=state.get(f"need_text_{info.id}", ""),
            age_group=state.get(f"need_age_{info.id}") if info.ask_age else None,
            has_car=state.get(f"need_car_{info.id}") if info.ask_car else None,
            code=state.get("need_code", "") if info.mode == "codes" else None)
    except PlanningError as err:
        state["need_error"] = err
        return
    state["need_sent_at"] = time.monotonic()
    state[f"need_done_{info.id}"] = receipt
    state["need_code"] = ""
    state[f"need_text_{info.id}"] = ""


def _answer_form() -> None:
    st.subheader(tn("needs_step_where"))
    how = st.radio(tn("needs_how"), ("map", "list"), key=f"need_how_{info.id}", horizontal=True,
                   format_func=lambda k: tn(f"needs_how_{k}"))
    if how == "map":
        _where_map()
        pin = st.session_state.get(f"need_pin_{info.id}")
        show_plain(tn("needs_pin_set") if pin else tn("needs_pin_none"), "div", "need-where")
    else:
        places = {p.key: p.name for p in info.places}
        st.selectbox(tn("needs_place"), [None, *places], key=f"need_place_{info.id}",
                     format_func=lambda k: "—" if k is None else places[k])
    st.subheader(tn("needs_step_what"))
    offered = [k for k in info.need_types if k in kinds]
    st.radio(tn("needs_kind"), offered, index=None, key=f"need_kind_{info.id}",
             format_func=lambda k: kinds[k].name(lang()))
    st.text_area(tn("needs_text"), max_chars=300, key=f"need_text_{info.id}", help=tn("needs_text_help"))
    if info.ask_age:
        st.selectbox(tn("needs_age"), [None, *AGE_GROUPS], key=f"need_age_{info.id}",
                     format_func=lambda k: tn("needs_no_say") if k is None else tn(f"needs_age_{k}"))
    if info.ask_car:
        st.radio(tn("needs_car"), (None, True, False), horizontal=True, key=f"need_car_{info.id}",
                 format_func=lambda v: tn("needs_no_say") if v is None else tn("needs_yes" if v else "needs_no"))
    if info.mode == "codes":
        st.session_state.setdefault("need_code", st.query_params.get("code", ""))
        st.text_input(tn("needs_code"), key="need_code", help=tn("needs_code_help"))
    st.caption(tn("needs_privacy"))
    st.button(tn("needs_send"), type="primary", width="stretch", on_click=_send)


def _followup() -> None:
    st.subheader(tn("needs_followup_title"))
    st.write(tn("needs_followup_help"))
    st.session_state.setdefault("need_code", st.query_params.get("code", ""))
    code = st.text_input(tn("needs_followup_code"), key="need_code")
    if not code.strip():
        return
    thanks = f'<div class="need-done">{tn("needs_followup_thanks")}</div>'
    if st.session_state.get(f"need_followed_{info.id}") == code:  # answered from this page just now
        st.markdown(thanks, unsafe_allow_html=True)
        return
    try:
        mine = service.my_need(info.id, code)
        if mine.followup is not None:
            raise PlanningError("followup_already_given")  # a code answers the follow-up once
    except PlanningError as err:
        show_error(err)
        return
    show_plain(tn("needs_followup_yours", kind=kinds[mine.need_type].name(lang()) if mine.need_type in kinds
                  else mine.need_type), "div", "need-where")
    if mine.text:
        st.text(mine.text)
    with st.form("followup", clear_on_submit=True):
        outcome = st.radio(tn("needs_followup_question"), FOLLOWUPS, index=None,
                           format_func=lambda k: tn(f"needs_followup_{k}"))
        text = st.text_area(tn("needs_followup_text"), max_chars=300)
        if st.form_submit_button(tn("needs_send"), type="primary"):
            with planning_errors():
                if outcome is None:
                    raise PlanningError("followup_bad_value", value="—", choices="、".join(
                        tn(f"needs_followup_{k}") for k in FOLLOWUPS))
                service.follow_up(info.id, code, outcome, text)
                st.session_state[f"need_followed_{info.id}"] = code
                st.markdown(thanks, unsafe_allow_html=True)


if info.state == "followup":
    _followup()
elif done is not None:
    if "code" in st.query_params:
        del st.query_params["code"]  # a reload must not offer the used code again
    st.markdown(f'<div class="need-done">{tn("needs_thanks")}</div>', unsafe_allow_html=True)
    if done.new_code:
        st.write(tn("needs_keep_code"))
        show_plain(done.followup_code, "div", "need-code")
    else:
        st.write(tn("needs_same_code"))
    if info.mode == "anonymous" and st.button(tn("needs_another")):
        st.session_state.pop(f"need_done_{info.id}", None)
        st.rerun()
elif info.state == "open":
    _answer_form()
elif info.state == "draft":
    st.info(tn("needs_not_yet"), icon=ALERT_ICONS["info"])
else:
    st.info(tn("needs_closed"), icon=ALERT_ICONS["info"])

error = st.session_state.get("need_error")
if error is not None and done is None:
    show_error(error)
