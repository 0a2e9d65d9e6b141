"""Interactive coverage maps (folium/Leaflet) that work offline and on Chinese base maps.

Every map built here loads its scripts from the vendored copies (:mod:`planning.outputs.maps.assets`), draws
its overlays in the datum of the chosen base map (GCJ-02 for 高德) and carries geometry thinned to
what the screen can show, so 10 000 demand points and 200 communities stay quick.
"""
from __future__ import annotations

from collections.abc import Mapping
from html import escape

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from planning.base.errors import PlanningError
from planning.base.formatting import share_text
from planning.outputs.maps.assets import localize, streamlit_vendor_url
from planning.outputs.maps.basemaps import NO_BASEMAP, BaseMap
from planning.outputs.maps.layers import (
    COVERAGE_COLORS,
    HEAT_GRADIENT,
    MapLabels,
    check_layer,
    coverage_class,
    coverage_legend_rows,
    decimals_for,
    feature_collection,
    isochrone_colors,
    to_map_coords,
    view_tolerance_deg,
)

DATA_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
OFFLINE_BACKGROUND = "#f4f3ef"
UNKNOWN_COLOR = "#bdbdbd"  # a community whose covered share cannot be computed (nobody served lives there)
SITE_MARKER_COLOR = "black"
_FALLBACK_ICON = {"icon": "circle", "color": "gray"}
LEGEND_FOLD_BELOW_PX = 500  # a map narrower than this (a phone) starts with the legend folded


class _MapControl(MacroElement):
    """A snippet of HTML shown as a Leaflet control, plus an attribution line.

    A ``<details>`` legend starts folded on a narrow map (a phone) so it hides no part of the
    area until it is opened; it never grows taller than the map (it scrolls instead).
    """

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
                var size = map.getSize(), details = div.querySelector("details");
                if (details && size.x < {{ this.fold_below_px }}) { details.open = false; }
                div.style.maxHeight = Math.max(size.y - 50, 80) + "px";
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
            {% if this.bounds %}
            // the area beside an open legend, not under it
            setTimeout(function () {
                var legend = control.getContainer(), details = legend.querySelector("details");
                var right = details && details.open ? legend.offsetWidth + 10 : 0;
                map.fitBounds({{ this.bounds|tojson }}, {paddingBottomRight: [right, 0]});
            }, 0);
            {% endif %}
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str = "", attribution: str = "", position: str = "bottomright",
                 fold_below_px: int = LEGEND_FOLD_BELOW_PX, bounds: list | None = None) -> None:
        super().__init__()
        self._name = "MapControl"
        self.html, self.attribution, self.position, self.fold_below_px = html, attribution, position, fold_below_px
        self.bounds = bounds  # [[south, west], [north, east]]: shown beside the legend when it is open


