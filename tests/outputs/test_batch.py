"""City-scale batch mode: areas cut from a real network, run on Dask, equal a single run."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import dask
from distributed import Client, LocalCluster, WorkerPlugin

from planning.areas.derive import edge_demand
from planning.base.catalogue import load_catalogue, resolve_types
from planning.base.errors import PlanningError
from planning.coverage.residents import community_table, compute_coverage
from planning.network.read import load_network
from planning.outputs.batch import run_batch
from planning.outputs.batch.cut import horizon_minutes
from planning.outputs.batch.jobs import area_jobs, city_areas, demand_by_area, prepare_city
from planning.outputs.batch.merge import merge_run
from planning.outputs.batch.runner import KEY_PREFIX, run_jobs
from planning.outputs.batch.task import run_area
from tests.support.data import MISSION_TOWN

TIERS = (5.0, 10.0, 15.0)
SPEED_KMH = 4.0


@pytest.fixture(scope="module")
def city():
    """MissionTown split into a 2×2 grid of areas, with facilities on random streets."""
    network = load_network(MISSION_TOWN)
    x0, y0, x1, y1 = network.edges.total_bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    boxes = [shapely.box(a, b, c, d) for a, b, c, d in
             [(x0 - 50, y0 - 50, xm, ym), (xm, y0 - 50, x1 + 50, ym), (x0 - 50, ym, xm, y1 + 50), (xm, ym, x1 + 50, y1 + 50)]]
    areas = gpd.GeoDataFrame({"code": ["A1", "A2", "A3", "A4"], "name": ["东街道", "西街道", "南街道", "北街道"]},
                             geometry=boxes, crs=network.crs)
    rng = np.random.default_rng(8)
    types = resolve_types("clinic,meal_hall", load_catalogue())
    rows = []
    for ftype, n in (("clinic", 4), ("meal_hall", 7)):
        edges = network.edges.iloc[rng.choice(len(network.edges), n, replace=False)]
        points = edges.geometry.interpolate(rng.uniform(0.1, 0.9, n), normalized=True).translate(15, -10)
        rows.append(gpd.GeoDataFrame({"type": [ftype] * n}, geometry=points.to_numpy(), crs=network.crs))
    facilities = pd.concat(rows, ignore_index=True)
    demand = edge_demand(network, 0.19)
    return network, areas, demand, facilities, types


@pytest.fixture(scope="module")
def reference(city):
    """Single process on the whole network, minutes beyond the longest tier read as unreachable."""
    network, areas, demand, facilities, types = city
    demand, _ = demand_by_area(demand, areas)
    demand = demand.assign(community=demand["area"])
    coverage = compute_coverage(network, demand, facilities, types, None, TIERS, SPEED_KMH)
    kept = coverage.demand
    for ftype in types:
        column = f"minutes_to_{ftype.key}"
        kept[column] = kept[column].where(kept[column] <= horizon_minutes(TIERS, types), np.inf)
    return kept, community_table(kept, types, TIERS, None)


def assert_same_as_reference(result, reference, types):
    kept, table = reference
    got = result.coverage.demand
    assert list(got.index) == list(kept.index)
    assert (got["area"] == kept["area"]).all()
    for ftype in types:
        column = f"minutes_to_{ftype.key}"
        a, b = got[column].to_numpy(), kept[column].to_numpy()
        assert (np.isinf(a) == np.isinf(b)).all(), column
        assert np.abs(a[np.isfinite(a)] - b[np.isfinite(b)]).max() <= 1e-9, column
    ours = result.by_area.set_index(["area", "type"]).sort_index()
    theirs = table.rename(columns={"community": "area"}).set_index(["area", "type"]).sort_index()
    columns = ["population", "pop_60plus", "served_population", *[f"covered_{t:g}min" for t in TIERS], "covered_at_tier"]
    pd.testing.assert_frame_equal(ours[columns], theirs[columns], rtol=0, atol=1e-9)


def test_batch_on_two_worker_processes_equals_one_process_on_the_whole_network(city, reference):
    network, areas, demand, facilities, types = city
    result = run_batch(network, areas, demand, facilities, types, TIERS, SPEED_KMH, workers=2,
                       memory_limit="1GiB", progress=False)
    assert result.failed.empty
    # every area ran in a worker process; which worker takes how many is Dask's choice (on a busy
    # machine one worker may take all four before the other asks)
    assert len(result.runs) == len(areas) and (result.runs["worker_pid"] != os.getpid()).all()
    assert_same_as_reference(result, reference, types)
    # the border matters: some residents' nearest facility lies in another area
    outside = 0
    located, _ = demand_by_area(demand, areas)
    city = prepare_city(network, areas, facilities, types, TIERS, SPEED_KMH)
    for job in area_jobs(city, areas, located.assign(community="x")):
        outside += int((~job.facilities.within(job.polygon)).sum())
    assert outside > 0


def test_residents_come_back_in_their_order_whatever_their_index(city, reference):
    """A clerk's layer may carry any labels, repeated and unsorted: rows still meet their own minutes."""
    network, areas, demand, facilities, types = city
    labelled = demand.set_axis([f"户{(len(demand) - i) // 2}" for i in range(len(demand))])
    result = run_batch(network, areas, labelled, facilities, types, TIERS, SPEED_KMH, workers=2,
                       memory_limit="1GiB", progress=False)
    kept, _ = reference
    got = result.coverage.demand
    assert list(got.index) == list(labelled.index[demand.index.get_indexer(kept.index)])
    assert got.geometry.geom_equals_exact(kept.geometry.set_axis(got.index), 0).all()
    for ftype in types:
        column = f"minutes_to_{ftype.key}"
        assert np.array_equal(got[column].to_numpy(), kept[column].to_numpy())


