"""What the app's first page loads: the area page draws its map without the report renderers' plotting stack
(matplotlib and the PDF libraries take seconds to import on a busy machine), with the printed maps' words."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.app.test_app_pages import _app, env  # noqa: F401 (env is a fixture)
from tests.support.browser import needs_chromium
from tests.support.data import ROOT, seed_demo_cache

_FIRST_PAGE = """
import sys
import planning.app.common
import planning.outputs.reports.content
from planning.outputs.maps.layers import printed_map_labels
words = printed_map_labels("zh")
planning.app.common.map_labels()  # the web map's words, as draw_map asks for them
print("HEAVY", ",".join(sorted(m for m in ("matplotlib", "reportlab", "weasyprint") if m in sys.modules)))
print("WORDS", words.metres, words.north)
"""


def test_the_first_page_reads_map_words_without_importing_the_report_renderers():
    out = subprocess.run([sys.executable, "-c", _FIRST_PAGE], cwd=ROOT, capture_output=True, text=True,
                         timeout=180, check=True).stdout
    assert "HEAVY \n" in out, out
    assert "WORDS 米 北" in out, out


# The area page (the app's first page) run as the server runs it, without the warm-up that follows it
_AREA_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
import planning.app.warm
planning.app.warm.start = lambda: None
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
assert not at.exception, at.exception
assert any("南京" in h.value for h in at.header), [h.value for h in at.header]
print("LOADED", ",".join(m for m in sys.argv[2:] if m in sys.modules))
"""
# imported by other pages only: the optimiser and its solvers, the voting database, scenario files (pydantic),
# the results page's charts, the printed outputs
OTHER_PAGES_ONLY = ("optimize.siting", "pulp", "highspy", "sqlalchemy", "scenarios.voting.db", "scenarios.scenario",
                    "pydantic", "altair", "matplotlib", "reportlab", "openpyxl")


@pytest.fixture
def home_with_demo(tmp_path, monkeypatch, demo_area):
    """A user folder holding the derived demo area (as after the first start), for a fresh process."""
    seed_demo_cache(tmp_path / "home")
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "votes.sqlite"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "home"


def test_the_area_page_is_drawn_without_importing_what_only_other_pages_need(home_with_demo):
    """Nor Streamlit's emoji catalogue (0.6-0.75 s), which an alert without an icon loads for its Chinese text."""
    out = subprocess.run([sys.executable, "-c", _AREA_PAGE, str(ROOT / "app.py"), *OTHER_PAGES_ONLY, "streamlit.emojis",
                          "folium"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert out.returncode == 0, out.stderr[-3000:]
    assert "LOADED folium\n" in out.stdout, out.stdout  # its map drawn (the check sees what is imported)


def test_the_warm_up_prints_the_setup_token_and_imports_the_other_pages_modules(home_with_demo):
    from planning.app.warm import page_imports

    modules = page_imports()
    assert {"optimize.siting", "scenarios.voting.chain", "altair", "planning.coverage.gaps"} <= set(modules)
    assert "__future__" not in modules
    warm_up = ("import sys, planning.app.warm as w; w._warm_up(); "
               "print('LOADED', ','.join(m for m in sys.argv[1:] if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", warm_up, *OTHER_PAGES_ONLY[:7]], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=os.environ.copy())
    assert out.returncode == 0, out.stderr[-3000:]
    assert "组织者设置令牌" in out.stdout, out.stdout  # printed on the server's console, as before the first page
    assert f"LOADED {','.join(OTHER_PAGES_ONLY[:7])}" in out.stdout, out.stdout


def test_printed_map_words_are_the_reports_words():
    from planning.outputs.maps.layers import printed_map_labels
    from planning.outputs.reports.maps import map_labels

    for lang in ("zh", "en"):
        assert printed_map_labels(lang) == map_labels(lang)
    assert (printed_map_labels("en").metres, printed_map_labels("en").north) == ("m", "N")


def test_coverage_page_writes_its_download_files_only_when_asked(env, monkeypatch):
    """The GeoPackage takes half a second to write: the coverage page is drawn without it."""
    import planning.app.common as common

    written = []
    real = common.write_coverage_gpkg
    monkeypatch.setattr(common, "write_coverage_gpkg", lambda *a, **k: written.append(1) or real(*a, **k))
    at = _app("coverage")
    assert not at.exception, at.exception
    assert {"下载 GeoPackage（QGIS 可打开）", "下载表格 CSV"} <= {b.label for b in at.get("download_button")}
    assert written == []


@needs_chromium
@pytest.mark.timeout(600)
def test_coverage_downloads_are_written_on_click_and_open(tmp_path, demo_area):
    import geopandas as gpd
    import pandas as pd

    from tests.support.browser import chromium, settle, streamlit_server

    home = seed_demo_cache(tmp_path / "home")
    server_env = {**os.environ, "PLANNING_HOME": str(home), "PLANNING_DB": str(tmp_path / "votes.sqlite")}
    server_env.pop("DATABASE_URL", None)
    with streamlit_server(server_env) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(f"{url}/coverage", timeout=60_000)
        page.get_by_text("各社区缺口").first.wait_for(timeout=180_000)
        settle(page)
        files = {}
        for button, name in (("下载 GeoPackage（QGIS 可打开）", "coverage.gpkg"), ("下载表格 CSV", "coverage.csv")):
            with page.expect_download(timeout=120_000) as info:
                page.get_by_role("button", name=button).click()
            files[name] = tmp_path / name
            info.value.save_as(files[name])
    communities = gpd.read_file(files["coverage.gpkg"], layer="communities")
    assert sorted(communities["code"]) == sorted(demo_area.communities["code"])
    table = pd.read_csv(files["coverage.csv"], encoding="utf-8-sig")
    assert len(table) == len(demo_area.communities) * table["type"].nunique()  # a row per community and type
