"""More than 100 hostile and awkward inputs, made by code, run through every command in process.

Each case spoils one thing of a small good set of files (tests.support.hostile.Kit) and says
what ``planning`` must answer: the exit code and the message (its Chinese and English text,
from the catalogue). Every case also checks that nothing printed a traceback and — for a
refusal — that the folder is byte for byte as before: inputs unchanged (checksums), no
output, no partial file, no hidden work folder left behind. A case that is handled (exit 0)
must leave its inputs unchanged, write only under ``out/`` and say what it did in both
languages (and, for the notices about dropped rows, in the output's ``log`` table).
"""
from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from tests.support.hostile import (
    DLAT,
    DLON,
    LAT0,
    LON0,
    Kit,
    assert_says,
    feature,
    folder_state,
    geojson,
    grid_graph,
    run_cli,
    save_graph,
)

Build = Callable[[Kit], list]
CASES: dict[str, tuple[Build, int, tuple[str, ...], Callable | None]] = {}


def case(name: str, exit: int = 2, says: tuple[str, ...] = (), check: Callable | None = None):
    """Register a case: ``build(kit)`` returns the command line."""
    def register(build: Build) -> Build:
        assert name not in CASES, name
        CASES[name] = (build, exit, says, check)
        return build
    return register


def _log(kit: Kit, name: str = "out/coverage.gpkg") -> str:
    table = gpd.read_file(kit.path(name), layer="log")
    return "\n".join(table["message_zh"] + " / " + table["message_en"])


# ---- arguments: every number range-checked, lists without repeats, argparse in zh/en -------------

def _args(command: str, *extra: str) -> Build:
    def build(kit: Kit) -> list:
        if command == "coverage":
            return kit.coverage(*extra)
        if command == "optimize":
            return kit.optimize(*extra)
        if command == "reach":
            return ["reach", "--network", kit.network, "--sources", kit.facilities, "--minutes", "10",
                    "--out", kit.path("out/reach.csv"), *extra]
        return [command, *extra]
    return build


