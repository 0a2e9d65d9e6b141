"""Places many residents name become candidate sites (民情征集 → 选址), on the 新街口 demo area.

A cluster of "吃饭难" needs is put where no candidate site of the area lies within 700 m: an MCLP plan for
the stated needs cannot answer them from the area's own candidates, and with the cluster sites added
(:func:`scenarios.needs.needs_candidates`, what the siting page calls) it picks the ``need-N001`` site and
answers every one of them. The counts are checked again by the coverage engine (nearest walk from the
chosen site to each need), a different search from the model's reach sets.
"""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from optimize.needs import needs_summary, prepare_needs
from optimize.siting import SitingData, build_model, priced
from planning.base.catalogue import load_catalogue
from planning.coverage.residents import compute_coverage
from scenarios.assemble import scenario_from_plan
from scenarios.needs import cluster_candidates, needs_candidates, needs_frame, needs_record
from scenarios.scenario import load_scenario, save_scenario

CLUSTER, PARKING, LONE = 15, 4, 2
EMPTY_M = 700.0  # no area candidate within this of the cluster: a meal hall's 5 minutes is 333 m on foot


@pytest.fixture(scope="module")
def meal_hall():
    return load_catalogue()["meal_hall"]


@pytest.fixture(scope="module")
def case(demo_area):
    """The demo area with its candidates near one street corner removed, and a survey's answers: 15 meals
    needs within 20 m of that corner, 4 parking needs together at it, 2 lone meals needs elsewhere."""
    network = demo_area.network
    middle = demo_area.communities.to_crs(demo_area.crs).union_all().centroid
    corner = int(np.argmin(np.hypot(network.x - middle.x, network.y - middle.y)))
    spot = np.array([network.x[corner], network.y[corner]])
    candidates = demo_area.candidates.to_crs(demo_area.crs)
    far = np.hypot(candidates.geometry.x - spot[0], candidates.geometry.y - spot[1]).to_numpy() > EMPTY_M
    area = dataclasses.replace(demo_area, candidates=demo_area.candidates[far].reset_index(drop=True))
    rng = np.random.default_rng(20)
    west, south, east, north = demo_area.communities.to_crs(demo_area.crs).total_bounds
    xy = np.vstack([spot + rng.uniform(-20, 20, size=(CLUSTER + PARKING, 2)),
                    [[west + 150, south + 150], [east - 150, north - 150]]])
    kinds = ["meals"] * CLUSTER + ["parking"] * PARKING + ["meals"] * LONE
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=demo_area.crs).to_crs(4326)
    rows = [{"id": i + 1, "need": k, "lon": p.x, "lat": p.y, "text": ""} for i, (k, p) in enumerate(zip(kinds, points))]
    return {"area": area, "needs": needs_frame(rows), "spot": spot, "n_removed": int((~far).sum())}


def _plan(area, candidates, needs_points, ftype):
    data = SitingData.prepare(area.network, area.demand, candidates, area.facilities, speed_kmh=4.0)
    needs = prepare_needs(data, needs_points)
    result = build_model(data, "mclp", [ftype], {"p": 1, "needs": needs, "need_weight": 1.0,
                                                 "population_weight": 0.0}).solve(time_limit_s=120)
    assert result.has_solution
    sites = priced(data, result.sites.assign(type=ftype.key), [ftype])
    return data, needs, result, sites


def _coverage_engine_count(area, needs_points, sites, ftype) -> int:
    """Meals needs within a meal hall's tier of the chosen sites, by the coverage engine's nearest walk."""
    meals = needs_points[needs_points["need"] == "meals"].to_crs(area.crs)
    points = gpd.GeoDataFrame({"population": np.ones(len(meals)), "community": "all"},
                              geometry=meals.geometry.to_numpy(), crs=area.crs)
    cov = compute_coverage(area.network, points, sites.to_crs(area.crs)[["type", "geometry"]], [ftype],
                           tiers=(ftype.tier_minutes,), speed_kmh=4.0)
    return int((cov.demand[f"minutes_to_{ftype.key}"] <= ftype.tier_minutes).sum())


