"""A street office's own area, end to end on the command line, by ``--area`` only.

The office brings an OSM extract the project has never seen (海淀, ``tests/data``; not a demo),
its 社区 boundaries, its population table per 社区 in Excel and its facility list in GCJ-02 from
高德. ``planning area add`` saves the area; coverage, MCLP, the report and the export then name
it with ``--area`` and nothing else. The residents per 社区 equal the table, the facilities stand
where the office put them (GCJ-02 undone), and every walking time equals networkx's on the
source graph with each point spliced into its street.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from planning.areas.store import load_area
from planning.base.catalogue import load_catalogue
from planning.base.walking import speed_mps
from tests.support.data import BEIJING_PBF, ROOT
from tests.support.networkx_reference import graph_with_points_inserted, reference_seconds
from tests.support.office_files import COMMUNITIES, FACILITIES, UNMATCHED_ROW, write_office_files

AREA = "燕园街道"


def _cli(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PLANNING_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "planning", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=600)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The office's files, the area saved from them, and the user folder it lives in."""
    folder = tmp_path_factory.mktemp("office")
    files = write_office_files(folder / "files")
    home = folder / "home"
    osm = folder / "files" / "海淀.osm.pbf"
    shutil.copy(BEIJING_PBF, osm)
    run = _cli("area", "add", AREA, "--osm", str(osm), "--boundaries", str(files.boundaries),
               "--population", str(files.population), "--facilities", str(files.facilities), home=home)
    assert run.returncode == 0, run.stderr
    shutil.move(folder / "files", folder / "elsewhere")  # the originals move away: the saved area must not care
    return files, home, run.stdout


@pytest.fixture(scope="module")
def outputs(office, tmp_path_factory):
    _, home, _ = office
    out = tmp_path_factory.mktemp("out")
    runs = {
        "coverage": _cli("coverage", "--area", AREA, "--out", str(out / "coverage.gpkg"), home=home),
        "mclp": _cli("optimize", "--area", AREA, "--type", "meal_hall", "--model", "mclp", "--p", "2",
                     "--out", str(out / "plan.gpkg"), home=home),
        "report": _cli("report", "--area", AREA, "--out", str(out / "report.pdf"), home=home),
        "export": _cli("export", "--area", AREA, "--out", str(out / "layers.gpkg"), home=home),
    }
    for name, run in runs.items():
        assert run.returncode == 0, f"{name}: {run.stderr}"
    return out, runs


@pytest.fixture(scope="module")
def area(office, monkeypatch_module):
    _, home, _ = office
    monkeypatch_module.setenv("PLANNING_HOME", str(home))
    return load_area(AREA)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_area_add_says_what_came_from_where(office):
    _, _, printed = office
    assert "社区边界 / community boundaries: 本单位文件 社区边界.geojson" in printed
    assert "居民 / residents: 本单位文件 社区人口.xlsx" in printed
    assert "现有设施 / existing facilities: 本单位文件 设施清单.csv + OpenStreetMap" in printed
    assert "候选用地 / candidate sites: 推算 / derived" in printed
    assert "gcj02_lng" in printed and "GCJ02" in printed  # the datum read from the column names, said so
    assert UNMATCHED_ROW[0] in printed  # the row with no 社区 is listed, not dropped silently
    assert "合计" in printed


def test_area_is_listed_and_shown_after_its_files_moved(office):
    _, home, _ = office
    listed = _cli("area", "list", home=home)
    assert listed.returncode == 0 and AREA in listed.stdout and "xinjiekou" in listed.stdout
    shown = _cli("area", "show", AREA, home=home)
    assert shown.returncode == 0 and "本单位的社区人口表" in shown.stdout


def test_residents_per_community_equal_the_table(office, outputs):
    files, _, _ = office
    out, _ = outputs
    communities = gpd.read_file(out / "coverage.gpkg", layer="communities").set_index("name")
    assert set(communities.index) == set(COMMUNITIES)
    for name in COMMUNITIES:
        assert abs(communities.loc[name, "population"] - files.residents[name]) < 1e-6, name
        assert abs(communities.loc[name, "pop_60plus"] - files.elderly[name]) < 1e-6, name
    assert communities["population"].sum() == pytest.approx(sum(files.residents.values()), abs=1e-6)


def test_the_offices_facilities_stand_where_it_put_them(office, area):
    files, _, _ = office
    own = area.facilities[area.facilities["source"] == "office"]
    assert list(own["name"]) == [f[0] for f in FACILITIES]
    assert list(own["type"]) == [f[2] for f in FACILITIES]
    lonlat = own.to_crs(4326).geometry
    assert np.abs(lonlat.x.to_numpy() - files.facility_lonlat[:, 0]).max() < 1e-6  # about 0.1 m
    assert np.abs(lonlat.y.to_numpy() - files.facility_lonlat[:, 1]).max() < 1e-6
    # the office's list replaces OSM's for its types; OSM keeps the others (hospitals here)
    osm = area.facilities[area.facilities["source"] == "osm"]
    assert not set(osm["type"]) & set(own["type"]) and len(osm)
    replaced = area.osm_features[area.osm_features["status"] == "replaced"]
    assert set(replaced["type"]) <= set(own["type"])


