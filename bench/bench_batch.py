"""Where the Dask batch spends its wall time, and what 16 and 64 workers would give.

The batch of ``planning batch`` (:func:`planning.outputs.batch.run_batch`) run step by step on
the grid city of ``bench_scale.py`` (about 160k nodes cut into 16 street-office areas, coverage
only; ``--mclp-p`` adds an MCLP per area and type), on a local cluster of 1 and of 2 worker
processes (cluster start excluded). Each step is timed in the main process, Dask's task stream
gives every area task's compute interval on its worker, and the CPU seconds of the main process
(which also hosts the scheduler) and of each worker are read before and after:

  prepare    residents by area, the city's shared layers (main process, serial)
  send       from the call until the first area starts: the city to every worker, either written
             to one file every worker reads (what ``run_batch`` does on a local cluster) or
             broadcast with ``client.scatter`` (what it does on a scheduler's workers); both run
  areas      first area start → last area end; per worker: busy seconds and idle share
  collect    last area end → the call returns (results received)
  merge      the city tables from the areas (main process, serial)

Each cluster runs the batch twice and the second run is the one broken down: the first loads
every compiled kernel on every worker (its wall time is printed as ``first_run_wall_s``).

Then a projection to more workers from these measurements (no new runs): each area's measured
compute time plus the measured per-task overhead, handed out in submission order to the first
free worker (as the runner does), with the serial steps as measured and the sending growing
linearly with the workers (fitted on 1 and 2). Two cities: this one (16 areas, so at most 16
busy workers), and one of ``--city-areas`` areas whose costs are drawn from the measured ones.

    python bench/bench_batch.py                     # 160k nodes, 16 areas
    python bench/bench_batch.py --side 150 --quick  # a small city, one repeat
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import grid_city, machine_speedup, warm_up_search  # noqa: E402


def _cpu_s() -> float:
    return time.process_time()


def run_once(network, areas, demand, facilities, types, workers: int, mclp_p: int | None, send: str) -> dict:
    """One batch on ``workers`` processes, step by step, with the task stream; ``send``: file or scatter."""
    import tempfile

    from distributed import Client, LocalCluster, get_task_stream

    from planning.outputs.batch.jobs import city_areas, demand_by_area, prepare_city
    from planning.outputs.batch.merge import merge_run
    from planning.outputs.batch.runner import run_jobs

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client, tempfile.TemporaryDirectory(prefix="bench-batch-") as folder:
        client.run(warm_up_search)
        for timed_run in (False, True):  # the first run loads every kernel on every worker: timed apart
            worker_cpu0 = client.run(_cpu_s)
            main_cpu0, t0 = time.process_time(), time.time()
            by_area, _ = demand_by_area(demand, areas)  # as run_batch does without communities
            by_area = by_area.assign(community=by_area["area"])
            city = prepare_city(network, areas, facilities, types, (5.0, 10.0, 15.0), 4.0, mclp_p)
            jobs = city_areas(areas, by_area)
            t1 = time.time()
            with get_task_stream(client) as stream:
                run = run_jobs(client, city, jobs, progress=False,
                               via_folder=Path(folder) if send == "file" else None)
            t2 = time.time()
            result = merge_run(run, areas, None, types, (5.0, 10.0, 15.0), by_area.geometry)
            t3 = time.time()
            main_cpu = time.process_time() - main_cpu0
            worker_cpu = client.run(_cpu_s)
            if not timed_run:
                first_wall_s = t3 - t0
    tasks = _area_tasks(stream.data)
    # a task's recorded stop can trail the moment its result reached the main process (up to 0.4 s seen)
    first, last = tasks["start"].min(), min(tasks["stop"].max(), t2)
    busy = tasks.groupby("worker")["seconds"].sum()
    span = last - first
    return {
        "send": send, "workers": workers, "areas": len(tasks), "failed": len(result.failed),
        "first_run_wall_s": first_wall_s, "wall_s": t3 - t0, "prepare_s": t1 - t0, "send_s": first - t1, "areas_s": span,
        "collect_s": t2 - last, "merge_s": t3 - t2,
        "task_sum_s": tasks["seconds"].sum(), "busy_max_s": busy.max(), "idle_share": 1 - busy.sum() / (span * workers),
        "main_cpu_s": main_cpu, "worker_cpu_s": sum(worker_cpu[w] - worker_cpu0[w] for w in worker_cpu),
        "task_seconds": tasks.sort_values("start")["seconds"].to_numpy(),  # in the order they ran
    }


def _area_tasks(records: list[dict]) -> pd.DataFrame:
    """One row per area task: worker, compute start/stop (epoch seconds), compute seconds."""
    rows = []
    for rec in records:
        if not str(rec.get("key", "")).startswith("batch-area-"):
            continue
        computes = [s for s in rec["startstops"] if s["action"] == "compute"]
        start, stop = min(s["start"] for s in computes), max(s["stop"] for s in computes)
        rows.append({"key": rec["key"], "worker": rec["worker"], "start": start, "stop": stop,
                     "seconds": stop - start})
    return pd.DataFrame(rows)


def makespan(costs: np.ndarray, workers: int) -> float:
    """Tasks handed out in order to the first free worker (list scheduling, as the runner's queue)."""
    free = np.zeros(workers)
    for cost in costs:
        k = int(np.argmin(free))
        free[k] += cost
    return float(free.max())


def project(runs: pd.DataFrame, worker_counts: list[int], city_areas: int, seed: int = 3) -> pd.DataFrame:
    """Wall time on more workers from the 1- and 2-worker measurements (see the module notes)."""
    one = runs[runs.workers == 1].iloc[0]
    two = runs[runs.workers == 2].iloc[0]
    serial_s = one.prepare_s + one.collect_s + one.merge_s
    per_task_overhead_s = max(one.areas_s - one.task_sum_s, 0.0) / one.areas
    send_per_worker_s = max(two.send_s - one.send_s, 0.0)  # the broadcast's growth with each worker
    send_base_s = one.send_s - send_per_worker_s
    costs = np.asarray(one.task_seconds) + per_task_overhead_s
    rng = np.random.default_rng(seed)
    big = rng.choice(costs, size=city_areas, replace=True)
    def wall(tasks: np.ndarray, workers: int) -> tuple[float, float]:
        outside = serial_s + send_base_s + send_per_worker_s * workers
        return outside + makespan(tasks, workers), outside

    rows = []
    for name, tasks in ((f"this city ({len(costs)} areas)", costs), (f"a city of {city_areas} areas", big)):
        one_worker, _ = wall(tasks, 1)
        for w in worker_counts:
            seconds, outside = wall(tasks, w)
            rows.append({"city": name, "workers": w, "projected_wall_s": seconds, "speed_up": one_worker / seconds,
                         "outside_areas_share": outside / seconds})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=400, help="grid side of the city (400 → 160k nodes)")
    parser.add_argument("--areas-per-side", type=int, default=4)
    parser.add_argument("--mclp-p", type=int, help="also an MCLP of this many sites per area and type")
    parser.add_argument("--repeats", type=int, default=2, help="runs per worker count; the fastest is kept")
    parser.add_argument("--quick", action="store_true", help="one repeat")
    parser.add_argument("--project", default="1,2,4,16,64", help="worker counts to project to")
    parser.add_argument("--city-areas", type=int, default=256, help="areas of the larger projected city")
    parser.add_argument("--send", default="file,scatter", help="how the city reaches the workers: file, scatter or both")
    args = parser.parse_args()

    from planning.areas.derive import edge_demand
    from planning.base.catalogue import load_catalogue, resolve_types

    load_before = os.getloadavg()
    network, areas, facilities = grid_city(args.side, args.areas_per_side)
    demand = edge_demand(network, 0.19)
    types = resolve_types("clinic,meal_hall", load_catalogue())
    ceiling = machine_speedup()
    print(f"\nBatch on {network.n_nodes:,} nodes, {len(areas)} areas, "
          f"{'coverage + MCLP p=%d' % args.mclp_p if args.mclp_p else 'coverage only'}; load average before "
          f"{load_before[0]:.2f} ({os.cpu_count()} cores); 1 → 2 processes of pure CPU work here: {ceiling:.2f}×")
    for send in args.send.split(","):
        rows = []
        for workers in (1, 2):
            runs = [run_once(network, areas, demand, facilities, types, workers, args.mclp_p, send)
                    for _ in range(1 if args.quick else args.repeats)]
            rows.append(min(runs, key=lambda r: r["wall_s"]))
        report(pd.DataFrame(rows), [int(w) for w in args.project.split(",")], args.city_areas)
    print(f"\nload average after {os.getloadavg()[0]:.2f}")


