"""A whole meeting run through ``planning poll …`` without the UI."""
from __future__ import annotations

import json

import pytest

from planning.base.errors import PlanningError
from planning.cli.main import main
from scenarios.voting import VotingService
from scenarios.voting.db import row_counts
from tests.support.cli_imports import heavy_imports
from tests.support.voting import SECRET, TIED_COUNTS, open_poll, publish_tied_poll


@pytest.fixture
def meeting(tmp_path, monkeypatch, capsys):
    """Run ``planning poll --db <tmp> …`` and return (exit code, stdout, stderr)."""
    db_path = str(tmp_path / "meeting.sqlite")
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", SECRET)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["poll", "--db", db_path, *args])
        out, err = capsys.readouterr()
        return code, out, err

    run.db_path = db_path
    return run


def test_meeting_runs_end_to_end_from_the_command_line(meeting, scenario_files, tmp_path):
    assert meeting("setup")[0] == 0
    code, out, _ = meeting("create", "--title", "新街口便民设施选址", "--method", "ranked",
                           *[a for f in scenario_files for a in ("--scenario", str(f))], "--quorum", "3")
    assert code == 0
    poll = out.strip()
    pdf, codes_file = tmp_path / "slips.pdf", tmp_path / "codes.txt"
    assert meeting("codes", "--poll", poll, "-n", "4", "--pdf", str(pdf), "--codes-file", str(codes_file),
                   "--base-url", "https://vote.example.cn")[0] == 0
    codes = codes_file.read_text().split()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert meeting("hearing", "--poll", poll)[0] == 0
    assert meeting("comment", "--poll", poll, "--text", "医疗站请靠近地铁口", "--option", "B")[0] == 0
    assert meeting("open", "--poll", poll)[0] == 0
    receipts = []
    for code_, ranking in zip(codes, ("B,A,C", "b,c", "A,B", "B")):
        status, out, _ = meeting("vote", "--poll", poll, "--code", code_, "--rank", ranking)
        assert status == 0
        receipts.append(out.split(":")[-1].strip())
    assert meeting("close", "--poll", poll)[0] == 0
    result_json = tmp_path / "result.json"
    status, out, _ = meeting("tally", "--poll", poll, "--json", str(result_json))
    assert status == 0
    assert "胜出方案：B 方案乙 医疗优先。 / Winner: B 方案乙 医疗优先." in out and "pairwise" in out and "法定人数：达到 / quorum: met" in out
    written = json.loads(result_json.read_text(encoding="utf-8"))
    assert written["tally"]["winners"] == ["B"] and written["tally"]["pairwise"]["B"]["A"] == 3
    assert sorted(e["receipt"] for e in written["ballots"]) == sorted(receipts)
    status, out, _ = meeting("publish", "--poll", poll)
    assert status == 0 and written["ballots_digest"] in out
    assert written["chain"]["head"] in out  # the head read out at closing is the one published


def test_reused_paper_ballot_code_is_refused_with_a_bilingual_message(meeting, scenario_files, tmp_path):
    meeting("setup")
    poll = meeting("create", "--title", "t", "--method", "score",
                   *[a for f in scenario_files[:2] for a in ("--scenario", str(f))])[1].strip()
    meeting("codes", "--poll", poll, "-n", "1", "--pdf", str(tmp_path / "s.pdf"), "--codes-file", str(tmp_path / "c.txt"))
    code_ = (tmp_path / "c.txt").read_text().strip()
    meeting("open", "--poll", poll)
    assert meeting("vote", "--poll", poll, "--code", code_, "--score", "A=5,B=2")[0] == 0
    engine = VotingService.connect(meeting.db_path).engine
    before = row_counts(engine)
    status, _, err = meeting("vote", "--poll", poll, "--code", code_, "--score", "A=1")
    assert status == 2
    assert "已经投过票" in err and "already been used" in err and "Traceback" not in err
    assert row_counts(engine) == before


def test_organiser_command_with_wrong_secret_is_refused(meeting, scenario_files, monkeypatch):
    meeting("setup")
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", "wrong-secret-123")
    status, _, err = meeting("create", "--title", "t", "--method", "approval",
                             *[a for f in scenario_files[:2] for a in ("--scenario", str(f))])
    assert status == 2 and "组织者口令不正确" in err and "Wrong organiser secret" in err


@pytest.mark.parametrize("case", list(TIED_COUNTS))
def test_tally_of_a_tie_names_every_tied_option_and_no_winner(meeting, scenario_files, tmp_path, case):
    meeting("setup")
    svc = VotingService.connect(meeting.db_path)
    poll = str(publish_tied_poll(svc, scenario_files, case))
    svc.engine.dispose()
    status, out, _ = meeting("tally", "--poll", poll, "--json", str(tmp_path / "result.json"))
    assert status == 0
    tied = TIED_COUNTS[case][2]
    titles = {"A": "A 方案甲 养老优先", "B": "B 方案乙 医疗优先", "C": "C 方案丙 均衡"}
    assert f"并列第一：{'、'.join(titles[k] for k in tied)}（平票）" in out
    assert f"Tie for first: {', '.join(titles[k] for k in tied)}." in out
    assert "平票时由议事会按议事规则决定" in out and "run-off vote" in out
    assert "胜出方案：" not in out and "Winner" not in out
    if case == "approval 3:3":
        assert "1. A 方案甲 养老优先 (3) = B 方案乙 医疗优先 (3)" in out  # each option with its own count
    written = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert written["tally"]["winner"] is None and written["tally"]["winners"] == tied


