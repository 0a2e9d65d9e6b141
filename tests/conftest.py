"""Shared fixtures: real networks from ../shared and the built-in demo area."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
MISSION_TOWN = SHARED / "networks" / "MissionTown.graphml.gz"
ADLISWIL = SHARED / "networks" / "Adliswil.graphml.gz"
NANJING_OSM = SHARED / "osm" / "nanjing_xinjiekou_2021.osm"
NANJING_PBF = ROOT / "data" / "osm" / "nanjing_xinjiekou_2021.osm.pbf"


@pytest.fixture(scope="session")
def mission_town():
    from planning.network import load_network

    return load_network(MISSION_TOWN)


@pytest.fixture(scope="session")
def demo_area():
    from planning.areas import load_demo_area

    return load_demo_area("xinjiekou")
