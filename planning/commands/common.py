"""Arguments and printing shared by the CLI commands."""
from __future__ import annotations

import argparse

import pandas as pd

from planning.coverage import DEFAULT_SPEED_KMH, TIERS_MINUTES
from planning.errors import PlanningError


def minutes_list(text: str) -> tuple[float, ...]:
    """Parse ``5,10,15``; each value must be a positive number."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise PlanningError("minutes_not_positive", value=text) from exc
    if not values or any(v <= 0 for v in values):
        raise PlanningError("minutes_not_positive", value=text)
    return values


def add_walk_args(parser: argparse.ArgumentParser, tiers: bool = True) -> None:
    """``--speed-kmh``, ``--coord-system`` and (optionally) ``--minutes``."""
    parser.add_argument("--speed-kmh", type=float, default=DEFAULT_SPEED_KMH,
                        help=f"步行速度 km/h / walking speed in km/h (default {DEFAULT_SPEED_KMH}; elderly 2.9)")
    parser.add_argument("--coord-system", default="wgs84", choices=["wgs84", "cgcs2000", "gcj02", "bd09"],
                        help="输入文件坐标（高德=gcj02，百度=bd09）/ coordinates of the input files (Amap=gcj02, Baidu=bd09)")
    if tiers:
        parser.add_argument("--minutes", default=",".join(str(t) for t in TIERS_MINUTES),
                            help="生活圈分钟数 / life-circle tiers in minutes (default 5,10,15)")


def print_notes(notes: list[tuple[str, str]]) -> None:
    for zh, en in notes:
        print(f"提示 / Note: {zh} / {en}")


def summary_text(overall: pd.DataFrame, names: dict[str, str], tiers: tuple[float, ...]) -> str:
    """A readable coverage table: one line per facility type, population-weighted shares."""
    table = pd.DataFrame({
        "设施 / type": overall["type"].map(names),
        "服务人口 / served": overall["served_population"].round(0).astype(int),
        **{f"{t:g}分钟 / {t:g} min": (overall[f"covered_{t:g}min"] * 100).round(1).astype(str) + "%" for t in tiers},
        "中位步行 / median min": overall["median_minutes"].round(1),
    })
    return table.to_string(index=False)
