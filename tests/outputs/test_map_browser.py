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
from planning.outputs.maps.inert import WORD_JOINER
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.webmap import build_map
from tests.support.browser import chromium, needs_chromium, streamlit_server
from tests.support.data import OUTPUT, ROOT
from tests.support.map_layers import FACILITY_ICONS, build_layers

pytestmark = needs_chromium

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟", legend="图例")
TYPE_NAMES = {"clinic": "社区卫生服务站", "school": "小学", "market": "菜市场", "elderly_care": "养老服务站"}
MAP = "window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)]"


@pytest.fixture(scope="module")
def layers():
    return build_layers()


def _map(layers, assets_url=None):
    return build_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites,
                     demand=layers.demand, isochrones=layers.isochrones, facility_icons=FACILITY_ICONS,
                     type_names=TYPE_NAMES, assets_url=assets_url)


@pytest.fixture()
def served(tmp_path):
    """A localhost web server over tmp_path; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser):
    """A new page in a new context (nothing cached from another test), requests beyond this machine blocked."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
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
    context.close()


def _check_drawn(frame, layers) -> None:
    frame.locator(".leaflet-container").first.wait_for(timeout=120_000)  # inside Streamlit: after the coverage is computed
    frame.locator(".leaflet-marker-pane .awesome-marker").first.wait_for(timeout=30_000)
    paths = frame.locator(".leaflet-overlay-pane svg path").count()
    assert paths >= len(layers.communities) + 1  # every community, plus the walking areas
    assert frame.locator(".leaflet-marker-pane .awesome-marker").count() == len(layers.facilities) + len(layers.sites)
    assert frame.locator("canvas.leaflet-heatmap-layer").count() == 1
    legend = frame.locator(".planning-legend").inner_text()
    assert legend.startswith("图例") and "覆盖比例" in legend and all(n in legend for n in TYPE_NAMES.values())
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
labels = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟", legend="图例")
m = build_map(layers.communities, labels, facilities=layers.facilities, sites=layers.sites, demand=layers.demand,
              isochrones=layers.isochrones, facility_icons=FACILITY_ICONS, type_names={type_names!r})
