"""On a real street network (团城山街道, Huangshi) our optima equal spopt's, and time limits hold.

Demand = every street node with the GHSL population of its edges (half each end); walking
at 1.2 m/s. spopt gets the same instance as a dense cost matrix and the same solver (HiGHS).
"""
from __future__ import annotations

import gzip
import tempfile

import numpy as np
import osmnx as ox
import pulp
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from optimize import LSCP, MCLP, PMedian
from tests.support.data import MISSION_TOWN as NETWORK

spopt_locate = pytest.importorskip("spopt.locate")

SPEED_MPS = 1.2


@pytest.fixture(scope="module")
def town():
    """(walking meters between all node pairs up to 1.5 km, people per node)."""
    with gzip.open(NETWORK) as fh, tempfile.NamedTemporaryFile(suffix=".graphml") as tmp:
        tmp.write(fh.read())
        tmp.flush()
        graph = ox.load_graphml(tmp.name)
    index = {node: i for i, node in enumerate(graph.nodes)}
    u, v, data = zip(*((index[a], index[b], d) for a, b, d in graph.edges(data=True)))
    u, v = np.array(u), np.array(v)
    n = len(index)
    length = np.array([float(d["length"]) for d in data])
    people = np.array([float(d.get("population", 0.0)) for d in data])
    meters = dijkstra(sp.csr_array((length, (u, v)), shape=(n, n)), directed=False, limit=1500)
    weights = np.bincount(u, people / 2, minlength=n) + np.bincount(v, people / 2, minlength=n)
    return meters, weights


def reach_of(meters: np.ndarray, candidates: np.ndarray, demand: np.ndarray, radius_m: float) -> sp.csr_array:
    """Reach set (seconds); a candidate on a demand node stays as an explicit 0."""
    sub = meters[np.ix_(candidates, demand)]
    rows, cols = np.nonzero(sub <= radius_m)
    return sp.csr_array((sub[rows, cols] / SPEED_MPS, (rows, cols)), shape=sub.shape)


def dense_seconds(reach: sp.csr_array, beyond: float) -> np.ndarray:
    dense = np.full(reach.shape, beyond)
    dense[np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr)), reach.indices] = reach.data
    return dense.T  # spopt: demand × candidates


def test_mclp_objective_equals_spopt(town):
    meters, weights = town
    reach = reach_of(meters, np.arange(0, len(weights), 4), np.arange(len(weights)), 400)
    ours = MCLP.from_reach(reach, weights, p=5).solve()
    limit_s = 400 / SPEED_MPS
    theirs = spopt_locate.MCLP.from_cost_matrix(dense_seconds(reach, 10 * limit_s), weights, limit_s, p_facilities=5)
    theirs.solve(pulp.HiGHS(msg=False))
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)
    assert ours.reduction.demand_after < ours.reduction.demand_before


def test_lscp_objective_equals_spopt(town):
    meters, weights = town
    everyone = np.arange(len(weights))
    reach = reach_of(meters, everyone, everyone, 400)
    ours = LSCP.from_reach(reach, weights).solve()
    limit_s = 400 / SPEED_MPS
    theirs = spopt_locate.LSCP.from_cost_matrix(dense_seconds(reach, 10 * limit_s), limit_s)
    theirs.solve(pulp.HiGHS(msg=False))
    assert ours.objective == pytest.approx(theirs.problem.objective.value())
    assert ours.coverage_after == pytest.approx(1.0)
    assert ours.reduction.candidates_after < ours.reduction.candidates_before


def test_p_median_objective_equals_spopt(town):
    meters, weights = town
    reach = reach_of(meters, np.arange(0, len(weights), 5), np.arange(0, len(weights), 2), 1500)
    demand_weights = weights[::2]
    ours = PMedian.from_reach(reach, demand_weights, p=6).solve()
    theirs = spopt_locate.PMedian.from_cost_matrix(dense_seconds(reach, 1e6), demand_weights, p_facilities=6)
    theirs.solve(pulp.HiGHS(msg=False))
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


def grid_mclp(n_candidates: int = 1000, n_demand: int = 10_000, radius_m: float = 800.0) -> MCLP:
    """A hard-ish MCLP (seconds to prove optimal) on a 100 m street grid: Manhattan = shortest walk."""
    rng = np.random.default_rng(0)
    side = int(np.ceil(np.sqrt(n_demand)))
    nodes = np.stack(np.divmod(np.arange(side * side), side), axis=1) * 100.0
    sites = nodes[rng.choice(len(nodes), n_candidates, replace=False)]
    homes = nodes[rng.choice(len(nodes), n_demand)]
    pairs = cKDTree(sites).sparse_distance_matrix(cKDTree(homes), radius_m, p=1, output_type="ndarray")
    reach = sp.csr_array((pairs["v"] / SPEED_MPS, (pairs["i"], pairs["j"])), shape=(n_candidates, n_demand))
    return MCLP.from_reach(reach, rng.integers(1, 50, n_demand).astype(float), p=10)


@pytest.mark.parametrize("solver", ["highs", "pulp_highs"])
def test_time_limit_is_honoured_and_result_says_not_proven_optimal(solver):
    model = grid_mclp()
    result = model.solve(solver, time_limit_s=0.3)
    assert result.status == "time_limit" and not result.proven_optimal
    assert result.solve_seconds < 5  # stopped, not run to the end
    assert len(result.sites) == 10 and result.objective > 0  # best plan found, re-verified
    assert "未证明最优" in result.explain("zh") and "not proven optimal" in result.explain("en")


def test_solver_routes_agree_on_the_optimum(town):
    meters, weights = town
    reach = reach_of(meters, np.arange(0, len(weights), 4), np.arange(len(weights)), 400)
    model = MCLP.from_reach(reach, weights, p=4)
    objectives = {solver: model.solve(solver).objective for solver in ("highs", "pulp_highs", "cbc")}
    assert objectives["highs"] == pytest.approx(objectives["pulp_highs"]) == pytest.approx(objectives["cbc"])
