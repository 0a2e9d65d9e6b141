"""覆盖分析 / Coverage: who can walk to each kind of facility within the life-circle tiers."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    catalogue,
    community_layer,
    coverage,
    coverage_files,
    current_area,
    demand_layer,
    draw_map,
    labels,
    lang,
    numeric_or_text,
    planning_errors,
    print_downloads,
    remember,
    remembered,
    share,
    t,
    type_name,
    unknown_footnote,
    walk_areas,
)
from planning.base.formatting import count_text, minutes_text, share_text
from planning.base.walking import TIERS_MINUTES
from planning.coverage.gaps import ranked_gaps

st.title(t("page_coverage"))
st.caption(t("coverage_intro"))

cat = catalogue()
area, area_id = None, None
with planning_errors(), st.spinner(t("area_loading")):
    area, area_id = current_area()
if area is None:
    st.stop()

types = st.multiselect(t("coverage_types"), list(cat), default=remembered("cov_types", list(cat)),
                       format_func=labels(cat, type_name))
remember("cov_types", types)
tier_choice = st.radio(t("coverage_tier"), ("standard", *TIERS_MINUTES), horizontal=True,
                       index=("standard", *TIERS_MINUTES).index(remembered("cov_tier", "standard")),
                       format_func=labels(("standard", *TIERS_MINUTES), lambda k: t("tier_standard") if k == "standard" else t("tier_minutes", m=k)))
remember("cov_tier", tier_choice)
if not types:
    st.info(t("coverage_pick_type"), icon=ALERT_ICONS["info"])
    st.stop()

with planning_errors(), st.spinner(t("coverage_running")):
    cov = coverage(area, area_id)
    overall = cov.overall.set_index("type")

cols = st.columns(min(len(types), 3))
for i, key in enumerate(types):
    tier = cat[key].tier_minutes if tier_choice == "standard" else tier_choice
    column = "covered_at_tier" if tier_choice == "standard" else f"covered_{tier_choice:g}min"
    cols[i % len(cols)].metric(t("coverage_metric", name=type_name(key), m=f"{tier:g}"),
                               share(overall.loc[key, column]))

st.subheader(t("coverage_map"))
map_type = st.selectbox(t("coverage_map_type"), types, format_func=labels(types, type_name))
tier = cat[map_type].tier_minutes if tier_choice == "standard" else tier_choice
show_iso = st.checkbox(t("coverage_show_iso"), value=True)
with planning_errors():
    draw_map(
        community_layer(area, cov, map_type, None if tier_choice == "standard" else tier),
        key="coverage_map",
        facilities=area.facilities_of(map_type),
        isochrones=walk_areas(area, area_id, map_type) if show_iso else None,
        demand=demand_layer(cov, map_type, tier),
    )

st.subheader(t("coverage_gaps"))
st.caption(t("coverage_gaps_help"))
column = "covered_at_tier" if tier_choice == "standard" else f"covered_{tier_choice:g}min"
table = ranked_gaps(cov.by_community, column, types)  # per type, the most residents out of reach first
covered = numeric_or_text(table[column], share_text, scale=100)
gaps = pd.DataFrame({
    t("col_type"): table["type"].map(type_name),
    t("col_rank"): table["rank"],
    t("col_community"): table["name"] if "name" in table else table["community"],
    t("col_uncovered"): numeric_or_text(table["uncovered"], count_text, decimals=0),
    t("col_population"): numeric_or_text(table["population"], count_text, decimals=0),
    t("col_pop60"): numeric_or_text(table["pop_60plus"], count_text, decimals=0),
    t("col_covered_pct"): covered,
    t("col_median_min"): table["median_minutes"].map(lambda v: minutes_text(v, lang())),
})
progress = {t("col_covered_pct"): st.column_config.ProgressColumn(t("col_covered_pct"), min_value=0, max_value=100,
                                                                  format="%.1f%%")}  # 42.7%, as everywhere
st.dataframe(gaps, hide_index=True, width="stretch", column_config={
    **(progress if covered.dtype != object else {}),
    t("col_median_min"): st.column_config.TextColumn(t("col_median_min"), help=t("col_median_help")),
    t("col_uncovered"): st.column_config.Column(t("col_uncovered"), help=t("col_uncovered_help")),
})
unknown_footnote(gaps)

left, right = st.columns(2)  # the files are written when asked for (a GeoPackage takes half a second), then cached
left.download_button(t("download_gpkg"), lambda: coverage_files(area, area_id)[0], file_name="coverage.gpkg",
                     mime="application/geopackage+sqlite3", on_click="ignore")
right.download_button(t("download_csv"), lambda: coverage_files(area, area_id)[1],
                      file_name="coverage_by_community.csv", mime="text/csv", on_click="ignore")

print_downloads(area, area_id, key="coverage_print")