def test_the_plan_with_cluster_sites_picks_the_place_residents_name_and_answers_more(case, meal_hall, tmp_path):
    area, needs_points = case["area"], case["needs"]
    assert case["n_removed"] > 0 and len(area.candidates) > 50
    _, needs_own, _, own = _plan(area, area.candidates, needs_points, meal_hall)

    candidates = needs_candidates(area, needs_points, meal_hall)
    added = candidates.iloc[len(area.candidates):]
    assert added["id"].tolist() == ["need-N001"]  # the parking cluster is no meal hall's; the lone needs no cluster
    assert int(added["need_count"].iloc[0]) == CLUSTER and added["need"].iloc[0] == "meals"
    data, needs, result, sites = _plan(area, candidates, needs_points, meal_hall)

    assert sites["id"].tolist() == ["need-N001"]
    assert np.hypot(*(np.array([sites.geometry.x.iloc[0], sites.geometry.y.iloc[0]]) - case["spot"])) < 30
    with_sites, without = needs_summary(data, needs, sites, [meal_hall]), needs_summary(data, needs_own, own, [meal_hall])
    assert with_sites["answered"] == _coverage_engine_count(area, needs_points, sites, meal_hall) == CLUSTER
    assert without["answered"] == _coverage_engine_count(area, needs_points, own, meal_hall)
    assert without["answered"] < with_sites["answered"]
    assert with_sites["by_type"]["meals"] == [CLUSTER, CLUSTER + LONE]

    # the saved plan has the site, and its place (the 社区 the residents named it in)
    community = added["community"].iloc[0]
    name = area.communities.set_index("code")["name"][community]
    assert sites["community"].iloc[0] == community
    record = needs_record(3, "身边缺什么", with_sites, 1.0, 0.0)
    plan = scenario_from_plan("回应诉求", area, data, sites, result, load_catalogue(), {"p": 1}, 4.0, needs=record)
    loaded = load_scenario(save_scenario(plan, tmp_path))
    assert [s.id for s in loaded.sites] == ["need-N001-meal_hall"]
    assert loaded.description == name and loaded.needs.answered == CLUSTER


def test_cluster_candidates_adds_only_the_clusters_the_type_answers_in_the_candidates_crs(demo_area, meal_hall):
    centre = demo_area.candidates.to_crs(4326).geometry.iloc[0]
    clusters = gpd.GeoDataFrame({"id": ["N001", "N002", "N003", "N004"], "need": ["meals", "parking", "meals", "other"],
                                 "count": [9, 7, 3, 5], "community": ["C01", "C02", "C03", "C01"]},
                                geometry=gpd.points_from_xy([centre.x + d for d in (0, .001, .002, .003)],
                                                            [centre.y] * 4), crs=4326)
    out = cluster_candidates(demo_area, clusters, meal_hall)
    n = len(demo_area.candidates)
    assert out.crs == demo_area.candidates.crs != clusters.crs
    assert out["id"].iloc[:n].tolist() == demo_area.candidates["id"].astype(str).tolist()
    assert out.geometry.iloc[:n].equals(demo_area.candidates.geometry)
    added = out.iloc[n:]
    assert added["id"].tolist() == ["need-N001", "need-N003"]
    assert added["need_count"].tolist() == [9, 3] and added["community"].tolist() == ["C01", "C03"]
    expected = clusters.iloc[[0, 2]].to_crs(demo_area.candidates.crs).geometry
    assert np.allclose(added.geometry.x, expected.x) and np.allclose(added.geometry.y, expected.y)
    assert out["need"].iloc[:n].isna().all()
    assert cluster_candidates(demo_area, clusters, load_catalogue()["parking"])["id"].iloc[n:].tolist() == ["need-N002"]
    assert len(cluster_candidates(demo_area, clusters, load_catalogue()["clinic"])) == n

    # candidates with a cost column: the new sites cost the catalogue's default, so the models can read them
    priced_area = dataclasses.replace(demo_area, candidates=demo_area.candidates.assign(cost_yuan=1.0))
    costs = cluster_candidates(priced_area, clusters, meal_hall)["cost_yuan"]
    assert costs.iloc[:n].eq(1.0).all() and costs.iloc[n:].eq(meal_hall.default_cost_yuan).all()
    assert pd.notna(costs).all()
