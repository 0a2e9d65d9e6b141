"""Bad input gives a clear zh/en PlanningError (or a 'nothing to do' result), never a traceback."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optimize import (
    LSCP,
    MCLP,
    CapacitatedCoverage,
    MultiTypeBudget,
    ParkingDeficit,
    PMedian,
    TypeInput,
)
from planning.base.errors import PlanningError

WEIGHTS = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
REACH = sp.csr_array(np.array([[1, 1, 0, 0, 0], [0, 1, 1, 1, 0], [0, 0, 0, 1, 1]], float))


def error_of(func) -> PlanningError:
    with pytest.raises(PlanningError) as info:
        func()
    err = info.value
    assert err.zh and err.en and err.hint_zh is not None
    assert "{" not in err.zh + err.en  # every placeholder filled
    return err


def test_no_candidates_is_explained():
    err = error_of(lambda: MCLP.from_reach(sp.csr_array((0, 5)), WEIGHTS, p=1))
    assert err.code == "optimize_no_candidates" and "候选点" in err.zh


def test_p_above_candidate_count_is_explained():
    err = error_of(lambda: MCLP.from_reach(REACH, WEIGHTS, p=4))
    assert err.code == "optimize_p_above_candidates" and "3" in err.en and "4" in err.en


def test_budget_below_cheapest_site_is_explained():
    err = error_of(lambda: MCLP.from_reach(REACH, WEIGHTS, p=2, costs=[500, 800, 900], budget_yuan=100))
    assert err.code == "optimize_budget_below_cheapest" and "500" in err.zh


@pytest.mark.parametrize(
    "build",
    [
        lambda: MCLP.from_reach(REACH, WEIGHTS, p=1, costs=[1, -2, 3]),
        lambda: CapacitatedCoverage.from_reach(REACH, WEIGHTS, capacities=[10, -1, 5], p=1),
        lambda: MCLP.from_reach(REACH, -WEIGHTS, p=1),
    ],
    ids=["negative cost", "negative capacity", "negative people"],
)
def test_negative_costs_capacities_or_people_are_rejected(build):
    assert error_of(build).code == "optimize_negative_value"


def test_all_demand_already_covered_returns_nothing_to_do():
    result = MCLP.from_reach(REACH, WEIGHTS, p=2, already_covered=np.ones(5, bool)).solve()
    assert result.status == "nothing_to_do" and len(result.sites) == 0
    assert result.coverage_after == pytest.approx(1.0)
    assert "无需新建" in result.explain("zh")


def test_lscp_names_demand_points_no_candidate_can_reach():
    reach = sp.csr_array(np.array([[1, 1, 0, 0, 0], [0, 1, 1, 0, 0]], float))
    err = error_of(lambda: LSCP.from_reach(reach, WEIGHTS, demand_ids=["d0", "d1", "d2", "楼3", "楼4"]))
    assert err.code == "optimize_lscp_unreachable"
    assert err.params["count"] == 2 and "楼3" in err.zh and "楼4" in err.en


def test_lscp_partial_share_tolerates_unreachable_points_it_does_not_need():
    reach = sp.csr_array(np.array([[1, 1, 1, 1, 0]], float))
    assert LSCP.from_reach(reach, WEIGHTS, share=0.6).solve().objective == 1


def test_p_median_names_demand_points_beyond_the_cutoff():
    reach = sp.csr_array(np.array([[60.0, 0, 0, 0, 0], [0, 30, 0, 0, 0]]))
    err = error_of(lambda: PMedian.from_reach(reach, WEIGHTS, p=1))
    assert err.code == "optimize_pmedian_unreachable" and err.params["count"] == 3


def test_equity_floor_impossible_even_with_every_site_names_the_community():
    reach = sp.csr_array(np.array([[1, 1, 1, 0, 0]], float))
    canteen = TypeInput("食堂", reach, WEIGHTS, [100])
    err = error_of(lambda: MultiTypeBudget.from_types([canteen], 500, communities=["东", "东", "东", "南苑", "南苑"], equity_floor=0.5))
    assert err.code == "optimize_equity_unreachable" and "南苑" in err.zh and "食堂" in err.en


def test_minimum_counts_beyond_budget_are_explained():
    canteen = TypeInput("食堂", REACH, WEIGHTS, [100, 100, 100], min_count=3)
    err = error_of(lambda: MultiTypeBudget.from_types([canteen], 250))
    assert err.code == "optimize_budget_below_minimum_counts"


def test_parking_budget_below_one_level_is_explained():
    err = error_of(lambda: ParkingDeficit.from_reach(
        REACH, [10] * 5, 1.0, [0] * 5, capacity_spaces=[20, 20, 20], cost_per_space_yuan=100, budget_yuan=500, levels=2,
    ))
    assert err.code == "optimize_budget_below_cheapest"


def test_unknown_solver_and_bad_time_limit_are_explained():
    model = MCLP.from_reach(REACH, WEIGHTS, p=1)
    assert error_of(lambda: model.solve("gurobi")).code == "optimize_unknown_solver"
    assert error_of(lambda: model.solve(time_limit_s=0)).code == "optimize_bad_time_limit"


def test_dense_reach_is_refused_with_a_hint():
    assert error_of(lambda: MCLP.from_reach(np.ones((3, 5)), WEIGHTS, p=1)).code == "optimize_reach_not_sparse"
