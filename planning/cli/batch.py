"""``planning batch``: coverage (and MCLP) of many street-office areas of one city, on Dask."""
from __future__ import annotations

import argparse
from pathlib import Path

from planning.base.errors import PlanningError, warning_text
from planning.cli.args import COUNT, number
from planning.cli.common import (
    Output,
    add_layer_args,
    add_walk_args,
    check_area_choice,
    input_files,
    print_notes,
    summary_text,
    types_and_tiers,
)

OUTPUT_NAME = "batch.gpkg"


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("按街道批量计算步行覆盖（可选 MCLP 选址），在 Dask 上并行，结果合并为一个 GeoPackage"
                     " / walking coverage (optionally MCLP) of every street-office area, in parallel"
                     " on Dask, merged into one GeoPackage")
    p.add_argument("--areas", help="街道范围（面，含名称/代码；用 --area 时默认为其各社区）"
                                    " / street-office polygons (name, code; with --area: its 社区)")
    add_layer_args(p, tables=False)  # a population table or a layer choice: save the area first
    p.add_argument("--candidates", help="MCLP 候选点（默认每个街区一个）/ MCLP candidate sites (default: one per street block)")
    p.add_argument("--mclp-p", type=COUNT, help="每个街道每类设施新建数量（MCLP）/ new sites per area and type (MCLP)")
    p.add_argument("--out", required=True, help="输出文件夹 / output folder")
    p.add_argument("--scheduler", help="Dask 调度器地址，如 tcp://10.0.0.5:8786（默认本机集群）/ Dask scheduler address (default: local cluster)")
    p.add_argument("--city-folder", help="各工作节点以同一路径可见的文件夹（如共享盘）：城市数据经此文件发送，不经调度器广播"
                                          " / a folder every worker sees at the same path (a network share): the city"
                                          " goes to the workers through a file there, not a broadcast")
    p.add_argument("--workers", type=number(1, 1024, integer=True), help="本机工作进程数（默认 CPU 数）/ local worker processes (default: CPU count)")
    p.add_argument("--memory-limit", default="auto", help="每个本机进程内存上限，如 2GiB / memory per local worker, e.g. 2GiB")
    p.add_argument("--retries", type=number(0, 100, integer=True), default=1, help="失败街道重试次数 / retries of a failed area (default 1)")
    add_walk_args(p)
    p.set_defaults(handler=run, precheck=_precheck)


def _precheck(args: argparse.Namespace) -> None:
    """The area choice, and a ``--city-folder`` that is an existing folder, before any heavy import."""
    check_area_choice(args, "--network, --facilities, --areas")
    if args.city_folder and not Path(args.city_folder).is_dir():
        raise PlanningError("batch_city_folder_missing", path=args.city_folder)


def _candidates(path: str | None, coord_system: str):
    from planning.io.layers import read_points

    if not path:
        return None, []
    layer = read_points(path, coord_system)
    return layer.gdf, layer.notes


def _saved_area(args: argparse.Namespace):
    """Network, units (``--areas`` or the area's 社区), residents, facilities, communities, candidates
    and notices of ``--area``."""
    from planning.cli.common import area_from_args
    from planning.outputs.batch import read_areas

    area, _ = area_from_args(args)
    notes = list(area.notes)
    if args.areas:
        areas, more = read_areas(args.areas, area.crs, args.coord_system)
        notes += more
    else:
        areas = area.communities[["code", "name", "geometry"]]
    return (area.network, areas, area.demand, area.facilities, area.communities, area.candidates[["id", "geometry"]],
            notes)


def _files(args: argparse.Namespace, catalogue):
    """The same from the file arguments (network, ``--areas`` and facilities required)."""
    from planning.areas.boundaries import read_boundaries
    from planning.areas.build import facility_types_column, load_demand
    from planning.io.layers import read_points
    from planning.network.read import load_network
    from planning.outputs.batch import read_areas

    if not (args.network and args.facilities and args.areas):
        raise PlanningError("area_or_files", args="--network, --facilities, --areas")
    network = load_network(args.network)
    areas, notes = read_areas(args.areas, network.crs, args.coord_system)
    demand, more = load_demand(network, args.demand, args.coord_system)
    facilities = read_points(args.facilities, args.coord_system)
    notes += more + facilities.notes
    facilities = facility_types_column(facilities.gdf, catalogue, args.facility_type, Path(args.facilities).name)
    communities, more = read_boundaries(args.boundaries, network.crs, args.coord_system) if args.boundaries else (None, [])
    candidates, more2 = _candidates(args.candidates, args.coord_system)
    return network, areas, demand, facilities, communities, candidates, [*notes, *network.notes, *more, *more2]


def run(args: argparse.Namespace) -> int:
    from planning.outputs.batch import check_scheduler, run_batch, write_batch_gpkg

    inputs = [args.areas, *input_files(args)]
    out = Output(args.out, inputs, folder=True)
    target = Output(str(out.path / OUTPUT_NAME), inputs)
    catalogue, types, tiers = types_and_tiers(args)
    if args.scheduler:  # before the files are read: a wrong address is said at once
        check_scheduler(args.scheduler)
    network, areas, demand, facilities, communities, candidates, notes = (
        _saved_area(args) if args.area else _files(args, catalogue))
    result = run_batch(network, areas, demand, facilities, types, tiers, args.speed_kmh, communities=communities,
                       candidates=candidates, mclp_p=args.mclp_p, scheduler=args.scheduler, workers=args.workers,
                       memory_limit=args.memory_limit, retries=args.retries,
                       city_folder=Path(args.city_folder) if args.city_folder else None)
    write_batch_gpkg(target.path, result, areas, communities, target.inputs, notes)
    print_notes(notes + result.notes)
    print(summary_text(result.coverage.overall, {t.key: t.name_zh for t in types}, tiers))
    for row in result.failed.itertuples():
        print(f"失败 / Failed: {row.name} ({row.area}): {row.error_zh} / {row.error_en}")
    print(target.written())
    if len(result.failed):
        print_notes([warning_text("batch_areas_failed", n=len(result.failed), total=len(areas))])
        return 1
    return 0
