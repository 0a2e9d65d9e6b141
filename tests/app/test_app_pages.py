"""The Streamlit pages, run headless with AppTest on the Xinjiekou demo: a clerk's whole day.

Load the demo, read coverage, site canteens and save two plans, compare them, run a poll:
create it, issue codes, vote with a code from the slip, close and publish.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planning.base.text import ui_table
from scenarios.voting import VotingService
from tests.support.data import ROOT
from tests.support.printing import needs_poppler, pdf_text
from tests.support.siting import plan_shown
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


def _plain_tables(at: AppTest) -> list[list[list[str]]]:
    """The plain HTML tables on the page (rows of cell texts, header first), as the reader sees them."""
    import html

    tables = []
    for block in (m.value for m in at.markdown if m.value.startswith('<table class="plain-table">')):
        rows = re.findall(r"<tr>(.*?)</tr>", block)
        tables.append([[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)] for row in rows])
    return tables


def _notices(at: AppTest, kind: str) -> list[str]:
    """Boxed sentences of ``kind`` (ok, tie, note), as the reader sees them."""
    import html

    return [html.unescape(m.group(1)) for v in (m.value for m in at.markdown)
            for m in [re.match(rf'<div class="notice {kind}">(.*)</div>$', v)] if m]


def _titles(at: AppTest) -> list[str]:
    """Headings made of user text, as the reader sees them."""
    import html

    return [html.unescape(m.group(1)) for v in (m.value for m in at.markdown)
            for m in [re.match(r'<h\d class="plain-title">(.*)</h\d>$', v)] if m]


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


def test_coverage_gaps_are_ranked_by_residents_out_of_reach_per_type(env, demo_area):
    from planning.base.catalogue import load_catalogue
    from planning.coverage.residents import compute_coverage, served_weight

    at = _app("coverage")
    table = at.dataframe[0].value
    assert len(table) == 7 * 6  # 7 communities × 6 facility types
    types = load_catalogue()
    cov = compute_coverage(demo_area.network, demo_area.demand, demo_area.facilities, list(types.values()),
                           demo_area.communities)
    names = demo_area.communities.set_index("code")["name"]
    by_name = {ftype.name_zh: ftype for ftype in types.values()}
    assert list(dict.fromkeys(table["设施类型"])) == [t.name_zh for t in types.values()]  # one block per type
    for type_name, rows in table.groupby("设施类型", sort=False):
        ftype = by_name[type_name]
        points = cov.demand
        outside = served_weight(points, ftype) * (points[f"minutes_to_{ftype.key}"].to_numpy() > ftype.tier_minutes)
        expected = pd.Series(outside, index=points.index).groupby(points["community"]).sum()
        expected.index = expected.index.map(names)
        assert rows["排名"].tolist() == list(range(1, len(rows) + 1))
        assert rows["未覆盖人数"].is_monotonic_decreasing, type_name  # the largest gap first
        shown = rows.set_index("社区")["未覆盖人数"]
        assert (shown - expected.reindex(shown.index)).abs().max() <= 0.5 + 1e-6, type_name  # whole residents


def _site_and_save(at: AppTest, name: str, p: int) -> None:
    at.number_input[0].set_value(p).run()
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    assert plan_shown(at), _texts(at)
    next(w for w in at.text_input if w.label == "方案名称").set_value(name).run()
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


def _organiser(env, secret: str = SECRET) -> AppTest:
    """The organiser page, signed in (set up first with the server's one-time token if need be)."""
    at = _app("organiser")
    service = VotingService.connect(str(env / "votes.sqlite"))
    token = service.issue_setup_token()  # what the server printed in its console window
    service.engine.dispose()
    if token is not None:
        at.text_input[0].set_value(token)
        at.text_input[1].set_value(secret)
        at.text_input[2].set_value(secret)
        _button(at, "设置口令").click().run()
    else:
        at.text_input[0].set_value(secret)
        _button(at, "登录").click().run()
    assert not at.exception, at.exception
    return at


def test_poll_created_voted_with_a_code_and_published(env):
    at = _app("siting")
    _site_and_save(at, "两处食堂", 2)
    _site_and_save(at, "三处食堂", 3)
    org = _organiser(env)
    _button(org, "创建投票").click().run()
    assert any("已创建投票，编号 1" in s.value for s in org.success), _texts(org)
    _button(org, "生成选票码").click().run()
    codes = org.code[-1].value.split("\n")
    assert len(codes) == 20
    _button(org, "开始投票").click().run()

    vote = _app("vote", poll="1", code=codes[0])
    assert "两处食堂" in _texts(vote) and "谁受益" in _texts(vote)
    service = VotingService.connect(str(env / "votes.sqlite"))
    key = next(o.key for o in service.poll(1).options if o.title == "三处食堂")
    service.engine.dispose()
    next(c for c in vote.checkbox if c.label == f"支持方案 {key}").check().run()
    _button(vote, "投票").click().run()
    assert not vote.exception, vote.exception
    assert any("投票成功" in s.value for s in vote.success)
    receipt = next(m.value for m in vote.markdown if 'class="receipt"' in m.value)
    assert "第 1 张选票" in receipt and vote.text_input[0].value == ""  # the code is cleared
    assert _button(vote, "投票").disabled  # one vote per visit: the button stays inactive

    _button(org, "结束投票").click().run()
    _button(org, "公示结果").click().run()
    assert not org.exception, org.exception
    results = _app("results", poll="1")
    assert _notices(results, "ok") == [f"胜出方案：{key} 三处食堂。"], _texts(results)
    counts, ballots = _plain_tables(results)[:2]
    assert [row[1:] for row in counts] == [["方案", "支持票数"], [f"{key} 三处食堂", "1"], [f"{'AB'.replace(key, '')} 两处食堂", "0"]]
    receipt_code = receipt.split('class="code">')[1].split("<")[0]
    assert ballots[1] == ["1", receipt_code, f"支持：{key} 三处食堂", ballots[1][3]]  # in words, not {'approve': ['A']}


def test_public_pages_offer_no_organiser_action(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id, _ = open_poll(service, scenario_files, "approval", 3)
    service.engine.dispose()
    for page in ("vote", "results"):
        at = _app(page, poll=str(poll_id))
        labels = [b.label for b in at.button] + [w.label for w in at.text_input]
        assert not any(word in label for label in labels for word in ("口令", "密码", "开始投票", "结束投票", "公示结果",
                                                                       "生成选票码", "创建投票", "录入这张选票")), labels
    from planning.app.main import HIDDEN_PAGES, PAGES

    hidden = ["organiser", "needs_organiser"]  # reached by address only, behind the organiser secret
    assert not set(hidden) & {url for *_, url in PAGES} and [url for *_, url in HIDDEN_PAGES] == hidden


def test_organiser_page_refuses_everything_without_the_secret(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    service.create_poll(SECRET, "新街口", scenario_files, "approval")
    service.engine.dispose()
    at = _app("organiser")
    assert [b.label for b in at.button] == ["登录"] and [w.label for w in at.text_input] == ["组织者口令"]
    at.text_input[0].set_value("not-the-secret")
    _button(at, "登录").click().run()
    assert any("组织者口令不正确" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["登录"] and not at.selectbox  # still nothing but the door


def test_organiser_page_sets_the_secret_only_with_the_servers_token(env):
    at = _app("organiser")
    assert any("一次性设置令牌" in i.value for i in at.info)
    at.text_input[0].set_value("AAAA-BBBB-CCCC-DDDD")
    at.text_input[1].set_value(SECRET)
    at.text_input[2].set_value(SECRET)
    _button(at, "设置口令").click().run()
    assert any("设置令牌不正确" in e.value for e in at.error)
    service = VotingService.connect(str(env / "votes.sqlite"))
    assert not service.is_set_up()
    service.engine.dispose()
    org = _organiser(env)
    assert any(b.label == "创建投票" for b in org.button)


def test_vote_page_refuses_a_swapped_scenario_and_links_to_the_result_in_every_state(env, scenario_files):
    from scenarios.scenario import save_scenario
    from tests.support.voting import make_scenario

    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id, codes = open_poll(service, scenario_files, "approval", 2)
    vote = _app("vote", poll=str(poll_id), code=codes[0])
    assert not vote.error and not _button(vote, "投票").disabled
    links = [link.proto.page for link in vote.get("page_link")]
    assert links and all(page.endswith("results") for page in links)
    save_scenario(make_scenario("方案乙 医疗优先", ["s3"], 0.9), scenario_files[1].parent,
                  filename=scenario_files[1].name, overwrite=True)
    vote = _app("vote", poll=str(poll_id), code=codes[0])
    assert any("封存的不一致" in e.value for e in vote.error) and _button(vote, "投票").disabled
    service.close(SECRET, poll_id)
    vote = _app("vote", poll=str(poll_id), code=codes[1])
    assert "投票" not in [b.label for b in vote.button] and vote.get("page_link")
    service.engine.dispose()


@pytest.mark.parametrize("case", list(TIED_COUNTS))
def test_results_page_shows_a_tie_with_the_meetings_rule_and_no_winning_plan(env, scenario_files, case):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = publish_tied_poll(service, scenario_files, case)
    service.engine.dispose()
    at = _app("results", poll=str(poll_id))
    names = {"A": "A 方案甲 养老优先", "B": "B 方案乙 医疗优先", "C": "C 方案丙 均衡"}
    tied = [names[k] for k in TIED_COUNTS[case][2]]
    assert _notices(at, "tie") == [f"并列第一：{'、'.join(tied)}（平票），本次投票没有胜出方案。"]
    first_place = [row[1] for row in _plain_tables(at)[0][1:] if row[0] == "1"]
    assert first_place == tied  # every tied option in first place
    assert any("平票时由议事会按议事规则决定" in line for line in _notices(at, "note"))
    assert not _notices(at, "ok") and "胜出方案" not in [h.value for h in at.subheader]
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
    assert _notices(at, "ok") == ["胜出方案：A 方案甲 养老优先。"] and not _notices(at, "tie")
    assert ["1", "A 方案甲 养老优先", "2"] in _plain_tables(at)[0]
    assert "胜出方案" in [h.value for h in at.subheader] and at.text[0].value == "A 方案甲 养老优先"
    assert any("建什么" in m.value for m in at.markdown)  # the chosen plan described


@needs_poppler
def test_results_page_prints_the_chosen_plan_with_its_published_result(env, demo_area, tmp_path):
    from scenarios.scenario import save_scenario
    from tests.support.plans import demo_plan

    files = [save_scenario(demo_plan(demo_area).model_copy(update={"name": "方案甲 两处助餐点"}), tmp_path),
             save_scenario(demo_plan(demo_area, p=1).model_copy(update={"name": "方案乙 一处助餐点"}), tmp_path)]
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id, codes = open_poll(service, files, "approval", 2)
    for code in codes:
        service.cast_ballot(poll_id, code, {"approve": ["A"]})
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    digest = service.published_result(poll_id)["ballots_digest"]
    service.engine.dispose()
    at = _app("results", poll=str(poll_id))
    assert "打印与下载" in [h.value for h in at.subheader]
    assert next(w for w in at.number_input if w.label == "海报上的投票编号（0 为不印投票）").value == poll_id
    _button(at, "生成打印文件").click().run()
    assert not at.exception, at.exception
    _, files, note = at.session_state["print_results_print"]
    assert note == "" and {"pdf", "xlsx", "poster"} <= set(files), (note, set(files))
    poster = tmp_path / "poster.pdf"
    poster.write_bytes(files["poster"])
    text = pdf_text(poster).replace(" ", "").replace("\n", "")
    assert "投票结果" in text and digest in text and "方案甲两处助餐点" in text


def test_user_text_in_a_poll_title_is_shown_literally(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    poll_id = service.create_poll(SECRET, "**投票** [点此](http://example.com) $x$", scenario_files, "approval")
    service.engine.dispose()
    title = "**投票** [点此](http://example.com) $x$"
    for page in ("results", "vote"):
        at = _app(page, poll=str(poll_id))
        assert _titles(at)[0] == title
    org = _organiser(env)
    assert _titles(org)[0] == title


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
    at.text_input[0].set_value("团城山街道")
    at.file_uploader[0].set_value(("MissionTown.graphml", gzip.decompress(MISSION_TOWN.read_bytes()), "application/xml"))
    at.file_uploader[3].set_value(("clinics.csv", facilities.to_csv(index=False).encode(), "text/csv")).run()
    _button(at, ui_table()["area_load_files"]["zh"]).click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("团城山街道" in s.value for s in at.success)
    assert "当前区域：团城山街道" in _texts(at) and at.query_params["area"] in ("团城山街道", ["团城山街道"])
    assert (env / "home" / "areas" / "团城山街道" / "area.yaml").is_file()  # saved like `planning area add`
    origins = at.table[0].value["来源"]
    assert origins["现有设施"] == "本单位文件：clinics.csv" and origins["候选用地"] == "推算"


def test_a_bad_upload_shows_a_bilingual_message_not_a_traceback(env):
    from tests.support.data import MISSION_TOWN

    at = _upload_page(env)
    at.text_input[0].set_value("团城山街道")
    at.file_uploader[0].set_value(("MissionTown.graphml.gz", MISSION_TOWN.read_bytes(), "application/gzip"))
    at.file_uploader[3].set_value(("clinics.csv", b"", "text/csv")).run()
    _button(at, ui_table()["area_load_files"]["zh"]).click().run()
    assert not at.exception, at.exception
    assert at.error and "空" in at.error[0].value  # 文件是空的 — the loader's own message
    assert not (env / "home" / "areas" / "团城山街道").exists()  # nothing saved


def test_a_broken_upload_is_named_as_the_browser_gave_it(env):
    """Not by the server's upload folder (``/tmp/planning-upload-…/``) or the area's hidden work folder."""
    at = _upload_page(env)
    at.text_input[0].set_value("团城山街道")
    at.file_uploader[0].set_value(("团城山.osm.pbf", b"not a PBF", "application/octet-stream")).run()
    _button(at, ui_table()["area_load_files"]["zh"]).click().run()
    assert not at.exception, at.exception
    said = at.error[0].value.replace("\\", "")  # shown literally: Markdown's signs escaped
    assert "无法读取文件 团城山.osm.pbf" in said and "planning-upload-" not in said and ".new-" not in said, said


def test_task_table_filled_on_the_compare_page_is_saved_as_a_new_version(env, scenario_files):
    from scenarios.scenario import load_scenario

    at = _app("compare")
    printed = load_scenario(sorted(scenario_files)[0])  # the page lists files by name and prints the first
    at.session_state[f"compare_tasks_{printed.digest[:12]}"] = {
        "edited_rows": {0: {"项目": "石鼓路社区老年助餐点", "责任单位": "新街口街道办事处", "完成时限": "2025 年 12 月"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    _button(at, "保存为方案的新版本").click().run()
    assert not at.exception, at.exception
    new_files = set((env / "home" / "scenarios").glob("*.yaml")) - set(scenario_files)
    assert len(new_files) == 1 and any("已另存为" in s.value for s in at.success), _texts(at)
    saved = load_scenario(new_files.pop())  # sealed: it loads, digest checked
    first, second = saved.sites[:2]
    assert (first.project, first.responsible, first.deadline) == ("石鼓路社区老年助餐点", "新街口街道办事处", "2025 年 12 月")
    assert first.funding is None and second.project is None  # blanks stay blank
    assert saved.name == printed.name and saved.digest != printed.digest
    assert load_scenario(sorted(scenario_files)[0]).digest == printed.digest  # the voted file is untouched


def test_poster_poll_must_have_the_plan_as_an_option(env, scenario_files):
    service = VotingService.connect(str(env / "votes.sqlite"))
    service.setup_organiser(SECRET)
    other, _ = open_poll(service, sorted(scenario_files)[1:], "approval", 1)  # without the printed plan
    own, _ = open_poll(service, sorted(scenario_files)[:2], "approval", 1)
    service.engine.dispose()
    at = _app("compare")
    poll = next(w for w in at.number_input if w.label == "海报上的投票编号（0 为不印投票）")
    poll.set_value(other).run()
    assert any("选项中没有方案" in w.value for w in at.warning), _texts(at)
    poll.set_value(own).run()
    next(w for w in at.text_input if w.label == "投票时间（原样印在海报上）").set_value("6 月 1 日至 6 月 15 日").run()
    assert not any("选项中没有方案" in w.value for w in at.warning)
    address = next(w for w in at.text_input if w.label == "本系统网址（印在二维码里）")
    assert address.value.startswith("http")


def test_task_table_filled_on_the_siting_page_is_saved_with_the_plan(env):
    from scenarios.scenario import load_scenario

    at = _app("siting")
    at.number_input[0].set_value(2).run()
    _button(at, "开始计算").click().run()
    editor = next(e for e in at.data_editor if str(e.key).startswith("siting_tasks_"))
    at.session_state[editor.key] = {"edited_rows": {1: {"资金来源": "区财政", "规模": "建筑面积 200 平方米"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run()
    next(w for w in at.text_input if w.label == "方案名称").set_value("两处食堂 已填任务").run()
    _button(at, "保存方案").click().run()
    assert not at.exception, at.exception
    saved = load_scenario(next((env / "home" / "scenarios").glob("*.yaml")))
    assert (saved.sites[1].funding, saved.sites[1].scale) == ("区财政", "建筑面积 200 平方米")
    assert saved.sites[0].funding is None and saved.name == "两处食堂 已填任务"
    # another plan of as many sites is another table: the edits typed for the first do not land on its sites
    at.selectbox[1].set_value("day_care").run()
    _button(at, "开始计算").click().run()
    next(w for w in at.text_input if w.label == "方案名称").set_value("两处日间照料").run()
    _button(at, "保存方案").click().run()
    assert not at.exception, at.exception
    second = next(s for s in map(load_scenario, (env / "home" / "scenarios").glob("*.yaml")) if s.name == "两处日间照料")
    assert [site.type for site in second.sites] == ["day_care", "day_care"]
    assert all(site.funding is None and site.scale is None for site in second.sites)


def _map_words_script():
    import streamlit as st

    from planning.app.common import map_labels

    words = map_labels()
    st.text(f"{words.metres}|{words.kilometres}|{words.north}|[{words.colon}]")


@pytest.mark.parametrize(("language", "expected"), [("zh", "米|公里|北|[：]"), ("en", "m|km|N|[: ]")])
def test_static_maps_in_the_app_say_the_scale_and_north_in_the_pages_language(language, expected):
    """The plan maps on the vote and results pages: "500 米" and 北 on a Chinese page (was "500 m", N)."""
    at = AppTest.from_function(_map_words_script, default_timeout=TIMEOUT)
    at.session_state["lang"] = language
    at.run()
    assert not at.exception, at.exception
    assert at.text[0].value == expected