def test_coverage_equals_networkx_for_off_node_points(area, outputs):
    out, _ = outputs
    demand = gpd.read_file(out / "coverage.gpkg", layer="demand").to_crs(area.crs)
    catalogue = load_catalogue()
    speed = speed_mps(4.0)
    for key in ("clinic", "meal_hall", "day_care", "parking", "hospital"):
        sites = area.facilities_of(key).geometry.to_numpy()
        points = np.concatenate([sites, demand.geometry.to_numpy()])
        reference = graph_with_points_inserted(area.network.graph, points)
        expected = reference_seconds(reference, list(range(len(sites))), list(range(len(sites), len(points))),
                                     60 * 60 * speed, speed)
        got = demand[f"minutes_to_{key}"].to_numpy(float) * 60  # NULL (NaN) beyond 60 minutes
        got = np.where(np.isnan(got), np.inf, got)
        assert np.array_equal(np.isinf(got), np.isinf(expected)), key
        finite = np.isfinite(expected)
        assert finite.sum() > 0.5 * len(expected), key
        assert np.abs(got[finite] - expected[finite]).max() < 1e-6, (key, catalogue[key].name_zh)


def test_mclp_sites_two_of_the_areas_candidates(area, outputs):
    out, runs = outputs
    sites = gpd.read_file(out / "plan.gpkg", layer="chosen_sites")
    assert len(sites) == 2 and set(sites["id"].astype(str)) <= set(area.candidates["id"].astype(str))
    demand = gpd.read_file(out / "plan.gpkg", layer="demand")
    assert (demand["covered_after"] >= demand["covered_before"]).all()
    assert "mclp" in runs["mclp"].stdout


def test_report_and_export_carry_the_area_for_qgis(area, outputs):
    out, _ = outputs
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout
        assert AREA in text and "自定义区域" not in text
    layers = dict(pyogrio.list_layers(out / "layers.gpkg"))
    assert {"demand", "communities", "facilities", "candidates", "network_edges", "isochrones",
            "field_aliases"} <= set(layers)
    facilities = gpd.read_file(out / "layers.gpkg", layer="facilities")
    assert set(facilities["source"]) == {"office", "osm"}
    assert len(gpd.read_file(out / "layers.gpkg", layer="candidates")) == len(area.candidates)
    edges = gpd.read_file(out / "layers.gpkg", layer="network_edges")
    assert len(edges) == len(area.network.edges)
    assert np.allclose(edges["length_m"].sum(), area.network.edges["length_m"].sum())
    aliases = pyogrio.read_dataframe(out / "layers.gpkg", layer="field_aliases")
    for name, kind in layers.items():
        if name == "field_aliases":
            continue
        columns = [c for c in pyogrio.read_info(out / "layers.gpkg", layer=name)["fields"]]
        documented = aliases[aliases["layer"] == name].set_index("field")
        assert set(columns) <= set(documented.index), (name, set(columns) - set(documented.index))
        undocumented = documented[(documented["alias_zh"] == documented.index) | (documented["about_zh"] == "")]
        assert undocumented.empty, (name, list(undocumented.index))


def test_every_other_command_takes_the_area_by_name(office, area, tmp_path):
    _, home, _ = office
    shown = _cli("demo", "--area", AREA, home=home)
    assert shown.returncode == 0 and AREA in shown.stdout and "社区卫生服务站" in shown.stdout
    sources = tmp_path / "起点.csv"
    lonlat = area.facilities_of("clinic").to_crs(4326).geometry
    sources.write_text("id,lon,lat\n" + "".join(f"{i},{p.x},{p.y}\n" for i, p in enumerate(lonlat)), encoding="utf-8")
    reach = _cli("reach", "--area", AREA, "--sources", str(sources), "--minutes", "5", "--out",
                 str(tmp_path / "reach.csv"), home=home)
    assert reach.returncode == 0, reach.stderr
    batch = _cli("batch", "--area", AREA, "--out", str(tmp_path / "batch"), "--workers", "1",
                 "--memory-limit", "1GiB", "--types", "clinic,meal_hall", home=home)
    assert batch.returncode == 0, batch.stderr
    units = gpd.read_file(tmp_path / "batch" / "batch.gpkg", layer="areas")
    assert sorted(units["name"]) == sorted(COMMUNITIES)  # with no --areas, each 社区 is one unit
