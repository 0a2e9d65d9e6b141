"""Secret ballot against the database: nothing stored links a ballot code to its ballot.

Thirty residents vote, in an order unrelated to the printing order, on SQLite and on a real
PostgreSQL server. An attacker who holds the database (and the printed codes, so every code's
hash) then tries to pair each used code with its ballot through the row ids, the order rows come
back in, PostgreSQL's system columns ``xmin`` and ``ctid`` and SQLite's write-ahead log. Every
attempt must do no better than chance: pairing at random gets one right on average, so more than
``CHANCE_LIMIT`` right (probability below 1e-5 by chance) means a link.

Each attack is first shown to work where the link exists (the positive controls: SQLite in WAL
mode, PostgreSQL with codes updated in place), so these tests can fail.
"""
from __future__ import annotations

import random
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import event, text, update

from scenarios.voting import VotingService, db
from scenarios.voting.codes import hash_code
from tests.support.postgres import fresh_database
from tests.support.voting import SECRET, open_poll

VOTERS = 30
CHANCE_LIMIT = 7


def _cast(svc: VotingService, scenario_files: list[Path]) -> tuple[int, dict[str, str]]:
    """Thirty ballots cast in a shuffled order; return the poll and the truth: code hash → receipt."""
    poll_id, codes = open_poll(svc, scenario_files, "approval", VOTERS)
    with svc.engine.connect() as conn:
        salt = conn.execute(db.polls.select().where(db.polls.c.id == poll_id)).first().code_salt
    rng = random.Random(16)
    truth = {}
    for i in rng.sample(range(VOTERS), VOTERS):
        receipt = svc.cast_ballot(poll_id, codes[i], {"approve": rng.sample("ABC", rng.randint(1, 3))})
        truth[hash_code(codes[i], salt)] = receipt.receipt
    return poll_id, truth


def _right(guess: dict[str, str], truth: dict[str, str]) -> int:
    return sum(guess.get(code) == receipt for code, receipt in truth.items())


def _pair_in_order(codes: list[str], receipts: list[str]) -> dict[str, str]:
    return dict(zip(codes, receipts))


def _rows(svc: VotingService, poll_id: int, sql_codes: str, sql_ballots: str) -> tuple[list, list]:
    with svc.engine.connect() as conn:
        return (conn.execute(text(sql_codes), {"p": poll_id}).all(), conn.execute(text(sql_ballots), {"p": poll_id}).all())


def _generic_attacks(svc: VotingService, poll_id: int) -> dict[str, dict[str, str]]:
    """Row ids and the order rows come back in (both databases)."""
    codes, ballots = _rows(svc, poll_id, "SELECT id, code_hash FROM ballot_codes WHERE poll_id = :p AND used",
                           "SELECT id, receipt, position FROM ballots WHERE poll_id = :p")
    by_id = [c.code_hash for c in sorted(codes, key=lambda c: c.id)]
    return {
        "ids": _pair_in_order(by_id, [b.receipt for b in sorted(ballots, key=lambda b: b.id)]),
        "ids against chain position": _pair_in_order(by_id, [b.receipt for b in sorted(ballots, key=lambda b: b.position)]),
        "unordered select": _pair_in_order([c.code_hash for c in codes], [b.receipt for b in ballots]),
    }


def _postgres_attacks(svc: VotingService, poll_id: int) -> dict[str, dict[str, str]]:
    """xmin (the writing transaction) and ctid (the physical place) of codes and ballots."""
    codes, ballots = _rows(
        svc, poll_id,
        "SELECT xmin::text::bigint AS xmin, ctid::text AS ctid, code_hash FROM ballot_codes WHERE poll_id = :p AND used",
        "SELECT xmin::text::bigint AS xmin, ctid::text AS ctid, receipt FROM ballots WHERE poll_id = :p")

    def place(row) -> tuple[int, int]:
        page, item = row.ctid.strip("()").split(",")
        return int(page), int(item)

    same_xmin = defaultdict(list)
    for c in codes:
        same_xmin[c.xmin].append(c.code_hash)
    joined = {same_xmin[b.xmin][0]: b.receipt for b in ballots if len(same_xmin[b.xmin]) == 1}
    return {
        "equal xmin": joined,
        "xmin order": _pair_in_order([c.code_hash for c in sorted(codes, key=lambda c: (c.xmin, place(c)))],
                                     [b.receipt for b in sorted(ballots, key=lambda b: (b.xmin, place(b)))]),
        "ctid order": _pair_in_order([c.code_hash for c in sorted(codes, key=place)],
                                     [b.receipt for b in sorted(ballots, key=place)]),
    }


