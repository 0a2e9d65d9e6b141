"""Cutting one city into street-office areas: who lives where, and which streets each area needs.

An area's walking times are exact up to the *horizon* (the longest walking tier) when its
network keeps every street within ``horizon_m + max_snap_m`` of the area: a walk of at most
``horizon_m`` from a resident never leaves the ``horizon_m`` buffer (straight-line distance
never exceeds walking distance), and the extra ``max_snap_m`` keeps the nearest street of every
resident and facility that matters, so points snap exactly as they do on the whole network.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planning.areas.boundaries import read_boundaries
from planning.base.catalogue import FacilityType
from planning.network.graph import WalkNetwork


def horizon_minutes(tiers: tuple[float, ...], types: list[FacilityType]) -> float:
    """The longest walk any result needs: the largest tier or facility-type tier, in minutes."""
    return float(max([*tiers, *(t.tier_minutes for t in types)]))


def read_areas(path: str | Path, crs, coord_system: str = "wgs84") -> tuple[gpd.GeoDataFrame, list]:
    """Street-office polygons with ``code`` and ``name`` columns, in ``crs``; with loader notices.

    Read like community boundaries (:func:`planning.areas.boundaries.read_boundaries`): points
    or lines are left out with a notice, or refused when there is no polygon; blank or repeated
    codes are refused, naming the rows.
    """
    return read_boundaries(path, crs, coord_system, prefix="街道")


def area_of_points(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Code of the area each point lies in (the first one on a shared border), else ``None``."""
    by_position = points[["geometry"]].reset_index(drop=True)  # labels may repeat; positions do not
    joined = gpd.sjoin(by_position, areas[["code", "geometry"]], how="left", predicate="intersects")
    first = joined[~joined.index.duplicated()]["code"].reindex(by_position.index)
    return first.astype(object).where(first.notna(), None).to_numpy()


def cut_network(network: WalkNetwork, polygon: shapely.Geometry, reach_m: float) -> np.ndarray:
    """Rows of ``network.edges`` an area needs: every street within ``reach_m`` of it, whole.

    Parameters
    ----------
    network
        The city's walking network.
    polygon
        The area, in the network CRS.
    reach_m
        Horizon distance plus the maximum snapping distance, in metres.

    Returns
    -------
    numpy.ndarray
        Edge rows (may be empty); :meth:`WalkNetwork.subnetwork` builds the area's network.
    """
    return np.sort(network.edges.sindex.query(shapely.buffer(polygon, reach_m), predicate="intersects"))


def within(points: gpd.GeoDataFrame, polygon: shapely.Geometry, distance_m: float) -> gpd.GeoDataFrame:
    """Points no farther than ``distance_m`` (straight line) from ``polygon``."""
    return points[shapely.dwithin(points.geometry.to_numpy(), polygon, distance_m)]
