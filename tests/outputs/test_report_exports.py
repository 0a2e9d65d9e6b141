"""Exports of the demo area: a GeoPackage QGIS opens, GeoJSON in WGS84, CSV and Excel one table each."""
from __future__ import annotations

import io
import re

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from planning.base.catalogue import load_catalogue
from planning.cli.main import main
from planning.outputs.reports import prepare_report_data, report_bytes
from planning.outputs.reports.build import render
from planning.outputs.reports.content import assemble_report, clusters_table
from planning.outputs.reports.exports import write_csv, write_geojson, write_gpkg
from tests.support.voting import make_scenario


@pytest.fixture(scope="module")
def data(demo_area):
    return prepare_report_data(demo_area, scenario=make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5))


def test_geopackage_holds_every_layer_with_one_row_per_feature(data, tmp_path):
    path = tmp_path / "新街口.gpkg"
    written = write_gpkg(path, data)
    layers = dict(pyogrio.list_layers(path))
    assert set(written) == set(layers) == {"demand", "communities", "summary", "log", "facilities", "candidates",
                                           "network_edges", "uncovered_clusters", "isochrones", "scenario_sites",
                                           "field_aliases"}
    rows = {name: pyogrio.read_info(path, layer=name)["features"] for name in layers}
    assert rows["candidates"] == len(data.area.candidates)
    assert rows["network_edges"] == len(data.area.network.edges)
    assert rows["demand"] == len(data.coverage.demand)
    assert rows["communities"] == len(data.area.communities)
    assert rows["summary"] == len(data.types)
    assert rows["facilities"] == len(data.area.facilities)
    assert rows["uncovered_clusters"] == len(data.clusters) > 10
    assert rows["isochrones"] == 3 * len(data.present)  # 5, 10 and 15 minutes per type with facilities
    assert rows["scenario_sites"] == 2
    clusters = gpd.read_file(path, layer="uncovered_clusters")
    assert clusters.crs == data.area.crs and (clusters["street"] != "").any()


COMPASS_ZH = {"e": "东", "ne": "东北", "n": "北", "nw": "西北", "w": "西", "sw": "西南", "s": "南", "se": "东南",
              "centre": "中部"}


def test_exported_clusters_give_their_direction_and_place_in_words(data, tmp_path):
    path = tmp_path / "clusters.gpkg"
    write_gpkg(path, data)
    clusters = gpd.read_file(path, layer="uncovered_clusters")
    assert clusters["direction"].tolist() == [COMPASS_ZH[d] for d in data.clusters["direction"]]  # not "w"/"e"
    printed = clusters_table(data, "zh", len(data.clusters)).frame["位置描述"]
    assert clusters["location"].tolist() == printed.tolist()  # the place as the report describes it
    english = gpd.read_file(next(p for p in write_geojson(tmp_path / "en", data, lang="en")
                                 if p.stem == "uncovered_clusters"))
    assert set(english["direction"]) <= {"east", "north-east", "north", "north-west", "west", "south-west", "south",
                                         "south-east", "centre"}
    assert english["location"].str.contains("of the area centre|centre of the area").all()


def test_every_exported_column_has_a_chinese_and_an_english_name(data, tmp_path):
    import sqlite3

    path = tmp_path / "新街口.gpkg"
    write_gpkg(path, data)
    aliases = pyogrio.read_dataframe(path, layer="field_aliases")
    for layer in (name for name, _ in pyogrio.list_layers(path) if name != "field_aliases"):
        fields = pyogrio.read_info(path, layer=layer)["fields"]
        named = aliases[aliases["layer"] == layer].set_index("field")
        assert set(fields) <= set(named.index), (layer, set(fields) - set(named.index))
        unexplained = named[(named["alias_zh"] == named.index) | (named["about_zh"] == "") | (named["about_en"] == "")]
        assert unexplained.empty, (layer, list(unexplained.index))
        assert not named["alias_zh"].duplicated().any(), layer
    named = aliases.set_index(["layer", "field"])
    assert named.loc[("demand", "minutes_to_clinic"), "alias_zh"] == "到社区卫生服务站步行分钟"
    assert named.loc[("communities", "meal_hall_covered_15min"), "alias_en"].endswith("within 15 min")
    with sqlite3.connect(path) as db:  # the GeoPackage schema extension: QGIS shows these as aliases
        schema = dict(((t, c), n) for t, c, n in db.execute("SELECT table_name, column_name, name FROM gpkg_data_columns"))
        extension = db.execute("SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'").fetchone()
    assert schema[("facilities", "source")] == "数据来源" and extension == (1,)


