"""Shared fixtures: real networks kept in tests/data (see its README) and the built-in demo area."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
MISSION_TOWN = TEST_DATA / "MissionTown.graphml.gz"
ADLISWIL = TEST_DATA / "Adliswil.graphml.gz"
BEIJING_PBF = TEST_DATA / "beijing_haidian_cau_2026.osm.pbf"
NANJING_PBF = ROOT / "data" / "osm" / "nanjing_xinjiekou_2021.osm.pbf"


@pytest.fixture(scope="session")
def mission_town():
    from planning.network.read import load_network

    return load_network(MISSION_TOWN)


@pytest.fixture(scope="session")
def demo_area():
    from planning.areas.build import load_demo_area

    return load_demo_area("xinjiekou")
