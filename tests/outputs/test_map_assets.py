"""Maps load every script, stylesheet, image and font from the package, never from a CDN."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile

import folium
import pytest

from planning.base.errors import PlanningError
from planning.outputs.maps.assets import (
    VENDOR_DIR,
    ensure_app_static,
    localize,
    standalone_html,
    streamlit_vendor_url,
)
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.webmap import build_map
from tests.support.data import ROOT
from tests.support.map_layers import FACILITY_ICONS, build_layers

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")
LINKED = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', re.IGNORECASE)


@pytest.fixture(scope="module")
def layers():
    return build_layers()


def _full_map(layers, demand_style: str = "heat") -> folium.Map:
    return build_map(
        layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites, demand=layers.demand,
        isochrones=layers.isochrones, facility_icons=FACILITY_ICONS, demand_style=demand_style,
    )


def test_every_vendored_file_is_in_the_manifest_with_its_checksum_and_licence():
    manifest = json.loads((VENDOR_DIR / "manifest.json").read_text(encoding="utf-8"))
    listed = {}
    for package in manifest["packages"].values():
        assert package["version"] and package["source"].startswith("https://")
        assert (VENDOR_DIR / package["license_file"]).stat().st_size > 200
        listed.update(package["files"])
    on_disk = {str(p.relative_to(VENDOR_DIR)) for p in VENDOR_DIR.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(listed)
    for path, digest in listed.items():
        assert hashlib.sha256((VENDOR_DIR / path).read_bytes()).hexdigest() == digest, path


@pytest.mark.parametrize("demand_style", ["heat", "cluster"])
def test_map_html_links_only_local_assets(layers, demand_style):
    html = _full_map(layers, demand_style).get_root().render()
    links = LINKED.findall(html)
    assert links, "the map should link its scripts"
    assert all(link.startswith("/app/static/vendor/") for link in links), links
    for link in links:
        assert (VENDOR_DIR / link.removeprefix("/app/static/vendor/")).is_file(), link


def test_stylesheet_urls_resolve_to_vendored_files():
    for css in VENDOR_DIR.rglob("*.css"):
        for target in re.findall(r"url\(['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if not target.startswith(("data:", "#")):
                assert (css.parent / target).resolve().is_file(), f"{css.name} → {target}"


def test_standalone_html_inlines_everything(layers):
    html = standalone_html(_full_map(layers))
    assert LINKED.findall(html) == []
    assert "L.AwesomeMarkers" in html and "simpleheat" in html  # the plugins themselves are inside
    assert "data:font/woff2;base64," in html  # Font Awesome glyphs for the facility icons
    assert not re.search(r'url\((?!data:|#)', html.split("<body>")[0])


def test_streamlit_urls_follow_the_base_url_path():
    assert streamlit_vendor_url() == "/app/static/vendor"
    assert streamlit_vendor_url("/planning/") == "/planning/app/static/vendor"


def test_asset_without_local_copy_is_refused():
    m = folium.Map()
    folium.plugins.MiniMap().add_to(m)  # its CDN script has no vendored copy
    with pytest.raises(PlanningError) as err:
        localize(m, "/x")
    assert err.value.code == "map_asset_unknown"


def test_app_static_folder_links_to_the_package(tmp_path):
    static = ensure_app_static(tmp_path)
    assert (static / "vendor" / "leaflet" / "leaflet.js").is_file()
    assert static.resolve() == VENDOR_DIR.parent.resolve()  # one link: Streamlit refuses links inside static/
    assert ensure_app_static(tmp_path) == static


def test_existing_app_static_folder_gets_a_copy(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "logo.png").write_bytes(b"png")
    static = ensure_app_static(tmp_path)
    assert (static / "logo.png").exists() and (static / "vendor" / "jquery" / "jquery.min.js").is_file()


@pytest.mark.timeout(300)
def test_wheel_ships_the_vendored_files(tmp_path):
    root = ROOT
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(root)], check=True)
    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    for needed in ("planning/static/vendor/manifest.json", "planning/static/vendor/leaflet/images/layers.png",
                   "planning/static/vendor/fontawesome-free/webfonts/fa-solid-900.woff2",
                   "planning/locale/messages_map.yaml"):
        assert needed in names
