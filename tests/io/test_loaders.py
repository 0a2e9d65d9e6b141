"""Loading every supported file format, CRS handling, and refusing bad input clearly."""
from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.io.coords import wgs84_to_bd09, wgs84_to_gcj02
from planning.io.layers import read_points, read_vector

LON = np.array([118.7700, 118.7800, 118.7900])
LAT = np.array([32.0400, 32.0450, 32.0500])


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [1, 2, 3], "population": [100.0, 250.0, 80.0]},
                            geometry=gpd.points_from_xy(LON, LAT), crs=4326)


def _assert_same_points(layer, atol=1e-7):
    got = layer.gdf.sort_values("id")
    assert got.crs.to_epsg() == 4326
    np.testing.assert_allclose(got.geometry.x, LON, atol=atol)
    np.testing.assert_allclose(got.geometry.y, LAT, atol=atol)


@pytest.mark.parametrize("suffix,driver", [(".gpkg", "GPKG"), (".geojson", "GeoJSON"), (".kml", "KML")])
def test_reads_vector_formats(tmp_path, suffix, driver):
    path = tmp_path / f"pts{suffix}"
    gdf = _points()
    if driver == "KML":
        gdf = gdf.assign(Name=gdf["id"].astype(str))
    gdf.to_file(path, driver=driver)
    layer = read_points(path)
    if driver == "KML":
        layer.gdf["id"] = layer.gdf["Name"].astype(int)
    _assert_same_points(layer)


def test_reads_zipped_shapefile(tmp_path):
    _points().to_file(tmp_path / "pts.shp")
    archive = tmp_path / "pts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("pts.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    _assert_same_points(read_points(archive))


def test_reads_csv_with_chinese_column_names_in_gbk(tmp_path):
    path = tmp_path / "pts.csv"
    pd.DataFrame({"编号": [1, 2, 3], "经度": LON, "纬度": LAT, "人口": [1, 2, 3]}).to_csv(
        path, index=False, encoding="gb18030")
    _assert_same_points(read_points(path))


@pytest.mark.parametrize("epsg", [32650, 4490, 3857])
def test_reprojects_utm_cgcs2000_and_web_mercator(tmp_path, epsg):
    path = tmp_path / "pts.gpkg"
    _points().to_crs(epsg).to_file(path)
    _assert_same_points(read_points(path), atol=1e-6)


@pytest.mark.parametrize("system,forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_converts_amap_and_baidu_coordinates_to_wgs84(tmp_path, system, forward):
    x, y = forward(LON, LAT)
    path = tmp_path / "amap.csv"
    pd.DataFrame({"id": [1, 2, 3], "lng": x, "lat": y}).to_csv(path, index=False)
    layer = read_points(path, coord_system=system)
    _assert_same_points(layer, atol=1e-8)  # ≈ 1 mm
    assert any(system.upper() in zh for zh, _ in layer.notes)


def test_missing_crs_with_degree_values_is_read_as_wgs84_with_a_note(tmp_path):
    path = tmp_path / "pts.geojson"
    _points().to_file(path)
    text = path.read_text().replace('"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },', "")
    path.write_text(text)
    layer = read_points(path)
    _assert_same_points(layer)


def test_invalid_polygons_are_repaired_and_reported(tmp_path):
    bowtie = shapely.from_wkt("POLYGON((118.77 32.04, 118.78 32.05, 118.78 32.04, 118.77 32.05, 118.77 32.04))")
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"name": ["石鼓路社区"]}, geometry=[bowtie], crs=4326).to_file(path)
    layer = read_vector(path)
    assert layer.gdf.is_valid.all()
    assert layer.gdf.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    # both triangles of the bow-tie survive: 2 × (0.01 × 0.005 / 2) square degrees
    assert layer.gdf.geometry.iloc[0].area == pytest.approx(0.01 * 0.005, rel=1e-6)
    assert any("修复" in zh and "repaired" in en for zh, en in layer.notes)


def _error(callable_, *args, **kwargs) -> PlanningError:
    with pytest.raises(PlanningError) as info:
        callable_(*args, **kwargs)
    err = info.value
    assert err.zh and err.en and err.zh != err.en
    return err


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    assert _error(read_vector, path).code == "file_empty"


def test_garbage_file_is_refused(tmp_path):
    path = tmp_path / "garbage.gpkg"
    path.write_bytes(b"\x00\x01 this is not a geopackage" * 50)
    assert _error(read_vector, path).code == "file_unreadable"


def test_layer_without_features_is_refused(tmp_path):
    path = tmp_path / "none.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    assert _error(read_vector, path).code == "layer_no_features"


def test_projected_numbers_without_crs_are_refused(tmp_path):
    path = tmp_path / "utm.csv"
    pd.DataFrame({"id": [1], "x": [668000.0], "y": [3547000.0]}).to_csv(path, index=False)
    assert _error(read_points, path).code == "crs_missing"


def test_swapped_lon_lat_is_refused(tmp_path):
    path = tmp_path / "swapped.csv"
    pd.DataFrame({"id": [1, 2], "lon": LAT[:2], "lat": LON[:2]}).to_csv(path, index=False)
    assert _error(read_points, path).code == "lonlat_swapped"


def test_out_of_range_degrees_are_refused(tmp_path):
    path = tmp_path / "range.gpkg"
    gpd.GeoDataFrame({"id": [1]}, geometry=gpd.points_from_xy([218.0], [32.0]), crs=None).set_crs(
        4326, allow_override=True).to_file(path)
    assert _error(read_points, path).code in ("lonlat_out_of_range", "lonlat_swapped")


def test_csv_without_coordinates_is_refused(tmp_path):
    path = tmp_path / "nocoords.csv"
    pd.DataFrame({"id": [1], "人口": [5]}).to_csv(path, index=False)
    assert _error(read_points, path).code == "csv_no_lonlat"


def test_unknown_format_is_refused(tmp_path):
    path = tmp_path / "drawing.dwg"
    path.write_bytes(b"AC1032")
    assert _error(read_vector, path).code == "vector_format_unknown"