def test_ranked_tally_shows_irv_beside_schulze_without_calling_it_the_winner(meeting, scenario_files):
    meeting("setup")
    svc = VotingService.connect(meeting.db_path)
    poll_id, codes = open_poll(svc, scenario_files, "ranked", 7)
    # Schulze elects B (every voter of A and C puts B second); IRV drops B first and elects A
    for code_, ranking in zip(codes, (["A", "B"], ["A", "B"], ["A", "B"], ["C", "B"], ["C", "B"], ["B", "A"], ["C", "B"])):
        svc.cast_ballot(poll_id, code_, {"ranking": ranking})
    svc.close(SECRET, poll_id)
    svc.engine.dispose()
    status, out, _ = meeting("tally", "--poll", str(poll_id))
    assert status == 0
    assert "胜出方案：B 方案乙 医疗优先。 / Winner: B 方案乙 医疗优先." in out
    assert "即时决选（IRV，仅供参考，公示结果以 Schulze 法为准）：" in out
    assert "IRV 与 Schulze 法的结果不同，以 Schulze 法为准。" in out
    assert "IRV 第 1 轮：B 方案乙 医疗优先 首选票最少（1 票），淘汰。" in out


def test_setup_stores_the_secret_once_and_rotate_replaces_it_keeping_the_signing_key(meeting, scenario_files, monkeypatch):
    status, out, _ = meeting("setup")
    assert status == 0 and "签名公钥指纹" in out
    fingerprint = out.split("签名公钥指纹 ")[1].split(" /")[0]
    status, _, err = meeting("setup")
    assert status == 2 and "不能重复设置" in err and "already set up" in err
    monkeypatch.setenv("PLANNING_ORGANISER_NEW_SECRET", "新口令-2025-换届")
    status, out, _ = meeting("setup", "--rotate")
    assert status == 0 and fingerprint in out  # same key: the public key printed on the slips stays valid
    args = ["create", "--title", "t", "--method", "approval", *[a for f in scenario_files[:2] for a in ("--scenario", str(f))]]
    status, _, err = meeting(*args)
    assert status == 2 and "组织者口令不正确" in err  # the old secret no longer works
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", "新口令-2025-换届")
    assert meeting(*args)[0] == 0
    status, out, _ = meeting("log", "--poll", "1")
    assert "更换组织者口令" in out and "organiser secret changed" in out


def test_codes_after_opening_need_a_reason_and_are_published_as_a_late_batch(meeting, scenario_files, tmp_path):
    meeting("setup")
    poll = meeting("create", "--title", "t", "--method", "approval",
                   *[a for f in scenario_files[:2] for a in ("--scenario", str(f))])[1].strip()
    pdf = str(tmp_path / "slips.pdf")
    assert meeting("codes", "--poll", poll, "-n", "3", "--pdf", pdf, "--batch-label", "1号桌")[0] == 0
    meeting("open", "--poll", poll)
    status, _, err = meeting("codes", "--poll", poll, "-n", "2", "--pdf", pdf)
    assert status == 2 and "补发选票码必须写明原因" in err and "late batch" in err
    assert meeting("codes", "--poll", poll, "-n", "2", "--pdf", pdf, "--late-reason", "3号楼没领到选票")[0] == 0
    status, out, _ = meeting("status", "--poll", poll)
    assert "已用选票码 0 / 已发 5" in out and "3号楼没领到选票" in out
    meeting("close", "--poll", poll)
    assert meeting("publish", "--poll", poll)[0] == 0
    published = VotingService.connect(meeting.db_path).published_result(int(poll))
    batches = published["codes"]["batches"]
    assert [(b["issued"], b["late"], b["reason"], b["label"]) for b in batches] == [
        (3, False, "", "1号桌"), (2, True, "3号楼没领到选票", "")]
    assert published["codes"]["issued"] == 5 and published["codes"]["used"] == 0
    assert [e["action"] for e in published["log"]] == ["setup", "create", "codes", "open", "codes", "close", "publish"]
    assert all(e["at"].endswith("Z") for e in published["log"])


def test_close_prints_the_chain_head_and_vote_prints_position_and_chain_value(meeting, scenario_files, tmp_path):
    meeting("setup")
    svc = VotingService.connect(meeting.db_path)
    poll_id, codes = open_poll(svc, scenario_files, "approval", 2)
    status, out, _ = meeting("vote", "--poll", str(poll_id), "--code", codes[0], "--approve", "A")
    head = svc.poll(poll_id).chain_head
    assert status == 0 and "第 1 张" in out and head in out
    status, out, _ = meeting("close", "--poll", str(poll_id))
    assert status == 0 and f"选票链头（1 张选票）：{head}" in out and f"{head[:4]} {head[4:8]}" in out
    svc.engine.dispose()


