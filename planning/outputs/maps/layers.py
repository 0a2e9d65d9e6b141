"""Planning layers made ready to draw: checked, in lon/lat, in the base map's datum, light.

Shared by the web maps (:mod:`planning.outputs.maps.webmap`) and the static maps (:mod:`planning.outputs.maps.static`)
so both show the same classes in the same colours.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from planning.base.errors import PlanningError
from planning.base.text import catalogue
from planning.io.coords import wgs84_to_gcj02

# Covered share of a community in five classes, pale (poorly served) to dark blue (well served):
# ColorBrewer YlGnBu, sequential, so it reads the same to colour-blind readers and stays in order
# when printed in black and white (greyscale 249 → 109 of 255, every step at least 30 apart).
COVERAGE_BINS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COVERAGE_COLORS: tuple[str, ...] = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8")
# Isochrones on web maps, shortest walk darkest.
ISOCHRONE_COLORS: tuple[str, ...] = ("#08519c", "#3182bd", "#6baed6", "#bdd7e7")
# The heat layer of uncovered residents on web maps (Leaflet.heat's own default, written out so
# the legend's colour bar is the layer's): few residents out of reach blue, many red.
HEAT_GRADIENT: dict[float, str] = {0.4: "blue", 0.6: "cyan", 0.7: "lime", 0.8: "yellow", 1.0: "red"}


@dataclass(frozen=True)
class PointStyle:
    """How a kind of point is drawn on printed maps: shape, fill and rim."""

    marker: str
    fill: str
    edge: str
    size: float  # matplotlib marker area, points²
    edge_width: float


# Printed maps tell residents and facilities apart by shape *and* by grey value, never by hue alone:
# uncovered residents are small black dots (darker than every community fill), existing facilities
# white shapes with a black rim, new sites magenta stars with a black rim.
RESIDENT_STYLE = PointStyle("o", "#000000", "#000000", 3.0, 0.0)
FACILITY_STYLE = PointStyle("s", "#ffffff", "#000000", 55.0, 1.6)
SITE_STYLE = PointStyle("*", "#e7298a", "#000000", 260.0, 0.9)
# Walking areas on printed maps: one dark grey, told apart by dashes (shortest walk solid).
ISOCHRONE_PRINT_COLOR = "#252525"
ISOCHRONE_DASHES: tuple[str, ...] = ("-", "--", ":", "-.")
ISOCHRONE_DASH_NAMES: tuple[str, ...] = ("solid", "dashed", "dotted", "dashdot")  # how a caption names them


def isochrone_dash(index: int) -> tuple[str, str]:
    """(matplotlib line style, its name) of the ``index``-th walking time, shortest first."""
    i = min(index, len(ISOCHRONE_DASHES) - 1)
    return ISOCHRONE_DASHES[i], ISOCHRONE_DASH_NAMES[i]

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "communities": ("name", "covered_share"),
    "facilities": ("type", "name"),
    "sites": ("type", "id"),
    "demand": ("weight", "covered"),
    "isochrones": ("minutes",),
}


@dataclass(frozen=True)
class MapLabels:
    """Words shown on a map, in the user's language (the caller picks zh or en)."""

    communities: str
    covered_share: str
    facilities: str
    sites: str
    uncovered_demand: str
    isochrones: str
    minutes: str
    metres: str = "m"
    kilometres: str = "km"
    north: str = "N"
    colon: str = ": "
    legend: str = "Legend"
    unknown: str = "cannot be computed"
    heat_note: str = "warmer colours: more residents out of walking reach nearby"
    few: str = "few"
    many: str = "many"
    cluster_note: str = "a number: that many points grouped here; zoom in to see them"



def printed_map_labels(lang: str) -> MapLabels:
    """Legend words of the printed (report) maps in ``lang`` (scale bar in 米/公里 in Chinese); kept here,
    away from matplotlib, so the app reads the same words without importing the plotting stack."""
    keys = ("communities", "covered_share", "facilities", "sites", "uncovered", "isochrones", "minutes",
            "metres", "kilometres", "north", "colon")
    return MapLabels(*(catalogue("report").text(f"map_{k}", lang) for k in keys))