show_map(m, key="coverage", height=560)
'''


@pytest.mark.timeout(180)
def test_map_draws_inside_streamlit_on_a_fresh_checkout(layers, page, tmp_path):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP.format(root=str(ROOT), type_names=TYPE_NAMES), encoding="utf-8")
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


def test_big_area_map_draws_every_community_and_the_heat_map(served, page, tmp_path):
    """10,000 residents and 200 社区 draw; how fast is measured in ``bench/bench_map.py``, not asserted here."""
    big = build_layers(demand_points=10_000, communities=200)
    (tmp_path / "big.html").write_text(standalone_html(_map(big)), encoding="utf-8")
    page.goto(f"{served}/big.html", wait_until="commit")
    page.wait_for_function(
        "n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n"
        " && document.querySelector('canvas.leaflet-heatmap-layer') !== null", arg=len(big.communities),
        timeout=30_000, polling="raf",
    )


def _open(page, served, tmp_path, m, name="map.html") -> None:
    (tmp_path / name).write_text(standalone_html(m), encoding="utf-8")
    page.goto(f"{served}/{name}")
    page.locator(".leaflet-container").first.wait_for(timeout=30_000)


def test_clustered_residents_draw_on_a_map_without_a_base_map(layers, served, page, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    _open(page, served, tmp_path, build_map(layers.communities, LABELS, demand=layers.demand, demand_style="cluster"))
    page.locator(".marker-cluster").first.wait_for(timeout=30_000)
    page.evaluate(f"() => {{ const m = {MAP}; m.setZoom(m.getZoom() - 2, {{animate: false}}); }}")  # every point in view
    page.wait_for_timeout(800)
    assert errors == []  # was: "Map has no maxZoom specified", and no point drawn
    grouped = sum(int(n) for n in page.locator(".marker-cluster").all_inner_texts())
    single = page.locator("path.planning-resident").count()
    assert grouped + single == int((~layers.demand["covered"]).sum())
    assert "未覆盖需求" in page.locator(".planning-legend").inner_text()


LABEL_BOXES = """() => [...document.querySelectorAll('.planning-label-icon')]
    .filter(e => getComputedStyle(e).visibility !== 'hidden')
    .map(e => { const r = e.firstChild.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: e.textContent,
                        size: parseFloat(getComputedStyle(e.firstChild).fontSize)}; })"""


def _overlap(a, b) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def test_on_a_phone_community_names_stay_readable_and_the_legend_opens_on_request(layers, served, tmp_path, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    phone = context.new_page()
    _open(phone, served, tmp_path, _map(layers))
    phone.wait_for_function("document.querySelectorAll('.planning-label').length > 0", timeout=30_000)
    phone.wait_for_timeout(800)
    shown = phone.evaluate(LABEL_BOXES)
    frame = phone.locator(".leaflet-container").bounding_box()
    assert len(shown) >= len(layers.communities) // 2
    assert min(b["size"] for b in shown) >= 12  # CSS px: readable on a 390 px wide phone
    assert all(frame["x"] <= b["left"] and b["right"] <= frame["x"] + frame["width"] for b in shown)
    assert not any(_overlap(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]), "labels pile up"
    hidden = set(layers.communities["name"]) - {b["text"] for b in shown}
    if hidden:  # a name hidden for lack of room appears when the map is zoomed in on it
        name = sorted(hidden)[0]
        phone.evaluate(f"""name => {{ const m = {MAP};
            const label = [...document.querySelectorAll('.planning-label')].find(e => e.textContent === name);
            const icon = label.parentElement;
            const at = m.layerPointToLatLng(L.DomUtil.getPosition(icon));
            m.setView(at, m.getZoom() + 3, {{animate: false}}); }}""", name)
        phone.wait_for_timeout(800)
        assert name in {b["text"] for b in phone.evaluate(LABEL_BOXES)}
    legend = phone.locator(".planning-legend")
    assert legend.locator("details").evaluate("d => d.open") is False  # folded: the map stays visible
    assert legend.bounding_box()["height"] < 60
    phone.screenshot(path=str(OUTPUT / "map_phone.png"))
    legend.locator("summary").click()
    phone.wait_for_timeout(300)
    text, box = legend.inner_text(), legend.bounding_box()
    assert all(n in text for n in TYPE_NAMES.values()) and "覆盖比例" in text
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] <= frame["height"]
    phone.screenshot(path=str(OUTPUT / "map_phone_legend.png"))
    context.close()


def test_a_community_name_is_shown_as_text_not_run_as_html(layers, served, page, tmp_path):
    hostile = '<img src=x onerror="window.hacked=1"> {{ 7*7 }}'  # HTML, and a Jinja tag (the server's templates)
    communities = layers.communities.assign(name=[hostile] * len(layers.communities))
    facilities = layers.facilities.assign(name=hostile)
    _open(page, served, tmp_path, build_map(communities, LABELS, facilities=facilities, facility_icons=FACILITY_ICONS))
    page.locator(".leaflet-marker-pane .awesome-marker").first.wait_for(timeout=30_000)
    for element in [*page.locator(".leaflet-overlay-pane svg path").all()[:5],
                    *page.locator(".leaflet-marker-pane .awesome-marker").all()[:3]]:
        box = element.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)
    page.wait_for_timeout(300)
    assert page.evaluate("window.hacked") is None
    assert hostile in page.locator(".planning-label").first.inner_text().replace(WORD_JOINER, "")


def test_an_open_legend_sits_beside_the_area_not_over_it(layers, served, page, tmp_path):
    page.set_viewport_size({"width": 760, "height": 520})  # the map's size on the coverage page
    _open(page, served, tmp_path, _map(layers))
    page.locator(".planning-legend details[open]").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    west, south, east, north = layers.communities.to_crs(4326).total_bounds
    area = page.evaluate(f"""b => {{ const m = {MAP}, r = m.getContainer().getBoundingClientRect();
        const a = m.latLngToContainerPoint([b[1], b[0]]), c = m.latLngToContainerPoint([b[3], b[2]]);
        return {{left: r.left + a.x, right: r.left + c.x, top: r.top + c.y, bottom: r.top + a.y}}; }}""",
                         [west, south, east, north])
    box = page.locator(".planning-legend").bounding_box()
    legend = {"left": box["x"], "right": box["x"] + box["width"], "top": box["y"], "bottom": box["y"] + box["height"]}
    assert not _overlap(area, legend), (area, legend)
