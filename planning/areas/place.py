"""OSM data by place name (needs the internet): the extract every other layer is derived from.

The place is looked up in Nominatim (through osmnx), and every OSM feature within its bounding
box is fetched from the Overpass API as OSM XML and converted to ``.osm.pbf``: the same kind of
file an office gives with ``--osm``, so the same pipeline builds the area. Offline, or for a
place OSM does not know, a zh/en :class:`PlanningError` says what to do instead.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from planning.base.errors import PlanningError, error_reason
from planning.base.paths import cache_dir

MAX_KM2 = 200.0  # a street office is 1–50 km²; a whole district or city is refused
TIMEOUT_S = 300


def _osmnx():
    """osmnx with its cache in the user cache folder (never in the working folder)."""
    import osmnx as ox

    ox.settings.cache_folder = str(cache_dir() / "osmnx")
    ox.settings.requests_timeout = TIMEOUT_S
    return ox


def place_outline(place: str):
    """The place's boundary (WGS84 polygon) from Nominatim.

    Raises
    ------
    PlanningError
        ``place_offline`` when OpenStreetMap cannot be reached, ``place_not_found`` when it
        does not know the place, ``place_too_large`` beyond :data:`MAX_KM2`.
    """
    import requests

    ox = _osmnx()
    try:
        found = ox.geocode_to_gdf(place)
    except requests.RequestException as exc:
        raise PlanningError("place_offline", place=place, reason=error_reason(exc, 160)) from exc
    except Exception as exc:  # osmnx: nothing found, or not a polygon
        raise PlanningError("place_not_found", place=place) from exc
    outline = found.geometry.iloc[0]
    km2 = found.to_crs(found.estimate_utm_crs()).area.iloc[0] / 1e6
    if km2 > MAX_KM2:
        raise PlanningError("place_too_large", place=place, km2=f"{km2:,.0f}")
    return outline


def download_place(place: str, folder: Path) -> tuple[Path, tuple[float, float, float, float]]:
    """Download every OSM feature of ``place``'s bounding box into ``folder/<place>.osm.pbf``.

    Returns the file and the bounding box (west, south, east, north).
    """
    import requests

    from planning.network.read import xml_to_pbf

    ox = _osmnx()
    west, south, east, north = place_outline(place).bounds
    query = f"[out:xml][timeout:{TIMEOUT_S}];(nwr({south},{west},{north},{east}););(._;>;);out meta;"
    try:
        response = requests.post(f"{ox.settings.overpass_url.rstrip('/')}/interpreter", data={"data": query},
                                 timeout=TIMEOUT_S)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise PlanningError("place_offline", place=place, reason=error_reason(exc, 160)) from exc
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "place.osm"
        xml.write_bytes(response.content)
        pbf = xml_to_pbf(xml, folder / f"{_file_name(place)}.osm.pbf")
    return pbf, (west, south, east, north)


def _file_name(place: str) -> str:
    return "".join(c for c in place if c.isalnum()) or "place"