def _wal_attack(db_path: Path, truth: dict[str, str]) -> dict[str, str]:
    """Replay SQLite's write-ahead log: in each committed transaction, which code row changed and
    which receipt appeared (a code row's used flag sits in its record header, just before its hash)."""
    wal = db_path.with_name(db_path.name + "-wal")
    if not wal.exists() or wal.stat().st_size < 32:
        return {}
    data, main = wal.read_bytes(), db_path.read_bytes()
    page_size, salts = int.from_bytes(data[8:12], "big"), data[16:24]
    latest: dict[int, bytes] = {}
    links, group, offset = {}, [], 32
    while offset + 24 + page_size <= len(data):
        header, page = data[offset:offset + 24], data[offset + 24:offset + 24 + page_size]
        offset += 24 + page_size
        if header[8:16] != salts:
            break
        number = int.from_bytes(header[:4], "big")
        group.append((number, page))
        if not int.from_bytes(header[4:8], "big"):
            continue  # not yet the commit frame
        appeared, changed = set(), set()
        for number, image in group:
            before = latest.get(number, main[(number - 1) * page_size:number * page_size])
            appeared |= {r for r in truth.values() if r.encode() in image and r.encode() not in before}
            for code in truth:
                at = image.find(code.encode())
                if at > 0 and (before.find(code.encode()) != at or before[at - 16:at] != image[at - 16:at]):
                    changed.add(code)
        for number, image in group:
            latest[number] = image
        if len(appeared) == 1 and len(changed) == 1:
            links[changed.pop()] = appeared.pop()
        group = []
    return links


@pytest.fixture
def sqlite_service(tmp_path):
    svc = VotingService.connect(str(tmp_path / "secret.sqlite"))
    svc.setup_organiser(SECRET)
    yield svc, tmp_path / "secret.sqlite"
    svc.engine.dispose()


@pytest.fixture
def postgres_service(postgres_url):
    svc = VotingService.connect(fresh_database(postgres_url, f"s_{uuid.uuid4().hex[:12]}"))
    svc.setup_organiser(SECRET)
    yield svc
    svc.engine.dispose()


def test_sqlite_keeps_no_link_from_a_code_to_its_ballot(sqlite_service, scenario_files):
    svc, path = sqlite_service
    poll_id, truth = _cast(svc, scenario_files)
    attacks = {**_generic_attacks(svc, poll_id), "write-ahead log": _wal_attack(path, truth)}
    assert {name: _right(guess, truth) for name, guess in attacks.items() if _right(guess, truth) > CHANCE_LIMIT} == {}
    # nothing on disk but the database itself: no log of past transactions to replay
    assert not path.with_name(path.name + "-wal").exists() and not path.with_name(path.name + "-journal").exists()


def test_the_sqlite_log_attack_links_every_ballot_when_a_write_ahead_log_is_kept(tmp_path, scenario_files):
    """Positive control: the old set-up (WAL mode) gives every pair away to the attack above."""
    svc = VotingService.connect(str(tmp_path / "wal.sqlite"))
    event.listen(svc.engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA journal_mode=WAL"))
    svc.engine.dispose()
    svc.setup_organiser(SECRET)
    poll_id, truth = _cast(svc, scenario_files)
    assert _right(_wal_attack(tmp_path / "wal.sqlite", truth), truth) >= VOTERS - 2
    svc.engine.dispose()


def test_postgresql_keeps_no_link_from_a_code_to_its_ballot(postgres_service, scenario_files):
    poll_id, truth = _cast(postgres_service, scenario_files)
    attacks = {**_generic_attacks(postgres_service, poll_id), **_postgres_attacks(postgres_service, poll_id)}
    assert {name: _right(guess, truth) for name, guess in attacks.items() if _right(guess, truth) > CHANCE_LIMIT} == {}
    postgres_service.close(SECRET, poll_id)  # closing vacuums; the count still verifies
    assert postgres_service.result(poll_id).tally.ballots == VOTERS


def test_the_xmin_attack_links_every_ballot_when_codes_are_updated_in_place(postgres_service, scenario_files, monkeypatch):
    """Positive control: marking a code used in the ballot's own transaction (the old way) links them by xmin and ctid."""
    def in_place(self, conn, poll_id, code_hash):
        codes = db.ballot_codes
        return conn.execute(update(codes).where(codes.c.poll_id == poll_id).where(codes.c.code_hash == code_hash)
                            .where(codes.c.used.is_(False)).values(used=True)).rowcount == 1

    monkeypatch.setattr(VotingService, "_use_code", in_place)
    poll_id, truth = _cast(postgres_service, scenario_files)
    attacks = _postgres_attacks(postgres_service, poll_id)
    assert _right(attacks["equal xmin"], truth) == VOTERS
    assert _right(attacks["ctid order"], truth) == VOTERS
