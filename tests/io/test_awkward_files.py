"""Files as Chinese offices produce them, read right: encodings, delimiters, Excel, DMS, GBK Shapefiles,
KML folders, mixed geometries, and rows named when they are left out."""
from __future__ import annotations

import io
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.io.coords import parse_degrees
from planning.io.layers import numeric_column, read_points, read_polygons
from planning.io.tables import read_table, row_list, sniff_kind
from tests.cli.test_hostile_inputs import gbk_shapefile_zip
from tests.support.hostile import Kit, grid_graph

TABLE = pd.DataFrame({"编码": ["001", "002", "010"], "名称": ["东区社区", "西区社区", "南区社区"],
                      "人口": [3200, 4100, 2750], "经度": [118.775, 118.781, 118.79], "纬度": [32.04, 32.045, 32.05]})


def _text(sep: str = ",") -> str:
    return TABLE.to_csv(index=False, sep=sep)


@pytest.mark.parametrize("encoding,sep,expected", [
    ("utf-8", ",", "utf-8"), ("utf-8-sig", ",", "utf-8-sig"), ("gb18030", ",", "gb18030"), ("gbk", ";", "gb18030"),
    ("utf-16", "\t", "utf-16"), ("utf-16-le", "\t", "utf-16-le"), ("utf-16-be", "\t", "utf-16-be"),
    ("utf-8", "|", "utf-8"), ("utf-32", ",", "utf-32"),
])
def test_tables_in_every_office_encoding_and_delimiter_read_the_same(tmp_path, encoding, sep, expected):
    path = tmp_path / "社区.csv"
    path.write_bytes(_text(sep).encode(encoding))
    table = read_table(path)
    assert (table.encoding, table.delimiter) == (expected, sep)
    assert list(table.frame.columns) == list(TABLE.columns)
    assert table.frame["名称"].tolist() == TABLE["名称"].tolist()
    assert table.frame["人口"].tolist() == TABLE["人口"].tolist()
    assert table.frame["编码"].tolist() == ["001", "002", "010"]  # codes keep their leading zeros
    assert table.frame.index.tolist() == [2, 3, 4]  # the rows a spreadsheet shows


def test_excel_workbook_read_directly_even_when_named_csv(tmp_path):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        pd.DataFrame([["新街口街道人口统计表"], [None]]).to_excel(writer, sheet_name="人口", header=False, index=False)
        TABLE.to_excel(writer, sheet_name="人口", startrow=3, index=False)
        TABLE.head(1).to_excel(writer, sheet_name="备注", index=False)
    for name in ("人口.xlsx", "人口.csv"):
        path = tmp_path / name
        path.write_bytes(buffer.getvalue())
        table = read_table(path)
        assert table.frame["名称"].tolist() == TABLE["名称"].tolist()
        assert table.frame.index.tolist() == [5, 6, 7]  # title on row 1, header on row 4
        notes = " ".join(en for _, en in table.notes)
        assert "header is row 4" in notes and "'人口'" in notes and "备注" in notes
        assert ("really an Excel workbook" in notes) == (name.endswith(".csv"))


@pytest.mark.parametrize("data,kind", [(b"SQLite format 3\x00" + bytes(100), "gpkg"), (bytes(range(256)) * 4, "binary"),
                                       (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "xls"),
                                       ("经度,纬度\n118,32\n".encode("gbk"), "text")])
def test_file_kinds_are_told_apart_by_their_bytes(data, kind):
    assert sniff_kind(data) == kind


def _dms(value: float, hemisphere: str) -> str:
    minutes, seconds = divmod(round(value * 3600, 4), 60)
    degrees, minutes = divmod(int(minutes), 60)
    return f"{degrees}°{minutes}′{seconds:.4f}″{hemisphere}"


@pytest.mark.parametrize("text,axis,expected", [
    ("118°46'30\"E", "lon", 118 + 46 / 60 + 30 / 3600), ("32°2'N", "lat", 32 + 2 / 60),
    ("东经118度46分30秒", "lon", 118 + 46 / 60 + 30 / 3600), ("北纬32°2′", "lat", 32 + 2 / 60),
    ("E 118 46 30", "lon", 118 + 46 / 60 + 30 / 3600), ("118:46:30", "lon", 118 + 46 / 60 + 30 / 3600),
    ("118°46.5'", "lon", 118 + 46.5 / 60), ("33°51′S", "lat", -(33 + 51 / 60)), ("74°0′21″W", "lon", -(74 + 21 / 3600)),
    ("118.775°E", "lon", 118.775), ("１１８.７７５", "lon", 118.775), ("-118.5", "lon", -118.5),
    ("32°N", "lon", math.nan), ("118°61′", "lon", math.nan), ("118°46′75″", "lon", math.nan),
    ("E118°N", "lon", math.nan), ("约118度", "lon", math.nan), ("", "lon", math.nan), ("118.5.2", "lon", math.nan),
])
def test_degrees_minutes_seconds(text, axis, expected):
    got = parse_degrees(text, axis)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, abs=1e-12)


