"""The voting service on a real SQLite file: life cycle, refusals that store nothing, receipts."""
from __future__ import annotations

import hashlib

import pytest
import yaml
from sqlalchemy import select

from planning.base.errors import PlanningError
from scenarios.voting import db
from scenarios.voting.ballots import ballots_digest, canonical_json
from scenarios.voting.codes import normalise_code
from scenarios.voting.db import row_counts
from scenarios.voting.slips import write_slips
from tests.support.voting import SECRET, TIED_COUNTS, open_poll, publish_tied_poll


def _refused(svc, code, action):
    """Run ``action``; assert it is refused with ``code``, a zh and en text, and no row stored."""
    before = row_counts(svc.engine)
    with pytest.raises(PlanningError) as err:
        action()
    assert err.value.code == code
    assert err.value.zh and err.value.en and err.value.zh != err.value.en
    assert row_counts(svc.engine) == before
    return err.value


def test_full_life_cycle_from_draft_to_evaluation(service, scenario_files):
    poll_id = service.create_poll(SECRET, "新街口便民设施", scenario_files, "approval", "representatives", quorum=2)
    service.start_hearing(SECRET, poll_id)
    service.add_comment(poll_id, "希望养老站靠近石鼓路。", option_key="A")
    codes = service.generate_codes(SECRET, poll_id, 3)
    service.open_voting(SECRET, poll_id)
    service.cast_ballot(poll_id, codes[0], {"approve": ["A", "C"]})
    service.cast_ballot(poll_id, codes[1], {"approve": ["C"]})
    service.close(SECRET, poll_id)
    result = service.publish(SECRET, poll_id)
    assert result.tally.winners == ["C"] and result.quorum_met is True
    service.start_evaluation(SECRET, poll_id)
    service.rate(poll_id, 4, "开门时间合适")
    service.rate(poll_id, 5)
    assert service.ratings_summary(poll_id)["mean"] == 4.5
    assert service.comments(poll_id)[0]["text"] == "希望养老站靠近石鼓路。"
    info = service.poll(poll_id)
    assert (info.state, info.codes_issued, info.codes_used, info.ballots) == ("evaluated", 3, 2, 2)
    assert info.electorate == "representatives"


def test_published_result_lists_every_receipt_and_a_verifiable_digest(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "ranked", 4, quorum=5)
    receipts = [service.cast_ballot(poll_id, c, {"ranking": r}).receipt
                for c, r in zip(codes, (["B", "A"], ["B"], ["A", "C", "B"]))]
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    published = service.published_result(poll_id)
    assert sorted(e["receipt"] for e in published["ballots"]) == sorted(receipts)
    assert published["ballots_digest"] == ballots_digest(published["ballots"])
    ordered = sorted(({"receipt": e["receipt"], "ballot": e["ballot"]} for e in published["ballots"]),
                     key=lambda e: e["receipt"])
    assert published["ballots_digest"] == hashlib.sha256(canonical_json(ordered).encode()).hexdigest()
    assert published["quorum_met"] is False
    assert published["tally"]["winners"] == ["B"]
    assert published["options"][0]["scenario_digest"] == yaml.safe_load(scenario_files[0].read_text(encoding="utf-8"))["digest"]


def test_codes_are_stored_only_as_salted_hashes(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "approval", 5)
    with service.engine.connect() as conn:
        stored = conn.execute(select(db.ballot_codes.c.code_hash)).scalars().all()
    dump = " ".join(stored)
    assert all(c not in dump and c.replace("-", "") not in dump for c in codes)
    assert hashlib.sha256(codes[0].encode()).hexdigest() not in stored  # salted, not plain sha256
    assert all(normalise_code(c) == c and len(c) == 17 for c in codes)
    assert not set("".join(codes)) & set("01OI")


def test_receipt_is_not_derived_from_the_code(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "approval", 1)
    receipt = service.cast_ballot(poll_id, codes[0], {"approve": ["A"]}).receipt
    assert receipt.startswith("R-") and codes[0].replace("-", "")[:4] not in receipt