for name, command, extra, codes in [
    ("coverage-speed-text", "coverage", ["--speed-kmh", "abc"], ("cli_bad_value", "cli_not_number")),
    ("coverage-speed-negative", "coverage", ["--speed-kmh", "-3"], ("cli_out_of_range",)),
    ("coverage-speed-nan", "coverage", ["--speed-kmh", "nan"], ("cli_not_finite",)),
    ("coverage-speed-inf", "coverage", ["--speed-kmh", "inf"], ("cli_not_finite",)),
    ("coverage-speed-sprint", "coverage", ["--speed-kmh", "300"], ("cli_out_of_range",)),
    ("coverage-minutes-zero", "coverage", ["--minutes", "0,10"], ("cli_out_of_range",)),
    ("coverage-minutes-repeated", "coverage", ["--minutes", "5,5"], ("cli_repeated",)),
    ("coverage-minutes-over-an-hour", "coverage", ["--minutes", "5,61"], ("cli_out_of_range",)),
    ("coverage-minutes-text", "coverage", ["--minutes", "5,十"], ("cli_not_number",)),
    ("coverage-types-repeated", "coverage", ["--types", "clinic,clinic"], ("cli_repeated",)),
    ("coverage-types-repeated-fullwidth-comma", "coverage", ["--types", "clinic，clinic"], ("cli_repeated",)),
    ("coverage-types-empty", "coverage", ["--types", " , "], ("cli_empty_list",)),
    ("coverage-types-unknown", "coverage", ["--types", "swimming_pool"], ("type_unknown",)),
    ("coverage-coord-system-unknown", "coverage", ["--coord-system", "mars"], ("cli_invalid_choice",)),
    ("coverage-unknown-option", "coverage", ["--colour", "red"], ("cli_unrecognized",)),
    ("coverage-option-without-value", "coverage", ["--speed-kmh"], ("cli_expected_one",)),
    ("reach-snap-negative", "reach", ["--max-snap-m", "-1"], ("cli_out_of_range",)),
    ("reach-snap-huge", "reach", ["--max-snap-m", "50000"], ("cli_out_of_range",)),
    ("reach-minutes-zero", "reach", ["--minutes", "0"], ("cli_out_of_range",)),
    ("reach-minutes-nan", "reach", ["--minutes", "nan"], ("cli_not_finite",)),
    ("reach-snap-mode-unknown", "reach", ["--snap", "nearest"], ("cli_invalid_choice",)),
    ("optimize-minutes-zero", "optimize", ["--minutes", "0"], ("cli_out_of_range",)),
    ("optimize-minutes-negative", "optimize", ["--minutes", "-5"], ("cli_out_of_range",)),
    ("optimize-minutes-nan", "optimize", ["--minutes", "nan"], ("cli_not_finite",)),
    ("optimize-p-fraction", "optimize", ["--p", "1.5"], ("cli_not_integer",)),
    ("optimize-p-zero", "optimize", ["--p", "0"], ("cli_out_of_range",)),
    ("optimize-budget-negative", "optimize", ["--budget", "-1"], ("cli_out_of_range",)),
    ("optimize-budget-text", "optimize", ["--budget", "一百万"], ("cli_not_number",)),
    ("optimize-time-limit-zero", "optimize", ["--time-limit", "0"], ("cli_out_of_range",)),
    ("optimize-mip-gap-above-one", "optimize", ["--mip-gap", "2"], ("cli_out_of_range",)),
    ("optimize-share-above-one", "optimize", ["--share", "1.5"], ("cli_out_of_range",)),
    ("optimize-type-repeated", "optimize", ["--type", "clinic,clinic"], ("cli_repeated",)),
    ("optimize-snap-negative", "optimize", ["--max-snap-m", "-1"], ("cli_out_of_range",)),
    ("optimize-model-unknown", "optimize", ["--model", "genetic"], ("cli_invalid_choice",)),
    ("report-share-negative", "report", ["--share", "-0.1", "--out", "r.pdf"], ("cli_out_of_range",)),
    ("report-poll-zero", "report", ["--poll", "0", "--out", "r.pdf"], ("cli_out_of_range",)),
    ("export-format-unknown", "export", ["--format", "docx", "--out", "x"], ("cli_invalid_choice",)),
    ("batch-workers-zero", "batch", ["--areas", "a", "--network", "n", "--facilities", "f", "--out", "o",
                                     "--workers", "0"], ("cli_out_of_range",)),
    ("batch-retries-negative", "batch", ["--areas", "a", "--network", "n", "--facilities", "f", "--out", "o",
                                         "--retries", "-1"], ("cli_out_of_range",)),
    ("batch-mclp-p-text", "batch", ["--areas", "a", "--network", "n", "--facilities", "f", "--out", "o",
                                    "--mclp-p", "abc"], ("cli_not_integer",)),
    ("batch-missing-required", "batch", ["--areas", "a"], ("cli_required",)),
    ("poll-codes-count-zero", "poll", ["codes", "--poll", "1", "--count", "0", "--pdf", "s.pdf"], ("cli_out_of_range",)),
    ("poll-rate-six-stars", "poll", ["rate", "--poll", "1", "--stars", "6"], ("cli_out_of_range",)),
    ("poll-vote-no-choice", "poll", ["vote", "--poll", "1", "--code", "X"], ("cli_one_required",)),
    ("poll-vote-two-choices", "poll", ["vote", "--poll", "1", "--code", "X", "--rank", "A", "--approve", "B"],
     ("cli_not_allowed_with",)),
    ("demo-area-unknown", "demo", ["--area", "atlantis"], ("area_not_found",)),
    ("demo-speed-zero", "demo", ["--speed-kmh", "0"], ("cli_out_of_range",)),
    ("command-unknown", "plan", [], ("cli_invalid_choice",)),
]:
    case(name, says=codes)(_args(command, *extra))


# ---- networks ---------------------------------------------------------------------------------

