"""Time the coverage map for a big area: 10 000 demand points, 200 communities (团城山街道, Huangshi).

Columns: Python build + render time, page size, and time from navigation to a drawn map in Debian's
chromium with every non-localhost request blocked. Rows compare the shipped map (geometry simplified
to the view, coordinates rounded) with the same layers unsimplified, as a plain folium export would be.

Run: ``python bench/bench_map.py`` (needs ``/usr/bin/chromium``).
"""
from __future__ import annotations

import functools
import http.server
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import folium
import folium.plugins
import pandas as pd
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from planning.outputs.maps.assets import standalone_html  # noqa: E402
from planning.outputs.maps.layers import MapLabels  # noqa: E402
from planning.outputs.maps.webmap import build_map  # noqa: E402
from tests.support.map_layers import FACILITY_ICONS, build_layers

LABELS = MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
RUNS = 3
DRAWN = """n => document.querySelectorAll('.leaflet-overlay-pane svg path').length >= n
          && document.querySelector('canvas.leaflet-heatmap-layer') !== null
          && document.querySelectorAll('.leaflet-marker-pane .awesome-marker').length > 0"""


def _shipped(layers) -> folium.Map:
    return build_map(layers.communities, LABELS, facilities=layers.facilities, sites=layers.sites,
                     demand=layers.demand, isochrones=layers.isochrones, facility_icons=FACILITY_ICONS)


def _plain_folium(layers) -> folium.Map:
    """The same layers the way a plain folium script draws them: full geometry, full precision."""
    m = folium.Map(tiles=None)
    for _, iso in layers.isochrones.to_crs(4326).iterrows():
        folium.GeoJson(iso.geometry.__geo_interface__, name=f"{iso['minutes']} min").add_to(m)
    folium.GeoJson(layers.communities.to_crs(4326), tooltip=folium.GeoJsonTooltip(["name", "covered_share"])).add_to(m)
    gaps = layers.demand[~layers.demand["covered"]].to_crs(4326)
    folium.plugins.HeatMap(list(zip(gaps.geometry.y, gaps.geometry.x, gaps["weight"]))).add_to(m)
    for point in pd.concat([layers.facilities, layers.sites]).to_crs(4326).geometry:
        folium.Marker([point.y, point.x], icon=folium.Icon(icon="school", prefix="fa")).add_to(m)
    west, south, east, north = layers.communities.to_crs(4326).total_bounds
    m.fit_bounds([[south, west], [north, east]])
    return m


def _build(make, layers) -> tuple[float, str]:
    """Seconds to build and render the map in Python, and its self-contained page."""
    start = time.perf_counter()
    m = make(layers)
    m.get_root().render()
    seconds = time.perf_counter() - start
    return seconds, standalone_html(m)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _browser_seconds(browser, url: str, paths: int) -> float:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("http://127.0.0.1", "data:"))
               else r.abort())
    page.goto(url, wait_until="commit")
    page.wait_for_function(DRAWN, arg=paths, timeout=60_000, polling="raf")
    seconds = page.evaluate("performance.now()") / 1000
    page.close()
    return seconds


def main() -> None:
    layers = build_layers(demand_points=10_000, communities=200)
    rows = {"shipped (simplified, rounded)": _shipped, "plain folium (full geometry)": _plain_folium}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        handler = functools.partial(_QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        results = {}
        for i, (name, make) in enumerate(rows.items()):
            builds, html = [], ""
            for _ in range(RUNS):
                seconds, html = _build(make, layers)
                builds.append(seconds)
            page = Path(tmp) / f"map{i}.html"
            page.write_text(html, encoding="utf-8")
            url = f"http://127.0.0.1:{server.server_address[1]}/{page.name}"
            draws = [_browser_seconds(browser, url, len(layers.communities)) for _ in range(RUNS)]
            results[name] = (statistics.median(builds), len(html.encode()) / 1e6, statistics.median(draws))
        browser.close()
        server.shutdown()
    base = results["shipped (simplified, rounded)"]
    print(f"\n{len(layers.demand):,} demand points, {len(layers.communities)} communities, "
          f"{len(layers.facilities)} facilities; median of {RUNS} runs; page is the self-contained HTML\n")
    print(f"{'map':32} {'build s':>8} {'page MB':>8} {'browser s':>10} {'build ×':>8} {'size ×':>7} {'browser ×':>9}")
    for name, (build, size, draw) in results.items():
        print(f"{name:32} {build:8.3f} {size:8.2f} {draw:10.3f} {build / base[0]:8.2f} {size / base[1]:7.2f} "
              f"{draw / base[2]:9.2f}")


if __name__ == "__main__":
    main()
