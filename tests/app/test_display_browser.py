"""Every page of the app in a real browser shows only meaningful figures: no inf, Infinity, nan,
NaN or None anywhere a person reads, in Chinese and in English.

A clerk opens the demo area and its coverage, runs a maximal-covering and a p-median plan and
saves both, compares them with a plan saved by an older version (p-median, cost stored as 0),
and residents vote on the three. "Visible text" is the page's innerText in every frame (the maps
are iframes) plus every string drawn on a canvas (Streamlit's tables are canvas grids, whose
"None" and "Infinity" never reach the DOM). Screenshots go to test-output/display-*.png.
"""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scenarios.scenario import save_scenario
from scenarios.voting import VotingService
from tests.support.browser import chromium, needs_chromium, settle, streamlit_server
from tests.support.data import OUTPUT, seed_demo_cache
from tests.support.display_checks import LEGACY_NAME, legacy_p_median_plan, meaningless
from tests.support.voting import SECRET

pytestmark = needs_chromium
# Every string drawn on a canvas (the tables' cells), recorded in each frame as it is drawn.
RECORD_CANVAS_TEXT = """(() => {
  const drawn = []; window.__canvasTexts = drawn;
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    drawn.push(String(text)); return fillText.call(this, text, ...rest); };
})();"""


@pytest.fixture(scope="module")
def app_env(tmp_path_factory, demo_area):
    tmp = seed_demo_cache(tmp_path_factory.mktemp("display"))
    env = {**os.environ, "PLANNING_HOME": str(tmp), "PLANNING_DB": str(tmp / "votes.sqlite")}
    env.pop("DATABASE_URL", None)
    save_scenario(legacy_p_median_plan(), tmp / "scenarios")
    return env, tmp


@pytest.fixture(scope="module")
def server(app_env):
    with streamlit_server(app_env[0]) as url:
        yield url


@pytest.fixture(scope="module")
def context():
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1920, "height": 1400})  # wide: no table column off-screen
        ctx.add_init_script(RECORD_CANVAS_TEXT)
        yield ctx


# True once every table's column headers have been drawn on its canvas.
TABLES_DRAWN = """() => {
  const drawn = new Set(window.__canvasTexts || []);
  const heads = Array.from(document.querySelectorAll('[data-testid="stDataFrame"] table thead th'))
    .map(h => h.textContent.trim()).filter(Boolean);
  return heads.every(h => drawn.has(h));
}"""


def _settle(page) -> None:
    settle(page, timeout_ms=90_000)
    page.wait_for_function(TABLES_DRAWN, timeout=60_000)
    page.wait_for_timeout(1500)  # the map iframes draw after the script run


def _visible_text(page) -> str:
    parts = []
    for frame in page.frames:
        try:
            parts.append(frame.evaluate("document.body ? document.body.innerText : ''"))
            parts += frame.evaluate("window.__canvasTexts || []")
        except Exception:  # a frame detached while we read it (a map redrawn)
            continue
    return "\n".join(parts)


def _check(page, name: str) -> str:
    """The page's visible text, after asserting that no meaningless figure is in it."""
    _settle(page)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"display-{name}.png"), full_page=True)
    text = _visible_text(page)
    found = meaningless(text)
    assert not found, f"{name}: {found[:5]}"
    return text


def _pick(page, label: str, option: str) -> None:
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a click during a rerun may not open the list
        page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        try:
            choice.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    choice.click()
    _settle(page)


def _run_and_save(page, model: str | None, name: str) -> str:
    """Run ``model`` (None: the default, maximal covering) with a 5-second limit and save the plan."""
    if model is not None:
        _pick(page, "选址模型", model)
    limit = page.get_by_role("spinbutton", name="最长计算时间（秒）")
    limit.fill("5")
    limit.press("Enter")
    _settle(page)
    page.get_by_role("button", name="开始计算").click()
    page.get_by_text("计算完成").first.wait_for(timeout=120_000)
    text = _check(page, f"siting-{name}")
    box = page.get_by_role("textbox", name="方案名称")
    box.fill(name)
    box.press("Enter")
    _settle(page)
    page.get_by_role("button", name="保存方案").click()
    page.get_by_text("已保存").first.wait_for(timeout=60_000)
    return text


