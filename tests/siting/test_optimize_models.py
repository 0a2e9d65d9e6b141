"""Every model on a small hand-checkable instance with a known optimum.

Instance (3 candidates × 5 demand points, people 10/20/30/40/50):
candidate 0 reaches demand 0 (0 s — standing on it) and 1 (60 s);
candidate 1 reaches 1 (120 s), 2 (30 s) and 3 (0 s); candidate 2 reaches 3 (90 s) and 4 (100 s).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

from optimize import (
    LSCP,
    MCLP,
    CapacitatedCoverage,
    MultiTypeBudget,
    ParkingDeficit,
    PMedian,
    TypeInput,
)

WEIGHTS = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
COMMUNITIES = np.array(["东苑", "东苑", "西苑", "西苑", "西苑"])


def reach() -> sp.csr_array:
    return sp.csr_array(
        (np.array([0.0, 60, 120, 30, 0, 90, 100]), np.array([0, 1, 1, 2, 3, 3, 4]), np.array([0, 2, 5, 7])),
        shape=(3, 5),
    )


def candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["A", "B", "C"]}, geometry=[Point(0, 0), Point(1, 0), Point(2, 0)], crs=32650)


@pytest.mark.parametrize("solver", ["highs", "pulp_highs", "cbc"])
def test_mclp_two_sites_pick_the_pair_covering_most_people(solver):
    result = MCLP.from_reach(reach(), WEIGHTS, p=2).solve(solver)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(140.0)  # candidates 1 + 2: all but demand 0
    assert sorted(result.site_index) == [1, 2]


def test_mclp_counts_existing_cover_and_keeps_candidate_ids():
    already = np.array([False, False, False, True, True])  # an existing clinic covers 3 and 4
    result = MCLP.from_reach(reach(), WEIGHTS, p=1, already_covered=already, candidates=candidates(), communities=COMMUNITIES).solve()
    assert result.objective == pytest.approx(90 + 50)  # 90 existing + candidate 1 adds 20 + 30
    assert isinstance(result.sites, gpd.GeoDataFrame) and list(result.sites["id"]) == ["B"]
    assert result.coverage_before == pytest.approx(90 / 150)
    assert result.coverage_after == pytest.approx(140 / 150)
    table = result.community_coverage.set_index("community")
    assert table.loc["东苑", "coverage_after"] == pytest.approx(20 / 30)
    assert table.loc["西苑", "coverage_after"] == pytest.approx(1.0)


def test_mclp_reduction_merges_twin_demand_and_drops_dominated_candidates():
    # candidate 3 reaches a subset of candidate 1 at the same cost: dominated.
    # demand 5 has the same reach set as demand 2: merged.
    dense = np.array([[1, 1, 0, 0, 0, 0], [0, 1, 1, 1, 0, 1], [0, 0, 0, 1, 1, 0], [0, 0, 1, 0, 0, 1]], float)
    result = MCLP.from_reach(sp.csr_array(dense), np.append(WEIGHTS, 5.0), p=2).solve()
    assert (result.reduction.candidates_after, result.reduction.demand_after) == (3, 5)
    assert result.objective == pytest.approx(145.0)  # candidates 1 and 2: everyone but demand 0


def test_mclp_with_budget_buys_what_it_can_afford():
    result = MCLP.from_reach(reach(), WEIGHTS, p=3, costs=[1.0, 5.0, 3.0], budget_yuan=4).solve()
    assert sorted(result.site_index) == [0, 2]  # 0 + 2 cover 10+20+40+50 = 120 for 4 yuan
    assert result.objective == pytest.approx(120.0)


def test_lscp_needs_all_three_sites_for_full_cover():
    result = LSCP.from_reach(reach(), WEIGHTS).solve()
    assert result.objective == 3 and result.coverage_after == pytest.approx(1.0)


def test_lscp_share_needs_two_sites_for_ninety_percent():
    result = LSCP.from_reach(reach(), WEIGHTS, share=0.9).solve()
    assert result.objective == 2 and sorted(result.site_index) == [1, 2]  # 140 of 150 people


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_p_median_assigns_each_point_to_the_nearest_open_site(solver):
    result = PMedian.from_reach(reach(), WEIGHTS, p=3).solve(solver)
    assert result.objective == pytest.approx(20 * 60 + 30 * 30 + 50 * 100)
    assert list(result.details["assigned_site"]) == [0, 0, 1, 1, 2]


def test_p_median_with_too_few_sites_explains_instead_of_failing():
    result = PMedian.from_reach(reach(), WEIGHTS, p=2).solve()
    assert result.status == "infeasible"
    assert "p" in result.explain("en") and "LSCP" in result.explain("en")


def test_capacitated_coverage_respects_capacity():
    result = CapacitatedCoverage.from_reach(reach(), WEIGHTS, capacities=[100, 60, 45], p=2).solve()
    assert result.objective == pytest.approx(105.0)  # sites 1 and 2 full: 60 + 45
    assert sorted(result.site_index) == [1, 2]
    assert (result.sites["served_people"] <= result.sites["capacity"] + 1e-6).all()


def test_capacitated_coverage_counts_existing_cover_as_served_and_gives_it_no_new_capacity():
    """Demand 4 (50 people) is reached by an existing facility. Left for new sites: 10/20/30/40 people.
    Sites 0 + 1 serve 10 + 20 and 60 of demands 2-3; sites 1 + 2 serve 20 + 30 and 40 of demand 3:
    90 new either way, so 140 served with the existing cover (as MCLP counts it)."""
    already = np.array([False, False, False, False, True])
    result = CapacitatedCoverage.from_reach(reach(), WEIGHTS, capacities=[100, 60, 45], p=2,
                                            already_covered=already).solve()
    assert result.objective == pytest.approx(140.0)
    assert result.sites["served_people"].sum() == pytest.approx(90.0)
    assert (result.sites["served_people"] <= result.sites["capacity"] + 1e-6).all()
    assert result.details["served_share_before"].tolist() == [0, 0, 0, 0, 1]
    assert result.details["served_share_after"][4] == 1
    assert result.coverage_before == pytest.approx(50 / 150) and result.coverage_after == pytest.approx(140 / 150)


def test_capacitated_coverage_with_existing_cover_equals_a_plain_pulp_model():
    """An independent model: PuLP's own variables and constraints on a random instance, solved by HiGHS."""
    import pulp

    rng = np.random.default_rng(7)
    n_sites, n_demand = 8, 30
    dense = rng.random((n_sites, n_demand)) < 0.3
    people = rng.integers(5, 60, n_demand).astype(float)
    capacity = rng.integers(40, 150, n_sites).astype(float)
    already = rng.random(n_demand) < 0.3
    ours = CapacitatedCoverage.from_reach(sp.csr_array(dense.astype(float)), people, capacity, p=3,
                                          already_covered=already).solve()

    problem = pulp.LpProblem("capacitated", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat="Binary") for i in range(n_sites)]
    f = {(i, j): pulp.LpVariable(f"f{i}_{j}", lowBound=0) for i, j in zip(*np.nonzero(dense))}
    problem += pulp.lpSum(f.values())
    for j in range(n_demand):
        problem += pulp.lpSum(v for (_, jj), v in f.items() if jj == j) <= (0.0 if already[j] else people[j])
    for i in range(n_sites):
        problem += pulp.lpSum(v for (ii, _), v in f.items() if ii == i) <= capacity[i] * x[i]
    problem += pulp.lpSum(x) <= 3
    problem.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[problem.status] == "Optimal"
    assert ours.objective == pytest.approx(pulp.value(problem.objective) + people[already].sum(), abs=1e-6)


