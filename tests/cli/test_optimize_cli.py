"""``planning optimize`` on the 团城山街道 network: sites are written, bad requests get zh/en lines."""
from __future__ import annotations

import gzip
import re
import tempfile

import geopandas as gpd
import osmnx as ox
import pyogrio
import pytest

from planning.base.catalogue import load_catalogue
from planning.cli.main import main
from tests.support.data import MISSION_TOWN as NETWORK


@pytest.fixture(scope="module")
def points(tmp_path_factory):
    """Candidate sites (every 10th street node) and existing clinics (every 60th), as WGS84 GeoJSON."""
    with gzip.open(NETWORK) as fh, tempfile.NamedTemporaryFile(suffix=".graphml") as tmp:
        tmp.write(fh.read())
        tmp.flush()
        nodes = ox.graph_to_gdfs(ox.load_graphml(tmp.name), edges=False).to_crs(4326)[["geometry"]]
    folder = tmp_path_factory.mktemp("optimize_cli")
    candidates = nodes.iloc[::10].reset_index(drop=True).assign(id=lambda df: [f"候选{i}" for i in range(len(df))])
    existing = nodes.iloc[5::60].reset_index(drop=True).assign(id=lambda df: range(len(df)))
    candidates.to_file(folder / "candidates.geojson")
    existing.to_file(folder / "existing.geojson")
    return folder


def test_mclp_writes_chosen_sites_with_their_ids(points, capsys):
    out = points / "plan.gpkg"
    code = main([
        "optimize", "--network", str(NETWORK), "--candidates", str(points / "candidates.geojson"),
        "--existing", str(points / "existing.geojson"), "--type", "clinic", "--model", "mclp", "--p", "3",
        "--out", str(out),
    ])
    assert code == 0
    sites = gpd.read_file(out, layer="chosen_sites")
    assert len(sites) == 3 and sites["id"].str.startswith("候选").all()
    assert {"chosen_sites", "demand", "communities"} <= set(pyogrio.list_layers(out)[:, 0])
    printed = capsys.readouterr().out
    assert "最优" in printed and "Optimal" in printed


def test_p_median_prints_the_average_walk_and_writes_costs_and_walk_minutes(points, capsys):
    out = points / "p_median.gpkg"
    code = main([
        "optimize", "--network", str(NETWORK), "--candidates", str(points / "candidates.geojson"),
        "--type", "clinic", "--model", "p_median", "--p", "12", "--time-limit", "10", "--out", str(out),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    assert "平均步行" in printed and "on average" in printed
    assert not re.search(r"\b(?:inf|nan|None)\b|100\.0%", printed), printed  # not "0.0% → 100.0%, gap nan%"
    clinic = load_catalogue()["clinic"]
    assert (gpd.read_file(out, layer="chosen_sites")["cost_yuan"] == clinic.default_cost_yuan).all()  # not 0
    demand = gpd.read_file(out, layer="demand")
    assert "walk_minutes" in demand and "covered_after" not in demand


def test_full_cover_impossible_is_one_zh_en_error_line(points, capsys):
    code = main([
        "optimize", "--network", str(NETWORK), "--candidates", str(points / "candidates.geojson"),
        "--type", "clinic", "--model", "lscp", "--out", str(points / "lscp.gpkg"),
    ])
    assert code == 2
    err = capsys.readouterr().err
    assert "没有任何候选点" in err and "no candidate site" in err and "Traceback" not in err


def test_a_saved_scenario_can_be_rerun_from_the_command_line(tmp_path, capsys):
    """The demo-area scenario records its model and data: `--scenario` solves it again."""
    from scenarios.scenario import build_scenario, save_scenario

    scenario = build_scenario(
        name="助餐点两处", area={"name": "新街口"},
        facility_types={"meal_hall": {"name_zh": "社区食堂", "tiers_minutes": [5]}},
        model={"name": "mclp", "p": 2, "minutes": 5, "speed_mps": 4 / 3.6, "solver": "highs"},
        sites=[{"id": "K0001", "type": "meal_hall", "lon": 118.78, "lat": 32.04, "cost_yuan": 800000}],
        overall=[{"type": "meal_hall", "tier_minutes": 5, "population": 100, "population_60_plus": 20,
                  "covered_before": 0, "covered_after": 10, "covered_60_plus_before": 0, "covered_60_plus_after": 2}],
        data_sources=[{"name": "area", "path": "demo:xinjiekou"}],
    )
    path = save_scenario(scenario, tmp_path)
    out = tmp_path / "rerun.gpkg"
    assert main(["optimize", "--scenario", str(path), "--out", str(out)]) == 0
    sites = gpd.read_file(out, layer="chosen_sites")
    assert len(sites) == 2 and sites["id"].str.startswith("K").all()
