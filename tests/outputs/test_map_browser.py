"""The maps draw in a real browser with every outside request blocked (no internet, CDNs walled off).

Needs Debian's chromium (``apt-get install chromium fonts-noto-cjk``); screenshots go to test-output/.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import threading

import pytest

from planning.outputs.maps.assets import ensure_app_static, standalone_html
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.webmap import build_map
from tests.support.browser import chromium, needs_chromium, streamlit_server
from tests.support.data import OUTPUT, ROOT
from tests.support.map_layers import FACILITY_ICONS, build_layers

pytestmark = needs_chromium

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")


@pytest.fixture(scope="module")
def layers():
    return build_layers()


def _map(layers, assets_url=None):
    return build_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites,
                     demand=layers.demand, isochrones=layers.isochrones, facility_icons=FACILITY_ICONS,
                     assets_url=assets_url)


@pytest.fixture()
def served(tmp_path):
    """A localhost web server over tmp_path; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture()
def page():
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.blocked, page.failed = [], []

        def only_localhost(route):
            url = route.request.url
            if url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:")):
                route.continue_()
            else:
                page.blocked.append(url)
                route.abort()

        page.route("**/*", only_localhost)
        page.on("requestfailed", lambda r: page.failed.append(r.url) if "127.0.0.1" in r.url else None)
        page.on("response", lambda r: page.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        yield page


def _check_drawn(frame, layers) -> None:
    frame.locator(".leaflet-container").first.wait_for(timeout=30_000)
    frame.locator(".leaflet-marker-pane .awesome-marker").first.wait_for(timeout=30_000)
    paths = frame.locator(".leaflet-overlay-pane svg path").count()
    assert paths >= len(layers.communities) + 1  # every community, plus the walking areas
    assert frame.locator(".leaflet-marker-pane .awesome-marker").count() == len(layers.facilities) + len(layers.sites)
    assert frame.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert frame.locator(".planning-legend").inner_text().startswith("覆盖比例")
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and re.fullmatch(r"\d+ k?m", scale.inner_text()), "scale bar in metres only"
    font_loaded = "() => [...document.fonts].some(f => f.family.includes('Font Awesome') && f.status === 'loaded')"
    frame.locator("body").evaluate("async () => { await document.fonts.ready; }")
    assert frame.locator("body").evaluate(font_loaded), "icon font did not load"


def test_self_contained_map_draws_offline(layers, served, page, tmp_path):
    (tmp_path / "map.html").write_text(standalone_html(_map(layers)), encoding="utf-8")
    page.goto(f"{served}/map.html")
    _check_drawn(page, layers)
    page.wait_for_timeout(500)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "map_standalone.png"))
    assert page.blocked == [] and page.failed == []


def test_map_draws_from_the_app_static_folder(layers, served, page, tmp_path):
    (tmp_path / "app").mkdir()
    ensure_app_static(tmp_path / "app")
    (tmp_path / "map.html").write_text(_map(layers).get_root().render(), encoding="utf-8")  # /app/static/vendor/…
    page.goto(f"{served}/map.html")
    _check_drawn(page, layers)
    page.screenshot(path=str(OUTPUT / "map_static_served.png"))
    assert page.blocked == [] and page.failed == []


APP = '''
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from planning.outputs.maps.assets import ensure_app_static
ensure_app_static(Path(__file__).parent)  # as app.py does: static/ appears after the server started
from tests.support.map_layers import FACILITY_ICONS, build_layers
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.webmap import build_map
from planning.app.map_widgets import show_map

layers = build_layers()
labels = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")
m = build_map(layers.communities, labels, facilities=layers.facilities, sites=layers.sites, demand=layers.demand,
              isochrones=layers.isochrones, facility_icons=FACILITY_ICONS)
show_map(m, key="coverage", height=560)
'''


@pytest.mark.timeout(180)
def test_map_draws_inside_streamlit_on_a_fresh_checkout(layers, page, tmp_path):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP.format(root=str(ROOT)), encoding="utf-8")
    assert not (app_dir / "static").exists()  # a fresh clone
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    with streamlit_server(env, cwd=app_dir, options=("--server.enableStaticServing", "true")) as url:
        page.goto(f"{url}/")
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        _check_drawn(frame, layers)
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUTPUT / "map_streamlit.png"))
        vendor_failures = [u for u in page.failed if "/app/static/" in u]
        assert vendor_failures == [] and page.blocked == []


def test_big_area_map_draws_in_under_two_seconds(served, page, tmp_path):
    big = build_layers(demand_points=10_000, communities=200)
    (tmp_path / "big.html").write_text(standalone_html(_map(big)), encoding="utf-8")
    page.goto(f"{served}/big.html", wait_until="commit")
    page.wait_for_function(
        "n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n"
        " && document.querySelector('canvas.leaflet-heatmap-layer') !== null", arg=len(big.communities),
        timeout=30_000, polling="raf",
    )
    assert page.evaluate("performance.now()") < 2000  # ms from navigation to a drawn map
