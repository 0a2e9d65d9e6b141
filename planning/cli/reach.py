"""``planning reach``: network nodes reachable from each source point within M minutes."""
from __future__ import annotations

import argparse

from planning.base.walking import MAX_SNAP_M
from planning.cli.args import MINUTES, SNAP_M
from planning.cli.common import Output, add_area_arg, add_walk_args, area_choice, input_files, print_notes


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("每个起点在 M 分钟内可步行到达的路网节点（长表 source_id,node_id,seconds）"
                     " / network nodes reachable from each source within M minutes (long CSV)")
    add_area_arg(p)
    p.add_argument("--network", help="路网文件（或用 --area）/ network file (or --area)")
    p.add_argument("--sources", required=True, help="起点文件（含 id 列）/ source points with an id column")
    p.add_argument("--minutes", type=MINUTES, required=True, help="步行分钟数 / walking minutes")
    p.add_argument("--snap", choices=["edge", "node"], default="edge",
                   help="吸附到最近道路（计入路外步行）或最近节点 / snap to nearest edge (off-network walk counted) or node")
    p.add_argument("--max-snap-m", type=SNAP_M, default=MAX_SNAP_M,
                   help="最大吸附距离（米）/ maximum snapping distance in metres")
    p.add_argument("--out", required=True, help="输出 CSV / output CSV")
    add_walk_args(p, tiers=False)
    p.set_defaults(handler=run, precheck=area_choice())


def run(args: argparse.Namespace) -> int:
    out = Output(args.out, [*input_files(args), args.sources], suffixes=(".csv",))  # before the heavy imports
    import numpy as np
    import pandas as pd

    from planning.base.errors import warning_text
    from planning.base.walking import speed_mps
    from planning.coverage.times import node_reach_seconds
    from planning.io.layers import read_points
    from planning.io.write import atomic_output
    from planning.network.read import load_network
    from planning.network.snapping import snap_points, snap_to_nodes

    walk_mps = speed_mps(args.speed_kmh)
    if args.area or not args.network:
        from planning.cli.common import area_from_args

        network = area_from_args(args)[0].network
    else:
        network = load_network(args.network)
    layer = read_points(args.sources, args.coord_system)
    print_notes([*network.notes, *layer.notes])
    sources = layer.gdf
    snap = snap_points if args.snap == "edge" else snap_to_nodes
    snapped = snap(network, sources, args.max_snap_m)
    seconds = node_reach_seconds(network, snapped, walk_mps, args.minutes * 60)
    if snapped.n_dropped:
        print_notes([warning_text("points_some_far", n=snapped.n_dropped, total=snapped.n_input,
                                  max_m=args.max_snap_m)])
    counts = np.diff(seconds.indptr)
    table = pd.DataFrame({"source_id": np.repeat(sources["id"].to_numpy()[snapped.kept], counts),
                          "node_id": network.node_ids[seconds.indices],
                          "seconds": seconds.data})
    with atomic_output(out.path, out.inputs) as tmp:
        table.to_csv(tmp, index=False, float_format="%.9f")
    print(f"{len(snapped.kept)} 个起点，{len(table)} 行 / {len(snapped.kept)} sources, {len(table)} rows")
    print(out.written())
    return 0
