"""A plan saved as a scenario records the coverage the chosen sites really give."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from optimize.siting import SitingData, build_model, priced
from planning.base.catalogue import load_catalogue
from planning.coverage.residents import compute_coverage
from scenarios.assemble import scenario_from_plan
from scenarios.scenario import load_scenario, save_scenario


@pytest.fixture(scope="module")
def plan(demo_area):
    catalogue = load_catalogue()
    data = SitingData.prepare(demo_area.network, demo_area.demand, demo_area.candidates, demo_area.facilities, 4.0)
    clinic = catalogue["clinic"]
    result = build_model(data, "mclp", [clinic], {"p": 3}).solve(time_limit_s=20)
    sites = priced(data, result.sites.assign(type="clinic"), [clinic])
    return data, result, sites, catalogue


def test_scenario_coverage_equals_coverage_recomputed_with_the_new_sites_as_facilities(demo_area, plan, tmp_path):
    data, result, sites, catalogue = plan
    scenario = scenario_from_plan("三处社区卫生服务站", demo_area, data, sites, result, catalogue, {"p": 3}, 4.0, 20)
    loaded = load_scenario(save_scenario(scenario, tmp_path))  # survives its own file
    row = next(r for r in loaded.metrics.overall if r.type == "clinic")

    # independent: the coverage engine, with the chosen sites added to the existing clinics
    new = gpd.GeoDataFrame({"type": ["clinic"] * len(sites)}, geometry=sites.set_geometry("geometry").geometry.to_numpy(),
                           crs=sites.crs or demo_area.crs)
    facilities = pd.concat([demo_area.facilities[["type", "geometry"]], new], ignore_index=True)
    before = compute_coverage(demo_area.network, demo_area.demand, demo_area.facilities, [catalogue["clinic"]],
                              demo_area.communities).demand
    after = compute_coverage(demo_area.network, demo_area.demand, facilities, [catalogue["clinic"]],
                             demo_area.communities).demand
    tier = catalogue["clinic"].tier_minutes
    assert row.covered_before == pytest.approx(before.loc[before["minutes_to_clinic"] <= tier, "population"].sum(),
                                               abs=len(loaded.metrics.communities))  # floored per community
    assert row.covered_after == pytest.approx(after.loc[after["minutes_to_clinic"] <= tier, "population"].sum(),
                                              abs=len(loaded.metrics.communities))
    assert row.covered_after > row.covered_before
    assert len(loaded.sites) == 3 and {s.cost_yuan for s in loaded.sites} == {catalogue["clinic"].default_cost_yuan}
    names = set(demo_area.communities["name"])
    assert {r.community for r in loaded.metrics.communities} <= names
