"""Meeting day in a real browser (Debian chromium, no internet): the organiser's door, paper
ballots entered one after another, and user text that tries to be a link or an image.

* The organiser secret is set with the one-time token the server prints in its window.
* A resident on the public pages finds no organiser action; the organiser page refuses without the secret.
* A clerk enters twenty paper ballots in a row: each time the form clears and says 已录入 in large
  letters; a malformed code and a code used twice are refused with their own message; turnout is right.
* A poll title and plan names written as Markdown links and images show literally on the vote page,
  the meeting screen, the published result and the organiser page, and no request leaves the machine.

Screenshots go to test-output/meeting-*.png.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest

from planning.app.main import PAGES
from scenarios.scenario import save_scenario
from scenarios.voting import VotingService
from tests.support.browser import (
    app_server,
    chromium,
    needs_chromium,
    offline_context,
    settle,
)
from tests.support.data import OUTPUT, seed_demo_cache
from tests.support.voting import SECRET, make_scenario

pytestmark = needs_chromium

HOSTILE_TITLE = "新街口投票 [点此领取补贴](http://evil.example/claim) ![广告](http://evil.example/ad.png) <img src=http://evil.example/x.png>"
HOSTILE_PLAN = "方案甲 [官方链接](http://evil.example/plan) ![](http://evil.example/plan.png)"
ORGANISER_WORDS = ("开始投票", "结束投票", "公示结果", "生成选票码", "创建投票", "录入这张选票", "保存网址", "开始听证")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _environment(tmp) -> tuple[dict, list]:
    """The server's environment (the session's derived demo area seeded: callers use ``demo_area``) and
    two saved plans."""
    import os

    home = seed_demo_cache(tmp / "home")
    env = {**os.environ, "PLANNING_HOME": str(home), "PLANNING_DB": str(tmp / "votes.sqlite")}
    env.pop("DATABASE_URL", None)
    files = [save_scenario(make_scenario(HOSTILE_PLAN, ["s1", "s2"], 0.5), home / "scenarios"),
             save_scenario(make_scenario("方案乙 医疗优先", ["s3", "s4"], 0.6), home / "scenarios")]
    return env, files


@pytest.fixture(scope="module")
def meeting(tmp_path_factory, demo_area):
    """A running app whose database has the organiser secret set; (url, service, scenario files)."""
    tmp = tmp_path_factory.mktemp("meeting")
    env, files = _environment(tmp)
    service = VotingService.connect(env["PLANNING_DB"])
    service.setup_organiser(SECRET)
    with app_server(env) as (url, _printed):
        yield url, service, files
    service.engine.dispose()


def _field(page, label: str):
    """The text or password box labelled ``label``."""
    return page.locator(f'input[aria-label="{label}"]')


def _sign_in(page, url: str, secret: str = SECRET) -> None:
    page.goto(f"{url}/organiser", timeout=60_000)
    _field(page, "组织者口令").fill(secret)
    page.get_by_role("button", name="登录").click()
    settle(page)


def _choose_poll(page, poll_id: int) -> None:
    page.get_by_role("combobox", name="管理的投票").click()
    page.get_by_role("option", name=f"投票 {poll_id}", exact=True).click()
    settle(page)


def _visible(page) -> str:
    return page.locator("body").inner_text()


def test_the_organiser_secret_is_set_with_the_token_the_server_prints(tmp_path, browser, demo_area):
    env, _ = _environment(tmp_path)
    with app_server(env) as (url, printed):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/organiser", timeout=60_000)
        _field(page, "一次性设置令牌").wait_for(timeout=60_000)
        settle(page)
        assert not any(word in _visible(page) for word in ORGANISER_WORDS)
        token = next(re.search(r"[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3}", line).group(0)
                     for line in printed if "组织者设置令牌" in line)
        assert token not in _visible(page)  # printed in the server's window, never on a page
        for value in ("AAAA-BBBB-CCCC-DDDD", token):
            _field(page, "一次性设置令牌").fill(value)
            _field(page, "新的组织者口令").fill(SECRET)
            _field(page, "再输入一次").fill(SECRET)
            page.get_by_role("button", name="设置口令").click()
            settle(page)
            if value != token:
                page.get_by_text("设置令牌不正确").wait_for(timeout=30_000)
        page.get_by_text("新建投票").first.wait_for(timeout=60_000)
        page.close()
    service = VotingService.connect(env["PLANNING_DB"])
    service.check_organiser(SECRET)
    assert [e["detail"]["via"] for e in service._log_entries(service.engine.connect(), 0)] == ["token"]
    service.engine.dispose()


def test_a_resident_on_the_public_pages_cannot_reach_any_organiser_action(meeting, browser):
    url, service, files = meeting
    poll_id = service.create_poll(SECRET, "新街口便民设施投票", files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 2)
    service.open_voting(SECRET, poll_id)
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    desk.goto(url, timeout=60_000)
    desk.locator('[data-testid="stSidebarNav"] a').first.wait_for(timeout=60_000)
    links = desk.locator('[data-testid="stSidebarNav"] a').evaluate_all("links => links.map(a => a.href)")
    public = ["" if page == "area" else page for *_, page in PAGES]  # the area page is the default: "/"
    assert [link.removeprefix(f"{url}/") for link in links] == public
    assert not any("organiser" in link for link in links)
    desk.close()
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    for path, ready in ((f"vote?poll={poll_id}&code={codes[0]}", "支持方案 B"),
                        (f"results?poll={poll_id}", "已投票（已用选票码）"), ("", "区域与数据")):
        phone.goto(f"{url}/{path}", timeout=60_000)
        phone.get_by_text(ready).first.wait_for(timeout=90_000)
        settle(phone)
        assert phone.locator("input[type=password]").count() == 0
        buttons = phone.get_by_role("button").all_inner_texts()
        assert not any(word in label for label in buttons for word in ORGANISER_WORDS), buttons
    # the organiser page answers its address, but only with the door
    phone.goto(f"{url}/organiser", timeout=60_000)
    _field(phone, "组织者口令").wait_for(timeout=60_000)
    settle(phone)
    _field(phone, "组织者口令").fill("guessed-secret-1")
    phone.get_by_role("button", name="登录").click()
    phone.get_by_text("组织者口令不正确").wait_for(timeout=30_000)
    settle(phone)
    visible = _visible(phone)
    assert not any(word in visible for word in ORGANISER_WORDS) and "新街口便民设施投票" not in visible
    phone.screenshot(path=str(OUTPUT / "meeting-organiser-refused.png"), full_page=True)
    phone.close()
    assert service.poll(poll_id).state == "voting"


def test_twenty_paper_ballots_in_a_row_each_cleared_with_refusals_named(meeting, browser):
    url, service, files = meeting
    OUTPUT.mkdir(exist_ok=True)
    poll_id = service.create_poll(SECRET, "纸质选票录入", files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 25, label="1号桌")
    service.open_voting(SECRET, poll_id)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    _sign_in(page, url)
    _choose_poll(page, poll_id)
    page.get_by_text("录入纸质选票").wait_for(timeout=60_000)
    form = page.locator('[data-testid="stForm"]').filter(has=page.locator('input[aria-label="选票上的选票码"]'))
    boxes = form.locator('[data-testid="stCheckbox"]')
    # 20 real ballots; a malformed code as the 8th entry and the 3rd code again as the 17th
    entries = [(codes[i], [i % 2 == 0, i % 3 == 0 or i % 2 == 1]) for i in range(20)]
    entries.insert(7, ("7KQM-X3RD-9PWE-H0", [True, False]))
    entries.insert(16, (codes[2], [False, True]))
    expected = {8: ("无效", "选票码格式不正确"), 17: ("无效", "已经投过票")}
    stored = 0
    for n, (code, ticks) in enumerate(entries, start=1):
        _field(page, "选票上的选票码").fill(code)
        for box, tick in zip(boxes.all(), ticks):
            if tick:
                box.locator("label").click()
        page.get_by_role("button", name="录入这张选票").click()
        banner = page.locator(".paper")
        banner.filter(has_text=f"第 {n} 次录入").wait_for(timeout=60_000)
        settle(page)
        word, message = expected.get(n, ("已录入", None))
        assert banner.inner_text().startswith(word), banner.inner_text()
        if message is None:
            stored += 1
            assert f"第 {stored} 张选票" in banner.inner_text()
        else:
            page.get_by_text(message).first.wait_for(timeout=10_000)
        # the form is empty again for the next ballot
        assert _field(page, "选票上的选票码").input_value() == ""
        assert form.locator("input[type=checkbox]:checked").count() == 0
        if n in (1, 8):
            page.screenshot(path=str(OUTPUT / f"meeting-paper-{n}.png"), full_page=False)
    page.get_by_text("已投 20 / 已发 25").wait_for(timeout=30_000)
    page.close()
    info = service.poll(poll_id)
    assert (info.ballots, info.codes_used, info.codes_issued) == (20, 20, 25)
    assert [(b.label, b.used) for b in info.batches] == [("1号桌", 20)]
    service.close(SECRET, poll_id)
    by_hand = Counter(key for _, ticks in entries[:7] + entries[8:16] + entries[17:]
                      for key, tick in zip("AB", ticks) if tick)
    assert service.result(poll_id).tally.totals == {"A": by_hand["A"], "B": by_hand["B"]}


def test_markdown_in_titles_is_shown_literally_and_nothing_leaves_the_machine(meeting, browser):
    url, service, files = meeting
    OUTPUT.mkdir(exist_ok=True)
    open_id = service.create_poll(SECRET, HOSTILE_TITLE, files, "approval")
    codes = service.generate_codes(SECRET, open_id, 3)
    service.open_voting(SECRET, open_id)
    done_id = service.create_poll(SECRET, HOSTILE_TITLE, files, "approval", publish_comments=True)
    service.start_hearing(SECRET, done_id)
    service.add_comment(done_id, "[回复领奖](http://evil.example/c) ![](http://evil.example/c.png)", "A")
    done_codes = service.generate_codes(SECRET, done_id, 2)
    service.open_voting(SECRET, done_id)
    service.cast_ballot(done_id, done_codes[0], {"approve": ["A"]})
    service.close(SECRET, done_id)
    service.publish(SECRET, done_id)
    context = offline_context(browser, viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    visits = {"vote": f"vote?poll={open_id}&code={codes[0]}", "meeting-screen": f"results?poll={open_id}",
              "result": f"results?poll={done_id}"}
    for name, path in visits.items():
        page.goto(f"{url}/{path}", timeout=60_000)
        page.get_by_text(HOSTILE_TITLE).first.wait_for(timeout=90_000)
        if name != "meeting-screen":  # the plans come after the area is loaded
            page.get_by_text("[官方链接](http://evil.example/plan)").first.wait_for(timeout=180_000)
        if name == "result":  # the comments close the page: drawn last, later still on a busy machine
            page.get_by_text("[回复领奖](http://evil.example/c)").first.wait_for(timeout=120_000)
        settle(page)
        text = _visible(page)
        assert HOSTILE_TITLE in text, name
        if name != "meeting-screen":
            assert "[官方链接](http://evil.example/plan)" in text, name
        if name == "result":
            assert "[回复领奖](http://evil.example/c)" in text
        page.screenshot(path=str(OUTPUT / f"meeting-literal-{name}.png"), full_page=True)
        assert page.locator("a[href*='evil.example'], img[src*='evil.example']").count() == 0, name
    _sign_in(page, url)
    _choose_poll(page, done_id)
    page.get_by_text(HOSTILE_TITLE).first.wait_for(timeout=60_000)
    assert "[回复领奖](http://evil.example/c)" in _visible(page)  # the hearing comment, shown to the organiser
    assert page.locator("a[href*='evil.example'], img[src*='evil.example']").count() == 0
    page.screenshot(path=str(OUTPUT / "meeting-literal-organiser.png"), full_page=True)
    context.close()
    assert context.left == [], f"the page tried to leave the machine: {context.left[:3]}"


def test_the_result_reads_on_a_phone_and_its_offline_page_fetches_nothing(meeting, browser):
    """Large text, digests that wrap instead of scrolling sideways; the archive's page opens with no network."""
    import io
    import zipfile

    url, service, files = meeting
    poll_id = service.create_poll(SECRET, "手机上看结果", files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 2)
    service.open_voting(SECRET, poll_id)
    service.cast_ballot(poll_id, codes[0], {"approve": ["B"]})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    context = offline_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{url}/results?poll={poll_id}", timeout=60_000)
    phone.locator(".hash").first.wait_for(timeout=90_000)
    settle(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    widths = phone.locator(".hash").evaluate_all("els => els.map(e => e.scrollWidth <= e.clientWidth + 1)")
    assert widths and all(widths)  # every digest wraps inside the screen
    size = phone.locator("table.plain-table td").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 18  # not small grey text
    phone.screenshot(path=str(OUTPUT / "meeting-result-phone.png"), full_page=True)
    with zipfile.ZipFile(io.BytesIO(service.archive(poll_id))) as archive:
        page = archive.read("result-zh.html").decode("utf-8")
    phone.set_content(page)
    phone.get_by_text("胜出方案：B 方案乙 医疗优先。").wait_for(timeout=10_000)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    assert context.left == []
