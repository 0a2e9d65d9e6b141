"""Streamlit side of the maps: show a folium map and pick the base map. For app pages only.

Needs ``[server] enableStaticServing = true`` and the app's ``static`` folder prepared with
:func:`planning.outputs.maps.assets.ensure_app_static` (``app.py`` does it).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from planning.app.common import ALERT_ICONS, markdown_literal, planning_errors
from planning.base.errors import PlanningError
from planning.base.settings import MapSettings, load_map_settings, save_map_settings
from planning.base.text import pick, ui_text
from planning.outputs.maps.assets import localize, streamlit_vendor_url
from planning.outputs.maps.basemaps import BASEMAPS, BaseMap, resolve_basemap
from planning.outputs.maps.inert import make_inert


def show_map(
    m: folium.Map,
    key: str,
    returned_objects: Sequence[str] = ("last_object_clicked_tooltip",),
    height: int = 600,
) -> dict[str, Any]:
    """Draw the map in the page; only the listed events rerun the page.

    Parameters
    ----------
    m
        A map from :func:`planning.outputs.maps.webmap.build_map`.
    key
        Streamlit widget key (keeps zoom and position across reruns).
    returned_objects
        streamlit-folium return keys the page reads (e.g. ``"last_object_clicked"``,
        ``"bounds"``); panning or zooming changes nothing else, so it does not rerun the page.
    height
        Map height in pixels.
    """
    localize(make_inert(m), streamlit_vendor_url(st.get_option("server.baseUrlPath") or ""))
    return st_folium(m, key=key, height=height, use_container_width=True, returned_objects=list(returned_objects))


def basemap_picker(lang: str = "zh", probe: bool = False) -> tuple[BaseMap, str]:
    """Base-map selector (with Tianditu key field) that remembers the choice for next time.

    Returns
    -------
    tuple
        ``(base map, Tianditu key)`` to pass to :func:`planning.outputs.maps.webmap.build_map`; falls back to
        no base map, with a warning, when the key is malformed or refused.
    """
    try:
        stored = load_map_settings()
    except PlanningError as err:  # a damaged settings file: said, and the map drawn without a base map
        st.warning(markdown_literal(err.message(lang)), icon=ALERT_ICONS["warning"])
        stored = MapSettings()
    keys = list(BASEMAPS)
    choice = st.selectbox(
        ui_text("map_basemap", lang), keys,
        index=keys.index(stored.basemap) if stored.basemap in keys else 0,
        format_func=lambda k: pick((BASEMAPS[k].label_zh, BASEMAPS[k].label_en), lang),
    )
    tianditu_key = stored.tianditu_key
    if BASEMAPS[choice].needs_key:
        tianditu_key = st.text_input(ui_text("map_tianditu_key", lang),
                                     value=tianditu_key, type="password")
    chosen = MapSettings(basemap=choice, tianditu_key=tianditu_key)
    if chosen != stored:
        with planning_errors():  # the damaged file is not overwritten: its message says how to start afresh
            save_map_settings(chosen)
    basemap, cleaned, problem = resolve_basemap(choice, tianditu_key, probe=probe)
    if problem is not None:
        st.warning(problem.message(lang), icon=ALERT_ICONS["warning"])
    return basemap, cleaned
