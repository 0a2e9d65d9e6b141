"""Where uncovered residents live: grid clusters located by community, street and direction.

Resident points that cannot reach one or more facility types within their life-circle tiers
are summed on a square grid; each cell becomes one cluster at the population-weighted centre
of its points, listing the types out of reach there.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.base.catalogue import FacilityType
from planning.coverage.residents import served_weight
from planning.network.graph import WalkNetwork

CELL_M = 300.0  # about a 5-minute walk across: one new facility could serve a cell
STREET_SEARCH_M = 200.0  # a street farther than this does not describe the place
CENTRE_SHARE = 0.1  # within this share of the area's extent of its centre: "centre of the area"
DIRECTIONS = ("e", "ne", "n", "nw", "w", "sw", "s", "se")  # 45° sectors counter-clockwise from east


def named_streets(network: WalkNetwork) -> gpd.GeoDataFrame:
    """Network edges that carry a street name (column ``name``), in the network CRS."""
    if "name" not in network.edges:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=network.crs)
    named = network.edges[["name", "geometry"]]
    return named[named["name"].notna() & (named["name"].astype(str).str.strip() != "")]


def _cell_table(demand: gpd.GeoDataFrame, types: list[FacilityType], cell_m: float) -> pd.DataFrame:
    """One row per grid cell holding residents outside the tier of at least one type."""
    served = {t.key: served_weight(demand, t) for t in types}
    outside = {t.key: (demand[f"minutes_to_{t.key}"].to_numpy(float) > t.tier_minutes) & (served[t.key] > 0)
               for t in types}
    points = pd.DataFrame({
        "x": demand.geometry.x.to_numpy(), "y": demand.geometry.y.to_numpy(),
        "w": demand["population"].to_numpy(float), "w60": demand["pop_60plus"].to_numpy(float),
        "community": demand["community"].to_numpy(),
        **{f"uncovered_{k}": np.where(outside[k], served[k], 0.0) for k in served},
    })[np.logical_or.reduce([*outside.values(), np.zeros(len(demand), bool)])]
    points["cx"], points["cy"] = np.floor(points["x"] / cell_m), np.floor(points["y"] / cell_m)
    points["wx"], points["wy"] = points["x"] * points["w"], points["y"] * points["w"]
    per_type = [f"uncovered_{k}" for k in served]
    cells = points.groupby(["cx", "cy"])[["w", "w60", "wx", "wy", *per_type]].sum()
    main = points.groupby(["cx", "cy", "community"])["w"].sum().reset_index()
    main = main.loc[main.groupby(["cx", "cy"])["w"].idxmax()].set_index(["cx", "cy"])["community"]
    lacking = cells[per_type].gt(0).apply(lambda row: ",".join(k for k in served if row[f"uncovered_{k}"]), axis=1)
    return pd.DataFrame({
        "types": lacking, "uncovered": cells["w"], "uncovered_60plus": cells["w60"],
        "x": cells["wx"] / cells["w"].where(cells["w"] > 0), "y": cells["wy"] / cells["w"].where(cells["w"] > 0),
        "community": main, **{c: cells[c] for c in per_type},
    }).reset_index(drop=True)


def direction_from_centre(points: gpd.GeoSeries, communities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Compass sector (``DIRECTIONS`` key, or ``"centre"``) and distance in km from the area centre."""
    west, south, east, north = communities.total_bounds
    centre = communities.to_crs(points.crs).union_all().centroid
    dx, dy = points.x.to_numpy() - centre.x, points.y.to_numpy() - centre.y
    sector = np.round(np.degrees(np.arctan2(dy, dx)) / 45.0).astype(int) % 8
    distance = np.hypot(dx, dy)
    direction = np.where(distance < CENTRE_SHARE * max(east - west, north - south), "centre",
                         np.asarray(DIRECTIONS)[sector])
    return pd.DataFrame({"direction": direction, "distance_km": distance / 1000.0}, index=points.index)


def uncovered_clusters(demand: gpd.GeoDataFrame, types: list[FacilityType], communities: gpd.GeoDataFrame,
                       network: WalkNetwork, cell_m: float = CELL_M) -> gpd.GeoDataFrame:
    """Grid cells of residents outside the life-circle tier of one or more types, largest first.

    Parameters
    ----------
    demand
        ``Coverage.demand``: points with ``minutes_to_<type>``, ``population``, ``pop_60plus``, ``community``.
    types
        Types to look at (those with no facility at all are better reported as missing).
    cell_m
        Grid cell size in metres.

    Returns
    -------
    GeoDataFrame
        Points (network CRS, population-weighted centre of the cell) with ``types`` (comma-separated
        keys of the types out of reach), ``uncovered`` / ``uncovered_60plus`` (residents, and those
        aged 60+, out of reach of at least one type), ``uncovered_<type>`` (residents the type serves
        who are out of its reach), ``community`` (code), ``community_name``, ``street`` ("" if none
        within 200 m), ``direction`` and ``distance_km`` from the area centre.
    """
    table = _cell_table(demand, types, cell_m).sort_values("uncovered", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    points = gpd.GeoDataFrame(table.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(table["x"], table["y"]),
                              crs=demand.crs)
    names = communities.set_index("code")["name"].astype(str)
    points["community_name"] = points["community"].map(names).fillna("")
    streets = named_streets(network)
    nearest = gpd.sjoin_nearest(points[["geometry"]], streets, how="left", max_distance=STREET_SEARCH_M)
    street = nearest.groupby(level=0)["name"].first().reindex(points.index)
    points["street"] = street.astype(object).where(street.notna(), "").astype(str)
    return points.join(direction_from_centre(points.geometry, communities))
