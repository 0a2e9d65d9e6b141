"""Benchmark: our MCLP / LSCP / p-median against spopt.locate on the same solver (HiGHS).

Instances come from a ``networkx.grid_2d_graph`` street grid with 100 m edges; candidates and
demand points sit at random nodes. On a complete grid the shortest walking path between two
nodes is their Manhattan distance, so reach sets are generated (untimed) with an L1 KD-tree
query and spot-checked against networkx Dijkstra. Times are end to end: model build + solve.

    python bench/bench_optimize.py --quick          # 1,000 × 10,000 only, small p-median, demo p-median
    python bench/bench_optimize.py --demo-only      # only the 新街口 demo p-median beside spopt
    python bench/bench_optimize.py                  # + 2,000 × 20,000 and 5,000 × 100,000 MCLP
"""
from __future__ import annotations

import argparse
import time
import warnings

import networkx as nx
import numpy as np
import pulp
import scipy.sparse as sp
from scipy.spatial import cKDTree

from optimize import LSCP, MCLP, PMedian

EDGE_METERS = 100.0
SPEED_MPS = 1.2


def instance(n_candidates: int, n_demand: int, radius_m: float, seed: int = 0):
    """Reach set (seconds), weights and the dense candidate × demand seconds for spopt."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(max(n_demand, n_candidates))))
    graph = nx.grid_2d_graph(side, side)
    nodes = np.array(graph.nodes)
    cand_nodes = nodes[rng.choice(len(nodes), n_candidates, replace=False)]
    dem_nodes = nodes[rng.choice(len(nodes), n_demand, replace=True)]
    pairs = cKDTree(cand_nodes * EDGE_METERS).sparse_distance_matrix(
        cKDTree(dem_nodes * EDGE_METERS), radius_m, p=1, output_type="ndarray"
    )
    _spot_check(graph, cand_nodes, dem_nodes, pairs)
    reach = sp.csr_array(
        (pairs["v"] / SPEED_MPS, (pairs["i"], pairs["j"])), shape=(n_candidates, n_demand)
    )
    weights = rng.integers(1, 50, n_demand).astype(float)
    return reach, weights


def _spot_check(graph, cand_nodes, dem_nodes, pairs) -> None:
    lengths = nx.single_source_shortest_path_length(graph, tuple(cand_nodes[0]))
    mine = pairs[pairs["i"] == 0]
    for j, meters in zip(mine["j"][:50], mine["v"][:50]):
        assert lengths[tuple(dem_nodes[j])] * EDGE_METERS == meters


def dense_seconds(reach: sp.csr_array, beyond: float) -> np.ndarray:
    """Demand × candidate seconds for spopt; pairs outside reach get ``beyond``."""
    dense = np.full(reach.shape, beyond)
    rows = np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr))
    dense[rows, reach.indices] = reach.data
    return dense.T


def timed(func):
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def run_pair(label, ours, theirs, rows_out):
    t_ours, obj_ours = timed(ours)
    t_spopt, obj_spopt = timed(theirs)
    rows_out.append((label, t_ours, t_spopt, obj_ours, obj_spopt))
    print(f"{label:34s} ours {t_ours:8.2f} s  spopt {t_spopt:8.2f} s  ratio {t_spopt / t_ours:7.1f}×  "
          f"objective {obj_ours:,.1f} / {obj_spopt:,.1f}", flush=True)


def compare_cover(n_c, n_d, p, rows_out, mclp_radius_m=800.0, lscp_radius_m=400.0):
    """MCLP on the 10-minute tier; LSCP on the 5-minute tier (demand no site can reach dropped,
    since spopt's LSCP has no partial cover; the 10-minute LSCP takes minutes in HiGHS for both)."""
    from spopt.locate import LSCP as SpLSCP
    from spopt.locate import MCLP as SpMCLP

    reach, weights = instance(n_c, n_d, mclp_radius_m)
    limit_s = mclp_radius_m / SPEED_MPS
    cost = dense_seconds(reach, 10 * limit_s)
    run_pair(
        f"MCLP {n_c}×{n_d} p={p} ({mclp_radius_m:.0f} m)",
        lambda: MCLP.from_reach(reach, weights, p).solve().objective,
        lambda: SpMCLP.from_cost_matrix(cost, weights, limit_s, p_facilities=p).solve(pulp.HiGHS(msg=False)).problem.objective.value(),
        rows_out,
    )
    reach, _ = instance(n_c, n_d, lscp_radius_m)
    reach = sp.csr_array(reach[:, np.flatnonzero(np.diff(sp.csc_array(reach).indptr) > 0)])
    limit_s = lscp_radius_m / SPEED_MPS
    cost = dense_seconds(reach, 10 * limit_s)
    run_pair(
        f"LSCP {n_c}×{reach.shape[1]} ({lscp_radius_m:.0f} m)",
        lambda: LSCP.from_reach(reach).solve().objective,
        lambda: SpLSCP.from_cost_matrix(cost, limit_s).solve(pulp.HiGHS(msg=False)).problem.objective.value(),
        rows_out,
    )


def compare_pmedian(n_c, n_d, p, radius_m, rows_out):
    from spopt.locate import PMedian as SpPMedian

    reach, weights = instance(n_c, n_d, radius_m, seed=1)
    cost = dense_seconds(reach, 1e6)
    run_pair(
        f"p-median {n_c}×{n_d} p={p}",
        lambda: PMedian.from_reach(reach, weights, p).solve().objective,
        lambda: SpPMedian.from_cost_matrix(cost, weights, p_facilities=p).solve(pulp.HiGHS(msg=False)).problem.objective.value(),
        rows_out,
    )


def demo_pmedian(rows_out, cases=(("meal_hall", 3), ("clinic", 4), ("meal_hall", 10)), limit_s: float = 120.0):
    """p-median on the 新街口 demo area (the app's siting page, speed 4 km/h) beside spopt's
    PMedian on the same reach (pairs out of reach cost 10^6 s), both asked for a proven optimum
    (gap 0) within ``limit_s``. Ours prints its status and gap; spopt through PuLP reports a
    status but no gap (PuLP calls a time-limited run with a plan "Optimal" too, so its time is
    printed beside the limit)."""
    from spopt.locate import PMedian as SpPMedian

    warnings.simplefilter("ignore", DeprecationWarning)  # PuLP warns once per variable: 91,000 on this instance
    from optimize.siting import SitingData, build_model
    from planning.areas.build import load_demo_area
    from planning.base.catalogue import load_catalogue

    area = load_demo_area("xinjiekou")
    data = SitingData.prepare(area.network, area.demand, area.candidates, area.facilities, speed_kmh=4.0)
    catalogue = load_catalogue()
    for key, p in cases:
        start = time.perf_counter()
        model = build_model(data, "p_median", [catalogue[key]], {"p": p})
        result = model.solve(mip_gap=0.0, time_limit_s=limit_s)
        t_ours = time.perf_counter() - start
        label = f"demo p-median {key} p={p} ({model.reach.shape[0]}×{model.reach.shape[1]})"
        print(f"{label}: ours {t_ours:.2f} s, status {result.status}, gap {result.mip_gap:.4%}, "
              f"objective {result.objective:,.1f}", flush=True)
        cost = dense_seconds(model.reach, 1e6)
        start = time.perf_counter()
        try:
            theirs = SpPMedian.from_cost_matrix(cost, model.weights, p_facilities=p).solve(
                pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=limit_s))
            status, o_spopt = pulp.LpStatus[theirs.problem.status], theirs.problem.objective.value()
        except RuntimeError:  # spopt raises when PuLP reports "Not Solved" (no plan within the limit)
            status, o_spopt = "Not Solved", float("nan")
        t_spopt = time.perf_counter() - start
        limited = " (time limit reached)" if t_spopt >= limit_s else ""
        print(f"{' ' * len(label)}  spopt {t_spopt:.2f} s, status {status}{limited}, objective {o_spopt:,.1f}", flush=True)
        rows_out.append((f"{label}: ours {result.status}, gap {result.mip_gap:.2%}; spopt {status}{limited}",
                         t_ours, t_spopt, result.objective, o_spopt))


