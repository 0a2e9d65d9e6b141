"""The coverage map shows every layer the planner needs, light enough for big areas."""
from __future__ import annotations

import json
import re

import folium
import folium.plugins
import geopandas as gpd
from branca.element import MacroElement
import numpy as np
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.outputs.maps.layers import (
    COVERAGE_COLORS,
    MapLabels,
    coverage_class,
    coverage_legend_rows,
    feature_collection,
    to_map_coords,
    view_tolerance_deg,
)
from planning.outputs.maps.webmap import UNKNOWN_COLOR, build_map
from tests.support.map_layers import FACILITY_ICONS, build_layers

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟", legend="图例",
                   heat_note="颜色越暖，未覆盖居民越多", few="少", many="多", cluster_note="数字为合并的点数")
TYPE_NAMES = {"clinic": "社区卫生服务站", "school": "小学", "market": "菜市场", "elderly_care": "养老服务站"}


@pytest.fixture(scope="module")
def layers():
    return build_layers()


def _children(m: folium.Map, kind: type) -> list:
    found, stack = [], [m]
    while stack:
        element = stack.pop()
        found += [element] if isinstance(element, kind) else []
        stack += list(element._children.values())
    return found


def _geojson(m: folium.Map, name: str) -> dict:
    return next(g for g in _children(m, folium.GeoJson) if g.layer_name == name).data


def test_map_features_are_geopandas_own_without_the_boxes(layers):
    """The fast GeoJSON the map embeds equals geopandas' conversion, for polygons, multipolygons, lines and
    points, with a missing value as null and any row labels."""
    communities = layers.communities.assign(covered_share=layers.communities["covered_share"].astype(float))
    communities.loc[communities.index[0], "covered_share"] = np.nan
    communities.loc[communities.index[1], "geometry"] = shapely.MultiPolygon(
        [communities.geometry.iloc[1], communities.geometry.iloc[2].buffer(-1)])
    for layer in (communities.set_index(communities.index * 7 + 3), layers.isochrones, layers.facilities,
                  gpd.GeoDataFrame({"name": ["路"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326)):
        shown = to_map_coords(layer, "wgs84", 1e-5, 6)
        theirs = json.loads(json.dumps(shown.__geo_interface__))
        theirs.pop("bbox")
        for feature in theirs["features"]:
            feature.pop("bbox")
        assert feature_collection(shown) == theirs


def test_every_community_is_drawn_in_its_coverage_colour(layers):
    m = build_map(layers.communities, LABELS)
    features = _geojson(m, "社区")["features"]
    assert len(features) == len(layers.communities)
    expected = np.asarray(COVERAGE_COLORS)[coverage_class(layers.communities["covered_share"])]
    assert [f["properties"]["fill"] for f in features] == expected.tolist()
    assert {f["properties"]["covered_pct"] for f in features} >= {"0.0%", "100.0%"}  # as in the tables


def test_a_community_whose_share_cannot_be_computed_is_grey_with_a_dash_not_zero(layers):
    communities = layers.communities.assign(covered_share=layers.communities["covered_share"].astype(float))
    communities.loc[communities.index[0], "covered_share"] = np.nan
    first = _geojson(build_map(communities, LABELS), "社区")["features"][0]["properties"]
    assert first["covered_pct"] == "—" and first["fill"] == UNKNOWN_COLOR


def test_legend_uses_the_callers_words(layers):
    html = build_map(layers.communities, MapLabels("Communities", "Covered share", "", "", "", "", "")).get_root().render()
    assert "Covered share" in html and "80\\u2013100%" in html


def _legend(m: folium.Map) -> str:
    return next(c for c in _children(m, MacroElement) if type(c).__name__ == "_MapControl").html


def test_legend_has_an_entry_for_every_symbol_the_map_draws(layers):
    m = build_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites, demand=layers.demand,
                  isochrones=layers.isochrones, facility_icons=FACILITY_ICONS, type_names=TYPE_NAMES)
    legend = _legend(m)
    drawn = {(i.options["icon"], i.options["marker_color"]) for i in _children(m, folium.Icon)}
    for icon, colour in drawn:  # each marker drawn (facility types and the dark new sites) has its legend symbol
        assert f'awesome-marker-icon-{colour}"><i class="fa fa-{icon} icon-white">' in legend
    for name in TYPE_NAMES.values():
        assert name in legend
    assert legend.count("awesome-marker-icon-black") == layers.sites["type"].nunique()
    heat = _children(m, folium.plugins.HeatMap)[0].options["gradient"]  # the heat layer explained by its colour bar
    bar = re.search(r"linear-gradient\(to right, ([^)]*)\)", legend).group(1)
    assert bar == ", ".join(f"{colour} {share * 100:g}%" for share, colour in heat.items())
    assert "颜色越暖，未覆盖居民越多" in legend and "少" in legend and "多" in legend
    assert all(f"{m:g} 分钟" in legend for m in layers.isochrones["minutes"])
    assert all(text in legend for _, text in coverage_legend_rows())


def test_clustered_residents_are_explained_instead_of_the_heat_bar(layers):
    legend = _legend(build_map(layers.communities, LABELS, demand=layers.demand, demand_style="cluster"))
    assert "数字为合并的点数" in legend and "linear-gradient" not in legend and "现有设施" not in legend


def test_every_community_is_labelled_at_a_point_inside_it_largest_first(layers):
    m = build_map(layers.communities, LABELS)
    labels = next(c for c in _children(m, MacroElement) if type(c).__name__ == "_CommunityLabels").labels
    communities = layers.communities.to_crs(4326).set_index("name")
    assert sorted(name for _, _, name in labels) == sorted(communities.index)
    inside = [communities.geometry[name].buffer(1e-6).contains(shapely.Point(lon, lat)) for lat, lon, name in labels]
    assert all(inside)
    areas = communities.to_crs(communities.estimate_utm_crs()).area
    assert [name for _, _, name in labels][0] == areas.idxmax()


def test_community_names_reach_the_page_as_text_not_html(layers):
    hostile = layers.communities.assign(name=["<img src=x onerror=alert(1)>"] + list(layers.communities["name"][1:]))
    html = build_map(hostile, LABELS).get_root().render()
    assert "<img src=x" not in html  # tojson escapes it; the page sets it with textContent


def test_only_uncovered_demand_is_in_the_heat_layer_with_weights(layers):
    m = build_map(layers.communities, LABELS, demand=layers.demand)
    heat = _children(m, folium.plugins.HeatMap)[0]
    assert len(heat.data) == int((~layers.demand["covered"]).sum()) > 0
    assert max(row[2] for row in heat.data) == 1.0


def test_uncovered_demand_can_be_clustered_instead(layers):
    m = build_map(layers.communities, LABELS, demand=layers.demand, demand_style="cluster")
    cluster = _children(m, folium.plugins.FastMarkerCluster)[0]
    assert len(cluster.data) == int((~layers.demand["covered"]).sum())


def test_facilities_and_sites_get_catalogue_icons(layers):
    m = build_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites,
                  facility_icons=FACILITY_ICONS)
    icons = [icon.options for icon in _children(m, folium.Icon)]
    assert len(icons) == len(layers.facilities) + len(layers.sites)
    shown = {(i["icon"], i["marker_color"]) for i in icons}
    assert {(style["icon"], style["color"]) for style in FACILITY_ICONS.values()} <= shown
    assert sum(i["marker_color"] == "black" for i in icons) == len(layers.sites)


