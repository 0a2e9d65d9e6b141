"""民情征集（组织者）/ Needs survey, organiser: open a survey, print its QR codes, read what residents said.

Reached only by its address (``/needs_organiser``) and behind the organiser secret (the same as the
organiser page's; it is set there the first time). A survey covers the area in use when it is
created. The analysis reads the answers against that area: a heat map and clusters of needs per type
over the coverage map, counts per 社区 and 网格, the needs outside today's walking coverage, the free
text grouped by keyword, and downloads (GeoPackage, Excel) with locations coarsened if asked.
"""
from __future__ import annotations

import tempfile
import time
from datetime import datetime, time as day_time, timezone
from pathlib import Path

import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    HASH_CSS,
    PAGES_DIR,
    catalogue,
    community_layer,
    coverage,
    current_area,
    demo_area,
    facility_icons,
    labels,
    lang,
    map_labels,
    map_sidebar,
    markdown_literal,
    needs_service,
    needs_text,
    planning_errors,
    show_error,
    show_table,
    show_title,
    type_name,
)
from planning.base.errors import PlanningError
from planning.base.formatting import count_text, minutes_text
from planning.base.needs import load_need_types, load_text_themes
from scenarios.needs import (
    COARSEN,
    OTHER_THEME,
    coarsen,
    group_texts,
    locate_needs,
    need_clusters,
    need_counts,
    needs_frame,
    survey_area,
)
from scenarios.voting.links import DEFAULT_PORT, lan_base_url, survey_url
from scenarios.voting.needs import MODES, SURVEY_TRANSITIONS, need_rows

SECRET_KEY = "organiser_secret"  # the organiser page's: one sign-in serves both pages
_ACTIONS = {"open": ("open_survey", "needs_org_open"), "closed": ("close_survey", "needs_org_close"),
            "followup": ("start_followup", "needs_org_followup")}


def tn(key: str, /, **params) -> str:
    return needs_text(key, **params)


st.markdown(HASH_CSS, unsafe_allow_html=True)
st.title(tn("needs_org_title"))
service = needs_service()
kinds = load_need_types()

with planning_errors():
    if not service.is_set_up():
        st.info(tn("needs_org_set_up_first"), icon=ALERT_ICONS["info"])
        st.page_link(PAGES_DIR / "organiser.py", label=tn("needs_org_to_organiser"))
        st.stop()
secret = st.session_state.get(SECRET_KEY)
if not secret:
    with st.form("needs_sign_in"):
        typed = st.text_input(tn("needs_org_secret"), type="password")
        if st.form_submit_button(tn("needs_org_sign_in"), type="primary"):
            try:
                service.check_organiser(typed)
            except PlanningError as err:
                time.sleep(1)  # a guess costs time as well as scrypt
                show_error(err)
            else:
                st.session_state[SECRET_KEY] = typed
                st.rerun()
    st.stop()

area, area_id = current_area()

# -- a new survey --------------------------------------------------------------------------
with st.expander(tn("needs_org_create"), expanded=not service.surveys()):
    st.caption(tn("needs_org_create_area", area=markdown_literal(area.name(lang()))))
    with st.form("create_survey"):
        title = st.text_input(tn("needs_org_survey_title"), value=tn("needs_org_survey_title_default"), max_chars=200)
        chosen = st.multiselect(tn("needs_org_kinds"), list(kinds), default=list(kinds),
                                format_func=labels(list(kinds), lambda k: kinds[k].name(lang())))
        mode = st.radio(tn("needs_org_mode"), MODES, horizontal=True,
                        format_func=labels(MODES, lambda k: tn(f"needs_org_mode_{k}")))
        per_minute = st.number_input(tn("needs_org_per_minute"), 1, 10_000, 30, help=tn("needs_org_per_minute_help"))
        ask_age = st.checkbox(tn("needs_org_ask_age"))
        ask_car = st.checkbox(tn("needs_org_ask_car"))
        left, right = st.columns(2)
        opens = left.date_input(tn("needs_org_opens"), value=None)
        closes = right.date_input(tn("needs_org_closes"), value=None)
        if st.form_submit_button(tn("needs_org_create_button"), type="primary"):
            with planning_errors():
                settings = survey_area(area, area_id)
                new_id = service.create_survey(
                    secret, title, chosen, mode=mode, per_minute=int(per_minute), ask_age=ask_age, ask_car=ask_car,
                    opens_at=None if opens is None else datetime.combine(opens, day_time.min, timezone.utc),
                    closes_at=None if closes is None else datetime.combine(closes, day_time.max, timezone.utc),
                    base_url=service.default_base_url() or lan_base_url(st.get_option("server.port") or DEFAULT_PORT),
                    **settings)
                st.session_state["needs_survey_id"] = new_id
                st.success(tn("needs_org_created", id=new_id), icon=ALERT_ICONS["success"])

