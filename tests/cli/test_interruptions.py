"""Ctrl-C (SIGINT) and a kill (SIGTERM) during a long coverage run and while its GeoPackage is
being written: one zh/en line, exit 130 / 143, no traceback, no partial file, and the earlier
result untouched. Real processes (subprocesses), since signals are what is tested.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from tests.support.data import ROOT
from tests.support.hostile import (
    DLAT,
    DLON,
    LAT0,
    LON0,
    Kit,
    folder_state,
    grid_graph,
    message_fragments,
    save_graph,
)

GRID = 15
RESIDENTS = 50_000  # reading them takes about 2 s, the coverage 0.2 s, writing it 0.3 s (2 cores, 2026)
EARLIER = b"the result of last week, which must survive"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Kit:
    kit = Kit(tmp_path_factory.mktemp("long"))
    save_graph(grid_graph(GRID), kit.path("net.graphml"))
    rng = np.random.default_rng(3)
    gpd.GeoDataFrame({"population": rng.integers(1, 6, RESIDENTS)},
                     geometry=gpd.points_from_xy(LON0 + rng.uniform(0, GRID - 1, RESIDENTS) * DLON,
                                                 LAT0 + rng.uniform(0, GRID - 1, RESIDENTS) * DLAT),
                     crs=4326).to_file(kit.path("residents.gpkg"))
    kit.facilities
    return kit


def _as_in_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a runner started in the background (``cmd &``, nohup) passes
    SIGINT on as ignored, and Python then keeps ignoring it, so the run would go on to the end."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _output_in_work_folder(out: Path) -> bool:
    """The output is being written: a hidden work folder beside it holds the file not yet moved into place."""
    return any(d.name.endswith(".part") and (d / out.name).exists() for d in out.parent.iterdir())


def _nothing_written_yet(out: Path) -> bool:
    return not any(".part" in p.name for p in out.parent.iterdir())


def _stopped(pid: int) -> bool:
    state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    return state in ("T", "t", "Z")


def _signal_in_phase(process: subprocess.Popen, signum: int, in_phase) -> bool:
    """Freeze the run (SIGSTOP, waited for), and only while ``in_phase()`` still holds send ``signum``; then let it
    go on. Seeing the phase and the signal's arrival cannot race: on a busy machine the test's own process may
    be paused for longer than the writing lasts (0.3 s here). False when the phase had passed."""
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGSTOP)
    try:
        while not _stopped(process.pid):
            time.sleep(0.001)
        sent = process.poll() is None and in_phase()
        if sent:
            process.send_signal(signum)
    finally:
        process.send_signal(signal.SIGCONT)
    return sent


def _interrupt(kit: Kit, out: Path, when: str, signum: int, attempts: int = 3) -> tuple[int, str]:
    """Start ``planning coverage``, send ``signum`` at ``when`` ("computing" or "writing"); (exit code, stderr).

    A run whose phase passed before it could be frozen (the test's process was paused meanwhile) is let
    finish, the earlier result put back, and the run started again."""
    log = out.parent.parent / f"stderr-{when}-{signum}.txt"
    argv = [sys.executable, "-m", "planning", "coverage", "--network", str(kit.path("net.graphml")),
            "--facilities", str(kit.facilities), "--demand", str(kit.path("residents.gpkg")),
            "--types", "clinic,meal_hall", "--out", str(out)]
    in_phase = {"computing": lambda: _nothing_written_yet(out), "writing": lambda: _output_in_work_folder(out)}[when]
    for _ in range(attempts):
        with open(log, "wb") as stderr:
            process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
                                       env={**os.environ, "PYTHONWARNINGS": "ignore"}, preexec_fn=_as_in_a_terminal)
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and process.poll() is None:
                if when == "computing" and "1/3" in log.read_text(encoding="utf-8", errors="replace"):
                    break  # the area is read; the coverage is computed next (0.2 s here), then written
                if when == "writing" and _output_in_work_folder(out):
                    break
                time.sleep(0.005)
            sent = _signal_in_phase(process, signum, in_phase)
            code = process.wait(timeout=120)
        text = log.read_text(encoding="utf-8")
        log.unlink()
        if sent:
            return code, text
        out.write_bytes(EARLIER)
    pytest.fail(f"the run was never caught {when} in {attempts} attempts")


@pytest.mark.parametrize("when", ["computing", "writing"])
@pytest.mark.parametrize("signum,exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_says_one_line_and_leaves_no_partial_file(inputs, tmp_path, when, signum, exit_code):
    out = tmp_path / "results" / "coverage.gpkg"
    out.parent.mkdir()
    out.write_bytes(EARLIER)
    before_inputs = folder_state(inputs.folder)
    code, stderr = _interrupt(inputs, out, when, signum)
    assert code == exit_code, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    lines = [part.strip() for part in stderr.replace("\r", "\n").split("\n")]
    said = [line for line in lines if line and "覆盖分析 / coverage" not in line]  # the progress bar aside
    zh, en = message_fragments("cli_interrupted")
    assert len(said) == 1 and zh in said[0] and en in said[0], said
    assert sorted(p.name for p in out.parent.iterdir()) == ["coverage.gpkg"]  # no work folder, journal, rtree file
    assert out.read_bytes() == EARLIER  # the earlier result is untouched
    assert folder_state(inputs.folder) == before_inputs


_CUT_SHORT = """
import os, signal, sys
from planning.cli.main import _Stopped, stops_as_exceptions

class HalfBuilt:  # as numba's llvmlite ObjectRef: its __del__ needs what __init__ had not set yet
    def __init__(self):
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        for _ in range(10_000):  # the handler runs here, between two instructions
            pass
        self.ptr = 1

    def __del__(self):
        self.ptr

with stops_as_exceptions():
    try:
        HalfBuilt()
    except (_Stopped, KeyboardInterrupt) as stop:
        print("stopped by", type(stop).__name__, flush=True)
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_an_object_the_signal_cut_short_prints_no_traceback(name):
    """The SIGTERM-while-computing run once printed llvmlite's "Exception ignored in … AttributeError: _ptr"
    traceback under its one line (the signal came while numba built an object): such destructor errors are
    not printed once the run is interrupted."""
    run = subprocess.run([sys.executable, "-c", _CUT_SHORT, name], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, preexec_fn=_as_in_a_terminal)
    assert run.stdout.startswith("stopped by"), (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