def test_every_page_shows_only_meaningful_figures(server, context, app_env):
    page = context.new_page()
    page.goto(server, timeout=60_000)
    page.get_by_text("南京 新街口", exact=False).first.wait_for(timeout=90_000)
    _check(page, "area")

    page.goto(f"{server}/coverage", timeout=60_000)
    page.get_by_text("各社区缺口").first.wait_for(timeout=90_000)
    assert "超过 60 分钟" in _check(page, "coverage")  # nobody reaches a 社区食堂: said in words

    page.goto(f"{server}/siting", timeout=60_000)
    page.get_by_role("button", name="开始计算").wait_for(timeout=90_000)
    mclp = _run_and_save(page, None, "三处食堂 最大覆盖")
    assert "→" in mclp and "个百分点" in mclp
    p_median = _run_and_save(page, "P 中位（总步行时间最短）", "三处食堂 P中位")
    assert "平均步行" in p_median and "100.0%" not in p_median  # not "0.0 % → 100.0 %"
    page.get_by_text("English", exact=True).click()
    page.get_by_text("Average walk to the nearest new site").first.wait_for(timeout=60_000)
    _check(page, "siting-en")
    page.close()

    files = sorted((app_env[1] / "scenarios").glob("*.yaml"))
    assert len(files) == 3
    for lang in ("zh", "en"):
        page = context.new_page()
        page.goto(f"{server}/compare?lang={lang}", timeout=60_000)
        page.get_by_text("各方案的选址" if lang == "zh" else "Sites in each scenario").first.wait_for(timeout=90_000)
        compare = _check(page, f"compare-{lang}")
        assert ("未填写" if lang == "zh" else "not given") in compare  # the old plan's cost is unknown, not 0
        page.close()

    service = VotingService.connect(app_env[0]["PLANNING_DB"])
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "新街口助餐点投票", files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 2)
    service.open_voting(SECRET, poll_id)
    for lang in ("zh", "en"):
        page = context.new_page()
        page.goto(f"{server}/vote?poll={poll_id}&code={codes[0]}&lang={lang}", timeout=60_000)
        page.get_by_text(LEGACY_NAME).first.wait_for(timeout=90_000)
        if lang == "zh":  # the plan sentences draw after the option headings: wait for the last one
            page.get_by_text("造价：未填写").first.wait_for(timeout=90_000)
        vote = _check(page, f"vote-{lang}")
        if lang == "zh":
            assert "造价：未填写" in vote and "约 0 万元" not in vote
            assert re.search(r"造价：约 [\d,.]+ 万元", vote)  # the new plans carry the catalogue's cost
        page.close()
    service.cast_ballot(poll_id, codes[0], {"approve": ["B"]})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    service.engine.dispose()

    waits = {"": ("区域与数据", "Area & data"), "coverage": ("各社区缺口", "Gaps by community"),
             f"results?poll={poll_id}": ("全部选票", "All ballots")}
    for path, words in waits.items():
        for lang, word in zip(("zh", "en"), words):
            if lang == "zh" and not path.startswith("results"):
                continue  # the area and coverage pages were checked in Chinese at the start
            page = context.new_page()
            page.goto(f"{server}/{path}{'&' if '?' in path else '?'}lang={lang}", timeout=60_000)
            page.get_by_text(word).last.wait_for(timeout=90_000)
            text = _check(page, f"{path.split('?')[0] or 'area'}-{lang}")
            if path == "coverage":
                assert ("超过 60 分钟" if lang == "zh" else "over 60 min") in text
            page.close()
