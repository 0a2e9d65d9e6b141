"""Coverage on the real MissionTown network (团城山街道) checked against networkx by brute force."""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest

from planning.areas.derive import edge_demand
from planning.base.catalogue import load_catalogue
from planning.base.errors import PlanningError
from planning.coverage.residents import compute_coverage
from planning.coverage.times import nearest_seconds, reach_seconds
from planning.network.read import load_network
from planning.network.snapping import snap_points
from tests.support.data import MISSION_TOWN, NANJING_PBF

SPEED = 4.0 / 3.6


def _insert_points(graph: nx.MultiGraph, net, snapped, prefix: str) -> list:
    """Add each snapped point as a node joined to its edge's ends (the ground truth)."""
    names = []
    u = net.node_ids[net.edges.u.to_numpy()[snapped.edge]]
    v = net.node_ids[net.edges.v.to_numpy()[snapped.edge]]
    for i in range(len(snapped.kept)):
        name = f"{prefix}{i}"
        graph.add_edge(name, u[i], length=snapped.to_u_m[i])
        graph.add_edge(name, v[i], length=snapped.to_v_m[i])
        names.append(name)
    return names


@pytest.fixture(scope="module")
def town():
    net = load_network(MISSION_TOWN)
    demand = edge_demand(net, elderly_share=0.2)
    rng = np.random.default_rng(3)
    pick = rng.choice(net.n_nodes, 6, replace=False)
    facilities = gpd.GeoDataFrame({"id": range(6), "type": "clinic"},
                                  geometry=gpd.points_from_xy(net.x[pick] + 20, net.y[pick] + 5), crs=net.crs)
    return net, demand, facilities


def test_nearest_facility_minutes_equal_brute_force_networkx(town):
    net, demand, facilities = town
    dsnap, fsnap = snap_points(net, demand), snap_points(net, facilities)
    got = nearest_seconds(net, fsnap, dsnap, SPEED, 3600)
    g = nx.MultiGraph(ox.convert.to_undirected(net.graph))
    dnames = _insert_points(g, net, dsnap, "d")
    fnames = _insert_points(g, net, fsnap, "f")
    dist = nx.multi_source_dijkstra_path_length(g, set(fnames), weight="length")
    expected = np.array([dist.get(n, np.inf) for n in dnames]) / SPEED
    expected[expected > 3600] = np.inf  # beyond the search's limit
    # demand on the same edge as a facility may walk straight along it: never longer than via nodes
    assert np.all(got <= expected + 1e-6)
    same_edge = np.isin(dsnap.edge, fsnap.edge)
    np.testing.assert_allclose(got[~same_edge], expected[~same_edge], atol=1e-6)
    assert np.isfinite(got).mean() > 0.9


def test_reach_sets_of_candidates_equal_brute_force(town):
    net, demand, facilities = town
    dsnap, fsnap = snap_points(net, demand), snap_points(net, facilities)
    cutoff = 10 * 60
    reach = reach_seconds(net, fsnap, dsnap, SPEED, cutoff)
    g = nx.MultiGraph(ox.convert.to_undirected(net.graph))
    dnames = _insert_points(g, net, dsnap, "d")
    fnames = _insert_points(g, net, fsnap, "f")
    for i, f in enumerate(fnames):
        dist = nx.single_source_dijkstra_path_length(g, f, cutoff=cutoff * SPEED, weight="length")
        row = dict(zip(reach.indices[reach.indptr[i]:reach.indptr[i + 1]], reach.data[reach.indptr[i]:reach.indptr[i + 1]]))
        expected = {j: dist[n] / SPEED for j, n in enumerate(dnames) if n in dist}
        direct_only = set(row) - set(expected)
        assert all(dsnap.edge[j] == fsnap.edge[i] for j in direct_only)
        for j, seconds in expected.items():
            assert row[j] <= seconds + 1e-6


def test_community_shares_are_population_weighted_minutes_within_tier(town):
    net, demand, facilities = town
    catalogue = load_catalogue()
    demand = demand.assign(community=np.where(demand.geometry.x < np.median(demand.geometry.x), "西", "东"))
    result = compute_coverage(net, demand, facilities, [catalogue["clinic"]], tiers=(5, 10, 15))
    d = result.demand
    for name, group in d.groupby("community"):
        row = result.by_community.set_index("community").loc[name]
        for tier in (5, 10, 15):
            share = group.population[group.minutes_to_clinic <= tier].sum() / group.population.sum()
            assert row[f"covered_{tier}min"] == pytest.approx(share)
    assert result.overall["covered_15min"].iloc[0] >= result.overall["covered_5min"].iloc[0]
    assert result.demand["population"].sum() == pytest.approx(demand["population"].sum())


def test_slower_walkers_are_covered_less(town):
    net, demand, facilities = town
    clinic = [load_catalogue()["clinic"]]
    demand = demand.assign(community="all")
    fast = compute_coverage(net, demand, facilities, clinic, speed_kmh=4.0).overall["covered_10min"].iloc[0]
    slow = compute_coverage(net, demand, facilities, clinic, speed_kmh=2.88).overall["covered_10min"].iloc[0]
    assert 0 < slow < fast


def test_points_far_from_the_network_are_reported_and_dropped(town):
    net, demand, facilities = town
    far = demand.iloc[:3].copy()
    far["geometry"] = far.geometry.translate(50_000, 0)
    mixed = pd.concat([demand, far], ignore_index=True).assign(community="all")
    result = compute_coverage(net, mixed, facilities, [load_catalogue()["clinic"]])
    assert len(result.demand) == len(demand)
    assert any("3" in zh and "3" in en for zh, en in result.notes)


def test_all_points_far_away_is_an_error(town):
    net, demand, _ = town
    far = demand.iloc[:5].copy()
    far["geometry"] = far.geometry.translate(0, 80_000)
    with pytest.raises(PlanningError) as info:
        snap_points(net, far)
    assert info.value.code == "points_all_far"


def test_osm_xml_and_pbf_give_the_same_network(tmp_path):
    """The demo extract written out as OSM XML (as osmium or JOSM save it) reads as the same network."""
    import osmium

    xml = tmp_path / "nanjing.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(str(NANJING_PBF)):
            writer.add(obj)
    assert xml.read_bytes().startswith(b"<?xml")
    bbox = (118.764, 32.035, 118.797, 32.052)
    a, b = load_network(xml, bbox=bbox), load_network(NANJING_PBF, bbox=bbox)
    assert sorted(a.node_ids) == sorted(b.node_ids)
    assert a.edges.length_m.sum() == pytest.approx(b.edges.length_m.sum())


def test_graphml_without_edges_is_refused(tmp_path):
    g = nx.MultiDiGraph(crs="EPSG:32650")
    g.add_node(1, x=0.0, y=0.0)
    path = tmp_path / "empty.graphml"
    ox.save_graphml(g, path)
    with pytest.raises(PlanningError) as info:
        load_network(path)
    assert info.value.code == "network_no_edges"
