"""`planning reach` gives exactly networkx's reach sets and times on real networks."""
from __future__ import annotations

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
import shapely

from planning.cli.main import main
from planning.network.read import load_network
from tests.support.data import ADLISWIL, MISSION_TOWN

SPEED_KMH = 4.5
MINUTES = 6.0


def _reference(graph: nx.MultiDiGraph, sources, cutoff_m: float, speed: float) -> dict:
    undirected = ox.convert.to_undirected(graph)
    return {s: {n: d / speed for n, d in nx.single_source_dijkstra_path_length(
        undirected, s, cutoff=cutoff_m, weight="length").items()} for s in sources}


def _run_reach(tmp_path, network_path, points: pd.DataFrame, crs, extra=()) -> pd.DataFrame:
    src = tmp_path / "sources.gpkg"
    import geopandas as gpd

    gpd.GeoDataFrame(points[["id"]], geometry=gpd.points_from_xy(points.x, points.y), crs=crs).to_file(src)
    out = tmp_path / "reach.csv"
    assert main(["reach", "--network", str(network_path), "--sources", str(src), "--minutes", str(MINUTES),
                 "--speed-kmh", str(SPEED_KMH), "--out", str(out), *extra]) == 0
    return pd.read_csv(out)


@pytest.mark.parametrize("path", [MISSION_TOWN, ADLISWIL], ids=["MissionTown", "Adliswil"])
def test_reach_from_every_node_equals_networkx(tmp_path, path):
    net = load_network(path)
    speed = SPEED_KMH / 3.6
    points = pd.DataFrame({"id": net.node_ids, "x": net.x, "y": net.y})
    got = _run_reach(tmp_path, path, points, net.crs)
    ref = _reference(net.graph, net.node_ids, MINUTES * 60 * speed, speed)
    assert got["source_id"].nunique() == len(net.node_ids)
    for source, rows in got.groupby("source_id"):
        expected = ref[source]
        assert set(rows.node_id) == set(expected), f"reach set differs from source {source}"
        diff = np.abs(rows.seconds.to_numpy() - np.array([expected[n] for n in rows.node_id]))
        assert diff.max() < 1e-6


def test_edge_snapped_source_equals_networkx_with_the_point_inserted(tmp_path):
    """A point beside a street: off-network walk + along-edge walk, as if it were a node."""
    net = load_network(MISSION_TOWN)
    speed = SPEED_KMH / 3.6
    rng = np.random.default_rng(7)
    rows = rng.choice(len(net.edges), 25, replace=False)
    geoms = net.edges.geometry.to_numpy()[rows]
    on_edge = shapely.line_interpolate_point(geoms, rng.uniform(0.1, 0.9, len(rows)), normalized=True)
    # step 12 m sideways, well within the snapping distance
    pts = shapely.points(shapely.get_x(on_edge) + 12.0, shapely.get_y(on_edge))
    points = pd.DataFrame({"id": np.arange(len(rows)), "x": shapely.get_x(pts), "y": shapely.get_y(pts)})
    got = _run_reach(tmp_path, MISSION_TOWN, points, net.crs)

    undirected = ox.convert.to_undirected(net.graph)
    edge_geoms = net.edges.geometry.to_numpy()
    tree = shapely.STRtree(edge_geoms)
    for pid, pt in enumerate(pts):
        e = tree.nearest(pt)
        g = undirected.copy()
        line = edge_geoms[e]
        length = net.edges.length_m.iloc[e]
        along = shapely.line_locate_point(line, pt) / line.length * length
        off = shapely.distance(line, pt)
        u, v = net.node_ids[net.edges.u.iloc[e]], net.node_ids[net.edges.v.iloc[e]]
        g.add_edge("p", u, length=off + along)
        g.add_edge("p", v, length=off + length - along)
        expected = nx.single_source_dijkstra_path_length(g, "p", cutoff=MINUTES * 60 * speed, weight="length")
        expected.pop("p")
        rows_p = got[got.source_id == pid]
        assert set(rows_p.node_id) == set(expected)
        assert np.abs(rows_p.seconds.to_numpy() - np.array([expected[n] / speed for n in rows_p.node_id])).max() < 1e-6


def test_node_snapping_option_starts_at_the_nearest_node(tmp_path):
    net = load_network(MISSION_TOWN)
    speed = SPEED_KMH / 3.6
    pick = np.arange(0, net.n_nodes, 50)
    points = pd.DataFrame({"id": np.arange(len(pick)), "x": net.x[pick] + 3.0, "y": net.y[pick]})
    got = _run_reach(tmp_path, MISSION_TOWN, points, net.crs, extra=["--snap", "node"])
    # the nearest node of each point, by brute force (not always the node it was shifted from)
    gaps = np.hypot(points.x.to_numpy()[:, None] - net.x[None, :], points.y.to_numpy()[:, None] - net.y[None, :])
    nearest = net.node_ids[gaps.argmin(axis=1)]
    ref = _reference(net.graph, set(nearest), MINUTES * 60 * speed, speed)
    assert got["source_id"].nunique() == len(pick)
    for source, rows in got.groupby("source_id"):
        assert set(rows.node_id) == set(ref[nearest[source]])
