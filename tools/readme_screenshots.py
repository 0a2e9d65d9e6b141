"""Redraw the README's app screenshots from the current app: docs/coverage-map.png (the coverage
page at 1280×1600, every request leaving the machine blocked) and docs/vote-page.png (the vote page
on a phone, 390×844 at twice the pixels).

    .venv/bin/python tools/readme_screenshots.py

Needs Debian's chromium and Playwright, as the browser tests do. Works in a temporary user folder
(the demo area is derived there, or copied from your cache) with two real plans of the demo area
and an open poll; nothing of yours is changed but the two images.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "readme-screenshots-organiser"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="readme-shots-"))
    home = tmp / "home"
    from planning.base import paths

    if paths.cache_dir().is_dir():  # the derived demo area: no need to derive it again
        shutil.copytree(paths.cache_dir(), home / "cache")
    os.environ["PLANNING_HOME"] = str(home)
    os.environ["PLANNING_DB"] = str(tmp / "votes.sqlite")
    os.environ.pop("DATABASE_URL", None)

    from planning.areas.build import load_demo_area
    from scenarios.scenario import save_scenario
    from scenarios.voting import VotingService
    from tests.support.browser import chromium, offline_context, settle, streamlit_server
    from tests.support.plans import demo_plan

    area = load_demo_area("xinjiekou")
    plans = [demo_plan(area).model_copy(update={"name": "方案一 两处助餐点"}),
             demo_plan(area, "day_care", p=1).model_copy(update={"name": "方案二 一处日间照料中心"})]
    files = [save_scenario(plan, home / "scenarios") for plan in plans]
    service = VotingService.connect(os.environ["PLANNING_DB"])
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "新街口便民设施投票", files, "approval")
    code = service.generate_codes(SECRET, poll_id, 1)[0]
    service.open_voting(SECRET, poll_id)
    service.engine.dispose()

    docs = ROOT / "docs"
    try:
        with streamlit_server(dict(os.environ)) as url, chromium() as browser:
            context = offline_context(browser, viewport={"width": 1280, "height": 1600})
            page = context.new_page()
            page.goto(f"{url}/coverage", timeout=120_000)
            page.get_by_text("各社区缺口").first.wait_for(timeout=300_000)
            settle(page)
            for _ in range(240):  # the Leaflet map draws in its own frame
                frame = next((f for f in page.frames if f.query_selector(".leaflet-container")), None)
                if frame is not None and frame.query_selector_all("path.leaflet-interactive"):
                    break
                page.wait_for_timeout(250)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(docs / "coverage-map.png"))
            assert context.left == [], f"the page tried to leave the machine: {context.left[:3]}"
            context.close()

            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                     is_mobile=True, has_touch=True)
            phone.goto(f"{url}/vote?poll={poll_id}&code={code}", timeout=120_000)
            phone.get_by_role("button", name="投票").wait_for(timeout=120_000)
            settle(phone)
            phone.evaluate("window.scrollTo(0, 0)")
            phone.wait_for_timeout(1000)
            phone.screenshot(path=str(docs / "vote-page.png"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"written: {docs / 'coverage-map.png'}, {docs / 'vote-page.png'}")


if __name__ == "__main__":
    main()