def report(table: pd.DataFrame, worker_counts: list[int], city_areas: int) -> None:
    """One sending method's table, its reading, and its projection."""
    one, two = table.iloc[0], table.iloc[1]
    print(f"\n== the city sent by {one.send} ==")
    shown = table.drop(columns=["task_seconds", "send"]).set_index("workers").T
    print(shown.round(3).to_string())
    print(f"\nspeed-up 1 → 2 workers: {one.wall_s / two.wall_s:.2f}×")
    print(f"  the area tasks alone: {one.areas_s / two.areas_s:.2f}× "
          f"(idle share on 2 workers {two.idle_share:.0%}: the last areas run alone)")
    serial = one.prepare_s + one.collect_s + one.merge_s
    print(f"  serial in the main process: prepare {one.prepare_s:.2f} s + collect {one.collect_s:.2f} s + merge "
          f"{one.merge_s:.2f} s = {serial / one.wall_s:.0%} of the 1-worker wall time")
    print(f"  sending the city: {one.send_s:.2f} s to 1 worker, {two.send_s:.2f} s to 2")
    print(f"  CPU seconds: workers {one.worker_cpu_s:.2f} on 1 worker, {two.worker_cpu_s:.2f} on 2; the main process "
          f"(client + scheduler) {two.main_cpu_s:.2f} over {two.wall_s:.2f} s of wall time on 2 workers — "
          f"at least {(two.worker_cpu_s + two.main_cpu_s) / min(2, os.cpu_count() or 1):.2f} s on "
          f"{min(2, os.cpu_count() or 1)} cores")
    proj = project(table, worker_counts, city_areas)
    print("\nProjection from these measurements (list scheduling of the measured area times; serial steps as "
          "measured; sending linear in the workers, as fitted on 1 and 2):")
    print(proj.round(2).to_string(index=False))

if __name__ == "__main__":
    main()
