"""Exports of the demo area: a GeoPackage QGIS opens, GeoJSON in WGS84, CSV and Excel one table each."""
from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from planning.base.catalogue import load_catalogue
from planning.cli.main import main
from planning.outputs.reports import prepare_report_data, report_bytes
from planning.outputs.reports.content import assemble_report
from planning.outputs.reports.exports import write_csv, write_geojson, write_gpkg
from tests.support.voting import make_scenario


@pytest.fixture(scope="module")
def data(demo_area):
    return prepare_report_data(demo_area, scenario=make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5))


def test_geopackage_holds_every_layer_with_one_row_per_feature(data, tmp_path):
    path = tmp_path / "新街口.gpkg"
    written = write_gpkg(path, data)
    layers = dict(pyogrio.list_layers(path))
    assert set(written) == set(layers) == {"demand", "communities", "summary", "log", "facilities", "uncovered_clusters",
                                           "isochrones", "scenario_sites"}
    rows = {name: pyogrio.read_info(path, layer=name)["features"] for name in layers}
    assert rows["demand"] == len(data.coverage.demand)
    assert rows["communities"] == len(data.area.communities)
    assert rows["summary"] == len(data.types)
    assert rows["facilities"] == len(data.area.facilities)
    assert rows["uncovered_clusters"] == len(data.clusters) > 10
    assert rows["isochrones"] == 3 * len(data.present)  # 5, 10 and 15 minutes per type with facilities
    assert rows["scenario_sites"] == 2
    clusters = gpd.read_file(path, layer="uncovered_clusters")
    assert clusters.crs == data.area.crs and (clusters["street"] != "").any()


def test_geojson_files_are_wgs84_inside_the_area(data, tmp_path):
    files = {p.stem: p for p in write_geojson(tmp_path / "geojson", data)}
    assert {"demand", "communities", "facilities", "uncovered_clusters", "isochrones", "scenario_sites"} <= set(files)
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


def test_export_command_writes_a_geopackage_and_refuses_an_unknown_format(tmp_path, capsys):
    out = tmp_path / "out.gpkg"
    assert main(["export", "--area", "xinjiekou", "--types", "clinic,parking", "--out", str(out)]) == 0
    assert "uncovered_clusters" in dict(pyogrio.list_layers(out))
    assert main(["export", "--area", "xinjiekou", "--out", str(tmp_path / "out.shp")]) == 2
    assert "无法识别导出格式" in capsys.readouterr().err