def test_dms_points_land_where_decimal_ones_do(tmp_path):
    frame = TABLE.assign(经度=[_dms(v, "E") for v in TABLE["经度"]], 纬度=[_dms(v, "N") for v in TABLE["纬度"]])
    path = tmp_path / "dms.csv"
    frame.to_csv(path, index=False)
    layer = read_points(path)
    np.testing.assert_allclose(layer.gdf.geometry.x, TABLE["经度"], atol=1e-9)
    np.testing.assert_allclose(layer.gdf.geometry.y, TABLE["纬度"], atol=1e-9)


def test_rows_left_out_are_counted_and_named(tmp_path):
    frame = pd.concat([TABLE] * 10, ignore_index=True).astype({"经度": object})
    frame["编码"] = [f"{i:03d}" for i in range(len(frame))]
    frame.loc[[0, 1, 2, 9], "经度"] = ""
    frame.loc[[20], "经度"] = "东经一百一十八度"
    path = tmp_path / "residents.csv"
    frame.to_csv(path, index=False)
    layer = read_points(path)
    assert len(layer.gdf) == len(frame) - 5
    notes = "\n".join(en for _, en in layer.notes)
    assert "4 of 30 rows" in notes and "rows 2–4, 11" in notes
    assert "1 of 30 rows" in notes and "rows 22" in notes and "东经一百一十八度" in notes
    assert layer.rows.tolist() == [r + 2 for r in range(30) if r not in (0, 1, 2, 9, 20)]


def test_population_of_inf_or_below_zero_is_refused_with_its_row(tmp_path):
    path = tmp_path / "residents.csv"
    TABLE.assign(人口=["3200", "inf", "-5"]).to_csv(path, index=False)
    layer = read_points(path)
    with pytest.raises(PlanningError) as info:
        numeric_column(layer.gdf, "population", path, rows=layer.rows)
    assert info.value.params["rows"] == "3–4" and info.value.params["n"] == 2


def test_gbk_shapefile_without_cpg_loads_with_correct_chinese_names(tmp_path):
    layer = read_polygons(gbk_shapefile_zip(Kit(tmp_path)))
    assert sorted(layer.gdf["社区名称"]) == ["东区社区", "西区社区"]  # not ¶«ÇøÉçÇø
    assert any("GB18030" in zh for zh, _ in layer.notes)


def test_utf8_shapefile_without_cpg_loads_with_correct_chinese_names(tmp_path):
    gdf = Kit(tmp_path).boundary_frame()
    gdf.to_file(tmp_path / "u.shp", encoding="UTF-8", engine="pyogrio")
    (tmp_path / "u.cpg").unlink()
    assert sorted(read_polygons(tmp_path / "u.shp").gdf["name"]) == ["东区社区", "西区社区"]


def test_mixed_geometries_are_split_with_counts_or_refused(tmp_path):
    points = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(118.77, 32.04), shapely.Point(118.78, 32.04)],
                              crs=4326)
    polygon = gpd.GeoDataFrame({"name": ["c"]}, geometry=[shapely.box(118.77, 32.04, 118.78, 32.05)], crs=4326)
    path = tmp_path / "mixed.geojson"
    pd.concat([points, polygon]).to_file(path)
    layer = read_polygons(path)
    assert layer.gdf["name"].tolist() == ["c"] and layer.rows.tolist() == [3]
    assert any("2 of 3 features" in en and "rows 1–2" in en for _, en in layer.notes)
    points.to_file(path)
    with pytest.raises(PlanningError) as info:
        read_polygons(path)
    assert info.value.code == "geometry_wrong_kind" and "2 point" in info.value.en


def test_missing_lengths_are_measured_on_the_street_and_match_the_grid(tmp_path):
    """Recomputed lengths equal the geodesic distance between the grid's nodes (independent: pyproj.Geod)."""
    from pyproj import Geod

    from planning.network.graph import WalkNetwork

    graph = grid_graph()
    for _, _, data in graph.edges(data=True):
        data.pop("length")
    network = WalkNetwork.from_graph(graph)
    lon = np.array([graph.nodes[n]["x"] for n in network.node_ids])
    lat = np.array([graph.nodes[n]["y"] for n in network.node_ids])
    u, v = network.edges["u"].to_numpy(), network.edges["v"].to_numpy()
    geodesic = Geod(ellps="WGS84").inv(lon[u], lat[u], lon[v], lat[v])[2]
    np.testing.assert_allclose(network.edges["length_m"], geodesic, rtol=2e-4)  # UTM's scale factor here: < 0.01 %
    assert network.notes and "120 of 120" in network.notes[0][1]


def test_row_ranges():
    assert row_list([9, 3, 4, 5, 12, 11]) == "3–5, 9, 11–12"