def test_one_layer_per_walking_time(layers):
    m = build_map(layers.communities, LABELS, isochrones=layers.isochrones)
    names = {g.layer_name for g in _children(m, folium.GeoJson)}
    assert {"步行范围 5 分钟", "步行范围 10 分钟", "步行范围 15 分钟"} <= names


def test_simplified_communities_stay_within_the_tolerance_and_lose_vertices():
    big = build_layers(demand_points=100, communities=200).communities
    original = big.to_crs(4326)
    tolerance = view_tolerance_deg(tuple(original.total_bounds))
    light = to_map_coords(big, tolerance_deg=tolerance, decimals=6)
    assert shapely.get_num_coordinates(light.geometry.values).sum() < 0.2 * shapely.get_num_coordinates(
        original.geometry.values).sum()
    drift = shapely.hausdorff_distance(light.geometry.values, original.geometry.values)
    assert drift.max() <= tolerance + 1e-6


def test_map_page_of_the_big_area_stays_small():
    big = build_layers(demand_points=10_000, communities=200)
    html = build_map(big.communities, LABELS, demand=big.demand, facilities=big.facilities,
                     isochrones=big.isochrones, facility_icons=FACILITY_ICONS).get_root().render()
    assert len(html.encode()) < 600_000


def test_layer_without_crs_or_columns_is_refused_with_a_clear_message(layers):
    with pytest.raises(PlanningError) as err:
        build_map(layers.communities.drop(columns="covered_share"), LABELS)
    assert err.value.code == "map_layer_missing_columns" and "covered_share" in err.value.zh
    with pytest.raises(PlanningError) as err:
        build_map(gpd.GeoDataFrame(layers.communities.drop(columns="geometry"),
                                   geometry=list(layers.communities.geometry)), LABELS)
    assert err.value.code == "map_layer_no_crs"


def test_geojson_coordinates_are_rounded(layers):
    data = json.dumps(_geojson(build_map(layers.communities, LABELS), "社区"))
    decimals = [len(x.split(".")[1]) for x in re.findall(r"\d+\.\d+", data)]
    assert max(decimals) <= 7
