"""Report maps: one coverage map per facility type and a scenario's before → after pair, as PNG bytes.

Drawn with :func:`planning.outputs.maps.static.draw_static_map` (north arrow, scale bar, attribution,
colours that survive a black-and-white printer) from the same layers the report's tables use; no
tiles are downloaded. The poster (:mod:`planning.outputs.poster`) draws its plan map with
:func:`scenario_map_pngs`.
"""
from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from planning.areas.build import Area
from planning.base.catalogue import FacilityType
from planning.base.text import catalogue
from planning.coverage.residents import served_weight
from planning.io.projection import utm_crs
from planning.outputs.maps.layers import MapLabels, coverage_legend_rows, isochrone_dash, printed_map_labels
from planning.outputs.maps.static import draw_static_map, tidy_names
from planning.outputs.reports.content import Figure, focus_tier, scenario_type_name
from planning.outputs.reports.data import ReportData
from scenarios.scenario import Scenario, coverage_frame, sites_frame

MAP_WIDTH_INCHES = 7.0
LEGEND_INCHES = 1.3  # room under the map for the legend
MAP_DPI = 130


def _label(key: str, lang: str, **params) -> str:
    return catalogue("report").text(key, lang, **params)


def scenario_legend_texts(scenario: Scenario, lang: str) -> list[str]:
    """Every text of the legend of :func:`scenario_map_pngs` (to measure how wide it is)."""
    labels = map_labels(lang)
    focus = scenario_focus(scenario)
    name = scenario_type_name(scenario, focus[0], lang) if focus else ""
    return [labels.covered_share, labels.sites, f"{labels.facilities}{labels.colon}{name}",
            *(text for _, text in coverage_legend_rows())]


def map_labels(lang: str) -> MapLabels:
    """Legend words of the report maps in ``lang`` (scale bar in 米/公里 in Chinese)."""
    return printed_map_labels(lang)


def map_size_inches(communities: gpd.GeoDataFrame, width: float = MAP_WIDTH_INCHES,
                    legend: float = LEGEND_INCHES) -> tuple[float, float]:
    """Figure size that fits the area's shape: ``width`` inches wide, height by aspect plus the legend."""
    west, south, east, north = communities.to_crs(utm_crs(communities)).total_bounds
    aspect = (north - south) / max(east - west, 1.0)
    return width, min(max(width * aspect, width / 2), width * 1.2) + legend


def _legend_below(fig: MplFigure, columns: int = 4, size: float = 7) -> None:
    """Move the legend from the map's upper-left corner to below the map, in columns, so it hides nothing."""
    ax = fig.axes[0]
    old = ax.get_legend()
    family = old.get_texts()[0].get_fontfamily()
    legend = ax.legend(handles=old.legend_handles, labels=[t.get_text() for t in old.get_texts()],
                       title=old.get_title().get_text(), loc="upper center", bbox_to_anchor=(0.5, -0.01),
                       ncol=columns, title_fontsize=size + 1, frameon=False, prop={"family": family, "size": size})
    legend.get_title().set_family(family)


def _legend_beside(fig: MplFigure, size: float = 7) -> None:
    """Move the legend to the right of the map, one entry a line (a wide area on a tall page)."""
    ax = fig.axes[0]
    old = ax.get_legend()
    family = old.get_texts()[0].get_fontfamily()
    legend = ax.legend(handles=old.legend_handles, labels=[t.get_text() for t in old.get_texts()],
                       title=old.get_title().get_text(), loc="center left", bbox_to_anchor=(1.01, 0.5),
                       title_fontsize=size + 1, frameon=False, prop={"family": family, "size": size})
    legend.get_title().set_family(family)


def map_png(fig: MplFigure, dpi: int = MAP_DPI, columns: int = 4, legend_size: float = 7,
            beside: bool = False) -> bytes:
    """PNG bytes of a map with its legend below (in ``columns``) or, ``beside``, to its right."""
    if beside:
        _legend_beside(fig, legend_size)
    else:
        _legend_below(fig, columns, legend_size)
    tidy_names(fig)  # the legend moved: the map's size and so the room for names changed
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _communities(data: ReportData, ftype: FacilityType) -> gpd.GeoDataFrame:
    table = data.coverage.by_community
    share = table[table["type"] == ftype.key].set_index("community")["covered_at_tier"]
    communities = data.area.communities
    return communities.assign(covered_share=communities["code"].map(share).fillna(0.0).to_numpy())


def type_map(data: ReportData, ftype: FacilityType, lang: str) -> Figure:
    """Communities shaded by coverage at the type's tier, uncovered residents, facilities, walking areas."""
    demand = data.coverage.demand
    layer = gpd.GeoDataFrame({"weight": served_weight(demand, ftype),
                              "covered": demand[f"minutes_to_{ftype.key}"].to_numpy() <= ftype.tier_minutes},
                             geometry=demand.geometry.to_numpy(), crs=demand.crs)
    name = ftype.name(lang)
    facilities = data.area.facilities_of(ftype.key).assign(type=name)
    walks = data.isochrones[data.isochrones["type"] == ftype.key]
    fig = draw_static_map(_communities(data, ftype), map_labels(lang), facilities=facilities,
                          demand=layer[layer["weight"] > 0], isochrones=walks,
                          title=_label("map_title", lang, type=name),
                          size_inches=map_size_inches(data.area.communities))
    caption = _label("map_caption", lang, type=name, tier=f"{ftype.tier_minutes:g}")
    if len(walks):
        caption += _label("map_caption_walks", lang, lines=walk_lines_text(walks["minutes"], lang))
    return Figure(f"map_{ftype.key}", caption, map_png(fig))


