"""An independent reference for walking times from points that are not network nodes.

Every point is projected onto the nearest edge of the *directed* source graph (whose geometry
runs from its own u to v, as osmnx stores it), that edge is split at the projections into a
chain of new nodes, each point hangs off its projection by its straight walk to the street,
and networkx's Dijkstra measures the rest. Nothing of the project's edge table or snapping is
used, so agreement with :func:`planning.coverage.residents.compute_coverage` is a real check.
"""
from __future__ import annotations

from collections import defaultdict

import networkx as nx
import numpy as np
import shapely


def street_edges(graph: nx.MultiDiGraph) -> tuple[list, np.ndarray]:
    """(u, v, length) and geometry of every street, drawn u→v as osmnx stores it.

    A two-way street is stored twice (u→v and v→u, one line reversed); it is kept once, so
    two points on the same street land on the same piece of it.
    """
    keys, lines, seen = [], [], set()
    for u, v, data in graph.edges(data=True):
        line = data.get("geometry") or shapely.LineString(
            [(graph.nodes[u]["x"], graph.nodes[u]["y"]), (graph.nodes[v]["x"], graph.nodes[v]["y"])])
        coords = tuple(map(tuple, np.round(shapely.get_coordinates(line), 6)))
        if (v, u, coords[::-1]) in seen:
            continue
        seen.add((u, v, coords))
        keys.append((u, v, float(data["length"])))
        lines.append(line)
    return keys, np.array(lines, dtype=object)


def graph_with_points_inserted(graph: nx.MultiDiGraph, points: np.ndarray) -> nx.MultiGraph:
    """The undirected street graph with every point spliced into its nearest edge."""
    keys, lines = street_edges(graph)
    nearest = shapely.STRtree(lines).nearest(points)
    out = nx.MultiGraph()
    out.add_nodes_from(graph.nodes)
    on_edge = defaultdict(list)
    for i, e in enumerate(nearest):
        on_edge[e].append(i)
    for e, (u, v, length) in enumerate(keys):
        if e not in on_edge:
            out.add_edge(u, v, length=length)
            continue
        line = lines[e]
        scale = length / line.length if line.length > 0 else 0.0
        along = sorted((shapely.line_locate_point(line, points[i]) * scale, i) for i in on_edge[e])
        chain = [(0.0, u), *[(a, ("at", i)) for a, i in along], (length, v)]
        for (a0, n0), (a1, n1) in zip(chain, chain[1:]):
            out.add_edge(n0, n1, length=a1 - a0)
        for _, i in along:
            out.add_edge(("pt", i), ("at", i), length=shapely.distance(line, points[i]))
    return out


def reference_seconds(graph: nx.MultiGraph, sources: list[int], targets: list[int], cutoff_m: float,
                      speed_mps: float) -> np.ndarray:
    """Seconds from the nearest of ``sources`` to each target point (inf beyond the cutoff)."""
    dist = nx.multi_source_dijkstra_path_length(graph, {("pt", s) for s in sources}, cutoff=cutoff_m,
                                                weight="length")
    return np.array([dist.get(("pt", t), np.inf) / speed_mps for t in targets])
