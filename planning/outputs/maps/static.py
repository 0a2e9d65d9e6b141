"""Static coverage maps (matplotlib) for reports and README images, drawn without any network.

Same layers and colours as the web map (:mod:`planning.outputs.maps.layers`), drawn in a metric (UTM)
projection so the scale bar is true, with a north arrow, a legend and the data attribution.
Chinese text needs a CJK font; :func:`cjk_font_family` finds one (``fonts-noto-cjk`` on Debian).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import font_manager, patheffects
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from planning.base.errors import PlanningError
from planning.io.projection import utm_crs
from planning.outputs.maps.layers import (
    COVERAGE_COLORS,
    FACILITY_STYLE,
    ISOCHRONE_PRINT_COLOR,
    RESIDENT_STYLE,
    SITE_STYLE,
    MapLabels,
    PointStyle,
    check_layer,
    coverage_class,
    coverage_legend_rows,
    isochrone_dash,
)

ATTRIBUTION = "© OpenStreetMap contributors"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Microsoft YaHei", "SimHei", "PingFang SC", "Noto Serif CJK SC")
FACILITY_MARKERS = ("s", "D", "^", "p", "h", "v")  # one shape per facility type on a map
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # text stays legible on any fill
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


def _scale_bar(ax: Axes, bounds: np.ndarray, labels: MapLabels, family: list[str]) -> None:
    """A black-and-white bar of a round length, labelled in the map's language (500 米, 1 公里)."""
    west, south, east, north = bounds
    length = _nice_length_m(east - west)
    x0, y0, h = west + 0.04 * (east - west), south + 0.04 * (north - south), 0.012 * (north - south)
    ax.add_patch(Rectangle((x0, y0), length, h, facecolor="black", edgecolor="black"))
    ax.add_patch(Rectangle((x0 + length / 2, y0), length / 2, h, facecolor="white", edgecolor="black"))
    text = f"{length / 1000:g} {labels.kilometres}" if length >= 1000 else f"{length:g} {labels.metres}"
    ax.text(x0 + length, y0 + 2 * h, text, ha="right", va="bottom", fontsize=8, family=family, path_effects=_HALO)


def _north_arrow(ax: Axes, labels: MapLabels, family: list[str]) -> None:
    ax.annotate(labels.north, xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center",
                va="center", fontsize=11, fontweight="bold", family=family,
                arrowprops={"facecolor": "black", "width": 4, "headwidth": 10})


def _frame(bounds: np.ndarray, pad: float = 0.03) -> tuple[float, float, float, float]:
    """The map frame: the communities' extent and a small margin (metres)."""
    west, south, east, north = bounds
    dx, dy = (east - west) * pad, (north - south) * pad
    return west - dx, south - dy, east + dx, north + dy


def _point_kwargs(style: PointStyle, marker: str | None = None) -> dict:
    return {"marker": marker or style.marker, "color": style.fill, "edgecolor": style.edge,
            "markersize": style.size, "linewidth": style.edge_width}


def _legend_point(style: PointStyle, label: str, marker: str | None = None) -> Line2D:
    return Line2D([], [], linestyle="", marker=marker or style.marker, markerfacecolor=style.fill,
                  markeredgecolor=style.edge, markeredgewidth=style.edge_width,
                  markersize=max(np.sqrt(style.size), 4.0), label=label)