def walk_lines_text(minutes: pd.Series, lang: str) -> str:
    """"实线 5 分钟、虚线 10 分钟" — the walking times a map draws, each with its line style."""
    steps = sorted(set(minutes.astype(float)))
    return _label("list_sep", lang).join(
        _label("walk_line", lang, line=_label(f"line_{isochrone_dash(i)[1]}", lang), minutes=f"{m:g}")
        for i, m in enumerate(steps))


# -- a scenario: before → after ------------------------------------------------------------

def scenario_focus(scenario: Scenario) -> tuple[str, int] | None:
    """The facility type and tier the plan map shows: the type most sites are of, at its
    :func:`~planning.outputs.reports.content.focus_tier`; None without sites."""
    if not scenario.sites:
        return None
    kind = pd.Series([s.type for s in scenario.sites]).value_counts().index[0]
    tier = focus_tier(scenario, kind)
    return None if tier is None else (kind, tier)


def scenario_shares(scenario: Scenario, communities: gpd.GeoDataFrame, kind: str, tier: int) -> pd.DataFrame | None:
    """Covered share before and after of each of ``communities`` (matched by name, or by code), or None
    when none of the scenario's communities is one of them (a plan of another area)."""
    rows = coverage_frame(scenario)
    rows = rows[(rows["type"] == kind) & (rows["tier_minutes"] == tier) & rows["community"].notna()]
    people = rows["population"].where(rows["population"] > 0)
    shares = pd.DataFrame({"before": (rows["covered_before"] / people).to_numpy(),
                           "after": (rows["covered_after"] / people).to_numpy()}, index=rows["community"].to_numpy())
    key = next((c for c in ("name", "code") if c in communities and communities[c].astype(str).isin(shares.index).any()),
               None)
    if key is None:
        return None
    return shares.reindex(communities[key].astype(str).to_numpy()).set_axis(communities.index)


def scenario_sites_layer(scenario: Scenario, crs) -> gpd.GeoDataFrame:
    sites = sites_frame(scenario)
    return gpd.GeoDataFrame(sites[["id", "type"]], geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
                            crs=4326).to_crs(crs)


def scenario_map_pngs(area: Area, scenario: Scenario, lang: str, width_inches: float = MAP_WIDTH_INCHES / 2 + 0.4,
                      dpi: int = MAP_DPI, label_size: float = 6.5, legend_size: float = 6.5,
                      legend_inches: float = 1.0, size_inches: tuple[float, float] | None = None,
                      legend_beside: bool = False) -> tuple[bytes, bytes] | None:
    """(before, after) maps of the plan: communities shaded by the covered share of the focus type
    before and after building, existing facilities on both, the new sites on the after map.

    Each is ``width_inches`` wide and as high as the area's shape needs plus ``legend_inches`` of
    legend below (see :func:`map_size_inches`), or ``size_inches`` with the legend ``beside`` the map.
    None when the plan has no sites or its communities are not this area's."""
    focus = scenario_focus(scenario)
    if focus is None:
        return None
    kind, tier = focus
    shares = scenario_shares(scenario, area.communities, kind, tier)
    if shares is None:
        return None
    name = scenario_type_name(scenario, kind, lang)
    labels = map_labels(lang)
    existing = area.facilities_of(kind).assign(type=name) if kind in set(area.facilities["type"]) else None
    size = size_inches or map_size_inches(area.communities, width_inches, legend=legend_inches)
    pngs = []
    for when in ("before", "after"):
        layer = area.communities.assign(covered_share=shares[when].to_numpy())
        fig = draw_static_map(layer, labels, facilities=existing,
                              sites=scenario_sites_layer(scenario, area.crs) if when == "after" else None,
                              title=_label(f"map_scenario_{when}", lang, type=name, tier=tier),
                              size_inches=size, label_size=label_size)
        pngs.append(map_png(fig, dpi, columns=2, legend_size=legend_size, beside=legend_beside))
    return pngs[0], pngs[1]


def scenario_figures(data: ReportData, lang: str) -> list[Figure]:
    """The plan's before → after pair (two half-width figures), or its sites over the before-coverage
    when the plan's communities are not this area's; nothing when no site lies in the area."""
    points = scenario_sites_layer(data.scenario, data.area.crs)
    if not points.within(data.area.communities.union_all().envelope).any():
        return []
    pair = scenario_map_pngs(data.area, data.scenario, lang)
    focus = scenario_focus(data.scenario)
    if pair is not None and focus is not None:
        name = scenario_type_name(data.scenario, focus[0], lang)
        caption = _label("map_scenario_caption", lang, type=name, tier=focus[1])
        return [Figure("map_scenario_before", "", pair[0], half=True),
                Figure("map_scenario_after", caption, pair[1], half=True)]
    kinds = points["type"].value_counts()
    ftype = next((t for t in data.types if t.key in kinds.index), data.types[0])
    fig = draw_static_map(_communities(data, ftype), map_labels(lang), sites=points,
                          title=_label("map_scenario_title", lang, name=data.scenario.name),
                          size_inches=map_size_inches(data.area.communities))
    return [Figure("map_scenario", _label("map_scenario_sites_caption", lang, type=ftype.name(lang)), map_png(fig))]


def report_figures(data: ReportData, lang: str) -> dict[str, Figure]:
    """Every map of the report by key (``map_<type>`` for types with facilities, ``map_scenario*``).

    Raises
    ------
    PlanningError
        ``static_map_no_cjk_font`` when no font can draw the Chinese names.
    """
    figures = {f"map_{t.key}": type_map(data, t, lang) for t in data.types if t.key in data.present}
    if data.scenario is not None:
        figures.update({f.key: f for f in scenario_figures(data, lang)})
    return figures
