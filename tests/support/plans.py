"""A real plan of the demo area: two meal halls sited by maximal covering, as a scenario (poster and report tests)."""
from __future__ import annotations

from optimize.siting import SitingData, build_model, priced
from planning.base.catalogue import load_catalogue
from scenarios.assemble import scenario_from_plan
from scenarios.scenario import Scenario


def demo_plan(area, kind: str = "meal_hall", p: int = 2) -> Scenario:
    types = load_catalogue()
    data = SitingData.prepare(area.network, area.demand, area.candidates, area.facilities, 4.8)
    result = build_model(data, "mclp", [types[kind]], {"p": p}).solve(time_limit_s=30.0)
    sites = result.sites.assign(type=kind)
    sites = priced(data, sites, [types[kind]])
    return scenario_from_plan("新街口助餐点方案", area, data, sites, result, types, {"p": p}, 4.8, 30.0)
