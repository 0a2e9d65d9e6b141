"""Paths of the real data the tests read, all inside the repository (see tests/data/README.md)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
MISSION_TOWN = TEST_DATA / "MissionTown.graphml.gz"
ADLISWIL = TEST_DATA / "Adliswil.graphml.gz"
BEIJING_PBF = TEST_DATA / "beijing_haidian_cau_2026.osm.pbf"
NANJING_PBF = ROOT / "data" / "osm" / "nanjing_xinjiekou_2021.osm.pbf"
OUTPUT = ROOT / "test-output"  # screenshots and rendered pages for people to look at (git-ignored)


def seed_demo_cache(home: Path) -> Path:
    """``home`` (a user folder a test gives a server or command) holding the demo area this session already
    derived: it is read there instead of derived again (about 8 s of CPU per server). Call it from a
    fixture that uses ``demo_area``, which derives it into the session's own folder first."""
    import shutil

    from planning.base import paths

    shutil.copytree(paths.cache_dir(), home / "cache", dirs_exist_ok=True)
    return home
