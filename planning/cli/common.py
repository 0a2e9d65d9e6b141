"""Arguments and printing shared by the CLI commands (standard library only at import)."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from planning.base.walking import DEFAULT_SPEED_KMH, ELDERLY_SPEED_KMH, TIERS_MINUTES
from planning.cli.args import SPEED_KMH, minutes_list, unique_list

COORD_SYSTEMS = ("wgs84", "cgcs2000", "gcj02", "bd09")


def add_walk_args(parser: argparse.ArgumentParser, tiers: bool = True) -> None:
    """``--speed-kmh``, ``--coord-system`` and (optionally) ``--minutes``."""
    parser.add_argument("--speed-kmh", type=SPEED_KMH, default=DEFAULT_SPEED_KMH,
                        help=f"步行速度 km/h / walking speed in km/h (default {DEFAULT_SPEED_KMH:g}; "
                             f"older residents {ELDERLY_SPEED_KMH:.1f})")
    parser.add_argument("--coord-system", default="wgs84", choices=COORD_SYSTEMS,
                        help="输入文件坐标（高德=gcj02，百度=bd09）/ coordinates of the input files (Amap=gcj02, Baidu=bd09)")
    if tiers:
        parser.add_argument("--minutes", type=minutes_list, default=TIERS_MINUTES,
                            help="生活圈分钟数 / life-circle tiers in minutes (default 5,10,15)")


def add_layer_args(parser: argparse.ArgumentParser, required: bool = False) -> None:
    """The user's own layers: ``--network``, ``--facilities`` (+ ``--facility-type``),
    ``--boundaries``, ``--demand`` and ``--types``; network and facilities required or not."""
    parser.add_argument("--network", required=required, help="路网文件 .graphml(.gz)/.osm/.osm.pbf / network file")
    parser.add_argument("--facilities", required=required,
                        help="设施点文件（含 type 列）/ facility points (with a type column)")
    parser.add_argument("--facility-type", help="整个设施文件的类型 / type for every facility in the file")
    parser.add_argument("--boundaries", help="社区边界 / community polygons (name, code)")
    parser.add_argument("--demand", help="居民点（含 population 列；默认用路网边人口）"
                                         " / resident points with population (default: network edge population)")
    add_types_arg(parser)


def add_types_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--types", type=unique_list,
                        help="设施类型，逗号分隔 / facility types, comma-separated (default: all)")


def types_and_tiers(args: argparse.Namespace):
    """The catalogue, the facility types named by ``--types`` and the tiers of ``--minutes``."""
    from planning.base.catalogue import load_catalogue, resolve_types

    catalogue = load_catalogue()
    return catalogue, resolve_types(args.types, catalogue), tuple(args.minutes)


def print_notes(notes: list[tuple[str, str]]) -> None:
    for zh, en in notes:
        print(f"提示 / Note: {zh} / {en}")


def bilingual(text: Callable[..., str], value: Any) -> str:
    """``text(value, lang)`` in Chinese, followed by the English when it differs ("超过 60 分钟 / over 60 min")."""
    zh, en = text(value, "zh"), text(value, "en")
    return zh if zh == en else f"{zh} / {en}"


def summary_text(overall, names: dict[str, str], tiers: tuple[float, ...]) -> str:
    """A readable coverage table: one line per facility type, population-weighted shares."""
    import pandas as pd

    from planning.base.formatting import count_text, minutes_text, share_text

    table = pd.DataFrame({
        "设施 / type": overall["type"].map(names),
        "服务人口 / served": overall["served_population"].map(count_text),
        **{f"{t:g}分钟 / {t:g} min": overall[f"covered_{t:g}min"].map(share_text) for t in tiers},
        "中位步行 / median min": [bilingual(minutes_text, v) for v in overall["median_minutes"]],
    })
    return table.to_string(index=False)


class Output:
    """A command's output, checked before any work starts (not a folder, not one of ``inputs``).

    The overwrite policy of every command: an existing output is replaced atomically (see
    :mod:`planning.io.write`), and :meth:`written` says so.
    """

    def __init__(self, path: str, inputs: Sequence[str | None] = (), folder: bool = False) -> None:
        from planning.io.write import check_output_folder, check_output_path

        self.inputs = [p for p in inputs if p]
        check = check_output_folder if folder else check_output_path
        self.path = check(path, self.inputs)
        self.existed = self.path.exists()

    def written(self, shown: object | None = None) -> str:
        """``已写入 / written: …`` or, when an earlier file was there, that it was replaced."""
        from planning.base.text import catalogue

        key = "replaced" if self.existed and not self.path.is_dir() else "written"
        return catalogue("cli").both(key, path=shown if shown is not None else self.path)
