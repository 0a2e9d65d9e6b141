"""Acceptance: in a real browser an organiser downloads the report PDF, its Excel tables and the A3
公示 poster (with the vote's QR code and the dates typed beside the button) and each file opens.

Needs Debian's chromium and poppler-utils; files and screenshots go to test-output/print-app/.
"""
from __future__ import annotations

import io
import os
import subprocess

import pytest
from openpyxl import load_workbook

from scenarios.scenario import save_scenario, with_tasks
from scenarios.voting import VotingService
from tests.support.browser import chromium, needs_chromium, settle, streamlit_server
from tests.support.data import OUTPUT, seed_demo_cache
from tests.support.plans import demo_plan
from tests.support.printing import needs_poppler, pdf_fonts, pdf_text
from tests.support.voting import SECRET

pytestmark = [needs_chromium, needs_poppler]
OUTPUT = OUTPUT / "print-app"
TASKS = {"project": "石鼓路社区老年助餐点", "responsible": "新街口街道办事处", "deadline": "2025 年 12 月底"}
DATES = "6 月 1 日至 6 月 15 日"


@pytest.fixture(scope="module")
def app_env(tmp_path_factory, demo_area):
    tmp = tmp_path_factory.mktemp("print-app")
    home = tmp / "home"
    seed_demo_cache(home)
    two = demo_plan(demo_area).model_copy(update={"name": "方案一 两处助餐点"})
    one = demo_plan(demo_area, p=1).model_copy(update={"name": "方案二 一处助餐点"})
    files = [save_scenario(with_tasks(two, {two.sites[0].id: TASKS}), home / "scenarios"),
             save_scenario(one, home / "scenarios")]
    service = VotingService.connect(str(tmp / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "新街口助餐点选址", files, "approval")
    service.open_voting(SECRET, poll_id)
    service.engine.dispose()
    env = {**os.environ, "PLANNING_HOME": str(home), "PLANNING_DB": str(tmp / "votes.sqlite")}
    env.pop("DATABASE_URL", None)
    return env, poll_id


def _type(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    settle(page)


def _download(page, button: str, name: str):
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=button).click()
    path = OUTPUT / name
    info.value.save_as(path)
    settle(page)
    return path


@pytest.mark.timeout(900)
def test_organiser_downloads_report_excel_and_poster_and_each_opens(app_env):
    env, poll_id = app_env
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(f"{url}/compare", timeout=60_000)
        page.get_by_text("打印与下载").first.wait_for(timeout=120_000)
        settle(page)
        _type(page, "海报上的投票编号（0 为不印投票）", str(poll_id))
        _type(page, "投票时间（原样印在海报上）", DATES)
        page.get_by_role("button", name="生成打印文件").click()
        page.get_by_role("button", name="下载公示海报 PDF（A3）").wait_for(timeout=600_000)
        settle(page)
        page.screenshot(path=str(OUTPUT / "compare-print.png"), full_page=True)
        report = _download(page, "下载评估报告 PDF", "report.pdf")
        tables = _download(page, "下载表格 Excel", "tables.xlsx")
        poster = _download(page, "下载公示海报 PDF（A3）", "poster.pdf")

    info = subprocess.run(["pdfinfo", str(report)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = pdf_text(report)
    assert pages >= 5 and "社区生活圈评估报告" in text and "七、规划方案：方案一 两处助餐点" in text
    assert TASKS["project"] in pdf_text(report, raw=True).replace(" ", "").replace("\n", "")
    assert all(font["emb"] == "yes" for font in pdf_fonts(report))

    book = load_workbook(io.BytesIO(tables.read_bytes()))
    assert {"全区覆盖", "各社区覆盖", "未覆盖集中区", "任务清单"} <= set(book.sheetnames)
    tasks = book["任务清单"]
    column = [c.value for c in tasks[1]].index("责任单位")
    assert TASKS["responsible"] in [row[column] for row in tasks.iter_rows(min_row=2, values_only=True)]

    info = subprocess.run(["pdfinfo", str(poster)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info and "841.89 x 1190.55" in info  # one page of A3
    flat = pdf_text(poster, raw=True).replace(" ", "").replace("\n", "")
    assert "请投票" in flat and DATES.replace(" ", "") in flat and TASKS["project"] in flat
    assert "方案一两处助餐点" in flat and all(font["emb"] == "yes" for font in pdf_fonts(poster))
