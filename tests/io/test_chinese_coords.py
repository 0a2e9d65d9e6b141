"""WGS84 ↔ GCJ-02 (高德) ↔ BD-09 (百度): round trips and published reference pairs, to the metre."""
from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from planning.io.coords import gcj02_to_wgs84, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")

# Reference pairs published with the eviltransform library, googollee/eviltransform python/test.py
# (commit 3416646abc64972e899118271bd98030224d9d6c), repeated in its Go, C#, PHP and Ruby tests.
# They are outputs of the same public GCJ-02 algorithm, not independent field surveys.
WGS_GCJ = [  # (wgs lat, wgs lon, gcj lat, gcj lon)
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_round_trip_over_nanjing_xinjiekou_stays_within_a_metre():
    lon, lat = np.meshgrid(np.linspace(118.764, 118.797, 60), np.linspace(32.035, 32.052, 40))
    g_lon, g_lat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert _metres(lon.ravel(), lat.ravel(), back_lon, back_lat).max() < 1.0
    # and the shift itself is the few hundred metres that misaligns overlays on 高德 tiles
    assert 100 < _metres(lon.ravel(), lat.ravel(), g_lon, g_lat).min() < 1000


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs_within_a_metre(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert _metres(lon, lat, gcj_lon, gcj_lat) < 1.0


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", WGS_GCJ)
def test_gcj02_to_wgs84_recovers_published_wgs84_within_a_metre(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert _metres(lon, lat, wgs_lon, wgs_lat) < 1.0


def test_points_outside_china_are_not_shifted():
    lon, lat = wgs84_to_gcj02([8.54, 139.69], [47.37, -35.0])  # Zürich; south of Japan's latitude range
    assert np.allclose(lon, [8.54, 139.69]) and np.allclose(lat, [47.37, -35.0])
