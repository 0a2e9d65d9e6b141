"""Residents the way offices have them: a table per 社区 spread over the housing inside each 社区.

On the Beijing 海淀 extract (not a demo area) with four 社区 polygons: each 社区's residents equal
its row, are spread in proportion to floor area (footprint × levels, measured here from the OSM
buildings), and every row without a 社区 and every 社区 without a row is listed.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely

from planning.areas.build import AreaInputs, build_area, own_area_settings
from planning.areas.population import community_key, spread_population
from planning.base.errors import PlanningError
from planning.network.read import load_network
from tests.support.data import BEIJING_PBF
from tests.support.office_files import COMMUNITIES, quadrants, write_office_files


def _build(**files) -> object:
    return build_area("海淀", own_area_settings(), AreaInputs(source=BEIJING_PBF, **files))


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return write_office_files(tmp_path_factory.mktemp("office"))


@pytest.fixture(scope="module")
def area(office):
    return _build(boundaries=office.boundaries, population=office.population)


def test_community_names_match_whatever_their_suffix_width_or_spaces():
    same = ["东区社区", "东区", "东区社区居民委员会", "东区居委会", "东区社区居委会", " 东 区 ", "东区居民委员会"]
    assert {community_key(n) for n in same} == {"东区"}
    assert community_key("双清路１号院社区") == community_key("双清路1号院") == "双清路1号院"
    assert community_key("ＡＢＣ社区") == "abc"
    assert community_key("东区") != community_key("西区")


def test_each_communitys_residents_equal_its_row(office, area):
    names = area.communities.set_index("code")["name"]
    people = area.demand.groupby("community")[["population", "pop_60plus"]].sum()
    people.index = people.index.map(names)
    for name in COMMUNITIES:
        assert abs(people.loc[name, "population"] - office.residents[name]) < 1e-6, name
        assert abs(people.loc[name, "pop_60plus"] - office.elderly[name]) < 1e-6, name


def test_residents_stand_inside_their_own_community(area):
    polygons = area.communities.set_index("code").geometry
    inside = [polygons[c].covers(p) for c, p in zip(area.demand["community"], area.demand.geometry)]
    assert all(inside)


def test_residents_are_spread_by_floor_area(area):
    """population ÷ (footprint × levels) is one number within each 社区 (measured on OSM's buildings)."""
    buildings = pyrosm.OSM(str(BEIJING_PBF)).get_buildings().to_crs(area.crs)
    buildings["key"] = "b" + buildings["id"].astype(str)
    levels = pd.to_numeric(buildings["building:levels"], errors="coerce").clip(1, 60).fillna(6)
    floor = pd.Series((buildings.geometry.area * levels).to_numpy(), index=buildings["key"])
    housed = area.demand[area.demand["building"] != ""]
    assert len(housed) > 20
    ratio = housed["population"].to_numpy() / floor.reindex(housed["id"]).to_numpy()
    for community in housed["community"].unique():
        mine = ratio[(housed["community"] == community).to_numpy()]
        assert np.ptp(mine) < 1e-9 * mine.mean(), community


def test_rows_without_a_community_and_communities_without_a_row_are_listed(tmp_path, office):
    table = pd.DataFrame({"社区": ["农大东区", "学清苑社区", "火星社区", "小计"], "人口": [3000, 4000, 77, 7077]})
    path = tmp_path / "人口.csv"
    table.to_csv(path, index=False, encoding="gb18030")  # as Excel on Chinese Windows saves it
    area = _build(boundaries=office.boundaries, population=path)
    said = "\n".join(zh for zh, _ in area.notes)
    assert "火星社区" in said  # a row no 社区 fits: listed, its 77 residents not counted
    assert "清华东路社区" in said and "双清路1号院社区" in said  # 社区 with no row: listed
    assert "小计" in said  # a total row: left out and said so
    assert "60 岁以上" in said  # no 60+ column: estimated, and said so
    estimated = area.demand[area.demand["source"] == "derived"]
    codes = area.communities.set_index("name")["code"]
    assert set(estimated["community"]) <= {codes["清华东路社区"], codes["双清路1号院社区"]}
    from_table = area.demand[area.demand["source"] == "table"].groupby("community")["population"].sum()
    assert from_table[codes["农大东区社区"]] == pytest.approx(3000, abs=1e-6)
    assert from_table.sum() == pytest.approx(7000, abs=1e-6)


def test_codes_match_when_the_table_has_codes_only(tmp_path, office):
    path = tmp_path / "人口.xlsx"
    codes = [int(COMMUNITIES[n][0]) for n in COMMUNITIES]  # Excel stores codes as numbers
    pd.DataFrame({"社区代码": codes, "常住人口": [100, 200, 300, 400]}).to_excel(path, index=False)
    area = _build(boundaries=office.boundaries, population=path)
    totals = area.demand.groupby("community")["population"].sum()
    assert [round(totals[str(c)], 6) for c in codes] == [100, 200, 300, 400]


def test_without_housing_residents_go_along_the_streets_of_their_community(office):
    network = load_network(BEIJING_PBF)
    communities = gpd.GeoDataFrame({"code": list("ABCD"), "name": list(COMMUNITIES)}, geometry=quadrants(),
                                   crs=4326).to_crs(network.crs)
    table = pd.DataFrame({"name": list(COMMUNITIES), "code": None, "population": [10.0, 20.0, 30.0, 40.0],
                          "pop_60plus": np.nan})
    demand, notes, rule = spread_population(table, communities, None, network, 0.2)
    assert demand.groupby("community")["population"].sum().round(9).to_dict() == {"A": 10, "B": 20, "C": 30, "D": 40}
    assert (demand["pop_60plus"] - 0.2 * demand["population"]).abs().max() < 1e-12
    streets = shapely.union_all(network.edges.geometry.to_numpy())
    assert shapely.distance(streets, demand.geometry.to_numpy()).max() < 1e-6  # on the streets
    polygons = communities.set_index("code").geometry
    assert all(polygons[c].covers(p) for c, p in zip(demand["community"], demand.geometry))
    assert "按道路长度分到道路上（4 个社区）" in rule[0] and "along its streets by length" in rule[1]


def test_a_population_table_needs_community_boundaries(office):
    with pytest.raises(PlanningError) as caught:
        _build(population=office.population)
    assert caught.value.code == "population_needs_boundaries"
    assert "--boundaries" in caught.value.message("zh") and "--boundaries" in caught.value.message("en")


def test_a_name_two_communities_share_is_not_guessed(tmp_path):
    path = tmp_path / "社区.geojson"
    polygons = quadrants()
    gpd.GeoDataFrame({"name": ["东区社区", "东区", "西区", "北区"]}, geometry=polygons, crs=4326).to_file(path)
    table = tmp_path / "人口.csv"
    pd.DataFrame({"社区": ["东区", "西区"], "人口": [100, 200]}).to_csv(table, index=False)
    area = _build(boundaries=path, population=table)
    said = "\n".join(zh for zh, _ in area.notes)
    assert "东区" in said and "社区代码" in said
    assert area.demand[area.demand["source"] == "table"]["population"].sum() == pytest.approx(200)


def test_a_table_without_a_population_column_is_refused_naming_its_columns(tmp_path, office):
    path = tmp_path / "人口.csv"
    pd.DataFrame({"社区": ["东区"], "户数": [100]}).to_csv(path, index=False)
    with pytest.raises(PlanningError) as caught:
        _build(boundaries=office.boundaries, population=Path(path))
    assert caught.value.code == "population_no_column" and "户数" in caught.value.message("en")
