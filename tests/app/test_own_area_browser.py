"""A clerk's own area in a real browser: upload the office's files, name the area, refresh.

The same files as the command-line test (the 海淀 OSM extract, 社区 boundaries, the Excel population
table, the GCJ-02 facility list) are uploaded on the 区域与数据 page and saved as 燕园街道. After a
refresh the area is still in use, its coverage page draws its 社区, the PDF report and the Excel
tables download from the coverage page's print buttons and open, and every layer downloads as a
GeoPackage from the area page; another browser opens the same area by
its link, and after the server restarts the area is still in the list. Screenshots go to
test-output/own-area-*.png.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pyogrio
import pytest
from openpyxl import load_workbook
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.browser import chromium, needs_chromium, streamlit_server
from tests.support.browser import settle as settle_within
from tests.support.data import BEIJING_PBF, OUTPUT, seed_demo_cache
from tests.support.office_files import COMMUNITIES, write_office_files

pytestmark = needs_chromium
AREA = "燕园街道"


def settle(page) -> None:
    settle_within(page, timeout_ms=180_000)  # building an area from an OSM extract takes a while


@pytest.fixture(scope="module")
def env(tmp_path_factory, demo_area):
    home = seed_demo_cache(tmp_path_factory.mktemp("own-area-home"))
    environment = {**os.environ, "PLANNING_HOME": str(home), "PLANNING_DB": str(home / "votes.sqlite")}
    environment.pop("DATABASE_URL", None)
    return environment


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    office = write_office_files(folder)
    osm = folder / "海淀.osm.pbf"
    shutil.copy(BEIJING_PBF, osm)
    return osm, office


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _map_paths(page, at_least: int) -> int:
    """Community polygons drawn by Leaflet inside the map's iframe (waits for them)."""
    count = 0
    for _ in range(240):
        frame = next((f for f in page.frames if f.query_selector(".leaflet-container")), None)
        count = len(frame.query_selector_all("path.leaflet-interactive")) if frame else 0
        if count >= at_least:
            break
        page.wait_for_timeout(250)
    return count


def _upload(page, label: str, path: Path) -> None:
    """Give ``path`` to the uploader labelled ``label`` and wait until the server has it: a button
    pressed while an upload is still on its way builds the area without that file."""
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
    for attempt in range(3):  # a file given while the page redraws can be lost: give it again
        settle(page)
        uploader.locator("input[type=file]").set_input_files(str(path))
        try:
            uploader.get_by_text(path.name, exact=True).wait_for(timeout=60_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:  # what the page showed instead, for whoever reads the failure
                page.screenshot(path=str(OUTPUT / "own-area-upload-failed.png"), full_page=True)
                raise AssertionError(f"{path.name} never showed in the uploader {label!r}; the uploaders read: "
                                     f"{page.locator('[data-testid=stFileUploader]').all_inner_texts()}") from None
    uploader.get_by_text(re.compile(r"^\d+(\.\d+)?\s?(B|KB|MB)$")).first.wait_for(timeout=120_000)  # its size: arrived
    page.wait_for_timeout(2000)  # the run the upload starts
    settle(page)


def _download(page, label: str, target: Path) -> bytes:
    button = page.get_by_role("button", name=label)
    button.wait_for(timeout=300_000)  # the printable files take a while to draw
    with page.expect_download(timeout=240_000) as caught:
        button.click()
    caught.value.save_as(target)
    return target.read_bytes()


def test_an_uploaded_area_survives_a_refresh_a_second_browser_and_a_restart(env, files, browser, tmp_path):
    osm, office = files
    OUTPUT.mkdir(exist_ok=True)
    with streamlit_server(env) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(server, timeout=120_000)
        page.get_by_text("南京 新街口", exact=False).first.wait_for(timeout=120_000)
        settle(page)
        page.get_by_text("上传文件新建").click()
        settle(page)
        name = page.get_by_role("textbox", name="区域名称（如 燕园街道）")
        name.fill(AREA)
        name.press("Enter")
        settle(page)
        for label, path in (("OSM 数据或路网", osm), ("社区边界（面", office.boundaries),
                            ("社区人口表", office.population), ("本单位设施清单", office.facilities)):
            _upload(page, label, path)
        page.get_by_role("button", name="建立并保存区域").click()
        page.get_by_text(f"已保存区域“{AREA}”", exact=False).first.wait_for(timeout=240_000)
        settle(page)
        assert f"area={quote(AREA)}" in page.url or f"area={AREA}" in page.url

        page.reload(timeout=120_000)  # F5: a new session; the URL still names the area
        page.get_by_text(f"当前区域：{AREA}").wait_for(timeout=120_000)
        settle(page)
        page.get_by_text("本单位文件：社区人口.xlsx").first.wait_for(timeout=60_000)  # which layers are the office's own
        page.get_by_text("本单位文件：设施清单.csv（部分类型）+ OpenStreetMap").first.wait_for(timeout=60_000)
        page.get_by_text("本单位的社区人口表：每个社区的人数按住宅建筑面积", exact=False).first.wait_for(timeout=60_000)
        page.screenshot(path=str(OUTPUT / "own-area-page.png"), full_page=True)

        layers = _download(page, "下载全部图层（GeoPackage，QGIS 可打开）", tmp_path / "layers.gpkg")
        assert layers[:16] == b"SQLite format 3\x00"
        assert {"network_edges", "candidates", "field_aliases"} <= {n for n, _ in pyogrio.list_layers(tmp_path / "layers.gpkg")}

        page.get_by_role("link", name="覆盖分析").click()
        page.get_by_text("各社区缺口").first.wait_for(timeout=120_000)
        settle(page)
        assert _map_paths(page, len(COMMUNITIES)) >= len(COMMUNITIES)
        assert "area=" in page.url  # every page's URL carries the area
        page.screenshot(path=str(OUTPUT / "own-area-coverage.png"), full_page=True)
        page.get_by_role("button", name="生成打印文件").click()  # the coverage page's print buttons (issue 18)
        pdf = _download(page, "下载评估报告 PDF", tmp_path / "report.pdf")
        assert pdf[:5] == b"%PDF-"
        text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
        assert AREA in text
        book = load_workbook(io.BytesIO(_download(page, "下载表格 Excel", tmp_path / "report.xlsx")))
        cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value}
        assert set(COMMUNITIES) <= cells
        page.close()

        other = browser.new_context(viewport={"width": 1280, "height": 1000})  # another browser: no shared state
        second = other.new_page()
        second.goto(f"{server}/coverage?area={quote(AREA)}", timeout=120_000)
        second.get_by_text("各社区缺口").first.wait_for(timeout=120_000)
        settle(second)
        assert _map_paths(second, len(COMMUNITIES)) >= len(COMMUNITIES)
        other.close()

    with streamlit_server(env) as server:  # a restart: the area is in the list
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(server, timeout=120_000)
        settle(page)
        page.get_by_label("使用的区域").click()
        page.get_by_text(f"{AREA}（已保存）").first.click()
        page.get_by_text(f"当前区域：{AREA}").wait_for(timeout=120_000)
        page.close()
