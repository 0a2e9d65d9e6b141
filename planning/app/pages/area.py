"""区域与数据 / Area & data: choose the demo area or upload files; see what was found and what is missing."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from planning.app.common import (
    catalogue,
    community_layer,
    coverage,
    current_area,
    draw_map,
    labels,
    lang,
    planning_errors,
    show_notes,
    t,
    type_name,
)
from planning.areas.build import DEFAULT_AREA, area_from_files, demo_areas
from planning.base.formatting import UNKNOWN, count_text
from planning.base.text import pick
from planning.network.read import download_network
from planning.outputs.reports.content import osm_features_table

COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")
# what planning.io.layers.read_points reads (the same readers as the command line)
POINT_TYPES = ["csv", "txt", "tsv", "xlsx", "xls", "geojson", "json", "gpkg", "zip", "kml"]

st.title(t("page_area"))
st.caption(t("area_intro"))

source = st.radio(t("area_source"), ("demo", "upload", "place"), horizontal=True,
                  format_func=labels(("demo", "upload", "place"), lambda k: t(f"area_source_{k}")))

if source == "demo":
    areas = demo_areas()
    keys = list(areas)
    chosen = st.selectbox(t("area_demo_pick"), keys, index=keys.index(st.session_state.get("area_key", DEFAULT_AREA)),
                          format_func=labels(keys, lambda k: pick((areas[k]["name_zh"], areas[k]["name_en"]), lang())))
    if chosen != st.session_state.get("area_key", DEFAULT_AREA) or "custom_area" in st.session_state:
        if st.button(t("area_use_demo"), type="primary"):
            st.session_state.pop("custom_area", None)
            st.session_state["area_key"] = chosen
            st.rerun()

elif source == "upload":
    st.write(t("area_upload_help"))
    network_file = st.file_uploader(t("area_up_network"), type=["graphml", "gz", "osm", "pbf"])
    demand_file = st.file_uploader(t("area_up_demand"), type=POINT_TYPES)
    boundary_file = st.file_uploader(t("area_up_boundaries"), type=["geojson", "json", "gpkg", "zip", "kml"])
    facility_file = st.file_uploader(t("area_up_facilities"), type=POINT_TYPES)
    coord = st.selectbox(t("area_coord"), COORD_SYSTEMS, format_func=labels(COORD_SYSTEMS, lambda k: t(f"coord_{k}")),
                         help=t("area_coord_help"))
    ftype = st.selectbox(t("area_facility_type"), [None, *catalogue()],
                         format_func=labels([None, *catalogue()], lambda k: t("area_type_in_file") if k is None else type_name(k)))
    downloaded = st.session_state.get("downloaded_network")
    if st.button(t("area_load_files"), type="primary", disabled=network_file is None and downloaded is None):
        folder = Path(tempfile.mkdtemp(prefix="planning-upload-"))

        def saved(upload):
            if upload is None:
                return None
            path = folder / upload.name
            path.write_bytes(upload.getvalue())
            return path

        with planning_errors(), st.spinner(t("area_loading")):
            network_path = saved(network_file) or Path(downloaded)
            area, notes = area_from_files(network_path, saved(facility_file), saved(demand_file),
                                          saved(boundary_file), ftype, coord)
            digest = hashlib.sha256(b"".join(f.read_bytes() for f in folder.iterdir())).hexdigest()[:12]
            st.session_state["custom_area"] = area
            st.session_state["custom_area_id"] = f"upload:{digest}"
            st.session_state["upload_notes"] = notes
            st.success(t("area_loaded"))

else:
    place = st.text_input(t("area_place"), placeholder="南京市玄武区新街口街道")
    if st.button(t("area_download"), disabled=not place.strip()):
        with planning_errors(), st.spinner(t("area_downloading")):
            import osmnx as ox

            network = download_network(place.strip())
            path = Path(tempfile.mkdtemp(prefix="planning-osm-")) / "network.graphml"
            ox.save_graphml(network.graph, path)
            st.session_state["downloaded_network"] = str(path)
            st.success(t("area_downloaded"))

# -- what is in use -----------------------------------------------------------------------
area = cov = None
with planning_errors(), st.spinner(t("area_loading")):
    area, area_id = current_area()
    cov = coverage(area, area_id)
if cov is None:
    st.stop()

st.header(t("area_in_use", name=area.name(lang())))
cat = catalogue()
cols = st.columns(4)
cols[0].metric(t("area_population"), count_text(area.demand["population"].sum()))
cols[1].metric(t("area_pop60"), count_text(area.demand["pop_60plus"].sum()) if "pop_60plus" in area.demand else UNKNOWN)
cols[2].metric(t("area_communities"), len(area.communities))
cols[3].metric(t("area_facilities"), len(area.facilities))

st.subheader(t("area_detected"))
st.write(t("area_crs", crs=area.crs.to_string() if area.crs else "?"))
st.write(t("area_network_size", nodes=area.network.n_nodes, edges=len(area.network.edges),
           points=len(area.demand), candidates=len(area.candidates)))
layer_rows = []
for layer in ("network", "demand", "communities", "facilities", "candidates"):
    origin = area.sources.get(layer, "missing")
    label = t(f"origin_{origin}") if origin in ("osm", "derived", "missing") else t("origin_file", name=origin)
    layer_rows.append({t("col_layer"): t(f"layer_{layer}"), t("col_origin"): label})
st.dataframe(pd.DataFrame(layer_rows), hide_index=True, width="stretch")

counts = area.facilities["type"].value_counts()
st.dataframe(pd.DataFrame({t("col_type"): [f.name(lang()) for f in cat.values()],
                           t("col_count"): [int(counts.get(k, 0)) for k in cat]}),
             hide_index=True, width="stretch")
for key in area.missing_types(cat):
    st.warning(t("area_missing_type", name=type_name(key)))
listing = osm_features_table(area, list(cat.values()), lang())
if listing is not None:
    with st.expander(listing.title):
        st.caption(listing.caption)
        st.dataframe(listing.frame, hide_index=True, width="stretch")

dropped = len(area.demand) - len(cov.demand)
if dropped:
    st.warning(t("area_dropped_demand", n=dropped))
show_notes(st.session_state.get("upload_notes", []) if "custom_area" in st.session_state else [])
show_notes(cov.notes)
if area.assumptions:
    with st.expander(t("area_assumptions")):
        for zh, en in area.assumptions:
            st.write("• " + pick((zh, en), lang()))
if area.attribution:
    st.caption(t("area_attribution", text=area.attribution))

st.subheader(t("area_preview"))
preview_type = next((k for k in cat if k in set(area.facilities["type"])), next(iter(cat)))
st.caption(t("area_preview_caption", name=type_name(preview_type)))
draw_map(community_layer(area, cov, preview_type, None), key="area_map", facilities=area.facilities)