def test_bad_codes_are_refused_and_nothing_is_stored(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "approval", 2)
    other_poll, other_codes = open_poll(service, scenario_files, "approval", 1)
    typo = codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B")
    err = _refused(service, "code_malformed", lambda: service.cast_ballot(poll_id, typo, {"approve": ["A"]}))
    assert "0、O、1、I" in err.message("zh") and "0, O, 1 or I" in err.message("en")
    _refused(service, "code_malformed", lambda: service.cast_ballot(poll_id, "HELLO", {"approve": ["A"]}))
    _refused(service, "code_unknown", lambda: service.cast_ballot(poll_id, other_codes[0], {"approve": ["A"]}))
    service.cast_ballot(poll_id, codes[0].lower().replace("-", ""), {"approve": ["A"]})  # typed casually: accepted
    _refused(service, "code_used", lambda: service.cast_ballot(poll_id, codes[0], {"approve": ["B"]}))


@pytest.mark.parametrize(
    ("method", "ballot", "code"),
    [
        ("ranked", {"ranking": ["A", "B", "A"]}, "ballot_duplicate_option"),
        ("ranked", {"ranking": ["A", "Z"]}, "ballot_unknown_option"),
        ("ranked", {"ranking": []}, "ballot_empty"),
        ("ranked", {"approve": ["A"]}, "ballot_wrong_method"),
        ("approval", {"approve": ["C", "C"]}, "ballot_duplicate_option"),
        ("score", {"scores": {"A": 6}}, "ballot_bad_score"),
        ("score", {"scores": {"A": True}}, "ballot_bad_score"),
    ],
)
def test_invalid_ballots_are_refused_and_the_code_stays_unused(service, scenario_files, method, ballot, code):
    poll_id, codes = open_poll(service, scenario_files, method, 1)
    _refused(service, code, lambda: service.cast_ballot(poll_id, codes[0], ballot))
    assert service.poll(poll_id).codes_used == 0


def test_voting_before_open_and_after_close_is_refused(service, scenario_files):
    poll_id = service.create_poll(SECRET, "新街口", scenario_files, "approval")
    codes = service.generate_codes(SECRET, poll_id, 2)
    err = _refused(service, "poll_wrong_state", lambda: service.cast_ballot(poll_id, codes[0], {"approve": ["A"]}))
    assert "草案" in err.zh and "draft" in err.en
    service.open_voting(SECRET, poll_id)
    service.close(SECRET, poll_id)
    _refused(service, "poll_wrong_state", lambda: service.cast_ballot(poll_id, codes[1], {"approve": ["A"]}))


def test_illegal_transitions_are_refused(service, scenario_files):
    poll_id = service.create_poll(SECRET, "新街口", scenario_files, "approval")
    _refused(service, "poll_bad_transition", lambda: service.close(SECRET, poll_id))
    _refused(service, "poll_bad_transition", lambda: service.publish(SECRET, poll_id))
    service.open_voting(SECRET, poll_id)
    _refused(service, "poll_bad_transition", lambda: service.start_hearing(SECRET, poll_id))
    _refused(service, "tally_not_available", lambda: service.result(poll_id))
    _refused(service, "result_not_published", lambda: service.published_result(poll_id))


def test_wrong_organiser_secret_is_refused_for_every_organiser_action(service, scenario_files):
    poll_id = service.create_poll(SECRET, "新街口", scenario_files, "approval")
    wrong = "not-the-secret"
    _refused(service, "organiser_secret_wrong", lambda: service.create_poll(wrong, "x", scenario_files, "approval"))
    _refused(service, "organiser_secret_wrong", lambda: service.generate_codes(wrong, poll_id, 3))
    _refused(service, "organiser_secret_wrong", lambda: service.open_voting(wrong, poll_id))
    _refused(service, "organiser_secret_missing", lambda: service.open_voting("", poll_id))
    _refused(service, "organiser_already_set_up", lambda: service.setup_organiser("another-secret"))
    assert service.poll(poll_id).state == "draft"


def test_tampered_scenario_cannot_enter_a_poll(service, scenario_files):
    raw = yaml.safe_load(scenario_files[1].read_text(encoding="utf-8"))
    raw["cost_yuan"] = 1.0
    scenario_files[1].write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    err = _refused(service, "scenario_tampered", lambda: service.create_poll(SECRET, "x", scenario_files, "ranked"))
    assert scenario_files[1].name in err.en