def draw_static_map(
    communities: gpd.GeoDataFrame,
    labels: MapLabels,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    demand: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    title: str = "",
    size_inches: tuple[float, float] = (8.0, 8.0),
    label_size: float = 8.0,
) -> Figure:
    """The coverage map as a matplotlib figure (save with ``fig.savefig(path, dpi=150)``), made for paper.

    Parameters are those of :func:`planning.outputs.maps.webmap.build_map`. Everything stays readable in
    black and white: communities in a sequential palette (:data:`~planning.outputs.maps.layers.COVERAGE_COLORS`),
    uncovered residents as black dots, facilities as white shapes with a black rim (one shape per type),
    new sites as stars, walking areas as dashed lines clipped to the frame. Layers may be in any CRS;
    the map is drawn in the communities' UTM zone. ``label_size``: points of the community names.

    Raises
    ------
    PlanningError
        A layer lacks its columns or CRS, there are no communities, or labels are Chinese and no
        CJK font is installed.
    """
    check_layer(communities, "communities")
    if communities.empty:
        raise PlanningError("map_empty")
    crs = utm_crs(communities.to_crs(4326))  # as before: the zone of the extent in degrees
    fig = Figure(figsize=size_inches, layout="constrained")
    ax = fig.add_subplot()
    family = _font_family([title, *vars(labels).values(), *communities["name"].astype(str)])
    handles: list[Artist] = []

    areas = communities.to_crs(crs)
    frame = _frame(areas.total_bounds)
    shares = areas["covered_share"].fillna(0.0)
    areas.plot(ax=ax, color=np.asarray(COVERAGE_COLORS)[coverage_class(shares)], edgecolor="#404040", linewidth=0.6)
    handles += [Patch(facecolor=c, edgecolor="#404040", label=t) for c, t in coverage_legend_rows()[::-1]]
    if isochrones is not None:
        check_layer(isochrones, "isochrones")
        walk = isochrones.to_crs(crs)
        lines = gpd.GeoSeries(shapely.clip_by_rect(walk.boundary.to_numpy(), *frame), crs=crs)
        for i, minutes in enumerate(sorted(set(walk["minutes"].astype(float)))):
            dash, _ = isochrone_dash(i)
            lines[(walk["minutes"] == minutes).to_numpy()].plot(ax=ax, color=ISOCHRONE_PRINT_COLOR, linewidth=1.1,
                                                                linestyle=dash)
            handles.append(Line2D([], [], color=ISOCHRONE_PRINT_COLOR, linestyle=dash,
                                  label=f"{labels.isochrones} {minutes:g} {labels.minutes}"))
    if demand is not None:
        check_layer(demand, "demand")
        gaps = demand[~demand["covered"].astype(bool)].to_crs(crs)
        gaps.plot(ax=ax, **_point_kwargs(RESIDENT_STYLE))
        handles.append(_legend_point(RESIDENT_STYLE, labels.uncovered_demand))
    if facilities is not None:
        check_layer(facilities, "facilities")
        for i, (kind, group) in enumerate(facilities.to_crs(crs).groupby("type", sort=False)):
            shape = FACILITY_MARKERS[i % len(FACILITY_MARKERS)]
            group.plot(ax=ax, **_point_kwargs(FACILITY_STYLE, shape))
            handles.append(_legend_point(FACILITY_STYLE, f"{labels.facilities}{labels.colon}{kind}", shape))
    if sites is not None:
        check_layer(sites, "sites")
        sites.to_crs(crs).plot(ax=ax, **_point_kwargs(SITE_STYLE))
        handles.append(_legend_point(SITE_STYLE, labels.sites))
    names: list[Text] = []
    if len(areas) <= MAX_NAMED_COMMUNITIES:
        for point, name in zip(areas.representative_point(), areas["name"].astype(str)):
            # a name is text: "$…$" in it is not TeX math (a bad formula would stop the report)
            names.append(ax.text(point.x, point.y, name, ha="center", va="center", fontsize=label_size,
                                 family=family, color="#111", path_effects=_HALO, clip_on=True, parse_math=False))

    ax.set_xlim(frame[0], frame[2])
    ax.set_ylim(frame[1], frame[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas labels projected axes "Easting [metre]": not words for a reader
    ax.set_ylabel("")
    for spine in ax.spines.values():  # the neat line every printed map has
        spine.set_linewidth(1.0)
    _scale_bar(ax, np.asarray(frame), labels, family)
    _north_arrow(ax, labels, family)
    ax.text(0.99, 0.01, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    legend = ax.legend(handles=handles, title=labels.covered_share, loc="upper left", fontsize=7, title_fontsize=8,
                       framealpha=0.9, prop={"family": family, "size": 7})
    legend.get_title().set_family(family)
    if title:  # a figure title keeps its own room at the top however the layout fits the map's shape
        fig.suptitle(title, family=family, fontsize="large", parse_math=False)  # a plan's name, as text
    fig._community_names = [(text, text.get_position(), weight)  # for tidy_names once the layout is final
                            for text, weight in zip(names, areas.area.to_numpy())]
    tidy_names(fig)
    return fig


def tidy_names(fig: Figure, pad_px: float = 2.0) -> None:
    """Community names that stay whole and apart: a name running past the map frame is moved inside it,
    and where two names (or a name and the legend, scale bar, north arrow or attribution) would overlap,
    the smaller community's name is left out, as the web map does until zoomed in. Call again after
    moving the legend or resizing the figure (:func:`draw_static_map` calls it once)."""
    names = getattr(fig, "_community_names", [])
    if not names:
        return
    for text, position, _ in names:
        text.set_position(position)
        text.set_visible(True)
    ax = names[0][0].axes
    texts = {id(text) for text, _, _ in names}
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # the constrained layout fixes the axes, so the names' extents are final
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    obstacles = [*(t for t in ax.texts if id(t) not in texts), *(p for p in ax.patches if isinstance(p, Rectangle)),
                 *(legend for legend in [ax.get_legend(), *fig.legends] if legend is not None)]
    taken = [artist.get_window_extent(renderer).padded(pad_px) for artist in obstacles if artist.get_visible()]
    to_data = ax.transData.inverted()
    for text, _, _ in sorted(names, key=lambda name: -name[2]):
        box = text.get_window_extent(renderer)
        dx = max(frame.x0 + pad_px - box.x0, 0.0) + min(frame.x1 - pad_px - box.x1, 0.0)
        dy = max(frame.y0 + pad_px - box.y0, 0.0) + min(frame.y1 - pad_px - box.y1, 0.0)
        if dx or dy:
            x, y = ax.transData.transform(text.get_position())
            text.set_position(to_data.transform((x + dx, y + dy)))
            box = box.translated(dx, dy)
        box = box.padded(pad_px)
        if any(box.overlaps(other) for other in taken):
            text.set_visible(False)
        else:
            taken.append(box)