def _graph_file(kit: Kit, name: str, edit: Callable | None = None, text_edit: Callable | None = None) -> Path:
    graph = grid_graph()
    if edit:
        edit(graph)
    path = save_graph(graph, kit.path(name))
    if text_edit:
        path.write_text(text_edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def _set_lengths(value, every: bool = False):
    def edit(graph):
        for k, (_, _, data) in enumerate(graph.edges(data=True)):
            if every or k % 7 == 0:
                if value is None:
                    del data["length"]
                else:
                    data["length"] = value
    return edit


def _network_case(name: str, exit: int, says: tuple[str, ...], check=None, **graph):
    case(name, exit=exit, says=says, check=check)(lambda kit: kit.coverage(network=_graph_file(kit, "bad.graphml", **graph)))


def _lengths_measured(kit: Kit, out: str) -> None:
    demand = gpd.read_file(kit.path("out/coverage.gpkg"), layer="demand")
    assert np.nanmin(demand["minutes_to_clinic"]) >= 0  # never the −24.6 minutes of a negative length
    assert "measured along their street lines" in _log(kit)


_network_case("network-length-missing", 0, ("network_lengths_recomputed",), _lengths_measured,
              edit=_set_lengths(None))
_network_case("network-length-missing-everywhere", 0, ("network_lengths_recomputed",), _lengths_measured,
              edit=_set_lengths(None, every=True))
_network_case("network-length-blank", 0, ("network_lengths_recomputed",), _lengths_measured, edit=_set_lengths(""))
_network_case("network-length-nan", 0, ("network_lengths_recomputed",), _lengths_measured,
              edit=_set_lengths(float("nan")))
_network_case("network-length-text", 0, ("network_lengths_recomputed",), _lengths_measured,
              edit=_set_lengths("about 100 m"))
_network_case("network-length-negative", 2, ("network_lengths_bad",), edit=_set_lengths(-24.6))
_network_case("network-length-infinite", 2, ("network_lengths_bad",), edit=_set_lengths(float("inf")))
_network_case("network-node-without-x", 2, ("network_nodes_no_xy",),
              edit=lambda g: g.nodes[5].pop("x"))
_network_case("network-node-coordinate-blank", 2, ("network_nodes_no_xy",),
              edit=lambda g: g.nodes[5].update(y=""))
_network_case("network-edge-to-undeclared-node", 2, ("network_nodes_no_xy",),
              text_edit=lambda t: t.replace('<edge source="0" target="1"', '<edge source="0" target="999"', 1))
_network_case("network-crs-unknown", 2, ("network_crs_unknown",), edit=lambda g: g.graph.update(crs="epsg:999999"))
_network_case("network-crs-missing", 2, ("network_no_crs",), edit=lambda g: g.graph.pop("crs"))
_network_case("network-one-node-self-loop", 2, ("network_no_edges",),
              edit=lambda g: (g.remove_nodes_from(list(g.nodes)[1:]), g.add_edge(0, 0, length=10.0)))
_network_case("network-no-edges", 2, ("network_no_edges",), edit=lambda g: g.remove_edges_from(list(g.edges)))


def _network_bytes(name: str, data: bytes | Callable[[Kit], bytes], code: str) -> None:
    def build(kit: Kit) -> list:
        path = kit.path(name)
        path.write_bytes(data(kit) if callable(data) else data)
        return kit.coverage(network=path)
    case(f"network-{name}", says=(code,))(build)


_network_bytes("empty.graphml", b"", "file_empty")
_network_bytes("broken.graphml", b"<graphml><oops", "file_unreadable")
_network_bytes("truncated.graphml.gz", lambda kit: gzip.compress(kit.network.read_bytes())[:300], "file_unreadable")
_network_bytes("damaged.osm.pbf", os.urandom(2048), "file_unreadable")
_network_bytes("broken.osm", b"<?xml version='1.0'?><osm><node id='1' lat='32'", "file_unreadable")
_network_bytes("roads.shp", b"not a network", "network_format_unknown")
case("network-missing", says=("file_not_found",))(lambda kit: kit.coverage(network=kit.path("nowhere.graphml")))


# ---- tables: encodings, delimiters, Excel, coordinates ---------------------------------------

def _facilities_bytes(name: str, data: Callable[[Kit], bytes]) -> Build:
    def build(kit: Kit) -> list:
        path = kit.path(name)
        path.write_bytes(data(kit))
        return kit.coverage(facilities=path)
    return build


def _csv(kit: Kit, frame: pd.DataFrame | None = None, sep: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    (kit.facility_frame() if frame is None else frame).to_csv(buffer, index=False, sep=sep)
    return buffer.getvalue().encode(encoding)


def _xlsx(frame: pd.DataFrame, **kwargs) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False, **kwargs)
    return buffer.getvalue()


def _handled(kit: Kit, out: str) -> None:
    assert len(gpd.read_file(kit.path("out/coverage.gpkg"), layer="demand"))


for name, data, notes in [
    ("utf16-tab-excel-unicode-text.txt", lambda k: _csv(k, sep="\t", encoding="utf-16"), ("table_read_as",)),
    ("utf16-tab-without-bom.csv", lambda k: _csv(k, sep="\t", encoding="utf-16-le"), ("table_read_as",)),
    ("gbk-chinese-headers.csv", lambda k: _csv(k, k.facility_frame().rename(columns={"lon": "经度", "lat": "纬度",
                                                                                      "type": "类型"}),
                                                encoding="gbk"), ("table_read_as",)),
    ("utf8-bom.csv", lambda k: b"\xef\xbb\xbf" + _csv(k), ()),
    ("semicolons.csv", lambda k: _csv(k, sep=";"), ("table_read_as",)),
    ("tabs.tsv", lambda k: _csv(k, sep="\t"), ("table_read_as",)),
    ("pipes.csv", lambda k: _csv(k, sep="|"), ("table_read_as",)),
    ("really-an-xlsx.csv", lambda k: _xlsx(k.facility_frame()), ("table_is_excel",)),
    ("workbook.xlsx", lambda k: _xlsx(k.facility_frame()), ()),
    ("title-rows.csv", lambda k: "新街口街道社区卫生服务站一览表\n\n".encode() + _csv(k), ("table_title_rows_skipped",)),
    ("dms-coordinates.csv", lambda k: _csv(k, k.facility_frame().assign(
        lon=lambda f: [f"{int(v)}°{int(v % 1 * 60)}′{(v * 3600) % 60:.3f}″E" for v in f["lon"]],
        lat=lambda f: [f"{int(v)}°{int(v % 1 * 60)}'{(v * 3600) % 60:.3f}\"N" for v in f["lat"]])),
     ("coords_dms_read",)),
]:
    case(f"facilities-{name}", exit=0, says=notes, check=_handled)(_facilities_bytes(name, data))

for name, data, code in [
    ("empty.csv", lambda k: b"", "file_empty"),
    ("only-spaces.csv", lambda k: b"   \n \n", "file_empty"),
    ("header-only.csv", lambda k: b"id,lon,lat,type\n", "layer_no_features"),
    ("binary-garbage.csv", lambda k: os.urandom(4096), "table_is_binary"),
    ("latin1-accents.csv", lambda k: "id,lon,lat,type,name\n1,118.78,32.04,clinic,Café Zürich\n".encode("latin-1"),
     "table_encoding_unknown"),
    ("geopackage-named.csv", lambda k: b"SQLite format 3\x00" + bytes(2000), "table_is_gpkg"),
    ("zip-named.csv", lambda k: _zip({"a.txt": b"x"}), "table_is_zip"),
    ("damaged.xlsx", lambda k: _zip({"xl/workbook.xml": b"<broken", "[Content_Types].xml": b"<x/>"}),
     "table_excel_unreadable"),
    ("not-a-workbook.xls", lambda k: b"id,lon,lat\n1,2,3\n", "table_excel_unreadable"),
    ("no-coordinate-columns.csv", lambda k: _csv(k, k.facility_frame().drop(columns=["lon", "lat"])), "csv_no_lonlat"),
    ("coordinates-swapped.csv", lambda k: _csv(k, k.facility_frame().rename(columns={"lon": "lat", "lat": "lon"})),
     "lonlat_swapped"),
    ("projected-without-crs.csv", lambda k: _csv(k, k.facility_frame().assign(lon=668000.0, lat=3547000.0)),
     "crs_missing"),
    ("most-coordinates-unreadable.csv", lambda k: _csv(k, k.facility_frame().assign(lon=["?", "n/a", "118.78"])),
     "coords_mostly_unusable"),
    ("type-unknown.csv", lambda k: _csv(k, k.facility_frame().assign(type=["clinic", "游泳池", "clinic"])),
     "type_unknown"),
    ("no-type-column.csv", lambda k: _csv(k, k.facility_frame().drop(columns=["type"])), "facility_type_missing"),
    ("ids-repeated.csv", lambda k: _csv(k, k.facility_frame().assign(id=[1, 1, 2])), "ids_not_unique"),
    ("drawing.dwg", lambda k: b"AC1032" + bytes(100), "vector_format_unknown"),
    ("broken.geojson", lambda k: b'{"type": "FeatureCollection", "features": [', "file_unreadable"),
    ("empty-collection.geojson", lambda k: b'{"type": "FeatureCollection", "features": []}', "layer_no_features"),
    ("out-of-range.geojson", lambda k: _geojson_bytes([feature({"type": "Point", "coordinates": [218.0, 32.0]},
                                                               type="clinic")]), "lonlat_out_of_range"),
    ("lines-only.geojson", lambda k: _geojson_bytes([feature({"type": "LineString", "coordinates": [
        [LON0, LAT0], [LON0 + DLON, LAT0]]}, type="clinic")]), "geometry_wrong_kind"),
    ("empty.zip", lambda k: _zip({}), "file_unreadable"),
]:
    case(f"facilities-{name}", says=(code,))(_facilities_bytes(name, data))


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buffer.getvalue()


def _geojson_bytes(features: list[dict]) -> bytes:
    import json

    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


case("facilities-missing", says=("file_not_found",))(lambda kit: kit.coverage(facilities=kit.path("none.csv")))
case("facilities-a-folder", says=("input_is_folder",))(
    lambda kit: (kit.path("folder.csv").mkdir(), kit.coverage(facilities=kit.path("folder.csv")))[1])


def _gcj02(kit: Kit) -> list:
    from planning.io.coords import wgs84_to_gcj02

    frame = kit.facility_frame()
    frame["lon"], frame["lat"] = wgs84_to_gcj02(frame["lon"], frame["lat"])
    path = kit.path("amap.csv")
    frame.to_csv(path, index=False)
    return kit.coverage("--coord-system", "gcj02", facilities=path)


case("facilities-amap-gcj02", exit=0, says=("coords_converted",), check=_handled)(_gcj02)


def _some_rows_blank(kit: Kit, out: str) -> None:
    log = _log(kit)
    assert "rows 3, 8–9, 30" in out and "rows 3, 8–9, 30" in log  # counted and named, in the message and the table
    assert "4 of 30 rows" in log
    people = gpd.read_file(kit.path("out/coverage.gpkg"), layer="demand")["population"].sum()
    frame = kit.demand_frame()
    assert people == pytest.approx(frame["population"].drop(index=[1, 6, 7, 28]).sum())


def _demand_with_blank_rows(kit: Kit) -> list:
    frame = kit.demand_frame().astype({"lon": object})
    frame.loc[[1, 6, 7, 28], "lon"] = ""  # file rows 3, 8, 9, 30 (the header is row 1)
    path = kit.path("residents.csv")
    frame.to_csv(path, index=False)
    return kit.coverage(demand=path)


case("demand-blank-coordinates-named", exit=0, says=("rows_dropped_blank_coords",), check=_some_rows_blank)(
    _demand_with_blank_rows)


def _demand_unreadable_rows(kit: Kit) -> list:
    frame = kit.demand_frame().astype({"lat": object})
    frame.loc[[0, 4], "lat"] = ["32.04.5", "北纬"]
    path = kit.path("residents.csv")
    frame.to_csv(path, index=False)
    return kit.coverage(demand=path)


case("demand-unreadable-coordinates-named", exit=0, says=("rows_dropped_bad_coords",),
     check=lambda kit, out: "rows 2, 6" in _log(kit))(_demand_unreadable_rows)


def _demand_population(values: dict[int, object]) -> Build:
    def build(kit: Kit) -> list:
        frame = kit.demand_frame().astype({"population": object})
        for row, value in values.items():
            frame.loc[row, "population"] = value
        path = kit.path("residents.csv")
        frame.to_csv(path, index=False)
        return kit.coverage(demand=path)
    return build


for name, values in [("inf", {3: "inf"}), ("negative", {3: -40}), ("blank", {3: ""}), ("text", {3: "约50人"}),
                     ("minus-inf", {3: "-inf"})]:
    case(f"demand-population-{name}", says=("column_not_numeric",))(_demand_population(values))


def _demand_without_population(kit: Kit) -> list:
    path = kit.path("residents.csv")
    kit.demand_frame().drop(columns=["population"]).to_csv(path, index=False)
    return kit.coverage(demand=path)


case("demand-population-column-missing", says=("column_missing",))(_demand_without_population)


def _demand_mixed(kit: Kit) -> list:
    frame = kit.demand_frame()
    features = [feature({"type": "Point", "coordinates": [x, y]}, population=int(p))
                for x, y, p in zip(frame["lon"], frame["lat"], frame["population"])]
    features.insert(2, feature({"type": "LineString", "coordinates": [[LON0, LAT0], [LON0 + DLON, LAT0]]},
                               population=500))
    return kit.coverage(demand=geojson(kit.path("mixed.geojson"), features))


case("demand-mixed-geometry-types", exit=0, says=("features_dropped_kind",),
     check=lambda kit, out: "rows 3" in _log(kit) and "1 line" in _log(kit))(_demand_mixed)


def _facilities_points_and_polygons(kit: Kit) -> list:
    frame = kit.facility_frame()
    features = [feature({"type": "Point", "coordinates": [x, y]}, type=t) for x, y, t in
                zip(frame["lon"], frame["lat"], frame["type"])]
    box = shapely.box(LON0 + DLON, LAT0 + DLAT, LON0 + 1.5 * DLON, LAT0 + 1.5 * DLAT)
    features.append(feature(shapely.geometry.mapping(box), type="meal_hall"))
    features.append(feature(None, type="clinic"))
    return kit.coverage(facilities=geojson(kit.path("mixed.geojson"), features))


case("facilities-points-polygons-and-empty", exit=0, says=("polygons_as_points", "features_dropped_empty"),
     check=_handled)(_facilities_points_and_polygons)


def _facilities_kml(kit: Kit) -> list:
    frame = kit.facility_frame()
    marks = [f"<Placemark><name>{n}</name><Point><coordinates>{x},{y}</coordinates></Point></Placemark>"
             for n, x, y in zip(frame["名称"], frame["lon"], frame["lat"])]
    text = (f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<Folder><name>东片</name>{marks[0]}<Folder><name>内层</name>{marks[1]}</Folder></Folder>"
            f"<Folder><name>西片</name>{marks[2]}</Folder></Document></kml>")
    path = kit.path("clinics.kml")
    path.write_text(text, encoding="utf-8")
    return kit.coverage("--facility-type", "clinic", facilities=path)


case("facilities-kml-nested-folders", exit=0, says=("kml_folders_read",),
     check=lambda kit, out: "read 3 features from 3 folders" in out)(_facilities_kml)


def _local_crs_shapefile(kit: Kit) -> list:
    frame = kit.facility_frame()
    gdf = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(
        frame["lon"] * 1000, frame["lat"] * 1000), crs=None)
    gdf.to_file(kit.path("local.shp"))
    kit.path("local.prj").write_text('LOCAL_CS["Site grid",LOCAL_DATUM["Unknown",32767],UNIT["metre",1],'
                                     'AXIS["X",EAST],AXIS["Y",NORTH]]')
    archive = kit.path("local.zip")
    archive.write_bytes(_zip({p.name: p.read_bytes() for p in kit.folder.glob("local.*") if p.suffix != ".zip"}))
    for part in kit.folder.glob("local.*"):
        if part.suffix != ".zip":
            part.unlink()
    return kit.coverage(facilities=archive)


