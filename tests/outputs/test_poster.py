"""The 公示 poster: one A3/A2 page with the plan map, task table, who gains and the vote; prints anywhere."""
from __future__ import annotations

import subprocess
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PIL import Image

from planning.cli.main import main
from planning.outputs.poster import map_layout, render_poster
from scenarios.scenario import save_scenario, with_tasks
from scenarios.voting import VotingService
from tests.support.data import OUTPUT
from tests.support.plans import demo_plan
from tests.support.printing import assert_prints_without_fonts, needs_poppler, pdf_text
from tests.support.voting import SECRET, make_scenario

OUTPUT = OUTPUT / "print"
TASKS = {"project": "新街口社区助餐点", "location": "中山路 18 号底商", "scale": "建筑面积 200 平方米",
         "funding": "区财政、街道自筹", "responsible": "新街口街道办事处", "deadline": "2025 年 12 月底"}


@pytest.fixture(scope="module")
def plan(demo_area):
    raw = demo_plan(demo_area)
    return with_tasks(raw, {raw.sites[0].id: TASKS})  # the second site's fields stay blank


@pytest.fixture(scope="module")
def plan_file(plan, tmp_path_factory):
    return save_scenario(plan, tmp_path_factory.mktemp("plan"))


def _words(pdf) -> list[tuple[str, float]]:
    """(word, height in points) of every word of the text layer."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    import re

    return [(w, float(y1) - float(y0)) for y0, y1, w in
            re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)]


def _page_size(pdf) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return next(line for line in info.splitlines() if line.startswith("Page size")), info


@needs_poppler
def test_a3_poster_shows_gain_task_table_and_prints_without_installed_fonts(plan, plan_file, tmp_path):
    out = OUTPUT / "poster_a3.pdf"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    assert main(["poster", "--scenario", str(plan_file), "--size", "A3", "--out", str(out)]) == 0
    size, info = _page_size(out)
    assert "841.89 x 1190.55" in size and "Pages:           1" in info
    text = pdf_text(out)
    overall = plan.metrics.overall[0]  # one type built: the gain is its row at the type's 5-minute tier
    assert overall.tier_minutes == 5
    assert f"{overall.covered_after - overall.covered_before:,}" in text
    assert f"{overall.covered_60_plus_after - overall.covered_60_plus_before:,}" in text
    flat = pdf_text(out, raw=True).replace(" ", "").replace("\n", "")
    assert all(v.replace(" ", "") in flat for v in TASKS.values())
    assert "None" not in text and "nan" not in text and "mclp" not in text and plan.sites[0].id not in text
    assert "最大覆盖模型" in text and plan.digest in flat
    assert_prints_without_fonts(out, tmp_path)
    heights = [h for w, h in _words(out)]
    assert min(heights) >= 11.5, "text too small to read on a noticeboard"
    assert sorted(heights)[len(heights) // 2] >= 15.5, "body text must read from 1.5 m"
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(out), str(OUTPUT / "poster_a3")], check=True)


@needs_poppler
def test_poster_announces_an_open_vote_and_later_the_published_result(plan_file, tmp_path):
    service = VotingService.connect(str(tmp_path / "poll.sqlite"))
    service.setup_organiser(SECRET)
    other = save_scenario(make_scenario("方案乙", ["s1"], 0.3), tmp_path)
    poll_id = service.create_poll(SECRET, "新街口助餐点选址", [plan_file, other], "approval")
    codes = service.generate_codes(SECRET, poll_id, 2)
    service.open_voting(SECRET, poll_id)
    db = str(tmp_path / "poll.sqlite")
    open_pdf = tmp_path / "open.pdf"
    assert main(["poster", "--scenario", str(plan_file), "--poll", str(poll_id), "--db", db,
                 "--dates", "6 月 1 日至 6 月 15 日", "--out", str(open_pdf)]) == 0
    text = pdf_text(open_pdf).replace(" ", "")
    assert "请投票" in text and "6月1日至6月15日" in text and "投票结果" not in text
    assert "Pages:           1" in _page_size(open_pdf)[1]  # the QR code block makes the maps smaller, not the text
    assert min(h for _, h in _words(open_pdf)) >= 11.5
    for code in codes:
        service.cast_ballot(poll_id, code, {"approve": ["A"]})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    published = service.published_result(poll_id)
    service.engine.dispose()
    done = OUTPUT / "poster_published_a2.pdf"
    assert main(["poster", "--scenario", str(plan_file), "--poll", str(poll_id), "--db", db, "--size", "A2",
                 "--out", str(done)]) == 0
    text = pdf_text(done).replace(" ", "").replace("\n", "")
    assert "投票结果" in text and published["ballots_digest"] in text and "请投票" not in text
    assert "1190.55 x 1683.78" in _page_size(done)[0]
    assert min(h for _, h in _words(done)) >= 11.5 * 1.4  # everything scales with the sheet


def test_poster_of_a_plan_without_an_area_or_with_a_bad_size_is_refused(plan, tmp_path, capsys):
    bare = plan.model_copy(update={"data_sources": []})
    path = save_scenario(bare, tmp_path)
    assert main(["poster", "--scenario", str(path), "--out", str(tmp_path / "p.pdf")]) == 2
    assert "--area" in capsys.readouterr().err
    assert main(["poster", "--out", str(tmp_path / "p.pdf")]) == 2
    assert "--scenario" in capsys.readouterr().err
    assert not (tmp_path / "p.pdf").exists()


def _pictures(pdf) -> list[tuple[float, float]]:
    """(width, height) in points of every picture on the page (pdfimages: pixels ÷ placement ppi)."""
    rows = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    cells = [line.split() for line in rows.splitlines()[2:]]
    return [(int(c[3]) / float(c[12]) * 72, int(c[4]) / float(c[13]) * 72) for c in cells if c[2] == "image"]


def _longest_blank_band(pdf, workdir) -> float:
    """The tallest run of blank rows on the rendered page, as a share of the page height."""
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(pdf), str(workdir / "page")], check=True)
    grey = np.asarray(Image.open(next(workdir.glob("page*.png"))).convert("L"))
    blank = (grey > 245).all(axis=1)
    longest = run = 0
    for row in blank:
        run = run + 1 if row else 0
        longest = max(longest, run)
    return longest / len(blank)


@needs_poppler
def test_plan_maps_fill_the_poster_width_and_leave_no_empty_band(plan, demo_area, tmp_path):
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(render_poster(demo_area, plan))
    maps = _pictures(pdf)
    assert len(maps) == 2
    page_width = 841.89
    assert sum(w for w, _ in maps) >= 0.88 * page_width  # a wide area: the two maps take the printable width
    assert _longest_blank_band(pdf, tmp_path) < 0.06  # was a quarter of the page empty under the vote line


def _area_of(width_m: float, height_m: float):
    box = shapely.box(660_000, 3_540_000, 660_000 + width_m, 3_540_000 + height_m)
    return SimpleNamespace(communities=gpd.GeoDataFrame({"name": ["甲"]}, geometry=[box], crs=32650))


@pytest.mark.parametrize("shape, expected", [((4000, 1500), "stacked"), ((2000, 1400), "stacked"), ((1500, 2000), "side"),
                                                   ((1000, 3000), "side")])
def test_map_layout_draws_the_larger_maps_that_fit_the_room(shape, expected):
    width, height, arrow, below, beside, title = 770.0, 900.0, 28.0, 86.0, 200.0, 30.0
    layout = map_layout(_area_of(*shape), width, height, arrow, below, beside, title)
    per_width = min(max(shape[1] / shape[0], 0.5), 1.2)  # map height per width (maps are kept 1:2 to 6:5)
    side = min((width - arrow) / 2, (height - below) / per_width)
    stacked = min(width - beside, ((height - arrow) / 2 - title) / per_width)
    assert layout.kind == expected and layout.map_width == pytest.approx(max(side, stacked), rel=0.02)
    if layout.kind == "side":
        assert 2 * layout.map_width + arrow <= width + 1e-6 and layout.map_width * per_width + below <= height * 1.02
    else:
        fig_w, fig_h = layout.figure
        assert fig_w <= width + 1e-6 and 2 * fig_h + arrow <= height * 1.02


def test_poster_refuses_to_call_for_a_vote_the_plan_is_not_in(plan_file, tmp_path, capsys):
    service = VotingService.connect(str(tmp_path / "poll.sqlite"))
    service.setup_organiser(SECRET)
    others = [save_scenario(make_scenario(name, ["s1"], 0.3), tmp_path) for name in ("方案乙", "方案丙")]
    poll_id = service.create_poll(SECRET, "别的投票", others, "approval")
    service.engine.dispose()
    out = tmp_path / "p.pdf"
    assert main(["poster", "--scenario", str(plan_file), "--poll", str(poll_id), "--db", str(tmp_path / "poll.sqlite"),
                 "--out", str(out)]) == 2
    assert "选项中没有方案" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_before_after_caption_reads_well_for_every_facility_type(lang):
    """The type's name is put after a verb, so 社区食堂 does not follow 各社区 (was 各社区社区食堂)."""
    from planning.base.catalogue import load_catalogue
    from planning.base.text import catalogue

    for ftype in load_catalogue().values():
        name = ftype.name_zh if lang == "zh" else ftype.name_en
        caption = catalogue("report").text("map_scenario_caption", lang, type=name, tier=15)
        assert name in caption and "社区社区" not in caption and "15" in caption