def large_mclp(rows_out):
    reach, weights = instance(5000, 100_000, 800.0, seed=2)
    start = time.perf_counter()
    result = MCLP.from_reach(reach, weights, 30).solve(mip_gap=0.001, time_limit_s=60)
    elapsed = time.perf_counter() - start
    print(f"MCLP 5000×100000 p=30 gap≤0.1%: {elapsed:.1f} s (build {result.build_seconds:.1f} s, "
          f"solve {result.solve_seconds:.1f} s), status {result.status}, gap {result.mip_gap:.4%}, "
          f"{result.reduction.as_text('en')}", flush=True)
    rows_out.append(("MCLP 5000×100000 p=30 (ours only)", elapsed, float("nan"), result.objective, float("nan")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only 1,000 × 10,000 and a small p-median")
    parser.add_argument("--no-large", action="store_true", help="skip the 5,000 × 100,000 MCLP")
    parser.add_argument("--demo-only", action="store_true", help="only the 新街口 demo p-median beside spopt")
    parser.add_argument("--large-only", action="store_true", help="only the 5,000 × 100,000 MCLP (no spopt)")
    args = parser.parse_args()
    rows_out: list = []
    if args.large_only:
        large_mclp(rows_out)
        return
    if not args.demo_only:
        compare_cover(1000, 10_000, 10, rows_out)
        compare_pmedian(100, 1000, 20, 1000.0, rows_out)
    demo_pmedian(rows_out)
    if not args.quick and not args.demo_only:
        compare_cover(2000, 20_000, 20, rows_out)
        compare_pmedian(200, 2000, 40, 1000.0, rows_out)
        if not args.no_large:
            large_mclp(rows_out)
    print("\n| instance | ours (s) | spopt (s) | speed-up | objective ours | objective spopt |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, t_ours, t_spopt, o_ours, o_spopt in rows_out:
        print(f"| {label} | {t_ours:.2f} | {t_spopt:.2f} | {t_spopt / t_ours:.1f}× | {o_ours:,.2f} | {o_spopt:,.2f} |")


if __name__ == "__main__":
    main()