case("facilities-shapefile-local-crs", says=("crs_local",))(_local_crs_shapefile)
case("facilities-zip-without-shapefile", says=("file_unreadable",))(
    _facilities_bytes("only-dbf.zip", lambda k: _zip({"x.dbf": b"\x03" + bytes(40)})))


# ---- boundaries -----------------------------------------------------------------------------------

def _boundaries(edit: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame], name: str = "bad.geojson") -> Build:
    def build(kit: Kit) -> list:
        path = kit.path(name)
        edit(kit.boundary_frame()).to_file(path, driver="GeoJSON")
        return kit.coverage(demand=kit.demand, boundaries=path)
    return build


case("boundaries-code-blank", says=("boundary_codes_blank",))(
    _boundaries(lambda g: g.assign(code=["320102001", None])))
case("boundaries-code-spaces", says=("boundary_codes_blank",))(
    _boundaries(lambda g: g.assign(code=["320102001", "  "])))
case("boundaries-code-repeated", says=("boundary_codes_duplicate",))(
    _boundaries(lambda g: g.assign(code=["320102001", "320102001"])))
case("boundaries-names-repeated-no-code", says=("boundary_codes_duplicate",))(
    _boundaries(lambda g: g.drop(columns=["code"]).assign(name=["东区社区", "东区社区"])))
