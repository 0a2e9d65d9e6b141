"""The built-in 新街口 demo area: real OSM layers, derived offline, cached, honest about gaps."""
from __future__ import annotations

import time

import shapely

from planning.areas.build import load_demo_area
from planning.base.catalogue import load_catalogue
from planning.base.walking import speed_mps
from planning.coverage.isochrones import isochrones
from planning.network.snapping import snap_points


def test_demo_area_has_real_layers(demo_area):
    assert demo_area.network.n_nodes > 300
    assert demo_area.demand["population"].sum() > 10_000
    assert len(demo_area.communities) >= 5
    assert demo_area.communities.is_valid.all()
    assert set(demo_area.demand["community"]) <= set(demo_area.communities["code"])
    assert (demo_area.facilities["source"] == "osm").all()
    assert demo_area.sources["facilities"] == "osm" and demo_area.sources["communities"] == "derived"


def test_demo_area_says_which_facility_types_osm_lacks(demo_area):
    missing = demo_area.missing_types(load_catalogue())
    assert "meal_hall" in missing and "day_care" in missing
    assert "parking" not in missing


def test_second_load_comes_from_the_disk_cache(tmp_path):
    start = time.perf_counter()
    first = load_demo_area("xinjiekou", cache_folder=tmp_path)
    derive_s = time.perf_counter() - start
    start = time.perf_counter()
    second = load_demo_area("xinjiekou", cache_folder=tmp_path)
    cached_s = time.perf_counter() - start
    assert list(tmp_path.glob("xinjiekou-*.pickle"))
    assert len(second.demand) == len(first.demand)
    assert cached_s < derive_s


def test_isochrones_grow_with_time_and_follow_streets(demo_area):
    parking = demo_area.facilities_of("parking")
    iso = isochrones(demo_area.network, snap_points(demo_area.network, parking), (5, 10, 15), speed_mps(4.0))
    areas = iso.set_index("minutes").geometry.area
    assert areas[5] < areas[10] < areas[15]
    hull = shapely.convex_hull(shapely.union_all(iso.geometry.to_numpy()))
    assert areas[15] < hull.area  # street-following, not a convex hull
    # demand points within 5 minutes of a car park and close to their street lie inside the
    # 5-minute polygon (the polygon is the streets buffered by 50 m)
    from planning.coverage.residents import compute_coverage

    cov = compute_coverage(demo_area.network, demo_area.demand, demo_area.facilities,
                           [load_catalogue()["parking"]], demo_area.communities)
    offset = snap_points(demo_area.network, cov.demand).offset_m
    near = cov.demand[(cov.demand["minutes_to_parking"].to_numpy() <= 5) & (offset < 45)]
    assert len(near) > 20
    inside = shapely.contains(iso.set_index("minutes").geometry[5], near.geometry.to_numpy())
    assert inside.all()


def test_the_demo_area_list_is_read_again_when_its_file_changes_and_cannot_be_changed_by_a_caller(tmp_path, monkeypatch):
    import os

    import yaml

    from planning.areas import build

    path = tmp_path / "areas.yaml"
    path.write_text(build.AREAS_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(build, "AREAS_PATH", path)
    first = build.demo_areas()
    assert first == yaml.safe_load(path.read_text(encoding="utf-8"))
    first["xinjiekou"]["name_zh"] = "改过"  # a caller's change stays its own
    assert build.demo_areas()["xinjiekou"]["name_zh"] != "改过"
    changed = {**first, "another": {**first["xinjiekou"], "name_zh": "另一个"}}
    path.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a new modification time, as an edit gives
    assert build.demo_areas()["another"]["name_zh"] == "另一个"
