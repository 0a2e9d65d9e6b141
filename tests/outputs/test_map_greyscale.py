"""Printed maps survive a black-and-white printer: symbols and fills keep distinct grey values, lines stay in the frame."""
from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PIL import Image

from planning.outputs.maps.layers import COVERAGE_COLORS, FACILITY_STYLE, RESIDENT_STYLE
from planning.outputs.maps.static import draw_static_map
from planning.outputs.reports.maps import map_labels, map_png
from tests.support.data import OUTPUT

CRS = 32650  # metres
CELL = 400.0
X0, Y0 = 660_000.0, 3_340_000.0
DPI = 150


def _grey(hex_colour: str) -> float:
    """ITU-R 601 luma, as a greyscale printer (and PIL's "L") reduces a colour."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _layers():
    shares = [0.1, 0.3, 0.5, 0.7, 0.9]  # one community in each class
    cells = [shapely.box(X0 + i * CELL, Y0, X0 + (i + 1) * CELL, Y0 + CELL) for i in range(5)]
    communities = gpd.GeoDataFrame({"name": [f"C{i}" for i in range(5)], "covered_share": shares},
                                   geometry=cells, crs=CRS)
    facility = gpd.GeoDataFrame({"type": ["诊所"], "name": ["甲"]},
                                geometry=[shapely.Point(X0 + 2.5 * CELL, Y0 + 0.75 * CELL)], crs=CRS)
    residents = gpd.GeoDataFrame({"weight": [1.0] * 9, "covered": [False] * 9},
                                 geometry=[shapely.Point(X0 + 0.5 * CELL + dx, Y0 + 0.25 * CELL + dy)
                                           for dx in (-8, 0, 8) for dy in (-8, 0, 8)], crs=CRS)
    walk = gpd.GeoDataFrame({"minutes": [15.0]}, geometry=[facility.geometry[0].buffer(0.9 * CELL)], crs=CRS)
    return communities, facility, residents, walk


def _render():
    OUTPUT.mkdir(exist_ok=True)
    communities, facility, residents, walk = _layers()
    fig = draw_static_map(communities, map_labels("zh"), facilities=facility, demand=residents, isochrones=walk,
                          size_inches=(8.0, 3.0))
    png = map_png(fig, dpi=DPI)  # as in the report: legend moved below the map
    image = np.asarray(Image.open(io.BytesIO(png)).convert("L")).astype(float)
    Image.fromarray(image.astype(np.uint8)).save(OUTPUT / "map_greyscale.png")
    ax = fig.axes[0]
    to_pixel = ax.transData.transform

    def at(x: float, y: float) -> tuple[int, int]:
        px, py = np.asarray(to_pixel((x, y))) * DPI / fig.dpi  # display units are at the figure's own dpi
        return int(round(image.shape[0] - py)), int(round(px))

    return fig, image, at


def test_palette_greys_of_fills_and_symbols_are_far_apart():
    fills = [_grey(c) for c in COVERAGE_COLORS]
    assert all(a - b >= 25 for a, b in zip(fills, fills[1:])), fills  # lighter = worse, in order
    resident, facility = _grey(RESIDENT_STYLE.fill), _grey(FACILITY_STYLE.fill)
    assert abs(resident - facility) >= 128
    assert min(abs(resident - f) for f in fills) >= 60
    assert RESIDENT_STYLE.marker != FACILITY_STYLE.marker


def test_greyscale_render_tells_residents_facilities_and_every_fill_apart():
    fig, image, at = _render()
    fills = []
    for i in range(5):  # a spot of each community away from its name, the symbols and the walking line
        r, c = at(X0 + (i + 0.15) * CELL, Y0 + 0.9 * CELL)
        fills.append(float(np.median(image[r - 2:r + 3, c - 2:c + 3])))
    r, c = at(X0 + 0.5 * CELL, Y0 + 0.25 * CELL)
    resident = float(image[r - 2:r + 3, c - 2:c + 3].min())
    r, c = at(X0 + 2.5 * CELL, Y0 + 0.75 * CELL)
    facility = float(image[r, c])
    assert all(abs(a - b) >= 20 for i, a in enumerate(fills) for b in fills[i + 1:]), fills
    assert abs(resident - facility) >= 128, (resident, facility)
    assert min(abs(resident - f) for f in fills) >= 50, (resident, fills)
    # the facility's white square differs from the fill it sits on, and its black rim from every fill
    assert abs(facility - fills[2]) >= 40, (facility, fills[2])


def test_walking_lines_are_clipped_to_the_map_frame():
    fig, _, _ = _render()
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for collection in ax.collections:
        for path in collection.get_paths():
            if len(path.vertices) > 20:  # the walking-area line (symbols are small paths)
                xs, ys = path.vertices[:, 0], path.vertices[:, 1]
                if np.ptp(xs) > CELL:
                    assert xs.min() >= x0 - 1 and xs.max() <= x1 + 1 and ys.min() >= y0 - 1 and ys.max() <= y1 + 1
    assert pd.notna(x0)
