"""Local copies of the browser assets web maps need, so maps work offline and behind the Great Firewall.

Folium points every map at public CDNs (jsDelivr, cdnjs, code.jquery.com) that are blocked or slow
in mainland China and absent in a meeting room without internet. The files are vendored from their
npm packages into ``planning/static/vendor`` (see ``manifest.json`` there for package, version,
source tarball, integrity and licence). This module swaps folium's CDN links for

* URLs under a base (``/app/static/vendor`` when Streamlit serves the app's ``static`` folder), or
* the file contents themselves, inlined into one self-contained HTML file for export.
"""
from __future__ import annotations

import base64
import mimetypes
import re
import shutil
from pathlib import Path

import folium

from planning.base.errors import PlanningError
from planning.outputs.maps.inert import make_inert, map_elements

VENDOR_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor"
STATIC_DIR = VENDOR_DIR.parent
STREAMLIT_VENDOR_PATH = "app/static/vendor"
_INLINE_MARK = "planning-vendor:"

# folium's asset names (``default_js`` / ``default_css`` entries) → vendored file, or None to drop.
# Dropped: Bootstrap (no Bootstrap widgets in our maps), glyphicons and the icon-rotation CSS
# (icons always use the Font Awesome prefix "fa" and are never rotated).
_LOCAL_FILES: dict[str, str | None] = {
    "leaflet": "leaflet/leaflet.js",
    "jquery": "jquery/jquery.min.js",
    "bootstrap": None,
    "awesome_markers": "leaflet.awesome-markers/leaflet.awesome-markers.min.js",
    "leaflet_css": "leaflet/leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": "fontawesome-free/css/fontawesome.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": None,
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.min.js",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "fontawesome_solid_css": "fontawesome-free/css/solid.min.css",
}
# Font Awesome 6 splits the glyph classes from the font face: the solid style comes along.
_COMPANION = {"awesome_markers_font_css": "fontawesome_solid_css"}


def streamlit_vendor_url(base_url_path: str = "") -> str:
    """URL prefix of the vendored files when Streamlit serves the app's ``static`` folder.

    Parameters
    ----------
    base_url_path
        Streamlit's ``server.baseUrlPath`` ("" when the app is served at the site root).
    """
    prefix = base_url_path.strip("/")
    return "/" + "/".join(part for part in (prefix, STREAMLIT_VENDOR_PATH) if part)


def _local_links(links: list[tuple[str, str]], base_url: str) -> list[tuple[str, str]]:
    local: dict[str, str] = {}
    for name, url in links:
        if name not in _LOCAL_FILES:
            raise PlanningError("map_asset_unknown", name=name, url=url)
        for key in (name, _COMPANION.get(name)):
            if key is not None and _LOCAL_FILES[key] is not None:
                local[key] = f"{base_url}/{_LOCAL_FILES[key]}"
    return list(local.items())


def localize(m: folium.Map, base_url: str) -> folium.Map:
    """Point the map and every plugin in it at the vendored copies instead of CDNs.

    Call after all layers are added. Works for folium's own rendering and for streamlit-folium,
    which reads the same ``default_js`` / ``default_css`` attributes.

    Parameters
    ----------
    m
        The map; changed in place and returned.
    base_url
        Where the ``vendor`` folder is reachable from the page, without a trailing slash,
        e.g. :func:`streamlit_vendor_url` or a ``file://`` URI.

    Raises
    ------
    PlanningError
        ``map_asset_unknown`` when an element asks for an asset that has no local copy.
    """
    for element in map_elements(m):
        if isinstance(element, folium.elements.JSCSSMixin):
            element.default_js = _local_links(element.default_js, base_url)
            element.default_css = _local_links(element.default_css, base_url)
    return m


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        mime = "font/woff2"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")
    # Every browser that runs Leaflet reads woff2; the TrueType fallback would double the size.
    css = re.sub(r',\s*url\([^)]*\.ttf\)\s*format\("truetype"\)', "", css)

    def embed(match: re.Match[str]) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#")):
            return match.group(0)
        return f"url({_data_uri((path.parent / target).resolve())})"

    return re.sub(r"url\(([^)]*)\)", embed, css)


def _inline_html(html: str) -> str:
    mark = re.escape(_INLINE_MARK)

    def script(match: re.Match[str]) -> str:
        code = (VENDOR_DIR / match.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(match: re.Match[str]) -> str:
        return f"<style>{_inline_css(VENDOR_DIR / match.group(1))}</style>"

    html = re.sub(rf'<script src="{mark}/([^"]+)"></script>', script, html)
    return re.sub(rf'<link rel="stylesheet" href="{mark}/([^"]+)"/>', style, html)


def standalone_html(m: folium.Map) -> str:
    """The map as one HTML document with every script, stylesheet, image and font inlined.

    Opens from a USB stick or an e-mail attachment with no network; only base-map tiles
    (if a base map is chosen) still come from their servers, and a Tianditu key in the tile
    URLs travels with the file. The map's asset links are changed in place.
    """
    localize(make_inert(m), _INLINE_MARK)
    return _inline_html(m.get_root().render())


def ensure_app_static(app_dir: Path) -> Path:
    """Make ``<app_dir>/static`` serve the vendored files (call at the top of ``app.py``).

    Streamlit resolves the folder on every request, so creating it after the server started
    works. It also resolves symlinks and refuses files outside the real ``static`` folder, so the
    whole folder is linked to ``planning/static`` (a link inside it would be refused). Where a
    ``static`` folder already exists, or links are not allowed (Windows without developer
    mode), the vendor folder is copied into it instead.

    Parameters
    ----------
    app_dir
        Folder holding the Streamlit entry script (``app.py``).

    Returns
    -------
    Path
        The ``static`` folder Streamlit will serve.
    """
    static = app_dir / "static"
    if static.resolve() == STATIC_DIR.resolve():
        return static
    if not static.exists() and not static.is_symlink():
        try:
            static.symlink_to(STATIC_DIR, target_is_directory=True)
            return static
        except OSError:
            static.mkdir()
    shutil.copytree(VENDOR_DIR, static / "vendor", dirs_exist_ok=True)
    return static
