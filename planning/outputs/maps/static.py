"""Static coverage maps (matplotlib) for reports and README images, drawn without any network.

Same layers and colours as the web map (:mod:`planning.outputs.maps.layers`), drawn in a metric (UTM)
projection so the scale bar is true, with a north arrow, a legend and the data attribution.
Chinese text needs a CJK font; :func:`cjk_font_family` finds one (``fonts-noto-cjk`` on Debian).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from planning.base.errors import PlanningError
from planning.outputs.maps.layers import (
    COVERAGE_COLORS,
    MapLabels,
    check_layer,
    coverage_class,
    coverage_legend_rows,
    isochrone_colors,
)

ATTRIBUTION = "© OpenStreetMap contributors"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Noto Serif CJK SC")
# Leaflet.awesome-markers colour names matplotlib does not know.
_MARKER_COLORS = {"darkpurple": "#5b396b", "lightred": "#eb7d7f", "lightgray": "#a3a3a3"}
MAX_NAMED_COMMUNITIES = 60  # more names than this make the map unreadable
_CJK_FILE = re.compile(r"cjk|wqy|sourcehan|yahei|simhei|pingfang", re.IGNORECASE)
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _known_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@lru_cache(maxsize=1)
def cjk_font_family() -> str | None:
    """Name of an installed font with Chinese glyphs, or None.

    Fonts installed after matplotlib built its font cache are not in it, so on a miss the
    system font folders are searched once for CJK font files.
    """
    if _known_cjk_font() is None:
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(Path(path).name):
                font_manager.fontManager.addfont(path)
    return _known_cjk_font()


def _font_family(texts: list[str]) -> list[str]:
    cjk = cjk_font_family()
    if cjk is None and any(_CJK.search(t) for t in texts):
        raise PlanningError("static_map_no_cjk_font")
    return [cjk, "DejaVu Sans"] if cjk else ["DejaVu Sans"]


def _nice_length_m(span_m: float) -> float:
    """1, 2 or 5 × 10ⁿ metres, about a fifth of the map width."""
    target = span_m / 5.0
    power = 10 ** np.floor(np.log10(target))
    return float(max(s * power for s in (1, 2, 5) if s * power <= target))


def _scale_bar(ax: Axes, bounds: np.ndarray) -> None:
    west, south, east, north = bounds
    length = _nice_length_m(east - west)
    x0, y0, h = west + 0.04 * (east - west), south + 0.04 * (north - south), 0.012 * (north - south)
    ax.add_patch(Rectangle((x0, y0), length, h, facecolor="black", edgecolor="black"))
    ax.add_patch(Rectangle((x0 + length / 2, y0), length / 2, h, facecolor="white", edgecolor="black"))
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length, y0 + 2 * h, text, ha="right", va="bottom", fontsize=8)


def _north_arrow(ax: Axes) -> None:
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center", va="center",
                fontsize=11, fontweight="bold", arrowprops={"facecolor": "black", "width": 4, "headwidth": 10})


def _marker_color(name: str) -> str:
    return _MARKER_COLORS.get(name, name)


def draw_static_map(
    communities: gpd.GeoDataFrame,
    labels: MapLabels,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    facility_icons: Mapping[str, Mapping[str, str]] | None = None,
    title: str = "",
    size_inches: tuple[float, float] = (8.0, 8.0),
) -> Figure:
    """The coverage map as a matplotlib figure (save with ``fig.savefig(path, dpi=150)``).

    Parameters are those of :func:`planning.outputs.maps.webmap.build_map`; facility types are told apart by
    the catalogue colour. Layers may be in any CRS; the map is drawn in the communities' UTM zone.

    Raises
    ------
    PlanningError
        A layer lacks its columns or CRS, there are no communities, or labels are Chinese and no
        CJK font is installed.
    """
    check_layer(communities, "communities")
    if communities.empty:
        raise PlanningError("map_empty")
    crs = communities.to_crs(4326).estimate_utm_crs()
    icons = facility_icons or {}
    fig = Figure(figsize=size_inches, layout="constrained")
    ax = fig.add_subplot()
    family = _font_family([title, *vars(labels).values(), *communities["name"].astype(str)])
    handles: list[Artist] = []

    areas = communities.to_crs(crs)
    areas.plot(ax=ax, color=np.asarray(COVERAGE_COLORS)[coverage_class(areas["covered_share"])],
               edgecolor="#444", linewidth=0.5, alpha=0.75)
    if len(areas) <= MAX_NAMED_COMMUNITIES:
        for point, name in zip(areas.representative_point(), areas["name"].astype(str)):
            ax.text(point.x, point.y, name, ha="center", va="center", fontsize=6, family=family, color="#222")
    handles += [Patch(facecolor=c, edgecolor="#444", label=t) for c, t in coverage_legend_rows()[::-1]]
    if isochrones is not None:
        check_layer(isochrones, "isochrones")
        walk = isochrones.to_crs(crs)
        for minutes, colour in isochrone_colors(walk["minutes"]).items():
            walk[walk["minutes"] == minutes].boundary.plot(ax=ax, color=colour, linewidth=1.2)
            handles.append(Line2D([], [], color=colour, label=f"{labels.isochrones} {minutes:g} {labels.minutes}"))
    if demand is not None:
        check_layer(demand, "demand")
        gaps = demand[~demand["covered"].astype(bool)].to_crs(crs)
        gaps.plot(ax=ax, color="#b2182b", markersize=2, alpha=0.5)
        handles.append(Line2D([], [], color="#b2182b", marker=".", linestyle="", label=labels.uncovered_demand))
    if facilities is not None:
        check_layer(facilities, "facilities")
        existing = facilities.to_crs(crs)
        for kind, group in existing.groupby("type"):
            colour = _marker_color(icons.get(kind, {}).get("color", "gray"))
            group.plot(ax=ax, color=colour, markersize=40, marker="o", edgecolor="white", linewidth=0.8)
            handles.append(Line2D([], [], color=colour, marker="o", linestyle="", label=f"{labels.facilities}: {kind}"))
    if sites is not None:
        check_layer(sites, "sites")
        sites.to_crs(crs).plot(ax=ax, color="black", markersize=120, marker="*", edgecolor="white", linewidth=0.6)
        handles.append(Line2D([], [], color="black", marker="*", markersize=10, linestyle="", label=labels.sites))

    bounds = areas.total_bounds
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, bounds)
    _north_arrow(ax)
    ax.text(0.99, 0.01, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none"})
    legend = ax.legend(handles=handles, title=labels.covered_share, loc="upper left", fontsize=7, title_fontsize=8,
                       framealpha=0.9, prop={"family": family, "size": 7})
    legend.get_title().set_family(family)
    if title:
        ax.set_title(title, family=family)
    return fig
