"""Chinese web-map datums: GCJ-02 (高德/Amap, 腾讯) and BD-09 (百度/Baidu) ↔ WGS84.

GCJ-02 is a published obfuscation of WGS84 applied inside mainland China only; BD-09 is a
further rotation of GCJ-02. The forward formulas are the well-known public ones; the inverse
has no closed form, so it is solved by fixed-point iteration to well under a millimetre.
All functions are vectorised over numpy arrays of longitudes and latitudes in degrees.
:func:`parse_degrees` reads one coordinate written in degrees, minutes and seconds.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
from numpy.typing import ArrayLike

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0


def in_mainland_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where GCJ-02 applies (the customary mainland bounding box)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_mainland_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (what Amap tiles expect). Points outside China are returned unchanged."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 by fixed-point iteration of the forward transform (error ≪ 1 mm)."""
    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(30):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < tol_deg) and np.all(np.abs(e_lat) < tol_deg):
            break
    return w_lon, w_lat


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) → GCJ-02."""
    x, y = np.asarray(lon, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu)."""
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 (Baidu) → WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → BD-09 (Baidu)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


TO_WGS84 = {"wgs84": None, "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}


_HEMISPHERES = {"E": 1, "W": -1, "N": 1, "S": -1, "东": 1, "西": -1, "北": 1, "南": -1}
_AXIS = {"E": "lon", "W": "lon", "东": "lon", "西": "lon", "N": "lat", "S": "lat", "北": "lat", "南": "lat"}
_DMS = re.compile(
    r"^(?P<pre>[NSEW东西南北])?\s*(?P<sign>[+-])?\s*(?P<d>\d+(?:\.\d+)?)\s*(?:[°º˚度:d]\s*|\s+)"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:['′’分:m]\s*|\s+|$)"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:\"|″|”|''|′′|’’|秒|s)?\s*)?)?(?P<post>[NSEW东西南北])?$|"
    r"^(?P<pre2>[NSEW东西南北])?\s*(?P<sign2>[+-])?\s*(?P<dec>\d+(?:\.\d+)?)\s*[°º˚度]?\s*(?P<post2>[NSEW东西南北])?$",
    re.IGNORECASE,
)


def parse_degrees(value: object, axis: str) -> float:
    """Degrees from a number or a degrees-minutes-seconds text; NaN when it cannot be read.

    Accepts ``118.775``, ``118°46'30"E``, ``118°46′30″``, ``E118 46 30``, ``32°2'N``,
    ``东经118度46分30秒``, ``118:46:30`` and ``118°46.5'`` (decimal minutes). W and S (西, 南)
    are negative. A hemisphere of the other axis (``32°N`` as a longitude), minutes or
    seconds of 60 or more, and any other text give NaN.

    Parameters
    ----------
    axis
        ``"lon"`` or ``"lat"``: which hemisphere letters belong to this coordinate.
    """
    if isinstance(value, (int, float, np.number)):
        return float(value) if np.isfinite(value) else float("nan")
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    text = re.sub(r"^(东经|西经|北纬|南纬)", lambda m: m.group(1)[0], text)
    text = re.sub(r"(东经|西经|北纬|南纬)$", lambda m: m.group(1)[0], text)
    match = _DMS.match(text)
    if not text or match is None:
        return float("nan")
    groups = match.groupdict()
    pre, post = groups["pre"] or groups["pre2"], groups["post"] or groups["post2"]
    if pre and post:
        return float("nan")
    hemisphere = pre or post
    if hemisphere and _AXIS[hemisphere] != axis:
        return float("nan")
    if groups["dec"] is not None:
        degrees = float(groups["dec"])
    else:
        minutes, seconds = float(groups["m"] or 0), float(groups["s"] or 0)
        if minutes >= 60 or seconds >= 60 or (groups["s"] and "." in (groups["m"] or "")):
            return float("nan")
        degrees = float(groups["d"]) + minutes / 60 + seconds / 3600
    negative = (groups["sign"] or groups["sign2"]) == "-"
    return (-degrees if negative else degrees) * (_HEMISPHERES[hemisphere] if hemisphere else 1)
