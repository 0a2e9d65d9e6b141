"""The app in a real browser (Debian chromium, no internet): a clerk reads coverage, a resident
votes on a phone (390×844) with the code from a slip, the published result shows the ballot.

Screenshots go to test-output/app-*.png. Skipped only when /usr/bin/chromium is missing and CI
is not set (``apt-get install chromium fonts-noto-cjk``).
"""
from __future__ import annotations

import os

import pytest

from scenarios.scenario import save_scenario
from scenarios.voting import VotingService
from tests.support.browser import chromium, needs_chromium, settle, streamlit_server
from tests.support.data import OUTPUT, seed_demo_cache
from tests.support.voting import SECRET, make_scenario

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def app_env(tmp_path_factory, demo_area):
    tmp = tmp_path_factory.mktemp("app")
    seed_demo_cache(tmp / "home")
    env = {**os.environ, "PLANNING_HOME": str(tmp / "home"), "PLANNING_DB": str(tmp / "votes.sqlite")}
    env.pop("DATABASE_URL", None)
    files = [save_scenario(make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5), tmp / "home" / "scenarios"),
             save_scenario(make_scenario("方案乙 医疗优先", ["s3", "s4"], 0.6), tmp / "home" / "scenarios")]
    service = VotingService.connect(str(tmp / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "新街口便民设施投票", files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 3)
    service.open_voting(SECRET, poll_id)
    return env, service, poll_id, codes


@pytest.fixture(scope="module")
def server(app_env):
    with streamlit_server(app_env[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_clerk_sees_demo_and_coverage(server, browser):
    OUTPUT.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server, timeout=60_000)
    page.get_by_text("南京 新街口", exact=False).first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_text("OSM 中没有社区食堂").first.wait_for(timeout=60_000)  # drawn after the area loads
    page.screenshot(path=str(OUTPUT / "app-area.png"), full_page=True)
    page.goto(f"{server}/coverage", timeout=60_000)
    page.get_by_text("各社区缺口").first.wait_for(timeout=60_000)
    settle(page)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(OUTPUT / "app-coverage.png"), full_page=True)
    page.close()


def test_resident_votes_on_phone_and_finds_receipt_in_results(server, browser, app_env):
    _, service, poll_id, codes = app_env
    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                             has_touch=True)
    phone.goto(f"{server}/vote?poll={poll_id}&code={codes[0]}", timeout=60_000)
    phone.get_by_text("方案甲 养老优先").first.wait_for(timeout=60_000)
    phone.get_by_role("button", name="投票").wait_for(timeout=30_000)
    settle(phone)
    phone.wait_for_timeout(1000)
    phone.screenshot(path=str(OUTPUT / "app-vote-phone.png"), full_page=True)
    phone.get_by_text("支持方案 B").click()
    settle(phone)
    phone.get_by_role("button", name="投票").click()
    phone.get_by_text("投票成功").wait_for(timeout=30_000)
    receipt = phone.locator(".receipt .code").inner_text().strip()
    phone.screenshot(path=str(OUTPUT / "app-vote-receipt.png"), full_page=True)
    phone.close()

    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/results?poll={poll_id}", timeout=60_000)
    page.get_by_text("胜出方案").first.wait_for(timeout=60_000)
    settle(page)
    # the ballots table is a canvas grid: its accessible copy of the rows may fill in after the
    # page settles on a busy machine, so wait for the receipt rather than read once
    assert receipt
    page.wait_for_function("r => document.body.innerHTML.includes(r)", arg=receipt, timeout=60_000)
    page.screenshot(path=str(OUTPUT / "app-results.png"), full_page=True)
    page.close()


def test_coverage_map_draws_with_every_outside_request_blocked(server, browser, demo_area):
    """No CDN, no tiles: the coverage page's Leaflet map still draws every community polygon."""
    OUTPUT.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    blocked: list[str] = []

    def guard(route):
        host = route.request.url.split("/")[2] if "://" in route.request.url else ""
        if host.startswith(("127.0.0.1", "localhost")) or route.request.url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(f"{server}/coverage", timeout=60_000)
    page.get_by_text("各社区缺口").first.wait_for(timeout=60_000)
    settle(page)
    frame = None
    for _ in range(120):
        frame = next((f for f in page.frames if f.query_selector(".leaflet-container")), None)
        if frame is not None and frame.query_selector_all("path.leaflet-interactive"):
            break
        page.wait_for_timeout(250)
    assert frame is not None, "no Leaflet map on the coverage page"
    paths = frame.query_selector_all("path.leaflet-interactive")
    assert len(paths) >= len(demo_area.communities)
    page.screenshot(path=str(OUTPUT / "app-coverage-offline.png"), full_page=True)
    assert blocked == [], f"the page tried to leave the machine: {blocked[:3]}"
    context.close()
