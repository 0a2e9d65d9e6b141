"""The UTM zone a layer is drawn in: geopandas' own estimate, looked up once per CRS and extent."""
from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from planning.io.projection import _utm_of_extent, utm_crs


@pytest.mark.parametrize("lon, lat, epsg", [(118.78, 32.04, 4326), (115.05, 30.21, 4326), (8.54, 47.37, 4326),
                                            (-43.2, -22.9, 4326), (118.78, 32.04, 3857), (116.3, 39.99, 32650)])
def test_the_zone_is_geopandas_estimate_in_any_crs_and_hemisphere(lon, lat, epsg):
    """Nanjing, Huangshi, Zürich, Rio de Janeiro; a layer in Web Mercator and one already in UTM."""
    layer = gpd.GeoSeries([shapely.box(lon - 0.01, lat - 0.01, lon + 0.02, lat + 0.01)], crs=4326).to_crs(epsg)
    layer = gpd.GeoDataFrame({"name": ["社区"]}, geometry=layer)
    assert utm_crs(layer) == layer.estimate_utm_crs()


def test_a_second_ask_for_the_same_extent_is_answered_from_memory(demo_area):
    communities = demo_area.communities
    first = utm_crs(communities)
    hits = _utm_of_extent.cache_info().hits
    assert utm_crs(communities.copy()) == first == communities.estimate_utm_crs()
    assert _utm_of_extent.cache_info().hits == hits + 1
    moved = communities.translate(xoff=500_000)  # another extent: asked anew, another zone
    assert utm_crs(moved) == moved.estimate_utm_crs() != first
