"""Standard exports of a report's layers and tables: GeoPackage, GeoJSON, CSV (Excel: see xlsx.py).

The GeoPackage starts from :func:`planning.outputs.exports.write_coverage_layers` (layers ``demand``,
``communities``, ``summary``, ``log``) and adds ``facilities`` (with their ``source``), ``candidates``,
``network_edges``, ``uncovered_clusters``, ``isochrones`` and, with a scenario,
``scenario_sites`` — everything needed to carry on in QGIS — and the table ``field_aliases``
naming every column in Chinese and English (:mod:`planning.outputs.fields`). GeoJSON files are
in WGS84 (RFC 7946), one per layer, with ``field_aliases.csv``; CSV files are UTF-8 with a
byte-order mark so Excel on Chinese Windows opens them correctly.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from planning.base.formatting import export_numbers
from planning.io.write import atomic_folder, atomic_output
from planning.outputs.cells import csv_text
from planning.outputs.exports import community_wide, write_coverage_layers
from planning.outputs.fields import field_aliases, write_field_aliases
from planning.outputs.reports.content import ReportContent, label, location_text
from planning.outputs.reports.data import ReportData
from scenarios.scenario import sites_frame


def clusters_in_words(clusters: gpd.GeoDataFrame, lang: str = "zh") -> gpd.GeoDataFrame:
    """The uncovered clusters with ``direction`` in words (东北, 中部 · north-east, centre) instead of a
    compass code, and ``location``: the place as the report describes it (珠江路附近，区域中心东北方约 1.2 公里)."""
    if clusters.empty:
        return clusters.assign(location=pd.Series(dtype=object))
    return clusters.assign(direction=clusters["direction"].map(lambda d: label(f"compass_{d}", lang)),
                           location=clusters.apply(location_text, axis=1, args=(lang,)))


FACILITY_EXPORT = ["id", "type", "name", "capacity", "source", "source_file", "osm_id", "geometry"]


def network_edges(data: ReportData) -> gpd.GeoDataFrame:
    """The walking network's street segments: OSM node ids at each end, length and walking minutes."""
    network = data.area.network
    edges = network.edges
    return gpd.GeoDataFrame({
        "from_node": network.node_ids[edges["u"].to_numpy()].astype(str),
        "to_node": network.node_ids[edges["v"].to_numpy()].astype(str),
        "length_m": edges["length_m"].to_numpy(),
        "walk_minutes": edges["length_m"].to_numpy() / (data.speed_kmh / 3.6) / 60,
        "highway": edges["highway"].astype(object).to_numpy() if "highway" in edges else None,
        "name": edges["name"].astype(object).to_numpy() if "name" in edges else None,
    }, geometry=edges.geometry.to_numpy(), crs=network.crs)


def extra_layers(data: ReportData, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """Layers the coverage GeoPackage lacks: facilities (with their source), candidate sites, the
    network's streets, uncovered clusters (places in words), walking areas, scenario sites."""
    area = data.area
    candidates = area.candidates[[c for c in ("id", "community", "cost_yuan", "capacity", "geometry")
                                  if c in area.candidates]]
    layers = {
        "facilities": area.facilities.reindex(columns=FACILITY_EXPORT).set_geometry("geometry", crs=area.crs),
        "candidates": candidates.assign(id=candidates["id"].astype(str)),
        "network_edges": network_edges(data),
        "uncovered_clusters": clusters_in_words(data.clusters, lang),
        "isochrones": data.isochrones,
    }
    if data.scenario is not None:
        sites = sites_frame(data.scenario)
        layers["scenario_sites"] = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                                                    crs=4326)
    return layers


def all_layers(data: ReportData, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """Every layer with geometry, unreachable minutes as NaN (written as NULL); words in ``lang``."""
    coverage = data.coverage
    layers = {"demand": coverage.demand,
              "communities": community_wide(coverage, data.area.communities.to_crs(coverage.demand.crs)),
              **extra_layers(data, lang)}
    return {name: export_numbers(layer) for name, layer in layers.items()}


def write_gpkg(path: str | Path, data: ReportData, inputs=(), lang: str = "zh") -> list[str]:
    """One GeoPackage with every layer (network CRS), words in ``lang``, complete or not at all;
    returns the layer names."""
    everything = all_layers(data, lang)
    # demand and communities are written by write_coverage_layers with the coverage columns
    layers = {name: layer for name, layer in everything.items() if name not in ("demand", "communities")}
    aliases = field_aliases({**everything, "summary": data.coverage.overall,
                             "log": pd.DataFrame(columns=["message_zh", "message_en"])}, data.types)
    with atomic_output(path, inputs) as tmp:
        write_coverage_layers(tmp, data.coverage, data.area.communities, data.area.notes)
        for name, layer in layers.items():
            layer.to_crs(data.area.crs).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        write_field_aliases(tmp, aliases)
    return ["demand", "communities", "summary", "log", *layers, "field_aliases"]


def write_geojson(directory: str | Path, data: ReportData, inputs=(), lang: str = "zh") -> list[Path]:
    """``<layer>.geojson`` in WGS84 for every layer, words in ``lang``, all or none; returns the files written."""
    layers = all_layers(data, lang)
    with atomic_folder(directory, inputs) as work:
        for name, layer in layers.items():
            layer.to_crs(4326).to_file(work / f"{name}.geojson", driver="GeoJSON", engine="pyogrio")
        field_aliases(layers, data.types).to_csv(work / "field_aliases.csv", index=False, encoding="utf-8-sig")
    return [*(Path(directory) / f"{name}.geojson" for name in layers), Path(directory) / "field_aliases.csv"]


_DECIMALS = {"int": 0, "yuan": 0, "pct": 4, "minutes": 1, "coord": 6}


def _plain(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Numbers rounded to what they mean (whole residents, 0.01 % shares), kept numeric:
    unreachable minutes (beyond 60) and figures that cannot be computed are empty cells."""
    out = export_numbers(frame)
    for column, kind in kinds.items():
        if kind in _DECIMALS:
            values = pd.to_numeric(out[column], errors="coerce").round(_DECIMALS[kind])
            out[column] = values.astype("Int64") if _DECIMALS[kind] == 0 else values
    return out


def write_csv(directory: str | Path, content: ReportContent, inputs=()) -> list[Path]:
    """``<table>.csv`` for every report table (the Excel sheets), numbers unformatted; returns the files.

    Numeric columns stay numeric: a walking time beyond 60 minutes or a share that cannot be
    computed is an empty cell, never ``inf`` or ``nan``. A name a spreadsheet would run as a formula
    starts with ``'`` (:func:`planning.outputs.cells.csv_text`).
    """
    tables = content.sheets()
    with atomic_folder(directory, inputs) as work:
        for table in tables:
            csv_text(_plain(table.frame, table.kinds)).to_csv(work / f"{table.key}.csv", index=False, encoding="utf-8-sig")
    return [Path(directory) / f"{table.key}.csv" for table in tables]
