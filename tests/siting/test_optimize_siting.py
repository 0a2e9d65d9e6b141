"""Every siting model runs end to end on the 新街口 demo area through the shared builder."""
from __future__ import annotations

import re

import numpy as np
import pytest

from optimize.siting import (
    MODELS,
    SitingData,
    build_model,
    plan_coverage,
    priced,
    tier_coverage,
)
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


@pytest.mark.parametrize("model", ["mclp", "lscp", "p_median", "capacitated", "parking"])
def test_several_types_are_refused_by_a_model_that_sites_one(data, model):
    """It sited the first type and silently dropped the rest (CLI exit 0); the budget model takes several."""
    cat = load_catalogue()
    with pytest.raises(PlanningError) as info:
        build_model(data, model, [cat["clinic"], cat["meal_hall"]], {"p": 2, "budget_yuan": 1e7})
    assert info.value.code == "optimize_one_type" and "clinic, meal_hall" in info.value.one_line()
    assert "--model budget" in info.value.message("zh") and "--model budget" in info.value.message("en")


def test_mclp_covers_more_with_more_sites(data):
    meal = [load_catalogue()["meal_hall"]]
    small = build_model(data, "mclp", meal, {"p": 1}).solve().objective
    large = build_model(data, "mclp", meal, {"p": 4}).solve().objective
    assert large > small > 0


WORDS = re.compile(r"\b(?:inf|Infinity|nan|NaN|None)\b")


@pytest.mark.parametrize("model", MODELS)
def test_every_plan_is_priced_and_explained_without_meaningless_figures(data, model):
    catalogue = load_catalogue()
    params, keys = PARAMS[model]
    types = [catalogue[k] for k in keys]
    result = build_model(data, model, types, params).solve(time_limit_s=5)
    sites = priced(data, result.sites, types)
    assert sites["cost_yuan"].notna().all() and (sites["cost_yuan"] > 0).all()
    for lang in ("zh", "en"):
        assert not WORDS.search(result.explain(lang)), result.explain(lang)


def test_p_median_has_no_coverage_tier_but_a_mean_walk_and_its_tier_coverage(data):
    clinic = load_catalogue()["clinic"]
    result = build_model(data, "p_median", [clinic], {"p": 4}).solve(time_limit_s=5)
    assert np.isnan(result.coverage_before) and np.isnan(result.coverage_after)  # not "0 % → 100 %"
    assert "平均步行" in result.explain("zh") and "on average" in result.explain("en")
    walk = result.community_coverage["mean_walk_minutes"]
    assert (walk > 0).all() and (walk <= 30).all()
    sites = priced(data, result.sites, [clinic])
    assert (sites["cost_yuan"] == clinic.default_cost_yuan).all()  # the catalogue's cost, not 0
    before, after, table = tier_coverage(data, sites, [clinic])
    assert 0 < before < after < 1
    assert (table["coverage_after"] >= table["coverage_before"]).all()