def test_multi_type_shares_candidates_and_budget():
    canteen = TypeInput("食堂", reach(), WEIGHTS, [100, 200, 150], min_count=1)
    clinic = TypeInput("诊所", reach(), WEIGHTS[::-1].copy(), [100, 100, 100])
    result = MultiTypeBudget.from_types([canteen, clinic], budget_yuan=300, communities=COMMUNITIES).solve()
    assert result.objective == pytest.approx(180.0)
    assert sorted(result.sites["type"]) == ["诊所", "食堂"]
    assert result.sites["candidate_index"].is_unique  # one facility per candidate
    assert result.sites["cost_yuan"].sum() <= 300


def test_multi_type_equity_floor_names_the_community_when_budget_is_short():
    canteen = TypeInput("食堂", reach(), WEIGHTS, [100, 200, 150])
    result = MultiTypeBudget.from_types([canteen], budget_yuan=150, communities=COMMUNITIES, equity_floor=0.9).solve()
    assert result.status == "infeasible"
    assert "西苑" in result.explain("zh") and "食堂" in result.explain("zh")


def test_parking_builds_levels_within_budget_and_reports_residual_deficit():
    lots = sp.csr_array(np.array([[1, 1, 0], [0, 1, 1]], float))
    result = ParkingDeficit.from_reach(
        lots, households=[100, 100, 100], cars_per_household=0.5, existing_spaces=[20, 50, 0],
        capacity_spaces=[60, 90], cost_per_space_yuan=[1000, 2000], levels=[2, 3],
        budget_yuan=100_000, communities=["A", "A", "B"],
    ).solve()
    assert result.objective == pytest.approx(20.0)  # 80 spaces short, 90k yuan buys 30 + 30
    assert list(result.sites["spaces"]) == [30.0, 30.0]
    residual = result.details["residual_deficit"].set_index("community")["deficit_after"]
    assert residual.to_dict() == pytest.approx({"A": 0.0, "B": 20.0})