def test_poll_needs_two_scenarios_and_known_settings(service, scenario_files):
    _refused(service, "poll_too_few_options", lambda: service.create_poll(SECRET, "x", scenario_files[:1], "ranked"))
    _refused(service, "poll_bad_method", lambda: service.create_poll(SECRET, "x", scenario_files, "plurality"))
    _refused(service, "poll_bad_quorum", lambda: service.create_poll(SECRET, "x", scenario_files, "ranked", quorum=0))


def test_comments_only_during_hearing_and_ratings_only_during_evaluation(service, scenario_files):
    poll_id, _ = open_poll(service, scenario_files, "approval", 1)
    _refused(service, "poll_wrong_state", lambda: service.add_comment(poll_id, "意见"))
    _refused(service, "poll_wrong_state", lambda: service.rate(poll_id, 5))
    _refused(service, "rating_bad_stars", lambda: service.rate(poll_id, 6))


def test_slips_pdf_embeds_chinese_font_and_one_qr_per_code(tmp_path, service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "ranked", 12)
    pdf = write_slips(tmp_path / "slips.pdf", poll_id, "新街口便民设施选址", codes, "https://vote.example.cn/")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"STSong-Light" in data
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 2  # 12 slips, 10 per page


def test_schema_is_created_once_and_a_newer_database_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "sub" / "planning.sqlite"))
    first = db.connect()
    assert (tmp_path / "sub" / "planning.sqlite").is_file()
    with first.connect() as conn:
        # a rollback journal, deleted at each commit: no write-ahead log keeps the order of past ballots
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert db.migrate(first) == len(db.MIGRATIONS) == 3  # reopening applies nothing twice
    with first.begin() as conn:
        conn.execute(db.schema_version.insert().values(version=99, applied_at=db.now()))
    first.dispose()
    with pytest.raises(PlanningError) as err:
        db.connect()
    assert err.value.code == "database_newer"


def test_database_url_prefers_explicit_then_database_url_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/planning")
    assert db.database_url() == "postgresql+psycopg://u@db.example/planning"
    assert db.database_url("votes.sqlite") == "sqlite:///votes.sqlite"


@pytest.mark.parametrize("case", list(TIED_COUNTS))
def test_a_tie_is_published_as_a_tie_with_the_meetings_rule_and_no_winner(service, scenario_files, case):
    tied = TIED_COUNTS[case][2]
    published = service.published_result(publish_tied_poll(service, scenario_files, case))
    assert published["tally"]["tie"] is True and published["tally"]["winner"] is None
    assert published["tally"]["winners"] == tied
    names = {o["key"]: f"{o['key']} {o['title']}" for o in published["options"]}
    zh, en = published["outcome"]["zh"], published["outcome"]["en"]
    assert zh[0] == f"并列第一：{'、'.join(names[k] for k in tied)}（平票），本次投票没有胜出方案。"
    assert en[0] == f"Tie for first: {', '.join(names[k] for k in tied)}. No option wins this poll."
    assert "议事会" in zh[1] and "run-off" in en[1]
    assert not any(line.startswith("胜出方案") for line in zh) and not any("Winner" in line for line in en)
    if case == "IRV ends level":
        assert published["tally"]["irv"]["winners"] == ["A", "B"] and published["tally"]["irv"]["tie"] is True


def test_irv_lot_is_seeded_with_the_published_ballots_digest(service, scenario_files):
    # round 1: A 2, B 1, C 1 and no earlier round: B or C leaves by lot
    poll_id, codes = open_poll(service, scenario_files, "ranked", 4)
    for code, ranking in zip(codes, (["A"], ["A"], ["B"], ["C", "B"])):
        service.cast_ballot(poll_id, code, {"ranking": ranking})
    service.close(SECRET, poll_id)
    published = service.publish(SECRET, poll_id).to_dict()
    irv, digest = published["tally"]["irv"], published["ballots_digest"]
    first = irv["rounds"][0]
    assert irv["seed"] == digest and first["rule"] == "lot" and first["tied"] == ["B", "C"]
    draws = {k: hashlib.sha256(f"{digest}:1:{k}".encode()).hexdigest() for k in ("B", "C")}
    assert first["lot"] == draws and first["eliminated"] == min(draws, key=draws.get)
    assert any("抽签" in line and digest in line for line in published["outcome"]["zh"])
