"""Coverage of an area: walking minutes per demand point and per-community summaries."""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.areas.derive import assign_community
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError, warning_text
from planning.base.walking import (
    DEFAULT_SPEED_KMH,
    MAX_REPORTED_MINUTES,
    MAX_SNAP_M,
    TIERS_MINUTES,
    check_minutes,
    speed_mps,
)
from planning.coverage.times import nearest_seconds, weighted_quantile
from planning.network.graph import WalkNetwork
from planning.network.snapping import snap_points


def served_weight(demand: pd.DataFrame, ftype: FacilityType) -> np.ndarray:
    """People whose coverage counts for a type: everyone, or residents aged 60+.

    Parking is weighted by all residents: car ownership enters the parking model, not coverage.
    """
    column = "pop_60plus" if ftype.serves == "elderly" and "pop_60plus" in demand else "population"
    return demand[column].to_numpy(float)


@dataclass
class Coverage:
    """Result of a coverage run (all layers in the network CRS).

    ``demand`` carries ``minutes_to_<type>`` (``inf`` = none within 60 minutes);
    ``by_community`` has one row per community and type; ``notes`` holds (zh, en) notices.
    """

    demand: gpd.GeoDataFrame
    by_community: pd.DataFrame
    overall: pd.DataFrame
    tiers: tuple[float, ...]
    notes: list[tuple[str, str]]


def compute_coverage(network: WalkNetwork, demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                     types: list[FacilityType], communities: gpd.GeoDataFrame | None = None,
                     tiers: tuple[float, ...] = TIERS_MINUTES, speed_kmh: float = DEFAULT_SPEED_KMH,
                     max_snap_m: float = MAX_SNAP_M) -> Coverage:
    """Walking minutes from every resident point to the nearest facility of each type.

    Parameters
    ----------
    demand
        Points with ``population`` (and optionally ``pop_60plus``, ``community``).
    facilities
        Points with a ``type`` column naming catalogue keys.
    types
        Facility types to evaluate.
    tiers
        Life-circle limits in minutes (default 5/10/15, GB 50180-2018).
    speed_kmh
        Walking speed.
    """
    walk_mps = speed_mps(speed_kmh)
    tiers = tuple(check_minutes(t) for t in tiers)
    notes: list[tuple[str, str]] = []
    snapped = snap_points(network, demand, max_snap_m)
    if snapped.n_dropped:
        notes.append(warning_text("points_some_far", n=snapped.n_dropped, total=snapped.n_input, max_m=max_snap_m))
    kept = demand.iloc[snapped.kept].to_crs(network.crs).copy()
    for ftype in types:
        sites = facilities[facilities["type"] == ftype.key]
        minutes = np.full(len(kept), np.inf)
        if len(sites):
            fsnap = snap_points(network, sites, max_snap_m)
            minutes = nearest_seconds(network, fsnap, snapped, walk_mps, MAX_REPORTED_MINUTES * 60) / 60.0
        kept[f"minutes_to_{ftype.key}"] = minutes
    if communities is not None and "community" not in kept:
        kept["community"] = assign_community(kept, communities.to_crs(network.crs))
    by_community = community_table(kept, types, tiers, communities)
    overall = community_table(kept.assign(community="__all__"), types, tiers, None)
    return Coverage(kept, by_community, overall.drop(columns=["community"]), tiers, notes)


def community_table(demand: pd.DataFrame, types: list[FacilityType], tiers: tuple[float, ...],
                    communities: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """One row per community × type: people served, share covered per tier, median/p90 minutes."""
    if "community" not in demand:
        raise PlanningError("demand_no_community")
    rows = []
    for community, group in demand.groupby("community", sort=True):
        for ftype in types:
            weight = served_weight(group, ftype)
            minutes = group[f"minutes_to_{ftype.key}"].to_numpy(float)
            total = weight.sum()
            row = {"community": community, "type": ftype.key, "population": group["population"].sum(),
                   "pop_60plus": group["pop_60plus"].sum() if "pop_60plus" in group else np.nan,
                   "served_population": total, "tier_minutes": ftype.tier_minutes}
            for tier in tiers:
                row[f"covered_{tier:g}min"] = float(weight[minutes <= tier].sum() / total) if total else np.nan
            row["covered_at_tier"] = float(weight[minutes <= ftype.tier_minutes].sum() / total) if total else np.nan
            row["median_minutes"] = weighted_quantile(minutes, weight, 0.5)
            row["p90_minutes"] = weighted_quantile(minutes, weight, 0.9)
            rows.append(row)
    table = pd.DataFrame(rows)
    if communities is not None and "name" in communities:
        names = communities.set_index("code")["name"] if "code" in communities else None
        if names is not None:
            table.insert(1, "name", table["community"].map(names))
    return table
