"""``planning demo``: coverage of a built-in demo area, printed as a table."""
from __future__ import annotations

import argparse

from planning.cli.common import (
    add_types_arg,
    add_walk_args,
    print_notes,
    summary_text,
    types_and_tiers,
)

DEFAULT_AREA = "xinjiekou"


def configure(p: argparse.ArgumentParser) -> None:
    p.description = "离线计算内置示例区域的覆盖 / coverage of a built-in area, offline"
    p.add_argument("--area", default=DEFAULT_AREA,
                   help="示例区域或已保存的区域 / a demo area (xinjiekou, helsinki) or a saved area")
    add_types_arg(p)
    add_walk_args(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from planning.areas.store import load_area
    from planning.base.text import catalogue as catalogue_words
    from planning.coverage.residents import compute_coverage

    catalogue, types, tiers = types_and_tiers(args)
    area = load_area(args.area)
    result = compute_coverage(area.network, area.demand, area.facilities, types, area.communities,
                              tiers, args.speed_kmh)
    print(f"{area.name_zh} / {area.name_en} — {len(area.communities)} 个社区 / communities, "
          f"{area.demand['population'].sum():,.0f} 居民 / residents" + (f"（{area.attribution}）" if area.attribution else ""))
    missing = [catalogue[k] for k in area.missing_types(catalogue) if k in {t.key for t in types}]
    if missing:
        from_osm_only = area.origins.get("facilities") is None or area.origins["facilities"].kind == "osm"
        print(catalogue_words("cli").both("demo_missing_osm" if from_osm_only else "demo_missing_any",
                                     names="、".join(t.name_zh for t in missing),
                                     names_en=", ".join(t.name_en for t in missing)))
    print_notes(result.notes)
    print(summary_text(result.overall, {t.key: t.name_zh for t in types}, tiers))
    return 0
