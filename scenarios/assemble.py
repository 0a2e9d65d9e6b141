"""A siting plan turned into a scenario: what was built, where, at what cost, and who gains.

The app's siting page and the command line save plans through :func:`scenario_from_plan`, so a
scenario records the same figures whoever made it: coverage before and after at each type's
own tier (whole people), per community by name, the model and its settings, and where the
area's data came from.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from optimize.result import OptimizeResult
from optimize.siting import SitingData, plan_coverage
from planning.areas.build import Area
from planning.base.catalogue import FacilityType
from planning.base.walking import speed_mps
from scenarios.scenario import Scenario, build_scenario, round_counts


def scenario_from_plan(name: str, area: Area, data: SitingData, sites: gpd.GeoDataFrame, result: OptimizeResult,
                       types: Mapping[str, FacilityType], params: Mapping[str, Any], speed_kmh: float,
                       time_limit_s: float | None = None, needs: Mapping[str, Any] | None = None) -> Scenario:
    """The scenario of a solved plan.

    Parameters
    ----------
    sites
        The chosen sites as priced for the plan (``id``, ``type``, ``cost_yuan``, ``candidate_index``,
        optional ``community``, ``capacity``/``spaces``), in any CRS.
    types
        Catalogue types by key; every type in ``sites`` must be there.
    params
        The model's settings as the user gave them (``p``, ``budget_yuan`` …).
    needs
        The needs survey the plan used and how many of its needs the plan answers
        (:func:`scenarios.needs.needs_record`), or None.
    """
    type_keys = list(dict.fromkeys(sites["type"]))
    names = area.communities.set_index("code")["name"]
    communities = plan_coverage(data, sites, [types[k] for k in type_keys])
    communities["community"] = communities["community"].map(names).fillna(communities["community"])
    communities = round_counts(communities)
    overall = communities.drop(columns="community").groupby(["type", "tier_minutes"], as_index=False).sum()
    lonlat = sites.set_geometry("geometry").to_crs(4326).geometry
    capacity = next((sites[c] for c in ("capacity", "spaces") if c in sites), [None] * len(sites))
    site_rows = {"id": sites["id"].astype(str) + "-" + sites["type"], "type": sites["type"], "lon": lonlat.x,
                 "lat": lonlat.y, "cost_yuan": sites["cost_yuan"], "capacity": capacity}
    places = "、".join(dict.fromkeys(sites["community"].map(names).dropna())) if "community" in sites else ""
    bounds = area.communities.to_crs(4326).total_bounds
    return build_scenario(
        name=name,
        description=places,
        area={"name": area.name_zh, "crs": "EPSG:4326", "bbox": tuple(float(b) for b in bounds)},
        facility_types={k: {"name_zh": types[k].name_zh, "name_en": types[k].name_en,
                            "tiers_minutes": [int(round(types[k].tier_minutes))]} for k in type_keys},
        model={"name": result.model, "p": params.get("p"), "budget_yuan": params.get("budget_yuan"),
               "minutes": float(max(types[k].tier_minutes for k in type_keys)), "speed_mps": speed_mps(speed_kmh),
               "solver": result.solver, "gap": float(result.mip_gap) if math.isfinite(result.mip_gap) else None,
               "time_limit_seconds": time_limit_s},
        sites=pd.DataFrame(site_rows), overall=overall, communities=communities,
        data_sources=[{"name": "area", "path": f"{'area' if area.kind == 'saved' else 'demo'}:{area.key}"}]
        if area.key != "custom" else [{"name": layer, "path": origin} for layer, origin in area.sources.items()],
        needs=needs,
    )