case("boundaries-as-points", says=("geometry_wrong_kind",))(
    _boundaries(lambda g: g.set_geometry(g.geometry.centroid)))
case("boundaries-9000-km-away", says=("boundaries_miss_residents",))(
    _boundaries(lambda g: g.set_geometry(g.geometry.translate(-100.0, 0.0))))  # 118° E → 18° E
case("boundaries-wrong-coordinate-system", says=("boundaries_miss_residents",))(
    _boundaries(lambda g: g.set_geometry(g.geometry.translate(0.05, 0.02))))


def _boundaries_leave_some_out(kit: Kit) -> list:
    gdf = kit.boundary_frame()
    gdf = gdf.set_geometry(gdf.geometry.intersection(shapely.box(LON0 - 1, LAT0 + 1.2 * DLAT, LON0 + 1, LAT0 + 1)))
    path = kit.path("part.geojson")
    gdf.to_file(path, driver="GeoJSON")
    return kit.coverage(demand=kit.demand, boundaries=path)


def _outside_counted(kit: Kit, out: str) -> None:
    frame = kit.demand_frame()
    outside = frame["lat"] < LAT0 + 1.2 * DLAT
    assert f"{int(outside.sum())} of 30 resident points" in _log(kit)


case("boundaries-residents-outside-some", exit=0, says=("residents_outside_boundaries",), check=_outside_counted)(
    _boundaries_leave_some_out)


