"""Snapping gives the brute-force nearest street: shapely's distance to every edge line, ties to the
first edge row, points beyond the snapping distance dropped, a point on a node on one of its edges."""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.network.graph import WalkNetwork
from planning.network.read import load_network
from planning.network.snapping import snap_points
from tests.support.data import ADLISWIL, MISSION_TOWN

MAX_M = 150.0


def _brute_force(network: WalkNetwork, points: np.ndarray, max_m: float):
    """(kept mask, first nearest edge row, distance) from shapely's distance to every edge line."""
    lines = network.edges.geometry.to_numpy()
    gaps = shapely.distance(points[:, None], lines[None, :])
    nearest = gaps.min(axis=1)
    first = np.argmax(gaps == nearest[:, None], axis=1)
    return nearest <= max_m, first, nearest, gaps


def _test_points(network: WalkNetwork, seed: int) -> np.ndarray:
    """Random points in and around the network, points on streets and on the lines' vertices."""
    rng = np.random.default_rng(seed)
    lines = network.edges.geometry.to_numpy()
    x0, y0, x1, y1 = network.edges.total_bounds
    scattered = shapely.points(rng.uniform(x0 - 400, x1 + 400, 1500), rng.uniform(y0 - 400, y1 + 400, 1500))
    on_street = shapely.line_interpolate_point(lines[rng.integers(0, len(lines), 300)], rng.uniform(0, 1, 300),
                                               normalized=True)
    vertices = shapely.get_coordinates(lines)
    at_vertex = shapely.points(vertices[rng.integers(0, len(vertices), 300)])
    return np.concatenate([scattered, on_street, at_vertex])


@pytest.mark.parametrize("path", [MISSION_TOWN, ADLISWIL], ids=["MissionTown", "Adliswil"])
def test_snapping_picks_the_brute_force_nearest_edge(path):
    network = load_network(path)
    points = _test_points(network, seed=5)
    kept, first, nearest, gaps = _brute_force(network, points, MAX_M)
    snapped = snap_points(network, gpd.GeoSeries(points, crs=network.crs), MAX_M)

    assert np.array_equal(snapped.kept, np.flatnonzero(kept))
    assert 0 < len(snapped.kept) < len(points)  # some points lie beyond the snapping distance
    assert np.array_equal(snapped.offset_m, nearest[kept])
    on_node = _near_a_node(network, points[kept])
    assert np.array_equal(snapped.edge[~on_node], first[kept][~on_node])
    ties = (gaps[kept] == nearest[kept][:, None]).sum(axis=1) > 1
    assert (ties & ~on_node).sum() >= 5  # ties other than at nodes were met (shared vertices, parallel edges)
    # position along the chosen edge: shapely's projection, scaled to the edge's length
    lines = network.edges.geometry.to_numpy()[snapped.edge]
    scale = network.edges.length_m.to_numpy()[snapped.edge] / shapely.length(lines)
    along = shapely.line_locate_point(lines, points[kept]) * scale
    np.testing.assert_allclose(snapped.along_m[~on_node], along[~on_node], rtol=0, atol=1e-9)


def _near_a_node(network: WalkNetwork, points: np.ndarray) -> np.ndarray:
    gaps = np.hypot(shapely.get_x(points)[:, None] - network.x[None, :], shapely.get_y(points)[:, None] - network.y[None, :])
    return gaps.min(axis=1) <= 0.01


def test_a_point_on_a_node_starts_on_one_of_its_own_edges():
    network = load_network(MISSION_TOWN)
    nodes = np.arange(0, network.n_nodes, 7)
    snapped = snap_points(network, gpd.GeoSeries(gpd.points_from_xy(network.x[nodes], network.y[nodes]),
                                                 crs=network.crs))
    u = network.edges.u.to_numpy()[snapped.edge]
    v = network.edges.v.to_numpy()[snapped.edge]
    assert ((u == nodes) | (v == nodes)).all()
    # the walk to the node it stands on is zero
    assert np.array_equal(np.where(u == nodes, snapped.to_u_m, snapped.to_v_m), np.zeros(len(nodes)))


def _two_streets() -> WalkNetwork:
    """Two parallel east–west streets 20 m apart, joined at their west ends, and one drawn twice."""
    g = nx.MultiDiGraph(crs="EPSG:32650")
    for node, (x, y) in {1: (0, 0), 2: (100, 0), 3: (0, 20), 4: (100, 20)}.items():
        g.add_node(node, x=float(x), y=float(y))
    g.add_edge(1, 2, 0, osmid=10, length=100.0)
    g.add_edge(3, 4, 0, osmid=11, length=100.0)
    g.add_edge(3, 4, 1, osmid=12, length=130.0)  # a second way over the same line, longer on the ground
    g.add_edge(1, 3, 0, osmid=13, length=20.0)
    return WalkNetwork.from_graph(g)


def test_ties_between_streets_go_to_the_first_edge_row():
    network = _two_streets()
    points = shapely.points([30.0, 60.0, 50.0], [10.0, 10.0, 25.0])  # two on the middle line, one above
    kept, first, nearest, gaps = _brute_force(network, points, MAX_M)
    assert (gaps[:2] == 10.0).sum(axis=1).tolist() == [3, 3]  # equally near both streets (3 rows)
    snapped = snap_points(network, gpd.GeoSeries(points, crs=network.crs))
    assert np.array_equal(snapped.edge, first)
    assert np.array_equal(snapped.offset_m, [10.0, 10.0, 5.0])


def test_points_beyond_the_snapping_distance_are_dropped_and_counted():
    network = _two_streets()
    points = shapely.points([50.0, 50.0, 50.0, 400.0], [-30.0, -30.000001, 50.0, 0.0])
    snapped = snap_points(network, gpd.GeoSeries(points, crs=network.crs), max_distance_m=30.0)
    assert snapped.kept.tolist() == [0, 2]  # exactly 30 m away is kept
    assert snapped.n_dropped == 2
    with pytest.raises(PlanningError):
        snap_points(network, gpd.GeoSeries(points[[1, 3]], crs=network.crs), max_distance_m=30.0)


def test_snapping_the_same_points_again_reuses_the_answer_and_other_points_do_not():
    network = load_network(MISSION_TOWN)
    points = _test_points(network, seed=9)[:400]
    first = snap_points(network, gpd.GeoSeries(points, crs=network.crs))
    again = snap_points(network, gpd.GeoDataFrame({"n": range(len(points))}, geometry=points, crs=network.crs))
    assert again is first
    with pytest.raises(ValueError):
        first.edge[0] = 0  # shared: read-only
    moved = points.copy()
    moved[0] = shapely.points(shapely.get_x(points[0]) + 1.0, shapely.get_y(points[0]))
    other = snap_points(network, gpd.GeoSeries(moved, crs=network.crs))
    assert other is not first
    assert snap_points(network, gpd.GeoSeries(points, crs=network.crs), max_distance_m=100.0) is not first
    # the same points in another CRS are the same points
    assert snap_points(network, gpd.GeoSeries(points, crs=network.crs).to_crs(4326)).n_input == len(points)


def test_polygons_snap_by_their_representative_point_and_empty_geometries_are_dropped():
    network = _two_streets()
    square = shapely.box(40, 2, 44, 6)
    snapped = snap_points(network, gpd.GeoSeries([square, shapely.Point(), shapely.Point(70, 18)], crs=network.crs))
    assert snapped.kept.tolist() == [0, 2]
    assert snapped.offset_m[0] == shapely.distance(shapely.point_on_surface(square), network.edges.geometry.iloc[0])
