"""设施选址 / Siting: choose a location model, run it, see the new sites, save the plan as a scenario."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from optimize.siting import MODELS, build_model, plan_coverage
from planning.app.common import (
    catalogue,
    community_layer,
    coverage,
    current_area,
    draw_map,
    labels,
    lang,
    percent,
    planning_errors,
    remember,
    remembered,
    scenario_dir,
    show_error,
    siting_data,
    t,
    type_name,
)
from planning.base.errors import PlanningError
from planning.base.walking import DEFAULT_SPEED_KMH, speed_mps
from scenarios.scenario import build_scenario, round_counts, save_scenario

st.title(t("page_siting"))
st.caption(t("siting_intro"))
cat = catalogue()
area = area_id = cov = None
with planning_errors(), st.spinner(t("area_loading")):
    area, area_id = current_area()
    cov = coverage(area, area_id)
if cov is None:
    st.stop()

model = st.selectbox(t("siting_model"), MODELS, index=MODELS.index(remembered("model", "mclp")),
                     format_func=labels(MODELS, lambda k: t(f"model_{k}")))
remember("model", model)
st.info(t(f"model_{model}_help"))

params: dict = {}
if model == "budget":
    params["types"] = st.multiselect(t("siting_types"), list(cat), default=["meal_hall", "day_care"],
                                     format_func=labels(cat, type_name))
elif model == "parking":
    params["types"] = ["parking"]
else:
    keys = [k for k in cat if k != "parking"]
    params["types"] = [st.selectbox(t("siting_type"), keys, index=keys.index(remembered("siting_type", "meal_hall")),
                                    format_func=labels(keys, type_name))]
    remember("siting_type", params["types"][0])
if model in ("mclp", "p_median", "capacitated"):
    params["p"] = st.number_input(t("siting_p"), 1, 50, 3, help=t("siting_p_help"))
if model == "lscp":
    params["share"] = st.slider(t("siting_share"), 0.5, 1.0, 0.9, 0.05, help=t("siting_share_help"))
if model in ("budget", "parking"):
    params["budget_yuan"] = st.number_input(t("siting_budget"), 100_000, 1_000_000_000, 5_000_000, 500_000,
                                       help=t("siting_budget_help"))
if model == "parking":
    params["cars_per_household"] = st.slider(t("siting_cars"), 0.1, 1.5, 0.4, 0.05, help=t("siting_cars_help"))
time_limit = st.number_input(t("siting_time_limit"), 5, 300, 30, help=t("siting_time_limit_help"))


if st.button(t("siting_run"), type="primary"):
    with st.status(t("siting_running"), expanded=False) as status:
        try:
            st.write(t("siting_step_reach"))
            built = build_model(siting_data(area, area_id), model, [cat[k] for k in params["types"]], params)
            st.write(t("siting_step_solve"))
            result = built.solve(time_limit_s=float(time_limit))
            sites = result.sites.copy()
            if "type" not in sites:
                sites["type"] = params["types"][0]
            st.session_state["siting"] = {"result": result, "sites": sites, "model": model, "params": params,
                                          "area_id": area_id, "time_limit": float(time_limit)}
            status.update(label=t("siting_done"), state="complete")
        except PlanningError as err:
            status.update(label=t("siting_failed"), state="error")
            show_error(err)

run = st.session_state.get("siting")
if run is None or run["area_id"] != area_id:
    st.stop()

result, sites = run["result"], run["sites"]
st.subheader(t("siting_result"))
st.write(result.explain(lang()))
cols = st.columns(3)
cols[0].metric(t("siting_before"), percent(result.coverage_before))
cols[1].metric(t("siting_after"), percent(result.coverage_after),
               delta=f"{(result.coverage_after - result.coverage_before) * 100:+.1f} pt")
cols[2].metric(t("siting_n_sites"), len(sites))
if not result.has_solution or sites.empty:
    st.stop()

names = area.communities.set_index("code")["name"]
site_table = pd.DataFrame({
    t("col_site"): sites["id"].astype(str),
    t("col_type"): sites["type"].map(type_name),
    t("col_community"): sites["community"].map(names) if "community" in sites else "",
    t("col_cost_wan"): (sites["cost_yuan"] / 10_000).round(1) if "cost_yuan" in sites else np.nan,
})
st.dataframe(site_table, hide_index=True, width="stretch")
map_type = sites["type"].iloc[0]
draw_map(community_layer(area, cov, map_type, None), key="siting_map",
         facilities=area.facilities_of(map_type), sites=sites[["id", "type", "geometry"]])
if result.community_coverage is not None:
    table = result.community_coverage.copy()
    table["community"] = table["community"].map(names).fillna(table["community"])
    table[["coverage_before", "coverage_after"]] = (table[["coverage_before", "coverage_after"]] * 100).round(1)
    st.dataframe(table.rename(columns={"community": t("col_community"), "population": t("col_served"),
                                       "coverage_before": t("col_before_pct"), "coverage_after": t("col_after_pct"),
                                       "type": t("col_type")}),
                 hide_index=True, width="stretch")


# -- save as scenario -----------------------------------------------------------------------
st.subheader(t("siting_save"))
name = st.text_input(t("siting_scenario_name"), value=t("siting_default_name", model=t(f"model_{run['model']}")))
if st.button(t("siting_save_button")):
    with planning_errors():
        type_keys = list(dict.fromkeys(sites["type"]))
        communities = plan_coverage(siting_data(area, area_id), sites, [cat[k] for k in type_keys])
        communities["community"] = communities["community"].map(names).fillna(communities["community"])
        communities = round_counts(communities)
        overall = communities.drop(columns="community").groupby(["type", "tier_minutes"], as_index=False).sum()
        lonlat = sites.set_geometry("geometry").to_crs(4326).geometry
        capacity = next((sites[c] for c in ("capacity", "spaces") if c in sites), [None] * len(sites))
        site_rows = pd.DataFrame({
            "id": sites["id"].astype(str) + "-" + sites["type"], "type": sites["type"], "lon": lonlat.x, "lat": lonlat.y,
            "cost_yuan": sites["cost_yuan"] if "cost_yuan" in sites else 0.0, "capacity": capacity,
        })
        places = "、".join(dict.fromkeys(sites["community"].map(names).dropna())) if "community" in sites else ""
        bounds = area.communities.to_crs(4326).total_bounds
        scenario = build_scenario(
            name=name.strip() or t(f"model_{run['model']}"),
            description=places,
            area={"name": area.name_zh, "crs": "EPSG:4326", "bbox": tuple(float(b) for b in bounds)},
            facility_types={k: {"name_zh": cat[k].name_zh, "name_en": cat[k].name_en,
                                "tiers_minutes": [int(round(cat[k].tier_minutes))]} for k in type_keys},
            model={"name": result.model, "p": run["params"].get("p"), "budget_yuan": run["params"].get("budget_yuan"),
                   "minutes": float(max(cat[k].tier_minutes for k in type_keys)),
                   "speed_mps": speed_mps(DEFAULT_SPEED_KMH), "solver": result.solver,
                   "gap": float(result.mip_gap) if np.isfinite(result.mip_gap) else None,
                   "time_limit_seconds": run["time_limit"]},
            sites=site_rows, overall=overall, communities=communities,
            data_sources=[{"name": "area", "path": f"demo:{area.key}"}] if area.key != "custom" else
                         [{"name": layer, "path": origin} for layer, origin in area.sources.items()],
        )
        path = save_scenario(scenario, scenario_dir())
        st.success(t("siting_saved", path=path.name))
