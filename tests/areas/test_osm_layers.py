"""Layers derived from OSM that a 社区卫生服务中心 director and a street office would accept.

Hospitals are not community health centres, private car parks are not public, people live in
housing (not in teaching buildings), and derived communities hold the number of residents the
area's description says. Real extracts: the 新街口 demo and a Beijing 海淀 extract (中国农业大学
east campus, ``tests/data``).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pyrosm
import pytest
import shapely
import yaml
from streamlit.testing.v1 import AppTest

from planning.areas import derive
from planning.areas.build import derive_osm_area
from planning.base.catalogue import CATALOGUE_PATH, load_catalogue
from planning.base.errors import PlanningError
from planning.network.read import load_network
from planning.outputs.reports import prepare_report_data
from planning.outputs.reports.content import assemble_report, label
from tests.support.data import BEIJING_PBF, NANJING_PBF, ROOT

HAIDIAN_PBF = BEIJING_PBF
HAIDIAN_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)
NANJING_BBOX = (118.764, 32.035, 118.797, 32.052)
HAIDIAN = {"name_zh": "北京 海淀 中国农业大学东区", "name_en": "Haidian, Beijing", "bbox": list(HAIDIAN_BBOX),
           "default_levels": 6, "floor_m2_per_person": 40, "elderly_share": 0.19, "community_population": 5000,
           "community_prefix": "海淀社区", "attribution": "© OpenStreetMap contributors (ODbL 1.0)"}


@pytest.fixture(scope="module")
def haidian():
    return derive_osm_area("haidian", HAIDIAN, HAIDIAN_PBF)


def _names(area, type_key: str) -> list[str]:
    return area.facilities_of(type_key)["name"].tolist()


def _listed(area, name: str) -> gpd.GeoDataFrame:
    return area.osm_features[area.osm_features["name"] == name]


def _nanjing_features(catalogue) -> gpd.GeoDataFrame:
    types = list(catalogue.values())
    osm = pyrosm.OSM(str(NANJING_PBF), bounding_box=list(NANJING_BBOX))
    found = osm.get_data_by_custom_criteria(custom_filter=derive.osm_feature_keys(types),
                                            tags_as_columns=derive.osm_tag_keys(types))
    return derive.match_osm_features(found.to_crs(32650), types)


# -- facilities --------------------------------------------------------------------------------

def test_demo_community_health_centres_hold_no_hospital(demo_area):
    centres = demo_area.facilities_of("health_center")
    assert not centres["name"].str.contains("医院").any()
    assert not centres["osm_match"].str.contains("amenity=hospital").any()
    hospitals = _names(demo_area, "hospital")
    assert {"江苏省中医院", "江苏省口腔医院", "八一医院"} <= set(hospitals)
    assert "health_center" in demo_area.missing_types(load_catalogue())  # the app asks for the real list


def test_same_name_within_50_m_is_one_facility(demo_area):
    assert _names(demo_area, "hospital").count("八一医院") == 1
    both = _listed(demo_area, "八一医院").set_index("osm_id")
    assert both.loc["node/2153973734", "status"] == "duplicate"
    assert both.loc["node/2153973734", "detail"] == "way/318197090"  # the mapped area is kept
    assert both.loc["way/318197090", "status"] == "used"


def test_private_car_parks_are_left_out_of_public_parking(demo_area, haidian):
    assert "教职工停车场" not in _names(demo_area, "parking")
    staff = _listed(demo_area, "教职工停车场").iloc[0]
    assert (staff["type"], staff["status"], staff["detail"]) == ("parking", "excluded", "access=private")
    customers = demo_area.osm_features["detail"] == "access=customers"
    customer_ids = demo_area.osm_features.loc[customers, "osm_id"]
    assert customers.sum() == 2 and not demo_area.facilities["osm_id"].isin(customer_ids).any()
    assert "公交场站" not in _names(haidian, "parking") and "原幼儿园停车场" in _names(haidian, "parking")


def test_a_centre_named_社区卫生服务中心_counts_whatever_its_tags(haidian):
    # mapped as amenity=hospital + healthcare=hospital, named 中国农业大学东区社区卫生服务中心
    assert _names(haidian, "health_center") == ["中国农业大学东区社区卫生服务中心"]
    assert haidian.facilities_of("health_center")["osm_match"].tolist() == ["name∋社区卫生服务中心"]
    assert "北京京城皮肤病医院" in _names(haidian, "hospital")


def test_names_decide_between_station_centre_and_hospital():
    cases = {  # name: amenity, building → type (None: not a facility)
        "梅园社区卫生服务站": ("doctors", None, "clinic"),
        "清凉社区卫生服务站": ("hospital", None, "clinic"),
        "梅园社区卫生服务中心": (None, "yes", "health_center"),
        "秦淮区社区医院": ("clinic", None, "health_center"),
        "南京口腔医院": ("clinic", None, "hospital"),
        "鼓楼医院": ("hospital", None, "hospital"),
        "张氏诊所": ("clinic", None, "clinic"),
        "社区卫生服务中心停车场": ("parking", None, "parking"),
        "某某医院宿舍": (None, "yes", None),
    }
    features = gpd.GeoDataFrame(
        {"name": list(cases), "amenity": [a for a, _, _ in cases.values()],
         "building": [b for _, b, _ in cases.values()], "id": range(len(cases)), "osm_type": "node"},
        geometry=gpd.points_from_xy([i * 100.0 for i in range(len(cases))], [0.0] * len(cases)), crs=32650)
    listing = derive.match_osm_features(features, list(load_catalogue().values())).set_index("name")
    for name, (_, _, expected) in cases.items():
        assert listing["type"].get(name) == expected, name


def test_hospitals_count_as_health_centres_only_when_the_catalogue_says_so(tmp_path):
    centres = _nanjing_features(load_catalogue()).query("type == 'health_center'")
    assert "江苏省中医院" not in centres["name"].tolist()
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    raw["hospital"]["counts_as"] = "health_center"
    edited = tmp_path / "types.yaml"
    edited.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    listing = _nanjing_features(load_catalogue(edited))
    counted = listing[listing["type"] == "health_center"]
    assert "江苏省中医院" in counted["name"].tolist() and set(counted["status"]) == {"counts_as"}
    assert "江苏省中医院" in derive.osm_facilities(listing).query("type == 'health_center'")["name"].tolist()
    raw["hospital"]["counts_as"] = "health_centre"
    edited.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_catalogue(edited)
    assert "health_centre" in err.value.zh and "health_center" in err.value.hint_en


def test_report_lists_which_osm_features_became_each_type(demo_area):
    content = assemble_report(prepare_report_data(demo_area), "zh")
    table = next(t for s in content.sections for t in s.tables if t.key == "osm_features")
    frame = table.frame.set_index(label("col_osm_id", "zh"))
    assert set(demo_area.facilities["osm_id"]) <= set(frame.index)
    assert frame.loc["way/147112317", label("col_type", "zh")] == "医院"  # 江苏省中医院
    assert frame.loc["way/147112317", label("col_osm_status", "zh")] == "计入"
    assert frame.loc["way/860091767", label("col_osm_status", "zh")] == "未计入：access=private"  # 教职工停车场
    assert frame.loc["node/2153973734", label("col_osm_status", "zh")] == "重复，并入 way/318197090"
    assert "osm_features" in [t.key for t in content.sheets()]  # an Excel sheet and a CSV file too


def test_area_page_shows_the_osm_feature_list(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    listing = next(d.value for d in at.dataframe if "OSM 要素" in d.value.columns)
    staff = listing[listing["名称"] == "教职工停车场"].iloc[0]
    assert staff["设施类型"] == "机动车停车场（库）" and staff["是否计入"] == "未计入：access=private"


def test_users_are_asked_for_missing_life_circle_facilities_not_for_hospitals(demo_area):
    clinics_only = replace(demo_area, facilities=demo_area.facilities_of("clinic"))
    missing = clinics_only.missing_types(load_catalogue())
    assert {"health_center", "parking"} <= set(missing) and "hospital" not in missing


# -- residents and communities -----------------------------------------------------------------

def _buildings(pbf: Path, bbox: tuple, crs) -> gpd.GeoDataFrame:
    return pyrosm.OSM(str(pbf), bounding_box=list(bbox)).get_buildings().to_crs(crs)


def test_nobody_lives_in_campus_halls_offices_or_malls(demo_area, haidian):
    for area, pbf, bbox, halls in (
            (haidian, HAIDIAN_PBF, HAIDIAN_BBOX, ["中国农业大学体育馆", "中国农业大学新图书馆", "Teaching Building 3"]),
            (demo_area, NANJING_PBF, NANJING_BBOX, ["新华大厦", "南京中心", "德基广场"])):
        buildings = _buildings(pbf, bbox, area.crs)
        named = buildings[buildings["name"].isin(halls)]
        assert set(named["name"]) == set(halls)
        assert not ("b" + named["id"].astype(str)).isin(area.demand["id"]).any()
        housing = buildings[buildings["building"].isin(["apartments", "residential", "dormitory"])]
        assert ("b" + housing["id"].astype(str)).isin(area.demand["id"]).mean() > 0.9
    assert 5_000 < haidian.demand["population"].sum() < 20_000  # the old rule counted 34,770
    assert 20_000 < demo_area.demand["population"].sum() < 100_000  # the old rule counted 143,002


def test_building_yes_counts_only_inside_residential_land(haidian):
    buildings = _buildings(HAIDIAN_PBF, HAIDIAN_BBOX, haidian.crs)
    residential = pyrosm.OSM(str(HAIDIAN_PBF), bounding_box=list(HAIDIAN_BBOX)).get_landuse().to_crs(haidian.crs)
    residential = residential[residential["landuse"] == "residential"].union_all()
    plain = haidian.demand[haidian.demand["building"] == "yes"]
    assert len(plain) > 20 and shapely.within(plain.geometry.to_numpy(), residential).all()
    outside = buildings[(buildings["building"] == "yes")
                        & ~shapely.within(buildings.geometry.representative_point().to_numpy(), residential)]
    assert len(outside) > 100 and not ("b" + outside["id"].astype(str)).isin(haidian.demand["id"]).any()


def _stated_range(area) -> tuple[float, float]:
    text = next(en for _, en in area.assumptions if en.startswith("Communities:"))
    low, high = re.search(r"of ([\d,]+)–([\d,]+) residents", text).groups()
    return float(low.replace(",", "")), float(high.replace(",", ""))


@pytest.mark.parametrize("which", ["demo", "haidian"])
def test_every_derived_community_holds_the_residents_its_description_states(which, demo_area, haidian):
    area, target = (demo_area, 5000) if which == "demo" else (haidian, HAIDIAN["community_population"])
    people = area.demand.groupby("community")["population"].sum().reindex(area.communities["code"], fill_value=0)
    low, high = _stated_range(area)
    assert (people.round() >= low).all() and (people.round() <= high).all()
    assert (people.min().round(), people.max().round()) == (low, high)
    assert high <= derive.MAX_COMMUNITY_FACTOR * target
    assert people.sum() == pytest.approx(area.demand["population"].sum())  # everyone is in one community


def test_a_campus_super_block_is_cut_into_communities_of_at_most_the_cap():
    """With every plain building counted as housing (the old rule), the 中国农业大学 campus block
    alone held 12,506 residents; it is cut between buildings into communities within the cap."""
    network = load_network(HAIDIAN_PBF, bbox=HAIDIAN_BBOX)
    boundary = gpd.GeoSeries([shapely.box(*HAIDIAN_BBOX)], crs=4326).to_crs(network.crs).iloc[0]
    everywhere = gpd.GeoDataFrame({"landuse": ["residential"]}, geometry=[boundary.buffer(500)], crs=network.crs)
    demand = derive.residential_demand(_buildings(HAIDIAN_PBF, HAIDIAN_BBOX, network.crs), everywhere, 6, 40, 0.19)
    blocks = derive.street_blocks(network, boundary)
    per_block = gpd.sjoin(demand, blocks, predicate="within").groupby("index_right")["population"].sum()
    assert per_block.max() > 2 * 5000
    communities = derive.communities_from_blocks(blocks, demand, 5000, "海淀社区")
    people = demand.assign(community=derive.assign_community(demand, communities)).groupby("community")["population"].sum()
    assert people.max() <= derive.MAX_COMMUNITY_FACTOR * 5000
    assert people.sum() == pytest.approx(demand["population"].sum())
