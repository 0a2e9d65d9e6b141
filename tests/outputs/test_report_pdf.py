"""Printed reports of MissionTown and the demo area: the pages show something, the text layer is Chinese.

The first pages are converted to PNG under ``test-output/`` (pdftoppm) for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from planning.areas.build import area_from_files
from planning.cli.main import main
from planning.network.read import load_network
from planning.outputs.reports import prepare_report_data, report_bytes
from planning.outputs.reports.build import render
from scenarios.scenario import save_scenario
from scenarios.voting import VotingService
from tests.support.data import MISSION_TOWN, OUTPUT
from tests.support.voting import SECRET, make_scenario, open_poll

OUTPUT = OUTPUT / "report"
POPPLER = shutil.which("pdftoppm") is not None and shutil.which("pdftotext") is not None
needs_poppler = pytest.mark.skipif(not POPPLER and not os.environ.get("CI"),
                                   reason="poppler-utils (pdftoppm, pdftotext) not installed")


@pytest.fixture(scope="module")
def facility_csv(tmp_path_factory) -> Path:
    """Two clinics, a canteen, a health centre and a car park at real MissionTown nodes (lon/lat CSV)."""
    net = load_network(MISSION_TOWN)
    pick = np.random.default_rng(7).choice(net.n_nodes, 5, replace=False)
    pts = gpd.GeoSeries(gpd.points_from_xy(net.x[pick], net.y[pick]), crs=net.crs).to_crs(4326)
    path = tmp_path_factory.mktemp("fac") / "facilities.csv"
    pd.DataFrame({"id": range(5), "name": [f"设施{i}" for i in range(5)],
                  "type": ["clinic", "clinic", "meal_hall", "health_center", "parking"],
                  "lon": pts.x, "lat": pts.y}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def mission_area(facility_csv):
    area, _ = area_from_files(MISSION_TOWN, facility_csv)
    return area


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages_png(pdf: Path, stem: str, pages: int = 3) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", str(pages), str(pdf), str(OUTPUT / stem)],
                   capture_output=True, check=True)
    return sorted(OUTPUT.glob(f"{stem}-*.png"))


def _ink_share(png: Path, below: int = 200) -> float:
    """Share of pixels darker than ``below`` (255 is white)."""
    grey = np.asarray(Image.open(png).convert("L"))
    return float((grey < below).mean())


def _write(name: str, payload: bytes) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    path.write_bytes(payload)
    for old in OUTPUT.glob(f"{path.stem}-*.png"):
        old.unlink()
    return path


@needs_poppler
def test_mission_town_pdf_names_every_community_under_chinese_headings(mission_area):
    pdf = _write("mission_town.pdf", report_bytes(mission_area, "pdf", lang="zh"))
    text = _text(pdf)
    assert [h for h in ("一、概况", "二、方法与假设", "三、全区覆盖", "五、未覆盖集中区", "六、各社区情况") if h not in text] == []
    missing = [n for n in mission_area.communities["name"] if n not in text]
    assert not missing, f"community names not in the PDF text: {missing}"
    assert "社区卫生服务站" in text and "GB 50180-2018" in text and "80%" in text  # threshold is stated
    pages = _pages_png(pdf, "mission_town")
    assert len(pages) == 3
    shares = [_ink_share(p) for p in pages]
    assert all(s > 0.01 for s in shares), shares
    # a map fills a good part of a page (its palest class, 0–20 %, is light yellow: greyscale 249)
    assert max(_ink_share(p, below=252) for p in pages) > 0.15, "no page with a map"


@needs_poppler
def test_demo_report_with_scenario_and_poll_shows_sites_cost_gains_and_every_receipt(demo_area, tmp_path):
    plan = make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5)
    files = [save_scenario(plan, tmp_path), save_scenario(make_scenario("方案乙 医疗优先", ["s3", "s4"], 0.6), tmp_path)]
    service = VotingService.connect(str(tmp_path / "poll.sqlite"))
    service.setup_organiser(SECRET)
    poll_id, codes = open_poll(service, files, "approval", 3)
    receipts = [service.cast_ballot(poll_id, code, {"approve": ["A"]}).receipt for code in codes]
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    data = prepare_report_data(demo_area, scenario=plan, poll=service.published_result(poll_id))
    service.engine.dispose()
    pdf = _write("xinjiekou_scenario_poll.pdf", render(data, "pdf", "zh"))
    text = _text(pdf)
    assert "七、规划方案：方案甲 养老优先" in text and f"{plan.cost_yuan:,.0f}" in text
    assert "石鼓路社区" in text and "新增覆盖人数" in text  # who gains, per community
    assert "八、居民投票结果公示" in text and all(r in text for r in receipts)
    assert all(n in text for n in demo_area.communities["name"])
    pages = _pages_png(pdf, "xinjiekou_scenario_poll", pages=4)
    assert all(_ink_share(p) > 0.01 for p in pages)


@needs_poppler
def test_english_report_uses_english_headings(demo_area):
    pdf = _write("xinjiekou_en.pdf", report_bytes(demo_area, "pdf", lang="en"))
    text = _text(pdf)
    assert "1. Summary" in text and "Coverage of the whole area" in text and "Meets tier" in text
    assert "一、概况" not in text
    assert all(_ink_share(p) > 0.01 for p in _pages_png(pdf, "xinjiekou_en", pages=2))


def test_html_report_inlines_maps_and_lists_communities(mission_area):
    page = report_bytes(mission_area, "html", lang="zh").decode("utf-8")
    _write("mission_town_page.html", page.encode("utf-8"))
    assert page.count("data:image/png;base64,") >= 3  # clinic, canteen, health centre, car park maps
    assert all(name in page for name in mission_area.communities["name"])
    assert "一、概况" in page and "<table>" in page


def test_report_command_writes_a_pdf_and_refuses_an_unknown_suffix(facility_csv, tmp_path, capsys):
    out = tmp_path / "报告.pdf"
    assert main(["report", "--network", str(MISSION_TOWN), "--facilities", str(facility_csv),
                 "--types", "clinic,parking", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and out.stat().st_size > 50_000
    assert main(["report", "--area", "xinjiekou", "--out", str(tmp_path / "report.docx")]) == 2
    err = capsys.readouterr().err
    assert "无法识别报告格式" in err and "Unknown report format" in err
    assert main(["report", "--out", str(out)]) == 2
    assert "--network" in capsys.readouterr().err
