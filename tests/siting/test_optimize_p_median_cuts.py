"""The p-median's branch and cut: the brute-force optimum where the LP bound is weak, the same answer as
the written-out programs, and a solve that reports its bounds, keeps its time limit and stops on request."""
from __future__ import annotations

import numpy as np
import pytest

from optimize import MCLP, PMedian
from optimize.program import Progress, solve_program
from tests.siting.test_optimize_models import brute_force_p_median, random_reach


class _Assignment(PMedian):
    formulation = "assignment"


def _lp_bound(reach, weights, p: int) -> float:
    program = _Assignment.from_reach(reach, weights, p).program
    program.integer[:] = False
    return solve_program(program).objective


@pytest.mark.parametrize(("seed", "p"), [(0, 3), (1, 4), (2, 5), (3, 3)])
def test_branch_and_cut_proves_the_brute_force_optimum_where_the_lp_bound_is_weak(seed, p):
    reach, weights = random_reach(seed, n_candidates=20, n_demand=80, density=0.6)
    expected = brute_force_p_median(reach, weights, p)
    assert _lp_bound(reach, weights, p) < expected * (1 - 1e-3)  # the LP alone cannot prove it: branching needed
    result = PMedian.from_reach(reach, weights, p).solve(mip_gap=0.0)
    assert result.status == "optimal" and result.mip_gap == 0.0
    assert result.objective == pytest.approx(expected, rel=1e-12)
    assert len(result.site_index) == p


@pytest.mark.parametrize("solver", ["highs_written_out", "cbc"])
def test_cuts_and_written_out_programs_agree(solver):
    reach, weights = random_reach(11, n_candidates=24, n_demand=120, density=0.5)
    by_cuts = PMedian.from_reach(reach, weights, 6).solve(mip_gap=0.0)
    if solver == "cbc":
        other = PMedian.from_reach(reach, weights, 6).solve("cbc")
    else:
        other = _Assignment.from_reach(reach, weights, 6).solve(mip_gap=0.0)
    assert by_cuts.objective == pytest.approx(other.objective, rel=1e-9)


def test_time_limit_returns_the_best_plan_so_far_and_says_so():
    reach, weights = random_reach(5, n_candidates=20, n_demand=100, density=0.6)
    result = PMedian.from_reach(reach, weights, 4).solve(time_limit_s=1e-4, mip_gap=0.0)
    assert result.status == "time_limit" and not result.proven_optimal
    assert len(result.site_index) == 4
    assert result.objective >= brute_force_p_median(reach, weights, 4) - 1e-6
    assert any(n.code.startswith("optimize_time_limit") for n in result.notices)


def test_progress_hears_the_bounds_and_stops_the_solve():
    reach, weights = random_reach(6, n_candidates=30, n_demand=200, density=0.6)
    optimum = PMedian.from_reach(reach, weights, 5).solve(mip_gap=0.0)
    assert _lp_bound(reach, weights, 5) < optimum.objective * (1 - 1e-3)  # not closed at the root
    heard: list[tuple[float, float]] = []
    progress = Progress(report=lambda bound, found, seconds: heard.append((bound, found)),
                        stop=lambda: len(heard) >= 1)
    result = PMedian.from_reach(reach, weights, 5).solve(mip_gap=0.0, progress=progress)
    assert heard and all(bound <= found + 1e-6 * found for bound, found in heard)
    assert optimum.status == "optimal"
    assert result.status == "time_limit" and result.objective >= optimum.objective - 1e-6  # the best plan so far
    assert [n.code for n in result.notices] == ["optimize_stopped"]


def test_a_highs_solve_of_another_model_stops_when_asked():
    rng = np.random.default_rng(3)
    reach, weights = random_reach(8, n_candidates=150, n_demand=600, density=0.08)
    asked = []
    progress = Progress(stop=lambda: asked.append(1) or True)
    result = MCLP.from_reach(reach, weights + rng.random(len(weights)), 12).solve(mip_gap=0.0, progress=progress)
    assert asked  # HiGHS asked
    assert result.status == "time_limit"  # stopped with the greedy start it was given
    assert [n.code for n in result.notices][:1] == ["optimize_stopped"]