surveys = service.surveys()
if not surveys:
    st.stop()
ids = [s.id for s in surveys]
kept = st.session_state.get("needs_survey_id", ids[0])
survey_id = st.selectbox(tn("needs_org_survey"), ids, index=ids.index(kept) if kept in ids else 0,
                         format_func=lambda i: tn("needs_org_survey_choice", id=i))
st.session_state["needs_survey_id"] = survey_id
info = service.survey(survey_id)
show_title(info.title)
st.write(tn("needs_org_state", state=tn(f"needs_state_{info.state}")))
cols = st.columns(3)
cols[0].metric(tn("needs_org_answers"), info.answers)
cols[1].metric(tn("needs_org_codes_used"), tn("needs_org_of", used=info.codes_used, issued=info.codes_issued)
               if info.mode == "codes" else "—")
cols[2].metric(tn("needs_org_followups"), info.followups)

for column, target in zip(st.columns(max(len(SURVEY_TRANSITIONS[info.state]), 1)), SURVEY_TRANSITIONS[info.state]):
    method, word = _ACTIONS[target]
    if column.button(tn(word), key=f"survey_{target}", type="primary"):
        with planning_errors():
            getattr(service, method)(secret, survey_id)
            st.rerun()

# -- QR address, codes, poster -----------------------------------------------------------
url = info.base_url or lan_base_url(st.get_option("server.port") or DEFAULT_PORT) or "http://localhost:8501"
with st.form("survey_url"):
    typed_url = st.text_input(tn("needs_org_base_url"), value=url, help=tn("needs_org_base_url_help"))
    if st.form_submit_button(tn("needs_org_base_url_save")):
        with planning_errors():
            service.set_survey_base_url(secret, survey_id, typed_url)
            st.rerun()
st.caption(markdown_literal(survey_url(url, survey_id)))
with planning_errors():
    from scenarios.voting.survey_slips import write_survey_poster, write_survey_slips

    folder = Path(tempfile.mkdtemp(prefix="planning-survey-"))
    window = " – ".join(f"{d:%Y-%m-%d}" for d in (info.opens_at, info.closes_at) if d is not None)
    poster = write_survey_poster(folder / "poster.pdf", survey_id, info.title, url,
                                 [kinds[k].name("zh") for k in info.need_types if k in kinds], window)
    st.download_button(tn("needs_org_poster"), poster.read_bytes(), file_name=f"survey-{survey_id}-poster.pdf",
                       mime="application/pdf")
    poster.unlink()
    if info.mode == "codes" and info.state != "followup":
        with st.form("survey_codes"):
            count = st.number_input(tn("needs_org_code_count"), 1, 5000, 20)
            if st.form_submit_button(tn("needs_org_codes")):
                codes = service.generate_survey_codes(secret, survey_id, int(count))
                slips = write_survey_slips(folder / "slips.pdf", survey_id, info.title, codes, url)
                st.session_state["survey_slips"] = (survey_id, slips.read_bytes(), codes)
                slips.unlink()
        slips = st.session_state.get("survey_slips")
        if slips and slips[0] == survey_id:
            st.download_button(tn("needs_org_slips"), slips[1], file_name=f"survey-{survey_id}-slips.pdf",
                               mime="application/pdf")
            st.caption(tn("needs_org_codes_once"))
            st.code("\n".join(slips[2]), language=None)

# -- what residents said -------------------------------------------------------------------
rows = []
with planning_errors():
    rows = need_rows(service.stated_needs(secret, survey_id))
if not rows:
    st.info(tn("needs_org_no_answers"), icon=ALERT_ICONS["info"])
    st.stop()
if info.area_key == area_id:
    survey_area_obj = area
elif info.area_key.startswith("demo:"):
    survey_area_obj = demo_area(info.area_key.split(":", 1)[1])
else:
    st.warning(tn("needs_org_other_area", area=markdown_literal(info.area_name)), icon=ALERT_ICONS["warning"])
    st.stop()