def test_reverification_rejects_a_plan_that_counts_people_outside_the_service_radius():
    from optimize.program import SolverOutcome
    from planning.base.errors import PlanningError

    model = MCLP.from_reach(reach(), WEIGHTS, p=1)
    n_kept = len(model.covering.kept)
    claimed = np.concatenate([np.eye(n_kept)[list(model.covering.kept).index(1)], np.ones(len(model.covering.merged_weights))])
    outcome = SolverOutcome("optimal", claimed, 150.0, 0.0, 0.0)  # "site 1 covers everyone"
    with pytest.raises(PlanningError) as info:
        model._verify(model._decode(claimed), outcome)
    assert info.value.code == "optimize_verification_failed" and "reach" in info.value.en


def test_reverification_rejects_a_site_serving_beyond_its_capacity():
    from optimize.program import SolverOutcome
    from planning.base.errors import PlanningError

    model = CapacitatedCoverage.from_reach(reach(), WEIGHTS, capacities=[100, 60, 45], p=2)
    values = np.zeros(len(model.program.cost))
    values[[1, 2]] = 1.0
    pair_people = model.merged_weights[np.repeat(np.arange(model.merged.shape[0]), np.diff(model.merged.indptr))]
    values[3:] = np.where(model.merged.indices == 1, pair_people, 0.0)  # site 1 serves 90 people, capacity 60
    with pytest.raises(PlanningError) as info:
        model._verify(model._decode(values), SolverOutcome("optimal", values, values[3:].sum(), 0.0, 0.0))
    assert info.value.code == "optimize_verification_failed" and "capacity" in info.value.en


def test_floor_area_lets_one_building_host_two_types_that_fit():
    hub = sp.csr_array(np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], float))  # only site 0 reaches anyone
    canteen = TypeInput("食堂", hub, WEIGHTS, 100.0, area_m2=100)
    clinic = TypeInput("诊所", hub, 2 * WEIGHTS, 100.0, area_m2=150)
    one_each = MultiTypeBudget.from_types([canteen, clinic], budget_yuan=200).solve()
    shared = MultiTypeBudget.from_types([canteen, clinic], budget_yuan=200, floor_area_m2=[250, 0, 0]).solve()
    assert one_each.objective == pytest.approx(300.0)  # one facility per site: the clinic wins site 0
    assert shared.objective == pytest.approx(450.0)  # 100 + 150 m² fit in 250 m²: both at site 0
    assert list(shared.sites["candidate_index"]) == [0, 0]


