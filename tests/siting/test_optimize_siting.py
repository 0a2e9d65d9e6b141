"""Every siting model runs end to end on the 新街口 demo area through the shared builder."""
from __future__ import annotations

import pytest

from optimize.siting import MODELS, SitingData, build_model, plan_coverage
from planning.base.catalogue import load_catalogue
from planning.base.errors import PlanningError

PARAMS = {
    "mclp": ({"p": 3}, ["meal_hall"]),
    "lscp": ({"share": 0.8}, ["clinic"]),
    "p_median": ({"p": 4}, ["clinic"]),
    "capacitated": ({"p": 3}, ["day_care"]),
    "budget": ({"budget_yuan": 6_000_000}, ["meal_hall", "day_care"]),
    "parking": ({"budget_yuan": 20_000_000, "cars_per_household": 0.4}, ["parking"]),
}


@pytest.fixture(scope="module")
def data(demo_area):
    return SitingData.prepare(demo_area.network, demo_area.demand, demo_area.candidates,
                              demo_area.facilities, speed_kmh=4.0)


@pytest.mark.parametrize("model", MODELS)
def test_each_model_finds_a_plan_that_helps(data, model):
    catalogue = load_catalogue()
    params, keys = PARAMS[model]
    types = [catalogue[k] for k in keys]
    result = build_model(data, model, types, params).solve(time_limit_s=15)
    assert result.has_solution, result.explain("en")
    assert len(result.sites) >= 1
    assert set(result.sites["id"]) <= set(data.candidates["id"])
    if model != "parking":
        rows = plan_coverage(data, result.sites, types)
        assert (rows["covered_after"] >= rows["covered_before"] - 1e-9).all()
        assert rows["covered_after"].sum() > rows["covered_before"].sum()
        assert (rows["covered_after"] <= rows["population"] + 1e-9).all()


def test_unknown_model_is_refused(data):
    with pytest.raises(PlanningError) as info:
        build_model(data, "gravity", [load_catalogue()["clinic"]], {})
    assert info.value.code == "optimize_model_unknown"


def test_mclp_covers_more_with_more_sites(data):
    meal = [load_catalogue()["meal_hall"]]
    small = build_model(data, "mclp", meal, {"p": 1}).solve().objective
    large = build_model(data, "mclp", meal, {"p": 4}).solve().objective
    assert large > small > 0
