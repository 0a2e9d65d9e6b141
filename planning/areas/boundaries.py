"""Community boundaries from the user's file: polygons with a code and a name, checked against the residents.

Rules (they refuse to guess):

- boundaries must be polygons; points or lines among them are left out with a notice naming
  their rows, and a file of points only is refused;
- every community needs its own code: blank or repeated codes (or, without a code column,
  blank or repeated names) are refused, naming the rows;
- residents outside every boundary are counted in the nearest community and reported with
  their number, population and distance; when fewer than :data:`MIN_INSIDE_SHARE` of the
  residents live inside the boundaries (boundaries of another place, 9,000 km away, or in the
  wrong coordinate system) the boundaries are refused.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.base.errors import PlanningError, warning_text
from planning.io.layers import find_column, read_polygons
from planning.io.tables import row_list

MIN_INSIDE_SHARE = 0.5  # share of residents (by population) that must live inside the boundaries


def read_boundaries(path: str | Path, crs, coord_system: str = "wgs84", prefix: str = "社区",
                    layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """Polygons with ``code`` and ``name`` (strings) in ``crs``, and the loader's notices.

    Without a code column the name is the code; without either, communities are numbered
    ``<prefix>1``, ``<prefix>2`` … in file order. ``layer`` names the layer of a GeoPackage.

    Raises
    ------
    PlanningError
        No polygons, blank or repeated codes (or names, when they are the codes).
    """
    layer = read_polygons(path, coord_system, layer)
    gdf = layer.gdf.to_crs(crs)
    name_col, code_col = find_column(gdf.columns, "name"), find_column(gdf.columns, "id")
    if code_col is not None and name_col is not None and _texts(gdf[code_col]).isna().all():
        code_col = None  # a code column nobody filled: the names are the codes
    names = _texts(gdf[name_col]) if name_col else None
    codes = _texts(gdf[code_col]) if code_col else names
    if codes is None:
        codes = pd.Series([f"{prefix}{i + 1}" for i in range(len(gdf))], index=gdf.index)
    which = code_col or name_col
    blank = codes.isna().to_numpy()
    if blank.any():
        raise PlanningError("boundary_codes_blank", path=Path(path).name, column=which, n=int(blank.sum()),
                            rows=row_list(layer.rows[blank]))
    repeated = codes.duplicated(keep=False).to_numpy()
    if repeated.any():
        raise PlanningError("boundary_codes_duplicate", path=Path(path).name, column=which,
                            codes="、".join(sorted(codes[repeated].unique())[:10]), rows=row_list(layer.rows[repeated]))
    names = codes if names is None else names.fillna(codes)
    communities = gpd.GeoDataFrame({"code": codes.to_numpy(), "name": names.to_numpy()},
                                   geometry=gdf.geometry.to_numpy(), crs=crs)
    return communities, layer.notes


def _texts(values: pd.Series) -> pd.Series:
    """Codes and names as text (1.0 → "1"), blank where missing or empty."""
    def text(value):
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value).strip()
        return value or None

    return values.map(text).astype(object)


def check_residents_inside(demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                           path: str | Path) -> list[tuple[str, str]]:
    """A notice when some residents live outside every boundary; refused when too many do.

    Raises
    ------
    PlanningError
        Less than :data:`MIN_INSIDE_SHARE` of the population inside the boundaries.
    """
    points = demand[["geometry"]].reset_index(drop=True)
    hits = gpd.sjoin(points, communities[["geometry"]], how="inner", predicate="intersects")
    inside = np.zeros(len(points), bool)
    inside[np.unique(hits.index.to_numpy())] = True
    if inside.all():
        return []
    population = demand["population"].to_numpy(float)
    total = population.sum()
    share_inside = population[inside].sum() / total if total > 0 else inside.mean()
    outside = points[~inside]
    nearest = gpd.sjoin_nearest(outside, communities[["geometry"]], how="left", distance_col="meters")
    meters = nearest.groupby(level=0)["meters"].min()
    params = dict(path=Path(path).name, n=int((~inside).sum()), total=len(points),
                  people=f"{population[~inside].sum():,.0f}", share=f"{1 - share_inside:.1%}",
                  inside=f"{share_inside:.1%}", near_km=f"{meters.min() / 1000:,.1f}",
                  far_km=f"{meters.max() / 1000:,.1f}", minimum=f"{MIN_INSIDE_SHARE:.0%}")
    if share_inside < MIN_INSIDE_SHARE:
        raise PlanningError("boundaries_miss_residents", **params)
    return [warning_text("residents_outside_boundaries", **params)]