def test_geojson_files_are_wgs84_inside_the_area(data, tmp_path):
    files = {p.stem: p for p in write_geojson(tmp_path / "geojson", data)}
    assert {"demand", "communities", "facilities", "candidates", "network_edges", "uncovered_clusters",
            "isochrones", "scenario_sites", "field_aliases"} <= set(files)
    communities = gpd.read_file(files["communities"])
    assert communities.crs.to_epsg() == 4326
    west, south, east, north = communities.total_bounds
    assert 118.7 < west < east < 118.85 and 32.0 < south < north < 32.1  # 南京新街口
    assert "clinic_covered_5min" in communities and communities["name"].str.startswith("新街口社区").all()


def test_csv_tables_open_in_excel_with_chinese_headers(data, tmp_path):
    files = {p.stem: p for p in write_csv(tmp_path / "csv", assemble_report(data, "zh"))}
    assert set(files) == {"overall", "clusters", "communities", "scenario_tasks", "scenario_sites", "scenario_communities", "osm_features"}
    assert files["overall"].read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    communities = pd.read_csv(files["communities"], encoding="utf-8-sig")
    assert len(communities) == len(data.area.communities) * len(data.types)
    assert {"社区", "人口", "5 分钟覆盖", "是否达标"} <= set(communities.columns)
    assert pd.api.types.is_integer_dtype(communities["人口"])


def test_excel_has_one_sheet_per_table_and_numbers_stay_numbers(demo_area):
    book = load_workbook(io.BytesIO(report_bytes(demo_area, "xlsx", lang="zh")))
    assert book.sheetnames == ["全区覆盖", "未覆盖集中区", "各社区覆盖", "OSM 要素清单"]
    sheet = book["各社区覆盖"]
    assert sheet.max_row == 1 + len(demo_area.communities) * len(load_catalogue())
    header = [c.value for c in sheet[1]]
    share = sheet.cell(row=2, column=header.index("生活圈内覆盖") + 1)
    assert isinstance(share.value, (int, float)) and share.number_format == "0.0%"  # a number, not "0.0%" text


@pytest.fixture(scope="module")
def workbook(data):
    return load_workbook(io.BytesIO(render(data, "xlsx", "zh")))


def _column(sheet, header: str) -> list:
    names = [c.value for c in sheet[1]]
    return list(sheet[get_column_letter(names.index(header) + 1)])


def test_excel_columns_are_as_wide_as_their_longest_text(workbook):
    sheet = workbook["未覆盖集中区"]
    for header in ("位置描述", "步行范围内缺少的设施", "社区"):
        cells = _column(sheet, header)
        width = sheet.column_dimensions[cells[0].column_letter].width
        longest = max(len(str(c.value or "").encode("gbk")) for c in cells)  # GBK: a Chinese character is 2 bytes
        assert width >= longest or all(c.alignment.wrap_text for c in cells[1:]), (header, width, longest)
    assert len("区域中心东北方约 1.2 公里".encode("gbk")) < sheet.column_dimensions[_column(sheet, "位置描述")[0].column_letter].width


def test_excel_counts_people_and_yuan_in_whole_numbers(workbook, data):
    communities = workbook["各社区覆盖"]
    people = [c.value for c in _column(communities, "人口")[1:]]
    assert all(type(v) is int for v in people)  # not 5729.100000000001
    expected = data.coverage.demand.groupby("community")["population"].sum().round().astype(int)
    codes = [c.value for c in _column(communities, "社区编码")[1:]]
    assert {code: n for code, n in zip(codes, people)} == expected.to_dict()
    for sheet, header in (("未覆盖集中区", "未覆盖居民"), ("未覆盖集中区", "60 岁及以上"), ("全区覆盖", "服务人口"),
                          ("任务清单", "投资估算（元）")):
        assert all(type(c.value) is int for c in _column(workbook[sheet], header)[1:]), (sheet, header)


def test_excel_headers_are_chinese(workbook):
    for sheet in workbook:
        english = [c.value for c in sheet[1] if re.search("[A-Za-z]", re.sub("OSM", "", c.value))]
        assert english == [], (sheet.title, english)


def test_export_command_writes_a_geopackage_and_refuses_an_unknown_format(tmp_path, capsys):
    out = tmp_path / "out.gpkg"
    assert main(["export", "--area", "xinjiekou", "--types", "clinic,parking", "--out", str(out)]) == 0
    assert "uncovered_clusters" in dict(pyogrio.list_layers(out))
    assert main(["export", "--area", "xinjiekou", "--out", str(tmp_path / "out.shp")]) == 2
    assert "无法识别导出格式" in capsys.readouterr().err
