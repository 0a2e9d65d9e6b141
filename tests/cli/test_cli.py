"""The CLI end to end on MissionTown, and its refusals: one zh/en line, non-zero exit, no traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from planning.network.read import load_network
from tests.support.cli_imports import heavy_imports
from tests.support.data import MISSION_TOWN, ROOT


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "planning", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def facility_csv(tmp_path_factory):
    """Clinics and a meal hall at real MissionTown nodes, as lon/lat CSV (what a clerk exports)."""
    net = load_network(MISSION_TOWN)
    pick = np.random.default_rng(11).choice(net.n_nodes, 5, replace=False)
    pts = gpd.GeoSeries(gpd.points_from_xy(net.x[pick], net.y[pick]), crs=net.crs).to_crs(4326)
    path = tmp_path_factory.mktemp("fac") / "facilities.csv"
    pd.DataFrame({"id": range(5), "type": ["clinic", "clinic", "社区食堂", "clinic", "parking"],
                  "lon": pts.x, "lat": pts.y}).to_csv(path, index=False)
    return path


def test_coverage_command_writes_demand_and_community_layers(tmp_path, facility_csv):
    out = tmp_path / "cov.gpkg"
    run = _cli("coverage", "--network", str(MISSION_TOWN), "--facilities", str(facility_csv),
               "--types", "clinic,meal_hall,parking", "--out", str(out))
    assert run.returncode == 0, run.stderr
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {"demand", "communities", "summary"} <= layers
    demand = gpd.read_file(out, layer="demand")
    assert {"minutes_to_clinic", "minutes_to_meal_hall", "minutes_to_parking"} <= set(demand.columns)
    assert demand["minutes_to_clinic"].min() >= 0
    communities = gpd.read_file(out, layer="communities")
    assert len(communities) >= 3 and "clinic_covered_15min" in communities
    assert (communities["clinic_covered_5min"] <= communities["clinic_covered_15min"] + 1e-12).all()
    assert "社区卫生服务站" in run.stdout and "%" in run.stdout


def test_demo_command_prints_the_demo_area_offline():
    run = _cli("demo", "--types", "clinic,parking,meal_hall")
    assert run.returncode == 0, run.stderr
    assert "新街口" in run.stdout and "机动车停车场" in run.stdout
    assert "请上传" in run.stdout  # no 社区食堂 in OSM: the user is told to upload them


def test_help_is_bilingual():
    run = _cli("coverage", "--help")
    assert "步行速度" in run.stdout and "walking speed" in run.stdout


@pytest.mark.parametrize("case", ["empty", "garbage", "speed", "minutes", "type", "swapped", "noedges"])
def test_bad_input_gives_one_bilingual_line_and_nonzero_exit(tmp_path, facility_csv, case):
    net, fac, extra = str(MISSION_TOWN), str(facility_csv), []
    if case == "empty":
        fac = str(tmp_path / "empty.csv")
        open(fac, "w").close()
    elif case == "garbage":
        net = str(tmp_path / "garbage.graphml")
        with open(net, "w") as fh:
            fh.write("<graphml><oops")
    elif case == "speed":
        extra = ["--speed-kmh", "-3"]
    elif case == "minutes":
        extra = ["--minutes", "0,10"]
    elif case == "type":
        extra = ["--types", "swimming_pool"]
    elif case == "swapped":
        table = pd.read_csv(facility_csv)
        table[["lon", "lat"]] = table[["lat", "lon"]].to_numpy()
        fac = str(tmp_path / "swapped.csv")
        table.to_csv(fac, index=False)
    elif case == "noedges":
        net = str(tmp_path / "noedges.graphml")
        with open(net, "w") as fh:
            fh.write('<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
                     '<key id="d0" for="graph" attr.name="crs" attr.type="string"/>'
                     '<graph edgedefault="directed"><data key="d0">EPSG:32650</data></graph></graphml>')
    run = _cli("coverage", "--network", net, "--facilities", fac, "--out", str(tmp_path / "o.gpkg"), *extra)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    error_lines = [line for line in run.stderr.splitlines() if line.startswith("错误 / Error")]
    assert len(error_lines) == 1, run.stderr
    line = error_lines[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in line) and any(ch.isascii() and ch.isalpha() for ch in line)


@pytest.mark.parametrize("command", ["coverage", "optimize", "report", "export"])
def test_a_mistyped_input_path_is_refused_before_any_heavy_library_loads(tmp_path, command):
    missing = tmp_path / "路网.graphml"
    args = [command, "--network", str(missing), "--out", str(tmp_path / "o")]
    assert heavy_imports(*args) == ""
    run = _cli(*args)
    assert run.returncode == 2 and "找不到文件：路网.graphml" in run.stderr and "File not found" in run.stderr
    assert "Traceback" not in run.stderr


AREA_ZH, AREA_EN = "请指定区域", "Say which area"


@pytest.mark.parametrize("command, extra, says", [
    ("coverage", [], (AREA_ZH, AREA_EN, "--network")),
    ("optimize", ["--type", "clinic"], ("请给出 --type 和 --area", "Give --type and --area", "--scenario")),
    ("report", [], (AREA_ZH, AREA_EN, "planning report --area xinjiekou")),
    ("export", [], (AREA_ZH, AREA_EN, "planning report --area xinjiekou")),
    ("batch", [], (AREA_ZH, AREA_EN, "--network, --facilities, --areas")),
    ("reach", ["--sources", "README.md", "--minutes", "5"], (AREA_ZH, AREA_EN, "--network")),
])
def test_a_command_given_no_area_says_so_before_any_heavy_library_loads(tmp_path, command, extra, says):
    """The first thing a newcomer types (no --area, no files) is answered at once, not after seconds of imports."""
    args = [command, *extra, "--out", str(tmp_path / "o")]
    assert heavy_imports(*args) == ""
    run = _cli(*args)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert all(words in run.stderr for words in says), run.stderr


@pytest.mark.parametrize("command, extra, out, suffix", [
    ("coverage", [], "结果.csv", ".gpkg"),
    ("coverage", [], "结果", ".gpkg"),
    ("optimize", ["--type", "clinic"], "方案.yaml", ".gpkg"),
    ("reach", ["--sources", "README.md", "--minutes", "5"], "reach.gpkg", ".csv"),
    ("export", ["--format", "xlsx"], "layers.gpkg", ".xlsx"),
    ("export", ["--format", "gpkg"], "layers", ".gpkg"),
])
def test_an_output_named_for_another_format_is_refused_before_anything_is_computed(tmp_path, command, extra, out,
                                                                                suffix):
    """These commands used to write their GeoPackage (CSV, workbook) under whatever name was given and exit 0: a
    clerk's ``结果.csv`` was a GeoPackage that neither Excel nor QGIS opened by its name."""
    args = [command, "--area", "xinjiekou", *extra, "--out", str(tmp_path / out)]
    assert heavy_imports(*args) == ""
    run = _cli(*args)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"此命令写出 {suffix} 文件" in run.stderr and f"this command writes a {suffix} file" in run.stderr
    assert out in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_output_suffix_in_capitals_is_the_same_format(tmp_path):
    out = tmp_path / "COVERAGE.GPKG"
    run = _cli("coverage", "--area", "xinjiekou", "--types", "clinic", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert pyogrio.list_layers(out).size


def test_several_types_for_a_one_type_model_are_refused_before_any_heavy_library_loads(tmp_path):
    args = ["optimize", "--area", "xinjiekou", "--type", "clinic,meal_hall", "--model", "mclp", "--p", "2",
            "--out", str(tmp_path / "plan.gpkg")]
    assert heavy_imports(*args) == ""
    run = _cli(*args)
    assert run.returncode == 2 and "一次只为一类设施选址" in run.stderr and "one type of facility" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_area_and_files_together_are_refused_before_any_heavy_library_loads(tmp_path):
    args = ["coverage", "--area", "xinjiekou", "--network", "README.md", "--out", str(tmp_path / "o.gpkg")]
    assert heavy_imports(*args) == ""


def test_planning_app_starts_streamlit_with_the_checkouts_settings():
    """``planning app`` (any install) passes on the repository's .streamlit/config.toml, e.g. no file watching
    and no full garbage collection after every run."""
    import tomllib

    from planning.cli.app import STREAMLIT_OPTIONS
    from tests.support.data import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
            for section, values in config.items() for key, value in values.items()}
    assert flat == STREAMLIT_OPTIONS
    assert flat["server.fileWatcherType"] == "none" and flat["runner.postScriptGC"] == "false"
