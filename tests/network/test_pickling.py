"""A network sent to a batch worker or kept on disk comes back the same: every street line to the bit,
every column, the CRS, and the same snapping and walking times."""
from __future__ import annotations

import dataclasses
import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.network.graph import WalkNetwork
from planning.network.read import load_network
from planning.network.snapping import snap_points
from tests.support.data import MISSION_TOWN


def _same(a: WalkNetwork, b: WalkNetwork) -> None:
    for name in ("node_ids", "x", "y"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    for name in ("indptr", "indices", "weights"):
        assert np.array_equal(getattr(a.csr, name), getattr(b.csr, name))
    assert a.edges.crs == b.edges.crs and a.edges.geometry.name == b.edges.geometry.name
    assert list(a.edges.columns) == list(b.edges.columns) and a.edges.index.equals(b.edges.index)
    geometry = a.edges.geometry.name
    pd.testing.assert_frame_equal(pd.DataFrame(a.edges.drop(columns=geometry)),
                                  pd.DataFrame(b.edges.drop(columns=geometry)))
    assert shapely.equals_exact(a.edges.geometry.to_numpy(), b.edges.geometry.to_numpy(), tolerance=0).all()
    assert a.notes == b.notes


def test_a_pickled_network_keeps_every_line_column_and_snapping_answer():
    network = load_network(MISSION_TOWN)  # real OSM lines: bends, many vertices
    for sent in (network, dataclasses.replace(network, graph=None)):  # as loaded, and as a batch sends it
        back = pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
        _same(sent, back)
        assert (back.graph is None) == (sent.graph is None)
    rng = np.random.default_rng(4)
    x0, y0, x1, y1 = network.edges.total_bounds
    points = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(x0, x1, 500), rng.uniform(y0, y1, 500)), crs=network.crs)
    here, there = snap_points(network, points), snap_points(back, points)
    for name in ("kept", "edge", "to_u_m", "to_v_m", "along_m"):
        assert np.array_equal(getattr(here, name), getattr(there, name))


def test_a_network_with_other_line_types_is_pickled_whole_too():
    network = load_network(MISSION_TOWN)
    lines = network.edges.geometry.to_numpy().copy()
    lines[0] = shapely.multilinestrings([lines[0]])  # not a LineString: the compact form does not apply
    mixed = dataclasses.replace(network, edges=network.edges.set_geometry(gpd.GeoSeries(lines, index=network.edges.index,
                                                                                        crs=network.crs)))
    _same(mixed, pickle.loads(pickle.dumps(mixed)))
