"""Faults at the meeting: a full disk, a read-only database, a lost PostgreSQL connection.

Each gives a message in Chinese and English (no traceback), stores nothing half-written, keeps
every ballot stored before, leaves the refused code usable, and voting resumes with the same
code once the fault is gone; the ballot chain still verifies afterwards.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event

from planning.base.errors import PlanningError
from scenarios.voting import VotingService
from scenarios.voting.db import row_counts
from tests.support.postgres import fresh_database
from tests.support.voting import SECRET, open_poll


def _refused_with(svc: VotingService, code: str, action) -> PlanningError:
    before = row_counts(svc.engine)
    with pytest.raises(PlanningError) as err:
        action()
    assert err.value.code == code
    assert err.value.zh != err.value.en and "Traceback" not in err.value.one_line()
    assert row_counts(svc.engine) == before  # nothing half-written
    return err.value


def _resumes_and_verifies(svc: VotingService, poll_id: int, code: str, stored_before: list) -> None:
    """The refused code votes once the fault is gone; every earlier ballot is still there and the chain verifies."""
    receipt = svc.cast_ballot(poll_id, code, {"approve": ["B"]})
    assert receipt.position == len(stored_before) + 1
    svc.close(SECRET, poll_id)
    result = svc.result(poll_id)
    assert [e["receipt"] for e in result.entries] == [r.receipt for r in [*stored_before, receipt]]


def _no_growth(dbapi, _record) -> None:
    """A new connection may not grow the file: SQLite answers as on a full disk (SQLITE_FULL)."""
    pages = dbapi.execute("PRAGMA page_count").fetchone()[0]
    dbapi.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_gives_zh_en_text_loses_nothing_and_voting_resumes(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "approval", 200)
    stored = [service.cast_ballot(poll_id, codes[0], {"approve": ["A"]})]
    event.listen(service.engine, "connect", _no_growth)
    service.engine.dispose()
    err = None
    for code in codes[1:]:  # the free space left in the file's pages fills up
        try:
            stored.append(service.cast_ballot(poll_id, code, {"approve": ["A"]}))
        except PlanningError as refused:
            err = refused
            break
    assert err is not None and err.code == "database_disk_full", "the page limit never filled"
    assert "磁盘已满" in err.zh and "disk is full" in err.en and "选票码仍可使用" in err.message("zh")
    _refused_with(service, "database_disk_full", lambda: service.cast_ballot(poll_id, code, {"approve": ["A"]}))
    assert service.poll(poll_id).codes_used == len(stored)  # the refused code is still unused
    event.remove(service.engine, "connect", _no_growth)  # space is freed
    _resumes_and_verifies(service, poll_id, code, stored)


def test_a_read_only_database_gives_zh_en_text_loses_nothing_and_voting_resumes(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "approval", 3)
    stored = [service.cast_ballot(poll_id, codes[0], {"approve": ["A"]})]
    read_only = lambda dbapi, _record: dbapi.execute("PRAGMA query_only = ON")  # noqa: E731
    event.listen(service.engine, "connect", read_only)
    service.engine.dispose()
    err = _refused_with(service, "database_read_only", lambda: service.cast_ballot(poll_id, codes[1], {"approve": ["A"]}))
    assert "只能读不能写" in err.zh and "read-only" in err.en
    assert service.poll(poll_id).codes_used == 1
    event.remove(service.engine, "connect", read_only)  # writable again
    _resumes_and_verifies(service, poll_id, codes[1], stored)


@pytest.fixture
def small_disk(tmp_path):
    """A 320 KiB file system of its own (tmpfs), for a real full disk and a real read-only remount."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 1024)
        except OSError:
            pass
    return filler


def test_a_really_full_disk_and_a_remount_read_only_leave_the_vote_intact(small_disk, scenario_files):
    svc = VotingService.connect(str(small_disk / "votes.sqlite"))
    svc.setup_organiser(SECRET)
    poll_id, codes = open_poll(svc, scenario_files, "approval", 300)
    stored = [svc.cast_ballot(poll_id, codes[0], {"approve": ["A"]})]
    filler = _fill(small_disk)
    err = _refused_with(svc, "database_disk_full", lambda: svc.cast_ballot(poll_id, codes[1], {"approve": ["A"]}))
    assert "磁盘已满" in err.zh and "disk is full" in err.en
    filler.unlink()
    stored.append(svc.cast_ballot(poll_id, codes[1], {"approve": ["A"]}))
    svc.engine.dispose()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        err = _refused_with(svc, "database_read_only", lambda: svc.cast_ballot(poll_id, codes[2], {"approve": ["A"]}))
        assert "只能读不能写" in err.zh and "read-only" in err.en
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    _resumes_and_verifies(svc, poll_id, codes[2], stored)
    svc.engine.dispose()


@pytest.fixture
def postgres(postgres_url):
    name = f"f_{uuid.uuid4().hex[:12]}"
    url = fresh_database(postgres_url, name)
    svc = VotingService.connect(url)
    svc.setup_organiser(SECRET)
    admin = psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    yield svc, name, admin
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    admin.close()
    svc.engine.dispose()


def test_a_lost_postgresql_connection_gives_zh_en_text_and_voting_resumes(postgres, scenario_files):
    svc, name, admin = postgres
    poll_id, codes = open_poll(svc, scenario_files, "approval", 3)
    stored = [svc.cast_ballot(poll_id, codes[0], {"approve": ["A"]})]
    # the server goes away for this database: connections are cut and new ones refused
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    with pytest.raises(PlanningError) as err:
        svc.cast_ballot(poll_id, codes[1], {"approve": ["A"]})
    assert err.value.code == "database_connection_lost"
    assert "连接中断" in err.value.zh and "connection to the database was lost" in err.value.en
    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert svc.poll(poll_id).codes_used == 1  # the refused code is still unused
    _resumes_and_verifies(svc, poll_id, codes[1], stored)


def test_a_read_only_postgresql_gives_zh_en_text_and_voting_resumes(postgres, scenario_files):
    svc, name, admin = postgres
    poll_id, codes = open_poll(svc, scenario_files, "approval", 3)
    stored = [svc.cast_ballot(poll_id, codes[0], {"approve": ["A"]})]
    admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    svc.engine.dispose()
    err = _refused_with(svc, "database_read_only", lambda: svc.cast_ballot(poll_id, codes[1], {"approve": ["A"]}))
    assert "只能读不能写" in err.zh and "read-only" in err.en
    admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    _resumes_and_verifies(svc, poll_id, codes[1], stored)
