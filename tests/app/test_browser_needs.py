"""民情征集 in a real browser (Debian chromium, no internet): a resident on a phone (390×844) opens the survey
from its QR link, drops a pin, chooses a need and sends; a second answer with the same code is refused;
the organiser's page counts the pin in the 社区 it lies in (found here independently, by point in polygon).

Screenshots go to test-output/needs-*.png. Skipped only when /usr/bin/chromium is missing and CI is not set.
"""
from __future__ import annotations

import os

import geopandas as gpd
import pytest

from scenarios.needs import survey_area
from scenarios.voting.links import survey_url
from scenarios.voting.needs import NeedsService
from tests.support.browser import chromium, needs_chromium, offline_context, settle, streamlit_server
from tests.support.data import OUTPUT, seed_demo_cache
from tests.support.voting import SECRET

pytestmark = needs_chromium
HOSTILE = "<b>菜</b> **太贵** <img src=x>"  # a resident's sentence: shown as typed, never as Markdown/HTML
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def survey(tmp_path_factory, demo_area):
    tmp = tmp_path_factory.mktemp("needs-app")
    seed_demo_cache(tmp / "home")
    env = {**os.environ, "PLANNING_HOME": str(tmp / "home"), "PLANNING_DB": str(tmp / "needs.sqlite")}
    env.pop("DATABASE_URL", None)
    service = NeedsService.connect(str(tmp / "needs.sqlite"))
    service.setup_organiser(SECRET)
    survey_id = service.create_survey(SECRET, "新街口 身边缺什么", ["clinic_far", "meals", "parking", "day_care"],
                                      **survey_area(demo_area, "demo:xinjiekou"))
    codes = service.generate_survey_codes(SECRET, survey_id, 2)
    service.open_survey(SECRET, survey_id)
    return env, service, survey_id, codes


@pytest.fixture(scope="module")
def server(survey):
    with streamlit_server(survey[0]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _map_frame(page):
    for _ in range(240):
        frame = next((f for f in page.frames if f.query_selector(".leaflet-container")), None)
        if frame is not None and frame.query_selector_all("path.leaflet-interactive"):
            return frame
        page.wait_for_timeout(250)
    raise AssertionError("no Leaflet map on the needs page")


def _answer(phone, server, survey_id: int, code: str, shot: str) -> None:
    """Open the QR link, drop a pin in the middle of the map, choose 吃饭难, send."""
    phone.goto(survey_url(server, survey_id, code), timeout=60_000)
    phone.get_by_text("新街口 身边缺什么").first.wait_for(timeout=60_000)
    settle(phone)
    frame = _map_frame(phone)
    leaflet = frame.locator(".leaflet-container")
    # scrolled into view first: a click that scrolls Streamlit's page itself lands off by the scroll
    leaflet.scroll_into_view_if_needed()
    phone.wait_for_timeout(500)
    box = leaflet.bounding_box()
    leaflet.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    phone.get_by_text("已记下您点的位置").wait_for(timeout=60_000)
    settle(phone)
    phone.get_by_text("吃饭难", exact=True).click()
    settle(phone)
    sentence = phone.get_by_role("textbox", name="3. 说一句话（可不填）")
    sentence.fill(HOSTILE)
    sentence.press("Tab")  # Streamlit takes the text when the box loses focus
    settle(phone)
    phone.screenshot(path=str(OUTPUT / f"needs-{shot}.png"), full_page=True)
    phone.get_by_role("button", name="提交").click()
    settle(phone)


def test_resident_answers_on_a_phone_once_and_the_organiser_sees_the_pin_in_its_community(server, browser, survey,
                                                                                        demo_area):
    _, service, survey_id, codes = survey
    OUTPUT.mkdir(exist_ok=True)
    context = offline_context(browser, **PHONE)
    phone = context.new_page()
    _answer(phone, server, survey_id, codes[0], "phone")
    phone.get_by_text("已收到，谢谢您！").wait_for(timeout=30_000)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    phone.screenshot(path=str(OUTPUT / "needs-sent.png"), full_page=True)
    phone.close()

    again = context.new_page()  # the same slip scanned again (a new visit)
    _answer(again, server, survey_id, codes[0], "again")
    again.get_by_text("这个征集码已经提交过意见").first.wait_for(timeout=30_000)
    again.close()
    assert context.left == []  # nothing left the machine
    context.close()

    (stored,) = service.stated_needs(SECRET, survey_id)
    assert stored.need_type == "meals"
    assert stored.text == HOSTILE
    pin = gpd.GeoDataFrame(geometry=gpd.points_from_xy([stored.lon], [stored.lat]), crs=4326).to_crs(demo_area.crs)
    inside = gpd.sjoin(pin, demo_area.communities[["name", "geometry"]], predicate="within")
    assert len(inside) == 1
    expected = inside["name"].iloc[0]

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server}/needs_organiser", timeout=60_000)
    page.get_by_label("组织者口令").fill(SECRET)
    page.get_by_role("button", name="进入").click()
    page.get_by_text("各社区诉求数").wait_for(timeout=120_000)
    settle(page)
    table = page.locator("table.plain-table").first
    rows = {tr.locator("td").first.inner_text().strip(): [td.inner_text().strip() for td in tr.locator("td").all()]
            for tr in table.locator("tbody tr").all()}
    assert list(rows) == [expected], rows
    assert rows[expected][-1] == "1"
    assert HOSTILE in page.locator("body").text_content()  # the sentence as typed, in the grouped texts
    assert page.locator("b", has_text="菜").count() == 0 and page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(OUTPUT / "needs-organiser.png"), full_page=True)
    page.close()
