"""Meeting day in the voting service: who may organise, what is published, user text, older databases.

No organiser secret exists until it is set from the command line or with the one-time token the
server prints; every organiser action is logged and published; text limits are the same on
SQLite and PostgreSQL; bidirectional marks never reach a page or a slip; a poll may publish its
ballots without receipts, and its hearing comments; a database of the first version keeps its
polls and ballots and gets a chain.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from sqlalchemy import MetaData, create_engine, insert, select

from planning.base.errors import PlanningError
from scenarios.voting import VotingService, db
from scenarios.voting.archive import verify_archive
from scenarios.voting.ballots import canonical_json
from scenarios.voting.codes import hash_code, new_ballot_code, new_salt
from scenarios.voting.rules import MAX_COMMENT_CHARS, MAX_LABEL_CHARS, MAX_TITLE_CHARS
from scenarios.voting.slips import write_slips
from tests.support.postgres import fresh_database
from tests.support.voting import SECRET, open_poll


@pytest.fixture
def blank(tmp_path):
    """A voting database nobody has set up."""
    svc = VotingService.connect(str(tmp_path / "blank.sqlite"))
    yield svc
    svc.engine.dispose()


def test_a_new_database_has_no_organiser_until_one_is_set_up(blank, scenario_files):
    assert not blank.is_set_up() and blank.organiser_public_key() is None
    for action in (lambda: blank.check_organiser("anything-at-all"),
                   lambda: blank.create_poll("anything-at-all", "t", scenario_files, "approval")):
        with pytest.raises(PlanningError) as err:
            action()
        assert err.value.code == "organiser_not_set_up"


def test_the_one_time_setup_token_sets_the_secret_once(blank):
    first = blank.issue_setup_token()
    token = blank.issue_setup_token()  # a restarted server prints a new token; the old one stops working
    assert first != token and len(token) == 19
    for wrong, code in ((first, "setup_token_wrong"), ("AAAA-BBBB-CCCC-DDDD", "setup_token_wrong")):
        with pytest.raises(PlanningError) as err:
            blank.setup_with_token(wrong, SECRET)
        assert err.value.code == code
    assert not blank.is_set_up()
    fingerprint = blank.setup_with_token(token.lower(), SECRET)
    blank.check_organiser(SECRET)
    with pytest.raises(PlanningError) as err:
        blank.setup_with_token(token, "someone-else-2024")
    assert err.value.code == "organiser_already_set_up"
    assert blank.issue_setup_token() is None  # set up: no more tokens
    with pytest.raises(PlanningError) as err:
        blank.check_organiser("someone-else-2024")
    assert err.value.code == "organiser_secret_wrong"
    from scenarios.voting.signing import fingerprint as fingerprint_of

    assert fingerprint == fingerprint_of(blank.organiser_public_key())
    assert [e["detail"]["via"] for e in blank._log_entries(blank.engine.connect(), 0) if e["action"] == "setup"] == ["token"]


def test_rotating_the_secret_keeps_the_signing_key_and_the_old_secret_stops_working(service, scenario_files):
    key = service.organiser_public_key()
    poll_id, codes = open_poll(service, scenario_files, "approval", 1)
    service.cast_ballot(poll_id, codes[0], {"approve": ["A"]})
    service.close(SECRET, poll_id)
    service.rotate_secret(SECRET, "换届后的新口令-2025")
    with pytest.raises(PlanningError) as err:
        service.publish(SECRET, poll_id)
    assert err.value.code == "organiser_secret_wrong"
    service.publish("换届后的新口令-2025", poll_id)
    published = service.published_result(poll_id)
    assert published["signature"]["public_key"] == key == service.organiser_public_key()
    assert verify_archive(service.archive(poll_id), key).ok
    assert [e["action"] for e in published["log"]] == ["setup", "create", "codes", "open", "close", "rotate", "publish"]


def test_codes_after_opening_need_a_reason_and_nothing_is_issued_without_one(service, scenario_files):
    poll_id, _ = open_poll(service, scenario_files, "approval", 2)
    with pytest.raises(PlanningError) as err:
        service.generate_codes(SECRET, poll_id, 5)
    assert err.value.code == "codes_after_opening"
    assert service.poll(poll_id).codes_issued == 2
    service.generate_codes(SECRET, poll_id, 5, label="2号桌", late_reason="3号楼没有收到选票")
    info = service.poll(poll_id)
    assert [(b.issued, b.late, b.label) for b in info.batches] == [(2, False, ""), (5, True, "2号桌")]
    service.close(SECRET, poll_id)
    with pytest.raises(PlanningError) as err:
        service.generate_codes(SECRET, poll_id, 1, late_reason="太晚了")
    assert err.value.code == "poll_wrong_state"


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request, tmp_path):
    """The service on each database."""
    if request.param == "sqlite":
        url = str(tmp_path / "limits.sqlite")
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"), f"l_{uuid.uuid4().hex[:12]}")
    svc = VotingService.connect(url)
    svc.setup_organiser(SECRET)
    yield svc
    svc.engine.dispose()


def test_text_limits_are_the_same_on_sqlite_and_postgresql(either, scenario_files):
    unit = "新街口便民设施🏥"  # an emoji is one character on both databases
    longest = unit * (MAX_TITLE_CHARS // len(unit)) + "投" * (MAX_TITLE_CHARS % len(unit))
    assert len(longest) == MAX_TITLE_CHARS
    poll_id = either.create_poll(SECRET, longest, scenario_files, "approval")
    assert either.poll(poll_id).title == longest
    before = db.row_counts(either.engine)
    refusals = {
        "poll_title_too_long": lambda: either.create_poll(SECRET, longest + "票", scenario_files, "approval"),
        "poll_title_empty": lambda: either.create_poll(SECRET, " \u200b\u202e ", scenario_files, "approval"),
        "batch_label_too_long": lambda: either.generate_codes(SECRET, poll_id, 1, label="桌" * (MAX_LABEL_CHARS + 1)),
    }
    for code, action in refusals.items():
        with pytest.raises(PlanningError) as err:
            action()
        assert err.value.code == code and err.value.zh != err.value.en
        if code.endswith("too_long"):
            assert f"最多 {MAX_TITLE_CHARS if code.startswith('poll') else MAX_LABEL_CHARS} 个" in err.value.zh
    assert db.row_counts(either.engine) == before
    either.start_hearing(SECRET, poll_id)
    either.add_comment(poll_id, "意" * MAX_COMMENT_CHARS)
    with pytest.raises(PlanningError) as err:
        either.add_comment(poll_id, "意" * (MAX_COMMENT_CHARS + 1))
    assert err.value.code == "comment_too_long" and "最多 2000" in err.value.zh and "at most 2000" in err.value.en


def test_bidirectional_and_invisible_marks_are_removed_from_user_text(service, scenario_files):
    poll_id = service.create_poll(SECRET, "新街口\u202e票投\u202c 便民\u200b设施\u2066 \n 投票", scenario_files, "approval")
    assert service.poll(poll_id).title == "新街口票投 便民设施 投票"
    service.start_hearing(SECRET, poll_id)
    service.add_comment(poll_id, "第一行\u200f\n\n\n\n第二行\u0007")
    assert service.comments(poll_id)[0]["text"] == "第一行\n\n第二行"


def test_slips_leave_out_emoji_and_right_to_left_marks_and_print_the_public_key(tmp_path, service, scenario_files):
    if shutil.which("pdftotext") is None:
        pytest.skip("apt-get install poppler-utils")
    poll_id, codes = open_poll(service, scenario_files, "approval", 3)
    info = service.poll(poll_id)
    key = service.organiser_public_key()
    pdf = write_slips(tmp_path / "slips.pdf", poll_id, "🎉新街口\u202e便民设施🏥投票", codes, "http://192.168.1.10:8501",
                      options=[(o.key, o.title, o.scenario_digest) for o in info.options], public_key=key, label="1号桌😀")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "新街口便民设施投票" in text and "1号桌" in text
    assert not any(ch in text for ch in "🎉🏥😀\u202e")
    assert key[:32] in text and key[32:] in text and info.options[0].scenario_digest in text
    from scenarios.voting.signing import fingerprint

    assert fingerprint(key) in text and all(code in text for code in codes)


def test_a_poll_without_receipts_publishes_ballots_no_one_can_prove(service, scenario_files):
    poll_id = service.create_poll(SECRET, "不公示回执", scenario_files, "approval", publish_receipts=False)
    codes = service.generate_codes(SECRET, poll_id, 3)
    service.open_voting(SECRET, poll_id)
    receipts = [service.cast_ballot(poll_id, c, {"approve": a}) for c, a in zip(codes, (["B"], ["A"], ["A", "C"]))]
    assert not any(r.published for r in receipts)
    service.close(SECRET, poll_id)
    service.publish(SECRET, poll_id)
    published = service.published_result(poll_id)
    assert all(set(b) == {"ballot"} for b in published["ballots"])  # no receipt, no nonce, no position
    assert [b["ballot"] for b in published["ballots"]] == sorted((b["ballot"] for b in published["ballots"]),
                                                                   key=canonical_json)
    assert not any(r.receipt in json.dumps(published) for r in receipts)
    chain = {e["position"]: e["value"] for e in published["chain"]["entries"]}
    assert all(chain[r.position] == r.chain_value for r in receipts)  # each voter finds their position and value
    assert verify_archive(service.archive(poll_id)).ok


def test_hearing_comments_are_published_only_when_the_poll_says_so(service, scenario_files):
    published = {}
    for say in (True, False):
        poll_id = service.create_poll(SECRET, f"意见公示 {say}", scenario_files, "approval", publish_comments=say)
        service.start_hearing(SECRET, poll_id)
        service.add_comment(poll_id, "养老站请靠近石鼓路", option_key="A")
        codes = service.generate_codes(SECRET, poll_id, 1)
        service.open_voting(SECRET, poll_id)
        service.cast_ballot(poll_id, codes[0], {"approve": ["A"]})
        service.close(SECRET, poll_id)
        service.publish(SECRET, poll_id)
        published[say] = service.published_result(poll_id)
        assert service.comments(poll_id)[0]["text"] == "养老站请靠近石鼓路"  # the organiser always sees them
    assert [(c["option"], c["text"]) for c in published[True]["comments"]] == [("A", "养老站请靠近石鼓路")]
    assert "comments" not in published[False] and "养老站" not in json.dumps(published[False], ensure_ascii=False)


def test_a_first_version_database_keeps_its_polls_and_gets_a_chain(tmp_path, scenario_files, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))  # where the first version looked for scenarios
    path = tmp_path / "v1.sqlite"
    old = create_engine(f"sqlite:///{path}")
    frozen = MetaData()
    db._v1_tables(frozen)
    frozen.create_all(old)
    salt, codes = new_salt(), [new_ballot_code() for _ in range(3)]
    with old.begin() as conn:
        conn.execute(insert(frozen.tables["polls"]).values(
            id=1, title="旧投票", method="approval", electorate="residents", state="closed", code_salt=salt,
            created_at=db.now()))
        conn.execute(insert(frozen.tables["poll_options"]), [
            {"poll_id": 1, "key": k, "position": i, "title": f"方案{k}", "scenario_file": f.name,
             "scenario_digest": __import__("yaml").safe_load(f.read_text(encoding="utf-8"))["digest"]}
            for i, (k, f) in enumerate(zip("AB", scenario_files))])
        conn.execute(insert(frozen.tables["ballot_codes"]), [
            {"poll_id": 1, "code_hash": hash_code(c, salt), "used": i < 2} for i, c in enumerate(codes)])
        conn.execute(insert(frozen.tables["ballots"]), [
            {"poll_id": 1, "receipt": f"R-AAAA-BBBB-CCC{i}", "content": canonical_json({"approve": [k]})}
            for i, k in enumerate("AB")])
    db.schema_version.create(old)
    with old.begin() as conn:
        conn.execute(insert(db.schema_version).values(version=1, applied_at=db.now()))
    old.dispose()
    svc = VotingService(db.connect(str(path)))
    info = svc.poll(1)
    assert (info.title, info.ballots, info.codes_issued, info.codes_used, info.chain_length) == ("旧投票", 2, 3, 2, 2)
    with svc.engine.connect() as conn:
        assert conn.execute(select(db.schema_version.c.version).order_by(db.schema_version.c.version.desc())).first()[0] == len(db.MIGRATIONS)
    assert svc.result(1).tally.totals == {"A": 1, "B": 1}  # the chain built at migration verifies
    svc.setup_organiser(SECRET)
    svc.publish(SECRET, 1)
    assert verify_archive(svc.archive(1)).ok
    svc.engine.dispose()
