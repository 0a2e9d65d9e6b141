"""社区生活圈规划 — the Streamlit app: language switch, page list, shared style.

``streamlit run app.py`` (in a checkout) or ``planning app`` (any install) runs :func:`main`
on every rerun. Pages live in ``planning/app/pages/``; their titles follow the language chosen
in the sidebar (or ``?lang=en``).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from planning.app import warm
from planning.app.common import (
    BASE_CSS,
    announce_setup_token,
    area_in_url,
    language_switch,
    stop_solve_elsewhere,
    t,
)

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
    ("needs.py", "page_needs", ":material/add_location_alt:", "needs"),
)
# Reached only by its address (/organiser): not in the navigation residents see, and it refuses
# everything until the organiser secret is given.
HIDDEN_PAGES = (
    ("organiser.py", "page_organiser", ":material/admin_panel_settings:", "organiser"),
    ("needs_organiser.py", "page_needs_organiser", ":material/map:", "needs_organiser"),
)


def main() -> None:
    """Set up the page, the language switch and the navigation, then run the chosen page."""
    st.set_page_config(page_title="社区生活圈 / Community life circle", page_icon=str(FAVICON), layout="wide")
    st.markdown(BASE_CSS, unsafe_allow_html=True)
    language_switch()
    area_in_url()
    pages = [st.Page(PAGES_DIR / name, title=t(title), icon=icon, url_path=url, default=(url == "area"))
             for name, title, icon, url in PAGES]
    pages += [st.Page(PAGES_DIR / name, title=t(title), icon=icon, url_path=url, visibility="hidden")
              for name, title, icon, url in HIDDEN_PAGES]
    page = st.navigation(pages)
    stop_solve_elsewhere(page.url_path)
    if page.url_path in {url for *_, url in HIDDEN_PAGES}:
        announce_setup_token()  # the organiser's pages ask for the token: printed before they are drawn
    try:
        with warm.page_run():
            page.run()
    finally:  # also after st.stop() or st.rerun() in the page
        warm.start()  # once per server, between page runs: the kernels loaded, the token printed, imports made
