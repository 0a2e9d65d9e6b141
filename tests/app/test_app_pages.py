"""The Streamlit pages, run headless with AppTest on the Xinjiekou demo: a clerk's whole day.

Load the demo, read coverage, site canteens and save two plans, compare them, run a poll:
create it, issue codes, vote with a code from the slip, close and publish.
"""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from planning.base.text import ui_table
from scenarios.voting import VotingService
from tests.support.data import ROOT
from tests.support.voting import SECRET, TIED_COUNTS, open_poll, publish_tied_poll

APP = str(ROOT / "app.py")
TIMEOUT = 90


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "votes.sqlite"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def _app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"planning/app/pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.success] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [e.value for e in at.error] + [h.value for h in at.header]
    parts += [h.value for h in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_every_ui_string_has_chinese_and_english():
    table = ui_table()
    assert all(set(v) == {"zh", "en"} and v["zh"].strip() and v["en"].strip() for v in table.values())


def test_demo_area_loads_and_names_the_missing_canteens(env):
    at = _app()
    assert "南京 新街口" in _texts(at)
    assert any("OSM 中没有社区食堂" in w.value for w in at.warning)
    assert at.metric[0].value.replace(",", "").isdigit()


def test_language_switch_to_english_keeps_across_pages(env):
    at = _app(lang="en")
    assert at.title[0].value == "Area & data"
    at.switch_page("planning/app/pages/coverage.py").run()
    assert at.title[0].value == "Coverage" and at.query_params["lang"] in ("en", ["en"])


def test_coverage_table_lists_every_community_with_gaps_first(env):
    at = _app("coverage")
    table = at.dataframe[0].value
    assert len(table) == 7 * 6  # 7 communities × 6 facility types
    covered = table.iloc[:, 4].to_numpy()
    assert covered[0] == 0 and (covered[:-1] <= covered[1:]).all()


def _site_and_save(at: AppTest, name: str, p: int) -> None:
    at.number_input[0].set_value(p).run()
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    assert "计算完成" in [s.label for s in at.status]
    at.text_input[0].set_value(name).run()
    _button(at, "保存方案").click().run()
    assert any("已保存" in s.value for s in at.success), _texts(at)


def test_siting_runs_saves_two_scenarios_that_compare(env):
    at = _app("siting")
    _site_and_save(at, "两处食堂", 2)
    before, after = float(at.metric[0].value.rstrip("%")), float(at.metric[1].value.rstrip("%"))
    assert after > before
    _site_and_save(at, "四处食堂", 4)
    files = sorted((env / "home" / "scenarios").glob("*.yaml"))
    assert len(files) == 2
    at.switch_page("planning/app/pages/compare.py").run()
    assert not at.exception, at.exception
    summary = at.dataframe[0].value
    assert list(summary.index) == ["两处食堂", "四处食堂"]
    assert summary.iloc[1, 1] > summary.iloc[0, 1]  # four canteens cost more


def test_poll_created_voted_with_a_code_and_published(env):
    at = _app("siting")
    _site_and_save(at, "两处食堂", 2)
    _site_and_save(at, "三处食堂", 3)
    at.switch_page("planning/app/pages/results.py").run()
    secret = next(w for w in at.text_input if w.label == "组织者密码")
    secret.set_value(SECRET).run()
    _button(at, "设置密码").click().run()
    _button(at, "创建投票").click().run()
    assert any("已创建投票，编号 1" in s.value for s in at.success), _texts(at)
    _button(at, "生成选票码").click().run()
    codes = at.code[-1].value.split("\n")
    assert len(codes) == 20
    _button(at, "开始投票").click().run()

    vote = _app("vote", poll="1", code=codes[0])
    assert "两处食堂" in _texts(vote) and "谁受益" in _texts(vote)
    next(c for c in vote.checkbox if c.label == "支持方案 B").check().run()
    _button(vote, "投票").click().run()
    assert not vote.exception, vote.exception
    assert any("投票成功" in s.value for s in vote.success)
    receipt = next(m.value for m in vote.markdown if 'class="receipt"' in m.value)

    _button(at, "结束投票").click().run()
    _button(at, "公示结果").click().run()
    assert not at.exception, at.exception
    assert any("胜出方案：B" in s.value for s in at.success), _texts(at)
    receipts = at.table[0].value.index.tolist()
    assert receipts and receipts[0] in receipt


@pytest.mark.parametrize("case", list(TIED_COUNTS))
def test_results_page_shows_a_tie_with_the_meetings_rule_and_no_winning_plan(env, scenario_files, case):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = publish_tied_poll(service, scenario_files, case)
    service.engine.dispose()
    at = _app("results", poll=str(poll_id))
    tied = "、".join(TIED_COUNTS[case][2])
    assert [w.value for w in at.warning] == [f"并列第一：{tied}（平票），本次投票没有胜出方案。"]
    assert any("平票时由议事会按议事规则决定" in i.value for i in at.info)
    assert not at.success and "胜出方案" not in [h.value for h in at.subheader]
    assert not any("建什么" in m.value for m in at.markdown)  # no plan described as the chosen one
    if TIED_COUNTS[case][0] == "ranked":
        assert "即时决选（IRV，仅供参考）" in [h.value for h in at.subheader]
        assert "平票" in at.text[0].value and "胜出" not in at.text[0].value


def test_results_page_shows_the_single_winners_plan(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id, codes = open_poll(service, scenario_files, "approval", 3)
    for code, approved in zip(codes, (["A", "B"], ["A"], ["C"])):
        service.cast_ballot(poll_id, code, {"approve": approved})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    service.engine.dispose()
    at = _app("results", poll=str(poll_id))
    assert [s.value for s in at.success] == ["胜出方案：A。"] and not at.warning
    assert "胜出方案" in [h.value for h in at.subheader] and at.text[0].value == "A 方案甲 养老优先"
    assert any("建什么" in m.value for m in at.markdown)


def test_user_text_in_a_poll_title_is_shown_literally(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "**投票** [点此](http://example.com) $x$", scenario_files, "approval")
    service.engine.dispose()
    at = _app("results", poll=str(poll_id))
    assert at.header[0].value == r"\*\*投票\*\* \[点此\]\(http\://example\.com\) \$x\$"


def _upload_page(env) -> AppTest:
    at = _app()
    at.radio[0].set_value("upload").run()
    return at


def test_uploaded_network_and_facilities_replace_the_demo(env):
    import gzip

    import pandas as pd

    from planning.network.read import load_network
    from tests.support.data import MISSION_TOWN

    net = load_network(MISSION_TOWN)
    lonlat = net.nodes_gdf().to_crs(4326).geometry.iloc[::90]
    facilities = pd.DataFrame({"id": range(len(lonlat)), "type": "clinic", "lon": lonlat.x, "lat": lonlat.y})
    at = _upload_page(env)
    at.file_uploader[0].set_value(("MissionTown.graphml", gzip.decompress(MISSION_TOWN.read_bytes()), "application/xml"))
    at.file_uploader[3].set_value(("clinics.csv", facilities.to_csv(index=False).encode(), "text/csv")).run()
    _button(at, ui_table()["area_load_files"]["zh"]).click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any(ui_table()["area_loaded"]["zh"] in s.value for s in at.success)


def test_a_bad_upload_shows_a_bilingual_message_not_a_traceback(env):
    from tests.support.data import MISSION_TOWN

    at = _upload_page(env)
    at.file_uploader[0].set_value(("MissionTown.graphml.gz", MISSION_TOWN.read_bytes(), "application/gzip"))
    at.file_uploader[3].set_value(("clinics.csv", b"", "text/csv")).run()
    _button(at, ui_table()["area_load_files"]["zh"]).click().run()
    assert not at.exception, at.exception
    assert at.error and "空" in at.error[0].value  # 文件是空的 — the loader's own message
