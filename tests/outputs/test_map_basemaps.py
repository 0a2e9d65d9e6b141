"""Base maps: remembered across restarts, Tianditu key checked, overlays shifted for 高德."""
from __future__ import annotations

import json
import re

import folium
import numpy as np
import pytest
import shapely

from planning.base.errors import PlanningError
from planning.base.paths import HOME_ENV
from planning.base.settings import (
    MapSettings,
    load_map_settings,
    save_map_settings,
    settings_path,
)
from planning.io.coords import wgs84_to_gcj02
from planning.outputs.maps.basemaps import (
    BASEMAPS,
    NO_BASEMAP,
    check_tianditu_key,
    resolve_basemap,
)
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.webmap import build_map
from tests.support.map_layers import build_layers

LABELS = MapLabels("Communities", "Covered share", "Facilities", "New sites", "Uncovered demand", "Walk", "min")
KEY = "0123456789abcdef0123456789ABCDEF"


def _page_text(m: folium.Map) -> str:
    """Rendered page with the JSON string escapes (\\u0026 …) decoded, as the browser reads it."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda c: chr(int(c.group(1), 16)), m.get_root().render())


@pytest.fixture()
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    return tmp_path


def test_chosen_basemap_and_key_survive_a_restart(config_dir):
    assert load_map_settings() == MapSettings()  # first start: no base map, works offline
    path = save_map_settings(MapSettings(basemap="tianditu_img", tianditu_key=KEY))
    assert path.parent == config_dir and path == settings_path()
    assert load_map_settings() == MapSettings(basemap="tianditu_img", tianditu_key=KEY)
    assert path.stat().st_mode & 0o077 == 0  # the key is readable by its owner only


@pytest.mark.parametrize("stored", ['{"map": {"basemap": "天地图"}}'.encode("gbk"), b"[]", b'"osm"', b"{not json"])
def test_a_settings_file_damaged_or_edited_by_hand_is_refused_in_both_languages(config_dir, stored):
    """Saved as GBK by a Windows editor, or holding a list: once a traceback on every page with a map."""
    settings_path().write_bytes(stored)
    with pytest.raises(PlanningError) as caught:
        load_map_settings()
    assert caught.value.code == "settings_unreadable" and "已损坏" in caught.value.message("zh")
    assert "damaged" in caught.value.message("en") and settings_path().read_bytes() == stored  # left as it was


def test_saving_map_settings_keeps_other_sections(config_dir):
    settings_path().write_text(json.dumps({"voting": {"round": 2}}), encoding="utf-8")
    save_map_settings(MapSettings(basemap="osm"))
    stored = json.loads(settings_path().read_text(encoding="utf-8"))
    assert stored["voting"] == {"round": 2} and stored["map"]["basemap"] == "osm"


def test_damaged_settings_file_is_reported_in_both_languages(config_dir):
    settings_path().write_text("{not json", encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_map_settings()
    assert "设置文件" in err.value.zh and "settings file" in err.value.en


@pytest.mark.parametrize("bad", ["", "abc", KEY[:-1], KEY[:-1] + "g"])
def test_malformed_tianditu_key_falls_back_to_no_basemap_with_a_message(bad):
    basemap, key, problem = resolve_basemap("tianditu_vec", bad)
    assert basemap is NO_BASEMAP and key == ""
    assert problem.code == "tianditu_key_invalid"
    assert "天地图密钥" in problem.message("zh") and "Tianditu key" in problem.message("en")


def test_valid_tianditu_key_goes_into_both_tile_layers():
    basemap, key, problem = resolve_basemap("tianditu_vec", f"  {KEY} ")
    assert problem is None and key == KEY.lower() == check_tianditu_key(KEY)
    html = _page_text(build_map(build_layers().communities, LABELS, basemap=basemap, tianditu_key=key))
    assert html.count(f"tk={key}") == 2  # vector base + annotation
    assert "vec_w/wmts" in html and "cva_w/wmts" in html and "天地图" in html


def test_unknown_basemap_falls_back_to_none():
    basemap, _, problem = resolve_basemap("google", "")
    assert basemap is NO_BASEMAP and problem.code == "basemap_unknown"


def _community_coords(m: folium.Map) -> np.ndarray:
    layer = next(c for c in m._children.values() if isinstance(c, folium.GeoJson) and "Communities" in c.layer_name)
    return shapely.get_coordinates(shapely.from_geojson(json.dumps(layer.data)))


def test_amap_shifts_overlays_to_gcj02_and_other_basemaps_do_not():
    communities = build_layers().communities
    wgs = _community_coords(build_map(communities, LABELS, basemap=BASEMAPS["osm"]))
    gcj = _community_coords(build_map(communities, LABELS, basemap=BASEMAPS["amap"]))
    expected = np.column_stack(wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]))
    assert np.abs(gcj - expected).max() < 2e-6  # same points, shifted (up to rounding)
    assert np.abs(gcj - wgs).min() > 1e-3  # by hundreds of metres in Huangshi


@pytest.mark.parametrize("key, text", [("osm", "OpenStreetMap"), ("amap", "高德地图"), ("none", "OpenStreetMap")])
def test_each_basemap_shows_its_attribution(key, text):
    html = _page_text(build_map(build_layers().communities, LABELS, basemap=BASEMAPS[key]))
    assert text in html
    assert ("tile.openstreetmap.org" in html) == (key == "osm")
