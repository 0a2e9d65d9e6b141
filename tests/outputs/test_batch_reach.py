"""Chunked reach sets equal one search over all candidates, entry for entry."""
from __future__ import annotations

import numpy as np

from planning.areas.derive import edge_demand
from planning.coverage.times import reach_seconds
from planning.network.snapping import snap_points
from planning.outputs.batch.reach import chunked_reach_seconds


def test_reach_sets_built_in_chunks_equal_one_search(mission_town):
    nodes = mission_town.nodes_gdf()
    candidates = nodes.iloc[np.random.default_rng(3).choice(len(nodes), 150, replace=False)].translate(7, 4)
    sources = snap_points(mission_town, candidates)
    targets = snap_points(mission_town, edge_demand(mission_town, 0.19))
    whole = reach_seconds(mission_town, sources, targets, 4 / 3.6, 600)
    chunked = chunked_reach_seconds(mission_town, sources, targets, 4 / 3.6, 600, chunk=32)
    whole.sort_indices()
    chunked.sort_indices()
    assert chunked.shape == whole.shape and whole.nnz > 10 * len(candidates)
    assert np.array_equal(chunked.indptr, whole.indptr) and np.array_equal(chunked.indices, whole.indices)
    assert np.array_equal(chunked.data, whole.data)
