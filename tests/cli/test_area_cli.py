"""``--area`` and ``--layer`` on the command line: one way to name an area, one to name a layer,
and a clear zh/en refusal for everything else."""
from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import pyogrio
import pytest

from planning.network.read import load_network
from tests.support.data import MISSION_TOWN, ROOT


def _cli(*args: str, home=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if home is not None:
        env["PLANNING_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "planning", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def two_layer_facilities(tmp_path_factory):
    """Clinics and car parks at MissionTown nodes, one layer each, in one GeoPackage."""
    net = load_network(MISSION_TOWN)
    nodes = net.nodes_gdf().to_crs(4326)
    path = tmp_path_factory.mktemp("gpkg") / "设施.gpkg"
    clinics, parks = nodes.geometry.iloc[::100].to_numpy(), nodes.geometry.iloc[7::150].to_numpy()
    gpd.GeoDataFrame({"type": ["clinic"] * len(clinics)}, geometry=clinics, crs=4326).to_file(path, layer="卫生服务站")
    gpd.GeoDataFrame({"type": ["parking"] * len(parks)}, geometry=parks, crs=4326).to_file(path, layer="停车场")
    return path


def test_a_multi_layer_geopackage_without_layer_is_refused_listing_its_layers(tmp_path, two_layer_facilities):
    out = tmp_path / "cov.gpkg"
    run = _cli("coverage", "--network", str(MISSION_TOWN), "--facilities", str(two_layer_facilities), "--out", str(out))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "多个图层" in run.stderr and "several layers" in run.stderr
    assert "卫生服务站、停车场" in run.stderr and "--layer" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize("choice", ["facilities=停车场", "停车场"])
def test_the_layer_named_is_the_one_read(tmp_path, two_layer_facilities, choice):
    out = tmp_path / "cov.gpkg"
    run = _cli("coverage", "--network", str(MISSION_TOWN), "--facilities", str(two_layer_facilities),
               "--layer", choice, "--types", "clinic,parking", "--out", str(out))
    assert run.returncode == 0, run.stderr
    summary = pyogrio.read_dataframe(out, layer="summary").set_index("type")
    assert summary.loc["clinic", "covered_15min"] == 0 and summary.loc["parking", "covered_15min"] > 0


def test_a_layer_no_file_has_is_refused(tmp_path, two_layer_facilities):
    run = _cli("coverage", "--network", str(MISSION_TOWN), "--facilities", str(two_layer_facilities),
               "--layer", "医院", "--out", str(tmp_path / "cov.gpkg"))
    assert run.returncode == 2 and "医院" in run.stderr and "设施.gpkg" in run.stderr


def test_area_and_files_together_are_refused(tmp_path):
    run = _cli("coverage", "--area", "xinjiekou", "--network", str(MISSION_TOWN), "--out", str(tmp_path / "c.gpkg"))
    assert run.returncode == 2 and "--area" in run.stderr and "--network" in run.stderr
    assert "不能同时使用" in run.stderr and "cannot be combined" in run.stderr


def test_no_area_and_no_files_is_refused(tmp_path):
    run = _cli("coverage", "--out", str(tmp_path / "c.gpkg"))
    assert run.returncode == 2 and "--area" in run.stderr and "Traceback" not in run.stderr
    run = _cli("optimize", "--type", "clinic", "--p", "1", "--out", str(tmp_path / "p.gpkg"))
    assert run.returncode == 2 and "--area" in run.stderr


def test_an_unknown_area_lists_what_there_is(tmp_path):
    run = _cli("coverage", "--area", "燕园街道", "--out", str(tmp_path / "c.gpkg"), home=tmp_path / "home")
    assert run.returncode == 2 and "燕园街道" in run.stderr and "xinjiekou" in run.stderr
    assert "planning area add" in run.stderr


def test_area_add_refuses_a_multi_layer_boundary_file_and_saves_nothing(tmp_path, two_layer_facilities):
    run = _cli("area", "add", "团城山", "--osm", str(MISSION_TOWN), "--boundaries", str(two_layer_facilities),
               home=tmp_path / "home")
    assert run.returncode == 2 and "卫生服务站、停车场" in run.stderr and "several layers" in run.stderr
    assert not (tmp_path / "home" / "areas" / "团城山").exists()
    listed = _cli("area", "list", home=tmp_path / "home")
    assert "团城山" not in listed.stdout


def test_area_list_names_a_damaged_area_on_its_line_and_lists_the_rest(tmp_path, monkeypatch):
    from planning.areas.build import AreaInputs
    from planning.areas.store import save_area

    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    for name in ("团城山", "团城山二"):
        save_area(name, AreaInputs(source=MISSION_TOWN))
    (tmp_path / "home" / "areas" / "团城山" / "area.yaml").write_bytes(b"\xff\xfe damaged")
    listed = _cli("area", "list", home=tmp_path / "home")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    damaged, kept = (next(line for line in listed.stdout.splitlines() if line.strip().startswith(f"{n} "))
                     for n in ("团城山", "团城山二"))
    assert "无法读取" in damaged and "cannot be read" in damaged and "residents" in kept
    assert "xinjiekou" in listed.stdout
