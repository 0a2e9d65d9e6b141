"""Report maps: one coverage map per facility type and one of a scenario's sites, as PNG bytes.

Drawn with :func:`planning.outputs.maps.static.draw_static_map` (north arrow, scale bar, attribution)
from the same layers the report's tables use; no tiles are downloaded.
"""
from __future__ import annotations

import io

import geopandas as gpd
from matplotlib.figure import Figure as MplFigure

from planning.base.catalogue import FacilityType
from planning.coverage.residents import served_weight
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.static import draw_static_map
from planning.outputs.reports.content import Figure, label
from planning.outputs.reports.data import ReportData
from scenarios.scenario import sites_frame

MAP_WIDTH_INCHES = 7.0
LEGEND_INCHES = 1.3  # room under the map for the legend
MAP_DPI = 130


def map_labels(lang: str) -> MapLabels:
    """Legend words of the report maps in ``lang``."""
    keys = ("communities", "covered_share", "facilities", "sites", "uncovered", "isochrones", "minutes")
    return MapLabels(*(label(f"map_{k}", lang) for k in keys))


def map_size_inches(communities: gpd.GeoDataFrame) -> tuple[float, float]:
    """Figure size that fits the area's shape: 7 inches wide, height by aspect (3.5–8.5 in) plus the legend."""
    west, south, east, north = communities.to_crs(communities.estimate_utm_crs()).total_bounds
    aspect = (north - south) / max(east - west, 1.0)
    return MAP_WIDTH_INCHES, min(max(MAP_WIDTH_INCHES * aspect, 3.5), 8.5) + LEGEND_INCHES


def _legend_below(fig: MplFigure) -> None:
    """Move the legend from the map's upper-left corner to below the map, in columns, so it hides nothing."""
    ax = fig.axes[0]
    old = ax.get_legend()
    family = old.get_texts()[0].get_fontfamily()
    legend = ax.legend(handles=old.legend_handles, labels=[t.get_text() for t in old.get_texts()],
                       title=old.get_title().get_text(), loc="upper center", bbox_to_anchor=(0.5, -0.01),
                       ncol=4, fontsize=7, title_fontsize=8, frameon=False, prop={"family": family, "size": 7})
    legend.get_title().set_family(family)


def _png(fig: MplFigure) -> bytes:
    _legend_below(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=MAP_DPI)
    return buffer.getvalue()


def _communities(data: ReportData, ftype: FacilityType) -> gpd.GeoDataFrame:
    table = data.coverage.by_community
    share = table[table["type"] == ftype.key].set_index("community")["covered_at_tier"]
    communities = data.area.communities
    return communities.assign(covered_share=communities["code"].map(share).fillna(0.0).to_numpy())


def type_map(data: ReportData, ftype: FacilityType, lang: str) -> Figure:
    """Communities coloured by coverage at the type's tier, uncovered residents, facilities, walking areas."""
    demand = data.coverage.demand
    layer = gpd.GeoDataFrame({"weight": served_weight(demand, ftype),
                              "covered": demand[f"minutes_to_{ftype.key}"].to_numpy() <= ftype.tier_minutes},
                             geometry=demand.geometry.to_numpy(), crs=demand.crs)
    name = ftype.name(lang)
    facilities = data.area.facilities_of(ftype.key).assign(type=name)
    fig = draw_static_map(_communities(data, ftype), map_labels(lang), facilities=facilities,
                          demand=layer[layer["weight"] > 0],
                          isochrones=data.isochrones[data.isochrones["type"] == ftype.key],
                          facility_icons={name: {"color": ftype.color}},
                          title=label("map_title", lang, type=name),
                          size_inches=map_size_inches(data.area.communities))
    return Figure(f"map_{ftype.key}", label("map_caption", lang, type=name, tier=f"{ftype.tier_minutes:g}"), _png(fig))


def scenario_map(data: ReportData, lang: str) -> Figure | None:
    """The scenario's sites over the area, or None when none lies inside the area."""
    sites = sites_frame(data.scenario)
    points = gpd.GeoDataFrame(sites[["id", "type"]], geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                              crs=4326).to_crs(data.area.crs)
    inside = points[points.within(data.area.communities.union_all().envelope)]
    if inside.empty:
        return None
    kinds = inside["type"].value_counts()
    ftype = next((t for t in data.types if t.key in kinds.index), data.types[0])
    fig = draw_static_map(_communities(data, ftype), map_labels(lang), sites=inside,
                          title=label("map_scenario_title", lang, name=data.scenario.name),
                          size_inches=map_size_inches(data.area.communities))
    return Figure("map_scenario", label("map_scenario_caption", lang, type=ftype.name(lang)), _png(fig))


def report_figures(data: ReportData, lang: str) -> dict[str, Figure]:
    """Every map of the report by key (``map_<type>`` for types with facilities, ``map_scenario``).

    Raises
    ------
    PlanningError
        ``static_map_no_cjk_font`` when no font can draw the Chinese names.
    """
    figures = {f"map_{t.key}": type_map(data, t, lang) for t in data.types if t.key in data.present}
    if data.scenario is not None:
        site_map = scenario_map(data, lang)
        if site_map is not None:
            figures["map_scenario"] = site_map
    return figures
