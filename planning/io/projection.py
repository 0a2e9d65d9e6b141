"""The UTM zone a layer is measured and drawn in: geopandas' ``estimate_utm_crs``, looked up once per extent.

Each of geopandas' estimates queries the PROJ database (0.15–0.2 s here); a report asks for the
same area's zone six times, so the answer is kept per CRS and extent (the only inputs it depends on).
"""
from __future__ import annotations

import functools

import geopandas as gpd
import shapely
from pyproj import CRS


def utm_crs(layer: gpd.GeoDataFrame | gpd.GeoSeries) -> CRS:
    """The UTM zone geopandas estimates for ``layer`` (which needs a CRS), computed once per CRS and extent."""
    return _utm_of_extent(layer.crs, tuple(float(v) for v in layer.total_bounds))


@functools.lru_cache(maxsize=256)
def _utm_of_extent(crs: CRS, bounds: tuple[float, float, float, float]) -> CRS:
    # a box with the layer's extent gets the estimate the layer gets: geopandas reads only the extent
    return gpd.GeoSeries([shapely.box(*bounds)], crs=crs).estimate_utm_crs()