def test_an_area_cut_without_the_walking_buffer_gets_wrong_minutes(city, reference):
    """Guards the buffer rule: dropping it changes results, so the equality test has teeth."""
    network, areas, demand, facilities, types = city
    located, _ = demand_by_area(demand, areas)
    kept, _ = reference
    wrong = 0
    city = prepare_city(network, areas, facilities, types, TIERS, SPEED_KMH)
    for job in area_jobs(city, areas, located.assign(community=located["area"])):
        bare = job.__class__(**{**job.__dict__, "facilities": job.facilities[job.facilities.within(job.polygon)]})
        minutes = run_area(bare).demand["minutes_to_meal_hall"]
        wrong += int((minutes != kept.loc[minutes.index, "minutes_to_meal_hall"]).sum())
    assert wrong > 0


class KillOnce(WorkerPlugin):
    """Kills its worker process when it starts area ``area``, once (a marker file remembers), after
    ``delay_s`` (time for the scheduler to drop the city's other copies)."""

    def __init__(self, area: str, marker: str, delay_s: float = 0.0) -> None:
        self.area, self.marker, self.delay_s = area, marker, delay_s

    def transition(self, key, start, finish, **kwargs) -> None:
        if finish == "executing" and str(key).startswith(f"{KEY_PREFIX}{self.area}-"):
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
            time.sleep(self.delay_s)
            os._exit(1)


def _cities_read() -> int:
    """How many city files this worker process has read (run on each worker)."""
    from planning.outputs.batch.jobs import city_from_file

    return city_from_file.cache_info().misses


def test_batch_survives_a_worker_killed_mid_run(city, reference, tmp_path):
    """Through a scheduler's address, with no --city-folder: the city is broadcast, no file is read."""
    network, areas, demand, facilities, types = city
    marker = tmp_path / "killed"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.register_plugin(KillOnce("A3", str(marker)))
        result = run_batch(network, areas, demand, facilities, types, TIERS, SPEED_KMH,
                           scheduler=cluster.scheduler_address, retries=0, progress=False)
        read = client.run(_cities_read)
    assert marker.exists()  # a worker really died while running A3
    assert result.failed.empty
    assert_same_as_reference(result, reference, types)
    assert set(read.values()) == {0}