def _boundaries_points_among_polygons(kit: Kit) -> list:
    gdf = kit.boundary_frame()
    extra = gpd.GeoDataFrame({"code": ["x"], "name": ["标注点"]}, geometry=[shapely.Point(LON0, LAT0)], crs=4326)
    path = kit.path("with-point.geojson")
    pd.concat([gdf, extra]).to_file(path, driver="GeoJSON")
    return kit.coverage(demand=kit.demand, boundaries=path)


case("boundaries-point-among-polygons", exit=0, says=("features_dropped_kind",),
     check=lambda kit, out: len(gpd.read_file(kit.path("out/coverage.gpkg"), layer="communities")) == 2)(
    _boundaries_points_among_polygons)


def _kml_boundaries(kit: Kit) -> list:
    """Four communities in three folders, one folder nested two deep (only the first was read before)."""
    step = 1.5 * DLON

    def mark(name: str, i: int) -> str:
        x0 = LON0 - 0.5 * DLON + i * step
        ring = f"{x0},{LAT0 - DLAT} {x0 + step},{LAT0 - DLAT} {x0 + step},{LAT0 + 6 * DLAT} {x0},{LAT0 + 6 * DLAT} {x0},{LAT0 - DLAT}"
        return (f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
                f"</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")

    text = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<Folder><name>玄武</name>{mark('一社区', 0)}<Folder><name>内</name><Folder><name>更内</name>"
            f"{mark('二社区', 1)}</Folder></Folder></Folder>"
            f"<Folder><name>秦淮</name>{mark('三社区', 2)}{mark('四社区', 3)}</Folder></Document></kml>")
    path = kit.path("communities.kml")
    path.write_text(text, encoding="utf-8")
    return kit.coverage(demand=kit.demand, boundaries=path)


