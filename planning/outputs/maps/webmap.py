"""Interactive coverage maps (folium/Leaflet) that work offline and on Chinese base maps.

Every map built here loads its scripts from the vendored copies (:mod:`planning.outputs.maps.assets`), draws
its overlays in the datum of the chosen base map (GCJ-02 for 高德) and carries geometry thinned to
what the screen can show, so 10 000 demand points and 200 communities stay quick.
"""
from __future__ import annotations

from collections.abc import Mapping

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
from branca.element import Element, MacroElement
from jinja2 import Template

from planning.base.errors import PlanningError
from planning.base.formatting import share_text
from planning.outputs.maps.assets import localize, streamlit_vendor_url
from planning.outputs.maps.basemaps import NO_BASEMAP, BaseMap
from planning.outputs.maps.layers import (
    COVERAGE_COLORS,
    MapLabels,
    check_layer,
    coverage_class,
    coverage_legend_rows,
    decimals_for,
    isochrone_colors,
    to_map_coords,
    view_tolerance_deg,
)

DATA_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
OFFLINE_BACKGROUND = "#f4f3ef"
UNKNOWN_COLOR = "#bdbdbd"  # a community whose covered share cannot be computed (nobody served lives there)
SITE_MARKER_COLOR = "black"
_FALLBACK_ICON = {"icon": "circle", "color": "gray"}