def random_reach(seed: int, n_candidates: int = 10, n_demand: int = 40, density: float = 0.5) -> tuple[sp.csr_array, np.ndarray]:
    """Random sparse reach with many tied walking seconds; every demand point reachable."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_candidates, n_demand)) < density
    mask[rng.integers(0, n_candidates, n_demand), np.arange(n_demand)] = True
    seconds = rng.integers(0, 12, (n_candidates, n_demand)) * 30.0  # ties, and explicit zeros
    rows, cols = np.nonzero(mask)
    reach = sp.csr_array((seconds[rows, cols], (rows, cols)), shape=mask.shape)
    return reach, rng.integers(0, 30, n_demand).astype(float)  # some zero weights


def brute_force_p_median(reach: sp.csr_array, weights: np.ndarray, p: int) -> float:
    from itertools import combinations

    dense = np.full(reach.shape, np.inf)
    dense[np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr)), reach.indices] = reach.data
    need = weights > 0
    best = np.inf
    for sites in combinations(range(reach.shape[0]), p):
        nearest = dense[list(sites)].min(axis=0)[need]
        if np.isfinite(nearest).all():
            best = min(best, float(nearest @ weights[need]))
    return best


class _AssignmentPMedian(PMedian):
    formulation = "assignment"


class _PrefixPMedian(PMedian):
    formulation = "radius_prefix"


class _ChainedPMedian(PMedian):
    formulation = "radius"  # the default


@pytest.mark.parametrize("seed", range(6))
def test_p_median_radius_formulation_equals_assignment_formulation_and_brute_force(seed):
    reach_set, weights = random_reach(seed)
    for p in (1, 2, 3, 8):
        expected = brute_force_p_median(reach_set, weights, p)
        for cls in (PMedian, _AssignmentPMedian, _PrefixPMedian, _ChainedPMedian):
            result = cls.from_reach(reach_set, weights, p).solve()
            if not np.isfinite(expected):
                assert result.status == "infeasible", (cls.formulation, p)
                continue
            assert result.status == "optimal", (cls.formulation, p)
            assert result.objective == pytest.approx(expected, rel=1e-9), (cls.formulation, p)
            assert len(result.site_index) == p


def test_p_median_radius_program_is_smaller_and_its_lp_bound_is_the_prefix_bound():
    from optimize.program import solve_program

    reach_set, weights = random_reach(7, n_candidates=12, n_demand=80, density=0.8)
    chained, prefix = _ChainedPMedian.from_reach(reach_set, weights, 3), _PrefixPMedian.from_reach(reach_set, weights, 3)
    assignment = _AssignmentPMedian.from_reach(reach_set, weights, 3)
    assert chained.program.matrix.nnz < prefix.program.matrix.nnz
    assert chained.program.matrix.nnz < assignment.program.matrix.nnz
    assert PMedian.from_reach(reach_set, weights, 3).program.matrix.nnz == chained.program.matrix.nnz
    for model in (chained, prefix):
        model.program.integer[:] = False  # the same LP relaxation
    assert solve_program(chained.program).objective == pytest.approx(solve_program(prefix.program).objective, rel=1e-9)


@pytest.mark.parametrize("solver", ["pulp_highs", "cbc"])
@pytest.mark.parametrize("cls", [_PrefixPMedian, _ChainedPMedian])
def test_p_median_pulp_routes_agree_with_highs_on_the_radius_program(solver, cls):
    reach_set, weights = random_reach(3, n_candidates=12, n_demand=60)
    model = cls.from_reach(reach_set, weights, 3)
    assert model.solve(solver).objective == pytest.approx(model.solve().objective, rel=1e-9)


@pytest.mark.parametrize("cls", [_PrefixPMedian, _ChainedPMedian])
def test_p_median_greedy_start_is_feasible_for_the_radius_program(cls):
    reach_set, weights = random_reach(4, n_candidates=12, n_demand=60, density=0.8)
    program = cls.from_reach(reach_set, weights, 3).program
    assert program.start is not None
    activity = program.matrix @ program.start
    assert (activity >= program.row_lower - 1e-9).all() and (activity <= program.row_upper + 1e-9).all()
    greedy = program.cost @ program.start + program.offset
    assert greedy >= brute_force_p_median(reach_set, weights, 3) - 1e-6

