"""``planning optimize``: site new facilities and write the plan to a GeoPackage.

Either from files (``--network``, ``--candidates`` …) or by re-running a saved scenario
(``--scenario scenarios/X.yaml``) with the model, settings and data sources it records.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from optimize.names import MODEL_NAMES, SOLVER_NAMES, check_model_types
from planning.base.errors import PlanningError
from planning.base.walking import MAX_SNAP_M
from planning.cli.args import (
    COUNT,
    MINUTES,
    SECONDS,
    SHARE,
    SNAP_M,
    YUAN,
    number,
    unique_list,
)
from planning.cli.common import Output, add_area_arg, add_layer_choice_arg, add_walk_args, input_files, print_notes

DEMO_PREFIX = "demo:"
AREA_PREFIX = "area:"


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("在候选点中为设施选址（MCLP/LSCP/p-中值/容量/预算/停车）"
                     " / choose sites for new facilities (MCLP / LSCP / p-median / capacitated / budget / parking)")
    p.add_argument("--scenario", help="重新计算已保存的方案 / re-run a saved scenario file")
    add_area_arg(p)
    p.add_argument("--network", help="路网文件 / network file")
    p.add_argument("--candidates", help="候选点（含 id，可含 cost_yuan、capacity 列）/ candidate sites (id, optional cost_yuan, capacity)")
    p.add_argument("--demand", help="居民点（含 id、population 列）/ resident points (id, population)")
    p.add_argument("--existing", help="现有同类设施 / existing facilities of this type")
    p.add_argument("--boundaries", help="社区边界 / community polygons")
    p.add_argument("--population", help="社区人口表（需 --boundaries）/ residents per 社区 table (with --boundaries)")
    add_layer_choice_arg(p)
    p.add_argument("--type", type=unique_list, help="设施类型，预算模型可逗号分隔 / facility type key(s), e.g. clinic or meal_hall,day_care")
    p.add_argument("--model", choices=MODEL_NAMES, default="mclp", help="模型 / model (default mclp)")
    p.add_argument("--p", type=COUNT, help="新建数量 / number of new sites")
    p.add_argument("--share", type=SHARE, default=1.0, help="LSCP 覆盖人口比例 / LSCP population share (default 1)")
    p.add_argument("--minutes", type=MINUTES, help="步行分钟数（默认按设施类型）/ walking minutes (default: the type's tier)")
    p.add_argument("--budget", type=YUAN, help="预算（元）/ budget in yuan")
    p.add_argument("--cars-per-household", type=number(0, 10), default=0.4,
                   help="户均汽车数（停车模型）/ cars per household (parking model; default 0.4, an assumption)")
    p.add_argument("--time-limit", type=SECONDS, help="求解时间上限（秒）/ solver time limit in seconds")
    p.add_argument("--mip-gap", type=number(0, 1), help="最优间隙，如 0.001 / relative MIP gap, e.g. 0.001")
    p.add_argument("--solver", choices=SOLVER_NAMES, default="highs", help="求解器 / solver")
    p.add_argument("--max-snap-m", type=SNAP_M, default=MAX_SNAP_M,
                   help="最大吸附距离（米）/ maximum snapping distance in metres")
    p.add_argument("--out", required=True, help="输出 GeoPackage / output .gpkg")
    add_walk_args(p, tiers=False)
    p.set_defaults(handler=run, precheck=_check_inputs)


def _inputs(args: argparse.Namespace) -> list[str | None]:
    return [args.scenario, *input_files(args)]


def _check_inputs(args: argparse.Namespace) -> None:
    """A scenario, or ``--type`` with ``--area`` or with ``--network`` and ``--candidates`` (before any heavy import)."""
    if not args.scenario and not (args.type and (args.area or (args.network and args.candidates))):
        raise PlanningError("optimize_cli_inputs")
    if not args.scenario:
        check_model_types(args.model, args.type)


def _from_files(args: argparse.Namespace, types):
    """Siting data of ``--area`` (its residents, candidates and facilities) or of the files."""
    from optimize.siting import SitingData
    from planning.cli.common import area_from_args

    _check_inputs(args)
    if not args.area:
        args.facilities = args.existing  # the existing facilities of the type(s) sited
        args.facility_type = types[0].key if args.existing and len(types) == 1 else None
    area, notes = area_from_args(args)
    print_notes(notes)
    data = SitingData.prepare(area.network, area.demand, area.candidates, area.facilities, args.speed_kmh,
                              args.max_snap_m)
    return data, area.communities, list(area.notes)


def _from_scenario(args: argparse.Namespace):
    """Data, communities, types, model and parameters recorded in a scenario file."""
    from optimize.siting import SitingData
    from planning.areas.build import area_from_files, load_demo_area
    from planning.base.catalogue import load_catalogue, resolve_types
    from planning.io.layers import read_points
    from scenarios.scenario import load_scenario

    scenario = load_scenario(Path(args.scenario))
    sources = {d.name: d.path for d in scenario.data_sources}
    types = resolve_types(list(scenario.facility_types), load_catalogue())
    speed_kmh = scenario.model.speed_mps * 3.6
    notes: list[tuple[str, str]] = []
    if sources.get("area", "").startswith(DEMO_PREFIX):
        area = load_demo_area(sources["area"][len(DEMO_PREFIX):])
    elif sources.get("area", "").startswith(AREA_PREFIX):
        from planning.areas.store import load_area

        area = load_area(sources["area"][len(AREA_PREFIX):])
    else:
        if "network" not in sources or "candidates" not in sources:
            raise PlanningError("optimize_scenario_sources", path=args.scenario)
        area, notes = area_from_files(sources["network"], sources.get("facilities"), sources.get("demand"),
                                      sources.get("communities"), None, args.coord_system)
        candidates = read_points(sources["candidates"], args.coord_system)
        area.candidates = candidates.gdf
        notes = notes + candidates.notes
        print_notes(notes)
    data = SitingData.prepare(area.network, area.demand, area.candidates, area.facilities, speed_kmh, args.max_snap_m)
    params = {"p": scenario.model.p, "budget_yuan": scenario.model.budget_yuan, "share": args.share,
              "cars_per_household": args.cars_per_household}
    return data, area.communities, types, scenario.model.name, params, notes


def run(args: argparse.Namespace) -> int:
    out = Output(args.out, _inputs(args), suffixes=(".gpkg",))  # refused before the heavy imports
    from optimize.siting import build_model, priced
    from planning.base.catalogue import load_catalogue, resolve_types

    if args.scenario:
        data, communities, types, model, params, notes = _from_scenario(args)
    else:
        types = resolve_types(args.type, load_catalogue()) if args.type else []
        data, communities, notes = _from_files(args, types)
        model = args.model
        params = {"p": args.p, "share": args.share, "budget_yuan": args.budget, "minutes": args.minutes,
                  "cars_per_household": args.cars_per_household}
    if model in ("mclp", "p_median") and not params.get("p"):
        raise PlanningError("optimize_bad_p", p=None)
    if model in ("budget", "parking") and not params.get("budget_yuan"):
        raise PlanningError("optimize_cli_budget", model=model)
    print_notes(data.notes)
    result = build_model(data, model, types, params).solve(args.solver, time_limit_s=args.time_limit,
                                                           mip_gap=args.mip_gap)
    print(result.explain("zh"))
    print(result.explain("en"))
    _write(out, result, priced(data, result.sites, types) if len(result.sites) else result.sites,
           data.demand, communities, notes + data.notes)
    print(out.written())
    return 0 if result.has_solution else 1


def _write(out: Output, result, sites, demand, communities, notes: list[tuple[str, str]]) -> None:
    """Layers ``chosen_sites`` (the candidates' own ids, with ``cost_yuan``), ``demand``, ``communities``
    and the table ``log`` (every notice shown), written completely or not at all.

    Demand carries ``covered_before``/``covered_after`` (0–1) for models with a coverage tier and
    ``walk_minutes`` to the nearest open site for p-median (empty where none is within reach).
    """
    import numpy as np

    from planning.base.formatting import is_known
    from planning.io.write import atomic_output
    from planning.outputs.exports import log_table

    layers = {}
    if len(sites):
        layers["chosen_sites"] = sites
    if "served_share_before" in result.details and is_known(result.coverage_after):
        demand = demand.assign(covered_before=result.details["served_share_before"],
                               covered_after=result.details["served_share_after"])
    if "walk_seconds" in result.details:
        seconds = result.details["walk_seconds"]
        demand = demand.assign(walk_minutes=np.where(np.isfinite(seconds), seconds / 60, np.nan))
    layers["demand"] = demand
    if result.community_coverage is not None:
        table = result.community_coverage.rename(columns={"community": "code"})
        layers["communities"] = communities.merge(table, on="code", how="left")
    layers["log"] = log_table(notes, demand.crs)
    with atomic_output(out.path, out.inputs) as tmp:
        for name, layer in layers.items():
            layer.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
