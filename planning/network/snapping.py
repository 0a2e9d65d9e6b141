"""Snap points onto the nearest walkable edge, counting the off-network walk.

Snapping to edges (not nodes) avoids false zero distances and points jumping to a far node;
a maximum snapping distance keeps points from being pulled across rivers or out of the area.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from planning.base.errors import PlanningError
from planning.base.walking import MAX_SNAP_M
from planning.network.edge_index import edge_index
from planning.network.graph import WalkNetwork
from planning.network.kept import per_network
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
SNAP_CACHE_PER_NETWORK = 16  # snapped layers kept per network (demand, candidates, a few facility types)
_CACHE_LOCK = threading.Lock()


def _prefer_coincident_node(network: WalkNetwork, xy: np.ndarray, offset: np.ndarray, edge: np.ndarray,
                            frac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point on a node starts at that node, not on whichever edge passes over it.

    Several edges are equally near a node (all its own edges, and bridges drawn across it);
    choosing one of the node's own edges makes the point's distances exactly the node's.
    Only points that close to a street can be that close to a node (every node ends an edge,
    whose line ends within :func:`_end_gap_m` of it), so only they are looked up.
    """
    maybe = np.flatnonzero(offset <= COINCIDENT_M + _end_gap_m(network))
    if len(maybe) == 0:
        return edge, frac
    gap, node = network.node_tree.query(xy[maybe], distance_upper_bound=COINCIDENT_M)
    near = np.isfinite(gap)
    if not near.any():
        return edge, frac
    edge, frac = edge.copy(), frac.copy()
    edge[maybe[near]], frac[maybe[near]] = _incident_edge(network, node[near])
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


def _end_gap_m(network: WalkNetwork) -> float:
    """How far any edge line's ends lie from its nodes, at most (0 for osmnx networks)."""
    def build() -> float:
        edges = network.edges
        if len(edges) == 0:
            return 0.0
        lines = edges.geometry.to_numpy()
        u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
        start = shapely.get_coordinates(shapely.get_point(lines, 0))
        end = shapely.get_coordinates(shapely.get_point(lines, -1))
        gaps = np.concatenate([np.hypot(start[:, 0] - network.x[u], start[:, 1] - network.y[u]),
                               np.hypot(end[:, 0] - network.x[v], end[:, 1] - network.y[v])])
        return float(gaps.max())

    return per_network(network, "end_gap_m", build)


def _coordinates(geoms: gpd.GeoSeries) -> np.ndarray:
    """(x, y) of each point, or of a representative point of a line or polygon; NaN where empty."""
    values = geoms.to_numpy()
    xy = np.full((len(values), 2), np.nan)
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    shapes = values[present]
    if not (shapely.get_type_id(shapes) == 0).all():
        shapes = shapely.point_on_surface(shapes)
    xy[present] = shapely.get_coordinates(shapes)
    return xy


def _layer_key(xy: np.ndarray, max_distance_m: float, how: str) -> str:
    """A key from the points themselves, so a cached snap can never belong to other points."""
    digest = hashlib.blake2b(np.ascontiguousarray(xy).tobytes(), digest_size=16)
    digest.update(np.float64(max_distance_m).tobytes())
    return f"{how}:{len(xy)}:{digest.hexdigest()}"


def _cached_snap(network: WalkNetwork, xy: np.ndarray, max_distance_m: float, how: str, snap) -> "Snapped":
    """``snap(xy)`` once per network and set of points: demand, candidates and facilities are
    snapped again by every coverage run, model build and page of the app."""
    cache = per_network(network, "snapped", lambda: OrderedDict())
    key = _layer_key(xy, max_distance_m, how)
    with _CACHE_LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    snapped = snap(network, xy, max_distance_m)
    with _CACHE_LOCK:
        cache[key] = snapped
        while len(cache) > SNAP_CACHE_PER_NETWORK:
            cache.popitem(last=False)
    return snapped


def _frozen(*arrays: np.ndarray) -> list[np.ndarray]:
    """The arrays made read-only: a cached result is shared by every caller."""
    for a in arrays:
        a.setflags(write=False)
    return list(arrays)


def _snap_xy_to_edges(network: WalkNetwork, xy: np.ndarray, max_distance_m: float) -> "Snapped":
    n_input = len(xy)
    finite = np.flatnonzero(np.isfinite(xy).all(axis=1))
    index = edge_index(network)
    line, offset, along_geom = index.nearest(xy[finite, 0], xy[finite, 1], max_distance_m)
    found = line >= 0
    kept_pos, edge, offset, along_geom = finite[found], line[found].astype(np.int64), offset[found], along_geom[found]
    if len(kept_pos) == 0:
        raise PlanningError("points_all_far", n=n_input, max_m=max_distance_m)
    geom_len = index.line_length[edge]
    frac = np.divide(along_geom, geom_len, out=np.zeros(len(edge)), where=geom_len > 0)
    edge, frac = _prefer_coincident_node(network, xy[kept_pos], offset, edge, frac)
    edge_len = network.edges["length_m"].to_numpy()[edge]
    along = frac * edge_len
    return Snapped(*_frozen(kept_pos.astype(np.int64), edge.astype(np.int64), offset + along,
                            offset + (edge_len - along), along, offset), n_input)


def snap_points(network: WalkNetwork, points: gpd.GeoSeries | gpd.GeoDataFrame,
                max_distance_m: float = MAX_SNAP_M) -> Snapped:
    """Snap points to their nearest edge within ``max_distance_m``.

    The nearest edge is the one :func:`shapely.distance` finds nearest (the first edge row among
    equally near ones); a point within 1 cm of a node starts on one of that node's own edges.
    A set of points snapped once on a network is kept and handed out again (read-only arrays).

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
    xy = _coordinates(geoms.to_crs(network.crs))
    if len(xy) == 0:
        return _empty()
    return _cached_snap(network, xy, float(max_distance_m), "edge", _snap_xy_to_edges)
