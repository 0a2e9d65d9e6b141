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


def test_export_command_writes_a_geopackage_and_refuses_an_unknown_format(tmp_path, capsys):
    out = tmp_path / "out.gpkg"
    assert main(["export", "--area", "xinjiekou", "--types", "clinic,parking", "--out", str(out)]) == 0
    assert "uncovered_clusters" in dict(pyogrio.list_layers(out))
    assert main(["export", "--area", "xinjiekou", "--out", str(tmp_path / "out.shp")]) == 2
    assert "无法识别导出格式" in capsys.readouterr().err
