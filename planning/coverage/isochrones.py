"""Isochrone polygons: the streets reachable within each tier, buffered — not convex hulls.

One multi-source search gives every node's distance to the nearest facility; each tier then
keeps the reachable part of every edge (whole edges, or the stretch walkable from either end)
and buffers it, so a river or a wall without a crossing stays outside the polygon.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import substring

from planning.network.graph import WalkNetwork
from planning.network.search import Targets, bounded_search
from planning.network.snapping import Snapped

STREET_BUFFER_M = 50.0  # residents reach buildings up to about this far from the street


def node_metres_to_nearest(network: WalkNetwork, facilities: Snapped, cutoff_m: float) -> np.ndarray:
    """Metres from every node to the nearest facility (``inf`` beyond ``cutoff_m``)."""
    out = np.full(network.n_nodes, np.inf)
    if len(facilities.kept) == 0:
        return out
    merged = facilities.seeds(network).as_one_source()
    row = bounded_search(network.csr, merged, Targets.nodes(network.n_nodes), cutoff_m, n_threads=1)
    out[row.indices] = row.data
    return out


def _around_sources(geoms: np.ndarray, length: np.ndarray, facilities: Snapped, cutoff_m: float) -> list:
    """The stretch of each facility's own edge walkable straight from it (not via the edge's ends)."""
    reach = cutoff_m - facilities.offset_m
    parts = []
    for e, along, r in zip(facilities.edge, facilities.along_m, reach):
        if r > 0 and length[e] > 0:
            scale = shapely.length(geoms[e]) / length[e]
            parts.append(substring(geoms[e], max(0.0, along - r) * scale, min(length[e], along + r) * scale))
    return parts


def isochrones(network: WalkNetwork, facilities: Snapped, minutes: tuple[float, ...],
               speed_mps: float, buffer_m: float = STREET_BUFFER_M) -> gpd.GeoDataFrame:
    """One polygon per tier (column ``minutes``) in the network CRS, largest tier first."""
    dist = node_metres_to_nearest(network, facilities, max(minutes) * 60 * speed_mps)
    edges = network.edges
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    length = edges["length_m"].to_numpy()
    geoms = edges.geometry.to_numpy()
    rows = []
    for tier in sorted(minutes, reverse=True):
        cutoff_m = tier * 60 * speed_mps
        from_u = np.clip(cutoff_m - dist[u], 0, None)  # metres walkable into the edge from each end
        from_v = np.clip(cutoff_m - dist[v], 0, None)
        whole = from_u + from_v >= length
        parts = list(geoms[whole])
        for i in np.flatnonzero(~whole & ((from_u > 0) | (from_v > 0))):
            scale = shapely.length(geoms[i]) / length[i] if length[i] > 0 else 1.0
            if from_u[i] > 0:
                parts.append(substring(geoms[i], 0, from_u[i] * scale))
            if from_v[i] > 0:
                parts.append(substring(geoms[i], (length[i] - from_v[i]) * scale, length[i] * scale))
        parts += _around_sources(geoms, length, facilities, cutoff_m)
        area = shapely.union_all(shapely.buffer(np.array(parts, dtype=object), buffer_m)) if parts else shapely.Polygon()
        rows.append({"minutes": tier, "geometry": area})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)
