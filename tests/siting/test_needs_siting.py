"""Stated needs in the siting models, on the 新街口 demo area: weighted in, MCLP moves to a cluster of needs
that the residents alone do not favour, and each plan says how many needs it answers — counted again
independently by the coverage engine (nearest walk from the chosen sites to each need)."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from optimize.needs import needs_answered, needs_summary, prepare_needs
from optimize.siting import SitingData, build_model, plan_coverage
from planning.base.catalogue import load_catalogue
from planning.base.errors import PlanningError
from planning.coverage.residents import compute_coverage
from scenarios.assemble import scenario_from_plan
from scenarios.needs import needs_record
from scenarios.scenario import load_scenario, save_scenario

CLUSTER = 30
SCATTERED = 12


@pytest.fixture(scope="module")
def data(demo_area):
    return SitingData.prepare(demo_area.network, demo_area.demand, demo_area.candidates, demo_area.facilities,
                              speed_kmh=4.0)


@pytest.fixture(scope="module")
def meal_hall():
    return load_catalogue()["meal_hall"]


def _solve(data, ftype, **params):
    result = build_model(data, "mclp", [ftype], {"p": 1, **params}).solve(time_limit_s=120)
    assert result.has_solution
    return result.sites.assign(type=ftype.key)


def _coverage_engine_count(demo_area, needs: gpd.GeoDataFrame, sites, data, ftype) -> int:
    """Needs within the tier of the chosen sites, by the coverage engine (a different search: nearest walk)."""
    points = gpd.GeoDataFrame({"population": np.ones(len(needs))}, geometry=needs.geometry.to_numpy(), crs=needs.crs)
    chosen = data.candidates.iloc[sites["candidate_index"].to_numpy()].assign(type=ftype.key)
    answering = needs["need"].isin(["meals"]).to_numpy()
    cov = compute_coverage(demo_area.network, points[answering].assign(community="all"), chosen, [ftype],
                           tiers=(ftype.tier_minutes,),
                           speed_kmh=4.0)
    return int((cov.demand[f"minutes_to_{ftype.key}"] <= ftype.tier_minutes).sum())


@pytest.fixture(scope="module")
def case(data, meal_hall, demo_area):
    """The residents' own choice, and a candidate far from it that residents alone rank low; a cluster of
    30 "吃饭难" needs around that candidate, 12 needs of other kinds scattered over the area."""
    by_people = _solve(data, meal_hall)
    first = int(by_people["candidate_index"].iloc[0])
    reach = data.reach(meal_hall.tier_minutes)
    weights = data.demand["pop_60plus"].to_numpy(float)
    gain = np.array([weights[reach.indices[reach.indptr[i]:reach.indptr[i + 1]]].sum() for i in range(reach.shape[0])])
    xy = np.column_stack([data.candidates.geometry.x, data.candidates.geometry.y])
    far = np.linalg.norm(xy - xy[first], axis=1) > 1200
    target = int(np.flatnonzero(far)[np.argmin(gain[far])])  # far away, and the fewest residents around it
    rng = np.random.default_rng(20)
    spots = xy[target] + rng.uniform(-25, 25, size=(CLUSTER, 2))
    west, south, east, north = demo_area.communities.total_bounds
    scattered = np.column_stack([rng.uniform(west, east, SCATTERED), rng.uniform(south, north, SCATTERED)])
    needs = gpd.GeoDataFrame({"need": ["meals"] * CLUSTER + ["parking", "clinic_far", "other"] * (SCATTERED // 3)},
                             geometry=gpd.points_from_xy(*np.vstack([spots, scattered]).T), crs=data.network.crs)
    return {"by_people": by_people, "target": target, "needs": needs, "gain": gain}


def test_mclp_with_needs_weighted_in_moves_to_the_cluster_people_alone_do_not_favour(data, meal_hall, case,
                                                                                      demo_area):
    needs = prepare_needs(data, case["needs"])
    assert len(needs.points) == CLUSTER + SCATTERED  # every need snapped onto the network
    by_people = case["by_people"]
    with_needs = _solve(data, meal_hall, needs=needs, need_weight=200.0, population_weight=1.0)
    chosen = int(with_needs["candidate_index"].iloc[0])
    assert chosen != int(by_people["candidate_index"].iloc[0])
    # the residents alone rank the chosen site low: it is not their choice, and far below it
    assert case["gain"][chosen] < 0.5 * case["gain"][int(by_people["candidate_index"].iloc[0])]
    centre = case["needs"].geometry.iloc[:CLUSTER].union_all().centroid
    assert data.candidates.geometry.iloc[chosen].distance(centre) < 300  # metres: at the cluster

    for sites in (by_people, with_needs):
        summary = needs_summary(data, needs, sites, [meal_hall])
        independent = _coverage_engine_count(demo_area, case["needs"], sites, data, meal_hall)
        assert summary["answered"] == independent
        assert summary["total"] == CLUSTER + SCATTERED
        assert summary["by_type"]["meals"] == [independent, CLUSTER]
    assert needs_summary(data, needs, by_people, [meal_hall])["answered"] < 5
    assert needs_summary(data, needs, with_needs, [meal_hall])["answered"] >= CLUSTER - 2


def test_planning_for_the_stated_needs_alone_answers_the_most(data, meal_hall, case):
    needs = prepare_needs(data, case["needs"])
    only_needs = _solve(data, meal_hall, needs=needs, need_weight=1.0, population_weight=0.0)
    answered = needs_answered(data, needs, only_needs, [meal_hall]).sum()
    # no single candidate answers more of the needs a meal hall answers
    reach = needs.reach(data, meal_hall.tier_minutes)
    mine = needs.for_type(meal_hall)
    best = max(mine[reach.indices[reach.indptr[i]:reach.indptr[i + 1]]].sum() for i in range(reach.shape[0]))
    assert answered == best >= CLUSTER - 2
    # the residents' own coverage is still reported per person, unmixed with the needs
    rows = plan_coverage(data, only_needs, [meal_hall])
    assert rows["population"].sum() == pytest.approx(data.demand["population"].sum())


def test_models_that_cannot_take_needs_and_bad_weights_are_refused(data, meal_hall, case):
    needs = prepare_needs(data, case["needs"])
    with pytest.raises(PlanningError) as err:
        build_model(data, "budget", [meal_hall], {"budget_yuan": 1e6, "needs": needs})
    assert err.value.code == "needs_model_unsupported"
    for weights in ({"need_weight": -1}, {"need_weight": 0, "population_weight": 0}, {"need_weight": float("nan")}):
        with pytest.raises(PlanningError) as err:
            build_model(data, "mclp", [meal_hall], {"p": 1, "needs": needs, **weights})
        assert err.value.code == "needs_bad_weight"


def test_a_scenario_records_the_survey_it_used_and_its_count(data, meal_hall, case, demo_area, tmp_path):
    needs = prepare_needs(data, case["needs"])
    sites = _solve(data, meal_hall, needs=needs, need_weight=200.0, population_weight=1.0)
    result = build_model(data, "mclp", [meal_hall], {"p": 1, "needs": needs, "need_weight": 200.0}).solve()
    summary = needs_summary(data, needs, sites, [meal_hall])
    record = needs_record(7, "新街口 身边缺什么", summary, 200.0, 1.0)
    plan = scenario_from_plan("助餐点 · 回应诉求", demo_area, data, sites.assign(cost_yuan=1.0), result,
                              load_catalogue(), {"p": 1}, 4.0, needs=record)
    path = save_scenario(plan, tmp_path)
    loaded = load_scenario(path)
    assert (loaded.needs.survey_id, loaded.needs.answered, loaded.needs.total) == (7, summary["answered"],
                                                                                 CLUSTER + SCATTERED)
    assert loaded.needs.need_weight == 200.0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"answered: {summary['answered']}", f"answered: {summary['answered'] - 1}"),
                    encoding="utf-8")
    with pytest.raises(PlanningError) as err:  # the count is sealed with the plan
        load_scenario(path)
    assert err.value.code == "scenario_tampered"
