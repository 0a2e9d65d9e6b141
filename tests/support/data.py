"""Paths of the real data the tests read, all inside the repository (see tests/data/README.md)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_DATA = ROOT / "tests" / "data"
MISSION_TOWN = TEST_DATA / "MissionTown.graphml.gz"
ADLISWIL = TEST_DATA / "Adliswil.graphml.gz"
BEIJING_PBF = TEST_DATA / "beijing_haidian_cau_2026.osm.pbf"
NANJING_PBF = ROOT / "data" / "osm" / "nanjing_xinjiekou_2021.osm.pbf"
OUTPUT = ROOT / "test-output"  # screenshots and rendered pages for people to look at (git-ignored)