case("boundaries-kml-nested-folders", exit=0, says=("kml_folders_read",),
     check=lambda kit, out: sorted(gpd.read_file(kit.path("out/coverage.gpkg"), layer="communities")["name"])
     == ["一社区", "三社区", "二社区", "四社区"])(_kml_boundaries)


def gbk_shapefile_zip(kit: Kit, name: str = "communities.zip") -> Path:
    """Community polygons as a zipped Shapefile whose .dbf is GBK, without a .cpg (as older Chinese software writes)."""
    gdf = kit.boundary_frame().rename(columns={"name": "社区名称"})
    gdf.to_file(kit.path("gbk.shp"), encoding="GBK", engine="pyogrio")
    members = {p.name: p.read_bytes() for p in kit.folder.glob("gbk.*") if p.suffix.lower() != ".cpg"}
    for part in kit.folder.glob("gbk.*"):
        part.unlink()
    path = kit.path(name)
    path.write_bytes(_zip(members))
    return path


case("boundaries-gbk-shapefile-without-cpg", exit=0, says=("dbf_encoding_guessed",),
     check=lambda kit, out: sorted(gpd.read_file(kit.path("out/coverage.gpkg"), layer="communities")["name"])
     == ["东区社区", "西区社区"])(lambda kit: kit.coverage(demand=kit.demand, boundaries=gbk_shapefile_zip(kit)))


# ---- outputs --------------------------------------------------------------------------------------

case("out-is-the-facilities-input", says=("output_is_input",))(lambda kit: kit.coverage(out="facilities.csv"))
case("out-is-the-network-input", says=("output_is_input",))(lambda kit: kit.coverage(out="net.graphml"))
case("out-is-a-folder", says=("output_is_folder",))(
    lambda kit: (kit.path("results").mkdir(), kit.coverage(out="results"))[1])
case("out-below-a-file", says=("output_parent_is_file",))(
    lambda kit: (kit.path("notes.txt").write_text("x"), kit.coverage(out="notes.txt/coverage.gpkg"))[1])
case("out-missing-folders-created", exit=0, says=(), check=_handled)(
    lambda kit: kit.coverage(out="out/coverage.gpkg"))


def _replaces(kit: Kit) -> list:
    kit.path("out").mkdir()
    kit.path("out/coverage.gpkg").write_bytes(b"an earlier result")
    return kit.coverage()


case("out-existing-replaced-and-said", exit=0, check=lambda kit, out: "the earlier file was replaced" in out
     and pyogrio.list_layers(kit.path("out/coverage.gpkg")) is not None)(_replaces)


def _earlier_output_kept(kit: Kit) -> list:
    kit.path("out").mkdir()
    kit.path("out/coverage.gpkg").write_bytes(b"an earlier result")
    return kit.coverage(facilities=kit.path("nowhere.csv"))


case("out-earlier-result-kept-on-refusal", says=("file_not_found",))(_earlier_output_kept)
case("reach-out-is-the-sources", says=("output_is_input",))(
    lambda kit: ["reach", "--network", kit.network, "--sources", kit.facilities, "--minutes", "10",
                 "--out", kit.facilities])
case("optimize-out-is-the-candidates", says=("output_is_input",))(lambda kit: kit.optimize(out="facilities.csv"))
case("optimize-out-is-the-demand", says=("output_is_input",))(lambda kit: kit.optimize(out="demand.csv"))
case("optimize-p-missing", says=("optimize_bad_p",))(
    lambda kit: ["optimize", "--network", kit.network, "--candidates", kit.facilities, "--demand", kit.demand,
                 "--type", "clinic", "--out", kit.path("out/plan.gpkg")])
case("report-out-unknown-format", says=("report_format_unknown",))(
    lambda kit: ["report", "--network", kit.network, "--facilities", kit.facilities, "--out", kit.path("r.docx")])
case("report-out-is-a-folder", says=("output_is_folder",))(
    lambda kit: (kit.path("r.pdf").mkdir(), ["report", "--network", kit.network, "--out", kit.path("r.pdf")])[1])
case("report-out-is-the-facilities", says=("report_format_unknown",))(
    lambda kit: ["report", "--network", kit.network, "--facilities", kit.facilities, "--out", kit.facilities])
case("report-out-html-is-an-input", says=("output_is_input",))(
    lambda kit: (kit.path("map.html").write_text("<p>mine</p>"),
                 ["report", "--network", kit.network, "--demand", kit.path("map.html"), "--out", kit.path("map.html")])[1])
case("export-csv-into-an-existing-file", says=("output_not_folder",))(
    lambda kit: ["export", "--network", kit.network, "--facilities", kit.facilities, "--format", "csv",
                 "--out", kit.facilities])
case("export-out-is-an-input", says=("output_is_input",))(
    lambda kit: (kit.path("mine.gpkg").write_bytes(b"x"),
                 ["export", "--network", kit.network, "--boundaries", kit.path("mine.gpkg"),
                  "--out", kit.path("mine.gpkg")])[1])
