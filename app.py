"""社区生活圈规划 — Streamlit entry: language switch, page list, shared style.

Run with ``streamlit run app.py``. Pages live in ``app_pages/``; their titles follow the
language chosen in the sidebar (or ``?lang=en``).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import BASE_CSS, language_switch, t
from planning.assets import ensure_app_static

APP_DIR = Path(__file__).resolve().parent

st.set_page_config(page_title="社区生活圈 / Community life circle", page_icon=str(APP_DIR / "planning" / "static" / "favicon.png"), layout="wide")
ensure_app_static(APP_DIR)  # the maps' Leaflet files, served from ./static (works offline)
st.markdown(BASE_CSS, unsafe_allow_html=True)
language_switch()

PAGES = [
    st.Page("app_pages/area.py", title=t("page_area"), icon=":material/map:", url_path="area", default=True),
    st.Page("app_pages/coverage.py", title=t("page_coverage"), icon=":material/directions_walk:", url_path="coverage"),
    st.Page("app_pages/siting.py", title=t("page_siting"), icon=":material/location_on:", url_path="siting"),
    st.Page("app_pages/compare.py", title=t("page_compare"), icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/vote.py", title=t("page_vote"), icon=":material/how_to_vote:", url_path="vote"),
    st.Page("app_pages/results.py", title=t("page_results"), icon=":material/campaign:", url_path="results"),
]
st.navigation(PAGES).run()