def check_layer(gdf: gpd.GeoDataFrame, layer: str) -> None:
    """Raise :class:`PlanningError` if a layer lacks a CRS or the columns its kind needs."""
    missing = [c for c in REQUIRED_COLUMNS[layer] if c not in gdf.columns]
    if missing:
        raise PlanningError("map_layer_missing_columns", layer=layer, columns=", ".join(missing))
    if gdf.crs is None:
        raise PlanningError("map_layer_no_crs", layer=layer)


def view_tolerance_deg(bounds: tuple[float, float, float, float], width_px: int = 1000) -> float:
    """Simplification tolerance in degrees: a quarter pixel when the whole area fills the map.

    A quarter pixel at the overview is still under a pixel two zoom levels closer in, and
    removes the vertices nobody can see from the page the browser has to parse.
    """
    west, south, east, north = bounds
    return max(east - west, north - south) / width_px / 4.0


def decimals_for(tolerance_deg: float) -> int:
    """Decimal places that keep rounding error ten times below the simplification tolerance."""
    return int(min(7, max(5, math.ceil(-math.log10(tolerance_deg)) + 1)))


def _gcj02(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(wgs84_to_gcj02(coords[:, 0], coords[:, 1]))


def to_map_coords(
    gdf: gpd.GeoDataFrame, datum: str = "wgs84", tolerance_deg: float = 0.0, decimals: int = 7
) -> gpd.GeoDataFrame:
    """Lon/lat copy of a layer for drawing: simplified, shifted to the datum, rounded.

    Parameters
    ----------
    gdf
        Layer in any CRS.
    datum
        ``"wgs84"`` or ``"gcj02"`` (高德 base map). The result keeps the EPSG:4326 label either way;
        GCJ-02 coordinates are for drawing on GCJ-02 tiles only.
    tolerance_deg
        Douglas–Peucker tolerance in degrees (0: no simplification); topology is kept.
    decimals
        Decimal places of the output coordinates (6 ≈ 0.1 m).
    """
    out = gdf.to_crs(4326)
    geoms = out.geometry.values
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    if datum == "gcj02":
        geoms = shapely.transform(geoms, _gcj02)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def feature_collection(layer: gpd.GeoDataFrame) -> dict[str, Any]:
    """A layer from :func:`to_map_coords` as a GeoJSON FeatureCollection, each feature with its row
    label as ``id`` (folium keys styles by it) and missing values as null.

    The same features as ``layer.__geo_interface__`` less the bounding boxes, made by GEOS's GeoJSON
    writer: folium given a GeoDataFrame projects it again and converts it row by row in Python (the
    demo's 社区: 17 ms that way, 3 ms this way).
    """
    properties = layer.drop(columns=layer.geometry.name)
    records = properties.astype(object).where(properties.notna(), None).to_dict("records")
    geometries = shapely.to_geojson(layer.geometry.values)
    return {"type": "FeatureCollection", "features": [
        {"id": str(i), "type": "Feature", "properties": p, "geometry": json.loads(g) if g is not None else None}
        for i, p, g in zip(layer.index, records, geometries)]}


def coverage_class(covered_share: np.ndarray) -> np.ndarray:
    """Index into :data:`COVERAGE_COLORS` for each covered share (0–1, clipped)."""
    shares = np.clip(np.asarray(covered_share, float), 0.0, 1.0)
    return np.clip(np.digitize(shares, COVERAGE_BINS[1:-1]), 0, len(COVERAGE_COLORS) - 1)


def coverage_legend_rows() -> list[tuple[str, str]]:
    """(colour, "0–20%") rows of the covered-share legend, lowest class first."""
    edges = [round(b * 100) for b in COVERAGE_BINS]
    return [(c, f"{lo}–{hi}%") for c, lo, hi in zip(COVERAGE_COLORS, edges[:-1], edges[1:])]


def isochrone_colors(minutes: np.ndarray) -> dict[float, str]:
    """Colour per distinct walking time, shortest darkest."""
    steps = sorted(set(np.asarray(minutes, float).tolist()))
    return {m: ISOCHRONE_COLORS[min(i, len(ISOCHRONE_COLORS) - 1)] for i, m in enumerate(steps)}