def test_a_schedulers_workers_read_the_city_from_the_shared_folder_given(city, reference, tmp_path, monkeypatch):
    """``--city-folder``: each of the scheduler's workers reads the city file once, even when the folder
    was given relative to a working folder the workers do not share; the file is gone afterwards."""
    network, areas, demand, facilities, types = city
    (tmp_path / "share").mkdir()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        monkeypatch.chdir(tmp_path)  # the workers started in the checkout
        result = run_batch(network, areas, demand, facilities, types, TIERS, SPEED_KMH,
                           scheduler=cluster.scheduler_address, city_folder=Path("share"), progress=False)
        read = client.run(_cities_read)
    assert result.failed.empty
    assert_same_as_reference(result, reference, types)
    assert list(read.values()) == [1, 1]
    assert list((tmp_path / "share").iterdir()) == []


def _can_hide_folders() -> bool:
    """Whether a process may get a mount namespace of its own here (root, and not a locked-down container)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_hide_folders(), reason="hiding a folder from a worker needs root and mount namespaces")
def test_a_worker_that_cannot_see_the_city_folder_is_named_at_once(city, tmp_path):
    """A worker on another machine without the share: here, a worker in its own mount namespace with
    an empty file system mounted over the folder."""
    network, areas, demand, facilities, types = city
    share = tmp_path / "share"
    share.mkdir()
    hidden = (f'mount -t tmpfs none "{share}" && exec "{sys.executable}" -m distributed.cli.dask_worker '
              "{address} --nworkers 1 --nthreads 1 --no-dashboard")
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        worker = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                   hidden.format(address=cluster.scheduler_address)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client.wait_for_workers(1, timeout=90)
            with pytest.raises(PlanningError) as raised:
                run_batch(network, areas, demand, facilities, types, TIERS, SPEED_KMH,
                          scheduler=cluster.scheduler_address, city_folder=share, progress=False)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    assert raised.value.code == "batch_city_folder_unseen"
    zh, en = raised.value.message("zh"), raised.value.message("en")
    assert "读不到" in zh and "cannot read" in en and str(share) in en and "No such file" in en
    assert list(share.iterdir()) == []


def test_cli_refuses_a_city_folder_that_is_not_a_folder_before_reading_anything(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "planning", "batch", "--area", "xinjiekou", "--out",
                           str(tmp_path / "out"), "--city-folder", str(tmp_path / "共享盘")],
                          capture_output=True, text=True, timeout=110)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "共享盘 不存在或不是文件夹" in proc.stderr and "is not a folder" in proc.stderr
    assert not (tmp_path / "out").exists()


def _run_killing_a3_after_a_second(city, marker, via_folder=None):
    """One area in flight at a time, Dask's memory manager every 50 ms, and the worker running A3
    killed a second after A3 starts. Returns the run and the residents by area."""
    network, areas, demand, facilities, types = city
    located, _ = demand_by_area(demand, areas)
    located = located.assign(community=located["area"])
    shared = prepare_city(network, areas, facilities, types, TIERS, SPEED_KMH)
    with dask.config.set({"distributed.scheduler.active-memory-manager.interval": "50ms"}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                         dashboard_address=None) as cluster, Client(cluster) as client:
        client.register_plugin(KillOnce("A3", str(marker), delay_s=1.0))
        run = run_jobs(client, shared, city_areas(areas, located), retries=0, in_flight=1, progress=False,
                       via_folder=via_folder)
    return run, located


def test_an_area_whose_worker_held_the_citys_last_copy_is_run_again_with_the_city_sent_again(city, reference,
                                                                                          tmp_path):
    """Dask's memory manager keeps one copy of scattered data once no waiting task needs more. With the
    kill of _run_killing_a3_after_a_second the broadcast city's only copy is on the worker that dies
    (before: A3 failed, "cancelled", and so did the areas after it)."""
    marker = tmp_path / "killed"
    run, located = _run_killing_a3_after_a_second(city, marker)
    assert marker.exists() and run.failures.empty
    assert run.n_resent >= 1  # the city was sent again, and A3 run again from it
    _, areas, _, _, types = city
    assert_same_as_reference(merge_run(run, areas, None, types, TIERS, located.geometry), reference, types)


def test_a_local_clusters_city_goes_through_one_file_and_a_dead_worker_takes_nothing_with_it(city, reference,
                                                                                            tmp_path):
    """The same kill with the city in a file every worker reads: no copy of it lives only on the worker
    that dies, so the area runs again on a worker that reads the file, and nothing is resent."""
    marker, folder = tmp_path / "killed", tmp_path / "shared"
    folder.mkdir()
    run, located = _run_killing_a3_after_a_second(city, marker, via_folder=folder)
    assert marker.exists() and run.failures.empty and run.n_resent == 0
    assert [p.name for p in folder.iterdir()] == ["city.pickle"]  # written whole: no part file left
    _, areas, _, _, types = city
    assert_same_as_reference(merge_run(run, areas, None, types, TIERS, located.geometry), reference, types)


def test_cli_lists_an_area_that_keeps_failing_and_exits_non_zero(city, reference, tmp_path):
    network, areas, demand, facilities, types = city
    far = shapely.box(0, 0, 1000, 1000)  # no street within kilometres
    areas_file, facilities_file = tmp_path / "areas.gpkg", tmp_path / "facilities.gpkg"
    pd.concat([areas, gpd.GeoDataFrame({"code": ["X9"], "name": ["远郊街道"]}, geometry=[far], crs=areas.crs)]
              ).to_crs(4326).to_file(areas_file)
    facilities.to_crs(4326).to_file(facilities_file)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "planning", "batch", "--areas", str(areas_file), "--network",
                           str(MISSION_TOWN), "--facilities", str(facilities_file), "--types", "clinic,meal_hall",
                           "--out", str(out), "--workers", "2", "--memory-limit", "1GiB", "--mclp-p", "2"],
                          capture_output=True, text=True, timeout=110)
    assert proc.returncode == 1, proc.stderr
    assert "远郊街道" in proc.stdout and "no street network" in proc.stdout
    runs = gpd.read_file(out / "batch.gpkg", layer="area_runs")
    failed = runs[runs["status"] == "failed"]
    assert list(failed["area"]) == ["X9"]
    assert "路网" in failed["error_zh"].iloc[0] and "network" in failed["error_en"].iloc[0]
    assert (runs[runs["area"] != "X9"]["status"] == "ok").all()
    written = gpd.read_file(out / "batch.gpkg", layer="demand")
    kept, _ = reference
    assert len(written) == len(kept)
    assert np.allclose(written["minutes_to_clinic"].fillna(np.inf), kept["minutes_to_clinic"].to_numpy(), atol=1e-9)
    sites = gpd.read_file(out / "batch.gpkg", layer="sites")
    assert set(sites["area"]) <= {"A1", "A2", "A3", "A4"} and len(sites) > 0


def _refused_address() -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("address", [_refused_address(), "tcp://127.0.0.1:99999", "scheduler-without-port"],
                         ids=["refused", "port-out-of-range", "no-port"])
def test_cli_says_when_the_dask_scheduler_cannot_be_reached(city, tmp_path, address):
    network, areas, demand, facilities, types = city
    areas_file, facilities_file = tmp_path / "areas.gpkg", tmp_path / "facilities.gpkg"
    areas.to_crs(4326).to_file(areas_file)
    facilities.to_crs(4326).to_file(facilities_file)
    proc = subprocess.run([sys.executable, "-m", "planning", "batch", "--areas", str(areas_file), "--network",
                           str(MISSION_TOWN), "--facilities", str(facilities_file), "--out", str(tmp_path / "out"),
                           "--scheduler", address], capture_output=True, text=True, timeout=110)
    said = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "无法连接 Dask 调度器" in said and "Cannot connect to the Dask scheduler" in said and address in said
    assert "Traceback" not in said
    assert not (tmp_path / "out" / "batch.gpkg").exists()
