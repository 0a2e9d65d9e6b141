"""社区生活圈规划 — the Streamlit app: language switch, page list, shared style.

``streamlit run app.py`` (in a checkout) or ``planning app`` (any install) runs :func:`main`
on every rerun. Pages live in ``planning/app/pages/``; their titles follow the language chosen
in the sidebar (or ``?lang=en``).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from planning.app.common import BASE_CSS, language_switch, t

PAGES_DIR = Path(__file__).resolve().parent / "pages"
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.png"

# (file, title key, icon, url path)
PAGES = (
    ("area.py", "page_area", ":material/map:", "area"),
    ("coverage.py", "page_coverage", ":material/directions_walk:", "coverage"),
    ("siting.py", "page_siting", ":material/location_on:", "siting"),
    ("compare.py", "page_compare", ":material/compare_arrows:", "compare"),
    ("vote.py", "page_vote", ":material/how_to_vote:", "vote"),
    ("results.py", "page_results", ":material/campaign:", "results"),
)


def main() -> None:
    """Set up the page, the language switch and the navigation, then run the chosen page."""
    st.set_page_config(page_title="社区生活圈 / Community life circle", page_icon=str(FAVICON), layout="wide")
    st.markdown(BASE_CSS, unsafe_allow_html=True)
    language_switch()
    pages = [st.Page(PAGES_DIR / name, title=t(title), icon=icon, url_path=url, default=(url == "area"))
             for name, title, icon, url in PAGES]
    st.navigation(pages).run()
