"""A scenario from a siting run: the sites chosen and the coverage they bring, ready to save, print and vote on."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optimize.siting import SitingData, plan_coverage
from planning.areas.build import Area
from planning.base.catalogue import FacilityType
from planning.base.walking import DEFAULT_SPEED_KMH, speed_mps
from scenarios.scenario import Scenario, build_scenario, round_counts


def scenario_from_siting(area: Area, data: SitingData, sites: pd.DataFrame, types: Mapping[str, FacilityType],
                         model: str, params: Mapping[str, Any], name: str, *, solver: str = "",
                         mip_gap: float = float("nan"), time_limit_seconds: float | None = None) -> Scenario:
    """The scenario of ``sites`` (a siting result's rows with ``type``, ``cost_yuan`` and geometry).

    Coverage before and after is counted per community (named as the area names them) at each
    type's life-circle tier; site ids are ``<candidate>-<type>``; the description lists the
    communities of the sites.
    """
    names = area.communities.set_index("code")["name"]
    type_keys = list(dict.fromkeys(sites["type"]))
    communities = plan_coverage(data, sites, [types[k] for k in type_keys])
    communities["community"] = communities["community"].map(names).fillna(communities["community"])
    communities = round_counts(communities)
    overall = communities.drop(columns="community").groupby(["type", "tier_minutes"], as_index=False).sum()
    lonlat = sites.set_geometry("geometry").to_crs(4326).geometry
    capacity = next((sites[c] for c in ("capacity", "spaces") if c in sites), [None] * len(sites))
    site_rows = pd.DataFrame({
        "id": sites["id"].astype(str) + "-" + sites["type"], "type": sites["type"], "lon": lonlat.x, "lat": lonlat.y,
        "cost_yuan": sites["cost_yuan"], "capacity": capacity,
    })
    places = "、".join(dict.fromkeys(sites["community"].map(names).dropna())) if "community" in sites else ""
    bounds = area.communities.to_crs(4326).total_bounds
    return build_scenario(
        name=name, description=places,
        area={"name": area.name_zh, "crs": "EPSG:4326", "bbox": tuple(float(b) for b in bounds)},
        facility_types={k: {"name_zh": types[k].name_zh, "name_en": types[k].name_en,
                            "tiers_minutes": [int(round(types[k].tier_minutes))]} for k in type_keys},
        model={"name": model, "p": params.get("p"), "budget_yuan": params.get("budget_yuan"),
               "minutes": float(max(types[k].tier_minutes for k in type_keys)),
               "speed_mps": speed_mps(DEFAULT_SPEED_KMH), "solver": solver,
               "gap": float(mip_gap) if np.isfinite(mip_gap) else None, "time_limit_seconds": time_limit_seconds},
        sites=site_rows, overall=overall, communities=communities,
        data_sources=[{"name": "area", "path": f"demo:{area.key}"}] if area.key != "custom" else
                     [{"name": layer, "path": origin} for layer, origin in area.sources.items()],
    )