class _MapControl(MacroElement):
    """A snippet of HTML shown as a Leaflet control, plus an attribution line."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            {% if this.attribution %}map.attributionControl.addAttribution({{ this.attribution|tojson }});{% endif %}
            {% if this.html %}
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "planning-legend leaflet-control");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            control.addTo(map);
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str = "", attribution: str = "", position: str = "bottomright") -> None:
        super().__init__()
        self._name = "MapControl"
        self.html, self.attribution, self.position = html, attribution, position


def _legend_html(title: str, rows: list[tuple[str, str]]) -> str:
    swatches = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
        f'vertical-align:middle;background:{colour};opacity:.8;border:1px solid #555"></span>{text}</div>'
        for colour, text in rows
    )
    return (
        '<div style="background:rgba(255,255,255,.9);padding:6px 8px;border-radius:4px;'
        'font:12px/1.5 sans-serif;box-shadow:0 0 4px rgba(0,0,0,.3)">'
        f"<b>{title}</b>{swatches}</div>"
    )


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (folium's ``control_scale`` adds feet and miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def _new_map(basemap: BaseMap, tianditu_key: str) -> folium.Map:
    m = folium.Map(tiles=None, max_zoom=basemap.max_zoom)
    _MetricScale().add_to(m)
    for i, url in enumerate(basemap.tile_urls(tianditu_key)):
        folium.TileLayer(
            tiles=url, attr=basemap.attribution, name=basemap.label_zh if i == 0 else f"{basemap.label_zh} 注记",
            subdomains=basemap.subdomains or "abc", max_zoom=basemap.max_zoom, overlay=i > 0, control=False,
        ).add_to(m)
    if not basemap.tiles:
        m.get_root().header.add_child(
            Element(f"<style>.leaflet-container {{ background: {OFFLINE_BACKGROUND}; }}</style>")
        )
    return m


def _add_communities(m: folium.Map, layer: gpd.GeoDataFrame, labels: MapLabels) -> None:
    data = layer[["name", "covered_share", "geometry"]].copy()
    known = data["covered_share"].notna().to_numpy()
    data["fill"] = np.where(known, np.asarray(COVERAGE_COLORS)[coverage_class(data["covered_share"].fillna(0.0))],
                            UNKNOWN_COLOR)
    data["covered_pct"] = data["covered_share"].map(share_text)  # the same 42.7% as the tables; "—" if unknown
    folium.GeoJson(
        data[["name", "covered_pct", "fill", "geometry"]],
        name=labels.communities,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "fillOpacity": 0.6, "color": "#444", "weight": 1,
        },
        tooltip=folium.GeoJsonTooltip(["name", "covered_pct"], aliases=[labels.communities, labels.covered_share]),
    ).add_to(m)


def _add_isochrones(m: folium.Map, layer: gpd.GeoDataFrame, labels: MapLabels) -> None:
    colours = isochrone_colors(layer["minutes"])
    for minutes in sorted(colours, reverse=True):
        colour = colours[minutes]
        folium.GeoJson(
            layer.loc[layer["minutes"] == minutes, ["minutes", "geometry"]],
            name=f"{labels.isochrones} {minutes:g} {labels.minutes}",
            style_function=lambda f, c=colour: {"fillColor": c, "fillOpacity": 0.15, "color": c, "weight": 2},
            interactive=False,
        ).add_to(m)


def _add_points(
    m: folium.Map, layer: gpd.GeoDataFrame, name: str, icons: Mapping[str, Mapping[str, str]],
    label_column: str, marker_color: str | None = None,
) -> None:
    group = folium.FeatureGroup(name=name)
    for geom, kind, label in zip(layer.geometry, layer["type"], layer[label_column]):
        style = icons.get(kind, _FALLBACK_ICON)
        folium.Marker(
            [geom.y, geom.x], tooltip=f"{label}",
            icon=folium.Icon(icon=style["icon"], color=marker_color or style["color"], icon_color="white", prefix="fa"),
        ).add_to(group)
    group.add_to(m)


def _add_demand(m: folium.Map, layer: gpd.GeoDataFrame, labels: MapLabels, style: str) -> None:
    uncovered = layer[~layer["covered"].astype(bool)]
    lat, lon = uncovered.geometry.y.to_numpy(), uncovered.geometry.x.to_numpy()
    if style == "heat":
        weight = uncovered["weight"].to_numpy(float)
        weight = weight / weight.max() if len(weight) and weight.max() > 0 else weight
        rows = np.column_stack([lat, lon, np.round(weight, 3)]).tolist()
        folium.plugins.HeatMap(rows, name=labels.uncovered_demand, radius=12, blur=10, min_opacity=0.3).add_to(m)
    else:
        callback = ("function (row) { return L.circleMarker(new L.LatLng(row[0], row[1]),"
                    " {radius: 4, color: '#b2182b', weight: 1, fillOpacity: 0.7}); }")
        folium.plugins.FastMarkerCluster(
            np.column_stack([lat, lon]).tolist(), name=labels.uncovered_demand, callback=callback
        ).add_to(m)


def build_map(
    communities: gpd.GeoDataFrame,
    labels: MapLabels,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    facility_icons: Mapping[str, Mapping[str, str]] | None = None,
    basemap: BaseMap = NO_BASEMAP,
    tianditu_key: str = "",
    demand_style: str = "heat",
    width_px: int = 1000,
    assets_url: str | None = None,
) -> folium.Map:
    """The coverage map: communities by covered share, facilities, new sites, gaps, walk areas.

    Parameters
    ----------
    communities
        Polygons with ``name`` and ``covered_share`` (0–1), any CRS.
    labels
        Layer names, legend and tooltip words in the user's language.
    facilities
        Existing facilities: points with ``type`` and ``name``.
    sites
        Chosen sites: points with ``type`` and ``id``; drawn with the type's icon on a dark marker.
    demand
        Demand points with ``weight`` and ``covered``; the uncovered ones are drawn.
    isochrones
        Walking-time polygons with ``minutes`` (from the coverage engine).
    facility_icons
        Facility type → ``{"icon": Font Awesome name, "color": marker colour}`` from the catalogue;
        unknown types get a grey circle.
    basemap, tianditu_key
        Base map (see :func:`planning.outputs.maps.basemaps.resolve_basemap`); overlays follow its datum.
    demand_style
        ``"heat"`` (weighted heat map) or ``"cluster"`` (clustered dots).
    width_px
        Expected map width; sets how much geometry detail is kept.
    assets_url
        Where the vendored ``vendor`` folder is served; default Streamlit's ``/app/static/vendor``.
        :func:`planning.outputs.maps.assets.standalone_html` inlines the files instead.

    Raises
    ------
    PlanningError
        A layer lacks its columns or CRS, or there are no communities.
    """
    check_layer(communities, "communities")
    if communities.empty:
        raise PlanningError("map_empty")
    bounds = tuple(communities.to_crs(4326).total_bounds)
    tolerance = view_tolerance_deg(bounds, width_px)
    decimals = decimals_for(tolerance)
    m = _new_map(basemap, tianditu_key)

    def prepared(layer: gpd.GeoDataFrame, kind: str, simplify: bool) -> gpd.GeoDataFrame:
        check_layer(layer, kind)
        return to_map_coords(layer, basemap.datum, tolerance if simplify else 0.0, decimals)

    if isochrones is not None:
        _add_isochrones(m, prepared(isochrones, "isochrones", True), labels)
    _add_communities(m, prepared(communities, "communities", True), labels)
    if demand is not None:
        _add_demand(m, prepared(demand, "demand", False), labels, demand_style)
    if facilities is not None:
        _add_points(m, prepared(facilities, "facilities", False), labels.facilities, facility_icons or {}, "name")
    if sites is not None:
        _add_points(m, prepared(sites, "sites", False), labels.sites, facility_icons or {}, "id", SITE_MARKER_COLOR)
    attribution = DATA_ATTRIBUTION if basemap.key != "osm" else ""
    _MapControl(_legend_html(labels.covered_share, coverage_legend_rows()[::-1]), attribution).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    west, south, east, north = to_map_coords(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy([bounds[0], bounds[2]], [bounds[1], bounds[3]]), crs=4326),
        basemap.datum,
    ).total_bounds
    m.fit_bounds([[south, west], [north, east]])
    return localize(m, assets_url if assets_url is not None else streamlit_vendor_url())
