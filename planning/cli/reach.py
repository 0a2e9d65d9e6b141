"""``planning reach``: network nodes reachable from each source point within M minutes."""
from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.cli.common import add_walk_args, print_notes
from planning.coverage.times import check_minutes, node_reach_seconds, speed_mps
from planning.base.errors import PlanningError, warning_text
from planning.io.layers import read_points
from planning.network.graph import load_network
from planning.network.search import Targets, bounded_search, node_seeds
from planning.network.snapping import DEFAULT_MAX_SNAP_M, snap_points


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reach", help="可达节点 / reachable network nodes per source",
                       description="每个起点在 M 分钟内可步行到达的路网节点（长表 source_id,node_id,seconds）"
                                   " / network nodes reachable from each source within M minutes (long CSV)")
    p.add_argument("--network", required=True, help="路网文件 / network file")
    p.add_argument("--sources", required=True, help="起点文件（含 id 列）/ source points with an id column")
    p.add_argument("--minutes", type=float, required=True, help="步行分钟数 / walking minutes")
    p.add_argument("--snap", choices=["edge", "node"], default="edge",
                   help="吸附到最近道路（计入路外步行）或最近节点 / snap to nearest edge (off-network walk counted) or node")
    p.add_argument("--max-snap-m", type=float, default=DEFAULT_MAX_SNAP_M,
                   help="最大吸附距离（米）/ maximum snapping distance in metres")
    p.add_argument("--out", required=True, help="输出 CSV / output CSV")
    add_walk_args(p, tiers=False)
    p.set_defaults(handler=run)


def _snap_nodes(network, points: gpd.GeoDataFrame, max_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(kept positions, node positions) of points within ``max_m`` of a node."""
    tree = shapely.STRtree(network.nodes_gdf().geometry.to_numpy())
    kept, node = tree.query_nearest(points.to_crs(network.crs).geometry.to_numpy(), max_distance=max_m,
                                    all_matches=False)
    return kept, node


def run(args: argparse.Namespace) -> int:
    speed = speed_mps(args.speed_kmh)
    cutoff_s = check_minutes(args.minutes) * 60
    network = load_network(args.network)
    layer = read_points(args.sources, args.coord_system)
    print_notes(layer.notes)
    sources = layer.gdf
    if args.snap == "edge":
        snapped = snap_points(network, sources, args.max_snap_m)
        kept, seconds = snapped.kept, node_reach_seconds(network, snapped, speed, cutoff_s)
    else:
        kept, node = _snap_nodes(network, sources, args.max_snap_m)
        if len(kept) == 0:
            raise PlanningError("points_all_far", n=len(sources), max_m=args.max_snap_m)
        metres = bounded_search(network.csr, node_seeds(node), Targets.nodes(network.n_nodes), cutoff_s * speed)
        metres.sort_indices()
        seconds = metres / speed
    if len(kept) < len(sources):
        print_notes([warning_text("points_some_far", n=len(sources) - len(kept), total=len(sources),
                                  max_m=args.max_snap_m)])
    seconds = seconds.tocsr()
    counts = np.diff(seconds.indptr)
    table = pd.DataFrame({"source_id": np.repeat(sources["id"].to_numpy()[kept], counts),
                          "node_id": network.node_ids[seconds.indices],
                          "seconds": seconds.data})
    table.to_csv(args.out, index=False, float_format="%.9f")
    print(f"{len(kept)} 个起点，{len(table)} 行 / {len(kept)} sources, {len(table)} rows → {args.out}")
    return 0
