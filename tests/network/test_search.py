"""The bounded search against independent references, whatever the threads, source order or callers;
and the locality numbering of a network's nodes maps back to the graph exactly."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import networkx as nx
import numpy as np
import osmnx as ox
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from planning.network.graph import _undirected_csr
from planning.network.order import hilbert_keys
from planning.network.read import load_network
from planning.network.search import Seeds, Targets, bounded_search, node_seeds
from tests.support.data import MISSION_TOWN


def _random_streets(n: int, seed: int, integer: bool = False):
    """A connected random geometric graph: (u, v, length) with lengths in metres."""
    g = nx.random_geometric_graph(n, 0.09, seed=seed)
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    g = nx.convert_node_labels_to_integers(g)
    rng = np.random.default_rng(seed)
    u, v = np.array(list(g.edges())).T
    length = rng.integers(5, 120, len(u)).astype(float) if integer else rng.uniform(5, 120, len(u))
    return g.number_of_nodes(), u, v, length


def _rows(matrix: sp.csr_array) -> list[dict[int, float]]:
    return [dict(zip(matrix.indices[a:b].tolist(), matrix.data[a:b].tolist()))
            for a, b in zip(matrix.indptr[:-1], matrix.indptr[1:])]


def test_reach_equals_networkx_for_any_thread_count_and_source_order():
    n, u, v, length = _random_streets(500, seed=1)
    g = nx.Graph()
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), length.tolist()), weight="length")
    csr = _undirected_csr(u, v, length, n)
    rng = np.random.default_rng(2)
    sources = rng.choice(n, 300)  # unsorted, with repeats
    cutoff = 350.0
    expected = [nx.single_source_dijkstra_path_length(g, int(s), cutoff=cutoff, weight="length") for s in sources]
    answers = [_rows(bounded_search(csr, node_seeds(sources), Targets.nodes(n), cutoff, n_threads=t))
               for t in (1, 2, 3, 8)]
    for got in answers:
        assert got == answers[0]  # the same distances whatever the split
    for row, ref in zip(answers[0], expected):
        assert row.keys() == ref.keys()
        assert max(abs(row[k] - ref[k]) for k in ref) < 1e-9


def test_several_seeds_and_targets_with_offsets_equal_brute_force():
    """Whole-metre lengths and offsets: every sum is exact, so the reference must match to the bit."""
    n, u, v, length = _random_streets(300, seed=4, integer=True)
    csr = _undirected_csr(u, v, length, n)
    rng = np.random.default_rng(5)
    n_sources, n_targets = 60, 200
    between = dijkstra(sp.csr_matrix((csr.weights, csr.indices, csr.indptr), shape=(n, n)), directed=True)
    per_source = rng.integers(0, 4, n_sources)  # some sources have no seed at all
    per_source[0] = 1
    seed_nodes = rng.integers(0, n, per_source.sum())
    seed_dist = rng.integers(0, 50, per_source.sum()).astype(float)
    seeds = Seeds(np.concatenate([[0], np.cumsum(per_source)]), seed_nodes, seed_dist)
    attach_target = np.repeat(np.arange(n_targets), 2)
    attach_node = rng.integers(0, n, 2 * n_targets)
    attach_off = rng.integers(0, 40, 2 * n_targets).astype(float)
    attach_off[:2] = 0.0
    attach_node[0] = seed_nodes[0]  # target 0 stands on a seed: a stored zero
    seed_dist[0] = 0.0
    far = np.flatnonzero((between[seed_nodes[0]] > 300) & (between[seed_nodes[0]] < 500))[0]
    cutoff = float(between[seed_nodes[0], far])  # target 1 sits exactly at the limit: still reached
    attach_node[2:4], attach_off[2:4] = far, 0.0
    targets = Targets.from_attachments(attach_node, attach_target, attach_off, n, n_targets)

    got = bounded_search(csr, seeds, targets, cutoff, n_threads=2)

    expected = np.full((n_sources, n_targets), np.inf)
    owner = np.repeat(np.arange(n_sources), per_source)
    for s, node, d0 in zip(owner, seed_nodes, seed_dist):
        via = d0 + between[node, attach_node] + attach_off
        np.minimum.at(expected[s], attach_target, via)
    expected[expected > cutoff] = np.inf
    dense = np.full((n_sources, n_targets), np.inf)
    coo = got.tocoo()
    dense[coo.row, coo.col] = coo.data
    assert np.array_equal(dense, expected)
    assert got.nnz == np.isfinite(expected).sum()  # each pair once, zeros stored
    assert dense[0, 0] == 0.0 and 0 in got.indices[got.indptr[0]:got.indptr[1]]
    assert dense[0, 1] == cutoff


def test_concurrent_callers_on_one_network_get_their_own_answers():
    n, u, v, length = _random_streets(400, seed=7)
    csr = _undirected_csr(u, v, length, n)
    rng = np.random.default_rng(8)
    jobs = [(rng.choice(n, 80), float(c)) for c in rng.uniform(100, 400, 12)]
    alone = [_rows(bounded_search(csr, node_seeds(s), Targets.nodes(n), c, n_threads=1)) for s, c in jobs]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda job: _rows(bounded_search(csr, node_seeds(job[0]), Targets.nodes(n),
                                                                  job[1], n_threads=2)), jobs))
    assert together == alone


def test_network_positions_follow_the_map_and_name_the_graph_nodes():
    network = load_network(MISSION_TOWN)
    graph = network.graph
    # every position carries its graph node's id and coordinates
    assert sorted(network.node_ids.tolist()) == sorted(graph.nodes)
    assert np.array_equal(network.x, [graph.nodes[i]["x"] for i in network.node_ids])
    assert np.array_equal(network.y, [graph.nodes[i]["y"] for i in network.node_ids])
    # every edge joins the same graph nodes with the same length
    ids = network.node_ids
    mine = sorted((min(a, b), max(a, b), round(w, 6)) for a, b, w in
                  zip(ids[network.edges.u], ids[network.edges.v], network.edges.length_m))
    theirs = sorted((min(a, b), max(a, b), round(float(d["length"]), 6))
                    for a, b, d in ox.convert.to_undirected(graph).edges(data=True))
    assert mine == theirs
    # numbered along the Hilbert curve, not in the graph's order
    assert (np.diff(hilbert_keys(network.x, network.y)) >= 0).all()
    assert network.node_ids.tolist() != list(graph.nodes)


def test_hilbert_keys_walk_a_grid_cell_by_neighbouring_cell():
    side = 32
    i, j = np.indices((side, side)).reshape(2, -1)
    keys = hilbert_keys(i.astype(float), j.astype(float), bits=5)
    assert sorted(keys.tolist()) == list(range(side * side))
    order = np.argsort(keys)
    steps = np.abs(np.diff(i[order])) + np.abs(np.diff(j[order]))
    assert (steps == 1).all()