located = locate_needs(needs_frame(rows), survey_area_obj, catalogue())
names = {k: kinds[k].name(lang()) for k in kinds}
st.subheader(tn("needs_org_by_community"))
by_community = need_counts(located, "community", kinds, lang()).rename(
    columns={"community": tn("needs_col_community"), "total": tn("needs_col_total")})
show_table(by_community)
outside = located[located["covered_today"] == False]  # noqa: E712
st.subheader(tn("needs_org_outside", n=len(outside), total=len(located)))
if len(outside):
    show_table(pd.DataFrame({
        tn("needs_col_kind"): outside["need"].map(names).fillna(outside["need"]),
        tn("needs_col_community"): outside["community_name"].fillna("—"),
        tn("needs_col_grid"): outside["grid"],
        tn("needs_col_walk"): outside["minutes_today"].map(lambda v: minutes_text(v, lang(), unit=True)),
        tn("needs_col_text"): outside["text"]}))

st.subheader(tn("needs_org_map"))
answering = [k for k in catalogue() if any(k in kinds[n].answers for n in info.need_types if n in kinds)]
map_type = st.selectbox(tn("needs_org_map_type"), answering or list(catalogue()), format_func=type_name)
clusters = need_clusters(located)
with planning_errors():
    from planning.app.map_widgets import show_map
    from planning.outputs.maps.needs import add_needs_layers
    from planning.outputs.maps.webmap import build_map

    basemap, tianditu_key = map_sidebar()
    cov = coverage(survey_area_obj, info.area_key)
    m = build_map(community_layer(survey_area_obj, cov, map_type, None), map_labels(),
                  facilities=survey_area_obj.facilities_of(map_type), facility_icons=facility_icons(),
                  basemap=basemap, tianditu_key=tianditu_key)
    add_needs_layers(m, located, names, clusters, basemap.datum, tn("needs_org_heat"))
    show_map(m, key="needs_map", returned_objects=[], height=560)
if len(clusters):
    st.caption(tn("needs_org_clusters_help"))
    show_table(pd.DataFrame({tn("needs_col_cluster"): clusters["id"], tn("needs_col_kind"): clusters["need"].map(names),
                             tn("needs_col_count"): clusters["count"].astype(int),
                             tn("needs_col_community"): clusters["community"].map(
                                 survey_area_obj.communities.set_index("code")["name"]).fillna("—")}))

st.subheader(tn("needs_org_by_grid"))
show_table(need_counts(located, "grid", kinds, lang()).rename(
    columns={"grid": tn("needs_col_grid"), "total": tn("needs_col_total")}))

st.subheader(tn("needs_org_texts"))
themes = load_text_themes()
for group in group_texts(located["text"].tolist(), themes).itertuples():
    label = themes[group.theme].name(lang()) if group.theme in themes else tn("needs_theme_other")
    with st.expander(f"{label} · {count_text(group.count, lang())}", expanded=group.theme != OTHER_THEME):
        for text in group.texts:
            st.text(text)

if info.state == "followup":
    st.subheader(tn("needs_org_followup_title"))
    summary = service.followup_summary(survey_id)
    show_table(pd.DataFrame({tn("needs_col_followup"): [tn(f"needs_followup_{k}") if k != "unanswered"
                                                        else tn("needs_followup_unanswered") for k in summary],
                             tn("needs_col_count"): list(summary.values())}))

st.subheader(tn("needs_org_export"))
how = st.radio(tn("needs_org_coarsen"), ("exact", *COARSEN), horizontal=True,
               format_func=lambda k: tn(f"needs_coarsen_{k}"))
with planning_errors():
    from planning.outputs.needs_export import NeedsTables, needs_xlsx, write_needs_gpkg

    shown = located if how == "exact" else coarsen(located, how, survey_area_obj)
    tables = NeedsTables(shown, clusters, need_counts(located, "community", kinds, lang()),
                         need_counts(located, "grid", kinds, lang()), group_texts(located["text"].tolist(), themes))
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = write_needs_gpkg(Path(tmp) / "needs.gpkg", tables, lang()).read_bytes()
    left, right = st.columns(2)
    left.download_button(tn("needs_org_gpkg"), gpkg, file_name=f"survey-{survey_id}-needs.gpkg",
                         mime="application/geopackage+sqlite3")
    right.download_button(tn("needs_org_xlsx"), needs_xlsx(tables, lang()), file_name=f"survey-{survey_id}-needs.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
