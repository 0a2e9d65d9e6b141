"""Points that are not network nodes get networkx's times with each point inserted on its edge.

The reference (tests/support/networkx_reference.py) is built independently of the project's
edge table: every point is spliced into the nearest edge of the *directed* source graph and
networkx's Dijkstra measures the rest.
Three networks: an osmnx-simplified GraphML (most geometries reversed after
``to_undirected``), an osmnx-simplified graph built from OSM XML of a Beijing extract, and the
Nanjing demo read from ``.osm.pbf``.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import osmnx as ox
import pytest
import shapely

from planning.base.catalogue import load_catalogue
from planning.coverage.residents import compute_coverage
from planning.coverage.times import reach_seconds
from planning.network.graph import WalkNetwork
from planning.network.read import load_network, xml_to_pbf
from planning.network.snapping import snap_points
from tests.support.data import BEIJING_PBF, MISSION_TOWN, NANJING_PBF
from tests.support.networkx_reference import graph_with_points_inserted, reference_seconds

SPEED_MPS = 4.0 / 3.6
NANJING_BBOX = (118.764, 32.035, 118.797, 32.052)


def _osmnx_from_xml(tmp_path) -> WalkNetwork:
    """The Beijing extract as osmnx builds it from OSM XML: simplified, then saved and reloaded."""
    xml = tmp_path / "beijing.osm"
    xml_to_pbf(BEIJING_PBF, xml)  # osmium writes XML for an .osm name
    graph = ox.project_graph(ox.graph_from_xml(xml, simplify=True, retain_all=False))
    path = tmp_path / "beijing.graphml"
    ox.save_graphml(graph, path)
    return load_network(path)


@pytest.fixture(scope="module", params=["MissionTown-graphml", "Beijing-osmnx-xml", "Nanjing-pbf"])
def network(request, tmp_path_factory) -> WalkNetwork:
    if request.param == "MissionTown-graphml":
        return load_network(MISSION_TOWN)
    if request.param == "Beijing-osmnx-xml":
        return _osmnx_from_xml(tmp_path_factory.mktemp("beijing"))
    return load_network(NANJING_PBF, bbox=NANJING_BBOX)


def _off_node_points(network: WalkNetwork, n: int, seed: int) -> np.ndarray:
    """Random points 3–40 m beside random streets, none on a node, each with one nearest street.

    A point equally near two different streets (two footways drawn over the same stretch) has
    two right answers that differ by the streets' length-to-geometry ratios; which one snapping
    takes is checked against brute force in test_snapping.py, so such points are left out here.
    """
    rng = np.random.default_rng(seed)
    all_lines = network.edges.geometry.to_numpy()
    m = 2 * n
    lines = all_lines[rng.choice(len(network.edges), m)]
    on = shapely.line_interpolate_point(lines, rng.uniform(0.05, 0.95, m), normalized=True)
    angle, step = rng.uniform(0, 2 * np.pi, m), rng.uniform(3, 40, m)
    points = shapely.points(shapely.get_x(on) + step * np.cos(angle), shapely.get_y(on) + step * np.sin(angle))
    gaps = shapely.distance(points[:, None], all_lines[None, :])
    nearest = gaps <= gaps.min(axis=1, keepdims=True) + 1e-9
    one_street = np.array([len({(network.edges.u.iat[e], network.edges.v.iat[e], network.edges.length_m.iat[e])
                                for e in np.flatnonzero(row)}) == 1 for row in nearest])
    assert one_street.sum() >= n
    return points[one_street][:n]


def test_network_geometries_run_from_u_to_v(network):
    edges = network.edges
    start = shapely.get_coordinates(shapely.get_point(edges.geometry.to_numpy(), 0))
    gap_u = np.hypot(start[:, 0] - network.x[edges.u], start[:, 1] - network.y[edges.u])
    gap_v = np.hypot(start[:, 0] - network.x[edges.v], start[:, 1] - network.y[edges.v])
    assert (gap_u <= gap_v).all()


def test_time_to_nearest_facility_from_off_node_points_equals_networkx(network):
    points = _off_node_points(network, 160, seed=3)
    facility_pos, resident_pos = list(range(6)), list(range(6, 160))
    crs = network.crs
    facilities = gpd.GeoDataFrame({"type": ["clinic"] * len(facility_pos)}, geometry=points[facility_pos], crs=crs)
    residents = gpd.GeoDataFrame({"population": np.ones(len(resident_pos)), "community": "all"},
                                 geometry=points[resident_pos], crs=crs)
    clinic = load_catalogue()["clinic"]
    got = compute_coverage(network, residents, facilities, [clinic],
                           communities=None, speed_kmh=4.0).demand["minutes_to_clinic"].to_numpy() * 60

    reference = graph_with_points_inserted(network.graph, points)
    expected = reference_seconds(reference, facility_pos, resident_pos, 60 * 60 * SPEED_MPS, SPEED_MPS)
    assert len(got) == len(resident_pos)  # every point lies within the snapping distance
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    assert finite.sum() > 0.5 * len(expected)
    assert np.abs(got[finite] - expected[finite]).max() < 1e-6


def test_reach_sets_of_off_node_candidates_equal_networkx(network):
    """The reach sets siting builds from: candidate → resident within 10 minutes."""
    points = _off_node_points(network, 120, seed=11)
    candidates, residents = list(range(20)), list(range(20, 120))
    cand = snap_points(network, gpd.GeoSeries(points[candidates], crs=network.crs))
    dem = snap_points(network, gpd.GeoSeries(points[residents], crs=network.crs))
    cutoff_s = 600.0
    reach = reach_seconds(network, cand, dem, SPEED_MPS, cutoff_s).tocoo()
    got = np.full(reach.shape, np.inf)  # read the structure: a stored zero is a reached point
    got[reach.row, reach.col] = reach.data

    reference = graph_with_points_inserted(network.graph, points)
    for row, c in enumerate(candidates):
        expected = reference_seconds(reference, [c], residents, cutoff_s * SPEED_MPS, SPEED_MPS)
        assert np.array_equal(np.isfinite(got[row]), np.isfinite(expected)), f"reach set of candidate {c}"
        finite = np.isfinite(expected)
        assert np.abs(got[row, finite] - expected[finite]).max(initial=0.0) < 1e-6
