"""A result a sceptic can check: ``planning poll tally`` and ``planning poll verify`` catch every change.

An edited ballot row, a deleted one (even with the chain head and the code count patched to
match) and a scenario file swapped for another sealed one are refused by ``tally`` on the
database and by ``verify`` on the result archive; an untouched archive verifies and its
recount equals the published count and a count made here by hand.
"""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from collections import Counter

import pytest
import yaml

from planning.cli.main import main
from scenarios.scenario import save_scenario
from scenarios.voting import VotingService
from scenarios.voting.archive import verify_archive
from tests.support.voting import SECRET, make_scenario, open_poll

BALLOTS = (["A"], ["A", "B"], ["B"], ["C"], ["A"], ["B", "C"], ["A", "C"])


@pytest.fixture
def meeting(tmp_path, monkeypatch, capsys, scenario_files):
    """A closed approval poll of seven ballots on a SQLite file; ``run(*args)`` runs ``planning poll --db …``."""
    db_path = tmp_path / "meeting.sqlite"
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", SECRET)
    svc = VotingService.connect(str(db_path))
    svc.setup_organiser(SECRET)
    poll_id, codes = open_poll(svc, scenario_files, "approval", len(BALLOTS) + 2)
    receipts = [svc.cast_ballot(poll_id, code, {"approve": approved}) for code, approved in zip(codes, BALLOTS)]
    svc.close(SECRET, poll_id)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["poll", "--db", str(db_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    run.svc, run.poll, run.db_path, run.receipts, run.files = svc, str(poll_id), db_path, receipts, scenario_files
    yield run
    svc.engine.dispose()


def _sql(meeting, statement: str, *params) -> None:
    """Change the database file directly, as someone with the file and a SQLite browser could."""
    with sqlite3.connect(meeting.db_path) as conn:
        conn.execute(statement, params)


def _by_hand() -> dict[str, int]:
    counted = Counter(key for approved in BALLOTS for key in approved)
    return {key: counted[key] for key in "ABC"}


def _archive(meeting, tmp_path):
    assert meeting("publish", "--poll", meeting.poll, "--archive", str(tmp_path / "result.zip"))[0] == 0
    return tmp_path / "result.zip"


def _rewrite(archive, change) -> bytes:
    """The archive with ``change(result, members)`` applied to its result.json and members."""
    with zipfile.ZipFile(archive) as original:
        members = {name: original.read(name) for name in original.namelist()}
    result = json.loads(members["result.json"])
    change(result, members)
    members["result.json"] = json.dumps(result, ensure_ascii=False).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as forged:
        for name, data in members.items():
            forged.writestr(name, data)
    return buffer.getvalue()


def test_untouched_archive_verifies_and_recomputes_the_published_tally_exactly(meeting, tmp_path):
    archive = _archive(meeting, tmp_path)
    published = meeting.svc.published_result(int(meeting.poll))
    found = verify_archive(archive, meeting.svc.organiser_public_key())
    assert found.ok and [c.name for c in found.checks if c.ok is not True] == []
    assert found.recount == published["tally"]
    assert found.recount["totals"] == published["tally"]["totals"] == _by_hand() == {"A": 4, "B": 3, "C": 3}
    assert published["tally"]["winners"] == ["A"]
    status, out, _ = meeting("verify", str(archive), "--public-key", found.fingerprint)
    assert status == 0 and "核对通过" in out and "Verified" in out and "A=4, B=3, C=3" in out
    # the receipts in the archive are the ones the voters were given, with their positions and chain values
    chain = {e["position"]: e["value"] for e in published["chain"]["entries"]}
    assert {(b["receipt"], b["position"]) for b in published["ballots"]} == {(r.receipt, r.position) for r in meeting.receipts}
    assert all(chain[r.position] == r.chain_value for r in meeting.receipts)


def test_an_edited_ballot_row_is_refused_by_tally(meeting):
    assert meeting("tally", "--poll", meeting.poll)[0] == 0
    third = meeting.receipts[2]  # a vote for B alone becomes one for C: C would now lead
    _sql(meeting, "UPDATE ballots SET content = ? WHERE receipt = ?", '{"approve":["C"]}', third.receipt)
    status, out, err = meeting("tally", "--poll", meeting.poll)
    assert status == 2 and out == ""
    assert f"在第 {third.position} 张选票处对不上" in err and f"does not verify at ballot {third.position}" in err


def test_an_edited_ballot_row_is_refused_after_publication_too(meeting, tmp_path):
    _archive(meeting, tmp_path)
    first = meeting.receipts[0]
    _sql(meeting, "UPDATE ballots SET content = ? WHERE receipt = ?", '{"approve":["B"]}', first.receipt)
    status, _, err = meeting("tally", "--poll", meeting.poll)
    assert status == 2 and "对不上" in err and "does not verify" in err


def test_a_deleted_ballot_row_is_refused_by_tally(meeting):
    _sql(meeting, "DELETE FROM ballots WHERE receipt = ?", meeting.receipts[3].receipt)
    status, _, err = meeting("tally", "--poll", meeting.poll)
    assert status == 2 and "Traceback" not in err
    assert "选票链" in err and "ballot chain" in err


def test_a_deleted_last_ballot_with_head_and_code_count_patched_is_refused(meeting):
    """Remove the last ballot and make the rest agree: the head recorded at closing still differs."""
    last, before = meeting.receipts[-1], meeting.receipts[-2]
    _sql(meeting, "DELETE FROM ballots WHERE receipt = ?", last.receipt)
    _sql(meeting, "UPDATE polls SET chain_head = ?, chain_length = ? WHERE id = ?", before.chain_value, before.position,
         int(meeting.poll))
    _sql(meeting, "UPDATE ballot_codes SET used = 0 WHERE rowid = (SELECT rowid FROM ballot_codes WHERE used = 1 LIMIT 1)")
    status, _, err = meeting("tally", "--poll", meeting.poll)
    assert status == 2 and "结束投票时记录的链头" in err and "head recorded at closing" in err


def test_a_swapped_scenario_file_is_refused_by_tally(meeting):
    assert meeting("tally", "--poll", meeting.poll)[0] == 0
    # same file name, a different plan, sealed with its own correct digest
    swapped = make_scenario("方案乙 医疗优先", ["s3"], 0.9)
    save_scenario(swapped, meeting.files[1].parent, filename=meeting.files[1].name, overwrite=True)
    status, _, err = meeting("tally", "--poll", meeting.poll)
    assert status == 2 and "方案 B 的文件" in err and "封存的不一致" in err and "option B" in err


def test_an_edited_ballot_in_the_archive_is_refused_by_verify(meeting, tmp_path):
    archive = _archive(meeting, tmp_path)

    def edit(result, _members):
        result["ballots"][2]["ballot"] = {"approve": ["C"]}

    forged = tmp_path / "edited.zip"
    forged.write_bytes(_rewrite(archive, edit))
    found = verify_archive(forged)
    assert not found.ok and {"signature", "chain", "digest", "tally"} <= set(found.failed())
    status, out, err = meeting("verify", str(forged))
    assert status == 2 and "选票链 / ballot chain: 未通过 / FAILED" in out and "未通过核对" in err


def test_a_deleted_ballot_in_the_archive_is_refused_by_verify(meeting, tmp_path):
    archive = _archive(meeting, tmp_path)

    def remove(result, _members):
        gone = result["ballots"].pop(4)
        result["chain"]["entries"] = [e for e in result["chain"]["entries"] if e["position"] != gone["position"]]

    forged = tmp_path / "deleted.zip"
    forged.write_bytes(_rewrite(archive, remove))
    assert {"signature", "chain", "codes"} <= set(verify_archive(forged).failed())
    assert meeting("verify", str(forged))[0] == 2


def test_a_swapped_scenario_in_the_archive_is_refused_by_verify(meeting, tmp_path):
    archive = _archive(meeting, tmp_path)
    swapped = make_scenario("方案乙 医疗优先", ["s3"], 0.9).sealed()  # correctly sealed, but not the one voted on

    def swap(_result, members):
        members["scenarios/B.yaml"] = yaml.safe_dump(swapped.model_dump(mode="json"), allow_unicode=True).encode()

    forged = tmp_path / "swapped.zip"
    forged.write_bytes(_rewrite(archive, swap))
    found = verify_archive(forged)
    assert found.failed() == ["scenarios"]
    status, out, _ = meeting("verify", str(forged))
    assert status == 2 and "方案文件与封存摘要 / scenario files against the seal: 未通过 / FAILED (B)" in out


def test_a_consistently_forged_archive_fails_only_against_the_printed_key(meeting, tmp_path):
    """Recompute every hash and re-sign with another key: only the key printed on the slips gives it away."""
    from scenarios.voting import chain, signing
    from scenarios.voting.ballots import ballots_digest
    from scenarios.voting.outcome import published_outcome
    from scenarios.voting.tally import tally

    archive = _archive(meeting, tmp_path)
    printed_key = meeting.svc.organiser_public_key()

    def forge(result, _members):
        ballot = result["ballots"][0]
        ballot["ballot"] = {"approve": ["C"]}
        value = chain.genesis(result["seal"])
        for entry, published in zip(result["chain"]["entries"], result["ballots"]):
            entry["commitment"] = chain.commitment(published["ballot"], published["nonce"], published["receipt"])
            value = entry["value"] = chain.next_value(value, entry["position"], entry["commitment"])
        result["chain"]["head"] = value
        result["ballots_digest"] = ballots_digest(result["ballots"])
        counted = tally("approval", ["A", "B", "C"], [b["ballot"] for b in result["ballots"]], seed=result["ballots_digest"])
        result["tally"] = json.loads(json.dumps(counted.to_dict()))
        result["outcome"] = published_outcome(result["tally"], result["options"])
        locked = signing.new_key("forger's own secret")
        result["signature"] = {"algorithm": "Ed25519", "public_key": locked.public_key,
                               "fingerprint": signing.fingerprint(locked.public_key)}
        result["signature"]["value"] = signing.sign(signing.unlock(locked, "forger's own secret"),
                                                    signing.signed_bytes(result))

    forged = tmp_path / "forged.zip"
    forged.write_bytes(_rewrite(archive, forge))
    assert verify_archive(forged).ok  # consistent in itself …
    found = verify_archive(forged, printed_key)
    assert found.failed() == ["key"]  # … but not signed by the organiser whose key is on the slips
    assert meeting("verify", str(forged), "--public-key", signing.fingerprint(printed_key))[0] == 2
