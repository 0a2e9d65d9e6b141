"""Web-map layers of a 民情征集: the resident's pin map, and the organiser's needs over the coverage map.

Drawn with the same offline Leaflet assets and base maps as :mod:`planning.outputs.maps.webmap`;
points are shifted to the base map's datum for drawing and a tap is shifted back to WGS84.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np

from planning.io.coords import gcj02_to_wgs84
from planning.outputs.maps.basemaps import NO_BASEMAP, BaseMap
from planning.outputs.maps.layers import feature_collection, to_map_coords
from planning.outputs.maps.webmap import _new_map

# one colour per need type, in the catalogue's order (Leaflet marker colours and heat-map tints)
NEED_COLORS = ("red", "orange", "purple", "blue", "cadetblue", "darkgreen", "gray")
PIN_COLOR = "#d7191c"


def pin_map(outline: Mapping[str, Any], bounds: Sequence[float], pin: tuple[float, float] | None, pin_label: str,
            basemap: BaseMap = NO_BASEMAP, tianditu_key: str = "") -> tuple[folium.Map, str]:
    """The resident's map: the area's 社区 outlines with their names, and the pin once tapped.

    Returns the map and the datum a tap comes back in (pass both to :func:`tapped_point`).
    """
    m = _new_map(basemap, tianditu_key)
    features = list(outline.get("features", [])) if outline else []
    if features:
        layer = to_map_coords(gpd.GeoDataFrame.from_features(features, crs=4326)[["name", "geometry"]],
                              basemap.datum, 0.0, 6)
        folium.GeoJson(feature_collection(layer), name="社区",
                       style_function=lambda f: {"fillColor": "#9ecae1", "fillOpacity": 0.25, "color": "#3182bd",
                                                 "weight": 2},
                       tooltip=folium.GeoJsonTooltip(["name"], labels=False)).add_to(m)
    if pin is not None:
        point = to_map_coords(gpd.GeoDataFrame(geometry=gpd.points_from_xy([pin[0]], [pin[1]]), crs=4326),
                              basemap.datum).geometry.iloc[0]
        folium.Marker([point.y, point.x], tooltip=pin_label,
                      icon=folium.Icon(icon="location-dot", color="red", prefix="fa")).add_to(m)
    west, south, east, north = (float(b) for b in bounds)
    corners = to_map_coords(gpd.GeoDataFrame(geometry=gpd.points_from_xy([west, east], [south, north]), crs=4326),
                            basemap.datum).total_bounds
    m.fit_bounds([[corners[1], corners[0]], [corners[3], corners[2]]])
    return m, basemap.datum


def tapped_point(returned: Mapping[str, Any] | None, datum: str) -> tuple[float, float] | None:
    """The WGS84 (lon, lat) of the last tap on a map from :func:`pin_map`, or None (rounded to 1e-6°, ≈ 0.1 m)."""
    clicked = (returned or {}).get("last_clicked")
    if not clicked:
        return None
    lon, lat = float(clicked["lng"]), float(clicked["lat"])
    if datum == "gcj02":
        lon, lat = (float(v) for v in gcj02_to_wgs84(lon, lat))
    return round(lon, 6), round(lat, 6)


def add_needs_layers(m: folium.Map, needs: gpd.GeoDataFrame, names: Mapping[str, str],
                     clusters: gpd.GeoDataFrame | None = None, datum: str = "wgs84",
                     heat_name: str = "heat") -> folium.Map:
    """Needs over a coverage map: a heat map of every need, and per need type a clustered layer of
    pins (a red ring marks a need outside today's walking coverage); ``clusters`` as numbered circles.

    Parameters
    ----------
    needs
        Points with ``need`` (and ``covered_today`` when known), any CRS.
    names
        Need type → name shown in the layer list and tooltips.
    """
    if needs.empty:
        return m
    shown = to_map_coords(needs, datum, 0.0, 6)
    lat, lon = shown.geometry.y.to_numpy(), shown.geometry.x.to_numpy()
    folium.plugins.HeatMap(np.column_stack([lat, lon]).tolist(), name=heat_name, radius=18, blur=14,
                           min_opacity=0.3).add_to(m)
    outside = (shown["covered_today"] == False).to_numpy() if "covered_today" in shown else np.zeros(len(shown), bool)  # noqa: E712
    for i, (kind, name) in enumerate(names.items()):
        mine = (shown["need"] == kind).to_numpy()
        if not mine.any():
            continue
        group = folium.plugins.MarkerCluster(name=f"{name} ({int(mine.sum())})")
        colour = NEED_COLORS[i % len(NEED_COLORS)]
        for y, x, far in zip(lat[mine], lon[mine], outside[mine]):
            folium.CircleMarker([y, x], radius=7, color="#b2182b" if far else "#333", weight=3 if far else 1,
                                fill=True, fill_color=colour, fill_opacity=0.85, tooltip=name).add_to(group)
        group.add_to(m)
    if clusters is not None and not clusters.empty:
        spots = to_map_coords(clusters, datum, 0.0, 6)
        group = folium.FeatureGroup(name="clusters")
        for point, kind, count in zip(spots.geometry, spots["need"], spots["count"]):
            folium.Circle([point.y, point.x], radius=60, color="#084594", weight=3, fill=False,
                          tooltip=f"{names.get(kind, kind)} × {int(count)}").add_to(group)
        group.add_to(m)
    return m
