"""Casting under load on SQLite and a real PostgreSQL server, and surviving a killed voting process."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from planning.base.errors import PlanningError
from scenarios.voting import VotingService, db
from tests.support.data import ROOT
from tests.support.postgres import fresh_database
from tests.support.voting import SECRET, open_poll

VOTERS = 200
REUSED = 50  # voters who try a code someone else also holds


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """A fresh database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'planning.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")


def _service(url: str) -> VotingService:
    svc = VotingService.connect(url)
    svc.setup_organiser(SECRET)
    return svc


def test_200_concurrent_voters_each_valid_ballot_counted_once_and_reuse_refused(database, scenario_files):
    svc = _service(database)
    poll_id, codes = open_poll(svc, scenario_files, "ranked", VOTERS - REUSED)
    held = codes + codes[:REUSED]  # 50 codes are held by two voters each
    receipts: list = []
    refused: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(VOTERS)

    def voter(i: int) -> None:
        start.wait()
        try:
            receipts.append(svc.cast_ballot(poll_id, held[i], {"ranking": ["ABC"[i % 3], "ABC"[(i + 1) % 3]]}))
        except PlanningError as err:
            refused.append(err.code)
        except BaseException as exc:  # noqa: BLE001  (any other failure must fail the test below)
            errors.append(exc)

    threads = [threading.Thread(target=voter, args=(i,)) for i in range(VOTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(receipts) == len({r.receipt for r in receipts}) == VOTERS - REUSED
    # appended one at a time: every chain position taken exactly once
    assert sorted(r.position for r in receipts) == list(range(1, VOTERS - REUSED + 1))
    assert Counter(refused) == {"code_used": REUSED}
    info = svc.poll(poll_id)
    assert (info.ballots, info.codes_used) == (VOTERS - REUSED, VOTERS - REUSED)
    svc.close(SECRET, poll_id)
    result = svc.result(poll_id)
    assert sorted(e["receipt"] for e in result.entries) == sorted(r.receipt for r in receipts)  # the chain verified
    assert {r.chain_value for r in receipts} == {e["value"] for e in result.entries}
    assert result.tally.ballots == VOTERS - REUSED
    svc.engine.dispose()


_STREAMER = """
import sys
from scenarios.voting import VotingService
svc = VotingService.connect(sys.argv[1])
for code in open(sys.argv[3]).read().split():
    receipt = svc.cast_ballot(int(sys.argv[2]), code, {"approve": ["A"]})
    print(receipt.receipt, flush=True)  # printed only after commit: this is the acknowledgement
"""


def test_every_acknowledged_ballot_survives_killing_the_voting_process(database, scenario_files, tmp_path):
    svc = _service(database)
    poll_id, codes = open_poll(svc, scenario_files, "approval", 3000)
    codes_file = tmp_path / "codes.txt"
    codes_file.write_text("\n".join(codes))
    proc = subprocess.Popen(
        [sys.executable, "-c", _STREAMER, database, str(poll_id), str(codes_file)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    acknowledged = [proc.stdout.readline().strip() for _ in range(60)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    acknowledged += [line.strip() for line in proc.stdout if line.strip()]  # printed before the kill landed
    svc.engine.dispose()

    reopened = VotingService.connect(database)
    with reopened.engine.connect() as conn:
        stored = set(conn.execute(select(db.ballots.c.receipt)).scalars())
    info = reopened.poll(poll_id)
    assert all(r.startswith("R-") for r in acknowledged)
    assert set(acknowledged) <= stored
    assert info.codes_used == info.ballots == len(stored) < len(codes)  # killed mid-stream, nothing half-written
    reopened.engine.dispose()
