"""Fixtures every test package shares.

All test data is in the repository (tests/data, see its README, and the demo extract in data/).
The whole session runs with ``PLANNING_HOME`` in a temporary folder, so no test writes a user
file (scenarios, ballots, caches, settings) into the checkout or the tester's own folder; the
last test checks that the checkout is as clean as it started.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Set at import, before any test module imports the package, and inherited by subprocesses.
os.environ["PLANNING_HOME"] = tempfile.mkdtemp(prefix="planning-home-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("PLANNING_DB", None)

from tests.support.data import MISSION_TOWN, ROOT  # noqa: E402
from tests.support.postgres import postgres_bin_dir, throwaway_postgres  # noqa: E402
from tests.support.voting import SECRET, make_scenario  # noqa: E402


def git_status() -> str | None:
    """``git status --porcelain`` of the checkout (ignored files excepted), or None outside git."""
    done = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else None


STATUS_AT_START = git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After every test (on every worker, checked once by the controller): the checkout holds no
    file it did not hold at the start, so no test writes user files or outputs into the repository."""
    if hasattr(session.config, "workerinput") or STATUS_AT_START is None:
        return
    now = git_status()
    if now is not None and now != STATUS_AT_START:
        new_lines = sorted(set(now.splitlines()) - set(STATUS_AT_START.splitlines()))
        session.config.get_terminal_writer().line(
            "FAILED: the tests wrote into the checkout (user files belong in PLANNING_HOME, outputs "
            "in temporary folders):\n  " + "\n  ".join(new_lines or now.splitlines()), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _real_main_module():
    """Streamlit's AppTest runs a page function as ``__main__`` from a temporary script and leaves it
    there; a Dask or multiprocessing spawn later in the same worker would run that script in its
    children and fail. Every test ends with the real ``__main__`` back in place."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def mission_town():
    """团城山街道, Huangshi: an osmnx-simplified network with GHSL population on every edge."""
    from planning.network.read import load_network

    return load_network(MISSION_TOWN)


@pytest.fixture(scope="session")
def demo_area():
    """The built-in 新街口 demo area (derived once per session into the temporary user folder)."""
    from planning.areas.build import load_demo_area

    return load_demo_area("xinjiekou")


@pytest.fixture
def scenario_files(tmp_path: Path) -> list[Path]:
    """Three saved scenarios: A (elderly care), B (clinics), C (both, cheaper mix), in the
    scenarios folder of ``tmp_path / "home"`` (the user folder the app tests point PLANNING_HOME at)."""
    from scenarios.scenario import save_scenario

    directory = tmp_path / "home" / "scenarios"
    return [
        save_scenario(make_scenario("方案甲 养老优先", ["s1", "s2"], 0.5), directory),
        save_scenario(make_scenario("方案乙 医疗优先", ["s3", "s4"], 0.6), directory),
        save_scenario(make_scenario("方案丙 均衡", ["s1", "s4"], 0.4), directory),
    ]


@pytest.fixture
def service(tmp_path: Path):
    """A voting service on a fresh SQLite file with the organiser secret set up."""
    from scenarios.voting import VotingService

    svc = VotingService.connect(str(tmp_path / "planning.sqlite"))
    svc.setup_organiser(SECRET)
    yield svc
    svc.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql+psycopg://`` URL of a fresh database on a private server (skipped without
    PostgreSQL binaries unless ``CI`` is set, where a missing PostgreSQL is a failure)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    with throwaway_postgres(bin_dir) as url:
        yield url
