"""The walking network as arrays: nodes, undirected CSR adjacency and oriented edge lines.

Walking ignores one-way restrictions, so the network is treated as undirected and the
shortest of parallel edges is used. Distances are metres in a projected (UTM) CRS.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planning.base.errors import PlanningError, warning_text
from planning.network.order import locality_order
from planning.network.search import Graph


@dataclass(frozen=True)
class WalkNetwork:
    """A projected walking network with the arrays the coverage engine needs.

    Attributes
    ----------
    graph
        The osmnx-style MultiDiGraph as loaded (projected); ``None`` for a part cut out of a
        larger network (:meth:`subnetwork`), which the search does not need.
    node_ids
        Graph node id at each node position used by the arrays. Positions follow a Hilbert
        curve over the coordinates (:mod:`planning.network.order`), not the graph's node order.
    x, y
        Node coordinates in ``crs`` (metres).
    csr
        Undirected adjacency, weight = shortest parallel edge length in metres.
    edges
        One row per undirected edge (parallel edges kept): ``u``, ``v`` (node positions),
        ``length_m``, optional ``population``, ``highway`` and street ``name``, and the edge
        geometry — what points snap to.
    notes
        (zh, en) notices about the file, e.g. lengths recomputed from the street lines.
    """

    graph: nx.MultiDiGraph | None
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    csr: Graph
    edges: gpd.GeoDataFrame
    notes: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __reduce__(self):
        """Pickled with the street lines as flat coordinate arrays, not one WKB object per line: a city's
        network reaches each batch worker (and the app's disk cache) in a tenth of the unpickling time.
        What is derived (the node KD-tree, snapping indexes) is built again where it is needed."""
        table = pd.DataFrame(self.edges.drop(columns=self.edges.geometry.name))
        return (_unpickle_network, (self.graph, self.node_ids, self.x, self.y, self.csr, table, self.edges.crs,
                                    self.edges.geometry.name, _pack_lines(self.edges.geometry.to_numpy()),
                                    self.notes))

    @cached_property
    def node_tree(self) -> cKDTree:
        """KD-tree of the node coordinates, built once per network (snapping asks it often)."""
        return cKDTree(np.column_stack([self.x, self.y]))

    @property
    def crs(self):
        return self.edges.crs

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """Nodes as points with their graph ids in column ``node_id``."""
        return gpd.GeoDataFrame({"node_id": self.node_ids},
                                geometry=gpd.points_from_xy(self.x, self.y), crs=self.crs)

    def subnetwork(self, rows: np.ndarray) -> "WalkNetwork":
        """The streets at positions ``rows`` of :attr:`edges` and their end nodes, indexed anew.

        Built from the arrays, with no graph copy, so cutting a city into areas stays cheap.
        """
        edges = self.edges.iloc[np.asarray(rows)]
        if len(edges) == 0:
            raise PlanningError("network_no_edges")
        u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
        ends = np.unique(np.concatenate([u, v]))
        position = np.full(self.n_nodes, -1, dtype=np.int64)
        position[ends] = np.arange(len(ends))
        cut = edges.assign(u=position[u], v=position[v]).reset_index(drop=True)
        return WalkNetwork(None, self.node_ids[ends], self.x[ends], self.y[ends],
                           _undirected_csr(cut["u"].to_numpy(), cut["v"].to_numpy(),
                                           cut["length_m"].to_numpy(), len(ends)), cut)

    @classmethod
    def from_graph(cls, graph: nx.MultiDiGraph) -> "WalkNetwork":
        """Index an osmnx graph; project it to UTM first when it is in degrees.

        Raises
        ------
        PlanningError
            No streets (or only loops from a node to itself), no or an unknown CRS, nodes
            without coordinates (an edge naming an undeclared node), negative or infinite
            lengths. Missing, blank or NaN lengths are recomputed from the street lines,
            with a notice in :attr:`notes`.
        """
        import osmnx as ox

        _check_structure(graph)
        if gpd.GeoSeries([], crs=graph.graph["crs"]).crs.is_geographic:
            graph = ox.project_graph(graph)
        notes = _check_lengths(graph)
        undirected = ox.convert.to_undirected(graph)
        nodes, edges = ox.graph_to_gdfs(undirected, fill_edge_geometry=True)
        nodes = nodes.iloc[locality_order(nodes["x"].to_numpy(float), nodes["y"].to_numpy(float))]
        node_ids = nodes.index.to_numpy()
        position = pd.Series(np.arange(len(node_ids)), index=nodes.index)
        u = position.loc[edges.index.get_level_values("u")].to_numpy()
        v = position.loc[edges.index.get_level_values("v")].to_numpy()
        length = edges["length"].astype(float).to_numpy()
        table = {"u": u, "v": v, "length_m": length}
        for column in ("highway", "name"):
            if column in edges.columns:
                table[column] = edges[column].map(_first).to_numpy(object)
        if "population" in edges.columns:
            table["population"] = pd.to_numeric(edges["population"], errors="coerce").fillna(0.0).to_numpy()
        x, y = nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)
        geometry = orient_geometries(edges.geometry.to_numpy(), x, y, u, v)
        edge_gdf = gpd.GeoDataFrame(table, geometry=geometry, crs=edges.crs)
        check_orientation(edge_gdf, x, y)
        return cls(graph, node_ids, x, y, _undirected_csr(u, v, length, len(node_ids)), edge_gdf, tuple(notes))


def street_pair(crs: str = "EPSG:32650") -> WalkNetwork:
    """Two 100 m streets in a line (in ``crs``, metres): the smallest network every search and snapping
    kernel runs on, e.g. to have numba load their machine code before a user waits for it."""
    x, y = np.array([0.0, 100.0, 200.0]), np.zeros(3)
    u, v, length = np.array([0, 1]), np.array([1, 2]), np.array([100.0, 100.0])
    edges = gpd.GeoDataFrame({"u": u, "v": v, "length_m": length},
                             geometry=shapely.linestrings([[[0.0, 0.0], [100.0, 0.0]], [[100.0, 0.0], [200.0, 0.0]]]),
                             crs=crs)
    return WalkNetwork(None, np.arange(3), x, y, _undirected_csr(u, v, length, 3), edges)


def _pack_lines(lines: np.ndarray) -> tuple:
    """Street lines as (``"ragged"``, coordinates, offsets) when all are LineStrings, else as WKB."""
    if len(lines) and (shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING).all():
        _, coords, offsets = shapely.to_ragged_array(lines)
        return ("ragged", coords, offsets)
    return ("wkb", shapely.to_wkb(lines))


def _unpack_lines(packed: tuple) -> np.ndarray:
    if packed[0] == "ragged":
        return shapely.from_ragged_array(shapely.GeometryType.LINESTRING, packed[1], packed[2])
    return shapely.from_wkb(packed[1])


def _unpickle_network(graph, node_ids, x, y, csr, table, crs, geometry_name, packed, notes) -> WalkNetwork:
    lines = gpd.GeoSeries(_unpack_lines(packed), index=table.index, crs=crs, name=geometry_name)
    edges = gpd.GeoDataFrame(table.assign(**{geometry_name: lines}), geometry=geometry_name, crs=crs)
    return WalkNetwork(graph, node_ids, x, y, csr, edges, notes)


def number_or_nan(value) -> float:
    """A float from a GraphML/pyrosm value; missing, blank or unreadable is NaN."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _examples(items: list) -> str:
    return ", ".join(map(str, items[:5])) + (" …" if len(items) > 5 else "")


def _check_structure(graph: nx.MultiDiGraph) -> None:
    """Edges between distinct nodes, a known CRS and finite coordinates on every node."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if not any(u != v for u, v in graph.edges()):
        raise PlanningError("network_no_edges")
    if "crs" not in graph.graph:
        raise PlanningError("network_no_crs")
    try:
        CRS.from_user_input(graph.graph["crs"])
    except CRSError:
        raise PlanningError("network_crs_unknown", crs=str(graph.graph["crs"])[:80]) from None
    missing = []
    for node, data in graph.nodes(data=True):
        data["x"], data["y"] = number_or_nan(data.get("x")), number_or_nan(data.get("y"))
        if not (np.isfinite(data["x"]) and np.isfinite(data["y"])):
            missing.append(node)
    if missing:
        raise PlanningError("network_nodes_no_xy", n=len(missing), total=graph.number_of_nodes(),
                            ids=_examples(missing))


def _check_lengths(graph: nx.MultiDiGraph) -> list[tuple[str, str]]:
    """Edge lengths as finite metres ≥ 0: missing/blank/NaN ones measured on the (projected) street line.

    Negative or infinite lengths are refused: the file is damaged, and guessing would hide it.
    """
    bad, unknown = [], []
    for u, v, key, data in graph.edges(keys=True, data=True):
        data["length"] = length = number_or_nan(data.get("length"))
        if np.isnan(length):
            unknown.append((u, v, key, data))
        elif length < 0 or not np.isfinite(length):
            bad.append(f"{u}–{v}")
    if bad:
        raise PlanningError("network_lengths_bad", n=len(bad), total=graph.number_of_edges(), edges=_examples(bad))
    for u, v, _, data in unknown:
        line = data.get("geometry")
        if line is None:
            line = shapely.LineString([(graph.nodes[u]["x"], graph.nodes[u]["y"]),
                                       (graph.nodes[v]["x"], graph.nodes[v]["y"])])
        data["length"] = float(shapely.length(line))
    if unknown:
        return [warning_text("network_lengths_recomputed", n=len(unknown), total=graph.number_of_edges())]
    return []


def _end_gaps(geometry: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray,
              v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(metres its ends lie from u→v, metres from v→u) for each line: the smaller says its way."""
    start = shapely.get_coordinates(shapely.get_point(geometry, 0))
    end = shapely.get_coordinates(shapely.get_point(geometry, -1))
    as_is = np.hypot(start[:, 0] - x[u], start[:, 1] - y[u]) + np.hypot(end[:, 0] - x[v], end[:, 1] - y[v])
    flipped = np.hypot(start[:, 0] - x[v], start[:, 1] - y[v]) + np.hypot(end[:, 0] - x[u], end[:, 1] - y[u])
    return as_is, flipped


def orient_geometries(geometry: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray,
                      v: np.ndarray) -> np.ndarray:
    """Each edge line drawn from its row's ``u`` to its ``v``.

    ``osmnx.convert.to_undirected`` keeps one direction's geometry per edge, while
    ``graph_to_gdfs`` may list the edge as (v, u): measuring "along from u" on such a line
    credits the walk to the wrong end. Lines whose ends sit nearer (v, u) are reversed.
    """
    as_is, flipped = _end_gaps(geometry, x, y, u, v)
    reverse = flipped < as_is
    out = geometry.copy()
    out[reverse] = shapely.reverse(geometry[reverse])
    return out


def check_orientation(edges: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> None:
    """Refuse an edge table whose lines run v→u: every distance along an edge would be wrong."""
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    as_is, flipped = _end_gaps(edges.geometry.to_numpy(), x, y, u, v)
    wrong = np.flatnonzero(flipped < as_is)
    if len(wrong):
        raise PlanningError("network_edges_reversed", n=len(wrong), total=len(edges))


def _first(value):
    """osmnx keeps a list where merged ways had several values; the first is representative."""
    return value[0] if isinstance(value, list) else value


def _undirected_csr(u: np.ndarray, v: np.ndarray, length: np.ndarray, n_nodes: int) -> Graph:
    """Both directions of every edge, keeping the shortest of parallel edges, no self-loops."""
    keep = u != v
    a = np.concatenate([u[keep], v[keep]])
    b = np.concatenate([v[keep], u[keep]])
    w = np.concatenate([length[keep], length[keep]])
    pairs = pd.DataFrame({"a": a, "b": b, "w": w}).groupby(["a", "b"], sort=True)["w"].min()
    a = pairs.index.get_level_values("a").to_numpy(np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n_nodes))]).astype(np.int64)
    return Graph(indptr, pairs.index.get_level_values("b").to_numpy(np.int64), pairs.to_numpy(float))
