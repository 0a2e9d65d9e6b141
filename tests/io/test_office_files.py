"""Files as a clerk's office gives them: GeoPackages with several layers, Excel workbooks with a
title row or several sheets, and 高德/百度 exports whose column names say their datum."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.io.coords import wgs84_to_bd09, wgs84_to_gcj02
from planning.io.layers import coordinate_columns, file_layers, read_points, read_vector
from planning.io.tables import read_table

LONLAT = np.array([[116.3480, 40.0050], [116.3560, 39.9990], [116.3500, 40.0010]])


def _error(func, *args, **kwargs) -> PlanningError:
    with pytest.raises(PlanningError) as caught:
        func(*args, **kwargs)
    return caught.value


@pytest.fixture
def three_layers(tmp_path):
    """A GeoPackage as a district GIS hands it over: residents, 社区 and clinics in one file."""
    path = tmp_path / "海淀区.gpkg"
    points = gpd.GeoDataFrame({"人口": [10, 20, 30]}, geometry=gpd.points_from_xy(*LONLAT.T), crs=4326)
    points.to_file(path, layer="居民点")
    gpd.GeoDataFrame({"社区": ["东区"]}, geometry=[shapely.box(116.34, 39.99, 116.36, 40.01)], crs=4326).to_file(
        path, layer="社区边界")
    points.iloc[:2].assign(type="clinic").to_file(path, layer="clinics")
    return path


def test_a_multi_layer_geopackage_without_a_layer_is_refused_listing_its_layers(three_layers):
    err = _error(read_vector, three_layers)
    assert err.code == "layer_choose"
    for text in (err.message("zh"), err.message("en")):
        assert "居民点" in text and "社区边界" in text and "clinics" in text
    assert "多个图层" in err.message("zh") and "several layers" in err.message("en")
    assert "--layer" in err.message("zh") and "--layer" in err.message("en")


def test_the_layer_named_is_read_and_an_unknown_one_refused(three_layers):
    assert list(read_vector(three_layers, layer="社区边界").gdf["社区"]) == ["东区"]
    assert len(read_points(three_layers, layer="clinics").gdf) == 2
    err = _error(read_vector, three_layers, layer="设施")
    assert err.code == "layer_not_found" and "clinics" in err.message("en")
    assert file_layers(three_layers) == ["居民点", "社区边界", "clinics"]


def test_an_excel_table_with_a_title_row_reads_as_points(tmp_path):
    path = tmp_path / "设施.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame([["燕园街道社区卫生服务站一览"]]).to_excel(book, index=False, header=False)
        pd.DataFrame({"名称": ["甲", "乙", "丙"], "经度": LONLAT[:, 0], "纬度": LONLAT[:, 1]}).to_excel(
            book, index=False, startrow=2)
    layer = read_points(path)
    assert list(layer.gdf["名称"]) == ["甲", "乙", "丙"]
    assert np.allclose(shapely.get_coordinates(layer.gdf.geometry.to_numpy()), LONLAT)


def test_a_workbook_sheet_can_be_named(tmp_path):
    path = tmp_path / "人口.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"社区": ["东区"], "人口": [100]}).to_excel(book, sheet_name="2020", index=False)
        pd.DataFrame({"社区": ["东区"], "人口": [120]}).to_excel(book, sheet_name="2024", index=False)
        pd.DataFrame().to_excel(book, sheet_name="Sheet3", index=False)  # empty sheets are no choice
    assert file_layers(path) == ["2020", "2024"]
    first = read_table(path)
    assert first.frame["人口"].tolist() == [100] and any("2024" in zh for zh, _ in first.notes)  # said so
    assert read_table(path, "2024").frame["人口"].tolist() == [120]
    err = _error(read_table, path, "2025")
    assert err.code == "layer_not_found" and "2020、2024" in err.message("en")


@pytest.mark.parametrize("columns, system, convert, degrees", [
    (("gcj02_lng", "gcj02_lat"), "gcj02", wgs84_to_gcj02, 1e-7),
    (("经度(GCJ-02)", "纬度(GCJ-02)"), "gcj02", wgs84_to_gcj02, 1e-7),
    (("高德经度", "高德纬度"), "gcj02", wgs84_to_gcj02, 1e-7),
    (("bd09_lng", "bd09_lat"), "bd09", wgs84_to_bd09, 2e-6),  # Baidu's published formulas: ~0.2 m round trip
    (("百度经度", "百度纬度"), "bd09", wgs84_to_bd09, 2e-6),
])
def test_amap_and_baidu_exports_are_recognised_by_their_column_names(tmp_path, columns, system, convert, degrees):
    lon, lat = convert(LONLAT[:, 0], LONLAT[:, 1])
    path = tmp_path / "export.csv"
    pd.DataFrame({"名称": ["甲", "乙", "丙"], columns[0]: lon, columns[1]: lat}).to_csv(path, index=False)
    assert coordinate_columns(pd.read_csv(path).columns)[2] == system
    layer = read_points(path)  # coord_system="auto"
    got = shapely.get_coordinates(layer.gdf.geometry.to_numpy())
    assert np.abs(got - LONLAT).max() < degrees  # back on WGS84 (the datums are ~500 m off in Beijing)
    said = " ".join(zh for zh, _ in layer.notes)
    assert columns[0] in said and system.upper() in said


def test_plain_lonlat_columns_are_not_converted(tmp_path):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"lon": LONLAT[:, 0], "lat": LONLAT[:, 1]}).to_csv(path, index=False)
    layer = read_points(path)
    assert np.allclose(shapely.get_coordinates(layer.gdf.geometry.to_numpy()), LONLAT, atol=1e-12)
    assert not any("GCJ" in zh or "BD09" in zh for zh, _ in layer.notes)


def test_a_flag_that_contradicts_the_column_names_wins_and_is_questioned(tmp_path):
    lon, lat = wgs84_to_gcj02(LONLAT[:, 0], LONLAT[:, 1])
    path = tmp_path / "export.csv"
    pd.DataFrame({"gcj_lng": lon, "gcj_lat": lat}).to_csv(path, index=False)
    layer = read_points(path, "bd09")
    assert any("请核对" in zh and "please check" in en for zh, en in layer.notes)
    got = shapely.get_coordinates(layer.gdf.geometry.to_numpy())
    assert np.abs(got - LONLAT).max() > 1e-3  # read as the user said, not as guessed
