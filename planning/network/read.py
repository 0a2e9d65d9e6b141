"""Reading walking networks: GraphML (OSMnx), OSM extracts (.osm, .osm.pbf) and downloads.

osmnx, pyrosm and osmium are imported inside the functions that need them: they take seconds
to import, and the command line must answer ``--help`` at once.
"""
from __future__ import annotations

import gzip
import hashlib
import shutil
import tempfile
from pathlib import Path

import networkx as nx

from planning.base.errors import PlanningError, error_reason
from planning.network.graph import WalkNetwork, number_or_nan

OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf")
GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in GRAPHML_SUFFIXES + (".osm.pbf",) + OSM_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file saved by osmnx, gzip-compressed or not.

    Coordinates and lengths that are missing, blank or not numbers are read as NaN, so that
    :meth:`WalkNetwork.from_graph` can name the problem (or measure the length) instead of a
    parser failing on the first one.
    """
    import osmnx as ox

    lenient = dict(node_dtypes={"x": number_or_nan, "y": number_or_nan}, edge_dtypes={"length": number_or_nan})
    if path.name.lower().endswith(".gz"):
        with tempfile.TemporaryDirectory() as tmp, gzip.open(path) as src:
            plain = Path(tmp) / "network.graphml"
            with open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return ox.load_graphml(plain, **lenient)
    return ox.load_graphml(path, **lenient)


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
        raise PlanningError("file_unreadable", path=path, reason=error_reason(exc)) from exc
    if graph.number_of_nodes() == 0:
        raise PlanningError("network_no_edges")
    return WalkNetwork.from_graph(graph)


def download_network(place: str | None = None,
                     bbox: tuple[float, float, float, float] | None = None) -> WalkNetwork:
    """Download a walking network from OpenStreetMap by place name or (west, south, east, north)."""
    import osmnx as ox

    try:
        if place:
            graph = ox.graph_from_place(place, network_type="walk")
        else:
            graph = ox.graph_from_bbox(bbox, network_type="walk")
    except Exception as exc:  # offline, unknown place, Overpass refusal
        raise PlanningError("network_download_failed", what=place or bbox, reason=error_reason(exc)) from exc
    return WalkNetwork.from_graph(graph)


def file_digest(path: Path) -> str:
    """Short content hash, used to key on-disk caches of derived layers."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]
