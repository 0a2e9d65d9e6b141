"""区域与数据 / Area & data: pick an area, or build and save one from the office's files or a place
name; see which layers are the office's own and which were derived, and by which rule."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    area_choice,
    catalogue,
    choose_area,
    community_layer,
    coverage,
    current_area,
    draw_map,
    labels,
    lang,
    layers_file,
    markdown_literal,
    planning_errors,
    show_notes,
    t,
    type_name,
)
from planning.areas.build import AreaInputs, demo_areas
from planning.areas.store import save_area, saved_names
from planning.base.errors import PlanningError
from planning.base.formatting import UNKNOWN, count_text
from planning.base.paths import areas_dir
from planning.base.text import pick
from planning.io.layers import file_layers
from planning.io.write import keep_upload, upload_name
from planning.outputs.reports.content import osm_features_table

COORD_SYSTEMS = ("auto", "wgs84", "gcj02", "bd09")
# what planning.io.layers.read_points and planning.io.tables.read_table read (the same readers as the command line)
POINT_TYPES = ["csv", "txt", "tsv", "xlsx", "xls", "geojson", "json", "gpkg", "zip", "kml"]
UPLOADS = (  # role, label key, accepted suffixes
    ("source", "area_up_network", ["pbf", "osm", "graphml", "gz"]),
    ("boundaries", "area_up_boundaries", ["geojson", "json", "gpkg", "zip", "kml"]),
    ("population", "area_up_population", ["xlsx", "xls", "csv", "txt", "tsv"]),
    ("facilities", "area_up_facilities", POINT_TYPES),
    ("candidates", "area_up_candidates", POINT_TYPES),
    ("demand", "area_up_demand", POINT_TYPES),
)

st.title(t("page_area"))
st.caption(t("area_intro"))
if "area_flash" in st.session_state:
    st.success(st.session_state.pop("area_flash"), icon=ALERT_ICONS["success"])


def _upload_folder() -> Path:
    """This session's folder for uploads (files stay until the area is saved from them)."""
    if "upload_folder" not in st.session_state:
        st.session_state["upload_folder"] = tempfile.mkdtemp(prefix="planning-upload-")
    return Path(st.session_state["upload_folder"])


def _save(name: str, inputs: AreaInputs, replace: bool, place: str | None = None) -> None:
    """Build and save the area (the same store as ``planning area add``), then use it everywhere."""
    try:
        saved = save_area(name, inputs, replace_existing=replace, place=place)
    except PlanningError as err:  # uploads named as the browser gave them, not by the server's upload folder
        raise err.with_paths_as({f"{path.parent}{os.sep}": "" for path in inputs.files().values()}) from err
    choose_area(saved.key)
    st.session_state["area_flash"] = t("area_loaded", name=saved.key)
    st.rerun()


def _name_field() -> tuple[str, bool]:
    name = st.text_input(t("area_name"), help=t("area_name_help"), max_chars=60)
    exists = bool(name.strip()) and (areas_dir() / name.strip()).is_dir()
    return name, st.checkbox(t("area_replace")) if exists else False


source = st.radio(t("area_source"), ("pick", "upload", "place"), horizontal=True,
                  format_func=labels(("pick", "upload", "place"), lambda k: t(f"area_source_{k}")))

if source == "pick":
    demos, saved = demo_areas(), saved_names()
    names = [*demos, *[n for n in saved if n not in demos]]
    current = area_choice()
    chosen = st.selectbox(t("area_pick"), names, index=names.index(current) if current in names else 0,
                          format_func=labels(names, lambda k: pick((demos[k]["name_zh"], demos[k]["name_en"]), lang())
                                             if k in demos else t("area_pick_saved", name=k)))
    if chosen != current:
        choose_area(chosen)
        st.rerun()

