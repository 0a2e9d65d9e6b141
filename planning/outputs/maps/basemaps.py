"""Base maps the user can choose under the planning layers, and the datum each one needs.

* ``none`` – no tiles, vector layers on a plain background: works with no network at all.
* ``osm`` – OpenStreetMap standard tiles (WGS84).
* ``tianditu_vec`` / ``tianditu_img`` – 天地图 vector / imagery with annotation (CGCS2000, within
  centimetres of WGS84 at map scale); needs the user's own key (``tk``).
* ``amap`` – 高德 Amap roads (GCJ-02): every overlay must be shifted to GCJ-02 while it is shown.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from planning.base.errors import PlanningError

_TIANDITU_KEY = re.compile(r"[0-9a-f]{32}")
_TIANDITU_WMTS = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={{key}}"
)
_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a> 国家地理信息公共服务平台'


@dataclass(frozen=True)
class BaseMap:
    """One choice of base map.

    Attributes
    ----------
    key
        Stable identifier stored in the settings file.
    label_zh, label_en
        Names shown in the picker.
    tiles
        Leaflet URL templates, bottom first (Tianditu adds an annotation layer on top);
        empty for no base map. ``{key}`` is replaced by the user's key.
    attribution
        HTML attribution the provider requires.
    subdomains
        Values for ``{s}`` in the templates.
    datum
        ``"wgs84"`` or ``"gcj02"``: the datum overlays must be in to line up with the tiles.
    needs_key
        True when the provider needs the user's Tianditu key.
    max_zoom
        Deepest zoom the provider serves.
    """

    key: str
    label_zh: str
    label_en: str
    tiles: tuple[str, ...]
    attribution: str
    subdomains: str
    datum: str
    needs_key: bool
    max_zoom: int

    def tile_urls(self, tianditu_key: str = "") -> tuple[str, ...]:
        """The tile URL templates with the key filled in."""
        return tuple(url.replace("{key}", tianditu_key) for url in self.tiles)


BASEMAPS: dict[str, BaseMap] = {
    b.key: b
    for b in (
        BaseMap("none", "无底图（离线）", "No base map (offline)", (), "", "", "wgs84", False, 19),
        BaseMap(
            "osm", "OpenStreetMap", "OpenStreetMap",
            ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
            "", "wgs84", False, 19,
        ),
        BaseMap(
            "tianditu_vec", "天地图 矢量", "Tianditu vector",
            (_TIANDITU_WMTS.format(layer="vec"), _TIANDITU_WMTS.format(layer="cva")),
            _TIANDITU_ATTR, "01234567", "wgs84", True, 18,
        ),
        BaseMap(
            "tianditu_img", "天地图 影像", "Tianditu imagery",
            (_TIANDITU_WMTS.format(layer="img"), _TIANDITU_WMTS.format(layer="cia")),
            _TIANDITU_ATTR, "01234567", "wgs84", True, 18,
        ),
        BaseMap(
            "amap", "高德地图", "Amap (AutoNavi)",
            ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
            '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
            "1234", "gcj02", False, 18,
        ),
    )
}
NO_BASEMAP = BASEMAPS["none"]


def check_tianditu_key(key: str) -> str:
    """The key, stripped and lower-cased, if it looks like a Tianditu key (32 hex digits).

    Raises
    ------
    PlanningError
        ``tianditu_key_invalid`` otherwise.
    """
    cleaned = key.strip().lower()
    if not _TIANDITU_KEY.fullmatch(cleaned):
        raise PlanningError("tianditu_key_invalid", length=len(cleaned))
    return cleaned


def probe_tianditu_key(key: str, timeout_seconds: float = 3.0) -> bool | None:
    """Ask Tianditu for one tile of Huangshi with this key.

    Returns
    -------
    bool or None
        True when an image comes back, False when Tianditu refuses the key,
        None when Tianditu cannot be reached (offline: nothing is known about the key).
    """
    url = (BASEMAPS["tianditu_vec"].tile_urls(key)[0]
           .replace("{s}", "0").replace("{z}", "12").replace("{x}", "3357").replace("{y}", "1687"))
    request = urllib.request.Request(url, headers={"User-Agent": "shenghuoquan"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            return response.headers.get_content_type().startswith("image/")
    except urllib.error.HTTPError:
        return False
    except (urllib.error.URLError, TimeoutError, OSError):
        return None


def resolve_basemap(
    key: str, tianditu_key: str = "", probe: bool = False
) -> tuple[BaseMap, str, PlanningError | None]:
    """The base map to draw for a stored choice, falling back to none when it cannot work.

    Parameters
    ----------
    key
        A key of :data:`BASEMAPS`; unknown keys fall back to no base map.
    tianditu_key
        The user's Tianditu key (only read for Tianditu base maps).
    probe
        Also ask Tianditu whether it accepts the key (needs network; skipped result when offline).

    Returns
    -------
    tuple
        ``(base map, cleaned key, problem)``; ``problem`` is the :class:`PlanningError` to show
        the user when the choice fell back to no base map, else None.
    """
    if key not in BASEMAPS:
        return NO_BASEMAP, "", PlanningError("basemap_unknown", key=key)
    basemap = BASEMAPS[key]
    if not basemap.needs_key:
        return basemap, "", None
    try:
        cleaned = check_tianditu_key(tianditu_key)
    except PlanningError as problem:
        return NO_BASEMAP, "", problem
    if probe and probe_tianditu_key(cleaned) is False:
        return NO_BASEMAP, "", PlanningError("tianditu_key_refused")
    return basemap, cleaned, None
