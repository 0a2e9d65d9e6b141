"""The siting and vote pages with a 民情征集, run headless with AppTest on the 新街口 demo: a closed survey
is chosen on the siting page, the plan for "the most stated needs" says how many it answers, the saved
plan carries that count, and the vote page repeats it ("方案A 覆盖了 N 条居民诉求中的 M 条")."""
from __future__ import annotations

import html
import re

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from planning.base.errors import PlanningError

from scenarios.needs import survey_area
from scenarios.voting import VotingService
from scenarios.voting.needs import NeedsService
from tests.support.data import ROOT
from tests.support.siting import plan_shown
from tests.support.voting import SECRET

APP = str(ROOT / "app.py")
TITLE = "<b>粗</b> **征集** [x](http://e.cn)"  # the organiser's title: shown literally wherever it appears
MEALS, PARKING = 12, 3


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    """This test's user folder and SQLite database (a PostgreSQL URL from the environment set aside)."""
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "votes.sqlite"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return str(tmp_path / "votes.sqlite")


def _app(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"planning/app/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _ok(at: AppTest) -> AppTest:
    """``at`` after a run that raised nothing; else the failure names the error and where (CI shows one line)."""
    assert not at.exception, [(e.proto.type, e.message, e.stack_trace[-3:]) for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _closed_survey(db: str, demo_area) -> int:
    service = NeedsService.connect(db)
    service.setup_organiser(SECRET)
    survey_id = service.create_survey(SECRET, TITLE, ["meals", "parking"], mode="anonymous", per_minute=1000,
                                      **survey_area(demo_area, "demo:xinjiekou"))
    service.open_survey(SECRET, survey_id)
    candidates = demo_area.candidates.to_crs(4326).geometry
    spot = candidates.iloc[len(candidates) // 2]  # where twelve residents say a meal is hard to get
    for i in range(MEALS):
        service.submit_need(survey_id, "meals", lon=spot.x + 0.00003 * i, lat=spot.y)
    for i in range(PARKING):
        service.submit_need(survey_id, "parking", lon=118.77 + 0.01 * i, lat=32.045)
    service.close_survey(SECRET, survey_id)
    service.engine.dispose()
    return survey_id


def test_siting_for_the_stated_needs_states_what_it_answers_and_the_vote_page_repeats_it(db, tmp_path,
                                                                                         demo_area):
    survey_id = _closed_survey(db, demo_area)

    at = _app("siting")
    _ok(at.number_input[0].set_value(1).run())
    survey = next(s for s in at.selectbox if s.label == "对照民情征集")
    _ok(survey.set_value(survey_id).run())
    _ok(next(r for r in at.radio if r.label == "选址目标").set_value("needs").run())
    _ok(_button(at, "开始计算").click().run())
    assert plan_shown(at)
    (answered_metric,) = [m for m in at.metric if m.label == "回应的居民诉求"]
    # one meal hall planned for the needs reaches the twelve at one spot; no meal hall answers parking
    assert answered_metric.value == f"{MEALS} / {MEALS + PARKING} 条"
    caption = next(c.value for c in at.caption if "民情征集第" in c.value)
    assert "**征集**" not in caption and "\\*\\*征集\\*\\*" in caption  # the title escaped, never Markdown

    at.text_input[0].set_value("回应诉求").run()
    _button(at, "保存方案").click().run()
    (saved,) = (tmp_path / "home" / "scenarios").glob("*.yaml")
    record = yaml.safe_load(saved.read_text(encoding="utf-8"))["needs"]
    assert (record["survey_id"], record["answered"], record["total"]) == (survey_id, MEALS, MEALS + PARKING)
    assert record["population_weight"] == 0.0 and record["need_weight"] == 1.0

    # the same survey only counted on a plan for the most residents: recorded with no weights
    next(r for r in at.radio if r.label == "选址目标").set_value("residents").run()
    _button(at, "开始计算").click().run()
    at.text_input[0].set_value("覆盖居民").run()
    _button(at, "保存方案").click().run()
    assert not at.exception, at.exception
    residents = next(f for f in (tmp_path / "home" / "scenarios").glob("*.yaml") if f != saved)
    counted = yaml.safe_load(residents.read_text(encoding="utf-8"))["needs"]
    assert counted["need_weight"] is None and counted["population_weight"] is None
    assert counted["total"] == MEALS + PARKING and counted["answered"] <= MEALS

    votes = VotingService.connect(db)
    poll_id = votes.create_poll(SECRET, "回应诉求投票", [saved, residents], "approval")
    codes = votes.generate_codes(SECRET, poll_id, 1)
    votes.open_voting(SECRET, poll_id)
    votes.engine.dispose()
    vote = _app("vote", poll=str(poll_id), code=codes[0])
    notes = [html.unescape(m.group(1)) for v in (m.value for m in vote.markdown)
             for m in [re.match(r'<div class="notice note">(.*)</div>$', v)] if m]
    assert sorted(notes) == [f"方案A 覆盖了 {MEALS + PARKING} 条居民诉求中的 {MEALS} 条",
                             f"方案B 覆盖了 {MEALS + PARKING} 条居民诉求中的 {counted['answered']} 条"], notes


def test_the_needs_organiser_page_shows_nothing_but_its_sign_in_without_the_secret(db, tmp_path, demo_area):
    survey_id = _closed_survey(db, demo_area)
    at = _app("needs_organiser")
    assert [w.label for w in at.text_input] == ["组织者口令"]
    assert not at.selectbox and not at.metric and not at.get("download_button")
    at.text_input[0].set_value("不是口令")  # a form: the value goes with the button
    _button(at, "进入").click().run()
    assert any("口令不正确" in e.value for e in at.error) and not at.metric, [e.value for e in at.error]
    at.text_input[0].set_value(SECRET)
    _button(at, "进入").click().run()
    assert not at.exception, at.exception
    assert next(s for s in at.selectbox if s.label == "民情征集").value == survey_id
    assert next(m for m in at.metric if m.label == "收到诉求").value == str(MEALS + PARKING)


def _followup_page(survey_id: int, code: str) -> AppTest:
    return _app("needs", survey=str(survey_id), code=code)


def _org_followup_table(at: AppTest) -> dict[str, int]:
    """The organiser's 成效评议结果 table (a plain HTML table) as {row label: count}."""
    table = next(m.value for m in at.markdown if "<th>评议</th>" in m.value)
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", table)
    return {html.unescape(label): int(n) for label, n in rows}


def test_the_followup_page_asks_each_code_once_and_the_organiser_sees_the_counts(db, tmp_path, demo_area):
    service = NeedsService.connect(db)
    service.setup_organiser(SECRET)
    survey_id = service.create_survey(SECRET, "成效评议", ["meals", "clinic_far"], mode="codes",
                                      **survey_area(demo_area, "demo:xinjiekou"))
    codes = service.generate_survey_codes(SECRET, survey_id, 3)
    service.open_survey(SECRET, survey_id)
    spot = demo_area.candidates.to_crs(4326).geometry.iloc[0]
    for code, kind in zip(codes, ["meals", "clinic_far", "meals"]):
        service.submit_need(survey_id, kind, lon=spot.x, lat=spot.y, code=code, text="**午饭** <b>难</b>")
    service.close_survey(SECRET, survey_id)
    service.start_followup(SECRET, survey_id)
    service.engine.dispose()

    for code, outcome in ((codes[0], "met"), (codes[1], "partly")):
        at = _followup_page(survey_id, code)
        assert [t.value for t in at.text if "午饭" in t.value] == ["**午饭** <b>难</b>"]  # the resident's words, plain
        next(r for r in at.radio if r.label == "现在怎么样？").set_value(outcome)
        at.text_area[0].set_value("*周末* 不开门")
        _button(at, "提交").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert any("已收到您的评议" in m.value for m in at.markdown)

    again = _followup_page(survey_id, codes[0])  # the same code a second time: refused, nothing asked
    assert any("已经评议过" in e.value for e in again.error), [e.value for e in again.error]
    assert not [r for r in again.radio if r.label == "现在怎么样？"]
    with pytest.raises(PlanningError) as err:  # and the service refuses it too (a page left open)
        NeedsService.connect(db).follow_up(survey_id, codes[0], "not_met")
    assert err.value.code == "followup_already_given"

    org = _app("needs_organiser")
    org.text_input[0].set_value(SECRET)
    _button(org, "进入").click().run()
    assert not org.exception, org.exception
    assert next(s for s in org.selectbox if s.label == "民情征集").value == survey_id
    counts = _org_followup_table(org)
    assert counts == {"解决了": 1, "部分解决": 1, "没有解决": 0, "尚未回答": 1}, counts
    check = NeedsService.connect(db)
    stored = [n.followup for n in check.stated_needs(SECRET, survey_id)]
    assert sorted(v for v in stored if v) == ["met", "partly"] and len(stored) == 3  # again, from the stored answers
    check.engine.dispose()
    assert next(m for m in org.metric if m.label == "已回访").value == "2"


def _far_corner(demo_area) -> tuple[float, float, float]:
    """The street corner in the area farthest on foot from every candidate site: (x, y, minutes)."""
    import geopandas as gpd
    import numpy as np

    from planning.coverage.times import nearest_seconds
    from planning.network.snapping import snap_points

    network = demo_area.network
    nodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(network.x, network.y), crs=demo_area.crs)
    inside = nodes.within(demo_area.communities.to_crs(demo_area.crs).union_all()).to_numpy()
    node_snap = snap_points(network, nodes)
    seconds = np.full(len(nodes), -1.0)
    seconds[node_snap.kept] = nearest_seconds(network, snap_points(network, demo_area.candidates.to_crs(demo_area.crs)),
                                              node_snap, 4 / 3.6, 3600)
    best = int(np.argmax(np.where(inside & np.isfinite(seconds), seconds, -1)))
    return float(network.x[best]), float(network.y[best]), seconds[best] / 60


def test_the_siting_page_adds_the_place_residents_name_as_a_candidate_and_answers_them(db, tmp_path,
                                                                                        demo_area):
    import geopandas as gpd
    import numpy as np

    from planning.coverage.times import nearest_seconds
    from planning.network.snapping import snap_points

    x, y, minutes = _far_corner(demo_area)
    assert minutes > 6.5  # a meal hall serves 5 minutes: no candidate of the area answers a need here
    spots = gpd.GeoSeries(gpd.points_from_xy(x + np.linspace(-10, 10, MEALS), [y] * MEALS), crs=demo_area.crs)
    service = NeedsService.connect(db)
    service.setup_organiser(SECRET)
    survey_id = service.create_survey(SECRET, "身边缺什么", ["meals"], mode="anonymous", per_minute=1000,
                                      **survey_area(demo_area, "demo:xinjiekou"))
    service.open_survey(SECRET, survey_id)
    for p in spots.to_crs(4326):
        service.submit_need(survey_id, "meals", lon=p.x, lat=p.y)
    service.close_survey(SECRET, survey_id)
    service.engine.dispose()

    at = _app("siting")
    at.number_input[0].set_value(1).run()
    next(s for s in at.selectbox if s.label == "对照民情征集").set_value(survey_id).run()
    next(r for r in at.radio if r.label == "选址目标").set_value("needs").run()
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric if m.label == "回应的居民诉求"] == [f"0 / {MEALS} 条"]

    option = next(c for c in at.checkbox if c.label == "把居民集中点名的地方加为候选用地")
    option.check().run()
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric if m.label == "回应的居民诉求"] == [f"{MEALS} / {MEALS} 条"]
    (sites,) = [d.value for d in at.dataframe if "点名条数" in d.value.columns]  # the site, its need and place
    names = demo_area.communities.set_index("code")["name"]
    assert sites["选址编号"].tolist() == ["need-N001"] and sites["点名条数"].tolist() == [str(MEALS)]
    assert sites["所在社区"].iloc[0] in names.tolist()

    at.text_input[0].set_value("回应点名").run()
    _button(at, "保存方案").click().run()
    (saved,) = (tmp_path / "home" / "scenarios").glob("*.yaml")
    plan = yaml.safe_load(saved.read_text(encoding="utf-8"))
    (site,) = plan["sites"]
    assert site["id"] == "need-N001-meal_hall" and plan["needs"]["answered"] == MEALS
    # again by the coverage engine: every need within a meal hall's 5 minutes of the saved site
    point = gpd.GeoDataFrame(geometry=gpd.points_from_xy([site["lon"]], [site["lat"]]), crs=4326).to_crs(demo_area.crs)
    walk = nearest_seconds(demo_area.network, snap_points(demo_area.network, point),
                           snap_points(demo_area.network, gpd.GeoDataFrame(geometry=spots)), 4 / 3.6, 3600)
    assert int((walk <= 5 * 60).sum()) == MEALS


def test_a_resident_is_not_shown_the_organisers_damaged_settings_file(db, tmp_path, demo_area):
    """The pin map falls back to no base map; the settings message is for the organiser's pages."""
    service = NeedsService.connect(db)
    service.setup_organiser(SECRET)
    survey_id = service.create_survey(SECRET, "身边缺什么", ["meals"], mode="anonymous", per_minute=1000,
                                      **survey_area(demo_area, "demo:xinjiekou"))
    service.open_survey(SECRET, survey_id)
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "home" / "settings.json").write_bytes('{"map": {"basemap": "天地图"}}'.encode("gbk"))
    at = _ok(_app("needs", survey=str(survey_id)))
    assert next(r for r in at.radio if r.value == "map")  # the map answer is the one drawn
    assert not [m.value for m in (*at.warning, *at.error) if "设置文件" in m.value]
