"""``planning coverage``: walking coverage of every facility type, written to a GeoPackage."""
from __future__ import annotations

import argparse

from planning.cli.common import (
    Output,
    add_layer_args,
    add_walk_args,
    area_choice,
    print_notes,
    summary_text,
    types_and_tiers,
)


def configure(p: argparse.ArgumentParser) -> None:
    p.description = ("计算每类设施的 5/10/15 分钟步行覆盖（--area 已保存的区域，或给出文件）"
                     " / walking coverage of each facility type (--area NAME, or the files)")
    add_layer_args(p)
    p.add_argument("--out", required=True, help="输出 GeoPackage / output .gpkg")
    add_walk_args(p)
    p.set_defaults(handler=run, precheck=area_choice())


def run(args: argparse.Namespace) -> int:
    from planning.cli.common import area_from_args, input_files

    out = Output(args.out, input_files(args), suffixes=(".gpkg",))  # refused before the heavy imports
    from tqdm import tqdm

    from planning.coverage.residents import compute_coverage
    from planning.outputs.exports import write_coverage_gpkg

    _, types, tiers = types_and_tiers(args)
    with tqdm(total=3, desc="覆盖分析 / coverage", unit="step") as bar:
        area, notes = area_from_args(args)
        bar.update()
        result = compute_coverage(area.network, area.demand, area.facilities, types, area.communities,
                                  tiers, args.speed_kmh)
        bar.update()
        write_coverage_gpkg(out.path, result, area.communities, types, out.inputs, list(area.notes))
        bar.update()
    print_notes(notes + result.notes)
    print(summary_text(result.overall, {t.key: t.name_zh for t in types}, tiers))
    print(out.written())
    return 0
