"""``planning optimize``: choose sites for new facilities of one type and write them to a GeoPackage."""
from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np

from optimize import LSCP, MCLP, CapacitatedCoverage, PMedian
from planning.areas import area_from_files
from planning.catalogue import load_catalogue, resolve_types
from planning.commands.common import add_walk_args, print_notes
from planning.coverage import check_minutes, nearest_seconds, reach_seconds, speed_mps
from planning.errors import PlanningError, warning_text
from planning.loaders import numeric_column, read_points
from planning.snapping import DEFAULT_MAX_SNAP_M, snap_points

MODELS = ("mclp", "lscp", "pmedian", "capacitated")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimize", help="设施选址优化 / facility siting",
                       description="在候选点中为一类设施选址（MCLP/LSCP/p-中值/容量约束）"
                                   " / choose sites for one facility type (MCLP / LSCP / p-median / capacitated)")
    p.add_argument("--network", required=True, help="路网文件 / network file")
    p.add_argument("--candidates", required=True, help="候选点（可含 cost_yuan、capacity 列）/ candidate sites (optional cost_yuan, capacity)")
    p.add_argument("--demand", help="居民点（含 population 列）/ resident points with population")
    p.add_argument("--existing", help="现有同类设施 / existing facilities of this type")
    p.add_argument("--boundaries", help="社区边界 / community polygons")
    p.add_argument("--type", required=True, help="设施类型，如 clinic / facility type key, e.g. clinic")
    p.add_argument("--model", choices=MODELS, default="mclp", help="模型 / model (default mclp)")
    p.add_argument("--p", type=int, help="新建数量 / number of new sites")
    p.add_argument("--share", type=float, default=1.0, help="LSCP 覆盖人口比例 / LSCP population share (default 1)")
    p.add_argument("--minutes", type=float, help="步行分钟数（默认按设施类型）/ walking minutes (default: the type's tier)")
    p.add_argument("--budget", type=float, help="预算（元）/ budget in yuan")
    p.add_argument("--time-limit", type=float, help="求解时间上限（秒）/ solver time limit in seconds")
    p.add_argument("--mip-gap", type=float, help="最优间隙，如 0.001 / relative MIP gap, e.g. 0.001")
    p.add_argument("--solver", choices=("highs", "pulp_highs", "cbc"), default="highs", help="求解器 / solver")
    p.add_argument("--max-snap-m", type=float, default=DEFAULT_MAX_SNAP_M,
                   help="最大吸附距离（米）/ maximum snapping distance in metres")
    p.add_argument("--out", required=True, help="输出 GeoPackage / output .gpkg")
    add_walk_args(p, tiers=False)
    p.set_defaults(handler=run)


def _snapped_subset(network, gdf: gpd.GeoDataFrame, max_m: float):
    snapped = snap_points(network, gdf, max_m)
    if snapped.n_dropped:
        print_notes([warning_text("points_some_far", n=snapped.n_dropped, total=snapped.n_input, max_m=max_m)])
    return snapped, gdf.iloc[snapped.kept].reset_index(drop=True)


def _build(args, ftype, reach, weights, already, candidates, communities, demand_ids):
    n = len(candidates)
    costs = numeric_column(candidates, "cost_yuan", args.candidates, required=False)
    costs = np.full(n, ftype.default_cost_yuan) if costs is None else costs.to_numpy()
    common = {"candidates": candidates, "communities": communities}
    ids = demand_ids
    if args.model == "mclp":
        return MCLP.from_reach(reach, weights, args.p, already_covered=already, costs=costs, budget_yuan=args.budget, **common)
    if args.model == "lscp":
        return LSCP.from_reach(reach, weights, args.share, already_covered=already, costs=costs, demand_ids=ids, **common)
    if args.model == "pmedian":
        return PMedian.from_reach(reach, weights, args.p, demand_ids=ids, **common)
    capacity = numeric_column(candidates, "capacity", args.candidates, required=False)
    capacity = np.full(n, ftype.default_capacity) if capacity is None else capacity.to_numpy()
    return CapacitatedCoverage.from_reach(reach, weights, capacity, p=args.p, costs=costs, budget_yuan=args.budget, **common)


def run(args: argparse.Namespace) -> int:
    ftype = resolve_types(args.type, load_catalogue())[0]
    if ftype.serves == "car_households":
        raise PlanningError("optimize_cli_parking")
    if args.model in ("mclp", "pmedian") and args.p is None:
        raise PlanningError("optimize_bad_p", p=None)
    speed = speed_mps(args.speed_kmh)
    cutoff_s = check_minutes(args.minutes or ftype.tier_minutes) * 60
    area, notes = area_from_files(args.network, args.existing, args.demand, args.boundaries,
                                  ftype.key if args.existing else None, args.coord_system)
    print_notes(notes)
    layer = read_points(args.candidates, args.coord_system)
    print_notes(layer.notes)
    network = area.network
    cand_snap, candidates = _snapped_subset(network, layer.gdf.to_crs(network.crs), args.max_snap_m)
    dem_snap, demand = _snapped_subset(network, area.demand, args.max_snap_m)
    weights = demand["pop_60plus" if ftype.serves == "elderly" else "population"].to_numpy(float)
    existing = area.facilities_of(ftype.key)
    already = np.zeros(len(demand), dtype=bool)
    if len(existing):
        already = nearest_seconds(network, snap_points(network, existing, args.max_snap_m), dem_snap, speed, cutoff_s) <= cutoff_s
    reach = reach_seconds(network, cand_snap, dem_snap, speed, cutoff_s)
    communities = demand["community"].astype(str).to_numpy()
    ids = demand["id"].astype(str).to_numpy() if "id" in demand else None
    model = _build(args, ftype, reach, weights, already, candidates, communities, ids)
    result = model.solve(args.solver, time_limit_s=args.time_limit, mip_gap=args.mip_gap)
    print(result.explain("zh"))
    print(result.explain("en"))
    _write(args.out, result, demand, area.communities)
    print(f"已写入 / written: {args.out}")
    return 0 if result.has_solution else 1


def _write(path: str, result, demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> None:
    if len(result.sites):
        result.sites.to_file(path, layer="sites", driver="GPKG")
    demand.assign(
        covered_before=result.details["served_share_before"], covered_after=result.details["served_share_after"],
    ).to_file(path, layer="demand", driver="GPKG")
    if result.community_coverage is not None:
        table = result.community_coverage.rename(columns={"community": "code"})
        communities.merge(table, on="code", how="left").to_file(path, layer="communities", driver="GPKG")