elif source == "upload":
    st.write(t("area_upload_help"))
    name, replace = _name_field()
    folder = _upload_folder()
    files: dict[str, Path | None] = {}
    layers: dict[str, str | None] = {}
    for role, key, suffixes in UPLOADS:
        upload = st.file_uploader(t(key), type=suffixes, key=f"upload_{role}")
        files[role] = keep_upload(folder, upload.name, upload.getvalue()) if upload is not None else None
        choices = file_layers(files[role]) if files[role] is not None and role != "source" else []
        if len(choices) > 1:
            layers[role] = st.selectbox(t("area_layer_of", file=markdown_literal(upload_name(upload.name))), choices,
                                        key=f"layer_{role}")
    coord = st.selectbox(t("area_coord"), COORD_SYSTEMS, format_func=labels(COORD_SYSTEMS, lambda k: t(f"coord_{k}")),
                         help=t("area_coord_help"))
    ftype = st.selectbox(t("area_facility_type"), [None, *catalogue()],
                         format_func=labels([None, *catalogue()], lambda k: t("area_type_in_file") if k is None else type_name(k)))
    if st.button(t("area_load_files"), type="primary", disabled=files["source"] is None):
        if not name.strip():
            st.error(t("area_need_name"), icon=ALERT_ICONS["error"])
        else:
            with planning_errors(), st.spinner(t("area_building")):
                inputs = AreaInputs(coord_system=coord, facility_type=ftype, **files,
                                    **{f"{role}_layer": layer for role, layer in layers.items()})
                _save(name, inputs, replace)

else:
    name, replace = _name_field()
    place = st.text_input(t("area_place"), placeholder="北京市海淀区燕园街道")
    if st.button(t("area_download"), type="primary", disabled=not place.strip()):
        if not name.strip():
            st.error(t("area_need_name"), icon=ALERT_ICONS["error"])
        else:
            from planning.areas.place import download_place

            download = Path(tempfile.mkdtemp(prefix="planning-place-"))
            try:
                with planning_errors(), st.spinner(t("area_downloading")):
                    source_file, _ = download_place(place.strip(), download)
                    _save(name, AreaInputs(source=source_file), replace, place=place.strip())
            finally:
                shutil.rmtree(download, ignore_errors=True)

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
    origin = area.origins.get(layer)
    kind = origin.kind if origin else "missing"
    label = t(f"origin_{kind}", name=origin.file) if kind in ("office", "mixed") else t(f"origin_{kind}")
    layer_rows.append({t("col_layer"): t(f"layer_{layer}"), t("col_origin"): label,
                       t("col_rule"): pick(origin.rule, lang()) if origin else ""})
st.table(pd.DataFrame(layer_rows).set_index(t("col_layer")))  # rules in full; file names as cell text, not Markdown

by_source = area.facilities.groupby(["type", "source"]).size()
st.dataframe(pd.DataFrame({t("col_type"): [f.name(lang()) for f in cat.values()],
                           t("col_count_office"): [int(by_source.get((k, "office"), 0)) for k in cat],
                           t("col_count_osm"): [int(by_source.get((k, "osm"), 0)) for k in cat]}),
             hide_index=True, width="stretch")
facilities_origin = area.origins.get("facilities")
only_osm = facilities_origin is None or facilities_origin.kind == "osm"
for key in area.missing_types(cat):
    st.warning(t("area_missing_type" if only_osm else "area_missing_type_any", name=type_name(key)), icon=ALERT_ICONS["warning"])
listing = osm_features_table(area, list(cat.values()), lang())
if listing is not None:
    with st.expander(listing.title):
        st.caption(listing.caption)
        st.dataframe(listing.frame, hide_index=True, width="stretch")

dropped = len(area.demand) - len(cov.demand)
if dropped:
    st.warning(t("area_dropped_demand", n=dropped), icon=ALERT_ICONS["warning"])
if area.notes:
    st.markdown(f"**{t('area_notes')}**")
    show_notes(area.notes)
show_notes(cov.notes)
if area.assumptions:
    with st.expander(t("area_assumptions")):
        for zh, en in area.assumptions:
            st.text("• " + pick((zh, en), lang()))
if area.attribution:
    st.caption(t("area_attribution", text=area.attribution))

st.subheader(t("area_reports"))
st.caption(t("area_reports_help"))
file_stem = "".join(c for c in area.key if c.isalnum() or c in "-_") or "area"
st.download_button(t("area_download_gpkg"), lambda: layers_file(area, area_id), file_name=f"{file_stem}.gpkg",
                   mime="application/geopackage+sqlite3", key="download_gpkg")

st.subheader(t("area_preview"))
preview_type = next((k for k in cat if k in set(area.facilities["type"])), next(iter(cat)))
st.caption(t("area_preview_caption", name=type_name(preview_type)))
draw_map(community_layer(area, cov, preview_type, None), key="area_map", facilities=area.facilities)
