"""Walking networks: load from files or OpenStreetMap, project, and index for fast search.

Walking ignores one-way restrictions, so the network is treated as undirected and the
shortest of parallel edges is used. Distances are metres in a projected (UTM) CRS.
"""
from __future__ import annotations

import gzip
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from planning.base.errors import PlanningError
from planning.network.search import Graph

OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf")
GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")


@dataclass(frozen=True)
class WalkNetwork:
    """A projected walking network with the arrays the coverage engine needs.

    Attributes
    ----------
    graph
        The osmnx-style MultiDiGraph as loaded (projected); ``None`` for a part cut out of a
        larger network (:meth:`subnetwork`), which the search does not need.
    node_ids
        Graph node id at each node position used by the arrays.
    x, y
        Node coordinates in ``crs`` (metres).
    csr
        Undirected adjacency, weight = shortest parallel edge length in metres.
    edges
        One row per undirected edge (parallel edges kept): ``u``, ``v`` (node positions),
        ``length_m``, optional ``population``, ``highway`` and street ``name``, and the edge
        geometry — what points snap to.
    """

    graph: nx.MultiDiGraph | None
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    csr: Graph
    edges: gpd.GeoDataFrame

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
        """Index an osmnx graph; project it to UTM first when it is in degrees."""
        if graph.number_of_edges() == 0:
            raise PlanningError("network_no_edges")
        if "crs" not in graph.graph:
            raise PlanningError("network_no_crs")
        if gpd.GeoSeries([], crs=graph.graph["crs"]).crs.is_geographic:
            graph = ox.project_graph(graph)
        _coerce_numeric(graph)
        undirected = ox.convert.to_undirected(graph)
        nodes, edges = ox.graph_to_gdfs(undirected, fill_edge_geometry=True)
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
        return cls(graph, node_ids, x, y, _undirected_csr(u, v, length, len(node_ids)), edge_gdf)


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


def _coerce_numeric(graph: nx.MultiDiGraph) -> None:
    """Lengths and coordinates may arrive as strings (pyrosm, hand-made GraphML)."""
    for _, _, data in graph.edges(data=True):
        data["length"] = float(data["length"])
    for _, data in graph.nodes(data=True):
        data["x"], data["y"] = float(data["x"]), float(data["y"])


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


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in GRAPHML_SUFFIXES + (".osm.pbf",) + OSM_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file saved by osmnx, gzip-compressed or not."""
    if path.name.lower().endswith(".gz"):
        with tempfile.TemporaryDirectory() as tmp, gzip.open(path) as src:
            plain = Path(tmp) / "network.graphml"
            with open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return ox.load_graphml(plain)
    return ox.load_graphml(path)


def xml_to_pbf(src: Path, dst: Path) -> Path:
    """Convert an OSM XML file to PBF, so one reader (pyrosm) serves both formats."""
    import osmium

    with osmium.SimpleWriter(str(dst), overwrite=True) as writer:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    return dst


def read_osm_walk_graph(path: Path, bbox: tuple[float, float, float, float] | None = None) -> nx.MultiDiGraph:
    """Walking graph of an OSM extract (``.osm`` or ``.osm.pbf``), optionally clipped to a bbox.

    ``bbox`` is (west, south, east, north) in degrees. Only the largest connected part is
    kept, so that points do not snap to isolated fragments at the extract's edge.
    """
    import pyrosm

    with tempfile.TemporaryDirectory() as tmp:
        pbf = path if _suffix(path) != ".osm" else xml_to_pbf(path, Path(tmp) / "extract.osm.pbf")
        osm = pyrosm.OSM(str(pbf), bounding_box=list(bbox) if bbox else None)
        nodes, edges = osm.get_network(network_type="walking", nodes=True)
    if edges is None or len(edges) == 0:
        raise PlanningError("network_no_edges")
    return osm.to_graph(nodes, edges, graph_type="networkx", osmnx_compatible=True, retain_all=False)


def load_network(path: str | Path, bbox: tuple[float, float, float, float] | None = None) -> WalkNetwork:
    """Load a walking network from ``.graphml(.gz)``, ``.osm`` or ``.osm.pbf``, offline.

    Raises
    ------
    PlanningError
        Missing, empty or unreadable file, unknown format, or a network with no edges.
    """
    path = Path(path)
    if not path.exists():
        raise PlanningError("file_not_found", path=path)
    if path.stat().st_size == 0:
        raise PlanningError("file_empty", path=path)
    suffix = _suffix(path)
    try:
        if suffix in GRAPHML_SUFFIXES:
            graph = read_graphml(path)
        elif suffix in OSM_SUFFIXES:
            graph = read_osm_walk_graph(path, bbox)
        else:
            raise PlanningError("network_format_unknown", path=path)
    except PlanningError:
        raise
    except Exception as exc:  # a parser's own error: report it as unreadable, keep its reason
        raise PlanningError("file_unreadable", path=path, reason=_reason(exc)) from exc
    return WalkNetwork.from_graph(graph)


def download_network(place: str | None = None,
                     bbox: tuple[float, float, float, float] | None = None) -> WalkNetwork:
    """Download a walking network from OpenStreetMap by place name or (west, south, east, north)."""
    try:
        if place:
            graph = ox.graph_from_place(place, network_type="walk")
        else:
            graph = ox.graph_from_bbox(bbox, network_type="walk")
    except Exception as exc:  # offline, unknown place, Overpass refusal
        raise PlanningError("network_download_failed", what=place or bbox, reason=_reason(exc)) from exc
    return WalkNetwork.from_graph(graph)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def file_digest(path: Path) -> str:
    """Short content hash, used to key on-disk caches of derived layers."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]