case("export-format-from-unknown-suffix", says=("export_format_unknown",))(
    lambda kit: ["export", "--network", kit.network, "--out", kit.path("layers.shp")])
case("export-without-area-or-network", says=("report_area_missing",))(
    lambda kit: ["export", "--out", kit.path("layers.gpkg")])
case("batch-out-is-a-file", says=("output_not_folder",))(
    lambda kit: ["batch", "--areas", kit.boundaries, "--network", kit.network, "--facilities", kit.facilities,
                 "--out", kit.facilities])
case("batch-areas-as-points", says=("geometry_wrong_kind",))(
    lambda kit: ["batch", "--areas", kit.facilities, "--network", kit.network, "--facilities", kit.facilities,
                 "--out", kit.path("results")])


def _poll(*argv: str) -> Build:
    def build(kit: Kit) -> list:
        words = [str(kit.path(a[1:])) if a.startswith("@") else a for a in argv]
        return ["poll", *words]
    return build


def _prepared(*files: tuple[str, bytes | None]) -> Callable[[Build], Build]:
    def wrap(build: Build) -> Build:
        def prepared(kit: Kit) -> list:
            for name, data in files:
                if data is None:
                    kit.path(name).mkdir(parents=True)
                else:
                    kit.path(name).write_bytes(data)
            return build(kit)
        return prepared
    return wrap


case("poll-db-is-not-a-database", says=("database_unreachable",))(
    _prepared(("ballots.sqlite", b"this is a list of names, not a database\n" * 20))(_poll("--db", "@ballots.sqlite", "setup")))
case("poll-db-is-a-folder", says=("database_is_folder",))(
    _prepared(("ballots", None))(_poll("--db", "@ballots", "setup")))
case("poll-db-below-a-file", says=("output_parent_is_file",))(
    _prepared(("notes.txt", b"x"))(_poll("--db", "@notes.txt/ballots.sqlite", "setup")))


case("poll-codes-pdf-is-a-folder", says=("output_is_folder",))(
    _prepared(("slips.pdf", None))(_poll("--db", "@out/b.sqlite", "codes", "--poll", "1", "--count", "5",
                                         "--pdf", "@slips.pdf")))
case("facilities-garbage.gpkg", says=("file_unreadable",))(
    _facilities_bytes("garbage.gpkg", lambda k: b"\x00\x01 not a geopackage" * 50))


def _two_layer_geopackage(kit: Kit) -> list:
    frame = kit.facility_frame()
    gdf = gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                           crs=4326)
    path = kit.path("layers.gpkg")
    gdf.to_file(path, layer="clinics")
    gdf.to_file(path, layer="old_clinics")
    return kit.coverage(facilities=path)


case("facilities-geopackage-with-two-layers", says=("layer_choose",))(  # never silently its first layer
    _two_layer_geopackage)


# ---- the test -------------------------------------------------------------------------------------

SUBPROCESS_CASES = ["out-is-the-facilities-input", "facilities-binary-garbage.csv", "network-length-negative",
                    "coverage-speed-nan", "boundaries-9000-km-away"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_hostile_input_through_the_installed_entry_point(name: str, tmp_path: Path):
    """A few cases as a user runs them (``python -m planning``): the same exit code and message, no traceback."""
    import subprocess
    import sys

    from tests.support.data import ROOT

    build, exit_code, says, _ = CASES[name]
    argv = [str(arg) for arg in build(Kit(tmp_path))]
    before = folder_state(tmp_path)
    done = subprocess.run([sys.executable, "-m", "planning", *argv], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=300)
    assert done.returncode == exit_code and "Traceback" not in done.stderr + done.stdout
    assert_says(done.stderr, *says)
    assert folder_state(tmp_path) == before


def test_the_corpus_is_large():
    assert len(CASES) >= 100


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", "一个足够长的组织者口令 long enough")
    build, exit_code, says, check = CASES[name]
    kit = Kit(tmp_path)
    argv = [str(arg) for arg in build(kit)]
    before = folder_state(tmp_path)
    code, out, err = run_cli(argv, capsys)
    after = folder_state(tmp_path)
    text = out + err
    assert code == exit_code, text
    assert "Traceback" not in text and "Error:" not in text.replace("错误 / Error:", "")
    assert_says(text, *says)
    assert not [key for key in after if ".part" in key], after  # no work folder left behind
    if exit_code:
        assert "错误 / Error:" in err
        assert after == before  # inputs unchanged, nothing written, nothing left behind
    else:
        assert {k: v for k, v in after.items() if k in before and not k.startswith("out")} == \
            {k: v for k, v in before.items() if not k.startswith("out")}  # inputs unchanged
        assert not [k for k in set(after) - set(before) if not k.startswith("out")]  # writes only its output
        if check is not None:
            assert check(kit, out) is not False
