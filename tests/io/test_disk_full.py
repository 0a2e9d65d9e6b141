"""A full disk, for real: a small tmpfs mounted in a temporary folder (needs root; skipped otherwise).

A GeoPackage export that does not fit says so in Chinese and English and leaves the earlier
file as it was, with no partial file; the ballot database on a full disk refuses the ballot
with a zh/en message, keeps every ballot stored before, and the voter's code still works once
there is space again.
"""
from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from planning.base.errors import PlanningError
from tests.support.hostile import Kit, assert_says, folder_state, run_cli
from tests.support.voting import open_poll

EARLIER = b"last week's export, which must survive"


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 2 MiB tmpfs at ``tmp_path / "disk"``."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Fill ``disk`` until at most ``leave_bytes`` are free; returns the filler file."""
    filler = disk / "filler.bin"
    with open(filler, "ab") as fh:
        for size in (1 << 16, 1 << 12, 1 << 9):
            try:
                while os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize > leave_bytes + size:
                    fh.write(b"\0" * size)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def test_geopackage_export_on_a_full_disk_says_so_and_keeps_the_earlier_file(small_disk, tmp_path, capsys):
    kit = Kit(tmp_path / "inputs")
    kit.folder.mkdir()
    out = small_disk / "layers.gpkg"
    out.write_bytes(EARLIER)
    fill(small_disk, leave_bytes=48 * 1024)  # an empty GeoPackage alone needs about 100 kB
    argv = ["export", "--network", str(kit.network), "--facilities", str(kit.facilities), "--format", "gpkg",
            "--out", str(out)]
    inputs_before = folder_state(kit.folder)
    code, stdout, stderr = run_cli(argv, capsys)
    assert code == 2, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert_says(stderr, "output_disk_full")
    assert out.read_bytes() == EARLIER
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin", "layers.gpkg"]  # no partial file
    assert folder_state(kit.folder) == inputs_before


def test_ballot_database_on_a_full_disk_loses_no_ballot(small_disk, scenario_files, capsys, monkeypatch):
    from scenarios.voting import VotingService
    from tests.support.voting import SECRET

    database = small_disk / "planning.sqlite"
    svc = VotingService.connect(str(database))
    svc.setup_organiser(SECRET)
    poll_id, codes = open_poll(svc, scenario_files, "ranked", 400)
    receipts = [svc.cast_ballot(poll_id, code, {"ranking": ["A", "B", "C"]}) for code in codes[:3]]
    filler = fill(small_disk)
    refused = None
    for code in codes[3:]:  # SQLite may still fit a few ballots into pages it already holds
        try:
            receipts.append(svc.cast_ballot(poll_id, code, {"ranking": ["B", "A"]}))
        except PlanningError as err:
            refused = (code, err)
            break
    assert refused is not None, "the disk never filled up"
    code, err = refused
    assert err.code == "database_disk_full"
    monkeypatch.setenv("PLANNING_ORGANISER_SECRET", SECRET)
    status, stdout, stderr = run_cli(["poll", "--db", str(database), "vote", "--poll", str(poll_id), "--code",
                                      code, "--rank", "B,A"], capsys)
    assert status == 2 and "Traceback" not in stdout + stderr
    assert_says(stderr, "database_disk_full")
    filler.unlink()  # space again: every receipt given out is there, and the refused code still votes
    receipts.append(svc.cast_ballot(poll_id, code, {"ranking": ["B", "A"]}))
    svc.close(SECRET, poll_id)
    assert svc.result(poll_id).tally.ballots == len(receipts)
    svc.engine.dispose()


def test_output_on_a_read_only_disk_says_so(tmp_path, capsys):
    """Root ignores permission bits, so a read-only mount stands in for a locked folder."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "locked"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        kit = Kit(tmp_path / "inputs")
        kit.folder.mkdir()
        code, stdout, stderr = run_cli(kit.coverage(out=str(disk / "coverage.gpkg")), capsys)
        assert code == 2 and "Traceback" not in stdout + stderr
        assert_says(stderr, "output_read_only")
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
