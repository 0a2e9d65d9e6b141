"""In a real browser: a long siting run shows its progress as it goes (the elapsed time counts up with no
click), goes on past the time after which a run nobody watches stops itself (the open page's heartbeat
keeps it), and 取消 stops it with the best plan so far, labelled as not proven optimal.

The solve is made long by a wrapper script that holds the covering model until it is asked to stop (the
demo's models all end within a second); everything else is the app as served."""
from __future__ import annotations

import os
import re

import pytest

from optimize.background import ABANDON_AFTER_S
from tests.support.browser import chromium, needs_chromium, settle, streamlit_server
from tests.support.data import ROOT, seed_demo_cache

pytestmark = needs_chromium

_SLOW_APP = f"""
import sys
import time
from pathlib import Path

sys.path.insert(0, {str(ROOT)!r})
from optimize.model import LocationModel

if not getattr(LocationModel, "_held", False):
    real = LocationModel._run

    def held(self, solver, time_limit_s, mip_gap, progress):
        began = time.perf_counter()
        while progress is not None and not progress.stop() and time.perf_counter() - began < 240:
            time.sleep(0.05)
        return real(self, solver, time_limit_s, mip_gap, progress)

    LocationModel._run = held
    LocationModel._held = True

from planning.app.main import main
from planning.outputs.maps.assets import ensure_app_static

ensure_app_static(Path(__file__).resolve().parent)
main()
"""


def _elapsed(page) -> int:
    text = page.get_by_text(re.compile("正在求解：已用")).first.inner_text()
    return int(re.search(r"已用 (\d+) 秒", text).group(1))


@pytest.mark.timeout(600)
def test_progress_counts_up_by_itself_and_cancel_keeps_the_plan_not_proven_optimal(tmp_path, demo_area):
    home = tmp_path / "home"
    seed_demo_cache(home)
    (tmp_path / "slow_app.py").write_text(_SLOW_APP, encoding="utf-8")
    env = {**os.environ, "PLANNING_HOME": str(home), "PLANNING_DB": str(tmp_path / "votes.sqlite"),
           "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    with streamlit_server(env, script=str(tmp_path / "slow_app.py")) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{url}/siting", timeout=60_000)
        page.get_by_role("button", name="开始计算").wait_for(timeout=180_000)
        settle(page)
        page.get_by_role("button", name="开始计算").click()
        page.get_by_text(re.compile("正在求解：已用")).first.wait_for(timeout=120_000)
        first = _elapsed(page)
        page.wait_for_function("() => /已用 ([3-9]|\\d\\d+) 秒/.test(document.body.innerText)", timeout=60_000)
        assert _elapsed(page) > first  # redrawn by itself while the solver runs
        assert page.get_by_text("求解器尚未报告界").count() == 1
        past = int(ABANDON_AFTER_S) + 3  # an unwatched run would have stopped itself by now
        reached = "n => { const m = /已用 (\\d+) 秒/.exec(document.body.innerText); return m && +m[1] >= n; }"
        page.wait_for_function(reached, arg=past, timeout=120_000)
        page.get_by_role("button", name="取消（保留目前最好的方案）").click()
        page.get_by_text("已按您的要求停止").first.wait_for(timeout=120_000)
        settle(page)
        body = page.inner_text("body")
        assert "未证明最优" in body and "求解已按您的要求停止" in body
        assert page.get_by_role("button", name="取消（保留目前最好的方案）").count() == 0
        assert page.get_by_text(re.compile("正在求解：已用")).count() == 0
        page.screenshot(path=str(tmp_path / "siting-stopped.png"), full_page=True)