class _CommunityLabels(MacroElement):
    """Community names on the map, readable on a phone: 13 px with a white halo, in a pane of
    their own that ignores clicks; after every zoom or pan a label that would overlap one already
    shown (larger communities first) or run off the map is hidden, so a 390 px wide screen shows
    fewer names, never a pile of them. Names are set as text, never as HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pane = map.createPane("planningLabels");
            pane.style.zIndex = 550;
            pane.style.pointerEvents = "none";
            var markers = {{ this.labels|tojson }}.map(function (item) {
                var text = document.createElement("span");
                text.className = "planning-label";
                text.textContent = item[2];
                var icon = L.divIcon({className: "planning-label-icon", html: text, iconSize: null});
                return L.marker([item[0], item[1]], {icon: icon, pane: "planningLabels", interactive: false,
                                                     keyboard: false}).addTo(map);
            });
            function declutter() {
                // read every box first, then hide: one layout for all labels, not one per label
                var frame = map.getContainer().getBoundingClientRect(), shown = [];
                var boxes = markers.map(function (marker) {
                    var element = marker.getElement();
                    return element ? [element, element.firstChild.getBoundingClientRect()] : null;
                });
                boxes.forEach(function (item) {
                    if (!item) { return; }
                    var box = item[1];
                    var inside = box.left >= frame.left && box.right <= frame.right && box.top >= frame.top
                        && box.bottom <= frame.bottom;
                    var clash = shown.some(function (other) {
                        return box.left < other.right && other.left < box.right && box.top < other.bottom
                            && other.top < box.bottom;
                    });
                    item[0].style.visibility = inside && !clash ? "visible" : "hidden";
                    if (inside && !clash) { shown.push(box); }
                });
            }
            map.on("zoomend moveend resize", declutter);
            map.whenReady(function () { setTimeout(declutter, 0); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list]) -> None:
        super().__init__()
        self._name = "CommunityLabels"
        self.labels = labels


_MAP_CSS = """
<style>
  .planning-legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
      font: 12px/1.5 sans-serif; box-shadow: 0 0 4px rgba(0,0,0,.3); overflow-y: auto; max-width: 260px; }
  .planning-legend summary { cursor: pointer; font-weight: bold; }
  .planning-legend .pl-title { font-weight: bold; margin-top: 4px; }
  .planning-legend .pl-row { display: flex; align-items: center; gap: 6px; min-height: 18px; }
  .planning-legend .pl-swatch { flex: none; width: 14px; height: 14px; opacity: .8; border: 1px solid #555; }
  .planning-legend .pl-line { flex: none; width: 18px; height: 0; border-top: 3px solid; }
  .planning-legend .pl-dot { flex: none; width: 8px; height: 8px; margin: 0 5px; border-radius: 50%;
      background: #b2182b; opacity: .8; border: 1px solid #b2182b; }
  .planning-legend .pl-bar { flex: none; width: 80px; height: 10px; border: 1px solid #555; }
  .planning-legend .pl-note { color: #333; font-size: 11px; }
  .planning-legend .pl-marker { flex: none; position: relative; width: 18px; height: 23px; overflow: hidden; }
  .planning-legend .pl-marker .awesome-marker { position: absolute; left: 0; top: 0; margin: 0;
      transform: scale(.5); transform-origin: 0 0; }
  .planning-legend .pl-cluster { flex: none; width: 18px; height: 18px; border-radius: 50%; font-size: 10px;
      line-height: 18px; text-align: center; background: rgba(181, 226, 140, .8); }
  .planning-label-icon { background: none; border: none; }
  .planning-label { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
      font: 600 13px/1.2 sans-serif; color: #111;
      text-shadow: 0 0 2px #fff, 0 0 3px #fff, 1px 1px 0 #fff, -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff; }
</style>
"""


def _row(symbol: str, text: str) -> str:
    return f'<div class="pl-row">{symbol}<span>{escape(text)}</span></div>'


def _section(title: str, rows: list[str]) -> str:
    return f'<div class="pl-title">{escape(title)}</div>' + "".join(rows) if rows else ""


def _marker_symbol(style: Mapping[str, str], color: str | None = None) -> str:
    """The map's own marker (awesome-markers sprite and Font Awesome icon), at half size."""
    return (f'<span class="pl-marker"><span class="awesome-marker awesome-marker-icon-{escape(color or style["color"])}">'
            f'<i class="fa fa-{escape(style["icon"])} icon-white"></i></span></span>')


def _legend_html(labels: MapLabels, *, unknown: bool, facility_types: list[str], site_types: list[str],
                 icons: Mapping[str, Mapping[str, str]], type_names: Mapping[str, str], demand_style: str | None,
                 walk_minutes: list[float]) -> str:
    """A legend entry for every symbol on the map: fills, facility icons per type, new sites,
    uncovered residents (the heat layer's colour bar, or dots and clusters) and walking areas."""
    fills = [_row(f'<span class="pl-swatch" style="background:{c}"></span>', text)
             for c, text in coverage_legend_rows()[::-1]]
    if unknown:
        fills.append(_row(f'<span class="pl-swatch" style="background:{UNKNOWN_COLOR}"></span>', labels.unknown))
    parts = [_section(labels.covered_share, fills)]
    parts.append(_section(labels.facilities, [_row(_marker_symbol(icons.get(k, _FALLBACK_ICON)), type_names.get(k, k))
                                              for k in facility_types]))
    parts.append(_section(labels.sites, [_row(_marker_symbol(icons.get(k, _FALLBACK_ICON), SITE_MARKER_COLOR),
                                              type_names.get(k, k)) for k in site_types]))
    if demand_style == "heat":
        stops = ", ".join(f"{colour} {share * 100:g}%" for share, colour in HEAT_GRADIENT.items())
        bar = f'<span class="pl-bar" style="background:linear-gradient(to right, {stops})"></span>'
        parts.append(_section(labels.uncovered_demand, [
            f'<div class="pl-row"><span>{escape(labels.few)}</span>{bar}<span>{escape(labels.many)}</span></div>',
            f'<div class="pl-note">{escape(labels.heat_note)}</div>']))
    elif demand_style is not None:
        parts.append(_section(labels.uncovered_demand, [
            _row('<span class="pl-dot"></span>', labels.uncovered_demand),
            _row('<span class="pl-cluster">12</span>', labels.cluster_note)]))
    colours = isochrone_colors(np.asarray(walk_minutes, float))
    parts.append(_section(labels.isochrones, [
        _row(f'<span class="pl-line" style="border-color:{colours[m]}"></span>', f"{m:g} {labels.minutes}")
        for m in sorted(colours)]))
    return f'<details open><summary>{escape(labels.legend)}</summary>{"".join(parts)}</details>'


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
    # folium gives max_zoom to the tile layer only; without tiles Leaflet then knows no deepest
    # zoom and the clustered residents fail ("Map has no maxZoom specified")
    m.options.update(max_zoom=basemap.max_zoom, min_zoom=0)
    m.get_root().header.add_child(Element(_MAP_CSS))
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


def _add_community_labels(m: folium.Map, layer: gpd.GeoDataFrame) -> None:
    """Each community's name at a point inside it, the largest communities first (they keep their label)."""
    order = layer.index[np.argsort(-shapely.area(layer.geometry.values), kind="stable")]
    points = layer.loc[order].representative_point()
    names = layer.loc[order, "name"].astype(str)
    _CommunityLabels([[round(p.y, 6), round(p.x, 6), n] for p, n in zip(points, names)]).add_to(m)


def _add_communities(m: folium.Map, layer: gpd.GeoDataFrame, labels: MapLabels) -> None:
    data = layer[["name", "covered_share", "geometry"]].copy()
    known = data["covered_share"].notna().to_numpy()
    data["fill"] = np.where(known, np.asarray(COVERAGE_COLORS)[coverage_class(data["covered_share"].fillna(0.0))],
                            UNKNOWN_COLOR)
    data["covered_pct"] = data["covered_share"].map(share_text)  # the same 42.7% as the tables; "—" if unknown
    data["name"] = data["name"].astype(str).map(escape)  # Leaflet shows tooltips as HTML; a name is text
    folium.GeoJson(
        feature_collection(data[["name", "covered_pct", "fill", "geometry"]]),
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
            feature_collection(layer.loc[layer["minutes"] == minutes, ["minutes", "geometry"]]),
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
            [geom.y, geom.x], tooltip=escape(str(label)),
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
        folium.plugins.HeatMap(rows, name=labels.uncovered_demand, radius=12, blur=10, min_opacity=0.3,
                               gradient=HEAT_GRADIENT).add_to(m)
    else:
        callback = ("function (row) { return L.circleMarker(new L.LatLng(row[0], row[1]),"
                    " {radius: 4, color: '#b2182b', weight: 1, fillOpacity: 0.7, className: 'planning-resident'}); }")
        folium.plugins.FastMarkerCluster(
            np.column_stack([lat, lon]).tolist(), name=labels.uncovered_demand, callback=callback
        ).add_to(m)


def _types_of(layer: gpd.GeoDataFrame | None) -> list[str]:
    return [] if layer is None else list(dict.fromkeys(layer["type"].astype(str)))


def build_map(
    communities: gpd.GeoDataFrame,
    labels: MapLabels,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    facility_icons: Mapping[str, Mapping[str, str]] | None = None,
    type_names: Mapping[str, str] | None = None,
    basemap: BaseMap = NO_BASEMAP,
    tianditu_key: str = "",
    demand_style: str = "heat",
    width_px: int = 1000,
    assets_url: str | None = None,
) -> folium.Map:
    """The coverage map: communities by covered share and name, facilities, new sites, gaps, walk areas,
    with a legend entry for every symbol drawn.

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
    type_names
        Facility type → its name in the user's language, for the legend (default: the type key).
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
    areas = prepared(communities, "communities", True)
    _add_communities(m, areas, labels)
    if demand is not None:
        _add_demand(m, prepared(demand, "demand", False), labels, demand_style)
    icons = facility_icons or {}
    if facilities is not None:
        _add_points(m, prepared(facilities, "facilities", False), labels.facilities, icons, "name")
    if sites is not None:
        _add_points(m, prepared(sites, "sites", False), labels.sites, icons, "id", SITE_MARKER_COLOR)
    _add_community_labels(m, areas)
    legend = _legend_html(
        labels, unknown=bool(communities["covered_share"].isna().any()),
        facility_types=_types_of(facilities), site_types=_types_of(sites), icons=icons, type_names=type_names or {},
        demand_style=demand_style if demand is not None and not demand["covered"].astype(bool).all() else None,
        walk_minutes=[] if isochrones is None else isochrones["minutes"].tolist())
    west, south, east, north = to_map_coords(
        gpd.GeoDataFrame(geometry=gpd.points_from_xy([bounds[0], bounds[2]], [bounds[1], bounds[3]]), crs=4326),
        basemap.datum,
    ).total_bounds
    frame = [[float(south), float(west)], [float(north), float(east)]]
    attribution = DATA_ATTRIBUTION if basemap.key != "osm" else ""
    _MapControl(legend, attribution, bounds=frame).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    m.fit_bounds(frame)
    return localize(m, assets_url if assets_url is not None else streamlit_vendor_url())
