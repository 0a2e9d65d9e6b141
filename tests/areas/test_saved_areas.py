"""Saved areas: named, in the user folder, built from copies of the office's files, complete or not at all.

Built on the MissionTown network (a GraphML with population on its edges: quick to derive) and
a facility list; the demo areas keep their built-in names.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from planning.areas import store
from planning.areas.build import AreaInputs
from planning.base import paths
from planning.base.errors import PlanningError
from planning.network.read import load_network
from tests.support.data import MISSION_TOWN, ROOT


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def files(tmp_path):
    """A copy of the network and a clinic list, in a folder that tests may delete."""
    folder = tmp_path / "office"
    folder.mkdir()
    network = folder / "团城山.graphml.gz"
    shutil.copy(MISSION_TOWN, network)
    net = load_network(MISSION_TOWN)
    lonlat = net.nodes_gdf().to_crs(4326).geometry.iloc[::120]
    clinics = folder / "卫生服务站.csv"
    pd.DataFrame({"名称": [f"站{i}" for i in range(len(lonlat))], "类型": "社区卫生服务站",
                  "经度": lonlat.x, "纬度": lonlat.y}).to_csv(clinics, index=False)
    return network, clinics


def _leftovers() -> list[str]:
    root = paths.areas_dir()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_a_saved_area_is_found_by_name_after_its_files_are_gone(home, files):
    network, clinics = files
    saved = store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics))
    assert store.saved_names() == ["团城山街道"] and "团城山街道" in store.area_names()
    shutil.rmtree(network.parent)  # the originals are gone: the area keeps its own copies
    again = store.load_area("团城山街道")
    assert again.kind == "saved" and again.name_zh == "团城山街道"
    assert len(again.demand) == len(saved.demand) and len(again.facilities) == len(saved.facilities)
    record = store.manifest("团城山街道")
    assert record["origins"]["facilities"]["kind"] == "office" and record["origins"]["facilities"]["file"] == clinics.name
    assert record["origins"]["candidates"]["kind"] == "derived"
    assert (paths.areas_dir() / "团城山街道" / "inputs" / "facilities" / clinics.name).is_file()


def test_an_area_made_by_an_older_program_is_rebuilt_from_its_copies(home, files):
    network, clinics = files
    saved = store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics))
    shutil.rmtree(network.parent)
    manifest = paths.areas_dir() / "团城山街道" / store.MANIFEST
    record = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    record["version"] = "0"  # as if saved by an older derivation
    manifest.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    (paths.areas_dir() / "团城山街道" / store.BUILT).write_bytes(b"not a pickle any more")
    rebuilt = store.load_area("团城山街道")
    assert np.allclose(rebuilt.demand["population"].to_numpy(), saved.demand["population"].to_numpy())
    assert store.manifest("团城山街道")["version"] != "0"


def test_a_failed_build_saves_nothing_and_keeps_the_earlier_area(home, files, tmp_path):
    network, clinics = files
    bad = tmp_path / "设施.csv"
    pd.DataFrame({"类型": ["菜市场"], "lon": [115.05], "lat": [30.2]}).to_csv(bad, index=False)
    with pytest.raises(PlanningError) as caught:
        store.save_area("团城山街道", AreaInputs(source=network, facilities=bad))
    assert caught.value.code == "type_unknown"
    assert _leftovers() == []  # no half-built folder, visible or hidden
    store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics))
    with pytest.raises(PlanningError):
        store.save_area("团城山街道", AreaInputs(source=network, facilities=bad), replace_existing=True)
    assert _leftovers() == ["团城山街道"]
    assert len(store.load_area("团城山街道").facilities) > 0  # the earlier area, whole


@pytest.mark.parametrize("name, content", [("街道.osm.pbf", b"not a PBF"), ("街道路网.txt", b"a,b\n")])
def test_a_file_that_cannot_be_built_is_named_as_the_office_gave_it(home, tmp_path, name, content):
    """Not as its copy in the hidden work folder (``…/areas/.测试.new-x1y2/inputs/source/…``), gone by then."""
    given = tmp_path / "材料" / name
    given.parent.mkdir()
    given.write_bytes(content)
    with pytest.raises(PlanningError) as caught:
        store.save_area("测试", AreaInputs(source=given))
    said = caught.value.one_line()
    assert said.count(str(given)) >= 2 and ".new-" not in said and str(paths.areas_dir()) not in said, said
    assert _leftovers() == []


@pytest.mark.parametrize("manifest", ["名称: 团城山\n".encode("gbk"), b"- a list\n", b"name: [unclosed\n",
                                      b"name: only a name\n"])
def test_a_saved_area_whose_record_was_damaged_says_so_in_both_languages(home, files, manifest):
    """area.yaml saved as GBK, holding a list, broken or cut short: once a traceback (or a KeyError)."""
    network, _ = files
    store.save_area("团城山街道", AreaInputs(source=network))
    (paths.areas_dir() / "团城山街道" / "area.yaml").write_bytes(manifest)
    for call in (lambda: store.load_area("团城山街道"), lambda: store.manifest("团城山街道")):
        with pytest.raises(PlanningError) as caught:
            call()
        assert caught.value.code == "area_damaged" and "area.yaml" in caught.value.one_line()
        assert "planning area add 团城山街道 --replace" in caught.value.message("zh")


def test_an_existing_name_is_refused_unless_replaced(home, files):
    network, clinics = files
    store.save_area("团城山街道", AreaInputs(source=network))
    with pytest.raises(PlanningError) as caught:
        store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics))
    assert caught.value.code == "area_exists" and "--replace" in caught.value.message("zh")
    replaced = store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics), replace_existing=True)
    assert len(store.load_area("团城山街道").facilities) == len(replaced.facilities) > 0


@pytest.mark.parametrize("name, code", [("", "area_name_invalid"), ("../上级", "area_name_invalid"),
                                        (".隐藏", "area_name_invalid"), ("a/b", "area_name_invalid"),
                                        ("x" * 61, "area_name_invalid"), ("xinjiekou", "area_name_is_demo")])
def test_names_that_cannot_be_a_folder_or_are_a_demos_are_refused(home, name, code):
    with pytest.raises(PlanningError) as caught:
        store.check_name(name)
    assert caught.value.code == code
    assert store.check_name(" 燕园街道 ") == "燕园街道"


def test_remove_deletes_a_saved_area_and_never_a_demo(home, files):
    network, _ = files
    store.save_area("团城山街道", AreaInputs(source=network))
    store.remove_area("团城山街道")
    assert store.saved_names() == [] and _leftovers() == []
    with pytest.raises(PlanningError) as caught:
        store.remove_area("xinjiekou")
    assert caught.value.code == "area_not_saved"


def test_an_unknown_name_lists_the_saved_areas_and_the_demos(home, files):
    network, _ = files
    store.save_area("团城山街道", AreaInputs(source=network))
    with pytest.raises(PlanningError) as caught:
        store.load_area("燕园街道")
    assert caught.value.code == "area_not_found"
    for text in (caught.value.message("zh"), caught.value.message("en")):
        assert "团城山街道" in text and "xinjiekou" in text


def test_a_place_name_offline_fails_with_a_clear_message(tmp_path):
    """No real download is possible here: OpenStreetMap is made unreachable (a proxy on a closed port)."""
    env = {**os.environ, "PLANNING_HOME": str(tmp_path / "home"), "PYTHONWARNINGS": "ignore",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    run = subprocess.run([sys.executable, "-m", "planning", "area", "add", "燕园街道", "--place", "北京市海淀区燕园街道"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "需要联网" in run.stderr and "needs the internet" in run.stderr and "--osm" in run.stderr
    assert not (tmp_path / "home" / "areas" / "燕园街道").exists()


@pytest.mark.parametrize("name", ["../outside", "a/../../b", "..", ".hidden"])
def test_a_name_that_would_step_outside_the_areas_folder_is_never_opened(home, tmp_path, name):
    outside = paths.areas_dir() / name
    outside.mkdir(parents=True, exist_ok=True)
    (outside / store.MANIFEST).write_text("name: x\n", encoding="utf-8")  # planted: must not be read
    assert not store.is_saved(name)
    with pytest.raises(PlanningError) as caught:
        store.load_area(name)
    assert caught.value.code == "area_not_found"


def test_a_saved_areas_digest_follows_its_files_and_settings_not_its_save_time(home, files, tmp_path):
    network, clinics = files
    store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics))
    first = store.saved_area_digest("团城山街道")
    store.save_area("团城山街道", AreaInputs(source=network, facilities=clinics), replace_existing=True)
    assert store.saved_area_digest("团城山街道") == first  # the same files saved again: the same area
    fewer = tmp_path / "卫生服务站.csv"
    pd.read_csv(clinics).iloc[:-1].to_csv(fewer, index=False)  # one clinic less, same file name
    store.save_area("团城山街道", AreaInputs(source=network, facilities=fewer), replace_existing=True)
    changed = store.saved_area_digest("团城山街道")
    assert changed != first
    store.save_area("团城山街道", AreaInputs(source=network, facilities=fewer), settings={"elderly_share": 0.25},
                    replace_existing=True)
    assert store.saved_area_digest("团城山街道") not in (first, changed)