def test_poll_help_loads_no_database_or_table_library():
    assert heavy_imports("poll", "vote", "--help") == ""
    assert heavy_imports("poll", "--help") == ""


def test_entering_a_paper_ballot_loads_neither_pandas_nor_reportlab(meeting, scenario_files):
    meeting("setup")
    svc = VotingService.connect(meeting.db_path)
    poll_id, codes = open_poll(svc, scenario_files, "approval", 1)
    svc.engine.dispose()
    loaded = heavy_imports("poll", "--db", meeting.db_path, "vote", "--poll", str(poll_id), "--code", codes[0], "--approve", "A")
    assert loaded == "sqlalchemy"
    assert VotingService.connect(meeting.db_path).poll(poll_id).ballots == 1


def test_poll_on_an_area_takes_its_saved_plans_by_name_and_refuses_another_areas_plan(meeting, tmp_path, monkeypatch):
    """``poll create --area xinjiekou --scenario 方案甲…``: the newest saved version of each named plan of that
    area; a plan of another area, or a name never saved for it, refused in zh/en with nothing stored."""
    from scenarios.scenario import AreaRecord, load_scenario, save_scenario
    from tests.support.voting import make_scenario

    home = tmp_path / "own-home"
    monkeypatch.setenv("PLANNING_HOME", str(home))
    folder = home / "scenarios"
    folder.mkdir(parents=True)
    demo = AreaRecord(name="南京 新街口（示例）", bbox=(118.770, 32.035, 118.790, 32.048))

    def of_demo(scenario):
        return scenario.model_copy(update={"area": demo})

    save_scenario(of_demo(make_scenario("方案甲", ["s1"], 0.2)), folder)
    newer_a = save_scenario(of_demo(make_scenario("方案甲", ["s1", "s2"], 0.5)), folder)  # saved later: -v2
    plan_b = save_scenario(of_demo(make_scenario("方案乙", ["s3"], 0.4)), folder)
    elsewhere = save_scenario(make_scenario("方案丙", ["s4"], 0.4), tmp_path)  # 南京市玄武区新街口街道, not the demo
    meeting("setup")
    status, out, err = meeting("create", "--title", "t", "--method", "approval", "--area", "xinjiekou",
                               "--scenario", "方案甲", "--scenario", "方案乙")
    assert status == 0, err
    service = VotingService.connect(meeting.db_path)
    options = service.poll(int(out.strip())).options
    assert [o.scenario_digest for o in options] == [load_scenario(newer_a).digest, load_scenario(plan_b).digest]
    before = row_counts(service.engine)
    status, _, err = meeting("create", "--title", "t", "--method", "approval", "--area", "xinjiekou",
                             "--scenario", "方案甲", "--scenario", str(elsewhere))
    assert status == 2 and "不是“南京 新街口（示例）”的" in err and "not for" in err and "Traceback" not in err
    status, _, err = meeting("create", "--title", "t", "--method", "approval", "--area", "xinjiekou",
                             "--scenario", "方案甲", "--scenario", "方案丁")
    assert status == 2 and "没有名为“方案丁”" in err and "方案乙、方案甲" in err and "has no saved scenario" in err
    assert row_counts(service.engine) == before
    service.engine.dispose()


def test_a_meeting_file_named_for_another_format_is_refused_before_anything_changes(meeting, scenario_files,
                                                                                   tmp_path):
    """Slips written as ``slips.txt`` would print as garbage; the codes must not be issued first."""
    meeting("setup")
    poll = meeting("create", "--title", "t", "--method", "approval",
                   *[a for f in scenario_files[:2] for a in ("--scenario", str(f))])[1].strip()
    status, _, err = meeting("codes", "--poll", poll, "-n", "3", "--pdf", str(tmp_path / "slips.txt"))
    assert status == 2 and "此命令写出 .pdf 文件" in err and "writes a .pdf file" in err
    assert "已用选票码 0 / 已发 0" in meeting("status", "--poll", poll)[1]
    meeting("open", "--poll", poll)
    meeting("close", "--poll", poll)
    for args in (("publish", "--json", "result.txt"), ("publish", "--archive", "result.json"),
                 ("tally", "--json", "result.csv")):
        status, _, err = meeting(args[0], "--poll", poll, args[1], str(tmp_path / args[2]))
        assert status == 2 and "后缀与写出的格式不符" in err and "named for another format" in err, (args, err)
    with pytest.raises(PlanningError, match="尚未公示"):  # not published meanwhile
        VotingService.connect(meeting.db_path).published_result(int(poll))
    assert meeting("publish", "--poll", poll)[0] == 0
    status, _, err = meeting("archive", "--poll", poll, "--out", str(tmp_path / "result"))
    assert status == 2 and "writes a .zip file" in err
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(("slips", "result"))]
