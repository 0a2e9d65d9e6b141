"""Dropping dominated candidates: the same candidates as the pairwise definition, the same optimum
as a plain model without any reduction."""
from __future__ import annotations

import numpy as np
import pulp
import pytest
import scipy.sparse as sp

from optimize import LSCP, MCLP
from optimize.reach import drop_dominated


def _pairwise(pattern: sp.csr_array, weights: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """The definition, pair by pair in plain Python: kept = not dominated by any other candidate."""
    sets = [set(pattern.indices[a:b][weights[pattern.indices[a:b]] > 0].tolist())
            for a, b in zip(pattern.indptr[:-1], pattern.indptr[1:])]
    keep = []
    for i, mine in enumerate(sets):
        if not mine:
            continue
        beaten = any(k != i and mine <= other and costs[k] <= costs[i]
                     and not (other == mine and costs[k] == costs[i] and k > i)
                     for k, other in enumerate(sets))
        if not beaten:
            keep.append(i)
    return np.array(keep if keep else [int(np.argmin(costs))])


def _instance(seed: int, n_candidates: int = 60, n_demand: int = 80):
    """Random reach with twins, nested sets, cost ties and people of zero weight."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n_candidates, n_demand)) < rng.uniform(0.03, 0.2)
    dense[5] = dense[4]  # twins
    dense[7] = dense[6] & (rng.random(n_demand) < 0.5)  # nested in 6
    dense[9] = False  # reaches nobody
    weights = rng.integers(0, 5, n_demand).astype(float)  # some points nobody needs
    costs = rng.integers(1, 4, n_candidates).astype(float)
    reach = sp.csr_array(dense.astype(float))
    return reach, weights, costs


@pytest.mark.parametrize("seed", range(8))
def test_dominated_candidates_are_those_of_the_pairwise_definition(seed):
    reach, weights, costs = _instance(seed)
    assert np.array_equal(drop_dominated(reach, weights, costs), _pairwise(reach, weights, costs))


def _plain_mclp(reach: sp.csr_array, weights: np.ndarray, p: int) -> float:
    """MCLP written out in PuLP on the full reach, nothing merged or dropped."""
    problem = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(reach.shape[0])]
    y = [pulp.LpVariable(f"y{j}", 0, 1) for j in range(reach.shape[1])]
    problem += pulp.lpSum(w * yj for w, yj in zip(weights, y))
    by_point = sp.csc_array(reach)
    for j in range(reach.shape[1]):
        problem += y[j] <= pulp.lpSum(x[i] for i in by_point.indices[by_point.indptr[j]:by_point.indptr[j + 1]])
    problem += pulp.lpSum(x) == p
    problem.solve(pulp.PULP_CBC_CMD(msg=False))
    return pulp.value(problem.objective)


def _plain_lscp(reach: sp.csr_array) -> float:
    problem = pulp.LpProblem("lscp", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(reach.shape[0])]
    problem += pulp.lpSum(x)
    by_point = sp.csc_array(reach)
    for j in range(reach.shape[1]):
        problem += pulp.lpSum(x[i] for i in by_point.indices[by_point.indptr[j]:by_point.indptr[j + 1]]) >= 1
    problem.solve(pulp.PULP_CBC_CMD(msg=False))
    return pulp.value(problem.objective)


@pytest.mark.parametrize("seed", range(4))
def test_reduced_models_reach_the_optimum_of_the_plain_model(seed):
    reach, weights, _ = _instance(seed, n_candidates=40, n_demand=60)
    mclp = MCLP.from_reach(reach, weights, p=4).solve(mip_gap=0.0)
    assert mclp.reduction.candidates_after < reach.shape[0]  # the reduction did something
    assert mclp.objective == pytest.approx(_plain_mclp(reach, weights, 4))
    reachable = np.flatnonzero(np.diff(sp.csc_array(reach).indptr) > 0)
    lscp_reach = sp.csr_array(reach[:, reachable])
    assert LSCP.from_reach(lscp_reach).solve(mip_gap=0.0).objective == pytest.approx(_plain_lscp(lscp_reach))
