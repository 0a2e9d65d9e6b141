"""Snap points onto the nearest walkable edge, counting the off-network walk.

Snapping to edges (not nodes) avoids false zero distances and points jumping to a far node;
a maximum snapping distance keeps points from being pulled across rivers or out of the area.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from planning.base.errors import PlanningError
from planning.base.walking import MAX_SNAP_M
from planning.network.graph import WalkNetwork
from planning.network.search import Seeds, Targets


@dataclass(frozen=True)
class Snapped:
    """Points placed on the network.

    Attributes
    ----------
    kept
        Positions (into the input) of the points that snapped; the others were too far.
    edge
        Row of ``network.edges`` each kept point lies on.
    to_u_m, to_v_m
        Walking distance from the point to the edge's ``u`` / ``v`` end, off-network walk included.
    along_m
        Position along the edge from ``u`` (metres), for points sharing an edge.
    offset_m
        Straight off-network walk from the point to the edge.
    n_input
        How many points were given.
    """

    kept: np.ndarray
    edge: np.ndarray
    to_u_m: np.ndarray
    to_v_m: np.ndarray
    along_m: np.ndarray
    offset_m: np.ndarray
    n_input: int

    @property
    def n_dropped(self) -> int:
        return self.n_input - len(self.kept)

    def seeds(self, network: WalkNetwork) -> Seeds:
        """Each point as a search source seeding both ends of its edge."""
        u = network.edges["u"].to_numpy()[self.edge]
        v = network.edges["v"].to_numpy()[self.edge]
        n = len(self.kept)
        nodes = np.column_stack([u, v]).ravel().astype(np.int64)
        dist = np.column_stack([self.to_u_m, self.to_v_m]).ravel()
        return Seeds(np.arange(0, 2 * n + 1, 2, dtype=np.int64), nodes, dist)

    def targets(self, network: WalkNetwork) -> Targets:
        """Each point as a search target reached from either end of its edge."""
        u = network.edges["u"].to_numpy()[self.edge]
        v = network.edges["v"].to_numpy()[self.edge]
        ids = np.arange(len(self.kept))
        return Targets.from_attachments(np.concatenate([u, v]), np.concatenate([ids, ids]),
                                        np.concatenate([self.to_u_m, self.to_v_m]),
                                        network.n_nodes, len(self.kept))


COINCIDENT_M = 0.01


def _prefer_coincident_node(network: WalkNetwork, pts: np.ndarray, edge: np.ndarray,
                            frac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point on a node starts at that node, not on whichever edge passes over it.

    Several edges are equally near a node (all its own edges, and bridges drawn across it);
    choosing one of the node's own edges makes the point's distances exactly the node's.
    """
    gap, node = network.node_tree.query(shapely.get_coordinates(pts), distance_upper_bound=COINCIDENT_M)
    near = np.flatnonzero(np.isfinite(gap))
    if len(near) == 0:
        return edge, frac
    edge, frac = edge.copy(), frac.copy()
    edge[near], frac[near] = _incident_edge(network, node[near])
    return edge, frac


def _incident_edge(network: WalkNetwork, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each node, one edge it ends and the fraction along that edge where it sits (0 at u, 1 at v)."""
    ends = np.concatenate([network.edges["u"].to_numpy(), network.edges["v"].to_numpy()])
    first = np.full(network.n_nodes, -1)
    order = np.arange(len(ends))[::-1]  # reversed so the first occurrence is written last
    first[ends[order]] = order
    incident = first[node]
    return incident % len(network.edges), (incident >= len(network.edges)).astype(float)


def snap_to_nodes(network: WalkNetwork, points: gpd.GeoSeries | gpd.GeoDataFrame,
                  max_distance_m: float = MAX_SNAP_M) -> Snapped:
    """Each point placed on its nearest node within ``max_distance_m`` (the walk there not counted).

    The ``--snap node`` option of ``planning reach``, for comparison with node-based tools;
    :func:`snap_points` (to the street, the walk counted) is what every other result uses.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    pts = shapely.point_on_surface(geoms.to_crs(network.crs).to_numpy())
    if len(pts) == 0:
        return _empty()
    gap, node = network.node_tree.query(shapely.get_coordinates(pts), distance_upper_bound=max_distance_m)
    kept = np.flatnonzero(np.isfinite(gap))
    if len(kept) == 0:
        raise PlanningError("points_all_far", n=len(pts), max_m=max_distance_m)
    edge, frac = _incident_edge(network, node[kept])
    edge_len = network.edges["length_m"].to_numpy()[edge]
    along = frac * edge_len
    return Snapped(kept.astype(np.int64), edge.astype(np.int64), along, edge_len - along, along,
                   np.zeros(len(kept)), len(pts))


def _empty() -> Snapped:
    return Snapped(*(np.zeros(0, dtype) for dtype in (np.int64, np.int64, float, float, float, float)), 0)


def snap_points(network: WalkNetwork, points: gpd.GeoSeries | gpd.GeoDataFrame,
                max_distance_m: float = MAX_SNAP_M) -> Snapped:
    """Snap points to their nearest edge within ``max_distance_m``.

    Parameters
    ----------
    network
        The walking network (projected, metres).
    points
        Point geometries; reprojected to the network CRS. Polygons use their representative point.
    max_distance_m
        Points farther than this from every edge are dropped (see ``Snapped.n_dropped``).

    Raises
    ------
    PlanningError
        When no point lies within ``max_distance_m`` of the network.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geoms = geoms.to_crs(network.crs)
    pts = shapely.point_on_surface(geoms.to_numpy())
    n_input = len(pts)
    if n_input == 0:
        return _empty()
    edge_geoms = network.edges.geometry.to_numpy()
    (kept, edge), offset = network.edges.sindex.nearest(pts, return_all=False, max_distance=max_distance_m,
                                                        return_distance=True)
    if len(kept) == 0:
        raise PlanningError("points_all_far", n=n_input, max_m=max_distance_m)
    geom = edge_geoms[edge]
    geom_len = shapely.length(geom)
    frac = np.divide(shapely.line_locate_point(geom, pts[kept]), geom_len,
                     out=np.zeros(len(kept)), where=geom_len > 0)
    edge, frac = _prefer_coincident_node(network, pts[kept], edge, frac)
    edge_len = network.edges["length_m"].to_numpy()[edge]
    along = frac * edge_len
    return Snapped(kept.astype(np.int64), edge.astype(np.int64), offset + along,
                   offset + (edge_len - along), along, offset, n_input)
